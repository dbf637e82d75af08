"""Ground-truth trial round 29 (tests/helpers/gt29_estate.py): three nights of one
organization. Rotation runs through a function's alias or version (rotate:live, rotate:blue,
rotate:1) whose role and VPC are not $LATEST's, and the alias blue moves between nights; a
tag-based grant (aws:PrincipalTag) whose roles swap tags; an OU-path grant
(aws:PrincipalOrgPaths) whose account moves OU; a public secret fixed by remediate --apply after
night 1 and opened again on night 3; a member account's own secrets on its own keys; a
suppression that expires after night 1; an access baseline written from night 1. Each night is
scanned with the real CLI into one history and exported to Security Hub with the night before
as --previous; every rule that does not pass and every cross-account reader compared with what
an auditor wrote down from the AWS documentation before the scans ran; the plan with what the
auditor says it can fix; the diffs with what moved and why; Security Hub with what was
resolved and what reopened.

Nothing else may fail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from helpers import groundtruth
from helpers import gt29_estate as gt
from helpers.groundtruth import Estate
from reports import securityhub
from scanner.cli import main
from scanner.demo.clients import Clients
from scanner.demo.fidelity import replica_keys_kept
from scanner.demo.run import demo_environment
from scanner.demo.server import SKIP_AMIS_ENV

pytestmark = pytest.mark.e2e

BASELINE = "access-outside-baseline"
EXPIRED = "suppression-expired"


def _scan(e: Estate, base: Path, night: int, *, baseline: bool) -> int:
    out = base / f"n{night}"
    return main(["scan", "--org", "--role-name", gt.ROLE, "--regions", ",".join(gt.REGIONS),
                 "--endpoint-url", e.endpoint_url, "--out", str(out), "--format",
                 "json,html,asff", "--suppressions", str(base / "suppressions.yaml"),
                 "--history", str(base / "history.db"), "--full-refresh-days", "1", "--quiet",
                 *(["--baseline", str(base / "baseline.yaml")] if baseline else [])])


def _export(e: Estate, base: Path, night: int) -> None:
    previous = ["--previous", str(base / f"n{night - 1}")] if night > 1 else []
    assert main(["export", "securityhub", "--in", str(base / f"n{night}"), *previous,
                 "--role-name", gt.ROLE, "--endpoint-url", e.endpoint_url, "--quiet"]) == 0


def _hub_findings(e: Estate) -> list[dict[str, Any]]:
    """What Security Hub holds in every account."""
    clients = Clients(e.endpoint_url)
    found: list[dict[str, Any]] = []
    for acct in e.accounts.values():
        hub = clients.get(acct, "securityhub", gt.W)
        token: dict[str, str] = {}
        while True:
            page = hub.get_findings(MaxResults=100, **token)
            found += page["Findings"]
            if not page.get("NextToken"):
                break
            token = {"NextToken": page["NextToken"]}
    return found


class _WorkflowHub:
    """Security Hub's BatchUpdateFindings, which moto does not answer (404): each update the
    export makes is recorded (account, Region, status, finding id) and answered processed."""

    def __init__(self) -> None:
        self.updates: list[tuple[str, str, str, str]] = []

    def client_for(self, real: Any) -> Any:
        hub = self

        def client_for(account: str, region: str) -> Any:
            class Client:
                meta = real(account, region).meta

                def batch_update_findings(self, *, FindingIdentifiers: list[dict[str, str]],
                                          Workflow: dict[str, str]) -> dict[str, Any]:
                    hub.updates += [(account, region, Workflow["Status"], i["Id"])
                                    for i in FindingIdentifiers]
                    return {"ProcessedFindings": FindingIdentifiers, "UnprocessedFindings": []}
            return Client()
        return client_for


@pytest.fixture(scope="module")
def nights(moto_server: str, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("gt29")
    # one file, night after night: its entry expires after night 1
    (base / "suppressions.yaml").write_text(gt.SUPPRESSIONS)
    hub: dict[int, list[dict[str, Any]]] = {}
    workflow = _WorkflowHub()
    real_update = securityhub.update_workflow

    def update_workflow(updates: Any, *, client_for: Any, **kwargs: Any) -> Any:
        return real_update(updates, client_for=workflow.client_for(client_for), **kwargs)

    with pytest.MonkeyPatch.context() as mp, replica_keys_kept(), demo_environment():
        mp.setenv(SKIP_AMIS_ENV, "false")
        mp.setattr(securityhub, "update_workflow", update_workflow)
        e = gt.seed(moto_server)
        (base / "estate.json").write_text(groundtruth.dump(e))
        assert _scan(e, base, 1, baseline=False) == 1
        _export(e, base, 1)
        hub[1] = _hub_findings(e)
        assert main(["remediate", "--in", str(base / "n1"), "--quiet"]) == 0
        plan = json.loads((base / "n1" / "remediation-plan.json").read_text())
        assert main(["remediate", "--in", str(base / "n1"), "--plan",
                     str(base / "n1" / "remediation-plan.json"), "--apply", "--yes",
                     "--remediation-role-name", "SecretgraphRemediation", "--endpoint-url",
                     moto_server, "--history", str(base / "history.db"), "--quiet"]) == 0
        assert main(["baseline", "init", "--in", str(base / "n1"), "--output-file",
                     str(base / "baseline.yaml"), "--quiet"]) == 0
        gt.night2(e)
        (base / "suppressions.yaml").write_text(gt.EXPIRED)
        assert _scan(e, base, 2, baseline=True) == 1
        _export(e, base, 2)
        hub[2] = _hub_findings(e)
        gt.night3(e)
        assert _scan(e, base, 3, baseline=True) == 1
        _export(e, base, 3)
        hub[3] = _hub_findings(e)
    drift = {}
    for old, new in ((1, 2), (2, 3)):
        out = base / f"drift{new}.json"
        assert main(["diff", "--history", str(base / "history.db"), str(base / f"n{old}"),
                     str(base / f"n{new}"), "--format", "json", "--output-file", str(out),
                     "--quiet"]) == 0
        drift[new] = json.loads(out.read_text())
    yield {"e": e, "base": base, "plan": plan, "hub": hub, "drift": drift,
           "workflow": workflow.updates}


def _names(e: Estate) -> dict[str, str]:
    return {v: k for k, v in e.res.items()}


def _findings(base: Path, night: int) -> list[dict[str, Any]]:
    doc = json.loads((base / f"n{night}" / "findings.json").read_text())
    assert doc["scan"]["complete"] is True and doc["coverage"] == []
    return [f for f in doc["findings"] if f["status"] != "PASS"]


def _rules(e: Estate, base: Path, night: int) -> dict[str, dict[str, str]]:
    """Logical name -> rule -> status of every result that does not pass, but the baseline's
    and the expired suppression's (asserted on their own)."""
    names = _names(e)
    rows: dict[str, dict[str, str]] = {}
    for f in _findings(base, night):
        if f["rule_id"] in (BASELINE, EXPIRED):
            continue
        rows.setdefault(names.get(f["resource"]["arn"], f["resource"]["arn"]),
                        {})[f["rule_id"]] = f["status"]
    return rows


