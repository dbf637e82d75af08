"""History under an S3 prefix, for the scheduled deployment.

Layout under ``s3://bucket/prefix/``::

    scans/<scan id>/snapshot.json.gz
    scans/<scan id>/findings.json.gz
    scans/<scan id>/access.json.gz       (when an access report was recorded)
    index.json                           (written LAST: the list of recorded scans)
    marks/<marked at>-<random>.json      re-read marks, one object per writer (never rewritten,
                                         so concurrent writers never lose one another's marks;
                                         the deployment's lifecycle rule expires old ones)
    notifications.json                   the scheduled deployment's notification ledger: the
                                         last scan whose notification was settled (sent, or
                                         none due); the scans after it are owed one
    securityhub.json                     the Security Hub export ledger (reports.hub_ledger):
                                         the findings the exports left SUPPRESSED, and the last
                                         complete scan whose export was wholly delivered

A scan becomes visible only when ``index.json`` names it, and the index is written after the
payloads, so a crash mid-write leaves at most unreferenced objects, never a half scan. The
index carries a format marker and a schema version; a prefix whose index is not ours, or that
cannot be read, is an InputError naming the URI (exit 2) and nothing is written.

Concurrent writers: the index is written only if it is still the one this writer read (an S3
conditional write, If-Match on the ETag read, or If-None-Match "*" when there was none); a
writer that lost the race reads the index again, adds its scan to what is there and tries
again, up to INDEX_WRITE_ATTEMPTS times, then fails naming the URI (the scan is not
recorded; its payloads stay as unreferenced objects).
"""

from __future__ import annotations

import json
import random
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple, Sequence

from scanner.errors import InputError
from scanner.history.access_readers import access_json_of
from scanner.history.records import (
    ReReadMark, ScanRecord, DamagedScan, StoredScan, Tonight, document_problem, make_record,
    pick_latest_complete, snapshot_from_blob, snapshot_from_json, version_problem,
)
from scanner.history.blobs import decode_blob, decode_blob_elements, encode_blob
from scanner.model import ScanMeta, Snapshot

if TYPE_CHECKING:
    from reports.hub_ledger import ExportLedger

INDEX_FORMAT = "secretgraph-history"
INDEX_VERSION = 1
MARKS_FORMAT = "secretgraph-reread-marks"
NOTIFICATIONS_FORMAT = "secretgraph-notifications"
#: conditional writes of index.json before a record() gives up (each after reading it again)
INDEX_WRITE_ATTEMPTS = 8
#: "If the ETag values do not match, the operation returns a 412 Precondition Failed error. If
#: a conflicting operation occurs during the upload S3 returns a 409 ConditionalRequestConflict
#: response. On a 409 failure you should fetch the object's ETag and retry the upload."
#: (PutObject, IfMatch). An If-Match write whose object was deleted meanwhile answers 404
#: NoSuchKey: the index is read again (and then created with If-None-Match "*").
_LOST_RACE = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict", "409",
                        "NoSuchKey", "404"})
_PAYLOADS = {"snapshot": "snapshot.json.gz", "document": "findings.json.gz",
             "access": "access.json.gz"}


#: the index's own top-level fields and a record's (ScanRecord.to_json); any other field was
#: written by a newer secretgraph and is kept as it is when this version rewrites the index
_INDEX_FIELDS = frozenset({"format", "schema_version", "scans"})
_RECORD_FIELDS = frozenset(ScanRecord(scan_id="", started_at="", finished_at=None, complete=False,
                                      recorded_at="").to_json())


