"""The remediation role's policy is generated from what each remediator declares
(`secretgraph iam-policy --for remediation-role`, one statement per remediator). Each
remediator must get by with its own statement and the identity checks: every call it makes --
the re-reads before and after, the change, the verification and the undo -- is in them. Here
the role allows exactly those actions (every other call refused before it is sent) and each
remediator is planned, applied and undone on the moto estate."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.remediate_estate import REMEDIATION_ROLE, Scanned, mgmt_session
from remediations import REMEDIATORS
from scanner.remediate import sessions
from scanner.remediate.engine import apply_plan
from scanner.remediate.journal import read_journal
from scanner.remediate.permissions import remediation_policy_document
from scanner.remediate.planfile import estate_of
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.undo import undo_journal

#: the selection that plans each remediator on the estate (remove-external-grant runs only
#: when its rule is selected)
_SELECT = {rid: rid for rid in REMEDIATORS} | {
    "remove-external-grant": "secret-policy-external-account"}


def _sid(rid: str) -> str:
    return "".join(part.capitalize() for part in rid.split("-"))


def _allowed_by_the_role(remediation_ids: set[str]) -> frozenset[tuple[str, str]]:
    """The actions the generated policy allows these remediators (their statements and the
    identity checks), as the guard's (service, operation) pairs; plus sts:AssumeRole, which the
    caller's own credentials make to get into the role."""
    wanted = {_sid(r) for r in remediation_ids} | {"IdentityChecks"}
    actions = {a for s in remediation_policy_document()["Statement"]
               if s["Effect"] == "Allow" and s["Sid"] in wanted for a in s["Action"]}
    return frozenset(tuple(a.split(":", 1)) for a in actions) | {("sts", "AssumeRole")}


@pytest.mark.parametrize("rid", sorted(REMEDIATORS))
def test_each_remediator_gets_by_with_its_own_statement_of_the_role_policy(
        rid: str, scanned: Scanned, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = build_plan(scanned.findings, scanned.snapshot, scanned.config,
                      Selection(rules=(_SELECT[rid],)))
    planned = {c.remediation_id for c in plan.changes}
    assert rid in planned, plan.skipped
    monkeypatch.setattr(sessions, "remediation_operations",
                        lambda: _allowed_by_the_role(planned))
    clients = sessions.remediation_clients(role_name=REMEDIATION_ROLE, endpoint_url=None,
                                           base=mgmt_session(), max_attempts=1)

    applied = apply_plan(plan, clients, journal_path=str(tmp_path / "j.jsonl"),
                         plan_path="plan.json", max_age_hours=24,
                         current_estate=estate_of(scanned.snapshot))

    assert applied.ok, (applied, (tmp_path / "j.jsonl").read_text())
    undone = undo_journal(read_journal(tmp_path / "j.jsonl"), clients,
                          undo_journal_path=str(tmp_path / "undo.jsonl"))
    assert undone.ok, (undone, (tmp_path / "undo.jsonl").read_text())
    reversible = sum(1 for c in plan.changes if c.reversible)
    assert undone.counts.get("undone", 0) == reversible, undone
