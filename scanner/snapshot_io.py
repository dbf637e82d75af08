"""Reading and writing snapshot files.

A snapshot file is the JSON form of scanner.model.Snapshot (``to_jsonable``), gzip-compressed
when its name ends in ``.gz``, validated on read against the JSON Schema shipped in the package
(scanner/schemas/snapshot.schema.json, generated from scanner.model by ``generate_schema``;
``python -m scanner.snapshot_io`` rewrites it). A file that is not JSON, not a snapshot, of another
schema version, or that breaks the schema raises InputError naming the file and the field.

``SnapshotWriter`` streams: accounts are written one at a time, so collect() never holds the whole
organisation in memory; ``write_snapshot`` uses the same writer.
"""

from __future__ import annotations

import collections.abc
import contextlib
import dataclasses
import functools
import gzip
import io
import json
import os
import re
import sys
import types
import typing
import zlib
from pathlib import Path
from typing import IO, Any, Iterable, Mapping, Union

from scanner import input_file, json_text, model
from scanner.errors import InputError, OutputError
from scanner.format_version import is_version, shown
from scanner.model import SCHEMA_VERSION, Snapshot, from_jsonable, to_jsonable

SCHEMA_PATH = Path(__file__).parent / "schemas" / "snapshot.schema.json"
SCHEMA_ID = "https://secretgraph.dev/schemas/snapshot.schema.json"


# --------------------------------------------------------------------------- schema


def _type_schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    if tp is typing.Any:
        return {}
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        options = [_type_schema(a, defs) for a in args if a is not type(None)]
        nullable = type(None) in args
        if len(options) == 1 and nullable and set(options[0]) == {"type"}:
            return {"type": [options[0]["type"], "null"]}  # ten times faster to validate
        if nullable:
            options.append({"type": "null"})
        return options[0] if len(options) == 1 else {"anyOf": options}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        _define(tp, defs)
        return {"$ref": f"#/$defs/{tp.__name__}"}
    if origin is tuple:
        args = typing.get_args(tp)
        return {"type": "array", "items": _type_schema(args[0], defs) if args else {}}
    if origin in (collections.abc.Mapping, dict):
        args = typing.get_args(tp)
        return {"type": "object",
                "additionalProperties": _type_schema(args[1], defs) if len(args) == 2 else {}}
    simple = {str: "string", bool: "boolean", int: "integer", float: "number"}
    if tp in simple:
        return {"type": simple[tp]}
    raise TypeError(f"no JSON Schema mapping for {tp!r}")


#: An ISO-8601 date or date and time, as datetime.fromisoformat reads it (after "Z" ->
#: "+00:00"): a day the month has (February 29 in a leap year only; no year 0000), an
#: optional time 00:00-23:59:59 and offset under 24 hours. Any other day, hour or offset the
#: pattern took (2026-02-30, 25:00, +25:00) made a rule crash on it (fault-injection trial
#: round 17).
_YEAR = r"(?!0000)[0-9]{4}"
_LEAP_YEAR = r"([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)"
TIMESTAMP_PATTERN = (rf"^({_YEAR}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
                     r"|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
                     rf"|{_LEAP_YEAR}-02-29)"
                     r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?)?"
                     r"(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?$")

#: Extra constraints the type hints cannot say.
_OVERRIDES: dict[tuple[str, str], dict[str, Any]] = {
    ("CoverageEntry", "error_kind"): {"enum": list(model.ERROR_KINDS)},
    ("OrgMembership", "status"): {"enum": list(model.MEMBERSHIP_STATUSES)},
    ("Snapshot", "schema_version"): {"const": SCHEMA_VERSION},
    ("AccountSnapshot", "account_id"): {"type": "string", "pattern": "^[0-9]{12}$"},
    ("Quota", "value"): {"type": "number"},
    # timestamps the rules compare (model: "ISO-8601 strings in UTC"): a value no rule can
    # read is bad input naming its field, not a rule that crashes on it
    **{(cls, name): {"type": ["string", "null"], "pattern": TIMESTAMP_PATTERN}
       for cls, names in (("Secret", ("created", "last_changed", "last_rotated",
                                      "last_accessed", "next_rotation", "deleted_date")),
                          ("ReplicaStatus", ("last_accessed",)),
                          ("KmsKey", ("creation_date", "deletion_date")),
                          ("ScanMeta", ("finished_at",)))
       for name in names},
    ("ScanMeta", "started_at"): {"type": "string", "pattern": TIMESTAMP_PATTERN},
}


