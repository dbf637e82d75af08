""""Anyone" (the ``*`` path) is a principal of an account no policy names: a comparison of
its account with a named account is decided (it is none of them), one with a pattern or an
ordering is not -- the stand-in account id 000000000000 is not its value (conformance trial:
``StringNotLike aws:PrincipalAccount ["0*", own]`` made everyone DENIED)."""

from __future__ import annotations

import pytest

from helpers.access_estate import CENTRAL, SECRET_ARN, estate, key_policy_for, text
from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph

OTHER = "999999999999"


def _everyone(condition: dict) -> str | None:
    snap = estate(secret_policy=text({
        "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
        "Resource": "*", "Condition": condition}), key_policy=key_policy_for("*"))
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    return {p.principal: p.decision for p in report.for_secret(SECRET_ARN).paths}.get("*")


@pytest.mark.parametrize("condition", [
    {"StringNotLike": {"aws:PrincipalAccount": ["0*", CENTRAL]}},
    {"NumericGreaterThan": {"aws:PrincipalAccount": "0"}},
    {"StringLike": {"aws:PrincipalAccount": "9*"}},
])
def test_a_pattern_or_ordering_on_the_account_may_let_anyone_in(condition: dict) -> None:
    assert _everyone(condition) == "CONDITIONAL"


@pytest.mark.parametrize("condition", [
    {"StringEquals": {"aws:PrincipalAccount": OTHER}},
    {"NumericEquals": {"aws:PrincipalAccount": OTHER}},
    {"StringEqualsIgnoreCase": {"aws:PrincipalAccount": OTHER}},
    {"StringLike": {"aws:PrincipalAccount": [OTHER, CENTRAL]}},
])
def test_a_comparison_with_named_accounts_lets_no_one_else_in(condition: dict) -> None:
    assert _everyone(condition) is None  # DENIED: not recorded


@pytest.mark.parametrize("condition,decision", [
    ({"StringLike": {"aws:PrincipalAccount": "*"}}, "ALLOWED"),
    ({"StringLike": {"aws:PrincipalAccount": "????????????"}}, "ALLOWED"),
    ({"Null": {"aws:PrincipalAccount": "false"}}, "ALLOWED"),
    ({"StringEqualsIfExists": {"aws:PrincipalAccount": OTHER}}, None),
    ({"ForAllValues:StringEquals": {"aws:PrincipalAccount": OTHER}}, None),
])
def test_anyones_account_is_always_in_the_request(condition: dict,
                                                   decision: str | None) -> None:
    # a review: excluded from every literal, the key's presence had become unknown too
    assert _everyone(condition) == decision


def test_not_a_named_account_lets_everyone_else_in() -> None:
    assert _everyone({"StringNotEquals": {"aws:PrincipalAccount": OTHER}}) in ("ALLOWED",
                                                                             "CONDITIONAL")


def test_every_literal_is_not_the_empty_set_it_iterates_as() -> None:
    # caches key on excluded sets: "every named value excluded" must not equal "none"
    import pickle

    from scanner.policy.request import EVERY_LITERAL, KeyState, Request

    assert EVERY_LITERAL != frozenset() and frozenset() != EVERY_LITERAL
    assert pickle.loads(pickle.dumps(EVERY_LITERAL)) == EVERY_LITERAL  # --processes
    assert "999999999999" in pickle.loads(pickle.dumps(EVERY_LITERAL))
    everyone = Request(principal_arn="*", principal_account=None, action="kms:Decrypt",
                       resource="*", excluded={"kms:calleraccount": EVERY_LITERAL})
    nobody = Request(principal_arn="*", principal_account=None, action="kms:Decrypt",
                     resource="*", excluded={"kms:calleraccount": frozenset()})
    assert everyone.key_state("kms:CallerAccount") is KeyState.EXCLUDED
    keys = frozenset({"kms:calleraccount"})
    assert everyone.projection(keys) != nobody.projection(keys)
