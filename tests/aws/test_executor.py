"""The bounded executor and its synchronous stand-in."""

from __future__ import annotations

import threading
import time

from scanner.aws.executor import SynchronousExecutor, ThreadPoolExecutor


def test_the_synchronous_executor_runs_in_order_on_the_calling_thread() -> None:
    caller = threading.get_ident()
    seen: list[tuple[int, int]] = []

    def work(n: int) -> int:
        seen.append((n, threading.get_ident()))
        return n * n

    assert list(SynchronousExecutor().map_unordered(work, range(4))) == [0, 1, 4, 9]
    assert seen == [(n, caller) for n in range(4)]


def test_the_thread_pool_runs_everything_and_never_exceeds_its_bound() -> None:
    lock = threading.Lock()
    running = 0
    peak = 0
    submitted: list[int] = []

    def work(n: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.005)
        with lock:
            running -= 1
        return n

    def items() -> object:
        for n in range(40):
            submitted.append(n)
            yield n

    pool = ThreadPoolExecutor(3)
    try:
        results = []
        for result in pool.map_unordered(work, items()):  # type: ignore[arg-type]
            # the window: never more than 2 x max_workers items taken ahead of the results
            assert len(submitted) - len(results) <= 6
            results.append(result)
    finally:
        pool.close()
    assert sorted(results) == list(range(40))
    assert 1 <= peak <= 3
