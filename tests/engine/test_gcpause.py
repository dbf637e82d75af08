"""Paused garbage collection: inside a scan a paused step ends by freezing what exists (its
millions of objects are not walked again by the next collection); after the scan everything is
handed back, so a process that goes on collects as before."""

from __future__ import annotations

import gc
from pathlib import Path

from helpers.access_estate import estate

from scanner.gcpause import freezing, gc_paused
from scanner.pipeline import ScanOptions, run_scan
from scanner.snapshot_io import write_snapshot


def test_a_paused_step_freezes_only_inside_a_scan() -> None:
    assert gc.get_freeze_count() == 0
    with gc_paused():
        kept = [[i] for i in range(1000)]
    assert gc.get_freeze_count() == 0 and gc.isenabled()  # outside a scan: as before
    with freezing():
        with gc_paused():
            kept = [[i] for i in range(1000)]
        assert gc.get_freeze_count() >= len(kept)
        assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_scan_hands_everything_back_to_the_collector(tmp_path: Path) -> None:
    write_snapshot(tmp_path / "snapshot.json.gz", estate(secret_policy=None))
    run_scan(ScanOptions(snapshot_in=tmp_path / "snapshot.json.gz", out_dir=tmp_path / "out",
                         formats=("json",), quiet=True))
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    assert (tmp_path / "out" / "findings.json").is_file()


def test_frozen_leftovers_are_collected_on_request() -> None:
    import weakref

    from scanner.gcpause import collect_frozen

    class Node:
        pass

    with freezing():
        with gc_paused():
            a, b = Node(), Node()
            a.other, b.other = b, a  # a cycle: only the collector frees it
            gone = weakref.ref(a)
        del a, b
        with gc_paused():
            pass  # frozen with everything else: no collection sees it
        gc.collect()
        assert gone() is not None
        collect_frozen()
        assert gone() is None
        assert gc.get_freeze_count() > 0  # what is still alive stays frozen
    assert gc.get_freeze_count() == 0
