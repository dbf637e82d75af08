"""Evidence the remediators read, and per-principal findings that speak of their own principal
only (built on the rule fixtures, with a second principal added where needed)."""

from __future__ import annotations

import json

from remediations.add_peering_route import EVIDENCE_KEYS
from helpers.rule_fixture import FIXTURES, _fill
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Finding, Status
from scanner.graph.builder import build_graph
from scanner.model import Snapshot, from_jsonable
from test_rule_fixtures import run_fixture

RULESET = load_ruleset()
ROLE = "arn:aws:iam::222222222222:role/app"
#: a member of the organization whose account is not scanned (its IAM cannot be read)
FOREIGN_ROOT = "arn:aws:iam::333333333333:root"
#: an account outside the trust zone (not in the organization, not scanned, not trusted)
OUTSIDER_ROOT = "arn:aws:iam::999999999999:root"


def test_peering_route_missing_names_peering_side_cidr_and_table() -> None:
    findings, _ = run_fixture("vpc-peering-route-missing")
    (fail,) = [f for f in findings if f.status is Status.FAIL]
    # pcx-half: the hub (requester) routes 10.2.0.0/16, the accepter's rtb-m2 lacks 10.0.0.0/16
    assert fail.evidence["peering_id"] == "pcx-half"
    assert fail.evidence["side"] == "accepter"
    assert fail.evidence["destination_cidr"] == "10.0.0.0/16"
    assert fail.evidence["route_table_id"] == "rtb-m2"
    assert set(EVIDENCE_KEYS) <= set(fail.evidence)  # what add-peering-route reads
    assert fail.evidence["gaps"] == [{
        "side": "accepter", "vpc_id": "vpc-m2", "account_id": "222222222222",
        "region": "us-east-1", "destination_cidr": "10.0.0.0/16",
        "route_table_ids": ["rtb-m2"]}]


def test_peering_route_missing_on_both_sides_leaves_side_to_the_remediator() -> None:
    data = json.loads((FIXTURES / "vpc-peering-route-missing" / "snapshot.json").read_text())
    hub = data["accounts"][0]["regions"][0]["route_tables"][0]
    hub["routes"] = [r for r in hub["routes"] if r["target_id"] != "pcx-half"]
    findings = _evaluate("vpc-peering-route-missing", data, access=False)
    (fail,) = [f for f in findings if f.status is Status.FAIL]
    assert fail.evidence["peering_id"] == "pcx-half"
    assert "side" not in fail.evidence and "destination_cidr" not in fail.evidence
    assert fail.evidence["route_table_id"] == ["rtb-hub", "rtb-m2"]
    assert [(g["side"], g["destination_cidr"]) for g in fail.evidence["gaps"]] == [
        ("requester", "10.2.0.0/16"), ("accepter", "10.0.0.0/16")]


def test_cross_account_findings_each_speak_of_their_own_principal() -> None:
    data = json.loads((FIXTURES / "secret-cross-account-access-broken" / "snapshot.json")
                      .read_text())
    secret = data["accounts"][0]["regions"][0]["secrets"][1]  # key-denies: key policy denies
    secret["resource_policy"] = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": [ROLE, FOREIGN_ROOT]},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    findings = _evaluate("secret-cross-account-access-broken", data, access=True)
    fails = {f.principal: f for f in findings if f.status is Status.FAIL}
    assert set(fails) == {ROLE, FOREIGN_ROOT}
    assert len({f.id for f in fails.values()}) == 2
    for principal, f in fails.items():
        other = FOREIGN_ROOT if principal == ROLE else ROLE
        assert list(f.evidence["gates"]) == [principal]
        assert f.evidence["gates"][principal]["key_policy"] == "DENIED"
        assert f.evidence["denied_by"] == ["key_policy"]
        assert f.message.startswith(f"{principal}: granted by the resource policy")
        assert other not in f.message
        assert f.evidence["facts"] == []  # its fact is its message, written once
        assert other not in json.dumps(dict(f.evidence))


def test_outside_grant_blocked_by_the_key_is_an_external_grant_not_broken_access() -> None:
    """Issue 10 section 3: a principal outside the zone whose grant the key policy blocks is
    reported by secret-policy-external-account (with the blocking gate), never as intended
    access that is broken -- and remediate never offers to complete it."""
    from scanner.changes import RemediationConfig
    from scanner.remediate.planner import Selection, build_plan

    data = json.loads((FIXTURES / "secret-cross-account-access-broken" / "snapshot.json")
                      .read_text())
    secret = data["accounts"][0]["regions"][0]["secrets"][1]  # key-denies: key policy denies
    secret["resource_policy"] = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "Vendor", "Effect": "Allow", "Principal": {"AWS": OUTSIDER_ROOT},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    broken = _evaluate("secret-cross-account-access-broken", data, access=True)
    assert not [f for f in broken if f.principal == OUTSIDER_ROOT]
    external = _evaluate("secret-policy-external-account", data, access=True)
    (fail,) = [f for f in external if f.status is Status.FAIL]
    assert fail.principal == OUTSIDER_ROOT and fail.resource.arn == secret["arn"]
    assert fail.evidence["blocked_by"] == ["key_policy"]
    assert fail.evidence["gates"]["key_policy"] == "DENIED"
    assert "currently blocked by key_policy" in fail.message
    assert fail.evidence["matched_statements"] == [
        {"index": 0, "sid": "Vendor", "principals": [OUTSIDER_ROOT], "via": "principal"}]
    snapshot = from_jsonable(Snapshot, _fill(data))
    plan = build_plan(broken + external, snapshot, RemediationConfig(),
                      Selection(rules=("secret-cross-account-access-broken",
                                       "grant-key-decrypt")))
    assert not [c for c in plan.changes if c.remediation_id == "grant-key-decrypt"]


