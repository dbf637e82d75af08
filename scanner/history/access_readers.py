"""Read the effective readers per secret out of an AccessReport JSON (scanner.access).

Accepted shapes (scanner.access.report.AccessReport.to_dict(), and simpler ones)::

    {"secrets": {"<arn>": {"paths": [{"principal": ..., "decision": "ALLOWED", "gates": {...}}],
                           "readers": ["<principal>", ...], ...}}}
    {"secrets": {"<arn>": {"readers": [{"principal": ..., "decision": ..., ...}], ...}}}
    {"secrets": [{"arn" | "secret_arn": "<arn>", "readers": [...], ...}]}

``replicas`` (``{"<replica arn>": {...}}``, the same entry shape) are read too, keyed by the
replica's own ARN (its Region is in it): a principal that can read a replica is its reader, in
drift and in baselines alike (new-user trial round 8: a reader of a replica only was missing
from both). ``primary_of`` names a replica's primary secret.

``paths`` win over ``readers`` when both are present. ``reach`` entries (classes of readers a
``*``, organization-wide or account-wide grant reaches: ``{"subject": "*" |
"organization:<id>" | "account:<id>", "decision": ..., "label": ...}``) are readers too, keyed
by their subject: a secret that becomes readable by everyone or by the whole organization
gains a reader even when no principal of the snapshot is new. A decision ``ALLOWED``/``allow`` reads,
``CONDITIONAL`` reads under conditions (it counts as a reader), ``unknown`` -- or a DENIED path
whose gates deny nothing but include an UNKNOWN gate -- means it could not be assessed, and
anything else does not read. A bare principal string in ``readers`` is an allowed reader. A
secret entry with ``assessed: false`` or a non-empty ``missing`` list is not fully assessed.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from scanner.policy.arn import resource_account, with_region

ALLOW = "allow"
CONDITIONAL = "conditional"
UNKNOWN = "unknown"
DENY = "deny"
#: decisions under which a principal counts as a reader
READS = frozenset({ALLOW, CONDITIONAL})


@dataclass(frozen=True, kw_only=True, slots=True)
class Reader:
    principal: str
    decision: str  # allow | conditional | unknown | deny (normalised)
    raw: Mapping[str, Any] = field(default_factory=dict)  # the report's entry as it was

    @property
    def account_id(self) -> str | None:
        return principal_account(self.principal)


@dataclass(frozen=True, kw_only=True, slots=True)
class SecretAccess:
    secret_arn: str
    readers: Mapping[str, Reader]  # principal -> reader
    assessed: bool = True
    raw: Mapping[str, Any] = field(default_factory=dict)
    #: a replica's primary secret (its entry is in the report's ``replicas``); None: a primary
    primary_arn: str | None = None


_FAST = {"ALLOWED": "allow", "DENIED": "deny", "CONDITIONAL": "conditional"}


def normalise_decision(value: Any) -> str:
    fast = _FAST.get(value) if type(value) is str else None
    if fast is not None:
        return fast
    if value is True:
        return ALLOW
    text = str(value or "").strip().lower()
    if UNKNOWN in text or text in ("undetermined", "not_assessed", "not-assessed"):
        return UNKNOWN
    if text.startswith("allow") or text in ("read", "can_read", "can-read", "yes", "effective"):
        return ALLOW
    if text.startswith("conditional"):
        return CONDITIONAL
    return DENY


def _path_decision(entry: Mapping[str, Any]) -> str:
    decision = normalise_decision(entry.get("decision", entry.get("effect")))
    if decision != DENY:
        return decision
    gates = entry.get("gates")
    if isinstance(gates, Mapping):
        statuses = {str((g.get("status") if isinstance(g, Mapping) else g) or "").upper()
                    for g in gates.values()}
        if "UNKNOWN" in statuses and "DENIED" not in statuses:
            return UNKNOWN
    return decision


def is_class_subject(principal: str) -> bool:
    """A reach class ("*", "organization:<id>", "account:<id>"), not one principal."""
    return principal == "*" or principal.startswith(("organization:", "account:"))


@dataclass(frozen=True, kw_only=True, slots=True)
class OrgView:
    """What a scan knew of its organization, to tell which class subjects nest in which: the
    organization's id, its accounts (the access analysis's ``org_account_ids``: those it
    put in ``organization:<id>``) and each account's organization path where known."""

    org_id: str | None = None
    accounts: frozenset[str] = frozenset()
    paths: Mapping[str, str] = field(default_factory=dict)


def org_view(access_json: Mapping[str, Any] | None, snapshot: Any = None) -> OrgView:
    """The organization as the access report's ``settings`` record it (the analysis's own
    view), else as the snapshot holds it (a report written without settings)."""
    settings = (access_json or {}).get("settings")
    if isinstance(settings, Mapping) and isinstance(settings.get("org_account_ids"), list):
        paths = settings.get("org_paths")
        return OrgView(org_id=str(settings["org_id"]) if settings.get("org_id") else None,
                       accounts=frozenset(str(a) for a in settings["org_account_ids"]),
                       paths={str(k): str(v) for k, v in paths.items()}
                       if isinstance(paths, Mapping) else {})
    org = getattr(snapshot, "organization", None)
    if org is None:
        return OrgView()
    from scanner.access.scp import org_paths

    org_id = org.org_id or getattr(snapshot.meta, "org_id", None)
    return OrgView(org_id=org_id, accounts=frozenset(a.account_id for a in org.accounts),
                   paths=org_paths(org, org_id))


