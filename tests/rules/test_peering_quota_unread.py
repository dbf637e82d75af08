"""vpc-peering-quota-near-limit when Service Quotas was not read, or gave no applied value:
what the snapshot's quota record is said to be, and which counts are decided without it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from helpers.rule_fixture import load_fixture

from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Status
from scanner.graph.builder import build_graph
from scanner.model import Quota, Snapshot

RULE = "vpc-peering-quota-near-limit"
HUB = "arn:aws:ec2:us-east-1:111111111111:vpc/vpc-hub"  # 3 active peerings
LONELY = "arn:aws:ec2:us-east-1:111111111111:vpc/vpc-lonely"  # none
ACCOUNT = "111111111111"


def _with_quota(quota: Quota, *, unread: bool) -> Snapshot:
    """The fixture, with the hub's account-region holding ``quota`` (and Service Quotas
    recorded as unread when ``unread``)."""
    snapshot = load_fixture(RULE).snapshot
    accounts = []
    for acct in snapshot.accounts:
        if acct.account_id == ACCOUNT:
            acct = replace(acct, regions=tuple(
                replace(reg, quotas=(quota,), unread_services=tuple(sorted(
                    {*reg.unread_services, *(("service-quotas",) if unread else ())})))
                for reg in acct.regions))
        accounts.append(acct)
    return replace(snapshot, accounts=tuple(accounts))


def _judge(snapshot: Snapshot, warn_ratio: float) -> dict[str, Any]:
    fx = load_fixture(RULE)
    rule = load_ruleset().get(RULE)
    assert rule is not None
    config = parse_config({"emit_pass": True, "rules": {
        RULE: {"parameters": {"warn_ratio": warn_ratio}}}}, path="(test)")
    found = evaluate(build_graph(snapshot), snapshot, None, Ruleset(rules=(rule,)), config,
                     fx.now)
    return {f.resource.arn: f for f in found if f.resource.arn in (HUB, LONELY)}


def test_a_default_kept_where_it_is_the_truth_is_called_the_aws_default_not_the_snapshot(
) -> None:
    """Fault-injection trial round 5 on collection (d2): the finding read "quota 50
    (snapshot)" for a quota Service Quotas never answered. A record of source "default" (no
    applied value: the quota was never adjusted) is the AWS default, and says so."""
    snapshot = _with_quota(Quota(code="L-7E9ECCDB", value=50.0, source="default",
                                 note="Service Quotas could not be read (NoSuchResourceException:"
                                      " not available); using the documented default"),
                           unread=False)
    hub = _judge(snapshot, 0.05)[HUB]
    assert hub.status == Status.FAIL
    assert hub.message == "3 active peerings, quota 50 (AWS default), warning at 2.5"
    assert hub.evidence["quota_source"] == "AWS default"


def test_a_quota_read_from_service_quotas_says_so() -> None:
    """Fault-injection trial round 5 on collection (d2): the source named is where the value
    came from, not the snapshot that carries every value."""
    snapshot = _with_quota(Quota(code="L-7E9ECCDB", value=50.0, source="service-quotas"),
                           unread=False)
    hub = _judge(snapshot, 0.05)[HUB]
    assert hub.message == "3 active peerings, quota 50 (Service Quotas), warning at 2.5"


UNREAD = Quota(code="L-7E9ECCDB", value=50.0, source="default",
               note="Service Quotas could not be read (TooManyRequestsException: stub)")


def test_with_the_quota_unread_a_count_below_warn_ratio_of_the_default_passes() -> None:
    """Fault-injection trial round 5 on collection (defect 4): with Service Quotas unread every
    VPC was UNKNOWN, also one with no peering. An applied quota is never below its default
    (a quota only changes by an increase request), so a count below warn_ratio x 50 passes."""
    found = _judge(_with_quota(UNREAD, unread=True), 0.8)
    assert (found[HUB].status, found[LONELY].status) == (Status.PASS, Status.PASS)


def test_with_the_quota_unread_a_count_between_the_default_and_the_highest_is_unknown() -> None:
    """Fault-injection trial round 5 on collection (defects 1 and 4): at or above
    warn_ratio x 50 and below warn_ratio x 125 the verdict depends on the quota not read."""
    found = _judge(_with_quota(UNREAD, unread=True), 0.05)  # 2.5 <= 3 < 6.25
    assert (found[HUB].status, found[LONELY].status) == (Status.UNKNOWN, Status.PASS)
    assert "the applied quota was not read" in found[HUB].message or \
        "service-quotas" in found[HUB].message


def test_a_vpc_whose_listing_failed_is_judged_by_its_peerings() -> None:
    """Fault-injection trial round 27: with DescribeVpcs denied in the hub's account-Region,
    the VPC had no node and vpc-peering-quota-near-limit said nothing of it -- a VPC at its
    quota went silent (its peerings were read). The peering listing names it: a placeholder
    (collected False, its CIDRs and tags unread) is judged by its active peerings."""
    snapshot = _with_quota(Quota(code="L-7E9ECCDB", value=50.0, source="service-quotas"),
                           unread=False)
    accounts = []
    for acct in snapshot.accounts:
        if acct.account_id == ACCOUNT:
            acct = replace(acct, regions=tuple(
                replace(reg, vpcs=(), unread_services=tuple(sorted(
                    {*reg.unread_services, "ec2", "ec2.vpcs"})))
                for reg in acct.regions))
        accounts.append(acct)
    snapshot = replace(snapshot, accounts=tuple(accounts))
    hub = _judge(snapshot, 0.05)[HUB]
    assert hub.status == Status.FAIL
    assert hub.message == "3 active peerings, quota 50 (Service Quotas), warning at 2.5"
    node = build_graph(snapshot).nodes[HUB]
    assert node["collected"] is False and node["unread"] == ["cidrs", "tags"]
    # a VPC no peering names is not known at all: no finding, as before (the account-Region's
    # scan-coverage-gap says the listing failed)
    assert LONELY not in _judge(snapshot, 0.05)
