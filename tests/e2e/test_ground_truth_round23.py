"""Ground-truth trial round 23: a six-account organization whose secrets' account is not the
management account, SCPs on two OUs (a Region fence, a role-name fence), a key of another
account (cross-account CMK), ABAC by team tag in a resource policy, an IAM user reading through
its group's managed policy, a permissions boundary, a role chain, grants to an OU path, the
organization, everyone and an outside account, replicas in two Regions (one on the AWS-managed
key), a deleted rotation function and a Lambda whose security group lets no HTTPS out
(tests/helpers/gt23_estate.py), built in moto through sts.assume_role, scanned by the real CLI;
every rule that does not pass, and every cross-account reader, compared with what an auditor
wrote down from the AWS documentation before the scan ran.

Nothing else may fail: a resource the ground truth does not list passes every rule."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from helpers import groundtruth
from helpers import gt23_estate as gt
from helpers.groundtruth import Estate

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def scanned(moto_server: str, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[Estate, Path]]:
    out = tmp_path_factory.mktemp("gt23")
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


def test_the_replication_that_failed_is_no_copy_and_is_reported_on_the_secret(
        scanned: tuple[Estate, Path]) -> None:
    """pay/conflict's eu-west-3 replication Failed (a secret of that name was there first):
    no replica to judge or read, and secret-not-replicated says why, with no config asking
    for eu-west-3."""
    import json

    estate, out = scanned
    primary = estate.res["secret:pay/conflict"]
    replica = primary.replace(f":{gt.AP}:", f":{gt.PA}:")
    doc = json.loads((out / "findings.json").read_text())
    assert not [f for f in doc["findings"] if f["resource"]["arn"] == replica]
    [finding] = [f for f in doc["findings"] if f["resource"]["arn"] == primary
                 and f["rule_id"] == "secret-not-replicated"]
    assert f"no replica in {gt.PA} (replication failed: {gt.PA}: " in finding["message"]
