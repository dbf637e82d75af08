"""The access report and the rules speak of the same statements and principals (issue 10,
section 2: one home per security concept, scanner/policy/exposure.py).

Over every rule fixture: the key grants the access report calls excess are the principals
``kms-key-policy-excess-grant`` fails; the public grants of a secret are exactly the statements
``secret-policy-public`` reports; the unintended account grants are the principals
``secret-policy-external-account`` fails. And over hand-built policies whose own Deny or own
condition withholds the grant from the caller outside (concept review round 3, IAM conformance
trial round 13): the same, and the same verdicts with --prove.
"""

from __future__ import annotations

import pytest

from helpers.rule_fixture import fixture_ids, load_fixture
from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Status
from scanner.graph.builder import build_graph

RULESET = load_ruleset()
RULES = ("kms-key-policy-excess-grant", "secret-policy-public", "secret-policy-external-account")


@pytest.mark.parametrize("fixture", fixture_ids())
def test_access_report_and_rules_agree(fixture: str) -> None:
    fx = load_fixture(fixture)
    # a fixture's own rule settings (rules.<id>) name a rule this test does not load
    config = parse_config({k: v for k, v in (fx.config or {}).items() if k != "rules"},
                          path=f"tests/rules/{fixture}/expected.yaml")
    graph = build_graph(fx.snapshot)
    access = analyze_access(graph, fx.snapshot, AccessSettings.from_snapshot(
        fx.snapshot, allowed_external_accounts=frozenset(config.allowed_external_accounts),
        trusted_accounts=config.trusted_accounts))
    rules = Ruleset(rules=tuple(r for r in (RULESET.get(i) for i in RULES) if r is not None))
    findings = evaluate(graph, fx.snapshot, access, rules, config, fx.now)

    def failing(rule_id: str) -> set[tuple[str, str | None]]:
        return {(f.resource.arn, f.principal) for f in findings
                if f.rule_id == rule_id and f.status is Status.FAIL}

    judged = {(f.rule_id, f.resource.arn) for f in findings
              if f.status in (Status.FAIL, Status.PASS)}
    excess = {(k.key_arn, g.principal) for k in access.keys.values() for g in k.excess_grants
              if ("kms-key-policy-excess-grant", k.key_arn) in judged}
    assert excess == failing("kms-key-policy-excess-grant")

    public_rule = {f.resource.arn: sorted(f.evidence["statements"]) for f in findings
                   if f.rule_id == "secret-policy-public" and f.status is Status.FAIL}
    public_access = {arn: sorted({g.statement for g in sa.grants if g.scope == "public"})
                     for arn, sa in access.secrets.items()
                     if ("secret-policy-public", arn) in judged}
    assert {a: s for a, s in public_access.items() if s} == public_rule

    outside = {(arn, g.principal) for arn, sa in access.secrets.items() for g in sa.unintended
               if g.scope in ("account", "principal", "other-organization")
               and ("secret-policy-external-account", arn) in judged}
    assert outside == failing("secret-policy-external-account")


# ---------------------------------------------------- grants the policy itself withholds

from dataclasses import replace  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from typing import Any  # noqa: E402

from helpers.access_estate import (APP_ROLE, CENTRAL, ORG_ID, OUTSIDER,  # noqa: E402
                                   allow_read_identity, estate, role, text)

