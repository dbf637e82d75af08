"""What a scan actually assessed: the basis for "not assessed, never removed".

A resource missing from a scan counts as removed only when that scan read the place it lived
in: the account was assumed, the region was scanned, the service's listing there succeeded
(no ``unread_services`` entry, no coverage entry without a resource ARN), IAM was read for IAM
things, and no coverage entry names the resource itself; a replica, besides, only when the scan
read its primary's Region (the replica is judged with its primary). A finding missing from a
scan counts as resolved only when, besides, the scan evaluated its rule and reported its
severity (a scan run with ``--exclude-rules`` or ``--severity`` says nothing about the others)
and did not report that rule UNKNOWN for that resource without naming a principal (it could
decide the rule for no reader of the resource: last night's per-reader FAIL rows, whose ids
name their principal, are not assessed tonight).

The one definition for drift (scanner/history) and for archiving in Security Hub
(reports/asff.py ``archive_resolved``, which has the findings document only: ``assess_document``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

from scanner.graph.schema import replica_primary
from scanner.findings import resource_key, rule_resource
from scanner.policy.arn import arn_account, arn_region, principal_account
from scanner.model import Snapshot
from scanner.unread_account import parts_missing, why_unread

#: finding resource type / resource kind -> the service whose listing holds it.
SERVICE_OF_KIND: dict[str, str] = {
    "Secret": "secretsmanager",
    "SecretReplica": "secretsmanager",
    "secret": "secretsmanager",
    "KmsKey": "kms",
    "kms_key": "kms",
    "LambdaFunction": "lambda",
    "lambda_function": "lambda",
    "Principal": "iam",
    "iam_principal": "iam",
    "iam_group": "iam",
    "managed_policy": "iam",
}
_EC2_KINDS = {"Vpc", "Subnet", "RouteTable", "SecurityGroup", "VpcPeering", "VpcEndpoint",
              "NatGateway", "vpc", "subnet", "route_table", "security_group", "peering",
              "vpc_endpoint", "nat_gateway"}


def service_of(kind: str) -> str | None:
    if kind in _EC2_KINDS:
        return "ec2"
    return SERVICE_OF_KIND.get(kind)


@dataclass(frozen=True, kw_only=True, slots=True)
class Assessment:
    """Where one scan looked and what it failed to read."""

    accounts_scanned: frozenset[str]  # present in the snapshot
    accounts_assumed: frozenset[str]  # present and the role was assumed
    iam_read: frozenset[str]
    regions: frozenset[tuple[str, str]]  # (account, region) scanned
    service_gaps: frozenset[tuple[str, str, str]] = field(default_factory=frozenset)
    #: accounts of a sharded run whose shard wrote no part (scanner/unread_account.py)
    parts_missing: frozenset[str] = field(default_factory=frozenset)
    resource_gaps: frozenset[str] = field(default_factory=frozenset)  # resource ARNs
    #: the rules the scan evaluated (findings.json ``scan.rules``; None: not recorded)
    rules: frozenset[str] | None = None
    #: the only severities it reported (``scan.scope.severities``, --severity; None: all)
    severities: frozenset[str] | None = None
    #: (rule id, resource ARN) of the scan's UNKNOWN findings that name no principal
    #: (``with_scope``, from the findings document; the Security Hub archive adds its own)
    undecided: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def out_of_scope(self, rule_id: str | None, severity: str | None) -> str | None:
        """Why the scan says nothing about findings of this rule or severity, or None."""
        if rule_id is not None and self.rules is not None and rule_id not in self.rules:
            return f"rule {rule_id} was not evaluated by the scan"
        if rule_id is not None and (rule_id, rule_resource(rule_id)) in self.undecided:
            # the rule's one UNKNOWN finding about itself: it crashed on some resources, and
            # names at most 20 of them (fault-injection trial round 13: drift resolved, and
            # the export archived, last night's FAILs of the resources it crashed on)
            return f"rule {rule_id} crashed in the scan: the resources it crashed on were " \
                "not assessed"
        if severity is not None and self.severities is not None and \
                severity.upper() not in self.severities:
            return (f"the scan reported {', '.join(sorted(self.severities))} findings only, "
                    f"not {severity.upper()}")
        return None

    def why_not(self, *, account_id: str, region: str, kind: str,
                arn: str | None = None, rule_id: str | None = None,
                severity: str | None = None, principal: str | None = None) -> str | None:
        """None when the scan assessed this place (and, for a finding, evaluated its rule and
        reported its severity, and read the IAM of its principal's account when that account
        is one of the scan's); otherwise the reason it did not."""
        out = self.out_of_scope(rule_id, severity)
        if out:
            return out
        p_account = principal_account(principal) if principal else None
        if p_account and p_account in self.accounts_scanned and (
                p_account not in self.accounts_assumed or p_account not in self.iam_read):
            # a finding about a principal's access (access-outside-baseline, a broken reader):
            # its verdict needs that account's IAM (regression check: a baseline finding was
            # resolved, and archived, the night the principal's account was not read)
            return f"account {p_account} of principal {principal}: its IAM could not be read"
        if account_id not in self.accounts_scanned:
            return f"account {account_id} was not in the scan"
        if account_id not in self.accounts_assumed:
            return f"account {account_id}: {why_unread(account_id, self.parts_missing)}"
        service = service_of(kind)
        if service == "iam":
            if account_id not in self.iam_read:
                return f"account {account_id}: IAM could not be read"
        elif region and region != "global":
            if (account_id, region) not in self.regions:
                return f"region {region} of account {account_id} was not scanned"
            if service and (account_id, region, service) in self.service_gaps:
                return f"{service} in {account_id}/{region} could not be listed"
        if arn and arn in self.resource_gaps:
            return f"{arn} could not be fully read"
        primary = replica_primary(arn) if arn else None
        if primary is not None:
            # the rules judge a replica with its primary secret (its resource policy, its
            # replication status: access_gates_conflict is UNKNOWN "missing primary secret
            # ... of the replica" without it): a scan that did not look at the primary's
            # account and Region assessed none of its replicas (concept review round 2: with
            # us-east-1 not scanned, the us-west-2 replicas' broken reads were resolved in
            # drift and archived in Security Hub)
            p_region, p_account = arn_region(primary), arn_account(primary) or account_id
            if p_account not in self.accounts_assumed:
                return f"account {p_account} (the replica's primary) was not read"
            if p_region and (p_account, p_region) not in self.regions:
                return f"region {p_region} of account {p_account} (the replica's primary " \
                    f"{primary}) was not scanned"
            # a replica is judged with its primary's resource policy (and listed in the
            # primary's Region): what was not read there was not assessed for the replica either
            # (review: a replica's broken read was archived as resolved the night its primary's
            # policy was throttled)
            if primary in self.resource_gaps:
                return f"{primary} (the replica's primary) could not be fully read"
            if p_region and service and (p_account, p_region, service) in self.service_gaps:
                return f"{service} in {p_account}/{p_region} (the replica's primary) could " \
                    "not be listed"
        if rule_id and arn and (rule_id, arn) in self.undecided:
            # one finding id per (rule, resource, principal): a failing reader last night, and
            # tonight the rule UNKNOWN for the resource without a principal, is not assessed
            # (concept review round 2: drift resolved it, Security Hub archived it)
            return f"the scan could not decide {rule_id} for {arn} (UNKNOWN)"
        return None


def assess(snapshot: Snapshot) -> Assessment:
    scanned: set[str] = set()
    assumed: set[str] = set()
    iam_read: set[str] = set()
    regions: set[tuple[str, str]] = set()
    service_gaps: set[tuple[str, str, str]] = set()
    for acct in snapshot.accounts:
        scanned.add(acct.account_id)
        if acct.assumed:
            assumed.add(acct.account_id)
        if acct.iam is not None and acct.assumed:
            iam_read.add(acct.account_id)
        for reg in acct.regions:
            regions.add((acct.account_id, reg.region))
            for svc in reg.unread_services:
                service_gaps.add((acct.account_id, reg.region, svc))
    resource_gaps: set[str] = set()
    _read_coverage(((c.account_id, c.region, c.service, c.resource_arn)
                    for c in snapshot.coverage), assumed, iam_read, service_gaps, resource_gaps)
    return Assessment(accounts_scanned=frozenset(scanned), accounts_assumed=frozenset(assumed),
                      iam_read=frozenset(iam_read), regions=frozenset(regions),
                      service_gaps=frozenset(service_gaps),
                      resource_gaps=frozenset(resource_gaps),
                      parts_missing=parts_missing((c.account_id, c.error_code)
                                                  for c in snapshot.coverage))


def _read_coverage(entries: Iterable[tuple[str, str, str, str | None]], assumed: set[str],
                   iam_read: set[str], service_gaps: set[tuple[str, str, str]],
                   resource_gaps: set[str]) -> None:
    """What coverage entries (account, region, service, resource ARN) say was not read: that
    resource; IAM; the role (STS); or the service's listing in that account and region."""
    for account, region, service, resource_arn in entries:
        if service in ("sts", "secretgraph"):
            # AssumeRole refused (its ARN names the role), or the account's snapshot part
            # missing from a sharded run (scanner.shards.missing_entry): nothing of the
            # account was read. Fault-injection trial: a missing part read as a service gap,
            # so export --previous archived the account's findings as resolved
            assumed.discard(account)
        elif resource_arn:
            resource_gaps.add(resource_arn)
        elif service == "iam":
            iam_read.discard(account)
        else:
            service_gaps.add((account, region, service))


def undecided_of(findings: Iterable[Any]) -> frozenset[tuple[str, str]]:
    """(rule id, resource ARN) of the UNKNOWN findings.json rows that name no principal."""
    out: set[tuple[str, str]] = set()
    for f in findings:
        if isinstance(f, Mapping) and f.get("status") == "UNKNOWN" and not f.get("principal"):
            res = f.get("resource")
            # matched with why_not's ``arn``, the node id (findings.resource_key)
            arn = resource_key(res) if isinstance(res, Mapping) else None
            if f.get("rule_id") and arn:
                out.add((str(f["rule_id"]), str(arn)))
    return frozenset(out)


def with_scope(assessment: Assessment, document: Mapping[str, Any]) -> Assessment:
    """``assessment`` with the rules and severities of the scan's findings document, and the
    rules it could decide for no reader of a resource (its UNKNOWN rows naming no principal,
    where the document holds its findings). The rules every scan evaluates
    (``EVERY_SCAN_RULES``) count as evaluated even where a document written before
    ``scan.rules`` listed them leaves them out (new-user trial round 6)."""
    from scanner.engine.suppressions import EVERY_SCAN_RULES

    scan = document.get("scan") or {}
    rules = scan.get("rules")
    severities = (scan.get("scope") or {}).get("severities")
    return replace(assessment,
                   rules=frozenset(map(str, rules)) | frozenset(EVERY_SCAN_RULES)
                   if isinstance(rules, list) else None,
                   severities=frozenset(str(s).upper() for s in severities)
                   if isinstance(severities, list) and severities else None,
                   undecided=assessment.undecided | undecided_of(document.get("findings") or ()))


def assess_document(document: Mapping[str, Any]) -> Assessment:
    """What the scan behind a findings document assessed, from the document alone: its
    accounts and Regions, read as ``assess`` reads the snapshot's coverage (an STS entry: the
    role was not assumed; IAM: IAM not read; another service without a resource: its listing
    failed; a resource ARN: that resource), plus its rules and severities."""
    scan = document.get("scan") or {}
    accounts = frozenset(str(a) for a in scan.get("accounts") or ())
    regions = [str(r) for r in scan.get("regions") or ()]
    assumed, iam_read = set(accounts), set(accounts)
    service_gaps: set[tuple[str, str, str]] = set()
    resource_gaps: set[str] = set()
    _read_coverage(((str(c.get("account_id")), str(c.get("region")), str(c.get("service")),
                     str(c["resource_arn"]) if c.get("resource_arn") else None)
                    for c in document.get("coverage") or () if isinstance(c, Mapping)),
                   assumed, iam_read, service_gaps, resource_gaps)
    return with_scope(Assessment(
        accounts_scanned=accounts, accounts_assumed=frozenset(assumed),
        iam_read=frozenset(iam_read) & frozenset(assumed),
        regions=frozenset((a, r) for a in accounts for r in regions),
        service_gaps=frozenset(service_gaps), resource_gaps=frozenset(resource_gaps),
        parts_missing=parts_missing((str(c.get("account_id")), str(c.get("error_code")))
                                    for c in document.get("coverage") or ()
                                    if isinstance(c, Mapping))), document)
