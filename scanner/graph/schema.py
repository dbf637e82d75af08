"""The graph vocabulary: every node kind and edge kind, declared once.

Nodes are keyed by ARN (or a stable synthetic id where AWS has no ARN: accounts, the ``*``
principal, service principals). Every node carries ``kind`` (a NodeKind value), ``account_id``,
``region`` ("global" for account-level things) and the fields of the snapshot record it came
from. Every edge carries ``kind`` (an EdgeKind value) plus the attributes listed below.
docs/architecture.md is generated from these descriptions (``python -m scanner.graph.schema``).
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Mapping

from scanner.model import REPLICATION_FAILED
from scanner.policy.arn import LATEST_QUALIFIER, unqualified_function


class NodeKind(str, Enum):
    ACCOUNT = "Account"
    SECRET = "Secret"
    SECRET_REPLICA = "SecretReplica"
    KMS_KEY = "KmsKey"
    PRINCIPAL = "Principal"
    LAMBDA_FUNCTION = "LambdaFunction"
    VPC = "Vpc"
    SUBNET = "Subnet"
    ROUTE_TABLE = "RouteTable"
    SECURITY_GROUP = "SecurityGroup"
    VPC_PEERING = "VpcPeering"
    VPC_ENDPOINT = "VpcEndpoint"
    NAT_GATEWAY = "NatGateway"


class EdgeKind(str, Enum):
    OWNED_BY = "OWNED_BY"
    ENCRYPTED_BY = "ENCRYPTED_BY"
    REPLICA_OF = "REPLICA_OF"
    ROTATED_BY = "ROTATED_BY"
    IN_SUBNET = "IN_SUBNET"
    IN_VPC = "IN_VPC"
    USES_ROUTE_TABLE = "USES_ROUTE_TABLE"
    ROUTES_TO = "ROUTES_TO"
    PEERS = "PEERS"
    PROTECTED_BY = "PROTECTED_BY"


NODE_DESCRIPTIONS: dict[NodeKind, str] = {
    NodeKind.ACCOUNT: "An AWS account in scope. Id `account:<12 digits>`. Attributes: name, "
    "ou (the name of its parent organizational unit, `Root`, or null), assumed (whether the audit role was assumed), is_central, is_management, unread_services "
    "(region -> services that could not be listed; for EC2 also each failed listing, "
    "ec2.route_tables, ec2.peerings, ...).",
    NodeKind.SECRET: "A primary Secrets Manager secret. Id: its ARN. Attributes: the fields of "
    "scanner.model.Secret (kms_key_id None = aws/secretsmanager), plus replica_regions and "
    "aws_managed_key (its KmsKeyId names aws/secretsmanager: by alias, or by the id or ARN of "
    "a key whose KeyManager is AWS; `aws_managed_key` in this module).",
    NodeKind.SECRET_REPLICA: "A replica of a secret in another region. Id `<primary ARN>#<region>`. "
    "Attributes: region, kms_key_id, status, status_message, primary_arn, tags (the "
    "replica listing's own when its Region lists it, else its primary's: Secrets Manager "
    "replicates a secret's tags), listed, replica_arn. Its findings name the replica's own "
    "ARN (replica_arn, else the primary's ARN in the replica's region) as resource.arn and "
    "keep this id as resource.node, from which their ids are made.",
    NodeKind.KMS_KEY: "A KMS key (customer-managed, or a synthetic node for the AWS-managed "
    "aws/secretsmanager key of an account-region, id `<account>:<region>:alias/aws/secretsmanager`). "
    "Attributes: the fields of scanner.model.KmsKey, plus collected and aws_managed.",
    NodeKind.PRINCIPAL: "An IAM role or user (id: ARN), an account root "
    "(`arn:<partition>:iam::<acct>:root`, the estate's partition), a service principal "
    "(`service:<name>`), everyone (`*`) or an STS session a policy names "
    "(`arn:aws:sts::<acct>:assumed-role/...`, `...:federated-user/...`). Attributes: "
    "principal_type (role|user|root|service|public|assumed-role|federated-user), "
    "inline_policies, attached_policy_arns, "
    "permissions_boundary_arn, group_names, external (outside the scanned estate).",
    NodeKind.LAMBDA_FUNCTION: "A Lambda function (id: ARN), typically a rotation function. "
    "Attributes: fields of scanner.model.LambdaFunction.",
    NodeKind.VPC: "A VPC. Id `arn:aws:ec2:<region>:<account>:vpc/<id>`. Attributes: cidrs, "
    "is_default, tags, unread (`cidrs`, `tags`: not read). Default VPCs are left out unless "
    "something uses them. Where the VPC listing of an account-Region failed, a VPC a peering "
    "read there names is a placeholder (collected False, cidrs and tags unread), and the "
    "subnets, security groups and route tables read there are kept without an IN_VPC edge.",
    NodeKind.SUBNET: "A subnet. Id `arn:aws:ec2:<region>:<account>:subnet/<id>`. Attributes: cidr.",
    NodeKind.ROUTE_TABLE: "A route table. Id `arn:aws:ec2:<region>:<account>:route-table/<id>`. "
    "Attributes: routes (list of scanner.model.Route as dicts), is_main, subnet_ids.",
    NodeKind.SECURITY_GROUP: "A security group. Id `arn:aws:ec2:<region>:<account>:security-group/<id>`.",
    NodeKind.VPC_PEERING: "A VPC peering connection, once per pcx id. Id "
    "`arn:aws:ec2:<requester region>:<requester owner>:vpc-peering-connection/<id>`. "
    "Attributes: status, requester, accepter (owner_id, vpc_id, region, cidrs).",
    NodeKind.VPC_ENDPOINT: "A VPC endpoint. Id `arn:aws:ec2:<region>:<account>:vpc-endpoint/<id>`. "
    "Attributes: service_name, endpoint_type, private_dns_enabled, state.",
    NodeKind.NAT_GATEWAY: "A NAT gateway. Id `arn:aws:ec2:<region>:<account>:natgateway/<id>`.",
}

EDGE_DESCRIPTIONS: dict[EdgeKind, str] = {
    EdgeKind.OWNED_BY: "resource -> Account that owns it.",
    EdgeKind.ENCRYPTED_BY: "Secret or SecretReplica -> KmsKey. Attribute key_ref (what the "
    "secret names: key ARN, key id or alias; None for the AWS-managed key).",
    EdgeKind.REPLICA_OF: "SecretReplica -> Secret (its primary); multi-Region replica KmsKey -> "
    "its primary KmsKey.",
    EdgeKind.ROTATED_BY: "Secret -> LambdaFunction named by RotationLambdaARN (absent when the "
    "function does not resolve, or when the ARN's alias/version qualifier was not read or does "
    "not exist -- LambdaFunction qualifiers / missing_qualifiers / unread_qualifiers; "
    ":$LATEST is the function. The Secret keeps rotation_lambda_arn; a version or alias runs "
    "with its own role and VPC, qualifier_settings: rotation_function).",
    EdgeKind.IN_SUBNET: "LambdaFunction / VpcEndpoint / NatGateway -> Subnet.",
    EdgeKind.IN_VPC: "Subnet / RouteTable / SecurityGroup / VpcEndpoint / NatGateway / "
    "LambdaFunction -> Vpc.",
    EdgeKind.USES_ROUTE_TABLE: "Subnet -> RouteTable (explicit association, or the VPC's main "
    "table; attribute main=True for the latter).",
    EdgeKind.ROUTES_TO: "RouteTable -> target (VpcPeering, NatGateway, VpcEndpoint) with "
    "attributes destination (CIDR or prefix list) and state (active|blackhole).",
    EdgeKind.PEERS: "Vpc -> VpcPeering with attribute side (requester|accepter); the peering "
    "links both VPCs, whichever account they are in.",
    EdgeKind.PROTECTED_BY: "LambdaFunction / VpcEndpoint -> SecurityGroup.",
}

GLOBAL = "global"


def account_node(account_id: str) -> str:
    return f"account:{account_id}"


def service_principal(service: str) -> str:
    return f"service:{service}"


PUBLIC_PRINCIPAL = "*"

#: why a secret scheduled for deletion has no readers and is judged by no rule
SCHEDULED_DELETION = ("scheduled for deletion: Secrets Manager refuses to read it (its value "
                      "or its policy) until it is restored, so no one can read it")


def scheduled_for_deletion(attrs: Mapping[str, Any]) -> bool:
    """A secret (or replica) node, or its snapshot record's fields, with DeletedDate set: the
    one test of "scheduled for deletion" that the access analysis (no readers), the key report
    (grants no one) and the rule engine (not judged) read. Secrets Manager API Reference,
    DeleteSecret: "When a secret is scheduled for deletion, you cannot retrieve the secret
    value. You must first cancel the deletion with RestoreSecret and then you can retrieve the
    secret." (DescribeSecret, DeletedDate: "If a secret is scheduled for deletion, then its
    details, including the encrypted secret value, is not accessible.")"""
    return bool(attrs.get("deleted_date"))