def _truth(e: Estate, night: int) -> dict[str, Any]:
    return {1: gt.ground_truth, 2: gt.night2_truth, 3: gt.night3_truth}[night](e)


@pytest.mark.parametrize("night", (1, 2, 3))
def test_the_rules_are_the_auditors(nights: Any, night: int) -> None:
    e = nights["e"]
    names = _names(e)
    expected = {names[arn]: dict(t.fails) for arn, t in _truth(e, night).items() if t.fails}
    assert _rules(e, nights["base"], night) == expected


@pytest.mark.parametrize("night", (1, 2, 3))
def test_the_readers_are_the_auditors(nights: Any, night: int) -> None:
    groundtruth.assert_readers_are_the_auditors(gt, nights["e"], nights["base"] / f"n{night}",
                                                truth=_truth(nights["e"], night))



def test_the_plan_fixes_what_the_auditor_says_it_can(nights: Any) -> None:
    """rot/live's version runs as OldRotator, whom only the key policy denies: the rotation
    statement for OldRotator on the key rot (rot/v1's, muted, is not planned); pub/open
    limited to the organization; DevRole's Decrypt on pay's own key and on the keys teamkey and
    oukey. The rest is a person's
    (no rotation function configured; no remediator for a network path)."""
    e, plan = nights["e"], nights["plan"]
    names = _names(e)
    planned = {(c["remediation_id"], c["rule_id"], names.get(c["resource_arn"],
                                                             c["resource_arn"]))
               for c in plan["changes"]}
    assert planned == {
        ("restrict-public-secret-policy", "secret-policy-public", "secret:pub/open"),
        ("grant-key-decrypt", gt.ROLE_RULE, "key:rot"),
        ("grant-key-decrypt", "secret-cross-account-access-broken", "key:paykey2"),
        # DevRole, named by the secrets, on the keys whose "*" its tag and its OU keep out
        ("grant-key-decrypt", "secret-cross-account-access-broken", "key:teamkey"),
        ("grant-key-decrypt", "secret-cross-account-access-broken", "key:oukey")}
    old = f"arn:aws:iam::{e.accounts['sec']}:role/{gt.OLD}"
    [rotation] = [c for c in plan["changes"] if c["rule_id"] == gt.ROLE_RULE]
    assert old in json.dumps(rotation["desired_state"])
    assert not [x for x in plan["skipped"] if x["rule_id"] == gt.ROLE_RULE]


