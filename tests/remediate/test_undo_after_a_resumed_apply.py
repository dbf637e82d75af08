"""An apply that goes on from an earlier, stopped apply of the same plan finds that one's
changes in place (no-ops), and its own journal's --undo takes back only what it made: its
"to take it back" line names the earlier apply's --undo too, newest first (safe-fixes trial
round 18: PutResourcePolicy denied halfway, fixed, the same --apply again; the line named the
second journal alone, and running it left the first apply's key-policy statement in place).
The older journal's --undo run first is refused as it was, and now names the later apply whose
--undo comes first (it said only to put each resource back as the apply left it by hand)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from helpers.remediate_estate import CENTRAL, REMEDIATION_ROLE, Scanned, account_session
from scanner.cli import main

_REAL = BaseClient._make_api_call
_READS = ("Describe", "Get", "List", "AssumeRole")
RULES = "secret-policy-public,secret-policy-external-account,secret-cross-account-access-broken"


def _third_write_refused() -> Any:
    made: list[str] = []

    def call(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        if not op.startswith(_READS):
            made.append(op)
            if len(made) == 3:
                raise ClientError({"Error": {"Code": "AccessDeniedException",
                                             "Message": "not allowed"}}, op)
        return _REAL(self, op, params)
    return call


def _policies(scanned: Scanned) -> tuple[str, str]:
    central = account_session(CENTRAL)
    e = scanned.estate
    return (central.client("secretsmanager").get_resource_policy(
                SecretId=e.shared_secret)["ResourcePolicy"],
            central.client("kms").get_key_policy(KeyId=e.cmk_arn, PolicyName="default")["Policy"])


def test_the_undo_line_names_the_earlier_apply_and_both_undos_restore_the_policies(
        scanned: Scanned, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    before = _policies(scanned)
    assert main(["remediate", "--in", str(scanned.scan_dir), "--config",
                 str(scanned.config_path), "--rule", RULES, "-q"]) == 0
    plan_path = scanned.scan_dir / "remediation-plan.json"
    plan = json.loads(plan_path.read_text("utf-8"))
    assert [c["remediation_id"] for c in plan["changes"]] == [
        "grant-key-decrypt", "remove-external-grant", "restrict-public-secret-policy"]
    # the default journal names (stamped to the second), two runs a second apart
    first, second = (scanned.scan_dir / f"remediation-journal-{plan['plan_id']}-{stamp}.jsonl"
                     for stamp in ("20261207T210000Z", "20261207T210100Z"))

    def apply(journal: Path) -> int:
        return main(["remediate", "--in", str(scanned.scan_dir), "--plan", str(plan_path),
                     "--apply", "--yes", "--remediation-role-name", REMEDIATION_ROLE,
                     "--journal", str(journal)])

    with monkeypatch.context() as denied:
        denied.setattr(BaseClient, "_make_api_call", _third_write_refused())
        # the key statement and the first secret-policy edit made, the second edit denied
        assert apply(first) == 1
    capsys.readouterr()

    assert apply(second) == 0

    out = capsys.readouterr().out
    assert "applied 1, noop 2" in out, out
    last = out.rstrip().splitlines()[-1]
    undo = f"secretgraph remediate --undo {{}} --remediation-role-name {REMEDIATION_ROLE}"
    assert last.startswith(f"to take it back: {undo.format(second)}, then "
                           f"{undo.format(first)} (the earlier apply of this plan that made "
                           "2 change(s) this run found in place)"), last

    # the older journal's --undo first: its secret-policy edit is under the later one's,
    # refused, nothing changed, naming the later apply
    capsys.readouterr()
    assert main(["remediate", "--undo", str(first), "--yes", "--remediation-role-name",
                 REMEDIATION_ROLE]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "refusing to undo, nothing was changed" in err, err
    assert (f"a later apply of this plan made 1 change(s) on top of this journal's: run "
            f"--undo {second} first") in err, err

    for journal in (second, first):  # as the line says, newest first
        assert main(["remediate", "--undo", str(journal), "--yes", "-q",
                     "--remediation-role-name", REMEDIATION_ROLE]) == 0
    assert _policies(scanned) == before  # byte for byte

    # both taken back: a third apply makes all three again and names its own journal alone
    third = scanned.scan_dir / f"remediation-journal-{plan['plan_id']}-20261207T210200Z.jsonl"
    capsys.readouterr()
    assert apply(third) == 0
    last = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert last == f"to take it back: {undo.format(third)}", last


def test_an_apply_that_went_on_from_a_finished_one_names_no_earlier_journal(
        scanned: Scanned, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The same plan applied again after it was applied whole: every change a no-op, the
    first apply's --undo is the one that takes them back."""
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    assert main(["remediate", "--in", str(scanned.scan_dir), "--config",
                 str(scanned.config_path), "--rule", RULES, "-q"]) == 0
    plan_path = scanned.scan_dir / "remediation-plan.json"
    plan_id = json.loads(plan_path.read_text("utf-8"))["plan_id"]
    first, second = (scanned.scan_dir / f"remediation-journal-{plan_id}-{stamp}.jsonl"
                     for stamp in ("20261207T210000Z", "20261207T210100Z"))
    for journal in (first, second):
        assert main(["remediate", "--in", str(scanned.scan_dir), "--plan", str(plan_path),
                     "--apply", "--yes", "--remediation-role-name", REMEDIATION_ROLE,
                     "--journal", str(journal)]) == 0

    out = capsys.readouterr().out
    assert "(noop 3)" in out, out
    last = out.rstrip().splitlines()[-1]
    assert last == (f"to take it back: secretgraph remediate --undo {first} "
                    f"--remediation-role-name {REMEDIATION_ROLE} (the earlier apply of this "
                    "plan that made 3 change(s) this run found in place)"), last


def test_a_second_apply_that_stops_again_names_the_earlier_apply_s_undo(
        scanned: Scanned, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The same write denied again: the second run made nothing (two no-ops, one failed), and
    what it says to take back is the first apply's."""
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    assert main(["remediate", "--in", str(scanned.scan_dir), "--config",
                 str(scanned.config_path), "--rule", RULES, "-q"]) == 0
    plan_path = scanned.scan_dir / "remediation-plan.json"
    plan_id = json.loads(plan_path.read_text("utf-8"))["plan_id"]
    first, second = (scanned.scan_dir / f"remediation-journal-{plan_id}-{stamp}.jsonl"
                     for stamp in ("20261207T210000Z", "20261207T210100Z"))
    for journal, refused in ((first, 3), (second, 1)):
        made: list[str] = []

        def call(self: BaseClient, op: str, params: dict[str, Any], n: int = refused,
                 made: list[str] = made) -> Any:
            if not op.startswith(_READS):
                made.append(op)
                if len(made) == n:
                    raise ClientError({"Error": {"Code": "AccessDeniedException",
                                                 "Message": "not allowed"}}, op)
            return _REAL(self, op, params)

        with monkeypatch.context() as denied:
            denied.setattr(BaseClient, "_make_api_call", call)
            assert main(["remediate", "--in", str(scanned.scan_dir), "--plan", str(plan_path),
                         "--apply", "--yes", "--remediation-role-name", REMEDIATION_ROLE,
                         "--journal", str(journal)]) == 1

    out = capsys.readouterr().out
    assert "(failed 1, noop 2)" in out, out
    last = " ".join(out.rstrip().splitlines()[-1].split())
    assert last.endswith(f"to take back what it made: secretgraph remediate --undo {first} "
                         f"--remediation-role-name {REMEDIATION_ROLE} (the earlier apply of "
                         "this plan that made 2 change(s) this run found in place)"), last
