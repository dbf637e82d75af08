"""Findings of two scans, matched by their stable ids: new, resolved, changed. A failing finding
that became UNKNOWN, or vanished from a scan that did not assess its resource, is not assessed,
never resolved; a finding that was not failing and became UNKNOWN is listed as not assessed
too (what could be decided last night cannot be tonight).

PASS rows play no part: findings.json itemises them only with ``--emit-pass``, and drift must
not depend on that. A finding that was FAIL or MUTED is resolved when the new scan no longer
reports it (no FAIL, MUTED or UNKNOWN row with its id) and the new scan assessed its resource
(account, region, service and resource read: ``Assessment.why_not``)."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.findings import resource_key
from scanner.history.assessed import Assessment
from scanner.history.drift import FieldChange, FindingChange, NotAssessed
from scanner.access.verdicts import GATES
from scanner.policy.trust_zone import COUNT_FIELDS as ZONE_COUNTS
from scanner.policy.trust_zone import EVIDENCE_KEY as ZONE_EVIDENCE

def _findings(doc: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for f in doc.get("findings") or ():
        if (type(f) is dict or isinstance(f, Mapping)) and f.get("id") \
                and f.get("status") != "PASS":
            out[str(f["id"])] = f
    return out


#: the status a resolved finding carries in drift (its last status is ``old_status``)
RESOLVED = "RESOLVED"


def _fchange(f: Mapping[str, Any], old: Mapping[str, Any] | None,
             changes: tuple[str, ...] = (), *, status: str | None = None,
             evidence: tuple[FieldChange, ...] = (), unmuted: str | None = None
             ) -> FindingChange:
    res = f.get("resource") or {}
    final = status if status is not None else str(f.get("status", ""))
    muted_by = f.get("muted_by")
    return FindingChange(
        id=str(f["id"]), rule_id=str(f.get("rule_id", "")), title=str(f.get("title", "")),
        severity=str(f.get("severity", "")),
        status=status if status is not None else str(f.get("status", "")),
        resource_arn=str(res.get("arn", "")), principal=f.get("principal"),
        old_status=old.get("status") if old else None,
        old_severity=old.get("severity") if old else None, changes=changes,
        evidence_changes=evidence, finding=f,
        muted_by=muted_by if final == "MUTED" and isinstance(muted_by, Mapping) else None,
        unmuted=unmuted)


#: what identifies a suppression entry (its matchers), as ``muted_by`` and a
#: ``suppression-expired`` finding's evidence both describe it
_ENTRY_MATCHERS = ("rule", "account", "region", "resource", "tags")


class _Unmuting:
    """Why a finding MUTED in the old scan is not muted tonight, from what the new scan says
    of the entry that muted it: "its suppression expired on D" when tonight reports that entry
    as expired (a ``suppression-expired`` finding with the same matchers) or its expiry is
    before tonight's scan day; else "its suppression was removed or no longer matches"
    (docs/configuration.md promises the expiry "so nothing stays hidden by accident": the
    morning reader is told why it is back -- new-user trial round 23)."""

    def __init__(self, new_doc: Mapping[str, Any]) -> None:
        self._doc = new_doc
        self._expired: dict[str, str] | None = None  # the entries' matchers -> expiry

    def _index(self) -> dict[str, str]:
        if self._expired is None:
            self._expired = {}
            for f in self._doc.get("findings") or ():
                if not isinstance(f, Mapping) or f.get("rule_id") != "suppression-expired":
                    continue
                entry = (f.get("evidence") or {}).get("suppression") or {}
                if isinstance(entry, Mapping) and entry.get("expires"):
                    self._expired.setdefault(_matchers(entry), str(entry["expires"]))
        return self._expired

    def why(self, old_muted_by: Any) -> str:
        muted_by = old_muted_by if isinstance(old_muted_by, Mapping) else {}
        expired = self._index().get(_matchers(muted_by))
        if expired:
            return f"its suppression expired on {expired}"
        expires = str(muted_by.get("expires") or "")
        scanned_at = str((self._doc.get("scan") or {}).get("started_at") or "")
        if expires and scanned_at and scanned_at[:10] > expires[:10]:
            return f"its suppression expired on {expires}"
        return "its suppression was removed or no longer matches"


def _matchers(entry: Mapping[str, Any]) -> str:
    return repr([entry.get(k) for k in _ENTRY_MATCHERS])


def diff_findings(old_doc: Mapping[str, Any], new_doc: Mapping[str, Any], new_a: Assessment,
                   not_assessed: list[NotAssessed], *, old_a: Assessment | None = None,
                   access_gaps: Mapping[str, tuple[str, str]] | None = None
                   ) -> tuple[list[FindingChange], ...]:
    """``old_a``: what the old scan assessed; a failing finding whose rule or severity it
    did not report is not "new" tonight (it is listed as not assessed by the old scan).
    ``access_gaps``: secrets whose readers one scan could not tell (diff_access's ``gaps``):
    a finding of theirs whose access evidence alone moved is not assessed, not changed."""
    old_f = _findings(old_doc)
    # (rule, resource) -> how many principals' rows were failing (FAIL or MUTED) in the old
    # scan: tonight's UNKNOWN row naming no principal has another id than theirs
    failing_readers: dict[tuple[str, str], int] = {}
    for row in old_f.values():
        if row.get("principal") and row.get("status") in ("FAIL", "MUTED"):
            key = (str(row.get("rule_id", "")), resource_key(row.get("resource") or {}))
            failing_readers[key] = failing_readers.get(key, 0) + 1
    seen: set[str] = set()
    new: list[FindingChange] = []
    resolved: list[FindingChange] = []
    changed: list[FindingChange] = []
    # the two scans wrote evidence in different layouts (a release in between): a finding
    # whose evidence alone differs is not a change of what was found (an upgrade night listed
    # ~280,000 "changed (evidence)" rows at 1,000 accounts)
    formats = (evidence_format(old_doc), evidence_format(new_doc))
    reformatted = 0
    unmuting = _Unmuting(new_doc)
    for fid, n in _findings(new_doc).items():
        seen.add(fid)
        o = old_f.get(fid)
        if o is not None and o == n:
            continue
        ns, os_ = n.get("status"), (o.get("status") if o else None)
        if ns == "UNKNOWN":
            if os_ != "UNKNOWN":
                # failing or not before (a PASS is not itemised): tonight it cannot be decided
                res = n.get("resource") or {}
                missing = ", ".join(n.get("missing") or ()) or n.get("message") or "inputs missing"
                readers = 0 if o is not None or n.get("principal") else failing_readers.get(
                    (str(n.get("rule_id", "")), resource_key(res)), 0)
                # concept review round 2: "was not failing" while the readers' rows were
                was = os_ if os_ in ("FAIL", "MUTED") else (
                    f"failing for {readers} principal{'s' if readers > 1 else ''}" if readers
                    else "not failing")
                not_assessed.append(NotAssessed(
                    scope="finding", subject=f"{n.get('rule_id')} {res.get('arn')}"
                    + (f" principal {n.get('principal')}" if n.get("principal") else ""),
                    reason=f"was {was}, now UNKNOWN: {missing}", scan="new"))
            continue
        if o is None or os_ == "UNKNOWN":
            if ns == "FAIL":
                res = n.get("resource") or {}
                rule_id = str(n.get("rule_id", ""))
                why = None if old_a is None or o is not None else old_a.out_of_scope(
                    rule_id, str(n.get("severity", "")))
                if why and old_a is not None and old_a.rules is not None and \
                        rule_id not in old_a.rules:
                    # a rule the previous scan did not run (a baseline given from tonight, a
                    # rule added to the pack): no one has seen its findings, so they are new,
                    # and say why (nightly-operations trial: "0 new" while HIGH rose by two)
                    new.append(_fchange(n, o, ("rule not evaluated by the previous scan",)))
                elif why:
                    not_assessed.append(NotAssessed(
                        scope="finding", subject=f"{n.get('rule_id')} {res.get('arn')}",
                        reason=why, scan="old"))
                else:
                    new.append(_fchange(n, o))
            continue
        diffs: list[str] = []
        if ns != os_:
            diffs.append("status")
        if n.get("severity") != o.get("severity"):
            diffs.append("severity")
        n_ev, o_ev = n.get("evidence") or {}, o.get("evidence") or {}
        moved: tuple[FieldChange, ...] = ()
        if n_ev != o_ev and _judged(n_ev) != _judged(o_ev):  # copies only when they differ
            diffs.append("evidence")
            moved = evidence_changes(_judged(o_ev), _judged(n_ev))
        if diffs == ["evidence"] and formats[0] != formats[1]:
            reformatted += 1
            diffs = []
        undecided = _undecided_gates(moved) if diffs == ["evidence"] else None
        res = n.get("resource") or {}
        gap = None if diffs != ["evidence"] or undecided is not None or not access_gaps else (
            access_gaps.get(str(res.get("arn", ""))) or access_gaps.get(resource_key(res)))
        if gap is not None and all(c.field.split(".", 1)[0] in _ACCESS_EVIDENCE for c in moved):
            # its access evidence moved on a night one scan could not read what the secret's
            # readers stand on (the key's grants: secret-policy-public's reader_classes went
            # DENIED -> CONDITIONAL, new-user trial round 24): the access drift says so, once
            not_assessed.append(NotAssessed(
                scope="finding", subject=f"{n.get('rule_id')} {res.get('arn')}"
                + (f" principal {n.get('principal')}" if n.get("principal") else ""),
                reason=f"its access evidence moved while {gap[1]}", scan=gap[0]))
            diffs = []
        if undecided is not None:
            # only gates that one scan could not decide moved (a ListGrants denied tonight
            # turned the key gate DENIED -> UNKNOWN, and it left "blocked_by"): what the scan
            # could not read, not a change of the estate (new-user trial round 24: "changed
            # (evidence: blocked_by ...)" on the night the audit role lost kms:ListGrants)
            which, gates = undecided
            res = n.get("resource") or {}
            not_assessed.append(NotAssessed(
                scope="finding", subject=f"{n.get('rule_id')} {res.get('arn')}"
                + (f" principal {n.get('principal')}" if n.get("principal") else ""),
                reason=f"its evidence moved only because {', '.join(gates)} could not be "
                       f"decided (UNKNOWN) in the {which} scan", scan=which))
            diffs = []
        if diffs == ["evidence"]:
            # reported both nights, only its evidence moved: when one scan did not look at
            # the finding's place (a narrower --regions night: a replica's key in the Region
            # left out turned a gate UNKNOWN), that is not a change but "not assessed"
            # (docs/history.md; review of the thirteenth session's merges)
            res = n.get("resource") or {}
            for which, a in (("old", old_a), ("new", new_a)):
                why = None if a is None else a.why_not(
                    account_id=str(res.get("account_id", "")),
                    region=str(res.get("region", "")), kind=str(res.get("type", "")),
                    arn=resource_key(res) or None, rule_id=str(n.get("rule_id", "")),
                    severity=str(n.get("severity", "")), principal=n.get("principal") or None)
                if why:
                    not_assessed.append(NotAssessed(
                        scope="finding", subject=f"{n.get('rule_id')} {res.get('arn')}"
                        + (f" principal {n.get('principal')}" if n.get("principal") else ""),
                        reason=f"its evidence moved while {why}", scan=which))
                    diffs = []
                    break
        if "status" in diffs or (diffs and "FAIL" in (ns, os_)):
            changed.append(_fchange(n, o, tuple(diffs), evidence=moved,
                                    unmuted=unmuting.why(o.get("muted_by"))
                                    if os_ == "MUTED" and ns != "MUTED" else None))
    for fid, o in old_f.items():
        if fid in seen or o.get("status") not in ("FAIL", "MUTED"):
            continue
        res = o.get("resource") or {}
        why = new_a.why_not(account_id=str(res.get("account_id", "")),
                            region=str(res.get("region", "")), kind=str(res.get("type", "")),
                            # the node id: a replica's names its primary, which the replica
                            # is judged with (findings.resource_key)
                            arn=resource_key(res) or None, rule_id=str(o.get("rule_id", "")),
                            severity=str(o.get("severity", "")),
                            principal=o.get("principal") or None)
        if why:
            not_assessed.append(NotAssessed(
                scope="finding", subject=f"{o.get('rule_id')} {res.get('arn')}"
                + (f" principal {o.get('principal')}" if o.get("principal") else ""),
                reason=why, scan="new"))
        else:
            # status RESOLVED whatever tonight holds (a PASS row only with --emit-pass, or the
            # resource gone): drift reads the same with or without --emit-pass
            resolved.append(_fchange(o, o, ("no longer reported",), status=RESOLVED))
    if reformatted:
        not_assessed.append(NotAssessed(
            scope="finding", subject=f"{reformatted} finding(s)", count=reformatted,
            reason=(f"only their evidence differs, and the two scans wrote evidence in different "
                    f"formats (evidence_format {formats[0]} -> {formats[1]}: a release of "
                    f"secretgraph in between); those changes are not listed"), scan="both"))
    return new, resolved, changed


#: the evidence members the access analysis writes (reader classes, a grant's or a reader's
#: gates and what blocks it)
_ACCESS_EVIDENCE = frozenset({"reader_classes", "gates", "blocked_by", "denied_by",
                              "gates_note", "denied_by_policies"})

#: evidence lists naming the gates that block a read (secret-policy-external-account's
#: ``blocked_by``, secret-cross-account-access-broken's ``denied_by``)
_GATE_LISTS = frozenset({"blocked_by", "denied_by"})


def _undecided_gates(moved: tuple[FieldChange, ...]) -> tuple[str, tuple[str, ...]] | None:
    """("new" | "old", the gates) when every moved evidence field is a gate's verdict that is
    UNKNOWN on one side (the same side for all), or a list of blocking gates that differs only
    by those gates; None when anything else moved (a change to report)."""
    gates: set[str] = set()
    sides: set[str] = set()
    lists: list[FieldChange] = []
    for c in moved:
        last = c.field.rsplit(".", 1)[-1]
        if last in _GATE_LISTS:
            lists.append(c)
            continue
        if not c.field.startswith("gates.") or last not in GATES or c.old == c.new:
            return None
        if c.new == "UNKNOWN" and c.old is not None:
            sides.add("new")
        elif c.old == "UNKNOWN" and c.new is not None:
            sides.add("old")
        else:
            return None
        gates.add(last)
    if not gates or len(sides) != 1:
        return None
    for c in lists:
        if not isinstance(c.old, list) or not isinstance(c.new, list) or \
                not set(map(str, c.old)) ^ set(map(str, c.new)) <= gates:
            return None
    return sides.pop(), tuple(g for g in GATES if g in gates)


def evidence_format(document: Mapping[str, Any]) -> int:
    """The findings document's ``scan.evidence_format`` (1 when absent: written before it
    existed)."""
    value = (document.get("scan") or {}).get("evidence_format")
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


#: evidence members that count what the scan could not read (drift's "Not assessed" says
#: that): a change in them alone is no change of the finding
_UNASSESSED_COUNTS = frozenset({"unassessed_accounts"})


def _judged(evidence: Any, key: str = "") -> Any:
    """``evidence`` without the counts of what was not assessed (at any depth): one more
    unreachable account had marked every organization-wide finding "changed (evidence)"
    (1,000-account trial); nor the trust zone's account counts (trust_zone.COUNT_FIELDS): an
    account that left the organization marked every secret-policy-external-account finding
    "changed (evidence: trust_zone.accounts_count 7 -> 6)" (ground-truth trial round 17) --
    the organization's own diff lists the account."""
    if isinstance(evidence, dict):
        skip = _UNASSESSED_COUNTS | (ZONE_COUNTS if key == ZONE_EVIDENCE else frozenset())
        return {k: _judged(v, k) for k, v in evidence.items() if k not in skip}
    if isinstance(evidence, list):
        return [_judged(v) for v in evidence]
    return evidence if evidence is not None else {}


