"""Suppressions (a YAML mutelist): entries match findings by rule, account, region, resource
(globs) and resource tags; each has a mandatory reason and expiry date. A matched FAIL/UNKNOWN
finding is kept with status MUTED and ``muted_by``; an expired entry stops muting and is itself
reported as a finding of ``suppression-expired`` (LOW), in the account the entry names when it
names one scanned account without a glob (``account``, else its ``resource`` ARN's account
field), else in the scan's home account (the central account, else the lowest scanned id:
``ScanMeta.home_account``). A malformed file is an InputError naming file and field -- never
skipped, never treated as empty."""

from __future__ import annotations

import dataclasses
import heapq
from collections import Counter
import datetime as dt
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence


from scanner import input_file
from scanner.engine.validation import first_error, load_schema
from scanner.errors import InputError
from scanner.yamlio import read_yaml
from scanner.findings import (
    PASS_RESOURCES_MAX,
    Finding,
    PassSummary,
    ResourceRef,
    Status,
    finding_id,
)
from scanner.engine.engine_rules import SUPPRESSION_EXPIRED
from scanner.graph.schema import GLOBAL
from scanner.model import ScanMeta
from scanner.policy.arn import arn_account, is_account_id, parse_arn

EXPIRED_RULE_ID = SUPPRESSION_EXPIRED.id
EXPIRED_TITLE = SUPPRESSION_EXPIRED.title
EXPIRED_SEVERITY = SUPPRESSION_EXPIRED.severity
#: The rules every scan evaluates whatever its rule pack, scope and flags: the engine itself
#: reports an expired entry of the scan's suppression file, and a scan given no file has no
#: entry that can expire -- it, too, judged that nothing had. ``scan.rules`` always lists
#: them (scanner.pipeline), and so does a findings document written before it did
#: (scanner.history.assessed.with_scope), so drift and the Security Hub archive resolve a
#: finding of theirs that a later scan no longer reports (new-user trial round 6: an expired
#: entry, renewed, stayed "not assessed" in drift and ACTIVE in Security Hub for ever).
EVERY_SCAN_RULES: tuple[str, ...] = (EXPIRED_RULE_ID,)
_MATCHERS = ("rule", "account", "region", "resource", "tags")
#: a finding's id written into an entry (copied from findings.json to mute that finding):
#: no matcher -- an entry names findings by what they are about, as the next night's do
_FINDING_ID_KEYS = ("id", "finding_id", "finding")


def _resource_in_scope(resource: str, accounts: Sequence[str], regions: Sequence[str]) -> bool:
    """Whether a ``resource`` glob could match a resource of the scanned accounts and Regions:
    an ARN glob whose account field names another account (or whose Region field another
    Region) matched no finding because the scan did not read it, not because of a typo
    (docs trial round 8's leftover: such an entry was "matched no finding ... a typo, or
    what it muted is fixed"). A field is read only where the text before it holds no
    wildcard: "*" matches across ":" in a glob, so after one the fields are not known."""
    arn = parse_arn(resource)
    if arn is None or any(c in f"{arn.partition}:{arn.service}:{arn.region}" for c in "*?["):
        return True
    if arn.region and arn.region not in regions:
        return False
    return not is_account_id(arn.account) or arn.account in accounts