def _define(cls: type, defs: dict[str, Any]) -> None:
    if cls.__name__ in defs:
        return
    defs[cls.__name__] = {}  # placeholder against recursion
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):
        schema = _OVERRIDES.get((cls.__name__, f.name)) or _type_schema(hints[f.name], defs)
        properties[f.name] = schema
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(f.name)
    doc = (cls.__doc__ or "").strip().splitlines()
    definition: dict[str, Any] = {"type": "object", "properties": properties,
                                  "required": required, "additionalProperties": False}
    if doc and not doc[0].startswith(cls.__name__ + "("):
        definition = {"description": doc[0], **definition}
    defs[cls.__name__] = definition


def generate_schema() -> dict[str, Any]:
    """The snapshot JSON Schema, derived from scanner.model's records."""
    defs: dict[str, Any] = {}
    _define(Snapshot, defs)
    root = defs.pop("Snapshot")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "secretgraph snapshot",
        "description": f"What one scan read (schema_version {SCHEMA_VERSION}). Generated from "
        "scanner/model.py by `python -m scanner.snapshot_io`; do not edit by hand.",
        **{k: v for k, v in root.items() if k != "description"},
        "$defs": dict(sorted(defs.items())),
    }


@functools.lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


# --------------------------------------------------------------------------- writing


def _open_write(path: Path, *, compress: bool) -> IO[str]:
    if compress:
        return io.TextIOWrapper(gzip.open(path, "wb", compresslevel=6), encoding="utf-8")
    return open(path, "w", encoding="utf-8")


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


