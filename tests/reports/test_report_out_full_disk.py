"""`secretgraph report --out DIR` and `secretgraph deploy-templates --out DIR` on a full disk
(fault-injection trial round 18, a 300 KB tmpfs): one line naming what could not be written,
exit 2, and what the folder held before left as it was.

`report` ended "internal error: OSError: [Errno 28] No space left on device (run with --debug
for the traceback)", as for a bug, naming no file (its reports are staged, so last night's
stayed); `scan` says the same full disk in one line since fault-injection trial round 6.
`deploy-templates` wrote each template in place: the same error, and the template it was
writing left empty (secretgraph-org-scale.yaml, 0 bytes) -- a template the folder held before
was cut off with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.full_disk import NearlyFullDisk
from helpers.report_sample import sample_document

from scanner.cli import main


def _scan_folder(tmp_path: Path) -> Path:
    scan = tmp_path / "scan"
    scan.mkdir()
    (scan / "findings.json").write_text(json.dumps(sample_document()), encoding="utf-8")
    return scan


def _error_line(err: str) -> str:
    assert "internal error" not in err and "Traceback" not in err
    [line] = err.strip().splitlines()
    return line


@pytest.mark.parametrize("formats", ["html", "json,csv"])
def test_report_on_a_full_disk_is_one_line_and_the_previous_reports_stay(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        formats: str) -> None:
    scan = _scan_folder(tmp_path)
    disk_folder = tmp_path / "disk"
    out = disk_folder / "reports"
    assert main(["report", "--in", str(scan), "--out", str(out), "--format", formats]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    NearlyFullDisk(disk_folder, free=2048).install(monkeypatch)
    capsys.readouterr()

    assert main(["report", "--in", str(scan), "--out", str(out), "--format", formats]) == 2
    line = _error_line(capsys.readouterr().err)
    assert line.startswith("secretgraph report: error: could not write ")
    assert str(out) in line and "No space left on device" in line
    assert "the previous outputs in" in line and "are unchanged" in line
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in disk_folder.iterdir()] == ["reports"]  # no staging folder left


def test_deploy_templates_on_a_full_disk_is_one_line_and_the_templates_stay(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "templates"
    assert main(["deploy-templates", "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    for path in out.iterdir():  # an older version of each template, as a deployment keeps
        path.write_bytes(before[path.name][: len(before[path.name]) // 2])
    older = {p.name: p.read_bytes() for p in out.iterdir()}
    NearlyFullDisk(out, free=20_000).install(monkeypatch)  # the first template fits
    capsys.readouterr()

    assert main(["deploy-templates", "--out", str(out)]) == 2
    line = _error_line(capsys.readouterr().err)
    assert line.startswith(f"secretgraph deploy-templates: error: --out {out}: cannot write ")
    assert "No space left on device" in line and "as they were" in line
    assert {p.name: p.read_bytes() for p in out.iterdir()} == older  # none half-replaced
