"""Damaged scans in a history: which ones, and what the nightly scan says when it skips one.

A recorded scan is *damaged* when a payload cannot be read as one (``records.DamagedScan``:
cut short, not gzip, not JSON, not the shape it should have, or missing). Fault-injection
trial round 8: a damaged newest complete scan ended every later ``scan --history`` with exit
2, night after night. The nightly scan now skips it as its previous scan (scanner.pipeline,
one warning: ``skipped_warning``) and ``history list`` marks it (``find_damaged``). Nothing
stored is changed by either: ``history prune`` deletes the scan once it is no longer among
the scans it always keeps (docs/history.md, "A damaged scan").
"""

from __future__ import annotations

from typing import Any, Sequence

from scanner.errors import InputError
from scanner.history.records import DamagedScan, ScanRecord, ordinary_scans

#: scans read whole, at most, by ``find_damaged`` (newest first, down to the newest intact
#: complete one: what the nightly scan reads)
DEEP_CHECKS = 8


def find_damaged(store: Any, records: Sequence[ScanRecord],
                 unread: "dict[str, str] | None" = None) -> dict[str, str]:
    """The damaged scans of ``records`` (scan id -> why). Every scan is checked cheaply (its
    payloads are in the store: ``missing_payloads``); the scans the nightly scan reads -- the
    newest ones, down to the newest intact complete scan, at most ``DEEP_CHECKS`` -- are read
    as it reads them (a complete scan whole, an incomplete one's findings document). A scan
    that cannot be read for another reason (an S3 GetObject denied, a snapshot of a newer
    schema_version) is not damaged: it goes into ``unread`` (scan id -> the error), and the
    walk stops there, as the nightly scan does."""
    missing = getattr(store, "missing_payloads", None)
    found: dict[str, str] = dict(missing()) if missing is not None else {}
    load_document = getattr(store, "load_document", None)
    read = 0
    for rec in reversed(ordinary_scans(list(records))):
        if rec.scan_id in found:
            continue
        if read == DEEP_CHECKS:
            break
        read += 1
        try:
            if rec.complete or load_document is None:
                store.load(rec.scan_id)
            else:
                load_document(rec.scan_id)
        except DamagedScan as exc:
            found[rec.scan_id] = exc.detail
            continue
        except InputError as exc:  # could not read: said, never called damaged
            if unread is not None:
                unread[rec.scan_id] = exc.detail
            break
        if rec.complete:
            break
    return found


def skipped_warning(history: str, exc: DamagedScan, instead: ScanRecord | None) -> str:
    """The one line the nightly scan says of a damaged scan it skips as its previous scan."""
    then = (f"the drift is computed against scan {instead.scan_id!r}, the previous scan "
            "among the intact ones" if instead is not None else
            "no earlier intact complete scan: no drift tonight")
    return (f"warning: history {history}: scan {exc.scan_id!r} is damaged ({exc.detail}); "
            f"skipped as the previous scan: {then}; nothing stored was changed "
            "(secretgraph history list marks it DAMAGED; docs/history.md, 'A damaged scan')")
