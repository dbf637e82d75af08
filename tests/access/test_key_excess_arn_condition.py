"""kms-key-policy-excess-grant: a secret's ``*`` grant narrowed by aws:PrincipalArn covers a
key grantee account only when the ARN condition can let one of its principals in. Which
principal of the account asks is not known, but its ARN is still an IAM ARN of its own account
and partition (docs/access.md, "still known in part"): a condition naming another account's
or another partition's principals cannot hold for it (GovCloud ground-truth trial round 10)."""

from __future__ import annotations

from typing import Any

from helpers.access_estate import (APP_ROLE, CENTRAL, KEY_ARN, MEMBER, OUTSIDER, REGION,
                                   allow_read_identity, estate, key_policy_for, role, text)

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.pipeline import ScanOptions, analyze, load_inputs


def _star_read_if_arn(pattern: str, operator: str = "ArnLike") -> str:
    return text({"Effect": "Allow", "Principal": "*",
                 "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                 "Condition": {operator: {"aws:PrincipalArn": pattern}}})


def _caller_account_key(account: str) -> str:
    """The key's root statement and a ``*`` Decrypt grant narrowed by kms:CallerAccount."""
    return text({"Sid": "Root", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                 "Resource": "*"},
                {"Sid": "Via", "Effect": "Allow", "Principal": {"AWS": "*"},
                 "Action": "kms:Decrypt", "Resource": "*",
                 "Condition": {"StringEquals": {
                     "kms:CallerAccount": account,
                     "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}})


def _excess(secret_policy: str, key_policy: str) -> list[str]:
    snap = estate(secret_policy=secret_policy, key_policy=key_policy,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    return [g.principal for g in report.keys[KEY_ARN].excess_grants]


def _findings(secret_policy: str, key_policy: str) -> list[tuple[str, str | None]]:
    snap = estate(secret_policy=secret_policy, key_policy=key_policy,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    analysis = analyze(snap, load_inputs(ScanOptions()))
    return [(f.status.value, f.principal) for f in analysis.findings
            if f.rule_id == "kms-key-policy-excess-grant" and f.resource.arn == KEY_ARN]


def test_a_star_grant_narrowed_to_another_accounts_roles_does_not_cover_a_caller_account_grant(
) -> None:
    """GovCloud ground-truth trial round 10: key K6 let kms:CallerAccount = A decrypt, its
    only secret let ``*`` read if ArnLike aws:PrincipalArn names 777777777777's roles -- PASS,
    while the access analysis denied A's principals at the secret. No principal of A has an
    ARN of 777777777777: the grant is in excess."""
    secret = _star_read_if_arn(f"arn:aws:iam::{OUTSIDER}:role/*")
    assert _excess(secret, _caller_account_key(MEMBER)) == [MEMBER]
    assert _findings(secret, _caller_account_key(MEMBER)) == [("FAIL", MEMBER)]


def test_a_star_grant_narrowed_to_another_partition_does_not_cover_the_account() -> None:
    """GovCloud ground-truth trial round 10 (the partition variant): the same account id in
    another partition is another principal -- "Each of the six colon-delimited components of
    the ARN is checked separately"."""
    secret = _star_read_if_arn(f"arn:aws-us-gov:iam::{MEMBER}:role/*")
    assert _excess(secret, _caller_account_key(MEMBER)) == [MEMBER]


def test_a_root_grant_on_the_key_is_excess_when_the_arn_condition_names_another_account(
) -> None:
    """GovCloud ground-truth trial round 10: a key grant to the account's root asks the same
    question -- anyone of the account -- and gets the same answer."""
    secret = _star_read_if_arn(f"arn:aws:iam::{OUTSIDER}:*", operator="StringLike")
    root = f"arn:aws:iam::{MEMBER}:root"
    assert _excess(secret, key_policy_for(root)) == [root]


def test_an_arn_condition_on_the_grantees_own_account_still_covers_it() -> None:
    """GovCloud ground-truth trial round 10: the partly-known ARN decides only a condition it
    cannot meet; one that may name a principal of the account leaves the grant covered (the
    secret may grant it: never an excess on what the snapshot cannot know)."""
    assert _excess(_star_read_if_arn(f"arn:aws:iam::{MEMBER}:role/*"),
                   _caller_account_key(MEMBER)) == []
    assert _excess(_star_read_if_arn("arn:aws:iam::*:role/App*"),
                   _caller_account_key(MEMBER)) == []


def test_a_negated_arn_condition_on_another_account_covers_the_grantee() -> None:
    """GovCloud ground-truth trial round 10: ArnNotLike another account's roles holds for
    every principal of the grantee account -- the secret grants it, no excess."""
    policy: dict[str, Any] = {"Effect": "Allow", "Principal": "*",
                              "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                              "Condition": {
                                  "ArnNotLike": {"aws:PrincipalArn":
                                                 f"arn:aws:iam::{OUTSIDER}:role/*"},
                                  "StringEquals": {"aws:PrincipalAccount": MEMBER}}}
    assert _excess(text(policy), _caller_account_key(MEMBER)) == []


def test_an_excess_grant_to_another_partition_says_it_can_never_use_the_key() -> None:
    """GovCloud ground-truth trial round 10 (LOW): "kms:Decrypt granted to
    arn:aws:iam::682228353705:root but no secret ... grants it" on a GovCloud key -- the
    message adds, as secret-policy-external-account's does, that a principal of another
    partition can never use the key; one of the key's partition gets no such words."""
    gov_root = f"arn:aws-us-gov:iam::{MEMBER}:root"
    snap = estate(secret_policy=_star_read_if_arn(f"arn:aws:iam::{MEMBER}:role/*"),
                  key_policy=key_policy_for(gov_root, f"arn:aws:iam::{OUTSIDER}:root"),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    analysis = analyze(snap, load_inputs(ScanOptions()))
    messages = {f.principal: f.message for f in analysis.findings
                if f.rule_id == "kms-key-policy-excess-grant" and f.resource.arn == KEY_ARN}
    assert messages[gov_root].endswith(
        "a principal of another partition than the key's: it can never use the key "
        "(partitions are separate)")
    assert "partition" not in messages[f"arn:aws:iam::{OUTSIDER}:root"]


KEY_ROOT = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
            "Action": "kms:*", "Resource": "*"}
KEY_STAR = {"Sid": "KPub", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
            "Resource": "*"}
ROLE_READS = text({"Sid": "R", "Effect": "Allow", "Principal": {"AWS": APP_ROLE},
                   "Action": "secretsmanager:GetSecretValue", "Resource": "*"})


def _deny_unless(account: str) -> dict[str, Any]:
    return {"Sid": "KD", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{account}:*"}}}


def test_a_key_decrypt_a_denys_exception_leaves_to_an_outside_account_is_excess() -> None:
    """IAM conformance trial round 16: Allow * kms:Decrypt and Deny unless aws:PrincipalArn
    is 999999999999's -- 999's principals decrypt, no secret grants them, and the rule PASSed
    (the same grant written as an IgnoreCase ARN condition FAILed)."""
    findings = _findings(ROLE_READS, text(KEY_ROOT, KEY_STAR, _deny_unless(OUTSIDER)))
    assert ("FAIL", f"arn:aws:iam::{OUTSIDER}:root") in findings, findings


def test_a_key_decrypt_a_denys_exception_leaves_to_a_member_the_secret_grants_is_not() -> None:
    findings = _findings(ROLE_READS, text(KEY_ROOT, KEY_STAR, _deny_unless(MEMBER)))
    assert not any(status == "FAIL" for status, _ in findings), findings
