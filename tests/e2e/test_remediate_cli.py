"""`secretgraph remediate` (the plan, nothing applied) read in an 80-column terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.access_estate import estate
from helpers.tty import run_in_tty

from scanner.cli import main
from scanner.snapshot_io import write_snapshot

PUBLIC = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Everyone", "Effect": "Allow", "Principal": "*",
     "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})


def test_the_plan_summary_and_what_is_not_planned_fit_80_columns(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=PUBLIC))
    scan_dir = tmp_path / "scan"
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(scan_dir), "-q"]) == 1
    run = run_in_tty(["remediate", "--in", str(scan_dir)], cols=80, timeout=120)
    assert run.exit_code == 0, run.text
    lines = run.shown.splitlines()
    summary = lines[1:lines.index(next(line for line in lines if line.startswith("[1] ")))]
    not_planned = lines[lines.index(next(line for line in lines
                                         if line.startswith("Not planned"))):
                        lines.index(next(line for line in lines
                                         if line.startswith("plan saved to")))]
    assert any("restrict-public-secret-policy" in line for line in summary)
    assert any("secret-rotation-disabled" in line for line in not_planned)
    too_wide = [line for line in summary + not_planned if len(line) > 80]
    assert too_wide == [], "\n".join(too_wide)
    assert "nothing was changed" in run.text
    # the header and each change's detail (calls, notes, effect) are wrapped too: what is
    # still wider is one word (an ARN, never cut) or the policy diff's JSON
    details = lines[:lines.index(next(line for line in lines if line.startswith("Not planned")))]
    wide = [line for line in details if len(line) > 80 and len(line.split()) > 1
            and not line.lstrip().startswith(("+", "-", "{", "}", '"'))]
    assert wide == [], "\n".join(wide)



# `remediate --apply` up to the question: the engine's checks of the live accounts (which
# need the real resources) are replaced by asking the question as the engine does
APPLY_UP_TO_THE_QUESTION = (
    "-c",
    "import sys\n"
    "import scanner.commands.remediate as remediate\n"
    "from scanner.cli import main\n"
    "def apply_plan(plan, clients, *, confirm, **kwargs):\n"
    "    confirm(f'Apply {len(plan.changes)} change(s) of plan {plan.plan_id} to 1 account(s)?')\n"
    "    raise AssertionError('not interrupted')\n"
    "remediate.apply_plan = apply_plan\n"
    "sys.exit(main(sys.argv[1:]))\n")


def test_the_apply_question_is_seen_when_stdout_goes_to_a_file(tmp_path: Path) -> None:
    """`remediate --plan P --apply > apply.log`: the question is on the terminal, not in the
    log, and Ctrl-C at it says that nothing was changed (exit 130, no traceback)."""
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=PUBLIC))
    scan_dir = tmp_path / "scan"
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(scan_dir), "-q"]) == 1
    assert main(["remediate", "--in", str(scan_dir), "-q"]) == 0
    log = tmp_path / "apply.log"
    run = run_in_tty(["remediate", "--plan", str(scan_dir / "remediation-plan.json"), "--apply",
                      "--remediation-role-name", "Remediator",
                      "--endpoint-url", "http://127.0.0.1:9"],
                     python=APPLY_UP_TO_THE_QUESTION, stdout_path=str(log),
                     ctrl_c_when=r"Type 'yes' to continue: $", timeout=60)
    assert run.interrupted, run.text
    assert "Type 'yes' to continue:" in run.text
    assert run.exit_code == 130, run.text
    assert "Traceback" not in run.text
    assert run.last_message("secretgraph remediate:") == \
        "secretgraph remediate: interrupted at the confirmation; nothing was changed"
    assert "Type 'yes'" not in log.read_text(encoding="utf-8")


def test_a_selector_that_names_nothing_is_refused_and_the_saved_plan_kept(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--rule / --account / --finding with a typo planned 0 changes, exit 0, and replaced the
    saved plan with an empty one."""
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=PUBLIC))
    scan_dir = tmp_path / "scan"
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(scan_dir), "-q"]) == 1
    assert main(["remediate", "--in", str(scan_dir)]) == 0
    saved = (scan_dir / "remediation-plan.json").read_text()
    assert json.loads(saved)["changes"]
    capsys.readouterr()
    for argv, error in (
            (["--rule", "secret-polcy-public"], "--rule: unknown rule or remediation id "
             "'secret-polcy-public'; closest: secret-policy-public"),
            (["--account", "12"], "--account '12': neither a 12-digit account id nor the name "
             "of an account of the scan"),
            (["--account", "999999999999"], "--account 999999999999: not an account of the "
             "scan"),
            (["--finding", "sgf-nope"], "--finding 'sgf-nope': no such finding in the scan")):
        assert main(["remediate", "--in", str(scan_dir), *argv]) == 2
        [line] = capsys.readouterr().err.splitlines()
        assert error in line, line
    assert (scan_dir / "remediation-plan.json").read_text() == saved
    # a valid selection that picks no failing finding keeps the saved plan too; a remediator
    # id (grant-key-decrypt, which no rule declares) is a valid selector
    assert main(["remediate", "--in", str(scan_dir), "--rule", "grant-key-decrypt"]) == 0
    capsys.readouterr()
    assert main(["remediate", "--in", str(scan_dir), "--rule", "secret-unused"]) == 0
    assert "no FAIL finding of the scan matches the selection" in capsys.readouterr().out
    assert (scan_dir / "remediation-plan.json").read_text() == saved
    # a rule's remediation id selects as its rule id does
    assert main(["remediate", "--in", str(scan_dir), "--rule", "secret-policy-public"]) == 0


