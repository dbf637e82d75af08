"""Apply a plan and undo a journal -- the only code in secretgraph that writes to AWS.

apply_plan:
  1. refuses a stale plan (older than max_plan_age_hours: the plan's own, or the apply's
     config's when shorter), a plan for another estate or another scan of it (the scan at
     hand: accounts, organization, scan id; and the live credentials: each account's
     identity, the organization id);
  2. re-reads every resource and refuses the whole plan if any differs from the state the plan
     was built on (drift) -- nothing is changed;
  3. asks for confirmation (unless --yes);
  4. per change: re-reads again (drift -> stop), skips it when already in the desired state
     (so a second apply changes nothing), makes the calls, verifies, and journals before/after.

undo_journal reverts the applied, reversible changes of a journal, newest first, after checking
that every one of them still looks like the journal's "after" (else nothing is changed).

Both end by calling ``changed`` (when given) with every change they wrote to AWS, or tried to:
the CLI records those resources as re-read marks in the history (``reread_marker``), so the
next incremental scan reads their policies instead of carrying the ones it read before.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Mapping, Sequence, TextIO

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from remediations import REMEDIATORS
from scanner.aws.errors import error_kind
from scanner.changes import ApiCall, PlannedChange, canonical_json, differences, execute, \
    matches, state_digest
from scanner.errors import InputError, Interrupted, SecretgraphError, StdoutError, \
    Terminated, UsageError
from scanner.remediate.journal import Journal, JournalEntry, JournalError, JournalWriter
from scanner.remediate.planfile import Estate, Plan, parse_time
from scanner.remediate.sessions import ClientsFactory
from scanner.textfit import fit_line, stream_columns, terminal_safe

#: what an AWS call can raise besides a bug: its error, botocore's, and an answer botocore could
#: not parse (a proxy's "502 Bad Gateway" in text: ResponseParserError derives from Exception
#: only -- fault-injection trial: it stopped an apply as an internal error, exit 2, a change
#: made and the next one left "started")
_AWS_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError, ResponseParserError)

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
#: apply outcomes that --undo takes back: applied, and those where a call may have landed
#: (re-read first: nothing is written where the resource is as it was before)
UNDOABLE = frozenset({"applied", "partial", "verify-failed", "failed", "started"})


def reread_marker(store: Any, source: str) -> Changed:
    """A ``changed`` hook that records the changed resources as re-read marks in ``store`` (a
    scanner.history store), stamped after the changes."""
    from scanner.history.records import ReReadMark
    from scanner.incremental import stamp

    def mark(changes: Sequence[PlannedChange]) -> None:
        at = stamp()
        store.mark_reread([ReReadMark(resource=c.resource_arn, marked_at=at, source=source,
                                      account_id=c.account_id)
                           for c in {c.resource_arn: c for c in changes}.values()])
    return mark


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


def _err(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        e = exc.response.get("Error", {})
        return f"{e.get('Code', 'Error')}: {e.get('Message', '')}"
    return f"{type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------- checks


def check_age(plan: Plan, *, now: datetime, max_age_hours: float, path: str) -> None:
    created = parse_time(plan.created_at, path=path, field="created_at")
    age = (now - created).total_seconds() / 3600
    if age > max_age_hours:
        # minutes below a few hours: "0.1 hours old (more than 0.1)" read as a contradiction
        told = f"{age * 60:.0f} minutes" if age < 3 else f"{age:.1f} hours"
        limit = f"{max_age_hours * 60:g} minutes" if max_age_hours < 3 else \
            f"{max_age_hours:g} hours"
        raise InputError(f"plan is {told} old (more than {limit}, max_plan_age_hours): the "
                         "estate may have changed; build a new plan from a new scan",
                         path=path, field="created_at")
    if age < -0.1:
        raise InputError(f"plan was created in the future ({plan.created_at}; this machine's "
                         "clock says otherwise): check the clock, or build a new plan from a "
                         "new scan", path=path, field="created_at")


#: what to do with a plan for another estate than the scan given (safe-fixes trial round 10:
#: the refusals named the mismatch only)
_OTHER_SCAN = "give --in the scan the plan was built from, or build a new plan from this scan"
_OTHER_CREDENTIALS = "run with credentials (--profile, --endpoint-url) of the estate the plan " \
    "was built for, or build a new plan from a scan of this one"
#: the same for --undo: the journal's changes were made in its estate, and a plan of this one
#: undoes nothing (safe-fixes trial round 13: it gave the apply's advice)
_OTHER_CREDENTIALS_UNDO = "run the same --undo with the credentials (--profile, " \
    "--endpoint-url) of the estate the apply changed"


def _wrong_estate(run: str) -> str:
    """What a run refused for acting in another estate says after "wrong estate"."""
    advice = _OTHER_CREDENTIALS_UNDO if run == "--undo" else _OTHER_CREDENTIALS
    return f"wrong estate; nothing was changed: {advice}"


#: what to do when a resource could not be re-read before the first change (a read denied,
#: throttled, failed): safe-fixes trial round 10, the refusal ended with the error alone
UNREAD_NEXT = "the remediation role must be able to read each resource it changes " \
    "(`secretgraph iam-policy --for remediation-role` prints its policy): fix that, or wait " \
    "out a throttled or failed read, and run the same {run} again"


def _gone(exc: Exception) -> str | None:
    """The re-read's answer when the resource no longer exists (deleted since the scan or the
    apply: a route table, a secret deleted without recovery, a key past its waiting period):
    not a read the role lacks, which running the same command again can cure (safe-fixes trial
    round 11). None for any other failure."""
    return f"no longer exists ({_err(exc)})" if error_kind(exc) == "not_found" else None


def _region_off(exc: Exception, change: PlannedChange) -> str | None:
    """The re-read's answer when the change's Region is not enabled for its account (an
    opt-in Region disabled since the scan or the apply: OptInRequired, or a token rejected in
    an opt-in Region -- the one classifier, scanner.aws.errors.error_kind): no IAM change
    makes it readable (safe-fixes trial round 13: the refusal said the remediation role must
    be able to read the resource). None for any other failure."""
    if error_kind(exc, region=change.region) != "region_disabled":
        return None
    return f"Region {change.region} is not enabled for account {change.account_id} " \
        f"({_err(exc)})"


#: what to do when a change's Region is not enabled for its account ({run}: --apply, --undo)
REGION_OFF_NEXT = "a Region not enabled for the account cannot be read or changed there: " \
    "enable the Region in the account and run the same {run} again, or rescan and plan again"


def check_estate(plan_estate: Estate, current: Estate | None, *, path: str) -> None:
    """The plan must be for the estate of the scan at hand (organization and accounts)."""
    if current is None:
        return
    # the accounts first: a scan of some accounts of the organization (--accounts, no --org)
    # reads no organization, and was refused as "the scan is of (none)", its accounts members
    # of the plan's organization all the same (safe-fixes trial round 12)
    outside = sorted(set(plan_estate.account_ids) - set(current.account_ids))
    if outside:
        raise InputError(f"plan covers account(s) {', '.join(outside)} that the scan does "
                         f"not: {_OTHER_SCAN}", path=path, field="estate.account_ids")
    if plan_estate.org_id != current.org_id:
        of = f"is of {current.org_id}" if current.org_id else \
            "names none (scanned without --org, or of accounts in no organization)"
        raise InputError(f"plan is for organization {plan_estate.org_id or '(none)'} but the scan "
                         f"{of}: {_OTHER_SCAN}", path=path, field="estate.org_id")
    if plan_estate.scan_id != current.scan_id:
        # the same estate, another scan (tonight's, with last night's plan): what the plan
        # promises -- no reader in the trust zone lost, none let in from outside -- was
        # weighed on its own scan, and the re-read before the first change compares only the
        # resources the plan changes (safe-fixes trial round 13: a plan applied with --in or
        # --history naming a newer scan went ahead without a word)
        raise InputError(f"plan was built from scan {plan_estate.scan_id}, not from the scan "
                         f"given ({current.scan_id}): its predicted effects were weighed on "
                         f"the estate as that scan read it; nothing was changed: "
                         f"{_OTHER_SCAN}", path=path, field="estate.scan_id")


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
            actual = clients.client("sts", region).get_caller_identity()["Account"]
        except _AWS_ERRORS as exc:
            raise InputError(f"cannot act in account {account} with the remediation role: "
                             f"{_err(exc)}; {UNASSUMED_NEXT.format(run=run)}",
                             path=path) from None
        if str(actual) != account:
            raise InputError(f"the credentials for account {account} act in {actual}: "
                             f"{_wrong_estate(run)}", path=path, field="estate.account_ids")
        if org_id is None:
            continue
        try:
            live = clients.client("organizations", "us-east-1").describe_organization()
            live_org: str | None = live["Organization"]["Id"]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "AWSOrganizationsNotInUseException":
                live_org = None
            else:
                log.warning("could not confirm the organization from %s (%s); relying on the "
                            "account identity", account, _err(exc))
                continue
        if live_org != org_id:
            whose = "the journal's changes were made in" if run == "--undo" else \
                "the plan is for"
            raise InputError(f"account {account} is in organization {live_org or '(none)'}, "
                             f"{whose} {org_id}: {_wrong_estate(run)}", path=path,
                             field="estate.org_id")


def _chains(changes: Sequence[PlannedChange]) -> dict[str, list[PlannedChange]]:
    """target -> the plan's changes to it, in order (edits of one policy chain)."""
    chains: dict[str, list[PlannedChange]] = {}
    for c in changes:
        chains.setdefault(c.target, []).append(c)
    return chains


