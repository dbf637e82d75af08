"""replicate-secret's replica key is what the replica's readers were predicted from, and what
the replica is encrypted with: it is checked at the plan and again at the apply, as
move-secret-to-cmk's target key is (safe-fixes trial round 19). The plan took the region's
key without looking at it -- a Disabled or PendingDeletion key was planned, and the replication
then Failed, to be removed by hand (RemoveRegionsFromReplication) -- and the apply went ahead
on a key disabled, or whose policy was edited, since the scan: the readers the plan showed
were not the ones the replica got (a policy that now lets anyone decrypt through Secrets
Manager there lets an outsider read the new replica)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from helpers.remediate_estate import (CENTRAL, REGION, REPLICA_REGION, Scanned,
                                      account_session, scan)
from scanner.errors import InputError
from scanner.remediate.engine import apply_plan
from scanner.remediate.planfile import estate_of
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.sessions import ClientsFactory

from test_replica_readers_in_effect import ROOT, _estate, _plan  # type: ignore[import-not-found]


def test_a_replica_key_that_is_not_enabled_is_not_planned(tmp_path: Path) -> None:
    for state in ("Disabled", "PendingDeletion"):
        snap = _estate(json.dumps({"Version": "2012-10-17", "Statement": [ROOT]}))
        snap = replace(snap, accounts=tuple(replace(a, regions=tuple(replace(r, kms_keys=tuple(
            replace(k, key_state=state) for k in r.kms_keys)) if r.region == REPLICA_REGION
            else r for r in a.regions)) for a in snap.accounts))

        plan = _plan(tmp_path, snap)

        assert plan["changes"] == [], state
        (refused,) = [s for s in plan["skipped"] if s["remediation_id"] == "replicate-secret"]
        assert f"is {state}, not Enabled" in refused["reason"], refused["reason"]
        assert REPLICA_REGION in refused["reason"], refused["reason"]


def _plan_replication(s: Scanned):  # type: ignore[no-untyped-def]
    plan = build_plan(s.findings, s.snapshot, s.config, Selection(rules=("replicate-secret",)))
    assert [c.remediation_id for c in plan.changes] == ["replicate-secret"]
    return plan


def _apply(s: Scanned, plan, clients: ClientsFactory,  # type: ignore[no-untyped-def]
           journal: Path):
    return apply_plan(plan, clients, journal_path=str(journal), plan_path="plan.json",
                      max_age_hours=24, current_estate=estate_of(s.snapshot))


def test_a_replica_key_disabled_since_the_scan_refuses_the_plan_and_replicates_nothing(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    """The replica Region is not scanned here (the key comes from remediation.cmk): the key
    must still be Enabled at the apply."""
    plan = _plan_replication(scanned)
    (change,) = plan.changes
    assert change.pre_state[f"replica_key_state:{REPLICA_REGION}"] == "Enabled"
    west = account_session(CENTRAL).client("kms", region_name=REPLICA_REGION)
    west.disable_key(KeyId=scanned.estate.cmk_west_arn.rsplit("/", 1)[1])

    with pytest.raises(InputError) as refused:
        _apply(scanned, plan, clients, tmp_path / "j.jsonl")

    text = str(refused.value)
    assert f"replica_key_state:{REPLICA_REGION} changed since the scan" in text, text
    assert scanned.estate.cmk_west_arn in text and "Disabled" in text, text
    assert "rescan and plan again" in text and "--undo" not in text, text
    sm = account_session(CENTRAL).client("secretsmanager", region_name=REGION)
    assert not sm.describe_secret(SecretId=scanned.estate.unreplicated_secret).get(
        "ReplicationStatus")
    assert not (tmp_path / "j.jsonl").exists()


def test_a_replica_key_policy_edited_since_the_scan_refuses_the_plan(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    """The replica Region scanned too: the readers of the replica were predicted from its
    key's policy, which must be the one the plan read."""
    snapshot = scan(tmp_path / "both", "scan-both", regions=(REGION, REPLICA_REGION))
    s = replace(scanned, snapshot=snapshot)
    plan = _plan_replication(s)
    (change,) = plan.changes
    assert change.pre_state[f"replica_key_policy_as_planned:{REPLICA_REGION}"] is True
    west = account_session(CENTRAL).client("kms", region_name=REPLICA_REGION)
    anyone = {"Sid": "AnyoneViaSM", "Effect": "Allow", "Principal": {"AWS": "*"},
              "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {
                  "kms:ViaService": f"secretsmanager.{REPLICA_REGION}.amazonaws.com"}}}
    policy = json.loads(west.get_key_policy(KeyId=scanned.estate.cmk_west_arn,
                                            PolicyName="default")["Policy"])
    west.put_key_policy(KeyId=scanned.estate.cmk_west_arn, PolicyName="default",
                        Policy=json.dumps({**policy,
                                           "Statement": policy["Statement"] + [anyone]}))

    with pytest.raises(InputError) as refused:
        _apply(s, plan, clients, tmp_path / "j.jsonl")

    text = str(refused.value)
    assert f"replica_key_policy_as_planned:{REPLICA_REGION} changed since the scan" in text, text
    assert scanned.estate.cmk_west_arn in text, text
    sm = account_session(CENTRAL).client("secretsmanager", region_name=REGION)
    assert not sm.describe_secret(SecretId=scanned.estate.unreplicated_secret).get(
        "ReplicationStatus")


