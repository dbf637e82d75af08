"""findings.json: the machine-readable result of a scan (DESIGN.md contract), schema-checked."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import jsonschema

from scanner.errors import InputError

@lru_cache(maxsize=1)
def findings_schema() -> dict[str, Any]:
    """The findings.json schema the engine ships (scanner/schemas/findings.schema.json)."""
    ref = resources.files("scanner").joinpath("schemas/findings.schema.json")
    loaded: dict[str, Any] = json.loads(ref.read_text(encoding="utf-8"))
    return loaded


def validate_document(document: Mapping[str, Any], *, source: str = "findings.json") -> None:
    """Raise InputError naming the first offending field when the document breaks the schema."""
    validator = jsonschema.Draft202012Validator(findings_schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InputError(f"{err.message}{more}", path=source, field=where)


def dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"


def write_findings_json(document: Mapping[str, Any], path: Path) -> Path:
    validate_document(document, source=str(path))
    path.write_text(dumps(document), encoding="utf-8")
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
