"""ASFF (AWS Security Finding Format) for Security Hub: mapping, limits, local validation.

Pure: no AWS calls. ``reports.securityhub`` sends what this module builds.

* Every required field is set; ProductArn is the account's default product
  ``arn:<partition>:securityhub:<region>:<account>:product/<account>/default`` (the import must
  come from that account, or from the central account in central mode). The partition, here
  and in Resources[].Partition ("The canonical AWS partition name that the Region is assigned
  to"), is the Region's (scanner.aws.regions.partition_of): ``aws-us-gov`` for us-gov-west-1.
* CreatedAt is kept across scans: pass the previous CreatedAt per finding id
  (``created_at_index`` of a previous ASFF file); the earlier of it and the finding's
  first_seen wins (``earliest_created``); a finding with neither takes the scan time.
* Text over an ASFF limit is cut with the marker ``… [truncated]``, never rejected.
* ``validate_asff`` checks a finding against botocore's service model for BatchImportFindings
  (required members, types, enums, non-empty strings) and against the documented limits.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import replace
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import AbstractSet, Any, Callable, Iterable, Iterator, Mapping

import networkx as nx

from reports._common import (compact_json, findings_of, replacing, short_resource,
                             strip_controls, truncate)
from scanner import input_file, json_text
from scanner.errors import InputError
from scanner.aws.regions import partition_of
from scanner.engine.conditions import parse_time
from scanner.policy.arn import iam_entity, parse_arn

SCHEMA_VERSION = "2018-10-08"
MAX_FINDING_BYTES = 240 * 1024
MAX_BATCH = 100
LIMITS = {
    "Id": 512, "GeneratorId": 512, "Title": 256, "Description": 1024,
    "ProductFields.count": 50, "ProductFields.key": 128, "ProductFields.value": 2048,
    "Types": 50, "Resources": 32, "Resource.Id": 512, "Tags.count": 50, "Tags.key": 128,
    "Tags.value": 256, "Other.count": 50, "Other.key": 127, "Other.value": 1023,
    "Recommendation.Text": 512, "RelatedRequirements": 32, "RelatedRequirement": 256,
    "StatusReason.Description": 2048, "AwsAccountName": 50,
}
COMPLIANCE_STATUS = {"FAIL": "FAILED", "PASS": "PASSED", "UNKNOWN": "WARNING", "MUTED": "FAILED"}
BEST_PRACTICE = "Software and Configuration Checks/AWS Security Best Practices"
#: rule id -> extra ASFF finding types (namespace/category/classifier), beyond BEST_PRACTICE.
RULE_TYPES: dict[str, tuple[str, ...]] = {
    "secret-policy-public": ("Effects/Data Exposure",),
    "kms-key-policy-public": ("Effects/Data Exposure",),
    "secret-policy-external-account": ("Effects/Data Exposure",),
    "secret-policy-overbroad-actions": ("Effects/Data Exposure",),
    "kms-key-policy-excess-grant": ("Effects/Data Exposure",),
    "identity-policy-secret-wildcard": ("Effects/Data Exposure",),
    "secret-cross-account-access-broken": ("Software and Configuration Checks/Availability",),
    "secret-rotation-disabled": ("Software and Configuration Checks/Credentials Rotation",),
    "secret-rotation-overdue": ("Software and Configuration Checks/Credentials Rotation",),
    "secret-rotation-failing": ("Software and Configuration Checks/Credentials Rotation",),
    "secret-rotation-role-cannot-read": (
        "Software and Configuration Checks/Credentials Rotation",),
    "scan-coverage-gap": ("Software and Configuration Checks/Coverage",),
}
#: graph node kind (finding resource.type) -> ASFF resource type
RESOURCE_TYPES: dict[str, str] = {
    "Secret": "AwsSecretsManagerSecret",
    "SecretReplica": "AwsSecretsManagerSecret",
    "KmsKey": "AwsKmsKey",
    "VpcPeering": "AwsEc2VpcPeeringConnection",
    "RouteTable": "AwsEc2RouteTable",
    "Vpc": "AwsEc2Vpc",
    "Subnet": "AwsEc2Subnet",
    "SecurityGroup": "AwsEc2SecurityGroup",
    "LambdaFunction": "AwsLambdaFunction",
    "Account": "AwsAccount",
}
_P_REMEDIATION_URL = "url"
_ACCOUNT = re.compile(r"[0-9]{12}")


# --------------------------------------------------------------------------- helpers


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _text(value: Any, limit: int) -> str:
    text = strip_controls(str(value or "")).strip()
    return truncate(text, limit) if text else ""


def _line(value: Any, limit: int) -> str:
    """_text on one line: a Title or Description whose breaks (``\\n``, ``\\r``, U+2028,
    U+2029, from a hostile name or message) would forge lines in the console and the
    tickets made from it; every run of white space becomes one space."""
    return _text(" ".join(str(value or "").split()), limit)


def iso(value: str | None, fallback: datetime | None = None) -> str:
    """An RFC 3339 UTC timestamp as Security Hub expects (``...Z``)."""
    if value:
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=timezone.utc)
            return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        except ValueError:
            pass
    moment = fallback or datetime.now(timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def product_arn(region: str, account_id: str) -> str:
    """The account's default product for custom findings, in the Region's partition."""
    return (f"arn:{partition_of(region)}:securityhub:{region}:{account_id}:product/"
            f"{account_id}/default")


def target_of(finding: Mapping[str, Any]) -> tuple[str, str]:
    """(account, region) the ASFF finding must be imported into, read from its ProductArn."""
    parsed = parse_arn(str(finding.get("ProductArn", "")))
    region = parsed.region if parsed is not None else str(finding.get("Region", ""))
    return str(finding.get("AwsAccountId", "")), region


def _principal_resource(principal: str, region: str) -> dict[str, Any]:
    partition = partition_of(region, principal)
    kind, name = iam_entity(principal) or ("", "")
    if kind == "role":
        return {"Type": "AwsIamRole", "Id": _text(principal, 512), "Partition": partition,
                "Region": region, "Details": {"AwsIamRole": {"RoleName": _text(name, 512)}}}
    if kind == "user":
        return {"Type": "AwsIamUser", "Id": _text(principal, 512), "Partition": partition,
                "Region": region, "Details": {"AwsIamUser": {"UserName": _text(name, 512)}}}
    return {"Type": "Other", "Id": _text(principal, 512), "Partition": partition,
            "Region": region, "Details": {"Other": {"role": "principal"}}}


def _tags(node: Mapping[str, Any]) -> dict[str, str]:
    tags = node.get("tags") or {}
    out: dict[str, str] = {}
    if isinstance(tags, Mapping):
        for k, v in list(tags.items())[: LIMITS["Tags.count"]]:
            key = _text(k, LIMITS["Tags.key"])
            if key:
                out[key] = _text(v, LIMITS["Tags.value"]) or "-"
    return out


def _nonempty(d: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in (None, "", [], {})}


def _secret_details(node: Mapping[str, Any]) -> dict[str, Any]:
    days = node.get("rotation_days")
    return {"AwsSecretsManagerSecret": _nonempty({
        "Name": _text(node.get("name"), 512),
        "Description": _text(node.get("description"), 1024),
        "KmsKeyId": _text(node.get("kms_key_id") or "alias/aws/secretsmanager", 512),
        "RotationEnabled": bool(node.get("rotation_enabled", False)),
        "RotationLambdaArn": _text(node.get("rotation_lambda_arn"), 512),
        "RotationRules": {"AutomaticallyAfterDays": int(days)} if isinstance(days, int) else None,
        "Deleted": bool(node.get("deleted_date")),
    })}


def _key_details(node: Mapping[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = _nonempty({
        "AWSAccountId": node.get("account_id"), "KeyId": node.get("key_id"),
        "KeyManager": node.get("key_manager"), "KeyState": node.get("key_state"),
        "Origin": node.get("origin"), "Description": _text(node.get("description"), 1024),
    })
    if isinstance(node.get("rotation_enabled"), bool):
        details["KeyRotationStatus"] = node["rotation_enabled"]
    created = node.get("creation_date")
    if created:
        try:
            # a time without an offset is UTC, as everywhere in the project (parse_time), not
            # the local time of the machine that renders the report
            moment = parse_time(created)
        except ValueError:
            moment = None
        if moment is not None:
            details["CreationDate"] = moment.timestamp()
    return {"AwsKmsKey": details}


def _vpc_info(side: Any) -> dict[str, Any]:
    cidrs = [str(c) for c in (_get(side, "cidrs") or ())]
    return _nonempty({
        "OwnerId": _get(side, "owner_id"), "VpcId": _get(side, "vpc_id"),
        "Region": _get(side, "region"), "CidrBlock": cidrs[0] if cidrs else None,
        "CidrBlockSet": [{"CidrBlock": c} for c in cidrs],
    })


def _peering_details(node: Mapping[str, Any]) -> dict[str, Any]:
    return {"AwsEc2VpcPeeringConnection": _nonempty({
        "VpcPeeringConnectionId": node.get("peering_id"),
        "Status": {"Code": str(node.get("status") or "unknown")},
        "RequesterVpcInfo": _vpc_info(node.get("requester") or {}),
        "AccepterVpcInfo": _vpc_info(node.get("accepter") or {}),
    })}


def _route_table_details(node: Mapping[str, Any]) -> dict[str, Any]:
    routes = []
    for r in list(node.get("routes") or ())[:1000]:
        target_type, target = _get(r, "target_type"), _get(r, "target_id")
        route = {
            "DestinationCidrBlock": _get(r, "destination_cidr"),
            "DestinationIpv6CidrBlock": _get(r, "destination_ipv6_cidr"),
            "DestinationPrefixListId": _get(r, "destination_prefix_list"),
            "State": _get(r, "state"),
            "VpcPeeringConnectionId": target if target_type == "vpc-peering" else None,
            "NatGatewayId": target if target_type == "nat-gateway" else None,
            "TransitGatewayId": target if target_type == "transit-gateway" else None,
            "GatewayId": target if target_type in ("internet-gateway", "local", "vpc-endpoint")
            else None,
        }
        routes.append(_nonempty(route))
    return {"AwsEc2RouteTable": _nonempty({
        "RouteTableId": node.get("route_table_id"), "VpcId": node.get("vpc_id"),
        "OwnerId": node.get("account_id"), "RouteSet": [r for r in routes if r],
    })}


def _vpc_details(node: Mapping[str, Any]) -> dict[str, Any]:
    return {"AwsEc2Vpc": _nonempty({"CidrBlockAssociationSet": [
        {"CidrBlock": str(c)} for c in (node.get("cidrs") or ())]})}


def _lambda_details(node: Mapping[str, Any]) -> dict[str, Any]:
    return {"AwsLambdaFunction": _nonempty({
        "FunctionName": node.get("name"), "Role": node.get("role_arn"),
        "Runtime": node.get("runtime"),
        "VpcConfig": _nonempty({"SubnetIds": list(node.get("subnet_ids") or ()),
                                "SecurityGroupIds": list(node.get("security_group_ids") or ())}),
    })}


_DETAILS = {
    "AwsSecretsManagerSecret": _secret_details,
    "AwsKmsKey": _key_details,
    "AwsEc2VpcPeeringConnection": _peering_details,
    "AwsEc2RouteTable": _route_table_details,
    "AwsEc2Vpc": _vpc_details,
    "AwsLambdaFunction": _lambda_details,
}


def _resource(resource: Mapping[str, Any], graph: nx.MultiDiGraph | None,
              home_region: str) -> dict[str, Any]:
    kind = str(resource.get("type") or "")
    arn = str(resource.get("arn") or "")
    region = str(resource.get("region") or "")
    if region in ("", "global"):
        region = home_region
    asff_type = RESOURCE_TYPES.get(kind, "Other")
    if kind == "Principal":
        out = _principal_resource(arn, region)
        asff_type = out["Type"]
    else:
        out = {"Type": asff_type, "Id": _text(arn, LIMITS["Resource.Id"]),
               "Partition": partition_of(region, arn), "Region": region}
    if asff_type == "AwsAccount":
        out["Id"] = f"AWS::::Account:{resource.get('account_id')}"
    node: Mapping[str, Any] = {}
    # the graph's node id, which is not the ARN for a replica (findings.ResourceRef.node)
    node_id = str(resource.get("node") or arn)
    if graph is not None and node_id in graph:
        node = graph.nodes[node_id]
        tags = _tags(node)
        if tags:
            out["Tags"] = tags
    builder = _DETAILS.get(asff_type)
    details = builder(node) if builder and node else None
    if details and any(details.values()):
        out["Details"] = details
    elif asff_type == "Other":
        out["Details"] = {"Other": {"kind": _text(kind or "unknown", LIMITS["Other.value"]),
                                    "account": _text(resource.get("account_id") or "-", 64)}}
    return out


def _types(rule_id: str) -> list[str]:
    return [BEST_PRACTICE, *RULE_TYPES.get(rule_id, ())]


def _requirements(compliance: Mapping[str, Any]) -> list[str]:
    reqs = sorted({_text(f"{framework} {req}", LIMITS["RelatedRequirement"])
                   for framework, items in compliance.items() for req in (items or ())})
    return [r for r in reqs if r][: LIMITS["RelatedRequirements"]]


def _description(finding: Mapping[str, Any]) -> str:
    parts = [str(finding.get("message") or finding.get("title") or finding.get("rule_id"))]
    if finding.get("principal"):
        parts.append(f"Principal: {finding['principal']}.")
    if finding.get("missing"):
        parts.append("Not assessed; missing input: " + ", ".join(map(str, finding["missing"])))
    evidence = finding.get("evidence") or {}
    if evidence:
        parts.append("Evidence: " + compact_json(evidence))
    return _line(" ".join(parts), LIMITS["Description"]) or "secretgraph finding"


def _product_fields(finding: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, str]:
    resource = finding.get("resource") or {}
    tool = document.get("tool") or {}
    scan = document.get("scan") or {}
    fields = {
        "ProviderName": "secretgraph",
        "ProviderVersion": str(tool.get("version") or "0"),
        "secretgraph/rule_id": finding.get("rule_id"),
        "secretgraph/status": finding.get("status"),
        "secretgraph/resource_type": resource.get("type"),
        # a replica's graph node id (its Resources[0].Id is the replica's ARN): what the
        # archive of resolved findings matches resources by, as drift does (resource_key)
        "secretgraph/resource_node": resource.get("node"),
        "secretgraph/resource_account": resource.get("account_id"),
        "secretgraph/resource_account_name": resource.get("account_name"),
        "secretgraph/scan_id": scan.get("id"),
        "secretgraph/principal": finding.get("principal"),
        "secretgraph/evidence": compact_json(finding.get("evidence")) if finding.get("evidence")
        else None,
        "secretgraph/muted_by": compact_json(finding.get("muted_by")) if finding.get("muted_by")
        else None,
    }
    return {k: _text(v, LIMITS["ProductFields.value"]) for k, v in fields.items()
            if v not in (None, "")}


def asff_id(finding: Mapping[str, Any]) -> str:
    """The ASFF Id of a findings.json finding."""
    return _text(finding.get("id"), LIMITS["Id"])


def _created(created_at: str | None, updated: str) -> str:
    return iso(created_at, None) if created_at else updated


def _instant(value: str | None) -> datetime | None:
    """A timestamp as ``iso`` reads it (no offset: UTC), or None when it is none."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def earliest_created(previous: str | None, first_seen: str | None) -> str | None:
    """A finding's CreatedAt (and FirstObservedAt) from what is known of it: the previous
    export's CreatedAt for its Id and its ``first_seen``, the earlier of the two when both are
    (with --history into a folder holding an export written without it, the history may have
    seen the finding first, or the export); either one alone; None when neither (then the
    scan time). Without a history, ``first_seen`` is this scan's start, so the previous
    export's CreatedAt is kept (review of today's merges, round 3: a rescan into the same
    --out moved every CreatedAt, "32 of 32 findings changed CreatedAt"). Security Hub's
    CreatedAt is "when the security findings provider created the potential security issue
    that a finding captured" (AWS Security Finding Format): the earliest moment known."""
    known = [(moment, str(value)) for value in (previous, first_seen)
             if (moment := _instant(value)) is not None]
    return min(known)[1] if known else (previous or first_seen)


