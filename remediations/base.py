"""Shared records and helpers for remediators.

A remediator is a module with these names (see ``remediations/__init__.py`` for the table):

* ``REMEDIATION_ID``, ``PERMISSIONS`` (the IAM actions ``apply``/``read_current`` need),
  ``REVERSIBLE``, ``EXPLICIT_ONLY`` (planned only when the finding is selected by --rule/--finding),
  ``EVIDENCE_KEYS`` (the finding evidence keys it reads; everything else comes from the snapshot);
* ``plan(finding, snapshot, ctx) -> list[PlannedChange]`` -- pure, no AWS call; raises
  ``PlanRefused`` with a one-line reason when it will not plan;
* ``apply_to_snapshot(change, snapshot) -> Snapshot`` -- pure: the snapshot as the change leaves
  it (tests/remediate/test_plan_fixes_offline.py re-evaluates the rules on it);
* ``read_current(clients, change) -> dict`` -- re-reads the state the change is about, in the
  same shape as ``change.pre_state`` / ``change.desired_state``;
* ``apply(clients, change) -> AppliedChange``, ``verify(clients, change) -> Verification``,
  ``undo_call(change, before) -> tuple[ApiCall, ...] | None`` (None: not reversible).

States are plain JSON dicts compared by *subset*: ``matches(expected, current)`` is true when
every key of ``expected`` has the same value in ``current``. Policies are compared parsed (their
meaning), and kept as exact text next to it (``*_text`` keys) so undo can restore the very text.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Protocol, Sequence

from botocore import xform_name

from scanner.findings import Finding
from scanner.policy.arn import arn_account, arn_region, arn_resource
from scanner.model import AccountSnapshot, KmsKey, RouteTable, Secret, Snapshot, VpcPeering

log = logging.getLogger("secretgraph.remediate")

#: AWS limits the edits are checked against (AWS_FACTS.md section 3).
SECRET_POLICY_MAX_CHARS = 20_480
KEY_POLICY_MAX_BYTES = 32_768
AWS_MANAGED_SECRET_KEY = "alias/aws/secretsmanager"


class PlanRefused(Exception):
    """The remediator will not plan this finding; the message says why (one line)."""


class Clients(Protocol):
    """Write-capable clients for one account (built from the remediation role's session)."""

    def client(self, service: str, region: str) -> Any: ...


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, kw_only=True, slots=True)
class ApiCall:
    """One AWS API call exactly as it will be made (operation in its API spelling)."""

    service: str
    operation: str
    region: str
    params: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"service": self.service, "operation": self.operation, "region": self.region,
                "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ApiCall":
        return cls(service=str(data["service"]), operation=str(data["operation"]),
                   region=str(data["region"]), params=dict(data["params"]))

    def describe(self) -> str:
        args = ", ".join(f"{k}={_short(v)}" for k, v in self.params.items())
        return f"{self.service}:{self.operation}({args})"


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else f"<{len(text)} chars>"


@dataclass(frozen=True, kw_only=True, slots=True)
class StatementDiff:
    """One statement of a policy edit: op is unchanged | added | removed | changed."""

    op: str
    index: int
    sid: str | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op, "index": self.index, "sid": self.sid,
                "before": self.before, "after": self.after}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "StatementDiff":
        return cls(op=str(data["op"]), index=int(data["index"]), sid=data.get("sid"),
                   before=data.get("before"), after=data.get("after"))


@dataclass(frozen=True, kw_only=True, slots=True)
class PolicyDiff:
    """Before and after of one policy document, with a statement-level diff."""

    kind: str  # secret-resource-policy | kms-key-policy
    before: str | None
    after: str
    statements: tuple[StatementDiff, ...]
    size_after: int
    size_limit: int

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "before": self.before, "after": self.after,
                "statements": [s.to_json() for s in self.statements],
                "size_after": self.size_after, "size_limit": self.size_limit}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "PolicyDiff":
        return cls(kind=str(data["kind"]), before=data.get("before"), after=str(data["after"]),
                   statements=tuple(StatementDiff.from_json(s) for s in data["statements"]),
                   size_after=int(data["size_after"]), size_limit=int(data["size_limit"]))


