"""A principal that can read a secret's replica is a reader of that replica: drift, the access
baseline (`scan --baseline`, `baseline check`) and `baseline init` see it (new-user trial
round 8: a role given read on the us-west-2 replica of prod/a/db only was ALLOWED in the
access report's ``replicas``, and drift said "0 new reader(s)", the baseline check exited 0).

A replica is keyed by its own ARN (the access report's key; its Region is in the ARN). A
baseline entry that matches the primary secret (its ARN or its name) covers its replicas too,
so a baseline written before replicas were read keeps working."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import yaml

from scanner.cli import main
from scanner.findings import Status, finding_id
from scanner.graph.schema import replica_node
from scanner.history import open_store
from scanner.history.baseline import baseline_findings, init_baseline, load_baseline
from scanner.history.diff import diff_scans
from scanner.history.drift import render_drift_text
from scanner.policy.arn import with_region

from helpers.scanfactory import CENTRAL, MEMBER, access, document, secret, secret_arn, \
    snapshot, stored

DB = secret_arn("prod/a/db")
WEST = "us-west-2"
DB_WEST = with_region(DB, WEST)
APP = f"arn:aws:iam::{MEMBER}:role/app"
DR = "arn:aws:iam::333333333333:role/DrRole"
T1, T2 = "2026-12-01T01:00:00Z", "2026-12-02T01:00:00Z"


def _report(primary: Iterable[tuple[str, str]], replica: Iterable[tuple[str, str]] | None
            ) -> dict[str, Any]:
    """An access report whose prod/a/db has ``primary`` readers and, unless None, a us-west-2
    replica with ``replica`` readers (in ``replicas``, as AccessReport.to_dict() writes it)."""
    report = access({DB: list(primary)})
    report["secrets"][DB].update(name="prod/a/db", account_id=CENTRAL, region="us-east-1")
    if replica is not None:
        entry = access({DB_WEST: list(replica)})["secrets"][DB_WEST]
        entry.update(name="prod/a/db", account_id=CENTRAL, region=WEST)
        report["replicas"] = {DB_WEST: entry}
    return report


def _scan(scan_id: str, started: str, report: dict[str, Any]):  # type: ignore[no-untyped-def]
    snap = snapshot(scan_id, started, [secret("prod/a/db")])
    return stored(snap, acc=report)


def test_a_new_reader_of_a_replica_only_is_a_new_reader_in_the_drift() -> None:
    """New-user trial round 8: "Access changes (0 new reader(s), 0 lost reader(s))"."""
    old = _scan("n1", T1, _report([(APP, "allow")], [(APP, "allow")]))
    new = _scan("n2", T2, _report([(APP, "allow")], [(APP, "allow"), (DR, "allow")]))
    drift = diff_scans(old, new)
    gained = {a.secret_arn: [r.principal for r in a.gained] for a in drift.access}
    assert gained == {DB_WEST: [DR]}
    assert "(1 new reader(s), 0 lost reader(s))" in render_drift_text(drift)


def test_replica_readers_recorded_the_night_before_are_not_new() -> None:
    """The access reports recorded before this fix already held ``replicas``: the first
    night after upgrading reports no replica reader as new (new-user trial round 8)."""
    old = _scan("n1", T1, _report([(APP, "allow")], [(APP, "allow"), (DR, "allow")]))
    new = _scan("n2", T2, _report([(APP, "allow")], [(APP, "allow"), (DR, "allow")]))
    assert diff_scans(old, new).access == ()


def test_a_report_recorded_without_replicas_makes_replica_readers_not_assessed() -> None:
    """An access report of a secretgraph that did not analyse replicas has no ``replicas``:
    tonight's replica readers are not assessed by that scan, not new (new-user trial
    round 8)."""
    old = _scan("n1", T1, _report([(APP, "allow")], None))
    new = _scan("n2", T2, _report([(APP, "allow")], [(APP, "allow"), (DR, "allow")]))
    drift = diff_scans(old, new)
    assert drift.access == ()
    assert any(DB_WEST in n.subject or DB_WEST in " ".join(n.subjects)
               for n in drift.not_assessed if n.scope == "access")


def _baseline(tmp_path: Path, entry: str) -> Any:
    p = tmp_path / "baseline.yaml"
    p.write_text(f'version: 1\nsecrets:\n  - secret: "{entry}"\n    readers: ["{APP}"]\n')
    return load_baseline(p)


def test_a_reader_of_a_replica_outside_the_baseline_is_a_finding_on_the_replica(
        tmp_path: Path) -> None:
    """New-user trial round 8: findings.json had no access-outside-baseline row for the
    replica's reader. The primary's entry covers its replicas (APP, accepted there, gives no
    finding on the replica), by ARN as by name."""
    report = _report([(APP, "allow")], [(APP, "allow"), (DR, "allow")])
    snap = snapshot("s", T2, [secret("prod/a/db")])
    for entry in (DB, "prod/a/*"):
        findings = baseline_findings(report, _baseline(tmp_path, entry), snap)
        got = {(f.resource.type, f.resource.arn, f.resource.node, f.principal, f.status)
               for f in findings}
        node = replica_node(DB, WEST)
        # its own ARN, its graph node kept (as the rules' replica findings: fix-g8b)
        assert got == {("SecretReplica", DB_WEST, node, DR, Status.FAIL)}
        f = findings[0]
        assert f.id == finding_id("access-outside-baseline", node, DR)
        assert f.resource.region == WEST and f.resource.account_id == CENTRAL
        assert f.evidence["replica_arn"] == DB_WEST


def test_a_baseline_entry_naming_the_replica_covers_that_replica(tmp_path: Path) -> None:
    p = tmp_path / "baseline.yaml"
    p.write_text(f'version: 1\nsecrets:\n  - secret: "{DB}"\n    readers: ["{APP}"]\n'
                 f'  - secret: "{DB_WEST}"\n    readers: ["{DR}"]\n')
    report = _report([(APP, "allow")], [(APP, "allow"), (DR, "allow")])
    assert baseline_findings(report, load_baseline(p)) == []
    # ... and only that replica: DR reading the primary is outside the baseline
    report = _report([(APP, "allow"), (DR, "allow")], [(APP, "allow"), (DR, "allow")])
    got = {(f.resource.arn, f.principal) for f in baseline_findings(report, load_baseline(p))}
    assert got == {(DB, DR)}


def test_baseline_init_writes_a_replicas_own_readers_and_check_finds_a_new_one(
        tmp_path: Path, capsys: Any) -> None:
    """`baseline init` wrote primaries only (new-user trial round 8). A replica whose readers
    are its primary's needs no entry of its own (the primary's covers it)."""
    text = init_baseline(_report([(APP, "allow")], [(APP, "allow"), (DR, "allow")]))
    data = yaml.safe_load(text)
    assert data["secrets"] == [{"secret": DB, "readers": [APP]},
                               {"secret": DB_WEST, "readers": [DR]}]
    quiet = yaml.safe_load(init_baseline(_report([(APP, "allow")], [(APP, "allow")])))
    assert quiet["secrets"] == [{"secret": DB, "readers": [APP]}]

    hist = str(tmp_path / "h.db")
    s1 = snapshot("s1", T1, [secret("prod/a/db")])
    open_store(hist).record(s1.meta, s1, document(s1), _report([(APP, "allow")],
                                                               [(APP, "allow")]))
    out = tmp_path / "baseline.yaml"
    assert main(["baseline", "init", "--history", hist, "--output-file", str(out)]) == 0
    s2 = snapshot("s2", T2, [secret("prod/a/db")])
    open_store(hist).record(s2.meta, s2, document(s2),
                            _report([(APP, "allow")], [(APP, "allow"), (DR, "allow")]))
    capsys.readouterr()
    assert main(["baseline", "check", "--baseline", str(out), "--history", hist]) == 1
    assert DR in capsys.readouterr().out
