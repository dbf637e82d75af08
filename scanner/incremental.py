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
  refresh night: ``sha256(arn) mod days`` (its first 8 bytes, big-endian) equal to the day's
  ordinal (``date.toordinal()``) ``mod days``, so about 1/days of the policies are re-read
  every night, spread evenly;
* the secret has no re-read mark at or after ``read_at`` (``marks``: the history store's
  ReReadMark records, written by ``remediate --apply`` for what it changed and, in the
  organization-scale stack, from the CloudTrail rule on PutResourcePolicy /
  DeleteResourcePolicy / UpdateSecret), and is not in ``force``.

A mark names a secret by ARN, partial ARN or name (CloudTrail's ``secretId`` is what the caller
passed), so it is matched on the ARN and on (account, Region, name); matching too much only
costs a read.

A secret missing from tonight's ListSecrets is gone: nothing is carried for it, because
carrying happens only for secrets listed tonight. KMS key policies are always read: DescribeKey
and ListKeys carry no change marker for the key policy.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Collection, Iterable, Mapping

from scanner.model import Snapshot
from scanner.policy.arn import parse_arn

if TYPE_CHECKING:
    from scanner.history.records import HistoryStore, ReReadMark

DEFAULT_FULL_REFRESH_DAYS = 7
#: the longest --full-refresh-days / SECRETGRAPH_FULL_REFRESH_DAYS: a policy carried longer
#: than ten years is no evidence of tonight's, and 1,000,000,000 overflowed timedelta in every
#: account's collection (bad-input trial round 1)
MAX_FULL_REFRESH_DAYS = 3650
POLICY = "resource_policy"
CARRY_FORMAT = "secretgraph-carry"
#: the random suffix Secrets Manager appends to a secret's name in its ARN
_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")


def mark_keys(resource: str, account_id: str | None = None,
              region: str | None = None) -> frozenset[str]:
    """The keys a re-read mark of ``resource`` (ARN, partial ARN or name) is found under: the
    ARN itself, and ``name:<account>:<region>:<name>`` with and without an ARN's suffix."""
    keys = {resource}
    arn = parse_arn(resource)
    if arn is not None:
        account_id, region = arn.account or account_id, arn.region or region
        kind, _, name = arn.resource.partition(":")
        if kind != "secret" or not name:
            return frozenset(keys)
        names = {name, _SUFFIX.sub("", name)}
    else:
        names = {resource}
    if account_id and region:
        keys.update(f"name:{account_id}:{region}:{n}" for n in names)
    return frozenset(keys)


def _mark_account(key: str) -> str | None:
    """The account a mark key belongs to (None for a key that names none)."""
    if key.startswith("name:"):
        return key[len("name:"):].partition(":")[0] or None
    arn = parse_arn(key)
    return arn.account if arn is not None and arn.account else None


