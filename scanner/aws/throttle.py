"""A throttle budget per account, Region and AWS quota bucket: a circuit breaker over
botocore's retries.

botocore's adaptive retries bound one call (``max_attempts``), not a storm: when every
``GetResourcePolicy`` of an account-Region is throttled, each of its 450 secrets ran its own 8
attempts (about 2 s a secret: 2 h for one account-Region) -- fault trial round 3.

So the calls that draw on one AWS request quota ("bucket") in one account-Region share a
budget. AWS's buckets are per operation unless AWS_FACTS.md section 1 says they are shared
(``BUCKETS``): Secrets Manager's GetResourcePolicy shares its 50/s only with Put/Delete/
ValidateResourcePolicy, and DescribeSecret shares one with GetSecretValue (1.1); "Each [KMS]
management API has its own per-second quota" (1.2); EC2 limits are "per account, per Region,
and per API" (1.3). One throttled bucket says nothing about another: keyed by service, a
throttled GetResourcePolicy stopped every DescribeSecret there (fault-injection trial round 5).

A call *gives up on throttling* when botocore's retries end on a throttling answer
(``after-call`` with a throttling error code: it became a ``throttled`` coverage entry). Once
``give_ups`` calls of a key gave up, or the calls that gave up spent ``seconds`` in all (from
the call's start to its last answer: its attempts and back-off), the budget of that key is
spent: every later call of that bucket there fails at once, without being sent, with
``ThrottleBudgetSpent`` -- a ``ClientError`` whose code is ``ThrottleBudgetSpent`` (AWS never
answered it: error kind ``not_sent``), its message beginning ``not sent: throttled``. The next
attempt of a call still retrying is not sent either; that call *was* throttled, so its error
keeps the throttling code last answered in the bucket (kind ``throttled``). Either way the
rules say UNKNOWN for what it would have read.

* A call that is throttled and then answered (adaptive retries doing their job) spends nothing.
* Keys are independent: another Region, account, service or bucket goes on as before.
* The budget is never refilled within a scan: a storm that stops after the budget was spent
  still costs that bucket there its remaining reads (they are UNKNOWN, not guessed), and a
  storm that stops before it was spent costs nothing more.
* One budget per process, shared by its threads (a lock). ``scan --processes`` splits the
  accounts between processes, so one account's calls are always in one process.

The network has a budget too, per endpoint (host and port: a Region's service endpoint is
shared by every account's calls). botocore retries a call whose connection failed or timed out
(ReadTimeoutError, ConnectTimeoutError, EndpointConnectionError) up to ``max_attempts`` times
of up to ``read_timeout`` each: 8 x 60 s for one call, and a hung endpoint made every call of
every account wait that long (fault-injection trial round 8: no total time bound). Once
``network_give_ups`` calls to one endpoint ended on such an error through all their attempts
(``after-call-error``), every later call to it is not sent (code ``EndpointGaveUp``, kind
``not_sent``, the message beginning ``not sent: the endpoint ...``) and a call still retrying
stops at its next attempt (its code the network error's). A timeout that clears before a
call's attempts end spends nothing.

Server errors have a budget too, per key as throttling (account, Region, service, bucket).
botocore retries an HTTP 5xx answer (500, 502, 503, 504) only while its client's retry quota
lasts (500 tokens, 14 a retry: 35 retries), then sends every call once: an API answering 500
for minutes cost one answer per call, and a gateway answering 504 after 30 s about an hour
for an account-Region of 450 secrets (fault-injection trial round 11). Once
``server_give_ups`` calls of a key ended on a 5xx answer that is not a throttling code,
through all their attempts (``after-call``), every later call of that bucket there is not
sent (code ``ServerErrorBudgetSpent``, kind ``not_sent``, the message beginning ``not sent:
server errors``) and a call still retrying stops at its next attempt (its code the 5xx's). A
5xx that clears before a call's attempts end spends nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, NoReturn
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from scanner.aws.errors import THROTTLED_CODES, is_network_error

log = logging.getLogger(__name__)

#: calls of one bucket in one account-Region that may give up on throttling before the rest
#: fail fast (each of them has run its ``max_attempts``)
DEFAULT_GIVE_UPS = 3
#: seconds the calls that gave up may spend in all (attempts and back-off) before the rest fail
#: fast: one EC2 listing throttled through 8 adaptive attempts took about 40 s
DEFAULT_SECONDS = 60.0

#: calls to one endpoint that may end on a network error (through all their attempts) before
#: the rest are not sent: each has waited up to max_attempts x read_timeout
DEFAULT_NETWORK_GIVE_UPS = 2

#: the error code of a call not sent because its endpoint's network budget is spent (kind
#: ``not_sent``); no AWS code
NETWORK_NOT_SENT_CODE = "EndpointGaveUp"

#: calls of one bucket in one account-Region that may end on an HTTP 5xx answer (through all
#: their attempts) before the rest are not sent
DEFAULT_SERVER_GIVE_UPS = 3

#: the error code of a call not sent because its bucket's server-error budget is spent (kind
#: ``not_sent``); no AWS code
SERVER_NOT_SENT_CODE = "ServerErrorBudgetSpent"

#: context keys of a call (botocore's per-call ``context``)
_STARTED = "secretgraph-throttle-started"

Key = tuple[str, str, str, str]  # (account, Region, service, bucket)

#: the error code of a call not sent (scanner.aws.errors: kind ``not_sent``); no AWS code
NOT_SENT_CODE = "ThrottleBudgetSpent"

#: AWS request-quota buckets shared by several operations of one service (botocore service
#: name -> operation -> bucket); any other operation is its own bucket. Secrets Manager
#: (AWS_FACTS.md 1.1, the Secrets Manager quotas page): "GetResourcePolicy +
#: PutResourcePolicy + DeleteResourcePolicy + ValidateResourcePolicy (combined) 50/s",
#: "DescribeSecret + GetSecretValue (combined)", and the combined write APIs. KMS: "Each
#: management API has its own per-second quota" (1.2); EC2: "per account, per Region, and per
#: API" (1.3); IAM, STS, Organizations, Lambda and Service Quotas publish no shared bucket.
_SECRETS_WRITE = "PutSecretValue/UpdateSecret/UpdateSecretVersionStage/replication"
BUCKETS: dict[str, dict[str, str]] = {
    "secretsmanager": {
        **dict.fromkeys(("GetResourcePolicy", "PutResourcePolicy", "DeleteResourcePolicy",
                         "ValidateResourcePolicy"), "Get/Put/Delete/ValidateResourcePolicy"),
        **dict.fromkeys(("DescribeSecret", "GetSecretValue"), "DescribeSecret/GetSecretValue"),
        **dict.fromkeys(("PutSecretValue", "UpdateSecret", "UpdateSecretVersionStage",
                         "ReplicateSecretToRegions", "RemoveRegionsFromReplication",
                         "StopReplicationToReplica"), _SECRETS_WRITE),
        **dict.fromkeys(("RotateSecret", "CancelRotateSecret"), "RotateSecret/CancelRotateSecret"),
        **dict.fromkeys(("TagResource", "UntagResource"), "TagResource/UntagResource"),
    },
}


def bucket_of(service: str, operation: str) -> str:
    """The AWS request-quota bucket ``operation`` of ``service`` draws on (``BUCKETS``; by
    default the operation's own)."""
    return BUCKETS.get(service, {}).get(operation, operation)


class ThrottleBudgetSpent(ClientError):  # type: ignore[misc]
    """A call (or a call's next attempt) that was not sent: its bucket in its account-Region
    spent its throttle budget. A call never sent has the code ``ThrottleBudgetSpent`` (kind
    ``not_sent``); a call stopped between attempts was throttled, and has the throttling code
    last answered in the bucket (kind ``throttled``)."""

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


def _refuse(operation: str, attempt: bool, code: str, failed: str, not_sent_code: str,
            not_sent: str) -> NoReturn:
    """A spent network or server-error budget: a call's next ``attempt`` ends with the error
    it got (``code``: ``failed``), a call not yet sent is ``not_sent_code`` (``not_sent``)."""
    if attempt:
        raise ThrottleBudgetSpent(code=code, operation=operation,
                                  message=f"{code}: {failed}; this call's next attempt was not "
                                          "sent")
    raise ThrottleBudgetSpent(code=not_sent_code, operation=operation, message=not_sent)


class ThrottleBudget:
    """The budgets of every (account, Region, service, bucket) of one process (thread-safe).

    ``give_ups`` or ``seconds`` 0: no limit of that kind (both 0: the budget never runs out)."""

    def __init__(self, give_ups: int = DEFAULT_GIVE_UPS, seconds: float = DEFAULT_SECONDS, *,
                 clock: Callable[[], float] = time.monotonic,
                 network_give_ups: int = DEFAULT_NETWORK_GIVE_UPS,
                 server_give_ups: int = DEFAULT_SERVER_GIVE_UPS) -> None:
        if give_ups < 0 or seconds < 0 or network_give_ups < 0 or server_give_ups < 0:
            raise ValueError("a throttle budget cannot be negative")
        self.give_ups = give_ups
        self.seconds = seconds
        #: 0: no network budget
        self.network_give_ups = network_give_ups
        #: 0: no server-error budget
        self.server_give_ups = server_give_ups
        self._clock = clock
        self._lock = threading.Lock()
        self._states: dict[Key, _State] = {}
        #: by endpoint (``host:port``)
        self._endpoints: dict[str, _State] = {}
        #: server errors, by the same keys as throttling
        self._servers: dict[Key, _State] = {}

    # ------------------------------------------------------------------ accounting

    def _count(self, states: dict[Any, _State], key: Any, code: str, seconds: float,
               spends: Callable[[_State], bool]) -> tuple[int, float] | None:
        """Count one call of ``key`` that gave up (on ``code``, after ``seconds``) in
        ``states``: (calls that gave up, their seconds) when this one spends the budget
        (``spends`` says so of the state), else None (not yet, or spent before)."""
        with self._lock:
            state = states.setdefault(key, _State())
            state.give_ups += 1
            state.seconds += max(0.0, seconds)
            state.code = code
            if state.spent or not spends(state):
                return None
            state.spent = True
            return state.give_ups, state.seconds

    def gave_up(self, key: Key, code: str, seconds: float) -> None:
        """One call of ``key`` ended on a throttling answer after ``seconds``."""
        spent = self._count(self._states, key, code, seconds, lambda st: (
            (self.give_ups > 0 and st.give_ups >= self.give_ups)
            or (self.seconds > 0 and st.seconds >= self.seconds)))
        if spent is None:
            return
        give_ups, spent_seconds = spent
        account, region, service, bucket = key
        log.warning("throttling: %s %s in %s/%s gave up after %d call(s) were throttled through "
                    "all their attempts (%.0f s); its remaining calls there are not sent and "
                    "are reported as not_sent coverage", service, bucket, account, region,
                    give_ups, spent_seconds)

    def check(self, key: Key, operation: str, *, attempt: bool = False) -> None:
        """Raise ``ThrottleBudgetSpent`` when ``key``'s budget is spent: the call is not sent
        (``attempt``: its next attempt is not sent -- a call already under way)."""
        spent_state = self._spent(self._states, key, attempt)
        if spent_state is None:
            return
        code, give_ups, seconds, skipped = spent_state
        service, bucket = key[2], key[3]
        spent = (f"{give_ups} {service} {bucket} call(s) in this account-Region were throttled "
                 f"through all their attempts ({seconds:.0f} s)")
        if attempt:  # sent and throttled: the code AWS answered in this bucket
            raise ThrottleBudgetSpent(
                code=code, operation=operation,
                message=(f"throttled: gave up after {spent}; this call's next attempt was not "
                         f"sent ({skipped} call(s) not sent there so far)"))
        raise ThrottleBudgetSpent(
            code=NOT_SENT_CODE, operation=operation,
            message=(f"not sent: throttled -- {spent}, so the budget of its quota there is "
                     f"spent; this call was not attempted ({skipped} call(s) not sent there "
                     f"so far)"))

    def network_gave_up(self, endpoint: str, code: str, seconds: float) -> None:
        """One call to ``endpoint`` ended on a network error (``code``) after ``seconds``,
        through all its attempts."""
        spent = self._count(self._endpoints, endpoint, code, seconds, lambda st: (
            0 < self.network_give_ups <= st.give_ups))
        if spent is None:
            return
        give_ups, spent_seconds = spent
        log.warning("network: %d call(s) to %s failed (%s) through all their attempts (%.0f s); "
                    "its remaining calls are not sent and are reported as not_sent coverage",
                    give_ups, endpoint, code, spent_seconds)

    def check_endpoint(self, endpoint: str, operation: str, *, attempt: bool = False) -> None:
        """Raise ``ThrottleBudgetSpent`` when ``endpoint``'s network budget is spent: the call
        is not sent (``attempt``: its next attempt is not sent; its code the network error's)."""
        spent_state = self._spent(self._endpoints, endpoint, attempt)
        if spent_state is None:
            return
        code, give_ups, seconds, skipped = spent_state
        failed = (f"{give_ups} call(s) to the endpoint {endpoint} failed ({code}) through all "
                  f"their attempts ({seconds:.0f} s)")
        _refuse(operation, attempt, code, failed, NETWORK_NOT_SENT_CODE,
                f"not sent: the endpoint {endpoint} is failing -- {failed}; this call was not "
                f"attempted ({skipped} call(s) not sent to it so far)")

    def server_gave_up(self, key: Key, code: str, seconds: float) -> None:
        """One call of ``key`` ended on an HTTP 5xx answer (``code``) after ``seconds``,
        through all its attempts."""
        spent = self._count(self._servers, key, code, seconds, lambda st: (
            0 < self.server_give_ups <= st.give_ups))
        if spent is None:
            return
        give_ups, spent_seconds = spent
        account, region, service, bucket = key
        log.warning("server errors: %s %s in %s/%s was answered HTTP 5xx (%s) through all the "
                    "attempts of %d call(s) (%.0f s); its remaining calls there are not sent "
                    "and are reported as not_sent coverage", service, bucket, account, region,
                    code, give_ups, spent_seconds)

    def check_server(self, key: Key, operation: str, *, attempt: bool = False) -> None:
        """Raise ``ThrottleBudgetSpent`` when ``key``'s server-error budget is spent: the call
        is not sent (``attempt``: its next attempt is not sent; its code the 5xx's)."""
        spent_state = self._spent(self._servers, key, attempt)
        if spent_state is None:
            return
        code, give_ups, seconds, skipped = spent_state
        service, bucket = key[2], key[3]
        failed = (f"{give_ups} {service} {bucket} call(s) in this account-Region were answered "
                  f"HTTP 5xx ({code}) through all their attempts ({seconds:.0f} s)")
        _refuse(operation, attempt, code, failed, SERVER_NOT_SENT_CODE,
                f"not sent: server errors -- {failed}; this call was not attempted "
                f"({skipped} call(s) not sent there so far)")

    def _spent(self, states: dict[Any, _State], key: Any,
               attempt: bool) -> tuple[str, int, float, int] | None:
        """(code, calls that gave up, their seconds, calls not sent) of a spent budget, counting
        this call as not sent unless it is a call's next ``attempt``; None while not spent."""
        with self._lock:
            state = states.get(key)
            if state is None or not state.spent:
                return None
            if not attempt:
                state.not_attempted += 1
            return state.code, state.give_ups, state.seconds, state.not_attempted

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
        throttle = bool(self.give_ups or self.seconds)
        network = bool(self.network_give_ups)
        server = bool(self.server_give_ups)
        if not throttle and not network and not server:
            return client
        region = client.meta.region_name
        service = client.meta.service_model.service_name
        events = client.meta.events
        endpoint = _endpoint(client.meta.endpoint_url)

        def key(operation: str) -> Key:
            return (account_id, region, service, bucket_of(service, operation))

        def before_call(model: Any = None, context: Any = None, **_: Any) -> None:
            if throttle:
                self.check(key(model.name), model.name)
            if server:
                self.check_server(key(model.name), model.name)
            if network:
                self.check_endpoint(endpoint, model.name)
            if context is not None:
                context[_STARTED] = self._clock()

        def before_send(event_name: str = "", **_: Any) -> None:
            # before-send.SERVICE.OPERATION
            operation = event_name.rsplit(".", 1)[-1]
            if throttle:
                self.check(key(operation), operation, attempt=True)
            if server:
                self.check_server(key(operation), operation, attempt=True)
            if network:
                self.check_endpoint(endpoint, operation, attempt=True)

        def after_call_error(exception: BaseException | None = None, context: Any = None,
                             **_: Any) -> None:
            # the endpoint's request raised after botocore's retries: a network error ends the
            # call through all its attempts (a ThrottleBudgetSpent of ours is no answer at all)
            if exception is None or not is_network_error(exception):
                return
            started = (context or {}).get(_STARTED)
            elapsed = self._clock() - started if isinstance(started, (int, float)) else 0.0
            self.network_gave_up(endpoint, type(exception).__name__, elapsed)

        def after_call(parsed: Any = None, model: Any = None, context: Any = None,
                       **_: Any) -> None:
            error = parsed.get("Error") if isinstance(parsed, dict) else None
            code = error.get("Code") if isinstance(error, dict) else None
            if code is None or model is None:
                return
            started = (context or {}).get(_STARTED)
            elapsed = self._clock() - started if isinstance(started, (int, float)) else 0.0
            if code in THROTTLED_CODES:
                if throttle:
                    self.gave_up(key(model.name), str(code), elapsed)
                return
            status = (parsed.get("ResponseMetadata") or {}).get("HTTPStatusCode")
            if server and isinstance(status, int) and status >= 500:
                self.server_gave_up(key(model.name), str(code), elapsed)

        events.register_first("before-call", before_call,
                              unique_id="secretgraph-throttle-budget-call")
        events.register_first("before-send", before_send,
                              unique_id="secretgraph-throttle-budget-attempt")
        if throttle or server:
            events.register("after-call", after_call, unique_id="secretgraph-throttle-gave-up")
        if network:
            events.register("after-call-error", after_call_error,
                            unique_id="secretgraph-network-gave-up")
        return client


def _endpoint(url: str | None) -> str:
    """``host:port`` of a client's endpoint URL (the URL itself when it has no host)."""
    parts = urlsplit(url or "")
    if not parts.hostname:
        return url or "(no endpoint)"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"
