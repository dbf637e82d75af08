"""What the history stores hand out: scan records, stored scans, and the store protocol.

A *scan record* is the small row `history list` shows; a *stored scan* adds the three payloads
(snapshot, findings.json document, access report JSON), which travel as gzip-compressed
canonical JSON (scanner.history.blobs).
"""

from __future__ import annotations

import datetime
import dataclasses
import gzip
import json
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Protocol, Sequence

from scanner.errors import InputError
from scanner.history.blobs import StreamedMembers, decode_blob, decode_blob_elements
from scanner.model import AccountSnapshot, ScanMeta, Snapshot, to_jsonable

#: Finding statuses and severities counted into ScanRecord.counts.
_SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")


@dataclass(frozen=True, kw_only=True, slots=True)
class ScanRecord:
    """One recorded scan, as listed by `secretgraph history list`."""

    scan_id: str
    started_at: str
    finished_at: str | None
    complete: bool
    recorded_at: str
    tool_version: str = "0.0.0"
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    #: fail, unknown, muted, pass, and failing findings per severity (critical, high, ...).
    counts: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "scan_id": self.scan_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "complete": self.complete,
            "recorded_at": self.recorded_at,
            "tool_version": self.tool_version,
            "accounts": list(self.accounts),
            "regions": list(self.regions),
            "counts": dict(self.counts),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ScanRecord":
        """The record a history stored (an S3 index entry, a SQLite row's columns);
        ValueError naming the scan and the field when one is not what this class holds: a
        damaged entry ("counts": "x", a count "many", "regions": [null]) was an
        AttributeError or TypeError, an internal error of every command reading the history
        (fault-injection trial round 18)."""
        scan_id = data["scan_id"]
        if not isinstance(scan_id, str):
            raise ValueError(f"a scan id {_shown(scan_id)} that is not text")
        return cls(
            scan_id=scan_id,
            started_at=str(data["started_at"]),
            finished_at=data.get("finished_at"),
            complete=bool(data["complete"]),
            recorded_at=str(data.get("recorded_at") or data["started_at"]),
            tool_version=str(data.get("tool_version") or "0.0.0"),
            accounts=_texts(scan_id, "accounts", data.get("accounts")),
            regions=_texts(scan_id, "regions", data.get("regions")),
            counts=_counts(scan_id, data.get("counts")),
        )


def _shown(value: Any) -> str:
    """A stored value as an error line quotes it (at most 60 characters)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _texts(scan_id: str, name: str, value: Any) -> tuple[str, ...]:
    """A record's list of account ids or Regions (missing or null: none recorded)."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"scan {scan_id!r}: its {name} {_shown(value)} is not a list of "
                         "text")
    return tuple(value)


