"""The HTML rotation path puts the Secrets Manager endpoint on the path only when the rule uses
it, and the endpoint's problems on the endpoint's hop (rotation-network ground-truth trial
round 8, repro html_paths.sh, screenshots shot_e14/e15/e20.png).

E14: an endpoint without private DNS beside a working NAT gateway was drawn "✓ Secrets Manager
interface endpoint vpce-..." while the traffic goes through the NAT; E15: the same endpoint
without a NAT was the broken hop; E20/E6: the endpoint's security groups not in the snapshot
made the Network hop (the Lambda's own, fine, security groups) "?" and the endpoint "✓"; an
endpoint security group that blocks HTTPS marked the Network hop broken. docs/reports.md: a
hop is "ok only when the rule checked it and said nothing against it; ? unknown when an input
it needs was not read"."""
# mypy: ignore-errors

from __future__ import annotations

from datetime import datetime, timezone

from helpers.rule_fixture import _fill
from reports.html.network import build_network
from scanner.engine import load_ruleset
from scanner.engine.config import parse_config
from scanner.engine.loader import Ruleset
from scanner.engine.output import findings_document
from scanner.engine.runner import evaluate_rules
from scanner.graph.builder import build_graph
from scanner.model import Snapshot, from_jsonable

RULE = "secret-rotation-no-network-path"
A, R = "111111111111", "us-east-1"
ALL_OUT = {"protocol": "-1", "cidrs": ["0.0.0.0/0"]}
HTTPS_FROM_VPC = {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidrs": ["10.0.0.0/16"]}


def _estate(*, private_dns=True, nat=False, endpoint_sgs=("sg-ep",),
            endpoint_ingress=(HTTPS_FROM_VPC,), lambda_egress=(ALL_OUT,)):
    """A rotation Lambda in vpc-l (subnet-l, security group sg-l), a Secrets Manager
    interface endpoint vpce-sm (subnet-ep, ``endpoint_sgs``) and, with ``nat``, a default
    route to nat-1 in a public subnet; no database VPC (tagged with the Lambda's own)."""
    routes = [{"destination_cidr": "10.0.0.0/16", "target_type": "local", "target_id": "local"}]
    if nat:
        routes.append({"destination_cidr": "0.0.0.0/0", "target_type": "nat-gateway",
                       "target_id": "nat-1"})
    region = {
        "region": R,
        "secrets": [{"arn": f"arn:aws:secretsmanager:{R}:{A}:secret:s-AbCdEf",
                     "kms_key_id": None, "rotation_enabled": True, "rotation_days": 30,
                     "created": "2026-01-01T00:00:00Z", "last_rotated": "2026-11-01T00:00:00Z",
                     "rotation_lambda_arn": f"arn:aws:lambda:{R}:{A}:function:rot",
                     "tags": {"secretgraph:db-vpc": "vpc-l"}}],
        "vpcs": [{"vpc_id": "vpc-l", "cidrs": ["10.0.0.0/16"]}],
        "subnets": [{"subnet_id": "subnet-l", "vpc_id": "vpc-l", "cidr": "10.0.1.0/24"},
                    {"subnet_id": "subnet-ep", "vpc_id": "vpc-l", "cidr": "10.0.9.0/24"},
                    {"subnet_id": "subnet-pub", "vpc_id": "vpc-l", "cidr": "10.0.0.0/24"}],
        "route_tables": [
            {"route_table_id": "rtb-l", "vpc_id": "vpc-l", "subnet_ids": ["subnet-l"],
             "is_main": True, "routes": routes},
            {"route_table_id": "rtb-pub", "vpc_id": "vpc-l", "subnet_ids": ["subnet-pub"],
             "is_main": False, "routes": [routes[0], {
                 "destination_cidr": "0.0.0.0/0", "target_type": "internet-gateway",
                 "target_id": "igw-1"}]}],
        "security_groups": [
            {"group_id": "sg-l", "vpc_id": "vpc-l", "egress": list(lambda_egress)},
            {"group_id": "sg-ep", "vpc_id": "vpc-l", "egress": [ALL_OUT],
             "ingress": list(endpoint_ingress)}],
        "vpc_endpoints": [{"endpoint_id": "vpce-sm", "vpc_id": "vpc-l",
                           "service_name": f"com.amazonaws.{R}.secretsmanager",
                           "endpoint_type": "Interface", "state": "available",
                           "private_dns_enabled": private_dns, "subnet_ids": ["subnet-ep"],
                           "security_group_ids": list(endpoint_sgs)}],
        "lambda_functions": [{"arn": f"arn:aws:lambda:{R}:{A}:function:rot", "name": "rot",
                              "vpc_id": "vpc-l", "subnet_ids": ["subnet-l"],
                              "security_group_ids": ["sg-l"]}],
        "nat_gateways": [{"nat_gateway_id": "nat-1", "vpc_id": "vpc-l",
                          "subnet_id": "subnet-pub", "state": "available",
                          "connectivity_type": "public"}] if nat else []}
    data = {"meta": {"scan_id": "x", "started_at": "2026-11-29T00:00:00Z",
                     "finished_at": "2026-11-29T00:05:00Z", "accounts": [A], "regions": [R],
                     "central_account": A},
            "accounts": [{"account_id": A, "regions": [region], "assumed": True}],
            "coverage": []}
    return from_jsonable(Snapshot, _fill(data))


def _hops(snapshot):
    """(status of the finding, {hop kind: (state, text, problem)}) of the one traced path."""
    rule = load_ruleset().get(RULE)
    graph = build_graph(snapshot)
    done = evaluate_rules(graph, snapshot, None, Ruleset(rules=(rule,)),
                          parse_config({"emit_pass": False}, path="test"),
                          datetime(2026, 11, 29, tzinfo=timezone.utc))
    document = findings_document(snapshot, done.findings, done.passed, rules=[RULE])
    status = done.findings[0].status.value if done.findings else "PASS"
    view = build_network(graph, document, central_account=A, account_names={})
    (path,) = view.paths
    return status, {h.kind: (h.state, h.text, h.problem) for h in path.hops}


def test_an_endpoint_without_private_dns_beside_a_nat_is_not_the_way_drawn() -> None:
    """Trial round 8, E14: traffic goes through the NAT gateway (the endpoint's name is not
    the service's without private DNS); the path drew the endpoint as the way, "✓"."""
    status, hops = _hops(_estate(private_dns=False, nat=True))
    assert status == "PASS"
    state, text, _ = hops["Secrets Manager"]
    assert state == "ok" and text.startswith("NAT gateway nat-1"), hops
    assert "interface endpoint vpce-sm" not in text
    assert "endpoint vpce-sm has private DNS off" in text  # named as not the way


def test_an_endpoint_without_private_dns_alone_is_no_way_drawn() -> None:
    """Trial round 8, E15: "broken Secrets Manager interface endpoint" while the finding says
    there is no endpoint with private DNS."""
    status, hops = _hops(_estate(private_dns=False))
    assert status == "FAIL"
    state, text, _ = hops["Secrets Manager"]
    assert state == "broken" and "interface endpoint vpce-sm" not in text, hops
    assert "with private DNS" in text


def test_endpoint_security_groups_not_read_leave_the_endpoint_unknown_not_the_network() -> None:
    """Trial round 8, E20 / E6: the endpoint's security group not in the snapshot."""
    status, hops = _hops(_estate(endpoint_sgs=("sg-gone",)))
    assert status == "UNKNOWN"
    assert hops["Secrets Manager"][0] == "unknown", hops
    assert "sg-gone" in hops["Secrets Manager"][2]
    assert hops["Network"][0] == "ok", hops


def test_an_endpoint_security_group_blocking_https_breaks_the_endpoint_hop_only() -> None:
    """Trial round 8: the endpoint's own security group lets no HTTPS in; the Network hop
    (the Lambda's security groups, which are fine) was marked broken."""
    status, hops = _hops(_estate(endpoint_ingress=()))
    assert status == "FAIL"
    assert hops["Secrets Manager"][0] == "broken", hops
    assert hops["Network"][0] == "ok", hops


def test_the_lambdas_own_egress_blocking_https_breaks_the_network_hop() -> None:
    """Trial round 8: the Lambda's security group lets no HTTPS out: that is the Network hop's
    (its security groups') problem."""
    status, hops = _hops(_estate(lambda_egress=()))
    assert status == "FAIL"
    assert hops["Network"][0] == "broken", hops


def test_the_lambdas_egress_to_a_prefix_list_leaves_both_hops_unknown() -> None:
    """Trial round 8, E6: the Lambda's egress names a prefix list (its CIDRs not collected):
    neither the Lambda's security groups nor the endpoint is known to pass HTTPS."""
    prefix_list = {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidrs": [],
                   "prefix_list_ids": ["pl-1"]}
    status, hops = _hops(_estate(lambda_egress=(prefix_list,)))
    assert status == "UNKNOWN"
    assert hops["Network"][0] == hops["Secrets Manager"][0] == "unknown", hops


def test_a_problem_found_by_the_endpoint_id_and_by_its_phrase_is_shown_once() -> None:
    """New-user trial round 8: the endpoint hop read "...allow no inbound HTTPS ... sg-...; no
    path to the Secrets Manager endpoint ... (the same text again)": the problem names the
    endpoint's id and says "Secrets Manager endpoint", and the hop joined both finds.
    findings.json holds it once; so does the hop."""
    status, hops = _hops(_estate(endpoint_ingress=()))
    assert status == "FAIL"
    state, _, problem = hops["Secrets Manager"]
    assert state == "broken" and "vpce-sm" in problem, hops
    parts = problem.split("; ")
    assert len(parts) == len(set(parts)), problem
    assert problem.count("no path to the Secrets Manager endpoint") == 1, problem
