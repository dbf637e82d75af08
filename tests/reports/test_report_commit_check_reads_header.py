"""`report --in X` writing into X checks, just before it commits, that X still holds the scan
it read (a nightly scan may have committed meanwhile). That check needs one string, the scan
id: from a findings.json as scan writes it, it reads the header only, never the rows (at 1,000
accounts the 570 MB file was parsed whole for it, beside the rows and the access analysis the
report still held)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.commands.report import _same_scan
from scanner.errors import OutputError

HEADER = '{\n  "schema_version": 1,\n  "scan": {"id": "night-1", "complete": true},\n' \
    '  "findings": [\n'
ROW = '{"id": "f1", "rule_id": "r", "status": "FAIL"},\n'


def test_the_scan_id_is_read_from_the_header_alone(tmp_path: Path) -> None:
    # rows past the first that no JSON parser takes: the check never reads them
    (tmp_path / "findings.json").write_text(HEADER + ROW + "not json at all\n" * 3)
    _same_scan(tmp_path, "night-1")()
    with pytest.raises(OutputError, match="scan 'night-1' wrote its set there while this "
                                          "report was made from scan 'night-0'"):
        _same_scan(tmp_path, "night-0")()


def test_a_file_of_another_layout_is_still_read_whole(tmp_path: Path) -> None:
    (tmp_path / "findings.json").write_text(
        '{"schema_version": 2, "scan": {"id": "night-2"}, "findings": []}')
    _same_scan(tmp_path, "night-2")()
    with pytest.raises(OutputError, match="scan 'night-2' wrote its set there"):
        _same_scan(tmp_path, "night-1")()


def test_no_findings_file_there_is_another_scan(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="another scan wrote its set there"):
        _same_scan(tmp_path, "night-1")()
