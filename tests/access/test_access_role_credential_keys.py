"""The keys that role credentials carry (EC2 instance-role, Lambda execution-role, SSM, Glue and
IAM Identity Center credentials) are absent from an IAM user's and the root user's requests.

AWS What's New, 2023-03-06, "IAM Roles for Amazon EC2 now provide Credential Control
Properties": "Each role credential now has two new properties, which are AWS global condition
keys" (aws:Ec2InstanceSourceVpc, aws:Ec2InstanceSourcePrivateIPv4); EC2 User Guide, the
instance-role credentials' ec2:SourceInstanceARN; Lambda Developer Guide, "Lambda injects the
source function ARN into the credentials context" of the execution environment (its execution
role): every such key rides on the credentials of a role session -- an IAM user signs with its
own keys (or a GetSessionToken / GetFederationToken session of them), the root user with its
own: "If the key that you specify in a policy condition is not present in the request context,
the values do not match" (IAM User Guide, "Condition element").

The AWS Security Blog's SCP "How to use policies to restrict where EC2 instance credentials can
be used from" (Deny * if StringNotEquals aws:ec2InstanceSourceVPC ${aws:SourceVpc}, Null
ec2:SourceInstanceARN "false", BoolIfExists aws:ViaAWSService "false"): a role may be an
instance role (CONDITIONAL, kept); IAM conformance trial round 27: an IAM user's read was
CONDITIONAL "if: ec2:sourceinstancearn" too.
"""

from __future__ import annotations

from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, MEMBER2, OUTSIDER, SECRET_ARN,
                                   allow_read_identity, control, estate, key_policy_for, role,
                                   secret_policy_for)

from scanner.access import AccessSettings, analyze_access
from scanner.access.context import PUBLIC_FACTS, PrincipalFacts, principal_context
from scanner.graph.builder import build_graph
from scanner.model import IamPrincipal
from scanner.policy.request import CREDENTIAL_CONTEXT_KEYS, ROLE_CREDENTIAL_KEYS

SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
LEVELS = ("r-root", CENTRAL, MEMBER, MEMBER2)
ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}
ALICE = f"arn:aws:iam::{MEMBER}:user/alice"

EC2_CREDENTIALS_STAY_HOME = control("ec2-credentials", SCP, ("r-root",), {
    "Effect": "Deny", "Action": "*", "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:ec2InstanceSourceVPC": "${aws:SourceVpc}"},
                  "Null": {"ec2:SourceInstanceARN": "false"},
                  "BoolIfExists": {"aws:ViaAWSService": "false"}}})


def _readers() -> dict[str, tuple[str, tuple[str, ...]]]:
    alice = IamPrincipal(arn=ALICE, name="alice", account_id=MEMBER, principal_type="user",
                         inline_policies={"read": allow_read_identity()})
    snap = estate(secret_policy=secret_policy_for(APP_ROLE, ALICE),
                  key_policy=key_policy_for(APP_ROLE, ALICE),
                  principals=(role(APP_ROLE, allow_read_identity()), alice),
                  scps=(control("full", SCP, LEVELS, ALLOW_ALL),
                        control("rfull", RCP, LEVELS, {**ALLOW_ALL, "Principal": "*"}),
                        EC2_CREDENTIALS_STAY_HOME),
                  management="444444444444")
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    return {p.principal: (p.decision, p.conditions) for p in sa.paths}


def test_an_iam_user_is_no_instance_role_so_the_ec2_credential_scp_spares_its_read() -> None:
    assert _readers()[ALICE] == ("ALLOWED", ())


def test_a_role_may_be_an_instance_role_so_its_read_stays_conditional() -> None:
    decision, conditions = _readers()[APP_ROLE]
    assert decision == "CONDITIONAL"
    assert "ec2:sourceinstancearn" in conditions


