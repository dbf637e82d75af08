"""The demo estate has the shape of the reference architecture, read back with boto3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scanner.demo.clients import Clients
from scanner.demo.estate import (CENTRAL_CIDR, HUB_SPOKES, MEMBER_DB_CIDR, PRIMARY, REPLICA,
                                 ROTATION_SUBNETS, DemoEstate)
from scanner.demo.expected import MISCONFIGURATIONS, NOT_REPRESENTABLE
from scanner.engine import load_ruleset

#: the built-in catalog: a rule added to it must be seeded in the demo or explained
CATALOG = {r.id for r in load_ruleset().rules}


def _id(arn: str) -> str:
    return arn.rsplit("/", 1)[1]


@pytest.fixture(scope="module")
def clients(estate: DemoEstate) -> Clients:
    return Clients(estate.endpoint_url)


def _client(clients: Clients, account: str, service: str, region: str = PRIMARY) -> Any:
    return clients.get(account, service, region)


def test_every_catalog_rule_is_seeded_or_explained() -> None:
    seeded = {rule for rule, *_ in MISCONFIGURATIONS}
    assert seeded | set(NOT_REPRESENTABLE) == CATALOG
    assert not seeded & set(NOT_REPRESENTABLE)


def test_docs_list_every_seeded_and_every_unrepresentable_rule() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "demo.md").read_text()
    for rule_id in {rule for rule, *_ in MISCONFIGURATIONS} | set(NOT_REPRESENTABLE):
        assert f"| {rule_id} |" in text, rule_id


def test_organization_has_management_central_and_three_members(estate: DemoEstate,
                                                               clients: Clients) -> None:
    org = _client(clients, estate.management_account, "organizations")
    accounts = {a["Id"]: a["Name"] for a in org.list_accounts()["Accounts"]}
    assert set(accounts) == set(estate.accounts)
    assert accounts[estate.central_account] == "security"
    assert {accounts[estate.members[m]] for m in "abc"} == {"member-a", "member-b", "member-c"}
    scps = {p["Name"] for p in org.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]}
    assert {"deny-leave-organization", "deny-reporting-role-secret-read"} <= scps


def test_member_peerings_are_active_with_routes_on_both_sides(estate: DemoEstate,
                                                              clients: Clients) -> None:
    ec2 = _client(clients, estate.central_account, "ec2")
    peerings = {p["VpcPeeringConnectionId"]: p
                for p in ec2.describe_vpc_peering_connections()["VpcPeeringConnections"]}
    for m, acct in estate.members.items():
        pcx = peerings[_id(estate.resources[f"pcx:member-{m}"])]
        assert pcx["Status"]["Code"] == "active"
        assert pcx["RequesterVpcInfo"]["VpcId"] == estate.resources["vpc-id:central"]
        assert pcx["RequesterVpcInfo"]["CidrBlock"] == CENTRAL_CIDR
        assert (pcx["AccepterVpcInfo"]["OwnerId"], pcx["AccepterVpcInfo"]["CidrBlock"]) == (
            acct, MEMBER_DB_CIDR)
        central_rt = ec2.describe_route_tables(
            RouteTableIds=[estate.resources[f"rtb-id:rotation-{m}"]])["RouteTables"][0]
        assert {(r.get("DestinationCidrBlock"), r.get("VpcPeeringConnectionId"))
                for r in central_rt["Routes"]} >= {(MEMBER_DB_CIDR, pcx["VpcPeeringConnectionId"])}
        assert [a["SubnetId"] for a in central_rt["Associations"]] == [
            estate.resources[f"subnet-id:rotation-{m}"]]
        mec2 = _client(clients, acct, "ec2")
        member_rt = mec2.describe_route_tables(
            RouteTableIds=[_id(estate.resources[f"rtb:member-{m}"])])["RouteTables"][0]
        assert (CENTRAL_CIDR, pcx["VpcPeeringConnectionId"]) in {
            (r.get("DestinationCidrBlock"), r.get("VpcPeeringConnectionId"))
            for r in member_rt["Routes"]}
        db_sg = mec2.describe_security_groups(Filters=[
            {"Name": "group-name", "Values": ["database"]}])["SecurityGroups"][0]
        assert [(p["FromPort"], [r["CidrIp"] for r in p["IpRanges"]])
                for p in db_sg["IpPermissions"]] == [(5432, [ROTATION_SUBNETS[m]])]


def test_central_vpc_has_a_private_dns_secretsmanager_endpoint(estate: DemoEstate,
                                                               clients: Clients) -> None:
    ec2 = _client(clients, estate.central_account, "ec2")
    (vpce,) = ec2.describe_vpc_endpoints(
        VpcEndpointIds=[estate.resources["vpce-id:secretsmanager"]])["VpcEndpoints"]
    assert (vpce["VpcId"], vpce["ServiceName"], vpce["VpcEndpointType"],
            vpce["PrivateDnsEnabled"]) == (estate.resources["vpc-id:central"],
                                           f"com.amazonaws.{PRIMARY}.secretsmanager",
                                           "Interface", True)


def test_database_secrets_use_member_mrks_rotate_and_replicate(estate: DemoEstate,
                                                                clients: Clients) -> None:
    sm = _client(clients, estate.central_account, "secretsmanager")
    kms = _client(clients, estate.central_account, "kms")
    for m, acct in estate.members.items():
        arn = estate.resources[f"secret:prod/member-{m}/db"]
        d = sm.describe_secret(SecretId=arn)
        key = estate.resources[f"key:member-{m}"]
        assert d["KmsKeyId"] == key
        assert d["RotationEnabled"] is True
        assert d["RotationLambdaARN"] == estate.resources[f"lambda:rotate-member-{m}"]
        assert [s for s in d["VersionIdsToStages"].values() if s] == [["AWSCURRENT"]]
        assert [(r["Region"], r["KmsKeyId"], r["Status"]) for r in d["ReplicationStatus"]] == [
            (REPLICA, estate.resources[f"key:member-{m}@{REPLICA}"], "InSync")]
        policy = json.loads(sm.get_resource_policy(SecretId=arn)["ResourcePolicy"])
        assert policy["Statement"][0]["Principal"] == {
            "AWS": f"arn:aws:iam::{acct}:role/ApplicationRole"}
        key_policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
        grant = key_policy["Statement"][1]
        assert grant["Principal"] == {"AWS": f"arn:aws:iam::{acct}:role/ApplicationRole"}
        assert grant["Condition"]["StringEquals"]["kms:ViaService"] == (
            f"secretsmanager.{PRIMARY}.amazonaws.com")
        meta = kms.describe_key(KeyId=key)["KeyMetadata"]
        assert meta["MultiRegion"] is True
        assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True


def test_replicas_are_listed_in_the_replica_region_with_their_own_key(
        estate: DemoEstate, clients: Clients) -> None:
    sm = _client(clients, estate.central_account, "secretsmanager", REPLICA)
    listed = {s["Name"]: s for s in sm.list_secrets()["SecretList"]}
    replica = listed["prod/member-a/db"]
    assert replica["PrimaryRegion"] == PRIMARY
    assert replica["KmsKeyId"] == estate.resources[f"key:member-a@{REPLICA}"]
    assert "KmsKeyId" not in listed["demo/misconfig/aws-managed-key"]
    assert "demo/misconfig/not-replicated" not in listed


def test_member_identity_policy_names_the_central_secret_and_key(estate: DemoEstate,
                                                                  clients: Clients) -> None:
    iam = _client(clients, estate.members["a"], "iam")
    doc = iam.get_role_policy(RoleName="ApplicationRole",
                              PolicyName="read-central-secrets")["PolicyDocument"]
    read, decrypt = doc["Statement"]
    assert estate.resources["secret:prod/member-a/db"] in read["Resource"]
    assert read["Action"] == "secretsmanager:GetSecretValue"
    assert estate.resources["key:member-a"] in decrypt["Resource"]


def test_misconfigured_resources_are_broken_as_labelled(estate: DemoEstate,
                                                        clients: Clients) -> None:
    r = estate.resources
    central = estate.central_account
    sm = _client(clients, central, "secretsmanager")
    kms = _client(clients, central, "kms")
    ec2 = _client(clients, central, "ec2")
    stuck = sm.describe_secret(SecretId=r["secret:demo/misconfig/rotation-stuck"])
    assert sorted(s for s in stuck["VersionIdsToStages"].values() if s) == [
        ["AWSCURRENT"], ["AWSPENDING"]]
    conflict = sm.describe_secret(SecretId=r["secret:demo/misconfig/replica-conflict"])
    assert [x["Status"] for x in conflict["ReplicationStatus"]] == ["Failed"]
    assert "RotationEnabled" not in sm.describe_secret(
        SecretId=r["secret:demo/misconfig/rotation-disabled"])
    functions = {f["FunctionName"] for f in _client(clients, central, "lambda")
                 .list_functions()["Functions"]}
    missing = sm.describe_secret(SecretId=r["secret:demo/misconfig/rotation-lambda-missing"])
    assert missing["RotationLambdaARN"].rsplit(":", 1)[1] not in functions
    assert len(sm.get_resource_policy(SecretId=r["secret:demo/misconfig/policy-near-limit"])
               ["ResourcePolicy"]) >= 0.8 * 20_480
    states = {k: kms.describe_key(KeyId=r[k])["KeyMetadata"]["KeyState"]
              for k in ("key:misconfig/disabled", "key:misconfig/pending-deletion")}
    assert states == {"key:misconfig/disabled": "Disabled",
                      "key:misconfig/pending-deletion": "PendingDeletion"}
    assert kms.get_key_rotation_status(KeyId=r["key:misconfig/no-rotation"])[
        "KeyRotationEnabled"] is False
    primary = kms.get_key_policy(KeyId=r["key:misconfig/mrk-drift"], PolicyName="default")
    replica = _client(clients, central, "kms", REPLICA).get_key_policy(
        KeyId=r[f"key:misconfig/mrk-drift@{REPLICA}"], PolicyName="default")
    assert primary["Policy"] != replica["Policy"]
    peerings = ec2.describe_vpc_peering_connections()["VpcPeeringConnections"]
    hub = _id(r["vpc:hub"])
    hub_active = [p for p in peerings if p["RequesterVpcInfo"]["VpcId"] == hub
                  and p["Status"]["Code"] == "active"]
    assert len(hub_active) == HUB_SPOKES + 2  # spokes, route-missing and route-overbroad
    rejected = {p["VpcPeeringConnectionId"]: p["Status"]["Code"] for p in peerings}[
        _id(r["pcx:demo-misconfig-route-blackhole"])]
    assert rejected == "rejected"
    hub_routes = ec2.describe_route_tables(RouteTableIds=[_id(r["rtb:hub"])])["RouteTables"][0]
    assert _id(r["pcx:demo-misconfig-route-blackhole"]) in {
        x.get("VpcPeeringConnectionId") for x in hub_routes["Routes"]}


def test_keep_running_waits_until_interrupted_and_says_how_to_scan(
        seeded: DemoEstate, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from scanner.demo import run

    def interrupt(_: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(run.time, "sleep", interrupt)
    out = io.StringIO()
    run.wait_until_interrupted("http://127.0.0.1:1234", seeded, out)
    text = out.getvalue()
    assert "secretgraph scan --endpoint-url http://127.0.0.1:1234 --org" in text
    assert f"--central-account {seeded.central_account}" in text
    # two scans with --history read every policy: moto does not move LastChangedDate, and a
    # changed policy was carried from the first scan, unseen (a new-user trial)
    assert "--out demo-live --history demo.db --full-refresh-days 1" in text
    assert text.rstrip().endswith("demo: stopping moto")
    # the command the user pastes runs secretgraph as the "Next:" lines do: `make demo` does
    # not activate the virtual environment, and a bare `secretgraph` was not found (new-user
    # trial)
    out = io.StringIO()
    run.wait_until_interrupted("http://127.0.0.1:1234", seeded, out, ".venv/bin/secretgraph")
    text = out.getvalue()
    assert ".venv/bin/secretgraph scan --endpoint-url" in text
    assert "`.venv/bin/secretgraph diff --history demo.db`" in text

    # on an 80-column terminal the sentences are broken between words, the command is not
    # (new-user trial: the two sentences ran to columns 187 and 192)
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("COLUMNS", "80")
    screen = Terminal()
    run.wait_until_interrupted("http://127.0.0.1:1234", seeded, screen, ".venv/bin/secretgraph")
    shown = screen.getvalue().splitlines()
    command = next(line for line in shown if "secretgraph scan --endpoint-url" in line)
    assert command.endswith("--out demo-live --history demo.db --full-refresh-days 1")
    # and how to apply a plan to it: the demo has no write role, the audit role is refused as
    # one, and moto does not check a role exists (new-user trial round 36: no name to give)
    apply = next(line for line in shown if "remediate --plan" in line)
    assert apply == ("  .venv/bin/secretgraph remediate --plan demo-live/remediation-plan.json "
                     "--apply --remediation-role-name SecretgraphRemediation --endpoint-url "
                     "http://127.0.0.1:1234 --history demo.db")
    assert [line for line in shown if len(line) > 80 and line not in (command, apply)] == []
    assert " ".join(shown).split() == text.split()  # the same words, only broken