def _own(e: Estate, base: Path, night: int, rule: str) -> list[dict[str, Any]]:
    return [f for f in _findings(base, night) if f["rule_id"] == rule]


def test_the_baseline_from_night_1_names_the_readers_gained_since(nights: Any) -> None:
    """baseline init from night 1, then night 2 and 3 scanned with it: the readers gained
    since are outside it -- DevRole by its new team tag, DevRole by the Decrypts the fixes
    granted, OldRotator by the rotation statement the fix wrote (a reader of its own account)
    -- and nothing lost is."""
    e = nights["e"]
    a = e.accounts
    names = _names(e)
    for night in (2, 3):
        outside = {(names[f["resource"]["arn"]], f["principal"], f["status"])
                   for f in _own(e, nights["base"], night, BASELINE)}
        assert outside == {
            ("secret:abac/team", f"arn:aws:iam::{a['dev']}:role/{gt.DEV}", "FAIL"),
            ("secret:pay/own-broken", f"arn:aws:iam::{a['dev']}:role/{gt.DEV}", "FAIL"),
            ("secret:abac/key-team", f"arn:aws:iam::{a['dev']}:role/{gt.DEV}", "FAIL"),
            ("secret:ou/key-prod", f"arn:aws:iam::{a['dev']}:role/{gt.DEV}", "FAIL"),
            ("secret:rot/live", f"arn:aws:iam::{a['sec']}:role/{gt.OLD}", "FAIL")}
    assert not _own(e, nights["base"], 1, BASELINE)


def test_the_expired_suppression_is_a_finding_of_the_central_account(nights: Any) -> None:
    """Night 1 mutes rot/v1's rotation role; from night 2 the entry has expired: the finding
    FAILs again and the entry is a suppression-expired finding, in the central account --
    sec, which shares its secrets with "*" of the organization, of an OU path, of a team tag,
    not pay, which names DevRole on two (docs/configuration.md: an entry naming accounts by a
    glob is reported in the scan's central account)."""
    e, base = nights["e"], nights["base"]
    sec = e.accounts["sec"]
    for night in (1, 2, 3):
        doc = json.loads((base / f"n{night}" / "findings.json").read_text())
        assert (doc["scan"]["central_account"], doc["scan"]["central_account_source"]) == \
            (sec, "inferred")
    [muted] = [f for f in _own(e, base, 1, gt.ROLE_RULE) if f["status"] == "MUTED"]
    assert muted["muted_by"]["expires"] == "2099-12-31"
    assert not _own(e, base, 1, EXPIRED)
    for night in (2, 3):
        [expired] = _own(e, base, night, EXPIRED)
        assert expired["status"] == "FAIL" and expired["resource"]["account_id"] == sec
        assert "expired on 2026-12-01" in expired["message"]


def _arn(item: dict[str, Any]) -> str:
    """The resource of a drift item (its ``resource_arn``)."""
    return str(item["resource"]["arn"] if isinstance(item.get("resource"), dict)
               else item["resource_arn"])


def _moved(drift: dict[str, Any], names: dict[str, str]) -> set[tuple[str, str, str]]:
    return {(k, f["rule_id"], names.get(_arn(f), _arn(f)))
            for k in ("new", "resolved") for f in drift["findings"][k]}


