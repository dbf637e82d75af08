"""The snapshot data model: what a scan read, as frozen, keyword-only records.

Everything after collection works from these records (or the JSON they serialise to), never from
boto3. Conventions:

* Timestamps are ISO-8601 strings in UTC (``2026-11-29T01:00:00Z``) or ``None``.
* Secret and key policies are kept as the exact text AWS returned (their size limits count
  characters); IAM policy documents are parsed JSON objects (IAM returns them URL-decoded).
* ``unread`` on a record names the fields that a call failed to read (a matching entry is in
  ``Snapshot.coverage``). A rule that needs an unread field answers UNKNOWN, never PASS.
* ``None`` means "absent in AWS" (for example ``Secret.kms_key_id is None`` means the secret uses
  the AWS-managed key ``aws/secretsmanager``), never "could not read" -- that is ``unread``.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Mapping, TypeVar, Union

SCHEMA_VERSION = 1

T = TypeVar("T")

#: Error kinds produced by the one error classifier (scanner.aws.errors).
ERROR_KINDS = ("throttled", "not_sent", "denied", "expired_credentials", "region_disabled",
               "not_found", "fatal")


@typing.dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(field,))
def _frozen() -> typing.Callable[[type[T]], type[T]]:
    # dataclass_transform lets mypy see the records' keyword-only __init__ (with `-> Any` it
    # saw none and flagged every constructor call).
    return dataclass(frozen=True, kw_only=True, slots=True)


# --------------------------------------------------------------------------- coverage


@_frozen()
class CoverageEntry:
    """One call that could not be completed: the scan went on without its data."""

    account_id: str
    region: str  # "global" for IAM / Organizations / STS
    service: str  # botocore service name: secretsmanager, kms, ec2, lambda, iam, ...
    operation: str  # API operation name, e.g. GetResourcePolicy, AssumeRole
    error_code: str  # AWS error code (AccessDenied, ThrottlingException, ...)
    error_kind: str  # one of ERROR_KINDS
    message: str
    resource_arn: str | None = None  # set when one resource's read failed, not the listing


# --------------------------------------------------------------------------- secrets


@_frozen()
class ReplicaStatus:
    """One entry of DescribeSecret's ReplicationStatus on a primary secret."""

    region: str
    kms_key_id: str | None  # None or alias/aws/secretsmanager: the AWS-managed key
    status: str  # InSync | Failed | InProgress | Pending | Detached
    status_message: str | None = None
    last_accessed: str | None = None


#: the ReplicationStatus of a replication that made no replica. Secrets Manager API Reference,
#: ReplicationStatusType: "Status -- The status can be InProgress, Failed, or InSync"; a Failed
#: replication (for example a secret of that name already in the Region) creates no secret
#: there, so the Region has no replica: secret-not-replicated counts it missing, the graph
#: judges no such replica, replicate-secret neither plans over it nor takes it as made
REPLICATION_FAILED = "Failed"


@_frozen()
class Secret:
    """A Secrets Manager secret as listed in one region (a replica is listed in its own region)."""

    arn: str
    name: str
    account_id: str
    region: str
    description: str | None = None
    kms_key_id: str | None = None  # None: AWS-managed aws/secretsmanager
    rotation_enabled: bool = False
    rotation_lambda_arn: str | None = None
    rotation_days: int | None = None  # RotationRules.AutomaticallyAfterDays
    rotation_schedule: str | None = None  # RotationRules.ScheduleExpression
    rotation_duration: str | None = None
    created: str | None = None
    last_changed: str | None = None
    last_rotated: str | None = None
    last_accessed: str | None = None
    next_rotation: str | None = None
    deleted_date: str | None = None  # set when scheduled for deletion
    owning_service: str | None = None
    primary_region: str | None = None  # differs from region on a replica
    tags: Mapping[str, str] = field(default_factory=dict)
    version_stages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: DescribeSecret ReplicationStatus on a primary with replicas; () when it has none;
    #: None when it was not read (see unread). () without a DescribeSecret means "no replica
    #: listed in any scanned region, and none required" (docs/collection.md, Replication).
    replicas: tuple[ReplicaStatus, ...] | None = ()
    resource_policy: str | None = None  # exact text; None: no policy attached
    unread: tuple[str, ...] = ()
    #: field -> when it was read from AWS (``resource_policy``: the start of the read of its
    #: account-region); absent in snapshots written before incremental collection
    read_at: Mapping[str, str] = field(default_factory=dict)
    #: fields carried from an earlier complete scan instead of read tonight (incremental
    #: collection with --history; docs/collection.md); ``read_at`` says when they were read
    carried: tuple[str, ...] = ()

    @property
    def is_replica(self) -> bool:
        return bool(self.primary_region) and self.primary_region != self.region


