"""The remediation vocabulary: what a change is, how it is applied, checked and simulated.

Framework types, beside ``scanner/findings.py``: the planner, the engine, the plan file, the
journal and the renderers (``scanner/remediate/*``) and every remediator (``remediations/*``)
speak them. ``remediations/`` holds only the remediators and their table.

A remediator is a module satisfying :class:`Remediator` (the table in
``remediations/__init__.py`` is type-checked against it):

* ``REMEDIATION_ID``, ``PERMISSIONS`` (the IAM actions ``apply``/``read_current`` need),
  ``REVERSIBLE``, ``EXPLICIT_ONLY`` (planned only when the finding is selected by --rule/--finding),
  ``EVIDENCE_KEYS`` (the finding evidence keys it reads; everything else comes from the snapshot);
* ``plan(finding, snapshot, ctx) -> list[PlannedChange]`` -- pure, no AWS call; raises
  ``PlanRefused`` with a one-line reason when it will not plan;
* ``simulate(snapshot, change) -> Snapshot`` -- pure: the snapshot as it will be once the change
  is applied (the planner re-runs access analysis and the rules on it to show the change's
  effect on readers and findings before anything is applied);
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
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol, Sequence

from botocore import xform_name

from scanner.findings import Finding
from scanner.policy.arn import arn_account, arn_region, parse_arn

if TYPE_CHECKING:
    from scanner.access.verdicts import SecretAccess
from scanner.model import (AccountSnapshot, IamPrincipal, KmsKey, RegionSnapshot, RouteTable,
                           Secret, Snapshot)

log = logging.getLogger("secretgraph.remediate")


class PlanRefused(Exception):
    """The remediator will not plan this finding; the message says why (one line)."""


class Clients(Protocol):
    """Write-capable clients for one account (built from the remediation role's session)."""

    def client(self, service: str, region: str) -> Any: ...

    def in_account(self, account_id: str) -> "Clients":
        """The same role's clients in another account: for a read of a resource a change
        depends on that lives there (the secret a grant-key-decrypt statement is for, when
        its key is in another account than the secret)."""
        ...


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
    """One statement of a policy edit: op is unchanged | added | removed | changed.

    An unchanged statement carries no body (``before`` and ``after`` None): it is the
    statement at ``index`` of the policy before (``index`` counts the statements before the
    change; an added one counts on from their end), kept as it is in the policy after, both
    of which the diff holds whole. A key policy edited by one statement after another repeated every
    statement kept twice in each change, so a plan of 1,770 grants to a few keys was 409.7 MB
    (docs/scale.md, the thirty-fourth session). Plans and journals written before carry the
    bodies; they are read, and written back, as they are."""

    op: str
    index: int
    sid: str | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op, "index": self.index, "sid": self.sid}
        if self.op != "unchanged" or self.before is not None or self.after is not None:
            out["before"], out["after"] = self.before, self.after
        return out

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
    #: the predicted effect on access and findings (scanner/remediate/effects.py), set by the
    #: planner: readers_gained / readers_lost / findings_resolved / findings_created, accepted
    #: (the access changes the user accepted), companions; or companion_of (a change planned
    #: to keep the readers another one would lose)
    effect: Mapping[str, Any] | None = None

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
            "effect": dict(self.effect) if self.effect is not None else None,
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
            effect=dict(data["effect"]) if isinstance(data.get("effect"), Mapping) else None,
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

    ``secret_access`` answers, for a secret's ARN, the access analysis of that secret on the
    estate as the changes planned before leave it (the planner's, scanner.remediate.effects
    ``Predictor.secret_access``; None: no analysis at hand): who each gate lets in is asked of
    it, never decided again by reading the policies by hand (concept review round 1).

    ``landing``: the accounts a change planned here is kept for (None: any). The planner sets
    it for a finding outside ``remediate --account``'s accounts, whose changes count only where
    they land in those accounts; a remediator that knows where its change would land before
    the costly part of planning (grant-key-decrypt: the key's account, before the access
    analysis) returns no change when that is elsewhere -- the plan is the same, without
    analysing every other account's findings (a one-account plan of a 1,000-account scan
    weighed all 345,809 findings at about 1.6 s each).
    """

    config: RemediationConfig
    explicitly_selected: bool = False
    overlay: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    secret_access: Callable[[str], SecretAccess | None] | None = None
    landing: frozenset[str] | None = None


# --------------------------------------------------------------------------- helpers


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def state_digest(state: Mapping[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(dict(state)).encode()).hexdigest()


def change_id(remediation_id: str, target: str, calls: Sequence[ApiCall]) -> str:
    key = canonical_json([remediation_id, target, [c.to_json() for c in calls]])
    return "chg-" + hashlib.sha256(key.encode()).hexdigest()[:16]


#: the parameters of the remediators' calls that name the resource a call writes (Secrets
#: Manager's SecretId, KMS's KeyId, EC2's RouteTableId): in every call of a change, the change's
#: own resource -- the one it re-reads, journals and undoes
RESOURCE_PARAMS = ("SecretId", "KeyId", "RouteTableId")


def _names(value: Any, resource_arn: str, resource: str) -> bool:
    """``value`` (a call's RESOURCE_PARAMS value) names the resource ``resource_arn``: that ARN,
    or the id its resource field ends with (a key id, ``key/<id>``; a route table's id)."""
    if not isinstance(value, str):
        return False
    return value == resource_arn or (":" not in value and "/" not in value
                                     and resource.endswith("/" + value))


def change_problem(change: PlannedChange) -> tuple[str, str] | None:
    """(field, message) where ``change`` is not what a remediator plans, else None: its id is
    not the digest of its calls, or a call writes elsewhere than the resource it names (another
    resource, Region, or an account other than the one whose role makes the calls). The plan
    and the journal loaders both ask it. A plan edited under recomputed digests -- a call's
    SecretId set to another secret -- wrote that other secret while the apply re-read,
    journaled and `--undo` put back the one the change names, and the journal was then refused
    as edited: the other secret's policy was lost, and nothing recorded it (safe-fixes trial
    round 15). Like the digests this catches edits, not a plan rebuilt whole."""
    if change_id(change.remediation_id, change.target, change.calls) != change.change_id:
        return "change_id", "the change's calls do not match its id"
    arn = parse_arn(change.resource_arn)
    if arn is None:
        return "resource_arn", f"{change.resource_arn!r} is not an ARN"
    if arn.account != change.account_id:
        return "account_id", (f"its resource {change.resource_arn} is of account {arn.account}, "
                              f"not {change.account_id}, whose role would make the calls")
    if arn.region and arn.region != change.region:
        return "region", (f"its resource {change.resource_arn} is in {arn.region}, not "
                          f"{change.region}")
    for i, call in enumerate(change.calls):
        if call.region != change.region:
            return f"calls[{i}].region", (f"{call.region!r}, not the change's Region "
                                          f"{change.region}")
        for name in RESOURCE_PARAMS:
            if name in call.params and not _names(call.params[name], change.resource_arn,
                                                  arn.resource):
                return f"calls[{i}].params.{name}", (
                    f"names {call.params[name]}, not the change's resource "
                    f"{change.resource_arn} (the one it re-reads, journals and undoes)")
    return None


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


# --------------------------------------------------------------------------- the remediator


class Remediator(Protocol):
    """What every module in ``remediations.REMEDIATORS`` provides (see the module docstring)."""

    # read-only members (properties), so module constants of narrower types conform
    @property
    def REMEDIATION_ID(self) -> str: ...

    @property
    def PERMISSIONS(self) -> tuple[str, ...]: ...

    @property
    def REVERSIBLE(self) -> bool: ...

    @property
    def EXPLICIT_ONLY(self) -> bool: ...

    @property
    def EVIDENCE_KEYS(self) -> tuple[str, ...]: ...

    def plan(self, finding: Finding, snapshot: Snapshot,
             ctx: PlanContext) -> list[PlannedChange]: ...

    def simulate(self, snapshot: Snapshot, change: PlannedChange) -> Snapshot: ...

    def read_current(self, clients: Clients, change: PlannedChange) -> dict[str, Any]: ...

    def apply(self, clients: Clients, change: PlannedChange) -> AppliedChange: ...

    def verify(self, clients: Clients, change: PlannedChange) -> Verification: ...

    def undo_call(self, change: PlannedChange,
                  before: Mapping[str, Any]) -> tuple[ApiCall, ...] | None: ...


# --------------------------------------------------------------------------- in-memory edits
# The building blocks of ``simulate``: a new snapshot with one record replaced. Snapshots are
# frozen dataclasses, so the edit copies only the path from the root to the record.


def _edit_regions(snapshot: Snapshot, account_id: str, region: str,
                  edit: Callable[[RegionSnapshot], RegionSnapshot]) -> Snapshot:
    found = False
    accounts = []
    for acct in snapshot.accounts:
        if acct.account_id == account_id:
            regions = []
            for reg in acct.regions:
                if reg.region == region:
                    reg = edit(reg)
                    found = True
                regions.append(reg)
            acct = replace(acct, regions=tuple(regions))
        accounts.append(acct)
    if not found:
        raise PlanRefused(f"{account_id}/{region} is not in the snapshot")
    return replace(snapshot, accounts=tuple(accounts))


def _with_record(snapshot: Snapshot, account_id: str, region: str, field_name: str,
                 match: Callable[[Any], bool], edit_record: Callable[[Any], Any],
                 what: str) -> Snapshot:
    """The snapshot with every record of ``RegionSnapshot.<field_name>`` that ``match``
    accepts replaced by ``edit_record(record)``; PlanRefused when none matched."""
    hit: list[Any] = []

    def edit(reg: RegionSnapshot) -> RegionSnapshot:
        out = []
        for r in getattr(reg, field_name):
            if match(r):
                r = edit_record(r)
                hit.append(r)
            out.append(r)
        return replace(reg, **{field_name: tuple(out)})  # type: ignore[arg-type]

    snapshot = _edit_regions(snapshot, account_id, region, edit)
    if not hit:
        raise PlanRefused(f"{what} is not in the snapshot")
    return snapshot


def with_secret(snapshot: Snapshot, arn: str, **changes: Any) -> Snapshot:
    """The snapshot with the primary secret ``arn`` changed (replica records follow the
    primary's resource policy, so they get a changed ``resource_policy`` too)."""
    return _with_record(snapshot, arn_account(arn) or "", arn_region(arn) or "", "secrets",
                        lambda s: s.arn == arn and not s.is_replica,
                        lambda s: replace(s, **changes), f"secret {arn}")


def with_key(snapshot: Snapshot, arn: str, **changes: Any) -> Snapshot:
    return _with_record(snapshot, arn_account(arn) or "", arn_region(arn) or "", "kms_keys",
                        lambda k: k.arn == arn, lambda k: replace(k, **changes),
                        f"KMS key {arn}")


def with_route_table(snapshot: Snapshot, account_id: str, region: str, route_table_id: str,
                     edit_table: Callable[[RouteTable], RouteTable]) -> Snapshot:
    return _with_record(snapshot, account_id, region, "route_tables",
                        lambda t: t.route_table_id == route_table_id, edit_table,
                        f"route table {route_table_id}")


def with_inline_policy(snapshot: Snapshot, principal_arn: str, name: str,
                       document: Mapping[str, Any]) -> Snapshot:
    """The snapshot with an inline identity policy added to (or replaced on) a principal."""
    hit: list[IamPrincipal] = []
    accounts: list[AccountSnapshot] = []
    for acct in snapshot.accounts:
        if acct.iam is not None and any(p.arn == principal_arn for p in acct.iam.principals):
            principals = []
            for p in acct.iam.principals:
                if p.arn == principal_arn:
                    p = replace(p, inline_policies={**dict(p.inline_policies),
                                                    name: dict(document)})
                    hit.append(p)
                principals.append(p)
            acct = replace(acct, iam=replace(acct.iam, principals=tuple(principals)))
        accounts.append(acct)
    if not hit:
        raise PlanRefused(f"principal {principal_arn} is not in the snapshot")
    return replace(snapshot, accounts=tuple(accounts))
