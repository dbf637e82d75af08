"""The reasons a gate gives name what to fix: a statement that names a deleted principal, a
permissions boundary that blocks a grant to the role (conformance trial round 7)."""

from __future__ import annotations

import dataclasses
import re

from dataclasses import replace

from helpers.access_estate import (APP_ROLE, CENTRAL, CENTRAL_ROLE, MEMBER, REGION, SECRET_ARN,
                                   allow_read_identity, doc, estate, key_policy_for, role,
                                   secret_policy_for, text)
from scanner.model import IamPrincipal, KmsKey, ManagedPolicy, RegionSnapshot
from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph


def _path(snap, principal: str):
    settings = dataclasses.replace(AccessSettings.from_snapshot(snap), record_denied=True)
    report = analyze_access(build_graph(snap), snap, settings)
    return {p.principal: p for p in report.for_secret(SECRET_ARN).paths}[principal]


def _with_member_key(snap, key_arn: str, policy: str):
    """The estate with MEMBER's only Region holding one customer key, ``key_arn``."""
    key = KmsKey(arn=key_arn, key_id=key_arn.rsplit("/", 1)[1], account_id=MEMBER,
                 region=REGION, key_manager="CUSTOMER", key_state="Enabled", policy=policy)
    return replace(snap, accounts=tuple(
        replace(a, regions=(RegionSnapshot(region=REGION, kms_keys=(key,)),))
        if a.account_id == MEMBER else a for a in snap.accounts))


def _gates(snap, principal: str):
    return _path(snap, principal).gates


def test_a_key_policy_naming_a_deleted_roles_unique_id_says_so() -> None:
    """Conformance trial round 7 (u3): the role was deleted and recreated; the key policy
    still shows the old role's unique id (IAM User Guide, "IAM JSON policy elements:
    Principal": if the principal is deleted, the policy shows its unique id). The key gate
    is DENIED, and its reasons name the statement to fix, not only "implicit deny"."""
    kp = text({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
               "Action": "kms:*", "Resource": "*"},
              {"Sid": "AppDecrypt", "Effect": "Allow",
               "Principal": {"AWS": "AROAEXAMPLEID1234567"}, "Action": "kms:Decrypt",
               "Resource": "*"})
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=kp,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    key = _gates(snap, APP_ROLE)["key_policy"]
    assert key.status == "DENIED"
    assert any("statement 1 (AppDecrypt)" in r and "AROAEXAMPLEID1234567" in r
               and "deleted" in r for r in key.reasons), key.reasons


BOUNDARY_TEXT = "permissions boundary"


def test_a_boundary_blocking_a_key_grant_to_the_role_is_reported_at_the_identity_gate() -> None:
    """Conformance trial round 7 (w2): a cross-account read of a secret encrypted with a key
    in the caller's own account, whose key policy names the role; the role's boundary allows
    secretsmanager:* only. The read is DENIED -- IAM User Guide, "Permissions boundaries": a
    grant to the role ARN "is limited by an implicit deny in a permissions boundary" -- but
    the key gate said DENIED with only "statement 1 Allow applies" and the identity gate
    ALLOWED. The key policy does allow the role; the boundary, an identity-side limit
    (docs/access.md: identity_policy is "capped by its permissions boundary"), blocks it."""
    key_id = "abcd0000-0000-0000-0000-00000000beef"
    key_arn = f"arn:aws:kms:{REGION}:{MEMBER}:key/{key_id}"
    kp = text({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MEMBER}:root"},
               "Action": "kms:*", "Resource": "*"},
              {"Effect": "Allow", "Principal": {"AWS": APP_ROLE}, "Action": "kms:Decrypt",
               "Resource": "*"})
    boundary = ManagedPolicy(arn=f"arn:aws:iam::{MEMBER}:policy/SMOnly", name="SMOnly",
                             account_id=MEMBER, document=doc({
                                 "Effect": "Allow", "Action": "secretsmanager:*",
                                 "Resource": "*"}))
    ident = doc({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                 "Resource": SECRET_ARN})
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), kms_key_id=key_arn,
                  managed=(boundary,), principals=(role(APP_ROLE, ident, boundary=boundary.arn),))
    path = _path(_with_member_key(snap, key_arn, kp), APP_ROLE)
    assert path.decision == "DENIED"
    assert path.gates["key_policy"].status == "ALLOWED", path.gates["key_policy"]
    ident_gate = path.gates["identity_policy"]
    assert ident_gate.status == "DENIED", ident_gate
    assert any(BOUNDARY_TEXT in r and boundary.arn in r and "key policy" in r
               for r in ident_gate.reasons), ident_gate.reasons
    assert path.broken_at == ("identity_policy",)


