"""A secret whose KmsKeyId is the key ARN (or key id) of its account's aws/secretsmanager key:
one answer to "is it the AWS-managed key?" for the rule, the access analysis and every
remediator (scanner.graph.schema.aws_managed_key).

Concept review round 2: secret-uses-aws-managed-key FAILed such a secret ("encrypted with the
AWS-managed key", from the resolved key's KeyManager) while move-secret-to-cmk said
"already in the desired state in the snapshot: nothing to change" (it read only the text
``alias/aws/secretsmanager``). KMS API Reference, KeyMetadata: "KeyManager -- The manager of
the KMS key. KMS keys in your AWS account are either customer managed or AWS managed."
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from helpers.remediate_records import ACCT, KEY_ARN, SECRET_ARN, finding, snapshot
from remediations import grant_key_decrypt, replicate_secret
from scanner.access import AccessSettings, analyze_access
from scanner.access.graph_io import secret_views
from scanner.changes import PlanContext, PlanRefused, RemediationConfig
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.findings import Status
from scanner.graph.builder import build_graph
from scanner.model import KmsKey, Snapshot
from scanner.remediate.planner import Selection, build_plan

MANAGED_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
MANAGED_ARN = f"arn:aws:kms:us-east-1:{ACCT}:key/{MANAGED_ID}"


def on_managed_key(ref: str) -> Snapshot:
    """The records' estate with its account's aws/secretsmanager key listed (KeyManager AWS)
    and the secret's KmsKeyId naming that key by ``ref``; the customer key stays there."""
    snap = snapshot(kms_key_id=ref)
    managed = KmsKey(arn=MANAGED_ARN, key_id=MANAGED_ID, account_id=ACCT, region="us-east-1",
                     aliases=("alias/aws/secretsmanager",), key_manager="AWS",
                     rotation_enabled=True)
    (account,) = snap.accounts
    (region,) = account.regions
    return replace(snap, accounts=(replace(account, regions=(
        replace(region, kms_keys=(*region.kms_keys, managed)),)),))


@pytest.mark.parametrize("ref", [MANAGED_ARN, MANAGED_ID, f"key/{MANAGED_ID}"])
def test_rule_graph_and_access_call_a_secret_on_the_managed_key_by_arn_aws_managed(
        ref: str) -> None:
    snap = on_managed_key(ref)
    graph = build_graph(snap)
    assert graph.nodes[SECRET_ARN]["aws_managed_key"] is True
    (view,), _ = secret_views(graph, AccessSettings.from_snapshot(snap))
    assert view.aws_managed is True
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    findings = evaluate(graph, snap, access, load_ruleset(), parse_config({}, path="(test)"),
                        datetime(2026, 11, 29, tzinfo=timezone.utc))
    (rule,) = [f for f in findings if f.rule_id == "secret-uses-aws-managed-key"]
    assert rule.status is Status.FAIL


@pytest.mark.parametrize("ref", [MANAGED_ARN, MANAGED_ID])
def test_move_to_cmk_plans_for_a_secret_on_the_managed_key_by_arn(ref: str) -> None:
    cfg = RemediationConfig(cmk_by_account_region={ACCT: {"us-east-1": KEY_ARN}})
    plan = build_plan([finding("secret-uses-aws-managed-key", "move-secret-to-cmk")],
                      on_managed_key(ref), cfg, Selection())
    (change,) = plan.changes
    (call,) = change.calls
    assert (call.operation, call.params) == ("UpdateSecret",
                                              {"SecretId": SECRET_ARN, "KmsKeyId": KEY_ARN})
    # what DescribeSecret will name before the change (the reference as the secret holds it):
    # the apply-time check compares it, and undo sets it back
    # (and the key it moves to as at the scan: Enabled, its policy the one the readers were
    # predicted from)
    assert change.pre_state == {"kms_key_id": ref, "target_key_state": "Enabled",
                                "target_key_policy_as_planned": True}
    assert change.desired_state == {"kms_key_id": KEY_ARN, "target_key_state": "Enabled",
                                    "target_key_policy_as_planned": True}


def test_grant_and_replicate_refuse_a_secret_on_the_managed_key_by_arn_as_managed() -> None:
    snap = on_managed_key(MANAGED_ARN)
    ctx = PlanContext(config=RemediationConfig())
    grant = finding("secret-cross-account-access-broken", "grant-key-decrypt",
                    principal="arn:aws:iam::222222222222:role/App")
    with pytest.raises(PlanRefused, match="uses aws/secretsmanager"):
        grant_key_decrypt.plan(grant, snap, ctx)
    secret = snap.accounts[0].regions[0].secrets[0]
    with pytest.raises(PlanRefused, match="the secret is on aws/secretsmanager"):
        replicate_secret.region_key(snap, ctx, secret, "us-west-2")


def test_a_key_whose_manager_and_aliases_were_not_read_is_unknown_never_a_pass() -> None:
    """The secret names a key by ARN whose DescribeKey failed (KeyManager not read) in a
    Region whose ListAliases failed too: whether it is the AWS-managed key is not in the
    snapshot ("Aliases for these KMS keys always have the form aws/<service-name>", KMS
    Developer Guide, "Aliases in AWS KMS": with the aliases read, a key without such an
    alias is customer managed). secret-uses-aws-managed-key answers UNKNOWN, not PASS."""
    snap = on_managed_key(MANAGED_ARN)
    (account,) = snap.accounts
    (region,) = account.regions
    unread = ("key_manager", "key_state", "policy", "rotation_enabled", "aliases")
    keys = tuple(replace(k, key_manager=None, aliases=(), rotation_enabled=None, unread=unread)
                 if k.arn == MANAGED_ARN else k for k in region.kms_keys)
    snap = replace(snap, accounts=(replace(account, regions=(
        replace(region, kms_keys=keys),)),))
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    findings = evaluate(graph, snap, access, load_ruleset(),
                        parse_config({"emit_pass": True}, path="(test)"),
                        datetime(2026, 11, 29, tzinfo=timezone.utc))
    (rule,) = [f for f in findings if f.rule_id == "secret-uses-aws-managed-key"]
    assert rule.status is Status.UNKNOWN
    # with the aliases listed, the same key (no alias/aws/* alias) is customer managed
    keys = tuple(replace(k, unread=unread[:-1]) if k.arn == MANAGED_ARN else k for k in keys)
    snap = replace(snap, accounts=(replace(account, regions=(
        replace(region, kms_keys=keys),)),))
    graph = build_graph(snap)
    findings = evaluate(graph, snap, analyze_access(graph, snap, AccessSettings.from_snapshot(
        snap)), load_ruleset(), parse_config({"emit_pass": True}, path="(test)"),
        datetime(2026, 11, 29, tzinfo=timezone.utc))
    (rule,) = [f for f in findings if f.rule_id == "secret-uses-aws-managed-key"]
    assert rule.status is Status.PASS
