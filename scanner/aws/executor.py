"""A bounded, replaceable executor. Collection hands it (function, items) and reads results in
completion order; tests pass SynchronousExecutor to run everything on the calling thread.
"""

from __future__ import annotations

import concurrent.futures
from typing import Callable, Iterable, Iterator, Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """Run ``fn`` on every item; yield results as they complete."""
        ...

    def close(self, *, wait: bool = True) -> None:
        """Stop taking items. ``wait=False`` (an interrupted run): return at once, leaving
        the running items to end on their own (a worker blocked in a socket read cannot be
        stopped; the process exits without waiting for it)."""
        ...


class SynchronousExecutor:
    """Runs each item on the calling thread, in order (deterministic; for tests)."""

    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        for item in items:
            yield fn(item)

    def close(self, *, wait: bool = True) -> None:
        return None


class ThreadPoolExecutor:
    """A thread pool with at most ``max_workers`` running and ``2 * max_workers`` queued items,
    so a 10,000-account scan never holds 10,000 pending futures (or their results) at once.
    """

    def __init__(self, max_workers: int) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be >= 1")
        self.max_workers = max_workers
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="secretgraph-collect"
        )

    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        window = 2 * self.max_workers
        pending: set[concurrent.futures.Future[R]] = set()
        source = iter(items)
        exhausted = False
        while True:
            while not exhausted and len(pending) < window:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                pending.add(self._pool.submit(fn, item))
            if not pending:
                return
            done, pending = concurrent.futures.wait(
                pending, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in done:
                yield future.result()

    def close(self, *, wait: bool = True) -> None:
        """Wait for the running items (unless ``wait=False``); items not started yet are
        cancelled (an interrupted scan stops at once instead of working through its queue)."""
        self._pool.shutdown(wait=wait, cancel_futures=True)
