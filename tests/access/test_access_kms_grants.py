"""KMS grants (ListGrants) read with the key policy: who they let decrypt a secret.

KMS Developer Guide, "Using Grants": "AWS KMS supports two resource-based access control
mechanisms: key policies and grants ... You can use them to allow access, but not deny it".
"Grants in AWS KMS": the grant allows the grantee principal the grant operations "provided that
all conditions specified in the grant are met"; EncryptionContextEquals / Subset are "exact,
case-sensitive" matches of the request's encryption context (Secrets Manager's Decrypt:
SecretARN and SecretVersionId). "Allowing users in other accounts to use a KMS key": external
users and roles "cannot use the CMK until you attach IAM policies that delegate those
permissions, or use grants to manage access to the CMK".

Before: grants were not collected; a reader only a grant lets decrypt was DENIED at the key
gate with "KMS grants not collected: one may allow the Decrypt"."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from helpers.access_estate import (APP_ROLE, CENTRAL, CENTRAL_ROLE, KEY_ARN, MEMBER, SECRET_ARN,
                                   doc,
                                   estate, role, secret_policy_for, text, with_keys)

from scanner.access import AccessSettings, analyze_access
from scanner.access.gates import KMS_GRANTS_NOT_COLLECTED
from scanner.graph.builder import build_graph
from scanner.model import KeyGrant, Snapshot
from scanner.policy.smt.questions import Prover
from scanner.policy.smt.solve import PROVEN_NONE, WITNESS

GSV = "secretsmanager:GetSecretValue"
ROOT_ONLY = text({"Sid": "Root", "Effect": "Allow",
                  "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                  "Resource": "*"})
MEMBER_ROOT = f"arn:aws:iam::{MEMBER}:root"
OTHER_SECRET = SECRET_ARN.replace("app/db-AbCdEf", "app/other-XyZabc")


def read_only(*extra: dict[str, Any]) -> dict[str, Any]:
    """GetSecretValue on the central app/ secrets, and no kms:Decrypt."""
    return doc({"Effect": "Allow", "Action": GSV,
                "Resource": f"arn:aws:secretsmanager:*:{CENTRAL}:secret:app/*"}, *extra)


DECRYPT = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}


def grant(grantee: str, *ops: str, equals: dict[str, str] | None = None,
          subset: dict[str, str] | None = None, gid: str = "g1") -> KeyGrant:
    return KeyGrant(grant_id=gid, grantee_principal=grantee, operations=ops or ("Decrypt",),
                    encryption_context_equals=equals, encryption_context_subset=subset)


def with_grants(snap: Snapshot, grants: tuple[KeyGrant, ...] | None) -> Snapshot:
    return with_keys(snap, grants=grants)


def path_of(principal: str, grants: tuple[KeyGrant, ...] | None, *,
            identity: dict[str, Any] | None = None, key_policy: str = ROOT_ONLY,
            secret_policy: str | None = None, boundary: str | None = None) -> Any:
    snap = with_grants(estate(
        secret_policy=secret_policy if secret_policy is not None
        else secret_policy_for(APP_ROLE),
        key_policy=key_policy,
        principals=(role(principal, identity or read_only(), boundary=boundary),)), grants)
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    sa = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    [path] = [p for p in sa.paths if p.principal == principal]
    return path


# ---------------------------------------------------------------- same account


def test_a_grant_to_a_role_of_the_keys_account_lets_it_decrypt_without_an_identity_allow() -> None:
    # "Policy evaluation for requests within a single account": a resource-based policy (here
    # the grant) naming the principal suffices, as a key-policy statement naming it would
    assert path_of(CENTRAL_ROLE, (grant(CENTRAL_ROLE),)).decision == "ALLOWED"


def test_without_the_grant_the_key_policy_denies_and_nothing_is_said_of_grants() -> None:
    read = path_of(CENTRAL_ROLE, ())
    assert read.decision == "DENIED"
    assert read.gates["key_policy"].status == "DENIED"
    assert KMS_GRANTS_NOT_COLLECTED not in read.gates["key_policy"].reasons


def test_grants_not_read_keep_the_caveat() -> None:
    read = path_of(CENTRAL_ROLE, None)
    assert read.decision == "DENIED"
    assert KMS_GRANTS_NOT_COLLECTED in read.gates["key_policy"].reasons


def test_a_grant_to_the_role_arn_stays_within_its_permissions_boundary() -> None:
    # IAM User Guide, "Permissions boundaries for IAM entities": a resource-based grant to the
    # role ARN "is limited by an implicit deny in a permissions boundary"
    boundary = f"arn:aws:iam::{CENTRAL}:policy/only-secrets"
    from scanner.model import ManagedPolicy

    snap = with_grants(estate(
        secret_policy=secret_policy_for(APP_ROLE), key_policy=ROOT_ONLY,
        principals=(role(CENTRAL_ROLE, read_only(), boundary=boundary),),
        managed=(ManagedPolicy(arn=boundary, name="only-secrets", account_id=CENTRAL,
                               document=read_only()),)), (grant(CENTRAL_ROLE),))
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    sa = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    [read] = [p for p in sa.paths if p.principal == CENTRAL_ROLE]
    assert read.decision == "DENIED"


# ---------------------------------------------------------------- another account


def test_a_grant_naming_another_accounts_role_needs_no_identity_allow_of_kms_decrypt() -> None:
    read = path_of(APP_ROLE, (grant(APP_ROLE),))
    assert read.decision == "ALLOWED", read.reasons
    assert read.gates["identity_policy"].status == "ALLOWED"


def test_without_a_grant_the_same_reader_is_broken_at_the_key() -> None:
    read = path_of(APP_ROLE, ())
    assert read.decision == "DENIED"
    assert "key_policy" in read.broken_at


def test_a_grant_to_the_account_delegates_to_its_iam_policies() -> None:
    # a grant naming the account, as a key-policy statement naming it: the account's IAM
    # policies must delegate the Decrypt
    assert path_of(APP_ROLE, (grant(MEMBER_ROOT),)).decision == "DENIED"
    assert path_of(APP_ROLE, (grant(MEMBER_ROOT),),
                   identity=read_only(DECRYPT)).decision == "ALLOWED"


def test_a_grant_does_not_override_an_explicit_deny_of_the_key_policy() -> None:
    deny = {"Effect": "Deny", "Principal": {"AWS": APP_ROLE}, "Action": "kms:Decrypt",
            "Resource": "*"}
    read = path_of(APP_ROLE, (grant(APP_ROLE),), identity=read_only(DECRYPT),
                   key_policy=text({"Sid": "Root", "Effect": "Allow",
                                    "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
                                    "Action": "kms:*", "Resource": "*"}, deny))
    assert read.decision == "DENIED"
    assert read.gates["key_policy"].explicit_deny


def test_a_grant_of_other_operations_than_decrypt_does_not_let_it_read() -> None:
    assert path_of(APP_ROLE, (grant(APP_ROLE, "Encrypt", "GenerateDataKey"),)).decision \
        == "DENIED"


# ---------------------------------------------------------------- constraints


@pytest.mark.parametrize("constraint, expected", [
    ({"subset": {"SecretARN": SECRET_ARN}}, "ALLOWED"),
    ({"subset": {"SecretARN": OTHER_SECRET}}, "DENIED"),
    # KMS API Reference, GrantConstraints: "in a grant constraint, the key in each key-value
    # pair is not case sensitive, but the value is case sensitive" (IAM conformance trial
    # round 26: the key name was compared case-sensitively)
    ({"subset": {"secretarn": SECRET_ARN}}, "ALLOWED"),
    ({"subset": {"secretarn": SECRET_ARN.lower()}}, "DENIED"),
    ({"subset": {"Department": "Finance"}}, "DENIED"),
    # Secrets Manager's Decrypt carries SecretVersionId as well: never an exact match
    ({"equals": {"SecretARN": SECRET_ARN}}, "DENIED"),
    # one version of the secret: which version is read is the caller's choice
    ({"equals": {"SecretARN": SECRET_ARN, "SecretVersionId": "v-1"}}, "CONDITIONAL"),
    ({"subset": {"SecretVersionId": "v-1"}}, "CONDITIONAL"),
])
def test_a_grants_encryption_context_constraint(constraint: dict[str, Any],
                                                expected: str) -> None:
    read = path_of(APP_ROLE, (grant(APP_ROLE, **constraint),))
    assert read.decision == expected, read.reasons


# ---------------------------------------------------------------- the prover agrees


def test_the_prover_finds_the_grant_reader_and_its_replay_is_allowed() -> None:
    snap = with_grants(estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=ROOT_ONLY,
                              principals=(role(APP_ROLE, read_only()),)), (grant(APP_ROLE),))
    settings = AccessSettings.from_snapshot(snap)
    graph = build_graph(snap)
    answer = Prover(graph, snap, settings, timeout_s=20).principal(SECRET_ARN, APP_ROLE)
    assert answer.status == WITNESS, answer
    assert answer.replay["decision"] == "ALLOWED"


def test_without_the_grant_the_prover_proves_it_cannot_read() -> None:
    snap = with_grants(estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=ROOT_ONLY,
                              principals=(role(APP_ROLE, read_only()),)), ())
    settings = AccessSettings.from_snapshot(snap)
    answer = Prover(build_graph(snap), snap, settings, timeout_s=20).principal(SECRET_ARN,
                                                                                APP_ROLE)
    assert answer.status == PROVEN_NONE, answer


def test_grants_that_could_not_be_read_leave_the_key_gate_unknown() -> None:
    # could-not-read is data: ListGrants failed (a coverage entry), so a grant may allow what
    # the key policy does not -- the read is not assessed, never a confident "broken"
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=ROOT_ONLY,
                  principals=(role(APP_ROLE, read_only()),))
    snap = with_keys(snap, grants=None, unread=("grants",))
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    sa = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    [read] = [p for p in sa.paths if p.principal == APP_ROLE]
    assert read.decision == "CONDITIONAL"
    assert read.gates["key_policy"].status == "UNKNOWN"
    assert read.gates["identity_policy"].status == "UNKNOWN"
    assert "KMS grants not read (see coverage)" in read.conditions
    assert read.broken_at == ()


# ---------------------------------------------------------------- conformance trial round 24

OUTSIDER_ROLE = "arn:aws:iam::999999999999:role/Outsider"


def _grants_unread(snap: Snapshot) -> Snapshot:
    return with_keys(snap, grants=None, unread=("grants",))


def _outside(snap: Snapshot) -> Any:
    return Prover(build_graph(snap), snap, AccessSettings.from_snapshot(snap),
                  timeout_s=20).secret(SECRET_ARN)


def test_the_prover_never_proves_no_outside_reader_where_the_grants_were_not_read() -> None:
    # KMS Developer Guide, "Grants in AWS KMS": "When authorizing access to a KMS key, grants
    # are considered along with key policies and IAM policies", and a grantee "can be in the
    # same account as the KMS key or a different account". ListGrants failed: a grant to an
    # outsider the secret's policy lets in may allow its Decrypt -- could-not-read is UNKNOWN,
    # never a proof. Before: both questions PROVEN_NONE ("no request from outside the zone is
    # allowed (unsat)") on the key policy alone (conformance trial round 24)
    base = estate(secret_policy=secret_policy_for(APP_ROLE, OUTSIDER_ROLE), key_policy=ROOT_ONLY,
                  principals=(role(APP_ROLE, read_only()),))
    unread = _outside(_grants_unread(base))
    assert unread.read.status == "UNKNOWN", unread.read
    assert "KMS grants not read" in unread.read.reason
    assert unread.decrypt is not None and unread.decrypt.status == "UNKNOWN", unread.decrypt
    assert "KMS grants not read" in unread.decrypt.reason
    # read, and none: the key policy's answer is the answer
    none = _outside(with_grants(base, ()))
    assert none.read.status == PROVEN_NONE and none.decrypt is not None
    assert none.decrypt.status == PROVEN_NONE
    # read, one to the outsider: a witness either way
    granted = _outside(with_grants(base, (grant(OUTSIDER_ROLE),)))
    assert granted.read.status == WITNESS and granted.decrypt is not None
    assert granted.decrypt.status == WITNESS


def test_grants_not_read_do_not_stop_a_proof_the_secret_policy_alone_gives() -> None:
    # the secret's policy lets no one outside in: no grant changes that (a grant can only
    # allow the key's use, "but not deny access" -- and the read needs the secret's policy)
    snap = _grants_unread(estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=ROOT_ONLY,
                                 principals=(role(APP_ROLE, read_only()),)))
    assert _outside(snap).read.status == PROVEN_NONE


def test_the_identity_gate_says_the_grant_stands_in_for_its_kms_decrypt_allow() -> None:
    # `access --why`: the identity gate was ALLOWED with only "kms:Decrypt: no identity policy
    # of the caller allows it on a resource of account 111111111111" to show for it -- the
    # grant that stands in (KMS Developer Guide, "Allowing users in other accounts to use a
    # KMS key": "or use grants to manage access") was not named (conformance trial round 24)
    read = path_of(APP_ROLE, (grant(APP_ROLE),))
    identity = read.gates["identity_policy"]
    assert identity.status == "ALLOWED"
    assert any("KMS grant g1" in r and "stands in" in r for r in identity.reasons), \
        identity.reasons
    # with the caller's own Allow there is nothing to stand in for
    own = path_of(APP_ROLE, (grant(APP_ROLE),), identity=read_only(DECRYPT))
    assert not any("stands in" in r for r in own.gates["identity_policy"].reasons)


def test_remediate_prove_reads_the_keys_grants_with_its_policy() -> None:
    # remediate --prove's question for a key ("outside decrypt") read the key policy's text
    # alone: a grant to an outsider left after the planned change was not seen, and a
    # ListGrants that failed was proven closed (conformance trial round 24)
    from scanner.policy.smt.use import plan_proof

    base = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=ROOT_ONLY,
                  principals=(role(APP_ROLE, read_only()),))

    def closes(snap: Snapshot) -> Any:
        settings = AccessSettings.from_snapshot(snap)
        return plan_proof(build_graph(snap), snap, settings, key_arn=KEY_ARN,
                          timeout_s=20)["closes"]

    assert closes(with_grants(base, ())) is True
    assert closes(with_grants(base, (grant(OUTSIDER_ROLE),))) is False
    assert closes(_grants_unread(base)) is None


@pytest.mark.parametrize("state", ["Disabled", "PendingDeletion"])
def test_grants_not_read_leave_a_key_that_cannot_decrypt_denied_at_the_key(state: str) -> None:
    # KMS Developer Guide, "Key states of AWS KMS keys": a Disabled or PendingDeletion key
    # cannot be used in cryptographic operations -- no grant changes that. Before: with
    # ListGrants failed the key gate was UNKNOWN beside a DENIED decision, nothing broken_at,
    # and secret-cross-account-access-broken's FAIL for the reader became UNKNOWN
    # (fault-injection trial round 14)
    snap = with_keys(estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=ROOT_ONLY,
                            principals=(role(APP_ROLE, read_only(DECRYPT)),)),
                     grants=None, unread=("grants",), key_state=state)
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    sa = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    [read] = [p for p in sa.paths if p.principal == APP_ROLE]
    assert read.decision == "DENIED"
    key = read.gates["key_policy"]
    assert key.status == "DENIED", key
    assert key.key_unusable == f"key is {state}"
    assert read.broken_at == ("key_policy",)