def _later(change: PlannedChange, chains: Mapping[str, list[PlannedChange]]
           ) -> list[PlannedChange]:
    chain = chains.get(change.target, [])
    return chain[chain.index(change) + 1:] if change in chain else []


def _read(change: PlannedChange, clients_for: ClientsFactory) -> dict[str, Any]:
    module = REMEDIATORS[change.remediation_id]
    return dict(module.read_current(clients_for(change.account_id), change))


def preflight(changes: Sequence[PlannedChange], clients_for: ClientsFactory, *,
              path: str) -> None:
    """Every target must still be in the state the plan was built on, or in a state a change
    of the plan leads to (already fixed, or a chain of edits partly applied)."""
    drifted: list[str] = []
    unread: list[str] = []
    stuck: list[str] = []  # not reversible, and short of the plan: for a person to finish
    gone = False  # a resource that no longer exists
    moved = 0  # drifted resources an earlier apply may have changed (none deletes one)
    off: list[str] = []  # in a Region not enabled for its account
    for chain in _chains(changes).values():
        change = chain[0]
        try:
            current = _read(change, clients_for)
        except _AWS_ERRORS as exc:
            missing = _gone(exc)
            if missing:
                gone = True
            disabled = _region_off(exc, change)
            (drifted if missing else off if disabled else unread).append(
                f"{change.change_id} ({change.resource_arn}): "
                f"{missing or disabled or _err(exc)}")
            continue
        if current.get("deleted"):  # scheduled for deletion since the scan: AWS refuses edits
            drifted.append(f"{change.change_id} ({change.resource_arn}): scheduled for "
                           "deletion since the scan")
            continue
        if any(matches(c.desired_state, current) for c in chain):
            continue
        if not matches(change.pre_state, current):
            keys = ", ".join(differences(change.pre_state, current))
            moved += 1
            drifted.append(f"{change.change_id} ({change.resource_arn}): {keys} changed since "
                           "the scan")
            if not change.reversible:
                stuck.append(f"{change.change_id} is not reversible, so --undo cannot take it "
                             "back: " + ", ".join(
                                 f"{k} is {current.get(k)!r}, planned "
                                 f"{change.desired_state.get(k)!r}"
                                 for k in differences(change.desired_state, current))
                             + " -- finish it by hand")
    if drifted or unread or off:
        # --undo is offered only where it can help: a change it cannot take back (cancel-key-
        # deletion left Disabled by a refused EnableKey) is for a person to finish (safe-fixes
        # trial, defect 5: the re-run said "--undo it" and --undo said "nothing to undo")
        # and only for a resource that is still there: no apply deletes one (safe-fixes trial
        # round 14: a plan applied to a moto server restarted empty, every resource gone, was
        # told to --undo an earlier apply's journal)
        undoable = len(stuck) < moved
        hint = " (if an earlier apply of this plan stopped midway, its journal says what it " \
            "changed: " + "; ".join(stuck + (["--undo it, or rescan and plan again"]
                                            if undoable else ["then rescan and plan again"])) \
            + ")" if moved else ""
        raise InputError("refusing the whole plan, nothing was changed; " + "; ".join(
            ([f"resources drifted: {'; '.join(drifted)}"] if drifted else [])
            + ([f"could not re-read: {'; '.join(unread + off)}"] if unread or off else []))
            + hint
            + (". A resource deleted since the scan is not there to change: rescan and plan "
               "again" if gone else "")
            + (". To apply: " + "; ".join(
                ([UNREAD_NEXT.format(run="--apply")] if unread else [])
                + ([REGION_OFF_NEXT.format(run="--apply")] if off else []))
               if unread or off else ""), path=path)


