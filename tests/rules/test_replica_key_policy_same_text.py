"""kms-replica-key-policy-drift compares statements with each key's own Region written as
<region>, so that a replica whose kms:ViaService names its own Region matches a primary naming
its own. A policy that names both Regions by name -- the same text on the primary and the replica,
as a multi-Region key's policy often is -- is no drift either (ground-truth trial round 20: a
replica holding its primary's policy, byte for byte, got "1 statement(s) only in the primary,
1 only in this replica", because the normalisation rewrote a different Region on each side)."""

from __future__ import annotations

from dataclasses import replace

from helpers.access_estate import APP_ROLE, CENTRAL, REGION, estate, text

from scanner.model import RegionSnapshot, Snapshot
from scanner.pipeline import ScanOptions, analyze, load_inputs

R2 = "eu-west-1"
MRK = "mrk-1234abcd00000000000000000000bbbb"
PRIMARY = f"arn:aws:kms:{REGION}:{CENTRAL}:key/{MRK}"
REPLICA = f"arn:aws:kms:{R2}:{CENTRAL}:key/{MRK}"


def _policy(via: list[str], *principals: str) -> str:
    return text({"Sid": "Root", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                 "Resource": "*"},
                {"Sid": "Readers", "Effect": "Allow", "Principal": {"AWS": list(principals)},
                 "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {
                     "kms:ViaService": [f"secretsmanager.{r}.amazonaws.com" for r in via]}}})


def _estate(primary_policy: str, replica_policy: str) -> Snapshot:
    snap = estate(secret_policy=None)
    primary = replace(snap.accounts[0].regions[0].kms_keys[0], arn=PRIMARY, key_id=MRK,
                      multi_region=True, multi_region_type="PRIMARY", primary_key_arn=PRIMARY,
                      replica_key_arns=(REPLICA,), policy=primary_policy)
    replica = replace(primary, arn=REPLICA, region=R2, multi_region_type="REPLICA",
                      replica_key_arns=(), policy=replica_policy)
    accounts = []
    for account in snap.accounts:
        if account.account_id == CENTRAL:
            region = replace(account.regions[0], kms_keys=(primary,))
            account = replace(account, regions=(region, RegionSnapshot(
                region=R2, kms_keys=(replica,))))
        accounts.append(account)
    return replace(snap, accounts=tuple(accounts),
                   meta=replace(snap.meta, regions=(REGION, R2)))


def _drift(snap: Snapshot) -> tuple[str, str]:
    """The replica key's status and message (PASS findings are listed by rule only)."""
    analysis = analyze(snap, load_inputs(ScanOptions()))
    found = [f for f in analysis.findings
             if f.rule_id == "kms-replica-key-policy-drift" and f.resource.arn == REPLICA]
    if found:
        return found[0].status.value, found[0].message
    passed = [r for r in analysis.document["passed"]["by_rule"]
              if r["rule_id"] == "kms-replica-key-policy-drift"]
    assert passed and REPLICA in passed[0]["resources"]
    return "PASS", ""


def test_a_replica_holding_its_primarys_policy_naming_both_regions_has_not_drifted() -> None:
    both = _policy([REGION, R2], APP_ROLE)
    assert _drift(_estate(both, both))[0] == "PASS"


def test_a_replica_naming_its_own_region_where_the_primary_names_its_own_has_not_drifted(
        ) -> None:
    assert _drift(_estate(_policy([REGION], APP_ROLE), _policy([R2], APP_ROLE)))[0] == "PASS"


def test_a_replica_granting_less_than_its_primary_has_drifted() -> None:
    both = [REGION, R2]
    status, message = _drift(_estate(_policy(both, APP_ROLE), _policy(both)))
    assert status == "FAIL"
    assert message.startswith("1 statement(s) only in the primary")


def test_a_replica_naming_the_primarys_region_for_its_own_has_drifted() -> None:
    # the replica's grant works through Secrets Manager in a Region it is not in: not a copy
    status, _ = _drift(_estate(_policy([REGION], APP_ROLE), _policy([REGION], APP_ROLE)))
    assert status == "FAIL"
