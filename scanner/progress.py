"""What a scan is doing, while it does it: a progress display and a hanging-call watchdog.

* On a terminal (stderr is a TTY, no ``--quiet``) a rich progress line shows the phase
  (``PHASES``), the work done out of the total where the phase counts it (assume's accounts,
  collect's accounts x Regions, access's secrets, the rules) with an ETA (the phase's elapsed
  time over the fraction done: it grows while nothing completes), API calls,
  throttles and retries when the scan makes calls, and the elapsed time. It is silent
  otherwise (cron, CI, Lambda), where the log lines and the one-line summary tell the story.
* The watchdog (always on) logs a warning naming the call, account and Region of an API call
  that has not answered after ``hang_after`` seconds, and again each time that much more has
  passed, so a hanging endpoint is not minutes of silence. botocore's own connect and read
  timeouts still end the call; it then becomes a coverage entry.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from types import TracebackType
from typing import Any, Callable, TextIO

from scanner.aws.calls import CallCounter

log = logging.getLogger("secretgraph.progress")

#: the phases of a scan, in order
PHASES = ("discover", "assume", "collect", "read", "graph", "access", "rules", "reports")


class Progress:
    """Progress of one scan. ``phase()`` starts a phase, ``advance()`` counts units of work."""

    def __init__(self, counter: CallCounter | None = None, *, enabled: bool = False,
                 stream: TextIO | None = None, hang_after: float = 30.0,
                 clock: Callable[[], float] | None = None) -> None:
        self.counter = counter or CallCounter()
        #: the bar's clock (elapsed times, the ETA): time.monotonic, a fake one in tests
        self.clock = clock or time.monotonic
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.hang_after = hang_after
        self.current = ""
        self.total: int | None = None
        self.done = 0
        self._bar: Any = None
        #: a terminal under 80 columns: the calls cell leaves out zero throttles and retries
        self._narrow = False
        self._task: Any = None
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._warned: dict[tuple[str, str | None, str | None, float], int] = {}
        #: the API calls, throttles and retries other processes have made that ``counter``
        #: does not hold yet (scan --processes' shards, until their parts are merged)
        self.elsewhere: Callable[[], tuple[int, int, int]] | None = None

    @classmethod
    def for_terminal(cls, counter: CallCounter | None = None, *, quiet: bool = False,
                     stream: TextIO | None = None) -> "Progress":
        stream = stream or sys.stderr
        return cls(counter, enabled=not quiet and _isatty(stream), stream=stream)

    # ----------------------------------------------------------------- lifecycle

    def __enter__(self) -> "Progress":
        try:
            self._start()
        except BaseException:
            # Ctrl-C while the bar starts: ``with`` never calls __exit__, so the bar's refresh
            # thread would go on drawing (after the "interrupted" line) with the cursor hidden
            self.close()
            raise
        return self

    def _start(self) -> None:
        _LIVE.append(self)
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                ProgressColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as RichProgress
            from rich.table import Column
            from rich.text import Text

            class Counted(ProgressColumn):
                """``column``'s cell while the phase has a total; empty before (no "0/?",
                no ETA for a phase that cannot know it)."""

                def __init__(self, column: Any, label: str = "") -> None:
                    super().__init__()
                    self.column, self.label = column, label

                def render(self, task: Any) -> Any:
                    if task.total is None:
                        return Text("")
                    cell = self.column.render(task)
                    return Text(self.label) + cell if self.label else cell

            class Remaining(ProgressColumn):
                """The phase's ETA from its own pace: its elapsed time over the fraction
                done, recomputed each frame, so it grows while nothing completes (rich's
                TimeRemainingColumn divides by the speed of the updates of the last 30 s: a
                stalled scan kept "0:00:01" for 30 s, a new-user trial); unknown
                (-:--:--) until a unit is done."""

                def render(self, task: Any) -> Any:
                    return Text(eta_text(task.elapsed, task.completed, task.total),
                                style="progress.remaining")

            class Calls(ProgressColumn):
                """The API calls cell: the one cut (with an ellipsis) when the line is wider
                than the terminal, so the counts and the times stay whole."""

                def __init__(self) -> None:
                    super().__init__(table_column=Column(no_wrap=False))

                def render(self, task: Any) -> Any:
                    return Text(task.fields["calls"], no_wrap=True, overflow="ellipsis")

            console = Console(file=self.stream, stderr=self.stream is sys.stderr)
            wide = console.width >= 110  # 80 columns must fit: the unit only when there is room
            # under 80 columns (new-user trial round 31: at 60 rich cut every cell, '14/…',
            # '0:0…', the ETA on a second line): throttles and retries only when there are any
            self._narrow = console.width < 80
            # NO_COLOR (no-color.org) takes rich's colours off; its bold stayed, so the phase
            # name is plain there too: a terminal asked for no styling gets none (new-user
            # trial round 29's leftover)
            plain = bool(os.environ.get("NO_COLOR"))
            columns: list[Any] = [TextColumn(("" if plain else "[bold]")
                                             + "{task.description:<7}"),
                                  Counted(MofNCompleteColumn()),
                                  BarColumn(bar_width=16 if wide else
                                            8 if console.width >= 60 else 4)]
            if wide:
                columns.append(TextColumn("{task.fields[unit]}"))
            columns += [Calls(), TimeElapsedColumn(),
                        Counted(Remaining(), "ETA ")]
            self._bar = RichProgress(*columns, console=console, transient=True,
                                     refresh_per_second=4, get_time=self.clock)
            self._bar.start()
            # no phase named before the first one starts (it was drawn "start", not one of
            # the phases docs/configuration.md lists: a new-user trial)
            self._task = self._bar.add_task("", total=None, unit="",
                                            calls=self._calls_text())
            _route_logs_through(self._bar.console)
        self._watchdog = threading.Thread(target=self._watch, name="secretgraph-watchdog",
                                          daemon=True)
        self._watchdog.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop the watchdog and take the bar off the screen, the cursor shown again (safe to
        call twice, and from ``stop_live`` after an interruption)."""
        self._stop.set()
        if self in _LIVE:
            _LIVE.remove(self)
        if self._watchdog is not None:
            self._watchdog.join(timeout=2)
            self._watchdog = None
        bar, self._bar = self._bar, None
        if bar is not None:
            try:
                _route_logs_through(None)
            finally:
                try:
                    bar.stop()
                finally:
                    bar.console.show_cursor(True)

    # ----------------------------------------------------------------- phases

    def phase(self, name: str, *, total: int | None = None, unit: str = "") -> None:
        """Start phase ``name`` (collect: ``total`` account x Region units)."""
        self.current, self.total, self.done = name, total, 0
        log.debug("phase %s%s", name, f" ({total} {unit})" if total is not None else "")
        if self._bar is not None:
            # the phase that ends is drawn as it ended (assume 5/5, not the frame before)
            self._bar.refresh()
            # a task per phase: rich's reset() keeps the previous total when given None
            self._bar.remove_task(self._task)
            self._task = self._bar.add_task(name, total=total, unit=unit,
                                            calls=self._calls_text())

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(self._task, advance=n, calls=self._calls_text())

    def counts(self, unit: str) -> Callable[[int, int], None]:
        """A reporter for the current phase's work counted as it goes: told (done, total)
        (the access analysis' secrets, the rules) it shows ``done/total`` and an ETA."""
        def report(done: int, total: int) -> None:
            self.total, self.done = total, done
            if self._bar is not None:
                self._bar.update(self._task, total=total, completed=done, unit=unit,
                                 calls=self._calls_text())
        return report

    def _calls_text(self) -> str:
        c = self.counter
        calls, throttles, retries = c.total(), c.throttles(), c.retries()
        if self.elsewhere is not None:
            more = self.elsewhere()
            calls, throttles, retries = calls + more[0], throttles + more[1], retries + more[2]
        if not calls and self.current not in ("discover", "assume", "collect"):
            return ""  # an offline scan (--snapshot) or a phase after a scan without calls
        if self._narrow:
            return " ".join([f"{calls} calls"]
                            + [f"{throttles} throttled"] * bool(throttles)
                            + [f"{retries} retries"] * bool(retries))
        return f"{calls} calls {throttles} throttled {retries} retries"

    # ----------------------------------------------------------------- watchdog

    def _watch(self) -> None:
        interval = max(0.2, min(5.0, self.hang_after / 4))
        while not self._stop.wait(interval):
            self.check_hanging()
            if self._bar is not None:
                self._bar.update(self._task, calls=self._calls_text())

    def check_hanging(self, now: float | None = None) -> list[str]:
        """Warn about calls older than ``hang_after`` (once per further ``hang_after``)."""
        now = time.monotonic() if now is None else now
        warned: list[str] = []
        for call in self.counter.in_flight():
            # from its last answer: a call backing off after throttling is not hanging, and
            # named as hanging it hid the call that was (a new-user trial)
            waited = now - (call.answered if call.answered is not None else call.started)
            if waited < self.hang_after:
                continue
            key = (call.operation, call.account_id, call.region, call.started)
            times = int(waited // self.hang_after)
            if self._warned.get(key, 0) >= times:
                continue
            self._warned[key] = times
            where = " ".join(x for x in (call.account_id and f"account {call.account_id}",
                                         call.region and f"Region {call.region}") if x)
            retried = f" (its last retry: {call.throttled} throttling answer(s) before)" \
                if call.throttled else ""
            limits = ""
            if call.max_attempts:
                limits = f" of {call.max_attempts}"
                if call.read_timeout:
                    limits += f", each waiting up to {call.read_timeout:.0f}s for an answer"
            message = (f"no answer from {call.operation} in {where or 'the home account'} "
                       f"after {waited:.0f}s{retried} (endpoint hanging or unreachable?); "
                       f"attempt {call.attempt}{limits}")
            log.warning("%s", message, extra={"account_id": call.account_id,
                                              "region": call.region,
                                              "operation": call.operation})
            warned.append(message)
        return warned


def eta_text(elapsed: float | None, done: float, total: float | None) -> str:
    """H:MM:SS left at the pace so far (``elapsed`` seconds for ``done`` of ``total``
    units), ``-:--:--`` while it cannot be known (nothing done yet)."""
    if total is None or elapsed is None:
        return "-:--:--"
    if done >= total:
        return "0:00:00"
    if done <= 0:
        return "-:--:--"
    seconds = int(elapsed * (total - done) / done + 0.5)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


#: the progress displays started and not closed yet (``stop_live``)
_LIVE: list[Progress] = []


def stop_live() -> None:
    """Close every progress display still on the screen: the CLI calls it before it prints
    an error or "interrupted", so no frame of the bar is drawn after that line and the
    terminal's cursor is shown again."""
    for progress in list(_LIVE):
        try:
            progress.close()
        except Exception:  # noqa: BLE001 -- the error being reported matters more
            pass


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _route_logs_through(console: Any) -> None:
    """While the bar is shown, log lines go through rich's console (printed above the bar)."""
    from scanner.logging_setup import set_console

    set_console(console)
