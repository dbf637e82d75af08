"""Which attributes each resource kind carries (for the loader's semantic pass): the fields of
the snapshot record plus what the graph builder adds. A rule naming any other attribute is a
bad rule file, reported with file, rule and field."""

from __future__ import annotations

import dataclasses

from scanner.engine.context import COVERAGE_GROUP
from scanner.model import (
    IamPrincipal,
    KmsKey,
    LambdaFunction,
    NatGateway,
    RouteTable,
    Secret,
    SecurityGroup,
    Subnet,
    Vpc,
    VpcEndpoint,
)

COMMON = frozenset({"kind", "account_id", "region", "unread"})


def _fields(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]


KIND_ATTRIBUTES: dict[str, frozenset[str]] = {
    "Account": frozenset({"name", "ou", "assumed", "collected", "iam_read", "is_central",
                          "is_management", "unread_services", "regions"}),
    "Secret": _fields(Secret) | {"aws_managed_key", "replica_regions", "replica_last_accessed"},
    "SecretReplica": frozenset({"primary_arn", "name", "kms_key_id", "status", "status_message",
                                "last_accessed", "listed", "replica_arn", "tags"}),
    "KmsKey": _fields(KmsKey) | {"collected", "aws_managed", "label"},
    "Principal": _fields(IamPrincipal) | {"principal_type", "external", "name"},
    "LambdaFunction": _fields(LambdaFunction),
    "Vpc": _fields(Vpc),
    "Subnet": _fields(Subnet),
    "RouteTable": _fields(RouteTable),
    "SecurityGroup": _fields(SecurityGroup),
    "VpcPeering": frozenset({"peering_id", "status", "requester", "accepter", "seen_in",
                             "requester_vpc_node", "accepter_vpc_node"}),
    "VpcEndpoint": _fields(VpcEndpoint),
    "NatGateway": _fields(NatGateway),
    COVERAGE_GROUP: frozenset({"resource_type", "assumed", "entries", "entry_count",
                               "services"}),
}

#: Attributes holding free-form maps: ``tags.team`` on a secret without that tag is null.
FREEFORM_MAPS = frozenset({"tags", "version_stages", "unread_services", "inline_policies"})


def attributes_of(kind: str) -> frozenset[str]:
    return KIND_ATTRIBUTES.get(kind, frozenset()) | COMMON

#: Attributes the graph builder derives from a record field: unread when that field is unread.
DERIVED_FROM: dict[str, str] = {"replica_regions": "replicas", "aws_managed_key": "kms_key_id",
                                 "replica_last_accessed": "replicas"}
