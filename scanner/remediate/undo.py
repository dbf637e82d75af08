"""Undo a journal (`remediate --undo JOURNAL`): the reversible changes that made or may have
made a call (``UNDOABLE``: applied, partial, verify-failed, failed after a call, started),
newest first, after checking that every one of them still looks like the journal's "after" (else nothing is
changed). Like an apply, it ends by calling ``changed`` (when given) with every change it wrote
to AWS, or tried to (scanner.remediate.engine)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence, TextIO

from remediations import REMEDIATORS
from scanner.changes import ApiCall, PlannedChange, differences, execute, matches, state_digest
from scanner.errors import InputError, SecretgraphError
from scanner.remediate.journal import (Journal, JournalEntry, JournalWriter,
                                      finished_later, later_applies)
from scanner.remediate.sessions import ClientsFactory
from scanner.remediate.runs import (
    AWS_ERRORS, Changed, Confirm, Errors, REGION_OFF_NEXT, RunResult, UNREAD_NEXT, WROTE, alarm,
    check_live_identity, conditions_of, end_run, error_text, gone_reason, left_undone, log,
    note_stop, nothing_changed_yet, policy_drift, read_current, region_off_reason, say,
    say_stopped, stopped_note, undo_expected_before)


#: apply outcomes that --undo takes back: applied, and those where a call may have landed
#: (re-read first: nothing is written where the resource is as it was before)
UNDOABLE = frozenset({"applied", "partial", "verify-failed", "failed", "started"})


def _later_first(later: Sequence[tuple[str, int]]) -> str:
    """What to do when later applies of the plan made changes on top of the journal's."""
    named = ", then ".join(f"--undo {path}" for path, _ in later)
    made = sum(n for _, n in later)
    return (f"a later apply of this plan made {made} change(s) on top of this journal's: run "
            f"{named} first (newest first, with the same flags), then the same --undo again")


