"""Compliance view: per framework control, PASS / FAIL / UNKNOWN with the rules and findings
behind it. One home for the table, the HTML report and anything else that summarises controls.

A control's status is the worst of its rules' results: FAIL when any rule mapped to it has a
failing finding, else UNKNOWN when any result could not be assessed, else PASS when some result
passed (or was muted: a muted failure is an accepted risk, not a pass, so it is counted apart),
else NO_RESOURCES when its rules ran and found nothing to judge. A control whose rules read a
listing the scan could not make (a coverage entry of their input's service: ListSecrets denied,
IAM not read, an account whose role could not be assumed) is UNKNOWN, not PASS or NO_RESOURCES:
its resources may be there, unjudged. Rules that were not evaluated
(scoped out with ``--rules``/``--exclude-rules``/``--compliance``) do not count. PASS counts come
from the document's per-rule summary when PASS results are summarised instead of itemised.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping, Sequence

from reports._common import account_label, findings_of, rule_status_counts, short_resource

#: per control, at most this many of the findings behind it are listed (the rest are counted)
BEHIND_MAX = 20

CONTROL_STATUSES: tuple[str, ...] = ("FAIL", "UNKNOWN", "PASS", "NO_RESOURCES")


@dataclass(frozen=True, kw_only=True)
class Control:
    framework: str
    control: str
    status: str  # FAIL | UNKNOWN | PASS | NO_RESOURCES
    counts: dict[str, int]  # results of its rules per status (FAIL, UNKNOWN, MUTED, PASS)
    rules: list[str]
    failing: list[str] = field(default_factory=list)  # ids of its FAIL/UNKNOWN findings
    #: the first BEHIND_MAX of those findings as shown: status, rule, resource, region, account,
    #: message
    behind: list[dict[str, str]] = field(default_factory=list)
    #: what its rules read and the scan could not (``service Operation: account Region``, from
    #: the coverage): such a control is UNKNOWN, never PASS or NO_RESOURCES
    not_assessed: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Framework:
    key: str
    controls: list[Control]

    @property
    def status_counts(self) -> dict[str, int]:
        got = Counter(c.status for c in self.controls)
        return {s: got.get(s, 0) for s in CONTROL_STATUSES}


@lru_cache(maxsize=1)
def _catalog() -> dict[str, dict[str, tuple[str, ...]]]:
    """rule id -> {framework: controls} of the built-in rules (for rules whose results are
    all summarised, so no itemised finding carries the mapping)."""
    return {r.id: dict(r.compliance) for r in _builtin_rules()}


@lru_cache(maxsize=1)
def _builtin_rules() -> tuple[Any, ...]:
    """The built-in rules, loaded once for the catalog and the input services."""
    from scanner.engine.loader import load_ruleset

    return tuple(load_ruleset().rules)


def rule_mappings(document: Mapping[str, Any]) -> dict[str, dict[str, tuple[str, ...]]]:
    """rule id -> {framework: controls}: from the findings, else the built-in catalog."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for f in findings_of(document):
        rid = str(f.get("rule_id"))
        if rid not in out and isinstance(f.get("compliance"), Mapping):
            out[rid] = {str(k): tuple(map(str, v or ())) for k, v in f["compliance"].items()}
    catalog = _catalog()
    for rid in _evaluated_rules(document):
        if rid not in out and rid in catalog:
            out[rid] = dict(catalog[rid])
    return out


def _evaluated_rules(document: Mapping[str, Any]) -> list[str]:
    scan = document.get("scan") or {}
    rules = scan.get("rules")
    if isinstance(rules, list):
        return [str(r) for r in rules]
    return sorted({str(f.get("rule_id")) for f in findings_of(document)})


#: rule.schema.json ``inputs`` -> the service whose calls read it (scanner.engine.docs.INPUTS)
SERVICE_OF_INPUT: dict[str, str] = {
    "secrets": "secretsmanager", "secret_policy": "secretsmanager",
    "replication": "secretsmanager", "kms": "kms", "key_metadata": "kms", "key_policy": "kms",
    "key_grants": "kms", "key_rotation": "kms", "iam": "iam", "organizations": "organizations", "ec2": "ec2",
    "lambda": "lambda", "quotas": "service-quotas",
}
#: a coverage entry of these services means the account itself was not read (every rule)
_WHOLE_ACCOUNT = frozenset({"sts"})


