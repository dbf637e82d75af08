"""Each collector's fetch against moto: what it reads, and how many calls it spends."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from scanner.aws.calls import CallCounter
from scanner.collectors import ec2, iam, kms, lambda_, organizations, quotas, secretsmanager
from scanner.collectors.base import Recorder

REGION = "us-east-1"
ACCOUNT = "123456789012"  # what moto maps the static test credentials to


def counted(session: boto3.Session, service: str, region: str = REGION) -> tuple[Any, CallCounter]:
    counter = CallCounter()
    return counter.install(session.client(service, region_name=region)), counter


def recorder(service: str, region: str = REGION) -> Recorder:
    return Recorder(account_id=ACCOUNT, region=region, service=service)


def test_secrets_one_policy_read_per_live_primary_and_replication_on_demand(
        aws: boto3.Session) -> None:
    sm = aws.client("secretsmanager")
    shared = sm.create_secret(Name="db/a", SecretString="x",
                              AddReplicaRegions=[{"Region": "us-west-2"}])["ARN"]
    sm.put_resource_policy(SecretId=shared, ResourcePolicy='{"Version": "2012-10-17", '
                           '"Statement": []}')
    sm.create_secret(Name="plain", SecretString="y")
    doomed = sm.create_secret(Name="doomed", SecretString="z")["ARN"]
    sm.delete_secret(SecretId=doomed, RecoveryWindowInDays=7)

    client, counter = counted(aws, "secretsmanager")
    rec = recorder("secretsmanager")
    secrets = {s.name: s for s in secretsmanager.transform_secrets(
        secretsmanager.fetch_secrets(client, rec), account_id=ACCOUNT, region=REGION) or ()}
    assert set(secrets) == {"db/a", "plain", "doomed"}  # IncludePlannedDeletion
    assert secrets["db/a"].resource_policy == '{"Version": "2012-10-17", "Statement": []}'
    assert secrets["plain"].resource_policy is None and secrets["plain"].unread == ()
    assert secrets["doomed"].deleted_date and secrets["doomed"].unread == ("resource_policy",)
    assert counter.counts() == {"secretsmanager.ListSecrets": 1,
                                "secretsmanager.GetResourcePolicy": 2}
    assert rec.coverage == []

    west, west_counter = counted(aws, "secretsmanager", "us-west-2")
    replicas = secretsmanager.transform_secrets(
        secretsmanager.fetch_secrets(west, recorder("secretsmanager", "us-west-2")),
        account_id=ACCOUNT, region="us-west-2") or ()
    assert [(s.name, s.is_replica) for s in replicas] == [("db/a", True)]
    assert west_counter.counts() == {"secretsmanager.ListSecrets": 1}  # policy read on primary
    assert secretsmanager.replica_arns_of_primaries(replicas) == [(REGION, shared)]

    patches = secretsmanager.transform_replication(
        secretsmanager.fetch_replication(client, rec, [shared]))
    assert [(r.region, r.status) for r in patches[shared] or ()] == [("us-west-2", "InSync")]
    assert counter.counts()["secretsmanager.DescribeSecret"] == 1


def test_kms_spends_at_most_four_calls_per_customer_managed_key(aws: boto3.Session) -> None:
    setup = aws.client("kms")
    # materialise a key behind alias/aws/secretsmanager (moto does this lazily on describe)
    setup.describe_key(KeyId="alias/aws/secretsmanager")
    cmk = setup.create_key(Description="central")["KeyMetadata"]
    setup.create_alias(AliasName="alias/central", TargetKeyId=cmk["KeyId"])
    setup.enable_key_rotation(KeyId=cmk["KeyId"])
    asym = setup.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    mrk = setup.create_key(MultiRegion=True)["KeyMetadata"]
    setup.replicate_key(KeyId=mrk["KeyId"], ReplicaRegion="us-west-2")
    listed_before = len(setup.list_keys()["Keys"])

    client, counter = counted(aws, "kms")
    rec = recorder("kms")
    keys = {k.key_id: k for k in kms.transform_keys(kms.fetch_keys(client, rec),
                                                     account_id=ACCOUNT, region=REGION) or ()}
    assert rec.coverage == []
    assert len(setup.list_keys()["Keys"]) == listed_before  # no describe on an alias
    managed = [k for k in keys.values() if k.key_manager == "AWS"]
    assert [k.aliases for k in managed] == [("alias/aws/secretsmanager",)]
    assert (keys[cmk["KeyId"]].rotation_enabled, keys[cmk["KeyId"]].aliases) == (
        True, ("alias/central",))
    assert keys[asym["KeyId"]].rotation_enabled is None  # not applicable: not read
    assert keys[mrk["KeyId"]].multi_region_type == "PRIMARY"
    counts = counter.counts()
    customer = [k for k in keys.values() if k.key_manager == "CUSTOMER"]
    per_key = sum(counts.get(f"kms.{op}", 0) for op in
                  ("DescribeKey", "GetKeyPolicy", "ListGrants", "ListResourceTags",
                   "GetKeyRotationStatus"))
    assert per_key <= 5 * len(customer)
    assert counts["kms.ListGrants"] == counts["kms.ListResourceTags"] == len(customer)
    assert all(k.tags == {} for k in customer)  # read: none
    assert all(k.tags == {} for k in managed)  # AWS-managed: never tagged, not read
    assert all(k.grants == () for k in customer)  # read: none
    assert all(k.grants is None for k in managed)  # AWS-managed: not read
    assert counts["kms.DescribeKey"] == len(customer)  # none for the AWS-managed key

    west, _ = counted(aws, "kms", "us-west-2")
    (replica,) = [k for k in kms.transform_keys(kms.fetch_keys(west, recorder("kms", "us-west-2")),
                                                account_id=ACCOUNT, region="us-west-2") or ()
                  if k.multi_region]
    assert (replica.multi_region_type, replica.primary_key_arn) == ("REPLICA", mrk["Arn"])


def test_kms_reads_each_customer_keys_grants_with_their_constraints(aws: boto3.Session) -> None:
    setup = aws.client("kms")
    key = setup.create_key(Description="central")["KeyMetadata"]
    reader = "arn:aws:iam::222222222222:role/Reader"
    secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:app/db-AbCdEf"
    setup.create_grant(KeyId=key["KeyId"], GranteePrincipal=reader, Operations=["Decrypt"],
                       Constraints={"EncryptionContextSubset": {"SecretARN": secret}},
                       Name="reader")
    setup.create_grant(KeyId=key["KeyId"], GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:root",
                       Operations=["Encrypt", "GenerateDataKey"])

    rec = recorder("kms")
    [got] = [k for k in kms.transform_keys(kms.fetch_keys(aws.client("kms"), rec),
                                           account_id=ACCOUNT, region=REGION) or ()
             if k.key_id == key["KeyId"]]
    assert rec.coverage == []
    assert got.grants is not None and len(got.grants) == 2
    by_grantee = {g.grantee_principal: g for g in got.grants}
    assert by_grantee[reader].operations == ("Decrypt",)
    assert by_grantee[reader].encryption_context_subset == {"SecretARN": secret}
    assert by_grantee[reader].encryption_context_equals is None
    assert by_grantee[reader].name == "reader"
    assert by_grantee[f"arn:aws:iam::{ACCOUNT}:root"].operations == ("Encrypt",
                                                                     "GenerateDataKey")


def test_kms_reads_each_customer_keys_tags(aws: boto3.Session) -> None:
    """A key policy's aws:ResourceTag is the key's tag (ground-truth trial round 28): read,
    an empty value kept as a tag."""
    setup = aws.client("kms")
    key = setup.create_key(Description="central", Tags=[
        {"TagKey": "team", "TagValue": "payments"}, {"TagKey": "empty", "TagValue": ""}]
    )["KeyMetadata"]
    rec = recorder("kms")
    [got] = [k for k in kms.transform_keys(kms.fetch_keys(aws.client("kms"), rec),
                                           account_id=ACCOUNT, region=REGION) or ()
             if k.key_id == key["KeyId"]]
    assert rec.coverage == []
    assert got.tags == {"team": "payments", "empty": ""}
    assert "tags" not in got.unread


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def test_network_in_seven_calls_and_the_lambda_vpc_from_its_subnets(aws: boto3.Session) -> None:
    setup = aws.client("ec2")
    vpc = setup.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = setup.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    table = setup.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    setup.associate_route_table(RouteTableId=table, SubnetId=subnet)
    nat = setup.create_nat_gateway(SubnetId=subnet)["NatGateway"]["NatGatewayId"]
    setup.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    group = setup.create_security_group(VpcId=vpc, GroupName="rot", Description="rot")["GroupId"]
    setup.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.secretsmanager",
                              VpcEndpointType="Interface", SubnetIds=[subnet],
                              SecurityGroupIds=[group], PrivateDnsEnabled=True)

    client, counter = counted(aws, "ec2")
    rec = recorder("ec2")
    network = ec2.transform_network(ec2.fetch_network(client, rec), account_id=ACCOUNT,
                                    region=REGION)
    assert rec.coverage == []
    assert counter.total() == 7
    assert {(v.vpc_id, v.is_default) for v in network["vpcs"] or ()} >= {(vpc, False)}
    assert any(v.is_default and v.cidrs == ("172.31.0.0/16",) for v in network["vpcs"] or ())
    (ours,) = [t for t in network["route_tables"] or () if t.route_table_id == table]
    assert ours.subnet_ids == (subnet,)
    assert ("0.0.0.0/0", "nat-gateway", nat) in {
        (r.destination_cidr, r.target_type, r.target_id) for r in ours.routes}
    assert [(n.nat_gateway_id, n.vpc_id) for n in network["nat_gateways"] or ()] == [(nat, vpc)]
    (endpoint,) = network["vpc_endpoints"] or ()
    assert (endpoint.vpc_id, endpoint.private_dns_enabled, endpoint.endpoint_type) == (
        vpc, True, "Interface")

    role = aws.client("iam").create_role(RoleName="rot", AssumeRolePolicyDocument="{}")["Role"]
    aws.client("lambda").create_function(
        FunctionName="rotator", Runtime="python3.12", Role=role["Arn"], Handler="index.handler",
        Code={"ZipFile": zip_bytes()},
        VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [group]})
    functions = lambda_.transform_functions(
        lambda_.fetch_functions(aws.client("lambda"), recorder("lambda")), account_id=ACCOUNT,
        region=REGION, subnets=network["subnets"])
    assert [(f.name, f.vpc_id, f.security_group_ids) for f in functions or ()] == [
        ("rotator", vpc, (group,))]


def test_iam_authorization_details(aws: boto3.Session) -> None:
    client = aws.client("iam")
    client.create_role(RoleName="ApplicationRole", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"Service": "ec2.amazonaws.com"}}]}))
    client.put_role_policy(RoleName="ApplicationRole", PolicyName="read-db", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                 "Action": "secretsmanager:GetSecretValue",
                                                 "Resource": "*"}]}))
    counter = CallCounter()
    snapshot = iam.transform_authorization(
        iam.fetch_authorization(counter.install(client), recorder("iam", "global")),
        account_id=ACCOUNT)
    assert snapshot is not None
    (role,) = [p for p in snapshot.principals if p.name == "ApplicationRole"]
    assert role.inline_policies["read-db"]["Statement"][0]["Action"] == \
        "secretsmanager:GetSecretValue"
    assert role.trust_policy and role.trust_policy["Statement"][0]["Principal"] == {
        "Service": "ec2.amazonaws.com"}
    assert counter.counts() == {"iam.GetAccountAuthorizationDetails": 1}


def answer(operation: str, status: int, code: str) -> Any:
    def hook(model: Any = None, **_: Any) -> Any:
        if model.name == operation:
            return (AWSResponse("https://stub", status, {}, None),
                    {"Error": {"Code": code, "Message": "stub"},
                     "ResponseMetadata": {"HTTPStatusCode": status}})
        return None
    return hook


def test_the_peering_quota_is_read_from_service_quotas(aws: boto3.Session) -> None:
    client = aws.client("service-quotas")
    rec = recorder("service-quotas")
    quota = quotas.transform_peering_quota(quotas.fetch_peering_quota(client, rec))
    assert (quota.code, quota.value, quota.source, rec.coverage) == (
        "L-7E9ECCDB", 50.0, "service-quotas", [])


@pytest.mark.parametrize(("status", "code"), [
    (400, "AccessDeniedException"),
    (400, "TooManyRequestsException"),
    (500, "ServiceException"),
])
def test_an_unread_quota_is_a_coverage_gap_whatever_the_failure(
        aws: boto3.Session, status: int, code: str) -> None:
    """Fault-injection trial round 5 on collection (d2): GetServiceQuota throttled
    (TooManyRequestsException) or answering HTTP 500 past every retry left no coverage entry,
    and the rule then judged 43 peerings against a quota of 50 that was never read. L-7E9ECCDB
    is adjustable to 125, so an unread applied quota is unknown whatever the failure: a
    coverage entry, as for a denied call."""
    client = aws.client("service-quotas")
    client.meta.events.register("before-call", answer("GetServiceQuota", status, code))
    rec = recorder("service-quotas")
    quota = quotas.transform_peering_quota(quotas.fetch_peering_quota(client, rec))
    assert (quota.value, quota.source) == (50.0, "default")
    assert quota.note and code in quota.note
    assert [(c.operation, c.error_code) for c in rec.coverage] == [("GetServiceQuota", code)]


@pytest.mark.parametrize(("status", "code"), [
    (400, "TooManyRequestsException"),
    (500, "ServiceException"),
])
def test_a_default_that_could_not_be_read_is_a_coverage_gap(
        aws: boto3.Session, status: int, code: str) -> None:
    """Fault-injection trial round 5 on collection (d2): the quota never adjusted
    (GetServiceQuota answers NoSuchResource) and its default throttled or failed: the value in
    force was not read either, so the quota is unread -- a coverage entry."""
    client = aws.client("service-quotas")
    client.meta.events.register("before-call", answer("GetServiceQuota", 400,
                                                      "NoSuchResourceException"))
    client.meta.events.register("before-call", answer("GetAWSDefaultServiceQuota", status, code))
    rec = recorder("service-quotas")
    quota = quotas.transform_peering_quota(quotas.fetch_peering_quota(client, rec))
    assert (quota.value, quota.source) == (50.0, "default")
    assert [(c.operation, c.error_code) for c in rec.coverage] == [
        ("GetAWSDefaultServiceQuota", code)]


@pytest.mark.parametrize(("status", "code"), [
    # "This service is not available in the current Region": no quota there to adjust
    (400, "NoSuchResourceException"),
    # an endpoint that does not implement the default's call (moto: GetAWSDefaultServiceQuota)
    (400, "UnknownOperationException"),
])
def test_the_default_is_used_without_a_gap_only_where_it_is_the_truth(
        aws: boto3.Session, status: int, code: str) -> None:
    """Fault-injection trial round 5 on collection (d2), docs/collection.md "Quota fallback":
    the silent default is kept only where it is what AWS applies -- the quota was never
    adjusted (GetServiceQuota answers NoSuchResource) and its default cannot be asked."""
    client = aws.client("service-quotas")
    client.meta.events.register("before-call", answer("GetServiceQuota", 400,
                                                      "NoSuchResourceException"))
    client.meta.events.register("before-call", answer("GetAWSDefaultServiceQuota", status, code))
    rec = recorder("service-quotas")
    quota = quotas.transform_peering_quota(quotas.fetch_peering_quota(client, rec))
    assert (quota.value, quota.source) == (50.0, "default")
    assert quota.note and code in quota.note
    assert rec.coverage == []


def test_organizations_lists_accounts_twenty_per_page_with_ous_and_scps(
        aws: boto3.Session) -> None:
    setup = aws.client("organizations")
    setup.create_organization(FeatureSet="ALL")
    root = setup.list_roots()["Roots"][0]["Id"]
    unit = setup.create_organizational_unit(ParentId=root, Name="Security")["OrganizationalUnit"]
    ids = [setup.create_account(Email=f"m{i}@example.com", AccountName=f"m{i}")[
        "CreateAccountStatus"]["AccountId"] for i in range(21)]
    setup.move_account(AccountId=ids[0], SourceParentId=root, DestinationParentId=unit["Id"])
    policy = setup.create_policy(Name="deny-leave", Type="SERVICE_CONTROL_POLICY",
                                 Description="d", Content=json.dumps({
                                     "Version": "2012-10-17", "Statement": [
                                         {"Effect": "Deny", "Action": "organizations:LeaveOrganization",
                                          "Resource": "*"}]}))["Policy"]["PolicySummary"]
    setup.attach_policy(PolicyId=policy["Id"], TargetId=unit["Id"])

    client, counter = counted(aws, "organizations")
    rec = recorder("organizations", "global")
    org = organizations.transform_organization(organizations.fetch_organization(client, rec))
    assert rec.coverage == []
    assert len(organizations.active_account_ids(org)) == 22  # 21 members + management
    assert counter.counts()["organizations.ListAccounts"] == 2  # 20 per page
    assert [(u.name, u.parent_id) for u in org.units] == [("Security", root)]
    parent = {a.account_id: a.parent_id for a in org.accounts}
    assert (parent[ids[0]], parent[ids[1]]) == (unit["Id"], root)
    scps = {p.name: p.targets for p in org.policies}
    assert scps["deny-leave"] == (unit["Id"],) and org.policies_read


def test_unreadable_scps_say_so(aws: boto3.Session) -> None:
    aws.client("organizations").create_organization(FeatureSet="ALL")
    client = aws.client("organizations")
    client.meta.events.register("before-call", answer("ListPolicies", 400,
                                                      "AccessDeniedException"))
    rec = recorder("organizations", "global")
    org = organizations.transform_organization(organizations.fetch_organization(client, rec))
    assert (org.policies, org.policies_read, org.rcps_read) == ((), False, False)
    # one entry per policy type: SCPs and RCPs are both listed with ListPolicies
    assert [(c.operation, c.error_kind) for c in rec.coverage] == [("ListPolicies", "denied")] * 2


def test_organizations_collects_resource_control_policies(aws: boto3.Session) -> None:
    """Organizations ListPolicies Filter=RESOURCE_CONTROL_POLICY, alongside the SCPs; the
    root's enabled policy types say whether RCPs are in force."""
    setup = aws.client("organizations")
    setup.create_organization(FeatureSet="ALL")
    root = setup.list_roots()["Roots"][0]["Id"]
    setup.enable_policy_type(RootId=root, PolicyType="RESOURCE_CONTROL_POLICY")
    rcp = setup.create_policy(Name="org-only", Type="RESOURCE_CONTROL_POLICY", Description="d",
                              Content=json.dumps({"Version": "2012-10-17", "Statement": [
                                  {"Effect": "Deny", "Principal": "*",
                                   "Action": "secretsmanager:*", "Resource": "*"}]}))
    setup.attach_policy(PolicyId=rcp["Policy"]["PolicySummary"]["Id"], TargetId=root)
    rec = recorder("organizations", "global")
    org = organizations.transform_organization(
        organizations.fetch_organization(aws.client("organizations"), rec))
    assert rec.coverage == []
    assert org.rcps_read and org.policies_read
    assert org.policy_types_enabled is not None
    assert "RESOURCE_CONTROL_POLICY" in org.policy_types_enabled
    rcps = {p.name: p.targets for p in org.policies
            if p.policy_type == "RESOURCE_CONTROL_POLICY"}
    assert rcps["org-only"] == (root,)
    assert any(p.policy_type == "SERVICE_CONTROL_POLICY" for p in org.policies)


