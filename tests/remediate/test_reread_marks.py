"""remediate --apply (and --undo) marks what it changed for re-read in the history, so the next
incremental scan reads those policies instead of carrying the ones it read before the change
(moto, like AWS's documentation, gives no LastChangedDate move to rely on for a policy change).
"""

from __future__ import annotations

import datetime
import json
import time
from pathlib import Path

import pytest

from helpers.remediate_estate import (AUDIT_ROLE, CENTRAL, MEMBER, REMEDIATION_ROLE,
                                      SCANNED_REGIONS, Scanned, mgmt_session, scan)
from scanner.aws.executor import SynchronousExecutor
from scanner.cli import main
from scanner.collect import CollectOptions, collect
from scanner.history.store import open_store
from scanner.incremental import PolicyCarry, refresh_night
from scanner.model import Secret, Snapshot
from scanner.remediate.engine import apply_plan, reread_marker
from scanner.remediate.planfile import estate_of
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.sessions import ClientsFactory
from scanner.snapshot_io import read_snapshot

POLICY_FIX = "restrict-public-secret-policy"


def _secret(snapshot: Snapshot, arn: str) -> Secret:
    return next(s for a in snapshot.accounts for r in a.regions for s in r.secrets
                if s.arn == arn and not s.is_replica)


def _quiet_night(arn: str, after: str) -> str:
    """A moment 1-6 days after ``after`` that is not ``arn``'s refresh night."""
    start = datetime.datetime.fromisoformat(after.replace("Z", "+00:00"))
    for k in range(1, 7):
        moment = start + datetime.timedelta(days=k)
        if not refresh_night(arn, moment.date(), 7):
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    raise AssertionError("no quiet night")


def _moment(stamp: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _incremental_scan(out: Path, carry: PolicyCarry) -> Snapshot:
    return read_snapshot(collect(
        CollectOptions(out=out, regions=SCANNED_REGIONS, accounts=(CENTRAL, MEMBER),
                       role_name=AUDIT_ROLE, max_attempts=1, carry=carry),
        executor=SynchronousExecutor(), session_factory=lambda _o: mgmt_session()))


def test_apply_marks_what_it_changed_and_the_next_incremental_scan_reads_it(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    shared = scanned.estate.shared_secret
    store = open_store(str(tmp_path / "history.db"))
    # last night's scan of this estate (the fixture's snapshot may be an earlier test's), a
    # second after the estate's last change: a policy read in the same second as the secret's
    # LastChangedDate (whole seconds in moto) is read again, never carried -- the safe way
    time.sleep(1.1)
    last_night = scan(tmp_path / "last-night", "last-night")
    plan = build_plan(scanned.findings, scanned.snapshot, scanned.config,
                      Selection(rules=(POLICY_FIX,)))
    assert [c.resource_arn for c in plan.changes] == [shared]
    result = apply_plan(plan, clients, journal_path=str(tmp_path / "j.jsonl"),
                        plan_path="plan.json", max_age_hours=24,
                        current_estate=estate_of(scanned.snapshot),
                        changed=reread_marker(store, f"remediate apply {plan.plan_id}"))
    assert result.ok
    (mark,) = store.reread_marks()
    assert (mark.resource, mark.account_id, mark.source) == (
        shared, CENTRAL, f"remediate apply {plan.plan_id}")
    before = _secret(last_night, shared)
    # read_at is to the second, a mark to the microsecond: compare moments, not text
    assert _moment(mark.marked_at) > _moment(before.read_at["resource_policy"])

    carry = PolicyCarry.from_snapshot(last_night)
    carry = PolicyCarry(policies=carry.policies,
                        now=_quiet_night(shared, before.read_at["resource_policy"]))
    # without the mark the pre-remediation policy would be carried (nothing else says it changed)
    stale = _incremental_scan(tmp_path / "stale.json.gz", carry)
    assert _secret(stale, shared).carried == ("resource_policy",)
    assert _secret(stale, shared).resource_policy == before.resource_policy
    # with the history's marks it is read again, and shows the fix
    fresh = _incremental_scan(tmp_path / "fresh.json.gz", carry.with_marks(store.reread_marks()))
    after = _secret(fresh, shared)
    assert after.carried == () and after.resource_policy != before.resource_policy
    assert json.loads(after.resource_policy)["Statement"][1]["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": "o-testorg0001"}}


def test_a_plan_that_changes_nothing_marks_nothing(scanned: Scanned, clients: ClientsFactory,
                                                   tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "history.db"))
    plan = build_plan(scanned.findings, scanned.snapshot, scanned.config,
                      Selection(rules=(POLICY_FIX,)))
    for name in ("one", "two"):  # the second apply finds everything in place: no-op
        apply_plan(plan, clients, journal_path=str(tmp_path / f"{name}.jsonl"),
                   plan_path="plan.json", max_age_hours=24,
                   current_estate=estate_of(scanned.snapshot),
                   changed=reread_marker(store, name))
    assert [m.source for m in store.reread_marks()] == ["one"]


