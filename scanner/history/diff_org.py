"""The organization in two snapshots: its SCPs and RCPs (added, removed, changed: name,
targets, and content statement by statement), its OUs, and its accounts (joined, left, moved
to another OU), as resource changes of the drift (kinds ``scp``, ``rcp``, ``org_unit``,
``org_account``, ``organization``).

The SCPs and RCPs are a gate of every read (docs/access.md, "the scp gate"; IAM policy
evaluation logic: SCPs cap the principals of the caller's member accounts, RCPs access to the
resources of the owner's, and an explicit Deny in any policy overrides every Allow --
the project's AWS facts, [IAM-E], [RCP]), and where a policy is attached, and in which OU an
account is, decide which of them apply: what changed in them is a cause the morning after,
not only its side effects on readers (ground-truth organization trial round 9: an org-only
night printed "no changes").

What one scan did not read is not assessed, never removed or added: an organization missing
from a scan (a scan without --org); a policy type whose ListPolicies failed (``policies_read``
/ ``rcps_read`` False with none of the type in ``unread_policies``; a snapshot stored before
RCPs were collected reads so too); a policy listed but not read (``unread_policies``); OUs and
account parents where an OU listing failed (a coverage entry of ListRoots,
ListOrganizationalUnitsForParent or ListAccountsForParent; an account without ``parent_id``).
"""

from __future__ import annotations

import json

from typing import Callable

from scanner.history.drift import FieldChange, NotAssessed, PolicyChange, ResourceChange
from scanner.history.policy_diff import diff_statements
from scanner.model import ControlPolicy, Organization, OrgAccount, Snapshot

SCP_TYPE = "SERVICE_CONTROL_POLICY"
RCP_TYPE = "RESOURCE_CONTROL_POLICY"
_KIND = {SCP_TYPE: "scp", RCP_TYPE: "rcp"}
#: the resource-change kinds this module writes: the organization's own changes
ORG_KINDS = frozenset({"scp", "rcp", "org_unit", "org_account", "organization"})
_TYPE_WORDS = {SCP_TYPE: "service control policies", RCP_TYPE: "resource control policies"}
#: the Organizations calls whose failure leaves OUs (and so account parents) unread
_TREE_CALLS = frozenset({"ListRoots", "ListOrganizationalUnitsForParent",
                         "ListAccountsForParent"})

Changes = tuple[list[ResourceChange], list[ResourceChange], list[ResourceChange]]
#: (account id, Region) of the organization's changes: its management account, "global"
_Where = tuple[str, str]
#: records a not-assessed item: (subject, reason, which scan)
_Gap = Callable[[str, str, str], None]


def _failed_calls(snapshot: Snapshot) -> frozenset[str]:
    return frozenset(c.operation for c in snapshot.coverage if c.service == "organizations")


def _type_listed(org: Organization, policy_type: str) -> bool:
    """Whether the scan listed the policies of this type: read completely, or listed with
    some not read (``transform_organization``: the flag is False while any is unread)."""
    complete = org.policies_read if policy_type == SCP_TYPE else org.rcps_read
    return complete or any(u.policy_type == policy_type for u in org.unread_policies)


class _Tree:
    """An organization's OU tree: paths by name, chains of ids."""

    def __init__(self, org: Organization) -> None:
        self.org = org
        self.units = {u.ou_id: u for u in org.units}
        self.accounts = {a.account_id: a for a in org.accounts}

    def chain(self, parent: str | None) -> tuple[str, ...] | None:
        """The ids from the root down to ``parent``; None when a link was not read."""
        out: list[str] = []
        seen: set[str] = set()
        while parent is not None and parent not in seen:
            seen.add(parent)
            out.append(parent)
            if parent == self.org.root_id or parent.startswith("r-"):
                return tuple(reversed(out))
            unit = self.units.get(parent)
            if unit is None:
                return None
            parent = unit.parent_id
        return None

    def path(self, chain: tuple[str, ...]) -> str:
        """``Root/Prod/Web``: a name holding "/" (or a quote) is quoted, as JSON quotes a
        string -- an OU may be named "Workloads/Prod" (Organizations allows any character,
        botocore's OrganizationalUnitName pattern is [\\s\\S]*), and a move from OU Prod
        under Workloads into it must not read as no move (hostile-input trial round 10)."""
        names = []
        for node in chain:
            unit = self.units.get(node)
            name = "Root" if unit is None else (unit.name or node)
            names.append(json.dumps(name, ensure_ascii=False) if "/" in name or '"' in name
                         else name)
        return "/".join(names)

    def label(self, target: str) -> str:
        """A policy target (root, OU or account id) with what it is."""
        if target in self.accounts:
            name = self.accounts[target].name
            return f"{target} (account {name})" if name else f"{target} (account)"
        chain = self.chain(target)
        return f"{target} ({self.path(chain)})" if chain else target


