"""The drift between two scans, as frozen records, their JSON, and the terminal rendering.

Order of importance, and of every rendering: access changes (who gained or lost the ability to
read a secret), then findings (new, resolved, changed), then resources (added, removed,
changed: field by field and policy statement by statement), then what was not assessed in one
of the scans (never shown as removed).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from scanner.access.verdicts import reach_counts
from scanner.history.policy_diff import StatementChange
from scanner.textfit import LINE_SEPARATORS, fit_line, invisible_pattern

DRIFT_SCHEMA_VERSION = 1


@dataclass(frozen=True, kw_only=True, slots=True)
class ScanRef:
    scan_id: str
    started_at: str
    complete: bool

    def to_json(self) -> dict[str, Any]:
        return {"scan_id": self.scan_id, "started_at": self.started_at,
                "complete": self.complete}


@dataclass(frozen=True, kw_only=True, slots=True)
class ReaderChange:
    principal: str
    decision: str  # the decision in the scan where the principal reads (allow | unknown)
    other_decision: str | None = None  # the decision on the other side (None: absent)
    detail: Mapping[str, Any] = field(default_factory=dict)  # the access report's entry
    #: the other side's entry (None: absent there, or a drift written before it was kept):
    #: tonight's gates of a lost reader (ground-truth organization trial round 9: the HTML
    #: showed a lost reader with last night's ALLOWED gates)
    other_detail: Mapping[str, Any] | None = None
    #: what changed of the principal itself between the two scans, from the drift's
    #: Resources (its tags, policies, its account's OU: scanner.history.diff.reader_whys) --
    #: the why beside the reader, not a section away (ground-truth trial round 29)
    why: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"principal": self.principal, "decision": self.decision,
                               "other_decision": self.other_decision,
                               "detail": dict(self.detail)}
        if self.other_detail is not None:
            out["other_detail"] = dict(self.other_detail)
        if self.why:
            out["why"] = list(self.why)
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessChange:
    secret_arn: str
    gained: tuple[ReaderChange, ...] = ()  # new readers
    lost: tuple[ReaderChange, ...] = ()  # readers that can no longer read

    def to_json(self) -> dict[str, Any]:
        return {"secret_arn": self.secret_arn, "new_readers": [r.to_json() for r in self.gained],
                "lost_readers": [r.to_json() for r in self.lost]}


@dataclass(frozen=True, kw_only=True, slots=True)
class FindingChange:
    id: str
    rule_id: str
    title: str
    severity: str
    status: str
    resource_arn: str
    principal: str | None = None
    old_status: str | None = None
    old_severity: str | None = None
    changes: tuple[str, ...] = ()  # "status", "severity", "evidence", "message"
    #: with "evidence" in ``changes``: the evidence fields that moved (a nested member as its
    #: dotted path, ``gates.scp``), old -> new (new-user trial round 8)
    evidence_changes: tuple[FieldChange, ...] = ()
    #: a MUTED finding's ``muted_by`` (the suppression's reason, owner, expiry): the drift
    #: says why it is muted (new-user trial round 23)
    muted_by: Mapping[str, Any] | None = None
    #: MUTED in the old scan and not tonight: why ("its suppression expired on 2026-12-01",
    #: "its suppression was removed or no longer matches"; diff_findings._Unmuting)
    unmuted: str | None = None
    finding: Mapping[str, Any] = field(default_factory=dict)  # the newer side's JSON

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "rule_id": self.rule_id, "title": self.title,
            "severity": self.severity, "status": self.status,
            "resource_arn": self.resource_arn, "principal": self.principal,
            "old_status": self.old_status, "old_severity": self.old_severity,
            "changes": list(self.changes),
            "evidence_changes": [c.to_json() for c in self.evidence_changes]}
        if self.muted_by is not None:
            out["muted_by"] = dict(self.muted_by)
        if self.unmuted is not None:
            out["unmuted"] = self.unmuted
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldChange:
    field: str
    old: Any
    new: Any
    note: str | None = None  # "rotation switched off", "key changed", ...

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new, "note": self.note}


@dataclass(frozen=True, kw_only=True, slots=True)
class PolicyChange:
    field: str  # resource_policy, policy, inline_policies.<name>, ...
    statements: tuple[StatementChange, ...]

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "statements": [s.to_json() for s in self.statements]}


@dataclass(frozen=True, kw_only=True, slots=True)
class ResourceChange:
    kind: str  # secret, kms_key, vpc, route_table, peering, iam_principal, ...
    id: str
    account_id: str
    region: str
    change: str  # added | removed | changed
    fields: tuple[FieldChange, ...] = ()
    policies: tuple[PolicyChange, ...] = ()
    #: a name shown beside the id (an SCP's, an OU's, an organization account's); its JSON
    #: key only when set
    name: str | None = None

    @property
    def title(self) -> str:
        """``kind id (name)``: the resource's line in the terminal and the HTML report."""
        return f"{self.kind} {self.id}" + (f" ({self.name})" if self.name else "")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind, "id": self.id, "account_id": self.account_id,
            "region": self.region, "change": self.change,
            "fields": [f.to_json() for f in self.fields],
            "policies": [p.to_json() for p in self.policies]}
        if self.name is not None:
            out["name"] = self.name
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class NotAssessed:
    scope: str  # account | region | service | resource | resources | fields | finding | access
    subject: str  # what: an account id, "acct/region/service", an ARN, a finding id
    reason: str
    scan: str  # old | new | both
    count: int = 1  # items sharing scope, reason and scan (grouped into one entry)
    subjects: tuple[str, ...] = ()  # every grouped subject, when count > 1

    def to_json(self) -> dict[str, Any]:
        # ``subjects`` lists every subject, one or many (``subject`` is the line's text: for a
        # group, "N items, e.g. ...")
        return {"scope": self.scope, "subject": self.subject, "reason": self.reason,
                "scan": self.scan, "count": self.count,
                "subjects": list(self.subjects) or [self.subject]}


