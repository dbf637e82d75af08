"""A recorded scan whose row (not its payloads) is damaged (fault-injection trial round 18).

A scan's row in a SQLite history keeps what `history list` shows -- its accounts, Regions and
finding counts -- as JSON text beside the payloads. A bit flip, a hand edit or another tool
writing there left text that is not the JSON it should be ("counts": 'x', a count "many",
"regions": null), and `history list`, `diff` and the nightly `scan --history` ended with
"internal error: JSONDecodeError ... (run with --debug for the traceback)", as for a bug, naming
neither the file nor the scan. A damaged entry of an S3 history's index.json ("counts": [])
was the same internal error (AttributeError). Now each is one line naming the history and the
scan (and for SQLite how to remove the row), exit 2, and nothing stored is changed."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from scanner.cli import main
from scanner.snapshot_io import write_snapshot

from helpers.scanfactory import secret, snapshot

BUCKET = "sg-damaged-rows"

#: (column, text written there, what the error line says of it)
DAMAGED_COLUMNS = [
    ("counts", "x", "its counts"),
    ("counts", '{"fail": "many"}', "its counts"),
    ("counts", "[]", "its counts"),
    ("regions", "null", "its regions"),
    ("accounts", '{"a": 1}', "its accounts"),
    ("accounts", "[5]", "its accounts"),
]


def _night(tmp_path: Path, n: int) -> Path:
    snap = snapshot(f"n{n}", f"2026-11-2{n}T01:00:00Z", [secret("db")])
    return write_snapshot(tmp_path / f"n{n}.json.gz", snap)


def _scan(tmp_path: Path, history: str, n: int) -> int:
    return main(["scan", "--snapshot", str(_night(tmp_path, n)), "--history", history,
                 "--out", str(tmp_path / f"out-n{n}"), "--fail-on", "NONE", "-q"])


def _one_error_line(err: str) -> str:
    assert "Traceback" not in err and "internal error" not in err
    [line] = [line for line in err.splitlines() if "error:" in line]
    return line


@pytest.mark.parametrize("column,text,said", DAMAGED_COLUMNS)
def test_a_damaged_scan_row_is_one_line_naming_the_history_and_the_scan(
        tmp_path: Path, capsys: Any, column: str, text: str, said: str) -> None:
    history = tmp_path / "h.db"
    assert _scan(tmp_path, str(history), 1) == 0
    assert _scan(tmp_path, str(history), 2) == 0
    conn = sqlite3.connect(history)
    conn.execute(f"UPDATE scans SET {column} = ? WHERE scan_id = 'n2'", (text,))
    conn.commit()
    conn.close()
    before = hashlib.sha256(history.read_bytes()).hexdigest()
    capsys.readouterr()

    for argv in (["history", "list", "--history", str(history)],
                 ["diff", "--history", str(history)]):
        assert main(argv) == 2
        line = _one_error_line(capsys.readouterr().err)
        assert str(history) in line and "'n2'" in line and said in line
        assert "DELETE FROM scans WHERE scan_id = 'n2'" in line  # how to remove it

    assert _scan(tmp_path, str(history), 3) == 2  # refused before anything is written
    line = _one_error_line(capsys.readouterr().err)
    assert str(history) in line and "'n2'" in line
    assert not (tmp_path / "out-n3").exists()
    assert hashlib.sha256(history.read_bytes()).hexdigest() == before  # nothing stored changed



@pytest.mark.parametrize("field,value", [("counts", []), ("counts", "x"),
                                         ("accounts", {"a": 1}), ("regions", [None])])
def test_a_damaged_s3_index_entry_is_one_line_naming_the_history(
        tmp_path: Path, capsys: Any, s3: Any, field: str, value: Any) -> None:
    history = f"s3://{BUCKET}/h"
    assert _scan(tmp_path, history, 1) == 0
    index = json.loads(s3.get_object(Bucket=BUCKET, Key="h/index.json")["Body"].read())
    index["scans"][0][field] = value
    s3.put_object(Bucket=BUCKET, Key="h/index.json", Body=json.dumps(index).encode())
    capsys.readouterr()

    assert main(["history", "list", "--history", history]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert history in line and "not a usable secretgraph history" in line
    assert "'n1'" in line and f"its {field}" in line
