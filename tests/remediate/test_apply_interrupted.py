"""Apply and undo when a change stops midway (fault-injection trial): a call that landed before
another failed, a response lost, Ctrl-C during a call, a verification that could not read
back, a journal line cut off. The journal must say what is there, and --undo take it back."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Callable

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from helpers.remediate_estate import CENTRAL, Scanned, account_session
from scanner.remediate.engine import apply_plan
from scanner.remediate.undo import undo_journal
from scanner.remediate.journal import JournalError, read_journal
from scanner.remediate.planfile import estate_of
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.sessions import ClientsFactory

_REAL = BaseClient._make_api_call


def _fault(monkeypatch: pytest.MonkeyPatch,
           when: Callable[[str, dict[str, Any]], str | None]) -> None:
    """``when(operation, params)``: "before" (refuse the call), "lost" (make it, then fail as
    a lost answer whose retry is refused does), "after" (make it, then Ctrl-C), or None."""
    def call(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        what = when(operation, params)
        if what == "before":
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}},
                              operation)
        answer = _REAL(self, operation, params)
        if what == "after":
            raise KeyboardInterrupt
        if what == "lost":
            raise ClientError({"Error": {"Code": "InternalFailure", "Message": "reset"}},
                              operation)
        return answer
    monkeypatch.setattr(BaseClient, "_make_api_call", call)


def _plan(s: Scanned, rule: str):  # type: ignore[no-untyped-def]
    plan = build_plan(s.findings, s.snapshot, s.config, Selection(rules=(rule,)))
    assert plan.changes, rule
    return plan


def _apply(s: Scanned, clients: ClientsFactory, plan: Any, journal: Path) -> Any:
    return apply_plan(plan, clients, journal_path=str(journal), plan_path="plan.json",
                      max_age_hours=24, current_estate=estate_of(s.snapshot))


def _undo(clients: ClientsFactory, journal: Path, tmp_path: Path) -> Any:
    return undo_journal(read_journal(journal), clients,
                        undo_journal_path=str(tmp_path / "undo.jsonl"))


def test_a_call_refused_after_another_landed_is_partial(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """cancel-key-deletion: CancelKeyDeletion lands, EnableKey is refused. The journal said
    `failed` with no after, although the key had left PendingDeletion (now Disabled)."""
    kms = account_session(CENTRAL).client("kms")
    key = scanned.estate.doomed_key_arn
    _fault(monkeypatch, lambda op, p: "before" if op == "EnableKey" else None)

    result = _apply(scanned, clients, _plan(scanned, "cancel-key-deletion"),
                    tmp_path / "journal.jsonl")

    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Disabled"
    entry = next(e for e in read_journal(tmp_path / "journal.jsonl").entries
                 if e.change.resource_arn == key)
    assert entry.status == "partial"
    assert entry.after is not None and entry.after.get("key_state") == "Disabled"
    assert result.counts.get("partial") == 1 and not result.ok


def test_a_not_reversible_partial_change_is_left_to_a_person_not_to_undo(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Safe-fixes trial, defect 5: after cancel-key-deletion ended partial (the key Disabled),
    re-running the plan refused it all "--undo it, or rescan and plan again", and --undo said
    "not reversible ... nothing to undo". The re-run now says --undo cannot take it back and
    what is still short of the plan; --undo says the same."""
    import io

    from scanner.errors import InputError

    plan = _plan(scanned, "cancel-key-deletion")
    _fault(monkeypatch, lambda op, p: "before" if op == "EnableKey" else None)
    _apply(scanned, clients, plan, tmp_path / "journal.jsonl")
    monkeypatch.setattr(BaseClient, "_make_api_call", _REAL)

    with pytest.raises(InputError) as info:
        _apply(scanned, clients, plan, tmp_path / "again.jsonl")
    why = str(info.value)
    assert "--undo it" not in why
    assert "not reversible, so --undo cannot take it back" in why
    assert "key_state is 'Disabled', planned 'Enabled'" in why

    out = io.StringIO()
    undo_journal(read_journal(tmp_path / "journal.jsonl"), clients,
                 undo_journal_path=str(tmp_path / "undo.jsonl"), out=out)
    assert "it stopped partway: key_state is 'Disabled', planned 'Enabled' -- finish it by " \
        "hand" in out.getvalue()