def test_a_boundary_blocking_same_account_grants_to_the_role_names_the_boundary() -> None:
    """Conformance trial round 7 (w1): the secret and key policies name a role of their own
    account whose boundary allows s3:* only. The read was BROKEN at resource_policy,
    key_policy and identity_policy with "resource_policy: DENIED (statement 0 Allow
    applies)". The grants are there; the boundary blocks them: identity_policy is where the
    read breaks, and the other gates' reasons say the boundary limits their grant."""
    kp = text({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
               "Action": "kms:*", "Resource": "*"},
              {"Effect": "Allow", "Principal": {"AWS": CENTRAL_ROLE}, "Action": "kms:Decrypt",
               "Resource": "*"})
    boundary = ManagedPolicy(arn=f"arn:aws:iam::{CENTRAL}:policy/OnlyS3", name="OnlyS3",
                             account_id=CENTRAL, document=doc({
                                 "Effect": "Allow", "Action": "s3:*", "Resource": "*"}))
    snap = estate(secret_policy=secret_policy_for(CENTRAL_ROLE), key_policy=kp,
                  managed=(boundary,),
                  principals=(role(CENTRAL_ROLE, allow_read_identity(), boundary=boundary.arn),))
    path = _path(snap, CENTRAL_ROLE)
    assert path.decision == "DENIED"
    gates = path.gates
    assert gates["identity_policy"].status == "DENIED"
    assert any(BOUNDARY_TEXT in r and "resource policy" in r
               for r in gates["identity_policy"].reasons), gates["identity_policy"].reasons
    for name in ("resource_policy", "key_policy"):
        assert gates[name].status == "ALLOWED", (name, gates[name])
        assert any(BOUNDARY_TEXT in r for r in gates[name].reasons), (name, gates[name])
    assert path.broken_at == ("identity_policy",)


DENY_READ = {"Effect": "Deny", "Action": ["secretsmanager:GetSecretValue", "kms:Decrypt"],
             "Resource": "*"}


def _denying_boundary(account: str, *deny: dict) -> ManagedPolicy:
    return ManagedPolicy(arn=f"arn:aws:iam::{account}:policy/bnd", name="bnd",
                         account_id=account, document=doc(
                             {"Effect": "Allow", "Action": "*", "Resource": "*"}, *deny))


def test_a_boundarys_explicit_deny_is_named_at_the_identity_gate() -> None:
    """Conformance trial round 8 (a2 bnd-explicit-deny, a boundary): the role's identity
    policy allows the read, its permissions boundary allows * and denies GetSecretValue and
    kms:Decrypt explicitly. identity_policy was DENIED with only the Allow statements as
    reasons; the boundary's Deny statement is the cause and is named, as a group's Deny is
    (docs/rules.md, secret-cross-account-access-broken: "its reason naming the boundary")."""
    bnd = _denying_boundary(MEMBER, DENY_READ)
    kp = text({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
               "Action": "kms:*", "Resource": "*"},
              {"Effect": "Allow", "Principal": {"AWS": APP_ROLE}, "Action": "kms:Decrypt",
               "Resource": "*"})
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=kp, managed=(bnd,),
                  principals=(role(APP_ROLE, allow_read_identity(), boundary=bnd.arn),))
    path = _path(snap, APP_ROLE)
    ident = path.gates["identity_policy"]
    assert ident.status == "DENIED" and ident.explicit_deny
    named = f"permissions boundary {bnd.arn}: statement 1 Deny applies"
    assert ident.reasons[0] == named, ident.reasons
    assert f"kms:Decrypt: {named}" in ident.reasons
    # the path's own text (the finding's message) shows it among the gate's first reasons
    (text_,) = [r for r in path.reasons if r.startswith("identity_policy:")]
    assert named in text_


