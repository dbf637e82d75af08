"""Three-valued logic: a fact is TRUE, FALSE, or UNKNOWN (the scanner cannot tell)."""

from __future__ import annotations

from enum import Enum
from typing import Iterable


class Tri(str, Enum):
    TRUE = "TRUE"
    FALSE = "FALSE"
    UNKNOWN = "UNKNOWN"

    @staticmethod
    def of(value: bool) -> "Tri":
        return Tri.TRUE if value else Tri.FALSE

    def __invert__(self) -> "Tri":
        if self is Tri.TRUE:
            return Tri.FALSE
        if self is Tri.FALSE:
            return Tri.TRUE
        return Tri.UNKNOWN


def all3(values: Iterable[Tri]) -> Tri:
    """Kleene AND: FALSE if any is FALSE, TRUE if all are TRUE, else UNKNOWN (TRUE when empty)."""
    result = Tri.TRUE
    for v in values:
        if v is Tri.FALSE:
            return Tri.FALSE
        if v is Tri.UNKNOWN:
            result = Tri.UNKNOWN
    return result


def any3(values: Iterable[Tri]) -> Tri:
    """Kleene OR: TRUE if any is TRUE, FALSE if all are FALSE, else UNKNOWN (FALSE when empty)."""
    result = Tri.FALSE
    for v in values:
        if v is Tri.TRUE:
            return Tri.TRUE
        if v is Tri.UNKNOWN:
            result = Tri.UNKNOWN
    return result
