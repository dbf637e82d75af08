"""Named principals through the prover with every gate encoded: the reader's identity
policies, its permissions boundary, the SCPs of its account's path and the same-account rules
(identity OR resource policy; a boundary caps a grant to the role ARN, not one to the user or
to the role's session). Each witness is replayed through the evaluator (ALLOWED); each proof
is checked against the access analysis' verdict where that is definite."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from helpers.access_estate import (
    APP_ROLE,
    CENTRAL,
    CENTRAL_ROLE,
    KEY_ARN,
    MEMBER,
    MEMBER2,
    REGION,
    SECRET_ARN,
    doc,
    estate,
    key_policy_for,
    role,
    secret_policy_for,
    text,
)

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.model import ControlPolicy, IamPrincipal, ManagedPolicy, Snapshot
from scanner.policy.smt.questions import Prover
from scanner.policy.smt.solve import PROVEN_NONE, UNKNOWN, WITNESS, Answer

GSV = "secretsmanager:GetSecretValue"
MEMBER_ROOT = f"arn:aws:iam::{MEMBER}:root"
BOUNDARY = f"arn:aws:iam::{CENTRAL}:policy/boundary"
CENTRAL_USER = f"arn:aws:iam::{CENTRAL}:user/alice"
SESSION = f"arn:aws:sts::{CENTRAL}:assumed-role/CentralApp/build"
FULL = json.dumps(doc({"Effect": "Allow", "Action": "*", "Resource": "*"}))


def identity(*extra: dict[str, Any], condition: dict[str, Any] | None = None) -> dict[str, Any]:
    read: dict[str, Any] = {"Effect": "Allow", "Action": GSV,
                            "Resource": f"arn:aws:secretsmanager:*:{CENTRAL}:secret:app/*"}
    if condition:
        read["Condition"] = condition
    return doc(read, {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY_ARN}, *extra)


def scps(*docs: tuple[str, str]) -> tuple[ControlPolicy, ...]:
    """FullAWSAccess at every level, plus each (name, document) at the root."""
    out = [ControlPolicy(policy_id="p-full", name="FullAWSAccess",
                         policy_type="SERVICE_CONTROL_POLICY", content=FULL,
                         targets=("r-root", CENTRAL, MEMBER, MEMBER2))]
    out += [ControlPolicy(policy_id=f"p-{name}", name=name, policy_type="SERVICE_CONTROL_POLICY",
                          content=content, targets=("r-root",)) for name, content in docs]
    return tuple(out)


def setup(*, org: dict[str, Any] | None = None, **kw: Any) -> tuple[Snapshot, Any, Prover]:
    """``org``: changes to the estate's organization."""
    snap = estate(**kw)
    if org:
        assert snap.organization is not None
        snap = replace(snap, organization=replace(snap.organization, **org))
    settings = AccessSettings.from_snapshot(snap)
    graph = build_graph(snap)
    report = analyze_access(graph, snap, settings)
    return snap, report, Prover(graph, snap, settings, timeout_s=20)


def decision(report: Any, principal: str) -> str:
    [path] = [p for p in report.secrets[SECRET_ARN].paths if p.principal == principal]
    return str(path.decision)


def reader(snap: Snapshot, report: Any, prover: Prover, principal: str) -> Answer:
    answers = [a for a in prover.readers(snap, report.secrets[SECRET_ARN])
               if a.subject.startswith(principal + " ")]
    assert len(answers) == 1, (principal, answers, decision(report, principal))
    return answers[0]


def context(answer: Answer, request: str = "secret") -> dict[str, list[str]]:
    assert answer.witness is not None, answer
    return dict(answer.witness["requests"][request]["context"])


