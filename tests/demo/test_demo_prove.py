"""The demo estate through the prover: solver and evaluator agree on every definite verdict of
its secret and key policies, and every witness replays ALLOWED."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from helpers.prove_crosscheck import cross_check, cross_check_pairs

from scanner.access import AccessSettings
from scanner.cli import main
from scanner.demo.server import SKIP_AMIS_ENV
from scanner.graph.builder import build_graph
from scanner.policy.smt.questions import Prover
from scanner.policy.smt.solve import PROVEN_NONE, UNKNOWN, WITNESS
from scanner.snapshot_io import read_snapshot


@pytest.fixture(scope="module")
def demo_snapshot(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out_dir = tmp_path_factory.mktemp("demo-prove")
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(io.StringIO()):
        mp.setenv(SKIP_AMIS_ENV, "true")
        assert main(["demo", "--out", str(out_dir)]) == 0
    return read_snapshot(Path(out_dir) / "snapshot.json.gz")


def test_solver_and_evaluator_agree_on_the_demo(demo_snapshot) -> None:  # type: ignore[no-untyped-def]
    compared, failures = cross_check(demo_snapshot, "demo")
    assert not failures, "\n".join(failures)
    assert compared >= 20, compared


def test_every_gate_at_once_on_the_demo(demo_snapshot) -> None:  # type: ignore[no-untyped-def]
    compared, failures = cross_check_pairs(demo_snapshot, "demo")
    assert not failures, "\n".join(failures)
    assert compared >= 20, compared


def test_every_demo_secret_gets_an_answer_and_witnesses_replay(demo_snapshot) -> None:  # type: ignore[no-untyped-def]
    settings = AccessSettings.from_snapshot(demo_snapshot)
    prover = Prover(build_graph(demo_snapshot), demo_snapshot, settings, timeout_s=20)
    statuses = []
    for arn in sorted(prover.views):
        read = prover.secret(arn).read
        statuses.append(read.status)
        assert read.status in (PROVEN_NONE, WITNESS, UNKNOWN)
        if read.status == WITNESS:
            assert read.replay and all(v in ("ALLOWED", "NOT_APPLICABLE", "UNKNOWN")
                                       for v in read.replay.values()), read
        if read.status == UNKNOWN:
            assert read.reason
    assert PROVEN_NONE in statuses


def test_demo_readers_with_every_gate_encoded_replay_allowed(demo_snapshot) -> None:  # type: ignore[no-untyped-def]
    """Question 3 on the demo: each conditional reader's witness (identity policies,
    boundary, SCPs included) replays through the evaluator as ALLOWED."""
    from scanner.access import analyze_access

    settings = AccessSettings.from_snapshot(demo_snapshot)
    graph = build_graph(demo_snapshot)
    report = analyze_access(graph, demo_snapshot, settings)
    prover = Prover(graph, demo_snapshot, settings, timeout_s=20)
    answers = [a for sa in report.secrets.values() for a in prover.readers(demo_snapshot, sa)]
    for a in answers:
        assert a.status in (PROVEN_NONE, WITNESS, UNKNOWN), a
        if a.status == WITNESS:
            assert a.replay["decision"] == "ALLOWED", a
        if a.status == UNKNOWN:
            assert a.reason
