"""EC2 building blocks of the demo estate: VPCs, subnets, route tables, peerings, endpoints."""

from __future__ import annotations

from typing import Any, Sequence

from scanner.graph.schema import ec2_arn


def tags(name: str, **extra: str) -> list[dict[str, Any]]:
    pairs = {"Name": name, "secretgraph-demo": "true", **extra}
    return [{"Key": k, "Value": v} for k, v in pairs.items()]


def spec(resource: str, name: str, **extra: str) -> list[dict[str, Any]]:
    return [{"ResourceType": resource, "Tags": tags(name, **extra)}]


def vpc(ec2: Any, cidr: str, name: str) -> str:
    out = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=spec("vpc", name))
    return str(out["Vpc"]["VpcId"])


def subnet(ec2: Any, vpc_id: str, cidr: str, name: str, az: str) -> str:
    out = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=az,
                            TagSpecifications=spec("subnet", name))
    return str(out["Subnet"]["SubnetId"])


def route_table(ec2: Any, vpc_id: str, name: str, subnet_ids: Sequence[str] = ()) -> str:
    rtb = str(ec2.create_route_table(VpcId=vpc_id, TagSpecifications=spec("route-table", name))
              ["RouteTable"]["RouteTableId"])
    for sid in subnet_ids:
        ec2.associate_route_table(RouteTableId=rtb, SubnetId=sid)
    return rtb


def route(ec2: Any, rtb: str, cidr: str, pcx: str) -> None:
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock=cidr, VpcPeeringConnectionId=pcx)


def request_peering(ec2: Any, vpc_id: str, peer_vpc: str, peer_owner: str, peer_region: str,
                    name: str) -> str:
    out = ec2.create_vpc_peering_connection(
        VpcId=vpc_id, PeerVpcId=peer_vpc, PeerOwnerId=peer_owner, PeerRegion=peer_region,
        TagSpecifications=spec("vpc-peering-connection", name))
    return str(out["VpcPeeringConnection"]["VpcPeeringConnectionId"])


def security_group(ec2: Any, vpc_id: str, name: str, description: str,
                   ingress: Sequence[tuple[int, str]] = ()) -> str:
    """A security group allowing TCP ``port`` from ``cidr`` for each (port, cidr) in ingress."""
    gid = str(ec2.create_security_group(GroupName=name, Description=description, VpcId=vpc_id,
                                        TagSpecifications=spec("security-group", name))["GroupId"])
    if ingress:
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
             "IpRanges": [{"CidrIp": cidr, "Description": name}]} for port, cidr in ingress])
    return gid


def arn(region: str, account_id: str, resource: str, resource_id: str) -> str:
    return ec2_arn(region, account_id, resource, resource_id)
