"""Apply a plan -- with scanner.remediate.undo, the only code in secretgraph that changes the
audited resources. (Other writes go to secretgraph's own places: the Security Hub export's
findings, the S3 history store's objects, the deployment's SNS messages; README.md.)

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

An apply and an undo (scanner.remediate.undo.undo_journal) share scanner.remediate.runs. Both
end by calling ``changed`` (when given) with every change they wrote to AWS, or tried to: the
CLI records those resources as re-read marks in the history (``reread_marker``), so the next
incremental scan reads their policies instead of carrying the ones it read before.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterator, Mapping, Sequence, TextIO

from remediations import REMEDIATORS
from scanner.changes import PlannedChange, differences, matches
from scanner.errors import InputError, SecretgraphError, UsageError
from scanner.remediate.journal import JournalWriter
from scanner.remediate.planfile import Estate, Plan, parse_time
from scanner.remediate.sessions import ClientsFactory
from scanner.remediate.runs import (
    AWS_ERRORS, Changed, Confirm, Errors, REGION_OFF_NEXT, RunResult, UNREAD_NEXT, WROTE, alarm,
    changed_since, check_live_identity, conditions_of, end_run, error_text, gone_reason,
    left_undone, log, note_stop, nothing_changed_yet, read_current, region_off_reason, say,
    say_stopped, stopped_note, undo_expected_before)


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


def preflight(changes: Sequence[PlannedChange], clients_for: ClientsFactory, *,
              path: str) -> None:
    """Every target must still be in the state the plan was built on, or in a state a change
    of the plan leads to (already fixed, or a chain of edits partly applied)."""
    drifted: list[str] = []
    unread: list[str] = []
    stuck: list[str] = []  # not reversible, and short of the plan: for a person to finish
    gone = False  # a resource that no longer exists
    moved = 0  # drifted resources an earlier apply may have changed (none deletes one)
    replan = False  # a condition of a change no longer holds (no apply changes one)
    off: list[str] = []  # in a Region not enabled for its account

    def _reread(change: PlannedChange) -> dict[str, Any] | None:
        """The change's resource as it is now; None when it cannot be read (noted why)."""
        nonlocal gone
        try:
            return read_current(change, clients_for)
        except AWS_ERRORS as exc:
            missing = gone_reason(exc)
            if missing:
                gone = True
            disabled = region_off_reason(exc, change)
            (drifted if missing else off if disabled else unread).append(
                f"{change.change_id} ({change.resource_arn}): "
                f"{missing or disabled or error_text(exc)}")
            return None

    for chain in _chains(changes).values():
        change = chain[0]
        current = _reread(change)
        if current is None:
            continue
        for later in chain[1:]:
            # each change of a chain has its own conditions (the secret each grant-key-decrypt
            # statement of one key is for): the head's re-read holds the head's alone, and a
            # later one's secret gone since the scan stopped the run after the head was
            # written (safe-fixes trial round 16); read once the head's resource can be
            # read, so an unreadable key is said once
            kept = conditions_of(later)
            if not kept:
                continue
            now = _reread(later)
            if now is None:
                continue
            lost = [k for k in sorted(kept) if not matches({k: later.pre_state[k]}, now)]
            if lost:
                replan = True
                drifted.append(f"{later.change_id} ({later.resource_arn}): "
                               f"{changed_since(later, lost, 'the scan')}")
        if current.get("deleted"):  # scheduled for deletion since the scan: AWS refuses edits
            drifted.append(f"{change.change_id} ({change.resource_arn}): scheduled for "
                           "deletion since the scan")
            continue
        if any(matches(c.desired_state, current) for c in chain):
            continue
        if not matches(change.pre_state, current):
            changed = differences(change.pre_state, current)
            drifted.append(f"{change.change_id} ({change.resource_arn}): "
                           f"{changed_since(change, changed, 'the scan', current)}")
            if set(changed) <= conditions_of(change):
                # only what the change depends on and leaves as it is (the secret a
                # grant-key-decrypt statement is for, the key a move goes to): no apply
                # changes it, so no earlier apply's journal is a lead
                replan = True
                continue
            moved += 1
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
               "again" if gone else ". What a change depends on is not as it was at the scan: "
               "rescan and plan again" if replan and not moved else "")
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
        say(out, NOTHING_TO_APPLY)
        return result
    # first: a second apply of the plan is refused before it re-reads anything or asks -- it
    # went through the re-read of the first apply's half-made changes (refused as drifted, the
    # hint to --undo the running apply's journal) and the question, and was refused after the
    # answer (safe-fixes trial round 12)
    lock = _lock(plan_path, plan.plan_id)
    try:
        return _apply_locked(plan, clients_for, result, journal_path=journal_path,
                             plan_path=plan_path, confirm=confirm, out=out, region=region,
                             changed=changed, errors=errors, undo_flags=undo_flags)
    finally:
        if lock is not None:
            lock.close()  # releases the lock


