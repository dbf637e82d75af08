"""Send ASFF findings to Security Hub with BatchImportFindings, and the Workflow.Status of
findings muted or un-muted since the previous export with BatchUpdateFindings
(``update_workflow``: an import cannot change the Workflow of a finding Security Hub holds).

The only module in ``reports/`` that talks to AWS, and it never creates a client itself:
callers pass ``client_for(account_id, region)`` (see ``session_client_factory``).

* Batches of at most 100 findings, each finding at most 240 KB: text over an ASFF limit is cut
  with a marker (``reports.asff.enforce_limits``), then every finding is checked locally with
  ``reports.asff.validate_asff``; one that is still invalid is reported, never sent.
* At most ``rate`` requests per second per account and region (Security Hub allows 10/s,
  burst 30); batches for different accounts are interleaved so one account never waits on
  another.
* Throttling and transient errors are retried with exponential backoff; findings listed in
  ``FailedFindings`` are retried on their own; whatever still fails is in the report.
* A call that got no answer (a read or connect timeout, a connection refused or closed:
  botocore has already made its own attempts) is not retried, and the other batches to the
  same endpoint (every account's, for the Region's endpoint) are reported undelivered
  without being sent: an endpoint that accepts and never answers cost 15 minutes a batch. ``time_limit`` bounds the whole delivery: no request
  or retry starts after it.
* Ctrl-C or SIGTERM while sending raises DeliveryInterrupted (a KeyboardInterrupt) carrying
  the report so far (``interrupted``, ``pending``).
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from reports.asff import MAX_BATCH
from reports.hub_payload import Prepared, WorkflowUpdate, prepare

RETRYABLE_CODES = frozenset({
    "TooManyRequestsException", "ThrottlingException", "Throttling", "LimitExceededException",
    "RequestLimitExceeded", "ServiceUnavailable", "ServiceUnavailableException",
    "InternalException", "InternalFailure", "InternalServerError", "RequestTimeout", "500", "503",
})

ClientFor = Callable[[str, str], Any]


@dataclass(frozen=True, kw_only=True, slots=True)
class Undelivered:
    id: str
    account_id: str
    region: str
    error_code: str
    message: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DeliveryReport:
    attempted: int
    delivered: int
    requests: int
    batches: int
    max_batch_size: int
    undelivered: tuple[Undelivered, ...] = ()
    #: stopped by Ctrl-C or SIGTERM before every finding was delivered or given up
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.undelivered and not self.interrupted

    @property
    def pending(self) -> int:
        """Findings neither delivered nor given up: an interrupted delivery's batch whose
        answer never came (imported or not) and the ones not sent."""
        return self.attempted - self.delivered - len(self.undelivered)

    def to_json(self) -> dict[str, Any]:
        return {
            "attempted": self.attempted, "delivered": self.delivered,
            "requests": self.requests, "batches": self.batches,
            "max_batch_size": self.max_batch_size,
            "interrupted": self.interrupted, "pending": self.pending,
            "undelivered": [
                {"id": u.id, "account_id": u.account_id, "region": u.region,
                 "error_code": u.error_code, "message": u.message} for u in self.undelivered],
        }


class DeliveryInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM while findings were being sent; ``report`` says what was delivered
    by then (``interrupted``; the rest ``pending``)."""

    def __init__(self, report: DeliveryReport) -> None:
        super().__init__("interrupted")
        self.report = report


def _error_code(exc: BaseException) -> tuple[str, str]:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        err = response.get("Error") or {}
        code = str(err.get("Code") or type(exc).__name__)
        return code, str(err.get("Message") or exc)
    return type(exc).__name__, str(exc)


def _retryable(exc: BaseException, code: str) -> bool:
    return code in RETRYABLE_CODES


#: botocore's errors for a call that got no answer at all (they carry no AWS error code)
_NO_ANSWER = frozenset({"EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError",
                        "ConnectionClosedError"})


def _unanswered(exc: BaseException) -> bool:
    return type(exc).__name__ in _NO_ANSWER