def test_a_boundary_denying_only_decrypt_is_named_for_kms_decrypt() -> None:
    """Conformance trial round 8 (a2 bnd-deny-only-kms): the boundary denies kms:Decrypt only;
    the identity gate's reasons name that Deny under kms:Decrypt."""
    bnd = _denying_boundary(MEMBER, {**DENY_READ, "Action": "kms:Decrypt"})
    kp = text({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
               "Action": "kms:*", "Resource": "*"},
              {"Effect": "Allow", "Principal": {"AWS": APP_ROLE}, "Action": "kms:Decrypt",
               "Resource": "*"})
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=kp, managed=(bnd,),
                  principals=(role(APP_ROLE, allow_read_identity(), boundary=bnd.arn),))
    ident = _gates(snap, APP_ROLE)["identity_policy"]
    assert ident.status == "DENIED"
    named = f"permissions boundary {bnd.arn}: statement 1 Deny applies"
    assert f"kms:Decrypt: {named}" in ident.reasons and named not in ident.reasons


def test_a_same_account_users_boundary_deny_is_the_reason_not_a_missing_allow() -> None:
    """Conformance trial round 8 (a4 bnd-deny): a user of the secret's account, granted by the
    secret and key policies directly, no identity policy, a boundary that denies the read.
    The reason said only "no identity policy allows secretsmanager:GetSecretValue" -- not the
    cause (the resource policy's grant to a user suffices in its own account); the boundary's
    Deny is named first."""
    user = f"arn:aws:iam::{CENTRAL}:user/bob"
    bnd = _denying_boundary(CENTRAL, DENY_READ)
    kp = text({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
               "Action": "kms:*", "Resource": "*"},
              {"Effect": "Allow", "Principal": {"AWS": user}, "Action": "kms:Decrypt",
               "Resource": "*"})
    snap = estate(secret_policy=secret_policy_for(user), key_policy=kp, managed=(bnd,),
                  principals=(IamPrincipal(arn=user, name="bob", account_id=CENTRAL,
                                           principal_type="user",
                                           permissions_boundary_arn=bnd.arn),))
    path = _path(snap, user)
    assert path.decision == "DENIED" and path.broken_at == ("identity_policy",)
    ident = path.gates["identity_policy"]
    named = f"permissions boundary {bnd.arn}: statement 1 Deny applies"
    assert ident.reasons[0] == named, ident.reasons


def _own_secret_on_member_key(secret_policy: str | None):
    """CENTRAL's secret on a key of MEMBER whose policy names CENTRAL_ROLE for kms:Decrypt;
    the role's identity policy allows GetSecretValue on the secret and no kms:Decrypt."""
    key_arn = f"arn:aws:kms:{REGION}:{MEMBER}:key/abcd0000-0000-0000-0000-0000000f0e19"
    kp = text({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MEMBER}:root"},
               "Action": "kms:*", "Resource": "*"},
              {"Effect": "Allow", "Principal": {"AWS": CENTRAL_ROLE}, "Action": "kms:Decrypt",
               "Resource": "*"})
    ident = doc({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                 "Resource": SECRET_ARN})
    snap = estate(secret_policy=secret_policy, kms_key_id=key_arn,
                  principals=(role(CENTRAL_ROLE, ident),))
    return _with_member_key(snap, key_arn, kp)


def test_an_own_account_secret_on_another_accounts_key_without_identity_decrypt() -> None:
    """Ground-truth trial round 13: a role reads a secret of its own account encrypted with a
    key of another account whose key policy names the role; the role's identity policy allows
    GetSecretValue but no kms:Decrypt. "The key policy must allow ... and the caller's
    identity policy" (IAM User Guide, cross-account policy evaluation logic): the read is
    DENIED at the identity policy, as for a cross-account secret. It was DENIED at key_policy
    with the reason "statement 1 Allow applies", the identity gate ALLOWED -- access --why
    pointed at the key policy, which already grants the role."""
    for secret_policy in (None, secret_policy_for(CENTRAL_ROLE)):
        path = _path(_own_secret_on_member_key(secret_policy), CENTRAL_ROLE)
        assert path.decision == "DENIED"
        assert path.gates["key_policy"].status == "ALLOWED", path.gates["key_policy"]
        ident_gate = path.gates["identity_policy"]
        assert ident_gate.status == "DENIED", ident_gate
        assert any("kms:Decrypt" in r for r in ident_gate.reasons), ident_gate.reasons
        if secret_policy is not None:
            assert path.broken_at == ("identity_policy",)


