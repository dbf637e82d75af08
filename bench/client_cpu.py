"""Benchmark: client CPU per AWS request of a representative scan (issue 12: <= 3 ms).

    python bench/client_cpu.py [--runs 3] [--profile 25] [--out out/bench-client-cpu]

The requests are the collectors' own: the demo estate (5 accounts x 2 Regions, Organizations
discovery, role assumption, every collector, the replication reads) is seeded into an
in-process moto server and collected once through ``scanner.collect.collect`` while a botocore
``before-send`` hook records every HTTP answer. Then the same collection runs again with a
stubbed transport: the hook answers each request from the recording (keyed by method, URL,
X-Amz-Target, body and the signature's access key, Region and service) and nothing is
sent, so no moto (nor socket) time is in the figure. What is left is the client side of the scan: sessions, role assumption, client creation, request
serialisation, signing, the guard, counter, pacing and cancel hooks, response parsing, the
collectors' transforms, the per-account part files and the snapshot writer.

Reported per run: process CPU seconds (user + system, every thread) of ``collect()``, the HTTP
requests answered, and the quotient (ms of client CPU per request), with the 1-minute load.
Each replay runs in a fresh process without moto in it (as a scan would: its own imports,
model loading and garbage collector heap). ``--profile N`` adds a cProfile (CPU time) of one
replayed collection with every pool run inline on one thread (its figure is not the
benchmark's: the profiler costs more than the code) and prints the N most expensive functions by
cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pickle
import pstats
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

Key = tuple[str, str, str, bytes]
Answer = tuple[int, dict[str, str], bytes]


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Raw(io.BytesIO):
    """A raw HTTP body botocore can read or stream."""

    def stream(self, **_: Any) -> Any:
        contents = self.read()
        while contents:
            yield contents
            contents = self.read()


def _key(request: Any) -> Key:
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    elif not isinstance(body, bytes):
        body = body.read()
    target = request.headers.get("X-Amz-Target", b"")
    # the caller and Region: with one endpoint URL for every service and Region, moto (like
    # AWS) reads them from the credential scope of the signature: key/date/region/service
    authorization = request.headers.get("Authorization", b"")
    if isinstance(authorization, bytes):
        authorization = authorization.decode()
    scope = authorization.partition("Credential=")[2].partition(",")[0].split("/")
    caller = "/".join(scope[:1] + scope[2:])  # without the date
    return request.method, request.url, f"{caller} {target!r}", body


class Transport:
    """A before-send hook: records the real answers (``recording``) or replays them."""

    def __init__(self) -> None:
        self.answers: dict[Key, Answer] = {}
        self.recording = True
        self.requests = 0
        self.missing: list[Key] = []
        self._lock = threading.Lock()

    def __call__(self, request: Any = None, **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        key = _key(request)
        with self._lock:
            self.requests += 1
        if self.recording:
            from botocore.httpsession import URLLib3Session

            real = URLLib3Session().send(request)
            answer: Answer = (real.status_code, dict(real.headers.items()), real.content)
            with self._lock:
                self.answers[key] = answer
        else:
            found = self.answers.get(key)
            if found is None:
                with self._lock:
                    self.missing.append(key)
                found = (500, {}, b"not recorded")
            answer = found
        status, headers, body = answer
        return AWSResponse(request.url, status, headers, _Raw(body))

    def factory(self, _: Any) -> Any:
        import boto3

        session = boto3.Session()
        session.events.register("before-send", self, unique_id="bench-stub-transport")
        return session


class _InlinePool:
    """A stand-in for concurrent.futures.ThreadPoolExecutor that runs work at submit."""

    def __init__(self, *_: Any, **__: Any) -> None:
        pass

    def submit(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        import concurrent.futures

        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 -- handed to the caller, as a pool would
            future.set_exception(exc)
        return future

    def map(self, fn: Any, *iterables: Any, **_: Any) -> Any:
        return map(fn, *iterables)

    def shutdown(self, *_: Any, **__: Any) -> None:
        pass


def collect_once(options: Any, transport: Transport, *, executor: Any = None
                 ) -> tuple[float, int]:
    from scanner.collect import collect

    transport.requests = 0
    before = cpu()
    collect(options, session_factory=transport.factory, executor=executor)
    return cpu() - before, transport.requests


def replay(recording: Path, profile: int) -> None:
    """The child: one replayed collection in a fresh process (no moto in it), like a scan."""
    with recording.open("rb") as f:
        options, answers = pickle.load(f)
    transport = Transport()
    transport.answers, transport.recording = answers, False
    executor = None
    if profile:
        import concurrent.futures

        from scanner.aws.executor import SynchronousExecutor

        # cProfile sees one thread: run every pool's work on this one (CPU time, not wall)
        executor = SynchronousExecutor()
        concurrent.futures.ThreadPoolExecutor = _InlinePool  # type: ignore[misc, assignment]
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
    used, requests = collect_once(options, transport, executor=executor)
    if profile:
        profiler.disable()
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(profile)
        print(stream.getvalue())
        return
    if transport.missing:
        raise SystemExit(f"{len(transport.missing)} request(s) had no recorded answer, e.g. "
                         f"{transport.missing[0][:3]}")
    print(json.dumps({"cpu": used, "requests": requests}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="print the N most expensive functions of one replayed collection")
    ap.add_argument("--out", type=Path, default=Path("out/bench-client-cpu"))
    ap.add_argument("--replay", type=Path, help=argparse.SUPPRESS)  # the child
    args = ap.parse_args()
    if args.replay:
        replay(args.replay, args.profile)
        return 0

    from scanner.collect import CollectOptions
    from scanner.demo.estate import seed
    from scanner.demo.run import demo_stack
    from scanner.demo.server import SKIP_AMIS_ENV

    os.environ.setdefault(SKIP_AMIS_ENV, "false")
    args.out.mkdir(parents=True, exist_ok=True)
    transport = Transport()
    recording = args.out / "recording.pickle"
    with demo_stack() as endpoint:
        estate = seed(endpoint)
        options = CollectOptions(out=args.out / "snapshot.json.gz", regions=estate.regions,
                                 org=True, role_name=estate.role_name, endpoint_url=endpoint,
                                 central_account=estate.central_account, max_attempts=1)
        _, recorded = collect_once(options, transport)
        with recording.open("wb") as f:
            pickle.dump((options, transport.answers), f)
        child_env = dict(os.environ)  # demo_stack's fake credentials, no profile
    print(f"recorded {len(transport.answers)} distinct answers from {recorded} requests "
          f"(demo estate: {len(estate.accounts)} accounts x {len(estate.regions)} Regions); "
          "replaying each run in a fresh process")
    command = [sys.executable, __file__, "--replay", str(recording)]
    figures_ms: list[float] = []
    for run in range(args.runs):
        load = os.getloadavg()[0]
        done = subprocess.run(command, env=child_env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(done.stderr[-1500:])
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        used, requests = figures["cpu"], figures["requests"]
        print(f"run {run + 1}: collect() {used:.2f} s CPU for {requests} requests = "
              f"{1000 * used / max(requests, 1):.2f} ms client CPU per request "
              f"(stubbed transport; load average {load:.1f})", flush=True)
        figures_ms.append(1000 * used / max(requests, 1))
    if figures_ms:
        print(f"client CPU per request: min {min(figures_ms):.2f} ms, median "
              f"{statistics.median(figures_ms):.2f} ms over {len(figures_ms)} run(s)")
    if args.profile:
        done = subprocess.run(command + ["--profile", str(args.profile)], env=child_env,
                              capture_output=True, text=True)
        print(done.stdout if done.returncode == 0 else done.stderr[-1500:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