def replica_absent(attrs: Mapping[str, Any]) -> bool:
    """A replica node whose replication Failed and that its Region's listing does not have:
    no replica was made, so there is nothing to judge or read (the primary's
    secret-not-replicated counts the Region as missing). The one test the rule engine (not
    judged) and the access analysis (no copy) read. Secrets Manager API Reference,
    ReplicationStatusType: "Status -- The status can be InProgress, Failed, or InSync"; a
    Failed replication (for example a secret of that name already in the Region) creates no
    secret there. Ground-truth trial round 7: secret-uses-aws-managed-key judged the key of
    such a replica."""
    return (attrs.get("kind") == NodeKind.SECRET_REPLICA.value
            and attrs.get("status") == REPLICATION_FAILED and not attrs.get("listed"))


#: the settings of a function that a version or alias has its own of
#: (LambdaFunction.qualifier_settings, model.FunctionVersion)
VERSION_SETTINGS = ("role_arn", "subnet_ids", "security_group_ids", "vpc_id")


def rotation_function(rotation_arn: str | None, function: Mapping[str, Any]
                      ) -> tuple[Mapping[str, Any] | None, str]:
    """(the settings the function version a secret's RotationLambdaARN names runs with, why
    they are not known: "" when they are), ``function`` being the node of the function the
    ARN resolves to (its ``ROTATED_BY`` edge). The one reading of "which role, which VPC does
    rotation run with" that the rotation read (scanner.access.rotation),
    secret-rotation-no-network-path, secret-policy-overbroad-actions and the HTML rotation
    path take. Lambda API Reference, GetFunctionConfiguration: it "Returns the
    version-specific settings of a Lambda function or version", and with no Qualifier
    "returns information about the $LATEST function version": an unqualified ARN or
    ``:$LATEST`` runs with the function's own settings (ListFunctions'), a version or alias
    with those read with that Qualifier (``qualifier_settings``) -- a version published before
    the role or VPC was changed keeps the old ones (they were judged with $LATEST's). The
    version's settings come named ``<function>:<qualifier>``; the function's own come as
    ``function`` itself (a caller tells the two apart by identity)."""
    qualifier = unqualified_function(rotation_arn)[1] if rotation_arn else None
    if qualifier is None or qualifier == LATEST_QUALIFIER:
        return function, ""
    own = (function.get("qualifier_settings") or {}).get(qualifier)
    if not isinstance(own, Mapping):
        return None, (f"the configuration of version or alias {qualifier} was read without "
                      "its settings (a snapshot written before secretgraph kept them)")
    return {**function, **{k: own.get(k) for k in VERSION_SETTINGS},
            "name": f"{function.get('name') or ''}:{qualifier}"}, ""