def test_with_the_replica_key_as_at_the_scan_the_replica_is_made(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    snapshot = scan(tmp_path / "both", "scan-both", regions=(REGION, REPLICA_REGION))
    s = replace(scanned, snapshot=snapshot)
    result = _apply(s, _plan_replication(s), clients, tmp_path / "j.jsonl")
    assert result.ok
    sm = account_session(CENTRAL).client("secretsmanager", region_name=REGION)
    assert [r["Region"] for r in sm.describe_secret(
        SecretId=scanned.estate.unreplicated_secret)["ReplicationStatus"]] == [REPLICA_REGION]


def test_a_policy_the_plan_leads_the_replica_key_to_is_known_at_the_apply(
        tmp_path: Path) -> None:
    """A grant-key-decrypt of the same plan on the replica's key (for a secret of that
    Region) is applied first: the replica's condition knows the policy it leads to, as a
    move's target key does (the apply would otherwise refuse the plan's own edit as drift)."""
    from remediations.policy_edit import policy_digest
    from remediations.replicate_secret import planned_key_policies
    from scanner.changes import PlannedChange, PolicyDiff

    from test_replica_readers_in_effect import KW  # type: ignore[import-not-found]

    snap = _estate(json.dumps({"Version": "2012-10-17", "Statement": [ROOT]}))
    plan = _plan(tmp_path, snap)
    (raw,) = plan["changes"]
    change = PlannedChange.from_json(raw)
    assert change.details["key_policy_digests"] == {REPLICA_REGION: [policy_digest(
        {"Version": "2012-10-17", "Statement": [ROOT]})]}
    granted = json.dumps({"Version": "2012-10-17", "Statement": [ROOT, {**ROOT, "Sid": "G"}]})
    grant = replace(change, target=f"key-policy:{KW}", policy_diff=PolicyDiff(
        kind="kms-key-policy", before=None, after=granted, statements=(), size_after=0,
        size_limit=0))
    other = replace(grant, target="key-policy:arn:aws:kms:us-west-2:111111111111:key/other")

    known = planned_key_policies(change, [grant, other, change]).details["key_policy_digests"]

    assert known == {REPLICA_REGION: [*change.details["key_policy_digests"][REPLICA_REGION],
                                      policy_digest(json.loads(granted))]}


def test_a_replica_key_that_does_not_exist_is_said_to_be_the_key_not_the_secret(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    """remediation.cmk naming a key of an unscanned Region that is not there (deleted, or a
    typo): the refusal names the key, and does not call the secret deleted."""
    from scanner.remediate.config import parse_config

    gone = f"arn:aws:kms:{REPLICA_REGION}:{CENTRAL}:key/00000000-0000-0000-0000-000000000000"
    raw = {"required_replica_regions": [REPLICA_REGION],
           "remediation": {"cmk": {CENTRAL: {REPLICA_REGION: gone}}}}
    s = replace(scanned, config=parse_config(raw, path="c.yaml"))

    with pytest.raises(InputError) as refused:
        _apply(s, _plan_replication(s), clients, tmp_path / "j.jsonl")

    text = str(refused.value)
    assert f"the key for the replica in {REPLICA_REGION}, {gone}, is not found" in text, text
    assert "deleted since the scan" not in text, text


def test_a_configured_aws_managed_key_is_not_used_for_a_replica(tmp_path: Path) -> None:
    """remediation.cmk must name a customer-managed key: the alias ARN of aws/secretsmanager
    made a replica secret-replica-unhealthy reports."""
    from scanner.pipeline import ScanOptions, analyze, load_inputs
    from scanner.remediate.config import load_config

    alias = f"arn:aws:kms:{REPLICA_REGION}:{CENTRAL}:alias/aws/secretsmanager"
    snap = _estate(json.dumps({"Version": "2012-10-17", "Statement": [ROOT]}))
    config = tmp_path / "config.yaml"
    config.write_text(f"required_replica_regions: [{REPLICA_REGION}]\nremediation:\n  cmk:\n"
                      f"    \"{CENTRAL}\": {{{REPLICA_REGION}: \"{alias}\"}}\n", encoding="utf-8")
    inputs = load_inputs(ScanOptions(config_path=config))
    plan = build_plan(analyze(snap, inputs).findings, snap, load_config(config), Selection(
        rules=("secret-not-replicated",)), inputs=inputs).to_json()

    assert plan["changes"] == []
    (refused,) = [s for s in plan["skipped"] if s["remediation_id"] == "replicate-secret"]
    assert "names the AWS managed key aws/secretsmanager" in refused["reason"], refused


def test_move_to_cmk_does_not_take_a_configured_aws_managed_key_either() -> None:
    """The same check for the key move-secret-to-cmk moves a secret to."""
    from helpers.access_estate import APP_ROLE, estate, secret_policy_for
    from remediations.move_secret_to_cmk import target_key
    from scanner.changes import PlanContext, PlanRefused
    from scanner.remediate.config import parse_config

    alias = f"arn:aws:kms:{REGION}:{CENTRAL}:alias/aws/secretsmanager"
    config = parse_config({"remediation": {"cmk": {CENTRAL: {REGION: alias}}}}, path="c.yaml")
    with pytest.raises(PlanRefused, match="names the AWS managed key aws/secretsmanager"):
        target_key(estate(secret_policy=secret_policy_for(APP_ROLE)),
                   PlanContext(config=config), CENTRAL, REGION)
