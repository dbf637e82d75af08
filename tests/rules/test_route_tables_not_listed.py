"""A VPC whose route tables are not in the listing (fault-injection trial round 13).

Amazon VPC User Guide, "Route tables": "Each subnet in your VPC must be associated with a route
table", and every VPC has a main route table from its creation. A listing that holds none of a
VPC's tables (the VPC deleted between two listings, a partial answer) was read inconsistently:
the rules that read the tables answer UNKNOWN naming them (scanner.graph.route_tables.
no_table_listed), never FAIL -- before, secret-rotation-no-network-path FAILed "subnet ... has
no route table" and vpc-peering-route-missing "... has no route to ...", the scan complete."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

from helpers.rule_fixture import load_fixture

from scanner.model import Snapshot

_SPEC = importlib.util.spec_from_file_location(
    "missing_inputs", Path(__file__).with_name("test_rule_missing_inputs.py"))
assert _SPEC is not None and _SPEC.loader is not None
_MOD = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_MOD)
statuses = _MOD._statuses


def without_tables(snapshot: Snapshot) -> Snapshot:
    accounts = tuple(replace(a, regions=tuple(replace(r, route_tables=()) for r in a.regions))
                     for a in snapshot.accounts)
    return replace(snapshot, accounts=accounts)


def test_no_rotation_path_verdict_fails_on_tables_the_listing_lacks() -> None:
    rule = "secret-rotation-no-network-path"
    before = statuses(rule, load_fixture(rule).snapshot)
    after = statuses(rule, without_tables(load_fixture(rule).snapshot))
    assert any(f.status.value == "FAIL" for f in before.values())
    # what the tables decide is UNKNOWN; no peering, or one not active, still fails
    failing = {arn: f.message for arn, f in ((f.resource.arn, f) for f in after.values())
               if f.status.value == "FAIL"}
    assert failing and all("route" not in m and "peering" in m for m in failing.values()), \
        failing
    assert not any(f.status.value == "PASS" for f in after.values())
    unknown = [f for f in after.values() if f.status.value == "UNKNOWN"]
    assert any("route table listing" in m for f in unknown for m in f.missing)


def test_no_peering_route_verdict_fails_on_tables_the_listing_lacks() -> None:
    rule = "vpc-peering-route-missing"
    after = statuses(rule, without_tables(load_fixture(rule).snapshot))
    assert after and all(f.status.value == "UNKNOWN" for f in after.values()), \
        [(f.resource.arn, f.status.value) for f in after.values()]
    assert any("route table listing" in m for f in after.values() for m in f.missing)
