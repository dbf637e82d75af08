"""`scan --processes`: the stdlib's resource tracker, started with the shard pool, is told
(PYTHONWARNINGS, which it inherits) not to warn of the semaphores a SIGKILLed shard left, after
the one error line; this process's environment is handed back as it was -- a process that goes
on (the test suite) passed the filter to every later child, whose shards then carried it as a
-W option on their command lines (a test looking for shard processes by theirs timed out)."""

from __future__ import annotations

import os

import pytest

from scanner.collect import _TRACKER_QUIET, _quiet_resource_tracker


@pytest.mark.parametrize("before", [None, "ignore::DeprecationWarning"])
def test_the_filter_is_set_while_the_pool_is_made_and_the_environment_restored(
        before: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if before is None:
        monkeypatch.delenv("PYTHONWARNINGS", raising=False)
    else:
        monkeypatch.setenv("PYTHONWARNINGS", before)
    with _quiet_resource_tracker():
        assert _TRACKER_QUIET in os.environ["PYTHONWARNINGS"].split(",")
        if before is not None:
            assert before in os.environ["PYTHONWARNINGS"].split(",")
    assert os.environ.get("PYTHONWARNINGS") == before
