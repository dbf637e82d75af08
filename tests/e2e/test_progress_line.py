"""The progress line says what it knows: counts and an ETA where the phase counts its work
(collect's account x Regions, access's secrets, the rules), nothing in their place where it
cannot ("0/?" and an empty ETA were shown offline), and API calls only when there are any."""

from __future__ import annotations

import io
import re

import pytest

from scanner.aws.calls import CallCounter
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


def test_ctrl_c_while_the_bar_starts_takes_it_off_and_shows_the_cursor(
        monkeypatch: "pytest.MonkeyPatch") -> None:
    """Ctrl-C between the bar's start and the ``with`` block: __exit__ is never called, so the
    bar went on drawing after "interrupted" and the terminal's cursor stayed hidden (8 of 8
    Ctrl-C at the display's start in a new-user trial)."""
    import time

    import pytest

    from scanner import progress as progress_module

    real = progress_module._route_logs_through

    def interrupted(console: object) -> None:
        if console is not None:  # Ctrl-C once, as the bar takes over the log lines
            raise KeyboardInterrupt
        real(console)

    stream = _Terminal()
    bar = Progress(enabled=True, stream=stream)
    monkeypatch.setattr(progress_module, "_route_logs_through", interrupted)
    with pytest.raises(KeyboardInterrupt):
        with bar:
            pass
    written = stream.getvalue()
    assert written.rfind("\x1b[?25h") > written.rfind("\x1b[?25l") >= 0
    assert progress_module._LIVE == []
    time.sleep(0.6)  # the refresh thread (4 frames a second) is gone
    assert stream.getvalue() == written


def test_the_cli_takes_a_live_bar_off_before_its_error_line() -> None:
    import time

    from scanner.progress import _LIVE, stop_live

    stream = _Terminal()
    bar = Progress(enabled=True, stream=stream)
    bar.__enter__()  # as a command interrupted before its own ``with`` ends
    assert _LIVE == [bar]
    stop_live()
    written = stream.getvalue()
    assert written.rfind("\x1b[?25h") > written.rfind("\x1b[?25l")
    time.sleep(0.6)
    assert stream.getvalue() == written and _LIVE == []


def test_a_phase_is_drawn_as_it_ended_before_the_next_one() -> None:
    """Fresh-eyes trial: 'assume 2/5' was the last frame of that phase before 'collect'."""
    stream = _Terminal()
    with Progress(enabled=True, stream=stream) as progress:
        progress.phase("assume", total=5, unit="accounts")
        progress.advance(5)
        stream.seek(0)
        stream.truncate()
        progress.phase("collect", total=10, unit="accounts x Regions")
        drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", stream.getvalue())
        assert "5/5" in drawn


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _eta(frame: str) -> str:
    match = re.search(r"ETA (\S+)", frame)
    assert match, frame
    return match.group(1)


def test_the_eta_grows_while_nothing_completes() -> None:
    """New-user trial round 9: with collection stalled on a hanging endpoint the ETA stayed at
    "ETA 0:00:01" for about 30 s (rich's column divides by a speed averaged over the updates of
    the last 30 s, and none arrives while stuck); it is the phase's elapsed time over the
    fraction done, so it grows while nothing completes."""
    clock = _Clock()
    stream = _Terminal()
    with Progress(enabled=True, stream=stream, clock=clock) as progress:
        progress.phase("collect", total=10, unit="accounts x Regions")
        clock.now += 1
        progress.advance(1)
        clock.now += 4
        progress.advance(4)  # 5 of 10 in 5 s: 5 s to go
        assert _eta(_frame(progress, stream)) == "0:00:05"
        clock.now += 30  # stalled: nothing completes for 30 s
        assert _eta(_frame(progress, stream)) == "0:00:35"
        clock.now += 60
        assert _eta(_frame(progress, stream)) == "0:01:35"


def test_the_eta_is_unknown_until_something_completes_then_follows_the_phase_pace() -> None:
    """New-user trial round 9: at 1.5 s a call the line showed "ETA 0:00:01" at 0:00:10 (two
    units done 0.2 s apart made rich's speed five units a second). With nothing done yet the
    remaining time is not known, and says so; then it is the phase's own pace."""
    clock = _Clock()
    stream = _Terminal()
    with Progress(enabled=True, stream=stream, clock=clock) as progress:
        progress.phase("collect", total=3, unit="accounts x Regions")
        clock.now += 9
        assert _eta(_frame(progress, stream)) == "-:--:--"
        progress.advance(1)
        clock.now += 0.2
        progress.advance(1)
        clock.now += 0.8  # 2 of 3 in 10 s: about 5 s to go, not 1
        assert _eta(_frame(progress, stream)) == "0:00:05"
        progress.advance(1)
        assert _eta(_frame(progress, stream)) == "0:00:00"


