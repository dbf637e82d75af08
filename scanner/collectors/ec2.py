"""EC2 network inventory of one account-region: VPCs, subnets, route tables, peering
connections, security groups, VPC endpoints and NAT gateways -- 7 paginated Describe calls when
each fits one page (AWS_FACTS 2.5). No server-side filters (moto ignores some): every record is
kept with its status, and consumers filter client-side (e.g. peerings by status). Default VPCs are
collected with is_default=True; the graph builder drops the unused ones.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from scanner.aws.regions import partition_of
from scanner.collectors.base import Recorder, paginate, tag_map, tags_problem, unexpected
from scanner.model import (
    NatGateway,
    PeeringSide,
    Route,
    RouteTable,
    SecurityGroup,
    SgRule,
    Subnet,
    Vpc,
    VpcEndpoint,
    VpcPeering,
)

SERVICE = "ec2"

OPERATIONS: dict[str, str] = {
    "DescribeVpcs": "ec2:DescribeVpcs",
    "DescribeSubnets": "ec2:DescribeSubnets",
    "DescribeRouteTables": "ec2:DescribeRouteTables",
    "DescribeVpcPeeringConnections": "ec2:DescribeVpcPeeringConnections",
    "DescribeSecurityGroups": "ec2:DescribeSecurityGroups",
    "DescribeVpcEndpoints": "ec2:DescribeVpcEndpoints",
    "DescribeNatGateways": "ec2:DescribeNatGateways",
}

#: raw key -> (operation, paginator method, result key, page size, fields every entry has:
#: the first is its id, one entry per id -- base.Entries). A peering without its status code
#: or a side's VPC or owner, or a route table without its routes (every one has its local
#: route), is no answer AWS sends: read as status "unknown" (not active) or as no routes, the
#: peerings of a VPC at its quota were not counted (vpc-peering-quota-near-limit PASS) and
#: their route checks skipped, no gap named (fault-injection trial round 25)
LISTINGS: dict[str, tuple[str, str, str, int, tuple[str, ...]]] = {
    "vpcs": ("DescribeVpcs", "describe_vpcs", "Vpcs", 1000, ("VpcId",)),
    "subnets": ("DescribeSubnets", "describe_subnets", "Subnets", 1000, ("SubnetId", "VpcId")),
    "route_tables": ("DescribeRouteTables", "describe_route_tables", "RouteTables", 100,
                     ("RouteTableId", "VpcId", "Routes")),
    "peerings": ("DescribeVpcPeeringConnections", "describe_vpc_peering_connections",
                 "VpcPeeringConnections", 1000,
                 ("VpcPeeringConnectionId", "Status.Code", "RequesterVpcInfo.OwnerId",
                  "RequesterVpcInfo.VpcId", "AccepterVpcInfo.OwnerId", "AccepterVpcInfo.VpcId")),
    "security_groups": ("DescribeSecurityGroups", "describe_security_groups", "SecurityGroups",
                        1000, ("GroupId",)),
    "vpc_endpoints": ("DescribeVpcEndpoints", "describe_vpc_endpoints", "VpcEndpoints", 1000,
                      ("VpcEndpointId", "VpcId")),
    "nat_gateways": ("DescribeNatGateways", "describe_nat_gateways", "NatGateways", 1000,
                     ("NatGatewayId",)),
}


def fetch_network(client: Any, rec: Recorder) -> dict[str, Any]:
    """Each listing, or None for a listing that failed (recorded as coverage)."""
    raw: dict[str, Any] = {}
    for key, (operation, method, result_key, page_size, required) in LISTINGS.items():
        items, _ = rec.attempt(
            operation,
            lambda: _checked(key, paginate(client, method, result_key, identity=required[0],
                                           required=required[1:],
                                           PaginationConfig={"PageSize": page_size})),
        )
        raw[key] = items
    raw[UNREAD_CIDRS] = _unread_cidrs(raw["vpcs"] or (), rec)
    raw[UNREAD_TAGS] = _unread_tags(raw["vpcs"] or (), rec)
    return raw


#: raw key naming the VPCs whose tags could not be read (``_unread_tags``)
UNREAD_TAGS = "vpcs_tags_unread"


def _unread_tags(vpcs: Iterable[Mapping[str, Any]], rec: Recorder) -> list[str]:
    """The VPCs among ``vpcs`` whose ``Tags`` the answer does not give whole
    (``base.tags_problem``: a tag without its Value, which AWS always sends), each recorded
    as that VPC's DescribeVpcs gap: its tags are not known (``{}`` and "tags" in its
    ``unread``), as the secrets', roles' and keys' are. Fault-injection trial round 27: such
    a tag was read as ``""``, which a suppression entry's ``tags`` pattern (``*``) matched,
    muting the VPC's findings, and which the drift told as the tag's new value."""
    return _vpc_gaps(vpcs, rec, "tags", lambda vpc: tags_problem(vpc.get("Tags"))
                     if isinstance(vpc.get("VpcId"), str) else None)


def _vpc_gaps(vpcs: Iterable[Mapping[str, Any]], rec: Recorder, what: str,
              problem: Callable[[Mapping[str, Any]], str | None]) -> list[str]:
    """The VPCs among ``vpcs`` whose ``what`` the answer does not give whole (``problem``:
    why, or None), each recorded as that VPC's DescribeVpcs gap, named by its ARN."""
    out: list[str] = []
    for vpc in vpcs:
        why = problem(vpc)
        if why is None:
            continue
        vpc_id = str(vpc["VpcId"])
        arn = f"arn:{partition_of(rec.region)}:ec2:{rec.region}:{rec.account_id}:vpc/{vpc_id}"
        rec.unreadable("DescribeVpcs", f"{why} for {vpc_id}: its {what} are not known",
                       resource_arn=arn)
        out.append(vpc_id)
    return out


