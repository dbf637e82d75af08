"""`scan --snapshot` talks to nothing: no AWS session is opened (it used to open one for the
profile's default Region, which offline nothing uses), and --debug shows the scan's own lines,
not botocore's event renaming."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from helpers.access_estate import estate

from scanner.cli import main
from scanner.snapshot_io import write_snapshot


def test_an_offline_scan_opens_no_aws_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import boto3
    import botocore.session

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("an AWS session was opened offline")

    monkeypatch.setattr(boto3, "Session", refuse)
    monkeypatch.setattr(botocore.session, "Session", refuse)
    write_snapshot(tmp_path / "snapshot.json.gz", estate(secret_policy=None))
    code = main(["scan", "--snapshot", str(tmp_path / "snapshot.json.gz"), "--out",
                 str(tmp_path / "out"), "--format", "json"])
    assert code in (0, 1), capsys.readouterr().err
    assert (tmp_path / "out" / "findings.json").is_file()


def test_debug_leaves_out_botocores_event_renaming(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from scanner.logging_setup import configure

    configure(level=logging.DEBUG)
    try:
        import boto3

        boto3.Session(region_name="us-east-1")  # botocore logs its event renaming here
        write_snapshot(tmp_path / "snapshot.json.gz", estate(secret_policy=None))
        assert main(["scan", "--snapshot", str(tmp_path / "snapshot.json.gz"), "--out",
                     str(tmp_path / "out"), "--format", "json", "--debug"]) in (0, 1)
        err = capsys.readouterr().err
        assert "Changing event name" not in err
        assert "secretgraph.progress: phase rules" in err
    finally:
        configure(level=logging.WARNING)


def test_a_findings_json_given_as_the_snapshot_names_the_snapshot_beside_it(
        tmp_path: Path, capsys: Any) -> None:
    """New-user trial round 17: `scan --snapshot out/findings.json` (the file a scan's --out
    shows first) said "not a secretgraph snapshot (expected an object with schema_version and
    meta)"; it now says it is a findings document and to give the snapshot beside it."""
    snapshot = write_snapshot(tmp_path / "snap.json.gz", estate(secret_policy=None))
    out = tmp_path / "out"
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(out), "-q"]) in (0, 1)
    capsys.readouterr()
    assert main(["scan", "--snapshot", str(out / "findings.json"), "--out",
                 str(tmp_path / "again"), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.endswith(f"{out / 'findings.json'}: a findings.json, not a snapshot: give the "
                        "snapshot.json.gz the scan wrote beside it")
    assert (out / "snapshot.json.gz").is_file()
