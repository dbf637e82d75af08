"""Incremental collection: which secret policies may be carried from the last complete scan.

With ``--history``, a secret's resource policy is not read again (no ``GetResourcePolicy``, the
call that spends the 50-per-second bucket) when all of these hold:

* the last complete scan read it (not carried it, not failed to read it), at ``read_at``;
* tonight's ``ListSecrets`` lists the secret, and its ``LastChangedDate`` is older than
  ``read_at``. AWS documents LastChangedDate as "The last date and time that this secret was
  modified in any way" (Secrets Manager API Reference, DescribeSecret / SecretListEntry).
  Whether PutResourcePolicy moves it is not stated there, and moto 5.2.5 does not move it, so
  the two safeguards below bound how long a missed change can stay unseen;
* the policy was read fewer than ``full_refresh_days`` ago, and tonight is not the secret's
  refresh night: ``sha256(arn) mod days`` equal to the day number ``mod days``, so about
  1/days of the policies are re-read every night, spread evenly;
* the secret is not marked for re-read (the organization-scale stack's CloudTrail rule on
  PutResourcePolicy / DeleteResourcePolicy / UpdateSecret can feed ``force``).

A secret missing from tonight's ListSecrets is gone: nothing is carried for it, because
carrying happens only for secrets listed tonight. KMS key policies are always read: DescribeKey
and ListKeys carry no change marker for the key policy.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from typing import Any, Mapping

from scanner.model import Snapshot

DEFAULT_FULL_REFRESH_DAYS = 7
POLICY = "resource_policy"


def _parse(stamp: str | None) -> datetime.datetime | None:
    if not stamp:
        return None
    try:
        value = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def refresh_night(arn: str, day: datetime.date, days: int) -> bool:
    """Whether ``day`` is the night ``arn`` is re-read whatever its markers say."""
    if days <= 1:
        return True
    bucket = int.from_bytes(hashlib.sha256(arn.encode()).digest()[:8], "big") % days
    return bucket == day.toordinal() % days


@dataclass(frozen=True, kw_only=True)
class CarriedPolicy:
    policy: str | None
    read_at: str


@dataclass(frozen=True, kw_only=True)
class PolicyCarry:
    """The policies of the last complete scan that may be carried (picklable, for shards)."""

    policies: Mapping[str, CarriedPolicy] = field(default_factory=dict)
    full_refresh_days: int = DEFAULT_FULL_REFRESH_DAYS
    force: frozenset[str] = frozenset()  # ARNs to re-read whatever (CloudTrail markers)
    #: the moment tonight's decisions are made for (default: when each account-region is read)
    now: str | None = None

    def moment(self, default: datetime.datetime) -> datetime.datetime:
        return _parse(self.now) or default

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot, *,
                      full_refresh_days: int = DEFAULT_FULL_REFRESH_DAYS,
                      force: frozenset[str] = frozenset()) -> "PolicyCarry":
        """Only a complete scan's policies; only the ones it read itself (a carried value is
        never carried again, so each one traces to a read within ``full_refresh_days``)."""
        if not snapshot.complete:
            return cls(full_refresh_days=full_refresh_days, force=force)
        out: dict[str, CarriedPolicy] = {}
        for account in snapshot.accounts:
            for region in account.regions:
                for secret in region.secrets:
                    if secret.is_replica or POLICY in secret.unread or POLICY in secret.carried:
                        continue
                    read_at = secret.read_at.get(POLICY) or snapshot.meta.started_at
                    out[secret.arn] = CarriedPolicy(policy=secret.resource_policy,
                                                    read_at=read_at)
        return cls(policies=out, full_refresh_days=full_refresh_days, force=force)

    def reuse(self, entry: Mapping[str, Any], now: datetime.datetime) -> CarriedPolicy | None:
        """The carried policy for a ListSecrets entry, or None: read it tonight."""
        arn = str(entry.get("ARN"))
        previous = self.policies.get(arn)
        if previous is None or arn in self.force or self.full_refresh_days <= 1:
            return None
        read_at = _parse(previous.read_at)
        changed = entry.get("LastChangedDate")
        if isinstance(changed, str):
            changed = _parse(changed)
        if read_at is None or not isinstance(changed, datetime.datetime):
            return None  # no change marker: read
        if changed.tzinfo is None:
            changed = changed.replace(tzinfo=datetime.timezone.utc)
        if changed >= read_at:
            return None
        if now - read_at >= datetime.timedelta(days=self.full_refresh_days):
            return None
        if refresh_night(arn, now.date(), self.full_refresh_days):
            return None
        return previous
