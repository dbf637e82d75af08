"""bench/synth.py's organization for tests (loaded by path: bench/ is not a package the
tests import)."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from scanner.model import Snapshot

_PATH = Path(__file__).resolve().parents[2] / "bench" / "synth.py"


@lru_cache(maxsize=1)
def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_synth", _PATH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def synth_snapshot(accounts: int, secrets: int, roles: int, **kw: Any) -> Snapshot:
    """``bench.synth.make_snapshot`` (``secrets`` and ``roles`` per account)."""
    snap: Snapshot = _module().make_snapshot(accounts=accounts, secrets_per_account=secrets,
                                             roles_per_account=roles, **kw)
    return snap
