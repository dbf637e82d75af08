"""Which recorded scan is "the previous scan" of a scan: the newest complete one whose scope
covers it.

A scan run with a narrower scope -- ``--regions`` or ``--accounts`` leaving out what the other
covers, ``--severity``, ``--rules``, ``--exclude-rules`` or ``--compliance`` -- says nothing
about what it left out. Taken as the previous scan, it made every long-standing finding
outside its scope "new" again the next full night, and moved its ``first_seen`` (so Security
Hub's CreatedAt) to that night (new-user trial round 8). So, like an incomplete night, such a
scan is passed over: the previous scan is the newest complete scan whose scope covers tonight's,
and the scans after it (the narrower ones, an incomplete one) carry ``first_seen`` as the
newest incomplete scan always did.

What a scan covers is read from its record (accounts and Regions) and, for the scans whose
record covers, from its findings document (``scan.scope``: severities and rule selection; and
``scan.rules``). Accounts and Regions that none of the complete scans looked at (an account
that joined the organization since, a Region added tonight) are not asked for: no earlier scan
could cover them. The walk looks back over at most ``LOOK_BACK`` complete scans (reading at most
``DOCUMENTS_READ`` findings documents); when none of them covers, the newest complete scan is
the previous one, as before.

The one choice for the nightly scan (drift and ``first_seen``), ``secretgraph diff`` without ids,
and the deployment's late notifications.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from scanner.history.records import ScanRecord

#: complete scans looked back over for one that covers (a month of nights)
LOOK_BACK = 31
#: findings documents read, at most, to find one whose severities and rules cover (each is
#: the whole document of a scan: hundreds of MB at organization scale)
DOCUMENTS_READ = 4


@dataclass(frozen=True, kw_only=True, slots=True)
class ScanScope:
    """What a scan looked at and reported."""

    accounts: frozenset[str]
    regions: frozenset[str]
    #: the only severities it reported (--severity); None: all
    severities: frozenset[str] | None = None
    #: the rules it evaluated (``scan.rules``); None: not recorded
    rules: frozenset[str] | None = None
    #: whether --rules, --exclude-rules or --compliance chose its rules
    rules_chosen: bool = False


def document_scope(document: Mapping[str, Any]) -> ScanScope:
    """A scan's scope from its findings document (``scan``: accounts, regions, rules,
    scope)."""
    scan = document.get("scan") or {}
    scope = scan.get("scope") or {}
    severities = scope.get("severities") if isinstance(scope, Mapping) else None
    rules = scan.get("rules")
    return ScanScope(
        accounts=frozenset(str(a) for a in scan.get("accounts") or ()),
        regions=frozenset(str(r) for r in scan.get("regions") or ()),
        severities=frozenset(str(s).upper() for s in severities)
        if isinstance(severities, list) and severities else None,
        rules=frozenset(str(r) for r in rules) if isinstance(rules, list) else None,
        rules_chosen=isinstance(scope, Mapping) and any(
            scope.get(k) for k in ("include", "exclude", "compliance")))


def left_out_by_record(record: ScanRecord, tonight: ScanScope) -> str | None:
    """What of ``tonight``'s accounts and Regions the recorded scan did not look at, or
    None."""
    accounts = sorted(tonight.accounts - set(record.accounts))
    if accounts:
        return f"it did not scan account(s) {', '.join(accounts[:3])}" + \
            (f" and {len(accounts) - 3} more" if len(accounts) > 3 else "")
    regions = sorted(tonight.regions - set(record.regions))
    if regions:
        return f"it did not scan Region(s) {', '.join(regions)}"
    return None


def left_out_by_document(scope: ScanScope, tonight: ScanScope) -> str | None:
    """What of ``tonight``'s severities and rules the scan of ``scope`` did not report, or
    None."""
    if scope.severities is not None and (
            tonight.severities is None or not tonight.severities <= scope.severities):
        return f"it reported {', '.join(sorted(scope.severities))} findings only"
    if scope.rules_chosen and scope.rules is not None and tonight.rules is not None:
        rules = sorted(tonight.rules - scope.rules)
        if rules:
            return f"it did not evaluate rule(s) {', '.join(rules[:3])}" + \
                (f" and {len(rules) - 3} more" if len(rules) > 3 else "")
    return None


@dataclass(frozen=True, kw_only=True, slots=True)
class Previous:
    """The previous scan of a scan, and the complete scans after it that were passed over
    because their scope was narrower (scan id -> why)."""

    record: ScanRecord | None
    passed_over: Mapping[str, str]


def previous_scan(records: Sequence[ScanRecord], tonight: ScanScope,
                  document_of: Callable[[str], Mapping[str, Any]]) -> Previous:
    """The previous scan among ``records`` (the scans recorded before tonight's, oldest first;
    without the ones started in the future: ``ordinary_scans``). ``document_of`` reads a
    recorded scan's findings document; it is called only for the complete scans whose record
    covers tonight's accounts and Regions, newest first, until one covers (usually once: the
    newest complete scan, which the caller reads anyway)."""
    complete = [r for r in records if r.complete][::-1][:LOOK_BACK]
    if not complete:
        return Previous(record=None, passed_over={})
    # what no complete scan looked at cannot be asked of any (an account that joined since)
    known_accounts = frozenset(a for r in complete for a in r.accounts)
    known_regions = frozenset(g for r in complete for g in r.regions)
    wanted = ScanScope(accounts=tonight.accounts & known_accounts,
                       regions=tonight.regions & known_regions,
                       severities=tonight.severities, rules=tonight.rules,
                       rules_chosen=tonight.rules_chosen)
    passed: dict[str, str] = {}
    read = 0
    for record in complete:
        why = left_out_by_record(record, wanted)
        if why is None:
            if read == DOCUMENTS_READ:
                break
            read += 1
            why = left_out_by_document(document_scope(document_of(record.scan_id)), wanted)
        if why is None:
            return Previous(record=record, passed_over=passed)
        passed[record.scan_id] = why
    # none covers: the newest complete scan, as before (what it left out is not assessed)
    return Previous(record=complete[0], passed_over={})
