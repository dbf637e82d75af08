"""The demo estate, seeded once per module on the shared moto server (seeding resets it)."""

from __future__ import annotations

from typing import Iterator

import pytest

from scanner.demo.estate import DemoEstate, seed
from scanner.demo.fidelity import replica_keys_kept
from scanner.demo.server import SKIP_AMIS_ENV


@pytest.fixture(scope="module")
def demo_patches() -> Iterator[None]:
    """What ``secretgraph demo`` sets up around its server: no default AMIs, replica keys kept."""
    with pytest.MonkeyPatch.context() as mp, replica_keys_kept():
        mp.setenv(SKIP_AMIS_ENV, "false")
        yield


@pytest.fixture(scope="module")
def estate(moto_server: str, demo_patches: None) -> DemoEstate:
    return seed(moto_server)
