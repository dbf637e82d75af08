"""The progress line says what it knows: counts and an ETA where the phase counts its work
(collect's account x Regions, access's secrets, the rules), nothing in their place where it
cannot ("0/?" and an empty ETA were shown offline), and API calls only when there are any."""

from __future__ import annotations

import io
import re

from scanner.progress import Progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _frame(progress: Progress, stream: _Terminal) -> str:
    stream.seek(0)
    stream.truncate()
    progress._bar.refresh()  # one frame, now
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", stream.getvalue()).replace("\r", "")


def test_offline_phases_show_counts_only_when_they_have_them() -> None:
    stream = _Terminal()
    with Progress(enabled=True, stream=stream) as progress:
        progress.phase("graph")
        graph = _frame(progress, stream)
        assert "graph" in graph and "/" not in graph and "ETA" not in graph
        assert "calls" not in graph  # an offline scan makes none
        progress.phase("access")
        progress.counts("secrets")(2500, 10000)
        access = _frame(progress, stream)
        assert "2500/10000" in access and "ETA" in access
        progress.phase("rules")  # the previous phase's total does not carry over
        rules = _frame(progress, stream)
        assert "/10000" not in rules and "ETA" not in rules
        progress.counts("rules")(3, 25)
        assert "3/25" in _frame(progress, stream)


def test_collect_shows_its_calls() -> None:
    stream = _Terminal()
    with Progress(enabled=True, stream=stream) as progress:
        progress.phase("collect", total=10, unit="account x Region")
        progress.advance(4)
        frame = _frame(progress, stream)
        assert "4/10" in frame and "0 calls 0 throttled 0 retries" in frame
