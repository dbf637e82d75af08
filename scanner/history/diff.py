"""diff_scans: what changed between two stored scans (pure; no I/O).

Resources are matched by stable ids (ARN, or account/region/id for network things), findings by
their stable finding id, readers by principal ARN. A thing seen in one scan and missing from
the other is reported as added/removed/resolved/lost only when the other scan assessed the
place it lives in (scanner.history.assessed); otherwise it is "not assessed".
"""

from __future__ import annotations

import dataclasses
import gc
import operator
from collections import defaultdict
from typing import Any, Callable, Iterator, Mapping

from scanner.history.access_readers import READS, UNKNOWN, Reader, principal_account, \
    raw_entries, secret_access
from scanner.history.assessed import Assessment, assess
from scanner.history.drift import (
    AccessChange,
    Drift,
    FieldChange,
    FindingChange,
    NotAssessed,
    PolicyChange,
    ReaderChange,
    ResourceChange,
    ScanRef,
)
from scanner.history.policy_diff import diff_statements
from scanner.history.records import StoredScan
from scanner.model import Snapshot, to_jsonable

#: Fields that move every night without anything worth reporting.
VOLATILE: dict[str, frozenset[str]] = {
    "secret": frozenset({"last_accessed", "last_changed", "last_rotated", "next_rotation",
                         "version_stages"}),
}
#: Fields holding a policy document, compared statement by statement.
POLICY_FIELDS: dict[str, frozenset[str]] = {
    "secret": frozenset({"resource_policy"}),
    "kms_key": frozenset({"policy"}),
    "vpc_endpoint": frozenset({"policy"}),
    "iam_principal": frozenset({"trust_policy"}),
    "managed_policy": frozenset({"document"}),
}
#: Fields that map policy name -> policy document.
POLICY_MAP_FIELDS: dict[str, frozenset[str]] = {
    "iam_principal": frozenset({"inline_policies"}),
    "iam_group": frozenset({"inline_policies"}),
}
#: Field name(s) on a resource that say the field was not read ("unread").
_UNREAD = "unread"

ResourceKey = tuple[str, str]  # (kind, id)
Indexed = tuple[str, str, str, str | None, Any]  # account, region, finding-type kind, arn, record


def _index(snapshot: Snapshot) -> dict[ResourceKey, Indexed]:
    out: dict[ResourceKey, Indexed] = {}

    def put(kind: str, rid: str, account: str, region: str, type_kind: str, arn: str | None,
            rec: Any) -> None:
        out[(kind, rid)] = (account, region, type_kind, arn, rec)

    for acct in snapshot.accounts:
        a = acct.account_id
        for reg in acct.regions:
            r = reg.region
            for s in reg.secrets:
                rid = s.arn if f":{r}:" in s.arn else f"{s.arn} ({r})"
                put("secret", rid, a, r, "Secret", s.arn, s)
            for k in reg.kms_keys:
                put("kms_key", k.arn, a, r, "KmsKey", k.arn, k)
            for fn in reg.lambda_functions:
                put("lambda_function", fn.arn, a, r, "LambdaFunction", fn.arn, fn)
            for kind, items, attr in (
                ("vpc", reg.vpcs, "vpc_id"), ("subnet", reg.subnets, "subnet_id"),
                ("route_table", reg.route_tables, "route_table_id"),
                ("peering", reg.peerings, "peering_id"),
                ("security_group", reg.security_groups, "group_id"),
                ("vpc_endpoint", reg.vpc_endpoints, "endpoint_id"),
                ("nat_gateway", reg.nat_gateways, "nat_gateway_id"),
            ):
                for item in items:
                    put(kind, f"{a}/{r}/{getattr(item, attr)}", a, r, kind, None, item)
        if acct.iam is not None:
            for p in acct.iam.principals:
                put("iam_principal", p.arn, a, "global", "iam_principal", p.arn, p)
            for g in acct.iam.groups:
                put("iam_group", g.arn, a, "global", "iam_group", g.arn, g)
            for mp in acct.iam.policies:
                put("managed_policy", f"{a}/{mp.arn}", a, "global", "managed_policy", mp.arn, mp)
    return out


