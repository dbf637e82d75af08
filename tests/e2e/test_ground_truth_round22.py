"""Ground-truth trial round 22: a five-account organization in two OUs with a suspended member,
secrets in three Regions (ca-central-1, eu-north-1, ap-south-1) -- two with the same name in two
Regions --, a multi-Region key held by a second central account, a rotation Lambda of a member
account, an inter-Region peering requested by the database account, two database VPCs with the
same CIDR, and principals named by unique id (aws:userid), by session ARN and by bare account
id (tests/helpers/gt22_estate.py), built in moto through sts.assume_role, scanned by the real
CLI; every rule that does not pass, and every cross-account reader, compared with what an
auditor wrote down from the AWS documentation before the scan ran.

Nothing else may fail: a resource the ground truth does not list passes every rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from helpers import groundtruth
from helpers import gt22_estate as gt
from helpers.groundtruth import Estate

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def scanned(moto_server: str, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[Estate, Path]]:
    out = tmp_path_factory.mktemp("gt22")
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
    groundtruth.assert_judged_by_no_rule(out, estate.res["secret:old/deleted"])


def test_the_roles_unique_id_is_in_the_snapshot(scanned: tuple[Estate, Path]) -> None:
    """What lets aws:userid "<RoleId>:*" name AppRole (app/userid)."""
    estate, out = scanned
    from scanner.snapshot_io import read_snapshot

    snap = read_snapshot(out / "snapshot.json.gz")
    ids = {p.arn: p.unique_id for a in snap.accounts if a.iam for p in a.iam.principals}
    assert ids[estate.res[f"role:apps/{gt.APP}"]] == estate.res[f"role-id:apps/{gt.APP}"]


def test_the_broken_read_names_the_identity_statement_its_condition_keeps_out(
        scanned: tuple[Estate, Path]) -> None:
    """LocalRole's policy allows GetSecretValue on "*" under aws:ResourceAccount =
    ${aws:PrincipalAccount}: the message says so, not only "no identity policy allows"."""
    estate, out = scanned
    doc = json.loads((out / "findings.json").read_text())
    [finding] = [f for f in doc["findings"]
                 if f["resource"]["arn"] == estate.res["secret:app/local"]
                 and f["rule_id"] == "secret-cross-account-access-broken"]
    assert "(OwnAccountSecrets) Allow does not apply: its condition StringEquals " \
        "aws:resourceaccount" in finding["message"], finding["message"]
    assert estate.accounts["vault"] in finding["message"]
