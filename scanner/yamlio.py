"""Reading the user's YAML files (rules, config, suppressions, baselines): one place that turns
an unreadable or malformed file into an InputError naming the file (and the line)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from scanner.errors import InputError


def read_yaml(path: str | Path, what: str) -> Any:
    """The parsed document of ``path``; ``what`` names the file's role in errors
    (``cannot read config: ...``)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise InputError(f"cannot read {what}: {reason}", path=str(p)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InputError(f"not valid YAML{where}", path=str(p)) from None