def _org_patterns(subject: str) -> tuple[str, ...] | None:
    """The aws:PrincipalOrgPaths patterns of an OU-path class (``organization:<id>/<path>...``,
    comma-separated); None for any other subject."""
    if not subject.startswith("organization:") or "/" not in subject:
        return None
    return tuple(p for p in subject[len("organization:"):].split(",") if p)


def subject_covers(outer: str, inner: str, org: OrgView) -> bool:
    """Whether the class subject ``outer`` holds every principal the class ``inner`` stands
    for. Class subjects nest: ``organization:<id>`` holds ``account:<X>`` for each account X
    of that organization and its OU-path classes ``organization:<id>/<path>...``; an OU-path
    class holds ``account:<X>`` for an account whose organization path its patterns match,
    and the OU-path classes under its patterns. Nothing else nests (``*`` matches every
    subject as a glob already; an account's class holds no other class)."""
    if not outer.startswith("organization:") or outer == inner:
        return outer == inner
    inner_account = inner[len("account:"):] if inner.startswith("account:") else None
    inner_paths = _org_patterns(inner)
    outer_paths = _org_patterns(outer)
    if outer_paths is None:
        org_id = outer[len("organization:"):]
        if not (org_id == org.org_id or (org_id == "zone" and org.org_id is None)):
            return False
        if inner_account is not None:
            return inner_account in org.accounts
        return inner_paths is not None and org_id != "zone" and \
            all(p.startswith(f"{org_id}/") for p in inner_paths)
    # aws:PrincipalOrgPaths is matched as StringLike ("*" any characters, "/" too)
    if inner_account is not None:
        path = org.paths.get(inner_account)
        return path is not None and any(fnmatch.fnmatchcase(path, p) for p in outer_paths)
    return inner_paths is not None and \
        all(any(fnmatch.fnmatchcase(i, p) for p in outer_paths) for i in inner_paths)


def class_accounts(subject: str, org: OrgView) -> frozenset[str]:
    """The accounts whose principals a class subject may stand for, as far as the scan knew
    them (an OU-path class: the accounts its patterns match, and those whose place is not
    known, which the analysis does not rule out)."""
    if subject.startswith("account:"):
        return frozenset((subject[len("account:"):],))
    patterns = _org_patterns(subject)
    if patterns is not None:
        return frozenset(a for a in org.accounts if a not in org.paths or any(
            fnmatch.fnmatchcase(org.paths[a], p) for p in patterns))
    if subject.startswith("organization:"):
        return org.accounts
    return frozenset()


def principal_account(principal: str) -> str | None:
    """The 12-digit account of an ARN, ``<acct>`` or ``account:<acct>`` principal."""
    if principal.startswith("account:"):
        principal = principal[len("account:"):]
    return resource_account(principal)


