"""The plan file: JSON with a plan id, the estate it was built for, and the changes."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import jsonschema

from remediations import REMEDIATORS
from scanner import input_file, json_text
from scanner.changes import PlannedChange, canonical_json, change_problem, state_digest
from scanner.errors import InputError, UsageError
from scanner.format_version import is_version, shown
from scanner.model import Snapshot

PLAN_KIND = "secretgraph-remediation-plan"
PLAN_VERSION = 1
#: what to do with a plan that cannot be applied as it was written (edited, damaged, or from
#: another version): a plan is applied only as reviewed (safe-fixes trial round 10: the
#: refusals said what was wrong, not what to do)
_PLAN_AGAIN = "plan again from the scan (secretgraph remediate --in DIR), review the new plan " \
    "and apply it as it is written"
_EDITED = "the plan was changed after it was written (by hand, or damaged): " + _PLAN_AGAIN


@dataclass(frozen=True, kw_only=True, slots=True)
class Estate:
    """Which estate a plan was built for: organization, accounts, and the scan it came from."""

    org_id: str | None
    account_ids: tuple[str, ...]
    scan_id: str
    #: the role the scan read with: --apply refuses it as the remediation role also when only
    #: the plan is given (None in plans written before it was recorded)
    audit_role: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"org_id": self.org_id, "account_ids": list(self.account_ids),
                               "scan_id": self.scan_id}
        if self.audit_role is not None:  # absent: earlier plans keep their ids
            out["audit_role"] = self.audit_role
        return out

    @property
    def fingerprint(self) -> str:
        key = canonical_json({"org_id": self.org_id, "account_ids": sorted(self.account_ids)})
        return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def estate_of(snapshot: Snapshot) -> Estate:
    org_id = (snapshot.organization.org_id if snapshot.organization else None) \
        or snapshot.meta.org_id
    accounts = snapshot.meta.accounts or tuple(a.account_id for a in snapshot.accounts)
    return Estate(org_id=org_id, account_ids=tuple(sorted(accounts)),
                  scan_id=snapshot.meta.scan_id, audit_role=snapshot.meta.role_name)


@dataclass(frozen=True, kw_only=True, slots=True)
class Skipped:
    """A finding the plan does not fix, and why: a FAIL finding, or one --finding names."""

    finding_id: str
    rule_id: str
    remediation_id: str | None
    resource_arn: str
    reason: str
    #: a change that was planned and then refused for its effect on access: its id (what
    #: --accept-access-change takes) and the predicted effect (readers affected)
    change_id: str | None = None
    effect: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"finding_id": self.finding_id, "rule_id": self.rule_id,
                "remediation_id": self.remediation_id, "resource_arn": self.resource_arn,
                "reason": self.reason, "change_id": self.change_id,
                "effect": dict(self.effect) if self.effect is not None else None}


@dataclass(frozen=True, kw_only=True, slots=True)
class Plan:
    plan_id: str
    created_at: str
    estate: Estate
    changes: tuple[PlannedChange, ...]
    skipped: tuple[Skipped, ...] = ()
    #: the max_plan_age_hours of the config the plan was made with: --apply refuses the plan
    #: once it is older (or older than a --config given to the apply says, if that is
    #: shorter). The documented `--plan P --apply` has no --config, and took 24 hours
    #: whatever the plan's config said (safe-fixes trial round 13). None in earlier plans.
    max_age_hours: float | None = None

    def to_json(self) -> dict[str, Any]:
        out = {
            "kind": PLAN_KIND, "version": PLAN_VERSION, "plan_id": self.plan_id,
            "created_at": self.created_at, "estate": self.estate.to_json(),
            "estate_fingerprint": self.estate.fingerprint,
            "changes": [c.to_json() for c in self.changes],
            "skipped": [s.to_json() for s in self.skipped],
        }
        if self.max_age_hours is not None:  # absent: earlier plans keep their ids
            out["max_age_hours"] = self.max_age_hours
        return out


def make_plan_id(estate: Estate, created_at: str, changes: tuple[PlannedChange, ...],
                 max_age_hours: float | None = None) -> str:
    """The plan's id: a digest of its estate, time, changes and max age (an edit of any is
    refused as an edited plan)."""
    parts: list[Any] = [estate.to_json(), created_at, [c.to_json() for c in changes]]
    if max_age_hours is not None:  # absent: earlier plans keep their ids
        parts.append(max_age_hours)
    key = canonical_json(parts)
    return "plan-" + hashlib.sha256(key.encode()).hexdigest()[:20]


def plan_text(plan: Plan) -> str:
    """The plan file's text."""
    return json.dumps(plan.to_json(), indent=2, sort_keys=False) + "\n"


