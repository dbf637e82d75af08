"""Findings: the records rules produce and findings.json carries (DESIGN.md contract)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Mapping


class Severity(str, Enum):
    INFORMATIONAL = "INFORMATIONAL"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls(text.strip().upper())
        except ValueError:
            import difflib

            names = [s.value for s in cls]
            close = difflib.get_close_matches(text.strip().upper(), names, n=1, cutoff=0.6)
            # the closest named, as for a mistyped flag or rule id (new-user trial 16:
            # --fail-on HIHG listed the five and named none)
            raise ValueError(
                f"unknown severity {text!r} (expected one of {', '.join(names)})"
                + (f"; did you mean {close[0]}?" if close else "")
            ) from None


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class Status(str, Enum):
    FAIL = "FAIL"
    PASS = "PASS"
    UNKNOWN = "UNKNOWN"
    MUTED = "MUTED"


@dataclass(frozen=True, kw_only=True, slots=True)
class ResourceRef:
    type: str  # graph node kind, e.g. Secret, KmsKey, VpcPeering, RouteTable, Account
    arn: str
    account_id: str
    region: str  # "global" for account-level resources
    account_name: str | None = None  # the account's name, when the scan read one
    #: the resource's graph node id when it is not ``arn`` -- a replica's
    #: ``<primary ARN>#<region>`` (docs/architecture.md), ``arn`` being the replica's own ARN
    #: (ground-truth organization trial round 8: the node id was reported as the ARN). The
    #: finding id is made from it, and history and exports match resources by it
    #: (``resource_key``); None for every other resource
    node: str | None = None


def resource_key(resource: Mapping[str, Any]) -> str:
    """How a findings.json (or ASFF-derived) resource is matched across scans: its graph node
    id (``node``), else its ``arn``. A replica's finding written before ``node`` existed had
    the node id as its ``arn``, so the night after the upgrade it matches the same key."""
    return str(resource.get("node") or resource.get("arn") or "")


def rule_resource(rule_id: str) -> str:
    """The resource of a rule's finding about the rule itself (the ONE UNKNOWN finding of a
    rule that crashed: scanner.engine.runner ``crash_finding``), ``rule:<rule id>``: drift
    and the Security Hub archive read it as "the rule did not assess what it crashed on"
    (scanner.history.assessed)."""
    return f"rule:{rule_id}"


def finding_id(rule_id: str, resource_arn: str, principal: str | None = None) -> str:
    """Stable id: the same rule, resource and principal give the same id in every scan
    ("sgf-" + 32 hex digits of a 128-bit BLAKE2b of the three, unit-separated)."""
    key = f"{rule_id}\x1f{resource_arn}\x1f{principal or ''}"
    return "sgf-" + _blake2b(key.encode(), digest_size=16).hexdigest()


_blake2b = hashlib.blake2b


def finding_id_maker(rule_id: str) -> Callable[[str], str]:
    """finding_id(rule_id, arn) for one rule, with the rule's part of the key prepared once
    (the engine makes over a million ids per large scan)."""
    prefix = f"{rule_id}\x1f"

    def make(resource_arn: str) -> str:
        return "sgf-" + _blake2b(f"{prefix}{resource_arn}\x1f".encode(),
                                 digest_size=16).hexdigest()

    return make


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    id: str
    rule_id: str
    title: str
    severity: Severity
    status: Status
    resource: ResourceRef
    message: str = ""  # one line saying what is wrong (or why UNKNOWN) for this resource
    principal: str | None = None  # for access findings
    evidence: Mapping[str, Any] = field(default_factory=dict)
    remediation: Mapping[str, Any] = field(default_factory=dict)  # {id, description, ...}
    compliance: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    missing: tuple[str, ...] = ()  # for UNKNOWN: the inputs that were not collected
    muted_by: Mapping[str, Any] | None = None  # the suppression entry when status is MUTED
    #: when this finding id was first reported (kept across scans through history; it is the
    #: ASFF CreatedAt). Set by the pipeline, not by rules.
    first_seen: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "rule_id": self.rule_id,
            "title": self.title,
            "severity": self.severity.value,
            "status": self.status.value,
            "resource": {
                "type": self.resource.type,
                "arn": self.resource.arn,
                "account_id": self.resource.account_id,
                "region": self.resource.region,
                "account_name": self.resource.account_name,
                **({"node": self.resource.node} if self.resource.node is not None else {}),
            },
            "message": self.message,
            "principal": self.principal,
            "evidence": dict(self.evidence),
            "remediation": dict(self.remediation),
            "compliance": {k: list(v) for k, v in self.compliance.items()},
            "missing": list(self.missing),
        }
        if self.muted_by is not None:
            out["muted_by"] = dict(self.muted_by)
        if self.first_seen is not None:
            out["first_seen"] = self.first_seen
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Finding":
        r = data["resource"]
        return cls(
            id=data["id"],
            rule_id=data["rule_id"],
            title=data["title"],
            severity=Severity(data["severity"]),
            status=Status(data["status"]),
            resource=ResourceRef(type=r["type"], arn=r["arn"], account_id=r["account_id"],
                                 region=r["region"], account_name=r.get("account_name"),
                                 node=r.get("node")),
            message=data.get("message", ""),
            principal=data.get("principal"),
            evidence=data.get("evidence") or {},
            remediation=data.get("remediation") or {},
            compliance={k: tuple(v) for k, v in (data.get("compliance") or {}).items()},
            missing=tuple(data.get("missing") or ()),
            muted_by=data.get("muted_by"),
            first_seen=data.get("first_seen"),
        )


class _FindingSlots:
    """Same slots as Finding, without the frozen __setattr__: built field by field, then turned
    into a Finding by assigning __class__ (the layouts are identical). About three times faster
    than the dataclass __init__, which sets each of its 14 fields through object.__setattr__;
    the engine makes over a million findings per large scan."""

    __slots__ = Finding.__slots__  # type: ignore[attr-defined]


def make_finding(id: str, rule_id: str, title: str, severity: Severity, status: Status,
                 resource: ResourceRef, message: str = "", principal: str | None = None,
                 evidence: Mapping[str, Any] | None = None,
                 remediation: Mapping[str, Any] | None = None,
                 compliance: Mapping[str, tuple[str, ...]] | None = None,
                 missing: tuple[str, ...] = ()) -> Finding:
    """Finding(...) for hot paths: the same frozen Finding (equal to one built by the class,
    usable with dataclasses.replace/asdict), built without the dataclass __init__."""
    f: Any = _FindingSlots()
    f.id = id
    f.rule_id = rule_id
    f.title = title
    f.severity = severity
    f.status = status
    f.resource = resource
    f.message = message
    f.principal = principal
    f.evidence = {} if evidence is None else evidence
    f.remediation = {} if remediation is None else remediation
    f.compliance = {} if compliance is None else compliance
    f.missing = missing
    f.muted_by = None
    f.first_seen = None
    f.__class__ = Finding
    out: Finding = f
    return out


#: A rule's PASS summary lists the resources that passed when there are at most this many.
PASS_RESOURCES_MAX = 100


@dataclass(frozen=True, kw_only=True, slots=True)
class PassSummary:
    """The PASS results of one rule when they are not itemised (findings.json ``passed``):
    how many resources passed, and which ones when there are at most ``PASS_RESOURCES_MAX``.
    Itemised or not, every rule that evaluated anything has one (count 0 when nothing passed),
    so the count is the same whether ``emit_pass`` is on or off."""

    rule_id: str
    title: str
    severity: Severity
    count: int
    resources: tuple[str, ...] | None  # resource ARNs in evaluation order; None above the max

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule_id": self.rule_id, "title": self.title,
                               "severity": self.severity.value, "count": self.count}
        if self.resources is not None:
            out["resources"] = sorted(self.resources)
        return out