# --------------------------------------------------------------------------- apply

#: what an apply of a plan without a change says (and all it does: no role, no question)
NOTHING_TO_APPLY = "nothing to apply: the plan has no changes"


def apply_plan(plan: Plan, clients_for: ClientsFactory, *, journal_path: str, plan_path: str,
               max_age_hours: float, current_estate: Estate | None = None,
               confirm: Confirm | None = None, now: datetime | None = None,
               out: TextIO | None = None, region: str = "us-east-1",
               changed: Changed | None = None, errors: Errors | None = None,
               undo_flags: str = "") -> RunResult:
    """``undo_flags``: the flags an --undo of this apply needs (the role, the endpoint, ...),
    named after the journal in the line a stop midway prints."""
    now = now or datetime.now(timezone.utc)
    # the plan's own limit (its config's) holds; a --config given here may only shorten it
    if plan.max_age_hours is not None:
        max_age_hours = min(max_age_hours, plan.max_age_hours)
    check_age(plan, now=now, max_age_hours=max_age_hours, path=plan_path)
    check_estate(plan.estate, current_estate, path=plan_path)
    result = RunResult()
    if not plan.changes:
        _say(out, NOTHING_TO_APPLY)
        return result
    # first: a second apply of the plan is refused before it re-reads anything or asks -- it
    # went through the re-read of the first apply's half-made changes (refused as drifted, the
    # hint to --undo the running apply's journal) and the question, and was refused after the
    # answer (safe-fixes trial round 12)
    lock = _lock(plan_path)
    try:
        return _apply_locked(plan, clients_for, result, journal_path=journal_path,
                             plan_path=plan_path, confirm=confirm, out=out, region=region,
                             changed=changed, errors=errors, undo_flags=undo_flags)
    finally:
        if lock is not None:
            lock.close()  # releases the lock


def another_apply_running(plan_path: str) -> None:
    """InputError (exit 2) when an apply of the plan at ``plan_path`` holds its lock: checked
    by the command before it shows the plan or says how the plan's last apply ended (that
    apply's journal has no end line while it runs: the note called it killed, and offered
    --undo of it; safe-fixes trial round 12). ``apply_plan`` takes the lock for itself."""
    lock = _lock(plan_path)
    if lock is not None:
        lock.close()


