"""findings.json: the machine-readable result of a scan (DESIGN.md contract), schema-checked.

The file is written as a stream: the header (schema_version, tool, scan, coverage, summary,
passed), then the findings one per line, each checked against the schema's finding definition
as it is written. ``--format jsonl`` writes the same rows one per line without the header."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import jsonschema

from scanner.errors import InputError

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


@lru_cache(maxsize=1)
def _finding_check() -> Callable[[Any], bool]:
    """A compiled valid/invalid test for one finding (jsonschema then names what is wrong)."""
    from scanner.snapshot_io import compile_check

    schema = findings_schema()
    check = compile_check(schema["$defs"]["finding"], schema["$defs"])
    if check is not None:
        return check
    validator = _finding_validator()
    return lambda row: bool(validator.is_valid(row))


def _raise_first(errors: Iterable[Any], source: str, prefix: tuple[Any, ...] = ()) -> None:
    ordered = sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])
    if ordered:
        err = ordered[0]
        where = "/".join(str(p) for p in prefix + tuple(err.absolute_path)) or "(top level)"
        more = f" (and {len(ordered) - 1} more)" if len(ordered) > 1 else ""
        raise InputError(f"{err.message}{more}", path=source, field=where)


def validate_header(document: Mapping[str, Any], *, source: str = "findings.json") -> None:
    """Everything but the findings rows (those are checked one at a time, validate_finding)."""
    if not isinstance(document, Mapping):
        raise InputError("expected a JSON object", path=source, field="(top level)")
    header = {k: v for k, v in document.items() if k != "findings"}
    if "findings" in document:
        header["findings"] = [] if isinstance(document["findings"], list) else \
            document["findings"]
    _raise_first(_header_validator().iter_errors(header), source)


def validate_finding(row: Any, index: int, *, source: str = "findings.json") -> None:
    """One finding row against the schema's finding definition; InputError names the field."""
    if not _finding_check()(row):
        _raise_first(_finding_validator().iter_errors(row), source, ("findings", index))


def validate_document(document: Mapping[str, Any], *, source: str = "findings.json") -> None:
    """Raise InputError naming the first offending field when the document breaks the schema:
    the header first, then each finding on its own (no whole-document validation pass)."""
    validate_header(document, source=source)
    for i, row in enumerate(document.get("findings") or ()):
        validate_finding(row, i, source=source)


def dumps(document: Mapping[str, Any]) -> str:
    return "".join(iter_findings_json(document))


#: one encoder for every row (json.dumps with options builds a new encoder per call)
_ROW = json.JSONEncoder(ensure_ascii=False, default=str, separators=(",", ":"))


def iter_findings_json(document: Mapping[str, Any], *, source: str = "findings.json"
                       ) -> Iterator[str]:
    """findings.json as text, piece by piece: the header indented, then one finding per line,
    each validated as it is written (no second copy of the document is built)."""
    validate_header(document, source=source)
    header = {k: v for k, v in document.items() if k != "findings"}
    text = json.dumps(header, indent=2, ensure_ascii=False, default=str)
    rows = document.get("findings") or ()
    yield text[:-2] + (",\n" if header else "\n") + '  "findings": ['
    encode = _ROW.encode
    for i, row in enumerate(rows):
        validate_finding(row, i, source=source)
        yield ("\n    " if i == 0 else ",\n    ") + encode(row)
    yield "\n  ]\n}\n" if rows else "]\n}\n"


def write_findings_json(document: Mapping[str, Any], path: Path) -> Path:
    """Stream the document to ``path`` (through a temporary file, renamed when complete)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as out:
            for piece in iter_findings_json(document, source=str(path)):
                out.write(piece)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_findings_jsonl(document: Mapping[str, Any], path: Path) -> Path:
    """JSON Lines for pipelines: one finding (the findings.json row, validated) per line."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as out:
            encode = json.JSONEncoder(ensure_ascii=True, default=str,
                                      separators=(",", ":")).encode
            for i, row in enumerate(document.get("findings") or ()):
                validate_finding(row, i, source=str(path))
                out.write(encode(row))
                out.write("\n")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_json_object(path: Path, what: str = "") -> dict[str, Any]:
    """A JSON file holding one object; anything else is an InputError naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("file not found", path=str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a readable JSON file: {exc}", path=str(path)) from None
    if not isinstance(data, dict):
        raise InputError(f"expected a JSON object{f' ({what})' if what else ''}",
                         path=str(path))
    return data


def read_findings_json(path: Path) -> dict[str, Any]:
    """Load and validate a findings.json; bad input is an InputError naming the file."""
    data = read_json_object(path)
    validate_document(data, source=str(path))
    return data
