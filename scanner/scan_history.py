"""The scan's history stage: which recorded scan is tonight's previous one (the last complete
scan whose scope covers tonight's; damaged scans skipped with a warning), the ``first_seen``
each finding carries from it, and recording tonight's scan with its drift. Used by
``scanner.pipeline`` only; the store itself is scanner.history."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

from scanner.hub_export import warn
from scanner.model import Snapshot
from scanner.scan_result import HistoryOutcome

if TYPE_CHECKING:
    from scanner.history.drift import Drift
    from scanner.history.records import ScanRecord


@dataclass(frozen=True, kw_only=True)
class PreviousScans:
    """What a scan with --history reads of the history, and when: the last complete scan
    (``previous_record``; ``preloaded`` holds it when it was read before collecting, and is
    emptied when the scan takes it) and the newest scan when that one is incomplete
    (``newest_id``: its findings document only). ``keep_documents``: the Security Hub export
    reads their documents after the reports."""

    store: Any
    previous_record: "ScanRecord | None"
    newest_id: str | None
    preloaded: list[Any]
    keep_documents: bool = False
    #: the scans recorded before tonight's (ordinary_scans, oldest first): once tonight's
    #: scope is known, ``previous_record`` is chosen again among them (scanner.history.scope)
    records: "tuple[ScanRecord, ...]" = ()
    #: the history as given (--history), for the warning about a damaged scan
    uri: str = ""
    #: the damaged scans skipped (``skip_damaged``), in the order they were found
    damaged: "tuple[str, ...]" = ()
    #: their records.DamagedScan errors, warned of once the previous scan is chosen
    #: (``warn_skipped``)
    skipped: "tuple[Any, ...]" = ()


def previous_and_newest(records: "Sequence[ScanRecord]"
                         ) -> "tuple[ScanRecord | None, str | None]":
    """The last complete scan of ``records`` (oldest first), and the newest scan when it is
    not that one (an incomplete night): what it reported keeps its first_seen too, or a
    finding first seen in an incomplete night would be "new" again every night until a
    complete one (and re-sent, its CreatedAt moved)."""
    from scanner.history.records import pick_latest_complete

    previous_record = pick_latest_complete(list(records), None)
    newest_id = records[-1].scan_id if records and (
        previous_record is None or records[-1].scan_id != previous_record.scan_id) else None
    return previous_record, newest_id


def skip_damaged(history: PreviousScans, exc: Any) -> PreviousScans:
    """``history`` without the damaged scan of ``exc`` (a records.DamagedScan): the previous
    and the newest scan chosen again among the others (fault-injection trial round 8: a
    damaged newest complete scan failed every later nightly scan); ``warn_skipped`` names it
    once tonight's previous scan is chosen. Nothing stored is changed. A scan found damaged
    twice is an error (never a loop)."""
    if exc.scan_id in history.damaged or \
            exc.scan_id not in {r.scan_id for r in history.records}:
        raise exc
    records = tuple(r for r in history.records if r.scan_id != exc.scan_id)
    previous_record, newest_id = previous_and_newest(records)
    history.preloaded.clear()
    return replace(history, records=records, previous_record=previous_record,
                   newest_id=newest_id, damaged=(*history.damaged, exc.scan_id),
                   skipped=(*history.skipped, exc))


def warn_skipped(history: PreviousScans) -> None:
    """One warning per damaged scan skipped, naming the scan the drift is computed against:
    the previous scan chosen by tonight's scope, which passes a narrower intact scan over --
    named at the skip, the newest intact complete scan was named even when it was passed
    over (docs trial round 5)."""
    from scanner.history.damage import skipped_warning

    for exc in history.skipped:
        warn(skipped_warning(history.uri, exc, history.previous_record))


def _choose_previous(history: PreviousScans, document: Mapping[str, Any], like: Any
                     ) -> "tuple[ScanRecord | None, str | None, dict[str, Mapping[str, Any]]]":
    """Tonight's previous scan: the newest complete scan whose scope covers tonight's
    (scanner.history.scope.previous_scan; new-user trial round 8: a --severity or --regions
    scan recorded in between made every finding outside it "new" the next full night and
    moved its first_seen). Returns it, the newest scan when that is another one (it carries
    first_seen too), and the findings documents read to decide (scan id -> document)."""
    from scanner.history.scope import document_scope, previous_scan

    preloaded = {s.record.scan_id: s for s in history.preloaded}
    read: dict[str, Mapping[str, Any]] = {}

    def document_of(scan_id: str) -> Mapping[str, Any]:
        found = read.get(scan_id)
        if found is None and scan_id in preloaded:
            found = read[scan_id] = preloaded[scan_id].document
        if found is None:
            found = read[scan_id] = _load_document(history.store, scan_id, like)
        return found

    if not history.records:
        return history.previous_record, history.newest_id, read
    chosen = previous_scan(history.records, document_scope(document), document_of).record
    newest = history.records[-1].scan_id
    return chosen, (newest if chosen is None or newest != chosen.scan_id else None), read


def read_previous(history: PreviousScans, document: Mapping[str, Any], like: Any
                   ) -> "tuple[Any, Mapping[str, Any] | None, PreviousScans]":
    """The previous scan (a StoredScan, or None), the newest scan's findings document when
    that is another scan (it carries first_seen too), and ``history`` with the two chosen.
    A damaged scan read here raises records.DamagedScan (the caller skips it and asks
    again)."""
    previous: Any = None
    newest_document: Mapping[str, Any] | None = None
    if not history.preloaded and history.previous_record is not None:
        # the last complete scan: the previous scan on any night but one after a narrower
        # scan, and the first one asked whether it covers tonight's scope
        history.preloaded.append(history.store.load(history.previous_record.scan_id,
                                                    like=like))
    previous_record, newest_id, read = _choose_previous(history, document, like)
    if history.preloaded and previous_record is not None and \
            history.preloaded[-1].record.scan_id == previous_record.scan_id:
        previous = history.preloaded.pop()
    elif previous_record is not None:
        previous = history.store.load(previous_record.scan_id, like=like)
    if newest_id is not None:
        newest_document = read.get(newest_id) or \
            _load_document(history.store, newest_id, like)
    history.preloaded.clear()
    del read
    return previous, newest_document, replace(history, previous_record=previous_record,
                                              newest_id=newest_id)


def _load_document(store: Any, scan_id: str, like: Any = None) -> Mapping[str, Any]:
    """A recorded scan's findings document alone (a store without load_document: the scan);
    ``like``: tonight's payloads (scanner.history.records.Tonight), whose equal rows are kept
    instead of decoded copies."""
    load = getattr(store, "load_document", None)
    if load is None:
        return store.load(scan_id).document  # type: ignore[no-any-return]
    return load(scan_id) if like is None else load(scan_id, like=like)  # type: ignore[no-any-return]


def record_history(store: Any, snapshot: Snapshot, document: Mapping[str, Any], access: Any,
                   previous: Any, *, drift: "Drift | None" = None,
                   previous_record: "ScanRecord | None" = None) -> HistoryOutcome:
    """Store this scan (its document already carries first_seen) and diff it against the
    previous complete scan (unless ``drift``, that diff, was computed already: then
    ``previous`` may be None and ``previous_record`` name that scan). ``access``: the access
    report or its JSON (built once by the caller that has it already)."""
    from scanner.history.access_readers import access_json_of
    from scanner.history.diff import diff_scans
    from scanner.history.records import StoredScan

    access_json = access_json_of(access)
    record = store.record(snapshot.meta, snapshot, document, access_json)
    if drift is None and previous is not None:
        current = StoredScan(record=record, snapshot=snapshot, document=document,
                             access=access_json)
        drift = diff_scans(previous, current)
    return HistoryOutcome(record=record,
                          previous=previous.record if previous else previous_record,
                          drift=drift)


def with_outputs(document: Mapping[str, Any], out_dir: Path,
                 written: Sequence[Path]) -> dict[str, Any]:
    """The document as the history records it: ``scan.outputs`` says where the reports went
    and that the whole set was written (the history records a scan only after that)."""
    scan = dict(document.get("scan") or {})
    scan["outputs"] = {"status": "written", "folder": str(out_dir),
                       "files": sorted(p.name for p in written)}
    return {**document, "scan": scan}


class FirstSeenIndex(Mapping[str, str]):
    """Finding id -> first_seen of this scan's rows, built when first read: only the ASFF
    export reads it, and at 500,000 rows the index is 15 MB held while every report is
    written (the peak of a large scan)."""

    def __init__(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._rows = rows
        self._index: dict[str, str] | None = None

    def _built(self) -> dict[str, str]:
        if self._index is None:
            self._index = {f["id"]: f["first_seen"] for f in self._rows if f.get("first_seen")}
        return self._index

    def __getitem__(self, key: str) -> str:
        return self._built()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())


def with_first_seen(document: dict[str, Any], previous: Mapping[str, Any] | None,
                    *later: Mapping[str, Any] | None) -> dict[str, Any]:
    """Each finding's ``first_seen``: carried from the previous scan (the last complete scan
    whose scope covers this one's: scanner.history.scope) when the same finding id was
    reported there (its first_seen, else that scan's start), else this scan's start.
    ``later``: scans recorded since that one (incomplete or narrower): the earliest first_seen of
    the scans that reported the id wins. Security Hub's CreatedAt comes from it, so it survives nightly output directories.
    A previous PASS row carries its first_seen only to a PASS row: whether the previous scan
    itemised PASS results (``--emit-pass``) never changes a FAIL, UNKNOWN or MUTED row.
    The rows of ``document`` are updated in place (they are this scan's own rows)."""
    started = document.get("scan", {}).get("started_at")
    earlier: dict[str, str] = {}
    earlier_pass: dict[str, str] = {}
    for prev in (previous, *later):
        if prev is None:
            continue
        prev_started = prev.get("scan", {}).get("started_at")
        for f in prev.get("findings", ()):
            seen = f.get("first_seen") or prev_started
            if seen:
                into = earlier_pass if f.get("status") == "PASS" else earlier
                known = into.get(f["id"])
                if known is None or str(seen) < str(known):
                    into[f["id"]] = seen
    findings = document.get("findings", [])
    for f in findings:  # in place: a second copy of a million rows is a gigabyte
        fid = f["id"]
        seen = earlier.get(fid)
        if seen is None and f.get("status") == "PASS":
            seen = earlier_pass.get(fid)
        f["first_seen"] = seen or f.get("first_seen") or started
    return dict(document, findings=findings)