def group_not_assessed(items: list[NotAssessed]) -> tuple[NotAssessed, ...]:
    """One entry per (scope, reason, scan): an unassumed account is one line, not one per
    finding and reader in it. The grouped subjects stay in ``subjects``."""
    groups: dict[tuple[str, str, str], list[NotAssessed]] = {}
    for item in items:
        groups.setdefault((item.scope, item.reason, item.scan), []).append(item)
    out = []
    for (scope, reason, scan), group in groups.items():
        if len(group) == 1:
            out.append(group[0])
            continue
        subjects = tuple(sorted(g.subject for g in group))
        out.append(NotAssessed(scope=scope, subject=f"{len(group)} items, e.g. {subjects[0]}",
                               reason=reason, scan=scan, count=len(group), subjects=subjects))
    return tuple(out)


@dataclass(frozen=True, kw_only=True, slots=True)
class Drift:
    old: ScanRef
    new: ScanRef
    access: tuple[AccessChange, ...] = ()
    findings_new: tuple[FindingChange, ...] = ()
    findings_resolved: tuple[FindingChange, ...] = ()
    findings_changed: tuple[FindingChange, ...] = ()
    resources_added: tuple[ResourceChange, ...] = ()
    resources_removed: tuple[ResourceChange, ...] = ()
    resources_changed: tuple[ResourceChange, ...] = ()
    not_assessed: tuple[NotAssessed, ...] = ()

    @property
    def summary(self) -> dict[str, int]:
        return {
            "new_readers": sum(len(a.gained) for a in self.access),
            "lost_readers": sum(len(a.lost) for a in self.access),
            "findings_new": len(self.findings_new),
            "findings_resolved": len(self.findings_resolved),
            "findings_changed": len(self.findings_changed),
            "resources_added": len(self.resources_added),
            "resources_removed": len(self.resources_removed),
            "resources_changed": len(self.resources_changed),
            "not_assessed": sum(n.count for n in self.not_assessed),
        }

    @property
    def empty(self) -> bool:
        return not any(self.summary.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": DRIFT_SCHEMA_VERSION,
            "old": self.old.to_json(),
            "new": self.new.to_json(),
            "summary": self.summary,
            "access": [a.to_json() for a in self.access],
            "findings": {
                "new": [f.to_json() for f in self.findings_new],
                "resolved": [f.to_json() for f in self.findings_resolved],
                "changed": [f.to_json() for f in self.findings_changed],
            },
            "resources": {
                "added": [r.to_json() for r in self.resources_added],
                "removed": [r.to_json() for r in self.resources_removed],
                "changed": [r.to_json() for r in self.resources_changed],
            },
            "not_assessed": [n.to_json() for n in self.not_assessed],
        }