def test_night_2s_diff_says_what_moved_and_why(nights: Any) -> None:
    e, drift = nights["e"], nights["drift"][2]
    a, names = e.accounts, _names(e)
    assert {(k, rule, n) for k, rule, n in _moved(drift, names) if rule != EXPIRED} == {
        ("new", BASELINE, "secret:abac/team"), ("new", BASELINE, "secret:pay/own-broken"),
        ("new", BASELINE, "secret:rot/live"),
        ("new", gt.ROLE_RULE, "secret:rot/blue"), ("new", gt.NET_RULE, "secret:rot/blue"),
        ("resolved", "secret-policy-public", "secret:pub/open"),
        ("resolved", gt.ROLE_RULE, "secret:rot/live"),
        ("resolved", "secret-cross-account-access-broken", "secret:pay/own-broken"),
        ("new", BASELINE, "secret:abac/key-team"), ("new", BASELINE, "secret:ou/key-prod"),
        # broken for another principal: DevRole's resolved, AppRole's and MoverRole's new
        *((k, "secret-cross-account-access-broken", n) for k in ("new", "resolved")
          for n in ("secret:abac/key-team", "secret:ou/key-prod"))}
    broken = {(k, names[_arn(f)], f["principal"]) for k in ("new", "resolved")
              for f in drift["findings"][k]
              if f["rule_id"] == "secret-cross-account-access-broken"}
    mover = f"arn:aws:iam::{a['mover']}:role/{gt.MOVER}"
    app, dev = f"arn:aws:iam::{a['pay']}:role/{gt.APP}", f"arn:aws:iam::{a['dev']}:role/{gt.DEV}"
    assert broken == {("new", "secret:abac/key-team", app), ("new", "secret:ou/key-prod", mover),
                      *(("resolved", n, dev) for n in ("secret:abac/key-team",
                                                       "secret:ou/key-prod",
                                                       "secret:pay/own-broken"))}
    [unmuted] = drift["findings"]["changed"]
    assert names[_arn(unmuted)] == "secret:rot/v1"
    assert unmuted["unmuted"] == "its suppression expired on 2026-12-01"
    access = {(names[c["secret_arn"]], sign, x["principal"]) for c in drift["access"]
              for sign, key in (("+", "new_readers"), ("-", "lost_readers")) for x in c[key]}
    assert access == {
        ("secret:abac/key-team", "+", dev), ("secret:abac/key-team", "-", app),
        ("secret:ou/key-prod", "+", dev), ("secret:ou/key-prod", "-", mover),
        ("secret:abac/team", "+", dev), ("secret:abac/team", "-", app),
        ("secret:ou/prod", "-", f"arn:aws:iam::{a['mover']}:role/{gt.MOVER}"),
        ("secret:ou/prod", "-", f"arn:aws:iam::{a['mover']}:root"),
        ("secret:pay/own-broken", "+", dev),
        ("secret:rot/live", "+", f"arn:aws:iam::{a['sec']}:role/{gt.OLD}")}
    # why, beside each reader: the tags, the OU move, the statements the fixes wrote
    why = {(names[c["secret_arn"]], x["principal"]): x.get("why") for c in drift["access"]
           for key in ("new_readers", "lost_readers") for x in c[key]}
    assert why == {
        ("secret:abac/team", dev): ["changed since: its tags: team search -> payments"],
        ("secret:abac/team", app): ["changed since: its tags: team payments -> search"],
        **{("secret:ou/prod", p): ["changed since: its account's OU: Root/Apps/Prod -> "
                                   "Root/Apps/Dev"]
           for p in (f"arn:aws:iam::{a['mover']}:role/{gt.MOVER}",
                     f"arn:aws:iam::{a['mover']}:root")},
        ("secret:pay/own-broken", dev): ["changed since: the secret's key policy; its tags: "
                                         "team search -> payments"],
        ("secret:rot/live", f"arn:aws:iam::{a['sec']}:role/{gt.OLD}"): [
            "changed since: the secret's key policy"],
        **{(n, dev): ["changed since: the secret's key policy; its tags: team search -> "
                      "payments"] for n in ("secret:abac/key-team", "secret:ou/key-prod")},
        ("secret:abac/key-team", app): ["changed since: the secret's key policy; its tags: "
                                        "team payments -> search"],
        ("secret:ou/key-prod", mover): ["changed since: the secret's key policy; its "
                                        "account's OU: Root/Apps/Prod -> Root/Apps/Dev"]}
    # and in Resources: the tags, the OU move, the alias
    changed = {(c["kind"], c["id"]): c for c in drift["resources"]["changed"]}
    assert [(f["field"], f["old"], f["new"]) for f in changed["iam_principal", dev]["fields"]] \
        == [("tags", {"team": "search"}, {"team": "payments"})]
    assert [(f["field"], f["old"], f["new"]) for f in changed["iam_principal", app]["fields"]] \
        == [("tags", {"team": "payments"}, {"team": "search"})]
    [ou] = changed["org_account", a["mover"]]["fields"]
    assert (ou["old"], ou["new"]) == ("Root/Apps/Prod", "Root/Apps/Dev")
    [blue] = changed["lambda_function", e.res["lambda:rotate"]]["fields"]
    assert blue["field"] == "qualifier_settings.blue"
    assert blue["note"].startswith(f"blue now runs as role arn:aws:iam::{a['sec']}:role/"
                                   f"{gt.OLD} (was arn:aws:iam::{a['sec']}:role/{gt.NEW})")


