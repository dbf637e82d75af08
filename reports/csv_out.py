"""CSV: one row per finding, safe to open in a spreadsheet, and readable back losslessly.

Spreadsheet formula injection: a cell starting with ``= + - @ | %``, a tab or a carriage return
would be run as a formula by Excel or LibreOffice. Such cells (and cells starting with a quote,
so the escape is reversible) get a leading ``'``; ``read_csv`` removes it again.

``muted_by`` (the suppression entry of a MUTED row: reason, expires, owner, file and entry
number; empty on other rows) is the last column, added after the others so that spreadsheets
built on the earlier columns keep their positions (new-user trial round 6).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import IO, Any, Mapping

from reports._common import replacing, sorted_findings, strip_controls

COLUMNS: tuple[str, ...] = (
    "id", "rule_id", "title", "severity", "status", "account_id", "account_name", "region", "resource_type",
    "resource_arn", "principal", "message", "remediation", "compliance", "evidence", "missing",
    "muted_by",
)
_FORMULA_START = ("=", "+", "-", "@", "|", "%", "\t", "\r", "'")
_JSON_COLUMNS = ("remediation", "compliance", "evidence", "missing", "muted_by")


def _escape(value: str) -> str:
    value = strip_controls(value) if value else value
    return "'" + value if value.startswith(_FORMULA_START) else value


def _unescape(value: str) -> str:
    return value[1:] if value.startswith("'") else value


def _row(f: Mapping[str, Any]) -> dict[str, str]:
    r = f.get("resource") or {}
    raw: dict[str, Any] = {
        "id": f.get("id"), "rule_id": f.get("rule_id"), "title": f.get("title"),
        "severity": f.get("severity"), "status": f.get("status"),
        "account_id": r.get("account_id"), "account_name": r.get("account_name"),
        "region": r.get("region"),
        "resource_type": r.get("type"), "resource_arn": r.get("arn"),
        "principal": f.get("principal") or "", "message": f.get("message") or "",
    }
    out = {k: _escape(str(v if v is not None else "")) for k, v in raw.items()}
    for key, default in (("remediation", {}), ("compliance", {}), ("evidence", {}),
                         ("missing", [])):
        out[key] = _escape(json.dumps(f.get(key) or default, sort_keys=True, ensure_ascii=False,
                                      default=str))
    muted_by = f.get("muted_by")
    out["muted_by"] = _escape(json.dumps(muted_by, sort_keys=True, ensure_ascii=False,
                                         default=str)) if muted_by else ""
    return out


def _write_rows(document: Mapping[str, Any], out: IO[str]) -> None:
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for f in sorted_findings(document):  # the sort holds references to the rows, not text
        writer.writerow(_row(f))


def render_csv(document: Mapping[str, Any]) -> str:
    """The whole CSV as one string (for tests and small documents; ``write_csv`` streams)."""
    buf = io.StringIO(newline="")
    _write_rows(document, buf)
    return buf.getvalue()


def write_csv(document: Mapping[str, Any], path: Path) -> Path:
    """Stream the rows to ``path``, one at a time, through a temporary file renamed into place
    when complete (org-scale trial round 2: the whole CSV was built in memory first, 3 GB more
    than findings.json alone at 100,000 secrets)."""
    with replacing(path, newline="") as out:
        _write_rows(document, out)
    return path


def read_csv(text: str) -> list[dict[str, Any]]:
    """Rows back as dicts (JSON columns decoded, formula escapes removed)."""
    rows: list[dict[str, Any]] = []
    for raw in csv.DictReader(io.StringIO(text, newline="")):
        row: dict[str, Any] = {k: _unescape(v or "") for k, v in raw.items()}
        for key in _JSON_COLUMNS:  # .get: a CSV written before the muted_by column
            row[key] = json.loads(row[key]) if row.get(key) else None
        rows.append(row)
    return rows