class SnapshotWriter:
    """Streams a snapshot file: ``write_account`` for each account, then ``finish``.

    The file appears (atomically, by rename) only when ``finish`` succeeds.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._tmp = self.path.with_name(f".{self.path.name}.partial")
        self._fh: IO[str] | None = None
        self._count = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = _open_write(self._tmp, compress=self.path.name.endswith(".gz"))
            self._fh.write(f'{{"schema_version":{SCHEMA_VERSION},"accounts":[')
        except OSError as exc:
            raise self._refused(exc) from None

    def _refused(self, exc: OSError) -> OutputError:
        """A write the system refused (a full disk): the partial file removed, and one line
        naming the snapshot -- "internal error: OSError: [Errno 28] No space left on device"
        after every account was read, naming no file (fault-injection trial round 18: gzip's
        close flushed the last block onto a full disk)."""
        with contextlib.suppress(OSError):
            self.abort()
        self._fh = None
        return OutputError(f"cannot write the snapshot {self.path}: {exc.strerror or exc}; "
                           "nothing was written")

    def write_account(self, account: model.AccountSnapshot | Mapping[str, Any]) -> None:
        assert self._fh is not None, "snapshot already finished"
        data = account if isinstance(account, Mapping) else to_jsonable(account)
        try:
            self._fh.write(("," if self._count else "") + "\n" + _dumps(data))
        except OSError as exc:
            raise self._refused(exc) from None
        self._count += 1

    def finish(self, *, meta: model.ScanMeta, organization: model.Organization | None,
               coverage: Iterable[model.CoverageEntry | Mapping[str, Any]],
               org_membership: model.OrgMembership | None = None) -> Path:
        """``org_membership`` is written only when there is one (a scan without --org), so
        the snapshot of an --org scan is the same as before the field."""
        assert self._fh is not None, "snapshot already finished"
        fh = self._fh
        try:
            fh.write('\n],"coverage":[')
            for i, entry in enumerate(coverage):
                data = entry if isinstance(entry, Mapping) else to_jsonable(entry)
                fh.write(("," if i else "") + "\n" + _dumps(data))
            fh.write('\n],"organization":' + _dumps(to_jsonable(organization)))
            if org_membership is not None:
                fh.write(',"org_membership":' + _dumps(to_jsonable(org_membership)))
            fh.write(',"meta":' + _dumps(to_jsonable(meta)) + "}\n")
            fh.close()
            self._fh = None
            os.replace(self._tmp, self.path)
        except OSError as exc:
            raise self._refused(exc) from None
        return self.path

    def abort(self) -> None:
        fh, self._fh = self._fh, None
        try:
            if fh is not None:
                fh.close()
        finally:
            self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> "SnapshotWriter":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._fh is not None:
            self.abort()


def write_snapshot(path: str | os.PathLike[str], snapshot: Snapshot) -> Path:
    with SnapshotWriter(path) as writer:
        for account in snapshot.accounts:
            writer.write_account(account)
        return writer.finish(meta=snapshot.meta, organization=snapshot.organization,
                             coverage=snapshot.coverage, org_membership=snapshot.org_membership)


# --------------------------------------------------------------------------- reading


def _field_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def not_a_snapshot_file(folder: Path) -> str:
    """What a folder given where a snapshot file is read holds, and what to give instead:
    a scan's output folder names its snapshot, a folder of snapshot parts (or a piece of one
    run of them) the scan --from-parts that merges it. ``scan --snapshot`` and
    ``access --snapshot`` said it two ways ("cannot read the snapshot (Is a directory)",
    "is a directory, not a snapshot file"), neither what to give (new-user trial round 34:
    ``collect`` then ``scan --snapshot PARTS``)."""
    from scanner.shards import merge_hint

    for name in ("snapshot.json.gz", "snapshot.json"):
        if (folder / name).is_file():
            return (f"is a directory (a scan's output folder), not a snapshot file: its "
                    f"snapshot is {folder / name}")
    hint = merge_hint(folder)
    if hint is not None:
        return f"is a directory, not a snapshot file: {hint}"
    return "is a directory, not a snapshot file"


def load_document(path: str | os.PathLike[str]) -> Any:
    """The parsed JSON of a (possibly gzipped) file; InputError when unreadable or not JSON."""
    p = Path(path)
    try:
        data = input_file.read_bytes(p)
        if p.name.endswith(".gz") or data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        text = data.decode("utf-8")
        document = json_text.loads(text)
    except FileNotFoundError:
        raise InputError("no such file", path=str(p)) from None
    except IsADirectoryError:
        raise InputError(not_a_snapshot_file(p), path=str(p)) from None
    except OSError as exc:
        if isinstance(exc, gzip.BadGzipFile):
            raise InputError(f"corrupt gzip data ({exc})", path=str(p)) from None
        raise InputError(f"cannot read ({exc.strerror or exc})", path=str(p)) from None
    except (EOFError, zlib.error) as exc:
        raise InputError(f"corrupt or truncated gzip data ({exc})", path=str(p)) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text: not a snapshot file", path=str(p)) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})",
                         path=str(p)) from None
    if _SURROGATE_ESCAPE.search(text):  # rare: only then is the document walked
        where = _lone_surrogate(document, ())
        if where is not None:
            raise InputError("holds a lone surrogate (a \\ud800-\\udfff escape that is half "
                             "of a character): no report can be written with it",
                             path=str(p), field=_field_path(where) or "(top level)")
    return document


#: a JSON escape of a UTF-16 surrogate: the only way a lone one gets into decoded JSON text
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _lone_surrogate(value: Any, where: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The path of the first string (or key) in ``value`` that UTF-8 cannot encode."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if _lone_surrogate(key, ()) is not None:  # named escaped: the line must print
                return (*where, key.encode("utf-8", "backslashreplace").decode("utf-8"))
            found = _lone_surrogate(item, (*where, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _lone_surrogate(item, (*where, i))
            if found is not None:
                return found
    return None


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(load_schema())


# A compiled checker for the keywords generate_schema() emits. jsonschema needs ~13 s for a
# 200-account snapshot; this answers valid/invalid in a fraction of that, and jsonschema is then
# run only on an invalid document, to name the field. Any keyword outside this set makes
# _fast_check unavailable (None) and jsonschema does all the work.
_FAST_KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties", "items",
                            "anyOf", "const", "enum", "pattern", "description", "$ref", "$defs",
                            "$schema", "$id", "title", "minLength", "minimum"})

Check = typing.Callable[[Any], bool]


def _is_type(value: Any, name: str) -> bool:
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if isinstance(value, bool):
        return False
    if name == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, (int, float))
    return False


#: JSON Schema types that are exactly one Python type each (as ``_is_type`` decides them)
_PLAIN_TYPES: dict[str, type] = {"string": str, "boolean": bool, "null": type(None),
                                 "object": dict, "array": list}


class _Unsupported(Exception):
    pass


def _compile(schema: Any, defs: Mapping[str, Any], cache: dict[str, Check]) -> Check:
    if not isinstance(schema, dict) or set(schema) - _FAST_KEYWORDS:
        raise _Unsupported(str(schema)[:80])
    checks: list[Check] = []
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        if name not in cache:
            cache[name] = lambda v: True  # placeholder against recursion (none in practice)
            cache[name] = _compile(defs[name], defs, cache)
        checks.append(lambda v, n=name: cache[n](v))  # type: ignore[misc]
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if set(names) <= set(_PLAIN_TYPES):  # no integer/number: one isinstance answers
            plain = tuple(_PLAIN_TYPES[n] for n in names)
            checks.append(lambda v: isinstance(v, plain))
        else:
            checks.append(lambda v: any(_is_type(v, n) for n in names))
    if "const" in schema:
        const = schema["const"]
        checks.append(lambda v: v == const and type(v) is type(const))
    if "enum" in schema:
        options = list(schema["enum"])
        checks.append(lambda v: v in options)
    if "pattern" in schema:
        regex = re.compile(schema["pattern"])
        checks.append(lambda v: not isinstance(v, str) or regex.search(v) is not None)
    if "minLength" in schema:
        shortest = int(schema["minLength"])
        checks.append(lambda v: not isinstance(v, str) or len(v) >= shortest)
    if "minimum" in schema:
        least = schema["minimum"]
        checks.append(lambda v: isinstance(v, bool) or not isinstance(v, (int, float))
                      or v >= least)
    if "anyOf" in schema:
        alternatives = [_compile(a, defs, cache) for a in schema["anyOf"]]
        checks.append(lambda v: any(a(v) for a in alternatives))
    if "items" in schema:
        item = _compile(schema["items"], defs, cache)
        checks.append(lambda v: not isinstance(v, list) or all(item(i) for i in v))
    if "properties" in schema or "required" in schema or "additionalProperties" in schema:
        props = {k: _compile(v, defs, cache) for k, v in schema.get("properties", {}).items()}
        required = list(schema.get("required", ()))
        extra = schema.get("additionalProperties", True)
        extra_check = None if isinstance(extra, bool) else _compile(extra, defs, cache)

        def check_object(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for key in required:
                if key not in v:
                    return False
            for key, value in v.items():
                prop = props.get(key)
                if prop is not None:
                    if not prop(value):
                        return False
                elif extra is False:
                    return False
                elif extra_check is not None and not extra_check(value):
                    return False
            return True

        checks.append(check_object)
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)
    return lambda v: all(c(v) for c in checks)


def compile_check(schema: Mapping[str, Any], defs: Mapping[str, Any] | None = None
                  ) -> Check | None:
    """A fast valid/invalid answer for ``schema`` (``defs``: where its ``$ref``s point, default
    its own ``$defs``), or None when it uses a keyword this compiler does not know. Run
    jsonschema on what it rejects to name the field."""
    try:
        return _compile(schema, schema.get("$defs", {}) if defs is None else defs, {})
    except (_Unsupported, KeyError, re.error):
        return None


@functools.lru_cache(maxsize=1)
def _fast_check() -> Check | None:
    return compile_check(load_schema())


class SchemaVersionError(ValueError):
    """A snapshot of another schema_version than this secretgraph reads (check_schema_version):
    a ValueError, as the history stores' other payload errors are."""

    def __init__(self, version: Any) -> None:
        self.version = version
        newer = isinstance(version, int) and not isinstance(version, bool) and \
            version > SCHEMA_VERSION
        self.newer = newer
        why = "written by a newer secretgraph; upgrade secretgraph to read it" if newer else \
            "not a version any secretgraph wrote"
        super().__init__(f"snapshot schema_version {shown(version)}: {why} (this secretgraph "
                         f"reads {SCHEMA_VERSION})")