def _updated(document: Mapping[str, Any], now: datetime | None) -> str:
    scan = document.get("scan") or {}
    return iso(scan.get("finished_at") or scan.get("started_at"), now)


def to_asff(finding: Mapping[str, Any], document: Mapping[str, Any], *,
            graph: nx.MultiDiGraph | None = None, created_at: str | None = None,
            home_region: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """One findings.json finding as an ASFF finding for its own account (per-account mode)."""
    scan = document.get("scan") or {}
    resource = finding.get("resource") or {}
    home = home_region or (list(scan.get("regions") or []) or ["us-east-1"])[0]
    region = str(resource.get("region") or "")
    if region in ("", "global"):
        region = home
    account = str(resource.get("account_id") or "")
    if not account:
        # a findings.json written before every producer named an account (an expired
        # suppression, a crashed rule: findings about the scan itself) -- read as the scan's
        # own account, as ScanMeta.home_account places them now (review: last night's file
        # made the first export after the upgrade an internal error)
        scanned = sorted(str(a) for a in scan.get("accounts") or ())
        account = str(scan.get("central_account") or (scanned[0] if scanned else ""))
    if not _ACCOUNT.fullmatch(account):
        # ASFF AwsAccountId: "The Amazon Web Services account ID that a finding is generated
        # in" (12 digits), also in ProductArn: an empty one made product//default, which
        # Security Hub refuses. Every producer names an account (findings.schema.json), so
        # one without is a bug to report, not a finding to send (new-user trial)
        raise ValueError(f"finding {finding.get('id')} ({finding.get('rule_id')}) names no "
                         f"account ({account!r}): a bug in the finding's producer")
    updated = _updated(document, now)
    status = str(finding.get("status") or "UNKNOWN")
    rule_id = str(finding.get("rule_id") or "unknown-rule")
    title = f"{finding.get('title') or rule_id}: {short_resource(str(resource.get('arn', '')))}"
    remediation = finding.get("remediation") or {}
    recommendation: dict[str, str] = {
        "Text": _text(remediation.get("description") or remediation.get("summary")
                      or f"See the secretgraph documentation for rule {rule_id}.",
                      LIMITS["Recommendation.Text"])}
    url = remediation.get(_P_REMEDIATION_URL)
    if isinstance(url, str) and url.startswith("https://"):
        recommendation["Url"] = url[:1024]
    compliance: dict[str, Any] = {"Status": COMPLIANCE_STATUS.get(status, "NOT_AVAILABLE")}
    reqs = _requirements(finding.get("compliance") or {})
    if reqs:
        compliance["RelatedRequirements"] = reqs
    if status == "UNKNOWN":
        compliance["StatusReasons"] = [{
            "ReasonCode": "MISSING_INPUT",
            "Description": _text("Could not be assessed; missing: " + ", ".join(
                map(str, finding.get("missing") or ["input"])), LIMITS["StatusReason.Description"]),
        }]
    resources = [_resource(resource, graph, home)]
    if finding.get("principal"):
        resources.append(_principal_resource(str(finding["principal"]), region))
    out: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": asff_id(finding),
        "ProductArn": product_arn(region, account),
        "ProductName": "secretgraph",
        "CompanyName": "secretgraph",
        "Region": region,
        "GeneratorId": _text(f"secretgraph/{rule_id}", LIMITS["GeneratorId"]),
        "AwsAccountId": account,
        "Types": _types(rule_id),
        "CreatedAt": _created(created_at, updated),
        "UpdatedAt": updated,
        "FirstObservedAt": _created(created_at, updated),
        "LastObservedAt": updated,
        "Severity": severity_of(str(finding.get("severity") or "INFORMATIONAL"),
                                passed=status == "PASS"),
        "Title": _line(title, LIMITS["Title"]),
        "Description": _description(finding),
        "Remediation": {"Recommendation": recommendation},
        "ProductFields": _product_fields(finding, document),
        "Resources": resources[: LIMITS["Resources"]],
        "Compliance": compliance,
        "RecordState": "ACTIVE",
    }
    account_name = _text(resource.get("account_name") or "", LIMITS["AwsAccountName"]).strip()
    if account_name:  # ASFF AwsAccountName: "The AWS account name that the finding applies to."
        out["AwsAccountName"] = account_name
    if status == "MUTED":
        out["Workflow"] = {"Status": "SUPPRESSED"}
    elif status == "PASS":
        # ASFF Compliance.Status: "PASSED - Security check passed for all evaluated
        # resources. If Compliance.Status is PASSED, then Security Hub automatically sets
        # Workflow.Status to RESOLVED." -- a PASS result is not work for anyone (new-user
        # trial round 6); RecordState stays ACTIVE, as for Security Hub's own PASSED findings
        out["Workflow"] = {"Status": "RESOLVED"}
    return fit_size(out)


