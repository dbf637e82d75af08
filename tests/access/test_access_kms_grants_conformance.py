"""KMS grants against AWS's documented answers (conformance trial round 24): cases where the
answer is certain from the KMS Developer Guide, each group citing its sentence.

* "Grants in AWS KMS": "the grant allows the grantee principal to call the specified grant
  operations on the KMS key provided that all conditions specified in the grant are met";
  the grantee "can be any AWS principal, including an AWS account (root), an IAM user, an IAM
  role, a federated role or user, or an assumed role user"; "A grant can allow access to a KMS
  key, but not deny access".
* "Troubleshooting key access": "a caller can be denied access by an explicit DENY statement,
  or by the absence of an explicit ALLOW statement, in the key policy, IAM policy, or grant";
  SCPs and VPC endpoint policies "restrict permissions otherwise given to principals".
* KMS API Reference, GrantConstraints: EncryptionContextEquals / Subset -- the request's
  context "is the same as" / "includes" the constraint's pairs, and "in a grant constraint, the
  key in each key-value pair is not case sensitive, but the value is case sensitive" (round 26:
  the key names were compared case-sensitively); Secrets Manager's Decrypt carries SecretARN
  and SecretVersionId.
* "Key states": only an Enabled key decrypts.

Every case passed before round 24's fixes; they pin the behaviour."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from helpers.access_estate import (APP_ROLE, CENTRAL, CENTRAL_ROLE, MEMBER, MEMBER2, REGION,
                                   SECRET_ARN,
                                   control, doc, estate, role, secret_policy_for, text,
                                   with_keys)

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.model import KeyGrant, Snapshot

GSV = "secretsmanager:GetSecretValue"
ROOT_ONLY = text({"Sid": "Root", "Effect": "Allow",
                  "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                  "Resource": "*"})
DECRYPT = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}
CENTRAL_USER = f"arn:aws:iam::{CENTRAL}:user/alice"
MEMBER_USER = f"arn:aws:iam::{MEMBER}:user/bob"


def read_only(*extra: dict[str, Any]) -> dict[str, Any]:
    return doc({"Effect": "Allow", "Action": GSV,
                "Resource": f"arn:aws:secretsmanager:*:{CENTRAL}:secret:app/*"}, *extra)


def grant(grantee: str | None, *ops: str, **kw: Any) -> KeyGrant:
    return KeyGrant(grant_id="g1", grantee_principal=grantee, operations=ops or ("Decrypt",),
                    **kw)


def with_grants(snap: Snapshot, grants: Any) -> Snapshot:
    return with_keys(snap, grants=grants)


def path_of(principal: str, grants: Any, *, identity: dict[str, Any] | None = None,
            key_policy: str = ROOT_ONLY, secret_policy: str | None = None,
            boundary: str | None = None, managed: tuple = (), scps: Any = None,
            key_state: str = "Enabled", management: str = CENTRAL) -> Any:
    snap = with_grants(estate(
        secret_policy=secret_policy if secret_policy is not None
        else secret_policy_for(APP_ROLE, MEMBER_USER),
        key_policy=key_policy, key_state=key_state, scps=scps, management=management,
        managed=managed,
        principals=(role(principal, identity or read_only(), boundary=boundary),)), grants)
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    sa = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    [path] = [p for p in sa.paths if p.principal == principal]
    return path


# a user, a role, one assumed-role session (the session name is not in the snapshot), the
# account; same account and another; another partition, a service principal, no grantee
@pytest.mark.parametrize("principal, grantee, expected", [
    (CENTRAL_USER, CENTRAL_USER, "ALLOWED"),
    (CENTRAL_ROLE, CENTRAL_ROLE, "ALLOWED"),
    (MEMBER_USER, MEMBER_USER, "ALLOWED"),
    (APP_ROLE, APP_ROLE, "ALLOWED"),
    (APP_ROLE, f"arn:aws:sts::{MEMBER}:assumed-role/ApplicationRole/s1", "CONDITIONAL"),
    (CENTRAL_ROLE, f"arn:aws:sts::{CENTRAL}:assumed-role/CentralApp/s1", "CONDITIONAL"),
    # another partition
    (APP_ROLE, f"arn:aws-cn:iam::{MEMBER}:role/ApplicationRole", "DENIED"),
    (APP_ROLE, f"arn:aws-us-gov:iam::{MEMBER}:root", "DENIED"),
    (CENTRAL_ROLE, f"arn:aws-cn:iam::{CENTRAL}:role/CentralApp", "DENIED"),
    # service principal
    (APP_ROLE, "secretsmanager.amazonaws.com", "DENIED"),
    (CENTRAL_ROLE, f"secretsmanager.{REGION}.amazonaws.com", "DENIED"),
    (APP_ROLE, None, "DENIED"),
    (CENTRAL_ROLE, None, "DENIED"),
    # other role
    (APP_ROLE, f"arn:aws:iam::{MEMBER}:role/OtherRole", "DENIED"),
    (CENTRAL_ROLE, f"arn:aws:iam::{CENTRAL}:root", "DENIED"),
])
def test_the_grantee_is_the_principal_the_grant_lets_decrypt(principal: str, grantee: str | None,
                                                             expected: str) -> None:
    p = path_of(principal, (grant(grantee),))
    assert p.decision == expected, p.reasons


def test_a_grant_to_the_keys_own_account_delegates_to_its_iam_policies() -> None:
    p = path_of(CENTRAL_ROLE, (grant(f"arn:aws:iam::{CENTRAL}:root"),), identity=read_only(DECRYPT),
                key_policy=text({"Sid": "Admin", "Effect": "Allow",
                                 "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:role/Admin"},
                                 "Action": "kms:*", "Resource": "*"}))
    assert p.decision == "ALLOWED", p.reasons


@pytest.mark.parametrize("ops, expected", [
    (("Decrypt",), "ALLOWED"), (("GenerateDataKey",), "DENIED"), (("RetireGrant",), "DENIED"),
    (("Encrypt", "ReEncryptFrom", "DescribeKey", "CreateGrant"), "DENIED"),
])
# "A grant can only allow grant operations": GetSecretValue needs Decrypt
def test_only_a_decrypt_grant_lets_a_reader_decrypt(ops: tuple[str, ...], expected: str) -> None:
    for principal in (APP_ROLE, CENTRAL_ROLE):
        p = path_of(principal, (grant(principal, *ops),))
        assert p.decision == expected, (principal, p.reasons)


REPLICA_SECRET = SECRET_ARN.replace(REGION, "eu-west-1")
SECRET_PREFIX = f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:"


@pytest.mark.parametrize("c, expected", [
    ({"encryption_context_subset": {"SecretARN": SECRET_ARN}}, "ALLOWED"),
    ({"encryption_context_subset": {"SecretARN": REPLICA_SECRET}}, "DENIED"),
    ({"encryption_context_subset": {"SecretARN": SECRET_ARN.lower()}}, "DENIED"),
    ({"encryption_context_subset": {"SecretArn": SECRET_ARN}}, "ALLOWED"),
    ({"encryption_context_subset": {"SecretARN": SECRET_ARN, "extra": "x"}}, "DENIED"),
    ({"encryption_context_equals": {"SecretARN": SECRET_ARN, "SecretVersionId": "v",
                                    "extra": "x"}}, "DENIED"),
    ({"encryption_context_equals": {"SecretArn": SECRET_ARN, "SecretVersionId": "v"}},
     "CONDITIONAL"),
    ({"encryption_context_subset": {}}, "ALLOWED"),
    ({"encryption_context_subset": {"SecretARN": "arn:aws:secretsmanager:*"}}, "DENIED"),
    ({"encryption_context_subset": {"SecretARN": f"{SECRET_PREFIX}app/db-*"}}, "DENIED"),
    ({"encryption_context_subset": {"SecretARN": f"{SECRET_PREFIX}app/db-??????"}}, "DENIED"),
])
# a replica's ARN names another secret (its own Region); a constraint pair is never a pattern;
# its key is read without case, its value with
def test_an_encryption_context_constraint_matches_its_keys_without_case_its_values_exactly(
        c: dict[str, Any], expected: str) -> None:
    for principal in (APP_ROLE, CENTRAL_ROLE):
        p = path_of(principal, (grant(principal, **c),))
        assert p.decision == expected, (principal, p.reasons)


def test_an_identity_deny_wins_over_a_grant() -> None:
    deny = {"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}
    for principal in (APP_ROLE, CENTRAL_ROLE):
        p = path_of(principal, (grant(principal),), identity=read_only(deny))
        assert p.decision == "DENIED", p.reasons


def test_an_scp_or_rcp_deny_wins_over_a_grant() -> None:
    scp = control("p-scp", "SERVICE_CONTROL_POLICY", ("r-root",),
                  {"Effect": "Allow", "Action": "*", "Resource": "*"},
                  {"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"})
    p = path_of(APP_ROLE, (grant(APP_ROLE),), scps=(scp,))
    assert p.decision == "DENIED", p.reasons
    rcp = control("p-rcp", "RESOURCE_CONTROL_POLICY", ("r-root",),
                  {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
                  {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
                   "Condition": {"StringNotEquals": {"aws:PrincipalAccount": CENTRAL}}})
    allow_all = control("p-full", "SERVICE_CONTROL_POLICY", ("r-root",),
                        {"Effect": "Allow", "Action": "*", "Resource": "*"})
    p = path_of(APP_ROLE, (grant(APP_ROLE),), scps=(rcp, allow_all), management=MEMBER2)
    assert p.decision == "DENIED", p.reasons


@pytest.mark.parametrize("state", ["Disabled", "PendingDeletion", "PendingReplicaDeletion"])
def test_a_grant_on_a_key_that_is_not_enabled_lets_no_one_decrypt(state: str) -> None:
    for principal in (APP_ROLE, CENTRAL_ROLE):
        p = path_of(principal, (grant(principal),), key_state=state)
        assert p.decision == "DENIED", p.reasons




# ---------------------------------------------------------------- multi-Region keys

MRK = "mrk-1234abcd00000000000000000000aaaa"
PRIMARY_KEY = f"arn:aws:kms:{REGION}:{CENTRAL}:key/{MRK}"
REPLICA_KEY = f"arn:aws:kms:eu-west-1:{CENTRAL}:key/{MRK}"


def _replicated(primary_grants: Any, replica_grants: Any) -> dict[str, str]:
    """app/db on a multi-Region primary key, its replica in eu-west-1 on the replica key: the
    reader's decision on each copy."""
    from scanner.model import KmsKey, RegionSnapshot, ReplicaStatus

    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=ROOT_ONLY,
                  kms_key_id=PRIMARY_KEY, principals=(role(APP_ROLE, read_only()),))
    accounts = []
    for account in snap.accounts:
        if account.account_id == CENTRAL:
            region = account.regions[0]
            primary = replace(region.secrets[0], replicas=(
                ReplicaStatus(region="eu-west-1", kms_key_id=REPLICA_KEY, status="InSync"),))
            pk = KmsKey(arn=PRIMARY_KEY, key_id=MRK, account_id=CENTRAL, region=REGION,
                        key_manager="CUSTOMER", key_state="Enabled", policy=ROOT_ONLY,
                        multi_region=True, multi_region_type="PRIMARY",
                        primary_key_arn=PRIMARY_KEY, replica_key_arns=(REPLICA_KEY,),
                        grants=primary_grants)
            rk = replace(pk, arn=REPLICA_KEY, region="eu-west-1", multi_region_type="REPLICA",
                         replica_key_arns=(PRIMARY_KEY,), grants=replica_grants)
            copy = replace(primary, arn=REPLICA_SECRET, region="eu-west-1",
                           primary_region=REGION, replicas=(), kms_key_id=REPLICA_KEY)
            account = replace(account, regions=(
                replace(region, secrets=(primary,), kms_keys=(pk,)),
                RegionSnapshot(region="eu-west-1", secrets=(copy,), kms_keys=(rk,))))
        accounts.append(account)
    snap = replace(snap, accounts=tuple(accounts),
                   meta=replace(snap.meta, regions=(REGION, "eu-west-1")))
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    report = analyze_access(build_graph(snap), snap, settings)
    out = {}
    for arn in (SECRET_ARN, REPLICA_SECRET):
        sa = report.for_secret(arn) or report.replicas.get(arn)
        assert sa is not None, arn
        [path] = [p for p in sa.paths if p.principal == APP_ROLE]
        out[arn] = path.decision
    return out


def test_a_grant_on_one_key_of_a_multi_region_family_is_not_a_grant_on_another() -> None:
    # KMS Developer Guide, "Multi-Region keys in AWS KMS": a replica key is "an independent KMS
    # key with its own description, key policy, grants, aliases, and tags"; "Controlling
    # access to multi-Region keys": "you cannot use a single grant to allow permissions to
    # multiple KMS keys, even if they are related multi-Region keys"
    assert _replicated((grant(APP_ROLE),), ()) == {SECRET_ARN: "ALLOWED",
                                                    REPLICA_SECRET: "DENIED"}
    assert _replicated((), (grant(APP_ROLE),)) == {SECRET_ARN: "DENIED",
                                                    REPLICA_SECRET: "ALLOWED"}