#: raw key naming the VPCs whose CIDRs could not be read (``_unread_cidrs``)
UNREAD_CIDRS = "vpcs_cidrs_unread"


def _unread_cidrs(vpcs: Iterable[Mapping[str, Any]], rec: Recorder) -> list[str]:
    """The VPCs among ``vpcs`` with a CIDR association that is no object or has no
    ``CidrBlock`` (every association AWS answers has its block), each recorded as that VPC's
    DescribeVpcs gap: its CIDRs are not known (``()`` and "cidrs" in its ``unread``: the
    network-path rule reads them as unknown, the drift as not read, not as a change). It was a KeyError in the transform, which cost every EC2 listing of the
    account-Region -- peerings, routes, security groups -- for one VPC (fault-injection trial
    round 26)."""
    return _vpc_gaps(vpcs, rec, "CIDRs", _cidrs_problem)


def _cidrs_problem(vpc: Mapping[str, Any]) -> str | None:
    associations = vpc.get("CidrBlockAssociationSet")
    if associations is None:
        if isinstance(vpc.get("CidrBlock"), str) and vpc.get("CidrBlock"):
            return None  # its primary CIDR (_vpc)
        return "without CidrBlock or CidrBlockAssociationSet"
    if not isinstance(associations, list):
        return f"CidrBlockAssociationSet as {type(associations).__name__}"
    if any(not isinstance(a, Mapping) or not isinstance(a.get("CidrBlock"), str)
           or not a.get("CidrBlock")
           or not isinstance(a.get("CidrBlockState") or {}, Mapping)
           for a in associations):
        return "a CIDR association without CidrBlock"
    return None