def check_schema_version(document: Mapping[str, Any]) -> None:
    """The one schema_version check of a snapshot document, for `scan --snapshot`
    (validate_document) and for the scans the history stores (history.records): a stored
    one of another version was otherwise used for drift and the policy carry without a word,
    or failed as a "damaged payload" (fault trial round 3). Raises SchemaVersionError."""
    version = document.get("schema_version")
    if not is_version(version, SCHEMA_VERSION):
        raise SchemaVersionError(version)


def validate_document(document: Any, *, path: str) -> None:
    """Raise InputError (naming the field) unless ``document`` is a valid current snapshot."""
    import jsonschema

    if isinstance(document, dict) and "findings" in document and "scan" in document:
        # the file a scan's --out shows first (new-user trial 17)
        raise InputError("a findings.json, not a snapshot: give the snapshot.json.gz the scan "
                         "wrote beside it", path=path)
    if isinstance(document, dict) and document.get("format") == "secretgraph-part":
        # one account of a collect run (shards.PART_FORMAT), given as a snapshot: named from
        # the document, as scan reads a staging copy of the file
        run = str(document.get("run_id") or "RUN")
        raise InputError(f"one account's snapshot part of run {run!r} (secretgraph collect), "
                         f"not a snapshot: merge the run with scan --from-parts LOCATION "
                         f"--run-id {run} (LOCATION: the folder holding {run}/)", path=path)
    if not isinstance(document, dict) or "schema_version" not in document or "meta" not in document:
        raise InputError("not a secretgraph snapshot (expected an object with schema_version "
                         "and meta)", path=path)
    try:
        check_schema_version(document)
    except SchemaVersionError as exc:
        raise InputError(f"unsupported {exc}", path=path, field="schema_version") from None
    fast = _fast_check()
    if fast is not None and fast(document):
        return
    validator = _validator()
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        field = _field_path(error.absolute_path) or "(top level)"
        raise InputError(f"does not match the snapshot schema: {schema_message(error)}",
                         path=path, field=field)