def rotation_execution_role(rotation_arn: str | None,
                            function: Mapping[str, Any]) -> tuple[str | None, str]:
    """(the execution role, why it is not known: "" when it is) of the function version a
    secret's RotationLambdaARN runs (``rotation_function``)."""
    settings, unknown = rotation_function(rotation_arn, function)
    if settings is None:
        return None, unknown
    role = settings.get("role_arn")
    return (str(role), "") if role else (None, "not in the snapshot")


#: the alias of the AWS-managed key of Secrets Manager, the key a secret without KmsKeyId uses
AWS_MANAGED_ALIAS = "alias/aws/secretsmanager"


def names_aws_managed_alias(key_ref: str | None) -> bool:
    """Whether a KmsKeyId, by its text alone, names the AWS-managed key: omitted, the alias
    name or its alias ARN. Secrets Manager API Reference, DescribeSecret, KmsKeyId: "If the
    secret is encrypted with the AWS managed key aws/secretsmanager, this field is omitted";
    UpdateSecret, KmsKeyId: "A key alias is always prefixed by alias/, for example
    alias/aws/secretsmanager." Where the key's record is at hand, ask ``aws_managed_key``."""
    if not key_ref:
        return True
    return key_ref == AWS_MANAGED_ALIAS or key_ref.endswith(":" + AWS_MANAGED_ALIAS)