# --------------------------------------------------------------------------- KMS

#: KMS key states in which the key works in cryptographic operations (Decrypt): KMS Developer
#: Guide, "Key states of AWS KMS keys": Enabled; and for multi-Region keys, "While the key
#: state is Updating, you can use the keys in cryptographic operations" (multi-region-update),
#: whereas "While the key state is Creating, you can manage key, but you cannot yet use it in
#: cryptographic operations" (multi-region-keys-replicate). Every other state (Creating,
#: Disabled, PendingDeletion, PendingImport, PendingReplicaDeletion, Unavailable) refuses.
#: The one definition: access analysis (scanner/access/graph_io) and the rules
#: secret-key-unusable and secret-replica-unhealthy (tests/rules/test_key_states.py).
USABLE_KEY_STATES = frozenset({"Enabled", "Updating"})



@_frozen()
class KeyGrant:
    """One KMS grant of a key (ListGrants): whom it lets call which operations, under which
    encryption-context constraint. scanner.policy.kms_grants reads it."""

    grant_id: str
    grantee_principal: str | None = None  # an AWS principal ARN, or a service principal
    operations: tuple[str, ...] = ()  # "Decrypt", "GenerateDataKey", ...
    #: GrantConstraints: the request's encryption context must equal / include these pairs
    encryption_context_equals: Mapping[str, str] | None = None
    encryption_context_subset: Mapping[str, str] | None = None
    #: GrantConstraints.SourceArn (grants to service principals): the request's aws:SourceArn
    source_arn: str | None = None
    name: str | None = None


@_frozen()
class KmsKey:
    arn: str
    key_id: str
    account_id: str
    region: str
    aliases: tuple[str, ...] = ()
    key_manager: str | None = None  # CUSTOMER | AWS
    key_state: str | None = None  # Enabled | Disabled | PendingDeletion | ...
    key_spec: str | None = None
    key_usage: str | None = None
    origin: str | None = None
    description: str | None = None
    creation_date: str | None = None
    deletion_date: str | None = None
    multi_region: bool = False
    multi_region_type: str | None = None  # PRIMARY | REPLICA (derived from ARNs, not moto's field)
    primary_key_arn: str | None = None
    replica_key_arns: tuple[str, ...] = ()
    rotation_enabled: bool | None = None  # None: not applicable or unread
    rotation_period_days: int | None = None
    policy: str | None = None  # exact text of the "default" key policy
    #: the key's grants (ListGrants); None: not read -- AWS-managed keys, a failed read
    #: ("grants" in ``unread``), snapshots written before grants were collected
    grants: tuple[KeyGrant, ...] | None = None
    #: the key's tags (ListResourceTags): what aws:ResourceTag/<key> is on a request on the
    #: key ({} for an AWS-managed key, which cannot be tagged); None: not read -- a failed
    #: read ("tags" in ``unread``), snapshots written before key tags were collected
    tags: Mapping[str, str] | None = None
    unread: tuple[str, ...] = ()

    def first_alias(self) -> str | None:
        """The alias people know the key by: the first of its aliases, a customer's before
        AWS's (``alias/aws/...``); None without one."""
        names = sorted(self.aliases, key=lambda a: (a.startswith("alias/aws/"), a))
        return names[0] if names else None

    def label(self) -> str:
        """How messages name the key: ``alias/app (1234abcd-...)``, or its id alone."""
        alias = self.first_alias()
        return f"{alias} ({self.key_id})" if alias else self.key_id


# --------------------------------------------------------------------------- network


@_frozen()
class Vpc:
    vpc_id: str
    account_id: str
    region: str
    cidrs: tuple[str, ...] = ()
    is_default: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)
    #: "cidrs" when its CIDR associations could not be read (``cidrs`` is then ``()``)
    unread: tuple[str, ...] = ()


@_frozen()
class Subnet:
    subnet_id: str
    vpc_id: str
    account_id: str
    region: str
    cidr: str | None = None
    availability_zone: str | None = None


