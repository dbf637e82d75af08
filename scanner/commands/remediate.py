"""`secretgraph remediate`: plan fixes for the findings (default), apply them, or undo them.

    secretgraph remediate --in out/scan     # plan: table + remediation-plan.json, .md, .html
    secretgraph remediate --plan out/scan/remediation-plan.json --apply \\
        --remediation-role-name SecretgraphRemediation       # asks before changing anything
    secretgraph remediate --undo out/scan/remediation-journal-<plan>-<time>.jsonl \\
        --remediation-role-name SecretgraphRemediation       # asks, then reverts
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from scanner.commands._outputs import endpoint_url, external_id, output_file, \
    replace_together, terminal_width
from scanner.textfit import fit_line, stream_columns, terminal_safe
from scanner.errors import InputError, Interrupted, SecretgraphError, StdoutError, \
    UsageError
from scanner.remediate.config import load_config
from scanner.remediate.engine import another_apply_running, apply_plan, not_being_applied
from scanner.remediate.runs import Confirm
from scanner.remediate.undo import undo_journal
from scanner.remediate.inputs import ScanInputs, from_history, resolve
from scanner.remediate.journal import read_journal
from scanner.remediate.planfile import Plan, estate_of, plan_text, read_plan
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.render import render_plan, render_plan_html, render_plan_markdown
from scanner.remediate.sessions import (
    ClientsFactory,
    accounts_needing_a_role,
    clients_of,
    remediation_sessions,
)

HELP = "plan fixes for the findings (default), --apply them, or --undo a journal"
#: what -q/--quiet does here (scanner.cli: the help of -q)
QUIET_HELP = ("print no plan, notes or change lines, only errors (on stderr: a change that "
              "failed, was refused or is unverified, the stop with the change in flight, and "
              "the journal of a run that failed): the plan files, journal and reports are "
              "still written and the exit code is the same (--apply/--undo then need --yes: "
              "the plan to confirm is not shown)")
#: with -q, standard output is discarded: errors (stderr) only
QUIET_DISCARDS_STDOUT = True

PLAN_NAME = "remediation-plan.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    src = parser.add_argument_group("input")
    src.add_argument("--in", dest="in_dir", metavar="DIR",
                     help="a scan --out directory (findings.json + snapshot.json.gz)")
    src.add_argument("--history", metavar="PATH|s3://...",
                     help="remediate the latest complete scan of this history store; "
                          "beside --in with --apply, only the store where the changed "
                          "resources are marked for re-read")
    src.add_argument("--findings", metavar="FILE", help="findings.json (with --snapshot)")
    src.add_argument("--snapshot", metavar="FILE", help="the scan's snapshot (with --findings)")
    src.add_argument("--config", metavar="FILE",
                     help="config file: rotation_functions, required_replica_regions, "
                          "trusted_accounts, allowed_external_accounts and the remediation: "
                          "section (keys per account-region, org id, plan max age); without "
                          "it, the trust zone and allow-list the scan recorded")
    src.add_argument("--rules-dir", metavar="DIR", action="append", dest="rules_dir",
                     default=[],
                     help="an extra directory of rule files, as given to scan (repeatable): "
                          "the config's entries for those rules are checked against them, and "
                          "each change's effect is predicted with them too")
    sel = parser.add_argument_group("selection")
    sel.add_argument("--rule", action="append", default=[], metavar="R",
                     help="only findings of this rule id (or remediation id); repeatable or "
                          "comma-separated. Naming a rule also selects it explicitly "
                          "(remove-external-grant needs that)")
    sel.add_argument("--finding", action="append", default=[], metavar="ID",
                     help="only this finding id; repeatable or comma-separated. A finding a "
                          "suppression mutes is planned only when named so")
    sel.add_argument("--account", action="append", default=[], metavar="A",
                     help="only findings in this account, and changes planned in it for "
                          "findings elsewhere (id or name); repeatable or comma-separated")
    pl = parser.add_argument_group("plan")
    pl.add_argument("--plan-out", metavar="FILE",
                    help=f"where to save the plan (default: <--in DIR or .>/{PLAN_NAME})")
    pl.add_argument("--force", action="store_true",
                    help="let the new plan (and its .md and .html) replace existing files "
                         "that are not a remediation plan")
    pl.add_argument("--plan", metavar="FILE", help="use this saved plan instead of planning")
    pl.add_argument("--accept-access-change", action="append", default=[], metavar="CHANGE_ID",
                    help="plan this change although it removes a reader or adds one from "
                         "outside the trust zone (the plan lists such changes as not planned, "
                         "with their id and the readers affected); repeatable")
    pl.add_argument("--prove", action="store_true",
                    help="prove each change to a secret or key policy: after it, can anyone "
                         "outside the trust zone still read (a proof, or a witness request "
                         "flagged in the plan)? Config prove: true; needs pip install "
                         "'secretgraph[prove]'")
    pl.add_argument("--prove-timeout", metavar="SECONDS", type=float, default=None,
                    help="with --prove: solver time per question (default 10)")
    ap = parser.add_argument_group("apply and undo")
    ap.add_argument("--apply", action="store_true", help="make the changes (asks first)")
    ap.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    ap.add_argument("--remediation-role-name", metavar="NAME",
                    help="the write role assumed in each account (never the audit role)")
    ap.add_argument("--profile", metavar="NAME",
                    help="AWS profile for the starting credentials (like scan)")
    ap.add_argument("--external-id", metavar="ID", type=external_id,
                    help="ExternalId for AssumeRole of the remediation role")
    ap.add_argument("--endpoint-url", metavar="URL", type=endpoint_url,
                    help="AWS endpoint (e.g. a moto server) for every service; without it "
                         "AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL apply as in boto3")
    ap.add_argument("--undo", metavar="JOURNAL", help="revert what the journal of an apply did")
    ap.add_argument("--journal", metavar="FILE",
                    help="where to write the journal (default: next to the plan / journal)")


def _split(values: list[str], flag: str) -> tuple[str, ...]:
    """Repeated and comma-separated values. A value that names nothing (``--finding ""``, an
    unset shell variable) is refused: an empty selector must not select everything."""
    for item in values:
        if not any(v.strip() for v in item.split(",")):
            raise UsageError(f"{flag}: empty value {item!r} (it would select nothing, and an "
                             f"empty selection plans every finding)")
    return tuple(v.strip() for item in values for v in item.split(",") if v.strip())


def _new_journal(path: str) -> None:
    """--journal names a new file (checked before anything is read or asked)."""
    if output_file(path, "--journal").exists():
        raise UsageError(f"--journal {path}: already exists; give a new path (a journal is "
                         "never overwritten)")


def _journal_beside(path: str, what: str) -> None:
    """Without --journal the journal is written beside ``path`` (the plan, or the journal an
    undo reads): that folder must take it, checked before anything is read or asked, as a
    --journal is (_new_journal). Safe-fixes trial round 11: a reviewed plan kept on a read-only
    file system was applied up to its journal -- the identities checked, every resource
    re-read, the question answered -- and stopped with "error: .../remediation-journal-....jsonl:
    Read-only file system", saying neither that nothing was changed nor what to do."""
    if not Path(path).parent.is_dir():
        return  # the plan or journal is not there: reading it says so
    try:
        output_file(Path(path).parent / "remediation-journal.jsonl", f"the journal beside {what}")
    except UsageError as exc:
        raise UsageError(f"{exc}: give --journal FILE in a folder you can write; nothing was "
                         "changed") from None


