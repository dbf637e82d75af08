"""A secret policy whose Principal names an IAM ARN with a wildcard inside it (IAM conformance
trial round 21).

IAM User Guide, "AWS JSON policy elements: Principal": "You cannot use a wildcard to match
part of a principal name or ARN." ``arn:aws:iam::222222222222:role/App*`` names no principal:
no role of that name can exist (a role name allows no ``*``), so it is no reader and no
intended reader whose access is broken. Before: the access analysis evaluated that text as a
principal of its own -- a path ``arn:aws:iam::222222222222:role/App*`` DENIED, "broken at
key_policy" -- and secret-cross-account-access-broken FAILed for it (the key policy names the
real role only), while the key-policy side already left such entries out (conformance trial
round 10). The real role the pattern would cover stays CONDITIONAL on the invalid entry, as
the evaluator reads it -- listed by the analysis with or without ``record_denied`` (before,
only with it)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from helpers.access_estate import (APP_ROLE, MEMBER, SECRET_ARN, allow_read_identity, estate,
                                   key_policy_for, role, secret_policy_for)

from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Status
from scanner.graph.builder import build_graph

PATTERN = f"arn:aws:iam::{MEMBER}:role/App*"


def test_a_wildcard_entry_is_no_principal_of_its_own() -> None:
    snap = estate(secret_policy=secret_policy_for(PATTERN), key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    graph = build_graph(snap)
    access = analyze_access(graph, snap, replace(AccessSettings.from_snapshot(snap),
                                                 record_denied=True))
    paths = {p.principal: p for p in access.secrets[SECRET_ARN].paths}
    assert PATTERN not in paths
    assert paths[APP_ROLE].decision == "CONDITIONAL"
    rule = load_ruleset().get("secret-cross-account-access-broken")
    assert rule is not None
    found = [f for f in evaluate(graph, snap, access, Ruleset(rules=(rule,)),
                                 parse_config({"emit_pass": True}, path="(test)"),
                                 datetime(2026, 11, 29, tzinfo=timezone.utc))
             if f.resource.arn == SECRET_ARN]
    assert not [f for f in found if f.status is Status.FAIL], \
        [(f.principal, f.message) for f in found]
    assert all(f.principal != PATTERN for f in found)


def test_the_role_it_might_cover_is_listed_without_record_denied() -> None:
    """The listing the commands use (no ``record_denied``) agrees: the role is a CONDITIONAL
    reader on the invalid entry (before: not listed -- the policy was taken as closed to its
    account, whose role's identity grants every app/ secret)."""
    snap = estate(secret_policy=secret_policy_for(PATTERN), key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    access = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    paths = {p.principal: p for p in access.secrets[SECRET_ARN].paths}
    assert set(paths) == {APP_ROLE}
    assert paths[APP_ROLE].decision == "CONDITIONAL"
    assert any("wildcard" in c for c in paths[APP_ROLE].conditions)
