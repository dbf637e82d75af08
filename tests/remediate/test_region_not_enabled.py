"""A resource in a Region that is not enabled for its account (an opt-in Region disabled since
the scan, or the journal's apply) cannot be re-read: the apply and the undo are refused before
any change, saying so and what to do -- enable the Region, or rescan and plan again. Safe-fixes
trial round 13: the refusal said the remediation role must be able to read each resource it
changes (`secretgraph iam-policy --for remediation-role`) and to run the same command again,
which no IAM change can make work. The Region is told by the one error classifier
(scanner.aws.errors.error_kind: OptInRequired, or a token rejected in an opt-in Region)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from helpers.remediate_records import PUBLIC, UNRELATED, applied_journal, finding, snapshot
from scanner.changes import RemediationConfig
from scanner.errors import InputError
from scanner.remediate.engine import apply_plan
from scanner.remediate.undo import undo_journal
from scanner.remediate.journal import read_journal
from scanner.remediate.planfile import Plan
from scanner.remediate.planner import Selection, build_plan


class _RegionOff:
    """Clients of the plan's estate whose Secrets Manager answers OptInRequired."""

    def __call__(self, account_id: str) -> "_RegionOff":
        self.account = account_id
        return self

    def client(self, service: str, region: str) -> Any:
        outer = self

        class Client:
            def get_caller_identity(self) -> dict[str, str]:
                return {"Account": outer.account}

            def describe_organization(self) -> dict[str, Any]:
                return {"Organization": {"Id": "o-abcdef1234"}}

            def describe_secret(self, **_: Any) -> Any:
                raise ClientError({"Error": {"Code": "OptInRequired", "Message": "The AWS "
                                             "Access Key Id needs a subscription for the "
                                             "service"}}, "DescribeSecret")

            def __getattr__(self, name: str) -> Any:
                raise AssertionError(f"unexpected call {name}")
        return Client()


def _plan() -> Plan:
    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [UNRELATED, PUBLIC]})
    return build_plan([finding("secret-policy-public", "restrict-public-secret-policy")], snap,
                      RemediationConfig(), Selection())


def _says_the_region_is_not_enabled(said: str, run: str) -> None:
    assert "Region us-east-1 is not enabled for account 111111111111" in said, said
    assert "OptInRequired" in said, said
    assert f"enable the Region in the account and run the same {run} again, or rescan and " \
        "plan again" in said, said
    assert "must be able to read" not in said, said
    assert "nothing was changed" in said, said


def test_an_apply_whose_resource_is_in_a_region_not_enabled_says_so(tmp_path: Path) -> None:
    with pytest.raises(InputError) as refused:
        apply_plan(_plan(), _RegionOff(), journal_path=str(tmp_path / "j.jsonl"),
                   plan_path="p.json", max_age_hours=24)

    _says_the_region_is_not_enabled(str(refused.value), "--apply")
    assert not (tmp_path / "j.jsonl").exists()


def test_an_undo_whose_resource_is_in_a_region_not_enabled_says_so(tmp_path: Path) -> None:
    plan = _plan()
    path = applied_journal(tmp_path / "journal.jsonl", plan)

    with pytest.raises(InputError) as refused:
        undo_journal(read_journal(path), _RegionOff(),
                     undo_journal_path=str(tmp_path / "undo.jsonl"))

    _says_the_region_is_not_enabled(str(refused.value), "--undo")
    assert not (tmp_path / "undo.jsonl").exists()
