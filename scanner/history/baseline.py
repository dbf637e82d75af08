"""Access baselines: the readers a person has reviewed and accepted, per secret.

File format (YAML, validated by scanner/schemas/baseline.schema.json)::

    version: 1
    allowed_external_accounts: ["999999999999"]      # their principals may read any secret
    secrets:
      - secret: "arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-*"  # ARN or name glob
        readers:
          - "arn:aws:iam::222222222222:role/app"     # principal ARN, globs allowed
          - "333333333333"                            # any principal of this account

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from scanner.errors import InputError
from scanner.findings import Finding, ResourceRef, Severity, Status, finding_id
from scanner.history.access_readers import (
    CONDITIONAL,
    READS,
    UNKNOWN,
    access_json_of,
    principal_account,
    secrets_access,
)
from scanner.model import Snapshot
from scanner.policy.arn import arn_account, arn_region
from scanner.yamlio import read_yaml

RULE_ID = "access-outside-baseline"
TITLE = "A principal outside the access baseline can read the secret"


@dataclass(frozen=True, kw_only=True, slots=True)
class BaselineEntry:
    secret: str  # ARN or name glob
    readers: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Baseline:
    path: str
    entries: tuple[BaselineEntry, ...] = ()
    allowed_external_accounts: frozenset[str] = frozenset()

    def entries_for(self, arn: str, name: str | None) -> list[BaselineEntry]:
        return [e for e in self.entries
                if fnmatch.fnmatchcase(arn, e.secret)
                or (name is not None and fnmatch.fnmatchcase(name, e.secret))]

    def allows(self, arn: str, name: str | None, principal: str) -> bool:
        account = principal_account(principal)
        if account is not None and account in self.allowed_external_accounts:
            return True
        for entry in self.entries_for(arn, name):
            for pattern in entry.readers:
                if pattern.isdigit() and len(pattern) == 12:
                    if account == pattern:
                        return True
                elif fnmatch.fnmatchcase(principal, pattern):
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
        where, message = error
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
    data = read_yaml(p, "the baseline")
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


def baseline_findings(access_report: Any, baseline: Baseline,
                      snapshot: Snapshot | None = None) -> list[Finding]:
    """One finding per (secret, principal) that can read (or may read) outside the baseline."""
    report = access_json_of(access_report) or {}
    raw_secrets = report.get("secrets") if isinstance(report.get("secrets"), Mapping) else {}
    out: list[Finding] = []
    for arn, sa in sorted(secrets_access(report).items()):
        entry = raw_secrets.get(arn, {}) if isinstance(raw_secrets, Mapping) else {}
        name, account, region = _secret_place(arn, entry if isinstance(entry, Mapping) else {},
                                              snapshot)
        for principal, reader in sorted(sa.readers.items()):
            if reader.decision not in READS and reader.decision != UNKNOWN:
                continue
            if baseline.allows(arn, name, principal):
                continue
            evidence: dict[str, Any] = {
                "principal": principal, "decision": reader.decision,
                "baseline": baseline.path,
                "baseline_entries": [e.secret for e in baseline.entries_for(arn, name)],
            }
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
            out.append(Finding(
                id=finding_id(RULE_ID, arn, principal), rule_id=RULE_ID, title=TITLE,
                severity=Severity.HIGH, status=Status.UNKNOWN if unknown else Status.FAIL,
                resource=ResourceRef(type="Secret", arn=arn, account_id=account, region=region),
                message=message, principal=principal, evidence=evidence,
                remediation={"id": "review-reader", "description":
                             "Remove the grant that lets this principal read the secret, or "
                             "add it to the baseline after review."},
                missing=(not_read or ("access gate verdict",)) if unknown else (),
            ))
    return out


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
    """Today's readers as a baseline YAML, for a person to review before relying on it."""
    report = access_json_of(access_report) or {}
    raw = report.get("secrets") if isinstance(report.get("secrets"), Mapping) else {}
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
    if not accesses:
        lines.append("secrets: []")
        return "\n".join(lines) + "\n"
    lines.append("secrets:")
    for arn, sa in sorted(accesses.items()):
        entry = raw.get(arn, {}) if isinstance(raw, Mapping) else {}
        name = entry.get("name") if isinstance(entry, Mapping) else None
        readers = sorted((p, r.decision) for p, r in sa.readers.items() if r.decision in READS)
        lines.append(f"  - secret: {json.dumps(arn)}" + (f"  # {json.dumps(name)}" if name else ""))
        if not readers:
            lines.append("    readers: []")
            continue
        lines.append("    readers:")
        for principal, decision in readers:
            note = "  # conditional" if decision == CONDITIONAL else ""
            lines.append(f"      - {json.dumps(principal)}{note}")
    return "\n".join(lines) + "\n"
