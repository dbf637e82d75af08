"""A VPC peering answered without its status or a side's VPC, or a route table without its
routes, is a gap of that listing -- never a peering that is "not active" or a table without
routes, which the network rules then judged (fault-injection trial round 25).

Before, ``Status`` missing read as status ``unknown``: the peering was not counted against its
VPC's quota (vpc-peering-quota-near-limit PASS for a VPC at 50 of 50) and its route checks
were skipped, with a complete scan. AWS always sends them: every peering has a status code and
both sides' owner and VPC (a pending one has no accepter CIDR yet, so that is not required);
every route table has its ``local`` route. The answer is edited after botocore parsed it (EC2
answers in XML, where a missing element is a missing key).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.model import RegionSnapshot, Snapshot
from scanner.snapshot_io import read_snapshot

REGION = "us-east-1"
ROLE = "OrganizationAccountAccessRole"


@pytest.fixture(scope="module")
def peered(estate: Any) -> str:
    """A second VPC in the security account, peered with the estate's VPC (active)."""
    creds = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                          region_name=REGION).client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{estate.security}:role/{ROLE}",
        RoleSessionName="peering-setup")["Credentials"]
    ec2 = boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"],
                        region_name=REGION).client("ec2")
    other = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=estate.vpc_id, PeerVpcId=other)[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    table = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [estate.vpc_id]}])[
        "RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="10.1.0.0/16",
                     VpcPeeringConnectionId=pcx)
    return str(pcx)


def _without(session: boto3.Session, operation: str, listing: str, *path: str,
             entries: Any = lambda page, listing: page.get(listing) or []) -> None:
    """Every entry of ``listing`` in ``operation``'s answers arrives without ``path``."""

    def hook(parsed: Any = None, model: Any = None, **_: Any) -> None:
        if model is None or model.name != operation or not isinstance(parsed, dict):
            return
        for entry in entries(parsed, listing):
            holder = entry
            for name in path[:-1]:
                holder = holder.get(name) or {}
            holder.pop(path[-1], None)

    session.events.register("after-call", hook)


def _collect(tmp_path: Path, session: boto3.Session, estate: Any) -> Snapshot:
    opts = CollectOptions(out=tmp_path / "snap.json.gz", regions=(REGION,), role_name=ROLE,
                          max_attempts=1, accounts=(estate.security,))
    return read_snapshot(collect(opts, executor=SynchronousExecutor(),
                                 session_factory=lambda _: session))


def _region(snapshot: Snapshot) -> RegionSnapshot:
    return next(r for a in snapshot.accounts for r in a.regions if r.region == REGION)


def test_the_peering_is_read_when_the_answer_is_whole(
        tmp_path: Path, estate: Any, scan_session: boto3.Session, peered: str) -> None:
    region = _region(_collect(tmp_path, scan_session, estate))
    assert [(p.peering_id, p.status) for p in region.peerings] == [(peered, "active")]
    assert ("10.1.0.0/16", "vpc-peering", peered) in {
        (r.destination_cidr, r.target_type, r.target_id)
        for t in region.route_tables for r in t.routes}


@pytest.mark.parametrize("path", [("Status",), ("Status", "Code"),
                                  ("RequesterVpcInfo", "VpcId"),
                                  ("RequesterVpcInfo", "OwnerId"),
                                  ("AccepterVpcInfo",), ("AccepterVpcInfo", "VpcId"),
                                  ("AccepterVpcInfo", "OwnerId")])
