"""Allow with NotPrincipal in a secret or key policy (IAM conformance trial round 21, item 3 of
round 20).

IAM User Guide, "AWS JSON policy elements: NotPrincipal": "NotPrincipal must be used with
"Effect":"Deny". Using it with "Effect":"Allow" is not supported." The documents no longer say
what such a statement grants (the older text: everyone but the listed), so for a principal it
does not list the grant is undecided -- CONDITIONAL, naming why -- never a confident reader; a
principal it lists is not granted by it either way. The exposure rules keep reporting the
statement as a grant to everyone (secret-policy-public, kms-key-policy-public: "or uses
NotPrincipal"). Before: the evaluator applied it to everyone not listed (ALLOWED)."""

from __future__ import annotations

from dataclasses import replace

from helpers.access_estate import (APP_ROLE, MEMBER, OTHER_ROLE, SECRET_ARN,
                                   allow_read_identity, estate, key_policy_for, role, text)

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy
from scanner.policy.principals import ALLOW_NOT_PRINCIPAL

GSV = "secretsmanager:GetSecretValue"
POLICY = text({"Sid": "AllButOther", "Effect": "Allow", "NotPrincipal": {"AWS": OTHER_ROLE},
               "Action": GSV, "Resource": "*"})


def test_the_evaluator_leaves_the_grant_undecided() -> None:
    policy = parse_policy(POLICY)
    for who, expected in ((APP_ROLE, "CONDITIONAL"), (OTHER_ROLE, "DENIED")):
        result = evaluate_policy(policy, Request(principal_arn=who, principal_account=MEMBER,
                                                 action=GSV, resource=SECRET_ARN),
                                 PolicyKind.RESOURCE)
        assert result.decision.value == expected, (who, result.reasons)
    result = evaluate_policy(policy, Request(principal_arn=APP_ROLE, principal_account=MEMBER,
                                             action=GSV, resource=SECRET_ARN),
                             PolicyKind.RESOURCE)
    assert ALLOW_NOT_PRINCIPAL in result.unresolved


def test_a_reader_through_it_is_conditional_and_says_why() -> None:
    snap = estate(secret_policy=POLICY, key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(APP_ROLE, allow_read_identity()),
                              role(OTHER_ROLE, allow_read_identity())))
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    sa = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    paths = {p.principal: p for p in sa.paths}
    assert paths[APP_ROLE].decision == "CONDITIONAL"
    assert ALLOW_NOT_PRINCIPAL in paths[APP_ROLE].conditions
    assert paths[OTHER_ROLE].decision == "DENIED"


def test_the_solver_leaves_it_undecided_too() -> None:
    """IAM conformance trial round 25: the solver encoded the statement as the older text read
    it (every principal not listed), and check_policy answered ALLOWED for the role it does
    not list where the evaluator answers CONDITIONAL -- a disagreement. Not listed: not
    encoded (UNKNOWN, the evaluator's CONDITIONAL); listed: DENIED by both."""
    import pytest

    pytest.importorskip("z3")
    from scanner.policy.smt.questions import check_policy

    policy = parse_policy(POLICY)
    for who, expected in ((APP_ROLE, "UNKNOWN"), (OTHER_ROLE, "DENIED")):
        request = Request(principal_arn=who, principal_account=MEMBER, action=GSV,
                          resource=SECRET_ARN)
        assert check_policy(policy, request, PolicyKind.RESOURCE, timeout_s=20).decision == \
            expected, who
