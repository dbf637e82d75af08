"""What the access analysis needs to know about the estate that is not in one policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from scanner.model import IN_ORGANIZATION, NOT_IN_ORGANIZATION, Snapshot
from scanner.policy.trust_zone import TrustZone, trust_zone

#: an account id that is never real: stands for "some principal outside everything we know"
OUTSIDER_ACCOUNT = "000000000000"


def _epoch(text: str | None) -> float | None:
    from datetime import datetime, timezone

    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessSettings:
    """``org_account_ids``: the accounts assumed to be in the organization ``org_id`` (its
    accounts, or the scanned accounts when it was not read): they get ``aws:PrincipalOrgID``.
    ``zone``: the trust zone (scanner/policy/trust_zone.py) -- who is "inside".
    ``allowed_external_accounts``: accounts outside it that may be granted access without being
    reported as unintended."""

    org_account_ids: frozenset[str] = frozenset()
    org_id: str | None = None
    management_account_id: str | None = None
    allowed_external_accounts: frozenset[str] = frozenset()
    zone: TrustZone | None = field(default=None)
    action: str = "secretsmanager:GetSecretValue"
    decrypt_action: str = "kms:Decrypt"
    #: also record paths that are DENIED without any gate allowing them (noise; off by default)
    record_denied: bool = False
    #: account -> its organization path ``o-id/r-root/ou-.../`` where its place in the
    #: organization is known (scanner.access.scp.org_paths): aws:ResourceOrgPaths of the
    #: secrets and keys of the account
    org_paths: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    #: when the scan started (epoch seconds): no request a verdict speaks of is earlier, so
    #: aws:CurrentTime / aws:EpochTime are at least this (None: not known)
    time_floor: float | None = None
    #: accounts known to be in no organization: the home account when the organization was
    #: not read and its DescribeOrganization answered "not in use" (OrgMembership ``none``).
    #: Their principals' requests carry no aws:PrincipalOrgID / aws:PrincipalOrgPaths
    #: (context.principal_context); any other account's membership is not known
    no_org_accounts: frozenset[str] = frozenset()
    #: (account, organization id) of the home account when the organization was not read and
    #: its DescribeOrganization named its organization (OrgMembership ``member``): its
    #: principals' requests carry that aws:PrincipalOrgID, its resources aws:ResourceOrgID
    #: (context.principal_context, context._resource_base); any other account's membership
    #: is not known
    home_org: tuple[str, str] | None = None
    #: the unique ids (IAM RoleId / UserId) of the principals the snapshot holds, all of
    #: scanned accounts: an aws:userid value naming one names a principal inside the zone
    #: (exposure.unknown_account_grants; ground-truth trial round 22)
    unique_ids: frozenset[str] = field(default=frozenset(), compare=False, hash=False)

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot, *,
                      allowed_external_accounts: frozenset[str] = frozenset(),
                      trusted_accounts: Iterable[str] = ()) -> "AccessSettings":
        from scanner.access.scp import org_paths

        org = snapshot.organization
        m = snapshot.org_membership
        zone = trust_zone(snapshot, trusted_accounts)
        org_id = (org.org_id if org else None) or snapshot.meta.org_id
        return cls(
            org_account_ids=zone.organization if zone.organization is not None
            else zone.scanned,
            org_id=org_id,
            management_account_id=org.management_account_id if org else None,
            allowed_external_accounts=frozenset(allowed_external_accounts),
            zone=zone,
            org_paths=org_paths(org, org_id),
            time_floor=_epoch(snapshot.meta.started_at),
            no_org_accounts=frozenset({m.account_id}) if org is None and m is not None
            and m.status == NOT_IN_ORGANIZATION else frozenset(),
            home_org=(m.account_id, m.org_id) if org is None and m is not None
            and m.status == IN_ORGANIZATION and m.org_id else None,
            unique_ids=frozenset(p.unique_id for acct in snapshot.accounts if acct.iam
                                 for p in acct.iam.principals if p.unique_id),
        )

    @property
    def trust_zone(self) -> TrustZone:
        """The zone; settings built by hand without one use ``org_account_ids``."""
        return self.zone if self.zone is not None else TrustZone.of(
            organization=None, scanned=self.org_account_ids)

    def in_org(self, account_id: str | None) -> bool:
        return account_id is not None and account_id in self.org_account_ids

    def in_zone(self, account_id: str | None, partition: str | None = None) -> bool:
        """``partition``: the principal's (None: the estate's; TrustZone.contains)."""
        if self.zone is not None:
            return self.zone.contains(account_id, partition)
        return account_id is not None and account_id in self.org_account_ids and \
            (partition is None or partition == self.trust_zone.partition)

    def allowed(self, account_id: str | None) -> bool:
        return self.in_zone(account_id) or (account_id in self.allowed_external_accounts)