def severity_of(severity: str, *, passed: bool) -> dict[str, str]:
    """ASFF Severity. Label: "INFORMATIONAL - No issue was found." (Security Hub API,
    Severity), so a PASSED finding -- a PASS result, or a resolved finding archived -- is
    INFORMATIONAL; Original: "The native severity from the finding product that generated the
    finding", the rule's severity, kept whatever the label (new-user trial round 6: 58 PASS
    results were imported as ACTIVE CRITICAL and HIGH findings)."""
    return {"Label": "INFORMATIONAL" if passed else severity, "Original": severity}


def finding_bytes(finding: Mapping[str, Any]) -> int:
    """The finding's size as compact UTF-8 JSON (the stdlib's ``separators=(",", ":"),
    ensure_ascii=False`` text; through orjson, ``reports.json_out.encode_row``: it differs only
    in how a float is spelled). Three are taken a finding (building, limits, validation): with
    json.dumps they were 9 % of an export's CPU at 100 accounts."""
    from reports.json_out import encode_row

    return len(encode_row(finding))


def fit_size(finding: dict[str, Any], limit: int = MAX_FINDING_BYTES) -> dict[str, Any]:
    """Shrink a finding that is over the per-finding limit: details first, then evidence."""
    if finding_bytes(finding) <= limit:
        return finding
    for res in finding.get("Resources", []):
        if res.get("Details"):
            res["Details"] = {"Other": {"details": "omitted: over the 240 KB finding limit"}}
        res.pop("Tags", None)
    if finding_bytes(finding) > limit:
        fields = finding.get("ProductFields", {})
        for key in list(fields):
            fields[key] = truncate(fields[key], 256)
    if finding_bytes(finding) > limit:  # resources beyond the first are the last resort
        finding["Resources"] = finding["Resources"][:1]
    return finding


