"""IAM: GetAccountAuthorizationDetails (paginated, 1,000 per page) -- roles, users, groups,
inline policies, managed policies (default version document) and permission boundaries.

Customer-managed policies are all kept; AWS-managed policies only when something in the account
attaches them or uses them as a boundary.
"""

from __future__ import annotations

from typing import Any, Mapping

from botocore.exceptions import PaginationError

from scanner.collectors import base
from scanner.collectors.base import Recorder, check_items, policy_document, tag_map
from scanner.model import IamGroup, IamPrincipal, IamSnapshot, ManagedPolicy
from scanner.policy.arn import arn_account

SERVICE = "iam"

OPERATIONS: dict[str, str] = {
    "GetAccountAuthorizationDetails": "iam:GetAccountAuthorizationDetails",
}

#: the lists of an answer -> the fields every entry of it has
_LIST_KEYS: dict[str, tuple[str, ...]] = {
    "UserDetailList": ("Arn", "UserName"),
    "GroupDetailList": ("Arn", "GroupName"),
    "RoleDetailList": ("Arn", "RoleName"),
    "Policies": ("Arn",),
}
OPERATION = "GetAccountAuthorizationDetails"


#: the lists inside an entry -> the field each of their items has
_PART_KEYS: dict[str, str] = {
    "RolePolicyList": "PolicyName", "UserPolicyList": "PolicyName",
    "GroupPolicyList": "PolicyName", "AttachedManagedPolicies": "PolicyArn",
}


def _check_parts(item: Mapping[str, Any]) -> None:
    """UnexpectedAnswer for an inline policy without its name, an attached policy without its
    ARN, or a permissions boundary without its ARN: AWS always sends them. The first was a
    KeyError that failed the IAM collector as a crash; the other two were left out without a
    word -- a role's attached policy, or its boundary, gone from every access verdict
    (fault-injection trial round 25). So is a role's or user's tag without its value
    (``base.tags_problem``): read as ``""`` (round 26)."""
    for key, field in _PART_KEYS.items():
        if item.get(key) is not None:
            check_items(OPERATION, f"{key} of {item.get('Arn')}", item.get(key), (field,))
    why = base.tags_problem(item.get("Tags"))
    if why is not None:  # read as "": aws:PrincipalTag conditions judged on it (round 26)
        raise base.unexpected(OPERATION, f"{why} on {item.get('Arn')}")
    boundary = item.get("PermissionsBoundary")
    if boundary is not None and not (isinstance(boundary, Mapping)
                                     and boundary.get("PermissionsBoundaryArn")):
        raise base.unexpected(OPERATION, f"the PermissionsBoundary of {item.get('Arn')} "
                                         "without PermissionsBoundaryArn")


def fetch_authorization(client: Any, rec: Recorder) -> dict[str, Any]:
    def read() -> dict[str, list[Any]]:
        merged = {key: base.Entries("Arn") for key in _LIST_KEYS}
        paginator = client.get_paginator("get_account_authorization_details")
        loop = base.TokenLoop(OPERATION, paginator)
        for number, page in enumerate(paginator.paginate(PaginationConfig={"PageSize": 1000}),
                                      start=1):
            if number > base.MAX_PAGES:
                raise PaginationError(message=f"{OPERATION} still answered a next page after "
                                              f"{base.MAX_PAGES:,} pages; the listing was "
                                              "given up")
            # IAM answers in XML, where an element with no entries may be left out: a page
            # without some of the four lists holds none of those (botocore's own paginator
            # reads a missing result key as empty); a page with none of them is no answer
            if not any(page.get(key) is not None for key in _LIST_KEYS):
                raise base.unexpected(OPERATION, f"without any of {', '.join(_LIST_KEYS)}")
            entries = new = 0
            for key, required in _LIST_KEYS.items():
                if key in page:
                    items = check_items(OPERATION, key, page.get(key), required)
                    for item in items:
                        _check_parts(item)
                    entries += len(items)
                    new += merged[key].add(items)
            base.check_next(OPERATION, paginator, page)
            loop.check(number, page, entries=entries, new=new)
        return {key: listed.items() for key, listed in merged.items()}

    details, _ = rec.attempt("GetAccountAuthorizationDetails", read)
    return {"details": details}