def _checked(key: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``items`` of listing ``key``; UnexpectedAnswer for a route (of a route table) without
    a destination or a target, or a security-group rule without its protocol, which AWS never
    answers: read as a route to nothing, a route through a peering that lost its
    ``VpcPeeringConnectionId`` was no blackhole (vpc-peering-route-blackhole PASS) and no
    route back; a rule without ``IpProtocol`` was read as all traffic (``-1``), allowing
    what its ports did not (fault-injection trial round 25)."""
    if key == "security_groups":
        for group in items:
            for side in ("IpPermissions", "IpPermissionsEgress"):
                if any(not perm.get("IpProtocol") for perm in group.get(side) or ()):
                    raise unexpected("DescribeSecurityGroups", f"a rule of {group['GroupId']} "
                                                               "without IpProtocol")
        return items
    if key != "route_tables":
        return items
    for table in items:
        for route in table.get("Routes") or ():
            if not any(route.get(d) for d in _DESTINATIONS):
                raise unexpected("DescribeRouteTables", f"a route of {table['RouteTableId']} "
                                                        "without a destination")
            if route_target(route)[1] is None:
                raise unexpected("DescribeRouteTables", f"a route of {table['RouteTableId']} "
                                                        "without a target")
    return items


_DESTINATIONS = ("DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId")


# --------------------------------------------------------------------------- pure transforms


def _vpc(item: Mapping[str, Any], account_id: str, region: str,
         cidrs_unread: bool = False, tags_unread: bool = False) -> Vpc:
    # tags_unread: recorded as the VPC's gap (_unread_tags)
    tags = {} if tags_unread else tag_map(item.get("Tags"))
    unread = (("cidrs",) if cidrs_unread else ()) + (("tags",) if tags_unread else ())
    if cidrs_unread:  # recorded as the VPC's gap (_unread_cidrs)
        return Vpc(vpc_id=item["VpcId"], account_id=account_id, region=region, cidrs=(),
                   is_default=bool(item.get("IsDefault", False)), tags=tags, unread=unread)
    cidrs = [
        a["CidrBlock"]
        for a in item.get("CidrBlockAssociationSet") or []
        if (a.get("CidrBlockState") or {}).get("State", "associated") == "associated"
    ]
    if not cidrs and item.get("CidrBlock"):
        cidrs = [item["CidrBlock"]]
    return Vpc(vpc_id=item["VpcId"], account_id=account_id, region=region,
               cidrs=tuple(cidrs), is_default=bool(item.get("IsDefault", False)),
               tags=tags, unread=unread)


def _subnet(item: Mapping[str, Any], account_id: str, region: str) -> Subnet:
    return Subnet(subnet_id=item["SubnetId"], vpc_id=item["VpcId"], account_id=account_id,
                  region=region, cidr=item.get("CidrBlock"),
                  availability_zone=item.get("AvailabilityZone"))


def route_target(route: Mapping[str, Any]) -> tuple[str, str | None]:
    """(target_type, target_id) of one route."""
    if route.get("VpcPeeringConnectionId"):
        return "vpc-peering", route["VpcPeeringConnectionId"]
    if route.get("NatGatewayId"):
        return "nat-gateway", route["NatGatewayId"]
    if route.get("TransitGatewayId"):
        return "transit-gateway", route["TransitGatewayId"]
    gateway = route.get("GatewayId")
    if gateway == "local":
        return "local", "local"
    if gateway and gateway.startswith("igw-"):
        return "internet-gateway", gateway
    if gateway and gateway.startswith("vpce-"):
        return "vpc-endpoint", gateway
    for key in ("GatewayId", "InstanceId", "NetworkInterfaceId", "EgressOnlyInternetGatewayId",
                "CarrierGatewayId", "LocalGatewayId", "CoreNetworkArn", "OdbNetworkArn"):
        if route.get(key):
            return "other", route[key]
    return "other", None


def _route(item: Mapping[str, Any]) -> Route:
    target_type, target_id = route_target(item)
    return Route(
        destination_cidr=item.get("DestinationCidrBlock"),
        destination_ipv6_cidr=item.get("DestinationIpv6CidrBlock"),
        destination_prefix_list=item.get("DestinationPrefixListId"),
        target_type=target_type,
        target_id=target_id,
        state=item.get("State", "active"),
    )


def _route_table(item: Mapping[str, Any], account_id: str, region: str) -> RouteTable:
    associations = item.get("Associations") or []
    return RouteTable(
        route_table_id=item["RouteTableId"],
        vpc_id=item["VpcId"],
        account_id=account_id,
        region=region,
        subnet_ids=tuple(sorted(a["SubnetId"] for a in associations if a.get("SubnetId"))),
        is_main=any(bool(a.get("Main")) for a in associations),
        routes=tuple(_route(r) for r in item.get("Routes") or []),
    )


def _side(info: Mapping[str, Any], default_region: str) -> PeeringSide:
    cidrs = [c["CidrBlock"] for c in info.get("CidrBlockSet") or [] if c.get("CidrBlock")]
    if not cidrs and info.get("CidrBlock"):
        cidrs = [info["CidrBlock"]]
    return PeeringSide(owner_id=str(info.get("OwnerId", "")), vpc_id=str(info.get("VpcId", "")),
                       region=str(info.get("Region") or default_region), cidrs=tuple(cidrs))


def _peering(item: Mapping[str, Any], account_id: str, region: str) -> VpcPeering:
    return VpcPeering(
        peering_id=item["VpcPeeringConnectionId"],
        account_id=account_id,
        region=region,
        status=(item.get("Status") or {}).get("Code", "unknown"),
        requester=_side(item.get("RequesterVpcInfo") or {}, region),
        accepter=_side(item.get("AccepterVpcInfo") or {}, region),
    )


def _sg_rules(permissions: Any) -> tuple[SgRule, ...]:
    rules = []
    for perm in permissions or []:
        cidrs = [r["CidrIp"] for r in perm.get("IpRanges") or [] if r.get("CidrIp")]
        cidrs += [r["CidrIpv6"] for r in perm.get("Ipv6Ranges") or [] if r.get("CidrIpv6")]
        rules.append(
            SgRule(
                protocol=str(perm.get("IpProtocol", "-1")),
                from_port=perm.get("FromPort"),
                to_port=perm.get("ToPort"),
                cidrs=tuple(cidrs),
                group_ids=tuple(g["GroupId"] for g in perm.get("UserIdGroupPairs") or []
                                if g.get("GroupId")),
                prefix_list_ids=tuple(p["PrefixListId"] for p in perm.get("PrefixListIds") or []
                                      if p.get("PrefixListId")),
            )
        )
    return tuple(rules)


def _security_group(item: Mapping[str, Any], account_id: str, region: str) -> SecurityGroup:
    return SecurityGroup(group_id=item["GroupId"], vpc_id=item.get("VpcId", ""),
                         account_id=account_id, region=region, name=item.get("GroupName"),
                         ingress=_sg_rules(item.get("IpPermissions")),
                         egress=_sg_rules(item.get("IpPermissionsEgress")))


def _endpoint(item: Mapping[str, Any], account_id: str, region: str) -> VpcEndpoint:
    return VpcEndpoint(
        endpoint_id=item["VpcEndpointId"],
        vpc_id=item["VpcId"],
        account_id=account_id,
        region=region,
        service_name=item.get("ServiceName", ""),
        endpoint_type=item.get("VpcEndpointType", "Gateway"),
        state=item.get("State"),
        private_dns_enabled=bool(item.get("PrivateDnsEnabled", False)),
        subnet_ids=tuple(item.get("SubnetIds") or ()),
        security_group_ids=tuple(g["GroupId"] for g in item.get("Groups") or []
                                 if g.get("GroupId")),
        route_table_ids=tuple(item.get("RouteTableIds") or ()),
        policy=item.get("PolicyDocument"),
    )


def _nat(item: Mapping[str, Any], account_id: str, region: str) -> NatGateway:
    return NatGateway(nat_gateway_id=item["NatGatewayId"], vpc_id=item.get("VpcId", ""),
                      subnet_id=item.get("SubnetId", ""), account_id=account_id, region=region,
                      state=item.get("State"), connectivity_type=item.get("ConnectivityType"))


_BUILDERS: dict[str, Any] = {
    "vpcs": _vpc,
    "subnets": _subnet,
    "route_tables": _route_table,
    "peerings": _peering,
    "security_groups": _security_group,
    "vpc_endpoints": _endpoint,
    "nat_gateways": _nat,
}


def transform_network(raw: Mapping[str, Any], *, account_id: str, region: str,
                      crashed: dict[str, Exception] | None = None,
                      ) -> dict[str, tuple[Any, ...] | None]:
    """RegionSnapshot field name -> records (None for a listing that failed).

    With ``crashed``, a listing whose records could not be built (an answer nothing checked
    for: a bug) is None too, and its exception is put there under the listing's key, for
    the caller to record as that listing's gap: one VPC the transform could not read cost
    every EC2 listing of the account-Region (fault-injection trial round 26). Without it,
    the exception propagates."""
    out: dict[str, tuple[Any, ...] | None] = {}
    unread_cidrs = set(raw.get(UNREAD_CIDRS) or ())
    unread_tags = set(raw.get(UNREAD_TAGS) or ())
    for key, build in _BUILDERS.items():
        items = raw.get(key)
        if items is None:
            out[key] = None
            continue
        try:
            if key == "vpcs":
                out[key] = tuple(_vpc(i, account_id, region, i.get("VpcId") in unread_cidrs,
                                      i.get("VpcId") in unread_tags)
                                 for i in items)
            else:
                out[key] = tuple(build(i, account_id, region) for i in items)
        except Exception as exc:  # noqa: BLE001 -- handed to the caller, recorded as a gap
            if crashed is None:
                raise
            crashed[key] = exc
            out[key] = None
    return out
