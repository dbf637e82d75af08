"""`secretgraph rules list|show|validate`: show the rule catalog or one rule, check rule files.

``rules list [--rules-dir DIR ...] [--compliance FRAMEWORK] [--format table|json]`` lists the
built-in rules plus those of each ``--rules-dir`` directory; with ``--compliance`` only the rules
mapped to that framework, with their controls. ``rules show RULE [--format table|json]``
prints one rule: what it checks, why it matters, its parameters and what to do. ``rules
validate PATH...`` checks rule files (or directories of them): schema, then the semantic pass;
the first problem exits 2 naming file, rule and field.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from scanner.engine.loader import (
    Rule,
    RuleScope,
    Ruleset,
    builtin_rules_dir,
    load_rule_file,
    load_ruleset,
    resolve_framework,
    rule_files,
    select_rules,
    unique_rules,
)
from scanner.errors import InputError, UsageError

HELP = ("list the rules, show one (what it checks, why, what to do), or validate rule files "
        "(exit 2 naming file, rule and field)")
#: what -q/--quiet does here (scanner.cli: the help of -q)
QUIET_HELP = ("print no list, rule or count, only errors (the exit code is the same: for "
              "validate, whether the rule files are valid)")
#: with -q, standard output is discarded: errors (stderr) only
QUIET_DISCARDS_STDOUT = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="rules_command", metavar="ACTION")
    lst = sub.add_parser("list", help="list the built-in rules and those of --rules-dir DIRs")
    lst.add_argument("--rules-dir", action="append", default=[], metavar="DIR",
                     dest="rules_dir", help="an extra directory of rule files (repeatable)")
    lst.add_argument("--compliance", metavar="FRAMEWORK",
                     help="only the rules mapped to this framework (e.g. aws-fsbp, "
                     "nist-800-53-r5, pci-dss-4.0, cis-aws), with their controls")
    lst.add_argument("--format", choices=("table", "json"), default="table",
                     help="table (default) or json (one object per rule)")
    show = sub.add_parser("show", help="what one rule checks, why it matters and what to do")
    show.add_argument("rule_id", metavar="RULE", help="a rule id (as `rules list` shows it)")
    show.add_argument("--rules-dir", action="append", default=[], metavar="DIR",
                      dest="rules_dir", help="an extra directory of rule files (repeatable)")
    # table is the plain-text format in every command (docs/configuration.md); text, its
    # first name here, stays accepted
    show.add_argument("--format", choices=("table", "json", "text"), default="table",
                      help="table (default: the rule in words) or json (the rule's fields)")
    show.add_argument("--details", action="store_true",
                      help="also every case the rule fails and when it answers UNKNOWN (the "
                           "default shows what fails in short, why it matters and what to do)")
    val = sub.add_parser("validate", help="validate rule files or directories of them")
    val.add_argument("paths", nargs="+", metavar="PATH",
                     help="a rule file (.yaml, .yml) or a directory of them; repeatable. Each is "
                          "checked against the rule schema and the operators, as scan "
                          "--rules-dir loads it: exit 2 naming the file, the rule and the "
                          "field")


def rule_rows(ruleset: Ruleset) -> list[dict[str, object]]:
    return [{
        "id": r.id, "severity": r.severity.value, "resource": list(r.resources),
        "title": r.title, "parameters": {n: p.default for n, p in r.parameters.items()},
        "remediation": r.remediation.get("id"),
        "compliance": {k: list(v) for k, v in r.compliance.items()}, "path": r.path,
    } for r in ruleset.rules]


def run(args: argparse.Namespace) -> int:
    action = getattr(args, "rules_command", None)
    if action == "list":
        ruleset = load_ruleset(args.rules_dir)
        framework = None
        if args.compliance:
            framework = resolve_framework(args.compliance, ruleset)
            ruleset = select_rules(ruleset, RuleScope(compliance=(framework,)))
        rows = rule_rows(ruleset)
        if args.format == "json":
            if framework is None:
                # the rules the scan produces itself, as the table's last line names them
                # (new-user trial round 35: the JSON form left them out): no rule file
                # (``path`` null), and when they are evaluated (``evaluated``)
                from scanner.engine.engine_rules import ENGINE_RULES

                rows = rows + [{
                    "id": r.id, "severity": r.severity.value, "resource": list(r.resources),
                    "title": r.title, "parameters": {},
                    "remediation": r.remediation.get("id"), "compliance": {}, "path": None,
                    "evaluated": r.evaluated} for r in ENGINE_RULES.values()]
            print(json.dumps(rows, indent=2))
            return 0
        from reports.table import Col, fit_table, terminal_width
        from scanner.textfit import terminal_safe

        third = "resource" if framework is None else f"{framework} controls"
        table = [[r.id, r.severity.value, ", ".join(r.resources) if framework is None
                  else ", ".join(r.compliance[framework]), r.title] for r in ruleset.rules]
        # a custom rule's title is the user's text: no escape sequence reaches the terminal
        table = [[terminal_safe(cell, newlines=False) for cell in row] for row in table]
        # a rule id is never broken (it is what --rules and the config take: new-user trial
        # at 80 columns, `identity-policy-` / `secret-wildcard`), up to 40 columns
        longest = min(40, max([14] + [len(row[0]) for row in table]))
        # nor a resource kind or a control id: the column is never narrower than the longest
        # one and wraps between them only (new-user trial round 9: "CoverageGro" / "up")
        item = min(30, max([8] + [len(item) for row in table
                                  for item in row[2].split(", ")]))
        width = max(60, terminal_width())
        # the table while its title column keeps 30 columns (at 80 a title took 4-5 lines
        # of 18: new-user trial 17), else a block per rule
        if width >= longest + 8 + item + 30 + 3 * 2:
            print(fit_table([Col("rule", longest, 40, 3), Col("severity", 8, 13, 1),
                             Col(third, item, 30, 3, hyphens=False),
                             Col("title", 16, 90, 6, give=0.5)],
                            table, width))
        else:
            # too narrow for the table with whole ids (review: 72 columns at a 60-column
            # terminal): a block per rule, the id and severity, then what it judges and title
            from scanner.textfit import wrap_to_width

            for rid, severity, what, title in table:
                print(f"{rid}  {severity}")
                for line in wrap_to_width(f"{what}: {title}", width - 4):
                    print(f"    {line}")
        what = f" mapped to {framework}" if framework else ""
        print(f"\n{len(rows)} rule{'s' if len(rows) != 1 else ''}{what}")
        if framework is None:
            # their findings stand beside the pack's in every report (new-user trial 30)
            from scanner.engine.engine_rules import ENGINE_RULES
            from scanner.textfit import wrap_to_width

            print("\n".join(wrap_to_width(
                "also produced by the scan itself: " + ", ".join(
                    f"{r.id} ({r.evaluated})" for r in ENGINE_RULES.values())
                + "; `secretgraph rules show ID` explains each", width, hyphens=False)))
        return 0
    if action == "show":
        return _show(args)
    if action == "validate":
        paths: list[Path] = []
        seen: set[Path] = set()
        for raw in args.paths:
            p = Path(raw)
            if p.is_dir():
                found = rule_files(p)
            elif p.exists():  # a file, or a pipe (<(cmd)): read through scanner.input_file
                found = [p]
            else:
                raise InputError("no such file or directory", path=raw)
            # a file named twice (a folder and a file of it, one folder given twice) is read
            # once, as `scan --rules-dir D --rules-dir D` reads D once: it was its own
            # "duplicate rule id (also defined in <the same file>)"
            for f in found:
                if f.resolve() not in seen:
                    seen.add(f.resolve())
                    paths.append(f)
        if not paths:
            raise InputError("no rule files (*.yaml, *.yml) found", path=", ".join(args.paths))
        # custom rules are loaded beside the built-in ones, as `scan --rules-dir` loads them:
        # a custom rule that reuses a built-in id is refused there, so it is here
        builtin_files = {f.resolve() for f in rule_files(builtin_rules_dir())}
        custom = [f for f in paths if f.resolve() not in builtin_files]
        # every bad file named at once, not the first alone: a folder with three mistakes
        # took three runs (new-user trial round 18)
        bad: list[InputError] = []
        # each file is read once: a pipe (<(cmd)) has nothing left to read a second time
        loaded: dict[Path, Rule] = {}
        for f in custom or paths:
            try:
                loaded[f] = load_rule_file(f)
            except InputError as exc:
                bad.append(exc)
        if len(bad) > 1:
            raise InputError(f"{len(bad)} of {len(custom or paths)} rule files are invalid: "
                             + "; ".join(map(str, bad)))
        if bad:
            raise bad[0]
        unique_rules((f, loaded[f] if f in loaded else load_rule_file(f))
                     for f in ([*sorted(builtin_files), *custom] if custom else paths))
        print(f"{len(paths)} rule file(s) valid")
        return 0
    raise UsageError("expected an action: secretgraph rules list | show RULE | validate PATH...")


def _show(args: argparse.Namespace) -> int:
    """`rules show RULE`: the rule's title, severity and resource kinds, what it checks (its
    description), why it matters (rationale), its parameters with their defaults, what to do
    (its remediation, and whether `remediate --apply` can do it), its compliance controls and
    references -- the morning reader of a finding had docs/rules.md or findings.json for that
    (new-user trial round 25: no `explain RULE`)."""
    from scanner.engine.engine_rules import ENGINE_RULES
    from scanner.engine.loader import (automated_for_some, automated_remediations,
                                       unknown_rule_words)
    from scanner.textfit import terminal_safe, wrap_to_width
    from reports.table import terminal_width

    ruleset = load_ruleset(args.rules_dir)
    rule = ruleset.get(args.rule_id)
    # a rule the scan itself produces (its findings are in every report: new-user trial 30)
    engine = ENGINE_RULES.get(args.rule_id) if rule is None else None
    if rule is None and engine is None:
        raise UsageError(f"no rule {args.rule_id!r}"
                         + unknown_rule_words(args.rule_id, ruleset, [*ENGINE_RULES])
                         + " (`secretgraph rules list` lists them)")
    fields: dict[str, Any]
    if rule is not None:
        remediation: dict[str, object] = dict(rule.remediation)
        fields = {"id": rule.id, "title": rule.title, "severity": rule.severity.value,
                  "resource": list(rule.resources), "summary": rule.summary or None,
                  "description": rule.description, "unknown_when": rule.unknown_when or None,
                  "rationale": rule.rationale,
                  "parameters": {n: {"type": p.type, "default": p.default,
                                     "description": p.description}
                                 for n, p in rule.parameters.items()},
                  "remediation": remediation,
                  "compliance": {k: list(v) for k, v in rule.compliance.items()},
                  "references": list(rule.references), "path": rule.path}
    else:
        assert engine is not None
        remediation = dict(engine.remediation)
        fields = {"id": engine.id, "title": engine.title, "severity": engine.severity.value,
                  "resource": list(engine.resources), "summary": None,
                  "description": engine.description, "unknown_when": None,
                  "rationale": engine.rationale, "parameters": {},
                  "remediation": remediation, "compliance": {},
                  "references": [], "path": None, "evaluated": engine.evaluated}
    fix_id = str(remediation.get("id", ""))
    automated = fix_id in automated_remediations()
    remediation["automated"] = automated
    some = automated_for_some().get(fix_id)
    if some is not None:
        remediation["automated_for"] = f"{some[1]} ({some[0]})"
    if args.format == "json":
        print(json.dumps(fields, indent=2))
        return 0
    width = max(60, terminal_width())
    out: list[str] = []

    def para(label: str, text: str) -> None:
        out.append(f"{label}:")
        # ids and control names are not broken at their hyphens
        out.extend("  " + line for line in wrap_to_width(
            " ".join(str(text).split()), width - 2, hyphens=False))

    # what a newcomer needs first (new-user trial round 37: secret-rotation-no-network-path
    # printed ~770 words, its "What it checks" paragraph mixing the check with the cases it
    # answers UNKNOWN): what fails in short, why it matters, what to do; every case it fails
    # and when it answers UNKNOWN with --details
    summary, unknown_when = fields["summary"], fields["unknown_when"]
    out.append(f"{fields['id']}  {fields['severity']}  ({', '.join(fields['resource'])})")
    out.extend(wrap_to_width(str(fields["title"]), width))
    out.append("")
    if summary:
        para("In short", str(summary))
    else:  # a rule of one's own without a summary: its description says what fails
        para("What it checks", str(fields["description"]))
    para("Why it matters", str(fields["rationale"]))
    para("What to do", str(remediation.get("description", "")))
    if automated:
        how = (f"remediation {fix_id}: automated (`secretgraph remediate --in DIR` plans it, "
               "`--apply` makes it)")
    elif some is not None:
        how = (f"remediation {fix_id}: automated for {some[1]} ({some[0]}: `secretgraph "
               "remediate --in DIR` plans it, `--apply` makes it); a manual step otherwise")
    elif engine is not None:
        how = f"remediation {fix_id}: a manual step"
    else:
        how = (f"remediation {fix_id}: a manual step (`secretgraph remediate --in DIR` lists "
               "it)")
    out.extend("  " + line for line in wrap_to_width(how, width - 2, hyphens=False))
    if rule is not None and rule.parameters:
        out.append("Parameters (config rules.<id>.parameters):")
        for name, spec in rule.parameters.items():
            out.extend("  " + line for line in wrap_to_width(
                f"{name} = {json.dumps(spec.default)} ({spec.accepts}): "
                f"{' '.join(spec.description.split())}",
                width - 2))
    if engine is not None:
        para("Produced by", f"the scan itself, not by a rule file ({engine.evaluated})")
    more = [what for what, there in (("every case it fails", summary),
                                     ("when it answers UNKNOWN", unknown_when)) if there]
    if getattr(args, "details", False):
        if summary:
            para("What fails, in detail", str(fields["description"]))
        if unknown_when:
            para("When it answers UNKNOWN", str(unknown_when))
    if rule is not None and rule.compliance:
        para("Compliance", "; ".join(f"{k}: {', '.join(v)}" for k, v in
                                     rule.compliance.items()))
    if rule is not None and rule.references:
        out.append("References:")
        out.extend(f"  {ref}" for ref in rule.references)
    if more and not getattr(args, "details", False):
        said = " and ".join(more)
        # the command on a line of its own, whole, to be copied
        out += ["", f"{said[0].upper()}{said[1:]} (or docs/rules.md):",
                f"  secretgraph rules show {fields['id']} --details"]
    # a custom rule's text is the user's: no escape sequence reaches the terminal
    print("\n".join(terminal_safe(line, newlines=False) for line in out))
    return 0
