"""Properties of the evaluator (hypothesis): monotonicity of Deny and Allow, and indifference to
statement order and JSON formatting."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy_text

ROLE = "arn:aws:iam::222222222222:role/App"
SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app/db-AbCdEf"
RANK = {"DENIED": 0, "CONDITIONAL": 1, "ALLOWED": 2}

actions = st.sampled_from(["secretsmanager:GetSecretValue", "secretsmanager:*", "*",
                           "secretsmanager:Get*", "kms:Decrypt", "s3:GetObject",
                           ["s3:*", "secretsmanager:GetSecretValue"]])
resources = st.sampled_from(["*", SECRET, "arn:aws:secretsmanager:*:111111111111:secret:app/*",
                             "arn:aws:secretsmanager:*:222222222222:secret:*",
                             "arn:aws:s3:::bucket"])
principals = st.sampled_from(["*", {"AWS": "222222222222"}, {"AWS": ROLE},
                              {"AWS": "arn:aws:iam::333333333333:root"},
                              {"Service": "lambda.amazonaws.com"}])
conditions = st.sampled_from([
    None,
    {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}},
    {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}},
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}},
    {"Null": {"aws:SourceVpce": "true"}},
    {"StringEquals": {"aws:PrincipalAccount": ["222222222222"]}},
    {"ForAnyValue:StringEquals": {"aws:CalledVia": ["secretsmanager.amazonaws.com"]}},
    {"BogusOperator": {"aws:PrincipalAccount": "1"}},
])


@st.composite
def statements(draw: Any, effect: str | None = None, resource_policy: bool = True) -> dict:
    s: dict[str, Any] = {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"])),
                         "Action": draw(actions), "Resource": draw(resources)}
    if resource_policy:
        s["Principal"] = draw(principals)
    c = draw(conditions)
    if c is not None:
        s["Condition"] = c
    return s


policies = st.lists(statements(), min_size=0, max_size=5)
requests = st.builds(
    lambda known_org, vpce: Request(
        principal_arn=ROLE, principal_account="222222222222",
        action="secretsmanager:GetSecretValue", resource=SECRET,
        context={"aws:principalaccount": ("222222222222",),
                 **({"aws:principalorgid": ("o-abc",)} if known_org else {}),
                 **({"aws:sourcevpce": (vpce,)} if vpce else {})},
        absent=frozenset() if vpce else frozenset({"aws:sourcevpce"}),
    ),
    st.booleans(), st.sampled_from([None, "vpce-1", "vpce-2"]))


def _decide(stmts: list[dict], request: Request, text: str | None = None) -> str:
    doc = {"Version": "2012-10-17", "Statement": stmts}
    policy = parse_policy_text(text if text is not None else json.dumps(doc))
    return evaluate_policy(policy, request, PolicyKind.RESOURCE).decision.value


@settings(max_examples=80, deadline=None)
@given(policies, statements(effect="Deny"), requests)
def test_adding_a_deny_never_widens_access(stmts: list[dict], deny: dict, req: Request) -> None:
    assert RANK[_decide(stmts + [deny], req)] <= RANK[_decide(stmts, req)]


@settings(max_examples=80, deadline=None)
@given(policies, statements(effect="Allow"), requests)
def test_adding_an_allow_never_narrows_access(stmts: list[dict], allow: dict,
                                              req: Request) -> None:
    assert RANK[_decide(stmts + [allow], req)] >= RANK[_decide(stmts, req)]


@settings(max_examples=80, deadline=None)
@given(policies, requests, st.randoms(use_true_random=False))
def test_statement_order_never_matters(stmts: list[dict], req: Request, rnd: Any) -> None:
    shuffled = list(stmts)
    rnd.shuffle(shuffled)
    assert _decide(shuffled, req) == _decide(stmts, req)


@settings(max_examples=80, deadline=None)
@given(policies, requests, st.sampled_from([None, 1, 4]), st.booleans())
def test_json_formatting_never_matters(stmts: list[dict], req: Request, indent: int | None,
                                       sort_keys: bool) -> None:
    doc = {"Version": "2012-10-17", "Statement": stmts}
    text = json.dumps(doc, indent=indent, sort_keys=sort_keys)
    assert _decide(stmts, req, text) == _decide(stmts, req)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) |
    st.sampled_from(["Allow", "Deny", "*", "secretsmanager:*", SECRET, "aws:SourceIp",
                     "StringEquals", "Statement", "Principal", "Condition", "${aws:username}"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["Version", "Statement", "Effect", "Action", "NotAction", "Resource",
                         "NotResource", "Principal", "NotPrincipal", "Condition", "AWS", "Sid",
                         "StringEquals", "ForAnyValue:StringLike", "Null", "aws:SourceVpce",
                         "x"]), children, max_size=5),
    max_leaves=20)


@settings(max_examples=80, deadline=None)
@given(json_values, requests, st.sampled_from(list(PolicyKind)))
def test_any_json_is_evaluated_without_crashing(doc: Any, req: Request, kind: PolicyKind) -> None:
    policy = parse_policy_text(json.dumps(doc))
    result = evaluate_policy(policy, req, kind)
    if policy.problems:  # malformed: never a confident answer
        assert result.decision.value == "CONDITIONAL" and result.unresolved


@settings(max_examples=120, deadline=None)
@given(st.sampled_from([None, "alice", "bob"]),
       st.sampled_from([None, "alice", "testalice-1", "bob", "nobody"]),
       st.sampled_from(["StringEquals", "StringLike", "StringNotEquals", "StringNotLike",
                        "StringEqualsIfExists", "ForAnyValue:StringLike"]),
       st.sampled_from(["${aws:username}", "test${aws:username}*",
                        "${aws:username, 'nobody'}", "${aws:username}-*"]),
       st.sampled_from(["Allow", "Deny"]))
def test_variables_over_known_keys_are_decided(username: str | None, tag: str | None, op: str,
                                               value: str, effect: str) -> None:
    """IAM UG, Variables and tags: with every key known or known absent, a condition with a
    policy variable is decided (an absent key's value matches nothing, or its default is
    used) and means the same as the policy with the value written out."""
    ctx: dict[str, tuple[str, ...]] = {}
    absent = set()
    for key, v in (("aws:username", username), ("aws:resourcetag/owner", tag)):
        if v is None:
            absent.add(key)
        else:
            ctx[key] = (v,)
    req = Request(principal_arn=ROLE, principal_account="222222222222",
                  action="secretsmanager:GetSecretValue", resource=SECRET, context=ctx,
                  absent=frozenset(absent))
    stmts = [{"Effect": "Allow", "Action": "*", "Resource": "*"}] if effect == "Deny" else []
    stmts.append({"Effect": effect, "Action": "*", "Resource": "*",
                  "Condition": {op: {"aws:ResourceTag/owner": value}}})
    doc = {"Version": "2012-10-17", "Statement": stmts}
    got = evaluate_policy(parse_policy_text(json.dumps(doc)), req, PolicyKind.IDENTITY)
    assert got.decision.value != "CONDITIONAL", got
    if username is not None or "nobody" in value:
        literal = value.replace("${aws:username, 'nobody'}", username or "nobody").replace(
            "${aws:username}", username or "")
        stmts[-1]["Condition"] = {op: {"aws:ResourceTag/owner": literal}}
        want = evaluate_policy(parse_policy_text(json.dumps(doc)), req, PolicyKind.IDENTITY)
        assert got.decision == want.decision


def _one(cond: dict, ctx: dict[str, tuple[str, ...]], absent: frozenset[str]) -> str:
    doc = {"Version": "2012-10-17",
           "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": cond}]}
    req = Request(principal_arn=ROLE, principal_account="222222222222",
                  action="secretsmanager:GetSecretValue", resource=SECRET, context=ctx,
                  absent=absent)
    return evaluate_policy(parse_policy_text(json.dumps(doc)), req,
                           PolicyKind.IDENTITY).decision.value


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(["ArnLike", "ArnEquals", "ArnNotLike", "ArnNotEquals"]),
       st.sampled_from(["*", "arn:*", "arn:aws:iam::*:role/*", ROLE]),
       st.text(alphabet="arn:x*/", max_size=12).filter(
           lambda v: not (v.startswith("arn:") and v.count(":") >= 5)))
def test_arn_operators_never_match_a_value_that_is_not_an_arn(op: str, pattern: str,
                                                             value: str) -> None:
    """ARN operators compare ARNs: neither the operator nor its negation holds for a value that
    is not one (measured by public simulators' suites; see conditions.py)."""
    assert _one({op: {"aws:SourceArn": pattern}}, {"aws:sourcearn": (value,)},
                frozenset()) == "DENIED"


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["ForAnyValue:", "ForAllValues:"]), st.sampled_from(["true", "false"]),
       st.sampled_from([None, ("a",), ("a", "b")]))
def test_a_set_qualifier_never_changes_null(qualifier: str, want: str,
                                            values: tuple[str, ...] | None) -> None:
    ctx = {"aws:tagkeys": values} if values else {}
    absent = frozenset() if values else frozenset({"aws:tagkeys"})
    assert _one({qualifier + "Null": {"aws:TagKeys": want}}, ctx, absent) == \
        _one({"Null": {"aws:TagKeys": want}}, ctx, absent)
