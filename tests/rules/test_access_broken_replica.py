"""secret-cross-account-access-broken judges replicas too: a replica carries its primary's
resource policy but is read through its own key in its own Region, so a member role's read that
works on the primary can be broken on the replica -- after a failover the application's read
fails. Only primaries were judged (conformance trial round 8)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from helpers.access_estate import APP_ROLE, CENTRAL, REPLICA_ARN, replica_estate
from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph
from scanner.model import KmsKey, Snapshot

EU = "eu-west-1"
EU_KEY = f"arn:aws:kms:{EU}:{CENTRAL}:key/eu000000-0000-0000-0000-000000000001"


def _replica_key(policy_grants_member: bool) -> Snapshot:
    """The replica estate with the replica encrypted by its own eu-west-1 key."""
    snap = replica_estate()
    principal = f"arn:aws:iam::{APP_ROLE.split(':')[4]}:root" if policy_grants_member \
        else f"arn:aws:iam::{CENTRAL}:root"
    policy = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": '
              f'{{"AWS": "{principal}"}}, "Action": "kms:*", "Resource": "*"}}]}}')
    key = KmsKey(arn=EU_KEY, key_id=EU_KEY.rsplit("/", 1)[1], account_id=CENTRAL, region=EU,
                 key_manager="CUSTOMER", key_state="Enabled", policy=policy)
    accounts = []
    for account in snap.accounts:
        if account.account_id == CENTRAL:
            regions = []
            for region in account.regions:
                if region.region == EU:
                    region = replace(region, kms_keys=(key,), secrets=tuple(
                        replace(s, kms_key_id=EU_KEY) for s in region.secrets))
                else:
                    region = replace(region, secrets=tuple(
                        replace(s, replicas=tuple(replace(r, kms_key_id=EU_KEY)
                                                  for r in s.replicas))
                        for s in region.secrets))
                regions.append(region)
            account = replace(account, regions=tuple(regions))
        accounts.append(account)
    return replace(snap, accounts=tuple(accounts))


def _fails(snap: Snapshot) -> list[tuple[str, str | None, list[str]]]:
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = load_ruleset().get("secret-cross-account-access-broken")
    assert rule is not None
    return [(f.resource.arn, f.principal, list(f.evidence.get("denied_by") or ()))
            for f in evaluate(graph, snap, access, Ruleset(rules=(rule,)),
                              parse_config({}, path="(test)"),
                              datetime(2026, 11, 29, tzinfo=timezone.utc))
            if f.status.value == "FAIL"]


def test_a_read_broken_on_the_replica_key_is_reported_on_the_replica() -> None:
    fails = _fails(_replica_key(policy_grants_member=False))
    assert len(fails) == 1, fails
    [(resource, principal, denied_by)] = fails
    assert resource.endswith(f"#{EU}") or resource == REPLICA_ARN
    assert principal == APP_ROLE and denied_by == ["key_policy"]


def test_a_replica_whose_key_lets_the_member_decrypt_passes() -> None:
    assert _fails(_replica_key(policy_grants_member=True)) == []


def test_remediation_leaves_a_replicas_broken_read_to_a_person_and_says_why() -> None:
    """grant-key-decrypt edits the primary's key; the replica's own key is another one."""
    from remediations import resolve_remediation_id

    fails = [f for f in evaluate(*_evaluated(_replica_key(policy_grants_member=False)))
             if f.status.value == "FAIL"]
    [finding] = fails
    assert finding.resource.type == "SecretReplica"
    rid, why = resolve_remediation_id(finding)
    assert rid is None and why is not None and "replica's own key" in why


def _evaluated(snap: Snapshot) -> tuple:  # type: ignore[type-arg]
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = load_ruleset().get("secret-cross-account-access-broken")
    assert rule is not None
    return (graph, snap, access, Ruleset(rules=(rule,)), parse_config({}, path="(test)"),
            datetime(2026, 11, 29, tzinfo=timezone.utc))