def test_a_cross_account_readers_identity_condition_is_part_of_its_exact_context() -> None:
    snap, report, prover = setup(
        secret_policy=secret_policy_for(MEMBER_ROOT, extra={"Condition": {
            "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}),
        key_policy=key_policy_for(MEMBER_ROOT),
        principals=(role(APP_ROLE, identity(condition={
            "StringEquals": {"aws:SourceVpce": "vpce-1"}})),))
    assert decision(report, APP_ROLE) == "CONDITIONAL"
    answer = reader(snap, report, prover, APP_ROLE)
    assert answer.status == WITNESS, answer
    ctx = context(answer)
    assert ctx["aws:sourcevpce"] == ["vpce-1"]  # the identity policy's condition
    assert ctx["aws:sourceip"][0].startswith("203.0.113.")  # the resource policy's
    assert answer.replay["decision"] == "ALLOWED"
    assert answer.replay["identity_policy"] == "ALLOWED"


def test_an_identity_deny_that_contradicts_the_resource_policy_is_a_proof() -> None:
    deny = {"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}
    snap, report, prover = setup(
        secret_policy=secret_policy_for(MEMBER_ROOT, extra={"Condition": {
            "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}),
        key_policy=key_policy_for(MEMBER_ROOT),
        principals=(role(APP_ROLE, identity(deny)),))
    assert decision(report, APP_ROLE) == "CONDITIONAL"  # each gate alone is conditional
    answer = reader(snap, report, prover, APP_ROLE)
    assert answer.status == PROVEN_NONE, answer
    assert not answer.not_encoded


def test_a_boundary_whose_condition_contradicts_the_identity_policy_is_a_proof() -> None:
    """(A principal tag, in both requests of the read: FAS passes the caller's session
    attributes. Before round 21 the key was aws:SourceVpce, which the Decrypt Secrets Manager
    makes does not carry: test_the_decrypt_carries_no_endpoint_of_the_caller.)"""
    boundary = ManagedPolicy(arn=BOUNDARY, name="boundary", account_id=MEMBER, document=doc(
        {"Effect": "Allow", "Action": [GSV, "kms:Decrypt"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "b"}}}))
    snap, report, prover = setup(
        secret_policy=secret_policy_for(MEMBER_ROOT), key_policy=key_policy_for(MEMBER_ROOT),
        principals=(role(APP_ROLE, identity(condition={
            "StringEquals": {"aws:PrincipalTag/team": "a"}}), boundary=BOUNDARY),),
        managed=(boundary,))
    assert decision(report, APP_ROLE) == "CONDITIONAL"
    assert reader(snap, report, prover, APP_ROLE).status == PROVEN_NONE
    # the same boundary asking for the identity policy's tag: the read's context
    ok = ManagedPolicy(arn=BOUNDARY, name="boundary", account_id=MEMBER,
                       document=json.loads(json.dumps(boundary.document).replace('"b"', '"a"')))
    snap, report, prover = setup(
        secret_policy=secret_policy_for(MEMBER_ROOT), key_policy=key_policy_for(MEMBER_ROOT),
        principals=(role(APP_ROLE, identity(condition={
            "StringEquals": {"aws:PrincipalTag/team": "a"}}), boundary=BOUNDARY),),
        managed=(ok,))
    answer = reader(snap, report, prover, APP_ROLE)
    assert answer.status == WITNESS, answer
    assert context(answer)["aws:principaltag/team"] == ["a"]
    assert context(answer, "key")["aws:principaltag/team"] == ["a"]  # the boundary caps Decrypt
    assert answer.witness is not None and answer.witness["permissions_boundary"] is True


def test_the_decrypt_carries_no_endpoint_of_the_caller() -> None:
    """A boundary that allows kms:Decrypt only through the caller's VPC endpoint: IAM User
    Guide, global condition keys, aws:SourceVpce "is included in the request context only if
    the requester uses a VPC endpoint to make the request", and the Decrypt is the forward
    access session request Secrets Manager sends to KMS (KMS Developer Guide, "Use VPC
    endpoints to control access to AWS KMS resources": such a statement makes "requests from
    integrated AWS services that use an AWS KMS resource on your behalf" fail). The read is
    DENIED, and the solver finds no read either (IAM conformance trial round 21)."""
    boundary = ManagedPolicy(arn=BOUNDARY, name="boundary", account_id=MEMBER, document=doc(
        {"Effect": "Allow", "Action": [GSV, "kms:Decrypt"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}))
    snap, report, prover = setup(
        secret_policy=secret_policy_for(MEMBER_ROOT), key_policy=key_policy_for(MEMBER_ROOT),
        principals=(role(APP_ROLE, identity(), boundary=BOUNDARY),), managed=(boundary,))
    assert decision(report, APP_ROLE) == "DENIED"
    assert prover.principal(SECRET_ARN, APP_ROLE).status == PROVEN_NONE


def test_an_scp_on_the_callers_path_is_part_of_the_context() -> None:
    guard = json.dumps(doc({"Effect": "Deny", "Action": GSV, "Resource": "*", "Condition": {
        "StringNotEqualsIfExists": {"aws:SourceVpce": "vpce-9"}}}))
    snap, report, prover = setup(
        secret_policy=secret_policy_for(MEMBER_ROOT), key_policy=key_policy_for(MEMBER_ROOT),
        principals=(role(APP_ROLE, identity()),), scps=scps(("endpoint-only", guard)),
        management="999999999990", org={"rcps_read": True})  # (unread RCPs: not provable)
    assert decision(report, APP_ROLE) == "CONDITIONAL"
    answer = reader(snap, report, prover, APP_ROLE)
    assert answer.status == WITNESS, answer
    assert context(answer)["aws:sourcevpce"] == ["vpce-9"]
    assert answer.replay["scp"] == "ALLOWED"


def test_an_scp_denying_the_read_is_a_proof_and_the_management_account_is_exempt() -> None:
    deny = json.dumps(doc({"Effect": "Deny", "Action": GSV, "Resource": "*",
                           "Condition": {"Bool": {"aws:SecureTransport": "true"}}}))
    kw: dict[str, Any] = dict(
        secret_policy=secret_policy_for(MEMBER_ROOT, CENTRAL_ROLE),
        key_policy=key_policy_for(MEMBER_ROOT, CENTRAL_ROLE),
        principals=(role(APP_ROLE, identity()), role(CENTRAL_ROLE, identity())),
        scps=scps(("no-reads", deny)))
    snap, report, prover = setup(management=CENTRAL, **kw)
    assert decision(report, APP_ROLE) == "DENIED"
    member = prover.principal(SECRET_ARN, APP_ROLE)
    assert member.status == PROVEN_NONE, member
    central = prover.principal(SECRET_ARN, CENTRAL_ROLE)  # management account: no SCPs
    assert decision(report, CENTRAL_ROLE) == "ALLOWED"
    assert central.status == WITNESS, central
    assert central.replay["scp"] == "NOT_APPLICABLE"


def _same_account(principal: IamPrincipal, grantee: str) -> tuple[Snapshot, Any, Prover]:
    """CENTRAL's own secret, a resource policy granting ``grantee`` directly, a key policy
    trusting the account (root: IAM decides), a boundary allowing only kms:Decrypt."""
    boundary = ManagedPolicy(arn=BOUNDARY, name="boundary", account_id=CENTRAL, document=doc(
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}))
    return setup(secret_policy=secret_policy_for(grantee),
                 key_policy=key_policy_for(f"arn:aws:iam::{CENTRAL}:root"),
                 principals=(principal,), managed=(boundary,))


def test_same_account_a_boundary_caps_a_grant_to_the_role_arn() -> None:
    """IAM User Guide, "Permissions boundaries for IAM entities": a resource-based policy
    granting the role ARN is limited by the role's boundary -- the boundary does not allow
    GetSecretValue, so no context lets the role read (the evaluator agrees: DENIED)."""
    snap, report, prover = _same_account(
        role(CENTRAL_ROLE, identity(), boundary=BOUNDARY), CENTRAL_ROLE)
    assert decision(report, CENTRAL_ROLE) == "DENIED"
    answer = prover.principal(SECRET_ARN, CENTRAL_ROLE)
    assert answer.status == PROVEN_NONE, answer


def test_same_account_a_grant_to_the_session_is_not_capped_and_not_guessed() -> None:
    """A grant to the role's session is not capped by the boundary; which session asks is not
    in the snapshot: UNKNOWN naming that, never a proof or a witness."""
    snap, report, prover = _same_account(
        role(CENTRAL_ROLE, identity(), boundary=BOUNDARY), SESSION)
    assert decision(report, CENTRAL_ROLE) == "CONDITIONAL"
    answer = reader(snap, report, prover, CENTRAL_ROLE)
    assert answer.status == UNKNOWN, answer
    assert any("session" in n for n in answer.not_encoded), answer.not_encoded


def test_same_account_a_grant_to_a_user_suffices_without_an_identity_grant() -> None:
    """Same account: identity policies OR the resource policy; a grant naming the user
    directly is not capped by a boundary. The user's identity allows only kms:Decrypt."""
    user = IamPrincipal(arn=CENTRAL_USER, name="alice", account_id=CENTRAL,
                        principal_type="user", inline_policies={"kms": doc(
                            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
                             "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}})},
                        permissions_boundary_arn=BOUNDARY)
    snap, report, prover = _same_account(user, CENTRAL_USER)
    assert decision(report, CENTRAL_USER) == "CONDITIONAL"
    answer = reader(snap, report, prover, CENTRAL_USER)
    assert answer.status == WITNESS, answer
    # (a key of the caller's session, which FAS passes to the Decrypt; before round 21
    # aws:SourceVpce, which the Decrypt Secrets Manager makes does not carry)
    assert context(answer, "key")["aws:multifactorauthpresent"] == ["true"]
    assert answer.replay["decision"] == "ALLOWED"


def test_a_reader_whose_accounts_iam_was_not_read_is_unknown_naming_it() -> None:
    snap, report, prover = setup(
        secret_policy=secret_policy_for(APP_ROLE, extra={"Condition": {
            "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}),
        key_policy=key_policy_for(APP_ROLE), iam_accounts=(CENTRAL,))
    answer = prover.principal(SECRET_ARN, APP_ROLE)
    assert answer.status == UNKNOWN, answer
    assert any("not collected" in n and APP_ROLE in n for n in answer.not_encoded)
    assert answer.witness is not None  # the candidate context is still shown


def test_a_readers_proof_is_shared_by_secrets_of_the_same_shape() -> None:
    from dataclasses import replace

    deny = {"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}
    snap = estate(secret_policy=secret_policy_for(MEMBER_ROOT, extra={"Condition": {
        "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}), key_policy=key_policy_for(MEMBER_ROOT),
        principals=(role(APP_ROLE, identity(deny)),))
    central = next(a for a in snap.accounts if a.account_id == CENTRAL)
    region = central.regions[0]
    twin = replace(region.secrets[0], arn=SECRET_ARN.replace("app/db", "app/twin"),
                   name="app/twin")
    central = replace(central, regions=(replace(region, secrets=region.secrets + (twin,)),))
    snap = replace(snap, accounts=tuple(central if a.account_id == CENTRAL else a
                                        for a in snap.accounts))
    prover = Prover(build_graph(snap), snap, AccessSettings.from_snapshot(snap), timeout_s=20)
    first = prover.principal(SECRET_ARN, APP_ROLE)
    solved = prover.solved
    second = prover.principal(twin.arn, APP_ROLE)
    assert first.status == second.status == PROVEN_NONE
    assert prover.solved == solved, "the twin's proof is the first secret's"
    assert twin.arn in second.subject and SECRET_ARN in second.reason
    assert REGION in SECRET_ARN


def test_a_member_principals_org_path_is_its_accounts_place_in_the_organization() -> None:
    """aws:PrincipalOrgPaths of a principal in a member account is that account's path
    (o-id/r-root/.../): a condition on another OU is proven out, one on its own path holds."""
    from helpers.access_estate import ORG_ID

    def ask(pattern: str) -> Answer:
        _snap, _report, prover = setup(
            secret_policy=secret_policy_for(MEMBER_ROOT, extra={"Condition": {
                "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": pattern}}}),
            key_policy=key_policy_for(MEMBER_ROOT), principals=(role(APP_ROLE, identity()),))
        return prover.principal(SECRET_ARN, APP_ROLE)

    elsewhere = ask(f"{ORG_ID}/r-root/ou-other/*")
    assert elsewhere.status == PROVEN_NONE, elsewhere
    own = ask(f"{ORG_ID}/r-root/*")
    assert own.status == WITNESS, own
    assert context(own)["aws:principalorgpaths"] == [f"{ORG_ID}/r-root/"]