@dataclass(frozen=True, kw_only=True, slots=True)
class Suppression:
    index: int
    reason: str
    expires: dt.date
    rule: str | None = None
    account: str | None = None
    region: str | None = None
    resource: str | None = None
    tags: Mapping[str, str] | None = None
    owner: str | None = None
    line: int | None = None  # the entry's line in its file (1-based), when read from one

    def in_scope(self, rules: Sequence[str] | None, accounts: Sequence[str],
                 regions: Sequence[str]) -> bool:
        """Whether tonight's scan could have matched the entry: its ``rule`` matches a rule
        the scan evaluated, its ``region`` a Region it scanned (or ``global``), its
        ``account`` an account it read. One that matched no finding outside its scope is not
        stale (new-user trial round 8)."""
        if self.rule is not None and rules is not None \
                and not any(fnmatchcase(r, self.rule) for r in rules):
            return False
        if self.region is not None \
                and not any(fnmatchcase(r, self.region) for r in (*regions, GLOBAL)):
            return False
        if self.account is not None and not any(fnmatchcase(a, self.account)
                                                for a in accounts):
            return False
        return self.resource is None or _resource_in_scope(self.resource, accounts, regions)

    def where(self, path: str | None) -> str:
        """``suppression 1 (s.yaml:2)``: counted from 1 for people, with the file and line."""
        return entry_label(self.index, path, self.line)

    @property
    def key(self) -> str:
        """Stable identity of the entry (its matchers), independent of its position."""
        tags = ",".join(f"{k}={v}" for k, v in sorted((self.tags or {}).items()))
        return "|".join([self.rule or "*", self.account or "*", self.region or "*",
                         self.resource or "*", tags])

    def active(self, now: dt.datetime) -> bool:
        return now.astimezone(dt.timezone.utc).date() <= self.expires

    def matches(self, f: Finding) -> bool:
        if self.rule is not None and not fnmatchcase(f.rule_id, self.rule):
            return False
        if self.account is not None and not fnmatchcase(f.resource.account_id, self.account):
            return False
        if self.region is not None and not fnmatchcase(f.resource.region, self.region):
            return False
        if self.resource is not None and not fnmatchcase(f.resource.arn, self.resource) and (
                f.resource.node is None or not fnmatchcase(f.resource.node, self.resource)):
            # a replica also answers to its graph node id, ``<primary ARN>#<region>``: what
            # its findings' resource.arn said before it named the replica's ARN
            # (ground-truth organization trial round 8), so entries written then still match
            return False
        if self.tags:
            tags = f.evidence.get("resource_tags") or {}
            for k, pattern in self.tags.items():
                value = tags.get(k)
                if value is None or not fnmatchcase(str(value), pattern):
                    return False
        return True

    def describe(self, path: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"reason": self.reason, "expires": self.expires.isoformat(),
                               "entry": self.index}
        if path:
            out["file"] = path
        for name in ("rule", "account", "region", "resource", "owner"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.tags:
            out["tags"] = dict(self.tags)
        return out


@dataclass(frozen=True, kw_only=True, slots=True)
class Suppressions:
    entries: tuple[Suppression, ...] = ()
    path: str | None = None


def _stringify_dates(value: Any) -> Any:
    if isinstance(value, dt.date):
        # a datetime keeps its time of day, which is not the documented YYYY-MM-DD and is
        # refused below (cut to its date it would expire on another day than written)
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _stringify_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify_dates(v) for v in value]
    return value