def _not_an_input(args: argparse.Namespace) -> None:
    """--plan-out and --journal must not be files the command reads (the scan's findings and
    snapshot, --config, --plan, a local --history): the plan replaced findings.json, the
    history store or the config (fault-injection trials), and they were lost."""
    inputs = [Path(p) for p in (args.findings, args.snapshot) if p]
    if args.in_dir:
        inputs += [Path(args.in_dir) / name for name in ("findings.json", "snapshot.json.gz",
                                                         "snapshot.json")]
    inputs += [Path(p) for p in (args.config, args.plan) if p]
    if args.history and "://" not in args.history:
        inputs.append(Path(args.history))
    given = {p.resolve() for p in inputs}
    for flag, value in (("--plan-out", args.plan_out), ("--journal", args.journal)):
        if value and Path(value).resolve() in given:
            raise UsageError(f"{flag} {value}: is a file this command reads (the scan, "
                             "--config, --plan or --history); name another file")


def rendering_paths(plan_path: str | Path) -> tuple[Path, Path]:
    """The markdown and HTML renderings written next to a plan file."""
    base = Path(plan_path)
    stem = base.with_suffix("") if base.suffix == ".json" else base
    return stem.with_name(stem.name + ".md"), stem.with_name(stem.name + ".html")


#: how each file a plan writes begins (PLAN_KIND is the plan's first key), to tell the plan
#: of an earlier run (replaced, as every re-plan does) from a file of the user's
_PLAN_STARTS = ('{\n  "kind": "secretgraph-remediation-plan"', "# Remediation plan plan-",
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")


def _check_plan_outputs(plan_path: Path, flag: str, force: bool) -> None:
    """The files a new plan will replace (the plan, its .md and .html): UsageError (exit 2,
    before planning) for one that exists and is not a regular file (a device, a pipe, a
    socket: it was replaced by a plain file), and for an existing file that is not a plan of an
    earlier run unless ``force`` (as `baseline init --output-file` refuses without --force);
    a plan of an earlier run is replaced, as a re-plan always did."""
    for path, start in zip((plan_path, *rendering_paths(plan_path)), _PLAN_STARTS):
        if not path.exists() and not path.is_symlink():
            continue
        if not path.is_file():
            raise UsageError(f"{flag} {plan_path}: {path} exists and is not a regular file (a "
                             "device, a pipe, a socket or a broken link); name another file")
        if force:
            continue
        try:
            with path.open("rb") as fh:
                head = fh.read(len(start.encode())).decode("utf-8", "replace")
        except OSError as exc:
            raise UsageError(f"{flag} {plan_path}: cannot read {path} "
                             f"({exc.strerror or exc})") from None
        if head != start:
            raise UsageError(f"{flag} {plan_path}: {path} exists and is not a remediation plan; "
                             "pass --force to replace it, or name another file")


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _confirm(args: argparse.Namespace) -> Confirm | None:
    if args.yes:
        return None
    if not sys.stdin.isatty():
        # an undo shows no plan: what it reverts is the journal's changes
        what = ("review the changes the journal records (undone newest first)" if args.undo
                else "review the plan")
        raise UsageError("refusing to change anything without confirmation: stdin is not a "
                         f"terminal; {what} and add --yes")

    from scanner.commands._outputs import ask_yes

    return lambda question: ask_yes(question, "nothing was changed")


def _role_to_apply_with(args: argparse.Namespace, plan: Plan) -> str:
    """The write role the plan's next step needs, and the accounts where its changes are made
    (each with that account's remediation role): the hint said "--plan P --apply" alone, and
    run as told wherever a change lands in an account other than the caller's (the demo's
    route table of a member account, for the central account's peering) it was refused, "give
    --remediation-role-name NAME" (safe-fixes trial round 15)."""
    accounts = sorted({c.account_id for c in plan.changes})
    name = args.remediation_role_name or "NAME"
    audit = plan.estate.audit_role
    return (f" --remediation-role-name {name}, {name} the write role in "
            f"account{'s' if len(accounts) > 1 else ''} {', '.join(accounts)} where the "
            "changes are made" + (f" (not the scan's audit role {audit})" if audit else "")
            + ": `secretgraph iam-policy --for remediation-role` prints its policy; in the "
            "account of your own credentials those are used directly")


def _check_role_flag(args: argparse.Namespace, audit_role: str | None) -> None:
    """--remediation-role-name: refused when it is the scan's audit role or no role name (an
    empty one too: new-user trial), whether or not the plan has a change to make with it."""
    if audit_role and args.remediation_role_name == audit_role:
        raise UsageError(f"--remediation-role-name {audit_role} is the audit role of the scan; "
                         "remediation needs its own write role")
    if args.remediation_role_name is not None:
        from scanner.aws.session import check_role_name

        check_role_name(args.remediation_role_name, "--remediation-role-name")


def _clients(args: argparse.Namespace, audit_role: str | None,
             accounts: Iterable[str]) -> ClientsFactory:
    """The remediation role's clients for changes in ``accounts``; refused (before the plan is
    shown) when the role is the scan's audit role, or when none is given and an account of
    them is not the credentials' own."""
    _check_role_flag(args, audit_role)
    sessions = remediation_sessions(role_name=args.remediation_role_name,
                                    endpoint_url=args.endpoint_url, profile=args.profile,
                                    external_id=args.external_id)
    from scanner.remediate.runs import nothing_changed_yet

    with nothing_changed_yet("checking which account the credentials are of"):
        others = accounts_needing_a_role(sessions, accounts)
    if others:
        # it was found while applying, under the whole plan, and named no role (new-user trial
        # round 26: the demo's first --apply)
        raise UsageError(
            f"the plan changes account(s) {', '.join(others)}, which your credentials "
            f"(account {sessions.home_account()}) reach only through a role: give "
            "--remediation-role-name NAME, the write role in each of them (`secretgraph "
            "iam-policy --for remediation-role` prints its policy); nothing was changed")
    return clients_of(sessions)


def run(args: argparse.Namespace) -> int:
    """The command; Ctrl-C or SIGTERM before an apply or undo began (while the scan, the plan
    or the journal is read, the plan shown) says that nothing was changed -- it said only
    "interrupted" / "terminated" (safe-fixes trial round 10: a SIGTERM while a saved plan was
    read and shown). Once the engine runs, its own lines say what was changed."""
    try:
        return _run(args)
    except KeyboardInterrupt as exc:
        if isinstance(exc, Interrupted) or getattr(args, "changing", False):
            raise
        what = " before anything was undone" if args.undo else \
            " before anything was applied" if args.apply else ""
        raise Interrupted(f"interrupted{what}; nothing was changed"
                          + ("" if not (args.apply or args.undo) else
                             " and no journal was written")) from None


def _changing(args: argparse.Namespace) -> None:
    """The apply or undo begins: from here the engine's lines say what was changed."""
    args.changing = True


def _run(args: argparse.Namespace) -> int:
    if getattr(args, "quiet", False) and (args.apply or args.undo) and not args.yes:
        # -q prints no plan (QUIET_HELP): a confirmation would be of changes never shown
        raise UsageError("-q shows no plan to confirm: with --apply or --undo give --yes "
                         "(after reviewing the plan), or leave out -q")
    if (args.apply or args.undo) and args.history is None:
        # the store the changed resources are marked in (_reread_hook): an empty
        # $SECRETGRAPH_HISTORY is refused before anything is read, not "no store"
        from scanner.history.store import check_location, env_history

        check_location(env_history())
    if args.undo:
        # --history beside --undo is the store where the undone resources are marked for
        # re-read (docs/remediation.md), as beside --apply
        if args.apply or args.plan or args.in_dir or args.findings or args.snapshot \
                or args.rules_dir:
            raise UsageError("--undo JOURNAL takes no plan, input, --rules-dir or --apply "
                             "(--history names the store where the undone resources are "
                             "marked for re-read)")
        if args.journal:
            _new_journal(args.journal)
        else:
            _journal_beside(args.undo, "the journal undone")
        return _run_undo(args)
    if args.yes and not args.apply:
        raise UsageError("--yes only makes sense with --apply or --undo")
    if args.plan_out is not None and not args.plan:  # checked before planning, created like --out
        output_file(args.plan_out, "--plan-out")
    if args.journal:
        _new_journal(args.journal)
    elif args.apply and args.plan:  # a new plan is saved there first: its own check
        _journal_beside(args.plan, "the plan")
    _not_an_input(args)
    if not args.plan:
        new_plan = Path(args.plan_out) if args.plan_out else Path(args.in_dir or ".") / PLAN_NAME
        flag = "--plan-out" if args.plan_out else "the plan file"
        _check_plan_outputs(new_plan, flag, args.force)
        with not_being_applied(str(new_plan), flag):
            pass  # checked before planning (hours at organization scale); held again to save
    elif args.force or args.plan_out is not None:
        # --plan-out beside a saved plan wrote nothing there and said nothing (safe-fixes trial
        # round 17)
        raise UsageError(("--force is for a new plan's files (--plan-out)" if args.force else
                          "--plan-out is where a new plan is saved")
                         + "; a saved --plan is not written (copy the file to keep it "
                         "elsewhere)")
    config = load_config(args.config)
    inputs: ScanInputs | None = None
    files = bool(args.in_dir or args.findings or args.snapshot)
    if args.history and not files:
        inputs = from_history(args.history)
    elif args.history and not args.apply:
        raise UsageError("give --history, --in DIR, or --findings with --snapshot: one source "
                         "(with --apply, --history beside --in names only the store where the "
                         "changes are marked for re-read)")
    elif files or not args.plan:
        # with --apply, a --history beside them is the store for the re-read marks only
        inputs = resolve(args.in_dir, args.findings, args.snapshot)
    selection = Selection(rules=_split(args.rule, "--rule"),
                          findings=_split(args.finding, "--finding"),
                          accounts=_split(args.account, "--account"))
    args_accepted = _split(args.accept_access_change, "--accept-access-change")
    base_dir = Path(args.in_dir) if args.in_dir else Path(".")
    if args.plan:
        if selection.given or args.accept_access_change or args.rules_dir:
            raise UsageError("--rule/--finding/--account/--accept-access-change/--rules-dir "
                             "shape a new plan; a saved --plan is applied as it is")
        if args.prove or args.prove_timeout is not None:
            # safe-fixes trial round 2: --plan P --apply --prove ran no proof and said nothing,
            # so a reviewer believed each change proven (the proofs are made while planning)
            raise UsageError("--prove/--prove-timeout prove each change while a plan is made; "
                             "a saved --plan is applied as it is -- plan again with --prove "
                             "(its proofs are in the plan) or drop --prove")
        plan: Plan = read_plan(args.plan)
        plan_path = str(args.plan)
    else:
        assert inputs is not None
        from scanner.pipeline import ScanOptions, load_inputs

        if args.prove_timeout is not None and not args.prove_timeout > 0:
            raise UsageError("--prove-timeout must be a positive number of seconds")
        from scanner.pipeline import paths

        # the rules the scan was given (--rules-dir): a config that sets one of them is read
        # as scan read it, and the effects are predicted with them (bad-input trial round 1)
        rules = load_inputs(ScanOptions(config_path=Path(args.config) if args.config else None,
                                        rules_dirs=paths(args.rules_dir),
                                        prove=args.prove, prove_timeout=args.prove_timeout))
        if args.config is None and inputs.trusted_accounts:
            # the zone the scan's verdicts used (its config's trusted_accounts, recorded in
            # findings.json), as report --in and baseline read it back; a --config given here
            # is the user's explicit choice and wins (concept review round 1)
            config = replace(config, trusted_accounts=inputs.trusted_accounts)
            rules = replace(rules, config=replace(rules.config,
                                                  trusted_accounts=inputs.trusted_accounts))
        if args.config is None and inputs.allowed_accounts:
            # likewise its allowed_external_accounts (new-user trial 7)
            rules = replace(rules, config=replace(
                rules.config, allowed_external_accounts=inputs.allowed_accounts))
        # before the saved plan is replaced
        selection = check_selection(selection, rules.ruleset, inputs)
        if not args.plan_out and not os.access(base_dir, os.W_OK | os.X_OK):
            raise UsageError(f"the plan cannot be saved in {base_dir} (not writable); give "
                             f"--plan-out FILE")
        if not inputs.snapshot.complete:
            _note(args, fit_line(f"note: the scan is incomplete ({len(inputs.snapshot.coverage)} "
                                 "coverage gap(s)): what it could not read is UNKNOWN, and a "
                                 "change's predicted effect there is not proven; rescan "
                                 "before --apply", stream_columns(sys.stderr)))
        from scanner.gcpause import freezing
        from scanner.progress import Progress

        # each change's analysis pauses the collector (graph, access, rules): inside
        # freezing() a paused step ends by freezing what exists instead of leaving a walk over
        # the estate to the next allocation (scanner/gcpause.py, as a scan does)
        plan_path = str(Path(args.plan_out) if args.plan_out else base_dir / PLAN_NAME)
        try:
            with Progress.for_terminal(quiet=bool(getattr(args, "quiet", False))) as progress, \
                    freezing():
                progress.phase("plan")  # each change's effect predicted: long on large estates
                plan = build_plan(inputs.findings, inputs.snapshot, config, selection,
                                  inputs=rules, accept_access_changes=args_accepted,
                                  progress=progress.counts("findings"))
        except KeyboardInterrupt as exc:
            if isinstance(exc, Interrupted):
                raise
            # Ctrl-C or SIGTERM while planning said only "interrupted": whether anything was
            # changed is what the person who pressed it needs to know (new-user trial)
            saved = f"{plan_path} as it was" if Path(plan_path).exists() else "none written"
            # a whole-estate plan weighs every FAIL finding with its predicted effect: hours at
            # organization scale (docs/scale.md: an ETA of 376 h at 1,000 accounts, 345,809
            # findings), where the one next step is planning a part of it
            part = "" if selection.given else (
                "; to plan a part of the estate, give --account A, --rule R or --finding ID")
            raise Interrupted(f"interrupted while planning; nothing was changed and no plan "
                              f"was saved ({saved}){part}") from None
        for change in plan.changes:
            if change.change_id in args_accepted and not (change.effect or {}).get("accepted"):
                _note(args, f"note: --accept-access-change {change.change_id}: that change "
                            "breaks no access; nothing to accept")
        if selection.given and not plan.changes:
            # a selection that plans no change is not a new plan: the saved one stays
            kept = f"{plan_path} is unchanged" if Path(plan_path).exists() else \
                "no plan saved"
            if not plan.skipped:
                print(f"no FAIL finding of the scan matches the selection; nothing to plan "
                      f"({kept})")
                return 0
            print(terminal_safe(render_plan(plan, width=terminal_width())))
            print(fit_line(f"\nno change planned for this selection ({kept})",
                           stream_columns()))
            return 0
        with not_being_applied(plan_path, "--plan-out" if args.plan_out else "the plan file"):
            save_plan(plan_path, plan, "--plan-out" if args.plan_out else "the plan file")
    clients = None
    if args.apply:
        # another apply of this plan running: refused before the plan is shown, its accounts
        # asked, or the running apply's unfinished journal noted as killed
        another_apply_running(plan_path, plan.plan_id)
        # the scan's audit role is no remediation role, whether the plan came with its scan
        # or alone (--plan PLAN --apply, as the plan command's own hint says to run it);
        # refused before the plan is shown
        audit_role = inputs.snapshot.meta.role_name if inputs else plan.estate.audit_role
        _check_role_flag(args, audit_role)
        if plan.changes:  # none: no credentials are needed (NOTHING_TO_APPLY below)
            clients = _clients(args, audit_role, [c.account_id for c in plan.changes])
    print(terminal_safe(render_plan(plan, width=terminal_width())))
    if not args.plan:
        print(fit_line(f"\nplan saved to {plan_path} (also as .md and .html)",
                       stream_columns(), more="  "))
    if not args.apply:
        if plan.changes:
            print(fit_line("nothing was changed; review the plan, then run again with "
                           f"--plan {plan_path} --apply{_role_to_apply_with(args, plan)}",
                           stream_columns()))
        return 0
    if not plan.changes:
        # nothing to change: no credentials, no write role, no question -- a nightly
        # `remediate --apply` without a terminal was refused, 'add --yes', on such a night
        from scanner.remediate.engine import NOTHING_TO_APPLY

        print(NOTHING_TO_APPLY)  # stdout, as apply_plan says it (discarded with -q)
        return 0
    assert clients is not None
    confirm = _confirm(args)
    journal = args.journal or str(Path(plan_path).parent
                                  / f"remediation-journal-{plan.plan_id}-{_stamp()}.jsonl")
    from scanner.remediate.journal import unfinished_apply

    earlier = unfinished_apply(Path(plan_path).parent, plan.plan_id, len(plan.changes))
    if earlier is not None:  # before the question: the answer may depend on it
        _note(args, fit_line(earlier, stream_columns(sys.stderr)))
    _changing(args)
    with _journal_named(journal, undo=False):
        result = apply_plan(plan, clients, journal_path=journal, plan_path=plan_path,
                            max_age_hours=config.max_plan_age_hours,
                            current_estate=estate_of(inputs.snapshot) if inputs else None,
                            confirm=confirm, out=sys.stdout,
                            changed=_reread_hook(args, f"remediate apply {plan.plan_id}"),
                            errors=_errors(args), undo_flags=_undo_flags(args))
        if result.journal_path:
            counts = ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items()))
            _summary(args, result.ok, f"journal: {result.journal_path} ({counts})")
            older = _earlier_applies(result.counts, result.journal_path, plan.plan_id)
            if result.ok and (result.counts.get("applied") or older) and not _quiet(args):
                made = result.journal_path if result.counts.get("applied") else None
                width = stream_columns()
                print(fit_line(_undo_hint(args, plan, made, older), None) if width is None
                      else _undo_hint(args, plan, made, older, width))
            elif not result.ok:
                _failed_next(args, result.counts, result.journal_path, older,
                             plan_id=plan.plan_id)
        sys.stdout.flush()  # a full disk under `> log` shows here, where it is explained
    return 0 if result.ok else 1