@lru_cache(maxsize=1)
def _input_services() -> dict[str, frozenset[str]]:
    """rule id -> the services its declared inputs are read from (built-in rules)."""
    return {r.id: frozenset(SERVICE_OF_INPUT[i] for i in r.inputs if i in SERVICE_OF_INPUT)
            for r in _builtin_rules()}


def _listing_gaps(document: Mapping[str, Any]) -> dict[str, list[str]]:
    """service -> the calls of a whole listing the scan could not make (coverage entries
    without a resource: a resource's own gap is an UNKNOWN result of its own)."""
    gaps: dict[str, list[str]] = defaultdict(list)
    for c in document.get("coverage") or ():
        if not isinstance(c, Mapping) or c.get("resource_arn"):
            continue
        service = str(c.get("service") or "")
        where = " ".join(str(x) for x in (c.get("account_id"), c.get("region")) if x)
        gaps[service].append(f"{service} {c.get('operation') or ''}: {where}".strip())
    return gaps


def _not_assessed(rules: Sequence[str], gaps: Mapping[str, list[str]]) -> list[str]:
    services = _input_services()
    out: list[str] = []
    for svc in _WHOLE_ACCOUNT:
        out += gaps.get(svc, [])
    wanted = set().union(*(services.get(r, frozenset()) for r in rules)) if rules else set()
    for svc in sorted(wanted):
        out += gaps.get(svc, [])
    return list(dict.fromkeys(out))


def _status(counts: Mapping[str, int], not_assessed: Sequence[str] = ()) -> str:
    if counts.get("FAIL"):
        return "FAIL"
    if counts.get("UNKNOWN") or not_assessed:
        return "UNKNOWN"
    if counts.get("PASS") or counts.get("MUTED"):
        return "PASS"
    return "NO_RESOURCES"


def build_compliance(document: Mapping[str, Any],
                     frameworks: Sequence[str] | None = None) -> list[Framework]:
    """Every framework (or only ``frameworks``) with its controls, worst first."""
    mappings = rule_mappings(document)
    evaluated = set(_evaluated_rules(document))
    per_rule = rule_status_counts(document)
    failing_ids: dict[str, list[str]] = defaultdict(list)
    failing_rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    for f in findings_of(document):
        if f.get("status") in ("FAIL", "UNKNOWN"):
            rid = str(f.get("rule_id"))
            failing_ids[rid].append(str(f.get("id")))
            resource = f.get("resource") or {}
            failing_rows[rid].append({
                "status": str(f.get("status")), "rule_id": rid,
                "resource": short_resource(str(resource.get("arn") or "")),
                "arn": str(resource.get("arn") or ""),
                # a secret and its replica share a name and an account: the Region tells them
                # apart, as the findings table's column does (new-user trial round 33)
                "region": str(resource.get("region") or ""),
                "account": account_label(resource.get("account_id"),
                                         resource.get("account_name")),
                "message": str(f.get("message") or f.get("title") or "")})
    controls: dict[tuple[str, str], list[str]] = defaultdict(list)
    for rid, mapping in mappings.items():
        if rid not in evaluated:
            continue
        for fw, items in mapping.items():
            if frameworks and fw not in frameworks:
                continue
            for control in items:
                controls[(fw, control)].append(rid)
    by_fw: dict[str, list[Control]] = defaultdict(list)
    gaps = _listing_gaps(document)
    for (fw, control), rules in controls.items():
        counts: Counter[str] = Counter()
        for rid in rules:
            counts.update(per_rule.get(rid, {}))
        unread = _not_assessed(rules, gaps) if gaps else []
        by_fw[fw].append(Control(
            framework=fw, control=control, status=_status(counts, unread), not_assessed=unread,
            counts={s: counts.get(s, 0) for s in ("FAIL", "UNKNOWN", "MUTED", "PASS")},
            rules=sorted(rules), failing=[i for rid in sorted(rules) for i in failing_ids[rid]],
            behind=[row for rid in sorted(rules) for row in failing_rows[rid]][:BEHIND_MAX]))
    rank = {s: i for i, s in enumerate(CONTROL_STATUSES)}
    return [Framework(key=fw, controls=sorted(items, key=lambda c: (rank[c.status],
                                                                     _natural(c.control))))
            for fw, items in sorted(by_fw.items())]


def _natural(text: str) -> tuple[Any, ...]:
    """``IA-5`` < ``IA-5(1)`` < ``IA-12``; ``8.3.9`` < ``8.3.10``."""
    import re

    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))
