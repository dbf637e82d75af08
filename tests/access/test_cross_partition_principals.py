"""A principal of another partition than the secret's never reads it, is outside the trust
zone, and never covers a key grant of another partition: "You cannot use IAM credentials from
one partition to interact with resources in a different partition" (AWS fault isolation
boundaries whitepaper, "Partitions"); docs/access.md: partitions are separate. The same
account id in ``arn:aws-us-gov`` is another account (conformance trial round 8)."""

from __future__ import annotations

from helpers.access_estate import (APP_ROLE, KEY_ARN, MEMBER, MEMBER2, SECRET_ARN,
                                   allow_read_identity, estate, key_policy_for, role,
                                   secret_policy_for)

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.model import Snapshot
from scanner.pipeline import ScanOptions, analyze, load_inputs
from scanner.policy.trust_zone import trust_zone

GOV_ROLE = f"arn:aws-us-gov:iam::{MEMBER}:role/ApplicationRole"
GOV_ROOT2 = f"arn:aws-us-gov:iam::{MEMBER2}:root"
ROOT2 = f"arn:aws:iam::{MEMBER2}:root"


def _estate(secret_policy: str, key_policy: str) -> Snapshot:
    return estate(secret_policy=secret_policy, key_policy=key_policy,
                  principals=(role(APP_ROLE, allow_read_identity()),))


def test_a_govcloud_role_named_on_a_commercial_secret_reads_nothing() -> None:
    """conformance trial round 8: an aws-partition secret and key granting the aws-us-gov role
    of member 222222222222 gave a conditional reader in the zone (SCP gate ALLOWED), and
    UNKNOWN secret-cross-account-access-broken / identity-policy-secret-wildcard findings for
    "IAM of account 222222222222 not read"."""
    snap = _estate(secret_policy_for(GOV_ROLE), key_policy_for(GOV_ROLE))
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    sa = report.secrets[SECRET_ARN]
    assert [p for p in sa.paths if p.principal == GOV_ROLE] == []
    assert [p.principal for p in sa.readers + sa.conditional_readers] == []
    (grant,) = [g for g in sa.grants if g.principal == GOV_ROLE]
    assert grant.in_zone is False
    unknown = [(f.rule_id, f.message) for f in analyze(snap, load_inputs(ScanOptions())).findings
               if f.status.value == "UNKNOWN" and f.rule_id in (
                   "secret-cross-account-access-broken", "identity-policy-secret-wildcard")]
    assert unknown == []


def test_the_external_grant_to_another_partition_says_it_reads_nothing() -> None:
    """conformance trial round 8: outside the zone, the grant is reported by
    secret-policy-external-account -- as one that can never read the secret, not as one whose
    other gates were not evaluated."""
    snap = _estate(secret_policy_for(GOV_ROLE), key_policy_for(GOV_ROLE))
    (finding,) = [f for f in analyze(snap, load_inputs(ScanOptions())).findings
                  if f.rule_id == "secret-policy-external-account"
                  and f.status.value == "FAIL"]
    assert finding.principal == GOV_ROLE
    assert "can never read the secret (partitions are separate)" in finding.message


def test_the_zone_holds_the_estate_partition_only() -> None:
    """conformance trial round 8: the zone matched on the account id alone."""
    zone = trust_zone(_estate(secret_policy_for(APP_ROLE), key_policy_for(APP_ROLE)))
    assert zone.contains(MEMBER) and zone.contains(MEMBER, "aws")
    assert not zone.contains(MEMBER, "aws-us-gov")


def test_a_govcloud_root_on_the_secret_does_not_cover_the_commercial_root_on_the_key() -> None:
    """conformance trial round 8: the secret grants arn:aws-us-gov:iam::333333333333:root,
    the key arn:aws:iam::333333333333:root -- no aws-partition principal of 333333333333 is
    granted, yet the key grant was no excess."""
    assert _excess(secret_policy_for(APP_ROLE, GOV_ROOT2), key_policy_for(APP_ROLE, ROOT2)) \
        == [ROOT2]
    assert _excess(secret_policy_for(APP_ROLE, ROOT2), key_policy_for(APP_ROLE, GOV_ROOT2)) \
        == [GOV_ROOT2]


def _excess(secret_policy: str, key_policy: str) -> list[str]:
    snap = _estate(secret_policy, key_policy)
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    return [g.principal for g in report.keys[KEY_ARN].excess_grants]


def test_a_govcloud_root_on_the_secret_makes_no_commercial_principal_intended() -> None:
    """conformance trial round 8: the member's aws-partition role is not named by a grant to
    the aws-us-gov root of its account id (no broken intended read)."""
    snap = estate(secret_policy=secret_policy_for(APP_ROLE, GOV_ROOT2),
                  key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),
                              role(f"arn:aws:iam::{MEMBER2}:role/ApplicationRole",
                                   allow_read_identity())))
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    assert [p.principal for p in report.secrets[SECRET_ARN].paths
            if p.principal_account == MEMBER2 and p.intended] == []