def drift_from_json(data: Mapping[str, Any]) -> Drift:
    """Rebuild a Drift from Drift.to_json() (reports and the pipeline pass the JSON around)."""
    def ref(d: Mapping[str, Any]) -> ScanRef:
        return ScanRef(scan_id=str(d["scan_id"]), started_at=str(d["started_at"]),
                       complete=bool(d["complete"]))

    def reader(d: Mapping[str, Any]) -> ReaderChange:
        other = d.get("other_detail")
        return ReaderChange(principal=d["principal"], decision=d["decision"],
                            other_decision=d.get("other_decision"), detail=d.get("detail") or {},
                            other_detail=other if isinstance(other, Mapping) else None,
                            why=tuple(str(w) for w in d.get("why") or ()))

    def fchange(d: Mapping[str, Any]) -> FindingChange:
        return FindingChange(id=d["id"], rule_id=d["rule_id"], title=d.get("title", ""),
                             severity=d["severity"], status=d["status"],
                             resource_arn=d["resource_arn"], principal=d.get("principal"),
                             old_status=d.get("old_status"), old_severity=d.get("old_severity"),
                             changes=tuple(d.get("changes") or ()),
                             evidence_changes=tuple(
                                 FieldChange(field=str(c["field"]), old=c.get("old"),
                                             new=c.get("new"), note=c.get("note"))
                                 for c in d.get("evidence_changes") or ()
                                 if isinstance(c, Mapping) and c.get("field")),
                             muted_by=d["muted_by"] if isinstance(d.get("muted_by"), Mapping)
                             else None,
                             unmuted=d["unmuted"] if isinstance(d.get("unmuted"), str)
                             else None)

    def rchange(d: Mapping[str, Any]) -> ResourceChange:
        return ResourceChange(
            kind=d["kind"], id=d["id"], account_id=d["account_id"], region=d["region"],
            change=d["change"], name=d.get("name"),
            fields=tuple(FieldChange(field=f["field"], old=f.get("old"), new=f.get("new"),
                                     note=f.get("note")) for f in d.get("fields") or ()),
            policies=tuple(PolicyChange(field=p["field"], statements=tuple(
                StatementChange(change=st["change"], sid=st.get("sid"), old=st.get("old"),
                                new=st.get("new")) for st in p.get("statements") or ()))
                for p in d.get("policies") or ()))

    findings = data.get("findings") or {}
    resources = data.get("resources") or {}
    return Drift(
        old=ref(data["old"]), new=ref(data["new"]),
        access=tuple(AccessChange(secret_arn=a["secret_arn"],
                                  gained=tuple(reader(r) for r in a.get("new_readers") or ()),
                                  lost=tuple(reader(r) for r in a.get("lost_readers") or ()))
                     for a in data.get("access") or ()),
        findings_new=tuple(fchange(f) for f in findings.get("new") or ()),
        findings_resolved=tuple(fchange(f) for f in findings.get("resolved") or ()),
        findings_changed=tuple(fchange(f) for f in findings.get("changed") or ()),
        resources_added=tuple(rchange(r) for r in resources.get("added") or ()),
        resources_removed=tuple(rchange(r) for r in resources.get("removed") or ()),
        resources_changed=tuple(rchange(r) for r in resources.get("changed") or ()),
        not_assessed=tuple(NotAssessed(scope=n["scope"], subject=n["subject"],
                                       reason=n["reason"], scan=n["scan"],
                                       count=int(n.get("count", 1)),
                                       subjects=tuple(n.get("subjects") or ())
                                       if int(n.get("count", 1)) > 1 else ())
                           for n in data.get("not_assessed") or ()),
    )