def _earlier_applies(counts: Any, journal: str, plan_id: str) -> list[tuple[str, int]]:
    """The earlier applies of the plan whose changes this run may have found in place (it
    had no-ops): scanner.remediate.journal.earlier_applies."""
    if not counts.get("noop"):
        return []
    from scanner.remediate.journal import earlier_applies

    return earlier_applies(journal, plan_id)


def _undo_steps(args: argparse.Namespace, journal: str | None,
                earlier: Sequence[tuple[str, int]], plan_id: str = "") -> list[tuple[str, str]]:
    """The --undo commands that take back this apply (``journal``, None when it made
    nothing) and the earlier applies of the plan whose changes it found in place, newest
    first, each with what it is (empty for this apply's own): each journal's --undo takes
    back only what its own run made, and an older one's refuses while a newer one's changes
    sit on top of its own."""
    return ([(_undo_command(args, journal), "")] if journal else []) + [
        (_undo_command(args, path), f"the earlier apply of {_plan_of_journal(path, plan_id)} "
         f"that made {made} change(s) this run found in place") for path, made in earlier]


def _undo_chain(args: argparse.Namespace, journal: str | None,
                earlier: Sequence[tuple[str, int]], plan_id: str = "") -> str:
    """The steps of ``_undo_steps`` in one line (a file, a pipe, -q's standard error)."""
    return ", then ".join(cmd + (f" ({note})" if note else "")
                          for cmd, note in _undo_steps(args, journal, earlier, plan_id))


