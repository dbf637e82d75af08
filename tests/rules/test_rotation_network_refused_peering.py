"""secret-rotation-no-network-path names a refused peering, and overlapping CIDR blocks, when a
declared database VPC has no live peering (ground-truth trial round 18, an acquisition).

The acquired company's database VPC is 10.0.0.0/16, the block of the central rotation VPC. AWS
VPC Peering Guide, "VPC peering limitations": "You cannot create a VPC peering connection
between VPCs that have matching or overlapping IPv4 or IPv6 CIDR blocks"; the request was
refused (rejected). The finding said only "no VPC peering between the Lambda's VPC ... and
database VPC ...", and its remediation text "accept the peering" -- which no one can."""
# mypy: ignore-errors

from __future__ import annotations

from test_rotation_network_routes import LOCAL, NAT0, base, run


def _refused(cidrs=("10.0.0.0/16",)):
    snap = base([LOCAL, NAT0], peer_cidrs=cidrs)
    for account in snap.accounts:
        for region in account.regions:
            for p in region.peerings:
                object.__setattr__(p, "status", "rejected")
    return snap


def test_a_refused_peering_of_overlapping_vpcs_is_named_with_the_overlap() -> None:
    f = run(_refused())
    assert f.status.value == "FAIL"
    assert "no VPC peering between the Lambda's VPC vpc-l and database VPC vpc-db" in f.message
    assert "pcx-1 is rejected" in f.message
    assert ("the database VPC's 10.0.0.0/16 overlaps the Lambda VPC's 10.0.0.0/16: VPCs with "
            "overlapping CIDR blocks cannot be peered") in f.message


def test_a_refused_peering_without_overlap_is_named_alone() -> None:
    f = run(_refused(("10.1.0.0/16",)))
    assert f.status.value == "FAIL"
    assert "pcx-1 is rejected" in f.message
    assert "overlap" not in f.message


def test_a_route_to_the_database_block_through_another_target_is_named() -> None:
    """ground-truth trial round 18: the acquired company's rotation VPC already routed
    10.0.0.0/16 to the central VPC's peering, so the database peering (the same block) could
    get no route in that table (RouteAlreadyExists) -- the finding said "has no active route to
    10.0.0.0/16 via pcx-db" without saying where that block goes."""
    f = run(base([LOCAL, NAT0, ("10.1.0.0/16", "vpc-peering", "pcx-central", "active")],
                 [("10.1.0.0/16", "local", "local", "active"),
                  ("10.0.0.0/16", "vpc-peering", "pcx-1", "active")]))
    assert f.status.value == "FAIL"
    assert ("route table of Lambda subnet subnet-l has no active route to 10.1.0.0/16 via "
            "pcx-1 (10.1.0.0/16 goes to pcx-central instead)") in f.message


def test_a_database_block_left_to_the_default_route_says_so() -> None:
    f = run(base([LOCAL, NAT0], [("10.1.0.0/16", "local", "local", "active"),
                                 ("10.0.0.0/16", "vpc-peering", "pcx-1", "active")]))
    assert f.status.value == "FAIL"
    assert "(10.1.0.0/16 goes to nat-1 instead (route 0.0.0.0/0))" in f.message
