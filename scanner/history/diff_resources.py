"""Resources in two snapshots, matched by stable ids: added, removed, changed (field by field
and policy statement by statement). Missing from a scan that did not assess its place: not
assessed, never removed."""

from __future__ import annotations

import dataclasses
import operator
from collections import defaultdict
from typing import Any, Callable

from scanner.graph.schema import scheduled_for_deletion
from scanner.history.assessed import Assessment
from scanner.history.diff_org import diff_organization
from scanner.history.drift import FieldChange, NotAssessed, PolicyChange, ResourceChange
from scanner.history.policy_diff import diff_statements
from scanner.model import Snapshot, to_jsonable

VOLATILE: dict[str, frozenset[str]] = {
    "secret": frozenset({"last_accessed", "last_changed", "last_rotated", "next_rotation",
                         "version_stages", "read_at", "carried"}),
    # which of its two accounts (and Regions) a peering's record was read from
    "peering": frozenset({"account_id", "region"}),
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
#: Fields holding a mapping compared key by key, each key a field of its own (``name.key``):
#: a function's versions and aliases (LambdaFunction.qualifier_settings), so the night an
#: alias moves to another version the diff names the alias and what it now runs with, not the
#: whole mapping twice (ground-truth trial round 29)
MAP_FIELDS: dict[str, frozenset[str]] = {
    "lambda_function": frozenset({"qualifier_settings"}),
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
            for pcx in reg.peerings:
                # one peering, listed by both its accounts: one resource, named by its
                # requester's side as its graph node is (its view wins; both normally agree)
                owner, home = pcx.requester.owner_id, pcx.requester.region
                rid = f"{owner}/{home}/{pcx.peering_id}"
                if ("peering", rid) not in out or a == owner:
                    put("peering", rid, owner, home, "peering", None, pcx)
            for kind, items, attr in (
                ("vpc", reg.vpcs, "vpc_id"), ("subnet", reg.subnets, "subnet_id"),
                ("route_table", reg.route_tables, "route_table_id"),
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
        return _key_state_note(old, new)
    if kind == "iam_principal" and name == "unique_id":
        # IAM User Guide, "IAM identifiers", unique identifiers: a role or user created with
        # the name of a deleted one gets another unique id
        return "deleted and created again: a policy naming the old unique id does not apply to it"
    if kind == "secret" and name == "deleted_date":
        # DeleteSecret with a recovery window sets DeletedDate; RestoreSecret clears it
        # (Secrets Manager API Reference): no rule judges a secret while it is set
        return "scheduled for deletion" if new and not old else \
            "restored (deletion cancelled)" if old and not new else None
    if kind == "peering" and name == "status":
        # what a status change means for the routes through it (the change itself is the
        # line: "status: pending-acceptance -> active")
        if new == "active":
            return "peering now active"
        if old == "active":
            return "peering no longer active: routes through it carry nothing"
    return None


def _refused(kind: str, unread: list[str], old: Any, new: Any) -> str:
    """Why a secret's resource policy is unread when Secrets Manager refuses it, not a call
    that failed: the secret is scheduled for deletion in the scan(s) that lack it ("its
    details ... is not accessible", Secrets Manager API Reference, DescribeSecret, DeletedDate;
    ground-truth trial round 25: "not read: resource_policy" read as a coverage gap)."""
    if kind != "secret" or "resource_policy" not in unread:
        return ""
    lacking = [rec for rec in (old, new)
               if "resource_policy" in (getattr(rec, _UNREAD, ()) or ())]
    if lacking and all(scheduled_for_deletion({"deleted_date": rec.deleted_date})
                       for rec in lacking):
        return (" (scheduled for deletion: Secrets Manager refuses to read it until the "
                "secret is restored)")
    return ""


def _qualifier_note(qualifier: str, old: Any, new: Any) -> str | None:
    """What a version's or alias's settings moving means for the secrets rotated through it
    (graph.schema.rotation_function: a version runs with the role and VPC it was published
    with, an alias with its version's): the role and the VPC it now runs with, beside what it
    ran with. None when neither moved, or the qualifier is read on one night only (a secret
    named it, or stopped naming it: the line's ``(absent)`` says so)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return None
    said = [f"{how} {new.get(field) or '(none)'} (was {old.get(field) or '(none)'})"
            for field, how in (("role_arn", "as role"), ("vpc_id", "in VPC"))
            if old.get(field) != new.get(field)]
    return f"{qualifier} now runs " + ", ".join(said) if said else None


def _key_state_note(old: Any, new: Any) -> str | None:
    """What a key's state change means (KMS Developer Guide, "Key states of AWS KMS keys"),
    not the change again (new-user trial round 18: "key_state: PendingDeletion -> Enabled
    (key state PendingDeletion -> Enabled)"); None when there is nothing to add."""
    if new == "PendingDeletion":
        return "scheduled for deletion"
    if old == "PendingDeletion" and new in ("Enabled", "Disabled"):
        return "deletion cancelled"
    if new == "Disabled":
        return "key disabled"
    if old == "Disabled" and new == "Enabled":
        return "key enabled"
    # "PendingImport: ... its key material has not been imported or was deleted";
    # "Unavailable: ... the AWS CloudHSM key store or external key store that contains the
    # KMS key is disconnected" -- neither decrypts (ground-truth trial round 30: a key whose
    # material was imported went PendingImport -> Enabled with nothing said)
    if new == "PendingImport":
        return "no key material (not imported, or deleted): it decrypts nothing"
    if old == "PendingImport" and new == "Enabled":
        return "key material imported"
    if new == "Unavailable":
        return "its custom key store is disconnected: it decrypts nothing"
    if old == "Unavailable" and new == "Enabled":
        return "its custom key store is connected again"
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
    if kind == "kms_key" and (old.grants is None or new.grants is None):
        # grants None: not read -- an AWS-managed key, a snapshot from before grants were
        # collected (the first night after the upgrade would call every key changed), or a
        # failed ListGrants (named by ``unread`` below): never a change of the key
        skip = skip | {"grants"}
    if kind == "kms_key" and (old.tags is None or new.tags is None):
        # tags None: not read -- as grants above (a snapshot from before key tags were
        # collected, ground-truth trial round 28)
        skip = skip | {"tags"}
    if kind == "iam_principal" and (old.unique_id is None or new.unique_id is None):
        # unique_id None: a snapshot from before the ids were collected (ground-truth trial
        # round 22) -- the first night after the upgrade is no change of every principal
        skip = skip | {"unique_id"}
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
        if name in MAP_FIELDS.get(kind, ()) and isinstance(ov, dict) and isinstance(nv, dict):
            fields.extend(FieldChange(field=f"{name}.{k}", old=ov.get(k), new=nv.get(k),
                                      note=_qualifier_note(k, ov.get(k), nv.get(k)))
                          for k in sorted(set(ov) | set(nv)) if ov.get(k) != nv.get(k))
            continue
        fields.append(FieldChange(field=name, old=ov, new=nv, note=_notes(kind, name, ov, nv)))
    if unread_here:
        both = old_unread & new_unread
        which = ("both" if set(unread_here) <= both
                 else "old" if set(unread_here) <= old_unread else "new")
        not_assessed.append(NotAssessed(scope="fields", subject=f"{kind} {rid}",
                                        reason="not read: " + ", ".join(unread_here)
                                        + _refused(kind, unread_here, old, new), scan=which))
    if not fields and not policies:
        return None
    return ResourceChange(kind=kind, id=rid, account_id=account, region=region, change="changed",
                          fields=tuple(fields), policies=tuple(policies))


def _known_replicas(rid: str, old: Any, new: Any, account: str, old_a: Assessment,
                    new_a: Assessment, not_assessed: list[NotAssessed]) -> tuple[Any, Any]:
    """A primary's replicas as far as both scans know them. ``replicas=()`` without a
    DescribeSecret says "no replica listed in the scanned Regions" (docs/collection.md,
    "Replication and ``replicas``"), nothing about a Region the scan did not scan; and a
    snapshot cannot tell that ``()`` from a DescribeSecret's empty answer. So a replica the
    other scan has, in a Region the scan with ``()`` did not scan, is not assessed -- left out
    of the comparison and listed as such -- never removed or added (new-user trial round 8:
    a `--regions us-east-1` scan reported every us-west-2 replica removed, the next full night
    added). A non-empty list came from DescribeSecret, which names every Region: compared as
    it is."""
    if old.replicas is None or new.replicas is None or old.replicas == new.replicas:
        return old, new
    unknown: list[tuple[str, str]] = []  # (which scan, Region)
    for which, empty, other, assessment in (("new", new, old, new_a), ("old", old, new, old_a)):
        if empty.replicas != ():
            continue
        for r in other.replicas:
            if (account, r.region) not in assessment.regions:
                unknown.append((which, r.region))
    if not unknown:
        return old, new
    hidden = {region for _, region in unknown}
    not_assessed.append(NotAssessed(
        scope="fields", subject=f"secret {rid}",
        reason=f"replicas in {', '.join(sorted(hidden))}: Region not scanned (its replicas "
               "are unknown to that scan)", scan=unknown[0][0]))
    return (dataclasses.replace(old, replicas=tuple(r for r in old.replicas
                                                     if r.region not in hidden)),
            dataclasses.replace(new, replicas=tuple(r for r in new.replicas
                                                     if r.region not in hidden)))


def diff_resources(old: Snapshot, new: Snapshot, old_a: Assessment, new_a: Assessment,
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
            old_rec, new_rec = rec, other[4]
            if key[0] == "secret":
                old_rec, new_rec = _known_replicas(key[1], old_rec, new_rec, account, old_a,
                                                   new_a, not_assessed)
            rc = _compare(key[0], key[1], account, region, old_rec, new_rec, not_assessed)
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
    # the organization (SCPs, RCPs, OUs, accounts): ground-truth organization trial round 9
    org_added, org_removed, org_changed = diff_organization(old, new, not_assessed)
    added += org_added
    removed += org_removed
    changed += org_changed
    for (scan, why), n in sorted(unseen.items()):
        verb = "seen only in the old scan" if scan == "new" else "seen only in the new scan"
        not_assessed.append(NotAssessed(scope="resources", subject=f"{n} resource(s) {verb}",
                                        reason=why, scan=scan))
    return added, removed, changed