def test_who_carries_role_credential_keys() -> None:
    """Absent for an IAM user, its federated user session and the root user; unknown for a
    role, an unread account's stand-in (a role, perhaps) and the ``*`` path."""
    settings = AccessSettings.from_snapshot(estate(secret_policy=None))
    assert CREDENTIAL_CONTEXT_KEYS < ROLE_CREDENTIAL_KEYS
    assert "aws:ec2instancesourcevpc" in ROLE_CREDENTIAL_KEYS

    def absent(facts: PrincipalFacts) -> bool:
        return ROLE_CREDENTIAL_KEYS <= principal_context(facts, settings)[1]

    assert absent(PrincipalFacts(arn=ALICE, account_id=MEMBER, principal_type="user",
                                 name="alice"))
    assert absent(PrincipalFacts(arn=f"arn:aws:sts::{MEMBER}:federated-user/bob",
                                 account_id=MEMBER, principal_type="user"))
    assert absent(PrincipalFacts(arn=f"arn:aws:iam::{MEMBER}:root", account_id=MEMBER,
                                 principal_type="root"))
    for facts in (PrincipalFacts(arn=APP_ROLE, account_id=MEMBER, principal_type="role"),
                  PrincipalFacts(arn=f"arn:aws:iam::{OUTSIDER}:root", account_id=OUTSIDER,
                                 principal_type="root", account_stand_in=True),
                  PUBLIC_FACTS):
        assert not ROLE_CREDENTIAL_KEYS & principal_context(facts, settings)[1], facts.arn


def test_the_exposure_rules_read_an_outside_users_request_alike() -> None:
    """secret-policy-external-account, the planner and --prove ask exposure.taken_back: a Deny
    of every request that lacks an EC2 instance role's credentials takes a grant to an outside
    IAM user back (the user never has one), not a grant to an outside role."""
    from scanner.policy import parse_policy
    from scanner.policy.exposure import outside_zone_grants, taken_back
    from scanner.policy.trust_zone import TrustZone

    user, role_arn = (f"arn:aws:iam::{OUTSIDER}:user/bob", f"arn:aws:iam::{OUTSIDER}:role/r")
    policy = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": [user, role_arn]},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
        {"Sid": "OnlyFromInstances", "Effect": "Deny", "Principal": "*",
         "Action": "secretsmanager:GetSecretValue", "Resource": "*",
         "Condition": {"Null": {"ec2:SourceInstanceARN": "true"}}}]})
    zone = TrustZone.of(organization=[CENTRAL], scanned=[CENTRAL], org_id="o-abc123")
    (m,) = outside_zone_grants(policy, own_account=CENTRAL, zone=zone)
    rctx = ({"aws:resourceaccount": (CENTRAL,)}, (), None)
    assert taken_back(policy, m, user, resource=SECRET_ARN, zone=zone,
                      resource_ctx=rctx) == ("statement 1 (OnlyFromInstances)",)
    assert taken_back(policy, m, role_arn, resource=SECRET_ARN, zone=zone,
                      resource_ctx=rctx) == ()


def test_a_source_identity_is_a_role_sessions_so_requiring_one_denies_an_iam_users_read() -> None:
    """IAM User Guide, "Monitor and control actions taken with assumed roles": "After a source
    identity is set, it is present in requests for any AWS action taken during the role
    session". A Deny of every request without one (Null aws:SourceIdentity "true") denies an
    IAM user for certain; a role's session may carry one."""
    require = control("require-source-identity", SCP, ("r-root",), {
        "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"Null": {"aws:SourceIdentity": "true"}}})
    alice = IamPrincipal(arn=ALICE, name="alice", account_id=MEMBER, principal_type="user",
                         inline_policies={"read": allow_read_identity()})
    snap = estate(secret_policy=secret_policy_for(APP_ROLE, ALICE),
                  key_policy=key_policy_for(APP_ROLE, ALICE),
                  principals=(role(APP_ROLE, allow_read_identity()), alice),
                  scps=(control("full", SCP, LEVELS, ALLOW_ALL),
                        control("rfull", RCP, LEVELS, {**ALLOW_ALL, "Principal": "*"}),
                        require),
                  management="444444444444")
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    paths = {p.principal: p for p in sa.paths}
    assert paths[ALICE].decision == "DENIED"
    assert paths[ALICE].gates["scp"].status == "DENIED"
    assert paths[APP_ROLE].decision == "CONDITIONAL"