@_frozen()
class Route:
    destination_cidr: str | None = None
    destination_ipv6_cidr: str | None = None
    destination_prefix_list: str | None = None
    #: local | vpc-peering | nat-gateway | internet-gateway | transit-gateway | vpc-endpoint | other
    target_type: str = "other"
    target_id: str | None = None
    state: str = "active"  # active | blackhole


@_frozen()
class RouteTable:
    route_table_id: str
    vpc_id: str
    account_id: str
    region: str
    subnet_ids: tuple[str, ...] = ()  # explicit associations
    is_main: bool = False
    routes: tuple[Route, ...] = ()


@_frozen()
class PeeringSide:
    owner_id: str
    vpc_id: str
    region: str
    cidrs: tuple[str, ...] = ()


@_frozen()
class VpcPeering:
    peering_id: str
    account_id: str  # the account this record was read from (a peering appears in both)
    region: str
    status: str  # active | pending-acceptance | deleted | rejected | failed | expired | ...
    requester: PeeringSide
    accepter: PeeringSide


@_frozen()
class SgRule:
    protocol: str  # "-1" for all
    from_port: int | None = None
    to_port: int | None = None
    cidrs: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()  # referenced security groups
    prefix_list_ids: tuple[str, ...] = ()


@_frozen()
class SecurityGroup:
    group_id: str
    vpc_id: str
    account_id: str
    region: str
    name: str | None = None
    ingress: tuple[SgRule, ...] = ()
    egress: tuple[SgRule, ...] = ()


@_frozen()
class VpcEndpoint:
    endpoint_id: str
    vpc_id: str
    account_id: str
    region: str
    service_name: str
    endpoint_type: str  # Interface | Gateway | ...
    state: str | None = None
    private_dns_enabled: bool = False
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    route_table_ids: tuple[str, ...] = ()
    policy: str | None = None


@_frozen()
class NatGateway:
    nat_gateway_id: str
    vpc_id: str
    subnet_id: str
    account_id: str
    region: str
    state: str | None = None
    connectivity_type: str | None = None


# --------------------------------------------------------------------------- Lambda


@_frozen()
class FunctionVersion:
    """A version's or alias's own settings (LambdaFunction.qualifier_settings)."""

    role_arn: str | None = None
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    vpc_id: str | None = None  # derived from the subnets, as LambdaFunction.vpc_id


@_frozen()
class LambdaFunction:
    arn: str
    name: str
    account_id: str
    region: str
    role_arn: str | None = None
    runtime: str | None = None
    state: str | None = None
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    vpc_id: str | None = None  # derived from the subnets, never from VpcConfig.VpcId
    #: The version/alias qualifiers that a secret's RotationLambdaARN in this account-Region
    #: names (``...:function:rotate:blue``), read with GetFunctionConfiguration(Qualifier):
    #: those that exist, those Lambda answered not found for, and those whose read failed (a
    #: coverage entry). A qualifier in none of them was not read (no secret of this
    #: account-Region names it). ``$LATEST`` is never read: it is the unqualified function.
    qualifiers: tuple[str, ...] = ()
    missing_qualifiers: tuple[str, ...] = ()
    unread_qualifiers: tuple[str, ...] = ()
    #: The settings of each qualifier of ``qualifiers`` that the rules read (its execution
    #: role and VPC), as GetFunctionConfiguration with that Qualifier answers them: it
    #: "Returns the version-specific settings of a Lambda function or version" (Lambda API
    #: Reference), and a published version's settings are fixed when it is published, so
    #: ``blue`` may run as another role, in another VPC, than ``$LATEST`` (this record's own
    #: fields). A qualifier of ``qualifiers`` missing here: its settings were not kept (a
    #: snapshot written before they were).
    qualifier_settings: Mapping[str, "FunctionVersion"] = field(default_factory=dict)


# --------------------------------------------------------------------------- IAM


@_frozen()
class IamPrincipal:
    """An IAM role or user with every policy that can apply to it."""

    arn: str
    name: str
    account_id: str
    principal_type: str  # role | user
    path: str = "/"
    trust_policy: Mapping[str, Any] | None = None  # roles only
    inline_policies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    attached_policy_arns: tuple[str, ...] = ()
    permissions_boundary_arn: str | None = None
    group_names: tuple[str, ...] = ()  # users only
    tags: Mapping[str, str] = field(default_factory=dict)
    #: the unique id IAM gave it (RoleId ``AROA...``, UserId ``AIDA...``): the head of its
    #: aws:userid ("role-id:caller-specified-role-name"; a user's "unique ID"). None: not
    #: read (a snapshot written before it was collected)
    unique_id: str | None = None


