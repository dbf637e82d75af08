"""What an apply (scanner.remediate.engine) and an undo (scanner.remediate.undo) share: the
run's result, the estate and credential checks, re-reading a resource, the lines a run says
(each fitted to the terminal, the alarming ones also on standard error), and how a run that
stops (Ctrl-C, SIGTERM, an AWS error) ends its journal and says what is left."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence, TextIO

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from remediations import REMEDIATORS
from scanner.aws.errors import error_kind
from scanner.aws.responses import answered
from scanner.changes import PlannedChange, canonical_json
from scanner.errors import InputError, Interrupted, StdoutError, Terminated
from scanner.remediate.journal import JournalError, JournalWriter
from scanner.remediate.sessions import ClientsFactory
from scanner.textfit import fit_line, stream_columns, terminal_safe


#: what an AWS call can raise besides a bug: its error, botocore's, and an answer botocore could
#: not parse (a proxy's "502 Bad Gateway" in text: ResponseParserError derives from Exception
#: only -- fault-injection trial: it stopped an apply as an internal error, exit 2, a change
#: made and the next one left "started")
AWS_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError, ResponseParserError)


log = logging.getLogger("secretgraph.remediate")


Confirm = Callable[[str], bool]


#: told, after an apply or undo, of every change that wrote to AWS or tried to
Changed = Callable[[Sequence[PlannedChange]], None]


#: told each line that says something went wrong (FAILED, REFUSED, PARTIAL, UNVERIFIED, the
#: stopping and stopped lines): `remediate -q` prints them on standard error, its stdout
#: discarded (fault-injection trial round 4: a failed or interrupted apply with -q printed no
#: error at all). None: they are printed on ``out`` with the other lines.
Errors = Callable[[str], None]


#: statuses after which a resource may differ from what the last scan read
WROTE = frozenset({"applied", "verify-failed", "failed", "partial", "undone", "started"})


@dataclass(kw_only=True)
class RunResult:
    counts: dict[str, int] = field(default_factory=dict)
    journal_path: str | None = None
    stopped: str | None = None  # why the run stopped early, if it did

    def add(self, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1

    @property
    def ok(self) -> bool:
        return self.stopped is None and not any(
            self.counts.get(s) for s in ("failed", "verify-failed", "refused", "partial"))


def error_text(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        e = exc.response.get("Error", {})
        return f"{e.get('Code', 'Error')}: {e.get('Message', '')}"
    return f"{type(exc).__name__}: {exc}"


OTHER_CREDENTIALS = "run with credentials (--profile, --endpoint-url) of the estate the plan " \
    "was built for, or build a new plan from a scan of this one"


#: the same for --undo: the journal's changes were made in its estate, and a plan of this one
#: undoes nothing (safe-fixes trial round 13: it gave the apply's advice)
OTHER_CREDENTIALS_UNDO = "run the same --undo with the credentials (--profile, " \
    "--endpoint-url) of the estate the apply changed"


def wrong_estate(run: str) -> str:
    """What a run refused for acting in another estate says after "wrong estate"."""
    advice = OTHER_CREDENTIALS_UNDO if run == "--undo" else OTHER_CREDENTIALS
    return f"wrong estate; nothing was changed: {advice}"


#: what to do when a resource could not be re-read before the first change (a read denied,
#: throttled, failed): safe-fixes trial round 10, the refusal ended with the error alone
UNREAD_NEXT = "the remediation role must be able to read each resource it changes " \
    "(`secretgraph iam-policy --for remediation-role` prints its policy): fix that, or wait " \
    "out a throttled or failed read, and run the same {run} again"


def gone_reason(exc: Exception) -> str | None:
    """The re-read's answer when the resource no longer exists (deleted since the scan or the
    apply: a route table, a secret deleted without recovery, a key past its waiting period):
    not a read the role lacks, which running the same command again can cure (safe-fixes trial
    round 11). None for any other failure."""
    return f"no longer exists ({error_text(exc)})" if error_kind(exc) == "not_found" else None


def region_off_reason(exc: Exception, change: PlannedChange) -> str | None:
    """The re-read's answer when the change's Region is not enabled for its account (an
    opt-in Region disabled since the scan or the apply: OptInRequired, or a token rejected in
    an opt-in Region -- the one classifier, scanner.aws.errors.error_kind): no IAM change
    makes it readable (safe-fixes trial round 13: the refusal said the remediation role must
    be able to read the resource). None for any other failure."""
    if error_kind(exc, region=change.region) != "region_disabled":
        return None
    return f"Region {change.region} is not enabled for account {change.account_id} " \
        f"({error_text(exc)})"


#: what to do when a change's Region is not enabled for its account ({run}: --apply, --undo)
REGION_OFF_NEXT = "a Region not enabled for the account cannot be read or changed there: " \
    "enable the Region in the account and run the same {run} again, or rescan and plan again"


#: what to do when the remediation role cannot be assumed (or its identity read) in an account
#: of the run: safe-fixes trial round 11, the refusal ended with the error alone
UNASSUMED_NEXT = "nothing was changed. The remediation role must exist in each account the " \
    "run changes and trust these credentials (`secretgraph iam-policy --for remediation-role` " \
    "prints its policy): fix that, or wait out a throttled or failed call, and run the same " \
    "{run} again"


def check_live_identity(accounts: Sequence[str], org_id: str | None, clients_for: ClientsFactory,
                        *, region: str, path: str, run: str = "--apply") -> None:
    """The credentials really act in each account, and in the plan's organization. ``run``:
    the command to run again once a role that cannot be assumed is fixed."""
    for account in sorted(set(accounts)):
        clients = clients_for(account)
        try:
            actual = answered(clients.client("sts", region).get_caller_identity(),
                              "sts GetCallerIdentity", "Account")
        except AWS_ERRORS as exc:
            raise InputError(f"cannot act in account {account} with the remediation role: "
                             f"{error_text(exc)}; {UNASSUMED_NEXT.format(run=run)}",
                             path=path) from None
        if str(actual) != account:
            raise InputError(f"the credentials for account {account} act in {actual}: "
                             f"{wrong_estate(run)}", path=path, field="estate.account_ids")
        if org_id is None:
            continue
        try:
            live = clients.client("organizations", "us-east-1").describe_organization()
            live_org: str | None = answered(live, "organizations DescribeOrganization",
                                            "Organization", "Id")
        except AWS_ERRORS as exc:  # an answer without the id too (UnexpectedAnswer)
            code = exc.response.get("Error", {}).get("Code", "") \
                if isinstance(exc, ClientError) else ""
            if code == "AWSOrganizationsNotInUseException":
                live_org = None
            else:
                log.warning("could not confirm the organization from %s (%s); relying on the "
                            "account identity", account, error_text(exc))
                continue
        if live_org != org_id:
            whose = "the journal's changes were made in" if run == "--undo" else \
                "the plan is for"
            raise InputError(f"account {account} is in organization {live_org or '(none)'}, "
                             f"{whose} {org_id}: {wrong_estate(run)}", path=path,
                             field="estate.org_id")


def read_current(change: PlannedChange, clients_for: ClientsFactory) -> dict[str, Any]:
    module = REMEDIATORS[change.remediation_id]
    return dict(module.read_current(clients_for(change.account_id), change))


def note_stop(exc: BaseException, journal: JournalWriter,
              wrote: list[PlannedChange]) -> tuple[str, PlannedChange | None]:
    """A run stopped by ``exc``: why, and the change in flight (its started line written: its
    calls may have landed, so it counts among those written)."""
    flight = journal.in_flight
    if flight is not None:
        wrote.append(flight)
    last = journal.last_outcome
    if last is not None and last[1] in WROTE and all(c is not last[0] for c in wrote):
        # stopped between a change's outcome line and the loop's count of it (while saying
        # what happened): it was written all the same
        wrote.append(last[0])
    return why_stopped(exc), flight


def end_run(journal: JournalWriter, result: RunResult, interrupted: str | None,
            wrote: Sequence[PlannedChange], changed: Changed | None, *, out: TextIO | None,
            errors: Errors | None, note: Callable[[str], str]) -> None:
    """The end line (a journal that cannot take it fails the run only if nothing else did),
    then ``changed`` told of every change written or tried. A run that did not stop midway
    and stops here (Ctrl-C, SIGTERM, the end line not written, while the history is told what
    changed) has every change journaled: ``note(why)`` says where, as a stop midway does --
    the apply's and the undo's alike (new-user trial: Ctrl-C there printed only
    "interrupted"; safe-fixes trial round 11: the undo's still did, and a journal full there
    exited 2, "nothing changed", after the changes)."""
    try:
        try:
            journal.close(result.counts, interrupted=interrupted)
        except JournalError:
            if interrupted is None:
                raise
        finally:
            if changed is not None and wrote:
                changed(wrote)
    except BaseException as exc:
        if interrupted is None:
            say_stopped(out, exc, note(why_stopped(exc)), wrote, errors)
        raise


def say_stopped(out: TextIO | None, exc: BaseException, note: str,
               wrote: Sequence[PlannedChange], errors: Errors | None = None) -> None:
    """The stop note, where the user sees it. Standard output that cannot be written (``>
    log`` on a full disk) stopped the run itself: the note goes into the error the CLI prints
    on standard error instead (exit 1 once something was changed, as for a journal that
    cannot be written) -- fault-injection trial: only "cannot write to standard output" was
    said, exit 2, with changes made and the journal unnamed."""
    if isinstance(exc, JournalError) and wrote:
        exc.exit_code = 1  # not 2, "nothing changed": changes were made
    if isinstance(exc, StdoutError):
        exc.args = (f"{exc}; {note}",)
        exc.noted = True
        if wrote:
            exc.exit_code = 1
        log.info(note)
        return
    alarm(out, errors, note)


def why_stopped(exc: BaseException) -> str:
    if isinstance(exc, StdoutError):
        return "standard output could not be written"
    if isinstance(exc, JournalError):
        return "the journal could not be written"
    if isinstance(exc, Terminated):
        return "SIGTERM"
    if isinstance(exc, KeyboardInterrupt):
        return "Ctrl-C"
    return type(exc).__name__


def left_undone(changes: Sequence[PlannedChange], current: PlannedChange | None,
          journal: JournalWriter) -> int:
    """The changes the run did not reach: those after ``current`` (None: after the last one),
    and ``current`` itself when the journal has no line of it -- stopped before its first call
    (while re-reading it), it is neither in flight nor made (fault-injection trial round 4:
    Ctrl-C while change 4 of 6 re-read its key policy said "2 change(s) not reached")."""
    if current is None or current not in changes:
        return 0
    after = len(changes) - list(changes).index(current) - 1
    last = journal.last_outcome
    reached = journal.in_flight is current or (last is not None and last[0] is current)
    return after if reached else after + 1


def stopped_note(journal_path: str, flight: PlannedChange | None, why: str, *, undo: bool,
                  left: int = 0, apply_journal: str | None = None, flags: str = "") -> str:
    """What a run stopped midway leaves, for the line printed before it exits. ``flight``:
    the change whose calls had started (its started line written, no outcome)."""
    doing = "undone" if undo else "applied"
    state = f"{flight.change_id} ({flight.resource_arn}) was being {doing} and may be " \
        "partly made; " if flight is not None else ""
    rest = f"{left} change(s) not reached; " if left else ""
    then = f"run secretgraph remediate --undo {apply_journal}{flags} again (it skips what " \
        "is already back)" if undo else f"secretgraph remediate --undo {journal_path}{flags} " \
        "takes back what landed (it re-reads each resource first); the same --apply again " \
        "goes on from there (a change already made is a no-op)"
    return f"stopped ({why}): {state}{rest}the journal {journal_path} records every change " \
        f"made so far; {then}"


def changed_since(change: PlannedChange, keys: Sequence[str], since: str,
                  current: Mapping[str, Any] | None = None) -> str:
    """``k1, k2 changed since <since>``, with what the remediator says of a changed condition
    of the change (``condition_drift(change, key, current)``, where it has one): the drifted
    key of a grant-key-decrypt is the key policy's resource, and ``secret_exists`` alone did
    not say which secret -- two statements on one key are for two (safe-fixes trial round
    16). Given the state read now (``current``), a changed policy says which statements
    differ from the plan's (``policy_drift``)."""
    explain = getattr(REMEDIATORS.get(change.remediation_id), "condition_drift", None)
    notes = [n for n in (explain(change, k, current) for k in keys) if n] if explain else []
    if current is not None:
        notes += [f"{k}: {d}" for k in keys
                  if (d := policy_drift(change.pre_state.get(k), current.get(k)))]
    return f"{', '.join(keys)} changed since {since}" + (f" ({'; '.join(notes)})" if notes
                                                         else "")