def _failed_in(response: Mapping[str, Any], batch: Sequence[Prepared]
               ) -> dict[str, Mapping[str, Any]]:
    """The findings of ``batch`` a BatchImportFindings answer says failed (Id -> its
    FailedFindings entry). An answer whose FailedCount or FailedFindings names failures it
    does not tie to this batch's findings says nothing of which were imported: every finding
    of the batch counts as failed (sent again: an import of the same Id updates it) --
    counting the rest as delivered said 37 of 39 (fault-injection trial round 8). So does an
    answer without the counts the API always answers (required members of its answer, as in
    botocore's model of it): a stub or proxy answering ``200 {}`` was a batch delivered
    (fault-injection trial round 21)."""
    listed = response.get("FailedFindings") or []
    count, success = response.get("FailedCount"), response.get("SuccessCount")
    counted = all(isinstance(n, int) and not isinstance(n, bool) for n in (count, success))
    said = (f"FailedCount {count} with {len(listed)} FailedFindings" if counted else
            "without the counts FailedCount and SuccessCount")
    return _failures_of([p.id for p in batch], listed, lambda item: item.get("Id"),
                        also=count, said=said, done="imported", complete=counted)


def _unprocessed_in(response: Mapping[str, Any], batch: Sequence[WorkflowUpdate]
                    ) -> dict[str, Mapping[str, Any]]:
    """The updates of ``batch`` a BatchUpdateFindings answer says were not made (Id -> its
    UnprocessedFindings entry), read as ``_failed_in`` reads an import's: an entry naming a
    finding the batch did not hold says nothing of which were made, so none of the batch is
    (sent again: setting the same status again changes nothing) -- it was counted as
    len(batch) - 1 made and none reported, so the ledger took every update of the batch as
    made; and so does an answer without its two lists (``200 {}``: every update made)
    (fault-injection trial round 21)."""
    listed = response.get("UnprocessedFindings")
    processed = response.get("ProcessedFindings")
    complete = isinstance(listed, list) and isinstance(processed, list)
    said = (f"{len(listed)} UnprocessedFindings" if isinstance(listed, list) and complete else
            "without the lists ProcessedFindings and UnprocessedFindings")
    return _failures_of([u.id for u in batch], listed if isinstance(listed, list) else [],
                        lambda item: (item.get("FindingIdentifier") or {}).get("Id"),
                        said=said, done="updated", complete=complete)


def _failures_of(batch: Sequence[str], listed: Any, id_of: Callable[[Any], object], *,
                 said: str, done: str, also: object = None,
                 complete: bool = True) -> dict[str, Mapping[str, Any]]:
    """Id -> the entry of ``listed`` (an answer's list of failures) naming that finding of
    ``batch``; every finding of the batch, with an UnexpectedAnswer, when the answer is not
    ``complete`` (it lacks what the API always answers), an entry names none of the batch, or
    ``also`` (a count of failures the answer gives) is more than the entries."""
    ids = set(batch)
    failed = {str(id_of(item)): item for item in listed
              if isinstance(item, Mapping) and str(id_of(item)) in ids}
    if complete and len(failed) == len(listed) and \
            not (isinstance(also, int) and also > len(failed)):
        return failed
    tied = f", {len(failed)} of them of this batch" if complete else ""
    unclear = {"ErrorCode": "UnexpectedAnswer",
               "ErrorMessage": f"Security Hub answered {said}{tied}: which findings were "
                               f"{done} is not known"}
    return {i: unclear for i in batch}


def _endpoint(client: Any, key: tuple[str, str]) -> str:
    """Where ``client`` sends its calls (a botocore client's endpoint URL), else the account
    and Region it is for."""
    url = getattr(getattr(client, "meta", None), "endpoint_url", None)
    return str(url) if url else f"{key[0]} {key[1]}"


class _RateLimiter:
    """At most ``rate`` calls per second per key, on one thread (clock and sleep injectable)."""

    def __init__(self, rate: float, clock: Callable[[], float],
                 sleep: Callable[[float], None]) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next: dict[tuple[str, str], float] = {}

    def ready_at(self, key: tuple[str, str]) -> float:
        return self._next.get(key, 0.0)

    def wait(self, key: tuple[str, str], not_before: float = 0.0) -> None:
        due = max(self._next.get(key, 0.0), not_before)
        now = self._clock()
        if due > now:
            self._sleep(due - now)
        self._next[key] = max(self._clock(), due) + self._interval