def _apply_locked(plan: Plan, clients_for: ClientsFactory, result: RunResult, *,
                  journal_path: str, plan_path: str, confirm: Confirm | None,
                  out: TextIO | None, region: str, changed: Changed | None,
                  errors: Errors | None, undo_flags: str) -> RunResult:
    """apply_plan, its lock held."""
    with nothing_changed_yet("re-reading the resources before applying anything"):
        check_live_identity([c.account_id for c in plan.changes], plan.estate.org_id,
                            clients_for, region=region, path=plan_path)
        preflight(plan.changes, clients_for, path=plan_path)
    if confirm is not None and not confirm(
            f"Apply {len(plan.changes)} change(s) of plan {plan.plan_id} to "
            f"{len({c.account_id for c in plan.changes})} account(s)?"):
        _say(out, "not applied: not confirmed")
        result.stopped = "not confirmed"
        return result
    journal = JournalWriter(journal_path, mode="apply", plan_id=plan.plan_id,
                            estate=plan.estate.to_json(), source=plan_path)
    result.journal_path = journal_path
    chains = _chains(plan.changes)
    wrote: list[PlannedChange] = []
    current: PlannedChange | None = None
    interrupted: str | None = None
    try:
        for change in plan.changes:
            current = change
            status = _apply_one(change, clients_for, journal, out, later=_later(change, chains),
                                errors=errors)
            current = None
            result.add(status)
            if status in WROTE:
                wrote.append(change)
            if status not in ("applied", "noop"):
                result.stopped = f"{change.change_id}: {status}"
                _alarm(out, errors,
                       f"stopping: {change.change_id} {status}; later changes not attempted")
                break
    except BaseException as exc:  # Ctrl-C, SIGTERM, a journal that cannot be written
        interrupted, flight = _stopping(exc, journal, wrote)
        _stop_said(out, exc, _stopped_note(journal_path, flight, interrupted, undo=False,
                                           left=_left(plan.changes, current, journal),
                                           flags=undo_flags), wrote, errors)
        raise
    finally:
        _finish(journal, result, interrupted, wrote, changed, out=out, errors=errors,
                note=lambda why: _stopped_note(journal_path, None, why, undo=False,
                                               flags=undo_flags))
    return result