def _notes(kind: str, name: str, old: Any, new: Any) -> str | None:
    if kind == "secret" and name == "rotation_enabled":
        return "rotation switched off" if old and not new else "rotation switched on"
    if kind == "secret" and name == "kms_key_id":
        label = (lambda v: v or "aws/secretsmanager (AWS-managed)")
        return f"key changed: {label(old)} -> {label(new)}"
    if kind == "kms_key" and name == "rotation_enabled" and old and new is False:
        return "key rotation switched off"
    if kind == "kms_key" and name == "key_state":
        return f"key state {old} -> {new}"
    if kind == "peering" and name == "status":
        return f"peering {old} -> {new}"
    return None


def _fields(rec: Any) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(type(rec))
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(rec))
        _FIELD_NAMES[type(rec)] = names
    return names


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_STABLE: dict[tuple[str, type], Callable[[Any], Any]] = {}


def _stable(kind: str, rec: Any) -> Any:
    """The record's non-volatile fields as one tuple (compared at C speed)."""
    getter = _STABLE.get((kind, type(rec)))
    if getter is None:
        skip = VOLATILE.get(kind, frozenset())
        names = [n for n in _fields(rec) if n not in skip]
        getter = operator.attrgetter(*names) if len(names) > 1 else \
            (lambda r, n=names[0]: (getattr(r, n),))
        _STABLE[(kind, type(rec))] = getter
    return getter(rec)


def _unread_any(rec: Any) -> bool:
    return bool(getattr(rec, _UNREAD, ())) or getattr(rec, "replicas", ()) is None


def _compare(kind: str, rid: str, account: str, region: str, old: Any, new: Any,
             not_assessed: list[NotAssessed]) -> ResourceChange | None:
    """Field-by-field comparison of two records of the same resource (cheap when equal)."""
    skip = VOLATILE.get(kind, frozenset()) | {_UNREAD}
    differing = [name for name in _fields(old)
                 if name not in skip and getattr(old, name) != getattr(new, name)]
    old_unread = set(getattr(old, _UNREAD, ()) or ())
    new_unread = set(getattr(new, _UNREAD, ()) or ())
    if kind == "secret":  # replicas None = ReplicationStatus not read
        if old.replicas is None:
            old_unread.add("replicas")
        if new.replicas is None:
            new_unread.add("replicas")
    fields: list[FieldChange] = []
    policies: list[PolicyChange] = []
    unread_here = sorted((old_unread | new_unread) - skip)
    for name in differing:
        if name in old_unread or name in new_unread:
            continue
        ov, nv = to_jsonable(getattr(old, name)), to_jsonable(getattr(new, name))
        if name in POLICY_FIELDS.get(kind, ()):
            stmts = diff_statements(ov, nv)
            if stmts is not None:
                if stmts:
                    policies.append(PolicyChange(field=name, statements=stmts))
                continue
        if name in POLICY_MAP_FIELDS.get(kind, ()) and isinstance(ov, dict) \
                and isinstance(nv, dict):
            for pname in sorted(set(ov) | set(nv)):
                stmts = diff_statements(ov.get(pname), nv.get(pname))
                if stmts:
                    policies.append(PolicyChange(field=f"{name}.{pname}", statements=stmts))
                elif stmts is None and ov.get(pname) != nv.get(pname):
                    fields.append(FieldChange(field=f"{name}.{pname}", old=ov.get(pname),
                                              new=nv.get(pname)))
            continue
        fields.append(FieldChange(field=name, old=ov, new=nv, note=_notes(kind, name, ov, nv)))
    if unread_here:
        both = old_unread & new_unread
        which = ("both" if set(unread_here) <= both
                 else "old" if set(unread_here) <= old_unread else "new")
        not_assessed.append(NotAssessed(scope="fields", subject=f"{kind} {rid}",
                                        reason="not read: " + ", ".join(unread_here), scan=which))
    if not fields and not policies:
        return None
    return ResourceChange(kind=kind, id=rid, account_id=account, region=region, change="changed",
                          fields=tuple(fields), policies=tuple(policies))