def another_apply_running(plan_path: str, plan_id: str) -> None:
    """InputError (exit 2) when an apply of the plan at ``plan_path`` (or of a copy of it)
    holds its lock: checked by the command before it shows the plan or says how the plan's
    last apply ended (that apply's journal has no end line while it runs: the note called it
    killed, and offered --undo of it; safe-fixes trial round 12). ``apply_plan`` takes the
    lock for itself."""
    lock = _lock(plan_path, plan_id)
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
        say(out, "not applied: not confirmed")
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
        for n, change in enumerate(plan.changes):
            current = change
            status = _apply_one(change, clients_for, journal, out, later=_later(change, chains),
                                errors=errors)
            current = None
            result.add(status)
            if status in WROTE:
                wrote.append(change)
            if status not in ("applied", "noop"):
                result.stopped = f"{change.change_id}: {status}"
                # how many were left, as a stopped undo says (it said "later changes not
                # attempted", also after the plan's last change; safe-fixes trial round 15)
                left = len(plan.changes) - n - 1
                alarm(out, errors, f"stopping: {change.change_id} {status}; " + (
                    f"{left} later change(s) of the plan not attempted" if left
                    else "it was the plan's last change"))
                break
    except BaseException as exc:  # Ctrl-C, SIGTERM, a journal that cannot be written
        interrupted, flight = note_stop(exc, journal, wrote)
        say_stopped(out, exc, stopped_note(journal_path, flight, interrupted, undo=False,
                                           left=left_undone(plan.changes, current, journal),
                                           flags=undo_flags), wrote, errors)
        raise
    finally:
        end_run(journal, result, interrupted, wrote, changed, out=out, errors=errors,
                note=lambda why: stopped_note(journal_path, None, why, undo=False,
                                               flags=undo_flags))
    return result


def lock_path(plan_path: str) -> str:
    """The apply lock of a plan file: ``<plan>.lock`` beside the file itself, the path resolved
    through symbolic links -- a plan applied as ``plan.json``, a link to it, and as its target
    at once took two locks and both applied (safe-fixes trial round 12)."""
    import os

    return f"{os.path.realpath(plan_path)}.lock"


def id_lock_path(plan_id: str) -> str:
    """The apply lock of a plan's id, in the temporary directory: a copy of the plan file (the
    reviewed plan attached to a ticket, downloaded to another folder) is the same plan, and its
    own ``<plan>.lock`` let both apply every change at once (safe-fixes trial round 15: two
    RotateSecret, two ReplicateSecretToRegions). One machine's applies only: a copy applied on
    another machine takes its own. ``plan_id`` is ``plan-<hex>`` (checked as the plan is read:
    the digest of its contents), a file name as it is."""
    import os
    import tempfile

    return os.path.join(tempfile.gettempdir(), f"secretgraph-apply-{plan_id}.lock")


class _Locks:
    """The apply locks held (the plan file's, the plan id's): ``close()`` lets them go."""

    def __init__(self, held: list[Any]) -> None:
        self._held = held

    def close(self) -> None:
        for fh in self._held:
            fh.close()


def _lock(plan_path: str, plan_id: str) -> _Locks | None:
    """The exclusive locks for the apply of a plan (released when the process ends, even
    killed): ``<plan>.lock`` beside the plan file, and the plan id's (``id_lock_path``). Two
    applies of one plan at once each took the other's change for their own (fault-injection
    trial). The plan file's own: a re-plan replaces the plan file (a lock on it was a lock on
    the old inode), and a re-plan into a file being applied is refused by it
    (``not_being_applied``). None for a plan built in memory (no file to lock beside)."""
    import os

    if not os.path.isfile(plan_path):  # a plan built in memory: no file to lock beside
        return None
    held: list[Any] = []
    try:
        for lock, busy in (
                (lock_path(plan_path), "another apply of this plan is running (its lock file "
                                       f"{lock_path(plan_path)} is held)"),
                (id_lock_path(plan_id), f"another apply of this plan ({plan_id}) is running, "
                                        "from another copy of the plan file (its lock file "
                                        f"{id_lock_path(plan_id)} is held)")):
            fh = _take(lock, busy, plan_path)
            if fh is not None:
                held.append(fh)
    except BaseException:
        for fh in held:
            fh.close()
        raise
    return _Locks(held)


def _take(lock: str, busy: str, plan_path: str) -> Any:
    """One apply lock, taken on the file ``lock``: opened for writing (NFS takes flock as a
    POSIX lock, which needs that). None where no lock file can be written (a plan on a
    read-only file system; a temporary directory we may not write): the apply goes on, as it
    did before locks. InputError (``busy``) when another apply holds it."""
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
        taken_elsewhere = _held_elsewhere(fh)
    except OSError as exc:
        fh.close()
        log.warning("no lock for this apply (%s: %s)", lock, exc.strerror or exc)
        return None
    if taken_elsewhere:
        fh.close()
        raise InputError(f"{busy}; wait for it, or check its journal", path=plan_path) from None
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


