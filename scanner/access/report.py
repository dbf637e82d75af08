"""The access report: per secret and per key, what the gates say, serialisable to JSON.

Consumers: reports, history/drift (new / lost readers), and the rules
secret-cross-account-access-broken, secret-policy-public, secret-policy-external-account,
kms-key-policy-excess-grant and identity-policy-secret-wildcard.
"""

from __future__ import annotations

import gc
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from scanner.access.verdicts import (  # noqa: F401 -- re-exported: the report's vocabulary
    GATES,
    AccessPath,
    Breadth,
    ClassVerdict,
    GateVerdict,
    Grant,
    IdentityWildcard,
    KeyAccess,
    Reach,
    RotationRead,
    SecretAccess,
)
from scanner.graph.schema import SCHEDULED_DELETION
from scanner.model import to_jsonable


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessReport:
    secrets: Mapping[str, SecretAccess] = field(default_factory=dict)
    #: replicas, by replica ARN: the primary's resource policy, the replica's own key and region
    #: (kept apart from ``secrets``, the primary secrets')
    replicas: Mapping[str, SecretAccess] = field(default_factory=dict)
    keys: Mapping[str, KeyAccess] = field(default_factory=dict)
    identity_wildcards: tuple[IdentityWildcard, ...] = ()
    #: rotated primary secrets, by ARN: whether the rotation function's execution role can
    #: read the secret (scanner.access.rotation; secret-rotation-role-cannot-read)
    rotation: Mapping[str, RotationRead] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    # ---------------------------------------------------------------- helpers for rules
    def for_secret(self, arn_or_name: str) -> SecretAccess | None:
        hit = self.secrets.get(arn_or_name)
        if hit is not None:
            return hit
        matches = [s for s in self.secrets.values() if s.name == arn_or_name]
        return matches[0] if len(matches) == 1 else None

    def failed(self) -> dict[str, str]:
        """Secret or replica ARN -> why its analysis failed (``SecretAccess.failed``), for
        the secrets whose verdicts are all UNKNOWN."""
        return {arn: s.failed for entries in (self.secrets, self.replicas)
                for arn, s in entries.items() if s.failed}

    def for_key(self, arn: str) -> KeyAccess | None:
        return self.keys.get(arn)

    def paths_for_principal(self, principal_arn: str) -> list[tuple[str, AccessPath]]:
        """(secret ARN, path) of each primary secret's path of the principal."""
        return [(arn, p) for arn, s in self.secrets.items() for p in s.paths
                if p.principal == principal_arn]

    def readers_of(self, secret_arn: str) -> frozenset[str]:
        """Principals whose read is ALLOWED (history/drift compares these sets)."""
        s = self.secrets.get(secret_arn)
        return frozenset(p.principal for p in s.readers) if s else frozenset()

    def all_paths(self) -> list[AccessPath]:
        return [p for s in self.secrets.values() for p in s.paths]

    def secret_paths(self) -> list[tuple[str, AccessPath]]:
        """(secret ARN, path) of every primary secret's path (a path does not name its
        secret: AccessPath)."""
        return [(arn, p) for arn, s in self.secrets.items() for p in s.paths]

    # ---------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """The JSON form. Paths carry each gate's status; the gates' reasons and conditions,
        shared by the many paths that got the same verdict, are in ``verdicts`` (a path's
        ``verdict`` is its index there)."""
        verdicts: list[dict[str, Any]] = []
        index = _VerdictIndex()
        return self.document(
            {arn: _secret_dict(s, verdicts, index) for arn, s in sorted(self.secrets.items())},
            {arn: _secret_dict(s, verdicts, index) for arn, s in sorted(self.replicas.items())},
            verdicts)

    def document(self, secrets: Mapping[str, Any], replicas: Mapping[str, Any],
                 verdicts: list[dict[str, Any]]) -> dict[str, Any]:
        """The JSON form around its ``secrets`` and ``replicas`` members, built by the caller
        (``to_dict``: whole; scanner.history.access_json: one entry at a time)."""
        return {
            "settings": to_jsonable(self.settings),
            "secrets": secrets,
            "replicas": replicas,
            "verdicts": verdicts,
            "keys": {arn: _key_dict(k) for arn, k in sorted(self.keys.items())},
            "identity_wildcards": [to_jsonable(w) for w in self.identity_wildcards],
            "problems": list(self.problems),
        }

    def to_json(self, *, indent: int | None = None) -> str:
        enabled = gc.isenabled()
        gc.disable()  # many small acyclic objects: full collections would dominate
        try:
            return json.dumps(self.to_dict(), indent=indent, sort_keys=True)
        finally:
            if enabled:
                gc.enable()


def path_dict(p: AccessPath, secret_arn: str) -> dict[str, Any]:
    """One path with every gate's reasons (for a single secret or principal); ``secret_arn``:
    the secret whose paths hold it (a path does not name it), given where the path's fields
    always had it."""
    out: dict[str, Any] = {}
    for k, v in to_jsonable(p).items():
        out[k] = v
        if k == "principal_type":
            out["secret_arn"] = secret_arn
    out["broken"] = p.broken
    return out


class _VerdictIndex:
    """Each distinct verdict once in ``verdicts``: found by the identity of the path's gates
    first (paths that got the same verdict share the object), then by value, so equal
    verdicts computed apart (by two evaluators, or in two processes of a sharded run) are one
    entry and the JSON does not depend on how the analysis was split."""

    def __init__(self) -> None:
        self.by_id: dict[int, int] = {}
        self.by_value: dict[object, int] = {}
        self.keep: list[object] = []  # the gates whose id() is a key: alive until the end

    def number(self, p: AccessPath, verdicts: list[dict[str, Any]]) -> int:
        """The index of ``p``'s verdict in ``verdicts``, appended there when new."""
        vid = self.by_id.get(id(p.gates))
        if vid is None:
            value = (tuple(p.gates.items()), p.reasons)
            vid = self.by_value.get(value)
            if vid is None:
                vid = self.by_value[value] = len(verdicts)
                verdicts.append({"gates": to_jsonable(p.gates), "reasons": list(p.reasons)})
            self.by_id[id(p.gates)] = vid
            self.keep.append(p.gates)
        return vid