def test_denied_rcp_listing_is_coverage_not_no_rcps(aws: boto3.Session) -> None:
    aws.client("organizations").create_organization(FeatureSet="ALL")
    client = aws.client("organizations")

    def deny_rcps(model: Any = None, params: Any = None, **_: Any) -> Any:
        body = (params or {}).get("body") or b""
        body = body if isinstance(body, bytes) else str(body).encode()
        if model.name == "ListPolicies" and b"RESOURCE_CONTROL_POLICY" in body:
            return (AWSResponse("https://stub", 400, {}, None),
                    {"Error": {"Code": "AccessDeniedException", "Message": "stub"},
                     "ResponseMetadata": {"HTTPStatusCode": 400}})
        return None

    client.meta.events.register("before-call", deny_rcps)
    rec = recorder("organizations", "global")
    org = organizations.transform_organization(organizations.fetch_organization(client, rec))
    assert org.policies_read and not org.rcps_read
    assert all(p.policy_type == "SERVICE_CONTROL_POLICY" for p in org.policies)
    assert [(c.operation, c.error_kind) for c in rec.coverage] == [("ListPolicies", "denied")]


def test_iam_keeps_each_roles_and_users_unique_id(aws: boto3.Session) -> None:
    """The head of a principal's aws:userid (a role's RoleId, a user's UserId): a policy that
    names it (StringLike aws:userid "AROA...:*") names that principal (ground-truth trial
    round 22)."""
    client = aws.client("iam")
    role_id = client.create_role(RoleName="AppRole", AssumeRolePolicyDocument="{}")["Role"][
        "RoleId"]
    user_id = client.create_user(UserName="deployer")["User"]["UserId"]
    snapshot = iam.transform_authorization(
        iam.fetch_authorization(client, recorder("iam", "global")), account_id=ACCOUNT)
    assert snapshot is not None
    ids = {p.name: p.unique_id for p in snapshot.principals}
    assert ids["AppRole"] == role_id and ids["deployer"] == user_id
