"""The demo Organization: management account, the central security account, members A, B, C."""

from __future__ import annotations

import json
from dataclasses import dataclass

from scanner.demo.clients import MANAGEMENT_ACCOUNT, Clients

MEMBERS = ("a", "b", "c")

#: SCP: no account may leave the organization (attached to the root).
DENY_LEAVE_ORG = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "DenyLeaveOrganization", "Effect": "Deny",
                   "Action": "organizations:LeaveOrganization", "Resource": "*"}],
}

#: SCP on member C: its ReportingRole must never read secrets. Combined with the secret
#: demo/misconfig/scp-blocked (which grants that role in the other two gates) this is broken
#: intended access that only the SCP gate explains.
DENY_REPORTING_READ = {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "DenyReportingRoleSecretRead", "Effect": "Deny",
        "Action": "secretsmanager:GetSecretValue", "Resource": "*",
        "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ReportingRole"}},
    }],
}


@dataclass(frozen=True, kw_only=True, slots=True)
class DemoOrg:
    org_id: str
    root_id: str
    management: str
    central: str
    members: dict[str, str]  # "a" -> account id
    scp_ids: dict[str, str]


def create_org(clients: Clients, region: str) -> DemoOrg:
    org = clients.get(MANAGEMENT_ACCOUNT, "organizations", region)
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root_id = org.list_roots()["Roots"][0]["Id"]
    ous = {name: org.create_organizational_unit(ParentId=root_id, Name=name)
           ["OrganizationalUnit"]["Id"] for name in ("Security", "Workloads")}

    def account(name: str, ou: str) -> str:
        status = org.create_account(AccountName=name, Email=f"{name}@demo.secretgraph.invalid")
        acct = str(status["CreateAccountStatus"]["AccountId"])
        org.move_account(AccountId=acct, SourceParentId=root_id, DestinationParentId=ous[ou])
        return acct

    central = account("security", "Security")
    members = {m: account(f"member-{m}", "Workloads") for m in MEMBERS}

    try:
        org.enable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")
    except org.exceptions.PolicyTypeAlreadyEnabledException:
        pass  # moto enables SCPs with FeatureSet=ALL; AWS needs this call
    scps: dict[str, str] = {}
    for name, content, target in (
        ("deny-leave-organization", DENY_LEAVE_ORG, root_id),
        ("deny-reporting-role-secret-read", DENY_REPORTING_READ, members["c"]),
    ):
        pid = org.create_policy(Name=name, Description=name, Type="SERVICE_CONTROL_POLICY",
                                Content=json.dumps(content))["Policy"]["PolicySummary"]["Id"]
        org.attach_policy(PolicyId=pid, TargetId=target)
        scps[name] = pid
    return DemoOrg(org_id=org_id, root_id=root_id, management=MANAGEMENT_ACCOUNT,
                   central=central, members=members, scp_ids=scps)