def _counts(scan_id: str, value: Any) -> dict[str, int]:
    """A record's finding counts (missing or null: none recorded)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value.values()):
        raise ValueError(f"scan {scan_id!r}: its counts {_shown(value)} are not a map of "
                         "whole numbers")
    return {str(k): v for k, v in value.items()}


@dataclass(frozen=True, kw_only=True, slots=True)
class ReReadMark:
    """A resource whose policy changed, or may have, at ``marked_at``: a policy read before
    that moment is not carried by incremental collection (scanner.incremental). Written by
    ``remediate --apply`` for what it changed and by the organization-scale stack's CloudTrail
    rule; never deleted by a scan (a mark older than every carried read matters no more).

    ``resource`` is what the change named: a secret ARN, a partial ARN or a secret name (then
    ``account_id`` and ``region`` say where), or a KMS key ARN."""

    resource: str
    marked_at: str  # ISO 8601, UTC
    source: str  # "remediate <plan id>", "cloudtrail PutResourcePolicy", ...
    account_id: str | None = None
    region: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"resource": self.resource, "marked_at": self.marked_at, "source": self.source,
                "account_id": self.account_id, "region": self.region}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ReReadMark":
        return cls(resource=str(data["resource"]), marked_at=str(data["marked_at"]),
                   source=str(data.get("source") or ""),
                   account_id=data.get("account_id") or None, region=data.get("region") or None)


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredScan:
    """A recorded scan with its payloads, as `diff_scans` takes it."""

    record: ScanRecord
    snapshot: Snapshot
    document: Mapping[str, Any]
    access: Mapping[str, Any] | None  # the AccessReport JSON; None when none was recorded


class HistoryStore(Protocol):
    """Where scans are kept. Implementations: SqliteHistoryStore, S3HistoryStore."""

    uri: str

    def check(self) -> int:
        """Validate without modifying anything; InputError (exit 2) on a bad store. Returns the
        store's schema version (0: nothing stored yet)."""
        ...

    def record(self, scan_meta: ScanMeta, snapshot: Snapshot, document: Mapping[str, Any],
               access_json: Mapping[str, Any] | str | None) -> ScanRecord:
        """Store one scan atomically: either all of it is visible afterwards or none of it.

        ``access_json``: AccessReport.to_dict(), its to_json() text, or None."""
        ...

    def list(self) -> list[ScanRecord]:
        """Every recorded scan, in the order the scans were recorded (the SQLite row sequence,
        the S3 index's list): "the previous scan" is the last one recorded before, whatever
        the start times say. Fault-injection trial round 27: the history was sorted by start
        time, and a scan made on a clock hours ahead (less than the day ``future_scans``
        sets apart) was recorded before the next night's and sorted after it: the night
        after that diffed against it, and lost the next night's changes or told them again."""
        ...

    def load(self, scan_id: str, *, like: "Tonight | None" = None) -> StoredScan:
        """One scan with its payloads; InputError when the id is unknown. ``like``: tonight's
        payloads, whose equal elements are kept instead of decoded copies (the same values)."""
        ...

    def latest_complete(self, before: str | None = None) -> ScanRecord | None:
        """The newest complete scan, or the newest complete one recorded before scan `before`."""
        ...

    def load_snapshot(self, scan_id: str) -> Snapshot:
        """Only the snapshot of one scan (incremental collection needs no more)."""
        ...

    def mark_reread(self, marks: "Sequence[ReReadMark]") -> None:
        """Record resources to read again whatever their change markers say (atomically)."""
        ...

    def reread_marks(self, since: str | None = None) -> "tuple[ReReadMark, ...]":
        """The re-read marks, oldest first; only those marked at or after ``since``."""
        ...


class DamagedScan(InputError):
    """A recorded scan whose payload cannot be read as one: cut short, not gzip, not JSON, not
    the shape of a snapshot / findings document / access report, or missing from the store.
    Not raised for a snapshot of another schema_version (``version_problem``: a newer
    secretgraph wrote it, which is refused) nor for a store that cannot be read at all.

    The nightly scan skips such a scan as its previous scan, with one warning naming it
    (scanner.pipeline; fault-injection trial round 8: a damaged newest complete scan failed
    every later ``scan --history``); ``history list`` marks it (``find_damaged``)."""

    def __init__(self, message: str, *, path: str | None, scan_id: str) -> None:
        super().__init__(message, path=path)
        self.scan_id = scan_id


# --------------------------------------------------------------------------- helpers


