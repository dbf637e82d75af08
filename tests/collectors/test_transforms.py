"""Pure transforms: tiny boto3-shaped dicts in, snapshot records out (no AWS, no moto)."""

from __future__ import annotations

import datetime

import pytest

from scanner.collectors import ec2, iam, kms, lambda_, organizations, quotas, secretsmanager
from scanner.model import ReplicaStatus, Subnet

ACCT = "111122223333"
REGION = "us-east-1"
UTC = datetime.timezone.utc
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCT}:secret:db-AbCdEf"


def test_a_listed_secret_becomes_a_secret_record() -> None:
    raw = {
        "secrets": [{
            "ARN": SECRET_ARN, "Name": "db", "KmsKeyId": "alias/central",
            "RotationEnabled": True, "RotationLambdaARN": "arn:aws:lambda:us-east-1:1:function:rot",
            "RotationRules": {"AutomaticallyAfterDays": 30},
            "LastRotatedDate": datetime.datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
            "NextRotationDate": datetime.datetime(2026, 12, 1, tzinfo=UTC),
            "Tags": [{"Key": "team", "Value": "payments"}],
            "SecretVersionsToStages": {"v2": ["AWSPENDING"], "v1": ["AWSCURRENT", "AWSPREVIOUS"]},
        }],
        "policies": {SECRET_ARN: '{"Version":"2012-10-17"}'},
        "policy_failed": [], "policy_skipped": [],
    }
    (secret,) = secretsmanager.transform_secrets(raw, account_id=ACCT, region=REGION) or ()
    assert (secret.kms_key_id, secret.rotation_enabled, secret.rotation_days,
            secret.last_rotated, secret.next_rotation) == (
        "alias/central", True, 30, "2026-11-01T12:00:00Z", "2026-12-01T00:00:00Z")
    assert secret.tags == {"team": "payments"}
    assert secret.version_stages == {"v1": ("AWSCURRENT", "AWSPREVIOUS"), "v2": ("AWSPENDING",)}
    assert secret.resource_policy == '{"Version":"2012-10-17"}' and secret.unread == ()


def test_a_secret_without_kms_key_uses_the_aws_managed_key_and_no_policy_is_absent() -> None:
    raw = {"secrets": [{"ARN": SECRET_ARN, "Name": "db"}], "policies": {SECRET_ARN: None}}
    (secret,) = secretsmanager.transform_secrets(raw, account_id=ACCT, region=REGION) or ()
    assert (secret.kms_key_id, secret.resource_policy, secret.unread) == (None, None, ())


def test_a_failed_policy_read_is_unread_not_absent() -> None:
    raw = {"secrets": [{"ARN": SECRET_ARN, "Name": "db"}], "policies": {},
           "policy_failed": [SECRET_ARN]}
    (secret,) = secretsmanager.transform_secrets(raw, account_id=ACCT, region=REGION) or ()
    assert (secret.resource_policy, secret.unread) == (None, ("resource_policy",))


def test_a_failed_listing_is_none_not_empty() -> None:
    assert secretsmanager.transform_secrets({"secrets": None}, account_id=ACCT,
                                            region=REGION) is None


def test_replicas_point_at_their_primary_in_its_region() -> None:
    replica_arn = SECRET_ARN.replace(REGION, "us-west-2")
    raw = {"secrets": [{"ARN": replica_arn, "Name": "db", "PrimaryRegion": REGION}],
           "policies": {}}
    secrets = secretsmanager.transform_secrets(raw, account_id=ACCT, region="us-west-2") or ()
    assert secrets[0].is_replica
    assert secretsmanager.replica_arns_of_primaries(secrets) == [(REGION, SECRET_ARN)]


