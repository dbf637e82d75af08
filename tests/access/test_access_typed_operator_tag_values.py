"""A numeric, date or IP address condition on a tag whose value is no number, date or address
(IAM conformance trial round 37): the read is decided, as for an ARN operator on a value that
is no ARN (docs/access.md, "Numeric, date and IP address operators on values of another
type"). The public simulators' suites measure it: cloud-copilot/iam-simulate, "should return
false if the test value is not a number" (NumericEquals and NumericNotEquals alike), "... is
not a date", "should be false if the key value is not a valid IP address".

Before, a secret tagged ``level = high`` under an identity policy's "Deny NumericLessThan
aws:ResourceTag/level 3" left its reader CONDITIONAL ("not a number: 'high'"), while the same
Deny under Bool on a tag "yes" was decided."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from helpers.access_estate import (APP_ROLE, SECRET_ARN, doc, estate, key_policy_for, role,
                                   secret_policy_for)
from helpers.prove_crosscheck import cross_check_pairs

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.model import Snapshot

GSV = "secretsmanager:GetSecretValue"
READ = {"Effect": "Allow", "Action": GSV, "Resource": "*"}
DECRYPT = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}


def _snap(tags: dict[str, str], *statements: dict[str, Any]) -> Snapshot:
    return estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, doc(*statements, DECRYPT)),), tags=tags)


def _decision(snap: Snapshot) -> str:
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    sa = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    [path] = [p for p in sa.paths if p.principal == APP_ROLE]
    return path.decision


def _deny(condition: dict[str, Any]) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": GSV, "Resource": "*", "Condition": condition}


@pytest.mark.parametrize("tags, statements, expected", [
    # the Deny compares "high" as a number: it matches neither way, the read stands
    ({"level": "high"}, (READ, _deny({"NumericLessThan": {"aws:ResourceTag/level": "3"}})),
     "ALLOWED"),
    ({"level": "high"}, (READ, _deny({"NumericNotEquals": {"aws:ResourceTag/level": "3"}})),
     "ALLOWED"),
    # a number still compares
    ({"level": "2"}, (READ, _deny({"NumericLessThan": {"aws:ResourceTag/level": "3"}})),
     "DENIED"),
    # the only Allow asks for a number the tag is not
    ({"level": "high"}, ({**READ, "Condition": {
        "NumericGreaterThanEquals": {"aws:ResourceTag/level": "3"}}},), "DENIED"),
    ({"expires": "never"}, (READ, _deny({"DateLessThan": {
        "aws:ResourceTag/expires": "2030-01-01T00:00:00Z"}})), "ALLOWED"),
    ({"net": "office"}, (READ, _deny({"NotIpAddress": {"aws:ResourceTag/net": "10.0.0.0/8"}})),
     "ALLOWED"),
    # a value of a date's shape that does not read (month 13) is no confident answer
    ({"expires": "2020-13-01"}, (READ, _deny({"DateLessThan": {
        "aws:ResourceTag/expires": "2030-01-01T00:00:00Z"}})), "CONDITIONAL"),
], ids=["numeric-lt-deny", "numeric-ne-deny", "numeric-still-compares", "numeric-allow",
        "date-deny", "notip-deny", "date-bad-month"])
def test_a_tag_of_another_type_matches_no_typed_operator(
        tags: dict[str, str], statements: tuple[dict[str, Any], ...], expected: str) -> None:
    snap = _snap(tags, *statements)
    assert _decision(snap) == expected
    # --prove never contradicts it (the solver reads no such value: UNKNOWN, not encoded)
    _, failures = cross_check_pairs(snap, "typed")
    assert not failures, failures