class _IndexRead(NamedTuple):
    """index.json as read: its records, its ETag, and the fields this version does not know
    (top-level; per scan id)."""

    records: list[ScanRecord]
    etag: str | None
    top_extra: dict[str, Any]
    record_extra: dict[str, dict[str, Any]]


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> (bucket, "some/prefix/") (prefix may be "")."""
    if not uri.startswith("s3://"):
        raise InputError("not an s3:// URI", path=uri)
    rest = uri[len("s3://"):]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise InputError("the S3 URI names no bucket (expected s3://bucket/prefix)", path=uri)
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        code = (response.get("Error") or {}).get("Code")
        if code:
            return str(code)
    return type(exc).__name__


def _backoff_sleep(attempt: int) -> None:
    """Before the index write attempt ``attempt`` (1, 2, ...): a random wait, doubling up to
    2 s, so that writers that collided do not collide again in step."""
    time.sleep(random.uniform(0, min(2.0, 0.05 * 2 ** attempt)))


class S3HistoryStore:
    """History under an S3 prefix. `client` is a boto3 S3 client (made by the caller)."""

    def __init__(self, uri: str, client: Any) -> None:
        self.uri = uri.rstrip("/")
        self.bucket, self.prefix = parse_s3_uri(uri)
        self._client = client

    def _key(self, *parts: str) -> str:
        return self.prefix + "/".join(parts)

    def _fail(self, message: str) -> InputError:
        return InputError(message, path=self.uri)

    def _damaged(self, scan_id: str, message: str) -> DamagedScan:
        return DamagedScan(message, path=self.uri, scan_id=scan_id)

    def _get_payload(self, scan_id: str, key: str) -> bytes:
        """A payload object of an indexed scan; one that is not there (NoSuchKey) is damage
        (DamagedScan), one that cannot be read (AccessDenied, ...) an InputError."""
        try:
            return self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()  # type: ignore[no-any-return]
        except Exception as exc:
            code = _error_code(exc)
            if code in ("NoSuchKey", "404"):
                raise self._damaged(scan_id, f"damaged history: {key} of scan {scan_id!r} "
                                             "is missing") from None
            raise self._fail(f"cannot read {key} ({code}: {exc})") from None

    # ---- the index ------------------------------------------------------------------------

    def _read_index(self) -> list[ScanRecord]:
        """The recorded scans in the order they were recorded; [] when the prefix holds no
        history yet."""
        return self._read_index_tagged().records

    def _read_index_tagged(self) -> "_IndexRead":
        """The recorded scans in the order they were recorded, the ETag of the index.json they were read from
        (None, with [], when the prefix holds no history yet) and the fields of that index
        this version does not know (a newer secretgraph's, written back as they were)."""
        try:
            obj = self._client.get_object(Bucket=self.bucket, Key=self._key("index.json"))
            body = obj["Body"].read()
            etag = str(obj["ETag"])
        except Exception as exc:  # botocore ClientError / EndpointConnectionError
            code = _error_code(exc)
            if code in ("NoSuchKey", "404"):
                self._check_prefix_readable()
                return _IndexRead([], None, {}, {})
            raise self._fail(f"cannot read the history ({code}: {exc})") from None
        try:
            index = json.loads(body)
            if not isinstance(index, dict) or index.get("format") != INDEX_FORMAT:
                raise ValueError("its index.json is not a secretgraph history index")
            version = int(index.get("schema_version", 0))
            if version > INDEX_VERSION:
                raise ValueError(f"written by a newer secretgraph (index schema {version})")
            raw = list(index.get("scans", []))
            records = [ScanRecord.from_json(r) for r in raw]
        except (ValueError, KeyError, TypeError) as exc:
            raise self._fail(f"not a usable secretgraph history: {exc}") from None
        record_extra = {str(r["scan_id"]): {k: v for k, v in r.items() if k not in _RECORD_FIELDS}
                        for r in raw}
        top_extra = {k: v for k, v in index.items() if k not in _INDEX_FIELDS}
        return _IndexRead(records, etag, top_extra,
                          {k: v for k, v in record_extra.items() if v})

    def _check_prefix_readable(self) -> None:
        """No index: make sure that is because the prefix is new, not because it is unreadable."""
        try:
            self._client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)
        except Exception as exc:
            raise self._fail(f"cannot read the history ({_error_code(exc)}: {exc})") from None

    def _put_index(self, records: list[ScanRecord], read: "_IndexRead") -> None:
        """Write the index only if it is still the one read: "If the ETag values do not
        match, the operation returns a 412 Precondition Failed error" (PutObject, IfMatch);
        with no index read, only if there is still none: "If-None-Match ... checks for the
        existence of an object during the WRITE operation. If an identical key name is found
        in the bucket, the operation fails" (S3 User Guide, conditional writes).

        The fields of the index read that this version does not know -- top-level and of
        each record -- are written back as they were: a newer secretgraph sharing the prefix
        keeps what it wrote (fault-injection trial round 11)."""
        scans = [{**read.record_extra.get(r.scan_id, {}), **r.to_json()} for r in records]
        body = json.dumps({**read.top_extra, "format": INDEX_FORMAT,
                           "schema_version": INDEX_VERSION, "scans": scans},
                          indent=1, sort_keys=True)
        etag = read.etag
        condition = {"IfMatch": etag} if etag is not None else {"IfNoneMatch": "*"}
        self._client.put_object(Bucket=self.bucket, Key=self._key("index.json"),
                                Body=body.encode("utf-8"), ContentType="application/json",
                                **condition)

    def _add_to_index(self, rec: ScanRecord, read: "_IndexRead") -> None:
        """Add `rec` to the index `read`; when another writer changed the index meanwhile,
        read it again and add `rec` to that, INDEX_WRITE_ATTEMPTS times in all."""
        for attempt in range(1, INDEX_WRITE_ATTEMPTS + 1):
            try:
                # appended: the index lists the scans in the order they were recorded
                # (records.ScanStore.list)
                self._put_index([*read.records, rec], read)
                return
            except Exception as exc:
                code = _error_code(exc)
                if code not in _LOST_RACE:
                    raise
                if attempt == INDEX_WRITE_ATTEMPTS:
                    raise self._fail(
                        f"cannot add scan {rec.scan_id!r} to index.json: other writers changed "
                        f"it before each of {INDEX_WRITE_ATTEMPTS} conditional writes (last: "
                        f"{code})") from None
            _backoff_sleep(attempt)
            read = self._read_index_tagged()
            mine = [r for r in read.records if r.scan_id == rec.scan_id]
            if mine and mine[0] == rec:
                # our own write landed and its answer was lost (botocore retried it and met
                # our own new ETag): the index holds exactly this record (review)
                return
            if mine:
                raise self._fail(f"scan {rec.scan_id!r} was recorded by another writer "
                                 "meanwhile")

    # ---- HistoryStore ---------------------------------------------------------------------

    def check(self) -> int:
        return INDEX_VERSION if self._read_index() else 0

    def record(self, scan_meta: ScanMeta, snapshot: Snapshot, document: Mapping[str, Any],
               access_json: Mapping[str, Any] | str | None) -> ScanRecord:
        # fails (and writes nothing) on an unreadable/foreign prefix
        read = self._read_index_tagged()
        if any(r.scan_id == scan_meta.scan_id for r in read.records):
            raise self._fail(f"scan {scan_meta.scan_id!r} is already recorded")
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        rec = make_record(scan_meta, snapshot, document, recorded_at=now)
        # the snapshot as it is: encode_blob turns it account by account
        payloads: dict[str, Any] = {"snapshot": snapshot, "document": dict(document)}
        access_doc = access_json_of(access_json)
        if access_doc is not None:
            payloads["access"] = dict(access_doc)
        try:
            for name, value in payloads.items():
                self._client.put_object(
                    Bucket=self.bucket, Key=self._key("scans", rec.scan_id, _PAYLOADS[name]),
                    Body=encode_blob(value), ContentType="application/json",
                    ContentEncoding="gzip")
            self._add_to_index(rec, read)  # last: makes it visible
        except InputError:
            raise
        except Exception as exc:
            raise self._fail(f"cannot write the history ({_error_code(exc)}: {exc})") from None
        return rec

    def list(self) -> list[ScanRecord]:
        return self._read_index()

    def load(self, scan_id: str, *, like: Tonight | None = None) -> StoredScan:
        return self._load(scan_id, tuple(_PAYLOADS), like=like)

    def load_document(self, scan_id: str, *, like: Tonight | None = None
                      ) -> Mapping[str, Any]:
        """A recorded scan's findings document alone (the Security Hub export reads those of
        the scans it compares with: their snapshots are not needed)."""
        key = self._key("scans", scan_id, _PAYLOADS["document"])
        body = self._get_payload(scan_id, key)
        try:
            document = decode_blob(body) if like is None else \
                decode_blob_elements(body, like.document_element)
        except (OSError, ValueError) as exc:
            raise self._damaged(scan_id, f"damaged payload {key} ({exc})") from None
        problem = document_problem(document)
        if problem is not None:
            raise self._damaged(scan_id, f"damaged payload {key} ({problem})")
        return document  # type: ignore[no-any-return]

    def load_snapshot(self, scan_id: str) -> Snapshot:
        return self._load(scan_id, ("snapshot",)).snapshot

    def _load(self, scan_id: str, wanted: tuple[str, ...], *,
              like: Tonight | None = None) -> StoredScan:
        records = {r.scan_id: r for r in self._read_index()}
        if scan_id not in records:
            raise self._fail(f"no scan {scan_id!r} in the history")
        values: dict[str, Any] = {"document": {}, "access": None}
        for name, filename in _PAYLOADS.items():
            if name not in wanted:
                continue
            key = self._key("scans", scan_id, filename)
            try:
                body = self._get_payload(scan_id, key)
            except DamagedScan:
                if name == "access":  # recorded without an access report
                    values[name] = None
                    continue
                raise
            if like is not None and name == "snapshot":
                try:  # account by account, an account equal to tonight's kept as tonight's
                    values[name] = snapshot_from_blob(body, like)
                    continue
                except (OSError, ValueError, KeyError, TypeError):
                    pass  # read as without ``like`` below, for its error
            try:
                if like is not None and name in ("document", "access"):
                    # element by element, an element equal to tonight's kept as tonight's
                    values[name] = decode_blob_elements(
                        body, like.document_element if name == "document"
                        else like.access_element)
                else:
                    values[name] = decode_blob(body)
            except (OSError, ValueError) as exc:
                raise self._damaged(scan_id, f"damaged payload {key} ({exc})") from None
        problem = document_problem(values["document"])
        if problem is not None:
            raise self._damaged(scan_id, f"damaged payload "
                                f"{self._key('scans', scan_id, _PAYLOADS['document'])} "
                                f"({problem})")
        if values["access"] is not None and not isinstance(values["access"], Mapping):
            raise self._damaged(scan_id, f"damaged payload "
                                f"{self._key('scans', scan_id, _PAYLOADS['access'])} "
                                "(not an access report)")
        try:
            snapshot = values["snapshot"] if isinstance(values["snapshot"], Snapshot) \
                else snapshot_from_json(values["snapshot"])
        except (ValueError, KeyError, TypeError) as exc:
            problem = version_problem(scan_id, exc)
            if problem is not None:
                raise self._fail(problem) from None
            raise self._damaged(scan_id, f"damaged snapshot for scan {scan_id!r} ({exc})") \
                from None
        return StoredScan(record=records[scan_id], snapshot=snapshot,
                          document=values["document"], access=values["access"])

    def missing_payloads(self) -> dict[str, str]:
        """The indexed scans whose snapshot or findings object is not under the prefix (scan
        id -> why): one listing, for ``history list`` (scanner.history.damage). A listing
        that fails says nothing (the payloads are read when they are needed)."""
        records = self._read_index()
        try:
            paginator = self._client.get_paginator("list_objects_v2")
            keys = {o["Key"] for page in paginator.paginate(Bucket=self.bucket,
                                                            Prefix=self._key("scans/"))
                    for o in page.get("Contents") or ()}
        except Exception:  # noqa: BLE001 -- no listing: nothing known to be missing
            return {}
        out: dict[str, str] = {}
        for rec in records:
            for name in ("snapshot", "document"):
                key = self._key("scans", rec.scan_id, _PAYLOADS[name])
                if key not in keys:
                    out[rec.scan_id] = f"damaged history: {key} of scan {rec.scan_id!r} is " \
                        "missing"
                    break
        return out

    def latest_complete(self, before: str | None = None) -> ScanRecord | None:
        return pick_latest_complete(self._read_index(), before)

    def mark_reread(self, marks: Sequence[ReReadMark]) -> None:
        if not marks:
            return
        import uuid

        first = min(m.marked_at for m in marks)
        stamp = "".join(c for c in first if c.isalnum())
        body = json.dumps({"format": MARKS_FORMAT, "marks": [m.to_json() for m in marks]},
                          sort_keys=True, separators=(",", ":"))
        key = self._key("marks", f"{stamp}-{uuid.uuid4().hex[:12]}.json")
        try:
            self._client.put_object(Bucket=self.bucket, Key=key, Body=body.encode("utf-8"),
                                    ContentType="application/json")
        except Exception as exc:
            raise self._fail(f"cannot write the re-read marks ({_error_code(exc)}: {exc})") \
                from None

    def reread_marks(self, since: str | None = None) -> tuple[ReReadMark, ...]:
        marks: "list[ReReadMark]" = []
        try:
            paginator = self._client.get_paginator("list_objects_v2")
            keys = [o["Key"] for page in paginator.paginate(Bucket=self.bucket,
                                                            Prefix=self._key("marks/"))
                    for o in page.get("Contents") or ()]
            for key in keys:
                body = self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                try:
                    doc = json.loads(body)
                    if doc.get("format") != MARKS_FORMAT:
                        raise ValueError("not a secretgraph re-read marks object")
                    marks += [ReReadMark.from_json(m) for m in doc.get("marks") or ()]
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    raise self._fail(f"damaged re-read marks {key} ({exc})") from None
        except InputError:
            raise
        except Exception as exc:
            raise self._fail(f"cannot read the re-read marks ({_error_code(exc)}: {exc})") \
                from None
        return tuple(sorted((m for m in marks if since is None or m.marked_at >= since),
                            key=lambda m: m.marked_at))

    # ---- the notification ledger (scanner.deploy.handler) ----------------------------------

    def _ledger_body(self, name: str) -> tuple[str, bytes | None]:
        """(the key, the body) of a small ledger object beside the index; None when absent."""
        key = self._key(name)
        try:
            return key, self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except Exception as exc:
            if _error_code(exc) in ("NoSuchKey", "404"):
                return key, None
            raise self._fail(f"cannot read {key} ({_error_code(exc)}: {exc})") from None

    def _put_ledger(self, name: str, document: Any, what: str) -> None:
        body = json.dumps(document, sort_keys=True)
        try:
            self._client.put_object(Bucket=self.bucket, Key=self._key(name),
                                    Body=body.encode("utf-8"), ContentType="application/json")
        except Exception as exc:
            raise self._fail(f"cannot write {what} ({_error_code(exc)}: {exc})") from None

    def notified_through(self) -> str | None:
        """The last scan whose notification was settled; None when no run has settled one."""
        key, body = self._ledger_body("notifications.json")
        if body is None:
            return None
        try:
            doc = json.loads(body)
            if not isinstance(doc, dict) or doc.get("format") != NOTIFICATIONS_FORMAT:
                raise ValueError("not a secretgraph notification ledger")
            settled = doc["settled_through"]
            if not isinstance(settled, str):  # "" (none settled yet) or a scan id
                # read as text, null was the scan "None", which matches no scan: every owed
                # notification went unsent without a word (fault-injection trial round 18)
                raise ValueError(f"settled_through {settled!r:.60} is not a scan id")
            return settled
        except (ValueError, KeyError, TypeError) as exc:
            raise self._fail(f"damaged notification ledger {key} ({exc})") from None

    def set_notified_through(self, scan_id: str) -> None:
        self._put_ledger("notifications.json",
                         {"format": NOTIFICATIONS_FORMAT, "settled_through": scan_id},
                         "the notification ledger")

    # ---- the Security Hub export ledger (scanner.hub_export.export_securityhub) -------------

    def securityhub_ledger(self) -> "ExportLedger | None":
        """The Security Hub export ledger; None when no export has written one."""
        from reports.hub_ledger import ExportLedger

        key, body = self._ledger_body("securityhub.json")
        if body is None:
            return None
        try:
            return ExportLedger.from_json(json.loads(body))
        except ValueError as exc:
            raise self._fail(f"damaged Security Hub export ledger {key} ({exc})") from None

    def set_securityhub_ledger(self, ledger: "ExportLedger") -> None:
        self._put_ledger("securityhub.json", ledger.to_json(), "the Security Hub export ledger")