def aws_managed_key(key_ref: str | None, key: Any = None) -> bool:
    """The one answer to "is the key a secret (or replica) names the AWS-managed key?" that
    the graph (the rule secret-uses-aws-managed-key reads the key node's ``aws_managed``, the
    secret node's ``aws_managed_key``), the access analysis and the remediators read.

    ``key_ref`` is the KmsKeyId as the secret holds it; ``key`` the record of the key it
    resolves to: a graph KmsKey node's attributes, a scanner.model.KmsKey, or None when the
    key was not found. True when the reference names aws/secretsmanager by its text
    (``names_aws_managed_alias``), or when it names, by key id or ARN, a key whose KeyManager
    is AWS: KMS API Reference, KeyMetadata, "KeyManager -- The manager of the KMS key. KMS
    keys in your AWS account are either customer managed or AWS managed." (Concept review
    round 2: the rule FAILed a secret whose KmsKeyId was the ARN of its aws/secretsmanager
    key while move-secret-to-cmk, reading the text only, had nothing to change.) A key not
    found is not called AWS-managed by its id or ARN: its record says nothing."""
    if names_aws_managed_alias(key_ref):
        return True
    if key is None:
        return False
    manager = key.get("key_manager") if isinstance(key, Mapping) else \
        getattr(key, "key_manager", None)
    return manager == "AWS"


def aws_managed_unknown(key: Any) -> bool:
    """A key record that cannot say whether it is AWS-managed: its KeyManager was not read
    (DescribeKey failed) and its Region's aliases were not listed either. With the aliases
    listed the collector knows: "Aliases also make it easy to recognize an AWS managed key.
    Aliases for these KMS keys always have the form aws/<service-name>" (KMS Developer Guide,
    "Aliases in AWS KMS"). The graph marks ``aws_managed`` unread on such a key node, so a
    rule asking it answers UNKNOWN, never PASS; ``aws_managed_key`` says False for it."""
    unread = (key.get("unread") if isinstance(key, Mapping) else getattr(key, "unread", ())) \
        or ()
    return "key_manager" in unread and "aliases" in unread


def aws_managed_key_node(account_id: str, region: str) -> str:
    return f"{account_id}:{region}:{AWS_MANAGED_ALIAS}"


def aws_managed_key_arn(node_id: str, partition: str = "aws") -> str:
    """What users see for the node of an account-Region's aws/secretsmanager key: the alias
    ARN (``arn:aws:kms:REGION:ACCOUNT:alias/aws/secretsmanager``); any other id as it is."""
    account, _, rest = node_id.partition(":")
    region, _, alias = rest.partition(":")
    if alias != AWS_MANAGED_ALIAS or not account.isdigit():
        return node_id
    return f"arn:{partition}:kms:{region}:{account}:{alias}"


def replica_node(primary_arn: str, region: str) -> str:
    return f"{primary_arn}#{region}"


def replica_primary(node_id: str) -> str | None:
    """The primary secret's ARN of a replica node id (``replica_node``'s inverse); None for any
    other id."""
    primary, sep, region = node_id.rpartition("#")
    return primary if sep and primary and region else None


def ec2_arn(region: str, account_id: str, resource: str, resource_id: str) -> str:
    """resource is vpc | subnet | route-table | security-group | vpc-endpoint | natgateway |
    vpc-peering-connection. The partition is the Region's (aws-us-gov for us-gov-west-1)."""
    from scanner.aws.regions import partition_of

    return f"arn:{partition_of(region)}:ec2:{region}:{account_id}:{resource}/{resource_id}"


def render_markdown() -> str:
    lines = ["## Node kinds", "", "| kind | description |", "| --- | --- |"]
    lines += [f"| {k.value} | {NODE_DESCRIPTIONS[k]} |" for k in NodeKind]
    lines += ["", "## Edge kinds", "", "| kind | description |", "| --- | --- |"]
    lines += [f"| {k.value} | {EDGE_DESCRIPTIONS[k]} |" for k in EdgeKind]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render_markdown())
