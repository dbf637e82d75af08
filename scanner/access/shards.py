"""Access analysis over secret shards in forked processes (``scan --processes N``).

The analysis is per secret and pure: every cache it keeps across secrets holds answers that do
not depend on which secrets were evaluated before (the guardrail reasons name the level of a
path, not the first account evaluated: scanner.access.scp.level_name). So the secrets can be
split into contiguous shards (the graph's order: a shard holds whole accounts, where the
caches pay), each evaluated by its own evaluator, and the results put back in order.

Children are forked after the evaluator is built and before anything is evaluated: each
starts from the same empty caches, shares the snapshot, graph and secret views with the parent
copy-on-write (nothing is pickled on the way in) and sends back its ``SecretAccess`` list,
pickled, through a pipe. The parent evaluates the first shard meanwhile. A secret whose
evaluation raises gets a failed verdict (``SecretAccess.failed``) in any process; a child that
fails otherwise or dies fails the analysis (never a partial report). Without ``fork`` (Windows, macOS'
default spawn would have to pickle the whole snapshot) the analysis runs in one process.

``scan`` forks while its progress watchdog thread runs. A forked child has only the thread
that forked, so a lock another thread held stays held in it: the child therefore only
evaluates (scanner.access and scanner.policy neither log nor print) and writes to its pipe,
then leaves with ``os._exit``.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import traceback
from multiprocessing.connection import Connection
from typing import Callable, Iterable, Sequence

from scanner.access.graph_io import SecretView
from scanner.access.secret_eval import SecretEvaluator
from scanner.access.verdicts import SecretAccess
from scanner.errors import OUT_OF_MEMORY, OutOfMemory, ProcessDied, how_it_ended

#: below this many secrets per process a shard's share of the caches' warm-up and the
#: pickling cost more than the second core saves (docs/scale.md, "Access analysis")
MIN_SECRETS_PER_PROCESS = 25_000


class ShardError(RuntimeError):
    """A shard's process failed or died: the analysis has no answer for its secrets."""


class ShardDied(ShardError, ProcessDied):
    """A shard's process ended without an answer (killed: the out-of-memory killer's SIGKILL):
    one error line, not an internal error (fault-injection trial round 12)."""


def shard_count(processes: int, secrets: int) -> int:
    """How many processes to use for ``secrets`` secrets when ``processes`` are allowed."""
    if processes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(processes, secrets // MIN_SECRETS_PER_PROCESS))


#: the parent's shard, relative to a child's: the parent also reads the secrets (their views,
#: ~18 % of the analysis), unpickles the children's answers and builds the key report, so a
#: shard of equal size would finish last (1,000 accounts, 2 processes: parent 26 s CPU, child
#: 18 s with equal shards)
PARENT_WEIGHT = 0.8


def split(n_items: int, shards: int, first_weight: float = 1.0) -> list[range]:
    """Contiguous ranges covering ``range(n_items)`` in order: the first of weight
    ``first_weight``, the others of weight 1."""
    total = first_weight + shards - 1
    bounds = [0] + [round(n_items * (first_weight + i) / total) for i in range(shards - 1)] + \
        [n_items]
    return [range(a, b) for a, b in zip(bounds, bounds[1:])]


#: how many secrets between two progress reports (a report costs a terminal update)
PROGRESS_EVERY = 500


def _evaluate(ev: SecretEvaluator, views: Sequence[SecretView], indices: Iterable[int],
              progress: Callable[[int], None] | None, base: int = 0) -> list[SecretAccess]:
    """``ev.secret_access`` of ``views[i]`` for each index, telling ``progress`` how many are
    done (plus ``base``) every ``PROGRESS_EVERY`` secrets."""
    if progress is None:
        return [ev.secret_access(views[i]) for i in indices]
    out: list[SecretAccess] = []
    for i in indices:
        out.append(ev.secret_access(views[i]))
        if not len(out) % PROGRESS_EVERY:
            progress(base + len(out))
    progress(base + len(out))
    return out


def evaluate_sharded(ev: SecretEvaluator, views: Sequence[SecretView], shards: int, *,
                     progress: Callable[[int], None] | None = None) -> list[SecretAccess]:
    """``[ev.secret_access(sv) for sv in views]``, over ``shards`` processes. ``ev`` must not
    have evaluated anything yet (the children inherit it as it is). ``progress``: told how
    many secrets are done (this process's as it goes, a child's when its answer arrives)."""
    if shards <= 1:
        return _evaluate(ev, views, range(len(views)), progress)
    ranges = split(len(views), shards, PARENT_WEIGHT)
    ctx = multiprocessing.get_context("fork")
    children: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
    answered = False
    try:
        for r in ranges[1:]:
            recv, send = ctx.Pipe(duplex=False)
            child = ctx.Process(target=_child, args=(send, ev, views, r), daemon=True,
                                name=f"secretgraph-access-{r.start}")
            child.start()
            send.close()
            children.append((child, recv))
        results = _evaluate(ev, views, ranges[0], progress)
        for (proc, recv), r in zip(children, ranges[1:]):
            try:
                data = recv.recv_bytes()
            except EOFError:
                proc.join()
                raise ShardDied(f"access analysis of secrets {r.start}-{r.stop - 1}: its "
                                f"process ended without an answer ({how_it_ended(proc.exitcode)})"
                                "; run the scan again (with fewer --processes if memory is "
                                "short)") from None
            ok, payload = pickle.loads(data)
            if not ok and str(payload[0]).startswith("MemoryError"):
                raise OutOfMemory(f"access analysis of secrets {r.start}-{r.stop - 1}: "
                                  f"{OUT_OF_MEMORY} in its process")
            if not ok:
                # the exception on the line, the child's traceback a note (shown by --debug;
                # it was the message, printed whole on an ordinary run: fault-injection trial
                # round 12)
                said, trace = payload
                error = ShardError(f"access analysis of secrets {r.start}-{r.stop - 1} failed "
                                   f"in its process: {said}")
                error.add_note(f"in the shard process:\n{trace}")
                raise error
            if len(payload) != len(r):
                raise ShardError(f"access analysis of secrets {r.start}-{r.stop - 1}: "
                                 f"{len(payload)} answers for {len(r)} secrets")
            results.extend(payload)
            if progress is not None:
                progress(len(results))
        answered = True
        return results
    finally:
        for proc, recv in children:
            recv.close()
            if not answered:  # stopped (Ctrl-C, SIGTERM, a shard failed): no answer is wanted
                proc.kill()
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()


def _child(conn: Connection, ev: SecretEvaluator, views: Sequence[SecretView],
           r: range) -> None:
    try:
        try:
            out: tuple[bool, object] = (True, [ev.secret_access(views[i]) for i in r])
        except BaseException as exc:  # noqa: BLE001 -- reported to the parent, which raises
            out = (False, (f"{type(exc).__name__}: {exc}", traceback.format_exc()))
        conn.send_bytes(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))
        conn.close()
    finally:
        os._exit(0)  # skip tearing down the inherited heap (the parent still owns it)
