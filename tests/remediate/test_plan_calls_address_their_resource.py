"""A plan whose change would write to another resource than the one it names (and re-reads,
journals and undoes) is refused as it is read, exit 2, before any AWS call (safe-fixes trial
round 15).

A saved plan was edited by hand before `--apply --plan`: the SecretId of its
restrict-public-secret-policy call changed to another secret, and the plan id recomputed (a
script that "fixes up" a plan does that). The plan loader took it -- unlike the journal
loader, it never checked that a change's id is the digest of its calls -- and the apply wrote
the public secret's new policy over the other secret's, re-read and journaled the public
secret (UNVERIFIED), and `--undo` of that journal was refused as "the journal was edited": the
other secret's policy was lost, and no journal recorded it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

from helpers.remediate_records import ACCT, PUBLIC, UNRELATED, finding, snapshot
from scanner.changes import PlannedChange, RemediationConfig, change_id
from scanner.cli import main
from scanner.errors import InputError
from scanner.remediate.planfile import Estate, Plan, make_plan_id, read_plan, write_plan
from scanner.remediate.planner import Selection, build_plan

OTHER_SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:other/db-XyZwVu"
ELSEWHERE = "arn:aws:secretsmanager:us-east-1:222222222222:secret:app/db-AbCdEf"


def _plan() -> Plan:
    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [UNRELATED, PUBLIC]})
    return build_plan([finding("secret-policy-public", "restrict-public-secret-policy")], snap,
                      RemediationConfig(), Selection())


def _edited(tmp_path: Path, edit: Callable[[dict[str, Any]], None], *,
            new_change_id: bool) -> Path:
    """The saved plan edited by ``edit`` with its digests recomputed: the estate fingerprint,
    the plan id (and, with ``new_change_id``, the change ids), so that they agree with the
    edited contents."""
    path = write_plan(tmp_path / "plan.json", _plan())
    doc = json.loads(path.read_text())
    edit(doc)
    changes = []
    for item in doc["changes"]:
        if new_change_id:
            calls = PlannedChange.from_json(item).calls
            item["change_id"] = change_id(item["remediation_id"], item["target"], calls)
        changes.append(PlannedChange.from_json(item))
    est = doc["estate"]
    estate = Estate(org_id=est["org_id"], account_ids=tuple(est["account_ids"]),
                    scan_id=est["scan_id"], audit_role=est.get("audit_role"))
    doc["estate_fingerprint"] = estate.fingerprint
    doc["plan_id"] = make_plan_id(estate, doc["created_at"], tuple(changes),
                                  doc.get("max_age_hours"))
    path.write_text(json.dumps(doc))
    return path


def _call_names(secret: str) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        doc["changes"][0]["calls"][0]["params"]["SecretId"] = secret
    return edit


def test_a_change_whose_calls_were_edited_under_its_id_is_refused(tmp_path: Path) -> None:
    path = _edited(tmp_path, _call_names(OTHER_SECRET), new_change_id=False)

    with pytest.raises(InputError, match=r"field changes\[0\]\.change_id: the change's calls do "
                                         r"not match its id; the plan was changed after it was "
                                         r"written"):
        read_plan(path)


@pytest.mark.parametrize("elsewhere", [OTHER_SECRET, ELSEWHERE])
def test_a_call_to_another_resource_than_the_change_names_is_refused(
        tmp_path: Path, elsewhere: str) -> None:
    path = _edited(tmp_path, _call_names(elsewhere), new_change_id=True)

    with pytest.raises(InputError) as refused:
        read_plan(path)

    said = str(refused.value)
    assert r"field changes[0].calls[0].params.SecretId" in said, said
    assert f"names {elsewhere}, not the change's resource" in said, said
    assert "the plan was changed after it was written" in said, said


def test_a_change_in_another_account_than_its_resource_is_refused(tmp_path: Path) -> None:
    """The change's account is the one whose remediation role makes the calls: with it
    edited, that role would be sent to write a resource of another account."""
    def edit(doc: dict[str, Any]) -> None:
        doc["changes"][0]["account_id"] = "222222222222"
        doc["estate"]["account_ids"] = sorted([*doc["estate"]["account_ids"], "222222222222"])

    path = _edited(tmp_path, edit, new_change_id=True)

    with pytest.raises(InputError, match=r"field changes\[0\]\.account_id: its resource .* is "
                                         rf"of account {ACCT}, not 222222222222"):
        read_plan(path)


def test_the_edited_plan_is_refused_before_any_call(tmp_path: Path, no_aws: list[str],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = _edited(tmp_path, _call_names(OTHER_SECRET), new_change_id=True)

    rc = main(["remediate", "--plan", str(path), "--apply", "--yes",
               "--journal", str(tmp_path / "j.jsonl")])

    err = capsys.readouterr().err
    assert rc == 2, err
    assert "calls[0].params.SecretId" in err, err
    assert no_aws == [] and not (tmp_path / "j.jsonl").exists()