def test_replication_status_comes_from_describe_secret() -> None:
    raw = {"described": {SECRET_ARN: {"ReplicationStatus": [
        {"Region": "us-west-2", "KmsKeyId": "alias/aws/secretsmanager", "Status": "Failed",
         "StatusMessage": "key not found"}]}}, "failed": ["arn:other"]}
    assert secretsmanager.transform_replication(raw) == {
        SECRET_ARN: (ReplicaStatus(region="us-west-2", kms_key_id="alias/aws/secretsmanager",
                                   status="Failed", status_message="key not found"),),
        "arn:other": None}


def key_arn(region: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{ACCT}:key/{key_id}"


def test_kms_keys_aws_managed_from_aliases_and_multi_region_topology_from_arns() -> None:
    primary, replica = key_arn(REGION, "mrk-1"), key_arn("us-west-2", "mrk-1")
    raw = {
        "keys": [{"KeyId": "aws1", "KeyArn": key_arn(REGION, "aws1")},
                 {"KeyId": "mrk-1", "KeyArn": primary}],
        "aliases": [{"AliasName": "alias/aws/secretsmanager", "TargetKeyId": "aws1"},
                    {"AliasName": "alias/aws/ebs", "TargetKeyId": "fake-not-listed"},
                    {"AliasName": "alias/central", "TargetKeyId": "mrk-1"}],
        "described": {primary: {
            "KeyManager": "CUSTOMER", "KeyState": "Enabled", "KeySpec": "SYMMETRIC_DEFAULT",
            "MultiRegion": True,
            # moto's shared-dict bug can say REPLICA here: the ARNs decide.
            "MultiRegionConfiguration": {"MultiRegionKeyType": "REPLICA",
                                         "PrimaryKey": {"Arn": primary, "Region": REGION},
                                         "ReplicaKeys": [{"Arn": replica, "Region": "us-west-2"}]}}},
        "policies": {primary: '{"Statement": []}'},
        "rotation": {primary: {"KeyRotationEnabled": False}},
        "failed": {},
    }
    keys = {k.key_id: k for k in kms.transform_keys(raw, account_id=ACCT, region=REGION) or ()}
    assert set(keys) == {"aws1", "mrk-1"}
    assert (keys["aws1"].key_manager, keys["aws1"].aliases) == ("AWS",
                                                                ("alias/aws/secretsmanager",))
    mrk = keys["mrk-1"]
    assert (mrk.multi_region_type, mrk.primary_key_arn, mrk.replica_key_arns) == (
        "PRIMARY", primary, (replica,))
    assert (mrk.aliases, mrk.rotation_enabled, mrk.policy) == (
        ("alias/central",), False, '{"Statement": []}')


def test_a_replica_key_is_a_replica_by_its_arn() -> None:
    primary, replica = key_arn(REGION, "mrk-1"), key_arn("us-west-2", "mrk-1")
    meta = {"MultiRegion": True, "MultiRegionConfiguration": {
        "MultiRegionKeyType": "PRIMARY", "PrimaryKey": {"Arn": primary},
        "ReplicaKeys": [{"Arn": replica}]}}
    assert kms.multi_region_topology(replica, meta) == ("REPLICA", primary, ())


def test_rotation_is_not_read_where_it_does_not_apply() -> None:
    assert kms.rotation_applicable({"KeySpec": "SYMMETRIC_DEFAULT", "Origin": "AWS_KMS",
                                    "KeyState": "Enabled"})
    assert not kms.rotation_applicable({"KeySpec": "RSA_2048"})
    assert not kms.rotation_applicable({"Origin": "EXTERNAL"})
    assert not kms.rotation_applicable({"KeyState": "PendingDeletion"})


def test_network_records_and_route_targets() -> None:
    raw = {
        "vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "IsDefault": False,
                  "CidrBlockAssociationSet": [
                      {"CidrBlock": "10.0.0.0/16", "CidrBlockState": {"State": "associated"}},
                      {"CidrBlock": "10.9.0.0/16", "CidrBlockState": {"State": "disassociated"}}]}],
        "subnets": [{"SubnetId": "subnet-1", "VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24"}],
        "route_tables": [{"RouteTableId": "rtb-1", "VpcId": "vpc-1",
                          "Associations": [{"Main": False, "SubnetId": "subnet-1"}],
                          "Routes": [
                              {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"},
                              {"DestinationCidrBlock": "172.31.0.0/16",
                               "VpcPeeringConnectionId": "pcx-1", "State": "blackhole"},
                              {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"}]}],
        "peerings": [{"VpcPeeringConnectionId": "pcx-1", "Status": {"Code": "active"},
                      "RequesterVpcInfo": {"OwnerId": ACCT, "VpcId": "vpc-1", "Region": REGION,
                                           "CidrBlockSet": [{"CidrBlock": "10.0.0.0/16"}]},
                      "AccepterVpcInfo": {"OwnerId": "444455556666", "VpcId": "vpc-9",
                                          "CidrBlock": "172.31.0.0/16"}}],
        "security_groups": [{"GroupId": "sg-1", "VpcId": "vpc-1", "GroupName": "rot",
                             "IpPermissions": [], "IpPermissionsEgress": [
                                 {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                                  "IpRanges": [{"CidrIp": "172.31.0.0/16"}],
                                  "UserIdGroupPairs": [{"GroupId": "sg-2"}]}]}],
        "vpc_endpoints": [{"VpcEndpointId": "vpce-1", "VpcId": "vpc-1",
                           "ServiceName": "com.amazonaws.us-east-1.secretsmanager",
                           "VpcEndpointType": "Interface", "PrivateDnsEnabled": True,
                           "SubnetIds": ["subnet-1"], "Groups": [{"GroupId": "sg-1"}]}],
        "nat_gateways": None,  # the listing failed
    }
    out = ec2.transform_network(raw, account_id=ACCT, region=REGION)
    assert out["nat_gateways"] is None
    (vpc,) = out["vpcs"] or ()
    assert vpc.cidrs == ("10.0.0.0/16",)
    (table,) = out["route_tables"] or ()
    assert (table.subnet_ids, table.is_main) == (("subnet-1",), False)
    assert {(r.destination_cidr, r.target_type, r.target_id, r.state) for r in table.routes} == {
        ("10.0.0.0/16", "local", "local", "active"),
        ("172.31.0.0/16", "vpc-peering", "pcx-1", "blackhole"),
        ("0.0.0.0/0", "nat-gateway", "nat-1", "active")}
    (peering,) = out["peerings"] or ()
    assert (peering.status, peering.requester.cidrs, peering.accepter.owner_id,
            peering.accepter.region, peering.accepter.cidrs) == (
        "active", ("10.0.0.0/16",), "444455556666", REGION, ("172.31.0.0/16",))
    (group,) = out["security_groups"] or ()
    assert [(r.protocol, r.from_port, r.cidrs, r.group_ids) for r in group.egress] == [
        ("tcp", 5432, ("172.31.0.0/16",), ("sg-2",))]
    (endpoint,) = out["vpc_endpoints"] or ()
    assert (endpoint.private_dns_enabled, endpoint.security_group_ids) == (True, ("sg-1",))


def test_a_lambda_vpc_comes_from_its_subnets_not_from_vpc_config() -> None:
    raw = {"functions": [{"FunctionArn": "arn:aws:lambda:us-east-1:1:function:rot",
                          "FunctionName": "rot", "Role": "arn:aws:iam::1:role/r",
                          "VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"],
                                        "VpcId": "vpc-123abc"}},
                         {"FunctionArn": "arn:aws:lambda:us-east-1:1:function:plain",
                          "FunctionName": "plain"}]}
    subnets = (Subnet(subnet_id="subnet-1", vpc_id="vpc-real", account_id=ACCT, region=REGION),)
    functions = {f.name: f for f in lambda_.transform_functions(
        raw, account_id=ACCT, region=REGION, subnets=subnets) or ()}
    assert (functions["rot"].vpc_id, functions["rot"].subnet_ids) == ("vpc-real", ("subnet-1",))
    assert (functions["plain"].vpc_id, functions["plain"].subnet_ids) == (None, ())


def test_iam_details_become_principals_groups_and_used_policies() -> None:
    boundary = f"arn:aws:iam::{ACCT}:policy/boundary"
    raw = {"details": {
        "RoleDetailList": [{
            "Arn": f"arn:aws:iam::{ACCT}:role/App", "RoleName": "App", "Path": "/",
            "AssumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%7D",
            "RolePolicyList": [{"PolicyName": "read", "PolicyDocument": {"Statement": []}}],
            "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
            "PermissionsBoundary": {"PermissionsBoundaryArn": boundary}}],
        "UserDetailList": [{"Arn": f"arn:aws:iam::{ACCT}:user/u", "UserName": "u",
                            "GroupList": ["ops"]}],
        "GroupDetailList": [{"Arn": f"arn:aws:iam::{ACCT}:group/ops", "GroupName": "ops"}],
        "Policies": [
            {"Arn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "PolicyName": "ReadOnlyAccess",
             "PolicyVersionList": [{"IsDefaultVersion": True, "Document": {"Statement": []}}]},
            {"Arn": "arn:aws:iam::aws:policy/Unused", "PolicyName": "Unused",
             "AttachmentCount": 0, "PolicyVersionList": []},
            {"Arn": boundary, "PolicyName": "boundary", "PolicyVersionList": [
                {"IsDefaultVersion": False, "Document": {"Old": 1}},
                {"IsDefaultVersion": True, "Document": {"Version": "2012-10-17"}}]}],
    }}
    snapshot = iam.transform_authorization(raw, account_id=ACCT)
    assert snapshot is not None
    role = next(p for p in snapshot.principals if p.principal_type == "role")
    assert role.trust_policy == {"Version": "2012-10-17"}
    assert (role.inline_policies, role.permissions_boundary_arn) == (
        {"read": {"Statement": []}}, boundary)
    user = next(p for p in snapshot.principals if p.principal_type == "user")
    assert user.group_names == ("ops",)
    assert {(p.name, p.account_id, p.aws_managed) for p in snapshot.policies} == {
        ("ReadOnlyAccess", "aws", True), ("boundary", ACCT, False)}
    assert next(p for p in snapshot.policies if p.name == "boundary").document == {
        "Version": "2012-10-17"}
    assert iam.transform_authorization({"details": None}, account_id=ACCT) is None


def test_the_peering_quota_falls_back_to_the_documented_default_and_says_why() -> None:
    applied = quotas.transform_peering_quota({"applied": {"Quota": {"Value": 125.0}}})
    assert (applied.value, applied.source) == (125.0, "service-quotas")
    default = quotas.transform_peering_quota({"default": {"Quota": {"Value": 50.0}}})
    assert (default.value, default.source) == (50.0, "service-quotas")
    fallback = quotas.transform_peering_quota(
        {"errors": [("AccessDeniedException", "denied", "no")]})
    assert (fallback.value, fallback.source) == (50.0, "default")
    assert fallback.note and "AccessDeniedException" in fallback.note and "default" in fallback.note


def test_the_organization_keeps_active_accounts_parents_and_scps() -> None:
    raw = {
        "organization": {"Id": "o-1", "MasterAccountId": ACCT},
        "accounts": [{"Id": ACCT, "Name": "mgmt", "Status": "ACTIVE"},
                     {"Id": "444455556666", "Name": "gone", "Status": "SUSPENDED"}],
        "roots": [{"Id": "r-1"}],
        "units": [{"Id": "ou-1", "Name": "Security", "ParentId": "r-1"}],
        "parents": {ACCT: "r-1", "444455556666": "ou-1"},
        "policies": [{"summary": {"Id": "p-1", "Name": "deny-leave",
                                  "Type": "SERVICE_CONTROL_POLICY"},
                      "content": '{"Statement": []}', "targets": [{"TargetId": "ou-1"}]}],
    }
    org = organizations.transform_organization(raw)
    assert (org.org_id, org.management_account_id, org.root_id, org.policies_read) == (
        "o-1", ACCT, "r-1", True)
    assert {(a.account_id, a.status, a.parent_id) for a in org.accounts} == {
        (ACCT, "ACTIVE", "r-1"), ("444455556666", "SUSPENDED", "ou-1")}
    assert organizations.active_account_ids(org) == (ACCT,)
    assert [(p.name, p.targets) for p in org.policies] == [("deny-leave", ("ou-1",))]
    unreadable = organizations.transform_organization({**raw, "policies": None})
    assert (unreadable.policies, unreadable.policies_read) == ((), False)


@pytest.mark.parametrize(("listed_in", "required", "expected"), [
    ((), (), False),  # nothing listed, nothing required: () is the answer, no call
    (("us-west-2",), (), True),  # a listed replica: read its status
    ((), ("us-west-2",), True),  # never configured, Failed, or in an unscanned region: ask
    (("us-west-2",), ("us-west-2",), True),
    (("us-west-2",), ("eu-west-1",), True),
    ((), (REGION,), False),  # its own region never counts
])
def test_which_primaries_get_describe_secret(listed_in: tuple[str, ...],
                                             required: tuple[str, ...], expected: bool) -> None:
    assert secretsmanager.needs_replication_status(
        region=REGION, listed_in=listed_in, required_regions=required) is expected


@pytest.mark.parametrize(("required", "scanned", "unlisted", "expected"), [
    ((), (REGION,), (), False),  # a partial scan with nothing required is no reason
    ((), (REGION, "us-west-2"), ("us-west-2",), True),  # a replica may hide in that region
    ((), (REGION,), (REGION,), False),  # its own listing: it was listed, so that one worked
    (("eu-west-1",), (REGION,), (), True),  # required, not scanned, not described
    (("eu-west-1",), (REGION, "eu-west-1"), (), False),  # scanned: no replica listed there
    ((REGION,), (REGION,), (), False),
])
def test_when_replicas_cannot_claim_none(required: tuple[str, ...], scanned: tuple[str, ...],
                                         unlisted: tuple[str, ...], expected: bool) -> None:
    assert secretsmanager.replicas_unknown(region=REGION, required_regions=required,
                                           scanned_regions=scanned,
                                           unlisted_regions=unlisted) is expected


def test_the_organization_keeps_rcps_and_enabled_policy_types() -> None:
    raw = {
        "organization": {"Id": "o-1", "MasterAccountId": ACCT},
        "roots": [{"Id": "r-1", "PolicyTypes": [
            {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"},
            {"Type": "RESOURCE_CONTROL_POLICY", "Status": "ENABLED"},
            {"Type": "TAG_POLICY", "Status": "PENDING_DISABLE"}]}],
        "policies": [],
        "rcps": [{"summary": {"Id": "p-r", "Name": "org-only",
                              "Type": "RESOURCE_CONTROL_POLICY"},
                  "content": '{"Statement": []}', "targets": [{"TargetId": "r-1"}]}],
    }
    org = organizations.transform_organization(raw)
    assert (org.policies_read, org.rcps_read) == (True, True)
    assert org.policy_types_enabled == ("RESOURCE_CONTROL_POLICY", "SERVICE_CONTROL_POLICY")
    assert [(p.name, p.policy_type, p.targets) for p in org.policies] == [
        ("org-only", "RESOURCE_CONTROL_POLICY", ("r-1",))]
    # an older raw document (no RCPs listed, roots without PolicyTypes): RCPs not read
    older = organizations.transform_organization({**raw, "rcps": None, "roots": [{"Id": "r-1"}]})
    assert (older.rcps_read, older.policy_types_enabled, older.policies) == (False, None, ())
