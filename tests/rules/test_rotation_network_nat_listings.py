"""secret-rotation-no-network-path: a public NAT gateway is a way to Secrets Manager only when
its own subnet routes the public IPv4 space to an internet gateway, and a failed EC2 listing
makes UNKNOWN only the answers that depend on it, naming that listing (rotation-network
ground-truth trial round 8: repro min_nat_private_subnet.py and edit_nat_listing_failed.py)."""
# mypy: ignore-errors

from __future__ import annotations

from datetime import datetime, timezone

from helpers.rule_fixture import _fill
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph
from scanner.model import Snapshot, from_jsonable

RULE = load_ruleset().get("secret-rotation-no-network-path")
A, B = "111111111111", "222222222222"
R = "us-east-1"
ALL_OUT = {"protocol": "-1", "cidrs": ["0.0.0.0/0"]}


def route(dest, kind, target, state="active"):
    return {"destination_cidr": dest, "target_type": kind, "target_id": target, "state": state}


LOCAL = route("10.0.0.0/16", "local", "local")
NAT0 = route("0.0.0.0/0", "nat-gateway", "nat-1")
IGW0 = route("0.0.0.0/0", "internet-gateway", "igw-1")
PCX = route("10.1.0.0/16", "vpc-peering", "pcx-1")
BACK = route("10.0.0.0/16", "vpc-peering", "pcx-1")


def estate(*, nat_routes=(LOCAL, IGW0), nat_table=True, main_routes=(LOCAL,), endpoint=False,
           private_dns=True, back=True, unread_a=(), unread_b=(), tag="vpc-db", nat_subnet=
           "subnet-pub", lambda_egress=(ALL_OUT,)):
    """vpc-l (account A): the rotation Lambda in subnet-l (rtb-l: local, 0.0.0.0/0 to nat-1,
    the database VPC via pcx-1), nat-1 in subnet-pub (rtb-pub: ``nat_routes``; without
    ``nat_table`` the subnet uses the main table rtb-main: ``main_routes``), and, with
    ``endpoint``, a Secrets Manager interface endpoint whose security group lets HTTPS in from
    the VPC. vpc-db (account B) routes back via pcx-1 when ``back``. ``unread_a`` /
    ``unread_b``: the EC2 listings that failed in each account (``nat_gateways``, ...)."""
    secret = {"arn": f"arn:aws:secretsmanager:{R}:{A}:secret:s-AbCdEf", "kms_key_id": None,
              "rotation_enabled": True, "rotation_days": 30,
              "created": "2026-01-01T00:00:00Z", "last_rotated": "2026-11-01T00:00:00Z",
              "rotation_lambda_arn": f"arn:aws:lambda:{R}:{A}:function:rot",
              "tags": {"secretgraph:db-vpc": tag} if tag is not None else {}}
    pcx = {"peering_id": "pcx-1", "status": "active",
           "requester": {"owner_id": A, "vpc_id": "vpc-l", "region": R, "cidrs": ["10.0.0.0/16"]},
           "accepter": {"owner_id": B, "vpc_id": "vpc-db", "region": R, "cidrs": ["10.1.0.0/16"]}}
    tables = [{"route_table_id": "rtb-l", "vpc_id": "vpc-l", "subnet_ids": ["subnet-l"],
               "is_main": False, "routes": [LOCAL, NAT0, PCX]},
              {"route_table_id": "rtb-main", "vpc_id": "vpc-l", "subnet_ids": [],
               "is_main": True, "routes": list(main_routes)}]
    if nat_table:
        tables.append({"route_table_id": "rtb-pub", "vpc_id": "vpc-l",
                       "subnet_ids": ["subnet-pub"], "is_main": False,
                       "routes": list(nat_routes)})
    ra = {"region": R, "secrets": [secret],
          "vpcs": [{"vpc_id": "vpc-l", "cidrs": ["10.0.0.0/16"]}],
          "subnets": [{"subnet_id": "subnet-l", "vpc_id": "vpc-l", "cidr": "10.0.1.0/24"},
                      {"subnet_id": "subnet-pub", "vpc_id": "vpc-l", "cidr": "10.0.200.0/24"},
                      {"subnet_id": "subnet-ep", "vpc_id": "vpc-l", "cidr": "10.0.9.0/24"}],
          "route_tables": tables,
          "security_groups": [
              {"group_id": "sg-l", "vpc_id": "vpc-l", "egress": list(lambda_egress)},
              {"group_id": "sg-ep", "vpc_id": "vpc-l", "egress": [ALL_OUT],
               "ingress": [{"protocol": "tcp", "from_port": 443, "to_port": 443,
                            "cidrs": ["10.0.0.0/16"]}]}],
          "vpc_endpoints": [{"endpoint_id": "vpce-sm", "vpc_id": "vpc-l",
                             "service_name": f"com.amazonaws.{R}.secretsmanager",
                             "endpoint_type": "Interface", "state": "available",
                             "private_dns_enabled": private_dns, "subnet_ids": ["subnet-ep"],
                             "security_group_ids": ["sg-ep"]}] if endpoint else [],
          "peerings": [dict(pcx)],
          "lambda_functions": [{"arn": f"arn:aws:lambda:{R}:{A}:function:rot", "name": "rot",
                                "vpc_id": "vpc-l", "subnet_ids": ["subnet-l"],
                                "security_group_ids": ["sg-l"]}],
          "nat_gateways": [{"nat_gateway_id": "nat-1", "vpc_id": "vpc-l",
                            "subnet_id": nat_subnet, "state": "available",
                            "connectivity_type": "public"}]}
    rb = {"region": R, "vpcs": [{"vpc_id": "vpc-db", "cidrs": ["10.1.0.0/16"]}],
          "route_tables": [{"route_table_id": "rtb-db", "vpc_id": "vpc-db", "subnet_ids": [],
                            "is_main": True,
                            "routes": [route("10.1.0.0/16", "local", "local")]
                            + ([BACK] if back else [])}],
          "peerings": [dict(pcx)]}
    for reg, unread in ((ra, unread_a), (rb, unread_b)):
        for listing in unread:
            reg[listing] = []
        if unread:
            reg["unread_services"] = ["ec2"] + [f"ec2.{u}" for u in unread]
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


