"""What a scan says when it ends: the summary line every scan prints (what was scanned, what
was found, where it went) and the warnings of an incomplete scan (``scan -q`` prints them on
stderr). Pure: they read the findings document and the analysis, nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from scanner.engine.exit_codes import FINDINGS, INCOMPLETE, OK
from scanner.findings import Severity
from scanner.model import Snapshot
from scanner.textfit import fit_parts

if TYPE_CHECKING:
    from scanner.history.drift import Drift
    from scanner.scan_result import Analysis


#: coverage gaps named by incomplete_warning (the rest are counted)
WARNING_GAPS = 3


def incomplete_warning(document: Mapping[str, Any]) -> str | None:
    """The line ``scan -q`` prints on stderr when the scan is incomplete: how many account x
    Region x call gaps, the first few, and where they all are. None when it is complete."""
    from scanner.textfit import one_line

    if (document.get("scan") or {}).get("complete", True):
        return None
    failed = analysis_failed_warning(document)
    if failed is not None:
        return failed
    coverage = [c for c in document.get("coverage") or () if isinstance(c, Mapping)]
    if not coverage:
        return one_line("warning: scan INCOMPLETE: a rule could not be evaluated; its results "
                        "are UNKNOWN (findings.json)")
    # the gaps alike (one account x Region x call x error, one per secret it was read for)
    # are one entry with their count: the same gap named three times, the next ones never
    # (new-user trial round 21)
    alike: dict[str, int] = {}
    for c in coverage:
        gap = (f"{c.get('account_id')} {c.get('region')} {c.get('service')}:"
               f"{c.get('operation')} {c.get('error_code')}")
        alike[gap] = alike.get(gap, 0) + 1
    shown = list(alike.items())[:WARNING_GAPS]
    named = "; ".join(gap + (f", {n} calls" if n > 1 else "") for gap, n in shown)
    left = len(coverage) - sum(n for _, n in shown)
    more = f"; and {left} more" if left else ""
    return one_line(f"warning: scan INCOMPLETE: {len(coverage)} coverage gap(s) ({named}{more}); "
                    "what they hide is UNKNOWN, never PASS (findings.json coverage lists them)")


def analysis_failed_warning(document: Mapping[str, Any]) -> str | None:
    """The warning line for secrets whose access analysis raised (findings.json
    ``scan.access_analysis_failed``), or None when none did."""
    from scanner.textfit import one_line

    failed = [f for f in (document.get("scan") or {}).get("access_analysis_failed") or ()
              if isinstance(f, Mapping)]
    if not failed:
        return None
    first = failed[0]
    more = f"; and {len(failed) - 1} more" if len(failed) > 1 else ""
    return one_line(f"warning: scan INCOMPLETE: the access analysis of {len(failed)} secret(s) "
                    f"failed ({first.get('secret_arn')}: {first.get('error')}{more}); their "
                    "readers are UNKNOWN, never PASS (findings.json scan.access_analysis_failed;"
                    " please report it)")


#: coverage error codes that mean the network failed, not AWS (scanner.aws.errors.NETWORK_ERRORS)
NETWORK_CODES = frozenset({"EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError",
                           "ConnectionClosedError", "ProxyConnectionError",
                           # not sent: its endpoint failed on the network (scanner.aws.throttle)
                           "EndpointGaveUp"})


def exit_reason(document: Mapping[str, Any], code: int, fail_on: Severity | None) -> str:
    """Why a scan exits with ``code`` (DESIGN.md's exit codes), ending with ``exit N`` as the
    summary line always has: "3 FAIL at or above --fail-on HIGH: exit 1". A CI job read
    "exit 1" after "32 FAIL (4 CRITICAL, 8 HIGH, ...)" and had to work out which of them
    failed it (new-user trial round 36)."""
    threshold = "--fail-on NONE" if fail_on is None else f"--fail-on {fail_on.value}"
    if code == FINDINGS and fail_on is not None:
        failing = sum(1 for f in document.get("findings") or ()
                      if isinstance(f, Mapping) and f.get("status") == "FAIL"
                      and Severity(f.get("severity")).rank >= fail_on.rank)
        return f"{failing} FAIL at or above {threshold}: exit {code}"
    if code not in (OK, INCOMPLETE):
        return f"exit {code}"
    below = "" if fail_on is None else f"nothing at or above {threshold}"
    if code == INCOMPLETE:
        return f"incomplete{', ' + below if below else ''}: exit {code}"
    any_fail = any(isinstance(f, Mapping) and f.get("status") == "FAIL"
                   for f in document.get("findings") or ())
    if not any_fail:
        return f"exit {code}"
    return f"{below or threshold + ' (findings never fail the run)'}: exit {code}"


def fail_on_warning(document: Mapping[str, Any], code: int,
                    fail_on: Severity | None) -> str | None:
    """The line ``scan -q`` prints on stderr when findings fail the run (exit 1): -q printed
    nothing, and a CI job went red without a word (new-user trial round 36). None otherwise."""
    if code != FINDINGS or fail_on is None:
        return None
    from scanner.textfit import one_line

    return one_line(f"secretgraph scan: {exit_reason(document, code, fail_on)} "
                    "(findings.json lists them; --fail-on NONE: the reports only)")


def summary_line(analysis: Analysis, out_dir: Path, written: Sequence[Path], seconds: float,
                 *, history: str | None = None, width: int | None = None,
                 merged: bool = False, offline: bool = False,
                 drift: "Drift | Mapping[str, Any] | None" = None,
                 fail_on: Severity | None = Severity.HIGH) -> str:
    """The line every scan ends with: what was scanned, what was found, where it went (one
    line for logs; in a terminal, ``width``, broken between its parts to fit); ``drift``,
    when given, counted after the history it was read from."""
    doc = analysis.document
    scan = doc.get("scan", {})
    summary = doc.get("summary", {})
    status = summary.get("by_status", {})
    severities = {k: v for k, v in summary.get("failing_by_severity", {}).items() if v}
    by_sev = ", ".join(f"{v} {k}" for k, v in severities.items())
    gaps = len(doc.get("coverage", ()))
    unreachable = sum(1 for c in doc.get("coverage", ()) if c.get("error_code") in NETWORK_CODES)
    calls = sum(analysis.api_calls.values())
    not_read = {c.get("account_id") for c in doc.get("coverage", ())
                if c.get("service") == "sts" and c.get("operation") == "AssumeRole"}
    # members of the organization that are not ACTIVE (SUSPENDED, PENDING_CLOSURE) are not
    # scanned (discovery.find_targets): said, so that a count one lower than last night is
    # explained (ground-truth trial round 17)
    snapshot = getattr(analysis, "snapshot", None)  # (a stand-in analysis may have none)
    org = snapshot.organization if snapshot is not None else None
    inactive = [a for a in org.accounts if a.status != "ACTIVE"] if org is not None else []
    states = ", ".join(sorted({a.status for a in inactive}))
    parts = [
        f"scan {'complete' if scan.get('complete') else 'INCOMPLETE'}: "
        f"{len(scan.get('accounts', ()))} account(s)"
        + (f" ({len(not_read)} not read: role not assumed)" if not_read else "")
        + (f" ({len(inactive)} not scanned: {states} in the organization)" if inactive
           else "")
        + f" x {len(scan.get('regions', ()))} Region(s)",
    ]
    from reports._common import central_account_text

    names = {a.account_id: a.name for a in org.accounts if a.name} if org is not None else {}
    central = central_account_text(doc, names)
    if central:  # (said by the table's counts line before new-user trial 18)
        parts.append(central)
    parts += [
        f"{status.get('FAIL', 0)} FAIL" + (f" ({by_sev})" if by_sev else ""),
        f"{status.get('UNKNOWN', 0)} UNKNOWN",
        *([f"{status['MUTED']} MUTED"] if status.get("MUTED") else []),
        f"{status.get('PASS', 0)} PASS",
        f"{gaps} coverage gap(s)" + (f" ({unreachable} unreachable: network)"
                                     if unreachable else ""),
        f"{calls} API calls by the shards; merged and evaluated in {seconds:.1f}s" if merged
        # a snapshot evaluated offline made no call: "0 API calls" said nothing (new-user
        # trial 16)
        else f"evaluated offline in {seconds:.1f}s" if offline
        else f"{calls} API calls in {seconds:.1f}s",
    ]
    membership = (scan.get("trust_zone") or {}).get("org_membership") or {}
    from reports._common import is_management

    if membership.get("status") == "member" and not is_management(membership):
        # a scan without --org of an organization member: its SCPs and RCPs, which may deny
        # what the verdicts allow, were not read (new-user trial round 9)
        parts.append(f"account {membership.get('account_id')} is a member of organization "
                     f"{membership.get('org_id') or '?'}: its SCPs and RCPs were not read "
                     "(no --org)")
    carried = _carried_policies(analysis.snapshot)
    if carried:
        # incremental collection: a policy changed without a new LastChangedDate is seen at
        # its next re-read, so the report says how much of it was not read tonight
        policies = f"{carried} secret polic{'y' if carried == 1 else 'ies'}"
        if offline:
            # --snapshot reads nothing: the carrying was done when the snapshot was collected
            # (new-user trial 16: "carried from the last complete scan, not re-read
            # (--full-refresh-days)" after an offline scan, which has neither)
            parts.append(f"{policies} of the snapshot carried, when it was collected, from the "
                         "scan before it, not re-read then")
        else:
            parts.append(f"{policies} carried from the last complete scan, not re-read "
                         "(--full-refresh-days)")
    outcome = getattr(analysis, "history", None)  # (a stand-in analysis may have none)
    skipped = outcome.skipped if outcome is not None else ()
    if skipped:
        # a damaged scan skipped as the previous scan: which scan the drift is against
        previous = outcome.previous if outcome is not None else None
        parts.append((f"drift against scan {previous.scan_id}" if previous is not None
                      else "no drift") + f" ({', '.join(skipped)} skipped: damaged)")
    parts.append(f"outputs in {out_dir} ({', '.join(p.name for p in written)})")
    if history:
        parts.append(f"recorded in {history}")
    if drift is not None:
        # a nightly json,html run printed no word of what changed (new-user trial 17)
        from scanner.history.drift import Drift, drift_from_json

        if not isinstance(drift, Drift):
            drift = drift_from_json(drift)
        counts = drift.summary
        parts.append(f"since {drift.old.scan_id}: {counts['findings_new']} new, "
                     f"{counts['findings_resolved']} resolved finding(s), "
                     f"{counts['new_readers']} reader(s) gained, {counts['lost_readers']} lost "
                     "(secretgraph diff)")
    parts.append(exit_reason(doc, analysis.exit_code, fail_on))
    return fit_parts(parts, width)


def _carried_policies(snapshot: Snapshot | None) -> int:
    """Secrets whose resource policy the scan carried instead of reading (scanner.incremental)."""
    if snapshot is None:
        return 0
    return sum(1 for a in snapshot.accounts for r in a.regions for s in r.secrets
               if "resource_policy" in (s.carried or ()))