def _with_commands(prose: str, steps: Sequence[tuple[str, str]], width: int | None) -> str:
    """``prose`` (ending in a colon) and the command lines it names, for a terminal: the prose
    broken between words, each command on a line of its own and never broken -- pasted, a
    command broken over lines ran `secretgraph remediate --undo` alone and then tried to run
    the journal's path (new-user trial round 36, as the demo's commands already were)."""
    lines = [fit_line(prose, width, more="  ")]
    for i, (cmd, note) in enumerate(steps):
        if i:
            lines.append(fit_line("then" + (f", {note}" if note else "") + ":", width,
                                  more="  "))
        lines.append("  " + cmd)
    return "\n".join(lines)


def _plan_of_journal(path: str, plan_id: str) -> str:
    """"this plan" for a journal of ``plan_id`` (its default name,
    ``remediation-journal-<plan id>-<time>.jsonl``), else "plan <its plan id>": a plan made
    again from the same scan after an apply that stopped (journal.earlier_applies)."""
    name = Path(path).name
    if name.startswith(f"remediation-journal-{plan_id}-"):
        return "this plan"
    return "plan " + name[len("remediation-journal-"):].rsplit("-", 1)[0]


def _undo_hint(args: argparse.Namespace, plan: Any, journal: str | None,
               earlier: Sequence[tuple[str, int]] = (), width: int | None = None) -> str:
    """How to take an apply back: the command with the flags it was applied with (the
    ExternalId only named, not repeated) and the changes --undo cannot revert (new-user
    trial 18: the plan said "undo: yes", and which command did it was left to the docs);
    after an apply that went on from an earlier one, that one's --undo too (``earlier``)."""
    stuck = sorted({c.remediation_id for c in plan.changes if not c.reversible})
    if width is not None:
        return _with_commands("to take it back" + (
            f" ({', '.join(stuck)} cannot be undone)" if stuck else "") + ":",
            _undo_steps(args, journal, earlier, plan.plan_id), width)
    cannot = (f"; {', '.join(stuck)} cannot be undone" if stuck else "")
    return f"to take it back: {_undo_chain(args, journal, earlier, plan.plan_id)}{cannot}"