@dataclass(frozen=True, kw_only=True, slots=True)
class PlannedChange:
    """One change to one resource: the calls, and the state before and after."""

    change_id: str
    remediation_id: str
    finding_ids: tuple[str, ...]
    rule_id: str
    account_id: str  # the account whose remediation role makes the calls
    region: str
    resource_arn: str
    target: str  # what state the change edits, e.g. "secret-policy:<arn>"; one plan edits it in order
    summary: str
    calls: tuple[ApiCall, ...]
    pre_state: Mapping[str, Any]
    desired_state: Mapping[str, Any]
    details: Mapping[str, Any] = field(default_factory=dict)
    policy_diff: PolicyDiff | None = None
    notes: tuple[str, ...] = ()
    reversible: bool = True

    @property
    def pre_state_digest(self) -> str:
        return state_digest(self.pre_state)

    def to_json(self) -> dict[str, Any]:
        return {
            "change_id": self.change_id, "remediation_id": self.remediation_id,
            "finding_ids": list(self.finding_ids), "rule_id": self.rule_id,
            "account_id": self.account_id, "region": self.region,
            "resource_arn": self.resource_arn, "target": self.target, "summary": self.summary,
            "calls": [c.to_json() for c in self.calls],
            "pre_state": dict(self.pre_state), "pre_state_digest": self.pre_state_digest,
            "desired_state": dict(self.desired_state), "details": dict(self.details),
            "policy_diff": self.policy_diff.to_json() if self.policy_diff else None,
            "notes": list(self.notes), "reversible": self.reversible,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "PlannedChange":
        diff = data.get("policy_diff")
        return cls(
            change_id=str(data["change_id"]), remediation_id=str(data["remediation_id"]),
            finding_ids=tuple(str(f) for f in data["finding_ids"]), rule_id=str(data["rule_id"]),
            account_id=str(data["account_id"]), region=str(data["region"]),
            resource_arn=str(data["resource_arn"]), target=str(data["target"]),
            summary=str(data["summary"]),
            calls=tuple(ApiCall.from_json(c) for c in data["calls"]),
            pre_state=dict(data["pre_state"]), desired_state=dict(data["desired_state"]),
            details=dict(data.get("details") or {}),
            policy_diff=PolicyDiff.from_json(diff) if diff else None,
            notes=tuple(str(n) for n in data.get("notes") or ()),
            reversible=bool(data.get("reversible", True)),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class AppliedChange:
    """What apply did: status is applied | noop (already in the desired state)."""

    change_id: str
    status: str
    calls: tuple[ApiCall, ...]
    before: Mapping[str, Any]
    at: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Verification:
    ok: bool
    current: Mapping[str, Any]
    message: str = ""


# --------------------------------------------------------------------------- plan context


@dataclass(frozen=True, kw_only=True, slots=True)
class RotationTarget:
    """A rotation function and schedule, for an account, a region and/or an engine tag value."""

    lambda_arn: str
    account_id: str | None = None
    region: str | None = None
    engine: str | None = None
    days: int | None = None  # RotationRules.AutomaticallyAfterDays
    schedule: str | None = None  # RotationRules.ScheduleExpression (rate()/cron())
    duration: str | None = None  # RotationRules.Duration, e.g. "3h"


@dataclass(frozen=True, kw_only=True, slots=True)
class RemediationConfig:
    """What remediators take from ``--config`` (scanner/remediate/config.py loads it)."""

    rotations: tuple[RotationTarget, ...] = ()
    rotation_days: int = 30  # when a rotation entry names no schedule
    engine_tag: str = "engine"
    #: customer-managed key per account and region: {account: {region: key ARN}}
    cmk_by_account_region: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: regions every secret must be replicated to (used when a finding names none)
    replica_regions: tuple[str, ...] = ()
    #: organization id for aws:PrincipalOrgID (default: the snapshot's organization)
    org_id: str | None = None
    #: the config's top-level ``trusted_accounts``: part of the trust zone
    trusted_accounts: tuple[str, ...] = ()
    key_rotation_period_days: int | None = None
    max_plan_age_hours: float = 24.0


@dataclass(frozen=True, kw_only=True, slots=True)
class PlanContext:
    """What ``plan`` may consult besides the finding and the snapshot (all pure data).

    ``overlay`` maps a change target to the state an earlier change of the same plan leaves it
    in (its desired state, plus ``policy_text``: the exact policy text it writes), so two edits
    of one policy chain instead of clobbering each other.
    """

    config: RemediationConfig
    explicitly_selected: bool = False
    overlay: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def state_digest(state: Mapping[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(dict(state)).encode()).hexdigest()


def change_id(remediation_id: str, target: str, calls: Sequence[ApiCall]) -> str:
    key = canonical_json([remediation_id, target, [c.to_json() for c in calls]])
    return "chg-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def matches(expected: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """Every key of ``expected`` has the same (JSON-equal) value in ``current``."""
    return all(canonical_json(current.get(k)) == canonical_json(v) for k, v in expected.items())


def differences(expected: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    return [k for k, v in expected.items() if canonical_json(current.get(k)) != canonical_json(v)]


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def execute(clients: Clients, calls: Sequence[ApiCall]) -> None:
    """Make the calls in order; an AWS error propagates (the engine journals it)."""
    for call in calls:
        client = clients.client(call.service, call.region)
        log.info("calling %s", call.describe())
        getattr(client, xform_name(call.operation))(**dict(call.params))


def apply_calls(clients: Clients, change: PlannedChange,
                read: Callable[[Clients, PlannedChange], Mapping[str, Any]]) -> AppliedChange:
    """Shared ``apply``: no-op when already in the desired state, else make the planned calls."""
    before = dict(read(clients, change))
    if matches(change.desired_state, before):
        log.info("%s %s: already in the desired state, nothing to do", change.change_id,
                 change.remediation_id)
        return AppliedChange(change_id=change.change_id, status="noop", calls=(), before=before,
                             at=now_iso())
    execute(clients, change.calls)
    return AppliedChange(change_id=change.change_id, status="applied", calls=change.calls,
                         before=before, at=now_iso())


def verify_state(clients: Clients, change: PlannedChange,
                 read: Callable[[Clients, PlannedChange], Mapping[str, Any]]) -> Verification:
    current = dict(read(clients, change))
    diff = differences(change.desired_state, current)
    if diff:
        return Verification(ok=False, current=current,
                            message=f"after the change these still differ: {', '.join(diff)}")
    return Verification(ok=True, current=current)


# --------------------------------------------------------------------------- snapshot lookups


class SnapshotIndex:
    """Lookups by id over one snapshot, built once (plans cover thousands of findings)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.secrets: dict[str, Secret] = {}
        self.keys: dict[str, KmsKey] = {}
        self.local_keys: dict[tuple[str, str, str], KmsKey] = {}  # (account, region, id/alias)
        self.route_tables: dict[str, RouteTable] = {}
        self.peerings: dict[str, VpcPeering] = {}
        self.accounts: dict[str, AccountSnapshot] = {a.account_id: a for a in snapshot.accounts}
        self.key_replicas: dict[str, list[KmsKey]] = {}  # primary key ARN -> its replicas
        for acct in snapshot.accounts:
            for reg in acct.regions:
                for secret in reg.secrets:
                    if not secret.is_replica:
                        self.secrets.setdefault(secret.arn, secret)
                for key in reg.kms_keys:
                    self.keys.setdefault(key.arn, key)
                    for ref in (key.key_id, f"key/{key.key_id}", *key.aliases):
                        self.local_keys.setdefault((key.account_id, key.region, ref), key)
                    if key.primary_key_arn and key.primary_key_arn != key.arn:
                        self.key_replicas.setdefault(key.primary_key_arn, []).append(key)
                for rtb in reg.route_tables:
                    self.route_tables.setdefault(rtb.route_table_id, rtb)
                for pcx in reg.peerings:
                    self.peerings.setdefault(pcx.peering_id, pcx)


_INDEX: list[tuple[Snapshot, SnapshotIndex]] = []


def index_of(snapshot: Snapshot) -> SnapshotIndex:
    """The index of this snapshot (the last two are kept; snapshots are immutable)."""
    for snap, idx in _INDEX:
        if snap is snapshot:
            return idx
    idx = SnapshotIndex(snapshot)
    _INDEX.insert(0, (snapshot, idx))
    del _INDEX[2:]
    return idx


def find_secret(snapshot: Snapshot, arn: str) -> Secret:
    secret = index_of(snapshot).secrets.get(arn)
    if secret is None:
        raise PlanRefused(f"secret {arn} is not in the snapshot")
    return secret


def find_key(snapshot: Snapshot, key_ref: str, *, account_id: str | None = None,
             region: str | None = None) -> KmsKey:
    """A key by ARN, key id, alias name or alias ARN (an id or alias name resolves in the given
    account and region)."""
    idx = index_of(snapshot)
    if key_ref in idx.keys:
        return idx.keys[key_ref]
    if key_ref.startswith("arn:"):
        account_id, region = arn_account(key_ref), arn_region(key_ref)
        local_ref = arn_resource(key_ref)
    else:
        local_ref = key_ref
    if account_id and region:
        key = idx.local_keys.get((account_id, region, local_ref))
        if key is not None:
            return key
    raise PlanRefused(f"KMS key {key_ref} is not in the snapshot")


def find_route_table(snapshot: Snapshot, route_table_id: str) -> RouteTable:
    rtb = index_of(snapshot).route_tables.get(route_table_id)
    if rtb is None:
        raise PlanRefused(f"route table {route_table_id} is not in the snapshot")
    return rtb


def find_peering(snapshot: Snapshot, peering_id: str) -> VpcPeering:
    pcx = index_of(snapshot).peerings.get(peering_id)
    if pcx is None:
        raise PlanRefused(f"VPC peering {peering_id} is not in the snapshot")
    return pcx


def is_aws_managed_key(kms_key_id: str | None) -> bool:
    return kms_key_id is None or kms_key_id.endswith(AWS_MANAGED_SECRET_KEY)


def evidence_str(finding: Finding, key: str) -> str | None:
    value = finding.evidence.get(key)
    return value if isinstance(value, str) and value else None


def evidence_list(finding: Finding, key: str) -> list[str]:
    value = finding.evidence.get(key)
    if isinstance(value, str) and value:
        return [value]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v]
    return []


def require_read(record_unread: Sequence[str], fields: Sequence[str], what: str) -> None:
    missing = [f for f in fields if f in record_unread]
    if missing:
        raise PlanRefused(f"{what}: {', '.join(missing)} could not be read in the scan; "
                          "rescan before remediating")


def make_change(*, remediation_id: str, finding: Finding, account_id: str, region: str,
                resource_arn: str, target: str, summary: str, calls: Sequence[ApiCall],
                pre_state: Mapping[str, Any], desired_state: Mapping[str, Any],
                details: Mapping[str, Any] | None = None, policy_diff: PolicyDiff | None = None,
                notes: Sequence[str] = (), reversible: bool = True) -> PlannedChange:
    return PlannedChange(
        change_id=change_id(remediation_id, target, calls), remediation_id=remediation_id,
        finding_ids=(finding.id,), rule_id=finding.rule_id, account_id=account_id,
        region=region, resource_arn=resource_arn, target=target, summary=summary,
        calls=tuple(calls), pre_state=dict(pre_state), desired_state=dict(desired_state),
        details=dict(details or {}), policy_diff=policy_diff, notes=tuple(notes),
        reversible=reversible)