def _resources(old: Snapshot, new: Snapshot, old_a: Assessment, new_a: Assessment,
               not_assessed: list[NotAssessed]) -> tuple[list[ResourceChange], ...]:
    old_i, new_i = _index(old), _index(new)
    added: list[ResourceChange] = []
    removed: list[ResourceChange] = []
    changed: list[ResourceChange] = []
    unseen: dict[tuple[str, str], int] = defaultdict(int)  # (scan, reason) -> count
    for key, (account, region, tkind, arn, rec) in old_i.items():
        other = new_i.get(key)
        if other is None:
            why = new_a.why_not(account_id=account, region=region, kind=tkind, arn=arn)
            if why:
                unseen[("new", why)] += 1
            else:
                removed.append(ResourceChange(kind=key[0], id=key[1], account_id=account,
                                              region=region, change="removed"))
        elif other[4] != rec and (_unread_any(rec) or _unread_any(other[4])
                                  or _stable(key[0], rec) != _stable(key[0], other[4])):
            rc = _compare(key[0], key[1], account, region, rec, other[4], not_assessed)
            if rc is not None:
                changed.append(rc)
    for key, (account, region, tkind, arn, _rec) in new_i.items():
        if key in old_i:
            continue
        why = old_a.why_not(account_id=account, region=region, kind=tkind, arn=arn)
        if why:
            unseen[("old", why)] += 1
        else:
            added.append(ResourceChange(kind=key[0], id=key[1], account_id=account,
                                        region=region, change="added"))
    for (scan, why), n in sorted(unseen.items()):
        verb = "seen only in the old scan" if scan == "new" else "seen only in the new scan"
        not_assessed.append(NotAssessed(scope="resources", subject=f"{n} resource(s) {verb}",
                                        reason=why, scan=scan))
    return added, removed, changed


# --------------------------------------------------------------------------- findings