#: how much of the offending value a schema error shows: the field and what it should be are
#: the message, the value only a reminder
SHOWN_VALUE = 80


def schema_message(error: Any) -> str:
    """jsonschema's message for ``error`` with the value it quotes cut to SHOWN_VALUE
    characters: a whole secret, evidence or findings map given where another type belongs was
    repeated in the one error line -- 314 KB of it in a nightly log from a findings.json, and
    the snapshot's line, cut at 300 characters, lost the words saying what was wrong
    (fault-injection trial round 20). The snapshot and findings.json readers both say it so."""
    if error.validator == "pattern" and error.validator_value == TIMESTAMP_PATTERN:
        return (f"{error.instance!r:.{SHOWN_VALUE}} is not an ISO-8601 timestamp "
                "(such as 2026-11-29T01:00:00Z)")
    message = str(error.message)
    shown = repr(error.instance)
    if len(shown) > SHOWN_VALUE:
        message = message.replace(shown, shown[:SHOWN_VALUE - 3] + "...")
    return message if len(message) <= 300 else message[:297] + "..."


@functools.lru_cache(maxsize=None)
def _part_schema(definition: str, many: bool) -> tuple[dict[str, Any], Check | None]:
    """The snapshot schema's ``definition`` (an array of them when ``many``), standing alone,
    and its fast check."""
    defs = load_schema()["$defs"]
    ref: dict[str, Any] = {"$ref": f"#/$defs/{definition}"}
    schema = {"type": "array", "items": ref} if many else ref
    return {**schema, "$defs": defs}, compile_check(schema, defs)


def validate_part(value: Any, definition: str, *, path: str, field: str,
                  many: bool = False) -> None:
    """Raise InputError naming ``path`` and the field (under ``field``) unless ``value`` is
    a valid ``definition`` of the snapshot schema (a list of them when ``many``): a record
    read on its own, such as one account's part of a sharded run, before it is merged."""
    import jsonschema

    schema, fast = _part_schema(definition, many)
    if fast is not None and fast(value):
        return
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(value))
    if error is not None:
        raise InputError(f"does not match the snapshot schema: {schema_message(error)}",
                         path=path, field=_field_path((field, *error.absolute_path)))


Decoder = typing.Callable[[Any], Any]
T = typing.TypeVar("T")


