"""secret-rotation-no-network-path reads the security groups on the way to Secrets Manager, and
only an endpoint for the Lambda's own Region's Secrets Manager is a way there (ground-truth
trial round 7).

A rotation Lambda reaches an interface endpoint only when the endpoint's security groups let
HTTPS (tcp 443) in from the Lambda (its subnets' addresses, or one of its security groups as
the source) and the Lambda's security groups let HTTPS out to the endpoint's network
interfaces; through a NAT gateway only when the Lambda's egress allows HTTPS to the public
IPv4 space. What the snapshot does not say (an endpoint's security groups or subnets, a rule
covering only part of the addresses) is UNKNOWN, never PASS."""
# mypy: ignore-errors

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from helpers.rule_fixture import _fill
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph
from scanner.model import Snapshot, from_jsonable

RULE = load_ruleset().get("secret-rotation-no-network-path")
A = "111111111111"
R = "us-east-1"
LAMBDA_SUBNET = "10.104.1.0/24"
ENDPOINT_SUBNET = "10.104.9.0/24"


def tcp(port, *cidrs, groups=(), to_port=None, prefix_lists=()):
    return {"protocol": "tcp", "from_port": port, "to_port": to_port or port,
            "cidrs": list(cidrs), "group_ids": list(groups),
            "prefix_list_ids": list(prefix_lists)}


ALL_OUT = {"protocol": "-1", "cidrs": ["0.0.0.0/0"]}
HTTPS_FROM_VPC = tcp(443, "10.104.0.0/16")


def estate(*, lambda_egress=(ALL_OUT,), endpoint_ingress=(HTTPS_FROM_VPC,), shared_sg=False,
           endpoint=True, endpoint_sgs=None, endpoint_subnets=("subnet-ep",),
           service=f"com.amazonaws.{R}.secretsmanager", nat=False, private_dns=True,
           second_subnet=False):
    """One rotation Lambda in vpc-l (subnet 10.104.1.0/24, security group sg-l) and, when
    ``endpoint``, a Secrets Manager interface endpoint in subnet 10.104.9.0/24 with security
    group sg-ep (or, ``shared_sg``, the Lambda's own sg-l, as in the trial's rotate-ep)."""
    secret = {"arn": f"arn:aws:secretsmanager:{R}:{A}:secret:s-AbCdEf", "kms_key_id": None,
              "rotation_enabled": True, "rotation_days": 30,
              "created": "2026-01-01T00:00:00Z", "last_rotated": "2026-11-01T00:00:00Z",
              "rotation_lambda_arn": f"arn:aws:lambda:{R}:{A}:function:rot", "tags": {}}
    routes = [{"destination_cidr": "10.104.0.0/16", "target_type": "local",
               "target_id": "local"}]
    if nat:
        routes.append({"destination_cidr": "0.0.0.0/0", "target_type": "nat-gateway",
                       "target_id": "nat-1"})
    sgs = [{"group_id": "sg-l", "vpc_id": "vpc-l", "egress": list(lambda_egress),
            "ingress": list(endpoint_ingress) if shared_sg else []}]
    if not shared_sg:
        sgs.append({"group_id": "sg-ep", "vpc_id": "vpc-l", "ingress": list(endpoint_ingress),
                    "egress": [ALL_OUT]})
    ep_sgs = endpoint_sgs if endpoint_sgs is not None else (["sg-l"] if shared_sg else ["sg-ep"])
    region = {
        "region": R, "secrets": [secret],
        "vpcs": [{"vpc_id": "vpc-l", "cidrs": ["10.104.0.0/16"]}],
        "subnets": [{"subnet_id": "subnet-l", "vpc_id": "vpc-l", "cidr": LAMBDA_SUBNET},
                    {"subnet_id": "subnet-ep", "vpc_id": "vpc-l", "cidr": ENDPOINT_SUBNET},
                    {"subnet_id": "subnet-pub", "vpc_id": "vpc-l", "cidr": "10.104.0.0/24"},
                    {"subnet_id": "subnet-l2", "vpc_id": "vpc-l", "cidr": "10.104.2.0/24"}],
        "route_tables": [{"route_table_id": "rtb-l", "vpc_id": "vpc-l",
                          "subnet_ids": ["subnet-l", "subnet-l2"], "is_main": True,
                          "routes": routes},
                         # the NAT's own subnet routes to the internet gateway (trial round 8)
                         {"route_table_id": "rtb-pub", "vpc_id": "vpc-l",
                          "subnet_ids": ["subnet-pub"], "is_main": False,
                          "routes": [routes[0], {"destination_cidr": "0.0.0.0/0",
                                                 "target_type": "internet-gateway",
                                                 "target_id": "igw-1"}]}],
        "security_groups": sgs,
        "vpc_endpoints": [{"endpoint_id": "vpce-sm", "vpc_id": "vpc-l", "service_name": service,
                           "endpoint_type": "Interface", "state": "available",
                           "private_dns_enabled": private_dns,
                           "subnet_ids": list(endpoint_subnets),
                           "security_group_ids": list(ep_sgs)}] if endpoint else [],
        "nat_gateways": [{"nat_gateway_id": "nat-1", "vpc_id": "vpc-l",
                          "subnet_id": "subnet-pub", "state": "available",
                          "connectivity_type": "public"}] if nat else [],
        "lambda_functions": [{"arn": f"arn:aws:lambda:{R}:{A}:function:rot", "name": "rot",
                              "vpc_id": "vpc-l",
                              "subnet_ids": ["subnet-l"] + (["subnet-l2"] if second_subnet
                                                            else []),
                              "security_group_ids": ["sg-l"]}]}
    data = {"meta": {"scan_id": "x", "started_at": "2026-11-29T00:00:00Z",
                     "finished_at": "2026-11-29T00:05:00Z", "accounts": [A],
                     "regions": [R], "central_account": A},
            "accounts": [{"account_id": A, "regions": [region], "assumed": True}],
            "coverage": []}
    return from_jsonable(Snapshot, _fill(data))