def send_findings(
    findings: Sequence[Mapping[str, Any] | Prepared],
    *,
    client_for: ClientFor,
    rate: float = 10.0,
    max_attempts: int = 5,
    base_delay: float = 0.5,
    max_delay: float = 20.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    time_limit: float | None = None,
) -> DeliveryReport:
    """Import ``findings`` (ASFF dicts, or reports.hub_payload.Prepared: held as JSON until
    their batch is sent) into Security Hub; report what was not delivered. ``time_limit``
    (seconds): no request or retry starts after it (a call under way still ends by its own
    timeouts)."""
    undelivered: list[Undelivered] = []
    groups: "OrderedDict[tuple[str, str], list[Prepared]]" = OrderedDict()
    for original in findings:
        p = original if isinstance(original, Prepared) else prepare(original)
        if p.problems:
            undelivered.append(Undelivered(id=p.id, account_id=p.target[0],
                                           region=p.target[1], error_code="InvalidFinding",
                                           message="; ".join(p.problems)[:2000]))
            continue
        groups.setdefault(p.target, []).append(p)

    # a queue of (key, batch, attempt, not_before, last error) interleaved across accounts
    # and regions
    queue: deque[tuple[tuple[str, str], list[Prepared], int, float,
                       tuple[str, str] | None]] = deque()
    chunks = {key: [items[i:i + MAX_BATCH] for i in range(0, len(items), MAX_BATCH)]
              for key, items in groups.items()}
    while any(chunks.values()):
        for key in list(chunks):
            if chunks[key]:
                queue.append((key, chunks[key].pop(0), 1, 0.0, None))
    batches = len(queue)
    max_batch = max((len(b) for _, b, _, _, _ in queue), default=0)
    deadline = clock() + time_limit if time_limit is not None else None

    limiter = _RateLimiter(rate, clock, sleep)
    clients: dict[tuple[str, str], Any] = {}
    broken: dict[tuple[str, str], tuple[str, str]] = {}
    #: endpoints (the Region's Security Hub endpoint, or the one given) a call got no answer
    #: from: every account's batches there would wait as long again
    silent: dict[str, tuple[str, str]] = {}
    delivered = 0
    requests = 0

    def give_up(key: tuple[str, str], items: Iterable[Prepared], code: str,
                message: str) -> None:
        for p in items:
            undelivered.append(Undelivered(id=p.id, account_id=key[0],
                                           region=key[1], error_code=code, message=message))

    def backoff(attempt: int) -> float:
        return min(max_delay, base_delay * (2 ** (attempt - 1)))

    def out_of_time(key: tuple[str, str], batch: list[Prepared], not_before: float,
                    last: tuple[str, str] | None) -> bool:
        """Past ``time_limit`` (or it would be before the batch may go): give the batch up."""
        if deadline is None or max(clock(), not_before, limiter.ready_at(key)) < deadline:
            return False
        limit = f"the export's time limit ({time_limit:g} s) ran out"
        if last is not None:
            give_up(key, batch, last[0], f"{last[1]} (not retried: {limit})")
        else:
            give_up(key, batch, "TimeLimitExceeded", f"not sent: {limit}")
        return True

    def deliver() -> None:
        nonlocal delivered, requests
        while queue:
            # take the entry that may go first (keeps other accounts moving while one backs off)
            best = min(range(len(queue)),
                       key=lambda i: max(limiter.ready_at(queue[i][0]), queue[i][3]))
            queue.rotate(-best)
            key, batch, attempt, not_before, last = queue.popleft()
            if key in broken:
                give_up(key, batch, *broken[key])
                continue
            if out_of_time(key, batch, not_before, last):
                continue
            if key not in clients:
                try:
                    clients[key] = client_for(*key)
                except Exception as exc:  # no session for that account: report, never drop
                    broken[key] = _error_code(exc)
                    give_up(key, batch, *broken[key])
                    continue
                if out_of_time(key, batch, not_before, last):  # AssumeRole took the rest
                    continue
            endpoint = _endpoint(clients[key], key)
            if endpoint in silent:
                give_up(key, batch, *silent[endpoint])
                continue
            limiter.wait(key, not_before)
            requests += 1
            try:
                response = clients[key].batch_import_findings(
                    Findings=[p.finding() for p in batch])
            except Exception as exc:  # classified below; nothing is swallowed
                code, message = _error_code(exc)
                if _unanswered(exc):  # the endpoint's other batches would wait as long
                    silent[endpoint] = (code, f"not sent: an earlier batch to {endpoint} got "
                                              f"no answer ({message})")
                    give_up(key, batch, code, message)
                elif _retryable(exc, code) and attempt < max_attempts:
                    queue.append((key, batch, attempt + 1, clock() + backoff(attempt),
                                  (code, message)))
                else:
                    give_up(key, batch, code, message)
                continue
            failed = _failed_in(response, batch)
            delivered += len(batch) - len(failed)
            if failed:
                retry = [item for item in batch if item.id in failed]
                if attempt < max_attempts:
                    first = failed[retry[0].id] if retry else {}
                    queue.append((key, retry, attempt + 1, clock() + backoff(attempt),
                                  (str(first.get("ErrorCode") or "FailedFinding"),
                                   str(first.get("ErrorMessage") or ""))))
                else:
                    for item in retry:
                        error = failed[item.id]
                        give_up(key, [item], str(error.get("ErrorCode") or "FailedFinding"),
                                str(error.get("ErrorMessage") or ""))

    def report(*, interrupted: bool = False) -> DeliveryReport:
        return DeliveryReport(attempted=len(findings), delivered=delivered, requests=requests,
                              batches=batches, max_batch_size=max_batch,
                              undelivered=tuple(undelivered), interrupted=interrupted)

    try:
        deliver()
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (scanner.errors.Terminated)
        raise DeliveryInterrupted(report(interrupted=True)) from exc
    return report()


