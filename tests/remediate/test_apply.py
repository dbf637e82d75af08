"""Plan -> apply -> rescan on moto: the problems are fixed, a second apply changes nothing,
drift is refused, undo puts everything reversible back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.remediate_estate import Scanned
from helpers.remediate_estate import (CENTRAL, CENTRAL_CIDR, EXTERNAL, MEMBER, MEMBER_APP_ROLE, REGION,
                              REPLICA_REGION, REPORTING_ROLE, account_session, findings_for, scan)
from scanner.errors import InputError
from scanner.remediate.engine import apply_plan
from scanner.remediate.undo import undo_journal
from scanner.remediate.journal import read_journal
from scanner.remediate.planfile import estate_of
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.sessions import ClientsFactory

DEFAULT_FIXES = {"move-secret-to-cmk", "enable-secret-rotation", "restrict-public-secret-policy",
                 "grant-key-decrypt", "enable-key-rotation", "cancel-key-deletion",
                 "replicate-secret", "add-peering-route"}


def _plan(s: Scanned, selection: Selection = Selection()):  # type: ignore[no-untyped-def]
    return build_plan(s.findings, s.snapshot, s.config, selection)


def _apply(s: Scanned, clients: ClientsFactory, plan, journal: Path):  # type: ignore[no-untyped-def]
    return apply_plan(plan, clients, journal_path=str(journal), plan_path="plan.json",
                      max_age_hours=24, current_estate=estate_of(s.snapshot))


def _secret(snapshot, arn):  # type: ignore[no-untyped-def]
    return next(sec for a in snapshot.accounts for r in a.regions for sec in r.secrets
                if sec.arn == arn and not sec.is_replica)


def _key(snapshot, arn):  # type: ignore[no-untyped-def]
    return next(k for a in snapshot.accounts for r in a.regions for k in r.kms_keys
                if k.arn == arn)


def _routes(snapshot, rtb_id):  # type: ignore[no-untyped-def]
    table = next(t for a in snapshot.accounts for r in a.regions for t in r.route_tables
                 if t.route_table_id == rtb_id)
    return {(x.destination_cidr, x.target_id) for x in table.routes}


def test_default_plan_fixes_every_problem_but_the_external_grant(scanned: Scanned) -> None:
    plan = _plan(scanned)
    assert {c.remediation_id for c in plan.changes} == DEFAULT_FIXES
    skipped = {s.remediation_id: s.reason for s in plan.skipped}
    assert "runs only when selected explicitly" in skipped["remove-external-grant"]
    route = next(c for c in plan.changes if c.remediation_id == "add-peering-route")
    assert route.account_id == MEMBER  # the side that lacks the route, not the finding's account


def test_apply_fixes_the_estate_and_a_rescan_shows_it(scanned: Scanned, clients: ClientsFactory,
                                                      tmp_path: Path) -> None:
    e = scanned.estate
    plan = _plan(scanned)
    result = _apply(scanned, clients, plan, tmp_path / "journal.jsonl")
    assert result.ok and result.counts == {"applied": len(plan.changes)}

    after = scan(tmp_path / "rescan", "scan-after", regions=(REGION, REPLICA_REGION))
    plain = _secret(after, e.plain_secret)
    assert plain.kms_key_id == e.cmk_arn
    assert plain.rotation_enabled and plain.rotation_lambda_arn == e.rotation_lambda
    assert plain.rotation_days == 30

    shared = json.loads(_secret(after, e.shared_secret).resource_policy)
    before = json.loads(_secret(scanned.snapshot, e.shared_secret).resource_policy)
    assert shared["Statement"][0] == before["Statement"][0]  # unrelated: as it was
    assert shared["Statement"][2] == before["Statement"][2]  # external grant not selected
    assert shared["Statement"][1]["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": "o-testorg0001"}}

    key = _key(after, e.cmk_arn)
    assert key.rotation_enabled is True
    key_policy = json.loads(key.policy)
    assert key_policy["Statement"][0]["Sid"] == "EnableRoot"
    # the member's statement, and the one that keeps ReportingRole reading app/plain after its
    # move to the CMK (planned with the move: issue 14)
    (grant,) = [s for s in key_policy["Statement"][1:]
                if s["Principal"] == {"AWS": MEMBER_APP_ROLE}]
    assert grant["Action"] == "kms:Decrypt"
    assert [s["Principal"] for s in key_policy["Statement"][1:]
            if s["Principal"] != {"AWS": MEMBER_APP_ROLE}] == [{"AWS": REPORTING_ROLE}]
    assert grant["Condition"]["StringEquals"]["kms:ViaService"] == \
        f"secretsmanager.{REGION}.amazonaws.com"

    assert _key(after, e.doomed_key_arn).key_state == "Enabled"
    assert {r.region for r in _secret(after, e.unreplicated_secret).replicas} == {REPLICA_REGION}
    assert (CENTRAL_CIDR, e.peering_id) in _routes(after, e.member_rtb)

    # the same findings against the rescan: nothing left to change, nothing new planned
    replan = build_plan(findings_for(e), after, scanned.config, Selection())
    assert replan.changes == ()
    reasons = {s.remediation_id: s.reason for s in replan.skipped}
    for rid in DEFAULT_FIXES - {"grant-key-decrypt"}:
        assert "already in the desired state" in reasons[rid], (rid, reasons[rid])
    assert "already allows kms:Decrypt" in reasons["grant-key-decrypt"]


def test_second_apply_of_the_same_plan_changes_nothing(scanned: Scanned, clients: ClientsFactory,
                                                      tmp_path: Path) -> None:
    plan = _plan(scanned)
    _apply(scanned, clients, plan, tmp_path / "first.jsonl")
    policy_after_first = account_session(CENTRAL).client("secretsmanager").get_resource_policy(
        SecretId=scanned.estate.shared_secret)["ResourcePolicy"]

    second = _apply(scanned, clients, plan, tmp_path / "second.jsonl")

    assert second.counts == {"noop": len(plan.changes)}
    assert {e.status for e in read_journal(tmp_path / "second.jsonl").entries} == {"noop"}
    assert account_session(CENTRAL).client("secretsmanager").get_resource_policy(
        SecretId=scanned.estate.shared_secret)["ResourcePolicy"] == policy_after_first


def test_a_drifted_resource_refuses_the_whole_plan_and_changes_nothing(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    plan = _plan(scanned)
    sm = account_session(CENTRAL).client("secretsmanager")
    drifted = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "SomeoneElse", "Effect": "Allow", "Principal": "*",
         "Action": "secretsmanager:DescribeSecret", "Resource": "*"}]})
    sm.put_resource_policy(SecretId=scanned.estate.shared_secret, ResourcePolicy=drifted)

    with pytest.raises(InputError, match="drifted.*resource_policy changed since the scan"):
        _apply(scanned, clients, plan, tmp_path / "journal.jsonl")

    assert not (tmp_path / "journal.jsonl").exists()
    assert sm.get_resource_policy(SecretId=scanned.estate.shared_secret)["ResourcePolicy"] \
        == drifted
    kms = account_session(CENTRAL).client("kms")
    assert kms.get_key_rotation_status(KeyId=scanned.estate.cmk_arn)["KeyRotationEnabled"] \
        is False
    assert "KmsKeyId" not in sm.describe_secret(SecretId=scanned.estate.plain_secret)


def test_undo_restores_what_is_reversible(scanned: Scanned, clients: ClientsFactory,
                                          tmp_path: Path) -> None:
    e = scanned.estate
    central = account_session(CENTRAL)
    sm, kms = central.client("secretsmanager"), central.client("kms")
    policy_text = sm.get_resource_policy(SecretId=e.shared_secret)["ResourcePolicy"]
    key_policy_text = kms.get_key_policy(KeyId=e.cmk_arn, PolicyName="default")["Policy"]
    plan = _plan(scanned)
    _apply(scanned, clients, plan, tmp_path / "journal.jsonl")

    result = undo_journal(read_journal(tmp_path / "journal.jsonl"), clients,
                          undo_journal_path=str(tmp_path / "undo.jsonl"))

    reversible = [c for c in plan.changes if c.reversible]
    assert result.ok and result.counts == {"undone": len(reversible)}
    assert sm.get_resource_policy(SecretId=e.shared_secret)["ResourcePolicy"] == policy_text
    assert kms.get_key_policy(KeyId=e.cmk_arn, PolicyName="default")["Policy"] == key_policy_text
    assert kms.get_key_rotation_status(KeyId=e.cmk_arn)["KeyRotationEnabled"] is False
    plain = sm.describe_secret(SecretId=e.plain_secret)
    assert "KmsKeyId" not in plain and not plain.get("RotationEnabled")
    routes = account_session(MEMBER).client("ec2").describe_route_tables(
        RouteTableIds=[e.member_rtb])["RouteTables"][0]["Routes"]
    assert CENTRAL_CIDR not in {r.get("DestinationCidrBlock") for r in routes}
    # not reversible: the key stays usable, the replica stays
    assert kms.describe_key(KeyId=e.doomed_key_arn)["KeyMetadata"]["KeyState"] == "Enabled"
    assert [r["Region"] for r in sm.describe_secret(SecretId=e.unreplicated_secret)
            ["ReplicationStatus"]] == [REPLICA_REGION]



def test_undo_lists_what_it_puts_back_before_it_asks(scanned: Scanned, clients: ClientsFactory,
                                                     tmp_path: Path) -> None:
    """`--undo JOURNAL` in a terminal asked 'Undo 8 change(s) of plan ...?' with nothing above
    it: an apply shows its plan before it asks, an undo named no change it would revert
    (new-user trial round 28). Each change is listed, newest first, before the question."""
    import io

    plan = _plan(scanned)
    _apply(scanned, clients, plan, tmp_path / "journal.jsonl")
    out = io.StringIO()
    asked: list[str] = []

    def decline(question: str) -> bool:
        asked.append(out.getvalue())
        return False

    result = undo_journal(read_journal(tmp_path / "journal.jsonl"), clients,
                          undo_journal_path=str(tmp_path / "undo.jsonl"), confirm=decline,
                          out=out)

    assert result.stopped == "not confirmed"
    (shown,) = asked
    reversible = [c for c in plan.changes if c.reversible]
    assert f"to undo ({len(reversible)}, newest first: each put back as it was before the " \
        "apply):" in shown
    listed = [line.split()[0] for line in shown.splitlines() if line.startswith("  chg-")]
    assert listed == [c.change_id for c in reversed(reversible)]
    route = next(c for c in reversible if c.remediation_id == "add-peering-route")
    assert f"  {route.change_id} add-peering-route {route.resource_arn}: {route.summary}" in shown

def test_undo_refuses_when_a_resource_changed_since_the_apply(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    e = scanned.estate
    _apply(scanned, clients, _plan(scanned), tmp_path / "journal.jsonl")
    sm = account_session(CENTRAL).client("secretsmanager")
    someone_elses = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Later", "Effect": "Allow", "Principal": {"AWS": MEMBER_APP_ROLE},
         "Action": "secretsmanager:DescribeSecret", "Resource": "*"}]})
    sm.put_resource_policy(SecretId=e.shared_secret, ResourcePolicy=someone_elses)

    with pytest.raises(InputError, match="journal does not match.*resource_policy changed"):
        undo_journal(read_journal(tmp_path / "journal.jsonl"), clients,
                     undo_journal_path=str(tmp_path / "undo.jsonl"))

    assert not (tmp_path / "undo.jsonl").exists()
    assert sm.get_resource_policy(SecretId=e.shared_secret)["ResourcePolicy"] == someone_elses
    kms = account_session(CENTRAL).client("kms")
    assert kms.get_key_rotation_status(KeyId=e.cmk_arn)["KeyRotationEnabled"] is True


def test_remove_external_grant_only_when_selected_and_only_that_principal(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    e = scanned.estate
    plan = _plan(scanned, Selection(rules=("secret-policy-external-account",)))
    assert [c.remediation_id for c in plan.changes] == ["remove-external-grant"]

    _apply(scanned, clients, plan, tmp_path / "journal.jsonl")

    policy = json.loads(account_session(CENTRAL).client("secretsmanager").get_resource_policy(
        SecretId=e.shared_secret)["ResourcePolicy"])
    before = json.loads(_secret(scanned.snapshot, e.shared_secret).resource_policy)
    assert policy["Statement"][:2] == before["Statement"][:2]
    assert policy["Statement"][2]["Principal"] == {"AWS": MEMBER_APP_ROLE}
    assert EXTERNAL not in json.dumps(policy)