@_frozen()
class IamGroup:
    arn: str
    name: str
    account_id: str
    inline_policies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    attached_policy_arns: tuple[str, ...] = ()


@_frozen()
class ManagedPolicy:
    arn: str
    name: str
    account_id: str  # "aws" for AWS-managed policies
    document: Mapping[str, Any] | None = None  # the default version
    aws_managed: bool = False


@_frozen()
class IamSnapshot:
    principals: tuple[IamPrincipal, ...] = ()
    groups: tuple[IamGroup, ...] = ()
    policies: tuple[ManagedPolicy, ...] = ()


# --------------------------------------------------------------------------- quotas / org


@_frozen()
class Quota:
    code: str  # e.g. L-7E9ECCDB
    value: float
    source: str  # "service-quotas" | "default" | "config"
    note: str | None = None


@_frozen()
class OrgAccount:
    account_id: str
    name: str | None = None
    email: str | None = None
    status: str = "ACTIVE"
    parent_id: str | None = None


@_frozen()
class OrgUnit:
    ou_id: str
    name: str | None = None
    parent_id: str | None = None


@_frozen()
class ControlPolicy:
    """A service control policy (or resource control policy) and its targets."""

    policy_id: str
    name: str
    policy_type: str  # SERVICE_CONTROL_POLICY | RESOURCE_CONTROL_POLICY
    content: str
    targets: tuple[str, ...] = ()  # root, OU or account ids


@_frozen()
class UnreadControlPolicy:
    """A listed SCP or RCP whose document or targets could not be read.

    ListPolicies listed it; DescribePolicy or ListTargetsForPolicy failed (a coverage entry
    says why): it may deny wherever it may be attached."""

    policy_id: str
    policy_type: str  # SERVICE_CONTROL_POLICY | RESOURCE_CONTROL_POLICY
    name: str = ""
    #: root, OU or account ids; None: not read (it may be attached anywhere)
    targets: tuple[str, ...] | None = None


@_frozen()
class Organization:
    org_id: str | None
    management_account_id: str | None
    root_id: str | None = None
    accounts: tuple[OrgAccount, ...] = ()
    units: tuple[OrgUnit, ...] = ()
    policies: tuple[ControlPolicy, ...] = ()
    policies_read: bool = False  # False: SCPs could not be read; never treat as "no SCPs"
    #: False: RCPs were not read (or the snapshot predates their collection): never "no RCPs"
    rcps_read: bool = False
    #: the policy types enabled at the root (ListRoots PolicyTypes); None: not read
    policy_types_enabled: tuple[str, ...] | None = None
    #: listed policies that could not be read: a type with any here was listed and the rest
    #: of its policies are in ``policies`` (its ``policies_read`` / ``rcps_read`` is False:
    #: the set is not complete)
    unread_policies: tuple[UnreadControlPolicy, ...] = ()


#: OrgMembership.status: the account is in no organization (AWSOrganizationsNotInUseException)
NOT_IN_ORGANIZATION = "none"
#: OrgMembership.status: the account is in an organization whose policies were not read
IN_ORGANIZATION = "member"
#: OrgMembership.status: DescribeOrganization failed (a coverage entry says why)
MEMBERSHIP_UNKNOWN = "unknown"
MEMBERSHIP_STATUSES = (NOT_IN_ORGANIZATION, IN_ORGANIZATION, MEMBERSHIP_UNKNOWN)


@_frozen()
class OrgMembership:
    """A scan without --org: what organizations:DescribeOrganization answered in ``account_id``.

    ``account_id`` is the account of the scan's own credentials (the one call is made there);
    ``status`` is ``none`` (that account is in no organization), ``member`` (it is in
    ``org_id``, whose management account is ``management_account_id``; the organization's
    accounts, OUs, SCPs and RCPs were not read) or ``unknown`` (the call failed). It says
    nothing about the other scanned accounts."""

    account_id: str
    status: str
    org_id: str | None = None
    management_account_id: str | None = None


# --------------------------------------------------------------------------- snapshot


