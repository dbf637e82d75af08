"""A request to evaluate: who asks, for what, on which resource, and what the context holds.

The context is explicit about what is known. A key is *known* (``context``: its values), *known
absent* (``absent``, or it starts with one of ``absent_prefixes``), *known to differ* from some
values (``excluded``: e.g. an account outside the organization has an aws:PrincipalOrgID that
is not ours, or none), or else *unknown*: a condition on an unknown key is never guessed.
Keys are lower-case (condition keys are case-insensitive).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Mapping


class KeyState(str, Enum):
    KNOWN = "known"
    ABSENT = "absent"
    EXCLUDED = "excluded"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True, slots=True)
class Request:
    principal_arn: str  # role / user ARN, account root ARN, or "*" for anonymous
    principal_account: str | None
    action: str
    resource: str
    #: role | user | root | anonymous | service
    principal_type: str = "role"
    has_permissions_boundary: bool = False
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    absent: frozenset[str] = frozenset()
    absent_prefixes: tuple[str, ...] = ()
    excluded: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def key_state(self, key: str) -> KeyState:
        key = key.lower()
        if key in self.context:
            return KeyState.KNOWN
        if key in self.absent:
            return KeyState.ABSENT
        if key in self.excluded:
            return KeyState.EXCLUDED
        if any(key.startswith(p) for p in self.absent_prefixes):
            return KeyState.ABSENT
        return KeyState.UNKNOWN

    def values(self, key: str) -> tuple[str, ...]:
        return self.context.get(key.lower(), ())

    def projection(self, keys: frozenset[str]) -> tuple[object, ...]:
        """What the request says about ``keys``: a cache key for policies that use only them."""
        out: list[object] = []
        for k in sorted(keys):
            state = self.key_state(k)
            if state is KeyState.KNOWN:
                out.append(self.context[k])
            elif state is KeyState.EXCLUDED:
                out.append(("!", tuple(sorted(self.excluded[k]))))
            else:
                out.append(state.value)
        return tuple(out)
