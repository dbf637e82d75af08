"""Organizations (with management or delegated-administrator credentials, region "global"):
the organization, its ACTIVE accounts (ListAccounts, 20 per page), the OU tree (roots, then
ListOrganizationalUnitsForParent and ListAccountsForParent for every root and OU), the policy
types enabled at the root (ListRoots ``PolicyTypes``), and the service control policies and
resource control policies with their targets (ListPolicies with Filter SERVICE_CONTROL_POLICY,
then RESOURCE_CONTROL_POLICY; DescribePolicy; ListTargetsForPolicy -- the same three
permissions serve both types). When the SCPs cannot be read the Organization says
policies_read=False (never "no SCPs"); when the RCPs cannot be read, rcps_read=False (never "no
RCPs"); a coverage entry says why. A policy whose DescribePolicy or ListTargetsForPolicy fails
does not stop the others: it is listed in ``unread_policies`` (with its targets when read) and
its type's flag is False, the policies that were read are kept.

Without --org the scan asks ``fetch_membership`` only: DescribeOrganization in the account of its
own credentials (any account of an organization may call it), which says whether that account
is in an organization at all -- AWSOrganizationsNotInUseException is that answer, not a failure.
"""

from __future__ import annotations

from typing import Any, Mapping

from scanner.collectors.base import Recorder, check_items, expect, paginate
from scanner.model import (
    IN_ORGANIZATION,
    MEMBERSHIP_UNKNOWN,
    NOT_IN_ORGANIZATION,
    ControlPolicy,
    Organization,
    OrgAccount,
    OrgMembership,
    OrgUnit,
    UnreadControlPolicy,
)

SERVICE = "organizations"

OPERATIONS: dict[str, str] = {
    "DescribeOrganization": "organizations:DescribeOrganization",
    "ListAccounts": "organizations:ListAccounts",
    "ListRoots": "organizations:ListRoots",
    "ListOrganizationalUnitsForParent": "organizations:ListOrganizationalUnitsForParent",
    "ListAccountsForParent": "organizations:ListAccountsForParent",
    "ListPolicies": "organizations:ListPolicies",
    "DescribePolicy": "organizations:DescribePolicy",
    "ListTargetsForPolicy": "organizations:ListTargetsForPolicy",
}


def fetch_organization(client: Any, rec: Recorder) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    described, _ = rec.attempt("DescribeOrganization", client.describe_organization)
    raw["organization"] = (described or {}).get("Organization")
    raw["accounts"], _ = rec.attempt(
        "ListAccounts", lambda: paginate(client, "list_accounts", "Accounts", identity="Id",
                                         PaginationConfig={"PageSize": 20})
    )
    roots, _ = rec.attempt("ListRoots", lambda: _roots(client))
    raw["roots"] = roots
    units: list[dict[str, Any]] = []
    parents: dict[str, str] = {}
    # a failed read of one parent's children names that parent (its ARN, else its id): one
    # entry per root or OU, told apart
    arns = {str(r["Id"]): r.get("Arn") for r in roots or []}
    queue = [r["Id"] for r in roots or []]
    while queue:
        parent = queue.pop(0)
        where = {"resource_arn": arns.get(parent) or None, "note": f"ParentId {parent}"}
        children, _ = rec.attempt(
            "ListOrganizationalUnitsForParent",
            lambda: paginate(client, "list_organizational_units_for_parent",
                             "OrganizationalUnits", identity="Id", ParentId=parent),
            **where,
        )
        for unit in children or []:
            units.append({**unit, "ParentId": parent})
            queue.append(unit["Id"])
            arns[str(unit["Id"])] = unit.get("Arn")
        accounts, _ = rec.attempt(
            "ListAccountsForParent",
            lambda: paginate(client, "list_accounts_for_parent", "Accounts", identity="Id",
                             ParentId=parent,
                             PaginationConfig={"PageSize": 20}),
            **where,
        )
        for account in accounts or []:
            parents[account["Id"]] = parent
    raw["units"] = units
    raw["parents"] = parents
    raw["policies"], unread_scps = _fetch_policies(client, rec, SCP_TYPE)
    raw["rcps"], unread_rcps = _fetch_policies(client, rec, RCP_TYPE)
    raw["unread_policies"] = unread_scps + unread_rcps
    return raw


SCP_TYPE = "SERVICE_CONTROL_POLICY"
RCP_TYPE = "RESOURCE_CONTROL_POLICY"

#: Organizations API Reference, DescribeOrganization: "This account is not a member of an
#: organization" (AWSOrganizationsNotInUseException) -- an answer, not a failure
NOT_IN_USE = "AWSOrganizationsNotInUseException"


def _roots(client: Any) -> list[dict[str, Any]]:
    """ListRoots; UnexpectedAnswer for a root's policy type without its ``Type`` or
    ``Status`` (AWS sends both: PolicyTypeSummary): read as a type that is not ENABLED, an
    SCP's explicit Deny had "no effect" -- every access it denies was judged allowed, and
    secret-cross-account-access-broken passed (fault-injection trial round 26). The roots are
    then unread, as when ListRoots fails: each account's path is unknown, never SCP-free."""
    roots = paginate(client, "list_roots", "Roots", identity="Id")
    for root in roots:
        if root.get("PolicyTypes") is not None:
            check_items("ListRoots", f"PolicyTypes of {root['Id']}", root["PolicyTypes"],
                        ("Type", "Status"))
    return roots


