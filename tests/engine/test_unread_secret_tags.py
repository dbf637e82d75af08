"""A secret whose tags could not be read (``"tags"`` in its ``unread``: ListSecrets answered a
tag without its Value) is judged on no tag at all -- neither as having none nor as having
the value ``""`` (fault-injection trial round 26). Read as ``share=""``, a policy allowing
everyone on ``aws:ResourceTag/share`` = ``everyone`` passed secret-policy-public; read as
no tags, the rotation network path served every peering instead of the ones its
``secretgraph:db-vpc`` tag names."""

from __future__ import annotations

import json

import pytest

from helpers.engine_helpers import NOW
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Status
from scanner.graph.builder import build_graph
from scanner.model import (AccountSnapshot, IamSnapshot, LambdaFunction, RegionSnapshot,
                           ScanMeta, Secret, Snapshot)

ACCOUNT = "111122223333"
REGION = "us-east-1"
ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:shared-AbCdEf"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:rotate"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
    "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/share": "everyone"}}}]})


def _status(rule_id: str, tags: dict[str, str], unread: tuple[str, ...]) -> Status:
    secret = Secret(arn=ARN, name="shared", account_id=ACCOUNT, region=REGION,
                    kms_key_id=KEY, resource_policy=POLICY, tags=tags, unread=unread,
                    rotation_enabled=True, rotation_lambda_arn=FUNCTION, rotation_days=30)
    function = LambdaFunction(arn=FUNCTION, name="rotate", account_id=ACCOUNT, region=REGION)
    snap = Snapshot(
        meta=ScanMeta(scan_id="s", started_at="2026-11-28T00:00:00Z",
                      finished_at="2026-11-28T00:01:00Z", accounts=(ACCOUNT,),
                      regions=(REGION,)),
        accounts=(AccountSnapshot(account_id=ACCOUNT, iam=IamSnapshot(), regions=(
            RegionSnapshot(region=REGION, secrets=(secret,), lambda_functions=(function,)),)),))
    rule = load_ruleset().get(rule_id)
    assert rule is not None
    found = evaluate(build_graph(snap), snap, None, Ruleset(rules=(rule,)),
                     parse_config({"emit_pass": True}, path="(test)"), NOW)
    (status,) = {f.status for f in found if f.resource.arn == ARN}
    return status


@pytest.mark.parametrize("rule_id,read", [("secret-policy-public", Status.FAIL),
                                          ("secret-rotation-no-network-path", Status.PASS)])
def test_tags_read_are_judged(rule_id: str, read: Status) -> None:
    assert _status(rule_id, {"share": "everyone"}, ()) == read


def test_a_tag_read_as_empty_text_is_what_the_collector_no_longer_gives() -> None:
    """The reading the collector used to make of a tag without Value: PASS."""
    assert _status("secret-policy-public", {"share": ""}, ()) == Status.PASS


def test_unread_tags_make_the_tag_condition_unknown_not_false() -> None:
    assert _status("secret-policy-public", {}, ("tags",)) != Status.PASS


def test_unread_tags_leave_the_served_database_vpcs_unknown() -> None:
    assert _status("secret-rotation-no-network-path", {}, ("tags",)) == Status.UNKNOWN


@pytest.mark.parametrize("primary_unread,replica_unread", [((), ("tags",)), (("tags",), ())])
def test_a_replicas_tags_are_known_as_its_own_listing_read_them(
        primary_unread: tuple[str, ...], replica_unread: tuple[str, ...]) -> None:
    """A replica's tags are its own listing's reading (the graph builder), so whether they
    were read is too: a replica whose listing lost a tag's value was evaluated on no tags
    (aws:ResourceTag/* absent), its primary's read tags standing for it."""
    from scanner.access.graph_io import secret_copies, secret_resource_context
    from scanner.access.settings import AccessSettings

    west = "us-west-2"
    primary = Secret(arn=ARN, name="shared", account_id=ACCOUNT, region=REGION,
                     resource_policy=POLICY, unread=primary_unread,
                     tags={} if primary_unread else {"share": "everyone"})
    replica = Secret(arn=ARN.replace(REGION, west), name="shared", account_id=ACCOUNT,
                     region=west, primary_region=REGION, unread=replica_unread,
                     tags={} if replica_unread else {"share": "everyone"})
    snap = Snapshot(
        meta=ScanMeta(scan_id="s", started_at="2026-11-28T00:00:00Z",
                      finished_at="2026-11-28T00:01:00Z", accounts=(ACCOUNT,),
                      regions=(REGION, west)),
        accounts=(AccountSnapshot(account_id=ACCOUNT, iam=IamSnapshot(), regions=(
            RegionSnapshot(region=REGION, secrets=(primary,)),
            RegionSnapshot(region=west, secrets=(replica,)))),))
    contexts = {arn: secret_resource_context(node, attrs, AccessSettings())
                for arn, node, attrs, _ in secret_copies(build_graph(snap))}
    assert set(contexts) == {primary.arn, replica.arn}
    for secret in (primary, replica):
        context, absent, _ = contexts[secret.arn]
        if secret.unread:  # no tag key known: neither a value nor "not there"
            assert "aws:resourcetag/share" not in context, secret.arn
            assert "aws:resourcetag/" not in absent, secret.arn
        else:
            assert context["aws:resourcetag/share"] == ("everyone",), secret.arn
            assert "aws:resourcetag/" in absent, secret.arn  # any other tag key: not there