def parse_suppressions(data: Any, *, path: str) -> Suppressions:
    data = _stringify_dates(data)
    if data is None:
        raise InputError("empty suppression file (expected a 'suppressions' list)", path=path)
    schema = load_schema("scanner.schemas", "suppressions.schema.json")
    known = schema["properties"]["suppressions"]["items"]["properties"]
    entries_raw = data.get("suppressions") if isinstance(data, Mapping) else None
    for i, raw in enumerate(entries_raw if isinstance(entries_raw, list) else ()):
        given = [k for k in _FINDING_ID_KEYS if isinstance(raw, Mapping) and k in raw]
        if given:
            # the schema's "Additional properties are not allowed ('id' was unexpected)" gave
            # no way on to a first morning muting one finding by its id (new-user trial 32)
            raise InputError(
                f"'{given[0]}' was unexpected: an entry matches findings by "
                f"{', '.join(m for m in _MATCHERS if m != 'tags')} and tags, not by finding "
                "id: to mute one finding, give its rule_id as rule and its resource.arn as "
                "resource (findings.json)", path=path, rule=raw.get("rule"),
                field=f"suppressions[{i}].{given[0]}")
        # an entry with a key the schema does not know is left to the schema's error, which
        # names it and the closest key: 'rule_id' (findings.json's name) is the matcher 'rule'
        # misnamed, not a missing one (new-user trial 17)
        if isinstance(raw, Mapping) and not any(k in raw for k in _MATCHERS) \
                and all(k in known for k in raw):
            raise InputError(f"needs at least one of {', '.join(_MATCHERS)} (an entry without "
                             "one would mute everything)", path=path,
                             field=f"suppressions[{i}]")
    error = first_error(data, schema)
    if error:
        from scanner.file_kinds import wrong_flag_hint

        where, message = error
        if where == "(top level)":
            message += wrong_flag_hint(data, "suppressions")
        raise InputError(message, path=path, rule=_rule_at(data, where), field=where)
    entries = []
    for i, raw in enumerate(data["suppressions"]):
        if len("".join(raw["reason"].split())) < 3:  # the schema counts spaces as characters
            raise InputError("reason must say why, in at least 3 characters besides spaces",
                             path=path, rule=raw.get("rule"), field=f"suppressions[{i}].reason")
        try:
            expires = dt.date.fromisoformat(raw["expires"])
        except ValueError:
            raise InputError(f"not a valid date: {raw['expires']!r}", path=path,
                             rule=raw.get("rule"), field=f"suppressions[{i}].expires") from None
        entries.append(Suppression(
            index=i, reason=raw["reason"], expires=expires, rule=raw.get("rule"),
            account=raw.get("account"), region=raw.get("region"),
            resource=raw.get("resource"), tags=raw.get("tags"), owner=raw.get("owner")))
    return Suppressions(entries=tuple(entries), path=path)


def _rule_at(data: Any, where: str) -> str | None:
    if isinstance(data, Mapping) and where.startswith("suppressions["):
        try:
            idx = int(where.split("[", 1)[1].split("]", 1)[0])
            rule = data["suppressions"][idx].get("rule")
            return str(rule) if rule else None
        except (ValueError, IndexError, AttributeError, KeyError, TypeError):
            return None
    return None


#: ARNs of every kind of resource a finding is about, in several accounts and Regions: a
#: ``resource`` glob that matches them all (``arn:*``, ``*:*``) matches any finding
_ANY_ARNS = (
    "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-AbCdEf",
    "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:ec2:ap-southeast-2:777788889999:vpc-peering-connection/pcx-0123456789abcdef0",
    "arn:aws:ec2:sa-east-1:210987654321:vpc/vpc-0abc1234",
    "arn:aws:iam::123456789012:role/app",
    "arn:aws:lambda:us-west-2:999988887777:function:rotate",
)


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def _account_can_match(pattern: str) -> bool:
    """Whether some 12-digit account id matches ``pattern`` (digits, ``*`` and ``?``: the
    schema's alphabet): every character but ``*`` stands for exactly one digit."""
    fixed = len(pattern) - pattern.count("*")
    return fixed == 12 or ("*" in pattern and fixed <= 12)


def _matches_everything(e: Suppression, rule_ids: Sequence[str],
                        regions: frozenset[str]) -> list[str]:
    """The matchers of ``e`` that match every value their field can hold (by what the glob
    matches, not by its text: ``*?``, ``[a-z]*`` and ``arn:*`` as much as ``*``), or [] when
    one of them narrows the entry (tags always narrow: the tag must be present)."""
    if e.tags:
        return []
    given = {name: getattr(e, name) for name in ("rule", "account", "region", "resource")
             if getattr(e, name) is not None}
    if not given:
        return []
    everything = {
        # a literal id is deliberate, even when the scan loads that one rule only
        "rule": lambda p: _is_glob(p) and all(fnmatchcase(r, p) for r in rule_ids),
        # no literal digit, and room for 12 digits: every account id
        "account": lambda p: _account_can_match(p) and not any(c.isdigit() for c in p),
        "region": lambda p: _is_glob(p) and all(fnmatchcase(r, p) for r in regions),
        "resource": lambda p: _is_glob(p) and all(fnmatchcase(a, p) for a in _ANY_ARNS),
    }
    if all(everything[name](pattern) for name, pattern in given.items()):
        return [f"{name} {pattern!r}" for name, pattern in given.items()]
    return []


