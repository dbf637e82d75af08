"""Ground-truth trial round 25: an organization over three Regions (tests/helpers/gt25_estate.py)
-- primaries in eu-north-1 and ca-central-1, replicas in us-west-1 (one on the AWS-managed
key), a fourth Region left out with --regions --, inter-Region peerings between rotation VPCs
and database VPCs (routed both ways, one way only, into a peering its accepter deleted, and
one whose Lambda's security group lets nothing out to the database), secrets of a member
account, a secret scheduled for deletion, a secret rotated by a Lambda of another account, key
policies copying AWS's default kms:CallerAccount / kms:ViaService statement, and an IAM user
reading through its group; then a standalone account (no organization) scanned with
--accounts. Built in moto through sts.assume_role, scanned by the real CLI; every rule that
does not pass, and every cross-account reader, compared with what an auditor wrote down from
the AWS documentation before the scans ran.

Nothing else may fail: a resource the ground truth does not list passes every rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from helpers import groundtruth
from helpers import gt25_estate as gt
from helpers.groundtruth import Estate
from scanner.cli import main
from scanner.demo.fidelity import replica_keys_kept
from scanner.demo.run import demo_environment

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def scanned(moto_server: str, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[Estate, Path]]:
    out = tmp_path_factory.mktemp("gt25")
    yield groundtruth.scan(gt, moto_server, out), out


def test_every_rule_that_does_not_pass_is_the_auditors(scanned: tuple[Estate, Path]) -> None:
    estate, out = scanned
    groundtruth.assert_rules_are_the_auditors(gt, estate, out)


def test_who_can_read_each_secret_is_the_auditors(scanned: tuple[Estate, Path]) -> None:
    estate, out = scanned
    groundtruth.assert_readers_are_the_auditors(gt, estate, out)


def test_the_secret_scheduled_for_deletion_is_judged_by_no_rule(
        scanned: tuple[Estate, Path]) -> None:
    estate, out = scanned
    groundtruth.assert_judged_by_no_rule(out, estate.res["secret:old/retired"])


def test_the_region_left_out_is_not_in_the_scan(scanned: tuple[Estate, Path]) -> None:
    """ap-south-1 is not in --regions: its public secret and svc/south-copy's replica there
    are not judged, nothing says the Region could not be read, and the only words about it
    are the two UNKNOWNs of the database VPC there (its route back is not seen)."""
    estate, out = scanned
    doc = json.loads((out / "findings.json").read_text())
    assert set(doc["scan"]["regions"]) == set(gt.REGIONS)
    assert not [f for f in doc["findings"] if f["resource"]["region"] == gt.AS]
    assert sorted((f["rule_id"], f["status"]) for f in doc["findings"]
                  if gt.AS in f["message"]) == [
        ("secret-rotation-no-network-path", "UNKNOWN"), ("vpc-peering-route-missing", "UNKNOWN")]


# ---------------------------------------------------------------------- the standalone account


@pytest.fixture(scope="module")
def solo(scanned: tuple[Estate, Path], moto_server: str,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Estate, Path]]:
    """Scanned after the organization (the same moto server, reset): one account in no
    organization, the credentials' own, named with --accounts."""
    out = tmp_path_factory.mktemp("gt25-solo")
    with pytest.MonkeyPatch.context(), replica_keys_kept(), demo_environment():
        estate = gt.seed_solo(moto_server)
        code = main(["scan", "--accounts", estate.accounts["solo"], "--regions", gt.EN,
                     "--endpoint-url", moto_server, "--out", str(out), "--format",
                     "json,html", "--quiet"])
    assert code == 1
    yield estate, out


def test_the_standalone_accounts_rules_are_the_auditors(solo: tuple[Estate, Path]) -> None:
    estate, out = solo
    groundtruth.assert_rules_are_the_auditors(gt, estate, out, truth=gt.solo_truth(estate))


def test_access_answers_for_a_secret_of_a_member_account(
        scanned: tuple[Estate, Path], capsys: pytest.CaptureFixture[str]) -> None:
    estate, out = scanned
    capsys.readouterr()
    assert main(["access", "--in", str(out), "--secret", estate.res["secret:app/for-db"],
                 "--format", "json"]) == 0
    answer: Any = json.loads(capsys.readouterr().out)
    assert estate.res["secret:app/for-db"] in json.dumps(answer)


def test_the_html_hub_card_names_the_region_of_an_inter_region_spoke(
        scanned: tuple[Estate, Path]) -> None:
    """The rotation VPCs are in eu-north-1, the database VPCs they peer with in ca-central-1
    (one in ap-south-1, not scanned): each spoke row says its Region, which is not its hub
    card's."""
    from reports.html.network import build_network
    from scanner.graph.builder import build_graph
    from scanner.snapshot_io import read_snapshot

    estate, out = scanned
    a = estate.accounts
    view = build_network(build_graph(read_snapshot(out / "snapshot.json.gz")),
                         json.loads((out / "findings.json").read_text()),
                         central_account=a["sec"], account_names={a["db"]: "db"})
    spokes = {s.vpc_full.split(" ")[0]: s.account_full for hub in view.hubs
              for g in hub.groups for s in g.spokes}
    assert spokes["db-oneway"] == f"db ({a['db']}) · {gt.CA}"
    # the one in ap-south-1 is not read: its Name is not known, and its label says why
    [south] = [v for k, v in spokes.items() if k.startswith("vpc-")]
    assert south == f"db ({a['db']}) · {gt.AS} not scanned"
    (hub,) = [h for h in view.hubs if h.title.startswith("rot-oneway")]
    assert hub.region == gt.EN
    assert (out / "report.html").read_text().count(f"· {gt.CA}</td>") >= 4


def test_the_rotation_path_names_another_account_s_lambda_and_another_region_s_database(
        scanned: tuple[Estate, Path]) -> None:
    """rot/cross-account is rotated by ops's Lambda, and the database VPCs are in
    ca-central-1 while the Lambdas are in eu-north-1: the path says so, where the secret's own
    account and the Lambda's own Region need no words."""
    from reports.html.network import rotation_paths
    from scanner.graph.builder import build_graph
    from scanner.snapshot_io import read_snapshot

    estate, out = scanned
    a = estate.accounts
    paths = rotation_paths(build_graph(read_snapshot(out / "snapshot.json.gz")),
                           json.loads((out / "findings.json").read_text()), {a["ops"]: "ops"})
    hops = {p.secret_arn: {h.kind: h.text for h in p.hops} for p in paths}
    cross = hops[estate.res["secret:rot/cross-account"]]
    assert cross["Rotation Lambda"] == f"rotate-cross · ops ({a['ops']})"
    assert cross["Database VPC"] == f"{estate.res['vpc-id:db-ops']} · {a['db']} · {gt.CA}"
    oneway = hops[estate.res["secret:rot/oneway"]]
    assert oneway["Rotation Lambda"] == "rotate-oneway"
    assert oneway["Database VPC"] == f"{estate.res['vpc-id:db-oneway']} · {a['db']} · {gt.CA}"