def test_single_account_scan_reports_a_grant_to_another_account_as_fail() -> None:
    """Without an organization every account but the scanned ones is outside: FAIL, not
    UNKNOWN (issue 10 section 3)."""
    data = json.loads((FIXTURES / "secret-policy-external-account" / "snapshot.json")
                      .read_text())
    data.pop("organization", None)
    findings = _evaluate("secret-policy-external-account", data, access=False)
    fails = {f.principal for f in findings if f.status is Status.FAIL}
    assert "arn:aws:iam::999999999999:role/vendor" in fails
    # a member account of the (unread) organization is outside too, unless trusted
    assert "arn:aws:iam::222222222222:role/app" in fails
    assert not [f for f in findings if f.status is Status.UNKNOWN
                and "organization" in " ".join(f.missing)]
    trusted = _evaluate("secret-policy-external-account", data, access=False,
                        config={"trusted_accounts": ["222222222222"]})
    assert "arn:aws:iam::222222222222:role/app" not in {
        f.principal for f in trusted if f.status is Status.FAIL}
    (one,) = [f for f in trusted if f.principal == "arn:aws:iam::999999999999:role/vendor"]
    assert one.evidence["trust_zone"]["sources"] == ["scanned_accounts", "config"]
    assert one.evidence["trust_zone"]["trusted_accounts"] == ["222222222222"]


def _evaluate(rule_id: str, data: dict, *, access: bool,
              config: dict | None = None) -> list[Finding]:
    snapshot = from_jsonable(Snapshot, _fill(data))
    graph = build_graph(snapshot)
    report = None
    if access:
        from scanner.access import AccessSettings, analyze_access

        report = analyze_access(graph, snapshot, AccessSettings.from_snapshot(
            snapshot, trusted_accounts=(config or {}).get("trusted_accounts") or ()))
    rule = RULESET.get(rule_id)
    assert rule is not None
    return evaluate(graph, snapshot, report, Ruleset(rules=(rule,)),
                    parse_config(config or {}, path="(test)"))


def test_peering_route_missing_with_two_peer_cidrs_lists_the_table() -> None:
    data = json.loads((FIXTURES / "vpc-peering-route-missing" / "snapshot.json").read_text())
    for acct in data["accounts"]:
        for reg in acct["regions"]:
            for pcx in reg.get("peerings", []):
                if pcx["peering_id"] == "pcx-half":
                    pcx["requester"]["cidrs"] = ["10.0.0.0/16", "10.9.0.0/16"]
    findings = _evaluate("vpc-peering-route-missing", data, access=False)
    (fail,) = [f for f in findings if f.status is Status.FAIL]
    # one side, two CIDRs: no single destination, so no single table either -- the
    # remediator derives every CIDR for the accepter's tables in use
    assert fail.evidence["side"] == "accepter"
    assert "destination_cidr" not in fail.evidence
    assert fail.evidence["route_table_id"] == ["rtb-m2"]


def test_a_principals_finding_counts_its_own_facts_not_its_neighbours() -> None:
    """Nine principals denied on one secret: each principal's finding has its own message and
    evidence; the count of the secret's facts (``facts_total``, nine) is not carried into
    each of them beside facts about one principal."""
    data = json.loads((FIXTURES / "secret-cross-account-access-broken" / "snapshot.json")
                      .read_text())
    secret = data["accounts"][0]["regions"][0]["secrets"][1]  # key-denies: key policy denies
    readers = [f"arn:aws:iam::333333333333:role/reader-{i}" for i in range(9)]
    secret["resource_policy"] = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": readers},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    findings = _evaluate("secret-cross-account-access-broken", data, access=True)
    fails = {f.principal: f for f in findings if f.status is Status.FAIL}
    assert set(fails) == set(readers)
    for principal, f in fails.items():
        assert "facts_total" not in f.evidence, f.evidence
        assert f.evidence["facts"] == []
        assert list(f.evidence["gates"]) == [principal]
        assert f.message.startswith(f"{principal}: granted by the resource policy but denied "
                                    "by key_policy (key_policy: DENIED ("), f.message
