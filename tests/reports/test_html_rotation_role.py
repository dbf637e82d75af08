"""The HTML report's rotation path of a secret whose rotation function's role cannot read it
(secret-rotation-role-cannot-read FAIL): the Lambda hop is broken with the finding's message,
whatever the network says; an UNKNOWN leaves it unknown, a PASS ok. The rule runs on its own
fixture with access analysis, as a scan does."""

from __future__ import annotations

from helpers.rule_fixture import load_fixture

from reports.html.network import build_network
from scanner.access import AccessSettings, analyze_access
from scanner.engine import load_ruleset
from scanner.engine.config import parse_config
from scanner.engine.loader import Ruleset
from scanner.engine.output import findings_document
from scanner.engine.runner import evaluate_rules
from scanner.graph.builder import build_graph

RULE = "secret-rotation-role-cannot-read"
SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:{}-AbCdEf"


def test_the_lambda_hop_is_broken_where_its_role_cannot_read_the_secret() -> None:
    fx = load_fixture(RULE)
    graph = build_graph(fx.snapshot)
    access = analyze_access(graph, fx.snapshot, AccessSettings.from_snapshot(fx.snapshot))
    done = evaluate_rules(graph, fx.snapshot, access,
                          Ruleset(rules=(load_ruleset().get(RULE),)),  # type: ignore[arg-type]
                          parse_config({}, path="test"), fx.now)
    document = findings_document(fx.snapshot, done.findings, done.passed, rules=[RULE])
    view = build_network(graph, document, central_account="111111111111", account_names={})
    lambda_hop = {p.secret_arn: next(h for h in p.hops if h.kind == "Rotation Lambda")
                  for p in view.paths}
    closed = lambda_hop[SECRET.format("key-closed")]
    assert closed.state == "broken"
    assert "which cannot read the secret: denied by key_policy" in closed.problem
    assert lambda_hop[SECRET.format("role-gone")].state == "broken"
    unknown = lambda_hop[SECRET.format("member-function")]
    assert unknown.state == "unknown"
    assert "gate identity_policy (UNKNOWN" in unknown.problem
    # "reads" is rotated by the same function as key-closed: the hops one Lambda's secrets
    # share are not changed by another secret's broken read
    assert lambda_hop[SECRET.format("reads")].state == "ok"
    assert lambda_hop[SECRET.format("reads")].problem == ""
