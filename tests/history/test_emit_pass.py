"""Default findings.json (PASS summarised per rule) against --emit-pass (PASS itemised): the same
FAIL, UNKNOWN and MUTED rows, the same PASS counts, and the same drift, Security Hub archiving
and remediation inputs either way."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from reports.asff import archive_resolved, build_asff
from reports.json_out import read_findings_json, write_findings_json, write_findings_jsonl
from scanner.engine.suppressions import Suppression, Suppressions
from scanner.history.diff import diff_scans
from scanner.pipeline import Inputs, ScanOptions, analyze, load_inputs
from scanner.remediate.inputs import findings_of_document

from helpers.scanfactory import secret, snapshot, stored

NOW = dt.datetime(2026, 11, 29, tzinfo=dt.timezone.utc)
T1, T2 = "2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z"


def inputs(emit_pass: bool) -> Inputs:
    base = load_inputs(ScanOptions(emit_pass=emit_pass))
    mute = Suppressions(entries=(Suppression(index=0, reason="accepted", expires=NOW.date(),
                                             rule="secret-unused"),), path="m.yaml")
    return dataclasses.replace(base, suppressions=mute)


def documents(snap: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    default = analyze(snap, inputs(False), now=NOW).document
    itemised = analyze(snap, inputs(True), now=NOW).document
    return default, itemised


def night(scan_id: str, started: str, *, rotation: bool) -> Any:
    return snapshot(scan_id, started, [
        secret("db", rotation=rotation, last_accessed="2026-01-01T00:00:00Z"),
        secret("api", kms_key_id=None), secret("ok")])


def test_same_fail_unknown_muted_rows_and_pass_counts(tmp_path: Path) -> None:
    default, itemised = documents(night("a", T1, rotation=False))
    not_pass = [f for f in itemised["findings"] if f["status"] != "PASS"]
    assert not_pass == default["findings"]
    assert {f["status"] for f in default["findings"]} >= {"FAIL", "MUTED"}
    assert all(f["status"] != "PASS" for f in default["findings"])
    passes = [f for f in itemised["findings"] if f["status"] == "PASS"]
    assert default["summary"] == itemised["summary"]
    assert default["summary"]["by_status"]["PASS"] == len(passes) > 0
    assert default["summary"]["total"] == len(itemised["findings"])
    assert (default["passed"]["itemised"], itemised["passed"]["itemised"]) == (False, True)
    assert default["passed"]["by_rule"] == itemised["passed"]["by_rule"]
    by_rule = {p["rule_id"]: p for p in default["passed"]["by_rule"]}
    for rule_id in {f["rule_id"] for f in passes}:
        listed = by_rule[rule_id]["resources"]
        assert sorted(f["resource"]["arn"] for f in passes if f["rule_id"] == rule_id) == listed
    # both are valid findings.json documents, written as a stream and read back unchanged
    for name, doc in (("default.json", default), ("itemised.json", itemised)):
        path = write_findings_json(doc, tmp_path / name)
        assert read_findings_json(path) == json.loads(json.dumps(doc))
    lines = write_findings_jsonl(itemised, tmp_path / "f.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == json.loads(json.dumps(itemised["findings"]))


def test_drift_archiving_and_remediation_inputs_do_not_depend_on_pass_rows() -> None:
    snap_a = night("a", T1, rotation=False)
    snap_b = night("b", T2, rotation=True)  # the rotation finding is resolved tonight
    results = []
    for (old, new) in zip(documents(snap_a), documents(snap_b)):
        drift = diff_scans(stored(snap_a, old), stored(snap_b, new))
        archived = archive_resolved(build_asff(old), build_asff(new), new)
        plan_inputs, _ = findings_of_document(new, "findings.json")
        results.append((drift.to_json()["findings"], archived,
                        [f for f in plan_inputs if f.status.value != "PASS"]))
    assert results[0] == results[1]
    drift_findings, archived, _ = results[0]
    assert [f["rule_id"] for f in drift_findings["resolved"]] == ["secret-rotation-disabled"]
    assert [a["GeneratorId"] for a in archived] == ["secretgraph/secret-rotation-disabled"]
    assert archived[0]["RecordState"] == "ARCHIVED"
