"""The graph builder: contents asserted as sets of tuples (order-free, easy to read)."""

from __future__ import annotations

import dataclasses

import networkx as nx

from scanner.graph.builder import build_graph
from scanner.graph.schema import aws_managed_key_node, ec2_arn, replica_node
from scanner.model import (
    AccountSnapshot,
    KmsKey,
    LambdaFunction,
    PeeringSide,
    RegionSnapshot,
    ReplicaStatus,
    Route,
    RouteTable,
    ScanMeta,
    Secret,
    Snapshot,
    Subnet,
    Vpc,
    VpcPeering,
)

CENTRAL, MEMBER = "111111111111", "222222222222"
E1, W2 = "us-east-1", "us-west-2"
KEY = f"arn:aws:kms:{E1}:{CENTRAL}:key/k1"
MRK = f"arn:aws:kms:{E1}:{CENTRAL}:key/mrk-1"
MRK_W2 = f"arn:aws:kms:{W2}:{CENTRAL}:key/mrk-1"
FN = f"arn:aws:lambda:{E1}:{CENTRAL}:function:rotate"
DB = f"arn:aws:secretsmanager:{E1}:{CENTRAL}:secret:db-AbCdEf"
DB_W2 = f"arn:aws:secretsmanager:{W2}:{CENTRAL}:secret:db-AbCdEf"
PLAIN = f"arn:aws:secretsmanager:{E1}:{CENTRAL}:secret:plain-123456"


def edges(g: nx.MultiDiGraph, kind: str) -> set[tuple[str, str]]:
    return {(u, v) for u, v, d in g.edges(data=True) if d["kind"] == kind}


def nodes(g: nx.MultiDiGraph, kind: str) -> set[str]:
    return {n for n, d in g.nodes(data=True) if d["kind"] == kind}


def snapshot() -> Snapshot:
    central_e1 = RegionSnapshot(
        region=E1,
        secrets=(
            Secret(arn=DB, name="db", account_id=CENTRAL, region=E1, kms_key_id=MRK,
                   rotation_enabled=True, rotation_lambda_arn=FN, primary_region=E1,
                   replicas=(ReplicaStatus(region=W2, kms_key_id="alias/aws/secretsmanager",
                                           status="InSync"),)),
            Secret(arn=PLAIN, name="plain", account_id=CENTRAL, region=E1),
        ),
        kms_keys=(
            KmsKey(arn=KEY, key_id="k1", account_id=CENTRAL, region=E1, key_manager="CUSTOMER",
                   aliases=("alias/app",)),
            KmsKey(arn=MRK, key_id="mrk-1", account_id=CENTRAL, region=E1,
                   key_manager="CUSTOMER", multi_region=True, multi_region_type="PRIMARY"),
        ),
        vpcs=(Vpc(vpc_id="vpc-c", account_id=CENTRAL, region=E1, cidrs=("10.0.0.0/16",)),
              Vpc(vpc_id="vpc-default", account_id=CENTRAL, region=E1,
                  cidrs=("172.31.0.0/16",), is_default=True)),
        subnets=(Subnet(subnet_id="subnet-r", vpc_id="vpc-c", account_id=CENTRAL, region=E1,
                        cidr="10.0.1.0/24"),
                 Subnet(subnet_id="subnet-d", vpc_id="vpc-default", account_id=CENTRAL,
                        region=E1, cidr="172.31.0.0/20")),
        route_tables=(RouteTable(route_table_id="rtb-r", vpc_id="vpc-c", account_id=CENTRAL,
                                 region=E1, subnet_ids=("subnet-r",),
                                 routes=(Route(destination_cidr="10.1.0.0/16",
                                               target_type="vpc-peering", target_id="pcx-1"),)),),
        peerings=(VpcPeering(peering_id="pcx-1", account_id=CENTRAL, region=E1, status="active",
                             requester=PeeringSide(owner_id=CENTRAL, vpc_id="vpc-c", region=E1,
                                                   cidrs=("10.0.0.0/16",)),
                             accepter=PeeringSide(owner_id=MEMBER, vpc_id="vpc-m", region=E1,
                                                  cidrs=("10.1.0.0/16",))),),
        lambda_functions=(LambdaFunction(arn=FN, name="rotate", account_id=CENTRAL, region=E1,
                                         subnet_ids=("subnet-r",), vpc_id="vpc-c"),),
    )
    central_w2 = RegionSnapshot(
        region=W2,
        secrets=(Secret(arn=DB_W2, name="db", account_id=CENTRAL, region=W2,
                        kms_key_id=MRK_W2, primary_region=E1),),
        kms_keys=(KmsKey(arn=MRK_W2, key_id="mrk-1", account_id=CENTRAL, region=W2,
                         key_manager="CUSTOMER", multi_region=True, multi_region_type="REPLICA",
                         primary_key_arn=MRK),),
    )
    member_e1 = RegionSnapshot(
        region=E1,
        vpcs=(Vpc(vpc_id="vpc-m", account_id=MEMBER, region=E1, cidrs=("10.1.0.0/16",)),),
        peerings=(VpcPeering(peering_id="pcx-1", account_id=MEMBER, region=E1, status="active",
                             requester=PeeringSide(owner_id=CENTRAL, vpc_id="vpc-c", region=E1,
                                                   cidrs=("10.0.0.0/16",)),
                             accepter=PeeringSide(owner_id=MEMBER, vpc_id="vpc-m", region=E1,
                                                  cidrs=("10.1.0.0/16",))),),
    )
    return Snapshot(
        meta=ScanMeta(scan_id="s1", started_at="2026-11-29T00:00:00Z",
                      accounts=(CENTRAL, MEMBER), regions=(E1, W2), central_account=CENTRAL),
        accounts=(AccountSnapshot(account_id=CENTRAL, regions=(central_e1, central_w2)),
                  AccountSnapshot(account_id=MEMBER, regions=(member_e1,))),
    )


