"""kms-key-policy-excess-grant reads the key's KMS grants (ListGrants) as it reads its policy.

DESIGN.md's catalog: kms-key-policy-excess-grant flags a "key [that] grants decrypt to
principals no secret policy grants". KMS Developer Guide, "Grants in AWS KMS": "A grant is a
policy instrument that allows AWS principals to use KMS keys in cryptographic operations", and
"Using Grants": key policies and grants are the two "resource-based access control mechanisms"
of a key (scanner.policy.kms_grants reads each grant as an Allow statement beside the key
policy's). IAM User Guide, "Resource types that IAM Access Analyzer supports": for KMS keys it
"analyzes key policies and grants".

Ground-truth trial round 18 (an acquisition): the acquired company's key had a grant of
kms:Decrypt, without constraint, to a vendor's role (VendorOps, an account outside the
organization) that no secret under the key granted GetSecretValue -- standing access to the
next secret put under the key -- and no rule reported it (the key rules read the key policy
only)."""

from __future__ import annotations

from helpers.access_estate import (APP_ROLE, CENTRAL, KEY_ARN, OUTSIDER, SECRET_ARN,
                                   allow_read_identity, estate, role, secret_policy_for, text,
                                   with_keys)

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.model import KeyGrant, Snapshot
from scanner.pipeline import ScanOptions, analyze, load_inputs

ROOT_ONLY = text({"Sid": "Root", "Effect": "Allow",
                  "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                  "Resource": "*"})
VENDOR_OPS = f"arn:aws:iam::{OUTSIDER}:role/VendorOps"
RULE = "kms-key-policy-excess-grant"


def _grant(grantee: str, gid: str, subset: dict[str, str] | None = None) -> KeyGrant:
    return KeyGrant(grant_id=gid, grantee_principal=grantee, operations=("Decrypt",),
                    encryption_context_subset=subset)


def _snap(*grants: KeyGrant, unread: bool = False) -> Snapshot:
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=ROOT_ONLY,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    return with_keys(snap, grants=None if unread else grants,
                     unread=("grants",) if unread else ())


def _excess(snap: Snapshot) -> list[tuple[str, str]]:
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    return [(g.principal, g.statement) for g in report.keys[KEY_ARN].excess_grants]


def _findings(snap: Snapshot) -> list[tuple[str, str | None]]:
    analysis = analyze(snap, load_inputs(ScanOptions(emit_pass=True)))
    return sorted((f.status.value, f.principal) for f in analysis.findings
                  if f.rule_id == RULE and f.resource.arn == KEY_ARN)


def test_a_grant_to_a_principal_no_secret_grants_is_an_excess_grant() -> None:
    snap = _snap(_grant(VENDOR_OPS, "g-ops"))
    assert _excess(snap) == [(VENDOR_OPS, "statement 1 (KMS grant g-ops)")]
    assert _findings(snap) == [("FAIL", VENDOR_OPS)]


def test_a_grant_to_the_reader_a_secret_grants_is_not_excess() -> None:
    # the secret's resource policy grants APP_ROLE: the grant goes with it (round 18's
    # BillingApp grant, constrained to its secret's ARN)
    snap = _snap(_grant(APP_ROLE, "g-app", {"SecretARN": SECRET_ARN}))
    assert _excess(snap) == []
    assert _findings(snap) == [("PASS", None)]


def test_a_grant_that_never_applies_to_a_secrets_manager_decrypt_is_no_grant() -> None:
    # EncryptionContextSubset on a key Secrets Manager never sends: "an exact, case-sensitive
    # match" never holds (scanner.policy.kms_grants), so it lets no one decrypt a secret
    never = KeyGrant(grant_id="g-never", grantee_principal=VENDOR_OPS, operations=("Decrypt",),
                     encryption_context_subset={"Department": "ops"})
    assert _excess(_snap(never)) == []


def test_grants_not_read_leave_a_key_with_no_excess_in_its_policy_unknown() -> None:
    # could-not-read is data: ListGrants failed, a grant may be in excess (never PASS)
    [(status, _)] = _findings(_snap(unread=True))
    assert status == "UNKNOWN"


def test_each_excess_principals_finding_holds_its_own_evidence() -> None:
    """ground-truth trial round 18: a second excess grant on the central key (DataApp's grant)
    showed the first principal's finding (the Acme account root) as "changed" in the diff --
    every finding of the key carried every excess principal in its evidence. One finding per
    principal (docs/rules.md), with evidence about that principal, as
    secret-policy-external-account's and secret-cross-account-access-broken's findings."""
    other = f"arn:aws:iam::{OUTSIDER}:role/VendorAudit"
    snap = _snap(_grant(VENDOR_OPS, "g-ops"), _grant(other, "g-audit"))
    analysis = analyze(snap, load_inputs(ScanOptions()))
    found = {f.principal: f for f in analysis.findings
             if f.rule_id == RULE and f.status.value == "FAIL"}
    assert set(found) == {VENDOR_OPS, other}
    ops = found[VENDOR_OPS].evidence
    assert ops["excess_principal"] == VENDOR_OPS and "excess_principals" not in ops
    assert ops["matched_statements"] == [
        {"statement": "statement 1 (KMS grant g-ops)", "principal": VENDOR_OPS}]
    assert ops["secrets"] == [SECRET_ARN]
    assert other not in str(ops)


OLD_ORG = "o-acmeold0001"


def _old_org_key() -> str:
    """The root statement and Decrypt to every principal of another organization (the acquired
    company's former one)."""
    return text({"Sid": "Root", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                 "Resource": "*"},
                {"Sid": "OldOrg", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                 "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": OLD_ORG}}})


def _org_findings(secret_policy: str) -> list[tuple[str, str | None]]:
    snap = estate(secret_policy=secret_policy, key_policy=_old_org_key(),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    return _findings(snap)


def test_a_key_statement_narrowed_to_another_organization_no_secret_grants_is_excess() -> None:
    """ground-truth trial round 18: the acquired company's key kept ``Principal: "*"``,
    kms:Decrypt, StringEquals aws:PrincipalOrgID = its former organization -- every account of
    it ("aws:PrincipalOrgID: Compare the identifier of the organization ... to which the
    requesting principal belongs", IAM User Guide) may decrypt, no secret under the key grants
    them, and the rule passed (a condition naming accounts was read, one naming an
    organization was not; secret-policy-external-account names such an organization as its
    principal on the secret's side)."""
    assert _org_findings(secret_policy_for(APP_ROLE)) == [("FAIL", OLD_ORG)]


def test_a_secret_granting_that_organization_covers_the_key_statement() -> None:
    granted = text({"Effect": "Allow", "Principal": "*",
                    "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": OLD_ORG}}})
    assert _org_findings(granted) == [("PASS", None)]


def test_the_message_says_what_another_organization_is() -> None:
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=_old_org_key(),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    analysis = analyze(snap, load_inputs(ScanOptions()))
    [fail] = [f for f in analysis.findings if f.rule_id == RULE and f.status.value == "FAIL"]
    assert fail.message.startswith(
        f"kms:Decrypt granted to {OLD_ORG} (every account of another organization) but no ")