def _findings(doc: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for f in doc.get("findings") or ():
        if (type(f) is dict or isinstance(f, Mapping)) and f.get("id"):
            out[str(f["id"])] = f
    return out


def _fchange(f: Mapping[str, Any], old: Mapping[str, Any] | None,
             changes: tuple[str, ...] = ()) -> FindingChange:
    res = f.get("resource") or {}
    return FindingChange(
        id=str(f["id"]), rule_id=str(f.get("rule_id", "")), title=str(f.get("title", "")),
        severity=str(f.get("severity", "")), status=str(f.get("status", "")),
        resource_arn=str(res.get("arn", "")), principal=f.get("principal"),
        old_status=old.get("status") if old else None,
        old_severity=old.get("severity") if old else None, changes=changes, finding=f)


def _diff_findings(old_doc: Mapping[str, Any], new_doc: Mapping[str, Any], new_a: Assessment,
                   not_assessed: list[NotAssessed]) -> tuple[list[FindingChange], ...]:
    old_f = _findings(old_doc)
    seen: set[str] = set()
    new: list[FindingChange] = []
    resolved: list[FindingChange] = []
    changed: list[FindingChange] = []
    for n in new_doc.get("findings") or ():
        if not (type(n) is dict or isinstance(n, Mapping)) or not n.get("id"):
            continue
        fid = str(n["id"])
        seen.add(fid)
        o = old_f.get(fid)
        if o is not None and o == n:
            continue
        ns, os_ = n.get("status"), (o.get("status") if o else None)
        if ns == "UNKNOWN":
            if os_ in ("FAIL", "MUTED", "PASS"):
                res = n.get("resource") or {}
                missing = ", ".join(n.get("missing") or ()) or n.get("message") or "inputs missing"
                not_assessed.append(NotAssessed(
                    scope="finding", subject=f"{n.get('rule_id')} {res.get('arn')}"
                    + (f" principal {n.get('principal')}" if n.get("principal") else ""),
                    reason=f"was {os_}, now UNKNOWN: {missing}", scan="new"))
            continue
        if o is None or os_ in ("PASS", "UNKNOWN"):
            if ns == "FAIL":
                new.append(_fchange(n, o))
            continue
        diffs: list[str] = []
        if ns != os_:
            if ns == "PASS" and os_ == "FAIL":
                resolved.append(_fchange(n, o))
                continue
            diffs.append("status")
        if n.get("severity") != o.get("severity"):
            diffs.append("severity")
        if (n.get("evidence") or {}) != (o.get("evidence") or {}):
            diffs.append("evidence")
        if "status" in diffs or (diffs and "FAIL" in (ns, os_)):
            changed.append(_fchange(n, o, tuple(diffs)))
    for fid, o in old_f.items():
        if fid in seen or o.get("status") not in ("FAIL", "MUTED"):
            continue
        res = o.get("resource") or {}
        why = new_a.why_not(account_id=str(res.get("account_id", "")),
                            region=str(res.get("region", "")), kind=str(res.get("type", "")),
                            arn=res.get("arn"))
        if why:
            not_assessed.append(NotAssessed(scope="finding",
                                            subject=f"{o.get('rule_id')} {res.get('arn')}",
                                            reason=why, scan="new"))
        else:
            resolved.append(_fchange(o, o, ("no longer reported",)))
    return new, resolved, changed


# --------------------------------------------------------------------------- access


def _rc(reader: Reader, other: Reader | None) -> ReaderChange:
    return ReaderChange(principal=reader.principal, decision=reader.decision,
                        other_decision=other.decision if other else None, detail=reader.raw)


def _diff_access(old: StoredScan, new: StoredScan, old_a: Assessment, new_a: Assessment,
                 not_assessed: list[NotAssessed]) -> list[AccessChange]:
    if old.access is None or new.access is None:
        which = "both" if old.access is None and new.access is None else \
            ("old" if old.access is None else "new")
        not_assessed.append(NotAssessed(scope="access", subject="all secrets",
                                        reason="no access report recorded", scan=which))
        return []
    old_raw, new_raw = raw_entries(old.access), raw_entries(new.access)
    # an entry equal on both sides cannot hold a change: skip it before parsing anything
    changed = {arn for arn in set(old_raw) | set(new_raw)
               if old_raw.get(arn) != new_raw.get(arn)}
    old_s = {arn: secret_access(arn, old_raw[arn]) for arn in changed if arn in old_raw}
    new_s = {arn: secret_access(arn, new_raw[arn]) for arn in changed if arn in new_raw}
    secret_where = {s.arn: (a.account_id, r.region) for a in new.snapshot.accounts
                    for r in a.regions for s in r.secrets}
    secret_where_old = {s.arn: (a.account_id, r.region) for a in old.snapshot.accounts
                        for r in a.regions for s in r.secrets}
    changes: list[AccessChange] = []
    for arn in sorted(set(old_s) | set(new_s)):
        o, n = old_s.get(arn), new_s.get(arn)
        if n is None:
            assert o is not None
            acct, region = secret_where_old.get(arn, ("", ""))
            gone_why: str | None = new_a.why_not(account_id=acct, region=region, kind="Secret",
                                                 arn=arn) if acct else \
                "the secret is absent from the new access report"
            readers = [r for r in o.readers.values() if r.decision in READS]
            if gone_why and readers:
                not_assessed.append(NotAssessed(scope="access", subject=arn, reason=gone_why,
                                                scan="new"))
            continue  # a removed secret shows under resources; its readers go with it
        if o is None:
            acct, region = secret_where.get(arn, ("", ""))
            new_why = old_a.why_not(account_id=acct, region=region, kind="Secret", arn=arn) \
                if acct else None
            if new_why:
                not_assessed.append(NotAssessed(scope="access", subject=arn, reason=new_why,
                                                scan="old"))
                continue
        gained: list[ReaderChange] = []
        lost: list[ReaderChange] = []
        old_readers = o.readers if o is not None else {}
        for principal, r in sorted(n.readers.items()):
            prev = old_readers.get(principal)
            if r.decision in READS and (prev is None or prev.decision not in READS):
                gained.append(_rc(r, prev))
        for principal, r in sorted(old_readers.items()):
            if r.decision not in READS:
                continue
            now = n.readers.get(principal)
            if now is not None and now.decision in READS:
                continue
            p_acct = principal_account(principal)
            why: str | None = None
            if not n.assessed:
                why = "the secret's access was not fully assessed"
            elif now is not None and now.decision == UNKNOWN:
                why = "a gate could not be assessed (decision unknown)"
            elif p_acct and p_acct in old_a.iam_read and p_acct not in new_a.iam_read:
                why = f"IAM of account {p_acct} was not read"
            if why:
                not_assessed.append(NotAssessed(scope="access", subject=f"{principal} -> {arn}",
                                                reason=why, scan="new"))
            else:
                lost.append(_rc(r, now))
        if gained or lost:
            changes.append(AccessChange(secret_arn=arn, gained=tuple(gained), lost=tuple(lost)))
    return changes


# --------------------------------------------------------------------------- coverage


def _coverage_gaps(old: Snapshot, new: Snapshot) -> Iterator[NotAssessed]:
    def keyed(s: Snapshot) -> dict[tuple[str, str, str, str, str], str]:
        out = {}
        for c in s.coverage:
            if c.operation == "AssumeRole" and not c.resource_arn:
                key = (c.account_id, "", "", "AssumeRole", "")  # the account-level gap
            else:
                key = (c.account_id, c.region, c.service, c.operation, c.resource_arn or "")
            out[key] = f"{c.error_code}: {c.message}"
        for acct in s.accounts:
            if not acct.assumed:
                out.setdefault((acct.account_id, "", "", "AssumeRole", ""),
                               "the audit role could not be assumed")
        return out

    o, n = keyed(old), keyed(new)
    for key in sorted(set(o) | set(n)):
        acct, region, service, op, arn = key
        scan = "both" if key in o and key in n else ("old" if key in o else "new")
        if arn:
            scope, subject = "resource", arn
        elif op == "AssumeRole" and not region:
            scope, subject = "account", acct
        else:
            scope, subject = "service", "/".join(p for p in (acct, region, service, op) if p)
        yield NotAssessed(scope=scope, subject=subject, reason=n.get(key) or o[key], scan=scan)
    old_accts = {a.account_id for a in old.accounts}
    new_accts = {a.account_id for a in new.accounts}
    for acct in sorted(old_accts - new_accts):
        yield NotAssessed(scope="account", subject=acct, reason="not in the new scan", scan="new")
    for acct in sorted(new_accts - old_accts):
        yield NotAssessed(scope="account", subject=acct, reason="not in the old scan", scan="old")


# --------------------------------------------------------------------------- entry point


def _ref(scan: StoredScan) -> ScanRef:
    return ScanRef(scan_id=scan.record.scan_id, started_at=scan.record.started_at,
                   complete=scan.record.complete)


def diff_scans(old: StoredScan, new: StoredScan) -> Drift:
    """The drift from `old` to `new`: access first, then findings, resources, not assessed."""
    # Two large scans are millions of live objects: the cyclic collector would rescan them
    # again and again while the diff allocates (and the diff creates no cycles). Pause it.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _diff_scans(old, new)
    finally:
        if was_enabled:
            gc.enable()


def _diff_scans(old: StoredScan, new: StoredScan) -> Drift:
    old_a, new_a = assess(old.snapshot), assess(new.snapshot)
    not_assessed: list[NotAssessed] = list(_coverage_gaps(old.snapshot, new.snapshot))
    access = _diff_access(old, new, old_a, new_a, not_assessed)
    f_new, f_resolved, f_changed = _diff_findings(old.document, new.document, new_a,
                                                  not_assessed)
    r_added, r_removed, r_changed = _resources(old.snapshot, new.snapshot, old_a, new_a,
                                               not_assessed)
    sev_rank = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3, "INFORMATIONAL": 4}

    def fkey(f: FindingChange) -> tuple[int, str, str, str]:
        return (sev_rank.get(f.severity, 5), f.rule_id, f.resource_arn, f.principal or "")

    def rkey(r: ResourceChange) -> tuple[str, str]:
        return (r.kind, r.id)

    return Drift(
        old=_ref(old), new=_ref(new), access=tuple(access),
        findings_new=tuple(sorted(f_new, key=fkey)),
        findings_resolved=tuple(sorted(f_resolved, key=fkey)),
        findings_changed=tuple(sorted(f_changed, key=fkey)),
        resources_added=tuple(sorted(r_added, key=rkey)),
        resources_removed=tuple(sorted(r_removed, key=rkey)),
        resources_changed=tuple(sorted(r_changed, key=rkey)),
        not_assessed=tuple(not_assessed),
    )