def test_night_3s_diff_says_what_moved(nights: Any) -> None:
    e, drift = nights["e"], nights["drift"][3]
    assert _moved(drift, _names(e)) == {
        ("new", "secret-policy-public", "secret:pub/open"),
        ("resolved", gt.ROLE_RULE, "secret:rot/blue"),
        ("resolved", gt.NET_RULE, "secret:rot/blue")}
    # the same suppression file, the same expired entry: no change
    assert not drift["findings"]["changed"]
    # pub/open's key lets the organization's member accounts decrypt, no one else: public
    # or limited to the organization, the same readers
    assert not drift["access"]


def _hub_state(e: Estate, found: list[dict[str, Any]]) -> dict[tuple[str, str, str], str]:
    """(rule, logical name, finding id) -> RecordState."""
    names = _names(e)
    state = {}
    for f in found:
        rule = f["GeneratorId"].removeprefix("secretgraph/")
        name = names.get(f["Resources"][0]["Id"], f["Resources"][0]["Id"])
        assert f["RecordState"] in ("ACTIVE", "ARCHIVED")
        assert f["Compliance"]["Status"] == ("FAILED" if f["RecordState"] == "ACTIVE"
                                             else "PASSED"), (rule, name)
        assert (rule, name, f["Id"]) not in state
        state[rule, name, f["Id"]] = f["RecordState"]
    return state


def test_security_hub_archives_what_was_resolved_and_reopens_what_came_back(
        nights: Any) -> None:
    """Each night's export with the night before as --previous: night 2 archives what the
    fixes resolved, night 3 what blue's move back resolved, and takes pub/open's public
    finding back to ACTIVE (the same finding id: Security Hub sets its Workflow back to NEW,
    "RecordState changes from ARCHIVED to ACTIVE", Security Hub API, Workflow); every finding
    in the account it belongs to, the expired suppression in the central account."""
    e, hub = nights["e"], nights["hub"]
    a = e.accounts
    for night, found in hub.items():
        active = {k for k, v in _hub_state(e, found).items() if v == "ACTIVE"}
        assert len(active) == len([f for f in _findings(nights["base"], night)]), night
        for f in found:
            arn = f["Resources"][0]["Id"]
            owner = arn.split(":")[4] if arn.startswith("arn:") else a["sec"]
            assert f["AwsAccountId"] == owner, arn
    archived = {n: {k[:2] for k, v in _hub_state(e, found).items() if v == "ARCHIVED"}
                for n, found in hub.items()}
    assert archived[1] == set()
    # DevRole's broken reads on abac/key-team and ou/key-prod archived, AppRole's and
    # MoverRole's active beside them
    fixed = {("secret-policy-public", "secret:pub/open"), (gt.ROLE_RULE, "secret:rot/live"),
             *(("secret-cross-account-access-broken", n) for n in (
                 "secret:pay/own-broken", "secret:abac/key-team", "secret:ou/key-prod"))}
    assert archived[2] == fixed
    assert archived[3] == fixed - {("secret-policy-public", "secret:pub/open")} | {
        (gt.ROLE_RULE, "secret:rot/blue"), (gt.NET_RULE, "secret:rot/blue")}
    for night in (2, 3):
        both = [k for k in _hub_state(e, hub[night])
                if k[:2] == ("secret-cross-account-access-broken", "secret:abac/key-team")]
        assert len(both) == 2
    ids = {n: {f["Id"] for f in found if f["GeneratorId"] == "secretgraph/secret-policy-public"}
           for n, found in hub.items()}
    assert len(ids[1]) == 1 and ids[1] == ids[2] == ids[3]
    # the un-muted finding's Workflow set back to NEW, once, in its account (night 2)
    [v1] = [f["Id"] for f in hub[1] if f["GeneratorId"] == f"secretgraph/{gt.ROLE_RULE}"
            and f["Resources"][0]["Id"] == e.res["secret:rot/v1"]]
    assert nights["workflow"] == [(a["sec"], gt.W, "NEW", v1)]
