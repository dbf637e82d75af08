"""Fault injection: a call denied on the wire becomes exactly the "unread" that the rule
meta-test (tests/rules/test_rule_missing_inputs.py) feeds the rules.

For each input a rule can declare, the operation that reads it is denied (AccessDenied, as AWS
answers a role without the permission) during a real collection of the moto Organization. The
snapshot must then equal ``MAKE_UNREAD[input]`` applied to an undisturbed collection, in
everything a rule reads: so "UNKNOWN, never PASS" holds for the denials a scan really meets,
not only for the ones the meta-test imagines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import boto3
import pytest

from helpers.unread_inputs import MAKE_UNREAD
from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.model import Snapshot
from scanner.snapshot_io import read_snapshot

REGION = "us-east-1"
OTHER_REGION = "us-west-2"
ROLE = "OrganizationAccountAccessRole"

#: input -> (service, operation) that reads it (one per input: the first call a scan makes)
DENIED_CALL = {
    "secrets": ("secretsmanager", "ListSecrets"),
    "secret_policy": ("secretsmanager", "GetResourcePolicy"),
    "replication": ("secretsmanager", "DescribeSecret"),
    "kms": ("kms", "ListKeys"),
    "key_metadata": ("kms", "DescribeKey"),
    "key_policy": ("kms", "GetKeyPolicy"),
    "key_grants": ("kms", "ListGrants"),
    "key_rotation": ("kms", "GetKeyRotationStatus"),
    "iam": ("iam", "GetAccountAuthorizationDetails"),
    "lambda": ("lambda", "ListFunctions"),
    "quotas": ("service-quotas", "GetServiceQuota"),
}


def _collect(tmp_path: Path, session: boto3.Session, name: str, estate: Any) -> Snapshot:
    opts = CollectOptions(out=tmp_path / f"{name}.json.gz", regions=(REGION, OTHER_REGION),
                          role_name=ROLE,
                          max_attempts=1, accounts=(estate.security,))
    return read_snapshot(collect(opts, executor=SynchronousExecutor(),
                                 session_factory=lambda _: session))


def _what_rules_read(snapshot: Snapshot) -> dict[str, Any]:
    """The parts of a snapshot the rules judge, order-free."""
    secrets, keys, regions, iam = set(), set(), set(), set()
    for acct in snapshot.accounts:
        iam.add((acct.account_id, acct.iam is None))
        for reg in acct.regions:
            regions.add((acct.account_id, reg.region, tuple(sorted(reg.unread_services)),
                         len(reg.secrets), len(reg.kms_keys), len(reg.lambda_functions),
                         tuple(sorted((q.value, q.source) for q in reg.quotas))))
            for s in reg.secrets:
                secrets.add((s.arn, s.resource_policy, s.replicas, tuple(sorted(s.unread))))
            for k in reg.kms_keys:
                keys.add((k.arn, k.key_manager, k.key_state, k.policy, k.rotation_enabled,
                          tuple(sorted(k.unread))))
    coverage = {(c.account_id, c.region, c.service, c.operation, c.resource_arn)
                for c in snapshot.coverage}
    return {"secrets": secrets, "keys": keys, "regions": regions, "iam": iam,
            "coverage": coverage}


def _session() -> boto3.Session:
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                         region_name=REGION)


@pytest.fixture(scope="module")
def undisturbed(estate: Any, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    return _collect(tmp_path_factory.mktemp("undisturbed"), _session(), "undisturbed", estate)


@pytest.mark.parametrize("input_name", sorted(DENIED_CALL))
def test_a_denied_call_is_the_unread_input_the_rules_are_tested_with(
        input_name: str, tmp_path: Path, undisturbed: Snapshot, estate: Any,
        fail_call: Callable[..., Callable[[boto3.Session], None]]) -> None:
    service, operation = DENIED_CALL[input_name]
    session = _session()
    fail_call(service, operation, "AccessDenied")(session)
    denied = _collect(tmp_path, session, input_name, estate)
    expected = _what_rules_read(MAKE_UNREAD[input_name](undisturbed))
    got = _what_rules_read(denied)
    assert got == expected
    assert got != _what_rules_read(undisturbed), f"denying {operation} changed nothing"
