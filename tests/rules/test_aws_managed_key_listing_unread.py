"""secret-uses-aws-managed-key when the KMS listing of the secret's own account-Region failed
(fault-injection trial round 10, ListKeys page 2 failing after page 1).

A secret may name its account's aws/secretsmanager key by key id or ARN (concept review round
2: the rule FAILs it when the key was read, KeyManager AWS). With ListKeys failed there the key
is a placeholder that says nothing about its manager, yet it counted as "not AWS-managed" and
the rule PASSED. UNKNOWN now; a key in another account or Region (never the secret's
aws/secretsmanager key, which is its own account's and Region's), an alias other than
aws/secretsmanager (AWS-managed aliases are alias/aws/*, which customers cannot create) and a
listing that was read (the key is absent: secret-key-unusable says so) stay decided."""

from __future__ import annotations

from dataclasses import replace

from helpers.engine_helpers import A, NOW, R, make_secret, make_snapshot, secret_arn

from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Status
from scanner.graph.builder import build_graph
from scanner.model import CoverageEntry, Snapshot

RULE = "secret-uses-aws-managed-key"
BY_ARN = f"arn:aws:kms:{R}:{A}:key/11111111-2222-3333-4444-555555555555"
LIST_KEYS_DENIED = CoverageEntry(account_id=A, region=R, service="kms", operation="ListKeys",
                                 error_code="AccessDeniedException", error_kind="denied",
                                 message="denied")


def _status(kms_key_id: str | None, *, listing_failed: bool) -> Status:
    snap = make_snapshot(make_secret("db", kms_key_id=kms_key_id),
                         coverage=(LIST_KEYS_DENIED,) if listing_failed else ())
    if listing_failed:  # as the collector leaves it: no key, the service named unread
        snap = _without_keys(snap)
    rule = load_ruleset().get(RULE)
    assert rule is not None
    found = evaluate(build_graph(snap), snap, None, Ruleset(rules=(rule,)),
                     parse_config({"emit_pass": True}, path="(test)"), NOW)
    [status] = [f.status for f in found if f.resource.arn == secret_arn("db")]
    return status


def _without_keys(snap: Snapshot) -> Snapshot:
    acct = snap.accounts[0]
    region = replace(acct.regions[0], kms_keys=(), unread_services=("kms",))
    return replace(snap, accounts=(replace(acct, regions=(region,)),))


def test_a_key_named_by_arn_in_an_unlisted_region_may_be_the_aws_managed_one() -> None:
    assert _status(BY_ARN, listing_failed=True) is Status.UNKNOWN
    assert _status(BY_ARN.rsplit("/", 1)[1], listing_failed=True) is Status.UNKNOWN  # bare id


def test_what_the_failed_listing_cannot_change_stays_decided() -> None:
    assert _status(None, listing_failed=True) is Status.FAIL  # KmsKeyId omitted
    assert _status(f"arn:aws:kms:{R}:{A}:alias/aws/secretsmanager",
                   listing_failed=True) is Status.FAIL
    assert _status(f"arn:aws:kms:{R}:{A}:alias/app", listing_failed=True) is Status.PASS
    assert _status(f"arn:aws:kms:{R}:222222222222:key/k9", listing_failed=True) is Status.PASS
    assert _status(f"arn:aws:kms:eu-west-1:{A}:key/k9", listing_failed=True) is Status.PASS
    assert _status(BY_ARN, listing_failed=False) is Status.PASS  # listed: not there
