"""The exposure rules (secret-policy-external-account, secret-policy-public,
kms-key-policy-excess-grant, kms-key-policy-public) give the same verdict with and without --prove, and agree with the
access evaluator (IAM conformance trial round 12). One concept, one module
(scanner/policy/exposure.py); each case below was a FAIL without --prove and a PASS with it, or
a FAIL the evaluator's own answer contradicted."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from helpers.rule_results import access_report, rule_statuses
from helpers.access_estate import (APP_ROLE, APP_ROLE2, CENTRAL, CENTRAL_ROLE, KEY_ARN, MEMBER,
                                   MEMBER2, ORG_ID, OUTSIDER, REGION, SECRET_ARN,
                                   allow_read_identity, control, estate, key_policy_for, role,
                                   secret_policy_for, text)
from helpers.remediate_records import finding, snapshot
from scanner.changes import RemediationConfig
from scanner.model import Snapshot
from scanner.remediate.planner import Selection, build_plan

READ = "secretsmanager:GetSecretValue"
PARTNER_ROOT = f"arn:aws:iam::{OUTSIDER}:root"
PARTNER_ROLE = f"arn:aws:iam::{OUTSIDER}:role/Partner"
NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)
OPEN_KEY = text({"Sid": "Root", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                 "Resource": "*"},
                {"Sid": "Any", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                 "Resource": "*"})


def _access(snap: Snapshot) -> Any:
    return access_report(snap)


def _statuses(snap: Snapshot, rule_id: str, *, prove: bool) -> dict[str, str]:
    """{resource ARN: status} of one rule, with the access report (as a scan runs it)."""
    return rule_statuses(snap, rule_id, prove=prove)


def _same_with_and_without_prove(snap: Snapshot, rule_id: str, arn: str) -> str:
    """The rule's status for ``arn``, the same with --prove and without."""
    plain = _statuses(snap, rule_id, prove=False).get(arn)
    pytest.importorskip("z3")
    proved = _statuses(snap, rule_id, prove=True).get(arn)
    assert plain == proved, f"{rule_id}: {plain} without --prove, {proved} with it"
    return str(plain)


# ------------------------------------------------------------------ 1. perimeter by variable

PERIMETERS = {
    "variable": {"StringNotEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}},
    "variable-ifexists": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID":
                                                       "${aws:ResourceOrgID}"},
                          "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}},
    "literal-ifexists": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID},
                         "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}},
}


def _perimeter_policy(grantee: str, condition: dict[str, Any]) -> str:
    return text({"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": grantee},
                 "Action": READ, "Resource": "*"},
                {"Sid": "DataPerimeter", "Effect": "Deny", "Principal": "*",
                 "Action": "secretsmanager:*", "Resource": "*", "Condition": condition})


@pytest.mark.parametrize("grantee", [PARTNER_ROOT, PARTNER_ROLE])
@pytest.mark.parametrize("perimeter", sorted(PERIMETERS))
def test_the_data_perimeter_deny_by_variable_takes_back_an_outside_grant(
        grantee: str, perimeter: str) -> None:
    """IAM conformance trial round 12: the standard data-perimeter Deny spelled
    ``aws:PrincipalOrgID != ${aws:ResourceOrgID}`` took nothing back -- FAIL without --prove,
    PASS with it, while the access analysis said DENIED. The secret's organization (read) is
    its aws:ResourceOrgID, as in the access analysis (scanner.access.context.resource_context)."""
    snap = estate(secret_policy=_perimeter_policy(grantee, PERIMETERS[perimeter]),
                  key_policy=key_policy_for(grantee),
                  principals=(role(APP_ROLE, allow_read_identity()),), scps=())
    paths = {p.principal: p.decision for p in _access(snap).for_secret(SECRET_ARN).paths}
    assert paths[grantee] == "DENIED"
    assert _same_with_and_without_prove(snap, "secret-policy-external-account",
                                        SECRET_ARN) == "PASS"


