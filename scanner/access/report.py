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

from scanner.model import to_jsonable

GATES = ("resource_policy", "key_policy", "identity_policy", "scp")


@dataclass(frozen=True, kw_only=True, slots=True)
class GateVerdict:
    status: str  # ALLOWED | DENIED | CONDITIONAL | NOT_APPLICABLE | UNKNOWN
    conditions: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessPath:
    """One (principal, secret) pair and the verdict of every gate."""

    principal: str
    principal_account: str | None
    principal_type: str
    secret_arn: str
    secret_account: str
    decision: str  # ALLOWED | DENIED | CONDITIONAL
    cross_account: bool
    gates: Mapping[str, GateVerdict]
    conditions: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    intended: bool = False  # some policy names this principal (or its account) for this secret
    broken_at: tuple[str, ...] = ()  # gates that block an intended read
    in_zone: bool = True  # principal's account inside the organization (zone of trust)
    allow_listed: bool = False

    @property
    def broken(self) -> bool:
        return bool(self.broken_at)

    def gate_statuses(self) -> dict[str, str]:
        return {k: v.status for k, v in self.gates.items()}


@dataclass(frozen=True, kw_only=True, slots=True)
class Grant:
    """One principal entry of an Allow statement in a secret or key policy."""

    source: str  # resource_policy | key_policy
    statement: str
    principal: str  # the entry as written ("*", account id, ARN, service name)
    scope: str  # public | organization | restricted | account | principal | service | federated
    account_id: str | None = None
    in_zone: bool = False
    allow_listed: bool = False
    conditions: tuple[str, ...] = ()  # conditions that keep an outsider's access unresolved
    unintended: str | None = None  # public | outside-organization | not-allow-listed


@dataclass(frozen=True, kw_only=True, slots=True)
class ClassVerdict:
    """One equivalence class of principals that no policy of the secret singles out, reached
    through a ``*`` grant (typically organization-wide): evaluated once for all its members.
    Whatever the decision, it says how far the grant reaches and which gate stops it."""

    example: str  # one member's ARN (the representative that was evaluated)
    principal_type: str
    principals: int
    accounts: int
    decision: str
    gates: Mapping[str, str]
    broken_at: tuple[str, ...] = ()
    recorded: bool = False  # its members also have their own paths (and CAN_READ edges)


@dataclass(frozen=True, kw_only=True, slots=True)
class Breadth:
    principals: int = 0
    accounts: int = 0
    conditional_principals: int = 0
    conditional_accounts: int = 0
    organization_wide: bool = False
    public: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class SecretAccess:
    secret_arn: str
    name: str | None
    account_id: str
    region: str
    key_arn: str | None
    aws_managed_key: bool
    paths: tuple[AccessPath, ...] = ()
    grants: tuple[Grant, ...] = ()
    breadth: Breadth = field(default_factory=Breadth)
    problems: tuple[str, ...] = ()  # parse problems of its resource / key policy
    #: for a secret whose resource policy has a ``*`` grant: the verdict of each class of
    #: principals no policy names (members of a recorded class also have their own paths)
    classes: tuple[ClassVerdict, ...] = ()

    @property
    def readers(self) -> tuple[AccessPath, ...]:
        return tuple(p for p in self.paths if p.decision == "ALLOWED")

    @property
    def conditional_readers(self) -> tuple[AccessPath, ...]:
        return tuple(p for p in self.paths if p.decision == "CONDITIONAL")

    @property
    def broken(self) -> tuple[AccessPath, ...]:
        return tuple(p for p in self.paths if p.broken_at)

    @property
    def unintended(self) -> tuple[Grant, ...]:
        return tuple(g for g in self.grants if g.unintended)

    @property
    def unintended_paths(self) -> tuple[AccessPath, ...]:
        """Readers (or conditional readers) outside the zone of trust and the allow-list."""
        return tuple(p for p in self.paths if p.decision != "DENIED" and
                     (p.principal_type == "public" or
                      (not p.in_zone and not p.allow_listed)))