def _failed_next(args: argparse.Namespace, counts: Any, journal: str,
                 earlier: Sequence[tuple[str, int]] = (), *, plan_id: str = "") -> None:
    """What to do after an apply that stopped on a change (failed, refused, partial,
    unverified): fix the cause and run the same --apply again -- or, a resource changed since
    the plan, rescan and plan again -- and, when it made changes, how to take them back.
    Safe-fixes trial round 9: it ended with the journal line alone, where a stop (Ctrl-C) and
    a finished apply say both. With -q on standard error, with the lines before it."""
    again = "a resource changed since the plan: rescan and plan again" if counts.get(
        "refused") else "fix what stopped it, then run the same --apply again (it skips " \
        "what is made already)"
    made = any(counts.get(s) for s in ("applied", "partial", "verify-failed"))
    back = "; to take back what it made: " + _undo_chain(args, journal if made else None,
                                                         earlier, plan_id) \
        if made or earlier else ""
    line = f"next: {again}{back}"
    width = stream_columns()
    if _quiet(args):
        _errors(args)(line)
    elif width is not None and (made or earlier):
        print(_with_commands(f"next: {again}; to take back what it made:",
                             _undo_steps(args, journal if made else None, earlier, plan_id),
                             width))
    else:
        print(fit_line(line, width, more="  "))


