"""The HTML rotation path of a secret rotated by a version or alias of its function draws the
version (``rotate-nat-default-route:7``) and the VPC it runs in, which may differ from the
function's ($LATEST): a version keeps the settings it was published with
(graph.schema.rotation_function). It drew $LATEST's VPC under the function's name while the
rule judged the version."""

from __future__ import annotations

from dataclasses import replace

from helpers.rule_fixture import load_fixture
from reports.html.network import build_network
from scanner.engine import load_ruleset
from scanner.engine.config import parse_config
from scanner.engine.loader import Ruleset
from scanner.engine.output import findings_document
from scanner.engine.runner import evaluate_rules
from scanner.graph.builder import build_graph
from scanner.model import FunctionVersion

RULE = "secret-rotation-no-network-path"
A = "111111111111"
FN = f"arn:aws:lambda:us-east-1:{A}:function:rotate-nat-default-route"
SECRET = f"arn:aws:secretsmanager:us-east-1:{A}:secret:nat-default-route-AbCdEf"


def test_a_versions_path_names_the_version_and_draws_its_own_vpc() -> None:
    fx = load_fixture(RULE)
    region = fx.snapshot.accounts[0].regions[0]
    private = next(f for f in region.lambda_functions if f.name == "rotate-nat-private")
    region = replace(
        region,
        secrets=tuple(replace(s, rotation_lambda_arn=FN + ":7") if s.arn == SECRET else s
                      for s in region.secrets),
        lambda_functions=tuple(replace(f, qualifiers=("7",), qualifier_settings={
            "7": FunctionVersion(role_arn=f.role_arn, subnet_ids=private.subnet_ids,
                                 security_group_ids=private.security_group_ids,
                                 vpc_id=private.vpc_id)}) if f.arn == FN else f
            for f in region.lambda_functions))
    snapshot = replace(fx.snapshot, accounts=(replace(fx.snapshot.accounts[0],
                                                      regions=(region,)),
                                              *fx.snapshot.accounts[1:]))
    graph = build_graph(snapshot)
    done = evaluate_rules(graph, snapshot, None, Ruleset(rules=(load_ruleset().get(RULE),)),
                          parse_config({"emit_pass": False}, path="test"), fx.now)
    document = findings_document(snapshot, done.findings, done.passed, rules=[RULE])
    view = build_network(graph, document, central_account=A, account_names={})
    path = next(p for p in view.paths if p.secret_arn == SECRET)
    texts = " | ".join(f"{h.kind}: {h.text}" for h in path.hops)
    assert "rotate-nat-default-route:7" in texts
    assert private.vpc_id in texts and "vpc-nat-default-route" not in texts
    assert path.state == "broken"  # the rule FAILs it: a private NAT gateway
