"""The HTML report's "Rotation path of a secret" against what secret-rotation-no-network-path
really said: the rule runs on its own fixture (tests/rules/secret-rotation-no-network-path),
its findings become a findings.json document as a scan writes it (PASS results summarised, so
without evidence), and the view traces every secret from that document and the graph.

A ground-truth trial found the picker listing FAILing secrets as "✓ ok" (a declared database
VPC without a live peering drew no hop at all) and a passing secret's path drawing every
peering of the Lambda's VPC -- rejected, deleted, pending, without a route back -- as "✓ ok"."""

from __future__ import annotations

import re
from typing import Any

import pytest

from helpers.rule_fixture import load_fixture
from reports.html.network import NetworkView, RotationPath, build_network
from scanner.engine import load_ruleset
from scanner.engine.config import parse_config
from scanner.engine.loader import Ruleset
from scanner.engine.output import findings_document
from scanner.engine.runner import evaluate_rules
from scanner.graph.builder import build_graph

RULE = "secret-rotation-no-network-path"
HUB_SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:{}-AbCdEf"
#: the worst state a path may show for each status of its finding
PATH_STATE = {"FAIL": "broken", "UNKNOWN": "unknown", "PASS": "ok"}


def _scan(emit_pass: bool = False) -> tuple[Any, dict[str, Any]]:
    fx = load_fixture(RULE)
    rule = load_ruleset().get(RULE)
    assert rule is not None
    graph = build_graph(fx.snapshot)
    done = evaluate_rules(graph, fx.snapshot, None, Ruleset(rules=(rule,)),
                          parse_config({"emit_pass": emit_pass}, path="test"), fx.now)
    document = findings_document(fx.snapshot, done.findings, done.passed, rules=[RULE])
    return graph, document


def _view(emit_pass: bool = False) -> tuple[NetworkView, dict[str, Any]]:
    graph, document = _scan(emit_pass)
    return build_network(graph, document, central_account="111111111111",
                         account_names={}), document


def _statuses(document: dict[str, Any]) -> dict[str, str]:
    out = {f["resource"]["arn"]: f["status"] for f in document["findings"]}
    for entry in document["passed"]["by_rule"]:
        out.update((arn, "PASS") for arn in entry.get("resources") or ())
    return out


def _path(view: NetworkView, name: str) -> RotationPath:
    return next(p for p in view.paths if p.secret_arn == HUB_SECRET.format(name))


@pytest.mark.parametrize("emit_pass", [False, True])
def test_a_path_is_never_better_than_its_finding(emit_pass: bool) -> None:
    view, document = _view(emit_pass)
    statuses = _statuses(document)
    assert set(statuses.values()) == {"FAIL", "UNKNOWN", "PASS"}
    shown = {p.secret_arn: p.state for p in view.paths}
    assert shown == {arn: PATH_STATE[s] for arn, s in statuses.items()}
    # the picker offers each secret with its path's state
    assert sorted((c.label.split(" · ")[0], c.state) for c in view.choices) == sorted(
        (p.label.split(" · ")[0], p.state) for p in view.paths)


def test_a_declared_database_vpc_without_a_live_peering_is_a_broken_hop() -> None:
    """The database VPC's only peering is deleted: the rule FAILs with "no VPC peering between
    the Lambda's VPC vpc-hub and database VPC vpc-db6"; the path showed no database hop."""
    view, _ = _view()
    path = _path(view, "db-peering-deleted")
    assert path.state == "broken"
    db = [h for h in path.hops if h.kind == "Database VPC"]
    assert [(h.text, h.state) for h in db] == [("vpc-db6", "broken")]
    assert "no VPC peering between the Lambda's VPC vpc-hub and database VPC vpc-db6" \
        in db[0].problem
    assert not [h for h in path.hops if h.kind == "Peering"]  # the deleted one is not served


def test_a_passing_path_draws_only_the_peering_the_rule_checked() -> None:
    """The secret is tagged with vpc-db1; the Lambda's VPC also peers with VPCs whose peering is
    deleted, rejected, pending, without a route back or routed in part: none of them was
    checked for this secret, and none may carry a ✓."""
    view, _ = _view()
    path = _path(view, "good")
    assert path.state == "ok"
    assert [(h.kind, h.text.split(" ")[0]) for h in path.hops[3:]] == [
        ("Secrets Manager", "interface"), ("Peering", "pcx-db1"), ("Database VPC", "vpc-db1")]