def _stopping(exc: BaseException, journal: JournalWriter,
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
    return _why_stopped(exc), flight


def _finish(journal: JournalWriter, result: RunResult, interrupted: str | None,
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
            _stop_said(out, exc, note(_why_stopped(exc)), wrote, errors)
        raise


def lock_path(plan_path: str) -> str:
    """The apply lock of a plan file: ``<plan>.lock`` beside the file itself, the path resolved
    through symbolic links -- a plan applied as ``plan.json``, a link to it, and as its target
    at once took two locks and both applied (safe-fixes trial round 12)."""
    import os

    return f"{os.path.realpath(plan_path)}.lock"


def _lock(plan_path: str) -> Any:
    """An exclusive lock for the apply of a plan, on ``<plan>.lock`` beside it (released when
    the process ends, even killed): two applies of one plan at once each took the other's
    change for their own (fault-injection trial). A file of its own: a re-plan replaces the
    plan file (a lock on it was a lock on the old inode), and it is opened for writing (NFS
    takes flock as a POSIX lock, which needs that). None where no lock file can be written (a
    plan on a read-only file system): the apply goes on, as it did before locks."""
    import os

    if not os.path.isfile(plan_path):  # a plan built in memory: no file to lock beside
        return None
    lock = lock_path(plan_path)
    try:
        fh = open(lock, "a")
    except OSError as exc:
        try:  # another operator's lock file (not writable by us): a read descriptor locks too
            fh = open(lock, "r")
        except OSError:
            log.warning("no lock for this apply (%s: %s): nothing stops a second apply of "
                        "the same plan at the same time", lock, exc.strerror or exc)
            return None
    try:
        busy = _held_elsewhere(fh)
    except OSError as exc:
        fh.close()
        log.warning("no lock for this apply (%s: %s)", lock, exc.strerror or exc)
        return None
    if busy:
        fh.close()
        raise InputError("another apply of this plan is running (its lock file "
                         f"{lock} is held); wait for it, or check its journal",
                         path=plan_path) from None
    return fh


def _held_elsewhere(fh: Any) -> bool:
    """Take the apply lock on the open lock file ``fh`` (held until it is closed): False when
    taken, True when another apply holds it; OSError when the system refuses the lock itself
    (``_lock`` and ``not_being_applied`` both ask it)."""
    import errno
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return True
        raise
    return False


@contextmanager
def not_being_applied(plan_path: str, flag: str) -> Iterator[None]:
    """Held while a new plan replaces the plan file at ``plan_path``: the apply lock of that
    file, taken only where an apply made one (a plan alone leaves no lock file). UsageError
    (exit 2) while an apply of the plan there runs: a re-plan into it replaced the plan being
    applied -- its .md and .html, the ones reviewed, too -- and the command's own apply was
    then refused as "another apply of this plan", of a plan nobody had applied (safe-fixes
    trial round 12)."""
    try:
        fh = open(lock_path(plan_path), "r")
    except OSError:  # no lock file (never applied), or not ours to open: nothing to hold
        yield
        return
    try:
        try:
            busy = _held_elsewhere(fh)
        except OSError:  # the system takes no lock here: nothing to hold, as before locks
            busy = False
        if busy:
            raise UsageError(
                f"{flag} {plan_path}: the plan there is being applied now (its lock file "
                f"{lock_path(plan_path)} is held): a new plan would replace it under that "
                "apply; wait for the apply to finish, or save the new plan in another file "
                "with --plan-out FILE; nothing was changed")
        yield
    finally:
        fh.close()


def _stop_said(out: TextIO | None, exc: BaseException, note: str,
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
    _alarm(out, errors, note)


def _why_stopped(exc: BaseException) -> str:
    if isinstance(exc, StdoutError):
        return "standard output could not be written"
    if isinstance(exc, JournalError):
        return "the journal could not be written"
    if isinstance(exc, Terminated):
        return "SIGTERM"
    if isinstance(exc, KeyboardInterrupt):
        return "Ctrl-C"
    return type(exc).__name__


def _left(changes: Sequence[PlannedChange], current: PlannedChange | None,
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


def _stopped_note(journal_path: str, flight: PlannedChange | None, why: str, *, undo: bool,
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


def _apply_one(change: PlannedChange, clients_for: ClientsFactory, journal: JournalWriter,
               out: TextIO | None, later: Sequence[PlannedChange] = (),
               errors: Errors | None = None) -> str:
    module = REMEDIATORS[change.remediation_id]
    clients = clients_for(change.account_id)
    label = f"{change.change_id} {change.remediation_id} {change.resource_arn}"
    try:
        before = dict(module.read_current(clients, change))
    except _AWS_ERRORS as exc:
        journal.change(change, status="failed", before=None, after=None,
                       message=f"cannot re-read: {_err(exc)}")
        _alarm(out, errors, f"FAILED   {label}: cannot re-read: {_err(exc)}")
        return "failed"
    if before.get("deleted"):  # scheduled for deletion since the preflight: AWS refuses
        journal.change(change, status="refused", before=before, after=None,
                       message="drift: scheduled for deletion since the plan")
        _alarm(out, errors, f"REFUSED  {label}: scheduled for deletion since the plan")
        return "refused"
    if matches(change.desired_state, before):
        # a call whose effect the state read cannot show (RotateSecret: a new version) may
        # still be owed by an earlier apply that stopped after the state was set
        unseen = [c.operation for c in change.calls
                  if c.operation in getattr(module, "UNOBSERVED_CALLS", ())]
        owed = f"; {', '.join(unseen)} leaves no trace in the state read: if an earlier " \
            "apply of this plan ended partial here, make it by hand" if unseen else ""
        journal.change(change, status="noop", before=before, after=before,
                       message="already in the desired state" + owed)
        _say(out, f"no-op    {label}: already in the desired state{owed}")
        return "noop"
    past = next((c for c in later if matches(c.desired_state, before)), None)
    if past is not None:
        journal.change(change, status="noop", before=before, after=None,
                       message=f"already past this change: {past.change_id} of this plan, "
                               "which builds on it, is in place")
        _say(out, f"no-op    {label}: already past it ({past.change_id} is in place)")
        return "noop"
    if not matches(change.pre_state, before):
        keys = ", ".join(differences(change.pre_state, before))
        journal.change(change, status="refused", before=before, after=None,
                       message=f"drift: {keys} changed since the plan")
        _alarm(out, errors, f"REFUSED  {label}: {keys} changed since the plan")
        return "refused"
    journal.started(change, before)
    try:
        applied = module.apply(clients, change)
    except _AWS_ERRORS + (SecretgraphError,) as exc:
        return _after_failure(change, module, clients, journal, out, label, before, _err(exc),
                              errors)
    log.info("applied %s (%d call(s))", label, len(applied.calls))
    try:
        verification = module.verify(clients, change)
    except _AWS_ERRORS as exc:
        journal.change(change, status="verify-failed", before=before, after=None,
                       message=f"cannot verify: {_err(exc)}; the calls were made (--undo "
                               "re-reads the resource)")
        _alarm(out, errors, f"UNVERIFIED {label}: {_err(exc)}")
        return "verify-failed"
    status = "applied" if verification.ok else "verify-failed"
    journal.change(change, status=status, before=before, after=verification.current,
                   message=verification.message)
    line = f"{'applied ' if verification.ok else 'UNVERIFIED'} {label}" \
        + (f": {verification.message}" if verification.message else "")
    _alarm(out, None if verification.ok else errors, line)
    return status


def _after_failure(change: PlannedChange, module: Any, clients: Any, journal: JournalWriter,
                   out: TextIO | None, label: str, before: Mapping[str, Any],
                   error: str, errors: Errors | None = None) -> str:
    """A call of the change failed: an earlier call of it may have landed (UpdateSecret before
    a refused RotateSecret), or this one (a lost response: the retry then fails on what the
    first attempt made). The resource is re-read so the journal holds what is there now."""
    try:
        now = dict(module.read_current(clients, change))
    except _AWS_ERRORS as exc:
        journal.change(change, status="failed", before=before, after=None,
                       message=f"{error}; the resource could not be re-read ({_err(exc)}): "
                               "whether a call landed is unknown (--undo re-reads it)")
        _alarm(out, errors, f"FAILED   {label}: {error} (whether a call landed is unknown)")
        return "failed"
    if matches(_undo_expected_before(change, before), now):
        journal.change(change, status="failed", before=before, after=now,
                       message=f"{error}; re-read: nothing changed")
        _alarm(out, errors, f"FAILED   {label}: {error}")
        return "failed"
    changed_keys = ", ".join(differences(_undo_expected_before(change, before), now))
    owed = differences(change.desired_state, now)
    todo = "; still short of the plan: " + ", ".join(
        f"{k} is {now.get(k)!r}, planned {change.desired_state.get(k)!r}" for k in owed) \
        + " (finish it by hand" + (", or --undo the journal" if change.reversible else "") \
        + ")" if owed else ""
    journal.change(change, status="partial", before=before, after=now,
                   message=f"{error}; re-read: {changed_keys} changed, so part of the change "
                           f"(or all of it) landed{todo}")
    _alarm(out, errors, f"PARTIAL  {label}: {error}; {changed_keys} changed all the same{todo}")
    return "partial"


# --------------------------------------------------------------------------- undo


def _conditions(change: PlannedChange) -> frozenset[str]:
    """The state keys that are conditions of the change, not what it sets: planned with the
    same value before and after (move-secret-to-cmk's ``target_key_state``,
    ``target_key_policy_as_planned``, and the ``rotation_enabled`` its RotateSecret keeps on).
    The apply checks them (drift); the change's calls leave them as they are and its undo puts
    nothing of them back, so what became of them since is no change of the apply's to take
    back over (safe-fixes trial round 13: the key the secret moved to, disabled since the
    apply, refused the undo that moves the secret off it)."""
    return frozenset(k for k, v in change.pre_state.items() if k in change.desired_state
                     and canonical_json(change.desired_state[k]) == canonical_json(v))


def _undo_expected_after(change: PlannedChange, after: Mapping[str, Any]) -> dict[str, Any]:
    """What the change set, as the apply left it (its conditions left out)."""
    kept = _conditions(change)
    return {k: after.get(k) for k in change.desired_state if k not in kept}


def _undo_expected_before(change: PlannedChange, before: Mapping[str, Any]) -> dict[str, Any]:
    """What the change set, as it was before the apply (its conditions left out)."""
    kept = _conditions(change)
    return {k: before.get(k) for k in change.pre_state if k not in kept}


def undo_journal(journal: Journal, clients_for: ClientsFactory, *, undo_journal_path: str,
                 confirm: Confirm | None = None, out: TextIO | None = None,
                 region: str = "us-east-1", changed: Changed | None = None,
                 errors: Errors | None = None, undo_flags: str = "") -> RunResult:
    if journal.mode != "apply":
        # what to do instead (safe-fixes trial round 10: "undo twice" on the undo's journal)
        raise InputError(f"this is the journal of an {journal.mode}; only an apply can be "
                         f"undone: to make the changes of plan {journal.plan_id} again, run "
                         "its --apply again (secretgraph remediate --plan PLAN --apply; a plan "
                         "older than max_plan_age_hours: rescan and plan again)",
                         path=journal.path, field="mode")
    # every change that made (or may have made) a call: applied; partial, failed or unverified
    # after a call; started and never finished (the run stopped during it)
    applied = [e for e in journal.entries if _undoable(e, journal.digested)]
    result = RunResult()
    if journal.torn == "change":
        _say(out, f"note: the last line of {journal.path} was cut off (the run stopped while "
                  "writing it) and is left out; the change it was about is re-read")
    elif journal.torn:
        _say(out, f"note: the end line of {journal.path} was cut off (the run stopped while "
                  "writing it); every change line is whole")
    for e in journal.entries:
        if e.status == "applied" and (e.before is None or e.after is None):
            raise InputError(f"change {e.change.change_id} has no before/after state",
                             path=journal.path, field=f"record {e.seq + 1}")
    reversible = [e for e in reversed(applied) if e.change.reversible]
    not_reversible = [e for e in applied if not e.change.reversible]
    for e in not_reversible:
        owed = differences(e.change.desired_state, e.after) if e.after is not None else []
        short = "; it stopped partway: " + ", ".join(
            f"{k} is {e.after.get(k)!r}, planned {e.change.desired_state.get(k)!r}"
            for k in owed) + " -- finish it by hand" if owed and e.after is not None else ""
        _say(out, f"not reversible: {e.change.change_id} {e.change.remediation_id} "
             f"{e.change.resource_arn} (undo by hand if needed{short})")
    if not reversible:
        _say(out, "nothing to undo")
        return result
    org_id = journal.estate.get("org_id") if isinstance(journal.estate.get("org_id"), str) \
        else None
    with nothing_changed_yet("re-reading the resources before undoing anything"):
        check_live_identity([e.change.account_id for e in reversible], org_id, clients_for,
                            region=region, path=journal.path, run="--undo")
        check = _undo_preflight(reversible, clients_for)
    if check.refused:
        # what to do next (safe-fixes trial round 10: the line named the resource and left the
        # operator there; --undo takes the whole journal or nothing)
        raise InputError("refusing to undo, nothing was changed; " + "; ".join(
            ([f"the journal does not match the resources: {'; '.join(check.mismatched)}"]
             if check.mismatched else [])
            + ([f"could not re-read: {'; '.join([*check.unread, *check.regions_off])}"]
               if check.unread or check.regions_off else [])
            + ([f"deleted since the apply: {'; '.join(check.gone)}"] if check.gone else [])
            + ([f"scheduled for deletion since the apply: {'; '.join(check.scheduled)}"]
               if check.scheduled else [])) + ". To undo: "
            + "; ".join((["put each resource that changed back as the apply left it (its after "
                          "in the journal) and run the same --undo again, or restore each "
                          "change's before by hand"] if check.mismatched else [])
                        + ([UNREAD_NEXT.format(run="--undo")] if check.unread else [])
                        + ([REGION_OFF_NEXT.format(run="--undo")] if check.regions_off
                           else [])
                        + (["a resource that no longer exists has nothing of it left to take "
                            "back: restore the before state (in the journal) of the other "
                            "changes by hand"] if check.gone else [])
                        + (["Secrets Manager changes no secret scheduled for deletion: cancel "
                            "its deletion (RestoreSecret) and run the same --undo again, or "
                            "leave it deleted and restore the before state (in the journal) "
                            "of the other changes by hand"] if check.scheduled else [])),
            path=journal.path)
    if confirm is not None:
        # what is asked about, as an apply shows its plan before it asks: the question alone
        # named no change (new-user trial round 28)
        _say(out, f"to undo ({len(reversible)}, newest first: each put back as it was before "
                  "the apply):")
        for e in reversible:
            _say(out, f"  {e.change.change_id} {e.change.remediation_id} "
                      f"{e.change.resource_arn}: {e.change.summary}")
    if confirm is not None and not confirm(f"Undo {len(reversible)} change(s) of plan "
                                           f"{journal.plan_id}?"):
        _say(out, "not undone: not confirmed")
        result.stopped = "not confirmed"
        return result
    writer = JournalWriter(undo_journal_path, mode="undo", plan_id=journal.plan_id,
                           estate=journal.estate, source=journal.path)
    result.journal_path = undo_journal_path
    wrote: list[PlannedChange] = []
    current_change: PlannedChange | None = None
    interrupted: str | None = None
    try:
        for n, e in enumerate(reversible):
            current_change = e.change
            status = _undo_one(e, clients_for, writer, out, errors)
            current_change = None
            result.add(status)
            if status in WROTE:
                wrote.append(e.change)
            if status not in ("undone", "noop"):
                result.stopped = f"{e.change.change_id}: {status}"
                left = len(reversible) - n - 1
                _alarm(out, errors, f"stopping: {e.change.change_id} {status}"
                     + (f"; {left} older change(s) not undone (run the undo again once the "
                        "cause is fixed)" if left else ""))
                break
    except BaseException as exc:  # Ctrl-C, SIGTERM, a journal that cannot be written
        interrupted, flight = _stopping(exc, writer, wrote)
        _stop_said(out, exc, _stopped_note(undo_journal_path, flight, interrupted, undo=True,
                                           left=_left([e.change for e in reversible],
                                                      current_change, writer),
                                           apply_journal=journal.path, flags=undo_flags),
                   wrote, errors)
        raise
    finally:
        _finish(writer, result, interrupted, wrote, changed, out=out, errors=errors,
                note=lambda why: _stopped_note(undo_journal_path, None, why, undo=True,
                                               apply_journal=journal.path,
                                               flags=undo_flags))
    return result


@dataclass(frozen=True, kw_only=True)
class _UndoCheck:
    """What the undo's re-read before its first change found, one line per change: what
    differs from the journal's after; the resources that could not be re-read; those that no
    longer exist; the secrets scheduled for deletion (AWS changes none of them)."""

    mismatched: Sequence[str]
    unread: Sequence[str]
    gone: Sequence[str]
    scheduled: Sequence[str]
    #: in a Region not enabled for its account (``_region_off``)
    regions_off: Sequence[str] = ()

    @property
    def refused(self) -> bool:
        return bool(self.mismatched or self.unread or self.gone or self.scheduled
                    or self.regions_off)


def _undo_preflight(reversible: Sequence[JournalEntry], clients_for: ClientsFactory
                    ) -> _UndoCheck:
    """The newest change per target must still look like its "after" (or be back as it was
    before), and be a resource AWS lets the undo change."""
    mismatched: list[str] = []
    unread: list[str] = []
    gone: list[str] = []
    scheduled: list[str] = []
    off: list[str] = []
    seen: set[str] = set()
    for e in reversible:
        if e.change.target in seen:
            continue
        seen.add(e.change.target)
        assert e.before is not None
        try:
            current = _read(e.change, clients_for)
        except _AWS_ERRORS as exc:
            missing = _gone(exc)
            disabled = _region_off(exc, e.change)
            (gone if missing else off if disabled else unread).append(
                f"{e.change.change_id} ({e.change.resource_arn}): "
                f"{missing or disabled or _err(exc)}")
            continue
        if current.get("deleted"):  # safe-fixes trial round 11: undone partway, then refused
            scheduled.append(f"{e.change.change_id} ({e.change.resource_arn})")
            continue
        if matches(_undo_expected_before(e.change, e.before), current):
            continue  # already back as it was (or the call never landed)
        if not _landed(e, current):
            expected = _undo_expected_after(e.change, e.after or e.change.desired_state)
            mismatched.append(f"{e.change.change_id} ({e.change.resource_arn}): "
                              f"{', '.join(differences(expected, current))} changed since "
                              "the apply" + ("" if e.status == "applied" else
                                             f" (the change ended {e.status}: compare with "
                                             "its before state in the journal and undo by "
                                             "hand)"))
    return _UndoCheck(mismatched=mismatched, unread=unread, gone=gone, scheduled=scheduled,
                      regions_off=off)


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


def _undoable(e: JournalEntry, digested: bool) -> bool:
    """A change --undo takes back: applied, partial, unverified, or in flight; a failed one
    only when the journal could not tell whether a call landed (no re-read after the failure,
    ``after`` None) -- one whose re-read showed nothing changed made no change to take back
    (regression check: undo of such a line reverted a later apply's fix), and an earlier
    version's failed lines did not re-read at all (they were never undone)."""
    if e.before is None or e.status not in UNDOABLE:
        return False
    if e.status == "failed":
        return digested and e.after is None
    return True


def _landed(e: JournalEntry, current: Mapping[str, Any]) -> bool:
    """The resource is as the apply left it: its recorded ``after``; for a change whose
    outcome was not recorded (in flight, failed without a re-read, unverified), the state
    the change leads to."""
    if e.after is not None and matches(_undo_expected_after(e.change, e.after), current):
        return True
    return e.status != "applied" and matches(
        _undo_expected_after(e.change, e.change.desired_state), current)


def _undo_one(e: JournalEntry, clients_for: ClientsFactory, writer: JournalWriter,
              out: TextIO | None, errors: Errors | None = None) -> str:
    change, before = e.change, e.before or {}
    module = REMEDIATORS[change.remediation_id]
    clients = clients_for(change.account_id)
    label = f"{change.change_id} {change.remediation_id} {change.resource_arn}"
    want = _undo_expected_before(change, before)
    try:
        current = dict(module.read_current(clients, change))
    except _AWS_ERRORS as exc:
        writer.change(change, status="failed", before=None, after=None,
                      message=f"cannot re-read: {_err(exc)}")
        _alarm(out, errors, f"FAILED   {label}: cannot re-read: {_err(exc)}")
        return "failed"
    if current.get("deleted"):  # scheduled for deletion since the preflight: AWS refuses
        writer.change(change, status="refused", before=current, after=None,
                      message="scheduled for deletion since the apply")
        _alarm(out, errors, f"REFUSED  {label}: scheduled for deletion since the apply")
        return "refused"
    if matches(want, current):
        writer.change(change, status="noop", before=current, after=current,
                      message="already as before the apply")
        _say(out, f"no-op    {label}: already as before the apply")
        return "noop"
    if not _landed(e, current):
        writer.change(change, status="refused", before=current, after=None,
                      message="changed since the apply")
        _alarm(out, errors, f"REFUSED  {label}: changed since the apply")
        return "refused"
    calls: tuple[ApiCall, ...] | None = module.undo_call(change, before)
    if not calls:
        writer.change(change, status="not-reversible", before=current, after=None)
        return "not-reversible"
    writer.started(change, current)
    try:
        execute(clients, calls)
    except _AWS_ERRORS + (SecretgraphError,) as exc:
        return _undo_after_failure(change, module, clients, writer, out, label, current, want,
                                   _err(exc), errors)
    try:
        now_state = dict(module.read_current(clients, change))
    except _AWS_ERRORS as exc:
        writer.change(change, status="verify-failed", before=current, after=None,
                      message=f"cannot verify: {_err(exc)}; the call was made (the same --undo "
                              "re-reads the resource)")
        _alarm(out, errors, f"UNVERIFIED {label}: {_err(exc)}")
        return "verify-failed"
    ok = matches(want, now_state)
    writer.change(change, status="undone" if ok else "verify-failed", before=current,
                  after=now_state,
                  message="" if ok else f"still differs: {', '.join(differences(want, now_state))}")
    _alarm(out, None if ok else errors, f"{'undone  ' if ok else 'UNVERIFIED'} {label}")
    log.info("undid %s (state digest %s)", label, state_digest(now_state))
    return "undone" if ok else "verify-failed"


def _undo_after_failure(change: PlannedChange, module: Any, clients: Any,
                        writer: JournalWriter, out: TextIO | None, label: str,
                        current: Mapping[str, Any], want: Mapping[str, Any], error: str,
                        errors: Errors | None = None) -> str:
    """The undo call failed: it may have landed all the same (an answer lost on the way back
    whose retry then failed), so the resource is re-read and the undo journal holds what is
    there now, as an apply's failed call is (``_after_failure``). Safe-fixes trial round 10:
    a PutKeyPolicy that restored the policy and lost its answer was journaled and shown
    ``FAILED``, the policy back as before."""
    try:
        now = dict(module.read_current(clients, change))
    except _AWS_ERRORS as exc:
        writer.change(change, status="failed", before=current, after=None,
                      message=f"{error}; the resource could not be re-read ({_err(exc)}): "
                              "whether the call landed is unknown (the same --undo re-reads "
                              "it)")
        _alarm(out, errors, f"FAILED   {label}: {error} (whether the call landed is unknown)")
        return "failed"
    if matches(want, now):
        writer.change(change, status="undone", before=current, after=now,
                      message=f"{error}; re-read: as before the apply (the call landed, its "
                              "answer was lost)")
        _say(out, f"undone   {label} ({error}, but the re-read shows it as before the apply)")
        return "undone"
    if matches(_undo_expected_after(change, current), now):
        writer.change(change, status="failed", before=current, after=now,
                      message=f"{error}; re-read: nothing changed")
        _alarm(out, errors, f"FAILED   {label}: {error}")
        return "failed"
    writer.change(change, status="verify-failed", before=current, after=now,
                  message=f"{error}; re-read: it changed, but still differs: "
                          f"{', '.join(differences(want, now))}")
    _alarm(out, errors, f"UNVERIFIED {label}: {error}; it changed all the same, still "
                        f"differs: {', '.join(differences(want, now))}")
    return "verify-failed"


def _say(out: TextIO | None, text: str) -> None:
    log.info(text)
    if out is not None:
        # a line names a change's resource (hostile input): no escape sequence, carriage
        # return or newline of a name reaches the terminal (docs/reports.md, "Hostile input");
        # on a terminal it is wrapped between words to its width, as the plan above it is
        # (new-user trial: "applied  chg-... arn:aws:ec2:...:route-table/rtb-..." ran to
        # column 116 at 80 columns); a file or a pipe keeps the one line
        print(fit_line(terminal_safe(text, newlines=False), stream_columns(out)), file=out)


def _alarm(out: TextIO | None, errors: Errors | None, text: str) -> None:
    """A line that says something went wrong: to ``errors`` when given (`remediate -q`),
    else printed on ``out`` with the other lines."""
    if errors is None:
        _say(out, text)
        return
    log.info(text)
    errors(text)
