"""`secretgraph diff OUT_A OUT_B`: two scans named by their output folders (new-user trial
round 31). With last night's and tonight's folders at hand, `diff out/mon out/tue` said
"secretgraph-history.db: no scan 'out/mon': the history holds no scans" -- as if the folder
were a misspelt scan id. A folder (or its findings.json) names the scan that wrote it; diff
compares that scan as recorded in --history, and says so plainly when it is not recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.cli import main
from scanner.history import open_store

from helpers.scanfactory import MEMBER, access, document, finding, secret, secret_arn, snapshot

DB = secret_arn("db")
APP = f"arn:aws:iam::{MEMBER}:role/app"


def _nights(tmp_path: Path) -> str:
    """Two recorded scans, n1 and n2 (rotation turned off in between), each also written to
    its output folder out-n1, out-n2, as `scan --out DIR --history H` leaves them."""
    hist = str(tmp_path / "h.db")
    store = open_store(hist)
    for i, (sid, rotation, findings) in enumerate(
            [("n1", True, []), ("n2", False, [finding("secret-rotation-disabled", DB)])]):
        snap = snapshot(sid, f"2026-11-2{i}T02:00:00Z", [secret("db", rotation=rotation)])
        doc = document(snap, findings)
        store.record(snap.meta, snap, doc, access({DB: [(APP, "allow")]}))
        out = tmp_path / f"out-{sid}"
        out.mkdir()
        (out / "findings.json").write_text(json.dumps(doc, default=str))
    return hist


def test_two_output_folders_compare_their_scans(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hist = _nights(tmp_path)
    assert main(["diff", "n1", "n2", "--history", hist]) == 0
    by_id = capsys.readouterr().out
    assert "secret-rotation-disabled" in by_id
    assert main(["diff", str(tmp_path / "out-n1"), str(tmp_path / "out-n2"),
                 "--history", hist]) == 0
    assert capsys.readouterr().out == by_id
    # its findings.json names it as well
    assert main(["diff", str(tmp_path / "out-n1" / "findings.json"), "n2",
                 "--history", hist]) == 0
    assert capsys.readouterr().out == by_id


def test_a_folder_whose_scan_is_not_recorded_says_what_diff_compares(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hist = _nights(tmp_path)
    empty = str(tmp_path / "none.db")
    out_n1 = tmp_path / "out-n1"
    assert main(["diff", str(out_n1), str(tmp_path / "out-n2"), "--history", empty]) == 2
    err = capsys.readouterr().err
    assert f"{out_n1} holds scan n1, which {empty} does not hold" in err
    assert "diff compares scans recorded in a history" in err
    assert "scan --history" in err  # how a scan is recorded
    assert "Traceback" not in err
    assert hist  # the scans are recorded elsewhere


def test_a_folder_without_findings_json_is_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hist = _nights(tmp_path)
    bare = tmp_path / "bare"
    bare.mkdir()
    assert main(["diff", str(bare), "n2", "--history", hist]) == 2
    err = capsys.readouterr().err
    assert f"{bare}: a folder without findings.json" in err
    assert "`secretgraph history list" in err