def run(snap):
    cfg = parse_config({"emit_pass": True}, path="x")
    [f] = evaluate(build_graph(snap), snap, None, Ruleset(rules=(RULE,)), cfg,
                   datetime(2026, 11, 29, tzinfo=timezone.utc))
    return f


CASES = [
    ("the endpoint's security groups let HTTPS in from the Lambda's VPC", lambda: estate(),
     "PASS"),
    # trial round 7, rotate-ep: the Lambda and the endpoint share sg-ep, which has no inbound
    # rule at all -- nothing reaches the endpoint's network interfaces
    ("the endpoint's only security group has no inbound rule",
     lambda: estate(shared_sg=True, endpoint_ingress=()), "FAIL"),
    ("the endpoint lets in only PostgreSQL, not HTTPS",
     lambda: estate(endpoint_ingress=(tcp(5432, "10.104.0.0/16"),)), "FAIL"),
    ("the endpoint lets HTTPS in from another subnet only",
     lambda: estate(endpoint_ingress=(tcp(443, "10.104.200.0/24"),)), "FAIL"),
    ("the endpoint lets HTTPS in from the Lambda's subnet",
     lambda: estate(endpoint_ingress=(tcp(443, LAMBDA_SUBNET),)), "PASS"),
    ("the endpoint lets a port range holding 443 in",
     lambda: estate(endpoint_ingress=(tcp(0, "10.104.0.0/16", to_port=65535),)), "PASS"),
    # a Lambda runs in each of its subnets: an invocation from the other one times out
    ("the endpoint lets HTTPS in from one of the Lambda's two subnets only",
     lambda: estate(second_subnet=True, endpoint_ingress=(tcp(443, LAMBDA_SUBNET),)), "FAIL"),
    ("the endpoint lets HTTPS in from both of the Lambda's subnets",
     lambda: estate(second_subnet=True, endpoint_ingress=(tcp(443, LAMBDA_SUBNET),
                                                          tcp(443, "10.104.2.0/24"))), "PASS"),
    ("the endpoint lets HTTPS in from the Lambda's security group",
     lambda: estate(endpoint_ingress=(tcp(443, groups=["sg-l"]),)), "PASS"),
    ("a shared security group whose inbound rule names itself",
     lambda: estate(shared_sg=True, endpoint_ingress=({"protocol": "-1",
                                                       "group_ids": ["sg-l"]},)), "PASS"),
    ("the endpoint lets HTTPS in from another security group only",
     lambda: estate(endpoint_ingress=(tcp(443, groups=["sg-other"]),)), "FAIL"),
    ("the endpoint lets HTTPS in from part of the Lambda's subnet (its address not collected)",
     lambda: estate(endpoint_ingress=(tcp(443, "10.104.1.0/28"),)), "UNKNOWN"),
    ("the endpoint lets HTTPS in from a prefix list (its CIDRs not collected)",
     lambda: estate(endpoint_ingress=(tcp(443, prefix_lists=["pl-1"]),)), "UNKNOWN"),
    # trial round 7, rotate-sg: sg-narrow allows only tcp 443 to 10.200.0.0/16; the endpoint's
    # network interfaces are elsewhere in the VPC
    ("the Lambda's egress allows HTTPS elsewhere only",
     lambda: estate(lambda_egress=(tcp(443, "10.200.0.0/16"),)), "FAIL"),
    ("the Lambda's egress allows PostgreSQL only, to the endpoint's subnet",
     lambda: estate(lambda_egress=(tcp(5432, ENDPOINT_SUBNET),)), "FAIL"),
    ("the Lambda's egress allows HTTPS to the endpoint's subnet",
     lambda: estate(lambda_egress=(tcp(443, ENDPOINT_SUBNET),)), "PASS"),
    ("the Lambda's egress allows HTTPS to the endpoint's security group",
     lambda: estate(lambda_egress=(tcp(443, groups=["sg-ep"]),)), "PASS"),
    ("the Lambda's egress allows HTTPS to part of the endpoint's subnet",
     lambda: estate(lambda_egress=(tcp(443, "10.104.9.0/28"),)), "UNKNOWN"),
    ("the Lambda's security group has no egress rule", lambda: estate(lambda_egress=()),
     "FAIL"),
    ("the endpoint's security groups were not collected",
     lambda: estate(endpoint_sgs=[]), "UNKNOWN"),
    ("the endpoint names a security group the graph does not have",
     lambda: estate(endpoint_sgs=["sg-gone"]), "UNKNOWN"),
    ("the endpoint's subnets were not collected",
     lambda: estate(endpoint_subnets=()), "UNKNOWN"),
    # with private DNS the Secrets Manager name resolves to the endpoint: a NAT route is not
    # taken, so a blocked endpoint is no path even beside a NAT gateway
    ("a blocked endpoint with private DNS beside a NAT gateway",
     lambda: estate(shared_sg=True, endpoint_ingress=(), nat=True), "FAIL"),
    ("a blocked endpoint without private DNS beside a NAT gateway",
     lambda: estate(shared_sg=True, endpoint_ingress=(), nat=True, private_dns=False), "PASS"),
    # trial round 7, repro/edit2.py: sg-nat's only egress is tcp 5432 to the database VPC
    ("the NAT path with egress to the database port only",
     lambda: estate(endpoint=False, nat=True, lambda_egress=(tcp(5432, "10.10.0.0/16"),)),
     "FAIL"),
    ("the NAT path with HTTPS egress to anywhere",
     lambda: estate(endpoint=False, nat=True, lambda_egress=(tcp(443, "0.0.0.0/0"),)), "PASS"),
    ("the NAT path with HTTPS egress to part of the internet (52.94.0.0/16)",
     lambda: estate(endpoint=False, nat=True, lambda_egress=(tcp(443, "52.94.0.0/16"),)),
     "UNKNOWN"),
    # trial round 7: an endpoint for another Region's Secrets Manager is no path
    ("an endpoint for another Region's Secrets Manager",
     lambda: estate(service="com.amazonaws.eu-west-1.secretsmanager"), "FAIL"),
    ("an endpoint for a service whose name merely ends in .secretsmanager",
     lambda: estate(service="com.example.vpce.us-east-1.secretsmanager"), "FAIL"),
]