def test_a_peering_without_its_status_or_a_sides_vpc_is_a_gap_not_a_peering_not_active(
        tmp_path: Path, estate: Any, scan_session: boto3.Session, peered: str,
        path: tuple[str, ...]) -> None:
    _without(scan_session, "DescribeVpcPeeringConnections", "VpcPeeringConnections", *path)
    snapshot = _collect(tmp_path, scan_session, estate)
    gaps = [c for c in snapshot.coverage if c.operation == "DescribeVpcPeeringConnections"]
    assert [(g.service, g.error_code) for g in gaps] == [("ec2", "UnexpectedAnswer")]
    # a whole object missing is named by its first required field
    shown = {("Status",): "Status.Code",
             ("AccepterVpcInfo",): "AccepterVpcInfo.OwnerId"}.get(path, ".".join(path))
    assert gaps[0].message == f"DescribeVpcPeeringConnections answered an entry without {shown}"
    region = _region(snapshot)
    assert region.peerings == ()  # unread (below): not one peering whose status is "unknown"
    assert "ec2" in region.unread_services
    assert region.vpcs  # the other listings of EC2 are still read
    assert not snapshot.complete


def test_a_route_table_without_its_routes_is_a_gap_not_a_table_without_routes(
        tmp_path: Path, estate: Any, scan_session: boto3.Session, peered: str) -> None:
    _without(scan_session, "DescribeRouteTables", "RouteTables", "Routes")
    snapshot = _collect(tmp_path, scan_session, estate)
    gaps = [c for c in snapshot.coverage if c.operation == "DescribeRouteTables"]
    assert [g.message for g in gaps] == ["DescribeRouteTables answered an entry without Routes"]
    region = _region(snapshot)
    assert region.route_tables == () and "ec2" in region.unread_services
    assert region.peerings  # read


def _peering_routes(page: Any, listing: str) -> list[Any]:
    return [r for t in page.get(listing) or [] for r in t.get("Routes") or []
            if r.get("VpcPeeringConnectionId")]


@pytest.mark.parametrize("field,what", [("VpcPeeringConnectionId", "target"),
                                        ("DestinationCidrBlock", "destination")])
def test_a_route_without_its_target_or_destination_is_a_gap_not_a_route_to_nothing(
        tmp_path: Path, estate: Any, scan_session: boto3.Session, peered: str, field: str,
        what: str) -> None:
    """Read as a route to nothing, a peering route that lost its target was no blackhole
    (vpc-peering-route-blackhole PASS) and no route to the peer (a route-missing FAIL)."""
    _without(scan_session, "DescribeRouteTables", "RouteTables", field,
             entries=_peering_routes)
    snapshot = _collect(tmp_path, scan_session, estate)
    gaps = [c for c in snapshot.coverage if c.operation == "DescribeRouteTables"]
    assert len(gaps) == 1 and gaps[0].error_code == "UnexpectedAnswer"
    assert gaps[0].message.startswith("DescribeRouteTables answered a route of rtb-")
    assert gaps[0].message.endswith(f" without a {what}")
    region = _region(snapshot)
    assert region.route_tables == () and "ec2" in region.unread_services


def _rules(page: Any, listing: str) -> list[Any]:
    return [p for g in page.get(listing) or [] for p in g.get("IpPermissionsEgress") or []]


def test_a_security_group_rule_without_its_protocol_is_a_gap_not_all_traffic(
        tmp_path: Path, estate: Any, scan_session: boto3.Session) -> None:
    """``IpProtocol`` missing was read as ``-1``: every protocol and port allowed."""
    _without(scan_session, "DescribeSecurityGroups", "SecurityGroups", "IpProtocol",
             entries=_rules)
    snapshot = _collect(tmp_path, scan_session, estate)
    gaps = [c for c in snapshot.coverage if c.operation == "DescribeSecurityGroups"]
    assert len(gaps) == 1 and gaps[0].error_code == "UnexpectedAnswer"
    assert gaps[0].message.startswith("DescribeSecurityGroups answered a rule of sg-")
    assert gaps[0].message.endswith(" without IpProtocol")
    region = _region(snapshot)
    assert region.security_groups == () and "ec2" in region.unread_services
    assert region.route_tables  # read


def test_security_group_rules_are_read_when_the_answer_is_whole(
        tmp_path: Path, estate: Any, scan_session: boto3.Session) -> None:
    region = _region(_collect(tmp_path, scan_session, estate))
    rules = [rule for g in region.security_groups for rule in g.egress]
    assert rules and all(rule.protocol == "-1" for rule in rules)  # the default egress rule