def test_a_nat_gateway_whose_subnet_routes_to_an_internet_gateway_is_a_way_out() -> None:
    finding = run(estate())
    assert finding.status.value == "PASS", finding.message


def test_a_public_nat_gateway_in_a_subnet_without_an_internet_route_is_no_way_out() -> None:
    """Trial round 8, repro min_nat_private_subnet.py: the NAT's subnet table has only the
    local route; the rule said PASS. AWS VPC User Guide, "NAT gateways": "You create a public
    NAT gateway in a public subnet ... You route traffic from the NAT gateway to the internet
    gateway for the VPC"."""
    finding = run(estate(nat_routes=(LOCAL,)))
    assert finding.status.value == "FAIL", finding.message
    assert "nat-1" in finding.message and "internet gateway" in finding.message
    assert "rtb-pub" in finding.message


def test_the_nat_subnet_without_a_table_of_its_own_uses_the_main_table() -> None:
    """Trial round 8: a subnet with no association is routed by the VPC's main table."""
    assert run(estate(nat_table=False, main_routes=(LOCAL,))).status.value == "FAIL"
    assert run(estate(nat_table=False, main_routes=(LOCAL, IGW0))).status.value == "PASS"


def test_a_nat_internet_route_for_only_part_of_the_public_space_is_no_way_out() -> None:
    """Trial round 8: the NAT must send all of the public IPv4 space (the endpoint's addresses
    are not known) to the internet gateway."""
    finding = run(estate(nat_routes=(LOCAL, route("52.94.0.0/16", "internet-gateway", "igw-1"))))
    assert finding.status.value == "FAIL", finding.message


def test_a_nat_subnet_whose_route_table_was_not_read_is_unknown() -> None:
    """Trial round 8: the NAT's subnet's table not in the snapshot (no table of its own and no
    main table) -- UNKNOWN, never PASS."""
    finding = run(_without_main())
    assert finding.status.value == "UNKNOWN", finding.message
    assert any("nat-1" in m for m in finding.missing)


def _without_main():
    snap = estate(nat_table=False)
    from dataclasses import replace
    acct = snap.accounts[0]
    reg = acct.regions[0]
    reg = replace(reg, route_tables=tuple(t for t in reg.route_tables if not t.is_main))
    return replace(snap, accounts=(replace(acct, regions=(reg,)), *snap.accounts[1:]))


