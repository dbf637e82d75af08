"""Ground-truth trial round 30 (tests/helpers/gt30_estate.py): three nights of one
organization. A secret's key disabled, pending deletion or pending import, and usable again;
a key whose policy names no reader, read through a KMS grant that is retired; "*" narrowed to
the organization, "*" alone, and one narrowed then opened; rotation schedules as cron() and
rate() expressions, a rotation long overdue and one that failed (AWSPENDING left behind); a
database VPC reached only through a transit gateway; an account of a second organization
trusted by the configuration, and one trusted by no one. Night 1 is scanned, its plan made
and applied against the moto server; night 2 is scanned; the apply undone (remediate --undo);
night 3 scanned. Every rule that does not pass and every cross-account reader compared with
what an auditor wrote down from the AWS documentation before the scans ran; the plan with
what the auditor says it can fix; the diffs and the HTML report's changes with what moved and
why.

Nothing else may fail."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from helpers import groundtruth
from helpers import gt30_estate as gt
from helpers.groundtruth import Estate
from scanner.access import AccessSettings, analyze_access
from scanner.cli import main
from scanner.demo import policies as pol
from scanner.demo.fidelity import replica_keys_kept
from scanner.demo.run import demo_environment
from scanner.demo.server import SKIP_AMIS_ENV
from scanner.graph.builder import build_graph
from scanner.snapshot_io import read_snapshot

pytestmark = pytest.mark.e2e

WRITER = "SecretgraphRemediation"


def _scan(e: Estate, base: Path, night: int) -> int:
    return main(["scan", "--org", "--role-name", gt.ROLE, "--regions", ",".join(gt.REGIONS),
                 "--endpoint-url", e.endpoint_url, "--out", str(base / f"n{night}"),
                 "--format", "json,html", "--suppressions", str(base / "suppressions.yaml"),
                 "--config", str(base / "config.yaml"), "--history", str(base / "history.db"),
                 "--full-refresh-days", "1", "--quiet"])


@pytest.fixture(scope="module")
def nights(moto_server: str, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("gt30")
    (base / "suppressions.yaml").write_text(gt.SUPPRESSIONS)
    (base / "config.yaml").write_text(gt.CONFIG)
    n1 = base / "n1"
    with pytest.MonkeyPatch.context() as mp, replica_keys_kept(), demo_environment(), \
            gt.moto_fidelity():
        mp.setenv(SKIP_AMIS_ENV, "false")
        e = gt.seed(moto_server)
        (base / "estate.json").write_text(groundtruth.dump(e))
        assert _scan(e, base, 1) == 1
        assert main(["remediate", "--in", str(n1), "--quiet"]) == 0
        plan = json.loads((n1 / "remediation-plan.json").read_text())
        assert main(["remediate", "--in", str(n1), "--plan", str(n1 / "remediation-plan.json"),
                     "--apply", "--yes", "--remediation-role-name", WRITER, "--endpoint-url",
                     moto_server, "--history", str(base / "history.db"), "--quiet"]) == 0
        gt.night2(e)
        assert _scan(e, base, 2) == 1
        [journal] = sorted(n1.glob("remediation-journal-*.jsonl"))
        assert main(["remediate", "--undo", str(journal), "--yes", "--remediation-role-name",
                     WRITER, "--endpoint-url", moto_server, "--history",
                     str(base / "history.db"), "--quiet"]) == 0
        assert _scan(e, base, 3) == 1
    drift = {}
    for old, new in ((1, 2), (2, 3)):
        out = base / f"drift{new}.json"
        assert main(["diff", "--history", str(base / "history.db"), str(base / f"n{old}"),
                     str(base / f"n{new}"), "--format", "json", "--output-file", str(out),
                     "--quiet"]) == 0
        drift[new] = json.loads(out.read_text())
    yield {"e": e, "base": base, "plan": plan, "drift": drift}


def _names(e: Estate) -> dict[str, str]:
    return {v: k for k, v in e.res.items()}


def _findings(base: Path, night: int) -> list[dict[str, Any]]:
    doc = json.loads((base / f"n{night}" / "findings.json").read_text())
    assert doc["scan"]["complete"] is True and doc["coverage"] == []
    return [f for f in doc["findings"] if f["status"] != "PASS"]


def _truth(e: Estate, night: int) -> dict[str, Any]:
    return {1: gt.ground_truth, 2: gt.night2_truth, 3: gt.night3_truth}[night](e)


@pytest.mark.parametrize("night", (1, 2, 3))
def test_the_rules_are_the_auditors(nights: Any, night: int) -> None:
    groundtruth.assert_rules_are_the_auditors(gt, nights["e"], nights["base"] / f"n{night}",
                                              truth=_truth(nights["e"], night))


@pytest.mark.parametrize("night", (1, 2, 3))
def test_the_readers_are_the_auditors(nights: Any, night: int) -> None:
    groundtruth.assert_readers_are_the_auditors(gt, nights["e"], nights["base"] / f"n{night}",
                                                truth=_truth(nights["e"], night))


def _one(base: Path, night: int, rule: str, name: str, e: Estate) -> dict[str, Any]:
    [f] = [f for f in _findings(base, night)
           if f["rule_id"] == rule and f["resource"]["arn"] == e.res[name]]
    return f


def test_the_key_states_are_named(nights: Any) -> None:
    """Each unusable key by its state (KMS Developer Guide, "Key states of AWS KMS keys"),
    and AppRole's read broken by the key's state, not by its policy's statements."""
    e, base = nights["e"], nights["base"]
    for name, state in (("key/disabled", "Disabled"), ("key/doomed", "PendingDeletion"),
                        ("key/import", "PendingImport")):
        f = _one(base, 1, "secret-key-unusable", f"secret:{name}", e)
        assert f"is {state}, so the secret cannot be read" in f["message"]
        broken = _one(base, 1, "secret-cross-account-access-broken", f"secret:{name}", e)
        assert f"key is {state}" in broken["message"]