def _compact_path(p: AccessPath, verdicts: list[dict[str, Any]],
                  index: _VerdictIndex) -> dict[str, Any]:
    vid = index.number(p, verdicts)
    return {
        "principal": p.principal, "principal_account": p.principal_account,
        "principal_type": p.principal_type, "decision": p.decision,
        "cross_account": p.cross_account, "gates": p.gate_statuses(),
        "conditions": list(p.conditions), "intended": p.intended,
        "broken_at": list(p.broken_at), "broken": p.broken, "in_zone": p.in_zone,
        "allow_listed": p.allow_listed, "verdict": vid,
    }


def _secret_dict(s: SecretAccess, verdicts: list[dict[str, Any]],
                 index: _VerdictIndex) -> dict[str, Any]:
    return {
        "secret_arn": s.secret_arn, "name": s.name, "account_id": s.account_id,
        "region": s.region, "key_arn": s.key_arn, "aws_managed_key": s.aws_managed_key,
        "readers": sorted(p.principal for p in s.readers),
        "conditional_readers": sorted(p.principal for p in s.conditional_readers),
        "broken": [{"principal": p.principal, "broken_at": list(p.broken_at)} for p in s.broken],
        "unintended": [to_jsonable(g) for g in s.unintended],
        "breadth": to_jsonable(s.breadth),
        "grants": [to_jsonable(g) for g in s.grants],
        "paths": [_compact_path(p, verdicts, index) for p in s.paths],
        "classes": [to_jsonable(c) for c in s.classes],
        "reach": [_reach_dict(r) for r in s.reach],
        "problems": list(s.problems),
        # only when set: the other secrets' JSON stays as it was
        **({"scheduled_deletion": True, "no_readers": SCHEDULED_DELETION}
           if s.scheduled_deletion else {}),
        # a secret whose analysis raised: not assessed (drift and the baseline check read
        # ``assessed`` / ``missing``: scanner.history.access_readers), its readers unknown
        **({"assessed": False, "failed": s.failed,
            "missing": [f"access analysis (failed: {s.failed})"]} if s.failed else {}),
    }


def _reach_dict(r: Reach) -> dict[str, Any]:
    d = dict(to_jsonable(r))
    d["label"] = r.label
    return d


def _key_dict(k: KeyAccess) -> dict[str, Any]:
    d = dict(to_jsonable(k))
    d["public_grants"] = [to_jsonable(g) for g in k.public_grants]
    d["external_grants"] = [to_jsonable(g) for g in k.external_grants]
    return d