def policy_drift(expected: Any, current: Any, most: int = 3) -> str | None:
    """Which statements of a policy read now differ from the one a plan expected (``statement
    2 (Console) added; statement 0 (Apps) removed``), or None when either is no policy
    document. A refusal said only "key_policy changed since the scan", and which of the
    console's edits was in the way was left to a diff by hand (safe-fixes trial round 18)."""
    if expected is None and isinstance(current, Mapping):
        return "a policy was attached"
    if current is None and isinstance(expected, Mapping):
        return "the policy was deleted"
    if not isinstance(expected, Mapping) or not isinstance(current, Mapping):
        return None

    def statements(doc: Mapping[str, Any]) -> list[Any]:
        st = doc.get("Statement")
        return st if isinstance(st, list) else [st] if st is not None else []

    def label(i: int, stmt: Any) -> str:
        sid = stmt.get("Sid") if isinstance(stmt, Mapping) else None
        named = f" ({terminal_safe(str(sid), newlines=False)[:60]})" if sid else ""
        return f"statement {i}{named}"

    before, now = statements(expected), statements(current)
    texts_before = [canonical_json(x) for x in before]
    texts_now = [canonical_json(x) for x in now]
    said = [f"{label(i, x)} removed" for i, x in enumerate(before)
            if texts_before[i] not in texts_now]
    said += [f"{label(i, x)} added or changed" for i, x in enumerate(now)
             if texts_now[i] not in texts_before]
    keys = sorted(k for k in set(expected) | set(current) if k != "Statement"
                  and canonical_json(expected.get(k)) != canonical_json(current.get(k)))
    said += [f"{terminal_safe(str(k), newlines=False)[:40]} changed" for k in keys]
    if not said and texts_before != texts_now:
        said = ["statements reordered"]
    if len(said) > most:
        said = said[:most] + [f"{len(said) - most} more"]
    return "; ".join(said) or None


