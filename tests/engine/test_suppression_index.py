"""Suppressions are matched through an index of their literal rule and resource: each finding
is tried against the entries that can match it, in file order, and the first that matches mutes
it -- the same answer as trying every entry, at a cost that no longer grows with findings x
entries (org-scale trial round 2: 1,000 entries took a 50,000-secret scan from 24 to 85 s)."""

from __future__ import annotations

import datetime as dt
import random

from scanner.engine.suppressions import Suppression, Suppressions, suppress
from scanner.findings import Finding, ResourceRef, Severity, Status, finding_id
from scanner.model import ScanMeta

NOW = dt.datetime(2026, 12, 5, tzinfo=dt.timezone.utc)
RULES = ["secret-policy-public", "secret-rotation-disabled", "kms-key-rotation-disabled"]
ARNS = [f"arn:aws:secretsmanager:us-east-1:11111111111{i}:secret:app/db{j}-AbCdEf"
        for i in range(3) for j in range(4)]


def _entries(rng: random.Random, n: int) -> tuple[Suppression, ...]:
    out = []
    for i in range(n):
        out.append(Suppression(
            index=i, reason="r", expires=dt.date(2026, 12, rng.choice([1, 31])),
            rule=rng.choice([None, "secret-*", *RULES]),
            account=rng.choice([None, "111111111110", "11111111111?"]),
            region=rng.choice([None, "us-*", "us-east-1"]),
            resource=rng.choice([None, "arn:aws:secretsmanager:*:*:secret:app/*",
                                 *ARNS[:6]]),
            tags=rng.choice([None, {"team": "a*"}])))
    return tuple(out)


def _findings(rng: random.Random, n: int) -> list[Finding]:
    out = []
    for i in range(n):
        arn, rule = rng.choice(ARNS), rng.choice(RULES)
        out.append(Finding(id=finding_id(rule, arn, str(i)), rule_id=rule, title="t",
                           severity=Severity.HIGH,
                           status=rng.choice([Status.FAIL, Status.UNKNOWN, Status.PASS]),
                           resource=ResourceRef(type="Secret", arn=arn,
                                                account_id=arn.split(":")[4],
                                                region="us-east-1"),
                           evidence={"resource_tags": rng.choice([{}, {"team": "ab"}])}))
    return out


def _naive(findings: list[Finding], entries: tuple[Suppression, ...]) -> list[tuple[str, int | None]]:
    active = [e for e in entries if e.active(NOW)]
    out = []
    for f in findings:
        hit = next((e for e in active if e.matches(f)), None) \
            if f.status in (Status.FAIL, Status.UNKNOWN) else None
        out.append((f.id, hit.index if hit else None))
    return out


def test_the_index_mutes_with_the_first_matching_entry_as_trying_each_would() -> None:
    rng = random.Random(7)
    meta = ScanMeta(scan_id="s", started_at="2026-12-05T00:00:00Z",
                    accounts=("111111111110",), regions=("us-east-1",))
    for _ in range(30):
        entries, findings = _entries(rng, rng.randint(1, 25)), _findings(rng, 60)
        got = suppress(findings, Suppressions(entries=entries), NOW, meta=meta)
        muted = [(f.id, (f.muted_by or {}).get("entry")) for f in got[:len(findings)]]
        assert muted == _naive(findings, entries)
        # the expired entries' counts of findings they would match are unchanged too
        active = [e for e in entries if e.active(NOW)]
        for e, f in zip([e for e in entries if not e.active(NOW)], got[len(findings):]):
            expected = sum(1 for x in findings if x.status in (Status.FAIL, Status.UNKNOWN)
                           and not any(a.matches(x) for a in active) and e.matches(x))
            assert f.evidence["would_match"] == expected


def test_two_expired_entries_with_the_same_matchers_are_two_findings() -> None:
    """Renewed by appending a new entry, both since expired: two findings, two ids (org-scale
    trial round 2: one id for both, and Security Hub kept one); a lone entry's id is its
    matchers' as before."""
    meta = ScanMeta(scan_id="s", started_at="2026-12-05T00:00:00Z",
                    accounts=("111111111110",), regions=("us-east-1",))
    same = dict(rule="secret-rotation-disabled", account="111111111110")
    entries = (Suppression(index=0, reason="legacy", expires=dt.date(2026, 1, 31), **same),
               Suppression(index=1, reason="renewed", expires=dt.date(2026, 6, 30), **same),
               Suppression(index=2, reason="twice", expires=dt.date(2026, 6, 30), **same),
               Suppression(index=3, reason="alone", expires=dt.date(2026, 2, 1),
                           rule="kms-key-rotation-disabled"))
    got = suppress([], Suppressions(entries=entries), NOW, meta=meta)
    assert len({f.id for f in got}) == 4
    assert got[3].resource.arn == f"suppression:{entries[3].key}"
