"""add-peering-route's peering is a condition of the change, checked again at the apply: a
route through a peering deleted (or rejected) since the scan carries nothing -- Amazon VPC
User Guide, "Update your route tables for a VPC peering connection": a route to a peering that
is not active "has a state of blackhole" -- and the rescan then reports it
(vpc-peering-route-blackhole). The plan was refused at plan time for a peering not active,
but the apply re-read only the route table and wrote the route (safe-fixes trial round 19)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.remediate_estate import CENTRAL, MEMBER, REGION, Scanned, account_session
from scanner.errors import InputError
from scanner.remediate.engine import apply_plan
from scanner.remediate.planfile import estate_of
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.sessions import ClientsFactory


def _plan(s: Scanned):  # type: ignore[no-untyped-def]
    plan = build_plan(s.findings, s.snapshot, s.config, Selection(rules=("add-peering-route",)))
    (change,) = plan.changes
    assert change.remediation_id == "add-peering-route"
    assert change.pre_state["peering_status"] == "active"
    return plan


def _routes(s: Scanned) -> list[dict[str, str]]:
    ec2 = account_session(MEMBER).client("ec2", region_name=REGION)
    (table,) = ec2.describe_route_tables(RouteTableIds=[s.estate.member_rtb])["RouteTables"]
    return [r for r in table["Routes"] if r.get("VpcPeeringConnectionId")]


def test_a_peering_deleted_since_the_scan_refuses_the_route(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    plan = _plan(scanned)
    account_session(CENTRAL).client("ec2", region_name=REGION).delete_vpc_peering_connection(
        VpcPeeringConnectionId=scanned.estate.peering_id)

    with pytest.raises(InputError) as refused:
        apply_plan(plan, clients, journal_path=str(tmp_path / "j.jsonl"), plan_path="plan.json",
                   max_age_hours=24, current_estate=estate_of(scanned.snapshot))

    text = str(refused.value)
    assert "peering_status changed since the scan" in text, text
    assert f"the peering {scanned.estate.peering_id} the route goes through is deleted" in text, \
        text
    assert "rescan and plan again" in text and "--undo" not in text, text
    assert _routes(scanned) == []
    assert not (tmp_path / "j.jsonl").exists()


def test_with_the_peering_active_the_route_is_added_and_undone(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    from scanner.remediate.journal import read_journal
    from scanner.remediate.undo import undo_journal

    result = apply_plan(_plan(scanned), clients, journal_path=str(tmp_path / "j.jsonl"),
                        plan_path="plan.json", max_age_hours=24,
                        current_estate=estate_of(scanned.snapshot))
    assert result.ok
    assert [r["VpcPeeringConnectionId"] for r in _routes(scanned)] == [scanned.estate.peering_id]
    # the peering deleted since the apply: the undo still takes the route out
    account_session(CENTRAL).client("ec2", region_name=REGION).delete_vpc_peering_connection(
        VpcPeeringConnectionId=scanned.estate.peering_id)
    undone = undo_journal(read_journal(tmp_path / "j.jsonl"), clients,
                          undo_journal_path=str(tmp_path / "u.jsonl"))
    assert undone.ok
    assert _routes(scanned) == []
