"""A secret-rotation-no-network-path finding's manual step in `remediate`'s plan is the fix
that finding needs, not every fix the rule knows (new-user trial round 37: the demo's Lambda
with no route to a NAT gateway and no Secrets Manager endpoint was told to "accept the
peering (overlapping CIDRs: renumber one), add routes for the peer CIDR on both sides, and
allow the database port" as well). The predicate names each problem's step
(``evidence.fixes``); the plan prints those in place of the rule's remediation text."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.rule_fixture import load_fixture
from scanner.cli import main
from scanner.snapshot_io import write_snapshot

RULE = "secret-rotation-no-network-path"
#: the text only the rule's catch-all step has
CATCH_ALL = "overlapping CIDRs: renumber one"


def _plan(tmp: Path, capsys: pytest.CaptureFixture[str], rule: str = RULE) -> dict[str, str]:
    snap = write_snapshot(tmp / "snapshot.json.gz", load_fixture(rule).snapshot)
    out = tmp / "scan"
    assert main(["scan", "--snapshot", str(snap), "--out", str(out), "--rules", rule,
                 "--fail-on", "NONE", "-q"]) in (0, 3)  # 3: a fixture with a coverage gap
    capsys.readouterr()
    main(["remediate", "--in", str(out)])
    text = capsys.readouterr().out
    lines: dict[str, str] = {}
    for line in " ".join(text.split("\n")).split(rule)[1:]:
        name = line.split("secret:", 1)[1].split("-AbCdEf", 1)[0]
        lines[name] = line
    return lines


CASES = [
    # no Secrets Manager endpoint and only a 52.94.0.0/16 NAT route
    ("nat-narrow-route", "secretsmanager interface endpoint with private DNS"),
    ("db-peering-pending", "accept peering"),
    ("db-peering-deleted", "create a VPC peering between VPC vpc-hub and database VPC"),
    ("return-route-misses-lambda-subnet", "in the route tables of database VPC"),
]


@pytest.mark.parametrize("name,step", CASES, ids=[c[0] for c in CASES])
def test_the_manual_step_is_the_fix_this_finding_needs(
        name: str, step: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _plan(tmp_path, capsys)[name]
    steps = line.split("manual steps:", 1)[1]
    assert step in steps
    assert CATCH_ALL not in steps


#: rules whose conditions name their steps (``fix:``): the step of the condition that holds,
#: not the rule's every step (the same trial: a yearly schedule was told to run RotateSecret
#: now, a replica on aws/secretsmanager to remove and re-add itself)
DECLARED = [
    ("secret-rotation-overdue", "yearly", "shorten the rotation schedule to at most 90 days",
     "RotateSecret now"),
    ("secret-rotation-overdue", "old", "run RotateSecret now", "shorten the rotation"),
]


@pytest.mark.parametrize("rule,name,step,not_step", DECLARED,
                         ids=[f"{c[0]}:{c[1]}" for c in DECLARED])
def test_a_rules_condition_names_the_step_of_its_finding(
        rule: str, name: str, step: str, not_step: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    steps = _plan(tmp_path, capsys, rule)[name].split("manual steps:", 1)[1]
    assert step in steps
    assert not_step not in steps


def test_a_fix_with_an_unknown_placeholder_is_refused_naming_the_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from helpers.engine_helpers import write_rule

    write_rule(tmp_path, "my-owner-tag",
               "{attribute: name, op: exists, fix: 'tag it with {nosuch}'}")
    assert main(["rules", "validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "fail_when.fix" in err and "nosuch" in err