def test_the_first_frame_names_a_documented_phase() -> None:
    """New-user trial round 9: the first phase was drawn "start", not one of the phases
    docs/configuration.md lists; before any phase the line names none."""
    from pathlib import Path

    from scanner.progress import PHASES

    stream = _Terminal()
    with Progress(enabled=True, stream=stream) as progress:
        first = _frame(progress, stream)
        assert "start" not in first
    docs = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    listed = re.search(r"shows the phase \((.*?)\), the units", docs, re.S)
    assert listed, "docs/configuration.md names the progress phases"
    for phase in PHASES:
        assert phase in listed.group(1), phase


def test_no_color_leaves_no_styling_at_all(monkeypatch: "pytest.MonkeyPatch") -> None:
    """NO_COLOR (no-color.org): rich took its colours off but the phase name stayed bold
    (ESC[1m) -- new-user trial round 29's leftover. With NO_COLOR set a frame carries no SGR
    sequence at all; without it the phase name is bold as before."""
    def frame(no_color: bool) -> str:
        if no_color:
            monkeypatch.setenv("NO_COLOR", "1")
        else:
            monkeypatch.delenv("NO_COLOR", raising=False)
        stream = _Terminal()
        with Progress(enabled=True, stream=stream) as progress:
            progress.phase("rules")
            stream.seek(0)
            stream.truncate()
            progress._bar.refresh()
            return stream.getvalue()

    assert re.search(r"\x1b\[[0-9;]*m", frame(True)) is None
    assert "\x1b[1m" in frame(False)


class _Calls(CallCounter):
    """A scan's API call counts, as given."""

    def __init__(self, calls: int, throttled: int = 0, retried: int = 0) -> None:
        super().__init__()
        self.add({"secretsmanager.ListSecrets": calls})
        self._given = (throttled, retried)

    def throttles(self) -> int:
        return self._given[0]

    def retries(self) -> int:
        return self._given[1]


def _collect_frame(columns: int, monkeypatch: "pytest.MonkeyPatch", counter: CallCounter) -> str:
    """collect at 14 of 40 units in 1 s (2 s to go), on a terminal ``columns`` wide."""
    monkeypatch.setenv("COLUMNS", str(columns))
    stream = _Terminal()
    clock = _Clock()
    with Progress(counter, enabled=True, stream=stream, clock=clock) as progress:
        progress.phase("collect", total=40, unit="accounts x Regions")
        clock.now += 1
        progress.advance(14)
        return _frame(progress, stream)


def test_a_60_column_terminal_shows_every_count_and_time_whole(
        monkeypatch: "pytest.MonkeyPatch") -> None:
    """New-user trial round 31: at COLUMNS=60 the collect line ran past the edge, so rich cut
    every cell -- 'collect 14/… ━━━━ 208 calls 0 throttled 0 retries 0:0… ETA' and the ETA
    wrapped onto a second line as '0:00…': the total, the elapsed time and the ETA, the three
    things the line is for, were unreadable. On a narrow terminal the calls cell names
    throttles and retries only when there are any, and is the one cell cut if the line still
    does not fit."""
    quiet = _collect_frame(60, monkeypatch, _Calls(208))
    lines = [line for line in quiet.splitlines() if line.strip()]
    assert len(lines) == 1 and len(lines[0]) <= 60, quiet
    assert "…" not in quiet
    assert re.search(r"collect +14/40 .*208 calls +0:00:01 +ETA 0:00:02", quiet), quiet
    assert "throttled" not in quiet and "retries" not in quiet  # none: nothing to say
    busy = _collect_frame(60, monkeypatch, _Calls(20800, throttled=120, retried=125))
    lines = [line for line in busy.splitlines() if line.strip()]
    assert len(lines) == 1 and len(lines[0]) <= 60, busy
    assert re.search(r"collect +14/40 .*20800 calls.* 0:00:01 +ETA 0:00:02", busy), busy
    # 80 columns and more keep the whole wording, zeros included (docs/configuration.md)
    wide = _collect_frame(80, monkeypatch, _Calls(208))
    assert "208 calls 0 throttled 0 retries" in wide and "…" not in wide, wide
