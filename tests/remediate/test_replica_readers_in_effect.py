"""A replica's readers are part of every predicted effect: readers gained and lost, outside
readers, and what needs --accept-access-change (safe-fixes trial, defect 3: replicate-secret to
a region whose configured key lets anyone decrypt through Secrets Manager let a principal
outside the trust zone read the new replica, and the plan said "readers +0 -0" --
EstateView.readers() and outside() read only the primaries)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from helpers.access_estate import (APP_ROLE, CENTRAL, REGION, SECRET_ARN, allow_read_identity,
                                   estate, key_policy_for, role, secret_policy_for, text)
from scanner.model import KmsKey, RegionSnapshot, Snapshot
from scanner.pipeline import ScanOptions, analyze, load_inputs
from scanner.remediate.config import load_config
from scanner.remediate.planner import Selection, build_plan

WEST = "us-west-2"
PARTNER = "arn:aws:iam::999999999999:role/Partner"
KW = f"arn:aws:kms:{WEST}:{CENTRAL}:key/2222abcd-0000-0000-0000-000000000002"
REPLICA = SECRET_ARN.replace(REGION, WEST)
ROOT = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
        "Action": "kms:*", "Resource": "*"}


def _estate(west_key_policy: str) -> Snapshot:
    """app/db grants AppRole (in the organization) and Partner (outside it); the primary's
    key lets only AppRole's account decrypt; us-west-2 has a key with ``west_key_policy``."""
    snap = estate(secret_policy=secret_policy_for(APP_ROLE, PARTNER),
                  key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    west_key = KmsKey(arn=KW, key_id=KW.rsplit("/", 1)[1], account_id=CENTRAL, region=WEST,
                      key_manager="CUSTOMER", key_state="Enabled", rotation_enabled=True,
                      key_spec="SYMMETRIC_DEFAULT", policy=west_key_policy)
    accounts = tuple(replace(a, regions=a.regions + (RegionSnapshot(
        region=WEST, kms_keys=(west_key,)),)) if a.account_id == CENTRAL else a
        for a in snap.accounts)
    return replace(snap, accounts=accounts, meta=replace(snap.meta, regions=(REGION, WEST)))


def _plan(tmp_path: Path, snap: Snapshot) -> dict[str, Any]:
    """The plan of secret-not-replicated with the config the trial used (its JSON form)."""
    config = tmp_path / "config.yaml"
    config.write_text(f"required_replica_regions: [{WEST}]\nremediation:\n  cmk:\n"
                      f"    \"{CENTRAL}\": {{{WEST}: \"{KW}\"}}\n", encoding="utf-8")
    inputs = load_inputs(ScanOptions(config_path=config))
    findings = analyze(snap, inputs).findings
    plan = build_plan(findings, snap, load_config(config), Selection(
        rules=("secret-not-replicated",)), inputs=inputs)
    return plan.to_json()


def test_a_replica_whose_key_lets_an_outsider_in_is_refused(tmp_path: Path) -> None:
    """Safe-fixes trial, defect 3: the us-west-2 key lets anyone decrypt through Secrets
    Manager there; Partner, granted by the secret policy and stopped by the primary's key,
    would read the replica. The change is not planned, and the reason names Partner and the
    replica."""
    anyone_via_sm = text(ROOT, {"Sid": "AnyoneViaSM", "Effect": "Allow",
                                "Principal": {"AWS": "*"}, "Action": "kms:Decrypt",
                                "Resource": "*", "Condition": {"StringEquals": {
                                    "kms:ViaService": f"secretsmanager.{WEST}.amazonaws.com"}}})

    plan = _plan(tmp_path, _estate(anyone_via_sm))

    assert plan["changes"] == []
    (refused,) = [s for s in plan["skipped"] if s["remediation_id"] == "replicate-secret"]
    assert f"{PARTNER} (outside the trust zone) gains read access to {REPLICA}" in \
        refused["reason"]
    assert f"--accept-access-change {refused['change_id']}" in refused["reason"]
    gained = {(r["principal"], r["secret_arn"]): r for r in refused["effect"]["readers_gained"]}
    assert gained[(PARTNER, REPLICA)]["outside_trust_zone"] is True
    assert gained[(PARTNER, REPLICA)]["replica_of"] == SECRET_ARN


def test_a_replica_that_keeps_the_readers_inside_is_planned_with_them(tmp_path: Path) -> None:
    """The us-west-2 key lets AppRole decrypt (as the primary's does): the replica's reader is
    in the effect, inside the zone, and the change is planned."""
    plan = _plan(tmp_path, _estate(key_policy_for(APP_ROLE).replace(
        f"secretsmanager.{REGION}.", f"secretsmanager.{WEST}.")))

    (change,) = plan["changes"]
    assert change["remediation_id"] == "replicate-secret"
    gained = [(r["principal"], r["secret_arn"], r["outside_trust_zone"])
              for r in change["effect"]["readers_gained"]]
    assert gained == [(APP_ROLE, REPLICA, False)]