def test_the_partner_and_the_stranger_read_on_a_condition(nights: Any) -> None:
    """Outside the scanned organization: their own identity policies (and the partner's
    organization's SCPs) were not read, so their reads are CONDITIONAL, never ALLOWED; only the
    stranger's grant is outside the trust zone."""
    e, base = nights["e"], nights["base"]
    snap = read_snapshot(base / "n1" / "snapshot.json.gz")
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    for name, account in (("ext/partner", gt.PARTNER), ("ext/stranger", gt.STRANGER),
                          ("pub/open", gt.PARTNER), ("pub/open", gt.STRANGER)):
        [path] = [p for p in report.secrets[e.res[f"secret:{name}"]].paths
                  if p.principal == pol.root_arn(account)]
        assert path.decision == "CONDITIONAL", (name, account)
        assert path.gates["identity_policy"].status == "UNKNOWN"
    external = [f for f in _findings(base, 1) if f["rule_id"] == "secret-policy-external-account"]
    assert [(_names(e)[f["resource"]["arn"]], f["principal"]) for f in external] == [
        ("secret:ext/stranger", pol.root_arn(gt.STRANGER))]


def test_the_schedules_are_read_as_aws_runs_them(nights: Any) -> None:
    """rate(120 days) allows 120 days between rotations (Secrets Manager User Guide, "Rotation
    schedules"); a weekly cron() does not; rot/old was last rotated 200 days ago and its next
    rotation is long past; rot/failed holds AWSPENDING on a version of its own."""
    e, base = nights["e"], nights["base"]
    assert "rate(120 days)" in _one(base, 1, "secret-rotation-overdue", "secret:rot/rate-long",
                                    e)["message"]
    assert "more than 90 days ago" in _one(base, 1, "secret-rotation-overdue", "secret:rot/old",
                                           e)["message"]
    assert "has not happened" in _one(base, 1, "secret-rotation-failing", "secret:rot/old",
                                      e)["message"]
    assert "AWSPENDING" in _one(base, 1, "secret-rotation-failing", "secret:rot/failed",
                                e)["message"]


def test_a_database_behind_a_transit_gateway_is_not_known_either_way(nights: Any) -> None:
    """No peering, routes both ways through a transit gateway whose route tables are not
    collected: UNKNOWN, naming the gateway -- not FAIL "no VPC peering"."""
    e, base = nights["e"], nights["base"]
    f = _one(base, 1, gt.NET_RULE, "secret:rot/tgw", e)
    assert f["status"] == "UNKNOWN"
    assert f"transit-gateway {e.res['tgw']}" in f["message"]
    assert "no VPC peering" in f["message"] and "not collected" in f["message"]


