"""Each failed Organizations read is its own coverage entry, told apart: ListPolicies is asked
once per policy type (its Filter named), and the OU tree once per root or OU (its ARN named).
Identical entries read as one failure counted twice, and hid which parent was not read."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from scanner.collectors import organizations
from scanner.collectors.base import Recorder


def _deny(session: boto3.Session, *operations: str) -> None:
    def hook(model: Any = None, **_: Any) -> Any:
        if model.name in operations:
            return (AWSResponse("https://stub", 403, {}, None),
                    {"Error": {"Code": "AccessDeniedException", "Message": "denied"},
                     "ResponseMetadata": {"HTTPStatusCode": 403}})
        return None

    session.events.register("before-call.organizations", hook)


def test_denied_policy_and_parent_listings_name_the_filter_and_the_parent(
        aws: boto3.Session) -> None:
    org = aws.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]
    units = [org.create_organizational_unit(ParentId=root["Id"], Name=name)[
        "OrganizationalUnit"] for name in ("prod", "dev")]
    _deny(aws, "ListPolicies", "ListAccountsForParent")
    rec = Recorder(account_id="123456789012", region="global", service="organizations")

    raw = organizations.fetch_organization(aws.client("organizations"), rec)

    policies = [c for c in rec.coverage if c.operation == "ListPolicies"]
    assert sorted(c.message for c in policies) == [
        "Filter RESOURCE_CONTROL_POLICY: denied", "Filter SERVICE_CONTROL_POLICY: denied"]
    parents = [c for c in rec.coverage if c.operation == "ListAccountsForParent"]
    assert sorted(c.resource_arn or "" for c in parents) == sorted(
        [root["Arn"]] + [u["Arn"] for u in units])
    assert {c.message for c in parents} == {
        f"ParentId {p}: denied" for p in [root["Id"]] + [u["Id"] for u in units]}
    assert raw["policies"] is None and raw["rcps"] is None


def test_one_failed_describe_policy_leaves_the_other_policies_read(aws: boto3.Session) -> None:
    """Fault-injection trial round 5 on collection: one DescribePolicy denied left every policy
    of its filter unread (the loop stopped and dropped what it had read), so a Deny that was
    readable could not decide the read. The others are read; the one not read is listed with
    its targets, and the set is still not complete (policies_read False: never "no SCPs")."""
    org = aws.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]
    org.enable_policy_type(RootId=root["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    deny = org.create_policy(
        Name="DenyReads", Description="", Type="SERVICE_CONTROL_POLICY",
        Content='{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", '
                '"Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}')["Policy"]
    org.attach_policy(PolicyId=deny["PolicySummary"]["Id"], TargetId=root["Id"])
    listed = [p["Id"] for p in org.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]]
    assert len(listed) == 2
    calls = {"n": 0}

    def first_describe_denied(model: Any = None, **_: Any) -> Any:
        if model.name == "DescribePolicy":
            calls["n"] += 1
            if calls["n"] == 1:
                return (AWSResponse("https://stub", 403, {}, None),
                        {"Error": {"Code": "AccessDeniedException", "Message": "denied"},
                         "ResponseMetadata": {"HTTPStatusCode": 403}})
        return None

    aws.events.register("before-call.organizations", first_describe_denied)
    rec = Recorder(account_id="123456789012", region="global", service="organizations")
    raw = organizations.fetch_organization(aws.client("organizations"), rec)
    result = organizations.transform_organization(raw)

    assert [c.operation for c in rec.coverage] == ["DescribePolicy"]
    assert result.policies_read is False
    [unread] = result.unread_policies
    assert unread.policy_id == listed[0] and unread.targets is not None
    assert [cp.policy_id for cp in result.policies
            if cp.policy_type == "SERVICE_CONTROL_POLICY"] == listed[1:]


def _drop_policy_type_field(session: boto3.Session, field: str) -> None:
    def hook(parsed: Any = None, model: Any = None, **_: Any) -> None:
        if model is not None and model.name == "ListRoots" and isinstance(parsed, dict):
            for root in parsed.get("Roots") or ():
                for summary in root.get("PolicyTypes") or ():
                    summary.pop(field, None)

    session.events.register("after-call.organizations", hook)


@pytest.mark.parametrize("field", [None, "Status", "Type"])
def test_a_root_policy_type_without_its_status_is_a_gap_not_scps_disabled(
        aws: boto3.Session, field: str | None) -> None:
    """Fault-injection trial round 26: a root's policy type answered without ``Status`` read
    as a type not enabled -- the SCPs "have no effect", every access an SCP denies was judged
    allowed (secret-cross-account-access-broken PASS), and the scan complete. It is the
    ListRoots gap: the roots are unread, the enabled types not known (None)."""
    org = aws.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]
    org.enable_policy_type(RootId=root["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    if field is not None:
        _drop_policy_type_field(aws, field)
    rec = Recorder(account_id="123456789012", region="global", service="organizations")

    organization = organizations.transform_organization(
        organizations.fetch_organization(aws.client("organizations"), rec))

    gaps = [(c.operation, c.error_code, c.message) for c in rec.coverage]
    if field is None:
        assert gaps == []
        assert organization.policy_types_enabled == ("SERVICE_CONTROL_POLICY",)
        assert organization.root_id == root["Id"]
        return
    assert gaps == [("ListRoots", "UnexpectedAnswer",
                     f"ListRoots answered an entry without {field}")]
    assert organization.policy_types_enabled is None  # not known -- never () (none enabled)
    assert organization.root_id is None
    assert [a.account_id for a in organization.accounts] == ["123456789012"]  # still listed
