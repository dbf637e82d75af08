"""Statement-by-statement comparison of two policy documents (secret, key, endpoint, IAM).

Statements are matched by ``Sid`` when they have one, otherwise by their canonical JSON (keys
sorted, one-element lists and scalars treated alike, list values sorted). A statement whose Sid
stays but whose body changes is reported as changed; everything else is added or removed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True, kw_only=True, slots=True)
class StatementChange:
    change: str  # added | removed | changed
    sid: str | None
    old: Mapping[str, Any] | None = None
    new: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"change": self.change, "sid": self.sid, "old": self.old, "new": self.new}


def _normalise(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normalise(v) for v in value]
        if len(items) == 1:
            return items[0]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def canonical(statement: Any) -> str:
    return json.dumps(_normalise(statement), sort_keys=True, separators=(",", ":"))


def parse_policy(policy: Any) -> list[Any] | None:
    """The statements of a policy given as text or object; None when it cannot be parsed."""
    if policy is None:
        return []
    doc = policy
    if isinstance(policy, str):
        try:
            doc = json.loads(policy)
        except ValueError:
            return None
    if not isinstance(doc, Mapping):
        return None
    statements = doc.get("Statement", [])
    if isinstance(statements, Mapping):
        return [statements]
    if isinstance(statements, list):
        return statements
    return None


def diff_statements(old_policy: Any, new_policy: Any) -> tuple[StatementChange, ...] | None:
    """Statement changes, or None when either side is not a parseable policy -- nor one nested
    too deep to read or compare (RecursionError: a hand-edited snapshot's policy so failed the
    nightly scan's drift, 'internal error', the night not recorded; fault-injection trial round
    17). The caller then reports the whole field as changed."""
    try:
        return _diff_statements(old_policy, new_policy)
    except RecursionError:
        return None


def _diff_statements(old_policy: Any, new_policy: Any) -> tuple[StatementChange, ...] | None:
    old = parse_policy(old_policy)
    new = parse_policy(new_policy)
    if old is None or new is None:
        return None

    def keyed(statements: list[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for st in statements:
            sid = st.get("Sid") if isinstance(st, Mapping) else None
            key = f"sid:{sid}" if isinstance(sid, str) and sid else f"body:{canonical(st)}"
            while key in out:  # duplicate Sids / identical statements stay distinct
                key += "'"
            out[key] = st
        return out

    old_k, new_k = keyed(old), keyed(new)
    changes: list[StatementChange] = []
    for key, st in old_k.items():
        sid = key[4:].rstrip("'") if key.startswith("sid:") else None
        if key not in new_k:
            changes.append(StatementChange(change="removed", sid=sid, old=st))
        elif canonical(st) != canonical(new_k[key]):
            changes.append(StatementChange(change="changed", sid=sid, old=st, new=new_k[key]))
    for key, st in new_k.items():
        if key not in old_k:
            sid = key[4:].rstrip("'") if key.startswith("sid:") else None
            changes.append(StatementChange(change="added", sid=sid, new=st))
    return tuple(changes)