def test_the_plan_fixes_what_the_auditor_says_it_can(nights: Any) -> None:
    """The deletion of doomed cancelled; pub/open limited to the organization and to partner's
    account, which the configuration trusts (the stranger's is cut off). The rest is a
    person's (a disabled key: its owner decides; no material to import; the grant and the
    stranger's statement; rotation schedules)."""
    e, plan = nights["e"], nights["plan"]
    names = _names(e)
    planned = {(c["remediation_id"], c["rule_id"], names.get(c["resource_arn"],
                                                             c["resource_arn"]))
               for c in plan["changes"]}
    assert planned == {
        ("cancel-key-deletion", "secret-key-unusable", "key:doomed"),
        ("restrict-public-secret-policy", "secret-policy-public", "secret:pub/open")}
    [public] = [c for c in plan["changes"] if c["rule_id"] == "secret-policy-public"]
    statements = json.loads(public["policy_diff"]["after"])["Statement"]
    assert [(s["Sid"], s["Condition"]) for s in statements] == [
        ("Everyone", {"StringEquals": {"aws:PrincipalOrgID": e.org_id}}),
        ("EveryoneTrusted", {"StringEquals": {"aws:PrincipalAccount": gt.PARTNER}})]
    assert [(x["principal"], x["in_zone"]) for x in public["effect"]["readers_lost"]] == [
        (pol.root_arn(gt.STRANGER), False)]
    assert not [x for x in plan["skipped"] if x["rule_id"] == "secret-policy-public"]


def _arn(item: dict[str, Any]) -> str:
    return str(item["resource"]["arn"] if isinstance(item.get("resource"), dict)
               else item["resource_arn"])


def _moved(drift: dict[str, Any], names: dict[str, str]) -> set[tuple[str, str, str]]:
    return {(k, f["rule_id"], names.get(_arn(f), _arn(f)))
            for k in ("new", "resolved") for f in drift["findings"][k]}


def test_night_2s_diff_says_what_moved_and_why(nights: Any) -> None:
    e, drift = nights["e"], nights["drift"][2]
    a, r, names = e.accounts, e.res, _names(e)
    app = pol.role_arn(a["app"], gt.APP)
    assert _moved(drift, names) == {
        ("new", "secret-policy-public", "secret:pub/later"),
        ("new", "secret-cross-account-access-broken", "secret:grant/only"),
        ("resolved", "secret-policy-public", "secret:pub/open"),
        *(("resolved", rule, f"secret:{n}") for n in ("key/disabled", "key/doomed", "key/import")
          for rule in ("secret-key-unusable", "secret-cross-account-access-broken"))}
    why = {(names[c["secret_arn"]], x["principal"]): x.get("why") for c in drift["access"]
           for key in ("new_readers", "lost_readers") for x in c[key]}
    assert why[("secret:grant/only", app)] == ["changed since: the secret's key grants"]
    for name, old in (("key/disabled", "Disabled"), ("key/doomed", "PendingDeletion"),
                      ("key/import", "PendingImport")):
        assert why[(f"secret:{name}", app)] == [
            f"changed since: the secret's key state: {old} -> Enabled"]
    changed = {(c["kind"], c["id"]): c for c in drift["resources"]["changed"]}
    notes = {name: {f["field"]: f["note"] for f in changed["kms_key", r[f"key:{name}"]]["fields"]}
             for name in ("off", "doomed", "import")}
    assert notes["off"]["key_state"] == "key enabled"
    assert notes["doomed"]["key_state"] == "deletion cancelled"
    assert notes["import"]["key_state"] == "key material imported"
    [grants] = changed["kms_key", r["key:grantonly"]]["fields"]
    assert grants["field"] == "grants" and grants["new"] == []


def test_night_3s_diff_says_the_undo_put_the_public_statement_back(nights: Any) -> None:
    """remediate --undo puts back what the apply changed that can be taken back: pub/open's
    policy. The cancelled deletion stays cancelled (no one schedules a deletion by undo)."""
    e, drift = nights["e"], nights["drift"][3]
    names = _names(e)
    assert _moved(drift, names) == {("new", "secret-policy-public", "secret:pub/open")}
    assert {names[c["secret_arn"]] for c in drift["access"]} == {"secret:pub/open"}


def _text(path: Path) -> str:
    page = path.read_text()
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_html_report_says_what_changed_and_why(nights: Any) -> None:
    """Night 2's report: the readers regained with the key's states, the one lost with the
    retired grant, the key's changes in Resources."""
    e, base = nights["e"], nights["base"]
    page = _text(base / "n2" / "report.html")
    assert "can now read [allow] (was deny) (changed since: the secret's key state: " \
           "PendingImport -> Enabled)" in page
    assert "can no longer read (now deny) (changed since: the secret's key grants)" in page
    assert "key_state: PendingImport -> Enabled (key material imported)" in page
    assert "key key" not in page
    assert e.res["tgw"] in page