@_frozen()
class RegionSnapshot:
    region: str
    secrets: tuple[Secret, ...] = ()
    kms_keys: tuple[KmsKey, ...] = ()
    vpcs: tuple[Vpc, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    peerings: tuple[VpcPeering, ...] = ()
    security_groups: tuple[SecurityGroup, ...] = ()
    vpc_endpoints: tuple[VpcEndpoint, ...] = ()
    nat_gateways: tuple[NatGateway, ...] = ()
    lambda_functions: tuple[LambdaFunction, ...] = ()
    quotas: tuple[Quota, ...] = ()
    #: services whose listing failed here (e.g. "secretsmanager"): their tuples above are empty
    #: because nothing could be read, not because nothing exists.
    unread_services: tuple[str, ...] = ()


@_frozen()
class AccountSnapshot:
    account_id: str
    name: str | None = None
    regions: tuple[RegionSnapshot, ...] = ()
    iam: IamSnapshot | None = None  # None: IAM could not be read
    assumed: bool = True  # False: the role could not be assumed; nothing was read


@_frozen()
class ScanMeta:
    scan_id: str
    started_at: str
    finished_at: str | None = None
    tool_version: str = "0.0.0"
    partition: str = "aws"
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    central_account: str | None = None
    central_account_source: str = "none"  # flag | inferred | none | withheld (collect.py)
    role_name: str | None = None
    org_id: str | None = None

    @property
    def home_account(self) -> str:
        """The account a finding about the scan itself is reported in (an expired suppression
        entry, a crashed rule): the central account, else the lowest scanned account id. A
        finding always names a 12-digit account: Security Hub imports it into that account
        (ASFF AwsAccountId and ProductArn), and the reports group by it."""
        if self.central_account:
            return self.central_account
        if self.accounts:
            return min(self.accounts)
        raise ValueError("a scan of no account has no account to report its findings in")


@_frozen()
class Snapshot:
    meta: ScanMeta
    accounts: tuple[AccountSnapshot, ...] = ()
    organization: Organization | None = None
    coverage: tuple[CoverageEntry, ...] = ()
    schema_version: int = SCHEMA_VERSION
    #: a scan without --org: whether its home account is in an organization. None with
    #: ``organization`` None (a snapshot older than the field, or built by hand): nothing is
    #: known about the SCPs and RCPs, which are then not assessed and never assumed to allow
    org_membership: OrgMembership | None = None

    @property
    def complete(self) -> bool:
        return not self.coverage

    def account(self, account_id: str) -> AccountSnapshot | None:
        for acct in self.accounts:
            if acct.account_id == account_id:
                return acct
        return None

    def account_names(self) -> dict[str, str]:
        """Account id -> name: the name read with the account, else the Organizations name."""
        names = {a.account_id: a.name for a in (self.organization.accounts
                                                if self.organization else ()) if a.name}
        names.update({a.account_id: a.name for a in self.accounts if a.name})
        return names


# --------------------------------------------------------------------------- (de)serialisation


_SCALARS = (str, int, float, bool, type(None))


def to_jsonable(obj: Any) -> Any:
    """Turn records into plain JSON values (tuples become lists, mappings dicts)."""
    if isinstance(obj, _SCALARS):
        return obj
    if isinstance(obj, dict):
        return {str(k): v if isinstance(v, _SCALARS) else to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [v if isinstance(v, _SCALARS) else to_jsonable(v) for v in obj]
    fields = _FIELDS.get(type(obj))
    if fields is None and dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = tuple(f.name for f in dataclasses.fields(obj))
        _FIELDS[type(obj)] = fields
    if fields is not None:
        return {name: to_jsonable(getattr(obj, name)) for name in fields}
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    return obj


_FIELDS: dict[type, tuple[str, ...]] = {}

_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = typing.get_type_hints(cls)
        _HINTS[cls] = hints
    return hints


def _decode(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        return _decode(members[0], value) if len(members) == 1 else value
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return from_jsonable(tp, value)
    if origin is tuple:
        args = typing.get_args(tp)
        inner = args[0] if args else Any
        return tuple(_decode(inner, v) for v in value)
    if origin in (collections.abc.Mapping, dict):
        args = typing.get_args(tp)
        inner = args[1] if len(args) == 2 else Any
        return {k: _decode(inner, v) for k, v in value.items()}
    return value


def from_jsonable(cls: type[T], data: Mapping[str, Any]) -> T:
    """Rebuild a record (recursively) from its JSON form; unknown keys are an error."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown field(s) {sorted(unknown)}")
    kwargs = {k: _decode(hints[k], v) for k, v in data.items()}
    return cls(**kwargs)
