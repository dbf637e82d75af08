"""Read the effective readers per secret out of an AccessReport JSON (scanner.access).

Accepted shapes (the report's ``to_json()``)::

    {"secrets": {"<secret arn>": {"readers": [{"principal": ..., "decision": ..., ...}], ...}}}
    {"secrets": [{"arn" | "secret_arn": "<secret arn>", "readers": [...], ...}]}

A reader's ``decision`` says whether it can read: ``allow``/``allowed`` (any case) reads,
``unknown`` (or anything containing it) means a gate could not be assessed, anything else
(deny, broken, partial...) does not read. A secret entry with ``assessed: false`` or a
non-empty ``missing`` list is not fully assessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

ALLOW = "allow"
UNKNOWN = "unknown"
DENY = "deny"


@dataclass(frozen=True, kw_only=True, slots=True)
class Reader:
    principal: str
    decision: str  # allow | unknown | deny (normalised)
    raw: Mapping[str, Any] = field(default_factory=dict)  # the report's entry as it was

    @property
    def account_id(self) -> str | None:
        return principal_account(self.principal)


@dataclass(frozen=True, kw_only=True, slots=True)
class SecretAccess:
    secret_arn: str
    readers: Mapping[str, Reader]  # principal -> reader
    assessed: bool = True
    raw: Mapping[str, Any] = field(default_factory=dict)


def normalise_decision(value: Any) -> str:
    if value is True:
        return ALLOW
    text = str(value or "").strip().lower()
    if UNKNOWN in text or text in ("undetermined", "not_assessed", "not-assessed"):
        return UNKNOWN
    if text.startswith("allow") or text in ("read", "can_read", "can-read", "yes", "effective"):
        return ALLOW
    return DENY


def principal_account(principal: str) -> str | None:
    """The 12-digit account of an ARN, ``<acct>`` or ``account:<acct>`` principal."""
    if principal.startswith("arn:"):
        parts = principal.split(":")
        if len(parts) > 4 and parts[4].isdigit():
            return parts[4]
        return None
    tail = principal.rsplit(":", 1)[-1]
    return tail if len(tail) == 12 and tail.isdigit() else None


def _entries(access_json: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    secrets = access_json.get("secrets")
    if isinstance(secrets, Mapping):
        for arn, entry in secrets.items():
            if isinstance(entry, Mapping):
                yield str(arn), entry
    elif isinstance(secrets, list):
        for entry in secrets:
            if isinstance(entry, Mapping):
                arn = entry.get("arn") or entry.get("secret_arn") or entry.get("secret")
                if arn:
                    yield str(arn), entry


def secrets_access(access_json: Mapping[str, Any] | None) -> dict[str, SecretAccess]:
    """secret ARN -> its readers. {} for None (no access report recorded)."""
    out: dict[str, SecretAccess] = {}
    if not access_json:
        return out
    for arn, entry in _entries(access_json):
        readers: dict[str, Reader] = {}
        for r in entry.get("readers") or ():
            if not isinstance(r, Mapping):
                continue
            principal = r.get("principal") or r.get("principal_arn") or r.get("arn")
            if not principal:
                continue
            reader = Reader(principal=str(principal),
                            decision=normalise_decision(r.get("decision", r.get("effect"))),
                            raw=r)
            prev = readers.get(reader.principal)
            if prev is None or _rank(reader.decision) > _rank(prev.decision):
                readers[reader.principal] = reader
        assessed = entry.get("assessed", True) is not False and not entry.get("missing")
        out[arn] = SecretAccess(secret_arn=arn, readers=readers, assessed=assessed, raw=entry)
    return out


def _rank(decision: str) -> int:
    return {DENY: 0, UNKNOWN: 1, ALLOW: 2}[decision]