def _undo_expected_after(change: PlannedChange, after: Mapping[str, Any]) -> dict[str, Any]:
    """What the change set, as the apply left it (its conditions left out)."""
    kept = conditions_of(change)
    return {k: after.get(k) for k in change.desired_state if k not in kept}


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
    made_later = finished_later(journal.path, journal.plan_id) if any(
        e.status == "started" for e in applied) else {}
    for e in [e for e in applied if e.status == "started" and e.change.change_id in made_later]:
        applied.remove(e)
        say(out, f"note: {e.change.change_id} {e.change.remediation_id} "
                 f"{e.change.resource_arn}: this run stopped during it and a later apply, "
                 f"{made_later[e.change.change_id]}, made it: that journal's --undo takes it "
                 "back")
    if journal.torn == "change":
        say(out, f"note: the last line of {journal.path} was cut off (the run stopped while "
                  "writing it) and is left out; the change it was about is re-read")
    elif journal.torn == "first":
        say(out, f"note: the last line of {journal.path} was cut off (the run stopped while "
                  "writing it) and is left out; it was a change's first line, written before "
                  "any of its calls: none of them was made")
    elif journal.torn:
        say(out, f"note: the end line of {journal.path} was cut off (the run stopped while "
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
        say(out, f"not reversible: {e.change.change_id} {e.change.remediation_id} "
             f"{e.change.resource_arn} (undo by hand if needed{short})")
    if not reversible:
        say(out, "nothing to undo")
        return result
    org_id = journal.estate.get("org_id") if isinstance(journal.estate.get("org_id"), str) \
        else None
    with nothing_changed_yet("re-reading the resources before undoing anything"):
        check_live_identity([e.change.account_id for e in reversible], org_id, clients_for,
                            region=region, path=journal.path, run="--undo")
        check = _undo_preflight(reversible, clients_for)
    if check.refused:
        # a later apply of the same plan (one that went on from this journal's, stopped) made
        # its changes on top of these: its --undo first (safe-fixes trial round 18)
        later = later_applies(journal.path, journal.plan_id) if check.mismatched else []
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
            + "; ".join(([_later_first(later)] if later else [])
                        + (["put each resource that changed back as the apply left it (its after "
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
        say(out, f"to undo ({len(reversible)}, newest first: each put back as it was before "
                  "the apply):")
        for e in reversible:
            say(out, f"  {e.change.change_id} {e.change.remediation_id} "
                      f"{e.change.resource_arn}: {e.change.summary}")
    if confirm is not None and not confirm(f"Undo {len(reversible)} change(s) of plan "
                                           f"{journal.plan_id}?"):
        say(out, "not undone: not confirmed")
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
                alarm(out, errors, f"stopping: {e.change.change_id} {status}"
                     + (f"; {left} older change(s) not undone (run the undo again once the "
                        "cause is fixed)" if left else ""))
                break
    except BaseException as exc:  # Ctrl-C, SIGTERM, a journal that cannot be written
        interrupted, flight = note_stop(exc, writer, wrote)
        say_stopped(out, exc, stopped_note(undo_journal_path, flight, interrupted, undo=True,
                                           left=left_undone([e.change for e in reversible],
                                                      current_change, writer),
                                           apply_journal=journal.path, flags=undo_flags),
                   wrote, errors)
        raise
    finally:
        end_run(writer, result, interrupted, wrote, changed, out=out, errors=errors,
                note=lambda why: stopped_note(undo_journal_path, None, why, undo=True,
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
    #: in a Region not enabled for its account (``region_off_reason``)
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
            current = read_current(e.change, clients_for)
        except AWS_ERRORS as exc:
            missing = gone_reason(exc)
            disabled = region_off_reason(exc, e.change)
            (gone if missing else off if disabled else unread).append(
                f"{e.change.change_id} ({e.change.resource_arn}): "
                f"{missing or disabled or error_text(exc)}")
            continue
        if current.get("deleted"):  # safe-fixes trial round 11: undone partway, then refused
            scheduled.append(f"{e.change.change_id} ({e.change.resource_arn})")
            continue
        if matches(undo_expected_before(e.change, e.before), current):
            continue  # already back as it was (or the call never landed)
        if not _landed(e, current):
            expected = _undo_expected_after(e.change, e.after or e.change.desired_state)
            changed = differences(expected, current)
            how = "; ".join(f"{k}: {d}" for k in changed
                            if (d := policy_drift(expected.get(k), current.get(k))))
            mismatched.append(f"{e.change.change_id} ({e.change.resource_arn}): "
                              f"{', '.join(changed)} changed since the apply"
                              + (f" ({how})" if how else "")
                              + ("" if e.status == "applied" else
                                             f" (the change ended {e.status}: compare with "
                                             "its before state in the journal and undo by "
                                             "hand)"))
    return _UndoCheck(mismatched=mismatched, unread=unread, gone=gone, scheduled=scheduled,
                      regions_off=off)


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
    want = undo_expected_before(change, before)
    try:
        current = dict(module.read_current(clients, change))
    except AWS_ERRORS as exc:
        writer.change(change, status="failed", before=None, after=None,
                      message=f"cannot re-read: {error_text(exc)}")
        alarm(out, errors, f"FAILED   {label}: cannot re-read: {error_text(exc)}")
        return "failed"
    if current.get("deleted"):  # scheduled for deletion since the preflight: AWS refuses
        writer.change(change, status="refused", before=current, after=None,
                      message="scheduled for deletion since the apply")
        alarm(out, errors, f"REFUSED  {label}: scheduled for deletion since the apply")
        return "refused"
    if matches(want, current):
        writer.change(change, status="noop", before=current, after=current,
                      message="already as before the apply")
        say(out, f"no-op    {label}: already as before the apply")
        return "noop"
    if not _landed(e, current):
        writer.change(change, status="refused", before=current, after=None,
                      message="changed since the apply")
        alarm(out, errors, f"REFUSED  {label}: changed since the apply")
        return "refused"
    calls: tuple[ApiCall, ...] | None = module.undo_call(change, before)
    if not calls:
        writer.change(change, status="not-reversible", before=current, after=None)
        return "not-reversible"
    writer.started(change, current)
    try:
        execute(clients, calls)
    except AWS_ERRORS + (SecretgraphError,) as exc:
        return _undo_after_failure(change, module, clients, writer, out, label, current, want,
                                   error_text(exc), errors)
    try:
        now_state = dict(module.read_current(clients, change))
    except AWS_ERRORS as exc:
        writer.change(change, status="verify-failed", before=current, after=None,
                      message=f"cannot verify: {error_text(exc)}; the call was made (the same --undo "
                              "re-reads the resource)")
        alarm(out, errors, f"UNVERIFIED {label}: {error_text(exc)}")
        return "verify-failed"
    ok = matches(want, now_state)
    writer.change(change, status="undone" if ok else "verify-failed", before=current,
                  after=now_state,
                  message="" if ok else f"still differs: {', '.join(differences(want, now_state))}")
    alarm(out, None if ok else errors, f"{'undone  ' if ok else 'UNVERIFIED'} {label}")
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
    except AWS_ERRORS as exc:
        writer.change(change, status="failed", before=current, after=None,
                      message=f"{error}; the resource could not be re-read ({error_text(exc)}): "
                              "whether the call landed is unknown (the same --undo re-reads "
                              "it)")
        alarm(out, errors, f"FAILED   {label}: {error} (whether the call landed is unknown)")
        return "failed"
    if matches(want, now):
        writer.change(change, status="undone", before=current, after=now,
                      message=f"{error}; re-read: as before the apply (the call landed, its "
                              "answer was lost)")
        say(out, f"undone   {label} ({error}, but the re-read shows it as before the apply)")
        return "undone"
    if matches(_undo_expected_after(change, current), now):
        writer.change(change, status="failed", before=current, after=now,
                      message=f"{error}; re-read: nothing changed")
        alarm(out, errors, f"FAILED   {label}: {error}")
        return "failed"
    writer.change(change, status="verify-failed", before=current, after=now,
                  message=f"{error}; re-read: it changed, but still differs: "
                          f"{', '.join(differences(want, now))}")
    alarm(out, errors, f"UNVERIFIED {label}: {error}; it changed all the same, still "
                        f"differs: {', '.join(differences(want, now))}")
    return "verify-failed"