def test_cli_apply_and_undo_mark_the_history_store(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    history = tmp_path / "secretgraph-history.db"
    monkeypatch.setenv("SECRETGRAPH_HISTORY", str(history))
    journal = tmp_path / "journal.jsonl"
    rc = main(["remediate", "--in", str(scanned.scan_dir), "--config", str(scanned.config_path),
               "--rule", POLICY_FIX, "--apply", "--yes",
               "--remediation-role-name", REMEDIATION_ROLE, "--journal", str(journal)])
    out = capsys.readouterr().out
    assert rc == 0
    assert f"marked 1 changed resource(s) for re-read in {history}" in out
    # --history given to --undo (docs/remediation.md names it; it was refused)
    monkeypatch.delenv("SECRETGRAPH_HISTORY")
    rc = main(["remediate", "--undo", str(journal), "--yes", "--history", str(history),
               "--remediation-role-name", REMEDIATION_ROLE,
               "--journal", str(tmp_path / "undo.jsonl")])
    assert rc == 0
    marks = open_store(str(history)).reread_marks()
    assert [m.source.split(" ")[:2] for m in marks] == [["remediate", "apply"],
                                                       ["remediate", "undo"]]
    assert {m.resource for m in marks} == {scanned.estate.shared_secret}


def test_cli_apply_without_a_history_says_what_the_next_scan_relies_on(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    rc = main(["remediate", "--in", str(scanned.scan_dir), "--config", str(scanned.config_path),
               "--rule", POLICY_FIX, "--apply", "--yes",
               "--remediation-role-name", REMEDIATION_ROLE,
               "--journal", str(tmp_path / "j.jsonl")])
    assert rc == 0
    assert "not marked for re-read" in capsys.readouterr().err


def test_cli_apply_with_in_takes_history_as_the_store_for_the_marks(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The docs name `--history` for the re-read marks; beside --in it was refused as a second
    source, so only $SECRETGRAPH_HISTORY worked."""
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    history = tmp_path / "marks.db"
    args = ["remediate", "--in", str(scanned.scan_dir), "--config", str(scanned.config_path),
            "--rule", POLICY_FIX, "--history", str(history)]
    assert main(args) == 2  # planning only: two sources
    assert "one source" in capsys.readouterr().err
    rc = main([*args, "--apply", "--yes", "--remediation-role-name", REMEDIATION_ROLE,
               "--journal", str(tmp_path / "j.jsonl")])
    assert rc == 0
    assert f"marked 1 changed resource(s) for re-read in {history}" in capsys.readouterr().out
    assert {m.resource for m in open_store(str(history)).reread_marks()} == \
        {scanned.estate.shared_secret}


def test_cli_apply_on_a_full_history_disk_says_the_changes_were_made_and_exits_1(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault-injection trial: the marks could not be written (a full disk), and the apply ended
    "internal error: OperationalError: cannot rollback", exit 2 ("nothing changed"), after
    its changes landed -- the re-read hint was never printed."""
    from scanner.errors import InputError
    from scanner.history.sqlite_store import SqliteHistoryStore

    history = tmp_path / "secretgraph-history.db"

    def full(self: SqliteHistoryStore, marks: object) -> None:
        # what the store raises on a full disk (tests/history/test_sqlite_store.py)
        raise InputError("cannot write the history file: database or disk is full",
                         path=str(self.path))
    monkeypatch.setattr(SqliteHistoryStore, "mark_reread", full)
    rc = main(["remediate", "--in", str(scanned.scan_dir), "--config", str(scanned.config_path),
               "--rule", POLICY_FIX, "--apply", "--yes", "--history", str(history),
               "--remediation-role-name", REMEDIATION_ROLE,
               "--journal", str(tmp_path / "journal.jsonl")])
    err = capsys.readouterr().err
    assert rc == 1
    assert "the changes were made, but they could not be marked for re-read" in err
    assert "database or disk is full" in err and "--full-refresh-days 1" in err
