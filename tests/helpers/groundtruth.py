"""What every ground-truth trial shares: the auditor's verdict on a resource (``Truth``), the
estate a round built (``Estate``), its rotation function's code, and the comparison of a scan of
that estate with the verdicts written down before it ran (tests/e2e/test_ground_truth_round*.py;
each round's organization is its own tests/helpers/gt<N>_estate.py).

A round's estate module provides ``ROLE``, ``REGIONS``, ``SUPPRESSIONS``, ``seed(endpoint_url)``
and ``ground_truth(estate)``."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Mapping

import pytest

from scanner.access import AccessSettings, analyze_access
from scanner.cli import main
from scanner.demo.fidelity import replica_keys_kept
from scanner.demo.run import demo_environment
from scanner.demo.server import SKIP_AMIS_ENV
from scanner.graph.builder import build_graph
from scanner.snapshot_io import read_snapshot


@dataclass(frozen=True, kw_only=True, slots=True)
class Truth:
    """What the auditor says about one resource: rule -> status (FAIL, MUTED or UNKNOWN) for
    every rule that does not pass, and the cross-account principals that can read it (None:
    not asked)."""

    fails: Mapping[str, str] = field(default_factory=dict)
    readers: frozenset[str] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Estate:
    endpoint_url: str
    org_id: str
    accounts: Mapping[str, str]  # logical name -> id
    res: Mapping[str, str]       # logical name -> ARN / id


def rotation_zip() -> bytes:
    """The code of the estates' rotation functions (moto stores it, never runs it)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("rotate.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


def dump(estate: Estate) -> str:
    return json.dumps({"accounts": estate.accounts, "res": estate.res}, indent=1)


def scan(gt: ModuleType, moto_server: str, out: Path) -> Estate:
    """Seed round ``gt``'s estate on the moto server and scan it with the real CLI into
    ``out`` (json, the round's suppressions); the scan reports FAIL findings (exit 1)."""
    suppressions = out.parent / f"{out.name}-suppressions.yaml"
    suppressions.write_text(gt.SUPPRESSIONS)
    with pytest.MonkeyPatch.context() as mp, replica_keys_kept(), demo_environment():
        mp.setenv(SKIP_AMIS_ENV, "false")
        estate: Estate = gt.seed(moto_server)
        code = main(["scan", "--org", "--role-name", gt.ROLE, "--regions", ",".join(gt.REGIONS),
                     "--endpoint-url", moto_server, "--out", str(out), "--format", "json",
                     "--suppressions", str(suppressions), "--quiet"])
    assert code == 1  # FAIL findings at or above the default --fail-on
    return estate


def not_passing(out: Path) -> dict[str, dict[str, str]]:
    """Resource ARN -> rule -> status of every result of a complete scan that is not PASS."""
    doc = json.loads((out / "findings.json").read_text())
    assert doc["scan"]["complete"] is True
    assert doc["coverage"] == []
    rows: dict[str, dict[str, str]] = {}
    for f in doc["findings"]:
        if f["status"] != "PASS":
            rows.setdefault(f["resource"]["arn"], {})[f["rule_id"]] = f["status"]
    return rows


def assert_rules_are_the_auditors(gt: ModuleType, estate: Estate, out: Path) -> None:
    """Every rule that does not pass is one the auditor listed, with its status, and nothing
    else fails (compared by the estate's logical names, so a difference reads as one)."""
    truth = gt.ground_truth(estate)
    names = {v: k for k, v in estate.res.items()}
    expected = {arn: dict(t.fails) for arn, t in truth.items() if t.fails}
    assert {names.get(a, a): r for a, r in not_passing(out).items()} == \
        {names.get(a, a): r for a, r in expected.items()}


def assert_readers_are_the_auditors(gt: ModuleType, estate: Estate, out: Path) -> None:
    """The cross-account principals that read each secret (or replica) the auditor answered
    for, from the scan's own snapshot."""
    snap = read_snapshot(out / "snapshot.json.gz")
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    names = {v: k for k, v in estate.res.items()}
    for arn, truth in gt.ground_truth(estate).items():
        if truth.readers is None:
            continue
        access: Any = report.secrets.get(arn) or report.replicas.get(arn)
        assert access is not None, names[arn]
        readers = {p.principal for p in access.paths
                   if p.decision == "ALLOWED" and p.principal_account != access.account_id}
        assert readers == set(truth.readers), names[arn]


def assert_judged_by_no_rule(out: Path, arn: str) -> None:
    """No result, FAIL or PASS, names ``arn`` (a secret scheduled for deletion)."""
    doc = json.loads((out / "findings.json").read_text())
    assert not [f for f in doc["findings"] if f["resource"]["arn"] == arn]
    assert all(arn not in r["resources"] for r in doc["passed"]["by_rule"])