def _failed_undo_next(args: argparse.Namespace, counts: Any, journal: str) -> None:
    """What to do after an undo that stopped on a change, as ``_failed_next`` says it after an
    apply: fix the cause (or, a resource changed since the apply, restore it by hand to the
    state the journal records before it) and run the same --undo again, which skips what is
    back already. Safe-fixes trial round 10: it ended with the undo journal's line alone."""
    first = "a resource changed since the apply: restore it by hand to its before state " \
        f"in {journal} (or leave it and undo the rest by hand)" if counts.get("refused") \
        else "fix what stopped it"
    prose = f"next: {first}, then run the same --undo again (it skips what is back already):"
    line = f"{prose} {_undo_command(args, journal)}"
    width = stream_columns()
    if _quiet(args):
        _errors(args)(line)
    elif width is not None:
        print(_with_commands(prose, [(_undo_command(args, journal), "")], width))
    else:
        print(fit_line(line, width, more="  "))


def _undo_command(args: argparse.Namespace, journal: str) -> str:
    """The --undo command line of an apply's journal, with the flags it was applied with."""
    import shlex

    return f"secretgraph remediate --undo {shlex.quote(journal)}{_undo_flags(args)}"


def _undo_flags(args: argparse.Namespace) -> str:
    """The flags an --undo needs that this run was given (role, profile, endpoint, history;
    an ExternalId named, not repeated), each after a space."""
    import shlex

    flags = [""]
    for flag, value in (("--remediation-role-name", args.remediation_role_name),
                        ("--profile", args.profile), ("--endpoint-url", args.endpoint_url),
                        ("--history", args.history)):
        if value:
            flags.append(f"{flag} {shlex.quote(str(value))}")
    if args.external_id:
        flags.append("--external-id ...")  # the same one; not repeated on the screen
    return " ".join(flags)