def test_remediate_plans_no_change_for_a_grant_the_perimeter_by_variable_takes_back() -> None:
    """IAM conformance trial round 12: remove-external-grant planned a change that changes
    nothing (the Deny by ${aws:ResourceOrgID} already takes the grant back)."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": PARTNER_ROOT},
         "Action": READ, "Resource": "*"},
        {"Sid": "DataPerimeter", "Effect": "Deny", "Principal": "*",
         "Action": "secretsmanager:*", "Resource": "*",
         "Condition": PERIMETERS["variable-ifexists"]}]}
    plan = build_plan([finding("secret-policy-external-account", "remove-external-grant",
                               principal=PARTNER_ROOT)],
                      snapshot(policy=policy), RemediationConfig(),
                      Selection(rules=("secret-policy-external-account",)))
    assert not plan.changes, [c.summary for c in plan.changes]
    (skipped,) = plan.skipped
    assert "DataPerimeter" in skipped.reason, skipped.reason
# ------------------------------------------------------------------ 2. ARN values of < 6 parts

SHORT_ARNS = ["*", "arn:aws:iam::*", f"arn:aws:iam::{OUTSIDER}", "arn:*"]


@pytest.mark.parametrize("value", SHORT_ARNS)
def test_an_arnlike_value_of_fewer_than_six_components_makes_a_star_grant_no_ones(
        value: str) -> None:
    """IAM conformance trial round 12: ArnLike aws:PrincipalArn "*" matches no ARN (IAM User
    Guide, ARN condition operators: "Each of the six colon-delimited components of the ARN is
    checked separately"), yet the `*` path stayed CONDITIONAL and secret-policy-public FAILed
    CRITICAL without --prove, PASSed with it."""
    policy = text({"Sid": "Any", "Effect": "Allow", "Principal": "*", "Action": READ,
                   "Resource": "*", "Condition": {"ArnLike": {"aws:PrincipalArn": value}}})
    snap = estate(secret_policy=policy, key_policy=OPEN_KEY,
                  principals=(role(APP_ROLE, allow_read_identity()),
                              role(CENTRAL_ROLE, allow_read_identity())), scps=())
    sa = _access(snap).for_secret(SECRET_ARN)
    assert {p.principal: p.decision for p in sa.paths}["*"] == "DENIED"
    assert not [r for r in sa.reach if r.scope == "public" and r.decision != "DENIED"]
    assert _same_with_and_without_prove(snap, "secret-policy-public", SECRET_ARN) == "PASS"


def test_a_deny_unless_arnnotlike_a_short_value_takes_a_public_grant_back() -> None:
    """IAM conformance trial round 12: a Deny * unless ArnNotLike aws:PrincipalArn
    "arn:aws:iam::*" applies to every principal (no ARN matches the five-component value),
    yet the `*` path was CONDITIONAL and secret-policy-public FAILed without --prove only."""
    policy = text({"Sid": "Any", "Effect": "Allow", "Principal": "*", "Action": READ,
                   "Resource": "*"},
                  {"Sid": "DenyOthers", "Effect": "Deny", "Principal": "*", "Action": "*",
                   "Resource": "*",
                   "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*"}}})
    snap = estate(secret_policy=policy, key_policy=OPEN_KEY,
                  principals=(role(APP_ROLE, allow_read_identity()),), scps=(),
                  iam_accounts=(CENTRAL,))
    sa = _access(snap).for_secret(SECRET_ARN)
    assert {p.principal: p.decision for p in sa.paths}["*"] == "DENIED"
    assert all(r.decision == "DENIED" for r in sa.reach), \
        [(r.subject, r.decision) for r in sa.reach]
    assert _same_with_and_without_prove(snap, "secret-policy-public", SECRET_ARN) == "PASS"
# ------------------------------------------------------------------ 3. key policy's own Deny

KEY_DENIES = {
    "deny-outside-org": {"Sid": "DenyOutsideOrg", "Effect": "Deny", "Principal": "*",
                         "Action": "kms:*", "Resource": "*",
                         "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}}},
    "deny-partner": {"Sid": "DenyPartner", "Effect": "Deny",
                     "Principal": {"AWS": PARTNER_ROOT}, "Action": "kms:Decrypt",
                     "Resource": "*"},
}


def _key_estate(deny: dict[str, Any] | None) -> Snapshot:
    statements = [{"Sid": "Root", "Effect": "Allow",
                   "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                   "Resource": "*"},
                  {"Sid": "PartnerDecrypt", "Effect": "Allow",
                   "Principal": {"AWS": PARTNER_ROOT}, "Action": "kms:Decrypt",
                   "Resource": "*"}]
    if deny is not None:
        statements.append(deny)
    return estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=text(*statements),
                  principals=(role(APP_ROLE, allow_read_identity()),), scps=())


@pytest.mark.parametrize("deny", sorted(KEY_DENIES))
def test_a_key_grant_the_key_policy_takes_back_is_no_excess(deny: str) -> None:
    """IAM conformance trial round 12: kms-key-policy-excess-grant reported "kms:Decrypt
    granted to ... but no secret ... grants it" for a grant the key policy's own explicit Deny
    takes back (IAM User Guide, "Policy evaluation logic": "An explicit deny in any of these
    policies overrides the allow"), with --prove and without."""
    snap = _key_estate(KEY_DENIES[deny])
    assert _same_with_and_without_prove(snap, "kms-key-policy-excess-grant", KEY_ARN) == "PASS"


def test_a_key_grant_no_deny_takes_back_is_still_excess() -> None:
    """IAM conformance trial round 12, the control: without the Deny the grant is in excess."""
    snap = _key_estate(None)
    assert _same_with_and_without_prove(snap, "kms-key-policy-excess-grant", KEY_ARN) == "FAIL"
# ------------------------------------------------------------------ 5. ForAllValues

def _forall_estate(operator: str) -> Snapshot:
    policy = text({"Sid": "P", "Effect": "Allow", "Principal": "*", "Action": READ,
                   "Resource": "*", "Condition": {operator: {"aws:PrincipalAccount": [MEMBER]}}})
    return estate(secret_policy=policy, key_policy=OPEN_KEY,
                  principals=(role(APP_ROLE, allow_read_identity()),
                              role(APP_ROLE2, allow_read_identity())), scps=())


def test_forallvalues_on_the_principal_account_narrows_like_stringequals() -> None:
    """IAM conformance trial round 12: a `*` grant under ForAllValues:StringEquals
    aws:PrincipalAccount lets in one account's principals (IAM User Guide, aws:PrincipalAccount:
    "This key is included in the request context for all signed requests"; Secrets Manager
    takes no anonymous calls), but the reach listed ('*', public) and ('organization', ...)
    and secret-policy-public FAILed CRITICAL without --prove, PASSed with it."""
    forall, plain = _forall_estate("ForAllValues:StringEquals"), _forall_estate("StringEquals")

    def reach(snap: Snapshot) -> list[tuple[str, str, str]]:
        return sorted((r.subject, r.scope, r.decision)
                      for r in _access(snap).for_secret(SECRET_ARN).reach)

    assert reach(forall) == reach(plain)
    assert _same_with_and_without_prove(forall, "secret-policy-public", SECRET_ARN) == "PASS"


def test_forallvalues_on_a_key_that_may_be_absent_still_does_not_narrow() -> None:
    """IAM conformance trial round 12, the control: ForAllValues:StringEquals
    aws:PrincipalOrgID is true for a principal outside any organization (the key absent:
    IAM User Guide, set operators, ForAllValues "also returns true if there are no context
    keys in the request"): the statement stays public."""
    from scanner.policy import parse_policy
    from scanner.policy.exposure import public_statements

    policy = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": READ, "Resource": "*",
         "Condition": {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": ORG_ID}}}]})
    assert public_statements(policy)



# ------------------------------------------------------------------ 4. the ARN's known part

ONLY_CENTRAL_ROLES = {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{CENTRAL}:role/*"}}


def test_a_deny_on_another_accounts_arns_takes_back_a_whole_account_grant() -> None:
    """IAM conformance trial round 12: a grant to account 999's root plus Deny unless
    ArnNotLike aws:PrincipalArn arn:aws:iam::111111111111:role/* -- every principal of 999
    is denied, its ARN's account component differs (IAM User Guide, ARN condition operators:
    "Each of the six colon-delimited components of the ARN is checked separately") -- FAILed
    without --prove, PASSed with it."""
    policy = text({"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": PARTNER_ROOT},
                   "Action": READ, "Resource": "*"},
                  {"Sid": "OnlyCentralRoles", "Effect": "Deny", "Principal": "*",
                   "Action": READ, "Resource": "*", "Condition": ONLY_CENTRAL_ROLES})
    snap = estate(secret_policy=policy, key_policy=key_policy_for(PARTNER_ROOT),
                  principals=(role(APP_ROLE, allow_read_identity()),), scps=())
    assert _same_with_and_without_prove(snap, "secret-policy-external-account",
                                        SECRET_ARN) == "PASS"


def test_the_stand_in_of_an_unread_account_has_an_arn_of_its_account() -> None:
    """IAM conformance trial round 12: an organization-wide `*` grant with the same Deny, and
    account 333's IAM unread: its stand-in's ARN is unknown but necessarily
    arn:aws:iam::333333333333:..., so the Deny applies and the organization's reach is not
    CONDITIONAL; the solver agrees on every pair."""
    from helpers.prove_crosscheck import cross_check_pairs

    pytest.importorskip("z3")
    full = (control("p-full", "SERVICE_CONTROL_POLICY", ("r-root", CENTRAL, MEMBER, MEMBER2),
                    {"Effect": "Allow", "Action": "*", "Resource": "*"}),)
    policy = text({"Sid": "Org", "Effect": "Allow", "Principal": "*", "Action": READ,
                   "Resource": "*",
                   "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}},
                  {"Sid": "OnlyCentralRoles", "Effect": "Deny", "Principal": "*",
                   "Action": READ, "Resource": "*", "Condition": ONLY_CENTRAL_ROLES})
    key = text({"Sid": "Root", "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                "Resource": "*"},
               {"Sid": "K", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}})
    snap = estate(secret_policy=policy, key_policy=key,
                  principals=(role(APP_ROLE, allow_read_identity()),
                              role(CENTRAL_ROLE, allow_read_identity())),
                  scps=full, iam_accounts=(CENTRAL, MEMBER))
    sa = _access(snap).for_secret(SECRET_ARN)
    org = next(r for r in sa.reach if r.scope == "organization")
    assert org.decision == "DENIED", (org.decision, org.unassessed_accounts)
    compared, failures = cross_check_pairs(snap, "stand-in arn")
    assert compared and not failures, failures


@pytest.mark.parametrize("operator,value,expected", [
    ("ArnNotLike", f"arn:aws:iam::{CENTRAL}:role/*", "TRUE"),    # another account
    ("ArnLike", f"arn:aws:iam::{CENTRAL}:role/*", "FALSE"),
    ("ArnLike", f"arn:aws-cn:iam::{OUTSIDER}:role/*", "FALSE"),  # another partition
    ("ArnLike", f"arn:aws:sts::{OUTSIDER}:assumed-role/*", "FALSE"),  # not iam
    ("StringNotLike", f"arn:aws:iam::{CENTRAL}:*", "TRUE"),
    ("ArnLike", f"arn:aws:iam::{OUTSIDER}:role/*", "UNKNOWN"),   # which principal: unknown
    ("ArnNotLike", "arn:aws:iam::*:role/Admin", "UNKNOWN"),
    ("StringLike", "arn:aws:iam::99*", "TRUE"),  # every ARN of its account begins so (round 31)
])
def test_an_arn_known_only_by_its_account_decides_what_its_account_decides(
        operator: str, value: str, expected: str) -> None:
    """IAM conformance trial round 12: the known components of the ARN (partition, service
    iam, account) decide an ARN condition whose value mismatches them; the rest stays
    unknown (request.arn_of, conditions._arn_of)."""
    from scanner.policy import parse_policy
    from scanner.policy.conditions import evaluate_clause
    from scanner.policy.request import Request, arn_of

    policy = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": READ, "Resource": "*",
         "Condition": {operator: {"aws:PrincipalArn": value}}}]})
    request = Request(principal_arn=PARTNER_ROOT, principal_account=OUTSIDER, action=READ,
                      resource=SECRET_ARN, principal_type="root",
                      excluded={"aws:principalarn": arn_of("aws", OUTSIDER)})
    (clause,) = policy.statements[0].conditions
    assert evaluate_clause(clause, request, True)[0].name == expected


# ------------------------------------------------------------------ 6. key policy public, Deny
# kms-key-policy-public does not report a public Decrypt grant the key policy's own explicit
# Deny takes back from every caller outside, the same with --prove and without -- as
# secret-policy-public since fix-c12 (the gap fix-c12 left on the key's side: Principal "*"
# Allow kms:Decrypt plus Deny kms:* unless aws:PrincipalOrgID is ours FAILed CRITICAL without
# --prove). The key's side of the request is scanner.access.context.key_resource_context; the
# Decrypt arrives through Secrets Manager or directly, so a Deny that reads kms:ViaService or
# the encryption context is undecided and takes nothing back.
KEY_PUBLIC = "kms-key-policy-public"
ROOT = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
        "Action": "kms:*", "Resource": "*"}
ANYONE_DECRYPTS = {"Sid": "AnyoneDecrypts", "Effect": "Allow", "Principal": "*",
                   "Action": "kms:Decrypt", "Resource": "*"}


def _key_deny(condition: dict[str, Any], action: str = "kms:*") -> dict[str, Any]:
    return {"Sid": "Perimeter", "Effect": "Deny", "Principal": "*", "Action": action,
            "Resource": "*", "Condition": condition}


#: Deny statements that apply for certain to a caller of an account outside everything known
TAKE_BACK = {
    "org-id": _key_deny({"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}}),
    "org-id-variable": _key_deny({"StringNotEquals": {"aws:PrincipalOrgID":
                                                      "${aws:ResourceOrgID}"}}),
    "arn-five-components": _key_deny({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*"}}),
    "principal-account": _key_deny({"StringNotEquals": {"aws:PrincipalAccount": CENTRAL}}),
    "caller-account": _key_deny({"StringNotEquals": {"kms:CallerAccount": CENTRAL}},
                                action="kms:Decrypt"),
    "unconditional": {"Sid": "Perimeter", "Effect": "Deny", "Principal": "*",
                      "Action": "kms:Decrypt", "Resource": "*"},
}

#: Deny statements whose answer depends on the route of the Decrypt (through Secrets Manager
#: or directly) or the encryption context: undecided, they take nothing back
UNDECIDED = {
    "via-service": _key_deny({"StringNotEquals": {
        "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}),
    "encryption-context": _key_deny({"StringNotLike": {
        "kms:EncryptionContext:SecretARN": f"arn:aws:secretsmanager:*:{CENTRAL}:secret:*"}}),
    "called-via": _key_deny({"ForAnyValue:StringNotEquals": {
        "aws:CalledVia": "secretsmanager.amazonaws.com"}}),
}


def _public_key_estate(*statements: dict[str, Any]) -> Snapshot:
    return estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=text(*statements),
                  principals=(role(APP_ROLE, allow_read_identity()),), scps=())


@pytest.mark.parametrize("deny", sorted(TAKE_BACK))
def test_a_public_decrypt_grant_the_key_policy_denies_every_outsider_is_not_public(
        deny: str) -> None:
    """IAM conformance trial round 12 (the key's side of fix-c12): Principal ``*`` Allow
    kms:Decrypt taken back by the key policy's own Deny from every caller outside (IAM User
    Guide, "Policy evaluation logic": "An explicit deny in any of these policies overrides the
    allow") is not public: PASS with --prove and without."""
    snap = _public_key_estate(ROOT, ANYONE_DECRYPTS, TAKE_BACK[deny])
    assert _same_with_and_without_prove(snap, KEY_PUBLIC, KEY_ARN) == "PASS"


@pytest.mark.parametrize("deny", sorted(UNDECIDED))
def test_a_deny_on_the_route_or_encryption_context_takes_nothing_back(deny: str) -> None:
    """IAM conformance trial round 12, the controls: a Deny that applies only to a Decrypt not
    made through Secrets Manager (kms:ViaService, aws:CalledVia) or under another encryption
    context leaves a caller outside its Decrypt by the other route: still public (FAIL), with
    --prove and without."""
    snap = _public_key_estate(ROOT, ANYONE_DECRYPTS, UNDECIDED[deny])
    assert _same_with_and_without_prove(snap, KEY_PUBLIC, KEY_ARN) == "FAIL"


def test_a_public_decrypt_grant_without_a_deny_is_public() -> None:
    """IAM conformance trial round 12, the control: no Deny, FAIL both ways."""
    snap = _public_key_estate(ROOT, ANYONE_DECRYPTS)
    assert _same_with_and_without_prove(snap, KEY_PUBLIC, KEY_ARN) == "FAIL"


@pytest.mark.parametrize("grant", [{"Action": "*"}, {"Action": "kms:*"},
                                   {"NotAction": "kms:Encrypt"}])
def test_a_deny_of_every_kms_action_takes_back_a_public_grant_of_every_kms_action(
        grant: dict[str, Any]) -> None:
    """IAM conformance trial round 12: a key policy's Allow to everyone of ``*``, ``kms:*`` or
    NotAction (every KMS action but some) taken back by Deny kms:* unless aws:PrincipalOrgID
    is ours is not public, with --prove and without (a key policy grants only KMS actions: KMS
    Developer Guide, "A key policy is a resource policy for an AWS KMS key")."""
    anyone = {"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Resource": "*", **grant}
    snap = _public_key_estate(ROOT, anyone, TAKE_BACK["org-id"])
    assert _same_with_and_without_prove(snap, KEY_PUBLIC, KEY_ARN) == "PASS"


def test_a_deny_of_decrypt_alone_leaves_a_public_grant_of_every_kms_action() -> None:
    """IAM conformance trial round 12, the control: Allow kms:* to everyone with a Deny of
    kms:Decrypt only leaves everyone kms:PutKeyPolicy (and kms:Encrypt, ...): still public,
    with --prove too -- the solver's question is kms:Decrypt, and a Deny of Decrypt alone
    tells the other actions apart, so its proof clears nothing more (it said PASS)."""
    anyone = {"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": "kms:*",
              "Resource": "*"}
    deny = {"Sid": "NoDecrypt", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt",
            "Resource": "*"}
    snap = _public_key_estate(ROOT, anyone, deny)
    assert _statuses(snap, KEY_PUBLIC, prove=False)[KEY_ARN] == "FAIL"
    assert _statuses(snap, KEY_PUBLIC, prove=True)[KEY_ARN] == "FAIL"
