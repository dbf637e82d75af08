"""`secretgraph access` mistakes a user makes: the error names the option they typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.access_estate import estate

from scanner.cli import main
from scanner.snapshot_io import write_snapshot


def test_an_unknown_secret_given_to_prove_is_reported_against_prove(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("z3")
    write_snapshot(tmp_path / "snapshot.json.gz", estate(secret_policy=None))
    assert main(["access", "--in", str(tmp_path), "--prove", "app/dbx"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("secretgraph access: error: --prove 'app/dbx': no such secret "
                           "in the scan; closest: app/db"), line