def test_account_names_select_as_their_ids_do(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """--account took ids only, although every report shows account names."""
    from dataclasses import replace

    snap = estate(secret_policy=PUBLIC)
    central, *others = snap.accounts
    snap = replace(snap, accounts=(replace(central, name="security"),
                                   *(replace(a, name="workloads") for a in others)))
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, snap)
    scan_dir = tmp_path / "scan"
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(scan_dir), "-q"]) == 1
    assert main(["remediate", "--in", str(scan_dir), "--account", central.account_id]) == 0
    by_id = json.loads((scan_dir / "remediation-plan.json").read_text())["changes"]
    assert by_id
    assert main(["remediate", "--in", str(scan_dir), "--account", "security"]) == 0
    assert json.loads((scan_dir / "remediation-plan.json").read_text())["changes"] == by_id
    capsys.readouterr()
    assert len(others) == 2, "two accounts share a name"
    assert main(["remediate", "--in", str(scan_dir), "--account", "workloads"]) == 2
    assert "the name of 2 accounts" in capsys.readouterr().err
    assert main(["remediate", "--in", str(scan_dir), "--account", "securty"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "closest: security" in line, line


def test_a_scan_folder_that_cannot_hold_the_plan_is_named_with_the_way_out(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only --in folder failed naming the plan's internal .tmp file."""
    import scanner.commands.remediate as remediate

    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=PUBLIC))
    scan_dir = tmp_path / "scan"
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(scan_dir), "-q"]) == 1
    capsys.readouterr()
    real = remediate.os.access
    monkeypatch.setattr(remediate.os, "access",
                        lambda p, mode: False if Path(p) == scan_dir else real(p, mode))
    assert main(["remediate", "--in", str(scan_dir)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith(f"the plan cannot be saved in {scan_dir} (not writable); give "
                         "--plan-out FILE")
    assert main(["remediate", "--in", str(scan_dir), "--plan-out",
                 str(tmp_path / "plan.json")]) == 0


def test_empty_selectors_abbreviations_and_selections_that_plan_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A new user's trial: `--finding ""` (an unset variable in a cron line) planned every
    finding; `--ap` was taken for --apply; a selection whose findings are all "not planned"
    replaced the reviewed plan with an empty one; accepting a change that breaks nothing said
    nothing; a plan from an incomplete scan did not say so."""
    from dataclasses import replace

    from scanner.model import CoverageEntry

    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=PUBLIC))
    scan_dir = tmp_path / "scan"
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(scan_dir), "-q"]) == 1
    assert main(["remediate", "--in", str(scan_dir)]) == 0
    plan_file = scan_dir / "remediation-plan.json"
    saved = plan_file.read_text()
    planned = [c["change_id"] for c in json.loads(saved)["changes"]]
    assert planned
    capsys.readouterr()
    for flag, value in (("--finding", ""), ("--rule", ","), ("--account", " "),
                        ("--accept-access-change", "")):
        assert main(["remediate", "--in", str(scan_dir), flag, value]) == 2
        assert f"{flag}: empty value" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["remediate", "--in", str(scan_dir), "--ap"])
    assert exited.value.code == 2
    assert "unrecognized arguments: --ap" in capsys.readouterr().err
    assert main(["remediate", "--in", str(scan_dir), "--plan-out", ""]) == 2
    assert "--plan-out: empty path" in capsys.readouterr().err
    assert plan_file.read_text() == saved

    # rotation has no configured function: the finding is listed as not planned, and the
    # reviewed plan stays
    assert main(["remediate", "--in", str(scan_dir), "--rule", "secret-rotation-disabled"]) == 0
    out = capsys.readouterr().out
    assert "secret-rotation-disabled" in out and \
        f"no change planned for this selection ({plan_file} is unchanged)" in out
    assert plan_file.read_text() == saved

    assert main(["remediate", "--in", str(scan_dir), "--accept-access-change", planned[0]]) == 0
    assert f"--accept-access-change {planned[0]}: that change breaks no access" in \
        capsys.readouterr().err

    gap = CoverageEntry(account_id="222222222222", region="global", service="iam",
                        operation="GetAccountAuthorizationDetails", error_code="AccessDenied",
                        error_kind="denied", message="denied")
    write_snapshot(snapshot, replace(estate(secret_policy=PUBLIC), coverage=(gap,)))
    incomplete = tmp_path / "incomplete"
    main(["scan", "--snapshot", str(snapshot), "--out", str(incomplete), "-q"])
    assert main(["remediate", "--in", str(incomplete)]) == 0
    assert "note: the scan is incomplete (1 coverage gap(s))" in capsys.readouterr().err


def test_a_plan_that_cannot_be_written_is_named_by_its_own_path(tmp_path: Path) -> None:
    from scanner.errors import UsageError
    from scanner.remediate.planfile import Plan, estate_of, write_plan

    plan = Plan(plan_id="plan-1", created_at="2026-12-03T00:00:00Z",
                estate=estate_of(estate(secret_policy=PUBLIC)), changes=(), skipped=())
    with pytest.raises(UsageError, match=r"cannot write the plan to /proc/plan\.json: "):
        write_plan("/proc/plan.json", plan)


def _scanned(tmp_path: Path, secret_policy: str) -> Path:
    """The scan folder of the access estate with this secret policy."""
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=secret_policy))
    scan_dir = tmp_path / "scan"
    main(["scan", "--snapshot", str(snapshot), "--out", str(scan_dir), "-q"])
    return scan_dir


def test_a_fix_that_could_not_plan_anything_is_not_offered_for_explicit_selection(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The plan said 'remove-external-grant runs only when selected explicitly (--rule ...)';
    selecting it answered that the policy would be left empty: a dead end. The reason comes
    first now."""
    only_outsider = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Vendor", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::999999999999:role/Vendor"},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    scan_dir = _scanned(tmp_path, only_outsider)
    capsys.readouterr()
    assert main(["remediate", "--in", str(scan_dir)]) == 0
    plan = json.loads((scan_dir / "remediation-plan.json").read_text())
    [skipped] = [s for s in plan["skipped"] if s["rule_id"] == "secret-policy-external-account"]
    assert "empty policy" in skipped["reason"]
    assert "selected explicitly" not in skipped["reason"]


def test_hostile_sids_reach_neither_access_nor_remediate_output_raw(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A new user's trial: a Sid with an escape sequence and a newline came out raw in
    `access --why` and in the plan (6 ESC bytes, and a forged line '=1+1)')."""
    sid = "Ev\x1b[31mil</script>\n=1+1\r"
    hostile = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": sid, "Effect": "Allow", "Principal": "*",
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    scan_dir = _scanned(tmp_path, hostile)
    capsys.readouterr()
    for argv in (["access", "--in", str(scan_dir), "--why"], ["remediate", "--in", str(scan_dir)]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "Ev\ufffd[31mil</script>\ufffd=1+1\ufffd" in out, argv
        assert "\x1b" not in out and "\r" not in out
        assert not any(line.startswith("=1+1") for line in out.splitlines())


def test_ctrl_c_while_planning_says_nothing_was_changed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A new user's trial: Ctrl-C while `remediate --in DIR --apply --yes` was planning said
    only "secretgraph remediate: interrupted" (exit 130) -- not whether anything had been
    changed, which is what the person who pressed it needs to know."""
    import scanner.commands.remediate as command

    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=PUBLIC))
    scan_dir = tmp_path / "scan"
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(scan_dir), "-q"]) == 1
    capsys.readouterr()

    real_build_plan = command.build_plan

    def pressed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(command, "build_plan", pressed)
    argv = ["remediate", "--in", str(scan_dir), "--apply", "--yes",
            "--remediation-role-name", "Remediator", "--endpoint-url", "http://127.0.0.1:9"]
    assert main(argv) == 130
    plan = scan_dir / "remediation-plan.json"
    # the whole estate was being planned: the one next step is planning a part of it (at
    # 1,000 accounts the progress bar's ETA said 376 h; docs/scale.md)
    assert capsys.readouterr().err.strip() == (
        "secretgraph remediate: interrupted while planning; nothing was changed and no plan "
        "was saved (none written); to plan a part of the estate, give --account A, "
        "--rule R or --finding ID")
    assert not plan.exists()
    # a plan already narrowed is not told to narrow
    assert main([*argv, "--rule", "secret-policy-public"]) == 130
    assert capsys.readouterr().err.strip().endswith("no plan was saved (none written)")
    # an earlier plan there is left as it was, and said so
    monkeypatch.setattr(command, "build_plan", real_build_plan)
    assert main(["remediate", "--in", str(scan_dir), "-q"]) == 0
    before = plan.read_bytes()
    monkeypatch.setattr(command, "build_plan", pressed)
    assert main(argv) == 130
    assert f"no plan was saved ({plan} as it was); to plan a part" in capsys.readouterr().err
    assert plan.read_bytes() == before