# --------------------------------------------------------------------------- text


#: the controls, line separators and invisible characters (reordering, zero-width: the one
#: definition, scanner.textfit.INVISIBLE_RE), each shown as its escape
_CONTROL = invisible_pattern(f"\\x00-\\x1f\\x7f-\\x9f{LINE_SEPARATORS}")


def _escape(match: re.Match[str]) -> str:
    c = ord(match.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" if c < 0x10000 else f"\\U{c:08x}"


def clean_line(line: str) -> str:
    """Names, tags and policies are hostile input: no control characters reach the terminal
    (no escape sequences, no forged lines)."""
    return _CONTROL.sub(_escape, line)


def _short(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _list_items(old: Any, new: Any) -> tuple[list[Any], list[Any]] | None:
    """(the items only ``new`` holds, the items only ``old`` holds) of two lists (a route
    table's routes, a VPC's CIDRs): shown one by one, not as two long lists cut at the same
    width (two route lists that differ in their last route looked identical). None when
    either is not a list."""
    if not isinstance(old, list) or not isinstance(new, list):
        return None

    def canon(x: Any) -> str:
        return json.dumps(x, sort_keys=True, default=str)

    before, after = {canon(x) for x in old}, {canon(x) for x in new}
    return ([x for x in new if canon(x) not in before],
            [x for x in old if canon(x) not in after])


def _item(value: Any) -> str:
    """A list item on one line: a mapping as its set fields (``destination_cidr=10.9.0.0/16,
    target_id=pcx-...``), a long identifier last (a KMS grant's 64-character GrantId came
    first and pushed its grantee and operations out of the cut; conformance trial round 24)."""
    if isinstance(value, Mapping):
        fields = sorted(((k, v) for k, v in value.items() if v not in (None, "", [], {})),
                        key=lambda kv: str(kv[0]).endswith("_id") and len(str(kv[1])) > 40)
        return _short(", ".join(f"{k}={_short(v, 60)}" for k, v in fields), 200)
    return _short(value, 200)


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text.replace("\n", " ")


def _short_pair(old: Any, new: Any, limit: int) -> tuple[str, str]:
    """Two values shortened alike but around where they first differ: cut at the same width
    from their start, two long policies or ARNs that differ near their end looked the same
    (ground-truth trial round 6: ``"Resource": ["arn:aws:kms:us-...`` on both lines)."""
    a, b = _text(old), _text(new)
    if len(a) <= limit and len(b) <= limit:
        return a, b
    start = max(0, len(os.path.commonprefix([a, b])) - limit // 3)

    def window(text: str) -> str:
        piece = text[start:]
        piece = "..." + piece if start else piece
        return piece if len(piece) <= limit else piece[: limit - 3] + "..."

    return window(a), window(b)


def _statement_lines(statements: Sequence[StatementChange], limit: int = 160) -> list[str]:
    """A policy's statement changes: a changed statement as its old and new text, and an
    unlabelled removed statement beside the added one at the same place, each shortened
    around where the two differ."""
    removed = [st for st in statements if st.change == "removed"]
    added = [st for st in statements if st.change == "added"]
    counterpart: dict[int, Any] = {}
    for r, a in zip(removed, added):
        counterpart[id(r)], counterpart[id(a)] = a.new, r.old
    lines: list[str] = []
    for st in statements:
        # a Sid has no length limit in the IAM grammar (the policy's size bounds it): cut as
        # the statement beside it is (hostile-input trial round 10: a 2,000-character Sid of
        # an SCP ran for 25 lines of the terminal drift)
        label = f"Sid {_short(st.sid, 80)}" if st.sid else "statement"
        if st.change == "changed":
            old, new = _short_pair(st.old, st.new, limit)
            lines.append(f"      ~ {label}:")
            lines.append(f"          - {old}")
            lines.append(f"          + {new}")
            continue
        body = st.new if st.change == "added" else st.old
        other = counterpart.get(id(st))
        shown = _short(body, limit) if other is None else _short_pair(other, body, limit)[1]
        lines.append(f"      {'+' if st.change == 'added' else '-'} {label}: {shown}")
    return lines


def resource_change_lines(rc: ResourceChange, *, field_limit: int = 60,
                          statement_limit: int = 160) -> list[str]:
    """What changed in a resource, a line each (terminal and HTML alike): a field as ``name:
    old -> new  (note)``, a list field as its added and removed items, a policy as its
    statements (``+ Sid X: {...}``, ``- ...``, ``~`` with the old and the new text). Indented
    relative to the resource's own line."""
    lines: list[str] = []
    for fc in rc.fields:
        note = f"  ({fc.note})" if fc.note else ""
        side = fc.new if rc.change == "added" else fc.old if rc.change == "removed" else None
        if side is not None and not isinstance(side, list):
            # an added or removed resource's field (an OU's parent): its value, no "null ->"
            lines.append(f"  {fc.field}: {_short(side, field_limit)}{note}")
            continue
        listed = _list_items(fc.old, fc.new)
        if listed is None:
            old, new = _short_pair(fc.old, fc.new, field_limit)
            lines.append(f"  {fc.field}: {old} -> {new}{note}")
            continue
        plus, minus = listed
        lines.append(f"  {fc.field}: {len(plus)} added, {len(minus)} removed{note}")
        lines.extend(f"    + {_item(x)}" for x in plus)
        lines.extend(f"    - {_item(x)}" for x in minus)
    for pc in rc.policies:
        lines.append(f"{pc.field}:")
        lines.extend(line[4:] for line in _statement_lines(pc.statements, statement_limit))
    return lines


def _who(r: ReaderChange) -> str:
    """A principal, or a class of readers by its label (everyone, the organization, ...)."""
    label = r.detail.get("label") if r.detail.get("subject") == r.principal else None
    return f"{label} [{r.principal}]" if label else r.principal


def _counts(r: ReaderChange) -> str:
    if r.detail.get("subject") != r.principal or r.detail.get("principals") is None:
        return ""
    d = r.detail
    unassessed = d.get("unassessed_accounts")
    return ": " + reach_counts(int(d.get("principals") or 0),
                               int(d.get("conditional_principals") or 0),
                               int(d.get("accounts") or 0),
                               len(unassessed) if isinstance(unassessed, list) else 0)


def reader_change_words(r: ReaderChange, gained: bool) -> str:
    """What the drift says of a reader after its name (terminal and HTML alike): ``can now
    read [allow] (was deny)`` and the class's counts, or ``can no longer read (now deny)``."""
    why = "".join(f" ({w})" for w in r.why)
    if gained:
        was = f" (was {r.other_decision})" if r.other_decision else ""
        return f"can now read [{r.decision}]{was}{_counts(r)}{why}"
    now = f" (now {r.other_decision})" if r.other_decision else ""
    return f"can no longer read{now}{why}"


def reader_label(r: ReaderChange) -> str:
    """A principal, or a class of readers by its label and subject."""
    return _who(r)


def no_drift_note(earlier: Sequence[Any], scan_id: str, history: str) -> str:
    """The line `scan --history` prints instead of a drift when the history held no complete
    scan before this one (``earlier``: its records, oldest first). Drift is computed against
    the last complete scan only (docs/history.md); without one, saying nothing read as "nothing
    changed" night after night while one account's role stayed out of reach."""
    if not earlier:
        return f"no drift: {scan_id} is the first scan recorded in {history}"
    complete = sum(1 for r in earlier if getattr(r, "complete", False))
    return (f"no drift: the history holds no earlier complete scan ({complete} of "
            f"{len(earlier)} complete), and drift is computed against the last complete one; "
            f"`secretgraph diff {earlier[-1].scan_id} {scan_id} --history {history}` compares "
            "any two scans")


#: the moved evidence fields a finding's one-line note names (the JSON holds every one)
EVIDENCE_FIELDS_SHOWN = 3


def _evidence_value(change: FieldChange, side: str, shown: str) -> str:
    absent = change.note == ("absent before" if side == "old" else "absent now")
    return "(absent)" if absent else shown


def evidence_note(changes: Sequence[FieldChange], *, limit: int = 40,
                  most: int | None = EVIDENCE_FIELDS_SHOWN) -> str:
    """``evidence: gates.scp NOT_APPLICABLE -> ALLOWED, ...``: the moved evidence fields,
    each value shortened around where old and new differ, the first ``most`` of them and how
    many more (new-user trial round 8: "changed (evidence)" never said what changed)."""
    if not changes:
        return "evidence"
    shown = changes if most is None else changes[:most]
    parts = []
    for c in shown:
        old, new = _short_pair("" if c.old is None else c.old, "" if c.new is None else c.new,
                               limit)
        parts.append(f"{c.field} {_evidence_value(c, 'old', old)} -> "
                     f"{_evidence_value(c, 'new', new)}")
    more = len(changes) - len(shown)
    return "evidence: " + ", ".join(parts) + (f", and {more} more field(s)" if more else "")


def muted_words(f: FindingChange) -> str:
    """Why a MUTED finding is muted, as the findings table says it: "muted until 2026-12-13
    (owner secops@example.com): rotation Lambda being rebuilt" ("" when it is not muted)."""
    m = f.muted_by
    if f.status != "MUTED" or not isinstance(m, Mapping):
        return ""
    expires = str(m.get("expires") or "")
    owner = str(m.get("owner") or "")
    reason = str(m.get("reason") or "") or "no reason given"
    return (f"muted{f' until {expires}' if expires else ''}"
            f"{f' (owner {owner})' if owner else ''}: {reason}")


def finding_change_note(f: FindingChange, label: str, *, limit: int = 40,
                        most: int | None = EVIDENCE_FIELDS_SHOWN) -> str:
    """What the drift says of a finding beside its line (terminal and HTML alike): for a
    changed one, what moved (``status FAIL -> MUTED, severity MEDIUM -> LOW, evidence: ...``);
    for a new one, what it was or why it is new; for a resolved one, its last status."""
    if label == "changed":
        parts = []
        if "status" in f.changes:
            why = muted_words(f) or f.unmuted
            parts.append(f"status {f.old_status} -> {f.status}" + (f" ({why})" if why
                                                                      else ""))
        if "severity" in f.changes:
            parts.append(f"severity {f.old_severity} -> {f.severity}")
        for c in f.changes:
            if c == "evidence":
                parts.append(evidence_note(f.evidence_changes, limit=limit, most=most))
            elif c not in ("status", "severity"):
                parts.append(c)
        return ", ".join(parts)
    if label == "new" and f.old_status:
        return f"was {f.old_status}"  # could not be decided last time
    if label == "new" and f.changes:
        return "; ".join(f.changes)
    if label == "resolved":
        # why beyond "no longer reported": its resource was deleted (diff._gone_resources_said)
        return "; ".join(c for c in f.changes if c != "no longer reported")
    return ""


def render_drift_text(drift: Drift | Mapping[str, Any], width: int | None = None) -> str:
    """A plain-text report for the terminal, most important first (a Drift or its JSON);
    ``width`` (a terminal's): longer lines wrapped between words, continuations indented."""
    if not isinstance(drift, Drift):
        drift = drift_from_json(drift)
    lines = [f"Drift {drift.old.scan_id} ({drift.old.started_at}) -> "
             f"{drift.new.scan_id} ({drift.new.started_at})"]
    hang: dict[int, int] = {0: 4}  # line index -> the column its wrapped lines start at
    if not drift.new.complete or not drift.old.complete:
        which = [n for n, s in (("old", drift.old), ("new", drift.new)) if not s.complete]
        scans = "scans are" if len(which) == 2 else "scan is"
        lines.append(f"  note: the {' and '.join(which)} {scans} incomplete; see 'Not assessed'")
    if drift.empty:
        lines.append("  no changes")
        return _fitted(lines, hang, width)

    lines.append("")
    lines.append(f"Access changes ({drift.summary['new_readers']} new reader(s), "
                 f"{drift.summary['lost_readers']} lost reader(s))")
    for ac in drift.access:
        lines.append(f"  {ac.secret_arn}")
        for r in ac.gained:
            lines.append(f"    + {_who(r)} {reader_change_words(r, True)}")
        for r in ac.lost:
            lines.append(f"    - {_who(r)} {reader_change_words(r, False)}")
    if not drift.access:
        lines.append("  none")

    lines.append("")
    lines.append(f"Findings ({len(drift.findings_new)} new, {len(drift.findings_resolved)} "
                 f"resolved, {len(drift.findings_changed)} changed)")
    groups = (("new", drift.findings_new), ("resolved", drift.findings_resolved),
              ("changed", drift.findings_changed))
    # a column as wide as the longest rule id listed, so the resources start in one column
    rule_width = max((len(f.rule_id) for _, items in groups for f in items), default=0)
    for label, items in groups:
        for f in items:
            who = f" principal {f.principal}" if f.principal else ""
            note = finding_change_note(f, label)
            extra = f" ({note})" if note else ""
            hang[len(lines)] = ROW_TEXT  # wrapped under the words after the label
            lines.append(f"  {label:<8} {f.severity:<13} {f.rule_id:<{rule_width}}  "
                         f"{f.resource_arn}{who}{extra}")

    lines.append("")
    lines.append(f"Resources ({len(drift.resources_added)} added, "
                 f"{len(drift.resources_removed)} removed, {len(drift.resources_changed)} changed)")
    for change, resources in (("added", drift.resources_added),
                              ("removed", drift.resources_removed),
                              ("changed", drift.resources_changed)):
        for rc in resources:
            hang[len(lines)] = ROW_TEXT
            lines.append(f"  {change:<8} {rc.title}")
            # an added or removed SCP or RCP says where it is attached and what it says
            lines.extend(f"    {line}" for line in resource_change_lines(rc))

    if drift.not_assessed:
        lines.append("")
        lines.append(f"Not assessed ({drift.summary['not_assessed']}; neither removed nor "
                     "unchanged)")
        for na in drift.not_assessed:
            scan = "both scans" if na.scan == "both" else f"{na.scan} scan"
            lines.append(f"  [{scan}] {na.scope} {na.subject}: {na.reason}")
    return _fitted(lines, hang, width)


#: where a finding's or a resource's row continues when wrapped: under the words after its
#: change label ("  new      ", "  changed  ")
ROW_TEXT = 11


def _fitted(lines: Sequence[str], hang: Mapping[int, int], width: int | None) -> str:
    """The drift's lines fitted to ``width``, each wrapped line continued under its text
    (new-user trial 18: at 80 columns a finding's ARN went under column 6, one of 76
    characters under column 4, and a statement's third line left of its second): a row
    under the words after its label, a ``+``/``-``/``~`` line under the words after the
    marker, any other two columns deeper than the line; an ARN's own rest two deeper still
    (``fit_line``'s ``hang``)."""
    out = []
    for i, raw in enumerate(lines):
        line = clean_line(raw)
        body = line.lstrip()
        indent = len(line) - len(body)
        at = hang.get(i, indent + 2)
        out.append(fit_line(line, width, hang=at))
    return "\n".join(out) + "\n"