def test_no_identity_decrypt_says_whose_account_it_means() -> None:
    """Ground-truth trial round 15: "kms:Decrypt: no identity policy allows the action on this
    account's resources" read as the caller's account; it means the account that owns the key
    (the action's resource). The reason names the key's account."""
    reasons = _path(_own_secret_on_member_key(None), CENTRAL_ROLE) \
        .gates["identity_policy"].reasons
    assert f"kms:Decrypt: no identity policy of the caller allows it on a resource of account " \
        f"{MEMBER}" in reasons, reasons
    assert not any("this account" in r for r in reasons)


def test_a_key_statement_naming_the_role_under_a_condition_the_read_fails_names_the_condition(
        ) -> None:
    """Ground-truth trial round 19: the key policy grants the role kms:Decrypt only through
    Secrets Manager in another Region (kms:ViaService secretsmanager.eu-west-1.amazonaws.com)
    while the secret lives in us-east-1. The key gate was DENIED with "no Allow statement
    applies (implicit deny)" alone, which reads as if the key policy never mentioned the role.
    A statement applies only when its Condition is true (IAM User Guide, "IAM JSON policy
    elements: Condition"); the reason names the statement, the condition that is false and
    what the request carries for its key."""
    kp = text({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
               "Action": "kms:*", "Resource": "*"},
              {"Sid": "DecryptViaEu", "Effect": "Allow", "Principal": {"AWS": APP_ROLE},
               "Action": "kms:Decrypt", "Resource": "*",
               "Condition": {"StringEquals": {
                   "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}})
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=kp,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    key = _gates(snap, APP_ROLE)["key_policy"]
    assert key.status == "DENIED"
    named = [r for r in key.reasons if "statement 1 (DecryptViaEu)" in r]
    assert named, key.reasons
    assert "kms:viaservice" in named[0].lower(), named
    assert "secretsmanager.eu-west-1.amazonaws.com" in named[0], named
    assert "secretsmanager.us-east-1.amazonaws.com" in named[0], named


def test_a_key_policy_that_never_names_the_role_still_says_only_implicit_deny() -> None:
    """The root statement alone (the owner's IAM decides): nothing names the role, so the
    reasons name no statement, only the implicit deny."""
    kp = text({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
               "Action": "kms:*", "Resource": "*"})
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=kp,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    key = _gates(snap, APP_ROLE)["key_policy"]
    assert key.status == "DENIED"
    assert not any(re.search(r"statement \d", r) for r in key.reasons), key.reasons
    assert "no Allow statement applies (implicit deny)" in key.reasons


def test_an_identity_statement_kept_out_by_its_condition_is_named() -> None:
    """Ground-truth trial round 22: the role's identity policy allows GetSecretValue on "*"
    only on its own account's secrets (StringEquals aws:ResourceAccount
    ${aws:PrincipalAccount}); the cross-account read's identity gate said "no identity policy
    allows secretsmanager:GetSecretValue", which reads as if the policy never mentioned the
    action. As for the key and resource policies (round 19), the reason names the statement,
    its false condition and what the request carries."""
    idp = doc({"Sid": "OwnAccountOnly", "Effect": "Allow",
               "Action": "secretsmanager:GetSecretValue", "Resource": "*",
               "Condition": {"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}},
              {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"})
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, idp),))
    ident = _gates(snap, APP_ROLE)["identity_policy"]
    assert ident.status == "DENIED"
    named = [r for r in ident.reasons if "statement 0 (OwnAccountOnly)" in r]
    assert named, ident.reasons
    assert "aws:resourceaccount" in named[0].lower() and CENTRAL in named[0], named
    assert "no identity policy allows secretsmanager:GetSecretValue" in ident.reasons
