"""A KMS grant naming a caller of another account stands in for its identity Allow of
kms:Decrypt, and stays within the caller's permissions boundary whoever it names -- the IAM
user itself, the role, or one of the role's sessions (IAM conformance trial round 33).

IAM User Guide, "Cross-account policy evaluation logic": "AWS evaluates the request in the
trusting account and the trusted account ... When AWS evaluates this account [the trusted
one, the caller's], it checks the identity-based policy and any policies that can limit an
identity-based policy" -- the permissions boundary among them. The exceptions a grant to an
IAM user or to a role session enjoys are stated for one account only (IAM User Guide, "Policy
evaluation logic": "Within the same account, resource-based policies that grant permissions
to an IAM user ARN ... are not limited by an implicit deny in an identity-based policy or
permissions boundary"; "Within the same account, resource-based policies that grant
permissions to an IAM role session ARN ... are not limited by an implicit deny in ... a
permissions boundary"). The access analysis already read a secret policy's and a key policy's
grants across accounts so (the caller's boundary caps them all); a KMS grant naming another
account's IAM user was ALLOWED past a boundary that allows no kms:Decrypt, and one naming a
role's session was CONDITIONAL on the session's name -- the solver (``access --prove``) said
the same. Within one account a grant to the user itself is still not capped."""

from __future__ import annotations

from dataclasses import replace

import pytest
from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, SECRET_ARN, doc, estate,
                                   secret_policy_for, role, text, with_keys)

from scanner.access import AccessSettings, analyze_access
from scanner.access.graph_io import secret_views
from scanner.access.identity import PrincipalIndex
from scanner.access.scp import Guardrails
from scanner.graph.builder import build_graph
from scanner.model import KeyGrant, ManagedPolicy, Snapshot

MEMBER_USER = f"arn:aws:iam::{MEMBER}:user/bob"
CENTRAL_USER = f"arn:aws:iam::{CENTRAL}:user/alice"
APP_SESSION = f"arn:aws:sts::{MEMBER}:assumed-role/ApplicationRole/batch"
KEY_TRUSTS_ITS_ACCOUNT = text({"Effect": "Allow",
                               "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
                               "Action": "kms:*", "Resource": "*"})
SECRETS_ONLY = doc({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                    "Resource": "*"})


def _boundary(account: str, *actions: str) -> ManagedPolicy:
    return ManagedPolicy(arn=f"arn:aws:iam::{account}:policy/Boundary", name="Boundary",
                         account_id=account,
                         document=doc({"Effect": "Allow", "Action": list(actions),
                                       "Resource": "*"}))


def _estate(principal: str, grantee: str, *boundary_actions: str) -> Snapshot:
    """The secret (CENTRAL) names ``principal``'s role or user; the key trusts only its own
    account; one Decrypt grant names ``grantee``; the caller's identity policy allows
    GetSecretValue alone, and its boundary ``boundary_actions``."""
    account = principal.split(":")[4]
    boundary = _boundary(account, *boundary_actions)
    snap = estate(secret_policy=secret_policy_for(principal), key_policy=KEY_TRUSTS_ITS_ACCOUNT,
                  principals=(role(principal, SECRETS_ONLY, boundary=boundary.arn),),
                  managed=(boundary,))
    return with_keys(snap, grants=(KeyGrant(grant_id="g-1", grantee_principal=grantee,
                                            operations=("Decrypt",)),))


def _path(snap: Snapshot, principal: str):  # type: ignore[no-untyped-def]
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    sa = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    return {p.principal: p for p in sa.paths}[principal]


NO_KMS = ("secretsmanager:*",)
WITH_KMS = ("secretsmanager:*", "kms:Decrypt")


@pytest.mark.parametrize("principal, grantee", [
    (MEMBER_USER, MEMBER_USER),
    (APP_ROLE, APP_ROLE),
    (APP_ROLE, APP_SESSION),
], ids=["user", "role", "role-session"])
def test_a_grant_from_another_account_stays_within_the_callers_boundary(
        principal: str, grantee: str) -> None:
    path = _path(_estate(principal, grantee, *NO_KMS), principal)
    assert path.decision == "DENIED", path.reasons
    assert path.gates["identity_policy"].status == "DENIED"
    assert path.broken_at == ("identity_policy",)
    assert any("KMS grant g-1 names the caller but stays within its permissions boundary" in r
               for r in path.gates["identity_policy"].reasons), path.gates["identity_policy"]


@pytest.mark.parametrize("principal, grantee, decision", [
    (MEMBER_USER, MEMBER_USER, "ALLOWED"),
    (APP_ROLE, APP_ROLE, "ALLOWED"),
    # which session reads is not in the snapshot
    (APP_ROLE, APP_SESSION, "CONDITIONAL"),
], ids=["user", "role", "role-session"])
def test_a_boundary_that_allows_the_decrypt_lets_the_grant_stand_in(
        principal: str, grantee: str, decision: str) -> None:
    assert _path(_estate(principal, grantee, *WITH_KMS), principal).decision == decision


def test_within_one_account_a_grant_to_the_user_itself_is_not_capped() -> None:
    # "Within the same account ... an IAM user ARN ... not limited by an implicit deny in an
    # identity-based policy or permissions boundary"
    snap = _estate(CENTRAL_USER, CENTRAL_USER, *NO_KMS)
    assert _path(snap, CENTRAL_USER).decision == "ALLOWED"


@pytest.mark.parametrize("principal, grantee, unread", [
    (MEMBER_USER, MEMBER_USER, False),
    (APP_ROLE, APP_SESSION, False),
    (APP_ROLE, APP_ROLE, True),
], ids=["user", "role-session", "grants-not-read"])
def test_the_solver_reads_the_grant_the_same_way(principal: str, grantee: str,
                                                 unread: bool) -> None:
    pytest.importorskip("z3")
    from scanner.policy.smt.questions import check_pair, principal_of

    snap = _estate(principal, grantee, *NO_KMS)
    if unread:
        snap = with_keys(snap, grants=None, unread=("grants",))
    settings = AccessSettings.from_snapshot(snap)
    primaries, _ = secret_views(build_graph(snap), settings)
    [sv] = [sv for sv in primaries if sv.arn == SECRET_ARN]
    kind = "user" if ":user/" in principal else "role"
    who = principal_of(snap, principal, MEMBER, kind, PrincipalIndex(snap), partition="aws")
    answer = check_pair(sv, who, settings, Guardrails(snap.organization, snap.org_membership),
                        timeout_s=20)
    assert answer.decision == "DENIED", answer


def test_grants_that_were_not_read_cannot_stand_in_past_a_boundary_without_the_decrypt() -> None:
    """ListGrants failed: a grant may name the caller, but from another account it would stay
    within the caller's boundary -- one that allows no kms:Decrypt denies the read whatever
    the grants say (it was UNKNOWN on the grants not read)."""
    snap = with_keys(_estate(APP_ROLE, APP_ROLE, *NO_KMS), grants=None, unread=("grants",))
    path = _path(snap, APP_ROLE)
    assert path.decision == "DENIED", path.reasons
    assert path.gates["identity_policy"].status == "DENIED"
    unbounded = with_keys(_estate(APP_ROLE, APP_ROLE, *WITH_KMS), grants=None,
                          unread=("grants",))
    assert _path(unbounded, APP_ROLE).gates["identity_policy"].status == "UNKNOWN"
