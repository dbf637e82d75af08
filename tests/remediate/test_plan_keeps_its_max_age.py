"""A plan keeps the max_plan_age_hours of the config it was made with: `remediate --plan P
--apply`, as docs/remediation.md writes it (no --config), refuses it once it is older than
that. Safe-fixes trial round 13: a plan made with `remediation.max_plan_age_hours: 1` was
applied three hours later by the documented command -- the limit came from the --config given
to the apply alone, 24 hours without one. A --config given to the apply can shorten the limit,
never lengthen it; the value is part of the plan id, so an edit of it is refused."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from helpers.remediate_estate import REMEDIATION_ROLE
from helpers.remediate_records import PUBLIC, UNRELATED, finding, snapshot
from scanner.changes import RemediationConfig
from scanner.cli import main
from scanner.errors import InputError
from scanner.remediate.planfile import Plan, read_plan, write_plan
from scanner.remediate.planner import Selection, build_plan


def _plan(*, hours_ago: float, max_age: float) -> Plan:
    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [UNRELATED, PUBLIC]})
    return build_plan([finding("secret-policy-public", "restrict-public-secret-policy")], snap,
                      RemediationConfig(max_plan_age_hours=max_age), Selection(),
                      now=datetime.now(timezone.utc) - timedelta(hours=hours_ago))


def _apply(path: Path, *flags: str) -> int:
    return main(["remediate", "--plan", str(path), "--apply", "--yes",
                 "--remediation-role-name", REMEDIATION_ROLE, *flags])


def test_the_plan_file_records_the_max_age_it_was_made_with(tmp_path: Path) -> None:
    path = write_plan(tmp_path / "plan.json", _plan(hours_ago=0, max_age=1))

    assert json.loads(path.read_text())["max_age_hours"] == 1
    assert read_plan(path).max_age_hours == 1


def test_the_documented_apply_refuses_a_plan_older_than_its_own_max_age(
        tmp_path: Path, no_aws: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    path = write_plan(tmp_path / "plan.json", _plan(hours_ago=2.5, max_age=1))

    rc = _apply(path)

    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert "field created_at: plan is 150 minutes old (more than 60 minutes, " \
        "max_plan_age_hours)" in err, err
    assert no_aws == []


def test_a_config_given_to_the_apply_does_not_lengthen_it(
        tmp_path: Path, no_aws: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    path = write_plan(tmp_path / "plan.json", _plan(hours_ago=2.5, max_age=1))
    config = tmp_path / "config.yaml"
    config.write_text("remediation:\n  max_plan_age_hours: 48\n")

    rc = _apply(path, "--config", str(config))

    err = capsys.readouterr().err
    assert rc == 2 and "plan is 150 minutes old (more than 60 minutes" in err, err
    assert no_aws == []


def test_a_config_given_to_the_apply_can_shorten_it(
        tmp_path: Path, no_aws: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    path = write_plan(tmp_path / "plan.json", _plan(hours_ago=2.5, max_age=24))
    config = tmp_path / "config.yaml"
    config.write_text("remediation:\n  max_plan_age_hours: 2\n")

    rc = _apply(path, "--config", str(config))

    err = capsys.readouterr().err
    assert rc == 2 and "plan is 150 minutes old (more than 120 minutes" in err, err
    assert no_aws == []


def test_an_edited_max_age_is_refused_as_an_edited_plan(tmp_path: Path) -> None:
    path = write_plan(tmp_path / "plan.json", _plan(hours_ago=0, max_age=1))
    doc = json.loads(path.read_text())
    doc["max_age_hours"] = 1000
    path.write_text(json.dumps(doc))

    with pytest.raises(InputError, match="field plan_id: plan id does not match its contents"):
        read_plan(path)