def _decoder(tp: Any, memo: dict[Any, Decoder | None]) -> Decoder | None:
    """``model.from_jsonable``'s decoding of a value of type ``tp``, compiled once per type:
    the type hints are looked at here, not for each of the millions of values of a large
    snapshot. None: the value is kept as it is. The same records come out (a test compares)."""
    if tp in memo:
        return memo[tp]
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        out = _decoder(members[0], memo) if len(members) == 1 else None
    elif isinstance(tp, type) and dataclasses.is_dataclass(tp):
        out = _record_decoder(tp, memo)
    elif origin is tuple:
        args = typing.get_args(tp)
        inner = _decoder(args[0], memo) if args else None
        if inner is None:
            out = tuple
        else:
            out = functools.partial(_decode_tuple, inner)
    elif origin in (collections.abc.Mapping, dict):
        args = typing.get_args(tp)
        inner = _decoder(args[1], memo) if len(args) == 2 else None
        out = dict if inner is None else functools.partial(_decode_mapping, inner)
    elif tp is str:
        out = _shared_str
    else:
        out = None
    memo[tp] = out
    return out


#: strings longer than this are kept as decoded (policy documents, descriptions): unique
#: text, where a shared copy saves nothing and hashing it costs
SHARED_STR_MAX = 160


def _shared_str(value: Any) -> Any:
    """A short string field's value, one object for equal values (``sys.intern``; interned
    strings are freed with their last reference). JSON decoding makes a new string for
    every occurrence: at 100,000 secrets the snapshot held about a hundred thousand copies
    each of the Region, the account ids, the key and rotation-function ARNs, the dates and
    the tag values (docs/scale.md, the sixteenth session)."""
    if type(value) is str and len(value) <= SHARED_STR_MAX:
        return sys.intern(value)
    return value


def _decode_tuple(inner: Decoder, value: Any) -> tuple[Any, ...]:
    return tuple([None if v is None else inner(v) for v in value])


def _decode_mapping(inner: Decoder, value: Any) -> dict[Any, Any]:
    return {k: None if v is None else inner(v) for k, v in value.items()}