def test_a_lost_answer_is_partial_and_undone(scanned: Scanned, clients: ClientsFactory,
                                             tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """PutKeyPolicy landed but its answer was lost (the retry failed): journaled `failed`,
    and --undo said "nothing to undo"."""
    kms = account_session(CENTRAL).client("kms")
    key = scanned.estate.cmk_arn
    before = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    _fault(monkeypatch, lambda op, p: "lost" if op == "PutKeyPolicy" else None)

    result = _apply(scanned, clients, _plan(scanned, "grant-key-decrypt"),
                    tmp_path / "journal.jsonl")

    assert result.counts.get("partial") == 1
    monkeypatch.setattr(BaseClient, "_make_api_call", _REAL)
    undone = _undo(clients, tmp_path / "journal.jsonl", tmp_path)
    assert undone.counts == {"undone": 1}
    assert kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"] == before


def test_ctrl_c_during_a_call_leaves_it_in_flight_and_undo_takes_it_back(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """PutKeyPolicy reached AWS, then Ctrl-C: the journal ended as if nothing had happened,
    and --undo left the statement in place."""
    kms = account_session(CENTRAL).client("kms")
    key = scanned.estate.cmk_arn
    before = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    plan = _plan(scanned, "grant-key-decrypt")
    _fault(monkeypatch, lambda op, p: "after" if op == "PutKeyPolicy" else None)

    with pytest.raises(KeyboardInterrupt):
        apply_plan(plan, clients, journal_path=str(tmp_path / "journal.jsonl"),
                   plan_path="plan.json", max_age_hours=24,
                   current_estate=estate_of(scanned.snapshot), out=None)

    assert kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"] != before
    journal = read_journal(tmp_path / "journal.jsonl")
    assert [e.status for e in journal.entries][-1] == "started"
    assert '"interrupted": "Ctrl-C"' in \
        (tmp_path / "journal.jsonl").read_text().splitlines()[-1]
    monkeypatch.setattr(BaseClient, "_make_api_call", _REAL)
    _undo(clients, tmp_path / "journal.jsonl", tmp_path)
    assert kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"] == before


def test_an_unverified_change_is_undone(scanned: Scanned, clients: ClientsFactory,
                                        tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The verifying re-read failed after PutKeyPolicy: --undo said nothing of that change."""
    kms = account_session(CENTRAL).client("kms")
    key = scanned.estate.cmk_arn
    before = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    put = {"done": False}

    def when(op: str, params: dict[str, Any]) -> str | None:
        if op == "PutKeyPolicy":
            put["done"] = True
        elif op == "GetKeyPolicy" and put["done"] and not put.get("failed"):
            put["failed"] = True
            return "before"
        return None
    _fault(monkeypatch, when)
    result = _apply(scanned, clients, _plan(scanned, "grant-key-decrypt"),
                    tmp_path / "journal.jsonl")
    assert result.counts.get("verify-failed") == 1
    monkeypatch.setattr(BaseClient, "_make_api_call", _REAL)

    _undo(clients, tmp_path / "journal.jsonl", tmp_path)

    assert kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"] == before


def test_a_last_line_cut_off_is_left_out_and_the_rest_undone(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    kms = account_session(CENTRAL).client("kms")
    key = scanned.estate.cmk_arn
    before = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    journal = tmp_path / "journal.jsonl"
    _apply(scanned, clients, _plan(scanned, "grant-key-decrypt"), journal)
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join(lines[:-1] + [lines[-1][: len(lines[-1]) // 2]]))  # torn end

    assert read_journal(journal).torn
    _undo(clients, journal, tmp_path)
    assert kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"] == before


def test_an_edited_before_state_is_refused(scanned: Scanned, clients: ClientsFactory,
                                           tmp_path: Path) -> None:
    """--undo wrote a hand-edited `before` (a public key policy) back to AWS."""
    import json

    from scanner.errors import InputError

    kms = account_session(CENTRAL).client("kms")
    key = scanned.estate.cmk_arn
    journal = tmp_path / "journal.jsonl"
    _apply(scanned, clients, _plan(scanned, "grant-key-decrypt"), journal)
    applied = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    public = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]})
    lines = []
    for line in journal.read_text().splitlines():
        rec = json.loads(line)
        if rec.get("status") == "applied":
            rec["before"]["key_policy_text"] = public  # what undo writes back
        lines.append(json.dumps(rec))
    journal.write_text("\n".join(lines) + "\n")

    with pytest.raises(InputError, match="the journal was edited"):
        _undo(clients, journal, tmp_path)
    assert kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"] == applied


def test_an_edited_resource_is_refused_by_the_line_digest(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    """Round 2: a journal whose change was pointed at another key (resource_arn and after
    edited, nothing recomputed) made undo write one key's policy onto another."""
    import json

    from scanner.errors import InputError

    journal = tmp_path / "journal.jsonl"
    _apply(scanned, clients, _plan(scanned, "grant-key-decrypt"), journal)
    lines = []
    for line in journal.read_text().splitlines():
        rec = json.loads(line)
        if rec.get("type") == "change":
            rec["change"]["resource_arn"] = rec["change"]["resource_arn"] + "-other"
        lines.append(json.dumps(rec))
    journal.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="does not match its digest: the journal was edited"):
        _undo(clients, journal, tmp_path)
    # a digest taken away is refused too
    journal.write_text("\n".join(json.dumps({k: v for k, v in json.loads(x).items()
                                              if k != "digest" or json.loads(x)["type"] ==
                                              "header"}) for x in lines) + "\n")
    with pytest.raises(InputError, match="edited"):
        _undo(clients, journal, tmp_path)


def test_a_second_apply_of_a_plan_being_applied_is_refused(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    """Round 2: two applies of one plan at once each took the other's change for their own."""
    import fcntl

    from scanner.errors import InputError
    from scanner.remediate.planfile import write_plan

    plan = _plan(scanned, "grant-key-decrypt")
    path = write_plan(tmp_path / "plan.json", plan)
    with open(f"{path}.lock", "a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # the other terminal's apply
        # the other run re-planned into the same file meanwhile (a new inode: a lock on the
        # plan file itself missed it; regression check)
        write_plan(path, plan)
        with pytest.raises(InputError, match="another apply of this plan is running"):
            apply_plan(plan, clients, journal_path=str(tmp_path / "j.jsonl"),
                       plan_path=str(path), max_age_hours=24,
                       current_estate=estate_of(scanned.snapshot))
    assert not (tmp_path / "j.jsonl").exists()
    result = apply_plan(plan, clients, journal_path=str(tmp_path / "j.jsonl"),
                        plan_path=str(path), max_age_hours=24,
                        current_estate=estate_of(scanned.snapshot))
    assert result.ok  # the lock went with the other run


def test_a_partial_change_says_what_is_still_owed(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Round 2: a partial cancel-key-deletion left the key Disabled, and nothing said that
    EnableKey was the step to make by hand."""
    _fault(monkeypatch, lambda op, p: "before" if op == "EnableKey" else None)
    _apply(scanned, clients, _plan(scanned, "cancel-key-deletion"), tmp_path / "j.jsonl")
    entry = next(e for e in read_journal(tmp_path / "j.jsonl").entries
                 if e.status == "partial")
    line = (tmp_path / "j.jsonl").read_text()
    assert "still short of the plan: key_state is 'Disabled', planned 'Enabled'" in line
    assert entry.change.remediation_id == "cancel-key-deletion"


def test_a_failed_change_that_changed_nothing_is_not_undone(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression check: EnableKeyRotation refused (the re-read: nothing changed), the plan
    applied again successfully, then --undo of the first journal turned rotation off."""
    kms = account_session(CENTRAL).client("kms")
    key = scanned.estate.cmk_arn
    plan = _plan(scanned, "kms-key-rotation-disabled")
    _fault(monkeypatch, lambda op, p: "before" if op == "EnableKeyRotation" else None)
    _apply(scanned, clients, plan, tmp_path / "first.jsonl")
    [entry] = [e for e in read_journal(tmp_path / "first.jsonl").entries
               if e.change.resource_arn == key]
    assert entry.status == "failed" and entry.after is not None
    monkeypatch.setattr(BaseClient, "_make_api_call", _REAL)
    _apply(scanned, clients, plan, tmp_path / "second.jsonl")
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True

    result = _undo(clients, tmp_path / "first.jsonl", tmp_path)

    assert result.counts == {}
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True



def test_a_journal_from_before_the_digests_still_undoes_an_unknown_failure(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Review: journals written earlier the same day (write-ahead lines and the re-read after
    a failure, no digests yet) had their "failed, could not re-read" lines skipped by undo."""
    import json

    kms = account_session(CENTRAL).client("kms")
    key = scanned.estate.cmk_arn
    state = {"landed": False}

    def when(op: str, params: dict[str, Any]) -> str | None:
        if op == "EnableKeyRotation":
            state["landed"] = True
            return "lost"  # the call lands, its answer is lost
        if op == "GetKeyRotationStatus" and state["landed"] and not state.get("reread"):
            state["reread"] = True
            return "before"  # and the re-read after it fails
        return None
    _fault(monkeypatch, when)
    _apply(scanned, clients, _plan(scanned, "kms-key-rotation-disabled"),
           tmp_path / "j.jsonl")
    monkeypatch.setattr(BaseClient, "_make_api_call", _REAL)
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True
    old_format = [json.dumps({k: v for k, v in json.loads(line).items() if k != "digest"})
                  for line in (tmp_path / "j.jsonl").read_text().splitlines()]
    (tmp_path / "j.jsonl").write_text("\n".join(old_format) + "\n")
    [entry] = [e for e in read_journal(tmp_path / "j.jsonl").entries
               if e.change.resource_arn == key]
    assert entry.status == "failed" and entry.after is None

    _undo(clients, tmp_path / "j.jsonl", tmp_path)

    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is False


def test_another_operators_lock_file_still_locks(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Review: the lock file was opened for append only; another operator, who may not write
    it, got no lock and applied anyway. A read descriptor takes the lock too."""
    import builtins
    import fcntl

    from scanner.errors import InputError
    from scanner.remediate.planfile import write_plan

    plan = _plan(scanned, "grant-key-decrypt")
    path = write_plan(tmp_path / "plan.json", plan)
    lock = f"{path}.lock"
    real_open = builtins.open

    def no_write(file: Any, mode: str = "r", *args: Any, **kw: Any) -> Any:
        if str(file) == lock and mode != "r":
            raise PermissionError(13, "Permission denied", lock)
        return real_open(file, mode, *args, **kw)

    with real_open(lock, "a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # the first operator's apply
        monkeypatch.setattr(builtins, "open", no_write)
        with pytest.raises(InputError, match="another apply of this plan is running"):
            apply_plan(plan, clients, journal_path=str(tmp_path / "j.jsonl"),
                       plan_path=str(path), max_age_hours=24,
                       current_estate=estate_of(scanned.snapshot))


def test_ctrl_c_after_the_last_change_still_names_the_journal(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    """New-user trial: Ctrl-C while the history was being told what changed (every change
    applied, the journal closed) printed only "interrupted", with no journal named."""
    import io

    plan = _plan(scanned, "grant-key-decrypt")
    out = io.StringIO()

    def interrupted_hook(changes: Any) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        apply_plan(plan, clients, journal_path=str(tmp_path / "journal.jsonl"),
                   plan_path="plan.json", max_age_hours=24,
                   current_estate=estate_of(scanned.snapshot), out=out,
                   changed=interrupted_hook)
    said = out.getvalue()
    assert f"the journal {tmp_path / 'journal.jsonl'} records every change" in said
    assert "stopped (Ctrl-C)" in said
    assert [e.status for e in read_journal(tmp_path / "journal.jsonl").entries][-1] == "applied"


class _FullDisk:
    """Standard output on a full disk, as the CLI's wrapper reports it (``> log``)."""

    def write(self, text: str) -> int:
        from scanner.errors import StdoutError

        raise StdoutError("cannot write to standard output: No space left on device")

    def flush(self) -> None:
        pass


def test_standard_output_failing_midway_names_the_journal_and_exits_1(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    """Fault-injection trial: `remediate --apply > log` on a full disk stopped after the first
    change with only "cannot write to standard output" (exit 2, as if nothing had happened):
    no journal named, no undo offered."""
    from scanner.errors import StdoutError

    plan = _plan(scanned, "grant-key-decrypt")
    journal = tmp_path / "journal.jsonl"
    told: list[Any] = []
    with pytest.raises(StdoutError) as raised:
        apply_plan(plan, clients, journal_path=str(journal), plan_path="plan.json",
                   max_age_hours=24, current_estate=estate_of(scanned.snapshot),
                   out=_FullDisk(), changed=told.extend)  # type: ignore[arg-type]
    said = str(raised.value)
    assert said.startswith("cannot write to standard output: No space left on device; "
                           "stopped (standard output could not be written): ")
    assert f"the journal {journal} records every change made so far" in said
    assert f"secretgraph remediate --undo {journal}" in said
    assert raised.value.exit_code == 1  # a change was made
    assert [e.status for e in read_journal(journal).entries][-1] == "applied"
    # the change whose line could not be printed was made: the history is told of it
    assert [c.change_id for c in told] == [plan.changes[0].change_id]


def test_standard_output_failing_at_the_end_names_the_journal(tmp_path: Path) -> None:
    """The same when the buffered output fails only once the run is over (its last flush, or
    the re-read hook's line): the journal and the undo are named, exit 1."""
    from scanner.commands.remediate import _journal_named
    from scanner.errors import StdoutError

    journal = tmp_path / "journal.jsonl"
    journal.write_text("{}\n")
    with pytest.raises(StdoutError) as raised, _journal_named(str(journal), undo=False):
        raise StdoutError("cannot write to standard output: No space left on device")
    assert str(raised.value) == (
        "cannot write to standard output: No space left on device; the journal "
        f"{journal} records every change made; secretgraph remediate --undo {journal} takes "
        "back what landed")
    assert raised.value.exit_code == 1
    # nothing begun (no journal): the plain error, exit 2
    with pytest.raises(StdoutError) as plain, _journal_named(str(tmp_path / "none"), undo=False):
        raise StdoutError("cannot write to standard output: No space left on device")
    assert plain.value.exit_code == 2 and "journal" not in str(plain.value)


def test_an_answer_botocore_cannot_parse_fails_the_change_not_the_run(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault-injection trial: a proxy's `502 Bad Gateway` in plain text raised botocore's
    ResponseParserError (not a BotoCoreError), which stopped the apply as an internal error,
    exit 2 ("nothing changed") with the change left `started`. It is a failed call: the
    change is journaled `failed` after its re-read, and the run ends with exit 1."""
    from botocore.parsers import ResponseParserError

    def call(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation == "PutKeyPolicy":
            raise ResponseParserError("Unable to parse response (syntax error), invalid XML "
                                      "received: b'Bad Gateway'")
        return _REAL(self, operation, params)
    monkeypatch.setattr(BaseClient, "_make_api_call", call)

    journal = tmp_path / "journal.jsonl"
    result = _apply(scanned, clients, _plan(scanned, "grant-key-decrypt"), journal)

    assert not result.ok and result.counts.get("failed") == 1
    assert [e.status for e in read_journal(journal).entries][-1] == "failed"


class _StopAt:
    """The remediator of ``change_id``: its re-reads of that change after the first ``skip``
    (the preflight's) are stopped by ``stop`` -- in the apply (or undo) loop, before any call
    of that change."""

    def __init__(self, module: Any, change_id: str, stop: Callable[[], None],
                 skip: int) -> None:
        self._module, self._change_id, self._stop, self._skip = module, change_id, stop, skip

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def read_current(self, clients: Any, change: Any) -> Any:
        if change.change_id == self._change_id:
            if self._skip == 0:
                self._stop()
            self._skip -= 1
        return self._module.read_current(clients, change)


def _stop_before_change(monkeypatch: pytest.MonkeyPatch, change: Any,
                        stop: Callable[[], None]) -> None:
    """``stop`` at the change's re-read in the loop (its preflight re-read goes through)."""
    from remediations import REMEDIATORS

    monkeypatch.setitem(REMEDIATORS, change.remediation_id,
                        _StopAt(REMEDIATORS[change.remediation_id], change.change_id, stop,
                                skip=1))


def _ctrl_c() -> None:
    raise KeyboardInterrupt


def _journal_full() -> None:
    from scanner.remediate.journal import JournalError

    raise JournalError("cannot write the journal: No space left on device", path="j")


@pytest.mark.parametrize("stop", [_ctrl_c, _journal_full], ids=["Ctrl-C", "journal full"])
def test_a_run_stopped_before_a_changes_first_call_counts_that_change_not_reached(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, stop: Callable[[], None]) -> None:
    """Fault-injection trial round 4 (repro ctrlc_count.sh): Ctrl-C while change 4 of 6
    re-read its key policy said "2 change(s) not reached" -- changes 4, 5 and 6 were not made,
    and change 4 was neither in flight nor counted (the same when the journal filled the
    disk). A change stopped before its started line is one not reached."""
    import io

    plan = build_plan(scanned.findings, scanned.snapshot, scanned.config, Selection())
    assert len(plan.changes) >= 4
    assert len({c.target for c in plan.changes[:3]}) == 3  # the third is read once before
    _stop_before_change(monkeypatch, plan.changes[2], stop)
    out = io.StringIO()
    with pytest.raises(BaseException) as raised:
        apply_plan(plan, clients, journal_path=str(tmp_path / "journal.jsonl"),
                   plan_path="plan.json", max_age_hours=24,
                   current_estate=estate_of(scanned.snapshot), out=out)
    assert isinstance(raised.value, (KeyboardInterrupt, JournalError))
    entries = read_journal(tmp_path / "journal.jsonl").entries
    assert [e.change.change_id for e in entries] == [c.change_id for c in plan.changes[:2]]
    stopped = out.getvalue().splitlines()[-1]
    assert stopped.startswith("stopped (")
    assert f" {len(plan.changes) - 2} change(s) not reached; " in stopped, stopped
    assert "was being applied" not in stopped, "no change was in flight"


def test_an_undo_stopped_before_a_changes_first_call_counts_that_change_not_reached(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault-injection trial round 4: the same count in an undo -- Ctrl-C while the undo
    re-read the first (newest) change it was to take back said "1 change(s) not reached" of
    the 2 it had not made."""
    import io
    from dataclasses import replace

    plan = build_plan(scanned.findings, scanned.snapshot, scanned.config, Selection())
    two = [c for c in plan.changes if c.reversible][:2]
    assert len({c.target for c in two}) == 2
    plan = replace(plan, changes=tuple(two))
    _apply(scanned, clients, plan, tmp_path / "journal.jsonl")
    assert [e.status for e in read_journal(tmp_path / "journal.jsonl").entries] == \
        ["applied", "applied"]
    _stop_before_change(monkeypatch, two[-1], _ctrl_c)  # undone first: the newest
    out = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        undo_journal(read_journal(tmp_path / "journal.jsonl"), clients,
                     undo_journal_path=str(tmp_path / "undo.jsonl"), out=out)
    stopped = out.getvalue().splitlines()[-1]
    assert stopped.startswith("stopped (Ctrl-C): 2 change(s) not reached; "), stopped


def test_a_journal_that_cannot_take_a_changes_outcome_names_that_change_in_flight(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault-injection trial round 4 (the stop line's count, journal filling the disk): the
    calls of a change were made and its outcome line could not be written -- the journal ends
    with its started line, but the stop line did not name it as in flight ("may be partly
    made"), so nothing said which change to look at."""
    import io

    from scanner.remediate.journal import JournalWriter

    plan = build_plan(scanned.findings, scanned.snapshot, scanned.config, Selection())
    first = plan.changes[0]
    real_write = JournalWriter._write

    def write(self: JournalWriter, record: Any) -> None:
        if record.get("status") == "applied":
            raise JournalError("cannot write the journal: No space left on device",
                               path=str(self.path))
        real_write(self, record)
    monkeypatch.setattr(JournalWriter, "_write", write)
    out = io.StringIO()
    with pytest.raises(JournalError):
        apply_plan(plan, clients, journal_path=str(tmp_path / "journal.jsonl"),
                   plan_path="plan.json", max_age_hours=24,
                   current_estate=estate_of(scanned.snapshot), out=out)
    assert [e.status for e in read_journal(tmp_path / "journal.jsonl").entries] == ["started"]
    stopped = out.getvalue().splitlines()[-1]
    assert stopped.startswith(
        f"stopped (the journal could not be written): {first.change_id} "
        f"({first.resource_arn}) was being applied and may be partly made; "
        f"{len(plan.changes) - 1} change(s) not reached; "), stopped


def test_a_cut_off_first_line_of_a_change_is_said_as_no_call_made(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    """Fault-injection trial round 27: a journal cut off in a change's started line (a crash
    or a full disk while it was written, before any call of the change) made --undo say "the
    change it was about is re-read" and then "nothing to undo"; it says no call was made.
    Cut off in the outcome line after a started line, the change is still re-read."""
    journal = tmp_path / "journal.jsonl"
    _apply(scanned, clients, _plan(scanned, "grant-key-decrypt"), journal)
    lines = journal.read_text().splitlines()
    statuses = [json.loads(line).get("status") for line in lines]
    first = statuses.index("started")
    assert statuses[first + 1] == "applied"

    def undo_says(path: Path) -> str:
        out = io.StringIO()
        undo_journal(read_journal(path), clients, out=out,
                     undo_journal_path=str(path.with_suffix(".undo.jsonl")))
        return out.getvalue()

    cut_first = tmp_path / "cut-first.jsonl"
    cut_first.write_text("\n".join(lines[:first] + [lines[first][:200]]) + "\n")
    assert read_journal(cut_first).torn == "first"
    out = undo_says(cut_first)
    assert "it was a change's first line, written before any of its calls: none of them was " \
           "made" in out and "is re-read" not in out

    cut_outcome = tmp_path / "cut-outcome.jsonl"
    cut_outcome.write_text("\n".join(lines[:first + 1] + [lines[first + 1][:200]]) + "\n")
    assert read_journal(cut_outcome).torn == "change"
    assert "the change it was about is re-read" in undo_says(cut_outcome)


def test_a_change_a_later_apply_finished_is_that_applys_to_undo(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault-injection trial round 27: Ctrl-C before a change's call (its line `started`),
    --apply again (a second journal applies it), then --undo of the first journal took that
    change back while the second still recorded it applied. It is the second journal's to
    take back: the first one's --undo leaves it, saying whose it is."""
    kms = account_session(CENTRAL).client("kms", region_name="us-east-1")
    key = scanned.estate.cmk_arn
    before = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    plan = _plan(scanned, "grant-key-decrypt")
    first = tmp_path / f"remediation-journal-{plan.plan_id}-20261208T000001Z.jsonl"
    second = tmp_path / f"remediation-journal-{plan.plan_id}-20261208T000002Z.jsonl"

    def stop_before(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation == "PutKeyPolicy":
            raise KeyboardInterrupt
        return _REAL(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", stop_before)
    with pytest.raises(KeyboardInterrupt):
        _apply(scanned, clients, plan, first)
    assert [e.status for e in read_journal(first).entries][-1] == "started"
    assert kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"] == before
    monkeypatch.setattr(BaseClient, "_make_api_call", _REAL)
    _apply(scanned, clients, plan, second)
    granted = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    assert granted != before

    out = io.StringIO()
    undo_journal(read_journal(first), clients, undo_journal_path=str(tmp_path / "u1.jsonl"),
                 out=out)

    assert kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"] == granted
    said = out.getvalue()
    assert f"a later apply, {second}, made it" in said and "nothing to undo" in said, said
    undo_journal(read_journal(second), clients, undo_journal_path=str(tmp_path / "u2.jsonl"))
    assert kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"] == before