def check_suppressions(suppressions: Suppressions, rule_ids: Sequence[str]) -> None:
    """An entry that can match nothing, or everything, is a mistake, not a mute: InputError
    (exit 2) naming the file and the entry when its ``rule`` matches none of ``rule_ids`` (the
    ids of the findings the scan can make; a typo would mute nothing, silently; the closest
    ids are named), its ``account`` no 12-digit id, its ``region`` no AWS Region (nor
    ``global``), or when every matcher it has matches everything (``*``, ``*?``, ``[a-z]*``
    for every rule id, ``arn:*`` for every ARN: it would mute every finding)."""
    from scanner.aws.regions import known_regions
    from scanner.suggest import suggest

    known = list(rule_ids)
    regions = known_regions() | {GLOBAL}
    for e in suppressions.entries:
        field = f"suppressions[{e.index}]"
        broad = _matches_everything(e, known, known_regions())
        if broad:
            raise InputError(f"every matcher of this entry matches everything "
                             f"({', '.join(broad)}): it would mute every finding; name the "
                             "rules, accounts, Regions or resources it is for",
                             path=suppressions.path, rule=e.rule, field=field)
        if e.rule is not None and not any(fnmatchcase(r, e.rule) for r in known):
            raise InputError(f"rule {e.rule!r} matches no rule of the scan, so the entry would "
                             f"mute nothing{suggest(e.rule, known)}", path=suppressions.path,
                             rule=e.rule, field=f"{field}.rule")
        if e.account is not None and not _account_can_match(e.account):
            raise InputError(f"account {e.account!r} matches no 12-digit account id, so the "
                             "entry would mute nothing", path=suppressions.path, rule=e.rule,
                             field=f"{field}.account")
        if e.region is not None and not any(fnmatchcase(r, e.region) for r in regions):
            raise InputError(f"region {e.region!r} matches no AWS Region (nor 'global', for "
                             "IAM and account-level resources), so the entry would mute "
                             f"nothing{suggest(e.region, sorted(regions))}",
                             path=suppressions.path, rule=e.rule, field=f"{field}.region")


def load_suppressions(path: str | Path) -> Suppressions:
    p = Path(path)
    data = read_yaml(p, "suppression file")
    parsed = parse_suppressions(data, path=str(p))
    lines = _entry_lines(p)
    if len(lines) != len(parsed.entries):
        return parsed
    return dataclasses.replace(parsed, entries=tuple(
        dataclasses.replace(e, line=lines[e.index]) for e in parsed.entries))