def write_plan(path: str | Path, plan: Plan) -> Path:
    """The plan file alone (the CLI saves it with its .md and .html together:
    scanner.commands.remediate.save_plan)."""
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(plan_text(plan), encoding="utf-8")
        os.replace(tmp, p)
    except OSError as exc:  # named by the plan's path, not the temporary file's
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise UsageError(f"cannot write the plan to {p}: {exc.strerror or exc}") from None
    return p


def parse_time(text: Any, *, path: str, field: str) -> datetime:
    if not isinstance(text, str):
        raise InputError("expected an ISO-8601 UTC time", path=path, field=field)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"not an ISO-8601 time: {text!r}", path=path, field=field) from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


@lru_cache(maxsize=None)
def _validator(definition: str) -> Any:
    from scanner.engine.validation import load_schema

    schema = load_schema("scanner.schemas", "remediation.schema.json")
    return jsonschema.Draft202012Validator({"$ref": f"#/$defs/{definition}",
                                            "$defs": schema["$defs"]})


def shape_error(doc: Any, definition: str) -> tuple[str, str] | None:
    """(field, message) of the first member of ``doc`` that is not of the shape
    scanner/schemas/remediation.schema.json gives ``definition`` (``plan``, ``journal_header``,
    ``journal_change``, ``journal_end``), or None. The one description of what a plan and a
    journal line hold, read by both readers before anything is taken from them: a plan or a
    journal with a member of the wrong type was refused as "malformed change (ValueError:
    dictionary update sequence element #0 has length 1; 2 is required)", or, a journal line's
    ``before`` a string, stopped --undo with an internal error (safe-fixes trial round 12)."""
    from jsonschema.exceptions import best_match

    validator = _validator(definition)
    if validator.is_valid(doc):
        return None
    from scanner.engine.validation import field_path

    error = best_match(validator.iter_errors(doc))
    if error.validator == "type":  # not the value itself: a policy text can be kilobytes long
        wanted = error.validator_value if isinstance(error.validator_value, list) \
            else [error.validator_value]
        return field_path(error.absolute_path), \
            f"expected {' or '.join(map(str, wanted))}, not {_json_type(error.instance)}"
    return field_path(error.absolute_path), error.message


