"""replicate-secret whose replication Secrets Manager answers with status Failed (a secret of
that name already in the Region): no replica was made (Secrets Manager API Reference,
ReplicationStatusType: "The status can be InProgress, Failed, or InSync"; the rule
secret-not-replicated counts such a Region as missing), so the apply is not "applied" and a
second apply is no no-op (safe-fixes trial round 9)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers.remediate_estate import CENTRAL, REPLICA_REGION, Scanned, account_session
from scanner.errors import InputError
from scanner.remediate.engine import apply_plan
from scanner.remediate.runs import RunResult
from scanner.remediate.journal import read_journal
from scanner.remediate.planfile import estate_of
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.sessions import ClientsFactory


def _apply(s: Scanned, clients: ClientsFactory, journal: Path) -> RunResult:
    plan = build_plan(s.findings, s.snapshot, s.config, Selection(rules=("replicate-secret",)))
    assert [c.remediation_id for c in plan.changes] == ["replicate-secret"]
    return apply_plan(plan, clients, journal_path=str(journal), plan_path="plan.json",
                      max_age_hours=24, current_estate=estate_of(s.snapshot))


def test_a_replication_that_failed_is_not_applied_and_not_a_no_op_the_next_time(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    # someone made a secret of that name in the replica Region since the scan
    account_session(CENTRAL).client("secretsmanager", region_name=REPLICA_REGION).create_secret(
        Name="app/local", SecretString="theirs")

    result = _apply(scanned, clients, tmp_path / "first.jsonl")

    line = _outcome(tmp_path / "first.jsonl")
    assert line["status"] == "verify-failed", line
    assert line["after"][f"replica:{REPLICA_REGION}"] != True  # noqa: E712 -- not a replica
    assert "Failed" in line["message"] and "already exists" in line["message"], line
    assert "RemoveRegionsFromReplication" in line["message"], line
    assert not result.ok
    assert read_journal(tmp_path / "first.jsonl").entries[-1].status == "verify-failed"

    # run again: the Failed replication is what is there, not the desired state, and not
    # for --undo either (replicate-secret is not reversible): a person finishes it
    with pytest.raises(InputError) as refused:
        _apply(scanned, clients, tmp_path / "second.jsonl")

    assert f"replica:{REPLICA_REGION} is 'Failed', planned True -- finish it by hand" in str(
        refused.value), refused.value
    assert not (tmp_path / "second.jsonl").exists()


def _outcome(journal: Path) -> dict[str, Any]:
    """The journal's last change line, as written."""
    lines = [json.loads(x) for x in journal.read_text(encoding="utf-8").splitlines()]
    return [x for x in lines if x.get("type") == "change"][-1]
