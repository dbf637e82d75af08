"""`secretgraph access`: table and JSON output, filters, and bad input (exit 2, one line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.access_estate import (
    APP_ROLE,
    APP_ROLE2,
    MEMBER,
    SECRET_ARN,
    allow_read_identity,
    estate,
    key_policy_for,
    role,
    secret_policy_for,
)

from scanner.cli import main
from scanner.snapshot_io import write_snapshot


@pytest.fixture()
def snapshot_file(tmp_path: Path) -> Path:
    snap = estate(secret_policy=secret_policy_for(APP_ROLE, APP_ROLE2),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(APP_ROLE, allow_read_identity()),
                              role(APP_ROLE2, allow_read_identity())))
    return write_snapshot(tmp_path / "snapshot.json.gz", snap)


def test_table_shows_each_gate_and_the_broken_reader(snapshot_file: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["access", "--snapshot", str(snapshot_file)]) == 0
    out = capsys.readouterr().out
    assert SECRET_ARN in out
    app2 = next(line for line in out.splitlines() if APP_ROLE2 in line)
    assert "DENIED" in app2 and "BROKEN at key_policy" in app2
    app = next(line for line in out.splitlines() if APP_ROLE in line and APP_ROLE2 not in line)
    assert app.split()[1] == "ALLOWED"


def test_json_for_one_principal_by_secret_name(snapshot_file: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["access", "--from-dir", str(snapshot_file.parent), "--secret", "app/db",
                 "--principal", APP_ROLE, "--format", "json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    [secret] = data["secrets"]
    assert [p["principal"] for p in secret["paths"]] == [APP_ROLE]
    assert secret["paths"][0]["gates"]["key_policy"]["status"] == "ALLOWED"


def test_principal_filter_lists_only_its_secrets(snapshot_file: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["access", "--snapshot", str(snapshot_file), "--principal",
                 "arn:aws:iam::222222222222:role/Nobody"]) == 0
    assert capsys.readouterr().out.strip() == "no access path for this principal"


def test_why_prints_the_deciding_statements(snapshot_file: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["access", "--snapshot", str(snapshot_file), "--principal", APP_ROLE2,
                 "--why"]) == 0
    out = capsys.readouterr().out
    assert f"why {APP_ROLE2}:" in out and "key_policy: DENIED" in out


@pytest.mark.parametrize("argv, message", [
    (["access"], "give --snapshot FILE or --from-dir DIR"),
    (["access", "--snapshot", "/nonexistent/snap.json.gz"], "/nonexistent/snap.json.gz"),
    (["access", "--from-dir", "/nonexistent"], "no snapshot.json.gz"),
    (["access", "--snapshot", "{snap}", "--secret", "nope"], "no such secret"),
    (["access", "--snapshot", "{snap}", "--allowed-external-accounts", "12"],
     "not a 12-digit account id"),
])
def test_bad_input_is_one_line_and_exit_2(argv: list[str], message: str, snapshot_file: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    argv = [a.replace("{snap}", str(snapshot_file)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_malformed_snapshot_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "snapshot.json"
    bad.write_text('{"meta": ')
    assert main(["access", "--snapshot", str(bad)]) == 2
    assert "snapshot.json" in capsys.readouterr().err
