"""A throttle budget per account, Region and service: a circuit breaker over botocore's retries.

botocore's adaptive retries bound one call (``max_attempts``), not a storm: when every
``GetResourcePolicy`` of an account-Region is throttled, each of its 450 secrets ran its own 8
attempts (about 2 s a secret: 2 h for one account-Region), and EC2 throttled in one Region ran
its seven listings one after another, 8 attempts each (281 s) -- fault trial round 3.

So the calls of one service in one account-Region share a budget. A call *gives up on
throttling* when botocore's retries end on a throttling answer (``after-call`` with a throttling
error code: it became a ``throttled`` coverage entry). Once ``give_ups`` calls of a key gave
up, or the calls that gave up spent ``seconds`` in all (from the call's start to its last
answer: its attempts and back-off), the budget of that key is spent: every later call of that
service there -- and the next attempt of a call still retrying -- fails at once, without being
sent, with ``ThrottleBudgetSpent``. That is a ``ClientError`` with the throttling code last
answered, so it becomes the same ``throttled`` coverage entry as a throttled call (the rules
say UNKNOWN for what it would have read), its message saying that the call was not attempted.

* A call that is throttled and then answered (adaptive retries doing their job) spends nothing.
* Keys are independent: another Region, another account, another service goes on as before.
* The budget is never refilled within a scan: a storm that stops after the budget was spent
  still costs that service there its remaining reads (they are UNKNOWN, not guessed), and a
  storm that stops before it was spent costs nothing more.
* One budget per process, shared by its threads (a lock). ``scan --processes`` splits the
  accounts between processes, so one account's calls are always in one process.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from botocore.exceptions import ClientError

from scanner.aws.errors import THROTTLED_CODES

log = logging.getLogger(__name__)

#: calls of one service in one account-Region that may give up on throttling before the rest
#: fail fast (each of them has run its ``max_attempts``)
DEFAULT_GIVE_UPS = 3
#: seconds the calls that gave up may spend in all (attempts and back-off) before the rest fail
#: fast: one EC2 listing throttled through 8 adaptive attempts took about 40 s
DEFAULT_SECONDS = 60.0

#: context keys of a call (botocore's per-call ``context``)
_STARTED = "secretgraph-throttle-started"

Key = tuple[str, str, str]  # (account, Region, service)


class ThrottleBudgetSpent(ClientError):  # type: ignore[misc]
    """A call that was not sent: its service in its account-Region spent its throttle
    budget. Classified ``throttled`` (its code is the throttling code last answered there)."""

    def __init__(self, *, code: str, message: str, operation: str) -> None:
        super().__init__({"Error": {"Code": code, "Message": message},
                          "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)


class _State:
    """What one key has spent (mutable, under the budget's lock)."""

    __slots__ = ("give_ups", "seconds", "code", "not_attempted", "spent")

    def __init__(self) -> None:
        self.give_ups = 0
        self.seconds = 0.0
        self.code = "Throttling"
        self.not_attempted = 0
        self.spent = False


class ThrottleBudget:
    """The budgets of every (account, Region, service) of one process (thread-safe).

    ``give_ups`` or ``seconds`` 0: no limit of that kind (both 0: the budget never runs out)."""

    def __init__(self, give_ups: int = DEFAULT_GIVE_UPS, seconds: float = DEFAULT_SECONDS, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if give_ups < 0 or seconds < 0:
            raise ValueError("a throttle budget cannot be negative")
        self.give_ups = give_ups
        self.seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._states: dict[Key, _State] = {}

    # ------------------------------------------------------------------ accounting

    def gave_up(self, key: Key, code: str, seconds: float) -> None:
        """One call of ``key`` ended on a throttling answer after ``seconds``."""
        with self._lock:
            state = self._states.setdefault(key, _State())
            state.give_ups += 1
            state.seconds += max(0.0, seconds)
            state.code = code
            if state.spent:
                return
            state.spent = ((self.give_ups > 0 and state.give_ups >= self.give_ups)
                           or (self.seconds > 0 and state.seconds >= self.seconds))
            if not state.spent:
                return
            give_ups, spent_seconds = state.give_ups, state.seconds
        account, region, service = key
        log.warning("throttling: %s in %s/%s gave up after %d call(s) were throttled through "
                    "all their attempts (%.0f s); its remaining calls there are not sent and "
                    "are reported as throttled coverage", service, account, region, give_ups,
                    spent_seconds)

    def check(self, key: Key, operation: str, *, attempt: bool = False) -> None:
        """Raise ``ThrottleBudgetSpent`` when ``key``'s budget is spent: the call is not sent
        (``attempt``: its next attempt is not sent -- a call already under way)."""
        with self._lock:
            state = self._states.get(key)
            if state is None or not state.spent:
                return
            if not attempt:
                state.not_attempted += 1
            code, give_ups, seconds, skipped = (state.code, state.give_ups, state.seconds,
                                                state.not_attempted)
        service = key[2]
        what = ("this call's next attempt was not sent" if attempt
                else "this call was not attempted")
        raise ThrottleBudgetSpent(
            code=code, operation=operation,
            message=(f"throttled: gave up after {give_ups} {service} call(s) in this "
                     f"account-Region were throttled through all their attempts "
                     f"({seconds:.0f} s); {what} ({skipped} call(s) not attempted there so "
                     f"far)"))

    def spent(self) -> dict[Key, tuple[int, float, int]]:
        """Every key whose budget is spent: (calls that gave up, their seconds, calls not
        attempted)."""
        with self._lock:
            return {key: (s.give_ups, s.seconds, s.not_attempted)
                    for key, s in sorted(self._states.items()) if s.spent}

    # ------------------------------------------------------------------ hooks

    def install(self, client: Any, *, account_id: str) -> Any:
        """The budget's hooks on one client acting in ``account_id``: first on ``before-call``
        (a call not attempted is not counted as sent) and ``before-send`` (a call retrying
        stops at its next attempt), and on ``after-call`` (a call that gave up)."""
        if not self.give_ups and not self.seconds:
            return client
        key: Key = (account_id, client.meta.region_name,
                    client.meta.service_model.service_name)
        events = client.meta.events

        def before_call(model: Any = None, context: Any = None, **_: Any) -> None:
            self.check(key, model.name)
            if context is not None:
                context[_STARTED] = self._clock()

        def before_send(event_name: str = "", **_: Any) -> None:
            # before-send.SERVICE.OPERATION
            self.check(key, event_name.rsplit(".", 1)[-1], attempt=True)

        def after_call(parsed: Any = None, context: Any = None, **_: Any) -> None:
            error = parsed.get("Error") if isinstance(parsed, dict) else None
            code = error.get("Code") if isinstance(error, dict) else None
            if code not in THROTTLED_CODES:
                return
            started = (context or {}).get(_STARTED)
            elapsed = self._clock() - started if isinstance(started, (int, float)) else 0.0
            self.gave_up(key, str(code), elapsed)

        events.register_first("before-call", before_call,
                              unique_id="secretgraph-throttle-budget-call")
        events.register_first("before-send", before_send,
                              unique_id="secretgraph-throttle-budget-attempt")
        events.register("after-call", after_call, unique_id="secretgraph-throttle-gave-up")
        return client