def _entry_keys(entry: Mapping[str, Any]) -> tuple[str, ...]:
    arn = str(entry.get("ARN"))
    parsed = parse_arn(arn)
    name = entry.get("Name")
    if parsed is None or not name:
        return (arn,)
    return (arn, f"name:{parsed.account}:{parsed.region}:{name}")


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


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
    force: frozenset[str] = frozenset()  # ARNs to re-read whatever
    #: re-read marks: mark key (mark_keys) -> the latest moment it was marked (ISO 8601)
    marks: Mapping[str, str] = field(default_factory=dict)
    #: the moment tonight's decisions are made for (default: when each account-region is read)
    now: str | None = None

    def with_marks(self, marks: Iterable["ReReadMark"]) -> "PolicyCarry":
        """This carry with ``marks`` added (a policy read before its mark is read again)."""
        merged = dict(self.marks)
        for mark in marks:
            at = _parse(mark.marked_at)
            if at is None:
                continue
            for key in mark_keys(mark.resource, mark.account_id, mark.region):
                old = _parse(merged.get(key))
                if old is None or at > old:
                    merged[key] = at.isoformat()
        return replace(self, marks=merged)

    def for_accounts(self, accounts: Collection[str]) -> "PolicyCarry":
        """Only the policies and marks of ``accounts`` (a shard's, a batch's)."""
        wanted = set(accounts)
        return replace(self, policies={
            arn: p for arn, p in self.policies.items()
            if (parsed := parse_arn(arn)) is not None and parsed.account in wanted},
            marks={k: at for k, at in self.marks.items() if _mark_account(k) in wanted})

    def by_account(self, accounts: Collection[str]) -> dict[str, "PolicyCarry"]:
        """``for_accounts((a,))`` for each of ``accounts``, in one pass over the policies."""
        grouped: dict[str, dict[str, CarriedPolicy]] = {a: {} for a in accounts}
        for arn, carried in self.policies.items():
            parsed = parse_arn(arn)
            if parsed is not None and parsed.account in grouped:
                grouped[parsed.account][arn] = carried
        marks: dict[str, dict[str, str]] = {a: {} for a in accounts}
        for key, at in self.marks.items():
            account = _mark_account(key)
            if account in marks:
                marks[account][key] = at
        return {a: replace(self, policies=p, marks=marks[a]) for a, p in grouped.items()}

    def to_bytes(self) -> bytes:
        """Gzipped JSON (the organization-scale workflow hands it to its collectors)."""
        doc = {"format": CARRY_FORMAT, "full_refresh_days": self.full_refresh_days,
               "force": sorted(self.force), "marks": dict(sorted(self.marks.items())),
               "now": self.now,
               "policies": {arn: {"policy": p.policy, "read_at": p.read_at}
                            for arn, p in sorted(self.policies.items())}}
        return gzip.compress(json.dumps(doc, separators=(",", ":")).encode(), mtime=0)

    @classmethod
    def from_bytes(cls, data: bytes, *, where: str) -> "PolicyCarry":
        from scanner.errors import InputError

        try:
            doc = json.loads(gzip.decompress(data))
            if doc.get("format") != CARRY_FORMAT:
                raise ValueError("not a secretgraph carry file")
            return cls(
                policies={str(arn): CarriedPolicy(policy=p.get("policy"),
                                                  read_at=str(p["read_at"]))
                          for arn, p in (doc.get("policies") or {}).items()},
                full_refresh_days=int(doc.get("full_refresh_days") or
                                      DEFAULT_FULL_REFRESH_DAYS),
                force=frozenset(str(a) for a in doc.get("force") or ()),
                marks={str(k): str(v) for k, v in (doc.get("marks") or {}).items()},
                now=doc.get("now") or None)
        except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"damaged carry file ({exc})", path=where) from None

    def merged(self, other: "PolicyCarry") -> "PolicyCarry":
        """Two accounts' carries as one (their policies never overlap)."""
        marks = dict(self.marks)
        for key, at in other.marks.items():
            if key not in marks or (_parse(at) or _EPOCH) > (_parse(marks[key]) or _EPOCH):
                marks[key] = at
        return replace(self, policies={**self.policies, **other.policies},
                       force=self.force | other.force, marks=marks)

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
        if read_at is not None and self.marks:
            for key in _entry_keys(entry):
                marked = _parse(self.marks.get(key))
                if marked is not None and marked >= read_at:
                    return None  # changed (or may have) since it was read
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


def load_carry(store: "HistoryStore", *, full_refresh_days: int = DEFAULT_FULL_REFRESH_DAYS,
               previous: Snapshot | None = None) -> PolicyCarry:
    """What incremental collection may carry from a history store: the policies of its last
    complete scan (``previous`` when the caller loaded it already), with the store's re-read
    marks. An empty history carries nothing (every policy is read)."""
    if previous is None:
        record = store.latest_complete(before=None)
        if record is None:
            return PolicyCarry(full_refresh_days=full_refresh_days)
        previous = store.load_snapshot(record.scan_id)
    carry = PolicyCarry.from_snapshot(previous, full_refresh_days=full_refresh_days)
    if not carry.policies:
        return carry
    oldest = min((_parse(p.read_at) or _EPOCH) for p in carry.policies.values())
    # a mark older than every carried read cannot matter; a day's slack for clock formats
    since = (oldest - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    return carry.with_marks(store.reread_marks(since=since))


def stamp(moment: datetime.datetime | None = None) -> str:
    """A mark's time: ISO 8601 UTC with microseconds (sorts as text)."""
    moment = moment or datetime.datetime.now(datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
