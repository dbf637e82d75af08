"""Pure edits of a snapshot: the state a planned change leaves behind, without AWS.

Each remediator's ``apply_to_snapshot(change, snapshot) -> Snapshot`` uses these to say what its
change does, so a plan can be checked offline: apply it to the snapshot in memory, evaluate the
rules again, and the finding it fixes must be gone (tests/remediate/test_plan_fixes_offline.py).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, TypeVar

from scanner.model import AccountSnapshot, RegionSnapshot, Snapshot

T = TypeVar("T")


def _edit_regions(snapshot: Snapshot, account_id: str,
                  edit: Callable[[RegionSnapshot], RegionSnapshot]) -> Snapshot:
    accounts: list[AccountSnapshot] = []
    for acct in snapshot.accounts:
        if acct.account_id == account_id:
            acct = replace(acct, regions=tuple(edit(r) for r in acct.regions))
        accounts.append(acct)
    return replace(snapshot, accounts=tuple(accounts))


def replace_records(snapshot: Snapshot, account_id: str, field: str,
                    match: Callable[[Any], bool], **changes: Any) -> Snapshot:
    """The snapshot with every record of ``field`` (secrets, kms_keys, route_tables, ...) in the
    account that ``match`` accepts given ``changes``."""
    def edit(reg: RegionSnapshot) -> RegionSnapshot:
        records = getattr(reg, field)
        if not any(match(r) for r in records):
            return reg
        new: dict[str, Any] = {field: tuple(replace(r, **changes) if match(r) else r
                                            for r in records)}
        return replace(reg, **new)
    return _edit_regions(snapshot, account_id, edit)


def edit_records(snapshot: Snapshot, account_id: str, field: str, match: Callable[[Any], bool],
                 fn: Callable[[Any], Any]) -> Snapshot:
    """Like replace_records, with a function computing each matched record's new form."""
    def edit(reg: RegionSnapshot) -> RegionSnapshot:
        records = getattr(reg, field)
        if not any(match(r) for r in records):
            return reg
        new: dict[str, Any] = {field: tuple(fn(r) if match(r) else r for r in records)}
        return replace(reg, **new)
    return _edit_regions(snapshot, account_id, edit)


def add_records(snapshot: Snapshot, account_id: str, region: str, field: str,
                records: tuple[Any, ...]) -> Snapshot:
    """The snapshot with ``records`` appended to ``field`` of one account and region."""
    def edit(reg: RegionSnapshot) -> RegionSnapshot:
        if reg.region != region:
            return reg
        new: dict[str, Any] = {field: tuple(getattr(reg, field)) + records}
        return replace(reg, **new)
    return _edit_regions(snapshot, account_id, edit)


def set_secret_policy(snapshot: Snapshot, account_id: str, secret_arn: str,
                      text: str | None) -> Snapshot:
    return replace_records(snapshot, account_id, "secrets", lambda s: s.arn == secret_arn,
                           resource_policy=text)