def _record_decoder(cls: type, memo: dict[Any, Decoder | None]) -> Decoder:
    fields: dict[str, Decoder | None] = {}
    intern = sys.intern
    names = frozenset(f.name for f in dataclasses.fields(cls))

    def decode(data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
        if not names.issuperset(data):
            unknown = set(data) - names
            raise ValueError(f"{cls.__name__}: unknown field(s) {sorted(unknown)}")
        kwargs = {}
        for k, v in data.items():
            if v is not None:
                dec = fields[k]
                if dec is _shared_str:  # (inline: a call per string field cost 0.4 s at 100k)
                    if type(v) is str and len(v) <= SHARED_STR_MAX:
                        v = intern(v)
                elif dec is not None:
                    v = dec(v)
            kwargs[k] = v
        return cls(**kwargs)

    memo[cls] = decode  # before the fields: a record may hold its own kind
    hints = typing.get_type_hints(cls)
    for name in names:
        fields[name] = _decoder(hints[name], memo)
    return decode


#: the compiled decoders, by type: one memo for every record kind decoded
_DECODERS: dict[Any, Decoder | None] = {}


def _snapshot_decoder() -> Decoder:
    decode = _decoder(Snapshot, _DECODERS)
    assert decode is not None
    return decode


def decode_record(cls: type[T], data: Mapping[str, Any]) -> T:
    """``model.from_jsonable(cls, data)`` with the decoder compiled for ``cls`` (the same
    record: tests/aws/test_snapshot_io.py), short strings shared: what the history reads a
    stored snapshot with -- the generic decoder looked at the type hints of every value, 3.3 s
    of CPU for the previous night's 300 accounts (docs/scale.md, the twenty-ninth session).
    The value is not checked against the schema here: validate it first."""
    decode = _decoder(cls, _DECODERS)
    assert decode is not None
    return typing.cast(T, decode(data))


#: the field that names each record of a snapshot's lists: a record named twice in one list
#: is refused (check_unique)
RECORD_IDENTITY = {
    "accounts": "account_id", "regions": "region",
    "secrets": "arn", "kms_keys": "arn", "vpcs": "vpc_id", "subnets": "subnet_id",
    "route_tables": "route_table_id", "peerings": "peering_id",
    "security_groups": "group_id", "vpc_endpoints": "endpoint_id",
    "nat_gateways": "nat_gateway_id", "lambda_functions": "arn",
    "principals": "arn", "groups": "arn", "policies": "arn",
}


#: the lists of a Region's record and of an account's IAM (the rest of RECORD_IDENTITY)
_IAM_LISTS = ("principals", "groups", "policies")
_REGION_LISTS = tuple(n for n in RECORD_IDENTITY
                      if n not in ("accounts", "regions") and n not in _IAM_LISTS)


#: the lists whose records are named by an ARN, which no other record of the snapshot may
#: share (a secret moved by hand into another Region's list is still the one secret); the
#: other ids are checked per list: a peering is listed by both of its accounts, a shared VPC
#: by its owner and its participants, an AWS-managed policy by every account
ONE_PER_SNAPSHOT = frozenset({"secrets", "kms_keys", "lambda_functions"})


def _first_repeat(records: Any, identity: str, where: tuple[Any, ...],
                  seen: dict[Any, tuple[Any, ...]]
                  ) -> tuple[tuple[Any, ...], tuple[Any, ...], Any] | None:
    """(path of the first record, path of the record naming it again, the name) in the list
    ``records``, given the names ``seen`` before it (and their paths), or None."""
    for index, record in enumerate(records if isinstance(records, list) else ()):
        name = record.get(identity) if isinstance(record, dict) else None
        if not isinstance(name, str):
            continue
        if name in seen:
            return seen[name], (*where, index), name
        seen[name] = (*where, index)
    return None


def check_unique(document: Mapping[str, Any], *, path: str) -> None:
    """Raise InputError unless every record of the snapshot's lists is there once: an
    account, a Region of an account, a secret, key, VPC ... of an account-Region, a principal
    of an account's IAM, by its RECORD_IDENTITY field. A collection never writes one twice
    (collectors.base.Entries keeps one per id), but a snapshot put together by hand or by a
    script did, and the graph (keyed by ARN and id) joined the two -- one secret's policy with
    the other's key, a key's state from one and its grants from the other -- then judged the
    mixture without a word (fault-injection trial round 22)."""

    def lists() -> Iterable[tuple[str, Any, tuple[Any, ...]]]:
        accounts = document.get("accounts")
        yield "accounts", accounts, ("accounts",)
        for a, account in enumerate(accounts if isinstance(accounts, list) else ()):
            if not isinstance(account, dict):
                continue
            regions = account.get("regions")
            yield "regions", regions, ("accounts", a, "regions")
            for r, region in enumerate(regions if isinstance(regions, list) else ()):
                if isinstance(region, dict):
                    for name in _REGION_LISTS:
                        yield name, region.get(name), ("accounts", a, "regions", r, name)
            iam = account.get("iam")
            if isinstance(iam, dict):
                for name in _IAM_LISTS:
                    yield name, iam.get(name), ("accounts", a, "iam", name)

    snapshot_wide: dict[str, dict[Any, tuple[Any, ...]]] = {n: {} for n in ONE_PER_SNAPSHOT}
    for name, records, where in lists():
        identity = RECORD_IDENTITY[name]
        repeat = _first_repeat(records, identity, where, snapshot_wide.get(name, {}))
        if repeat is not None:
            first, again, value = repeat
            raise InputError(f"{identity} {str(value)!r:.120} is given twice in {name} (also "
                             f"at {_field_path(first)}): one record per {identity}; a merged "
                             "or hand-made snapshot must keep one of the two",
                             path=path, field=_field_path((*again, identity)))


def read_snapshot(path: str | os.PathLike[str]) -> Snapshot:
    """Load, validate and rebuild a snapshot; InputError (naming file and field) on bad input."""
    from scanner.gcpause import gc_paused

    with gc_paused():  # millions of objects, no cycles (1.3 s less at 100,000 secrets)
        document = load_document(path)
        validate_document(document, path=str(path))
        check_unique(document, path=str(path))
    try:
        with gc_paused():
            snapshot: Snapshot = _snapshot_decoder()(document)
        return snapshot
    except (ValueError, TypeError) as exc:
        raise InputError(f"not a valid snapshot: {exc}", path=str(path)) from None


def main(argv: list[str] | None = None) -> int:
    """Rewrite the shipped schema from scanner.model (``--check`` only compares)."""
    argv = sys.argv[1:] if argv is None else argv
    text = json.dumps(generate_schema(), indent=2) + "\n"
    if "--check" in argv:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if current != text:
            print(f"{SCHEMA_PATH} is out of date: run python -m scanner.snapshot_io")
            return 1
        return 0
    SCHEMA_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
