"""JSON files as people hand them over (fault-injection trial round 22): one nested deeper
than the parser recurses is one line naming the file, exit 2, from every command that reads
one (`scan --snapshot`, `access --snapshot`, `remediate --plan`, `export securityhub --asff`
and `--ledger` ended "internal error: RecursionError" -- json raises it, and no reader caught
it); one saved with a UTF-8 byte-order mark (a Windows editor) is read, as the YAML files are
("not valid JSON (Unexpected UTF-8 BOM (decode using utf-8-sig))")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner import json_text
from scanner.cli import main
from scanner.snapshot_io import write_snapshot

DEPTH = 100_000


def _deep(tmp_path: Path) -> Path:
    path = tmp_path / "deep.json"
    path.write_text('{"schema_version": 1, "meta": {}, "x": ' + "[" * DEPTH + "]" * DEPTH + "}",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("argv", [
    ["scan", "--snapshot", "{deep}", "--out", "{tmp}/out", "-q"],
    ["access", "--snapshot", "{deep}"],
    ["remediate", "--plan", "{deep}"],
    ["export", "securityhub", "--asff", "{deep}", "--dry-run"],
    ["export", "securityhub", "--findings", "{deep}", "--dry-run"],
])
def test_a_json_file_nested_too_deep_is_one_line_naming_it(
        argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = _deep(tmp_path)
    code = main([a.format(deep=deep, tmp=tmp_path) for a in argv])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert f"error: {deep}: " in err and "nested more than 500 levels deep" in err, err
    assert "internal error" not in err and "\n" not in err


def test_the_error_points_at_the_bracket_too_deep_not_at_brackets_in_strings() -> None:
    text = '{"a": "[[[{{\\" [[", "b": ' + "[" * 2000 + "]" * 2000 + "}"
    with pytest.raises(json.JSONDecodeError) as info:
        json_text.loads(text)
    prefix = text.index('"b": ') + len('"b": ')
    assert info.value.pos == prefix + 499  # the 501st level: the object is the first
    assert text[info.value.pos] == "["


def test_ordinary_json_reads_as_json_loads_reads_it() -> None:
    text = '{"a": [1, {"b": "[{\\"}"}], "c": null}'
    assert json_text.loads(text) == json.loads(text)
    assert json_text.loads(text.encode()) == json.loads(text)


def test_a_snapshot_and_a_findings_json_saved_with_a_byte_order_mark_are_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from helpers.engine_helpers import make_secret, make_snapshot

    snapshot = write_snapshot(tmp_path / "snapshot.json", make_snapshot(make_secret("db")))
    snapshot.write_bytes(b"\xef\xbb\xbf" + snapshot.read_bytes().replace(b"\n", b"\r\n"))
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "out"), "-q",
                 "--format", "json,html"]) in (0, 1)
    findings = tmp_path / "out" / "findings.json"
    findings.write_bytes(b"\xef\xbb\xbf" + findings.read_bytes())
    capsys.readouterr()
    assert main(["report", "--in", str(tmp_path / "out"), "--out", str(tmp_path / "again"),
                 "-q"]) == 0, capsys.readouterr().err
    assert (tmp_path / "again" / "report.html").exists()


def test_an_error_after_a_byte_order_mark_names_its_true_column() -> None:
    with pytest.raises(json.JSONDecodeError) as info:
        json_text.loads("\ufeff{\"a\": nope}")
    assert (info.value.lineno, info.value.colno) == (1, 8)