class _Same:
    """``SAME``: a previous scan's access entry equal to tonight's but for its paths'
    ``verdict`` indices (which move between nights and which the drift does not read)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "SAME"

    def __reduce__(self) -> str:
        return "SAME"


SAME = _Same()


class SameRow(Mapping[str, Any]):
    """A previous scan's findings row equal to tonight's but for ``first_seen``, held as
    tonight's row and its own ``first_seen`` (a few dozen bytes instead of a dict of twenty
    members: the fifteenth session, +114 MB at 300 accounts): it reads as the row it stands
    for (``Tonight(stand_ins=True)``: for the first_seen carry and the drift, which read it
    as a mapping, never for the Security Hub export, which writes it out). Tonight's row may
    get its ``first_seen`` since (the carry): only that member of it is never read here."""

    __slots__ = ("_row", "_first_seen")
    _NONE: Any = object()

    def __init__(self, row: Mapping[str, Any], first_seen: Any) -> None:
        self._row = row
        self._first_seen = first_seen  # _NONE: the previous row had none

    def __getitem__(self, key: str) -> Any:
        if key == "first_seen":
            if self._first_seen is SameRow._NONE:
                raise KeyError(key)
            return self._first_seen
        return self._row[key]

    def get(self, key: str, default: Any = None) -> Any:
        if key == "first_seen":
            return default if self._first_seen is SameRow._NONE else self._first_seen
        return self._row.get(key, default)

    def __contains__(self, key: object) -> bool:
        if key == "first_seen":
            return self._first_seen is not SameRow._NONE
        return key in self._row

    def __iter__(self) -> Iterator[str]:
        for key in self._row:
            if key != "first_seen":
                yield key
        if self._first_seen is not SameRow._NONE:
            yield "first_seen"

    def __len__(self) -> int:
        return len(self._row) - ("first_seen" in self._row) + \
            (self._first_seen is not SameRow._NONE)

    def __eq__(self, other: object) -> bool:
        if other is self._row or (type(other) is SameRow and other._row is self._row):
            mine = self.get("first_seen", SameRow._NONE)
            theirs = other.get("first_seen", SameRow._NONE)  # type: ignore[union-attr]
            return mine is theirs or mine == theirs
        if not isinstance(other, Mapping):
            return NotImplemented
        return dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SameRow({dict(self.items())!r})"


@dataclass(frozen=True, kw_only=True)
class Tonight:
    """This scan's findings document and access report JSON, against which a previous scan's
    are decoded (``decode_blob_elements``): an element equal to tonight's is kept as tonight's
    object -- a findings row as a new row of tonight's values but its own ``first_seen`` (the
    carry has not run yet) -- so that two equal nights are held about once. What is given
    back is equal to what ``decode_blob`` gives, but for two ways of holding less, for a
    scan read only for the first_seen carry and the drift (the nightly scan's previous scan,
    fifteenth session):

    * ``stand_ins``: a findings row equal to tonight's but for ``first_seen`` is a
      ``SameRow`` (reads as the row; not JSON), and an access entry equal to tonight's but
      for its paths' ``verdict`` indices is ``SAME`` (scanner.history.diff_access reads it
      as unchanged);
    * tonight's access report streamed (its ``secrets`` and ``replicas`` ``StreamedMembers``:
      nothing of tonight's to share): such an entry is ``SAME`` whatever ``stand_ins``,
      and any other is kept as it was read."""

    findings: Mapping[str, Mapping[str, Any]]  # finding id -> tonight's row
    access: Mapping[str, Any] | None = None
    stand_ins: bool = False
    #: account id -> tonight's account (``snapshot_element``); empty: the snapshot is read whole
    accounts: Mapping[str, AccountSnapshot] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, document: Mapping[str, Any], access: Mapping[str, Any] | None, *,
           stand_ins: bool = False, snapshot: Snapshot | None = None) -> "Tonight":
        rows = document.get("findings")
        return cls(findings={str(f["id"]): f for f in rows or ()
                             if type(f) is dict and "id" in f} if isinstance(rows, list)
                   else {}, access=access, stand_ins=stand_ins,
                   accounts={a.account_id: a for a in snapshot.accounts}
                   if snapshot is not None else {})

    def snapshot_element(self, member: str, key: str | int, value: Any) -> Any:
        """A previous snapshot's account, typed, as it is read: tonight's own account object
        when the two are equal (a quiet night: nearly every account; fifteenth session: the
        previous snapshot was +117 MB at 300 accounts beside tonight's equal one). One that
        does not read as an account is kept as JSON: ``snapshot_from_blob`` then reads the
        whole payload again, for the error the plain read gives."""
        if member != "accounts" or type(value) is not dict:
            return value
        from scanner.snapshot_io import decode_record, validate_part

        try:
            validate_part(value, "AccountSnapshot", path="", field=f"accounts[{key}]")
            account = decode_record(AccountSnapshot, value)
        except InputError:  # the plain read names the field
            return value
        except (ValueError, KeyError, TypeError):
            return value
        mine = self.accounts.get(account.account_id)
        return mine if mine is not None and mine == account else account

    def document_element(self, member: str, key: str | int, value: Any) -> Any:
        if member != "findings" or type(value) is not dict:
            return value
        row = self.findings.get(str(value.get("id")))
        if row is None:
            return value
        if _equal_but_first_seen(value, row):
            if self.stand_ins:
                return SameRow(row, value.get("first_seen", SameRow._NONE))
            return {k: (v if k == "first_seen" else row[k]) for k, v in value.items()}
        return {k: (v if k == "first_seen" or k not in row else _shared(v, row[k], _DEPTH))
                for k, v in value.items()}

    def access_element(self, member: str, key: str | int, value: Any) -> Any:
        if self.access is None:
            return value
        mine = self.access.get(member)
        if type(mine) is StreamedMembers:
            if type(value) is dict and key in mine and \
                    same_but_verdicts(value, mine[key]):  # type: ignore[index]
                return SAME
            return value
        try:
            other = mine[key] if isinstance(mine, (list, dict)) else None  # type: ignore[index]
        except (IndexError, KeyError, TypeError):
            return value
        if self.stand_ins and member in ("secrets", "replicas") and type(value) is dict \
                and type(other) is dict and same_but_verdicts(value, other):
            return SAME
        return value if other is None else _shared(value, other, _DEPTH)


def same_but_verdicts(entry: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    """Whether two access-report entries are equal but for their paths' ``verdict`` (an
    index into the report's verdict list, which moves between nights; the drift reads each
    path's gates and decision, never the index)."""
    if len(entry) != len(other):
        return False
    for k, v in entry.items():
        if k not in other:
            return False
        o = other[k]
        if k == "paths" and type(v) is list and type(o) is list:
            if len(v) != len(o) or not all(
                    type(a) is dict and type(b) is dict and _equal_but(a, b, "verdict")
                    for a, b in zip(v, o)):
                return False
        elif v != o:
            return False
    return True


def _equal_but(a: Mapping[str, Any], b: Mapping[str, Any], left_out: str) -> bool:
    count = 0
    for k, v in a.items():
        if k == left_out:
            continue
        if k not in b or b[k] != v:
            return False
        count += 1
    return count == len(b) - (left_out in b)


#: how deep ``_shared`` looks for equal parts of an element that is not equal as a whole
_DEPTH = 4


def _shared(value: Any, mine: Any, depth: int) -> Any:
    """``value``, with its parts equal to the same parts of ``mine`` replaced by those (an
    access entry whose paths moved to other verdict indices keeps tonight's gates): equal to
    ``value`` whatever ``mine`` is."""
    if type(value) is not type(mine):
        return value
    if value == mine:
        return mine
    if depth <= 0:
        return value
    if type(value) is dict:
        return {k: (_shared(v, mine[k], depth - 1) if k in mine else v)
                for k, v in value.items()}
    if type(value) is list and len(value) == len(mine):
        return [_shared(v, m, depth - 1) for v, m in zip(value, mine)]
    return value


def _equal_but_first_seen(row: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    count = 0
    for k, v in row.items():
        if k == "first_seen":
            continue
        if k not in other or other[k] != v:
            return False
        count += 1
    return count == len(other) - ("first_seen" in other)


def snapshot_to_json(snapshot: Snapshot) -> Any:
    return to_jsonable(snapshot)


def snapshot_from_json(data: Mapping[str, Any]) -> Snapshot:
    """A stored snapshot; scanner.snapshot_io.SchemaVersionError (a ValueError) for one of
    another schema_version (the check `scan --snapshot` makes; fault trial round 3), and a
    ValueError naming the field for one that does not match the snapshot schema (as `scan
    --snapshot` checks a file: fault-injection trial round 9, `secrets: null` in a stored
    snapshot was "internal error: TypeError" every night, an account id that is a number was
    taken as it was)."""
    from scanner.snapshot_io import check_schema_version, decode_record, validate_document

    if not isinstance(data, Mapping):
        raise ValueError(f"a snapshot is an object, not {type(data).__name__}")
    check_schema_version(data)
    try:
        validate_document(data if type(data) is dict else dict(data), path="")
    except InputError as exc:
        raise ValueError(str(exc)) from None
    return decode_record(Snapshot, data)


def document_problem(document: Any) -> str | None:
    """What is wrong with a stored findings document, in what the history reads of it (the
    previous scan's scope, its rows' ids, statuses and first_seen, its coverage), or None.
    Not the findings schema whole: a document an older secretgraph stored stays readable.
    Fault-injection trial round 9: `findings: null`, a row that is a number or `scan.scope`
    a list was "internal error" every later night; a `first_seen` that is a number was
    carried into tonight's findings.json."""
    if not isinstance(document, Mapping):
        return "not a findings document"
    scan = document.get("scan", {})
    if not isinstance(scan, Mapping):
        return f"field scan: {type(scan).__name__}, not an object"
    for name, kinds in (("scope", (Mapping, type(None))), ("rules", (list, type(None))),
                        ("accounts", (list, type(None))), ("regions", (list, type(None))),
                        ("complete", (bool, type(None)))):
        if not isinstance(scan.get(name), kinds):
            return f"field scan.{name}: {type(scan.get(name)).__name__} is not of its type"
    for name in ("findings", "coverage"):
        rows = document.get(name, [])
        if not isinstance(rows, list):
            return f"field {name}: {type(rows).__name__}, not a list"
        for i, row in enumerate(rows):
            if not isinstance(row, Mapping):
                return f"field {name}[{i}]: {type(row).__name__}, not an object"
            if name != "findings":
                continue
            if not isinstance(row.get("id"), str):
                return f"field findings[{i}].id: {type(row.get('id')).__name__}, not a string"
            for member in ("first_seen", "status", "severity", "rule_id"):
                value = row.get(member)
                if value is not None and not isinstance(value, str):
                    return f"field findings[{i}].{member}: {type(value).__name__}, not a string"
            for member in ("resource", "evidence"):
                value = row.get(member)
                if value is not None and not isinstance(value, Mapping):
                    return f"field findings[{i}].{member}: {type(value).__name__}, not an object"
    return None


def snapshot_from_blob(data: bytes, like: "Tonight | None" = None) -> Snapshot:
    """A stored snapshot from its payload; ``like`` (with tonight's accounts): read account
    by account, an account equal to tonight's kept as tonight's object (``Tonight.
    snapshot_element``) -- equal to the plain read, and errors as the plain read's."""
    if like is None or not like.accounts:
        return snapshot_from_json(decode_blob(data))
    try:
        value = decode_blob_elements(data, like.snapshot_element)
        accounts = value.get("accounts") if isinstance(value, Mapping) else None
        if isinstance(accounts, list) and all(type(a) is AccountSnapshot for a in accounts):
            snapshot = snapshot_from_json({**value, "accounts": []})
            return dataclasses.replace(snapshot, accounts=tuple(accounts))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return snapshot_from_json(decode_blob(data))  # the plain read: its value or its error


def version_problem(scan_id: str, exc: BaseException) -> str | None:
    """The history's one line for a stored scan of another snapshot schema_version (None for
    any other error): the scan, the version and who wrote it -- not "damaged payload"."""
    from scanner.snapshot_io import SchemaVersionError

    if not isinstance(exc, SchemaVersionError):
        return None
    return (f"scan {scan_id!r} has a {exc}; nothing stored was changed (scan with another "
            "--history, or with the secretgraph that wrote it)" if exc.newer else
            f"scan {scan_id!r} has a {exc}; nothing stored was changed")


def document_complete(snapshot: Snapshot, document: Mapping[str, Any]) -> bool:
    """A scan is complete when findings.json says so (or, lacking that, the snapshot has no gaps)."""
    scan = document.get("scan")
    if isinstance(scan, Mapping) and isinstance(scan.get("complete"), bool):
        return bool(scan["complete"]) and snapshot.complete
    return snapshot.complete


def count_findings(document: Mapping[str, Any]) -> dict[str, int]:
    """Counts shown by `history list`: statuses, and failing findings per severity."""
    counts: dict[str, int] = {"fail": 0, "unknown": 0, "muted": 0, "pass": 0}
    for sev in _SEVERITIES:
        counts[sev.lower()] = 0
    findings = document.get("findings")
    if not isinstance(findings, list):
        return counts
    from scanner.engine.output import status_counts

    for status, n in status_counts(document).items():
        if status.lower() in counts:
            counts[status.lower()] += n
    for f in findings:
        if not isinstance(f, Mapping) or f.get("status") != "FAIL":
            continue
        sev = str(f.get("severity", "")).lower()
        if sev in counts:
            counts[sev] += 1
    counts["coverage_gaps"] = len(document.get("coverage") or ())
    scope = (document.get("scan") or {}).get("scope")
    if isinstance(scope, Mapping) and any(scope.get(k) for k in
                                          ("severities", "include", "exclude", "compliance")):
        # run with --severity, --rules, --exclude-rules or --compliance: history prune keeps
        # the complete scan before it, which the next full night diffs against
        # (scanner.history.scope; the record says so without its document being read)
        counts["scope_limited"] = 1
    return counts


def make_record(scan_meta: ScanMeta, snapshot: Snapshot, document: Mapping[str, Any],
                recorded_at: str) -> ScanRecord:
    return ScanRecord(
        scan_id=scan_meta.scan_id,
        started_at=scan_meta.started_at,
        finished_at=scan_meta.finished_at,
        complete=document_complete(snapshot, document),
        recorded_at=recorded_at,
        tool_version=scan_meta.tool_version,
        accounts=tuple(scan_meta.accounts),
        regions=tuple(scan_meta.regions),
        counts=count_findings(document),
    )


def started_at_of(record: ScanRecord) -> datetime.datetime | None:
    try:
        value = datetime.datetime.fromisoformat(record.started_at.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def future_scans(records: Sequence[ScanRecord],
                 now: datetime.datetime | None = None) -> tuple[ScanRecord, ...]:
    """The scans that started more than a day after ``now`` (a clock ahead when they were
    made): the nightly diff and ``latest_complete`` pass them over (``ordinary_scans``)."""
    horizon = (now or datetime.datetime.now(datetime.timezone.utc)) + datetime.timedelta(days=1)
    return tuple(r for r in records if (s := started_at_of(r)) is not None and s > horizon)


def ordinary_scans(records: Sequence[ScanRecord],
                   now: datetime.datetime | None = None) -> list[ScanRecord]:
    """``records`` (oldest first) without the scans that started in the future
    (``future_scans``): the ones the nightly diff, ``first_seen`` and `secretgraph diff`
    choose "the last (complete) scan" among. Fault-injection trial round 5: one scan made
    with a clock ahead sorted last and stayed "the previous scan" of every night after it."""
    future = {r.scan_id for r in future_scans(records, now)}
    return [r for r in records if r.scan_id not in future]


def pick_latest_complete(records: list[ScanRecord], before: str | None) -> ScanRecord | None:
    """records oldest first; `before` is a scan id (the scans recorded before it count). A scan
    started in the future (``future_scans``: a clock ahead when it was made) is never "the
    latest": every reader of the latest complete scan -- the carry of incremental collection,
    `remediate` / `access` / `baseline check` with --history -- skips it, as the nightly scan
    and `diff` do (review of the thirteenth session's merges: a scan dated 2027 kept carrying
    a public policy long fixed into every sharded scan)."""
    if before is not None:
        ids = [r.scan_id for r in records]
        if before not in ids:
            from scanner.errors import InputError

            raise InputError(f"no scan {before!r} in the history")
        records = records[: ids.index(before)]
    ahead = {r.scan_id for r in future_scans(records)}
    for rec in reversed(records):
        if rec.complete and rec.scan_id not in ahead:
            return rec
    return None


def resolve_scan_id(records: list[ScanRecord], wanted: str, where: str) -> str:
    """An exact scan id, a unique prefix of one, or `latest`."""
    from scanner.errors import InputError

    if wanted == "latest":
        if not records:
            raise InputError("the history holds no scans", path=where)
        return records[-1].scan_id
    exact = [r.scan_id for r in records if r.scan_id == wanted]
    if exact:
        return exact[0]
    matches = [r.scan_id for r in records if r.scan_id.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        # what to do next: the closest ids, the newest, and the command that lists them all
        # (new-user trial round 26: `access --history H --scan nope` said only "no scan")
        from scanner.suggest import suggest

        ids = [r.scan_id for r in records]
        if not ids:
            raise InputError(f"no scan {wanted!r}: the history holds no scans", path=where)
        hint = suggest(wanted, ids) or f"; the newest is {ids[-1]}"
        raise InputError(f"no scan {wanted!r} in the history{hint} (`secretgraph history "
                         f"list --history {where}` lists them)", path=where)
    raise InputError(f"scan id prefix {wanted!r} is ambiguous ({len(matches)} scans)", path=where)