#: an evidence member that restates the others in words: listed after them
_RESTATED = ("facts",)


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    """A mapping's members by dotted path (``gates.scp``), mappings entered, anything else (a
    list, a string, a number) one leaf."""
    if isinstance(value, dict) and (value or not path):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_leaves(inner, f"{path}.{key}" if path else str(key)))
        return out
    return {path: value}


def evidence_changes(old: Any, new: Any) -> tuple[FieldChange, ...]:
    """The evidence fields that moved between two findings (both already ``_judged``), by
    dotted path, old -> new; a field on one side only is noted "absent before" / "absent
    now". In the new evidence's order, words restating the others (``facts``) last: a
    "changed (evidence)" line said nothing of what changed (new-user trial round 8)."""
    before, after = _leaves(old if isinstance(old, dict) else {"evidence": old}), \
        _leaves(new if isinstance(new, dict) else {"evidence": new})
    moved: list[FieldChange] = []
    for path in list(after) + [p for p in before if p not in after]:
        if path in before and path in after:
            if before[path] != after[path]:
                moved.append(FieldChange(field=path, old=before[path], new=after[path]))
        elif path in after:
            moved.append(FieldChange(field=path, old=None, new=after[path],
                                     note="absent before"))
        else:
            moved.append(FieldChange(field=path, old=before[path], new=None,
                                     note="absent now"))
    return tuple(sorted(moved, key=lambda c: c.field.split(".")[0] in _RESTATED))
