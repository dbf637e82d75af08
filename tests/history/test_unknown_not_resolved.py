"""A finding the scan could not assess tonight is "not assessed", never "resolved": not in drift
(``secretgraph diff``), not archived in Security Hub (reports.asff.archive_resolved). Both read
one decision, scanner.history.assessed.Assessment.why_not.

Concept review round 2: night 1 scanned us-east-1 and us-west-2, night 2 us-west-2 only. The
replicas' ``secret-cross-account-access-broken`` FAIL rows of night 1 name a principal; night 2
could not judge the replicas (their primary secrets live in us-east-1, not scanned) and said so
with one UNKNOWN row per replica naming no principal -- another finding id. Drift listed the
FAIL rows as resolved and the Security Hub export archived them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable

from reports.asff import archive_resolved, build_asff
from reports.hub_payload import Previous, build_payload
from scanner.graph.schema import replica_node
from scanner.history.assessed import assess, assess_document
from scanner.history.diff import diff_scans
from scanner.model import RegionSnapshot, Snapshot

from helpers.scanfactory import CENTRAL, MEMBER, REGION, document, finding, secret, \
    secret_arn, snapshot, stored

REPLICA_REGION = "us-west-2"
RULE = "secret-cross-account-access-broken"
APP = f"arn:aws:iam::{MEMBER}:role/ApplicationRole"
DB = secret_arn("db")
REPLICA = replica_node(DB, REPLICA_REGION)
T1, T2 = "2026-12-05T06:11:31Z", "2026-12-06T06:11:31Z"


def _night(scan_id: str, started: str, regions: Iterable[str]) -> Snapshot:
    """The central account's secret ``db`` in us-east-1, replicated to us-west-2; the scan
    read ``regions`` of every account."""
    snap = snapshot(scan_id, started, [secret("db")])
    regions = tuple(regions)
    accounts = tuple(replace(a, regions=tuple(
        a.regions[0] if r == REGION else RegionSnapshot(region=r) for r in regions))
        for a in snap.accounts)
    return replace(snap, accounts=accounts, meta=replace(snap.meta, regions=regions))


def _replica_row(status: str, principal: str | None, **extra: Any) -> dict[str, Any]:
    row = finding(RULE, REPLICA, status, "MEDIUM", principal=principal, rtype="SecretReplica")
    row["resource"]["region"] = REPLICA_REGION
    row.update(extra)
    return row


BROKEN = _replica_row("FAIL", APP)
UNDECIDED = _replica_row("UNKNOWN", None, message=(
    f"not assessed: missing primary secret {DB} of the replica (not in the snapshot)"),
    missing=[f"primary secret {DB} of the replica (not in the snapshot)"])


def _header(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "findings"}


def _streamed_archive(old_doc: dict[str, Any], new_doc: dict[str, Any]) -> int:
    """How many findings ``secretgraph export --previous`` archives (a streamed findings.json:
    the header, and its rows read once)."""
    _, counts, _ = build_payload(_header(new_doc), iter(new_doc["findings"]),
                                 previous=Previous(asff=build_asff(old_doc)))
    return counts["archived"]


def test_a_replicas_failing_reader_is_not_resolved_the_night_its_primarys_region_was_not_scanned(
        ) -> None:
    """Concept review round 2 (repro r4): the drift and the archive of the same two nights."""
    n1 = _night("n1", T1, (REGION, REPLICA_REGION))
    n2 = _night("n2", T2, (REPLICA_REGION,))
    d1, d2 = document(n1, [BROKEN]), document(n2, [UNDECIDED])

    drift = diff_scans(stored(n1, d1), stored(n2, d2))
    assert drift.findings_resolved == ()
    reasons = [n.reason for n in drift.not_assessed
               if n.scope == "finding" and n.subject.startswith(f"{RULE} {REPLICA}")]
    assert any("not assessed" in r or "not scanned" in r or "UNKNOWN" in r for r in reasons)
    assert not any(n.subject == f"{RULE} {REPLICA}" and "resolved" in n.reason
                   for n in drift.not_assessed)

    assert archive_resolved(build_asff(d1), build_asff(d2), d2) == []
    assert _streamed_archive(d1, d2) == 0


def test_a_replica_is_not_assessed_when_its_primarys_region_was_not_scanned() -> None:
    """Concept review round 2: the replica's verdicts read its primary (the resource policy,
    listed in the primary's Region); a scan that did not look at that Region did not assess
    the replica, whatever it read in the replica's own Region."""
    n2 = _night("n2", T2, (REPLICA_REGION,))
    for assessment in (assess(n2), assess_document(document(n2))):
        why = assessment.why_not(account_id=CENTRAL, region=REPLICA_REGION,
                                 kind="SecretReplica", arn=REPLICA, rule_id=RULE,
                                 severity="MEDIUM", principal=APP)
        assert why is not None and REGION in why and "primary" in why
        # the replica's own Region was read: a primary secret there is assessed
        assert assessment.why_not(account_id=CENTRAL, region=REPLICA_REGION, kind="Secret",
                                  arn=secret_arn("db", region=REPLICA_REGION)) is None