def _entry_lines(path: Path) -> list[int]:
    """The line (1-based) of each entry of the file's ``suppressions`` list; [] when it cannot
    be told (the file was read and validated already: this only finds the lines)."""
    import yaml

    try:
        node = yaml.compose(input_file.read_text(path), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if getattr(key, "value", None) == "suppressions" and isinstance(value,
                                                                        yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


@dataclass(frozen=True, kw_only=True, slots=True)
class SuppressionResults:
    """The findings after muting, with the expired entries' findings; the PASS summary of
    ``suppression-expired`` (an entry in force passes: every scan judges every entry, and a
    scan without a file judged that none had expired -- count 0); its PASS rows
    (--emit-pass)."""

    findings: list[Finding]
    passed: PassSummary
    passes: tuple[Finding, ...] = ()
    #: entries in force, within the scan's scope, that matched no FAIL or UNKNOWN finding
    #: (new-user trial round 8: a typo'd glob went unnoticed for ever)
    unmatched: tuple[Suppression, ...] = ()
    muted: int = 0  # findings muted

    def to_json(self, suppressions: Suppressions, now: dt.datetime) -> dict[str, Any]:
        """findings.json ``scan.suppressions``: the file, its entries, how many are in force
        and expired, the findings muted, and the entries that matched none."""
        in_force = sum(1 for e in suppressions.entries if e.active(now))
        return {"path": suppressions.path, "entries": len(suppressions.entries),
                "in_force": in_force, "expired": len(suppressions.entries) - in_force,
                "muted": self.muted,
                "unmatched": [{**e.describe(suppressions.path), "line": e.line}
                              for e in self.unmatched]}


def suppress(findings: Sequence[Finding], suppressions: Suppressions | None,
             now: dt.datetime, *, meta: ScanMeta) -> list[Finding]:
    """Mute matching FAIL/UNKNOWN findings; report expired entries (LOW, FAIL), each in the
    account ``expired_account`` picks from the scan's ``meta``."""
    return apply_suppressions(findings, suppressions, now, meta=meta).findings


def _pass_results(suppressions: Suppressions | None, now: dt.datetime,
                  meta: ScanMeta) -> tuple[PassSummary, tuple[Finding, ...]]:
    """suppression-expired's PASS results: the entries still in force (new-user trial round
    8: the rule had no passed.by_rule entry, unlike every other rule the scan evaluated)."""
    entries = [e for e in (suppressions.entries if suppressions is not None else ())
               if e.active(now)]
    keys = Counter(e.key for e in entries)
    rows = []
    for e in entries:
        arn = f"suppression:{e.key}" + ("" if keys[e.key] == 1 else f"|entry={e.index}")
        rows.append(Finding(
            id=finding_id(EXPIRED_RULE_ID, arn), rule_id=EXPIRED_RULE_ID, title=EXPIRED_TITLE,
            severity=EXPIRED_SEVERITY, status=Status.PASS,
            resource=ResourceRef(type="Suppression", arn=arn,
                                 account_id=expired_account(e, meta),
                                 region=e.region if e.region and not _is_glob(e.region)
                                 else GLOBAL)))
    summary = PassSummary(rule_id=EXPIRED_RULE_ID, title=EXPIRED_TITLE, severity=EXPIRED_SEVERITY,
                          count=len(rows), resources=tuple(r.resource.arn for r in rows)
                          if len(rows) <= PASS_RESOURCES_MAX else None)
    return summary, tuple(rows)


def apply_suppressions(findings: Sequence[Finding], suppressions: Suppressions | None,
                       now: dt.datetime, *, meta: ScanMeta,
                       rules: Sequence[str] | None = None) -> SuppressionResults:
    """``suppress``, with suppression-expired's PASS results and the entries in force that
    matched no finding (``SuppressionResults``); ``rules``: the rules the scan evaluated (an
    entry for another rule is out of scope, not unmatched; None: any)."""
    passed, passes = _pass_results(suppressions, now, meta)
    if suppressions is None or not suppressions.entries:
        return SuppressionResults(findings=list(findings), passed=passed, passes=passes)
    in_force = [s for s in suppressions.entries if s.active(now)]
    active = _EntryIndex(in_force)
    expired_entries = [s for s in suppressions.entries if not s.active(now)]
    expired = _EntryIndex(expired_entries)
    would_match = {s.index: 0 for s in expired_entries}
    used: set[int] = set()
    muting = 0
    out: list[Finding] = []
    for f in findings:
        if f.status in (Status.FAIL, Status.UNKNOWN):
            entry = next((s for s in active.candidates(f) if s.matches(f)), None)
            if entry is not None:
                used.add(entry.index)
                muting += 1
                muted = entry.describe(suppressions.path)
                muted["original_status"] = f.status.value
                f = dataclasses.replace(f, status=Status.MUTED, muted_by=muted)
            else:
                for s in expired.candidates(f):
                    if s.matches(f):
                        would_match[s.index] += 1
        out.append(f)
    # two expired entries with the same matchers (renewed by appending a new one, both since
    # expired) are two findings: their ids must differ (org-scale trial round 2: one id for
    # both, and Security Hub kept one of them); a lone entry keeps the id of its matchers
    keys = Counter(s.key for s in expired_entries)
    by_expiry = Counter((s.key, s.expires) for s in expired_entries)
    for s in expired_entries:
        suffix = "" if keys[s.key] == 1 else (
            f"|expires={s.expires.isoformat()}" if by_expiry[(s.key, s.expires)] == 1
            else f"|expires={s.expires.isoformat()}|entry={s.index}")
        out.append(expired_finding(s, suppressions.path, would_match[s.index],
                                   account=expired_account(s, meta), id_suffix=suffix))
    return SuppressionResults(findings=out, passed=passed, passes=passes, muted=muting,
                              unmatched=_unmatched([s for s in in_force if s.index not in used],
                                                   findings, rules, meta))


def _unmatched(unused: list[Suppression], findings: Sequence[Finding],
               rules: Sequence[str] | None, meta: ScanMeta) -> tuple[Suppression, ...]:
    """The entries in force that muted nothing and match no FAIL or UNKNOWN finding at all
    (one that an earlier entry of the file matched first is not stale), within the scan's
    scope. Only the unused entries are tried, through their own index: few, as a rule."""
    candidates = [s for s in unused if s.in_scope(rules, meta.accounts, meta.regions)]
    if not candidates:
        return ()
    index = _EntryIndex(candidates)
    matched: set[int] = set()
    for f in findings:
        if f.status in (Status.FAIL, Status.UNKNOWN):
            matched.update(s.index for s in index.candidates(f)
                           if s.index not in matched and s.matches(f))
            if len(matched) == len(candidates):
                return ()
    return tuple(s for s in candidates if s.index not in matched)



class _EntryIndex:
    """The entries a finding can match, in file order (the first that matches mutes it, as
    trying every entry would): those whose rule pattern matches the finding's rule (decided
    once per rule id), then among them by a literal resource ARN, else by a literal account,
    else the rest. Trying every entry for every finding cost findings x entries: 1,000 entries
    took a 50,000-secret scan from 24 to 85 s CPU (org-scale trial round 2)."""

    def __init__(self, entries: Sequence[Suppression]) -> None:
        self._entries = list(entries)
        self._rules: dict[str, tuple[dict[str, list[Suppression]],
                                     dict[str, list[Suppression]], list[Suppression]]] = {}

    def _for_rule(self, rule_id: str) -> tuple[dict[str, list[Suppression]],
                                               dict[str, list[Suppression]], list[Suppression]]:
        hit = self._rules.get(rule_id)
        if hit is None:
            exact: dict[str, list[Suppression]] = {}
            by_account: dict[str, list[Suppression]] = {}
            rest: list[Suppression] = []
            for e in self._entries:
                if e.rule is not None and not fnmatchcase(rule_id, e.rule):
                    continue
                if e.resource is not None and not _is_glob(e.resource):
                    exact.setdefault(e.resource, []).append(e)
                elif e.account is not None and not _is_glob(e.account):
                    by_account.setdefault(e.account, []).append(e)
                else:
                    rest.append(e)
            hit = self._rules[rule_id] = (exact, by_account, rest)
        return hit

    def candidates(self, f: Finding) -> Iterable[Suppression]:
        exact, by_account, rest = self._for_rule(f.rule_id)
        by_node = exact.get(f.resource.node) if f.resource.node is not None else None
        lists = [x for x in (exact.get(f.resource.arn), by_node,
                             by_account.get(f.resource.account_id), rest) if x]
        if len(lists) <= 1:
            return lists[0] if lists else ()
        return heapq.merge(*lists, key=_by_index)


def entry_label(index: int, path: Any, line: Any = None) -> str:
    """How an entry is named to people, in every message: ``suppression 1 (s.yaml:2)`` --
    counted from 1, with its file and line (the file alone, or the field path
    ``suppressions[0]``, when they are not known). The same entry was 'suppression 3
    (s.yaml:11)' in the matched-nothing note, 'suppression entry 3 (suppressions[2])' in
    suppression-expired's message and 'suppression entry 2' (counted from 0) in remediate's
    note (new-user trial round 32)."""
    place = f"{path}:{line}" if path and line else (path or f"suppressions[{index}]")
    return f"suppression {index + 1} ({place})"


def _by_index(entry: Suppression) -> int:
    return entry.index


def expired_account(entry: Suppression, meta: ScanMeta) -> str:
    """The account a ``suppression-expired`` finding is reported in: the entry's ``account``
    when it is one account id (no glob) the scan read -- the findings it muted are that
    account's --, or the account field of its ``resource`` ARN when that is one (ground-truth
    trial round 15: a business unit's entry naming its key by ARN went to the other business
    unit's security account), else the scan's home account (the central account, else the
    lowest scanned id), where the suppression file, the scan's own configuration, is
    managed. Never "": an empty account made the ASFF ``product//default`` that Security Hub
    refuses (new-user trial)."""
    for named in (entry.account, arn_account(entry.resource) if entry.resource else None):
        if named is not None and not _is_glob(named) and named in meta.accounts:
            return named
    return meta.home_account


def expired_finding(entry: Suppression, path: str | None, matches: int, *,
                    account: str, id_suffix: str = "") -> Finding:
    arn = f"suppression:{entry.key}{id_suffix}"
    return Finding(
        id=finding_id(EXPIRED_RULE_ID, arn), rule_id=EXPIRED_RULE_ID, title=EXPIRED_TITLE,
        severity=EXPIRED_SEVERITY, status=Status.FAIL,
        # one concrete Region, else global: a glob ("us-*") is no Region -- Security Hub
        # refused it, and the finding could never be archived (review of the day's merges)
        resource=ResourceRef(type="Suppression", arn=arn, account_id=account,
                             region=entry.region if entry.region and not _is_glob(entry.region)
                             else GLOBAL),
        # counted from 1 for people, with its file and line (entry_label)
        message=(f"{entry.where(path)} expired "
                 f"on {entry.expires.isoformat()} (reason: {entry.reason}); it no longer mutes "
                 f"anything ({matches} finding(s) it would match)"),
        evidence={"suppression": entry.describe(path), "would_match": matches},
        remediation={**SUPPRESSION_EXPIRED.remediation, "automated": False},
        compliance={},
    )


def suppression_notes(document: Mapping[str, Any]) -> list[str]:
    """One line per suppression entry in force that matched no finding (findings.json
    ``scan.suppressions.unmatched``): ``suppression 1 (s.yaml:2) matched no finding: rule ...,
    resource ...; it mutes nothing``. A note where the user sees it (stderr, under the
    terminal's table, report.html), never a finding: the exit code is the findings' (new-user
    trial round 8: a typo'd resource glob was mentioned nowhere)."""
    scan = document.get("scan") or {}
    applied = scan.get("suppressions") if isinstance(scan, Mapping) else None
    if not isinstance(applied, Mapping):
        return []
    path = applied.get("path")
    incomplete = "" if scan.get("complete", True) else (
        "; the scan is incomplete, and what it did not read may match it")
    notes = []
    for entry in applied.get("unmatched") or ():
        if not isinstance(entry, Mapping):
            continue
        label = entry_label(int(entry.get("entry") or 0), path, entry.get("line"))
        parts = [f"{name} {entry[name]}" for name in ("rule", "account", "region", "resource")
                 if entry.get(name)]
        if isinstance(entry.get("tags"), Mapping) and entry["tags"]:
            # (joined with the others, not after them: an entry of tags alone read
            # "matched no finding: , tags ..." -- docs audit, session 20)
            parts.append("tags " + ", ".join(f"{k}={v}" for k, v in sorted(entry["tags"].items())))
        matchers = ", ".join(parts)
        notes.append(f"{label} matched no finding: {matchers}; it "
                     f"mutes nothing (a typo, or what it muted is fixed){incomplete}")
    return notes