def _within_limits(finding: Mapping[str, Any]) -> bool:
    for key in ("Title", "Description"):
        if len(str(finding.get(key, ""))) > LIMITS[key]:
            return False
    text = ((finding.get("Remediation") or {}).get("Recommendation") or {}).get("Text", "")
    if len(str(text)) > LIMITS["Recommendation.Text"]:
        return False
    fields = finding.get("ProductFields") or {}
    if len(fields) > LIMITS["ProductFields.count"] or any(
            len(str(k)) > LIMITS["ProductFields.key"] or len(str(v)) > LIMITS["ProductFields.value"]
            for k, v in fields.items()):
        return False
    return finding_bytes(finding) <= MAX_FINDING_BYTES


def enforce_limits(finding: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ASFF finding (from any source) with over-long text cut with the marker and the size
    brought under 240 KB: Security Hub never sees a field over its limit. A finding already
    within the limits is returned as is; otherwise a modified copy (the input is untouched)."""
    if _within_limits(finding):
        return finding
    out: dict[str, Any] = copy.deepcopy(dict(finding))
    for key in ("Title", "Description"):
        if isinstance(out.get(key), str):
            out[key] = truncate(out[key], LIMITS[key])
    rec = (out.get("Remediation") or {}).get("Recommendation")
    if isinstance(rec, dict) and isinstance(rec.get("Text"), str):
        rec["Text"] = truncate(rec["Text"], LIMITS["Recommendation.Text"])
    fields = out.get("ProductFields")
    if isinstance(fields, dict):
        out["ProductFields"] = {truncate(str(k), LIMITS["ProductFields.key"], "…"):
                                truncate(str(v), LIMITS["ProductFields.value"])
                                for k, v in list(fields.items())[: LIMITS["ProductFields.count"]]}
    return fit_size(out)


def created_at_index(previous: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Finding id -> CreatedAt from a previous ASFF export (to keep CreatedAt across scans)."""
    return {str(f["Id"]): str(f["CreatedAt"]) for f in previous
            if isinstance(f, Mapping) and f.get("Id") and f.get("CreatedAt")}


def created_at_of_rows(rows: Iterable[Mapping[str, Any]], document: Mapping[str, Any], *,
                       now: datetime | None = None) -> dict[str, str]:
    """``created_at_index(build_asff(document))`` for findings.json rows read one at a time
    (``document``: their header), without building their ASFF findings."""
    updated = _updated(document, now)
    out: dict[str, str] = {}
    for f in rows:
        fid = asff_id(f)
        if fid:
            out[fid] = _created(f.get("first_seen"), updated)
    return out


def iter_asff(document: Mapping[str, Any], *, graph: nx.MultiDiGraph | None = None,
              created_at: Mapping[str, str] | None = None, home_region: str | None = None,
              now: datetime | None = None) -> Iterator[dict[str, Any]]:
    """``build_asff``, one finding at a time (``write_asff`` streams them to a file).
    ``created_at``: finding id -> its previous CreatedAt; each finding's CreatedAt is the
    earlier of that and its ``first_seen`` (``earliest_created``)."""
    created = created_at or {}
    for f in findings_of(document):
        yield to_asff(f, document, graph=graph,
                      created_at=earliest_created(created.get(str(f.get("id"))),
                                                  f.get("first_seen")),
                      home_region=home_region, now=now)


def build_asff(document: Mapping[str, Any], *, graph: nx.MultiDiGraph | None = None,
               created_at: Mapping[str, str] | None = None, home_region: str | None = None,
               now: datetime | None = None) -> list[dict[str, Any]]:
    return list(iter_asff(document, graph=graph, created_at=created_at,
                          home_region=home_region, now=now))


def retarget_central(finding: Mapping[str, Any], central_account: str) -> dict[str, Any]:
    """The same finding imported into the central account; the resource's account stays in
    ProductFields (``secretgraph/resource_account``, ``secretgraph/resource_account_name``).
    AwsAccountName is dropped: it would name another account than AwsAccountId."""
    out = json.loads(json.dumps(finding))
    account, region = target_of(finding)
    fields = out.setdefault("ProductFields", {})
    fields.setdefault("secretgraph/resource_account", account)
    name = out.pop("AwsAccountName", None)
    if name:
        fields.setdefault("secretgraph/resource_account_name", name)
    out["AwsAccountId"] = central_account
    out["ProductArn"] = product_arn(region, central_account)
    return out


def archive_resolved(previous: Iterable[Mapping[str, Any]],
                     current: Iterable[Mapping[str, Any]] | AbstractSet[str],
                     document: Mapping[str, Any], *, now: datetime | None = None,
                     current_keys: AbstractSet[tuple[str, str]] | None = None,
                     undecided_keys: AbstractSet[tuple[str, str]] | None = None
                     ) -> list[dict[str, Any]]:
    """Previously failing findings that are resolved now, as PASSED + ARCHIVED ASFF findings;
    and previously UNKNOWN ones (Compliance WARNING: the scan could not decide) that the
    current scan decided and does not report, which would otherwise stay "could not assess"
    in Security Hub after the night that could not read them (nightly-operations trial).

    A finding missing from the current scan counts as resolved only where the current scan
    assessed it: its account, Region, service and resource read, its rule evaluated and its
    severity reported (scanner.history.assessed, the same test as drift's: a scan of some
    accounts, or one run with --severity or --exclude-rules, never archives the others).
    A PASSED finding in ``current`` counts as missing: PASS results are itemised only with
    ``scan --emit-pass``, and what is archived must not depend on that. ``current`` may also
    be the set of ids of the current findings that are not PASSED (a streamed export).
    ``document``: the current findings document; its header is enough. ``current_keys``:
    the (rule id, resource id) of the current findings that are not PASSED and name a
    principal, when ``current`` is a set of ids: a previous UNKNOWN row without a principal
    that tonight's per-principal rows of the same rule and resource replace is not archived.
    ``undecided_keys``: the (rule id, resource id) of the current UNKNOWN (WARNING) findings
    that name no principal, when ``current`` is a set of ids: a previous per-principal row of
    the same rule and resource was not assessed tonight and is not archived (concept review
    round 2; scanner.history.assessed ``undecided``, drift's test too).
    """
    from scanner.history.assessed import assess_document

    if not isinstance(current, AbstractSet):
        current = [f for f in current if (f.get("Compliance") or {}).get("Status") != "PASSED"]
        if current_keys is None:
            current_keys = {rule_and_resource(f) for f in current
                            if (f.get("ProductFields") or {}).get("secretgraph/principal")}
        if undecided_keys is None:
            undecided_keys = {rule_and_resource(f) for f in current if is_undecided(f)}
    current_by_id = current if isinstance(current, AbstractSet) else {
        str(f.get("Id")) for f in current}
    scan = document.get("scan") or {}
    assessed = assess_document(document)
    if undecided_keys:
        assessed = replace(assessed, undecided=assessed.undecided | frozenset(undecided_keys))
    updated = iso(scan.get("finished_at") or scan.get("started_at"), now)
    out: list[dict[str, Any]] = []
    for old in previous:
        if (old.get("Compliance") or {}).get("Status") not in ("FAILED", "WARNING") or \
                old.get("RecordState") == "ARCHIVED":
            continue
        fid = str(old.get("Id"))
        if fid in current_by_id:
            continue
        fields = old.get("ProductFields") or {}
        res_account = str(fields.get("secretgraph/resource_account") or old.get("AwsAccountId"))
        resource = (old.get("Resources") or [{}])[0]
        if assessed.why_not(account_id=res_account, region=str(resource.get("Region") or ""),
                            kind=str(fields.get("secretgraph/resource_type") or ""),
                            arn=resource_node(old) or None,
                            rule_id=fields.get("secretgraph/rule_id"),
                            severity=(old.get("Severity") or {}).get("Original")
                            or (old.get("Severity") or {}).get("Label"),
                            principal=fields.get("secretgraph/principal") or None):
            continue
        if (old.get("Compliance") or {}).get("Status") == "WARNING" and current_keys and \
                not fields.get("secretgraph/principal") and (
                str(fields.get("secretgraph/rule_id")), resource_node(old)) in current_keys:
            # an UNKNOWN row superseded by tonight's per-principal FAIL rows of the same rule
            # and resource: decided, not resolved (regression check)
            continue
        base = json.loads(json.dumps(old))
        base["Compliance"] = {**(base.get("Compliance") or {}), "Status": "PASSED"}
        base["Compliance"].pop("StatusReasons", None)
        severity = base.get("Severity") or {}
        base["Severity"] = severity_of(
            str(severity.get("Original") or severity.get("Label") or "INFORMATIONAL"),
            passed=True)
        base["RecordState"] = "ARCHIVED"
        # Workflow RESOLVED: taken when Security Hub first sees the finding; on a finding it
        # already holds, Workflow is the customer's (changed with BatchUpdateFindings, AWS_FACTS
        # section 4), and Security Hub resets it to NEW if the finding comes back ACTIVE.
        # A muted finding keeps SUPPRESSED: Security Hub "resets the workflow status from
        # NOTIFIED or RESOLVED to NEW" when "RecordState changes from ARCHIVED to ACTIVE"
        # (Security Hub API, Workflow), never from SUPPRESSED, so the archived record says
        # what it holds, and a next export given it sets NEW if the finding comes back
        # un-muted (deployment trial round 2)
        was_muted = (old.get("Workflow") or {}).get("Status") == "SUPPRESSED" or \
            (old.get("ProductFields") or {}).get("secretgraph/status") == "MUTED"
        base["Workflow"] = {"Status": "SUPPRESSED" if was_muted else "RESOLVED"}
        base["UpdatedAt"] = updated
        base["LastObservedAt"] = updated
        if old.get("CreatedAt"):
            base["CreatedAt"] = old["CreatedAt"]
        fields = dict(base.get("ProductFields") or {})
        fields["secretgraph/status"] = "RESOLVED"
        base["ProductFields"] = fields
        out.append(base)
    return out


def is_undecided(finding: Mapping[str, Any]) -> bool:
    """An ASFF finding of a rule the scan could decide for no reader of its resource: UNKNOWN
    (Compliance WARNING) and naming no principal."""
    return (finding.get("Compliance") or {}).get("Status") == "WARNING" and \
        not (finding.get("ProductFields") or {}).get("secretgraph/principal")


def resource_node(finding: Mapping[str, Any]) -> str:
    """The resource key of an ASFF finding (findings.resource_key): its
    ``secretgraph/resource_node`` (a replica's ``<primary ARN>#<region>``), else its
    Resources[0].Id -- which was the node id in findings exported before the replica's ARN
    became the Id, so both nights give the same key."""
    fields = finding.get("ProductFields") or {}
    resource = (finding.get("Resources") or [{}])[0]
    return str(fields.get("secretgraph/resource_node") or resource.get("Id") or "")


def rule_and_resource(finding: Mapping[str, Any]) -> tuple[str, str]:
    """(rule id, resource key) of an ASFF finding: what its per-principal rows share."""
    fields = finding.get("ProductFields") or {}
    return str(fields.get("secretgraph/rule_id")), resource_node(finding)


# --------------------------------------------------------------------------- validation


@lru_cache(maxsize=1)
def _finding_shape() -> Any:
    """BatchImportFindings' input shape, read from the service model botocore bundles: no
    session, so no credentials, no network and no profile. Through a default session an
    AWS_PROFILE naming a profile that does not exist made `export securityhub --dry-run`
    (which needs no credentials) an "internal error: ProfileNotFound" (new-user trial 32)."""
    from botocore.loaders import create_loader
    from botocore.model import ServiceModel

    model = ServiceModel(create_loader().load_service_model("securityhub", "service-2"),
                         service_name="securityhub")
    return model.operation_model("BatchImportFindings").input_shape


def _walk_model(value: Any, shape: Any, path: str, problems: list[str]) -> None:
    """Checks botocore's ParamValidator leaves out: enums and the NonEmptyString pattern."""
    type_name = shape.type_name
    if type_name == "structure" and isinstance(value, Mapping):
        for key, item in value.items():
            if key in shape.members:
                _walk_model(item, shape.members[key], f"{path}.{key}", problems)
    elif type_name == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            _walk_model(item, shape.member, f"{path}[{i}]", problems)
    elif type_name == "map" and isinstance(value, Mapping):
        for key, item in value.items():
            _walk_model(item, shape.value, f"{path}.{key}", problems)
    elif type_name == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            problems.append(f"{path}: {value!r} is not one of {', '.join(shape.enum)}")
        if shape.metadata.get("pattern") == ".*\\S.*" and not value.strip():
            problems.append(f"{path}: must not be empty")


def _limit_problems(f: Mapping[str, Any]) -> list[str]:
    problems = []
    for key in ("Id", "GeneratorId", "Title", "Description"):
        if len(str(f.get(key, ""))) > LIMITS[key]:
            problems.append(f"{key}: longer than {LIMITS[key]} characters")
    fields = f.get("ProductFields") or {}
    if len(fields) > LIMITS["ProductFields.count"]:
        problems.append("ProductFields: more than 50 pairs")
    for k, v in fields.items():
        if len(k) > LIMITS["ProductFields.key"] or len(str(v)) > LIMITS["ProductFields.value"]:
            problems.append(f"ProductFields.{k}: key or value too long")
    if len(f.get("Types") or []) > LIMITS["Types"]:
        problems.append("Types: more than 50")
    resources = f.get("Resources") or []
    if not 1 <= len(resources) <= LIMITS["Resources"]:
        problems.append("Resources: needs 1 to 32 resources")
    for i, r in enumerate(resources):
        other = ((r.get("Details") or {}).get("Other")) or {}
        if len(other) > LIMITS["Other.count"] or any(
                len(k) > LIMITS["Other.key"] or len(str(v)) > LIMITS["Other.value"]
                for k, v in other.items()):
            problems.append(f"Resources[{i}].Details.Other: over the map limits")
        if len(r.get("Tags") or {}) > LIMITS["Tags.count"]:
            problems.append(f"Resources[{i}].Tags: more than 50")
    text = ((f.get("Remediation") or {}).get("Recommendation") or {}).get("Text", "")
    if len(text) > LIMITS["Recommendation.Text"]:
        problems.append("Remediation.Recommendation.Text: longer than 512 characters")
    if len((f.get("Compliance") or {}).get("RelatedRequirements") or []) > LIMITS[
            "RelatedRequirements"]:
        problems.append("Compliance.RelatedRequirements: more than 32")
    size = finding_bytes(f)
    if size > MAX_FINDING_BYTES:
        problems.append(f"finding is {size} bytes, over the 240 KB ({MAX_FINDING_BYTES} byte) "
                        "limit")
    if not _ACCOUNT.fullmatch(str(f.get("AwsAccountId", ""))):
        problems.append("AwsAccountId: not a 12-digit account id")
    if not str(f.get("ProductArn", "")).endswith(f":product/{f.get('AwsAccountId')}/default"):
        problems.append("ProductArn: not the default product of AwsAccountId")
    return problems


Check = Callable[[Any], bool]


def _compile(shape: Any, done: dict[str, Check]) -> Check:
    """A function telling whether a value passes every check botocore's ParamValidator makes
    for ``shape`` (the type, required and unknown members, ``min`` lengths and values) and
    ``_walk_model``'s (enums, the NonEmptyString pattern). It only ever says True where both
    find nothing: where it says False, ``validate_asff`` asks them for the words. A document
    or tagged-union shape, or a JSON-value header, is always False (left to them)."""
    from botocore.utils import is_json_value_header

    key = shape.name
    if key in done:  # compiled, or being compiled (a shape within itself: the stand-in below)
        return done[key]
    checks: dict[str, Check] = {}
    done[key] = lambda value: checks["self"](value)  # until ``out`` is built
    kind = shape.type_name
    meta = shape.metadata
    low = meta.get("min")
    if low is None and getattr(shape, "serialization", {}).get("hostLabel"):
        low = 1
    out: Check
    if is_json_value_header(shape) or (kind == "structure" and (
            shape.is_document_type or shape.is_tagged_union)):
        def out(value: Any) -> bool:
            return False
    elif kind == "structure":
        members = {name: _compile(member, done) for name, member in shape.members.items()}
        required = tuple(meta.get("required", ()))

        def out(value: Any) -> bool:
            if not isinstance(value, dict):
                return False
            for name in required:
                if name not in value:
                    return False
            for name, item in value.items():
                check = members.get(name)
                if check is None or not check(item):
                    return False
            return True
    elif kind == "list":
        item_check = _compile(shape.member, done)

        def out(value: Any) -> bool:
            if not isinstance(value, (list, tuple)) or (low is not None and len(value) < low):
                return False
            return all(item_check(item) for item in value)
    elif kind == "map":
        key_check, value_check = _compile(shape.key, done), _compile(shape.value, done)

        def out(value: Any) -> bool:
            if not isinstance(value, dict):
                return False
            return all(key_check(k) and value_check(v) for k, v in value.items())
    elif kind == "string":
        enum = frozenset(shape.enum) if shape.enum else None
        nonempty = meta.get("pattern") == ".*\\S.*"

        def out(value: Any) -> bool:
            if not isinstance(value, str) or (low is not None and len(value) < low):
                return False
            if enum is not None and value not in enum:
                return False
            return not nonempty or bool(value.strip())
    elif kind in ("integer", "long", "double", "float", "boolean"):
        import decimal

        types: tuple[type, ...] = {"integer": (int,), "long": (int,), "boolean": (bool,)}.get(
            kind, (float, decimal.Decimal, int))

        def out(value: Any) -> bool:
            return isinstance(value, types) and (low is None or kind == "boolean" or
                                                 value >= low)
    else:  # timestamp, blob: botocore's own checks
        def out(value: Any) -> bool:
            return False
    checks["self"] = out
    done[key] = out
    return out


@lru_cache(maxsize=1)
def _finding_check() -> Check:
    return _compile(_finding_shape().members["Findings"].member, {})


def validate_asff(finding: Mapping[str, Any]) -> list[str]:
    """Problems that would make BatchImportFindings reject (or silently cut) the finding.
    A finding the compiled check passes has none of botocore's or ``_walk_model``'s (at 100
    accounts they were 47 % of an export's CPU); one it does not pass is named by them."""
    if _finding_check()(finding):
        return _limit_problems(finding)
    from botocore.validate import ParamValidator

    shape = _finding_shape()
    report = ParamValidator().validate({"Findings": [finding]}, shape)
    problems = [line.strip() for line in report.generate_report().splitlines()
                if line.strip()] if report.has_errors() else []
    _walk_model(finding, shape.members["Findings"].member, "Finding", problems)
    return problems + _limit_problems(finding)


# --------------------------------------------------------------------------- files


def _asff_chunks(findings: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """``json.dumps(list(findings), indent=1, ensure_ascii=False) + "\\n"``, one finding at a
    time: each finding dumped with indent=1 and every line of it indented one more space (JSON
    strings hold no raw newline, so each line of the dump is a line of the file)."""
    first = True
    for finding in findings:
        text = json.dumps(finding, indent=1, ensure_ascii=False)
        yield ("[\n " if first else ",\n ") + text.replace("\n", "\n ")
        first = False
    yield "[]\n" if first else "\n]\n"


def render_asff(findings: Iterable[Mapping[str, Any]]) -> str:
    """The whole export as one string (``write_asff`` streams the same text to a file)."""
    return "".join(_asff_chunks(findings))


def write_asff(findings: Iterable[Mapping[str, Any]], path: Path) -> Path:
    """Stream the findings to ``path`` as a JSON array, one finding at a time, through a
    temporary file renamed into place when complete (org-scale trial round 2: the list of
    every ASFF finding, dumped in one string, cost 2.5 GB at 20,000 secrets). ``findings``
    may be a generator (``iter_asff``): no list of them is built."""
    with replacing(path) as out:
        out.writelines(_asff_chunks(findings))
    return path


def created_at_of_file(path: Path) -> dict[str, str]:
    """``created_at_index(read_asff_file(path))`` without holding the file: an export in the
    layout ``write_asff`` writes (``[``, each finding opening with `` {`` and closing with
    `` },`` or `` }`` on lines of their own: JSON strings hold no raw newline, and deeper
    objects are indented further) is read one finding at a time; any other layout, or any
    surprise on the way, is read whole by ``read_asff_file``, with its errors (org-scale trial
    round 2: the previous export was parsed whole, 875 MB peak instead of 250 MB at 10,000
    secrets)."""
    out: dict[str, str] = {}
    try:
        with input_file.open_text(path) as lines:
            head = lines.readline()
            if head == "[]\n" and not lines.read(1):
                return out
            if head != "[\n":
                return created_at_index(read_asff_file(path))
            chunk: list[str] = []
            ended = False
            for line in lines:
                if ended:  # anything after the closing bracket
                    return created_at_index(read_asff_file(path))
                if line == "]\n" and not chunk:
                    ended = True
                    continue
                if line in (" },\n", " }\n"):
                    chunk.append(" }")
                    finding = json_text.loads("".join(chunk))
                    chunk = []
                    if not isinstance(finding, dict) or not all(
                            finding.get(k) for k in ("Id", "AwsAccountId", "ProductArn")):
                        return created_at_index(read_asff_file(path))  # its error
                    out.update(created_at_index([finding]))
                    continue
                chunk.append(line)
            if not ended:
                return created_at_index(read_asff_file(path))
    except FileNotFoundError:
        raise InputError("file not found", path=str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return created_at_index(read_asff_file(path))
    return out


def read_asff_file(path: Path) -> list[dict[str, Any]]:
    """An ASFF export: a JSON list of findings, or ``{"Findings": [...]}``."""
    try:
        data = json_text.loads(input_file.read_text(path))
    except FileNotFoundError:
        raise InputError("file not found", path=str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a readable JSON file: {exc}", path=str(path)) from None
    if isinstance(data, Mapping) and isinstance(data.get("Findings"), list):
        data = data["Findings"]
    if not isinstance(data, list) or not all(isinstance(f, dict) for f in data):
        # a findings.json given as ASFF: say which flag takes it (new-user trial 19)
        scan = isinstance(data, Mapping) and "schema_version" in data and "findings" in data
        raise InputError("expected a JSON list of ASFF findings" + (
            "; this is a findings.json: export securityhub takes it with --findings (or "
            "its folder with --in)" if scan else ""), path=str(path))
    for i, f in enumerate(data):
        for key in ("Id", "AwsAccountId", "ProductArn"):
            if not f.get(key):
                raise InputError("ASFF finding lacks a required value", path=str(path),
                                 field=f"[{i}].{key}")
    return data
