"""A secret's tag keys that differ only in case (IAM conformance trial round 19).

IAM User Guide, "IAM JSON policy elements: Condition": for aws:ResourceTag/tag-key and the
other keys that name part of the key, "Key names are not case-sensitive. This means that if
you specify "aws:ResourceTag/TagKey1": "Value1" in the condition element of your policy, then
the condition matches a resource tag key named either TagKey1 or tagkey1, but not both." and
"AWS services that support these attributes might allow you to create multiple key names that
differ only by case ... When you use a condition such as "aws:ResourceTag/EC2": "test1" to
allow access to that resource, the key name matches both tags, but only one value matches.
This can result in unexpected condition failures."

So the condition key's tag part is compared without case (a policy's aws:ResourceTag/ENV reads
the tag ``env``), and a secret carrying ``env`` and ``Env`` with different values gives no
certain answer: which value the condition compares is not documented. secretgraph read the
last of the two tags (a confident answer either way, by the snapshot's dict order).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from helpers.access_estate import (APP_ROLE, MEMBER, SECRET_ARN, allow_read_identity, estate,
                                   key_policy_for, role, secret_policy_for)
from helpers.prove_crosscheck import cross_check_pairs
from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.model import Snapshot


def _snap(tags: dict[str, str], condition: dict[str, Any]) -> Snapshot:
    return estate(secret_policy=secret_policy_for(APP_ROLE, extra={"Condition": condition}),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(APP_ROLE, allow_read_identity()),), tags=tags)


def _path(snap: Snapshot) -> Any:
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    report = analyze_access(build_graph(snap), snap, settings)
    return {p.principal: p for p in report.for_secret(SECRET_ARN).paths}[APP_ROLE]


@pytest.mark.parametrize("tags", [{"env": "prod", "Env": "dev"}, {"Env": "dev", "env": "prod"}])
@pytest.mark.parametrize("operator", ["StringEquals", "StringNotEquals"])
def test_tags_differing_only_in_case_leave_the_condition_open(
        tags: dict[str, str], operator: str) -> None:
    """concept: IAM conformance trial round 19 -- "the key name matches both tags, but only
    one value matches": which value is compared is not known, whatever the tags' order."""
    snap = _snap(tags, {operator: {"aws:ResourceTag/Env": "prod"}})
    path = _path(snap)
    assert path.decision == "CONDITIONAL", (path.decision, path.gate_statuses())
    assert any("aws:resourcetag/env" in c for c in path.conditions), path.conditions
    compared, failures = cross_check_pairs(snap, "tag case")
    assert not failures, failures


@pytest.mark.parametrize("operator,expected", [("StringEquals", "ALLOWED"),
                                               ("StringNotEquals", "DENIED")])
def test_the_tag_part_of_the_key_is_compared_without_case(operator: str, expected: str) -> None:
    """"the condition matches a resource tag key named either TagKey1 or tagkey1": one tag
    ``env`` is read by aws:ResourceTag/ENV (and secretsmanager:ResourceTag/Env)."""
    for key in ("aws:ResourceTag/ENV", "secretsmanager:ResourceTag/Env"):
        snap = _snap({"env": "prod", "team": "a"}, {operator: {key: "prod"}})
        assert _path(snap).decision == expected, key


def test_same_values_in_both_spellings_are_decided() -> None:
    """Both tags hold the value compared: whichever is read, the condition holds."""
    snap = _snap({"env": "prod", "Env": "prod"}, {"StringEquals": {"aws:ResourceTag/env": "prod"}})
    assert _path(snap).decision == "ALLOWED"