# --- one failed EC2 listing decides only what depends on it (trial round 8, repro
# edit_nat_listing_failed.py: DescribeNatGateways alone failed in one account)


def test_a_missing_route_back_fails_whatever_the_database_account_nat_listing_says() -> None:
    """Trial round 8, D2: the database account's NAT gateway listing failed; the missing route
    back (read from its route tables) was reported as "UNKNOWN: not assessed: missing route
    tables of database VPC ...: ec2 ... (listing failed)"."""
    finding = run(estate(back=False, unread_b=("nat_gateways",)))
    assert finding.status.value == "FAIL", finding.message
    assert "no route back" in finding.message


def test_a_reachable_path_is_decided_when_only_the_database_account_nat_listing_failed(
) -> None:
    """Trial round 8: NAT gateways of the database account play no part in the path."""
    finding = run(estate(unread_b=("nat_gateways",)))
    assert finding.status.value == "PASS", finding.message


def test_a_private_dns_endpoint_decides_when_the_nat_listing_failed() -> None:
    """Trial round 8: with the central account's NAT listing failed, cases decided by a
    private-DNS endpoint (where NAT gateways play no part) became UNKNOWN."""
    finding = run(estate(endpoint=True, unread_a=("nat_gateways",)))
    assert finding.status.value == "PASS", finding.message


def test_the_nat_path_with_the_nat_listing_failed_is_unknown_naming_that_listing() -> None:
    """Trial round 8: the UNKNOWN names the listing that failed, not all of EC2."""
    finding = run(estate(unread_a=("nat_gateways",)))
    assert finding.status.value == "UNKNOWN", finding.message
    assert any("ec2.nat_gateways" in m for m in finding.missing), finding.missing
    assert not any("ec2 in" in m for m in finding.missing), finding.missing


def test_a_pass_never_rests_on_an_unread_listing() -> None:
    """Trial round 8: each listing the answer needs, failed alone in the Lambda's account,
    leaves the answer UNKNOWN naming it (the endpoint listing: an endpoint with private DNS
    would decide alone; the route tables: the NAT path and the way to the database)."""
    for listing, kw in (("vpc_endpoints", {}), ("route_tables", {}),
                        ("security_groups", {}), ("security_groups", {"endpoint": True}),
                        ("peerings", {"tag": None}), ("vpcs", {"tag": None})):
        finding = run(estate(unread_a=(listing,), **kw))
        assert finding.status.value == "UNKNOWN", (listing, kw, finding.message)
        assert any(f"ec2.{listing}" in m for m in finding.missing), (listing, finding.missing)
    finding = run(estate(unread_b=("route_tables",)))
    assert finding.status.value == "UNKNOWN", finding.message
    assert any("ec2.route_tables" in m and "vpc-db" in m for m in finding.missing)


def test_the_database_main_table_counts_only_when_its_subnets_were_read() -> None:
    """Trial round 8: the route back only in the database VPC's main table, its subnet listing
    failed: whether a subnet uses that table is not known -- UNKNOWN, not PASS."""
    finding = run(estate(unread_b=("subnets",)))
    assert finding.status.value == "UNKNOWN", finding.message
    assert any("ec2.subnets" in m for m in finding.missing), finding.missing
    assert run(estate(unread_b=("subnets",), back=False)).status.value == "FAIL"


# --- messages (trial round 8, LOW)


def test_an_endpoint_without_private_dns_is_named_not_skipped() -> None:
    """Trial round 8: a same-Region Secrets Manager endpoint without private DNS was skipped
    silently: the FAIL (no endpoint with private DNS, no NAT path) names it."""
    assert run(estate(endpoint=True, private_dns=False)).status.value == "PASS"
    failed = run(estate(endpoint=True, private_dns=False, nat_routes=(LOCAL,)))
    assert failed.status.value == "FAIL"
    assert "endpoint vpce-sm has private DNS off" in failed.message


def test_egress_problems_name_the_lambdas_security_groups() -> None:
    """Trial round 8: egress problems on the NAT path and the database path did not name the
    Lambda's security group ids (the endpoint path did)."""
    finding = run(estate(lambda_egress=()))
    assert finding.status.value == "FAIL"
    assert "the Lambda's security groups sg-l allow no HTTPS (tcp 443) egress to the public" \
        in finding.message
    assert "the Lambda's security groups sg-l allow no egress to 10.1.0.0/16" in finding.message