def update_workflow(
    updates: Sequence[WorkflowUpdate],
    *,
    client_for: ClientFor,
    rate: float = 10.0,
    max_attempts: int = 5,
    base_delay: float = 0.5,
    max_delay: float = 20.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    time_limit: float | None = None,
) -> DeliveryReport:
    """Set the Workflow.Status of findings Security Hub holds (after their import), with
    BatchUpdateFindings: one status per request, at most 100 findings ("BatchUpdateFindings
    can be used to update up to 100 findings at a time", Security Hub API), to the account and
    Region each was imported into, at most ``rate`` requests per second there (10 rps, burst
    30: docs AWS_FACTS 1.5). A call that got no answer ends the updates to its endpoint, as
    in send_findings. Throttling and transient errors back off and retry; the findings
    of ``UnprocessedFindings`` are retried on their own; whatever still fails is in the report
    (``delivered``: findings updated), as for the import."""
    undelivered: list[Undelivered] = []
    groups: "OrderedDict[tuple[str, str, str], list[WorkflowUpdate]]" = OrderedDict()
    for u in updates:
        groups.setdefault((u.target[0], u.target[1], u.status), []).append(u)
    queue: deque[tuple[tuple[str, str, str], list[WorkflowUpdate], int, float,
                       tuple[str, str] | None]] = deque(
        (key, items[i:i + MAX_BATCH], 1, 0.0, None)
        for key, items in groups.items() for i in range(0, len(items), MAX_BATCH))
    batches = len(queue)
    max_batch = max((len(b) for _, b, _, _, _ in queue), default=0)
    deadline = clock() + time_limit if time_limit is not None else None
    limiter = _RateLimiter(rate, clock, sleep)
    clients: dict[tuple[str, str], Any] = {}
    broken: dict[tuple[str, str], tuple[str, str]] = {}
    #: endpoints a call got no answer from, as in send_findings: every other batch there --
    #: any account's -- would wait as long again (fault-injection trial round 11)
    silent: dict[str, tuple[str, str]] = {}
    delivered = requests = 0

    def give_up(items: Iterable[WorkflowUpdate], code: str, message: str) -> None:
        undelivered.extend(Undelivered(id=u.id, account_id=u.target[0], region=u.target[1],
                                       error_code=code, message=message) for u in items)

    try:
        while queue:
            key, batch, attempt, not_before, last = queue.popleft()
            target = (key[0], key[1])
            if deadline is not None and max(clock(), not_before) >= deadline:
                limit = f"the export's time limit ({time_limit:g} s) ran out"
                if last is not None:
                    give_up(batch, last[0], f"{last[1]} (not retried: {limit})")
                else:
                    give_up(batch, "TimeLimitExceeded", f"not sent: {limit}")
                continue
            if target in broken:
                give_up(batch, *broken[target])
                continue
            if target not in clients:
                try:
                    clients[target] = client_for(*target)
                except Exception as exc:  # no session for that account: report, never drop
                    broken[target] = _error_code(exc)
                    give_up(batch, *broken[target])
                    continue
            endpoint = _endpoint(clients[target], target)
            if endpoint in silent:
                give_up(batch, *silent[endpoint])
                continue
            limiter.wait(target, not_before)
            requests += 1
            try:
                response = clients[target].batch_update_findings(
                    FindingIdentifiers=[{"Id": u.id, "ProductArn": u.product_arn}
                                        for u in batch],
                    Workflow={"Status": key[2]})
            except Exception as exc:  # classified below; nothing is swallowed
                code, message = _error_code(exc)
                if _unanswered(exc):  # the endpoint's other batches would wait as long
                    silent[endpoint] = (code, f"not sent: an earlier batch to {endpoint} got "
                                              f"no answer ({message})")
                    give_up(batch, code, message)
                elif _retryable(exc, code) and attempt < max_attempts:
                    queue.append((key, batch, attempt + 1,
                                  clock() + min(max_delay, base_delay * 2 ** (attempt - 1)),
                                  (code, message)))
                else:
                    give_up(batch, code, message)
                continue
            failed = _unprocessed_in(response, batch)
            delivered += len(batch) - len(failed)
            retry = [u for u in batch if u.id in failed]
            if not retry:
                continue
            first = failed[retry[0].id]
            if attempt < max_attempts:
                queue.append((key, retry, attempt + 1,
                              clock() + min(max_delay, base_delay * 2 ** (attempt - 1)),
                              (str(first.get("ErrorCode") or "UnprocessedFinding"),
                               str(first.get("ErrorMessage") or ""))))
            else:
                for u in retry:
                    give_up([u], str(failed[u.id].get("ErrorCode") or "UnprocessedFinding"),
                            str(failed[u.id].get("ErrorMessage") or ""))
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (scanner.errors.Terminated)
        raise DeliveryInterrupted(DeliveryReport(
            attempted=len(updates), delivered=delivered, requests=requests, batches=batches,
            max_batch_size=max_batch, undelivered=tuple(undelivered),
            interrupted=True)) from exc
    return DeliveryReport(attempted=len(updates), delivered=delivered, requests=requests,
                          batches=batches, max_batch_size=max_batch,
                          undelivered=tuple(undelivered))


def session_client_factory(session_for: Callable[[str], Any], *, config: Any = None,
                           endpoint_url: str | None = None) -> ClientFor:
    """``client_for`` from ``session_for(account_id) -> boto3.Session``; sessions and clients
    are cached per account (and region)."""
    sessions: dict[str, Any] = {}
    clients: dict[tuple[str, str], Any] = {}

    def client_for(account_id: str, region: str) -> Any:
        key = (account_id, region)
        if key not in clients:
            if account_id not in sessions:
                sessions[account_id] = session_for(account_id)
            kwargs: dict[str, Any] = {"region_name": region}
            if config is not None:
                kwargs["config"] = config
            if endpoint_url:
                kwargs["endpoint_url"] = endpoint_url
            clients[key] = sessions[account_id].client("securityhub", **kwargs)
        return clients[key]

    return client_for