@pytest.mark.parametrize("member", ["facts", "problems"])
def test_a_problem_that_names_no_hop_is_still_shown(member: str) -> None:
    """The rule's problems are its facts; a findings.json written before they were kept once
    has them as evidence.problems too (history, ``report --in``): both are read."""
    graph, document = _scan()
    arn = HUB_SECRET.format("no-route-back")
    row = next(f for f in document["findings"] if f["resource"]["arn"] == arn)
    assert "problems" not in row["evidence"]  # written once: as the facts
    row["evidence"][member] = ["something the view cannot place"]
    view = build_network(graph, document, central_account="111111111111", account_names={})
    path = next(p for p in view.paths if p.secret_arn == arn)
    assert path.state == "broken"
    assert [h.problem for h in path.hops if h.state == "broken"] == [
        "something the view cannot place"]


@pytest.mark.parametrize("member", ["facts", "problems"])
def test_problems_left_out_of_the_finding_leave_the_other_hops_unvouched(member: str) -> None:
    """The finding lists the first problems (``facts_total`` counts them all; an older file's
    ``problems_total``): a hop the listed ones do not name may be among the others, so it is
    not drawn as ok."""
    graph, document = _scan()
    arn = HUB_SECRET.format("no-route-back")
    row = next(f for f in document["findings"] if f["resource"]["arn"] == arn)
    row["evidence"][member] = list(row["evidence"]["facts"])
    row["evidence"][f"{member}_total"] = 7
    view = build_network(graph, document, central_account="111111111111", account_names={})
    path = next(p for p in view.paths if p.secret_arn == arn)
    states = {h.kind: h.state for h in path.hops}
    assert states["Peering"] == "broken"
    assert states["Secrets Manager"] == states["Database VPC"] == "unknown"
    assert any("6 more problem(s)" in h.problem for h in path.hops)  # 7 counted, 1 listed


def _without_pass_list(document: dict[str, Any], *, counted: bool) -> None:
    """The PASS summary as it is without ``good``: not listed at all, or (more than
    ``resources_max`` passed) counted without a list."""
    (entry,) = [e for e in document["passed"]["by_rule"] if e["rule_id"] == RULE]
    if counted:
        entry.pop("resources")
    else:
        entry["resources"] = [a for a in entry["resources"] if a != HUB_SECRET.format("good")]


def test_a_secret_the_rule_gave_no_result_is_not_checked_rather_than_ok() -> None:
    graph, document = _scan()
    _without_pass_list(document, counted=False)
    view = build_network(graph, document, central_account="111111111111", account_names={})
    path = _path(view, "good")
    assert path.state == "unknown"
    assert {h.state for h in path.hops[2:]} == {"unknown"}
    assert "not checked: secret-rotation-no-network-path has no result" in path.hops[2].problem


def test_passes_counted_but_not_listed_still_vouch_for_a_judged_secret() -> None:
    """Over 100 PASS results the summary only counts them: a secret with rotation on and no
    FAIL or UNKNOWN finding is one of them."""
    graph, document = _scan()
    _without_pass_list(document, counted=True)
    view = build_network(graph, document, central_account="111111111111", account_names={})
    assert _path(view, "good").state == "ok"
    graph.nodes[HUB_SECRET.format("good")]["rotation_enabled"] = False  # not judged at all
    view = build_network(graph, document, central_account="111111111111", account_names={})
    assert _path(view, "good").state == "unknown"


def test_long_names_stay_told_apart_in_the_path_picker() -> None:
    """Hostile-input trial round 8: the picker cut each secret's label at 120 characters, so
    two 150-character names sharing a 135-character prefix read the same and the account
    after the name was cut away; no full name was anywhere. The label is cut in the middle
    (the distinguishing end kept), names the account, and the full name and ARN stay
    reachable (the option's title, the path's secret hop, which wraps)."""
    import html as html_mod

    from reports.html import render_html

    graph, document = _scan()
    prefix = "p" * 135
    renamed = {}
    for n, (node, attrs) in enumerate(
            (n, a) for n, a in graph.nodes(data=True)
            if str(getattr(a.get("kind"), "value", a.get("kind"))) == "Secret"
            and a.get("rotation_lambda_arn")):
        if n < 2:
            attrs["name"] = renamed[node] = f"{prefix}-tail-number-{n}".ljust(150, "x")
    assert len(renamed) == 2
    view = build_network(graph, document, central_account="111111111111",
                         account_names={"111111111111": "central-" + "n" * 100})
    labels = {c.secret_arn: c for c in view.choices if c.secret_arn in renamed}
    assert len({c.label for c in labels.values()}) == 2  # told apart
    for arn, choice in labels.items():
        assert len(choice.label) <= 130
        assert choice.label.endswith("(111111111111)")  # the account, its id never cut
        assert renamed[arn][-20:] in choice.label  # the end of the name is kept
        assert renamed[arn] in choice.full and choice.secret_arn == arn
    page = render_html(document, graph=graph)
    for arn, name in renamed.items():
        [option] = [o for o in re.findall(r"<option [^>]*>", page) if f'title="{arn}"' in o]
        assert name in html_mod.unescape(option)  # data-label: the full name for the hop
