"""Collection tells its progress phase by phase: assuming a role in every account is a phase
with its count (at 1,000 accounts it took minutes and showed only "start" and a clock)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from conftest import REGION, ROLE, fresh_session
from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect


class _Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def phase(self, name: str, *, total: int | None = None, unit: str = "") -> None:
        self.events.append(("phase", (name, total, unit)))

    def advance(self, n: int = 1) -> None:
        self.events.append(("advance", n))

    def counts(self, unit: str) -> Callable[[int, int], None]:
        return lambda done, total: None


def test_assuming_the_roles_is_a_phase_counted_per_account(tmp_path: Path, estate: Any) -> None:
    recorder = _Recorder()
    accounts = (estate.security, estate.member)
    session = fresh_session()
    collect(CollectOptions(out=tmp_path / "s.json.gz", regions=(REGION,), role_name=ROLE,
                           max_attempts=1, accounts=accounts),
            executor=SynchronousExecutor(), session_factory=lambda _: session,
            progress=recorder)
    phases = [(i, e[1]) for i, e in enumerate(recorder.events) if e[0] == "phase"]
    names = [p[1][0] for p in phases]
    assert names[:3] == ["discover", "assume", "collect"]
    assume_at, collect_at = phases[1][0], phases[2][0]
    assert phases[1][1] == ("assume", 2, "accounts")
    assert recorder.events[assume_at + 1:collect_at] == [("advance", 1)] * 2