def test_a_readers_finding_is_not_resolved_while_tonight_the_rule_is_unknown_for_the_resource(
        ) -> None:
    """Concept review round 2: last night's FAIL names a principal; tonight's UNKNOWN for the
    same rule and resource names none (the rule could not be decided for any reader): another
    finding id, but not a resolution. Here every Region was scanned: the UNKNOWN row alone
    says the resource was not assessed."""
    n1 = _night("n1", T1, (REGION, REPLICA_REGION))
    n2 = _night("n2", T2, (REGION, REPLICA_REGION))
    broken = finding(RULE, DB, "FAIL", "MEDIUM", principal=APP)
    undecided = finding(RULE, DB, "UNKNOWN", "MEDIUM")
    undecided["missing"] = [f"resource policy of {DB} (not read)"]
    d1, d2 = document(n1, [broken]), document(n2, [undecided])

    drift = diff_scans(stored(n1, d1), stored(n2, d2))
    assert drift.findings_resolved == ()
    [gap] = [n for n in drift.not_assessed if n.scope == "finding" and n.scan == "new"
             and n.subject == f"{RULE} {DB}" and "UNKNOWN" in n.reason
             and "not failing" not in n.reason]
    assert gap.reason

    assert archive_resolved(build_asff(d1), build_asff(d2), d2) == []
    assert archive_resolved(build_asff(d1), build_asff(d2), _header(d2)) == []
    assert _streamed_archive(d1, d2) == 0


def test_a_readers_finding_gone_from_a_scan_that_assessed_the_resource_is_resolved() -> None:
    """The other side (concept review round 2): with the primary's Region scanned and no
    UNKNOWN row for the rule and resource, the reader's FAIL gone tonight is resolved and
    archived, replica or not."""
    n1 = _night("n1", T1, (REGION, REPLICA_REGION))
    n2 = _night("n2", T2, (REGION, REPLICA_REGION))
    d1, d2 = document(n1, [BROKEN]), document(n2, [])

    drift = diff_scans(stored(n1, d1), stored(n2, d2))
    assert [(f.resource_arn, f.principal) for f in drift.findings_resolved] == [(REPLICA, APP)]
    assert len(archive_resolved(build_asff(d1), build_asff(d2), d2)) == 1
    assert _streamed_archive(d1, d2) == 1


def test_drift_says_which_readers_were_failing_before_the_rule_became_unknown() -> None:
    """Concept review round 2: the night the rule became UNKNOWN for the replica, drift said
    "was not failing, now UNKNOWN" (last night's rows named a principal, tonight's none) and
    listed the reader's FAIL without its principal. It says the reader was failing, and names
    it."""
    n1 = _night("n1", T1, (REGION, REPLICA_REGION))
    n2 = _night("n2", T2, (REPLICA_REGION,))
    drift = diff_scans(stored(n1, document(n1, [BROKEN])), stored(n2, document(n2, [UNDECIDED])))
    lines = {(n.subject, n.reason) for n in drift.not_assessed if n.scope == "finding"}
    assert any(s == f"{RULE} {REPLICA}" and r.startswith("was failing for 1 principal, now "
                                                          "UNKNOWN") for s, r in lines)
    assert any(s == f"{RULE} {REPLICA} principal {APP}" and REGION in r for s, r in lines)
