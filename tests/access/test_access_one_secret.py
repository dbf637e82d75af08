"""`secretgraph access --secret X` evaluates X alone (at 100,000 secrets a question about
one took the whole estate's analysis first): X's verdict is the one it gets among all, and a
name that is not in the scan is refused before any analysis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.access_estate import replica_estate
from helpers.copies_estate import CONTROLS, copies_estate

from scanner.access import AccessSettings, analyze_access
from scanner.access.report import path_dict
from scanner.graph.builder import build_graph
from scanner.model import Snapshot
from scanner.snapshot_io import write_snapshot


def _verdict(sa: Any) -> Any:
    return (sa.secret_arn, sa.name, sa.breadth, sa.grants, sa.reach, sa.classes, sa.problems,
            [path_dict(p, sa.secret_arn) for p in sa.paths])


def _every_secret_alone_equals_all(snap: Snapshot) -> int:
    settings = AccessSettings.from_snapshot(snap)
    full = analyze_access(build_graph(snap), snap, settings)
    copies = {**full.secrets, **full.replicas}
    for arn, sa in copies.items():
        alone = analyze_access(build_graph(snap), snap, settings, only=frozenset({arn}))
        assert set(alone.secrets) | set(alone.replicas) == {arn}
        assert _verdict({**alone.secrets, **alone.replicas}[arn]) == _verdict(sa)
        assert alone.keys == {}  # a key's report summarises all its secrets: left out
    return len(copies)


@pytest.mark.parametrize("name", sorted(CONTROLS))
def test_each_secret_evaluated_alone_gets_its_verdict_among_all(name: str) -> None:
    assert _every_secret_alone_equals_all(copies_estate(CONTROLS[name])) > 10


def test_a_replica_evaluated_alone_gets_its_verdict_among_all() -> None:
    assert _every_secret_alone_equals_all(replica_estate()) == 2


def test_a_typo_is_refused_before_the_analysis(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import scanner.access as access
    from scanner.cli import main

    write_snapshot(tmp_path / "snapshot.json.gz", copies_estate(()))
    ran: list[object] = []
    real = access.analyze_access

    def spy(*args: Any, **kwargs: Any) -> Any:
        ran.append(kwargs.get("only"))
        return real(*args, **kwargs)

    monkeypatch.setattr(access, "analyze_access", spy)
    assert main(["access", "--in", str(tmp_path), "--secret", "app/nope"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "--secret 'app/nope': no such secret in the scan; closest:" in line
    assert ran == []
    assert main(["access", "--in", str(tmp_path), "--secret", "app/a-1", "--format",
                 "json"]) == 0
    assert ran and ran[-1] is not None and len(ran[-1]) == 1  # type: ignore[arg-type]
