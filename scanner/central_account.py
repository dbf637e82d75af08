"""Which scanned account is the central one (docs/collection.md, "Central-account inference"):
the figures each account's secrets give (``AccountStats``, carried by a snapshot part at
organization scale), and the one choice of `scan` and `scan --from-parts`
(``choose_central_account``). Pure: the collectors' results in, a choice out."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from scanner.collectors import secretsmanager
from scanner.errors import UsageError
from scanner.model import CoverageEntry, RegionSnapshot, Secret
from scanner.policy.arn import is_account_id, principal_account
from scanner.policy.exposure import everyone
from scanner.policy.narrowing import RESOURCE_ACCOUNT, confined_accounts
from scanner.policy.parse import parse_policy_text



def policy_grant_accounts(policy: str | None) -> set[str]:
    """Account ids named by the AWS principals of Allow statements of a resource policy (an
    account id, an IAM or STS ARN: scanner.policy.arn.principal_account, the one reading of a
    principal's account), read with the one policy parser; a policy it cannot read names
    none."""
    if not policy:
        return set()
    parsed = parse_policy_text(policy)
    return {acct for st in parsed.statements
            if st.effect == "Allow" and st.principal is not None
            for acct in map(principal_account, st.principal.aws) if acct is not None}


def shared_with_other_accounts(policy: str | None, own_account: str) -> bool:
    """Whether a secret's resource policy allows principals of another account than its own
    (``own_account``), the inference's "shared": an Allow naming one (``policy_grant_accounts``),
    or an Allow to everyone (Principal ``*``, NotPrincipal: scanner.policy.exposure.everyone)
    that its conditions do not confine to the secret's own account
    (scanner.policy.narrowing.confined_accounts). A ``*`` narrowed to the organization
    (aws:PrincipalOrgID), to OU paths (aws:PrincipalOrgPaths) or by principal tags lets the
    principals of other accounts in as much as a role named by its ARN does: IAM User Guide,
    aws:PrincipalOrgID, "Use this key to compare the identifier of the organization in AWS
    Organizations to which the requesting principal belongs with the identifier specified in
    the policy" -- the common way to share a central secret. Ground-truth trial round 29: a
    security account sharing its secrets that way counted none shared, and a member sharing
    two by role ARN was inferred central (suppression-expired findings went to its Security
    Hub)."""
    if policy_grant_accounts(policy) - {own_account}:
        return True
    if not policy:
        return False
    for st in parse_policy_text(policy).statements:
        if st.effect != "Allow" or not everyone(st):
            continue
        confined = confined_accounts(st)
        if confined is None or {acct for _, acct in confined} - {own_account, RESOURCE_ACCOUNT}:
            return True
    return False


@dataclass(frozen=True, kw_only=True)
class AccountStats:
    """What central-account inference looks at (per account, summed over regions)."""

    secrets: int = 0  # primary secrets
    cmk_secrets: int = 0  # primaries encrypted with a customer-managed key (KmsKeyId set)
    #: primaries whose policy grants principals of another account (shared_with_other_accounts)
    shared_secrets: int = 0
    #: primaries whose resource policy was not read: each may or may not be shared
    policies_unread: int = 0
    #: scanned Regions whose Secrets Manager listing was not read (1 for an account not read
    #: at all: role not assumed, collection crashed, part missing): its figures are unknown
    listings_unread: int = 0

    def plus(self, other: "AccountStats") -> "AccountStats":
        return AccountStats(secrets=self.secrets + other.secrets,
                            cmk_secrets=self.cmk_secrets + other.cmk_secrets,
                            shared_secrets=self.shared_secrets + other.shared_secrets,
                            policies_unread=self.policies_unread + other.policies_unread,
                            listings_unread=self.listings_unread + other.listings_unread)

    def to_json(self) -> dict[str, int]:
        """The figures a snapshot part carries (scanner.shards; whole numbers only)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "AccountStats":
        """From a part's ``stats``; a part written before ``policies_unread`` and
        ``listings_unread`` existed reads as fully read (nothing else is known of it)."""
        return cls(**{f.name: int(data.get(f.name, 0)) for f in dataclasses.fields(cls)})


#: A listing refused because the Region is not enabled for the account is not an unknown one:
#: "The act of disabling a Region will remove all IAM access to any resources that reside in
#: that Region" (AWS Account Management API Reference, DisableRegion), and an opt-in Region
#: never enabled holds nothing ("you must enable it before you can create and manage
#: resources", AWS General Reference, Managing AWS Regions): no principal reads a secret there.
_LISTING_EMPTY_KINDS = frozenset({"region_disabled"})


def listing_unread(region: RegionSnapshot, coverage: Iterable[CoverageEntry]) -> bool:
    """Whether the Secrets Manager listing of one account-Region is unknown: it failed (a page
    of it: the collector keeps no partial listing) for another reason than a disabled
    Region."""
    if secretsmanager.SERVICE not in region.unread_services:
        return False
    kinds = {c.error_kind for c in coverage if c.service == secretsmanager.SERVICE
             and c.operation != "GetResourcePolicy"}
    return not kinds or not kinds <= _LISTING_EMPTY_KINDS


def region_stats(secrets: Iterable[Secret], *, listing_read: bool = True) -> AccountStats:
    if not listing_read:
        return AccountStats(listings_unread=1)
    primaries = [s for s in secrets if not s.is_replica]
    return AccountStats(
        secrets=len(primaries),
        cmk_secrets=sum(1 for s in primaries if s.kms_key_id),
        shared_secrets=sum(
            1 for s in primaries if shared_with_other_accounts(s.resource_policy, s.account_id)
        ),
        policies_unread=sum(1 for s in primaries if "resource_policy" in s.unread),
    )


#: an account not read at all (not assumed, crashed, no part): its figures are unknown
UNREAD_ACCOUNT = AccountStats(listings_unread=1)


@dataclass(frozen=True, kw_only=True)
class CentralChoice:
    """The scan's central account and how it was chosen: ``flag`` (--central-account),
    ``inferred``, ``none`` (no scanned account holds a secret, every listing read) or
    ``withheld`` (an account whose secrets were not all read could have won: no central
    account; ``reason`` says which)."""

    account: str | None
    source: str
    reason: str | None = None


def _best_case(item: tuple[str, AccountStats]) -> tuple[float, float, float, str]:
    """The most an account's figures could be, as an inference key (lower wins)."""
    account, s = item
    if s.listings_unread:
        return (float("-inf"), float("-inf"), float("-inf"), "")
    return (-(s.shared_secrets + s.policies_unread), -s.cmk_secrets, -s.secrets, account)


def _worst_case(item: tuple[str, AccountStats]) -> tuple[float, float, float, str]:
    account, s = item
    return (-s.shared_secrets, -s.cmk_secrets, -s.secrets, account)


def check_central_account(account: str) -> None:
    """A UsageError when ``--central-account`` is not a 12-digit account id (a scan of AWS and
    `scan --snapshot` alike)."""
    if not is_account_id(account):
        raise UsageError(f"malformed --central-account {account!r}: expected 12 digits")


def choose_central_account(stats: Mapping[str, AccountStats], *, accounts: Iterable[str],
                           flag: str | None = None) -> CentralChoice:
    """The one central-account choice of `scan` and `scan --from-parts` (docs/collection.md,
    Central-account inference): the account that holds the most secrets shared with other
    accounts' principals; ties go to the most CMK-encrypted secrets, then the most secrets,
    then the lowest account id; never an account with no secret.

    ``accounts`` are the scanned accounts; one without ``stats`` was not read. The choice is
    withheld when an account whose listing or policies were not read could have won (fault
    trial round 3: a throttled central listing made a member "central", and `export
    securityhub --mode central` sent every finding there)."""
    if flag:
        return CentralChoice(account=flag, source="flag")
    everything = {a: stats.get(a, UNREAD_ACCOUNT) for a in accounts}
    everything.update({a: s for a, s in stats.items() if a not in everything})
    candidates = [(a, s) for a, s in everything.items() if s.secrets > 0]
    best = min(candidates, key=_worst_case) if candidates else None
    rivals = [(a, s) for a, s in sorted(everything.items())
              if (s.listings_unread or s.policies_unread) and (best is None or a != best[0])
              and (best is None or _best_case((a, s)) < _worst_case(best))]
    if rivals:
        unread = [a for a, s in rivals if s.listings_unread]
        if unread:
            what = (f"the Secrets Manager listing of {_some(unread)} was not read "
                    "(docs/collection.md)")
        else:
            what = (f"resource policies of {_some([a for a, _ in rivals])} were not read "
                    "(docs/collection.md)")
        return CentralChoice(account=None, source="withheld",
                             reason=f"central-account inference withheld: {what}; name it "
                                    "with --central-account")
    if best is None:
        return CentralChoice(account=None, source="none")
    return CentralChoice(account=best[0], source="inferred")


def _some(accounts: list[str]) -> str:
    shown = ", ".join(accounts[:3])
    more = len(accounts) - 3
    return (f"account {shown}" if len(accounts) == 1 else
            f"accounts {shown}" + (f" and {more} more" if more > 0 else ""))


def infer_central_account(stats: Mapping[str, AccountStats]) -> str | None:
    """The inferred central account of ``stats`` (every account in it scanned), or None when
    there is none or it is withheld (choose_central_account)."""
    return choose_central_account(stats, accounts=stats).account
