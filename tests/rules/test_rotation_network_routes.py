"""secret-rotation-no-network-path on small estates built route by route: a route's addresses
are those no more specific route sends elsewhere (longest prefix match), a NAT path must carry
every public address, a secondary CIDR left unrouted is not where the database is, prefix
lists and onward targets (a transit gateway, an appliance) are not collected: UNKNOWN, and a
database in the Lambda's own VPC needs no peering (a review of the day's network fixes); nor
is a database VPC reached through one, peered or not (ground-truth trial round 30). A
route to a portion of the database VPC reaches the database when it holds every subnet of that
VPC, and cannot when it holds none (ground-truth trial round 20: UNKNOWN either way)."""
# mypy: ignore-errors

from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest

from helpers.rule_fixture import _fill
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph
from scanner.model import Snapshot, from_jsonable

RULE = load_ruleset().get("secret-rotation-no-network-path")
A, B = "111111111111", "222222222222"
R = "us-east-1"

def rt(rid, vpc, subnets, routes, main=False):
    return {"route_table_id": rid, "vpc_id": vpc, "subnet_ids": subnets, "is_main": main,
            "routes": [dict(destination_cidr=d, target_type=t, target_id=i, state=s)
                       if not d.startswith(("pl-", "::")) and ":" not in d else
                       (dict(destination_prefix_list=d, target_type=t, target_id=i, state=s)
                        if d.startswith("pl-") else
                        dict(destination_ipv6_cidr=d, target_type=t, target_id=i, state=s))
                       for d, t, i, s in routes]}

def base(lambda_routes, db_routes=None, peer_cidrs=("10.1.0.0/16",), tag="vpc-db",
         nats=None, endpoint=False, db_vpc_cidrs=None, lambda_subnet_cidr="10.0.1.0/24",
         db_tables=None, db_subnets=(), peered=True):
    secret = {"arn": f"arn:aws:secretsmanager:{R}:{A}:secret:s-AbCdEf", "kms_key_id": None,
              "rotation_enabled": True, "rotation_days": 30,
              "created": "2026-01-01T00:00:00Z", "last_rotated": "2026-11-01T00:00:00Z",
              "rotation_lambda_arn": f"arn:aws:lambda:{R}:{A}:function:rot",
              "tags": {"secretgraph:db-vpc": tag} if tag else {}}
    pcx = {"peering_id": "pcx-1", "status": "active",
           "requester": {"owner_id": A, "vpc_id": "vpc-l", "region": R, "cidrs": ["10.0.0.0/16"]},
           "accepter": {"owner_id": B, "vpc_id": "vpc-db", "region": R, "cidrs": list(peer_cidrs)}}
    ra = {"region": R, "secrets": [secret],
          "vpcs": [{"vpc_id": "vpc-l", "cidrs": ["10.0.0.0/16"]}],
          "subnets": [{"subnet_id": "subnet-l", "vpc_id": "vpc-l", "cidr": lambda_subnet_cidr}],
          # the NAT's own subnet routes to the internet gateway (trial round 8: a NAT in a
          # subnet without that route reaches nothing)
          "route_tables": [rt("rtb-l", "vpc-l", ["subnet-l"], lambda_routes, main=True),
                           rt("rtb-pub", "vpc-l", ["subnet-pub"],
                              [LOCAL, ("0.0.0.0/0", "internet-gateway", "igw-1", "active")])],
          "security_groups": [{"group_id": "sg-l", "vpc_id": "vpc-l",
                               "egress": [{"protocol": "-1", "cidrs": ["0.0.0.0/0"]}]}],
          "vpc_endpoints": ([{"endpoint_id": "vpce-sm", "vpc_id": "vpc-l",
                              "service_name": f"com.amazonaws.{R}.secretsmanager",
                              "endpoint_type": "Interface", "state": "available",
                              "private_dns_enabled": True, "subnet_ids": ["subnet-l"]}]
                            if endpoint else []),
          "peerings": [copy.deepcopy(pcx)] if peered and (tag is not None or db_routes is not None)
          else [],
          "lambda_functions": [{"arn": f"arn:aws:lambda:{R}:{A}:function:rot", "name": "rot",
                                "vpc_id": "vpc-l", "subnet_ids": ["subnet-l"],
                                "security_group_ids": ["sg-l"]}],
          "nat_gateways": nats if nats is not None else [
              {"nat_gateway_id": "nat-1", "vpc_id": "vpc-l", "subnet_id": "subnet-pub",
               "state": "available", "connectivity_type": "public"}]}
    rb = {"region": R, "vpcs": [{"vpc_id": "vpc-db", "cidrs": list(db_vpc_cidrs or peer_cidrs)}],
          "route_tables": db_tables or [rt("rtb-db", "vpc-db", [], db_routes or [], main=True)],
          # a subnet is its id (on 10.1.0.0/24) or (id, CIDR)
          "subnets": [{"subnet_id": s, "vpc_id": "vpc-db", "cidr": "10.1.0.0/24"}
                      if isinstance(s, str) else {"subnet_id": s[0], "vpc_id": "vpc-db",
                                                  "cidr": s[1]} for s in db_subnets],
          "peerings": [copy.deepcopy(pcx)] if peered and (tag is not None or db_routes is not None)
          else []}
    data = {"meta": {"scan_id": "x", "started_at": "2026-11-29T00:00:00Z",
                     "finished_at": "2026-11-29T00:05:00Z", "accounts": [A, B],
                     "regions": [R], "central_account": A},
            "accounts": [{"account_id": A, "regions": [ra], "assumed": True},
                         {"account_id": B, "regions": [rb], "assumed": True}],
            "coverage": []}
    return from_jsonable(Snapshot, _fill(data))

