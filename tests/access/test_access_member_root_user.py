"""The root user of a member account the secret's resource policy and key policy name whole
(IAM conformance trial round 21, item 1 of round 20).

IAM User Guide, "AWS account root user": the root user "has complete access to all AWS
services and resources in the account"; "IAM policies ... attached to an identity" do not
govern it (there is no identity policy to attach), but "SCPs affect the root user" of a member
account ("Service control policies": they "do not affect users or roles in the management
account"). "AWS JSON policy elements: Principal", AWS account principals: naming an account in
a resource-based policy "delegates authority to the account" -- the root user is the account's
own authority. So a secret whose resource policy names account 222222222222 and whose key
policy names it too is readable by that account's root user, whatever the account's roles are
allowed, capped only by the SCPs on its path.

Before: the access analysis listed no such reader (its candidates are the account's roles and
users; the root-ARN stand-in is used only for an account whose IAM was not read), so the
account's reach was DENIED "blocked by identity_policy" when none of its roles had a policy,
while AWS lets its root user read."""

from __future__ import annotations

import json
from dataclasses import replace

from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, ORG_ID, SECRET_ARN, control,
                                   estate, key_policy_for, role, secret_policy_for, text)

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.model import ControlPolicy

MEMBER_ROOT = f"arn:aws:iam::{MEMBER}:root"
FULL = json.dumps({"Version": "2012-10-17",
                   "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def _access(**kw: object) -> object:
    snap = estate(secret_policy=secret_policy_for(MEMBER_ROOT),
                  key_policy=key_policy_for(MEMBER_ROOT),
                  principals=(role(APP_ROLE, None),), **kw)  # type: ignore[arg-type]
    sa = analyze_access(build_graph(snap), snap,
                        AccessSettings.from_snapshot(snap)).for_secret(SECRET_ARN)
    assert sa is not None
    return sa


def test_the_member_root_user_reads() -> None:
    sa = _access()
    paths = {p.principal: p for p in sa.paths}  # type: ignore[attr-defined]
    assert paths[MEMBER_ROOT].decision == "ALLOWED"
    assert any("root user" in r for r in paths[MEMBER_ROOT].gates["identity_policy"].reasons)
    assert APP_ROLE not in paths  # no identity policy: not a reader
    [reach] = [r for r in sa.reach if r.subject == f"account:{MEMBER}"]  # type: ignore[attr-defined]
    assert reach.decision == "ALLOWED"
    assert not paths[MEMBER_ROOT].intended  # the account's admins' own authority, not a grant


def test_an_scp_caps_the_member_root_user() -> None:
    scps = (ControlPolicy(policy_id="p-full", name="FullAWSAccess",
                          policy_type="SERVICE_CONTROL_POLICY", content=FULL,
                          targets=("r-root", CENTRAL, MEMBER)),
            control("p-deny", "SERVICE_CONTROL_POLICY", ("r-root",),
                    {"Effect": "Deny", "Action": "secretsmanager:GetSecretValue",
                     "Resource": "*", "Condition": {"StringLike": {
                         "aws:PrincipalArn": "arn:aws:iam::*:root"}}}))
    sa = _access(scps=scps)
    paths = {p.principal: p for p in sa.paths}  # type: ignore[attr-defined]
    assert MEMBER_ROOT not in paths  # DENIED by the SCP: not a reader
    [reach] = [r for r in sa.reach if r.subject == f"account:{MEMBER}"]  # type: ignore[attr-defined]
    assert reach.decision == "DENIED"


def test_the_solver_knows_the_root_user_too() -> None:
    """A conditional grant to the account (aws:SourceIp): the root user is a CONDITIONAL reader,
    and --prove finds its read context -- its identity side is not "not collected" (before:
    UNKNOWN, "identity policies of arn:aws:iam::222222222222:root were not collected (its
    account's IAM was not read)", though that IAM was read)."""
    from scanner.policy.smt.questions import Prover
    from scanner.policy.smt.solve import WITNESS

    snap = estate(secret_policy=secret_policy_for(MEMBER_ROOT, extra={"Condition": {
        "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}),
        key_policy=key_policy_for(MEMBER_ROOT), principals=(role(APP_ROLE, None),))
    graph = build_graph(snap)
    settings = AccessSettings.from_snapshot(snap)
    report = analyze_access(graph, snap, settings)
    paths = {p.principal: p for p in report.secrets[SECRET_ARN].paths}
    assert paths[MEMBER_ROOT].decision == "CONDITIONAL"
    answers = [a for a in Prover(graph, snap, settings, timeout_s=20).readers(
        snap, report.secrets[SECRET_ARN]) if a.subject.startswith(MEMBER_ROOT + " ")]
    assert len(answers) == 1
    assert answers[0].status == WITNESS, answers[0]
    assert not answers[0].not_encoded


def _org_wide_access(*, key_names_member: bool = True) -> object:
    snap = estate(secret_policy=text({
        "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
        "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}}),
        key_policy=key_policy_for(*((MEMBER_ROOT,) if key_names_member else (APP_ROLE,))),
        principals=(role(APP_ROLE, None),))
    sa = analyze_access(build_graph(snap), snap,
                        AccessSettings.from_snapshot(snap)).for_secret(SECRET_ARN)
    assert sa is not None
    return sa


def test_the_member_root_user_reads_a_secret_shared_with_the_organization() -> None:
    """Ground-truth trial round 23: "*" narrowed by aws:PrincipalOrgID lets every principal of
    the organization in, the member's root user with them (it needs no identity policy); the
    key policy names the member account whole, so its root user decrypts. Before, the root
    user was a candidate only where the resource policy named its account: org/all had no
    such reader while AWS lets it read."""
    sa = _org_wide_access()
    paths = {p.principal: p for p in sa.paths}  # type: ignore[attr-defined]
    assert paths[MEMBER_ROOT].decision == "ALLOWED"
    assert not paths[MEMBER_ROOT].intended
    assert APP_ROLE not in paths  # no identity policy: not a reader


def test_the_member_root_user_is_no_reader_where_the_key_does_not_name_its_account() -> None:
    sa = _org_wide_access(key_names_member=False)
    assert MEMBER_ROOT not in {p.principal for p in sa.paths}  # type: ignore[attr-defined]
