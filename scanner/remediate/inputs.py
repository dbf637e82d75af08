"""Reading the scan outputs remediation starts from: findings.json and the snapshot."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner import input_file, json_text
from scanner.output_set import SNAPSHOT_NAMES
from scanner.errors import InputError, UsageError
from scanner.format_version import is_version, shown
from scanner.findings import Finding
from scanner.model import Snapshot
from scanner.snapshot_io import read_snapshot

FINDINGS_NAME = "findings.json"


@dataclass(frozen=True, kw_only=True, slots=True)
class ScanInputs:
    findings: tuple[Finding, ...]
    snapshot: Snapshot
    findings_path: str
    snapshot_path: str
    scan_id: str | None  # findings.json scan.id
    #: the config's trusted_accounts the scan used (findings.json scan.trust_zone): the zone
    #: a plan's analyses use when no --config is given
    trusted_accounts: tuple[str, ...] = ()
    #: and its allowed_external_accounts (outside the zone, not unintended)
    allowed_accounts: tuple[str, ...] = ()


def load_findings(path: str | Path) -> tuple[tuple[Finding, ...], str | None]:
    """The findings of a findings.json file, and its scan id."""
    found, scan_id, _header = _load(Path(path))
    return found, scan_id


def _load(p: Path) -> tuple[tuple[Finding, ...], str | None, Any]:
    """(the findings, the scan id, the document without its rows) of a findings.json.

    A file as scan writes it (reports.json_out.stream_findings_json: the header, then one
    complete row per line) is read a row at a time, each row checked against the schema and
    turned into a Finding before the next is read: at 1,000 accounts the 570 MB document
    parsed whole was a 2.3 GB peak and 18.5 s before planning began, against 1.3 GB and 7.7 s
    so. Any other layout (compact rows, a file another tool wrote) is parsed whole, and its
    rows checked as a scan file's are (``_checked``).
    """
    from reports.json_out import stream_findings_json, streamed_header

    if streamed_header(p) is None:
        doc = _read_document(p)
        found, scan_id = findings_of_document(_checked(doc, str(p)), str(p))
        return found, scan_id, doc
    from scanner.gcpause import gc_paused

    header, rows = stream_findings_json(p)
    out: list[Finding] = []
    with gc_paused():  # long-lived rows, no cycles (scanner.gcpause)
        for i, row in enumerate(rows):
            out.append(_finding(row, i, str(p)))
    scan = header.get("scan")
    scan_id = scan.get("id") if isinstance(scan, dict) else None
    return tuple(out), scan_id if isinstance(scan_id, str) else None, header


def _read_document(p: Path) -> Any:
    try:
        return json_text.loads(input_file.read_text(p))
    except OSError as exc:
        raise InputError(f"cannot read findings: {exc.strerror or exc}", path=str(p)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON ({exc})", path=str(p)) from None


def _checked(doc: Any, where: str) -> Any:
    """A findings document parsed whole, with complete rows: its schema_version one a scan
    writes, every row valid against the findings schema and as many FAIL, UNKNOWN and MUTED
    rows as its summary counts (reports.json_out.validate_rows, what report and export check);
    a file edited by hand and re-indented was planned from unchecked (fault-injection trial
    round 13: a row's ``rule_id: null`` was an internal error after the plan's analyses;
    ``schema_version: 99`` and a row appended twice were planned from, exit 0). Its header
    too (reports.json_out.validate_header, as report and export check it and as a scan file's
    is checked when streamed): a ``scan.trust_zone.trusted_accounts`` written as a string was
    read as no trusted account, the plan's trust zone narrower than the scan's (fault-injection
    trial round 20)."""
    from reports.json_out import validate_header, validate_rows
    from scanner.engine.layout import expand_document

    if not isinstance(doc, dict):
        return doc  # findings_of_document says what it is not
    version = doc.get("schema_version", 1)
    if not (is_version(version, 1) or is_version(version, 2)):
        raise InputError(f"{shown(version)} is not one of [1, 2] (a findings.json secretgraph "
                         "writes)", path=where, field="schema_version")
    validate_header(doc, source=where)
    doc = expand_document(doc, source=where)
    if isinstance(doc.get("findings"), list):
        validate_rows(doc, source=where)
    return doc


def _trusted(doc: Any) -> tuple[str, ...]:
    from scanner.policy.trust_zone import recorded_trusted_accounts

    return recorded_trusted_accounts(doc) if isinstance(doc, dict) else ()


def _allowed(doc: Any) -> tuple[str, ...]:
    from scanner.policy.trust_zone import recorded_allowed_accounts

    return recorded_allowed_accounts(doc) if isinstance(doc, dict) else ()


def findings_of_document(doc: Any, where: str) -> tuple[tuple[Finding, ...], str | None]:
    """The findings of a findings.json document (already parsed, either layout), and its scan
    id."""
    from scanner.engine.layout import expand_document

    if isinstance(doc, dict):
        doc = expand_document(doc, source=where)
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise InputError("not a findings.json document (no findings list)", path=where,
                         field="findings")
    out = [_finding(item, i, where) for i, item in enumerate(doc["findings"])]
    scan = doc.get("scan")
    scan_id = scan.get("id") if isinstance(scan, dict) else None
    return tuple(out), scan_id if isinstance(scan_id, str) else None


def _finding(item: Any, i: int, where: str) -> Finding:
    try:
        return Finding.from_json(item)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"malformed finding ({type(exc).__name__}: {exc})", path=where,
                         field=f"findings[{i}]") from None


def from_history(uri: str) -> ScanInputs:
    """The latest complete scan of a history store (SQLite path or s3://bucket/prefix)."""
    from scanner.history.store import no_complete_scan, open_store

    store = open_store(uri)
    record = store.latest_complete(before=None)
    if record is None:
        raise InputError(no_complete_scan(uri), path=uri)
    stored = store.load(record.scan_id)
    found, scan_id = findings_of_document(dict(stored.document), f"{uri}#{record.scan_id}")
    return ScanInputs(findings=found, snapshot=stored.snapshot,
                      findings_path=f"{uri}#{record.scan_id}/findings.json",
                      snapshot_path=f"{uri}#{record.scan_id}/snapshot", scan_id=scan_id,
                      trusted_accounts=_trusted(dict(stored.document)),
                      allowed_accounts=_allowed(dict(stored.document)))


def resolve(in_dir: str | None, findings: str | None, snapshot: str | None) -> ScanInputs:
    """Inputs from ``--in DIR`` or ``--findings FILE --snapshot FILE``."""
    if in_dir and (findings or snapshot):
        raise UsageError("give --in DIR, or --findings FILE with --snapshot FILE, not both")
    if in_dir:
        from scanner.output_set import check_in_folder

        d = Path(in_dir)
        check_in_folder(d, needs=(FINDINGS_NAME, "snapshot"))
        findings_path = d / FINDINGS_NAME
        snapshot_path = next(d / n for n in SNAPSHOT_NAMES if (d / n).exists())
    elif findings and snapshot:
        from scanner.input_file import check_named_file

        check_named_file(findings, "--findings", "a scan's findings.json")
        check_named_file(snapshot, "--snapshot", "a scan's snapshot.json.gz")
        findings_path, snapshot_path = Path(findings), Path(snapshot)
    else:
        raise UsageError("remediate needs --in DIR (a scan's --out), --history STORE (its latest "
                         "complete scan), or --findings FILE and --snapshot FILE")
    from contextlib import nullcontext

    from scanner.output_set import reading

    # an --out folder is read under its commit lock, so findings.json and the snapshot are of
    # one scan even while a nightly scan moves its set in (fault trial round 7: report read a
    # torn set; remediate said "findings are from scan X but the snapshot is scan Y")
    with reading(Path(in_dir)) if in_dir else nullcontext():
        found, scan_id, doc = _load(Path(findings_path))
        snap_obj = read_snapshot(snapshot_path)
    if scan_id and scan_id != snap_obj.meta.scan_id:
        raise InputError(f"findings are from scan {scan_id} but the snapshot is scan "
                         f"{snap_obj.meta.scan_id}", path=str(findings_path), field="scan.id")
    return ScanInputs(findings=found, snapshot=snap_obj, findings_path=str(findings_path),
                      snapshot_path=str(snapshot_path), scan_id=scan_id,
                      trusted_accounts=_trusted(doc), allowed_accounts=_allowed(doc))
