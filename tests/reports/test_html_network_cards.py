"""The HTML report's network cards agree with the network rules: a route that
vpc-peering-route-blackhole fails (its peering deleted, rejected, failed, expired or still
pending) is not "present", and a side whose route tables were not read is "not read"."""

from __future__ import annotations

from helpers.rule_fixture import load_fixture
from reports.html.network import build_network
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph

RULE = "vpc-peering-route-blackhole"


def test_a_route_the_blackhole_rule_fails_is_never_shown_as_present() -> None:
    fx = load_fixture(RULE)
    rule = load_ruleset().get(RULE)
    assert rule is not None
    graph = build_graph(fx.snapshot)
    findings = evaluate(graph, fx.snapshot, None, Ruleset(rules=(rule,)),
                        parse_config({"emit_pass": True}, path="test"), fx.now)
    failing = {f.resource.arn.rsplit("/", 1)[1] for f in findings if f.status.value == "FAIL"}
    hub_tables = {r.target_id: t.route_table_id
                  for reg in fx.snapshot.accounts[0].regions for t in reg.route_tables
                  for r in t.routes if t.vpc_id == "vpc-hub"}
    view = build_network(graph, {"findings": []}, central_account="111111111111",
                         account_names={})
    (hub,) = view.hubs
    shown = {s.peering: s.hub_route for g in hub.groups for s in g.spokes}
    assert shown == {pcx: "blackhole" if hub_tables[pcx] in failing else "present"
                     for pcx in shown}
    assert set(shown.values()) == {"present", "blackhole"}
    # pending-acceptance, rejected, failed, expired: routes active, peering not
    assert [shown[p] for p in ("pcx-pending-acceptance", "pcx-rejected", "pcx-failed",
                               "pcx-expired")] == ["blackhole"] * 4


def test_a_side_whose_route_tables_were_not_read_is_unknown_not_missing() -> None:
    """EC2 of the member account could not be listed (the fixture still holds one table of it):
    vpc-peering-route-missing answers UNKNOWN for that side; the card said "missing"."""
    fx = load_fixture(RULE)
    view = build_network(build_graph(fx.snapshot), {"findings": []},
                         central_account="111111111111", account_names={})
    live = next(s for g in view.hubs[0].groups for s in g.spokes if s.peering == "pcx-live")
    assert (live.hub_route, live.spoke_route) == ("present", "unknown")


def _spoke_accounts(snapshot: object) -> dict[str, str]:
    view = build_network(build_graph(snapshot), {"findings": []},  # type: ignore[arg-type]
                         central_account="111111111111",
                         account_names={"333333333333": "member-c"})
    return {s.vpc: s.account for g in view.hubs[0].groups for s in g.spokes}


def test_a_member_account_in_scope_but_not_read_is_labelled_not_read() -> None:
    """A member whose audit role could not be assumed was labelled "member-c (…) · not
    scanned": it was in scope and not read, which is what the label must say."""
    import dataclasses

    fx = load_fixture("secret-rotation-no-network-path")
    # EC2 of 333333333333 failed to list
    assert _spoke_accounts(fx.snapshot)["vpc-db3"] == \
        "member-c (333333333333) · not read: the EC2 listing failed"
    accounts = tuple(dataclasses.replace(a, assumed=False, regions=())
                     if a.account_id == "333333333333" else a for a in fx.snapshot.accounts)
    unassumed = dataclasses.replace(fx.snapshot, accounts=accounts)
    assert _spoke_accounts(unassumed)["vpc-db3"] == \
        "member-c (333333333333) · not read: the audit role could not be assumed"
    # an account outside the scan altogether is "not scanned"
    outside = dataclasses.replace(fx.snapshot, accounts=fx.snapshot.accounts[:2])
    assert _spoke_accounts(outside)["vpc-db3"] == "member-c (333333333333) · not scanned"


def test_a_private_nat_gateway_is_not_badged_as_a_way_out() -> None:
    """A private NAT gateway cannot reach the internet (secret-rotation-no-network-path FAILs
    a rotation that relies on it); its VPC's card badged it "✓ NAT gateway (available)"."""
    fx = load_fixture("secret-rotation-no-network-path")
    view = build_network(build_graph(fx.snapshot), {"findings": []},
                         central_account="111111111111", account_names={})
    badges = {h.vpc: h.badges for h in view.hubs}
    assert ("info", "private NAT gateway (available): no internet") in badges["vpc-nat-private"]
    assert ("ok", "NAT gateway (available)") in badges["vpc-nat-default-route"]


def _nat_moved(snapshot, nat_id, subnet_id, *, drop_tables=False):
    """``snapshot`` with NAT gateway ``nat_id`` placed in ``subnet_id`` (and, with
    ``drop_tables``, its VPC's route tables left out of the snapshot)."""
    import dataclasses

    accounts = []
    for a in snapshot.accounts:
        regions = []
        for r in a.regions:
            nats = tuple(dataclasses.replace(n, subnet_id=subnet_id)
                         if n.nat_gateway_id == nat_id else n for n in r.nat_gateways)
            vpcs = {n.vpc_id for n in nats if n.nat_gateway_id == nat_id}
            tables = tuple(t for t in r.route_tables
                           if not (drop_tables and t.vpc_id in vpcs))
            regions.append(dataclasses.replace(r, nat_gateways=nats, route_tables=tables))
        accounts.append(dataclasses.replace(a, regions=tuple(regions)))
    return dataclasses.replace(snapshot, accounts=tuple(accounts))


