"""The solver's Bool keys hold the values the request gives them (IAM conformance trial round 23).

IAM User Guide, "IAM JSON policy elements: Condition operators", Boolean condition operators:
"Bool -- Boolean matching" of the key's value with ``true`` or ``false``. A value that is neither
(a principal tag ``breakglass = no``, a tag a session may carry as any text) matches neither
``Bool ... "true"`` nor ``Bool ... "false"``: a statement conditioned so does not apply.

Before: the encoding gave every value of a key compared with Bool the domain {"true", "false"}
-- also a value the request states. A role tagged ``breakglass = no`` then had contradictory
facts, and every question about it was unsat: ``access --prove`` answered PROVEN_NONE ("no
request context lets this principal read") for a reader the evaluator rightly found
CONDITIONAL on aws:SourceIp; ``check_policy`` answered DENIED for a policy that allows
everyone, as soon as a second Allow read the tag with Bool. And a tag whose value is not known
was assumed to be "true" or "false": two Denies, one for each, were a proof that no one reads.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.access_estate import (APP_ROLE, MEMBER, allow_read_identity, estate,
                                   key_policy_for, role, text)

from scanner.cli import main
from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy_text
from scanner.policy.request import PRESENT
from scanner.policy.smt.questions import check_policy
from scanner.snapshot_io import write_snapshot

pytest.importorskip("z3")

SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app/db-AbCdEf"
ALL = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
TAG = "aws:PrincipalTag/breakglass"


def _request(**context: str) -> Request:
    return Request(principal_arn=APP_ROLE, principal_account=MEMBER,
                   action="secretsmanager:GetSecretValue", resource=SECRET,
                   context={k: (v,) for k, v in context.items()})


def _both(policy: dict, request: Request) -> tuple[str, str]:  # type: ignore[type-arg]
    parsed = parse_policy_text(json.dumps({"Version": "2012-10-17", **policy}))
    ev = evaluate_policy(parsed, request, PolicyKind.RESOURCE).decision.value
    return ev, check_policy(parsed, request, PolicyKind.RESOURCE, timeout_s=20).decision


def test_a_known_value_that_is_not_a_boolean_matches_neither() -> None:
    policy = {"Statement": [ALL, {**ALL, "Condition": {"Bool": {TAG: "true"}}}]}
    assert _both(policy, _request(**{TAG.lower(): "no"})) == ("ALLOWED", "ALLOWED")
    deny = {"Statement": [ALL, {**ALL, "Effect": "Deny", "Condition": {"Bool": {TAG: "false"}}}]}
    assert _both(deny, _request(**{TAG.lower(): "no"})) == ("ALLOWED", "ALLOWED")
    assert _both(deny, _request(**{TAG.lower(): "False"})) == ("DENIED", "DENIED")


def test_an_unknown_tag_may_be_neither_true_nor_false() -> None:
    policy = {"Statement": [ALL, {**ALL, "Effect": "Deny", "Condition": {"Bool": {TAG: "true"}}},
                            {**ALL, "Effect": "Deny", "Condition": {"Bool": {TAG: "false"}}}]}
    # the tag is in the request (PRESENT), its value not known: absent, neither Deny would
    # apply anyway; present, it may be "no"
    request = replace(_request(), excluded={TAG.lower(): PRESENT})
    parsed = parse_policy_text(json.dumps({"Version": "2012-10-17", **policy}))
    assert evaluate_policy(parsed, request, PolicyKind.RESOURCE).decision.value == "CONDITIONAL"
    chk = check_policy(parsed, request, PolicyKind.RESOURCE, timeout_s=20)
    assert chk.decision == "CONDITIONAL" and chk.witness is not None
    assert evaluate_policy(parsed, chk.witness, PolicyKind.RESOURCE).decision.value == "ALLOWED"


def test_prove_finds_the_reader_a_non_boolean_tag_does_not_stop(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The role is tagged breakglass = no (its trust policy allows no sts:TagSession: the tag
    is final); the secret policy lets it read from 198.51.100.0/24 and denies Bool
    breakglass "true". AWS: readable from that range."""
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MEMBER}:root"},
        "Action": "sts:AssumeRole"}]}
    policy = text({"Effect": "Allow", "Principal": {"AWS": APP_ROLE},
                   "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                   "Condition": {"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}},
                  {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
                   "Resource": "*", "Condition": {"Bool": {TAG: "true"}}})
    principal = replace(role(APP_ROLE, allow_read_identity()), trust_policy=trust,
                        tags={"breakglass": "no"})
    write_snapshot(tmp_path / "snapshot.json.gz",
                   estate(secret_policy=policy, key_policy=key_policy_for(APP_ROLE),
                          principals=(principal,)))
    assert main(["access", "--in", str(tmp_path), "--prove", "app/db", "--format",
                 "json"]) == 0
    [proof] = json.loads(capsys.readouterr().out)["proofs"]
    [reader] = [r for r in proof["readers"] if r["subject"].startswith(APP_ROLE)]
    assert reader["status"] == "WITNESS", reader
    assert reader["witness"]["requests"]["secret"]["context"]["aws:sourceip"][0].startswith(
        "198.51.100.")


@pytest.mark.parametrize("value", ["yes", "1", "${aws:PrincipalTag/secure}"])
def test_a_bool_value_no_boolean_key_can_have_matches_nothing_unknown_or_not(value: str) -> None:
    """IAM conformance trial round 25: Bool aws:SecureTransport "yes" on a request whose
    aws:SecureTransport the snapshot does not know. The key AWS defines as Boolean is "true"
    or "false" when present (IAM User Guide, "Condition operators": Bool is "Boolean
    matching"), absent otherwise: the condition holds in neither case -- the Allow never
    applies, the Deny never does. The solver said so (DENIED / ALLOWED); the evaluator left
    both CONDITIONAL on aws:securetransport."""
    allow = {"Statement": [{**ALL, "Condition": {"Bool": {"aws:SecureTransport": value}}}]}
    assert _both(allow, _request()) == ("DENIED", "DENIED")
    deny = {"Statement": [ALL, {**ALL, "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": value}}}]}
    assert _both(deny, _request()) == ("ALLOWED", "ALLOWED")
    # ...IfExists: true when the key is absent, which the snapshot does not know
    if_exists = {"Statement": [{**ALL, "Condition": {"BoolIfExists": {
        "aws:SecureTransport": value}}}]}
    assert _both(if_exists, _request()) == ("CONDITIONAL", "CONDITIONAL")
    # a tag holds any text: Bool "yes" may be compared with a tag "yes" (unchanged)
    tag = {"Statement": [{**ALL, "Condition": {"Bool": {TAG: value}}}]}
    assert _both(tag, _request())[0] == "CONDITIONAL"