_READ = "secretsmanager:GetSecretValue"
_PARTNER = f"arn:aws:iam::{OUTSIDER}:root"
_OPEN_KEY = text({"Sid": "Root", "Effect": "Allow",
                  "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                  "Resource": "*"},
                 {"Sid": "Any", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                  "Resource": "*"})


def _star(condition: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": _READ,
            "Resource": "*", **({"Condition": condition} if condition else {})}


def _deny_unless(condition: dict[str, Any], principal: Any = "*") -> dict[str, Any]:
    return {"Sid": "Perimeter", "Effect": "Deny", "Principal": principal,
            "Action": "secretsmanager:*", "Resource": "*", "Condition": condition}


def _partner(condition: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": _PARTNER},
            "Action": _READ, "Resource": "*", **({"Condition": condition} if condition else {})}


#: shapes whose grant the policy itself withholds from the caller outside (concept review
#: round 3, IAM conformance trial round 13), and shapes it does not (the grant stands)
SHAPES: dict[str, tuple[dict[str, Any], ...]] = {
    "public-deny-unless-org": (_star(), _deny_unless(
        {"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}})),
    "public-deny-unless-own-account-arn": (_star(), _deny_unless(
        {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{CENTRAL}:*"}})),
    "public-own-condition-aws-service": (_star(
        {"Bool": {"aws:PrincipalIsAWSService": "true"}}),),
    "public-own-condition-tls-off": (_star({"Bool": {"aws:SecureTransport": "false"}}),),
    "public-own-condition-principal-type": (_star(
        {"StringEquals": {"aws:PrincipalType": "Service"}}),),
    "public-deny-any-account-arn-pattern": (_star(), _deny_unless(
        {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Reader"}})),
    "public-source-ip": (_star({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),),
    "partner-denied-by-name": (_partner(), {
        "Sid": "NoPartner", "Effect": "Deny", "Principal": {"AWS": _PARTNER},
        "Action": "secretsmanager:*", "Resource": "*"}),
    "partner-own-condition-aws-service": (_partner(
        {"Bool": {"aws:PrincipalIsAWSService": "true"}}),),
    "partner-deny-unless-org": (_partner(), _deny_unless(
        {"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}})),
    "partner-standing": (_partner(),),
    # IAM conformance trial round 14: aws:PrincipalType is present, one of an IAM caller's
    # four values; aws:PrincipalArn of another account than a value's literal head names
    "public-own-condition-null-principal-type": (_star({"Null": {"aws:PrincipalType": "true"}}),),
    "public-deny-unless-own-root-ignoring-case": (_star(), _deny_unless(
        {"StringNotEqualsIgnoreCase": {"aws:PrincipalArn": f"arn:aws:iam::{CENTRAL}:root"}})),
    "public-own-account-arn-head": (_star(
        {"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{CENTRAL}*"}}),),
    "public-outside-account-arn-head": (_star(
        {"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{OUTSIDER}*"}}),),
    "public-own-condition-principal-type-one-kind": (_star(
        {"StringEquals": {"aws:PrincipalType": "AssumedRole"}}),),
    "partner-own-condition-null-principal-type": (_partner(
        {"Null": {"aws:PrincipalType": "true"}}),),
    "partner-deny-unless-own-root-ignoring-case": (_partner(), _deny_unless(
        {"StringNotEqualsIgnoreCase": {"aws:PrincipalArn": f"arn:aws:iam::{CENTRAL}:root"}})),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_access_report_rules_and_prove_agree_on_what_the_policy_withholds(shape: str) -> None:
    """Concept review round 3 (and IAM conformance trial round 13): the access report called
    "PUBLIC" / "unintended" grants the rules said the policy takes back, and the rules
    differed with --prove. Over policies whose own Deny or own condition withholds the grant
    (and some whose grant stands): the public statements of the access report are those
    secret-policy-public FAILs, its unintended principals those secret-policy-external-account
    FAILs, and each rule's verdict is the same with --prove."""
    snap = estate(secret_policy=text(*SHAPES[shape]), key_policy=_OPEN_KEY,
                  principals=(role(APP_ROLE, allow_read_identity()),), scps=())
    graph = build_graph(snap)
    access = analyze_access(graph, snap, replace(AccessSettings.from_snapshot(snap),
                                                 record_denied=True))
    rules = Ruleset(rules=tuple(r for r in (RULESET.get(i) for i in RULES) if r is not None))
    now = datetime(2026, 11, 29, tzinfo=timezone.utc)

    def run(prove: bool) -> list[Any]:
        config = parse_config({"prove": prove, "emit_pass": True, "prove_timeout": 120},
                              path="(test)")
        return [f for f in evaluate(graph, snap, access, rules, config, now)
                if f.rule_id != "kms-key-policy-excess-grant"]

    plain = run(False)
    sa = next(iter(access.secrets.values()))
    public_rule = sorted(s for f in plain if f.rule_id == "secret-policy-public"
                         and f.status is Status.FAIL for s in f.evidence["statements"])
    assert sorted(g.statement for g in sa.grants if g.scope == "public") == public_rule
    assert sa.breadth.public == bool(public_rule)
    external_rule = {f.principal for f in plain if f.rule_id == "secret-policy-external-account"
                     and f.status is Status.FAIL}
    assert {g.principal for g in sa.unintended if g.scope != "public"} == external_rule
    assert {g.principal for g in sa.unintended if g.scope == "public"} == \
        ({"*"} if public_rule else set())
    pytest.importorskip("z3")
    proved = run(True)
    assert {(f.rule_id, f.principal, f.status) for f in plain} == \
        {(f.rule_id, f.principal, f.status) for f in proved}