def _apply_one(change: PlannedChange, clients_for: ClientsFactory, journal: JournalWriter,
               out: TextIO | None, later: Sequence[PlannedChange] = (),
               errors: Errors | None = None) -> str:
    module = REMEDIATORS[change.remediation_id]
    clients = clients_for(change.account_id)
    label = f"{change.change_id} {change.remediation_id} {change.resource_arn}"
    try:
        before = dict(module.read_current(clients, change))
    except AWS_ERRORS as exc:
        journal.change(change, status="failed", before=None, after=None,
                       message=f"cannot re-read: {error_text(exc)}")
        alarm(out, errors, f"FAILED   {label}: cannot re-read: {error_text(exc)}")
        return "failed"
    if before.get("deleted"):  # scheduled for deletion since the preflight: AWS refuses
        journal.change(change, status="refused", before=before, after=None,
                       message="drift: scheduled for deletion since the plan")
        alarm(out, errors, f"REFUSED  {label}: scheduled for deletion since the plan")
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
        say(out, f"no-op    {label}: already in the desired state{owed}")
        return "noop"
    past = next((c for c in later if matches(c.desired_state, before)), None)
    if past is not None:
        journal.change(change, status="noop", before=before, after=None,
                       message=f"already past this change: {past.change_id} of this plan, "
                               "which builds on it, is in place")
        say(out, f"no-op    {label}: already past it ({past.change_id} is in place)")
        return "noop"
    if not matches(change.pre_state, before):
        drift = changed_since(change, differences(change.pre_state, before), "the plan",
                              before)
        journal.change(change, status="refused", before=before, after=None,
                       message=f"drift: {drift}")
        alarm(out, errors, f"REFUSED  {label}: {drift}")
        return "refused"
    journal.started(change, before)
    try:
        applied = module.apply(clients, change)
    except AWS_ERRORS + (SecretgraphError,) as exc:
        return _after_failure(change, module, clients, journal, out, label, before, error_text(exc),
                              errors)
    log.info("applied %s (%d call(s))", label, len(applied.calls))
    try:
        verification = module.verify(clients, change)
    except AWS_ERRORS as exc:
        journal.change(change, status="verify-failed", before=before, after=None,
                       message=f"cannot verify: {error_text(exc)}; the calls were made (--undo "
                               "re-reads the resource)")
        alarm(out, errors, f"UNVERIFIED {label}: {error_text(exc)}")
        return "verify-failed"
    status = "applied" if verification.ok else "verify-failed"
    journal.change(change, status=status, before=before, after=verification.current,
                   message=verification.message)
    line = f"{'applied ' if verification.ok else 'UNVERIFIED'} {label}" \
        + (f": {verification.message}" if verification.message else "")
    alarm(out, None if verification.ok else errors, line)
    return status


def _after_failure(change: PlannedChange, module: Any, clients: Any, journal: JournalWriter,
                   out: TextIO | None, label: str, before: Mapping[str, Any],
                   error: str, errors: Errors | None = None) -> str:
    """A call of the change failed: an earlier call of it may have landed (UpdateSecret before
    a refused RotateSecret), or this one (a lost response: the retry then fails on what the
    first attempt made). The resource is re-read so the journal holds what is there now."""
    try:
        now = dict(module.read_current(clients, change))
    except AWS_ERRORS as exc:
        journal.change(change, status="failed", before=before, after=None,
                       message=f"{error}; the resource could not be re-read ({error_text(exc)}): "
                               "whether a call landed is unknown (--undo re-reads it)")
        alarm(out, errors, f"FAILED   {label}: {error} (whether a call landed is unknown)")
        return "failed"
    if matches(undo_expected_before(change, before), now):
        journal.change(change, status="failed", before=before, after=now,
                       message=f"{error}; re-read: nothing changed")
        alarm(out, errors, f"FAILED   {label}: {error}")
        return "failed"
    changed_keys = ", ".join(differences(undo_expected_before(change, before), now))
    owed = differences(change.desired_state, now)
    todo = "; still short of the plan: " + ", ".join(
        f"{k} is {now.get(k)!r}, planned {change.desired_state.get(k)!r}" for k in owed) \
        + " (finish it by hand" + (", or --undo the journal" if change.reversible else "") \
        + ")" if owed else ""
    journal.change(change, status="partial", before=before, after=now,
                   message=f"{error}; re-read: {changed_keys} changed, so part of the change "
                           f"(or all of it) landed{todo}")
    alarm(out, errors, f"PARTIAL  {label}: {error}; {changed_keys} changed all the same{todo}")
    return "partial"


# --------------------------------------------------------------------------- undo


