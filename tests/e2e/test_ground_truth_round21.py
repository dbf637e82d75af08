"""Ground-truth trial round 21: a seven-account organization with two secret-holding accounts
in three Regions (us-west-1, eu-west-2, ap-northeast-1), NAT-gateway and endpoint paths for the
rotation Lambdas, KMS grants, bare alias names and key ids as a secret's key, a replica key
pending deletion, a Region-fencing SCP and a pretty-printed policy
(tests/helpers/gt21_estate.py), built in moto through sts.assume_role, scanned by the real CLI;
every rule that does not pass, and every cross-account reader, compared with what an auditor
wrote down from the AWS documentation before the scan ran.

Nothing else may fail: a resource the ground truth does not list passes every rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from helpers import groundtruth
from helpers import gt21_estate as gt
from helpers.groundtruth import Estate

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def scanned(moto_server: str, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[Estate, Path]]:
    out = tmp_path_factory.mktemp("gt21")
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


def test_the_broken_read_names_the_kms_grant_that_never_applies(
        scanned: tuple[Estate, Path]) -> None:
    estate, out = scanned
    doc = json.loads((out / "findings.json").read_text())
    [finding] = [f for f in doc["findings"]
                 if f["resource"]["arn"] == estate.res["secret:analytics/ctx-equals"]
                 and f["rule_id"] == "secret-cross-account-access-broken"]
    assert "KMS grant" in finding["message"] and "never applies" in finding["message"]
    assert "EncryptionContextEquals" in finding["message"]
