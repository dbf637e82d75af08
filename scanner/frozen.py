"""``frozen(items)``: ``frozenset(items)``, but the one shared empty frozenset when there are
none. CPython builds a new 216-byte object for every empty frozenset made from an iterable
(``frozenset(()) is frozenset(())`` is false), and the access analysis keeps several per parsed
policy and per secret -- the accounts a policy names as accounts, the condition keys of a
policy without conditions -- most of them empty: at 100,000 secrets, about a hundred megabytes
of empty sets (docs/scale.md, the sixteenth session). Equality, hashing and every set
operation are unchanged; nothing may mutate a frozenset, so sharing one is safe."""

from __future__ import annotations

from typing import Any, Iterable, TypeVar

T = TypeVar("T")

EMPTY: frozenset[Any] = frozenset()


def frozen(items: Iterable[T]) -> frozenset[T]:
    out = frozenset(items)
    return out if out else EMPTY
