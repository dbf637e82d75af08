"""The rules the scan itself produces findings for, without a rule file: what `rules show`,
`rules list` and docs/rules.md say of them, and the ids, titles, severities and remediations
their findings carry (scanner.engine.suppressions, scanner.history.baseline).

Their findings stand in findings.json, report.html's By-rule table and the drift beside the
rule pack's; `rules show suppression-expired` answered "no rule 'suppression-expired'
(`secretgraph rules list` lists them)", and `rules list` did not (new-user trial round 30).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from scanner.findings import Severity


@dataclass(frozen=True, kw_only=True, slots=True)
class EngineRule:
    id: str
    title: str
    severity: Severity
    #: the resource types of its findings (findings.json resource.type)
    resources: tuple[str, ...]
    description: str
    rationale: str
    #: ``{"id": ..., "description": ...}``, as a rule file's remediation
    remediation: Mapping[str, str]
    #: when a scan evaluates it, in a few words ("every scan", "with --baseline")
    evaluated: str


SUPPRESSION_EXPIRED = EngineRule(
    id="suppression-expired",
    title="Suppression entry has expired",
    severity=Severity.LOW,
    resources=("Suppression",),
    description=(
        "An entry of the suppression file is past its expiry date: it stops muting and is "
        "reported until renewed or removed. Every scan evaluates it (it is always in "
        "`scan.rules`): a scan whose file no longer holds the expired entry, or that reads no "
        "file, resolves the finding."),
    rationale=(
        "A suppression mutes findings someone accepted until a date; past it, the findings "
        "it matched fail again and the acceptance is due for review."),
    remediation={"id": "renew-or-remove-suppression",
                 "description": "Fix the findings, or renew the entry with a new expiry and "
                                "reason after review."},
    evaluated="every scan",
)

ACCESS_OUTSIDE_BASELINE = EngineRule(
    id="access-outside-baseline",
    title="A principal outside the access baseline can read the secret",
    severity=Severity.HIGH,
    resources=("Secret", "SecretReplica"),
    description=(
        "A principal can read the secret, or a replica of it, and no entry of the access "
        "baseline (`scan --baseline FILE`; `secretgraph baseline init` writes one from a "
        "scan's readers) allows it. UNKNOWN when the principal's access could not be decided "
        "(a gate UNKNOWN), or a class of readers lists inputs that were not read "
        "(docs/history.md, \"Access baselines\")."),
    rationale=(
        "The baseline lists the readers a person reviewed and accepted: a reader outside it "
        "is access nobody approved, from a grant added or widened since."),
    remediation={"id": "review-reader",
                 "description": "Remove the grant that lets this principal read the secret, "
                                "or add it to the baseline after review."},
    evaluated="with --baseline",
)

#: every rule the scan produces findings for without a rule file, by id
ENGINE_RULES: Mapping[str, EngineRule] = {
    r.id: r for r in (ACCESS_OUTSIDE_BASELINE, SUPPRESSION_EXPIRED)}


def produced_by_the_scan(rule_id: str, where: str) -> str | None:
    """What to say when ``rule_id``, one of ENGINE_RULES, is named where only a rule file's
    rule can be (``where``: "--rules and --exclude-rules choose among the rule files' rules");
    None for any other id. `scan --rules suppression-expired`, `--exclude-rules
    access-outside-baseline` and a config's `rules: {suppression-expired: ...}` said "unknown
    rule id ...: not a built-in rule: give --rules-dir DIR, the folder of its rule file" of a
    rule `rules list` lists and `rules show` explains (new-user trial round 35)."""
    rule = ENGINE_RULES.get(rule_id)
    if rule is None:
        return None
    return (f"{rule_id!r} is produced by the scan itself ({rule.evaluated}), not by a rule "
            f"file: {where} (`secretgraph rules show {rule_id}` says when it is reported)")