def run(snap):
    g = build_graph(snap)
    cfg = parse_config({"emit_pass": True}, path="x")
    [f] = evaluate(g, snap, None, Ruleset(rules=(RULE,)), cfg,
                   datetime(2026, 11, 29, tzinfo=timezone.utc))
    return f

LOCAL = ("10.0.0.0/16", "local", "local", "active")
NAT0 = ("0.0.0.0/0", "nat-gateway", "nat-1", "active")
PCX = ("10.1.0.0/16", "vpc-peering", "pcx-1", "active")
BACK = ("10.0.0.0/16", "vpc-peering", "pcx-1", "active")
DBL = ("10.1.0.0/16", "local", "local", "active")
TGW_DB = ("10.1.0.0/16", "transit-gateway", "tgw-1", "active")
TGW_BACK = ("10.0.0.0/16", "transit-gateway", "tgw-1", "active")



CASES = [
    ("baseline", lambda: base([LOCAL, NAT0, PCX], [DBL, BACK]), "PASS"),
    ("egress through a transit gateway: not collected",
     lambda: base([LOCAL, ("0.0.0.0/0", "transit-gateway", "tgw-1", "active"), PCX],
                  [DBL, BACK]), "UNKNOWN"),
    ("a database VPC's secondary block left unrouted",
     lambda: base([LOCAL, NAT0, PCX], [DBL, ("100.64.0.0/16", "local", "local", "active"),
                                      BACK], peer_cidrs=("10.1.0.0/16", "100.64.0.0/16")),
     "PASS"),
    ("half the peering route taken by a more specific one",
     lambda: base([LOCAL, NAT0, PCX, ("10.1.0.0/17", "transit-gateway", "tgw-1", "active")],
                  [DBL, BACK]), "UNKNOWN"),
    # ground-truth trial round 30: the way through a transit gateway is not collected, on
    # either side, whether or not a peering is there too (these two were FAIL)
    ("the whole peering route taken by more specific ones to a transit gateway",
     lambda: base([LOCAL, NAT0, PCX, ("10.1.0.0/17", "transit-gateway", "tgw-1", "active"),
                   ("10.1.128.0/17", "transit-gateway", "tgw-1", "active")], [DBL, BACK]),
     "UNKNOWN"),
    ("the whole peering route taken by more specific blackhole routes",
     lambda: base([LOCAL, NAT0, PCX, ("10.1.0.0/17", "transit-gateway", "tgw-1", "blackhole"),
                   ("10.1.128.0/17", "transit-gateway", "tgw-1", "blackhole")], [DBL, BACK]),
     "FAIL"),
    ("the Lambda subnet's way back taken by a more specific route to a transit gateway",
     lambda: base([LOCAL, NAT0, PCX],
                  [DBL, BACK, ("10.0.1.0/24", "transit-gateway", "tgw-1", "active")]),
     "UNKNOWN"),
    ("the Lambda subnet's way back taken by a more specific route to another peering",
     lambda: base([LOCAL, NAT0, PCX],
                  [DBL, BACK, ("10.0.1.0/24", "vpc-peering", "pcx-9", "active")]), "FAIL"),
    ("the NAT default route overridden by an appliance",
     lambda: base([LOCAL, NAT0, ("0.0.0.0/1", "other", "eni-x", "active"),
                   ("128.0.0.0/1", "other", "eni-x", "active"), PCX], [DBL, BACK]), "UNKNOWN"),
    ("the NAT default route overridden by a peering for private space only",
     lambda: base([LOCAL, NAT0, PCX, ("172.16.0.0/12", "vpc-peering", "pcx-9", "active")],
                  [DBL, BACK]), "PASS"),
    ("a route via the peering to a prefix list",
     lambda: base([LOCAL, NAT0, ("pl-db", "vpc-peering", "pcx-1", "active")], [DBL, BACK]),
     "UNKNOWN"),
    ("a route back via the peering to a prefix list",
     lambda: base([LOCAL, NAT0, PCX], [DBL, ("pl-l", "vpc-peering", "pcx-1", "active")]),
     "UNKNOWN"),
    ("a database in the Lambda's own VPC", lambda: base([LOCAL, NAT0], None, tag="vpc-l"),
     "PASS"),
    ("a peered VPC in a range outside RFC 1918 takes nothing from the NAT path",
     lambda: base([LOCAL, NAT0, PCX, ("11.1.0.0/16", "vpc-peering", "pcx-9", "active")],
                  [DBL, BACK]), "PASS"),
    ("only the database VPC's secondary block routed",
     lambda: base([LOCAL, NAT0, ("100.64.0.0/16", "vpc-peering", "pcx-1", "active")],
                  [DBL, BACK], peer_cidrs=("10.1.0.0/16", "100.64.0.0/16")), "UNKNOWN"),
    ("a more specific blackhole route drops the Lambda subnet's way back",
     lambda: base([LOCAL, NAT0, PCX],
                  [DBL, BACK, ("10.0.1.0/24", "vpc-peering", "pcx-gone", "blackhole")]), "FAIL"),
    # ground-truth trial round 6: a route back only in a table no subnet uses routes no reply
    ("the route back only in a table no subnet uses",
     lambda: base([LOCAL, NAT0, PCX], db_subnets=["subnet-db"], db_tables=[
         rt("rtb-db", "vpc-db", ["subnet-db"], [DBL]),
         rt("rtb-main", "vpc-db", [], [DBL], main=True),
         rt("rtb-spare", "vpc-db", [], [DBL, BACK])]), "FAIL"),
    ("the route back only in a main table every subnet has left",
     lambda: base([LOCAL, NAT0, PCX], db_subnets=["subnet-db"], db_tables=[
         rt("rtb-db", "vpc-db", ["subnet-db"], [DBL]),
         rt("rtb-main", "vpc-db", [], [DBL, BACK], main=True)]), "FAIL"),
    ("the route back in the main table of a subnet with no association",
     lambda: base([LOCAL, NAT0, PCX], db_subnets=["subnet-db", "subnet-db2"], db_tables=[
         rt("rtb-db", "vpc-db", ["subnet-db"], [DBL]),
         rt("rtb-main", "vpc-db", [], [DBL, BACK], main=True)]), "PASS"),
    ("the route back in a table a subnet is associated with",
     lambda: base([LOCAL, NAT0, PCX], db_subnets=["subnet-db"], db_tables=[
         rt("rtb-db", "vpc-db", ["subnet-db"], [DBL, BACK]),
         rt("rtb-main", "vpc-db", [], [DBL], main=True)]), "PASS"),
    # ground-truth trial round 20: the database is in one of its VPC's subnets
    ("the peering route covers a part of the database VPC holding none of its subnets",
     lambda: base([LOCAL, NAT0, ("10.1.128.0/17", "vpc-peering", "pcx-1", "active")],
                  [DBL, BACK], db_subnets=[("subnet-db", "10.1.1.0/24")]), "FAIL"),
    ("the peering route covers every subnet of the database VPC, not all of its CIDR",
     lambda: base([LOCAL, NAT0, ("10.1.0.0/20", "vpc-peering", "pcx-1", "active")],
                  [DBL, BACK], db_subnets=[("subnet-db", "10.1.1.0/24"),
                                           ("subnet-db2", "10.1.2.0/24")]), "PASS"),
    ("the peering route covers one of the database VPC's two subnets",
     lambda: base([LOCAL, NAT0, ("10.1.0.0/20", "vpc-peering", "pcx-1", "active")],
                  [DBL, BACK], db_subnets=[("subnet-db", "10.1.1.0/24"),
                                           ("subnet-db2", "10.1.200.0/24")]), "UNKNOWN"),
    ("a partial peering route while the database VPC has no subnet listed",
     lambda: base([LOCAL, NAT0, ("10.1.128.0/17", "vpc-peering", "pcx-1", "active")],
                  [DBL, BACK]), "UNKNOWN"),
    # ground-truth trial round 30: a database VPC reached only through a transit gateway
    # (no peering) was "no VPC peering", FAIL, where the endpoint's way through one is UNKNOWN
    ("no peering, the database VPC routed both ways through a transit gateway",
     lambda: base([LOCAL, NAT0, TGW_DB], [DBL, TGW_BACK], peered=False), "UNKNOWN"),
    ("no peering, part of the database VPC routed through a transit gateway",
     lambda: base([LOCAL, NAT0, ("10.1.0.0/17", "transit-gateway", "tgw-1", "active")],
                  [DBL, TGW_BACK], peered=False), "UNKNOWN"),
    ("no peering, every private address sent to a transit gateway hub",
     lambda: base([LOCAL, NAT0, ("10.0.0.0/8", "transit-gateway", "tgw-1", "active")],
                  [DBL, TGW_BACK], peered=False), "UNKNOWN"),
    ("no peering, the transit gateway route of the Lambda's side in state blackhole",
     lambda: base([LOCAL, NAT0, ("10.1.0.0/16", "transit-gateway", "tgw-1", "blackhole")],
                  [DBL, TGW_BACK], peered=False), "FAIL"),
    ("no peering, no route back from the database VPC through the transit gateway",
     lambda: base([LOCAL, NAT0, TGW_DB], [DBL], peered=False), "FAIL"),
    ("no peering and no route to the database VPC at all",
     lambda: base([LOCAL, NAT0], [DBL, TGW_BACK], peered=False), "FAIL"),
    ("more specific blackhole routes drop the public traffic",
     lambda: base([LOCAL, NAT0, ("0.0.0.0/1", "nat-gateway", "nat-gone", "blackhole"),
                   ("128.0.0.0/1", "nat-gateway", "nat-gone", "blackhole"), PCX], [DBL, BACK]),
     "FAIL"),
]


@pytest.mark.parametrize("name,build,expected", CASES, ids=[c[0] for c in CASES])
def test_routes_are_read_as_aws_routes_traffic(name: str, build, expected: str) -> None:
    finding = run(build())
    assert finding.status.value == expected, finding.message
    if expected == "UNKNOWN":
        assert finding.missing


def test_a_peering_route_overridden_by_blackhole_routes_says_so() -> None:
    """Ground-truth trial round 30: the route to pcx-1 whose two halves are more specific
    blackhole routes read "(10.1.0.0/16 goes to pcx-1 instead)"."""
    f = run(base([LOCAL, NAT0, PCX, ("10.1.0.0/17", "transit-gateway", "tgw-1", "blackhole"),
                  ("10.1.128.0/17", "transit-gateway", "tgw-1", "blackhole")], [DBL, BACK]))
    assert f.status.value == "FAIL"
    assert "goes to pcx-1" not in f.message
    assert ("10.1.0.0/17 goes to nothing (a blackhole route to tgw-1) instead, 10.1.128.0/17 "
            "goes to nothing (a blackhole route to tgw-1) instead") in f.message, f.message
