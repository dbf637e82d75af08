"""A plan analyses the estate before and after each change. The graph of an analysis it has
done with is emptied at once: a networkx graph is a reference cycle (the graph and its cached
views), so without that it stayed alive until the next full collection, and remediate runs
with the collector paused and frozen (scanner.gcpause). At 1,000 accounts each such graph
held the organization's 20,000 principals: 32 changes between two collections came to about
2 GB of dead graphs, and `remediate --account` peaked at 3.7 GB."""

from __future__ import annotations

import gc
from dataclasses import replace
from typing import Iterator

import networkx as nx
import pytest

from helpers.remediate_records import ACCT, SECRET_ARN, finding, snapshot
from scanner.changes import RemediationConfig
from scanner.remediate.planner import Selection, build_plan


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def three_secrets_on_the_aws_managed_key():  # type: ignore[no-untyped-def]
    snap = snapshot(kms_key_id=None)
    (acct,) = snap.accounts
    (region,) = acct.regions
    (one,) = region.secrets
    base = SECRET_ARN.rsplit(":", 1)[0]
    secrets = tuple(replace(one, arn=f"{base}:app/s{i}-AbCdEf", name=f"app/s{i}")
                    for i in range(3))
    snap = replace(snap, accounts=(replace(acct, regions=(replace(region, secrets=secrets),)),))
    return snap, [finding("secret-uses-aws-managed-key", "move-secret-to-cmk", arn=s.arn)
                  for s in secrets]


def dead_graphs_holding_nodes() -> int:
    gc.set_debug(gc.DEBUG_SAVEALL)
    gc.collect()
    dead = [g for g in gc.garbage if isinstance(g, nx.Graph) and g.number_of_nodes()]
    gc.set_debug(0)
    gc.garbage.clear()
    return len(dead)


def test_the_analyses_a_plan_is_done_with_hold_no_graph(collector_off: None) -> None:
    snap, findings = three_secrets_on_the_aws_managed_key()
    plan = build_plan(findings, snap, RemediationConfig(), Selection())
    assert [c.remediation_id for c in plan.changes] == ["move-secret-to-cmk"] * 3
    assert all(c.account_id == ACCT and c.effect for c in plan.changes)
    # what is left when the plan is made: the estate's key-use graph and the last analysis
    # (the planner drops both with the Predictor); every other one was emptied when dropped
    assert dead_graphs_holding_nodes() <= 2