def conditions_of(change: PlannedChange) -> frozenset[str]:
    """The state keys that are conditions of the change, not what it sets: planned with the
    same value before and after (move-secret-to-cmk's ``target_key_state``,
    ``target_key_policy_as_planned``, and the ``rotation_enabled`` its RotateSecret keeps on).
    The apply checks them (drift); the change's calls leave them as they are and its undo puts
    nothing of them back, so what became of them since is no change of the apply's to take
    back over (safe-fixes trial round 13: the key the secret moved to, disabled since the
    apply, refused the undo that moves the secret off it)."""
    return frozenset(k for k, v in change.pre_state.items() if k in change.desired_state
                     and canonical_json(change.desired_state[k]) == canonical_json(v))


def undo_expected_before(change: PlannedChange, before: Mapping[str, Any]) -> dict[str, Any]:
    """What the change set, as it was before the apply (its conditions left out)."""
    kept = conditions_of(change)
    return {k: before.get(k) for k in change.pre_state if k not in kept}


@contextmanager
def nothing_changed_yet(doing: str) -> Iterator[None]:
    """Ctrl-C or SIGTERM while ``doing`` before the first change -- the identities checked and
    every resource re-read (minutes on a large plan), the credentials' own account asked for
    (scanner.commands.remediate) --: the line says nothing was changed and no journal was
    written, as at the confirmation (safe-fixes trial round 9: it said only "interrupted")."""
    try:
        yield
    except KeyboardInterrupt as exc:
        if isinstance(exc, Interrupted):
            raise
        raise Interrupted(f"interrupted while {doing}; nothing was changed and no journal "
                          "was written") from None


def say(out: TextIO | None, text: str) -> None:
    log.info(text)
    if out is not None:
        # a line names a change's resource (hostile input): no escape sequence, carriage
        # return or newline of a name reaches the terminal (docs/reports.md, "Hostile input");
        # on a terminal it is wrapped between words to its width, as the plan above it is
        # (new-user trial: "applied  chg-... arn:aws:ec2:...:route-table/rtb-..." ran to
        # column 116 at 80 columns); a file or a pipe keeps the one line
        print(fit_line(terminal_safe(text, newlines=False), stream_columns(out)), file=out)


def alarm(out: TextIO | None, errors: Errors | None, text: str) -> None:
    """A line that says something went wrong: to ``errors`` when given (`remediate -q`),
    else printed on ``out`` with the other lines."""
    if errors is None:
        say(out, text)
        return
    log.info(text)
    errors(text)
