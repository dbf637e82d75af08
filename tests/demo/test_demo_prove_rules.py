"""The demo estate through the exposure rules with the solver on (issue 15, use): no
disagreement between evaluator and solver, every FAIL carries its proof, and the solver only
ever takes a FAIL away by a proof (a grant no outside request gets through), never adds one."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from scanner.cli import main
from scanner.demo.server import SKIP_AMIS_ENV
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.engine.runner import is_rule_error
from scanner.graph.builder import build_graph
from scanner.snapshot_io import read_snapshot

RULES = ("secret-policy-public", "secret-policy-external-account", "kms-key-policy-public")


@pytest.fixture(scope="module")
def demo_snapshot(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out_dir = tmp_path_factory.mktemp("demo-prove-rules")
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(io.StringIO()):
        mp.setenv(SKIP_AMIS_ENV, "true")
        assert main(["demo", "--out", str(out_dir)]) == 0
    return read_snapshot(Path(out_dir) / "snapshot.json.gz")


def test_the_exposure_rules_with_the_solver_on_the_demo(demo_snapshot) -> None:  # type: ignore[no-untyped-def]
    full = load_ruleset()
    ruleset = Ruleset(rules=tuple(r for r in full.rules if r.id in RULES))
    graph = build_graph(demo_snapshot)

    def failing(prove: bool) -> dict[tuple[str, str, str | None], dict]:
        config = parse_config({"prove": prove, "prove_timeout": 20}, path="demo")
        findings = evaluate(graph, demo_snapshot, None, ruleset, config)
        assert not [f for f in findings if is_rule_error(f)], \
            [f.message for f in findings if is_rule_error(f)]
        return {(f.rule_id, f.resource.arn, f.principal): dict(f.evidence) for f in findings
                if f.status.value == "FAIL"}

    off, on = failing(False), failing(True)
    assert off, "the demo has exposure findings"
    assert set(on) <= set(off)
    for key, evidence in on.items():
        proof = evidence["proof"]
        assert proof["status"] in ("WITNESS", "UNKNOWN"), (key, proof)
        if proof["decided_by"] == "solver":
            assert proof["status"] == "WITNESS" and proof["witness"]["principal"]