# --------------------------------------------------------------------------- pure transforms


def _inline(items: Any) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for item in items or []:
        document = policy_document(item.get("PolicyDocument"))
        out[str(item["PolicyName"])] = document or {}
    return out


def _attached(items: Any) -> tuple[str, ...]:
    return tuple(sorted(str(a["PolicyArn"]) for a in items or [] if a.get("PolicyArn")))


def _boundary(item: Mapping[str, Any]) -> str | None:
    why = base.tags_problem(item.get("Tags"))
    if why is not None:  # read as "": aws:PrincipalTag conditions judged on it (round 26)
        raise base.unexpected(OPERATION, f"{why} on {item.get('Arn')}")
    boundary = item.get("PermissionsBoundary") or {}
    arn = boundary.get("PermissionsBoundaryArn")
    return str(arn) if arn else None


def _policy_account(arn: str) -> str:
    return arn_account(arn) or ""


def transform_authorization(raw: Mapping[str, Any], *, account_id: str) -> IamSnapshot | None:
    details = raw.get("details")
    if details is None:
        return None
    principals: list[IamPrincipal] = []
    used: set[str] = set()
    for role in details.get("RoleDetailList", []):
        principal = IamPrincipal(
            arn=role["Arn"],
            name=role["RoleName"],
            account_id=account_id,
            principal_type="role",
            path=role.get("Path", "/"),
            trust_policy=policy_document(role.get("AssumeRolePolicyDocument")),
            inline_policies=_inline(role.get("RolePolicyList")),
            attached_policy_arns=_attached(role.get("AttachedManagedPolicies")),
            permissions_boundary_arn=_boundary(role),
            tags=tag_map(role.get("Tags")),
            unique_id=role.get("RoleId") or None,
        )
        principals.append(principal)
    for user in details.get("UserDetailList", []):
        principals.append(
            IamPrincipal(
                arn=user["Arn"],
                name=user["UserName"],
                account_id=account_id,
                principal_type="user",
                path=user.get("Path", "/"),
                inline_policies=_inline(user.get("UserPolicyList")),
                attached_policy_arns=_attached(user.get("AttachedManagedPolicies")),
                permissions_boundary_arn=_boundary(user),
                group_names=tuple(sorted(user.get("GroupList") or ())),
                tags=tag_map(user.get("Tags")),
                unique_id=user.get("UserId") or None,
            )
        )
    groups = [
        IamGroup(
            arn=group["Arn"],
            name=group["GroupName"],
            account_id=account_id,
            inline_policies=_inline(group.get("GroupPolicyList")),
            attached_policy_arns=_attached(group.get("AttachedManagedPolicies")),
        )
        for group in details.get("GroupDetailList", [])
    ]
    for principal in principals:
        used.update(principal.attached_policy_arns)
        if principal.permissions_boundary_arn:
            used.add(principal.permissions_boundary_arn)
    for group in groups:
        used.update(group.attached_policy_arns)
    policies = []
    for policy in details.get("Policies", []):
        arn = str(policy["Arn"])
        owner = _policy_account(arn)
        aws_managed = owner == "aws"
        if aws_managed and arn not in used and not policy.get("AttachmentCount"):
            continue
        default = next(
            (v for v in policy.get("PolicyVersionList") or [] if v.get("IsDefaultVersion")), None
        )
        policies.append(
            ManagedPolicy(
                arn=arn,
                name=str(policy.get("PolicyName", "")),
                account_id="aws" if aws_managed else owner or account_id,
                document=policy_document(default.get("Document")) if default else None,
                aws_managed=aws_managed,
            )
        )
    return IamSnapshot(
        principals=tuple(sorted(principals, key=lambda p: p.arn)),
        groups=tuple(sorted(groups, key=lambda g: g.arn)),
        policies=tuple(sorted(policies, key=lambda p: p.arn)),
    )
