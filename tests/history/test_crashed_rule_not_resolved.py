"""A rule that crashed on a resource tonight did not assess it: last night's FAIL of that rule
and resource is "not assessed", never "resolved" in drift, and ``export securityhub
--previous`` does not archive it.

Fault-injection trial round 13: a rule of one's own (``--rules-dir``) whose condition raised
on the 20 secrets that had gained a replica since last night (``replicas lacks_any``: a set of
mappings) became its ONE UNKNOWN finding (resource ``rule:<id>``, scanner.engine.runner
``crash_finding``), and ``secretgraph diff`` listed the 20 FAIL findings of the night before
as resolved; ``export securityhub --previous --dry-run`` archived all 20."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from helpers.engine_helpers import NOW, write_rule
from helpers.scanfactory import document, finding, secret, secret_arn, snapshot, stored
from reports.asff import build_asff
from reports.hub_payload import Previous, build_payload
from scanner.engine import evaluate, parse_config
from scanner.engine.conditions import TRUE, Result
from scanner.engine.context import RuleContext
from scanner.engine.loader import load_rule_paths
from scanner.engine.predicates import PREDICATES
from scanner.graph.builder import build_graph
from scanner.history.diff import diff_scans

RULE = "custom-crashes-on-one"
DB, APP = secret_arn("db"), secret_arn("app")
T1, T2 = "2026-12-05T06:11:31Z", "2026-12-06T06:11:31Z"


@pytest.fixture
def crashing_on_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A rule (of one's own) whose predicate fails every secret and raises on ``db`` alone."""
    def predicate(ctx: RuleContext, node_id: str, attrs: Any, args: Any) -> Result:
        if node_id == DB:
            raise TypeError("unhashable type: 'dict'")
        return Result(outcome=TRUE)

    spec = dataclasses.replace(PREDICATES["rotation_pending_stuck"], fn=predicate)
    monkeypatch.setitem(PREDICATES, "rotation_pending_stuck", spec)
    return write_rule(tmp_path, RULE, "{predicate: rotation_pending_stuck}")


def _nights(rule_file: Path) -> tuple[Any, dict[str, Any], Any, dict[str, Any]]:
    n1 = snapshot("n1", T1, [secret("db"), secret("app")])
    d1 = document(n1, [finding(RULE, DB), finding(RULE, APP)])  # both failing last night
    n2 = snapshot("n2", T2, [secret("db"), secret("app")])
    rows = evaluate(build_graph(n2), n2, None, load_rule_paths([rule_file]),
                    parse_config({}, path="c.yaml"), NOW)
    d2 = document(n2, [f.to_json() for f in rows])
    # tonight, as the engine wrote it: app fails, db is in the rule's one crash finding
    assert {(f["resource"]["arn"], f["status"]) for f in d2["findings"]} == {
        (APP, "FAIL"), (f"rule:{RULE}", "UNKNOWN")}
    return n1, d1, n2, d2


def test_drift_lists_the_crashed_resources_finding_as_not_assessed(crashing_on_db: Path) -> None:
    n1, d1, n2, d2 = _nights(crashing_on_db)
    drift = diff_scans(stored(n1, d1), stored(n2, d2))
    assert [c.id for c in drift.findings_resolved] == []
    reasons = [n.reason for n in drift.not_assessed
               if n.scope == "finding" and n.subject == f"{RULE} {DB}"]
    assert len(reasons) == 1 and "crashed" in reasons[0]


def test_the_security_hub_export_does_not_archive_it(crashing_on_db: Path) -> None:
    _, d1, _, d2 = _nights(crashing_on_db)
    header = {k: v for k, v in d2.items() if k != "findings"}
    sent, counts, _ = build_payload(header, iter(d2["findings"]),
                                    previous=Previous(asff=build_asff(d1)))
    assert counts["archived"] == 0
    assert not [p for p in sent if p.finding().get("RecordState") == "ARCHIVED"]


def test_a_fail_tonight_after_a_crash_last_night_is_not_new(crashing_on_db: Path) -> None:
    """The other way round: last night's scan did not assess db (its rule crashed there)."""
    _, _, n2, d2 = _nights(crashing_on_db)
    n3 = snapshot("n3", "2026-12-07T06:11:31Z", [secret("db"), secret("app")])
    app = next(f for f in d2["findings"] if f["resource"]["arn"] == APP)  # as it was
    d3 = document(n3, [finding(RULE, DB), app])
    drift = diff_scans(stored(n2, d2), stored(n3, d3))
    assert [c.id for c in drift.findings_new] == []
    assert [n.subject for n in drift.not_assessed if n.scope == "finding"] == [f"{RULE} {DB}"]