def diff_organization(old: Snapshot, new: Snapshot, not_assessed: list[NotAssessed]) -> Changes:
    """(added, removed, changed) of the organization between two snapshots."""
    added: list[ResourceChange] = []
    removed: list[ResourceChange] = []
    changed: list[ResourceChange] = []
    o, n = old.organization, new.organization
    if o is None and n is None:
        return added, removed, changed
    if o is None or n is None:
        read = n or o
        assert read is not None
        which = "old" if o is None else "new"
        missing = old if o is None else new
        why = ("not read: a scan without --org" if missing.org_membership is not None
               else "not read by the scan")
        not_assessed.append(NotAssessed(scope="organization",
                                        subject=read.org_id or "the organization",
                                        reason=why, scan=which))
        return added, removed, changed
    if o == n:  # the usual night: nothing moved (a thousand accounts compared at C speed)
        return added, removed, changed
    where = (n.management_account_id or o.management_account_id or "", "global")
    old_t, new_t = _Tree(o), _Tree(n)
    old_f, new_f = _failed_calls(old), _failed_calls(new)

    def gap(subject: str, reason: str, scan: str) -> None:
        not_assessed.append(NotAssessed(scope="organization", subject=subject, reason=reason,
                                        scan=scan))

    # the organization itself: the policy types enabled at its root
    org_fields = []
    if o.policy_types_enabled is not None and n.policy_types_enabled is not None and \
            o.policy_types_enabled != n.policy_types_enabled:
        org_fields.append(FieldChange(field="policy_types_enabled",
                                      old=list(o.policy_types_enabled),
                                      new=list(n.policy_types_enabled)))
    if o.management_account_id != n.management_account_id:
        org_fields.append(FieldChange(field="management_account_id",
                                      old=o.management_account_id, new=n.management_account_id))
    if org_fields:
        changed.append(_rc(where, kind="organization", id=n.org_id or o.org_id or "",
                           change="changed", fields=tuple(org_fields)))

    _diff_policies(o, n, old_t, new_t, where, (added, removed, changed), gap)
    _diff_units(old_t, new_t, old_f, new_f, where, (added, removed, changed), gap)
    _diff_accounts(old_t, new_t, old_f, new_f, where, (added, removed, changed), gap)
    return added, removed, changed


def _rc(where: _Where, *, kind: str, id: str, change: str, name: str | None = None,
        fields: tuple[FieldChange, ...] = (),
        policies: tuple[PolicyChange, ...] = ()) -> ResourceChange:
    return ResourceChange(kind=kind, id=id, account_id=where[0], region=where[1],
                          change=change, name=name, fields=fields, policies=policies)


def _targets(policy: ControlPolicy, tree: _Tree) -> list[str]:
    return [tree.label(t) for t in sorted(policy.targets)]


def _diff_policies(o: Organization, n: Organization, old_t: _Tree, new_t: _Tree,
                   where: _Where, out: Changes, gap: _Gap) -> None:
    added, removed, changed = out
    old_p = {p.policy_id: p for p in o.policies}
    new_p = {p.policy_id: p for p in n.policies}
    old_u = {u.policy_id: u for u in o.unread_policies}
    new_u = {u.policy_id: u for u in n.unread_policies}
    for pid in sorted(set(old_p) | set(new_p)):
        before, after = old_p.get(pid), new_p.get(pid)
        ptype = (after or before).policy_type  # type: ignore[union-attr]
        kind = _KIND.get(ptype, "control_policy")
        subject = f"{kind} {pid}"
        if before is None or after is None:
            org, unread, scan = (o, old_u, "old") if before is None else (n, new_u, "new")
            if pid in unread:
                gap(subject, "listed but could not be read (DescribePolicy or "
                    "ListTargetsForPolicy failed)", scan)
            elif not _type_listed(org, ptype):
                gap(subject, f"the {_TYPE_WORDS.get(ptype, ptype)} were not listed", scan)
            elif before is None:
                assert after is not None
                added.append(_rc(
                    where, kind=kind, id=pid, name=after.name, change="added",
                    fields=(FieldChange(field="targets", old=[],
                                        new=_targets(after, new_t)),),
                    policies=_content(None, after.content)))
            else:
                removed.append(_rc(
                    where, kind=kind, id=pid, name=before.name, change="removed",
                    fields=(FieldChange(field="targets", old=_targets(before, old_t),
                                        new=[]),),
                    policies=_content(before.content, None)))
            continue
        fields = []
        if before.name != after.name:
            fields.append(FieldChange(field="name", old=before.name, new=after.name))
        if before.policy_type != after.policy_type:
            fields.append(FieldChange(field="policy_type", old=before.policy_type,
                                      new=after.policy_type))
        if sorted(before.targets) != sorted(after.targets):
            # both lists labelled by tonight's tree (a renamed OU is its own change)
            fields.append(FieldChange(field="targets", old=_targets(before, new_t),
                                      new=_targets(after, new_t)))
        policies = _content(before.content, after.content)
        if fields or policies:
            changed.append(_rc(where, kind=kind, id=pid, name=after.name, change="changed",
                               fields=tuple(fields), policies=policies))


