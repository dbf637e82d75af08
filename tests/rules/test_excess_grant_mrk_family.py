"""kms-key-policy-excess-grant judges a multi-Region key -- its primary and each replica --
against the secrets of its whole multi-Region family: a replica "must grant what the primary
grants" (DESIGN.md; kms-replica-key-policy-drift), so a grant that only the primary's secrets
make is not in excess on the replica (ground-truth trial round 6: the eu-west-1 replica of a
multi-Region key got HIGH excess-grant FAILs for every role only the us-east-1 secrets grant,
and aligning the replica with that rule made the drift rule fail: no replica policy passed
both)."""

from __future__ import annotations

from dataclasses import replace

from helpers.access_estate import (
    APP_ROLE,
    APP_ROLE2,
    CENTRAL,
    OTHER_ROLE,
    REGION,
    SECRET_ARN,
    allow_read_identity,
    estate,
    role,
    secret_policy_for,
    text,
)

from scanner.model import RegionSnapshot, ReplicaStatus, ScanMeta, Snapshot
from scanner.pipeline import ScanOptions, analyze, load_inputs

R2 = "eu-west-1"
MRK = "mrk-1234abcd00000000000000000000aaaa"
PRIMARY = f"arn:aws:kms:{REGION}:{CENTRAL}:key/{MRK}"
REPLICA = f"arn:aws:kms:{R2}:{CENTRAL}:key/{MRK}"
OTHER_SECRET = SECRET_ARN.replace("app/db-AbCdEf", "app/other-GhIjKl")


def _key_policy(region: str, *principals: str) -> str:
    return text({"Sid": "Root", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                 "Resource": "*"},
                {"Sid": "Readers", "Effect": "Allow", "Principal": {"AWS": list(principals)},
                 "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {
                     "kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}}})


def _estate(*grantees: str, scanned: tuple[str, ...] = (REGION, R2)) -> Snapshot:
    """app/db (granted to APP_ROLE, replicated to eu-west-1 on the replica key) and app/other
    (granted to APP_ROLE2, not replicated), both on the primary of one multi-Region key whose
    primary and replica policies are the same (kms:ViaService names each key's region) and
    grant ``grantees``. ``scanned``: the regions the scan read."""
    snap = estate(secret_policy=secret_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),
                              role(APP_ROLE2, allow_read_identity())))
    primary_key = replace(snap.accounts[0].regions[0].kms_keys[0], arn=PRIMARY, key_id=MRK,
                          multi_region=True, multi_region_type="PRIMARY",
                          primary_key_arn=PRIMARY, replica_key_arns=(REPLICA,),
                          policy=_key_policy(REGION, *grantees))
    replica_key = replace(primary_key, arn=REPLICA, region=R2, multi_region_type="REPLICA",
                          replica_key_arns=(), policy=_key_policy(R2, *grantees))
    accounts = []
    for account in snap.accounts:
        if account.account_id == CENTRAL:
            region = account.regions[0]
            db = replace(region.secrets[0], kms_key_id=PRIMARY, replicas=(
                ReplicaStatus(region=R2, kms_key_id=REPLICA, status="InSync"),))
            other = replace(db, arn=OTHER_SECRET, name="app/other", replicas=(),
                            resource_policy=secret_policy_for(APP_ROLE2))
            replica = replace(db, arn=SECRET_ARN.replace(REGION, R2), region=R2,
                              primary_region=REGION, replicas=(), kms_key_id=REPLICA)
            regions = [replace(region, secrets=(db, other), kms_keys=(primary_key,))]
            if R2 in scanned:
                regions.append(RegionSnapshot(region=R2, secrets=(replica,),
                                              kms_keys=(replica_key,)))
            account = replace(account, regions=tuple(regions))
        accounts.append(account)
    meta: ScanMeta = replace(snap.meta, regions=scanned)
    return replace(snap, accounts=tuple(accounts), meta=meta)


def _verdicts(snap: Snapshot) -> dict[tuple[str, str], list[tuple[str, str]]]:
    analysis = analyze(snap, load_inputs(ScanOptions()))
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for f in analysis.findings:
        if f.rule_id in ("kms-key-policy-excess-grant", "kms-replica-key-policy-drift") \
                and f.status.value != "PASS":
            key = (f.rule_id, f.resource.arn)
            out.setdefault(key, []).append((f.status.value, str(f.principal or "")))
    return out


def test_a_replica_with_its_primarys_policy_has_no_excess_grant_for_the_primarys_secrets() -> None:
    # APP_ROLE2 reads app/other, which lives only in us-east-1 on the primary: the replica
    # must still grant it (drift rule), so it is not an excess grant of the replica
    assert _verdicts(_estate(APP_ROLE, APP_ROLE2)) == {}


def test_a_grant_no_secret_of_the_family_makes_fails_on_the_primary_and_every_replica() -> None:
    got = _verdicts(_estate(APP_ROLE, APP_ROLE2, OTHER_ROLE))
    assert got == {("kms-key-policy-excess-grant", PRIMARY): [("FAIL", OTHER_ROLE)],
                   ("kms-key-policy-excess-grant", REPLICA): [("FAIL", OTHER_ROLE)]}


def test_the_family_report_lists_the_secrets_compared_and_the_other_keys() -> None:
    report = analyze(_estate(APP_ROLE, APP_ROLE2), load_inputs(ScanOptions())).access
    replica = report.keys[REPLICA]
    assert replica.secrets == (SECRET_ARN.replace(REGION, R2),)  # what it encrypts itself
    assert replica.primaries == tuple(sorted((SECRET_ARN, OTHER_SECRET)))  # compared with
    assert replica.family == (PRIMARY,)
    assert report.keys[PRIMARY].family == (REPLICA,)


def test_a_primary_whose_replica_region_was_not_scanned_is_unknown_only_when_in_excess() -> None:
    # the replica region's own secrets (on the replica key) could grant the principal; with
    # no grant in excess over the secrets read, none could be over all of them
    key = ("kms-key-policy-excess-grant", PRIMARY)
    assert _verdicts(_estate(APP_ROLE, APP_ROLE2, OTHER_ROLE, scanned=(REGION,)))[key] == \
        [("UNKNOWN", "")]
    assert key not in _verdicts(_estate(APP_ROLE, APP_ROLE2, scanned=(REGION,)))


def test_a_grant_in_excess_while_the_replica_regions_secrets_were_not_listed_is_unknown() -> None:
    snap = _estate(APP_ROLE, APP_ROLE2, OTHER_ROLE)
    accounts = tuple(replace(a, regions=tuple(
        replace(r, unread_services=("secretsmanager",)) if r.region == R2 else r
        for r in a.regions)) for a in snap.accounts)
    got = _verdicts(replace(snap, accounts=accounts))
    assert got[("kms-key-policy-excess-grant", PRIMARY)] == [("UNKNOWN", "")]


def test_the_fail_message_names_the_family() -> None:
    analysis = analyze(_estate(APP_ROLE, APP_ROLE2, OTHER_ROLE), load_inputs(ScanOptions()))
    [fail] = [f for f in analysis.findings if f.rule_id == "kms-key-policy-excess-grant"
              and f.resource.arn == REPLICA and f.status.value == "FAIL"]
    assert "encrypted with the key or its multi-Region family grants it" in fail.message