def _quiet(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "quiet", False))


def _note(args: argparse.Namespace, line: str) -> None:
    """A note, on standard error; -q hides it (QUIET_HELP: "no plan, notes or change lines").
    Fault-injection trial round 4: with -q a SIGTERM printed only the no-history note."""
    if not _quiet(args):
        print(line, file=sys.stderr)


def _errors(args: argparse.Namespace) -> Any:
    """With -q (standard output discarded), where the apply's and undo's lines that say
    something went wrong go (FAILED, REFUSED, PARTIAL, UNVERIFIED, stopping, stopped): standard
    error, as the CLI's error line (--log-format json: a JSON object). Without -q: None, they
    are printed on stdout with the change lines. Fault-injection trial round 4: a failed or
    interrupted apply with -q printed no error at all, exit 1 or 143."""
    if not _quiet(args):
        return None
    from scanner.cli import _error

    return lambda line: _error(args, line)


def _summary(args: argparse.Namespace, ok: bool, line: str) -> None:
    """The journal line after an apply or undo: on stdout; with -q only when the run failed
    (the journal to undo from, or to read), on standard error with the lines before it."""
    if not _quiet(args):
        print(fit_line(line, stream_columns(), more="  "))
    elif not ok:
        _errors(args)(line)


@contextmanager
def _journal_named(journal: str, *, undo: bool) -> Iterator[None]:
    """Standard output that fails once changes may have been made (``> log`` on a full disk:
    a buffered write fails at the end, or in the re-read hook) names the journal, exit 1 --
    not a bare "cannot write to standard output", exit 2, as if nothing had happened
    (fault-injection trial). A stop midway already says so (``runs.say_stopped``)."""
    try:
        yield
    except StdoutError as exc:
        if exc.noted or not Path(journal).exists():
            raise  # said already; or nothing was begun (no journal)
        then = "an undo of it takes back what it undid" if undo else \
            f"secretgraph remediate --undo {journal} takes back what landed"
        said = exc.after(f"the journal {journal} records every change made; {then}")
        said.exit_code = 1
        raise said from None


def check_selection(selection: Selection, ruleset: Any, inputs: ScanInputs) -> Selection:
    """The selection with account names resolved to ids. A selector that names nothing is a
    mistake, not an empty plan: an unknown rule or remediation id (with the closest ids), an
    account that is neither an id nor a name of the scan's accounts (a name several accounts
    carry is refused), a finding id the scan does not have. UsageError (exit 2) before
    anything is written."""
    from scanner.engine.engine_rules import ENGINE_RULES
    from scanner.suggest import suggest

    from remediations import REMEDIATORS

    known = sorted({r.id for r in ruleset.rules}
                   # the rules the scan itself produces, and their manual remediations: a
                   # scan without such a finding has nothing to plan for them, as for any
                   # rule (new-user trial round 35: "unknown rule or remediation id
                   # 'suppression-expired'")
                   | set(ENGINE_RULES)
                   | {str(r.remediation["id"]) for r in ENGINE_RULES.values()}
                   | {str(r.remediation.get("id")) for r in ruleset.rules
                      if r.remediation.get("id")}
                   | set(REMEDIATORS)  # the remediators too (grant-key-decrypt)
                   # and the rules of the scan's own findings: a rule of one's own (scan
                   # --rules-dir) and its manual remediation id (review)
                   | {f.rule_id for f in inputs.findings}
                   | {str(f.remediation.get("id")) for f in inputs.findings
                      if isinstance(f.remediation, dict) and f.remediation.get("id")})
    for rule in selection.rules:
        if rule not in known:
            raise UsageError(f"--rule: unknown rule or remediation id {rule!r}"
                             f"{suggest(rule, known)} (see `secretgraph rules list`)")
    scanned = {a.account_id for a in inputs.snapshot.accounts}
    named = {i: n for i, n in inputs.snapshot.account_names().items() if i in scanned}
    accounts: list[str] = []
    for account in selection.accounts:
        if len(account) == 12 and account.isdigit():
            if account not in scanned:
                # what to do: the nearest ids (a digit mistyped), and where the scan's are
                # (safe-fixes trial round 14: the line named the mistake alone)
                raise UsageError(f"--account {account}: not an account of the scan"
                                 f"{suggest(account, sorted(scanned))}; the scan's accounts "
                                 "are listed by `jq -r '.scan.accounts[]' DIR/findings.json`")
            accounts.append(account)
            continue
        by_name = sorted(i for i, n in named.items() if n == account)
        if len(by_name) > 1:
            raise UsageError(f"--account {account!r}: the name of {len(by_name)} accounts "
                             f"({', '.join(by_name)}); give the account id")
        if not by_name:
            near = suggest(account, sorted(set(named.values())))
            raise UsageError(f"--account {account!r}: neither a 12-digit account id nor the "
                             f"name of an account of the scan{near}")
        accounts.append(by_name[0])
    ids = {f.id for f in inputs.findings}
    for finding in selection.findings:
        if finding not in ids:
            # an id cut short when copied is completed; any other, where the ids are read
            starts = sorted(i for i in ids if i.startswith(finding))
            if len(starts) == 1:
                raise UsageError(f"--finding {finding!r}: no such finding in the scan; the "
                                 f"finding whose id starts so: {starts[0]}")
            raise UsageError(
                f"--finding {finding!r}: no such finding in the scan; a finding's id is its "
                "id in findings.json (`jq -r '.findings[] | [.id, .rule_id, .resource.arn] "
                "| @tsv' DIR/findings.json` lists them), or --rule R for all of a rule's")
    return replace(selection, accounts=tuple(dict.fromkeys(accounts)))


