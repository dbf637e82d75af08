"""Ground-truth trial round 20: a seven-account organization with two secret-holding accounts
in three Regions (us-east-2, eu-central-1, ap-southeast-2), OU-scoped grants and SCPs, managed
policy versions, a group-granted user and a pathed role (tests/helpers/gt20_estate.py), built in
moto through sts.assume_role, scanned by the real CLI; every rule that does not pass, and every
cross-account reader, compared with what an auditor wrote down from the AWS documentation
before the scan ran.

Nothing else may fail: a resource the ground truth does not list passes every rule."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from helpers import gt20_estate as gt
from scanner.access import AccessSettings, analyze_access
from scanner.cli import main
from scanner.demo.fidelity import replica_keys_kept
from scanner.demo.run import demo_environment
from scanner.demo.server import SKIP_AMIS_ENV
from scanner.graph.builder import build_graph
from scanner.snapshot_io import read_snapshot

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def scanned(moto_server: str, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[gt.Estate, Path]]:
    out = tmp_path_factory.mktemp("gt20")
    suppressions = out.parent / "gt20-suppressions.yaml"
    suppressions.write_text(gt.SUPPRESSIONS)
    with pytest.MonkeyPatch.context() as mp, replica_keys_kept(), demo_environment():
        mp.setenv(SKIP_AMIS_ENV, "false")
        estate = gt.seed(moto_server)
        code = main(["scan", "--org", "--role-name", gt.ROLE, "--regions", ",".join(gt.REGIONS),
                     "--endpoint-url", moto_server, "--out", str(out), "--format", "json",
                     "--suppressions", str(suppressions), "--quiet"])
    assert code == 1  # FAIL findings at or above the default --fail-on
    yield estate, out


def _not_passing(out: Path) -> dict[str, dict[str, str]]:
    doc = json.loads((out / "findings.json").read_text())
    assert doc["scan"]["complete"] is True
    assert doc["coverage"] == []
    rows: dict[str, dict[str, str]] = {}
    for f in doc["findings"]:
        if f["status"] != "PASS":
            rows.setdefault(f["resource"]["arn"], {})[f["rule_id"]] = f["status"]
    return rows


def test_every_rule_that_does_not_pass_is_the_auditors(scanned: tuple[gt.Estate, Path]) -> None:
    estate, out = scanned
    truth = gt.ground_truth(estate)
    got = _not_passing(out)
    names = {v: k for k, v in estate.res.items()}
    expected = {arn: dict(t.fails) for arn, t in truth.items() if t.fails}
    assert {names.get(a, a): r for a, r in got.items()} == \
        {names.get(a, a): r for a, r in expected.items()}


def test_who_can_read_each_secret_is_the_auditors(scanned: tuple[gt.Estate, Path]) -> None:
    estate, out = scanned
    with gzip.open(out / "snapshot.json.gz", "rt") as fh:
        assert json.load(fh)  # a readable snapshot
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


def test_the_secret_scheduled_for_deletion_is_judged_by_no_rule(
        scanned: tuple[gt.Estate, Path]) -> None:
    estate, out = scanned
    doc = json.loads((out / "findings.json").read_text())
    gone = estate.res["secret:old/retired"]
    assert not [f for f in doc["findings"] if f["resource"]["arn"] == gone]
    assert all(gone not in r["resources"] for r in doc["passed"]["by_rule"])
