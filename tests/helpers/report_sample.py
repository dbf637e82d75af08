"""A rich, hostile sample for the report tests: a findings document, a graph and drift.

Names, descriptions, tags, policies and messages carry script-injection canaries: a report
that ran any of them would set ``window.__pwned``.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from scanner.findings import Finding, ResourceRef, Severity, Status, finding_id
from scanner.access.report import AccessPath, AccessReport, GateVerdict, SecretAccess
from scanner.access.verdicts import Grant, Reach
from scanner.graph.schema import EdgeKind, NodeKind, ec2_arn
from scanner.policy.arn import principal_account

IMG = "<img src=x onerror=window.__pwned=1>"
SCRIPT = "</script><script>window.__pwned=1</script>"
SVG = "<svg onload=window.__pwned=1>"
HOSTILE = f"{IMG} {SCRIPT} {SVG} \u2028 & \"quote' =cmd|' /C calc'!A0 \x1b[31mred"

CENTRAL = "111111111111"
MEMBER_A = "222222222222"
MEMBER_B = "333333333333"
MEMBER_C = "444444444444"
REGION = "us-east-1"
#: account names as the snapshot reads them (one hostile: names come from the audited org)
ACCOUNT_NAMES = {CENTRAL: "security-central", MEMBER_A: "payments-prod", MEMBER_B: "ledger-prod",
                 MEMBER_C: "sandbox " + IMG}


def secret_arn(account: str, name: str) -> str:
    return f"arn:aws:secretsmanager:{REGION}:{account}:secret:{name}-AbCdEf"


SECRET_A = secret_arn(CENTRAL, "app-a/db")
SECRET_B = secret_arn(CENTRAL, "app-b/db")
SECRET_EVIL = secret_arn(CENTRAL, "evil" + IMG)
KEY = f"arn:aws:kms:{REGION}:{CENTRAL}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE_A = f"arn:aws:iam::{MEMBER_A}:role/ApplicationRole"
ROLE_B = f"arn:aws:iam::{MEMBER_B}:role/ApplicationRole"
ROLE_EVIL = f"arn:aws:iam::{MEMBER_C}:role/{SCRIPT}"
ROTATION_FN = f"arn:aws:lambda:{REGION}:{CENTRAL}:function:rotate-db"
PCX_OK = "pcx-0aaa"
PCX_NOROUTE = "pcx-0bbb"
PCX_PENDING = "pcx-0ccc"


def _finding(rule: str, title: str, severity: Severity, status: Status, rtype: str, arn: str,
             account: str, *, region: str = REGION, principal: str | None = None,
             message: str = "", evidence: dict[str, Any] | None = None,
             missing: tuple[str, ...] = (), muted_by: dict[str, Any] | None = None) -> Finding:
    return Finding(
        id=finding_id(rule, arn, principal), rule_id=rule, title=title, severity=severity,
        status=status, resource=ResourceRef(type=rtype, arn=arn, account_id=account, region=region,
                             account_name=ACCOUNT_NAMES.get(account)),
        message=message, principal=principal, evidence=evidence or {},
        remediation={"id": rule.replace("-", "_"), "description": f"Fix {rule}. {HOSTILE}"},
        compliance={"CIS AWS 3.0": ("2.1.1",), "secretgraph": (rule,)},
        missing=missing, muted_by=muted_by,
    )


def sample_findings() -> list[Finding]:
    return [
        _finding("secret-cross-account-access-broken", "Cross-account read is broken",
                 Severity.HIGH, Status.FAIL, "Secret", SECRET_A, CENTRAL, principal=ROLE_B,
                 message=f"key policy denies kms:Decrypt to {ROLE_B}",
                 evidence={"gates": {"resource_policy": "ALLOWED", "key_policy": "DENIED",
                                     "identity_policy": "ALLOWED"}, "policy": HOSTILE}),
        _finding("secret-policy-public", "Secret policy is public " + IMG, Severity.CRITICAL,
                 Status.FAIL, "Secret", SECRET_EVIL, CENTRAL,
                 message="Principal * without condition " + SCRIPT,
                 evidence={"policy": '{"Statement":[{"Principal":"*","Action":"' + SCRIPT + '"}]}'}),
        _finding("secret-rotation-disabled", "Rotation is disabled", Severity.MEDIUM, Status.FAIL,
                 "Secret", SECRET_B, CENTRAL, message="RotationEnabled is false"),
        _finding("kms-key-rotation-disabled", "KMS key rotation disabled", Severity.LOW,
                 Status.PASS, "KmsKey", KEY, CENTRAL, message="rotation enabled"),
        _finding("vpc-peering-route-missing", "Peering lacks a route on one side",
                 Severity.HIGH, Status.FAIL, "VpcPeering",
                 ec2_arn(REGION, CENTRAL, "vpc-peering-connection", PCX_NOROUTE), CENTRAL,
                 message=f"no route to 10.1.0.0/16 via {PCX_NOROUTE} in {MEMBER_B}"),
        _finding("secret-unused", "Secret not accessed for 90 days", Severity.INFORMATIONAL,
                 Status.UNKNOWN, "Secret", SECRET_B, CENTRAL,
                 message="LastAccessedDate was not read", missing=("Secret.last_accessed",)),
        _finding("secret-policy-external-account", "Access granted outside the organization",
                 Severity.HIGH, Status.MUTED, "Secret", SECRET_A, CENTRAL,
                 message="999999999999 may read " + SVG,
                 muted_by={"reason": "vendor access " + IMG, "expires": "2027-01-01"}),
        _finding("identity-policy-secret-wildcard", "Identity policy allows GetSecretValue on *",
                 Severity.MEDIUM, Status.FAIL, "Principal", ROLE_EVIL, MEMBER_C, region="global",
                 message=HOSTILE),
        _finding("scan-coverage-gap", "Account could not be assessed", Severity.MEDIUM,
                 Status.FAIL, "Account", f"account:{MEMBER_C}", MEMBER_C, region="global",
                 message="AssumeRole AccessDenied " + IMG),
    ]


def sample_document() -> dict[str, Any]:
    from scanner.engine.output import summary

    findings = [f.to_json() for f in sample_findings()]
    return {
        "schema_version": 1,
        "tool": {"name": "secretgraph", "version": "0.1.0"},
        "scan": {"id": "scan-2026-11-29T01:00:00Z", "started_at": "2026-11-29T01:00:00Z",
                 "finished_at": "2026-11-29T01:04:10Z",
                 "accounts": [CENTRAL, MEMBER_A, MEMBER_B, MEMBER_C], "regions": [REGION],
                 "complete": False, "central_account": CENTRAL},
        "coverage": [{"account_id": MEMBER_C, "region": "global", "service": "sts",
                      "operation": "AssumeRole", "error_code": "AccessDenied",
                      "error_kind": "denied", "message": "not authorized " + SCRIPT,
                      "resource_arn": None}],
        "summary": summary(sample_findings()),
        "findings": findings,
    }


def sample_graph() -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    for acct in (CENTRAL, MEMBER_A, MEMBER_B, MEMBER_C):
        g.add_node(f"account:{acct}", kind=NodeKind.ACCOUNT, account_id=acct, region="global",
                   name=ACCOUNT_NAMES[acct])
    for arn, name in ((SECRET_A, "app-a/db"), (SECRET_B, "app-b/db"), (SECRET_EVIL, "evil" + IMG)):
        g.add_node(arn, kind=NodeKind.SECRET, arn=arn, name=name, account_id=CENTRAL,
                   region=REGION, description=HOSTILE, kms_key_id=KEY, rotation_enabled=True,
                   rotation_days=30, tags={"Name": SCRIPT, "owner": IMG},
                   resource_policy=HOSTILE)
    g.add_node(KEY, kind=NodeKind.KMS_KEY, arn=KEY, key_id=KEY.rsplit("/", 1)[1],
               account_id=CENTRAL, region=REGION, key_manager="CUSTOMER", key_state="Enabled",
               origin="AWS_KMS", description=HOSTILE, rotation_enabled=False,
               creation_date="2026-01-01T00:00:00Z")
    for role, acct in ((ROLE_A, MEMBER_A), (ROLE_B, MEMBER_B), (ROLE_EVIL, MEMBER_C)):
        g.add_node(role, kind=NodeKind.PRINCIPAL, account_id=acct, region="global",
                   principal_type="role", name=role.rsplit("/", 1)[1])
    g.add_node("*", kind=NodeKind.PRINCIPAL, account_id="", region="global",
               principal_type="public")

    vpcs = {CENTRAL: ("vpc-central", "10.0.0.0/16", SCRIPT), MEMBER_A: ("vpc-a", "10.1.0.0/16", "db-a"),
            MEMBER_B: ("vpc-b", "10.2.0.0/16", IMG), MEMBER_C: ("vpc-c", "10.3.0.0/16", "db-c")}
    for acct, (vid, cidr, name) in vpcs.items():
        g.add_node(ec2_arn(REGION, acct, "vpc", vid), kind=NodeKind.VPC, vpc_id=vid,
                   account_id=acct, region=REGION, cidrs=[cidr], is_default=False,
                   tags={"Name": name})

    def peering(pcx: str, member: str, status: str) -> None:
        vid, cidr, _ = vpcs[member]
        arn = ec2_arn(REGION, CENTRAL, "vpc-peering-connection", pcx)
        g.add_node(arn, kind=NodeKind.VPC_PEERING, peering_id=pcx, account_id=CENTRAL,
                   region=REGION, status=status,
                   requester={"owner_id": CENTRAL, "vpc_id": "vpc-central", "region": REGION,
                              "cidrs": ["10.0.0.0/16"]},
                   accepter={"owner_id": member, "vpc_id": vid, "region": REGION, "cidrs": [cidr]})
        g.add_edge(ec2_arn(REGION, CENTRAL, "vpc", "vpc-central"), arn, kind=EdgeKind.PEERS,
                   side="requester")
        g.add_edge(ec2_arn(REGION, member, "vpc", vid), arn, kind=EdgeKind.PEERS, side="accepter")

    peering(PCX_OK, MEMBER_A, "active")
    peering(PCX_NOROUTE, MEMBER_B, "active")
    peering(PCX_PENDING, MEMBER_C, "pending-acceptance")

    def route_table(acct: str, rtb: str, vid: str, routes: list[dict[str, Any]]) -> None:
        g.add_node(ec2_arn(REGION, acct, "route-table", rtb), kind=NodeKind.ROUTE_TABLE,
                   route_table_id=rtb, vpc_id=vid, account_id=acct, region=REGION,
                   is_main=True, subnet_ids=[], routes=routes)

    def r(dest: str, pcx: str, state: str = "active") -> dict[str, Any]:
        return {"destination_cidr": dest, "target_type": "vpc-peering", "target_id": pcx,
                "state": state}

    route_table(CENTRAL, "rtb-central", "vpc-central",
                [r("10.1.0.0/16", PCX_OK), r("10.2.0.0/16", PCX_NOROUTE),
                 r("10.3.0.0/16", PCX_PENDING, "blackhole"),
                 {"destination_cidr": "0.0.0.0/0", "target_type": "nat-gateway",
                  "target_id": "nat-1", "state": "active"}])
    route_table(MEMBER_A, "rtb-a", "vpc-a", [r("10.0.0.0/16", PCX_OK)])
    route_table(MEMBER_B, "rtb-b", "vpc-b", [])
    g.add_node(ec2_arn(REGION, CENTRAL, "vpc-endpoint", "vpce-1"), kind=NodeKind.VPC_ENDPOINT,
               vpc_id="vpc-central", account_id=CENTRAL, region=REGION,
               service_name="com.amazonaws.us-east-1.secretsmanager", endpoint_type="Interface",
               private_dns_enabled=True, state="available")
    g.add_node(ec2_arn(REGION, CENTRAL, "natgateway", "nat-1"), kind=NodeKind.NAT_GATEWAY,
               vpc_id="vpc-central", account_id=CENTRAL, region=REGION, state="available")
    g.add_node(ROTATION_FN, kind=NodeKind.LAMBDA_FUNCTION,
               name="rotate-db" + IMG, account_id=CENTRAL, region=REGION, vpc_id="vpc-central",
               subnet_ids=["subnet-1"], security_group_ids=["sg-1"])
    g.nodes[SECRET_A]["rotation_lambda_arn"] = ROTATION_FN  # rotates app-a/db (in vpc-b's DB)
    g.add_edge(SECRET_A, ROTATION_FN, kind=EdgeKind.ROTATED_BY)
    return g


def sample_drift() -> dict[str, Any]:
    return {
        "access_changes": {
            "new_readers": [{"principal": ROLE_EVIL, "secret": SECRET_EVIL, "decision": "ALLOWED"}],
            "lost_readers": [{"principal": ROLE_B, "secret": SECRET_A, "why": IMG}],
        },
        "findings": {"new": [{"id": "sgf-1", "rule_id": "secret-policy-public", "title": SCRIPT}],
                     "resolved": [], "changed": [{"id": "sgf-2", "from": "PASS", "to": "FAIL"}]},
        "resources": {"added": [SECRET_EVIL], "removed": [], "changed": []},
        "not_assessed": [{"account_id": MEMBER_C, "reason": "AssumeRole denied " + SVG}],
        "previous_scan": "scan-2026-11-28T01:00:00Z",
    }


def sample_access() -> AccessReport:
    """The access analysis' verdicts for the sample graph: a reader, a broken intended read
    (the key blocks it), a conditional reader, a hostile-named reader, ``*`` (through a public
    grant: the analysis reaches everyone) and a plain denial."""
    paths: dict[str, list[AccessPath]] = {SECRET_A: [], SECRET_B: [], SECRET_EVIL: []}

    def path(p: str, s: str, decision: str, broken_at: tuple[str, ...] = (), **gates: str) -> None:
        full = {"resource_policy": "ALLOWED", "key_policy": "ALLOWED",
                "identity_policy": "ALLOWED", "scp": "NOT_APPLICABLE", **gates}
        account = "" if p == "*" else principal_account(p) or ""
        paths[s].append(AccessPath(
            principal=p, principal_account=account or None,
            principal_type="public" if p == "*" else "role",
            secret_account=CENTRAL, decision=decision, cross_account=account != CENTRAL,
            gates={g: GateVerdict(status=st) for g, st in full.items()},
            conditions=("aws:PrincipalOrgID",) if decision == "CONDITIONAL" else (),
            reasons=(f"reason with {IMG}",), intended=bool(broken_at), broken_at=broken_at))

    path(ROLE_A, SECRET_A, "ALLOWED")
    path(ROLE_B, SECRET_A, "DENIED", ("key_policy",), key_policy="DENIED")
    path(ROLE_A, SECRET_B, "CONDITIONAL", resource_policy="CONDITIONAL")
    path(ROLE_EVIL, SECRET_EVIL, "ALLOWED")
    path("*", SECRET_EVIL, "ALLOWED")
    path(ROLE_B, SECRET_B, "DENIED", resource_policy="DENIED", key_policy="DENIED",
         identity_policy="DENIED")
    public = {SECRET_EVIL: ((Grant(source="resource_policy", statement="statement 0",
                                   principal="*", scope="public", unintended="public"),),
                            (Reach(subject="*", scope="public", decision="ALLOWED",
                                   statements=("statement 0",)),))}
    return AccessReport(secrets={s: SecretAccess(
        secret_arn=s, name=None, account_id=CENTRAL, region=REGION, key_arn=KEY,
        aws_managed_key=False, paths=tuple(ps), grants=public.get(s, ((), ()))[0],
        reach=public.get(s, ((), ()))[1]) for s, ps in paths.items()})


def drop_findings(document: dict[str, Any], drop: Any) -> dict[str, Any]:
    """``document`` without the rows ``drop(row)`` selects, its summary counting the rest (a
    findings.json whose rows disagree with its summary is refused when read)."""
    kept = [f for f in document["findings"] if not drop(f)]
    by_status = document["summary"]["by_status"]
    for f in document["findings"]:
        if drop(f) and f["status"] in by_status:
            by_status[f["status"]] -= 1
    document["findings"] = kept
    return document