def _json_type(value: Any) -> str:
    for name, kind in (("null", type(None)), ("boolean", bool), ("integer", int),
                       ("number", float), ("string", str), ("array", list), ("object", dict)):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def plan_from_json(doc: Any, *, path: str) -> Plan:
    if not isinstance(doc, Mapping) or doc.get("kind") != PLAN_KIND:
        raise InputError("not a secretgraph remediation plan", path=path, field="kind")
    if not is_version(doc.get("version"), PLAN_VERSION):
        raise InputError(f"plan version {shown(doc.get('version'))} is not {PLAN_VERSION}, the "
                         "version this secretgraph writes and applies (a plan written by "
                         f"another version): {_PLAN_AGAIN}", path=path, field="version")
    parse_time(doc.get("created_at"), path=path, field="created_at")
    est = doc.get("estate")
    try:
        assert isinstance(est, Mapping)
        role = est.get("audit_role")
        assert role is None or isinstance(role, str)
        estate = Estate(org_id=est.get("org_id"),
                        account_ids=tuple(str(a) for a in est["account_ids"]),
                        scan_id=str(est["scan_id"]), audit_role=role)
    except (AssertionError, KeyError, TypeError):
        raise InputError("malformed estate", path=path, field="estate") from None
    if doc.get("estate_fingerprint") != estate.fingerprint:
        raise InputError(f"estate fingerprint does not match the estate; {_EDITED}",
                         path=path, field="estate_fingerprint")
    listed = doc.get("changes") or []
    if not isinstance(listed, list):  # 5 was an internal error; "chg-1" taken apart
        raise InputError(f"expected a list of changes, not {type(listed).__name__}", path=path,
                         field="changes")
    skipped_listed = doc.get("skipped") or []
    if not isinstance(skipped_listed, list):
        raise InputError(f"expected a list, not {type(skipped_listed).__name__}", path=path,
                         field="skipped")
    wrong = shape_error(doc, "plan")
    if wrong is not None:
        raise InputError(f"{wrong[1]}; {_EDITED}", path=path, field=wrong[0])
    changes: list[PlannedChange] = []
    for i, item in enumerate(listed):
        try:
            change = PlannedChange.from_json(item)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"malformed change ({type(exc).__name__}: {exc})", path=path,
                             field=f"changes[{i}]") from None
        if change.remediation_id not in REMEDIATORS:
            # intact (its digests agree) but written by a version with another remediator, or
            # one renamed since: nothing here can read, apply or undo it (safe-fixes trial
            # round 9: an internal error, KeyError, after the accounts' identities were read)
            raise InputError(f"{change.remediation_id!r} is not a remediator of this version "
                             f"of secretgraph (it has {', '.join(sorted(REMEDIATORS))}): a plan "
                             f"written by another version; {_PLAN_AGAIN}", path=path, field=f"changes[{i}].remediation_id")
        wrong_change = change_problem(change)
        if wrong_change is not None:
            raise InputError(f"{wrong_change[1]}; {_EDITED}", path=path,
                             field=f"changes[{i}].{wrong_change[0]}")
        if item.get("pre_state_digest") != state_digest(change.pre_state):
            raise InputError(f"pre-state digest does not match its pre_state; {_EDITED}",
                             path=path, field=f"changes[{i}].pre_state_digest")
        if change.account_id not in estate.account_ids:
            raise InputError(f"change for account {change.account_id}, outside the plan's "
                             "estate", path=path, field=f"changes[{i}].account_id")
        changes.append(change)
    skipped = tuple(Skipped(finding_id=str(s.get("finding_id")), rule_id=str(s.get("rule_id")),
                            remediation_id=s.get("remediation_id"),
                            resource_arn=str(s.get("resource_arn")), reason=str(s.get("reason")),
                            change_id=s.get("change_id"),
                            effect=s.get("effect") if isinstance(s.get("effect"), Mapping)
                            else None)
                    for s in skipped_listed if isinstance(s, Mapping))
    age = doc.get("max_age_hours")
    plan = Plan(plan_id=str(doc.get("plan_id")), created_at=str(doc["created_at"]),
                estate=estate, changes=tuple(changes), skipped=skipped,
                max_age_hours=float(age) if age is not None else None)
    if make_plan_id(estate, plan.created_at, plan.changes, age) != plan.plan_id:
        raise InputError(f"plan id does not match its contents; {_EDITED}", path=path,
                         field="plan_id")
    return plan


def read_plan(path: str | Path) -> Plan:
    p = Path(path)
    try:
        doc = json_text.loads(input_file.read_text(p))
    except OSError as exc:
        raise InputError(f"cannot read plan: {exc.strerror or exc}", path=str(p)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON ({exc})", path=str(p)) from None
    return plan_from_json(doc, path=str(p))