def fetch_membership(client: Any, rec: Recorder) -> dict[str, Any]:
    """DescribeOrganization alone: ``{"organization": {...}}`` when the account is in one,
    ``{"not_in_use": True}`` when it is in none (no coverage entry: that is the answer), ``{}``
    when the call failed (the coverage entry is in ``rec``)."""
    described, failure = rec.attempt("DescribeOrganization", lambda: expect(
        client.describe_organization(), "DescribeOrganization", "Organization", Mapping))
    if failure is not None and failure.error_code == NOT_IN_USE:
        rec.coverage.remove(failure)
        return {"not_in_use": True}
    return {"organization": dict(described)} if described is not None else {}


def transform_membership(raw: Mapping[str, Any], account_id: str) -> OrgMembership:
    org = raw.get("organization")
    if raw.get("not_in_use"):
        return OrgMembership(account_id=account_id, status=NOT_IN_ORGANIZATION)
    if not isinstance(org, Mapping):
        return OrgMembership(account_id=account_id, status=MEMBERSHIP_UNKNOWN)
    return OrgMembership(account_id=account_id, status=IN_ORGANIZATION, org_id=org.get("Id"),
                         management_account_id=org.get("MasterAccountId")
                         or org.get("ManagementAccountId"))


def _fetch_policies(client: Any, rec: Recorder, policy_type: str
                    ) -> tuple[list[dict[str, Any]] | None, list[dict[str, Any]]]:
    """(the policies read, each with its document and targets -- None when the listing
    failed; the policies listed but not read, each with its targets when ListTargetsForPolicy
    answered). A policy that could not be read does not stop the others: a partial set never
    reads as the complete one (``transform_organization``: ``policies_read`` False while any
    is unread), but a Deny that was read still decides (Organizations User Guide: "an explicit
    Deny statement in an SCP at any level ... denies"). Fault-injection trial round 5: one
    DescribePolicy denied stopped the loop and dropped every policy of the filter."""
    summaries, failure = rec.attempt(
        "ListPolicies", lambda: paginate(client, "list_policies", "Policies",
                                         identity="Id", Filter=policy_type),
        note=f"Filter {policy_type}",
    )
    if summaries is None:
        return None, []
    out = []
    unread: list[dict[str, Any]] = []
    for summary in summaries:
        policy_id = summary["Id"]
        described, failure = rec.attempt(
            "DescribePolicy", lambda: expect(
                expect(client.describe_policy(PolicyId=policy_id), "DescribePolicy", "Policy",
                       Mapping), "DescribePolicy", "Content", str),
            resource_arn=summary.get("Arn"),
        )
        targets, failure2 = rec.attempt(
            "ListTargetsForPolicy",
            lambda: paginate(client, "list_targets_for_policy", "Targets",
                             identity="TargetId", PolicyId=policy_id),
            resource_arn=summary.get("Arn"),
        )
        if described is None or targets is None:
            # not read: it may deny wherever it may be attached (its targets, when read)
            unread.append({"summary": summary, "type": policy_type, "targets": targets})
            continue
        out.append({"summary": summary, "content": described, "targets": targets})
    return out, unread


# --------------------------------------------------------------------------- pure transforms


def transform_organization(raw: Mapping[str, Any]) -> Organization:
    org = raw.get("organization") or {}
    roots = raw.get("roots") or []
    parents: Mapping[str, str] = raw.get("parents") or {}
    accounts = tuple(
        sorted(
            (
                OrgAccount(
                    account_id=str(a["Id"]),
                    name=a.get("Name"),
                    email=a.get("Email"),
                    status=str(a.get("State") or a.get("Status") or "ACTIVE"),
                    parent_id=parents.get(str(a["Id"])),
                )
                for a in raw.get("accounts") or []
            ),
            key=lambda a: a.account_id,
        )
    )
    units = tuple(
        sorted(
            (OrgUnit(ou_id=u["Id"], name=u.get("Name"), parent_id=u.get("ParentId"))
             for u in raw.get("units") or []),
            key=lambda u: u.ou_id,
        )
    )
    policies_raw = raw.get("policies")
    rcps_raw = raw.get("rcps")
    unread = tuple(
        UnreadControlPolicy(policy_id=str(u["summary"]["Id"]),
                            policy_type=str(u["summary"].get("Type") or u["type"]),
                            name=str(u["summary"].get("Name") or ""),
                            targets=None if u.get("targets") is None else
                            tuple(sorted(t["TargetId"] for t in u["targets"])))
        for u in raw.get("unread_policies") or [])
    unread_types = {u.policy_type for u in unread}
    policies = tuple(
        ControlPolicy(
            policy_id=p["summary"]["Id"],
            name=p["summary"].get("Name", ""),
            policy_type=p["summary"].get("Type", default_type),
            content=p["content"],
            targets=tuple(sorted(t["TargetId"] for t in p["targets"])),
        )
        for listed, default_type in ((policies_raw, SCP_TYPE), (rcps_raw, RCP_TYPE))
        for p in listed or []
    )
    enabled: tuple[str, ...] | None = None
    if roots and isinstance(roots[0].get("PolicyTypes"), list):
        enabled = tuple(sorted(str(t.get("Type")) for t in roots[0]["PolicyTypes"]
                               if t.get("Status") == "ENABLED"))
    return Organization(
        org_id=org.get("Id"),
        management_account_id=org.get("MasterAccountId") or org.get("ManagementAccountId"),
        root_id=roots[0]["Id"] if roots else None,
        accounts=accounts,
        units=units,
        policies=policies,
        # complete sets only: a type with a policy not read is never "all read"
        policies_read=policies_raw is not None and SCP_TYPE not in unread_types,
        rcps_read=rcps_raw is not None and RCP_TYPE not in unread_types,
        policy_types_enabled=enabled,
        unread_policies=unread,
    )


def active_account_ids(organization: Organization) -> tuple[str, ...]:
    return tuple(a.account_id for a in organization.accounts if a.status == "ACTIVE")
