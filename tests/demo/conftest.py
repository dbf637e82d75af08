"""The demo estate, seeded once per test session on the shared moto server.

Seeding resets the server. The estate's resources are plain data (they stay valid whatever runs
later, because seeding is deterministic); tests that read the server back use ``estate``, which
also keeps the demo's moto patches on while they read.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import pytest

from scanner.demo.estate import DemoEstate, seed
from scanner.demo.fidelity import replica_keys_kept
from scanner.demo.server import SKIP_AMIS_ENV


@contextlib.contextmanager
def demo_patches() -> Iterator[None]:
    """What ``secretgraph demo`` sets up around its server: no default AMIs, replica keys kept."""
    with pytest.MonkeyPatch.context() as mp, replica_keys_kept():
        mp.setenv(SKIP_AMIS_ENV, "false")
        yield


@pytest.fixture(scope="session")
def seeded(moto_server: str) -> DemoEstate:
    with demo_patches():
        return seed(moto_server)


@pytest.fixture(scope="module")
def estate(seeded: DemoEstate) -> Iterator[DemoEstate]:
    with demo_patches():
        yield seeded
