"""What the access analysis needs to know about the estate that is not in one policy."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.model import Snapshot

#: an account id that is never real: stands for "some principal outside everything we know"
OUTSIDER_ACCOUNT = "000000000000"


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessSettings:
    """``org_account_ids``: the zone of trust (the organization's accounts, or the scanned
    accounts when there is no organization). ``allowed_external_accounts``: accounts outside it
    that may be granted access without being reported as unintended."""

    org_account_ids: frozenset[str] = frozenset()
    org_id: str | None = None
    management_account_id: str | None = None
    allowed_external_accounts: frozenset[str] = frozenset()
    action: str = "secretsmanager:GetSecretValue"
    decrypt_action: str = "kms:Decrypt"
    #: also record paths that are DENIED without any gate allowing them (noise; off by default)
    record_denied: bool = False

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot, *,
                      allowed_external_accounts: frozenset[str] = frozenset()) -> "AccessSettings":
        org = snapshot.organization
        accounts = frozenset(a.account_id for a in org.accounts) if org and org.accounts else \
            frozenset(snapshot.meta.accounts) | frozenset(a.account_id for a in snapshot.accounts)
        return cls(
            org_account_ids=accounts,
            org_id=(org.org_id if org else None) or snapshot.meta.org_id,
            management_account_id=org.management_account_id if org else None,
            allowed_external_accounts=frozenset(allowed_external_accounts),
        )

    def in_zone(self, account_id: str | None) -> bool:
        return account_id is not None and account_id in self.org_account_ids

    def allowed(self, account_id: str | None) -> bool:
        return self.in_zone(account_id) or (account_id in self.allowed_external_accounts)