def test_secrets_link_to_their_keys_and_a_replica_appears_once() -> None:
    g = build_graph(snapshot())
    assert nodes(g, "Secret") == {DB, PLAIN}
    assert nodes(g, "SecretReplica") == {replica_node(DB, W2)}
    assert edges(g, "REPLICA_OF") == {(replica_node(DB, W2), DB), (MRK_W2, MRK)}
    # the replica's key comes from its own region's listing, not from ReplicationStatus
    assert edges(g, "ENCRYPTED_BY") == {
        (DB, MRK),
        (PLAIN, aws_managed_key_node(CENTRAL, E1)),
        (replica_node(DB, W2), MRK_W2),
    }
    assert g.nodes[PLAIN]["aws_managed_key"] is True
    assert g.nodes[DB]["replica_regions"] == [W2]


def test_rotation_function_and_its_network() -> None:
    g = build_graph(snapshot())
    vpc_c = ec2_arn(E1, CENTRAL, "vpc", "vpc-c")
    subnet = ec2_arn(E1, CENTRAL, "subnet", "subnet-r")
    rtb = ec2_arn(E1, CENTRAL, "route-table", "rtb-r")
    pcx = ec2_arn(E1, CENTRAL, "vpc-peering-connection", "pcx-1")
    assert edges(g, "ROTATED_BY") == {(DB, FN)}
    assert (FN, vpc_c) in edges(g, "IN_VPC")
    assert (FN, subnet) in edges(g, "IN_SUBNET")
    assert edges(g, "USES_ROUTE_TABLE") == {(subnet, rtb)}
    assert edges(g, "ROUTES_TO") == {(rtb, pcx)}
    assert edges(g, "PEERS") == {(vpc_c, pcx), (ec2_arn(E1, MEMBER, "vpc", "vpc-m"), pcx)}
    # the peering is seen from both accounts but is one node
    assert nodes(g, "VpcPeering") == {pcx}
    assert g.nodes[pcx]["seen_in"] == [CENTRAL, MEMBER]


def test_unused_default_vpc_is_left_out() -> None:
    g = build_graph(snapshot())
    assert ec2_arn(E1, CENTRAL, "vpc", "vpc-default") not in g
    assert ec2_arn(E1, CENTRAL, "subnet", "subnet-d") not in g
    assert nodes(g, "Vpc") == {ec2_arn(E1, CENTRAL, "vpc", "vpc-c"),
                               ec2_arn(E1, MEMBER, "vpc", "vpc-m")}


def test_every_resource_is_owned_by_an_account() -> None:
    g = build_graph(snapshot())
    owned = {u for u, _ in edges(g, "OWNED_BY")}
    resources = {n for n, d in g.nodes(data=True) if d["kind"] != "Account"}
    assert resources <= owned


def test_key_not_collected_becomes_a_placeholder_marked_not_collected() -> None:
    other = f"arn:aws:kms:{E1}:333333333333:key/elsewhere"
    snap = Snapshot(
        meta=ScanMeta(scan_id="s", started_at="t", accounts=(CENTRAL,), regions=(E1,)),
        accounts=(AccountSnapshot(account_id=CENTRAL, regions=(RegionSnapshot(
            region=E1, secrets=(Secret(arn=PLAIN, name="p", account_id=CENTRAL, region=E1,
                                       kms_key_id=other),)),)),),
    )
    g = build_graph(snap)
    assert edges(g, "ENCRYPTED_BY") == {(PLAIN, other)}
    assert g.nodes[other]["collected"] is False


def test_same_snapshot_same_graph() -> None:
    a, b = build_graph(snapshot()), build_graph(snapshot())
    assert set(a.nodes) == set(b.nodes)
    assert set(a.edges(keys=True)) == set(b.edges(keys=True))


def test_a_replica_carries_the_tags_of_its_listing_else_its_primarys() -> None:
    """Concept review round 2: a ``tags`` suppression muted a secret's findings but not the
    same findings on its replicas, whose nodes carried no tags (evidence.resource_tags None).
    "Secrets Manager replicates the encrypted secret data and metadata such as tags and
    resource policies across the specified Regions" (Secrets Manager User Guide, "Replicate
    AWS Secrets Manager secrets across Regions"): a replica listed in its Region carries the
    tags that listing shows; one known only from ReplicationStatus, its primary's."""
    base = snapshot()
    (central, member) = base.accounts
    e1, w2 = central.regions
    primary = dataclasses.replace(
        e1.secrets[0], tags={"team": "db", "copy": "primary"},
        replicas=(*(e1.secrets[0].replicas or ()),
                  ReplicaStatus(region="eu-west-1", kms_key_id=None, status="InSync")))
    listed = dataclasses.replace(w2.secrets[0], tags={"team": "db", "copy": "listed"})
    snap = dataclasses.replace(base, accounts=(dataclasses.replace(central, regions=(
        dataclasses.replace(e1, secrets=(primary, e1.secrets[1])),
        dataclasses.replace(w2, secrets=(listed,)))), member))
    g = build_graph(snap)
    assert dict(g.nodes[replica_node(DB, W2)]["tags"]) == {"team": "db", "copy": "listed"}
    assert dict(g.nodes[replica_node(DB, "eu-west-1")]["tags"]) == {"team": "db",
                                                                     "copy": "primary"}
