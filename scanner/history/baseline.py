"""Access baselines: the readers a person has reviewed and accepted, per secret.

File format (YAML, validated by scanner/schemas/baseline.schema.json)::

    version: 1
    allowed_external_accounts: ["999999999999"]      # their principals may read any secret
    secrets:
      - secret: "arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-*"  # ARN or name glob
        readers:
          - "arn:aws:iam::222222222222:role/app"     # principal ARN, globs allowed
          - "333333333333"                            # any principal of this account

A replica is a secret of its own for readers (its own key, its own verdict: the access
report's ``replicas``), named by its own ARN; an entry matching its primary secret (the
primary's ARN or name) covers its replicas too, and an entry naming the replica's ARN covers
that replica only. A baseline written before replicas were read keeps working: a reader of a
replica that the primary's entry accepts is accepted (new-user trial round 8).

A principal that can read a secret (decision ALLOWED or CONDITIONAL) and that no matching entry
allows is an ``access-outside-baseline`` finding (HIGH, FAIL); one whose access could not be
decided (a gate UNKNOWN) and that the baseline does not allow is the same finding as UNKNOWN.
So is a class of readers (the access report's ``reach``) that stands on an input not read: the
secret's resource policy (its ``missing``), or the IAM of the accounts it reaches when no member
of an account whose IAM was read can read (its ``unassessed_accounts``, named in the finding's
``missing``).
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from scanner.policy.arn import is_account_id
from scanner.engine.engine_rules import ACCESS_OUTSIDE_BASELINE
from scanner.errors import InputError
from scanner.findings import (
    PASS_RESOURCES_MAX,
    Finding,
    PassSummary,
    ResourceRef,
    Status,
    finding_id,
)
from scanner.history.access_readers import (
    CONDITIONAL,
    READS,
    UNKNOWN,
    OrgView,
    SecretAccess,
    access_json_of,
    is_class_subject,
    org_view,
    principal_account,
    secrets_access,
    subject_covers,
)
from scanner.graph.schema import replica_node
from scanner.model import Snapshot
from scanner.policy.arn import arn_account, arn_region
from scanner.yamlio import read_yaml

RULE_ID = ACCESS_OUTSIDE_BASELINE.id
TITLE = ACCESS_OUTSIDE_BASELINE.title
SEVERITY = ACCESS_OUTSIDE_BASELINE.severity


@dataclass(frozen=True, kw_only=True, slots=True)
class BaselineEntry:
    secret: str  # ARN or name glob
    readers: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Baseline:
    path: str
    entries: tuple[BaselineEntry, ...] = ()
    allowed_external_accounts: frozenset[str] = frozenset()

    def entries_for(self, arn: str, name: str | None,
                    primary: str | None = None) -> list[BaselineEntry]:
        """The entries matching a secret by ARN or name; for a replica (``primary``: its
        primary's ARN), those matching the replica's ARN, its primary's ARN or its name."""
        return [e for e in self.entries
                if fnmatch.fnmatchcase(arn, e.secret)
                or (primary is not None and fnmatch.fnmatchcase(primary, e.secret))
                or (name is not None and fnmatch.fnmatchcase(name, e.secret))]

    def allows(self, arn: str, name: str | None, principal: str,
               primary: str | None = None, org: OrgView | None = None) -> bool:
        """Whether a matching entry accepts ``principal``: by glob, by its 12-digit account,
        or -- a class of readers -- by a class subject that holds it (``org``: what the scan
        knew of the organization; ``subject_covers``): an entry ``organization:<id>`` accepts
        ``account:<X>`` of an account of that organization and its OU-path classes (review
        of the day's merges, defect 2: a baseline written when a ``*`` grant narrowed by
        aws:PrincipalAccount reached ``organization:<id>`` raised a new HIGH finding for the
        ``account:<member>`` class that grant reaches since)."""
        account = principal_account(principal)
        if account is not None and account in self.allowed_external_accounts:
            return True
        is_class = is_class_subject(principal)
        for entry in self.entries_for(arn, name, primary):
            for pattern in entry.readers:
                if is_account_id(pattern):
                    if account == pattern:
                        return True
                elif fnmatch.fnmatchcase(principal, pattern):
                    return True
                elif is_class and org is not None and subject_covers(pattern, principal, org):
                    return True
        return False


#: what a reader can be: a principal ARN (IAM or STS, globs allowed in every part), an account
#: id, or one of the subjects access reach names (account:<id>, organization:<id>, *)
_READER = re.compile(r"\*|[0-9]{12}|account:(?:[0-9]{12}|\*)|organization:\S+"
                     r"|arn:aws[a-z-]*:(?:iam|sts)::(?:[0-9]{12}|[0-9*?\[\]-]*[*?\[][0-9*?\[\]-]*)"
                     r":\S+")


def parse_baseline(data: Any, path: str) -> Baseline:
    """Validate already-loaded YAML/JSON data; InputError naming the file and the field."""
    from scanner.engine.validation import first_error, load_schema

    # the config loader's validation: its hints too ("did you mean", "quote it"), one piece of
    # code for every file a person writes (bad-input trial round 1)
    error = first_error(data, load_schema("scanner.schemas", "baseline.schema.json"))
    if error is not None:
        from scanner.file_kinds import wrong_flag_hint

        where, message = error
        if where == "(top level)":
            message += wrong_flag_hint(data, "baseline")
        raise InputError(message, path=path, field=where)
    for i, e in enumerate(data.get("secrets") or ()):
        for j, reader in enumerate(e["readers"]):
            if not _READER.fullmatch(str(reader)):
                raise InputError(
                    f"not a reader: {reader!r} (a principal ARN, globs allowed; a 12-digit "
                    "account id; account:<id>, organization:<id> or * for the readers a grant "
                    "to a whole account, the organization or everyone reaches); it could never "
                    "match", path=path, field=f"secrets[{i}].readers[{j}]")
    entries = tuple(BaselineEntry(secret=e["secret"], readers=tuple(e["readers"]))
                    for e in data.get("secrets") or ())
    return Baseline(path=path, entries=entries,
                    allowed_external_accounts=frozenset(data.get("allowed_external_accounts")
                                                        or ()))


def load_baseline(path: str | Path) -> Baseline:
    """The baseline file, read with the strict YAML reader of every user file (a key given
    twice, or a NaN, is an error naming the file and the line)."""
    p = str(path)
    # unlike --history, a baseline is not created on first use: say which command writes it
    data = read_yaml(p, "the baseline", if_missing=(
        f"`secretgraph baseline init --output-file {shlex.quote(p)}` writes one from a scan's readers (the "
        "latest in --history, or --in DIR); review it before use"))
    if data is None:
        raise InputError("the baseline file is empty", path=p)
    return parse_baseline(data, p)


def _secret_place(arn: str, entry: Mapping[str, Any],
                  snapshot: Snapshot | None) -> tuple[str | None, str, str]:
    """(name, account id, region) of a secret, from the report, the snapshot or its ARN."""
    name = entry.get("name")
    account = entry.get("account_id")
    region = entry.get("region")
    if snapshot is not None and not (name and account and region):
        for acct in snapshot.accounts:
            for reg in acct.regions:
                for s in reg.secrets:
                    if s.arn == arn:
                        return s.name, s.account_id, s.region
    return (name if isinstance(name, str) else None,
            str(account or arn_account(arn) or ""),
            str(region or arn_region(arn) or ""))


@dataclass(frozen=True, kw_only=True, slots=True)
class BaselineResults:
    """What the baseline check judged: its findings, its PASS summary (a secret passes when
    no reader is outside the baseline), and the counts the scan reports (``scan.baseline``):
    a baseline every reader is within is still seen to be applied (new-user trial round 8)."""

    findings: tuple[Finding, ...]
    passed: PassSummary
    passes: tuple[Finding, ...]  # the PASS rows, one per passing secret (--emit-pass)
    secrets: int  # the secrets whose readers were checked
    readers: int  # (secret, reader) pairs that read and that the baseline allows

    def to_json(self, path: str) -> dict[str, Any]:
        return {"path": path, "secrets": self.secrets, "readers": self.readers,
                "outside": len(self.findings)}


def baseline_findings(access_report: Any, baseline: Baseline,
                      snapshot: Snapshot | None = None) -> list[Finding]:
    """One finding per (secret, principal) that can read (or may read) outside the baseline."""
    return list(baseline_results(access_report, baseline, snapshot).findings)


def baseline_results(access_report: Any, baseline: Baseline,
                     snapshot: Snapshot | None = None) -> BaselineResults:
    """The findings of ``baseline_findings`` with the PASS results of the secrets none of whose
    readers is outside the baseline, and how many readers the baseline allowed."""
    report = access_json_of(access_report) or {}
    out: list[Finding] = []
    passes: list[Finding] = []
    within = 0
    judged = sorted(secrets_access(report).items())
    org = org_view(report, snapshot)
    for arn, sa in judged:
        primary = sa.primary_arn
        name, account, region = _secret_place(arn, sa.raw, snapshot)
        before = len(out)
        for principal, reader in sorted(sa.readers.items()):
            if reader.decision not in READS and reader.decision != UNKNOWN:
                continue
            if baseline.allows(arn, name, principal, primary, org):
                within += 1
                continue
            evidence: dict[str, Any] = {
                "principal": principal, "decision": reader.decision,
                "baseline": baseline.path,
                "baseline_entries": [e.secret for e in baseline.entries_for(arn, name, primary)],
            }
            if primary is not None:
                evidence.update(replica_arn=arn, primary_arn=primary)
            gates = reader.raw.get("gates")
            if isinstance(gates, Mapping):
                evidence["gates"] = {k: (v.get("status") if isinstance(v, Mapping) else v)
                                     for k, v in gates.items()}
            # a gate UNKNOWN (an account whose IAM was not read, say) leaves the read undecided
            # even where the path's decision reads CONDITIONAL: UNKNOWN, never FAIL
            unknown = reader.decision == UNKNOWN or "UNKNOWN" in (evidence.get("gates") or {}
                                                                   ).values()
            missing = reader.raw.get("missing")
            if isinstance(missing, list) and missing:
                # a class of readers (reach) that stands on an input not read -- the secret's
                # resource policy, which may grant anyone (fault trial round 3): UNKNOWN
                evidence["missing"] = [str(m) for m in missing]
                unknown = True
            unread_iam = _unread_iam(reader.raw)
            if unread_iam:
                evidence["unassessed_accounts"] = list(unread_iam)
            not_read: tuple[str, ...] = ()
            if unread_iam and not _members_read(reader.raw):
                # a class of readers (reach) whose only members that may read are in accounts
                # whose IAM was not read: its decision is its stand-in's (the account's root,
                # identity_policy UNKNOWN), and so is its verdict. IAM User Guide,
                # "Cross-account policy evaluation logic": a request from another account needs
                # the resource policy AND the caller's identity policies to allow it (as
                # scanner/access/gates.py reads it); with those identity policies unread the
                # read is undecided, UNKNOWN, as for the root's own path -- one verdict per
                # reader (concept review round 2: the class was FAIL "can read under
                # conditions" beside the root's UNKNOWN, both resting on the same unread IAM)
                not_read = tuple(f"IAM of account {a} (not read)" for a in unread_iam)
                unknown = True
            if unknown:
                undecided = [g for g, st in (evidence.get("gates") or {}).items()
                             if st == "UNKNOWN"]
                what = "; ".join(f"the IAM of account {a} was not read" for a in unread_iam) \
                    if not_read else (f"{', '.join(undecided)} could not be assessed"
                                      if undecided else "a gate could not be assessed")
                message = (f"{principal} may be able to read this secret ({what}) and is not "
                           f"in the baseline {baseline.path}")
            else:
                how = " under conditions" if reader.decision == CONDITIONAL else ""
                message = f"{principal} can read this secret{how} but is not in the baseline " \
                          f"{baseline.path}"
            # a replica's finding is about the replica as the rules name it: its own ARN, its
            # graph node (``primary#region``, type SecretReplica) in ``node``, the id made
            # from the node (scanner.findings.ResourceRef); drift judges it with its primary
            rtype, node = ("Secret", None) if primary is None else \
                ("SecretReplica", replica_node(primary, region))
            out.append(Finding(
                id=finding_id(RULE_ID, node or arn, principal), rule_id=RULE_ID, title=TITLE,
                severity=SEVERITY,
                status=Status.UNKNOWN if unknown else Status.FAIL,
                resource=ResourceRef(type=rtype, arn=arn, account_id=account, region=region,
                                     node=node),
                message=message, principal=principal, evidence=evidence,
                remediation=dict(ACCESS_OUTSIDE_BASELINE.remediation),
                missing=(not_read or ("access gate verdict",)) if unknown else (),
            ))
        if len(out) == before and not sa.assessed:
            # no reader outside the baseline among those known, but its readers were not all
            # assessed (its access analysis failed): UNKNOWN for the secret, never PASS
            ptype, pnode = ("Secret", None) if primary is None else \
                ("SecretReplica", replica_node(primary, region))
            missing = [str(m) for m in sa.raw.get("missing") or ()] or ["access verdicts"]
            out.append(Finding(
                id=finding_id(RULE_ID, pnode or arn), rule_id=RULE_ID, title=TITLE,
                severity=SEVERITY, status=Status.UNKNOWN,
                resource=ResourceRef(type=ptype, arn=arn, account_id=account, region=region,
                                     node=pnode),
                message=f"the readers of this secret could not be assessed ("
                        f"{'; '.join(missing)}): whether all are in the baseline "
                        f"{baseline.path} is unknown",
                evidence={"baseline": baseline.path, "missing": missing},
                remediation=dict(ACCESS_OUTSIDE_BASELINE.remediation),
                missing=tuple(missing)))
        elif len(out) == before:  # no reader outside the baseline: the secret passes
            ptype, pnode = ("Secret", None) if primary is None else \
                ("SecretReplica", replica_node(primary, region))
            passes.append(Finding(
                id=finding_id(RULE_ID, pnode or arn), rule_id=RULE_ID, title=TITLE,
                severity=SEVERITY, status=Status.PASS,
                resource=ResourceRef(type=ptype, arn=arn, account_id=account, region=region,
                                     node=pnode),
                message="", evidence={}))
    count = len(passes)
    summary = PassSummary(rule_id=RULE_ID, title=TITLE, severity=SEVERITY, count=count,
                          resources=tuple(p.resource.arn for p in passes)
                          if count <= PASS_RESOURCES_MAX else None)
    return BaselineResults(findings=tuple(out), passed=summary, passes=tuple(passes),
                           secrets=len(judged), readers=within)


def _unread_iam(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """The accounts of a reach class whose IAM the scan did not read (``unassessed_accounts``
    of scanner.access.verdicts.Reach); () for a principal's path."""
    accounts = raw.get("unassessed_accounts")
    if not isinstance(accounts, list):
        return ()
    return tuple(str(a) for a in accounts if a)


def _members_read(raw: Mapping[str, Any]) -> bool:
    """Whether a reach class counts members the scan saw read, ALLOWED or CONDITIONAL (in
    accounts whose IAM it read): then the class reads, whatever its unread accounts hold. A
    count missing (everyone: not countable) counts as read."""
    counts: list[int] = []
    for value in (raw.get("principals"), raw.get("conditional_principals")):
        if not isinstance(value, int) or isinstance(value, bool):
            return True
        counts.append(value)
    return any(c > 0 for c in counts)


def init_baseline(access_report: Any) -> str:
    """Today's readers as a baseline YAML, for a person to review before relying on it. A
    replica gets an entry of its own (its ARN) only for the readers its primary's entry does
    not list: the primary's entry covers its replicas."""
    report = access_json_of(access_report) or {}
    lines = [
        "# secretgraph access baseline: generated from the readers seen today.",
        "# Review every reader before relying on it; delete the ones that should not be here.",
        "# Readers: principal ARNs (globs allowed), 12-digit account ids, or account:<id>,",
        "# organization:<id> and * for what a grant to a whole account, the organization or",
        "# everyone reaches.",
        "version: 1",
        "allowed_external_accounts: []",
    ]
    accesses = secrets_access(report)

    def reads(sa: SecretAccess) -> list[tuple[str, str]]:
        return sorted((p, r.decision) for p, r in sa.readers.items() if r.decision in READS)

    listed: list[tuple[str, SecretAccess, list[tuple[str, str]]]] = []
    for arn, sa in sorted(accesses.items()):
        readers = reads(sa)
        primary = accesses.get(sa.primary_arn) if sa.primary_arn is not None else None
        if primary is not None:
            covered = {p for p, _ in reads(primary)}
            readers = [(p, d) for p, d in readers if p not in covered]
            if not readers:
                continue  # the primary's entry covers this replica
        listed.append((arn, sa, readers))
    if not listed:
        lines.append("secrets: []")
        return "\n".join(lines) + "\n"
    lines.append("secrets:")
    for arn, sa, readers in listed:
        name = sa.raw.get("name")
        note = f"  # {json.dumps(name)}" if isinstance(name, str) and name else ""
        if sa.primary_arn is not None:
            note = f"  # replica of {json.dumps(name or sa.primary_arn)}"
        lines.append(f"  - secret: {json.dumps(arn)}" + note)
        if not readers:
            lines.append("    readers: []")
            continue
        lines.append("    readers:")
        for principal, decision in readers:
            note = "  # conditional" if decision == CONDITIONAL else ""
            lines.append(f"      - {json.dumps(principal)}{note}")
    return "\n".join(lines) + "\n"
