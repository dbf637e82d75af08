"""A JSON answer cut short (a proxy's dropped connection, a body truncated on its way) is that
call's coverage gap, whatever the operation's shape: botocore reads a body json cannot parse
as ``{"message": body}``, an answer without any member, and an answer to GetResourcePolicy
cut short after a '}' (the policy text ends in one) was a secret without a resource policy --
no gap, secret-policy-public and its like PASS (fault-injection trial round 23). The answer
check parsed only the answers of operations with a list or map to check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_unexpected_answers import _answer_with, _collect

from conftest import REGION, fresh_session

_JSON = "application/x-amz-json-1.1"


def test_a_resource_policy_cut_short_is_unread_not_absent(tmp_path: Path,
                                                           estate: Any) -> None:
    session = fresh_session()
    _answer_with(session, "secrets-manager", "GetResourcePolicy", REGION,
                 b'{"ARN": "' + estate.shared_secret_arn.encode() +
                 b'", "ResourcePolicy": "{\\"Version\\": \\"2012-10-17\\"}', _JSON)

    snapshot = _collect(tmp_path, session, estate)

    shared = next(s for a in snapshot.accounts for r in a.regions for s in r.secrets
                  if s.arn == estate.shared_secret_arn)
    assert shared.resource_policy is None and "resource_policy" in shared.unread
    (gap, *_) = [c for c in snapshot.coverage if c.operation == "GetResourcePolicy"]
    assert gap.error_kind == "fatal" and "not JSON, cut short" in gap.message


@pytest.mark.parametrize("service, operation, body, unread", [
    ("kms", "GetKeyRotationStatus", b'{"KeyRotationEnabled": true, "KeyId": "{}',
     "rotation_enabled"),
    ("kms", "GetKeyPolicy", b'{"PolicyName": "default", "Policy": "{\\"Version\\": 1}',
     "policy"),
])
def test_a_key_answer_cut_short_after_a_brace_is_that_detail_unread(
        service: str, operation: str, body: bytes, unread: str, tmp_path: Path,
        estate: Any) -> None:
    session = fresh_session()
    _answer_with(session, service, operation, REGION, body, _JSON)

    snapshot = _collect(tmp_path, session, estate)

    keys = [k for a in snapshot.accounts for r in a.regions if r.region == REGION
            for k in r.kms_keys]
    assert keys and all(unread in k.unread for k in keys)
    assert any(c.operation == operation and "not JSON, cut short" in c.message
               for c in snapshot.coverage)
