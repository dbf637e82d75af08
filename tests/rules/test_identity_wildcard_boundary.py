"""identity-policy-secret-wildcard and permissions boundaries (ground-truth organization trial
round 8, access: C/BoundedRole -- inline GetSecretValue and kms:Decrypt on ``*``, a boundary
allowing GetSecretValue on ``secret:local/ops-*`` and Decrypt on that secret's key only -- was
reported as reading every secret while ``access --principal`` showed it reading local/ops
only). IAM User Guide, "Permissions boundaries for IAM entities": an entity can perform only
the actions allowed by both its identity-based policies and its permissions boundaries.

The roles are those of the rule's fixture folder (tests/rules/identity-policy-secret-wildcard)."""

from __future__ import annotations

from scanner.findings import Finding
from test_rule_fixtures import run_fixture

RULE = "identity-policy-secret-wildcard"
ACCOUNT = "222222222222"


def _found() -> dict[str, Finding]:
    findings, _ = run_fixture(RULE)
    return {f.resource.arn.rsplit("/", 1)[-1]: f for f in findings}


def test_a_boundary_limiting_the_wildcard_to_one_secret_passes() -> None:
    """Resource ``*`` inline, a boundary naming one secret and one key: the role reads that
    secret only -- PASS (the trial's C/BoundedRole)."""
    f = _found()["bounded-to-one-secret"]
    assert f.status.value == "PASS", (f.status, f.message)


def test_a_boundary_that_allows_every_resource_leaves_the_wildcard() -> None:
    f = _found()["bounded-wide"]
    assert f.status.value == "FAIL", (f.status, f.message)
    assert "secretsmanager:GetSecretValue, kms:Decrypt on *" in f.message, f.message
    assert f"permissions boundary arn:aws:iam::{ACCOUNT}:policy/boundary-everything allows " \
        "secretsmanager:GetSecretValue, kms:Decrypt on every resource too" in f.message, f.message


def test_only_the_actions_the_boundary_also_allows_everywhere_are_reported() -> None:
    """The boundary allows GetSecretValue on one secret but kms:Decrypt on every key
    (NotResource): the finding is about kms:Decrypt alone, and says the boundary allows it
    on every resource too."""
    f = _found()["bounded-decrypt-wide"]
    assert f.status.value == "FAIL", (f.status, f.message)
    assert "GetSecretValue" not in f.message, f.message
    assert "kms:Decrypt" in f.message, f.message
    assert "boundary" in f.message, f.message


def test_a_conditional_every_resource_boundary_passes_like_a_conditional_statement() -> None:
    f = _found()["bounded-conditional"]
    assert f.status.value == "PASS", (f.status, f.message)


def test_an_unread_boundary_is_unknown_never_pass() -> None:
    """The boundary's document is not in the snapshot: it may or may not narrow the wildcard
    -- UNKNOWN, naming the boundary that was not read."""
    f = _found()["bounded-unread"]
    assert f.status.value == "UNKNOWN", (f.status, f.message)
    assert any(f"arn:aws:iam::{ACCOUNT}:policy/boundary-not-read" in m and "boundary" in m
               for m in f.missing), f.missing
