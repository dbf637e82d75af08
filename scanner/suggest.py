"""``; closest: ...`` hints for a misspelt name (a Region, a rule id, a setting).

Its own module, with nothing but difflib: the collector's option check names the closest
Regions, and importing the rule engine's loader for that put about 0.25 s of imports inside
``collect()`` (bench/client_cpu.py: 2.1 -> 3.2 ms of client CPU per request)."""

from __future__ import annotations

from difflib import get_close_matches
from typing import Sequence


def suggest(word: str, choices: Sequence[str]) -> str:
    """``; closest: a, b`` -- the choices nearest to ``word``, as wholes or by their leading
    words (``pcx`` is near ``pci-dss-4.0``), or nothing when none is near."""
    by_head: dict[str, str] = {}
    for choice in choices:
        parts = choice.split("-")
        for n in range(1, len(parts)):
            by_head.setdefault("-".join(parts[:n]), choice)
    close = get_close_matches(word, choices, n=3, cutoff=0.6)
    for head in get_close_matches(word, list(by_head), n=3, cutoff=0.6):
        if by_head[head] not in close:
            close.append(by_head[head])
    return f"; closest: {', '.join(close[:3])}" if close else ""
