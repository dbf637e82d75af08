"""Make one snapshot input unread, the way the collectors record a denied call.

Each function takes a snapshot and returns a copy in which one input (as named by a rule's
``inputs:``) could not be read anywhere in the scan: the data is gone or marked ``unread``, and a
coverage entry says which call failed -- exactly what scanner/collectors/* produce when AWS
answers AccessDenied. tests/rules/test_rule_missing_inputs.py uses them to hold every rule to
"missing data never yields PASS".
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from scanner.collectors.kms import DESCRIBED_FIELDS
from scanner.model import (
    AccountSnapshot,
    CoverageEntry,
    KmsKey,
    Quota,
    RegionSnapshot,
    Secret,
    Snapshot,
)

GLOBAL = "global"


def _denied(account_id: str, region: str, service: str, operation: str,
            resource_arn: str | None = None) -> CoverageEntry:
    return CoverageEntry(account_id=account_id, region=region, service=service,
                         operation=operation, error_code="AccessDenied", error_kind="denied",
                         message=f"AccessDenied on {operation}", resource_arn=resource_arn)


def _per_region(snapshot: Snapshot,
                change: Callable[[AccountSnapshot, RegionSnapshot, list[CoverageEntry]],
                                 RegionSnapshot]) -> Snapshot:
    coverage = list(snapshot.coverage)
    accounts = []
    for acct in snapshot.accounts:
        if not acct.assumed:
            accounts.append(acct)
            continue
        regions = tuple(change(acct, reg, coverage) for reg in acct.regions)
        accounts.append(replace(acct, regions=regions))
    return replace(snapshot, accounts=tuple(accounts), coverage=tuple(coverage))


def _listing_failed(service: str, operation: str, fields: tuple[str, ...]
                    ) -> Callable[[Snapshot], Snapshot]:
    def apply(snapshot: Snapshot) -> Snapshot:
        def change(acct: AccountSnapshot, reg: RegionSnapshot,
                   coverage: list[CoverageEntry]) -> RegionSnapshot:
            coverage.append(_denied(acct.account_id, reg.region, service, operation))
            cleared = {f: () for f in fields}
            return replace(reg, unread_services=tuple(sorted({*reg.unread_services, service})),
                           **cleared)  # type: ignore[arg-type]
        return _per_region(snapshot, change)
    return apply


def _per_record(attr: str, service: str, operation: str,
                edit: Callable[[object], object | None]) -> Callable[[Snapshot], Snapshot]:
    """Apply ``edit`` to every record in ``RegionSnapshot.<attr>``; it returns the changed record,
    or None to leave one alone. Each changed record gets a coverage entry of its own."""
    def apply(snapshot: Snapshot) -> Snapshot:
        def change(acct: AccountSnapshot, reg: RegionSnapshot,
                   coverage: list[CoverageEntry]) -> RegionSnapshot:
            records = []
            for rec in getattr(reg, attr):
                edited = edit(rec)
                if edited is not None:
                    coverage.append(_denied(acct.account_id, reg.region, service, operation,
                                            getattr(rec, "arn", None)))
                records.append(edited if edited is not None else rec)
            return replace(reg, **{attr: tuple(records)})  # type: ignore[arg-type]
        return _per_region(snapshot, change)
    return apply


def _unread(record: Secret | KmsKey, *fields: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*record.unread, *fields)))


def _secret_policy(s: object) -> object | None:
    assert isinstance(s, Secret)
    if s.is_replica:
        return None
    return replace(s, resource_policy=None, unread=_unread(s, "resource_policy"))


def _replication(s: object) -> object | None:
    assert isinstance(s, Secret)
    if s.is_replica or not s.replicas:  # DescribeSecret is read for replicated primaries
        return None
    return replace(s, replicas=None, unread=_unread(s, "replicas"))


def _customer_key(k: object) -> bool:
    return isinstance(k, KmsKey) and k.key_manager != "AWS"


def _key_metadata(k: object) -> object | None:
    if not _customer_key(k):
        return None
    assert isinstance(k, KmsKey)
    return KmsKey(arn=k.arn, key_id=k.key_id, account_id=k.account_id, region=k.region,
                  aliases=k.aliases,
                  unread=_unread(k, *DESCRIBED_FIELDS))


def _key_policy(k: object) -> object | None:
    if not _customer_key(k):
        return None
    assert isinstance(k, KmsKey)
    return replace(k, policy=None, unread=_unread(k, "policy"))


def _key_grants(k: object) -> object | None:
    if not _customer_key(k):
        return None
    assert isinstance(k, KmsKey)
    return replace(k, grants=None, unread=_unread(k, "grants"))


def _key_rotation(k: object) -> object | None:
    if not _customer_key(k):
        return None
    assert isinstance(k, KmsKey)
    return replace(k, rotation_enabled=None, rotation_period_days=None,
                   unread=_unread(k, "rotation_enabled"))


def _iam(snapshot: Snapshot) -> Snapshot:
    coverage = list(snapshot.coverage)
    accounts = []
    for acct in snapshot.accounts:
        if acct.assumed:
            coverage.append(_denied(acct.account_id, GLOBAL, "iam",
                                    "GetAccountAuthorizationDetails"))
            acct = replace(acct, iam=None)
        accounts.append(acct)
    return replace(snapshot, accounts=tuple(accounts), coverage=tuple(coverage))


def _organizations(snapshot: Snapshot) -> Snapshot:
    """The organization could be described but its control policies could not be listed."""
    org = snapshot.organization
    if org is None:
        return snapshot
    management = org.management_account_id or snapshot.meta.central_account or ""
    coverage = (*snapshot.coverage,
                _denied(management, GLOBAL, "organizations", "ListPoliciesForTarget"))
    return replace(snapshot, organization=replace(org, policies=(), policies_read=False),
                   coverage=coverage)


def _quota_denied(snapshot: Snapshot) -> Snapshot:
    """GetServiceQuota denied: the collector keeps the documented default, marked as such, and
    the service as unread (scanner/collectors/quotas.py)."""
    def change(acct: AccountSnapshot, reg: RegionSnapshot,
               coverage: list[CoverageEntry]) -> RegionSnapshot:
        coverage.append(_denied(acct.account_id, reg.region, "service-quotas",
                                "GetServiceQuota"))
        default = Quota(code="L-7E9ECCDB", value=50.0, source="default",
                        note="Service Quotas could not be read")
        return replace(reg, quotas=(default,), unread_services=tuple(sorted(
            {*reg.unread_services, "service-quotas"})))
    return _per_region(snapshot, change)


#: input name (rule.schema.json ``inputs``) -> the snapshot with that input unread everywhere
MAKE_UNREAD: dict[str, Callable[[Snapshot], Snapshot]] = {
    "secrets": _listing_failed("secretsmanager", "ListSecrets", ("secrets",)),
    "secret_policy": _per_record("secrets", "secretsmanager", "GetResourcePolicy",
                                 _secret_policy),
    "replication": _per_record("secrets", "secretsmanager", "DescribeSecret", _replication),
    "kms": _listing_failed("kms", "ListKeys", ("kms_keys",)),
    "key_metadata": _per_record("kms_keys", "kms", "DescribeKey", _key_metadata),
    "key_policy": _per_record("kms_keys", "kms", "GetKeyPolicy", _key_policy),
    "key_grants": _per_record("kms_keys", "kms", "ListGrants", _key_grants),
    "key_rotation": _per_record("kms_keys", "kms", "GetKeyRotationStatus", _key_rotation),
    "iam": _iam,
    "organizations": _organizations,
    "ec2": _listing_failed("ec2", "DescribeVpcs", (
        "vpcs", "subnets", "route_tables", "peerings", "security_groups", "vpc_endpoints",
        "nat_gateways")),
    "lambda": _listing_failed("lambda", "ListFunctions", ("lambda_functions",)),
    "quotas": _quota_denied,
}