def _entries(access_json: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    secrets = access_json.get("secrets")
    if isinstance(secrets, Mapping):
        for arn, entry in secrets.items():
            if type(entry) is dict or isinstance(entry, Mapping):
                yield str(arn), entry
    elif isinstance(secrets, list):
        for entry in secrets:
            if isinstance(entry, Mapping):
                arn = entry.get("arn") or entry.get("secret_arn") or entry.get("secret")
                if arn:
                    yield str(arn), entry


def _replica_entries(access_json: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    replicas = access_json.get("replicas")
    if isinstance(replicas, Mapping):
        for arn, entry in replicas.items():
            if type(entry) is dict or isinstance(entry, Mapping):
                yield str(arn), entry


def _entry_arns(access_json: Mapping[str, Any], member: str) -> Iterator[str]:
    """The ARNs of a report's secrets (``member`` "secrets") or replicas, without building
    or parsing their entries: ``raw_entries``'s keys. An entry the previous scan held as
    ``SAME`` (equal to tonight's: scanner.history.records.Tonight) is an entry."""
    from scanner.history.records import SAME
    from scanner.history.blobs import StreamedMembers

    value = access_json.get(member)
    if type(value) is StreamedMembers:
        yield from value  # its keys: no entry is built
    elif isinstance(value, Mapping):
        for arn, entry in value.items():
            if entry is SAME or type(entry) is dict or isinstance(entry, Mapping):
                yield str(arn)
    elif member == "secrets":  # the list shape (module docstring)
        for arn, _ in _entries(access_json):
            yield arn


class EntryMap(Mapping[str, Any]):
    """secret or replica ARN -> a report's entry, as ``raw_entries`` gives them, but built
    (tonight's streamed report: scanner.history.access_json) or looked up only when read; a
    previous scan's entry equal to tonight's is ``SAME``."""

    def __init__(self, access_json: Mapping[str, Any]) -> None:
        from scanner.history.blobs import StreamedMembers

        self._arns = {arn: "secrets" for arn in _entry_arns(access_json, "secrets")}
        self._arns.update((arn, "replicas") for arn in _entry_arns(access_json, "replicas"))
        secrets = access_json.get("secrets")
        self._members: dict[str, Mapping[str, Any]] = {
            "secrets": secrets if isinstance(secrets, Mapping) else dict(_entries(access_json)),
            "replicas": access_json.get("replicas") or {}}
        self.streamed = any(type(m) is StreamedMembers for m in self._members.values())

    def __getitem__(self, arn: str) -> Any:
        return self._members[self._arns[arn]][arn]

    def __contains__(self, arn: object) -> bool:
        return arn in self._arns

    def __iter__(self) -> Iterator[str]:
        return iter(self._arns)

    def __len__(self) -> int:
        return len(self._arns)


def has_replicas(access_json: Mapping[str, Any] | None) -> bool:
    """Whether the report analysed replicas at all (``replicas`` present, even empty): one
    written before replicas were analysed says nothing about their readers."""
    return access_json is not None and isinstance(access_json.get("replicas"), Mapping)


def raw_entries(access_json: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    """secret or replica ARN -> the report's entry for it, unparsed (cheap: for equality
    checks). A replica's ARN is its primary's in another Region, so the keys never collide."""
    if not access_json:
        return {}
    out = dict(_entries(access_json))
    out.update(_replica_entries(access_json))
    return out


def primary_of(access_json: Mapping[str, Any] | None) -> dict[str, str]:
    """replica ARN -> its primary secret's ARN, for the replicas of the report whose primary
    is in it (Secrets Manager names a replica as its primary in the replica's Region)."""
    if not access_json:
        return {}
    # the ARNs alone: tonight's streamed entries are not built for this
    by_name = {with_region(arn, ""): arn for arn in _entry_arns(access_json, "secrets")}
    out: dict[str, str] = {}
    for arn in _entry_arns(access_json, "replicas"):
        primary = by_name.get(with_region(arn, ""))
        if primary is not None and primary != arn:
            out[arn] = primary
    return out


def secret_access(arn: str, entry: Mapping[str, Any],
                  primary_arn: str | None = None) -> SecretAccess:
    """One secret's (or replica's: ``primary_arn`` set) readers from its report entry."""
    readers: dict[str, Reader] = {}
    items = entry.get("paths") if isinstance(entry.get("paths"), list) else entry.get("readers")
    for r in items or ():
        if type(r) is str:
            reader = Reader(principal=r, decision=ALLOW, raw={"principal": r})
        elif type(r) is dict or isinstance(r, Mapping):
            principal = r.get("principal") or r.get("principal_arn") or r.get("arn")
            if not principal:
                continue
            reader = Reader(principal=str(principal), decision=_path_decision(r), raw=r)
        else:
            continue
        prev = readers.get(reader.principal)
        if prev is None or _rank(reader.decision) > _rank(prev.decision):
            readers[reader.principal] = reader
    for r in entry.get("reach") or ():
        if not isinstance(r, Mapping) or not r.get("subject"):
            continue
        reader = Reader(principal=str(r["subject"]), decision=_path_decision(r), raw=r)
        prev = readers.get(reader.principal)
        # the "*" path and the "*" class decide alike: the class entry wins a tie, for its
        # label and counts ("everyone ... [*] can now read: N principal(s) ...")
        if prev is None or _rank(reader.decision) >= _rank(prev.decision):
            readers[reader.principal] = reader
    assessed = entry.get("assessed", True) is not False and not entry.get("missing")
    return SecretAccess(secret_arn=arn, readers=readers, assessed=assessed, raw=entry,
                        primary_arn=primary_arn)


def secrets_access(access_json: Mapping[str, Any] | None) -> dict[str, SecretAccess]:
    """secret or replica ARN -> its readers. {} for None (no access report recorded)."""
    primaries = primary_of(access_json)
    return {arn: secret_access(arn, entry, primaries.get(arn))
            for arn, entry in raw_entries(access_json).items()}


def _rank(decision: str) -> int:
    return {DENY: 0, UNKNOWN: 1, CONDITIONAL: 2, ALLOW: 3}[decision]


def access_json_of(access: Any) -> Mapping[str, Any] | None:
    """The JSON form of an access report: an AccessReport (via to_dict()), its to_json() text,
    or a mapping as it is. None stays None."""
    import json

    if access is None:
        return None
    if isinstance(access, Mapping):
        return access
    if isinstance(access, (str, bytes)):
        return dict(json.loads(access))
    to_dict = getattr(access, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    to_json = getattr(access, "to_json", None)
    if callable(to_json):
        value = to_json()
        return dict(json.loads(value) if isinstance(value, str) else value)
    raise TypeError(f"not an access report: {type(access).__name__}")
