"""Readers of each secret in two scans' access reports: new readers and lost readers.

Classes of readers (everyone, the organization, a whole account: the access report's
``reach``) are readers too and come first: a secret that became readable by everyone is the
first line. A reader whose decision became unknown, or whose secret or account was not
assessed, is not assessed, never lost. So is every reader gained or lost by a secret whose
resource policy or key policy one of the scans did not read (the snapshot's ``unread``): the
readers stand on that policy, and an unread resource policy may be the only allow within the
account (fault trial round 3). And so is a reader gained only because every gate that denied
it last night could not be read tonight (an SCP that denied it, not read: fault trial round
10). And so is every reader gained or lost by a secret or replica in
both reports that one scan did not assess (a replica in a Region it did not scan), or whose key
one scan collected and the other did not: its key gate read UNKNOWN, "key not collected", on
one side only (review of the day's merges, defect 1)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Mapping

from scanner.policy.arn import parse_arn
from scanner.history.access_readers import READS, UNKNOWN, OrgView, Reader, SecretAccess, \
    class_accounts, EntryMap, has_replicas, is_class_subject, org_view, primary_of, \
    principal_account, secret_access, subject_covers
from scanner.history.assessed import Assessment
from scanner.history.drift import AccessChange, NotAssessed, ReaderChange
from scanner.history.records import SAME, StoredScan
from scanner.graph.schema import replica_node, scheduled_for_deletion
from scanner.model import Snapshot


def _rc(reader: Reader, other: Reader | None) -> ReaderChange:
    # a path's "verdict" indexes the access report's verdict list, which drift does not carry
    detail = {k: v for k, v in reader.raw.items() if k != "verdict"}
    # the other side's entry too: a lost reader's gates tonight (ground-truth organization
    # trial round 9: the HTML drift showed last night's ALLOWED gates for it)
    other_detail = {k: v for k, v in other.raw.items() if k != "verdict"} \
        if other is not None else None
    return ReaderChange(principal=reader.principal, decision=reader.decision,
                        other_decision=other.decision if other else None, detail=detail,
                        other_detail=other_detail)


def diff_access(old: StoredScan, new: StoredScan, old_a: Assessment, new_a: Assessment,
                 not_assessed: list[NotAssessed],
                 gaps: dict[str, tuple[str, str]] | None = None) -> list[AccessChange]:
    """``gaps``, when given, receives each secret whose access changed while one scan did not
    read what its readers stand on (secret ARN -> (the scan, what was not read)): the findings'
    diff reads it (diff_findings: their access evidence moved with it)."""
    if old.access is None or new.access is None:
        which = "both" if old.access is None and new.access is None else \
            ("old" if old.access is None else "new")
        not_assessed.append(NotAssessed(scope="access", subject="all secrets",
                                        reason="no access report recorded", scan=which))
        return []
    old_raw, new_raw = EntryMap(old.access), EntryMap(new.access)
    changed = _changed(old_raw, new_raw)
    # replicas are readers' secrets too, keyed by their own ARN (new-user trial round 8: a
    # reader of a replica only was "0 new readers"); a report written before replicas were
    # analysed holds none, which says nothing about their readers
    old_prim, new_prim = primary_of(old.access), primary_of(new.access)
    primaries = {**old_prim, **new_prim}
    replicas_in = {"old": has_replicas(old.access), "new": has_replicas(new.access)}
    old_s = {arn: secret_access(arn, old_raw[arn], old_prim.get(arn))
             for arn in changed if arn in old_raw}
    new_s = {arn: secret_access(arn, new_raw[arn], new_prim.get(arn))
             for arn in changed if arn in new_raw}
    secret_where = {s.arn: (a.account_id, r.region) for a in new.snapshot.accounts
                    for r in a.regions for s in r.secrets}
    secret_where_old = {s.arn: (a.account_id, r.region) for a in old.snapshot.accounts
                        for r in a.regions for s in r.secrets}
    old_gaps, new_gaps = policy_gaps(old.snapshot), policy_gaps(new.snapshot)
    old_keys, new_keys = collected_keys(old.snapshot), collected_keys(new.snapshot)
    where_both = {**secret_where_old, **secret_where}
    policies = _Policies(old, new)
    # where each scan looked (its accounts, Regions, listings); a resource it read in part is
    # told by what was not read of it (``_policy_gap``: its resource policy, its key policy)
    old_place, new_place = (replace(a, resource_gaps=frozenset()) for a in (old_a, new_a))
    new_org = org_view(new.access, new.snapshot)
    changes: list[AccessChange] = []
    for arn in sorted(set(old_s) | set(new_s)):
        o, n = old_s.get(arn), new_s.get(arn)
        primary = primaries.get(arn)
        if primary is not None and not (replicas_in["old"] and replicas_in["new"]):
            which = "both" if not (replicas_in["old"] or replicas_in["new"]) else \
                ("old" if not replicas_in["old"] else "new")
            entry = n if n is not None else o
            if entry is not None and any(r.decision in READS for r in entry.readers.values()):
                not_assessed.append(NotAssessed(
                    scope="access", subject=arn, scan=which,
                    reason="the access report holds no replica entries (recorded before "
                           "replicas were analysed)"))
            continue
        if n is None:
            assert o is not None
            acct, region, kind, place = _place(arn, o.raw, secret_where_old, primary)
            gone_why: str | None = new_a.why_not(account_id=acct, region=region, kind=kind,
                                                 arn=place) if acct else \
                "the secret is absent from the new access report"
            readers = [r for r in o.readers.values() if r.decision in READS]
            if gone_why and readers:
                not_assessed.append(NotAssessed(scope="access", subject=arn, reason=gone_why,
                                                scan="new"))
            continue  # a removed secret shows under resources; its readers go with it
        if o is None:
            acct, region, kind, place = _place(arn, n.raw, secret_where, primary)
            new_why = old_a.why_not(account_id=acct, region=region, kind=kind, arn=place) \
                if acct else None
            if new_why:
                not_assessed.append(NotAssessed(scope="access", subject=arn, reason=new_why,
                                                scan="old"))
                continue
        gained: list[ReaderChange] = []
        lost: list[ReaderChange] = []
        old_readers = o.readers if o is not None else {}
        # a secret in both reports that one scan did not assess -- a replica in a Region it
        # did not scan: the primary's DescribeSecret lists it, its key is not collected, so
        # its key gate reads UNKNOWN "key not collected" -- is asked about as a secret present
        # on one side only is (review of the day's merges, defect 1: a `--regions us-east-1`
        # scan said "everyone ... can now read [conditional] (was deny)" on the us-west-2
        # replicas). docs/history.md: "a region not scanned" is never a change
        gap = _place_gap(arn, o, n, where_both, primary, old_place, new_place) or \
            _policy_gap(arn, o, n, old_gaps, new_gaps, primary) or \
            _key_gap(o, n, old_keys, new_keys, old_a, new_a)
        if gap is not None:
            if gaps is not None:
                gaps[arn] = gap
            # its readers stand on a policy one scan did not read (it may be the only allow
            # within the account, or grant anyone): no reader gained or lost can be told
            # (fault trial round 3: a throttled GetResourcePolicy read as "2 lost readers")
            if _reader_changes(old_readers, n.readers):
                not_assessed.append(NotAssessed(scope="access", subject=arn, reason=gap[1],
                                                scan=gap[0]))
            continue
        for principal, r in sorted(n.readers.items(), key=_classes_first):
            prev = old_readers.get(principal)
            if r.decision in READS and (prev is None or prev.decision not in READS):
                unread = gates_gone_unknown(prev, r)
                if unread:
                    # it reads only if what could not be read allows (fault-injection trial
                    # round 10: an SCP that denied it, its DescribePolicy denied tonight, made
                    # "can now read [conditional] (was deny)")
                    not_assessed.append(NotAssessed(
                        scope="access", subject=f"{principal} -> {arn}", scan="new",
                        reason="a gate could not be assessed (" + ", ".join(unread) + ")"))
                    continue
                gained.append(_rc(r, prev))
        for principal, r in sorted(old_readers.items(), key=_classes_first):
            if r.decision not in READS:
                continue
            now = n.readers.get(principal)
            if now is not None and now.decision in READS:
                continue
            p_acct = principal_account(principal)
            why: str | None = None
            if not n.assessed:
                why = "the secret's access was not fully assessed"
            elif now is not None and now.decision == UNKNOWN:
                why = "a gate could not be assessed (decision unknown)"
            elif p_acct and p_acct in old_a.iam_read and p_acct not in new_a.iam_read and \
                    not _granted_to_none_of(n.raw, p_acct, new_org):
                # (a principal no grant of tonight's resource policy can reach is lost
                # whatever its unread identity policies say: ground-truth trial round 24)
                why = f"IAM of account {p_acct} was not read"
            if why:
                not_assessed.append(NotAssessed(scope="access", subject=f"{principal} -> {arn}",
                                                reason=why, scan="new"))
            else:
                lost.append(_rc(r, now))
        if gained and lost and o is not None:
            gained, lost = _renamed_classes(gained, lost, o, n, policies, primary)
        if gained or lost:
            changes.append(AccessChange(secret_arn=arn, gained=tuple(gained), lost=tuple(lost)))
    # a secret that became readable by everyone / the organization / a whole account first
    changes.sort(key=lambda c: not any(is_class_subject(r.principal) for r in c.gained))
    return changes


def _gate_status(value: Any) -> str | None:
    status = value.get("status") if isinstance(value, Mapping) else value
    return status if isinstance(status, str) else None


def _granted_to_none_of(entry: Mapping[str, Any], account: str, org: OrgView) -> bool:
    """Whether no Allow of the secret's resource policy (the access report entry's
    ``grants``) can reach a principal of ``account``: each names another account or one of
    its principals, or is a ``*`` narrowed to the organization (aws:PrincipalOrgID) that
    ``account`` is not in as the scan read it. A cross-account read needs the resource
    policy's Allow (IAM User Guide, "Cross-account policy evaluation logic"), so such a
    principal cannot read, whatever its identity policies (unread) say. Any other grant
    (public, restricted by other conditions, another organization, a federated or service
    principal) or an entry without grants may reach it: False."""
    grants = entry.get("grants")
    if not isinstance(grants, list) or org.org_id is None or account in org.accounts:
        return False
    for g in grants:
        if not isinstance(g, Mapping) or g.get("source") != "resource_policy":
            continue
        scope = g.get("scope")
        if scope in ("account", "principal"):
            if g.get("account_id") == account:
                return False
        elif not (scope == "organization" and g.get("principal") == "*"):
            return False
    return True


def gates_gone_unknown(old: Reader | None, new: Reader) -> list[str]:
    """The gates that denied ``old`` and are UNKNOWN (not read: an unread SCP, IAM, key or
    resource policy) in ``new``'s path, as ``"scp: DENIED -> UNKNOWN"`` -- when every gate
    that denied it is so: then the new read rests on what was not read, not on a change, and is
    no gained reader. A gate that denied and now allows is a change (a grant added), and the
    reader is gained as before, whatever else is unread. Empty when ``old`` is None (a
    principal the old report did not evaluate) or holds no gates (a class of readers)."""
    if old is None:
        return []
    before, after = old.raw.get("gates"), new.raw.get("gates")
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return []
    denied = sorted(g for g, v in before.items() if _gate_status(v) == "DENIED")
    if not denied or any(_gate_status(after.get(g)) != "UNKNOWN" for g in denied):
        return []
    return [f"{gate}: DENIED -> UNKNOWN" for gate in denied]


def _changed(old_raw: EntryMap, new_raw: EntryMap) -> set[str]:
    """The secrets and replicas whose entries differ: an entry equal on both sides cannot
    hold a change, and is skipped before anything is parsed. A previous entry read as
    ``SAME`` against tonight's (scanner.history.records.Tonight: equal but for its paths'
    verdict indices, which the drift does not read) is equal; tonight's streamed entries
    are built one at a time, only to be compared with a previous entry that is not
    ``SAME`` (fifteenth session: neither report's whole JSON is held for the drift)."""
    out: set[str] = set()
    for arn in new_raw:
        if arn not in old_raw:
            out.add(arn)
            continue
        o = old_raw[arn]
        if o is SAME:
            continue
        if o != new_raw[arn]:
            out.add(arn)
    for arn in old_raw:
        if arn not in new_raw:
            if old_raw[arn] is SAME:  # pragma: no cover -- SAME names tonight's entry
                raise ValueError(f"{arn}: read as tonight's entry, absent from tonight's")
            out.add(arn)
    return out


class _Policies:
    """The two scans' resource policies (parsed, so that reformatting is no change) and what
    each knew of its organization, read when a secret's classes first need them."""

    def __init__(self, old: StoredScan, new: StoredScan) -> None:
        self._scans = (old, new)
        self._texts: list[dict[str, str | None]] = []
        self._views: tuple[OrgView, OrgView] | None = None

    def same(self, arn: str) -> bool:
        """Whether the secret's resource policy is the same in both snapshots (and read in
        both: a secret absent from one is not the same)."""
        if not self._texts:
            self._texts = [{s.arn: s.resource_policy for a in scan.snapshot.accounts
                            for r in a.regions for s in r.secrets} for scan in self._scans]
        old_t, new_t = self._texts
        if arn not in old_t or arn not in new_t:
            return False
        old, new = old_t[arn], new_t[arn]
        return old == new or (old is not None and new is not None and _parsed(old) ==
                              _parsed(new))

    def views(self) -> tuple[OrgView, OrgView]:
        if self._views is None:
            self._views = (org_view(self._scans[0].access, self._scans[0].snapshot),
                           org_view(self._scans[1].access, self._scans[1].snapshot))
        return self._views


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _renamed_classes(gained: list[ReaderChange], lost: list[ReaderChange], o: SecretAccess,
                     n: SecretAccess, policies: _Policies, primary: str | None
                     ) -> tuple[list[ReaderChange], list[ReaderChange]]:
    """``gained`` and ``lost`` without the classes that were only renamed: a class gained
    that nests in a class lost, or holds it (``subject_covers``: ``account:<member>`` in
    ``organization:<id>``), when the secret's resource policy (a replica's: its primary's) is
    the same in both scans and the principals of the snapshot that read in those classes'
    accounts are the same, with the same decisions. The classes a grant reaches follow from
    its statements; with those unchanged, a class renamed is the analysis's, not the estate's
    -- the reach change of 2026-12-05 (a ``*`` grant narrowed by aws:PrincipalAccount reaches
    ``account:<member>``, no longer ``organization:<id>``) made the first night after it say
    "principals of account ... can now read" and "the whole organization can no longer read"
    of an unchanged estate (review of the day's merges, defect 2). A policy that changed
    keeps both lines: the organization really can no longer read."""
    g_cls = [r.principal for r in gained if is_class_subject(r.principal) and r.principal != "*"]
    l_cls = [r.principal for r in lost if is_class_subject(r.principal) and r.principal != "*"]
    if not g_cls or not l_cls or not policies.same(primary or o.secret_arn):
        return gained, lost
    views = policies.views()

    def nest(a: str, b: str) -> bool:
        return any(subject_covers(a, b, v) or subject_covers(b, a, v) for v in views)

    g_ren = {g for g in g_cls if any(nest(g, lc) for lc in l_cls)}
    l_ren = {lc for lc in l_cls if any(nest(g, lc) for g in g_ren)}
    if not g_ren:
        return gained, lost
    accounts = {a for s in g_ren | l_ren for v in views for a in class_accounts(s, v)}

    def readers(sa: SecretAccess) -> set[tuple[str, str]]:
        return {(p, r.decision) for p, r in sa.readers.items()
                if not is_class_subject(p) and r.decision in READS
                and principal_account(p) in accounts}

    if readers(o) != readers(n):
        return gained, lost
    return ([r for r in gained if r.principal not in g_ren],
            [r for r in lost if r.principal not in l_ren])


def _place(arn: str, entry: Mapping[str, Any], where: Mapping[str, tuple[str, str]],
           primary: str | None) -> tuple[str, str, str, str]:
    """(account, Region, kind, what to ask ``Assessment.why_not`` about) of a secret or
    replica: a replica is asked about as its graph node (``primary#region``), so that a scan
    that did not read its primary did not assess it either."""
    acct, region = where.get(arn, ("", ""))
    if primary is None:
        return acct, region, "Secret", arn
    if not acct:  # a replica in a Region not listed: its entry says where it is
        acct, region = str(entry.get("account_id") or ""), str(entry.get("region") or "")
    return acct, region, "SecretReplica", replica_node(primary, region)


def policy_gaps(snapshot: Snapshot) -> tuple[dict[str, str], dict[str, str]]:
    """(secret ARN -> what of its own was not read, for a secret whose resource policy was not
    read; key ARN -> what of it was not read, for a key whose key policy or grants were not
    read). Read from the snapshot's ``unread`` fields, so the scans stored before access
    reports marked it are read alike. A key's grants (ListGrants) are Allow statements beside
    its key policy: one that failed leaves the reads the key policy alone does not allow
    CONDITIONAL on them (user trial round 24: "everyone ... can now read [conditional] (was
    deny)" the night kms:ListGrants was denied). Its tags (ListResourceTags) are the
    aws:ResourceTag of the Decrypt: a failed read leaves a condition on them undecided, and
    drift said the same "can now read [conditional] (was deny)" (docs truth round 15). A
    snapshot from before grants or tags were collected marks none unread: both nights then
    stand on what was read."""
    secrets: dict[str, str] = {}
    keys: dict[str, str] = {}
    for acct in snapshot.accounts:
        for reg in acct.regions:
            for s in reg.secrets:
                # a secret scheduled for deletion has no readers, a definite answer: AWS
                # refuses its policy, which is why it was not read (review of the day's
                # merges: drift said "not read" where the readers were lost to the deletion)
                if "resource_policy" in s.unread and not scheduled_for_deletion(
                        {"deleted_date": s.deleted_date}):
                    secrets[s.arn] = "its resource policy was not read"
            for k in reg.kms_keys:
                if "policy" in k.unread or "key" in k.unread:
                    keys[k.arn] = f"the key policy of its key {k.arn} was not read"
                else:
                    # its grants (ListGrants) and its tags (ListResourceTags: aws:ResourceTag
                    # on the Decrypt, the key's own) are read beside the key policy: either
                    # unread leaves the reads that stand on them undecided
                    parts = [what for field, what in (("grants", "grants"), ("tags", "tags"))
                             if field in k.unread]
                    calls = [call for field, call in (("grants", "ListGrants"),
                                                      ("tags", "ListResourceTags"))
                             if field in k.unread]
                    if parts:
                        keys[k.arn] = (f"the {' and '.join(parts)} of its key {k.arn} were not "
                                       f"read ({', '.join(calls)})")
    return secrets, keys


def collected_keys(snapshot: Snapshot) -> frozenset[str]:
    """The ARNs of the KMS keys a snapshot holds (a key named by an alias ARN: that too)."""
    out: set[str] = set()
    for acct in snapshot.accounts:
        for reg in acct.regions:
            for k in reg.kms_keys:
                out.add(k.arn)
                prefix = k.arn.split(":key/", 1)[0]
                out.update(f"{prefix}:{a}" for a in k.aliases if a.startswith("alias/"))
    return frozenset(out)


def _place_gap(arn: str, o: SecretAccess | None, n: SecretAccess | None,
               where: Mapping[str, tuple[str, str]], primary: str | None,
               old_a: Assessment, new_a: Assessment) -> tuple[str, str] | None:
    """(which scan, why) when a secret or replica in both reports was not assessed by one of
    the scans (``Assessment.why_not``: its account or Region not scanned, for a replica its
    primary's too; its listing failed there); None when both assessed it -- or neither did
    (both reports then stand on the same missing inputs, as ``_key_gap``: what changed
    between them is what the scans read, a change)."""
    if o is None or n is None:
        return None  # asked by the caller, on the side it is missing from
    acct, region, kind, place = _place(arn, n.raw, where, primary)
    if not acct:
        return None
    found = [(which, why) for which, a in (("old", old_a), ("new", new_a))
             if (why := a.why_not(account_id=acct, region=region, kind=kind, arn=place))]
    return found[0] if len(found) == 1 else None


def _key_gap(o: SecretAccess | None, n: SecretAccess, old_keys: frozenset[str],
             new_keys: frozenset[str], old_a: Assessment, new_a: Assessment
             ) -> tuple[str, str] | None:
    """(which scan, why) when the secret's customer key was collected by one scan and not by
    the other: the key gate of the scan without it reads UNKNOWN ("key not collected", a
    CONDITIONAL reader) where the other read the key policy -- no reader gained or lost on
    it can be told, as for a key policy one scan did not read (``_policy_gap``). A key that
    neither scan collected (another account's, outside both scans) leaves both reports alike
    on that gate: their other changes are changes."""
    if o is None:
        return None
    found: list[tuple[str, str]] = []
    for which, entry, keys, other, a in (("old", o, old_keys, new_keys, old_a),
                                         ("new", n, new_keys, old_keys, new_a)):
        key = entry.raw.get("key_arn")
        if not isinstance(key, str) or not key or entry.raw.get("aws_managed_key") or \
                key in keys or key not in other:
            continue
        parsed = parse_arn(key)
        why = a.why_not(account_id=parsed.account, region=parsed.region, kind="KmsKey",
                        arn=key) if parsed is not None else None
        found.append((which, f"its key {key} was not collected" + (f" ({why})" if why else "")))
    return found[0] if len(found) == 1 else None


def _policy_gap(arn: str, o: SecretAccess | None, n: SecretAccess,
                old_gaps: tuple[dict[str, str], dict[str, str]],
                new_gaps: tuple[dict[str, str], dict[str, str]],
                primary: str | None = None) -> tuple[str, str] | None:
    """(which scan, why) when the secret's resource policy (a replica's: its primary's) or its
    key's policy or grants were not read in the old or the new scan; None when both scans read
    them."""
    found: list[tuple[str, str]] = []
    for which, entry, (secrets, keys) in (("old", o, old_gaps), ("new", n, new_gaps)):
        if entry is None:
            continue
        why = secrets.get(arn)
        if why is None and primary is not None and primary in secrets:
            why = f"the resource policy of its primary {primary} was not read"
        key = entry.raw.get("key_arn")
        if why is None and isinstance(key, str) and key in keys:
            why = keys[key]
        if why is not None:
            found.append((which, why))
    if not found:
        return None
    if len(found) == 2:
        return "both", found[1][1]
    return found[0]


def _reader_changes(old: Mapping[str, Reader], new: Mapping[str, Reader]) -> bool:
    """Does any principal or class read in one and not in the other?"""
    return any((r.decision in READS) != (p is not None and p.decision in READS)
               for r, p in [(r, old.get(k)) for k, r in new.items()]
               + [(r, new.get(k)) for k, r in old.items()])


def _classes_first(item: tuple[str, Reader]) -> tuple[int, str]:
    """Everyone, then the organization, then whole accounts, then single principals."""
    p = item[0]
    rank = 0 if p == "*" else 1 if p.startswith("organization:") else \
        2 if p.startswith("account:") else 3
    return rank, p