def _content(old: str | None, new: str | None) -> tuple[PolicyChange, ...]:
    stmts = diff_statements(old, new)
    if stmts is None:  # not a parseable policy: the text as one statement each
        stmts = diff_statements({"Statement": [old]} if old is not None else None,
                                {"Statement": [new]} if new is not None else None) \
            if old != new else ()
    return (PolicyChange(field="content", statements=stmts),) if stmts else ()


def _diff_units(old_t: _Tree, new_t: _Tree, old_f: frozenset[str], new_f: frozenset[str],
                where: _Where, out: Changes, gap: _Gap) -> None:
    added, removed, changed = out
    for ou in sorted(set(old_t.units) | set(new_t.units)):
        before, after = old_t.units.get(ou), new_t.units.get(ou)
        if before is None or after is None:
            failed, scan = (old_f, "old") if before is None else (new_f, "new")
            if failed & _TREE_CALLS:
                gap(f"org_unit {ou}", "the OU tree was not read completely", scan)
            elif after is not None:
                chain = new_t.chain(after.parent_id)
                added.append(_rc(
                    where, kind="org_unit", id=ou, name=after.name, change="added",
                    fields=(FieldChange(field="parent", old=None, new=new_t.path(chain)
                                        if chain else after.parent_id),)))
            else:
                assert before is not None
                removed.append(_rc(where, kind="org_unit", id=ou, name=before.name,
                                   change="removed"))
            continue
        fields = []
        if before.name != after.name:
            fields.append(FieldChange(field="name", old=before.name, new=after.name))
        if before.parent_id != after.parent_id:
            fields.extend(_moved(old_t, new_t, before.parent_id, after.parent_id))
        if fields:
            changed.append(_rc(where, kind="org_unit", id=ou, name=after.name,
                               change="changed", fields=tuple(fields)))


def _moved(old_t: _Tree, new_t: _Tree, old_parent: str | None,
           new_parent: str | None) -> list[FieldChange]:
    old_c, new_c = old_t.chain(old_parent), new_t.chain(new_parent)
    old_v = old_t.path(old_c) if old_c else old_parent
    new_v = new_t.path(new_c) if new_c else new_parent
    return [FieldChange(field="ou", old=old_v, new=new_v,
                        note=f"moved from {old_parent} to {new_parent}")]


def _diff_accounts(old_t: _Tree, new_t: _Tree, old_f: frozenset[str], new_f: frozenset[str],
                   where: _Where, out: Changes, gap: _Gap) -> None:
    added, removed, changed = out
    for acct in sorted(set(old_t.accounts) | set(new_t.accounts)):
        before, after = old_t.accounts.get(acct), new_t.accounts.get(acct)
        if before is None or after is None:
            failed, scan = (old_f, "old") if before is None else (new_f, "new")
            if "ListAccounts" in failed:
                gap(f"org_account {acct}", "the organization's accounts were not listed", scan)
            elif after is not None:
                added.append(_account_change(after, new_t, "added", where))
            else:
                assert before is not None
                removed.append(_account_change(before, old_t, "removed", where))
            continue
        fields = [FieldChange(field=name, old=getattr(before, name), new=getattr(after, name))
                  for name in ("name", "email", "status")
                  if getattr(before, name) != getattr(after, name)]
        old_c, new_c = old_t.chain(before.parent_id), new_t.chain(after.parent_id)
        if old_c is None or new_c is None:
            if before.parent_id != after.parent_id or old_c != new_c:
                gap(f"org_account {acct}", "its OU was not read",
                    "both" if old_c is None and new_c is None
                    else "old" if old_c is None else "new")
        elif old_c != new_c:
            fields.extend(_moved(old_t, new_t, before.parent_id, after.parent_id))
        if fields:
            changed.append(_rc(where, kind="org_account", id=acct, name=after.name,
                               change="changed", fields=tuple(fields)))


def _account_change(acct: OrgAccount, tree: _Tree, change: str,
                    where: _Where) -> ResourceChange:
    chain = tree.chain(acct.parent_id)
    ou = tree.path(chain) if chain else acct.parent_id
    field = (FieldChange(field="ou", old=None, new=ou) if change == "added"
             else FieldChange(field="ou", old=ou, new=None))
    return _rc(where, kind="org_account", id=acct.account_id, name=acct.name,
               change=change, fields=(field,) if ou else ())
