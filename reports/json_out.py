"""findings.json: the machine-readable result of a scan (DESIGN.md contract), schema-checked.

The file is written as a stream: the header (schema_version, tool, scan, coverage, summary,
passed, and the layout's rules and account_names), then the findings one per line, each checked
against the schema's finding definition as it is written, then the evidence several rows share.
On disk the rows are compact (schema_version 2, scanner/engine/layout.py); read_findings_json
returns them complete. ``--format jsonl`` writes the complete rows one per line without the
header."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import jsonschema

from reports._common import replacing
from scanner import input_file, json_text
from scanner.engine.layout import RULE_MEMBERS, expand_document
from scanner.engine.runner import gc_paused
from scanner.errors import InputError
from scanner.format_version import is_version

@lru_cache(maxsize=1)
def findings_schema() -> dict[str, Any]:
    """The findings.json schema the engine ships (scanner/schemas/findings.schema.json)."""
    ref = resources.files("scanner").joinpath("schemas/findings.schema.json")
    loaded: dict[str, Any] = json.loads(ref.read_text(encoding="utf-8"))
    return loaded


@lru_cache(maxsize=1)
def _header_validator() -> Any:
    return jsonschema.Draft202012Validator(findings_schema())


@lru_cache(maxsize=1)
def _finding_validator() -> Any:
    schema = findings_schema()
    return jsonschema.Draft202012Validator(dict(schema["$defs"]["finding"],
                                                 **{"$defs": schema["$defs"]}))


#: finding members that many rows share as one object (scanner/engine/output.py builds each
#: resource, remediation and compliance mapping once): checked once per object per write
_SHARED_MEMBERS = frozenset({"resource", "remediation", "compliance"})


#: what _RowCheck.last holds for a member no row has passed a string in yet: no value is it
_NONE_KEPT = object()


class _RowCheck:
    """Valid/invalid for one finding row, compiled from the schema's finding definition;
    jsonschema then names what is wrong with a row this rejects. Members shared between rows
    are checked once per object (the object is kept, so its id cannot be reused meanwhile), and
    a string member is not checked again when it is the very string the last row that passed
    the check had there."""

    def __init__(self) -> None:
        from scanner.snapshot_io import compile_check

        schema = findings_schema()
        finding, defs = schema["$defs"]["finding"], schema["$defs"]
        self.required = tuple(finding.get("required", ()))
        self.closed = finding.get("additionalProperties") is False
        self.members: dict[str, Callable[[Any], bool]] = {}
        for name, sub in finding.get("properties", {}).items():
            check = compile_check(sub, defs)
            if check is None:
                validator = jsonschema.Draft202012Validator(dict(sub, **{"$defs": defs}))
                check = validator.is_valid
            self.members[name] = check
        self.seen: dict[int, Any] = {}
        #: per member, the last string that passed: the rows of one rule share their rule id,
        #: title, severity and status strings (one object each), often the message and
        #: principal too, and a string cannot change
        self.last: dict[str, str] = {}

    def __call__(self, row: Any) -> bool:
        if not isinstance(row, dict):
            return False
        for name in self.required:
            if name not in row:
                return False
        members, seen, last = self.members, self.seen, self.last
        for name, value in row.items():
            # the very string a previous row had here: checked (never a value no row had: a
            # null member of the first row passed as "None is None", fault-injection round 13)
            if last.get(name, _NONE_KEPT) is value:
                continue
            check = members.get(name)
            if check is None:
                if self.closed:
                    return False
                continue
            if name in _SHARED_MEMBERS:
                if seen.get(id(value)) is value:
                    continue
                if not check(value):
                    return False
                if isinstance(value, (dict, list)):
                    seen[id(value)] = value
            elif not check(value):
                return False
            elif type(value) is str:
                last[name] = value
        return True


def _raise_first(errors: Iterable[Any], source: str, prefix: tuple[Any, ...] = ()) -> None:
    from scanner.snapshot_io import schema_message

    ordered = sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])
    if ordered:
        err = ordered[0]
        where = "/".join(str(p) for p in prefix + tuple(err.absolute_path)) or "(top level)"
        more = f" (and {len(ordered) - 1} more)" if len(ordered) > 1 else ""
        raise InputError(f"{schema_message(err)}{more}", path=source, field=where)


def validate_header(document: Mapping[str, Any], *, source: str = "findings.json") -> None:
    """Everything but the findings rows (those are checked one at a time, validate_finding)."""
    if not isinstance(document, Mapping):
        raise InputError("expected a JSON object", path=source, field="(top level)")
    header = {k: v for k, v in document.items() if k != "findings"}
    if "findings" in document:
        header["findings"] = [] if isinstance(document["findings"], list) else \
            document["findings"]
    _raise_first(_header_validator().iter_errors(header), source)


def validate_finding(row: Any, index: int, *, source: str = "findings.json",
                     check: Callable[[Any], bool] | None = None) -> None:
    """One finding row against the schema's finding definition; InputError names the field.
    ``check``: a ``_RowCheck`` reused across the rows of one document (faster)."""
    if not (check or _RowCheck())(row):
        _raise_first(_finding_validator().iter_errors(row), source, ("findings", index))


def validate_document(document: Mapping[str, Any], *, source: str = "findings.json") -> None:
    """Raise InputError naming the first offending field when the document breaks the schema:
    the header first, then each finding on its own, complete (no whole-document validation
    pass). A schema_version 2 document is checked as read_findings_json returns it."""
    validate_header(document, source=source)
    document = expand_document(document, source=source)
    check = _RowCheck()
    for i, row in enumerate(document.get("findings") or ()):
        validate_finding(row, i, source=source, check=check)


def dumps(document: Mapping[str, Any], *, compact: bool = False) -> str:
    return b"".join(iter_findings_json(document, compact=compact)).decode("utf-8")


#: one encoder for every row (json.dumps with options builds a new encoder per call)
_ROW = json.JSONEncoder(ensure_ascii=False, default=str, separators=(",", ":"))

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover -- a platform without an orjson wheel: the stdlib
    _orjson = None  # type: ignore[assignment]

#: orjson hands dataclasses and dates to ``default`` (str) as the stdlib encoder does, instead
#: of writing them its own way; enums and str subclasses it writes as their value, as json does
_ORJSON_OPTIONS = (_orjson.OPT_PASSTHROUGH_DATACLASS | _orjson.OPT_PASSTHROUGH_DATETIME) \
    if _orjson is not None else 0


def encode_row(row: Any) -> bytes:
    """One findings.json row, compact, in UTF-8: the value ``_ROW`` (json, ``ensure_ascii``
    off, ``default=str``) writes, about four times faster through orjson. The text can differ
    only in how a float is spelled (``0.00001`` for json's ``1e-05``: the same number) and in
    non-finite numbers (null where json writes NaN, which is not JSON). Whatever orjson refuses
    (a dict key that is not a string, an integer beyond 64 bits, nesting deeper than 254) goes
    through the stdlib encoder, as before."""
    if _orjson is not None:
        try:
            return _orjson.dumps(row, default=str, option=_ORJSON_OPTIONS)
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            pass
    return _ROW.encode(row).encode("utf-8")


def iter_findings_json(document: Mapping[str, Any], *, source: str = "findings.json",
                       compact: bool = False) -> Iterator[bytes]:
    """findings.json in UTF-8, piece by piece: the header indented, then one finding per line,
    each validated as it is written (no second copy of the document is built).

    By default (the DESIGN.md contract, schema_version 1) every row is complete. ``compact``
    (``findings_layout: compact``) writes the layout of scanner/engine/layout.py
    (schema_version 2): the header with the ``rules`` catalogue and the ``account_names``, one
    compact row per line, each complete row validated before it is compacted, then
    ``evidence_shared``."""
    document = expand_document(document, source=source)
    validate_header(document, source=source)
    rows = document.get("findings") or ()
    header = {k: v for k, v in document.items() if k != "findings"}
    compactor = None
    if compact:
        from scanner.engine.layout import (
            FILE_SCHEMA_VERSION,
            Compactor,
            account_names,
            rules_catalogue,
        )

        header["schema_version"] = FILE_SCHEMA_VERSION
        header["rules"] = rules_catalogue(rows)
        header["account_names"] = account_names(rows)
        compactor = Compactor(header["rules"], header["account_names"])
    text = json.dumps(header, indent=2, ensure_ascii=False, default=str)
    yield (text[:-2] + (",\n" if header else "\n") + '  "findings": [').encode("utf-8")
    encode = encode_row
    check = _RowCheck()
    # no cyclic garbage collection while the rows are written: each full collection would walk
    # every object of the scan again (millions at 100,000 secrets); rows make no cycles
    with gc_paused():
        for i, row in enumerate(rows):
            validate_finding(row, i, source=source, check=check)
            yield b"\n    " if i == 0 else b",\n    "
            yield encode(row if compactor is None else compactor.row(row))
    close = "\n  ]" if rows else "]"
    if compactor is None:
        yield (close + "\n}\n").encode("utf-8")
    else:
        from scanner.engine.layout import shared_json

        yield (close + ',\n  "evidence_shared": ' + shared_json(compactor.shared)
               + "\n}\n").encode("utf-8")


def write_findings_json(document: Mapping[str, Any], path: Path, *,
                        compact: bool = False) -> Path:
    """Stream the document to ``path`` (through a temporary file, renamed when complete);
    ``compact``: schema_version 2 (scanner/engine/layout.py), else complete rows."""
    with replacing(path, "wb") as out:
        out.writelines(iter_findings_json(document, source=str(path), compact=compact))
    return path


def write_findings_jsonl(document: Mapping[str, Any], path: Path) -> Path:
    """JSON Lines for pipelines: one finding (the findings.json row, validated) per line."""
    with replacing(path) as out:
        encode = json.JSONEncoder(ensure_ascii=True, default=str, separators=(",", ":")).encode
        check = _RowCheck()
        with gc_paused():
            for i, row in enumerate(document.get("findings") or ()):
                validate_finding(row, i, source=str(path), check=check)
                out.write(encode(row))
                out.write("\n")
    return path


def read_json_object(path: Path, what: str = "") -> dict[str, Any]:
    """A JSON file holding one object; anything else is an InputError naming the file."""
    try:
        data = json_text.loads(input_file.read_text(path))
    except FileNotFoundError:
        raise InputError("file not found", path=str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a readable JSON file: {exc}", path=str(path)) from None
    if not isinstance(data, dict):
        # the other file a scan writes beside findings.json: say which flag takes it
        # (new-user trial 19: `export --findings findings.asff.json`)
        asff = isinstance(data, list) and bool(data) and isinstance(data[0], dict) and \
            "SchemaVersion" in data[0] and "ProductArn" in data[0]
        raise InputError(f"expected a JSON object{f' ({what})' if what else ''}" + (
            "; this is an ASFF file (scan --format asff): export securityhub takes it "
            "with --asff" if asff else ""), path=str(path))
    return data


#: the line that opens the rows in the file iter_findings_json writes
_ROWS_OPEN = b'"findings": ['


def stream_findings_json(path: Path) -> tuple[dict[str, Any], Iterator[dict[str, Any]]]:
    """The header (every member but ``findings``, validated) and the complete rows of a
    findings.json, each validated as it is read, without holding the document: at 100,000
    secrets the whole document is about 3 GB of Python objects for 725 MB of text.

    Rows are read one per line from a file as iter_findings_json writes it (complete rows,
    schema_version 1). Any other layout (compact rows, whose shared evidence follows them; a
    file re-indented by another tool) is read whole by read_findings_json, with the same
    result. A file cut short or a row that is not JSON is an InputError naming the file and
    the line."""
    source = str(path)
    header, first, handle, line_no = _open_rows(path)
    if header is None:
        document = _read_whole(path)
        return document, iter(document.pop("findings", None) or [])
    validate_header({**header, "findings": []}, source=source)

    def rows() -> Iterator[dict[str, Any]]:
        check = _RowCheck()
        ids: set[Any] = set()
        n, line, number = 0, first, line_no
        counts: dict[str, int] = {}
        share = RuleMembers()
        with handle:
            while True:
                text = line.strip()
                if not text:
                    raise InputError(f"line {number}: the file ends inside the findings list",
                                     path=source)
                if text.startswith(b"]"):
                    rest = (text[1:] + handle.read()).strip()
                    if rest != b"}":
                        raise InputError(f"line {number}: expected the end of the document "
                                         "after the findings", path=source)
                    check_counts(header, counts, source=source)
                    return
                row = share(_row_of(text, number, source))
                validate_finding(row, n, source=source, check=check)
                _once(row, n, ids, source)
                status = row.get("status")
                counts[status] = counts.get(status, 0) + 1
                yield row
                n += 1
                line, number = handle.readline(), number + 1

    return header, rows()


class RuleMembers:
    """One object for what the rows repeat word for word (a row parsed alone has its own
    copies), for every command that reads a scan back (report, remediate, export, diff):

    * the title, remediation and compliance of each rule: one object per rule (at 345,809
      rows, about a sixth of what the rows held in memory);
    * every other string value but a row's own (its ``id`` and ``message``): one object per
      distinct value -- the account ids, Regions, statuses, resource types, rule ids, dates,
      principals and the evidence's facts, which rows of one rule or one resource repeat (at
      1,000 accounts x 100,000 secrets the rows read back took 1,386 MB, and 968 MB so).

    Only a value equal to the one kept is replaced; the rows are read, never changed.
    Containers deeper than ``_SHARE_DEPTH`` are left as parsed."""

    def __init__(self) -> None:
        self._kept: dict[tuple[object, str], object] = {}
        self._strings: dict[str, str] = {}

    def __call__(self, row: Any) -> Any:
        if not isinstance(row, dict):
            return row
        rule = row.get("rule_id")
        if not isinstance(rule, str):
            return row
        kept = self._kept
        for member in RULE_MEMBERS:
            value = row.get(member)
            if value is None:
                continue
            key = (rule, member)
            known = kept.get(key)
            if known is None:
                kept[key] = value
            elif known is not value and known == value:
                row[member] = known
        strings = self._strings
        for name, value in row.items():
            if name in _ROW_OWN or name in RULE_MEMBERS:
                continue
            kind = type(value)
            if kind is str:
                row[name] = strings.setdefault(value, value)
            elif kind is dict or kind is list:
                self._share(value, _SHARE_DEPTH)
        return row

    def _share(self, value: dict[str, Any] | list[Any], depth: int) -> None:
        strings = self._strings
        items = value.items() if type(value) is dict else enumerate(value)  # type: ignore[union-attr]
        for k, v in items:
            kind = type(v)
            if kind is str:
                value[k] = strings.setdefault(v, v)  # type: ignore[index]
            elif (kind is dict or kind is list) and depth > 1:
                self._share(v, depth - 1)


#: a row's own values, never repeated by another row (RuleMembers leaves them alone)
_ROW_OWN = frozenset(("id", "message"))
#: how deep RuleMembers goes into a row's containers (evidence.gates.<principal>.<gate> is 3)
_SHARE_DEPTH = 6


#: the statuses findings.json always itemises (PASS only with --emit-pass)
_ITEMISED = ("FAIL", "UNKNOWN", "MUTED")


def check_counts(header: Mapping[str, Any], counts: Mapping[str, int], *,
                 source: str) -> None:
    """The rows hold as many FAIL, UNKNOWN and MUTED results as the summary counts: a file
    whose rows were edited away or lost (valid JSON all the same) is refused, not reported
    with totals that disagree with its own rows."""
    summary = header.get("summary")
    by_status = summary.get("by_status") if isinstance(summary, Mapping) else None
    if not isinstance(by_status, Mapping):
        return
    for status in _ITEMISED:
        said = by_status.get(status)
        if isinstance(said, int) and said != counts.get(status, 0):
            raise InputError(f"the summary counts {said} {status} result(s) but the file holds "
                             f"{counts.get(status, 0)} {status} row(s): it was edited or cut "
                             "short", path=source, field="summary.by_status")


def streamed_header(path: Path) -> dict[str, Any] | None:
    """The header of a findings.json that stream_findings_json reads one row at a time; None
    for a file of any other layout or content."""
    header, _, handle, _ = _open_rows(path)
    if handle is not None:
        handle.close()
    return header


def decode_row(text: bytes) -> Any:
    """One row's JSON (``encode_row``'s, or any): through orjson, and what it refuses (an
    integer beyond 64 bits, NaN as the stdlib writes it) through the stdlib, as a whole read
    does. A ValueError (or RecursionError) when it is not JSON."""
    if _orjson is not None:
        try:
            return _orjson.loads(text)
        except ValueError:  # orjson.JSONDecodeError
            pass
    return json.loads(text)


def _row_of(text: bytes, number: int, source: str) -> Any:
    try:
        return decode_row(text[:-1] if text.endswith(b",") else text)
    except (ValueError, RecursionError) as exc:  # json.JSONDecodeError, UnicodeDecodeError
        raise InputError(f"line {number}: not a finding row: {exc}", path=source) from None


def _open_rows(path: Path) -> tuple[dict[str, Any] | None, bytes, Any, int]:
    """(header, the first row's line, the open file, its line number) for a file in the
    streamed layout; (None, b"", None, 0) for any other."""
    try:
        handle = input_file.open_binary(path)
    except FileNotFoundError:
        raise InputError("file not found", path=str(path)) from None
    except OSError as exc:
        raise InputError(f"not a readable JSON file: {exc}", path=str(path)) from None
    head: list[bytes] = []
    number = 0
    try:
        for line in handle:
            number += 1
            stripped = line.rstrip()
            if number == 1 and stripped != b"{":
                break  # not the layout iter_findings_json writes
            if stripped.endswith(_ROWS_OPEN) and stripped.strip() == _ROWS_OPEN:
                text = b"".join(head).rstrip().rstrip(b",") + b"\n}"
                try:
                    header = json_text.loads(text.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    break
                first = handle.readline()
                if not isinstance(header, dict) or not is_version(header.get("schema_version"), 1) \
                        or "findings" in header:
                    break
                stripped_first = first.strip()
                if not stripped_first.startswith(b"]"):
                    try:  # a row spread over several lines: not this layout
                        _row_of(stripped_first, number + 1, str(path))
                    except InputError:
                        break
                return header, first, handle, number + 1
            head.append(line)
    except OSError as exc:
        handle.close()
        raise InputError(f"not a readable JSON file: {exc}", path=str(path)) from None
    handle.close()
    return None, b"", None, 0


def read_findings_json(path: Path) -> dict[str, Any]:
    """Load and validate a findings.json; bad input is an InputError naming the file. The
    document comes back with complete rows (schema_version 1) whichever layout the file has.
    A file as scan writes it is read row by row (stream_findings_json): at 100,000 secrets
    the whole text and its parse were held together (a 3.5 GB peak for a 2.1 GB document,
    and 22 s against 9 s)."""
    header, rows = stream_findings_json(path)
    with gc_paused():  # the rows are long-lived and make no cycles (scanner.gcpause)
        findings = list(rows)
    return {**header, "findings": findings}


def _read_whole(path: Path) -> dict[str, Any]:
    """read_findings_json for a file of any layout: parsed whole."""
    data = read_json_object(path)
    validate_header(data, source=str(path))
    document = expand_document(data, source=str(path))
    validate_rows(document, source=str(path))
    return document


def _once(row: Mapping[str, Any], index: int, ids: set[Any], source: str) -> None:
    """A finding id is in one row of a scan (rule, resource and principal make it): a row
    copied in a file edited by hand was read twice -- report counted it twice, export sent the
    same Id twice in one batch (fault-injection trial round 13). ``ids``: those of the rows
    before (the row's own string objects: a set of references, about 16 MB at 345,809 rows)."""
    fid = row.get("id")
    if fid in ids:
        raise InputError(f"{fid!r} is the id of an earlier row too: a finding is one row (was "
                         "a row copied?)", path=source, field=f"findings/{index}/id")
    ids.add(fid)


def validate_rows(document: Mapping[str, Any], *, source: str) -> None:
    """Every row of a findings document with complete rows (schema_version 1, or as
    expand_document returns one) against the schema's finding, and the summary's counts
    against the rows (check_counts); InputError names the file and the field."""
    check = _RowCheck()
    ids: set[Any] = set()
    counts: dict[str, int] = {}
    for i, row in enumerate(document.get("findings") or ()):
        validate_finding(row, i, source=source, check=check)
        _once(row, i, ids, source)
        counts[row.get("status")] = counts.get(row.get("status"), 0) + 1
    check_counts(document, counts, source=source)
