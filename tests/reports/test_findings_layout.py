"""findings.json on disk. By default every row is complete (the DESIGN.md contract,
schema_version 1). With ``findings_layout: compact`` (schema_version 2,
scanner/engine/layout.py) rule metadata, account names and evidence many rows share are
written once, and reading the file gives back the complete document -- everything reports,
drift, Security Hub and remediation read."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reports.asff import build_asff
from reports.json_out import findings_schema, read_findings_json, write_findings_json
from reports.table import render_table
from scanner.engine.output import findings_document
from scanner.engine.suppressions import Suppression, Suppressions
from scanner.errors import InputError
from scanner.findings import Finding, ResourceRef, Severity, Status, finding_id
from scanner.history.diff import diff_scans
from scanner.pipeline import Inputs, ScanOptions, analyze, load_inputs
from scanner.remediate.inputs import findings_of_document, load_findings

from helpers.scanfactory import CENTRAL, secret, secret_arn, snapshot, stored

NOW = dt.datetime(2026, 11, 29, tzinfo=dt.timezone.utc)
T1, T2 = "2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z"


def inputs(emit_pass: bool = False) -> Inputs:
    base = load_inputs(ScanOptions(emit_pass=emit_pass))
    mute = Suppressions(entries=(Suppression(index=0, reason="accepted", expires=NOW.date(),
                                             rule="secret-rotation-disabled"),), path="m.yaml")
    return dataclasses.replace(base, suppressions=mute)


def estate(scan_id: str = "a", started: str = T1, *, rotation: bool = False) -> Any:
    """Six secrets unused since January (the same evidence on six rows), one on the AWS-managed
    key."""
    return snapshot(scan_id, started, [
        *(secret(f"app-{i}", rotation=rotation, last_accessed="2026-01-01T00:00:00Z")
          for i in range(6)),
        secret("api", kms_key_id=None)])


def as_read(doc: dict[str, Any]) -> Any:
    return json.loads(json.dumps(doc))


#: the members every finding row has on disk by default (DESIGN.md findings.json contract)
CONTRACT_MEMBERS = {"id", "rule_id", "title", "severity", "status", "resource", "evidence",
                    "remediation", "compliance"}


@pytest.mark.parametrize("emit_pass", [False, True])
def test_by_default_every_row_on_disk_carries_every_contract_member(
        tmp_path: Path, emit_pass: bool) -> None:
    doc = analyze(estate(), inputs(emit_pass), now=NOW).document
    path = write_findings_json(doc, tmp_path / "findings.json")
    raw = json.loads(path.read_text())
    jsonschema.validate(raw, findings_schema())
    assert raw["schema_version"] == 1
    assert "rules" not in raw and "evidence_shared" not in raw
    assert raw["findings"] and all(CONTRACT_MEMBERS <= set(f) for f in raw["findings"])
    assert not any("$shared" in f["evidence"] for f in raw["findings"])
    assert all("account_name" in f["resource"] for f in raw["findings"])
    assert raw == as_read(doc)
    assert read_findings_json(path) == as_read(doc)


def test_the_layout_is_chosen_by_the_config_or_the_scan_flag(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("findings_layout: compact\n")
    assert load_inputs(ScanOptions(config_path=config)).config.findings_layout == "compact"
    assert load_inputs(ScanOptions(config_path=config, findings_layout="complete")
                       ).config.findings_layout == "complete"
    assert load_inputs(ScanOptions()).config.findings_layout == "complete"
    config.write_text("findings_layout: tiny\n")
    with pytest.raises(InputError) as err:
        load_inputs(ScanOptions(config_path=config))
    assert "findings_layout" in str(err.value)


@pytest.mark.parametrize("emit_pass", [False, True])
def test_the_compact_file_writes_rule_metadata_once_and_reads_back_complete(
        tmp_path: Path, emit_pass: bool) -> None:
    doc = analyze(estate(), inputs(emit_pass), now=NOW).document
    path = write_findings_json(doc, tmp_path / "findings.json", compact=True)
    raw = json.loads(path.read_text())
    jsonschema.validate(raw, findings_schema())
    assert raw["schema_version"] == 2 and doc["schema_version"] == 1
    assert {f["status"] for f in raw["findings"]} >= {"FAIL", "MUTED"}
    # rule metadata once per rule, not per row
    assert set(raw["rules"]) == {f["rule_id"] for f in doc["findings"]}
    assert not any({"title", "remediation", "compliance"} & set(f) for f in raw["findings"])
    unused = [f for f in raw["findings"]
              if f["rule_id"] == "secret-unused" and f["status"] == "FAIL"]
    assert len(unused) == 6
    # the first row keeps its evidence inline; the five others name the one written at the end
    refs = [f["evidence"].get("$shared") for f in unused]
    assert refs[0] is None and len(set(refs[1:])) == 1 and refs[1] in raw["evidence_shared"]
    assert read_findings_json(path) == as_read(doc)
    assert len(path.read_text()) < len(json.dumps(doc, separators=(",", ":")))


def test_reports_drift_security_hub_and_remediation_read_the_same_from_the_file(
        tmp_path: Path) -> None:
    old = analyze(estate("a", T1), inputs(), now=NOW).document
    new = analyze(estate("b", T2, rotation=True), inputs(), now=NOW).document
    read_old = read_findings_json(write_findings_json(old, tmp_path / "old.json", compact=True))
    path = write_findings_json(new, tmp_path / "findings.json", compact=True)
    read_new = read_findings_json(path)
    assert build_asff(read_new) == build_asff(as_read(new))
    assert render_table(read_new) == render_table(new)
    drift = diff_scans(stored(estate("a", T1), old), stored(estate("b", T2, rotation=True), new))
    drift_read = diff_scans(stored(estate("a", T1), read_old),
                            stored(estate("b", T2, rotation=True), read_new))
    assert drift_read.to_json() == drift.to_json()
    assert load_findings(path) == findings_of_document(new, "memory")


def _finding(rule: str, name: str, *, title: str, remediation: dict[str, Any],
             message: str, facts: list[str], account_name: str | None) -> Finding:
    arn = secret_arn(name)
    return Finding(id=finding_id(rule, arn), rule_id=rule, title=title,
                   severity=Severity.HIGH, status=Status.FAIL,
                   resource=ResourceRef(type="Secret", arn=arn, account_id=CENTRAL,
                                        region="us-east-1", account_name=account_name),
                   message=message, evidence={"facts": facts, "detail": "x" * 80},
                   remediation=remediation, compliance={"cis": ("1.1",)})


def test_a_row_that_differs_from_its_rule_or_account_keeps_its_own_members(
        tmp_path: Path) -> None:
    fix = {"id": "fix", "description": "do it", "automated": False}
    findings = [
        _finding("r", "a", title="Rule r", remediation=fix, message="one; two",
                 facts=["one", "two"], account_name="central"),
        _finding("r", "b", title="Rule r, reworded", remediation=dict(fix, automated=True),
                 message="not the facts", facts=["one", "two"], account_name=None),
    ]
    doc = findings_document(estate(), findings)
    raw_path = write_findings_json(doc, tmp_path / "findings.json", compact=True)
    raw = json.loads(raw_path.read_text())
    rows = {f["resource"]["arn"]: f for f in raw["findings"]}
    first, second = rows[secret_arn("a")], rows[secret_arn("b")]
    assert raw["rules"]["r"]["title"] == "Rule r"
    assert raw["account_names"] == {CENTRAL: "central"}
    assert "message" not in first and "account_name" not in first["resource"]
    assert second["title"] == "Rule r, reworded" and second["remediation"]["automated"] is True
    assert second["message"] == "not the facts" and second["resource"]["account_name"] is None
    assert read_findings_json(raw_path) == as_read(doc)


def test_evidence_naming_a_missing_shared_entry_is_an_input_error(tmp_path: Path) -> None:
    doc = analyze(estate(), inputs(), now=NOW).document
    path = write_findings_json(doc, tmp_path / "findings.json", compact=True)
    raw = json.loads(path.read_text())
    index = next(i for i, f in enumerate(raw["findings"]) if "$shared" in f["evidence"])
    raw["findings"][index]["evidence"]["$shared"] = "e999"
    path.write_text(json.dumps(raw))
    with pytest.raises(InputError) as err:
        read_findings_json(path)
    assert f"findings/{index}/evidence/$shared" in str(err.value) and "e999" in str(err.value)


def test_a_version_1_file_with_complete_rows_still_reads(tmp_path: Path) -> None:
    doc = analyze(estate(), inputs(), now=NOW).document
    path = tmp_path / "findings.json"
    path.write_text(json.dumps(doc))
    assert read_findings_json(path) == as_read(doc)
    assert load_findings(path) == findings_of_document(doc, "memory")


def test_a_malformed_compact_row_is_an_input_error_naming_the_field(tmp_path: Path) -> None:
    doc = analyze(estate(), inputs(), now=NOW).document
    path = write_findings_json(doc, tmp_path / "findings.json", compact=True)
    raw = json.loads(path.read_text())
    raw["findings"][0]["rule_id"] = ["not", "a", "string"]
    raw["findings"][1]["resource"]["account_id"] = {"not": "a string"}
    path.write_text(json.dumps(raw))
    with pytest.raises(InputError) as err:
        read_findings_json(path)
    assert "field findings/0" in str(err.value) and "\n" not in str(err.value)