def test_an_empty_database_vpc_tag_is_declared_empty_not_absent() -> None:
    """Trial round 8: an empty secretgraph:db-vpc tag (no database VPC) gave
    database_vpcs_declared null, as if there were no tag (every peered VPC served)."""
    assert run(estate(tag="", lambda_egress=())).evidence["database_vpcs_declared"] == []
    assert run(estate(tag=None, lambda_egress=())).evidence["database_vpcs_declared"] is None


def test_the_lambdas_blocked_egress_fails_even_with_the_endpoint_security_groups_unread(
) -> None:
    """Trial round 8 (E20): with the endpoint's security groups not read, the Lambda's own
    egress (read) is still checked: letting no HTTPS out to the endpoint is a FAIL whatever
    the endpoint's groups say; letting it out leaves the endpoint's side UNKNOWN."""
    blocked = run(estate(endpoint=True, unread_a=("security_groups",)))
    assert blocked.status.value == "UNKNOWN"  # the Lambda's own groups not read either
    from dataclasses import replace
    snap = estate(endpoint=True, lambda_egress=())
    acct, reg = snap.accounts[0], snap.accounts[0].regions[0]
    reg = replace(reg, security_groups=tuple(g for g in reg.security_groups
                                             if g.group_id != "sg-ep"))
    snap = replace(snap, accounts=(replace(acct, regions=(reg,)), *snap.accounts[1:]))
    finding = run(snap)
    assert finding.status.value == "FAIL", finding.message
    assert "allow no HTTPS (tcp 443) egress to endpoint vpce-sm" in finding.message


# --- the Lambda's VPC comes from its subnets (scanner/collectors/lambda_.py): with
# DescribeSubnets failed the collector cannot name it (fault-injection trial round 8: the
# rule read the Lambda as outside any VPC, a broken path PASSED and three working ones FAILED)


def _vpc_unknown(unread=("subnets",)):
    """The Lambda as the collector records it when the subnet listing failed: its subnets
    are known (VpcConfig.SubnetIds), its VPC is not."""
    from dataclasses import replace
    snap = estate(unread_a=unread)
    acct = snap.accounts[0]
    reg = acct.regions[0]
    fns = tuple(replace(f, vpc_id=None) for f in reg.lambda_functions)
    reg = replace(reg, lambda_functions=fns)
    return replace(snap, accounts=(replace(acct, regions=(reg,)), *snap.accounts[1:]))


def test_a_vpc_lambda_whose_subnets_were_not_listed_is_unknown_naming_that_listing() -> None:
    finding = run(_vpc_unknown())
    assert finding.status.value == "UNKNOWN", finding.message
    assert any("ec2.subnets" in m for m in finding.missing), finding.missing


def test_a_vpc_lambda_without_a_database_tag_and_its_subnets_unlisted_is_not_passed() -> None:
    """Without a declared database VPC the rule said 'Lambda runs outside a VPC: public
    Secrets Manager endpoint' and passed, though the Lambda is in a VPC that may have no way
    out."""
    from dataclasses import replace
    snap = _vpc_unknown()
    acct = snap.accounts[0]
    reg = acct.regions[0]
    secrets = tuple(replace(s, tags={}) for s in reg.secrets)
    snap = replace(snap, accounts=(replace(acct, regions=(replace(reg, secrets=secrets),)),
                                   *snap.accounts[1:]))
    finding = run(snap)
    assert finding.status.value == "UNKNOWN", finding.message


def test_a_lambda_with_no_subnets_is_still_outside_a_vpc() -> None:
    from dataclasses import replace
    snap = estate()
    acct = snap.accounts[0]
    reg = acct.regions[0]
    fns = tuple(replace(f, vpc_id=None, subnet_ids=(), security_group_ids=())
                for f in reg.lambda_functions)
    snap = replace(snap, accounts=(replace(acct, regions=(replace(reg, lambda_functions=fns),)),
                                   *snap.accounts[1:]))
    finding = run(snap)
    assert finding.status.value == "FAIL", finding.message
    assert "not in a VPC" in finding.message