@pytest.mark.parametrize("name,build,expected", CASES, ids=[c[0] for c in CASES])
def test_security_groups_and_the_endpoint_region_decide_the_path(name, build, expected):
    """Ground-truth trial round 7: security groups on the path and the endpoint's Region."""
    finding = run(build())
    assert finding.status.value == expected, finding.message
    if expected == "UNKNOWN":
        assert finding.missing


def test_a_blocked_endpoint_is_named_as_the_problem_not_listed_as_checked():
    """Ground-truth trial round 7 (rotate-sg): the evidence listed the endpoint as 'checked'
    although the Lambda's egress could not reach it."""
    finding = run(estate(lambda_egress=(tcp(443, "10.200.0.0/16"),)))
    assert finding.status.value == "FAIL"
    assert "vpce-sm" in finding.message and "443" in finding.message
    assert not any("vpce-sm" in c for c in finding.evidence.get("checked", []))


def test_another_regions_endpoint_is_named_in_the_problem():
    """Ground-truth trial round 7: the FAIL says why the endpoint in the VPC does not count."""
    finding = run(estate(service="com.amazonaws.eu-west-1.secretsmanager"))
    assert "com.amazonaws.eu-west-1.secretsmanager" in finding.message


@pytest.mark.parametrize("name,region,expected", [
    ("com.amazonaws.us-east-1.secretsmanager", "us-east-1", True),
    ("com.amazonaws.eu-west-1.secretsmanager", "us-east-1", False),
    ("cn.com.amazonaws.cn-north-1.secretsmanager", "cn-north-1", True),
    ("com.amazonaws.cn-north-1.secretsmanager", "cn-north-1", True),
    ("cn.com.amazonaws.cn-northwest-1.secretsmanager", "cn-north-1", False),
    ("com.amazonaws.us-east-1.secretsmanager-fips", "us-east-1", False),
    ("com.amazonaws.vpce.us-east-1.vpce-svc-0123.secretsmanager", "us-east-1", False),
])
def test_only_the_lambdas_own_regions_secrets_manager_service_counts(name, region, expected):
    """Ground-truth trial round 7: the service name must be Secrets Manager's in the Lambda's
    Region (com.amazonaws.<region>.secretsmanager; in China also cn.com.amazonaws...)."""
    from scanner.graph.network_path import secretsmanager_endpoint_service
    assert secretsmanager_endpoint_service(name, region) is expected


def test_the_report_does_not_draw_another_regions_endpoint_as_the_way_to_secrets_manager():
    """Ground-truth trial round 7: the HTML report's rotation path drew an endpoint for
    eu-west-1's Secrets Manager as a us-east-1 Lambda's way to Secrets Manager, and badged it
    "Secrets Manager endpoint with private DNS" (ok)."""
    from reports.html.network import build_network
    from scanner.engine.output import findings_document

    snap = estate(service="com.amazonaws.eu-west-1.secretsmanager")
    graph = build_graph(snap)
    finding = run(snap)
    document = findings_document(snap, [finding], None,
                                 rules=["secret-rotation-no-network-path"])
    view = build_network(graph, document, central_account=A, account_names={})
    [path] = view.paths
    [hop] = [h for h in path.hops if h.kind == "Secrets Manager"]
    assert "vpce-sm" not in hop.text and hop.state == "broken"
    assert not any("Secrets Manager endpoint with private DNS" in str(hub)
                   for hub in view.hubs)