def test_a_public_nat_gateway_without_an_internet_route_is_not_badged_as_a_way_out() -> None:
    """Rotation-network ground-truth trial round 8 (repro min_nat_private_subnet.py): a public
    NAT gateway whose subnet routes nothing to an internet gateway reaches nothing, and
    secret-rotation-no-network-path now FAILs a rotation through it; the card must not badge
    it green. Its subnet's route table not in the snapshot: not known either way."""
    fx = load_fixture("secret-rotation-no-network-path")
    moved = _nat_moved(fx.snapshot, "nat-20", "subnet-nat-default-route")
    view = build_network(build_graph(moved), {"findings": []},
                         central_account="111111111111", account_names={})
    badges = dict((h.vpc, h.badges) for h in view.hubs)["vpc-nat-default-route"]
    assert not any(state == "ok" and "NAT" in text for state, text in badges), badges
    assert ("broken", "NAT gateway (available): no internet route") in badges
    unread = _nat_moved(fx.snapshot, "nat-20", "subnet-nat-default-route-public",
                        drop_tables=True)
    view = build_network(build_graph(unread), {"findings": []},
                         central_account="111111111111", account_names={})
    badges = dict((h.vpc, h.badges) for h in view.hubs)["vpc-nat-default-route"]
    assert ("unknown", "NAT gateway (available): its subnet's route table not read") in badges


def test_a_failed_nat_gateway_listing_leaves_the_route_tables_read() -> None:
    """Rotation-network trial round 8 (repro edit_nat_listing_failed.py): the collector marks
    "ec2" unread with the one listing that failed ("ec2.nat_gateways"); the route tables were
    read, so the hub's routes are not "not read"."""
    fx = load_fixture(RULE)
    graph = build_graph(fx.snapshot)
    unread = dict(graph.graph.get("unread_services") or {})
    unread[("111111111111", "us-east-1")] = {"ec2", "ec2.nat_gateways"}
    graph.graph["unread_services"] = unread
    view = build_network(graph, {"findings": []}, central_account="111111111111",
                         account_names={})
    live = next(s for g in view.hubs[0].groups for s in g.spokes if s.peering == "pcx-live")
    assert live.hub_route == "present"
    unread[("111111111111", "us-east-1")] = {"ec2", "ec2.route_tables"}
    view = build_network(graph, {"findings": []}, central_account="111111111111",
                         account_names={})
    live = next(s for g in view.hubs[0].groups for s in g.spokes if s.peering == "pcx-live")
    assert live.hub_route == "unknown"


def test_a_route_missing_on_both_sides_says_so_plainly() -> None:
    """Trial round 8: the group read "route missing on the both sides"."""
    from reports.html.network import _group_of

    assert _group_of("active", "missing", "missing") == (
        "active, route missing on both sides", "broken")
    assert _group_of("active", "missing", "present") == (
        "active, route missing on the hub", "broken")


def test_a_long_vpc_name_never_hides_the_vpc_id() -> None:
    """Hostile-input trial round 8: the cards showed `Name (vpc-id)` cut at 60 characters, so
    a long Name tag cut the VPC id away (and a long account name the account id), with no
    full text anywhere; docs/reports.md says names wrap. The name is cut, never the id, and
    the card's title attribute holds the whole text."""
    import html as html_mod
    import re

    from reports.html import render_html

    fx = load_fixture(RULE)
    graph = build_graph(fx.snapshot)
    long_name = "db-" + "n" * 150 + "-end"
    for _, attrs in graph.nodes(data=True):
        if str(getattr(attrs.get("kind"), "value", attrs.get("kind"))) == "Vpc":
            attrs["tags"] = {"Name": f"{long_name}-{attrs.get('vpc_id')}"}
    account = "acct-" + "a" * 100
    view = build_network(graph, {"findings": []}, central_account="111111111111",
                         account_names={"111111111111": account, "222222222222": account})
    (hub,) = view.hubs
    assert hub.title.endswith("(vpc-hub)") and len(hub.title) <= 80
    assert hub.title_full == f"{long_name}-vpc-hub (vpc-hub)"
    assert hub.account.endswith("(111111111111)")
    spokes = [s for g in hub.groups for s in g.spokes]
    assert spokes
    named = [s for s in spokes if "(" in s.vpc]  # (a VPC the scan does not hold: its id)
    assert named
    for s in named:
        vpc_id = s.vpc.rsplit("(", 1)[1].rstrip(")")
        assert vpc_id.startswith("vpc-") and s.vpc.endswith(f"({vpc_id})"), s.vpc
        assert len(s.vpc) <= 80 and s.vpc_full == f"{long_name}-{vpc_id} ({vpc_id})"
        assert re.search(r"\d{12}", s.account), s.account  # the account id, never cut
    page = html_mod.unescape(render_html({"findings": []}, graph=graph))
    assert f'title="{hub.title_full}"' in page
    assert all(f'title="{s.vpc_full}"' in page for s in named)
