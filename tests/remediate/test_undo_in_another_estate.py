"""--undo JOURNAL with the credentials of another estate (another organization, or an account
that acts as another) is refused before any change, saying that nothing was changed and to run
the --undo with the credentials of the estate the apply changed. Safe-fixes trial round 13: it
said the apply's advice -- "run with credentials of the estate the plan was built for, or build
a new plan from a scan of this one" -- where no plan is involved and a new plan of the other
estate undoes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers.remediate_records import PUBLIC, UNRELATED, applied_journal, finding, snapshot
from scanner.changes import RemediationConfig
from scanner.errors import InputError
from scanner.remediate.engine import apply_plan
from scanner.remediate.undo import undo_journal
from scanner.remediate.journal import read_journal
from scanner.remediate.planner import Selection, build_plan


class _Other:
    """Clients of another estate: each account acts as ``acts_in``, in organization ``org``."""

    def __init__(self, acts_in: str | None, org: str) -> None:
        self.acts_in, self.org = acts_in, org
        self.calls: list[str] = []

    def __call__(self, account_id: str) -> "_Other":
        self.account = account_id
        return self

    def client(self, service: str, region: str) -> Any:
        outer = self

        class Client:
            def get_caller_identity(self) -> dict[str, str]:
                outer.calls.append("GetCallerIdentity")
                return {"Account": outer.acts_in or outer.account}

            def describe_organization(self) -> dict[str, Any]:
                outer.calls.append("DescribeOrganization")
                return {"Organization": {"Id": outer.org}}

            def __getattr__(self, name: str) -> Any:
                raise AssertionError(f"unexpected call {name}")
        return Client()


def _journal(tmp_path: Path) -> Path:
    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [UNRELATED, PUBLIC]})
    plan = build_plan([finding("secret-policy-public", "restrict-public-secret-policy")], snap,
                      RemediationConfig(), Selection())
    return applied_journal(tmp_path / "journal.jsonl", plan)


@pytest.mark.parametrize("other", [_Other(None, "o-someoneelse1"),
                                   _Other("444455556666", "o-abcdef1234")],
                         ids=["another organization", "another account"])
def test_undo_with_another_estates_credentials_says_to_use_the_applied_estates(
        tmp_path: Path, other: _Other) -> None:
    journal = read_journal(_journal(tmp_path))
    assert journal.estate["org_id"] == "o-abcdef1234"

    with pytest.raises(InputError) as refused:
        undo_journal(journal, other, undo_journal_path=str(tmp_path / "undo.jsonl"))

    said = str(refused.value)
    assert "wrong estate" in said, said
    assert "nothing was changed" in said, said
    assert "run the same --undo with the credentials (--profile, --endpoint-url) of the " \
        "estate the apply changed" in said, said
    assert "plan" not in said.split("wrong estate", 1)[1], said
    assert not (tmp_path / "undo.jsonl").exists()


@pytest.mark.parametrize("other", [_Other(None, "o-someoneelse1"),
                                   _Other("444455556666", "o-abcdef1234")],
                         ids=["another organization", "another account"])
def test_an_apply_with_another_estates_credentials_still_says_to_plan_from_it(
        tmp_path: Path, other: _Other) -> None:
    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [UNRELATED, PUBLIC]})
    plan = build_plan([finding("secret-policy-public", "restrict-public-secret-policy")], snap,
                      RemediationConfig(), Selection())

    with pytest.raises(InputError) as refused:
        apply_plan(plan, other, journal_path=str(tmp_path / "j.jsonl"), plan_path="p.json",
                   max_age_hours=24)

    said = str(refused.value)
    assert "wrong estate" in said and "nothing was changed" in said, said
    assert "of the estate the plan was built for, or build a new plan from a scan of this " \
        "one" in said, said