def _reread_hook(args: argparse.Namespace, source: str) -> Any:
    """Record what was changed as re-read marks in the history (--history, else
    $SECRETGRAPH_HISTORY), so the next incremental scan reads those policies again. The store
    is opened (and checked) before anything is changed; without one, a note says (once something
    was changed) what the next scan relies on."""
    from scanner.history.store import env_history, open_store
    from scanner.remediate.engine import reread_marker

    uri = args.history if args.history is not None else env_history()
    if uri and "://" not in uri:  # a local file: writable before anything is changed
        from scanner.history.sqlite_store import path_problem

        problem = path_problem(uri)
        if problem is not None:  # a pipe: the open() below would wait for a reader
            raise UsageError(f"--history {uri}: {problem}; nothing was changed")
        history = output_file(uri, "--history")
        try:  # opened for append, not only asked: access() says yes to root on /sys
            with open(history, "ab"):
                pass  # a new file is empty: the store's to initialise
        except OSError as exc:
            raise UsageError(f"--history {history}: cannot be written ({exc.strerror or exc}; "
                             "the changed resources are marked in it): nothing was "
                             "changed") from None
    if not uri:
        def note(changes: Any) -> None:
            # broken between words on a terminal, as the other notes (new-user trial 16: 190
            # columns at 80)
            _note(args, fit_line("note: no history store (--history or $SECRETGRAPH_HISTORY): "
                                 "the changed resources are not marked for re-read; an "
                                 "incremental scan relies on their LastChangedDate (or run it "
                                 "with --full-refresh-days 1)", stream_columns(sys.stderr)))
        return note
    store = open_store(uri)
    mark = reread_marker(store, source)

    def changed(changes: Any) -> None:
        try:
            mark(changes)
        except SecretgraphError as exc:
            unmarked = InputError(f"the changes were made, but they could not be marked for "
                                  f"re-read ({exc}); run the next scan with "
                                  "--full-refresh-days 1", path=uri)
            unmarked.exit_code = 1  # not 2 ("nothing changed"): changes were made
            raise unmarked from None
        print(fit_line(f"marked {len(changes)} changed resource(s) for re-read in {uri}",
                       stream_columns(), more="  "))
    return changed


def save_plan(plan_path: str, plan: Plan, flag: str) -> None:
    """The plan file and, next to it, the plan as markdown and HTML (remediation-plan.md /
    .html), replaced together or not at all: a reviewer approves the .html, `--apply --plan`
    applies the .json (fault-injection trial round 4: on a nearly full disk the plan was
    replaced, its .md cut off and its .html yesterday's -- one change approved, six made).
    OutputError naming the file that could not be written, exit 2, the three as they were."""
    path = Path(plan_path)
    markdown, page = rendering_paths(path)  # their folder made by output_file, or --in's
    replace_together([(path, plan_text(plan)), (markdown, render_plan_markdown(plan)),
                      (page, render_plan_html(plan))], flag, path,
                     "the plan and its .md and .html are as they were")


def _run_undo(args: argparse.Namespace) -> int:
    journal = read_journal(args.undo)
    confirm = _confirm(args)
    # the audit role the scan read with, as the plan recorded it in the estate the journal
    # carries: never the write role of an undo either (safe-fixes trial round 9: --undo
    # took it, where --plan PLAN --apply refuses it)
    audit_role = journal.estate.get("audit_role")
    clients = _clients(args, audit_role if isinstance(audit_role, str) else None,
                       [e.change.account_id for e in journal.entries])
    out_path = args.journal or str(Path(args.undo).with_suffix("")) + f".undo-{_stamp()}.jsonl"
    _changing(args)
    with _journal_named(out_path, undo=True):
        result = undo_journal(journal, clients, undo_journal_path=out_path, confirm=confirm,
                              out=sys.stdout,
                              changed=_reread_hook(args, f"remediate undo {journal.plan_id}"),
                              errors=_errors(args), undo_flags=_undo_flags(args))
        if result.journal_path:
            counts = ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items()))
            _summary(args, result.ok, f"undo journal: {result.journal_path} ({counts})")
            if not result.ok:
                _failed_undo_next(args, result.counts, args.undo)
        sys.stdout.flush()
    return 0 if result.ok else 1