@dataclass(frozen=True, kw_only=True, slots=True)
class KeyAccess:
    key_arn: str
    account_id: str
    region: str
    aws_managed: bool
    collected: bool
    grants: tuple[Grant, ...] = ()  # kms:Decrypt grants of the key policy
    secrets: tuple[str, ...] = ()  # secrets encrypted with it
    #: key-policy decrypt grants to other accounts / principals that no secret policy of its
    #: secrets grants (kms-key-policy-excess-grant)
    excess_grants: tuple[Grant, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def public_grants(self) -> tuple[Grant, ...]:
        return tuple(g for g in self.grants if g.scope == "public")

    @property
    def external_grants(self) -> tuple[Grant, ...]:
        return tuple(g for g in self.grants if g.unintended in ("outside-organization",
                                                               "not-allow-listed"))


@dataclass(frozen=True, kw_only=True, slots=True)
class IdentityWildcard:
    principal: str
    account_id: str | None
    policy: str
    statement: str
    action: str


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessReport:
    secrets: Mapping[str, SecretAccess] = field(default_factory=dict)
    #: replicas, by replica ARN: the primary's resource policy, the replica's own key and region
    #: (no CAN_READ edges: those go to primary secrets only)
    replicas: Mapping[str, SecretAccess] = field(default_factory=dict)
    keys: Mapping[str, KeyAccess] = field(default_factory=dict)
    identity_wildcards: tuple[IdentityWildcard, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    # ---------------------------------------------------------------- helpers for rules
    def for_secret(self, arn_or_name: str) -> SecretAccess | None:
        hit = self.secrets.get(arn_or_name)
        if hit is not None:
            return hit
        matches = [s for s in self.secrets.values() if s.name == arn_or_name]
        return matches[0] if len(matches) == 1 else None

    def for_key(self, arn: str) -> KeyAccess | None:
        return self.keys.get(arn)

    def paths_for_principal(self, principal_arn: str) -> list[AccessPath]:
        return [p for s in self.secrets.values() for p in s.paths if p.principal == principal_arn]

    def readers_of(self, secret_arn: str) -> frozenset[str]:
        """Principals whose read is ALLOWED (history/drift compares these sets)."""
        s = self.secrets.get(secret_arn)
        return frozenset(p.principal for p in s.readers) if s else frozenset()

    def all_paths(self) -> list[AccessPath]:
        return [p for s in self.secrets.values() for p in s.paths]

    # ---------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """The JSON form. Paths carry each gate's status; the gates' reasons and conditions,
        shared by the many paths that got the same verdict, are in ``verdicts`` (a path's
        ``verdict`` is its index there)."""
        verdicts: list[dict[str, Any]] = []
        index: dict[int, int] = {}
        return {
            "settings": to_jsonable(self.settings),
            "secrets": {arn: _secret_dict(s, verdicts, index)
                        for arn, s in sorted(self.secrets.items())},
            "replicas": {arn: _secret_dict(s, verdicts, index)
                         for arn, s in sorted(self.replicas.items())},
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


def path_dict(p: AccessPath) -> dict[str, Any]:
    """One path with every gate's reasons (for a single secret or principal)."""
    d = to_jsonable(p)
    d["broken"] = p.broken
    return dict(d)


def _compact_path(p: AccessPath, verdicts: list[dict[str, Any]],
                  index: dict[int, int]) -> dict[str, Any]:
    vid = index.get(id(p.gates))
    if vid is None:
        vid = index[id(p.gates)] = len(verdicts)
        verdicts.append({"gates": to_jsonable(p.gates), "reasons": list(p.reasons)})
    return {
        "principal": p.principal, "principal_account": p.principal_account,
        "principal_type": p.principal_type, "decision": p.decision,
        "cross_account": p.cross_account, "gates": p.gate_statuses(),
        "conditions": list(p.conditions), "intended": p.intended,
        "broken_at": list(p.broken_at), "broken": p.broken, "in_zone": p.in_zone,
        "allow_listed": p.allow_listed, "verdict": vid,
    }


def _secret_dict(s: SecretAccess, verdicts: list[dict[str, Any]],
                 index: dict[int, int]) -> dict[str, Any]:
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
        "problems": list(s.problems),
    }


def _key_dict(k: KeyAccess) -> dict[str, Any]:
    d = dict(to_jsonable(k))
    d["public_grants"] = [to_jsonable(g) for g in k.public_grants]
    d["external_grants"] = [to_jsonable(g) for g in k.external_grants]
    return d
