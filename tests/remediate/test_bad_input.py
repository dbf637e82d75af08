"""Bad input is refused with a clear one-line error (exit 2) and nothing is changed: a stale
plan, a plan for another estate, an edited plan, a journal that does not match.

Most of these run offline, with every AWS call made to fail: a refusal that happens before
anything is sent is the strongest "nothing changed". Two need moto (live identity, undo).
"""

from __future__ import annotations

import os
import stat

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from helpers.remediate_estate import Scanned
from helpers.remediate_estate import CENTRAL, MEMBER, REMEDIATION_ROLE, account_session
from helpers.remediate_records import (PUBLIC, UNRELATED, finding, snapshot, write_scan_dir)
from remediations import all_permissions
from scanner.changes import RemediationConfig
from scanner.cli import main
from scanner.errors import InputError, ReadOnlyViolation
from scanner.remediate.engine import apply_plan
from scanner.remediate.journal import read_journal
from scanner.remediate.planfile import Estate, Plan, estate_of, read_plan, write_plan
from scanner.remediate.permissions import remediation_policy_document
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.sessions import ClientsFactory


def _never(account_id: str) -> Any:
    raise AssertionError(f"asked for clients in {account_id}")


def _offline_plan(now: datetime | None = None) -> Plan:
    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [UNRELATED, PUBLIC]})
    return build_plan([finding("secret-policy-public", "restrict-public-secret-policy")], snap,
                      RemediationConfig(), Selection(), now=now)


@pytest.fixture()
def scan_dir(tmp_path: Path) -> Path:
    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [UNRELATED, PUBLIC]})
    return write_scan_dir(tmp_path / "scan", snap,
                          [finding("secret-policy-public", "restrict-public-secret-policy")])


def test_a_stale_plan_is_refused_before_any_call(tmp_path: Path, no_aws: list[str]) -> None:
    plan = _offline_plan(now=datetime.now(timezone.utc) - timedelta(hours=30))

    with pytest.raises(InputError, match=r"p.json: field created_at: plan is 30\.\d hours old"):
        apply_plan(plan, _never, journal_path=str(tmp_path / "j.jsonl"), plan_path="p.json",
                   max_age_hours=24)

    assert not (tmp_path / "j.jsonl").exists() and no_aws == []


def test_a_plan_a_few_minutes_too_old_says_so_in_minutes(tmp_path: Path,
                                                          no_aws: list[str]) -> None:
    """A new user's trial: max_plan_age_hours 0.1 said "plan is 0.1 hours old (more than 0.1)"."""
    plan = _offline_plan(now=datetime.now(timezone.utc) - timedelta(minutes=8))
    with pytest.raises(InputError, match=r"plan is [78] minutes old \(more than 6 minutes, "
                                         r"max_plan_age_hours\)"):
        apply_plan(plan, _never, journal_path=str(tmp_path / "j.jsonl"), plan_path="p.json",
                   max_age_hours=0.1)


def test_a_plan_for_another_organization_is_refused(tmp_path: Path, no_aws: list[str]) -> None:
    plan = _offline_plan()
    other = Estate(org_id="o-someoneelse1", account_ids=plan.estate.account_ids,
                   scan_id="scan-x")

    with pytest.raises(InputError, match="plan is for organization o-abcdef1234 but the scan "
                                         "is of o-someoneelse1"):
        apply_plan(plan, _never, journal_path=str(tmp_path / "j.jsonl"), plan_path="p.json",
                   max_age_hours=24, current_estate=other)

    assert no_aws == []


def test_a_plan_for_accounts_the_scan_does_not_cover_is_refused(tmp_path: Path,
                                                                no_aws: list[str]) -> None:
    plan = _offline_plan()
    other = Estate(org_id=plan.estate.org_id, account_ids=("444455556666",), scan_id="scan-x")

    with pytest.raises(InputError, match="covers account.s. 111111111111 that the scan does not"):
        apply_plan(plan, _never, journal_path=str(tmp_path / "j.jsonl"), plan_path="p.json",
                   max_age_hours=24, current_estate=other)


def test_a_plan_applied_with_a_scan_of_some_of_its_accounts_names_the_accounts_missing(
        tmp_path: Path, no_aws: list[str]) -> None:
    """Safe-fixes trial round 12: the scan of one account of the organization (--accounts, no
    --org) was refused as "the scan is of (none)", its account a member of the plan's
    organization; what it lacks is the plan's other accounts."""
    plan = _offline_plan()
    subset = Estate(org_id=None, account_ids=("444455556666",), scan_id="scan-x")

    with pytest.raises(InputError, match=r"field estate.account_ids: plan covers account\(s\) "
                                         "111111111111 that the scan does not: give --in the "
                                         "scan the plan was built from"):
        apply_plan(plan, _never, journal_path=str(tmp_path / "j.jsonl"), plan_path="p.json",
                   max_age_hours=24, current_estate=subset)

    every = Estate(org_id=None, account_ids=plan.estate.account_ids, scan_id="scan-x")
    with pytest.raises(InputError, match="plan is for organization o-abcdef1234 but the scan "
                                         r"names none \(scanned without --org, or of accounts "
                                         r"in no organization\): give --in the scan"):
        apply_plan(plan, _never, journal_path=str(tmp_path / "j.jsonl"), plan_path="p.json",
                   max_age_hours=24, current_estate=every)
    assert no_aws == []


def test_an_edited_plan_is_refused(tmp_path: Path) -> None:
    path = write_plan(tmp_path / "plan.json", _offline_plan())
    doc = json.loads(path.read_text())
    doc["changes"][0]["pre_state"] = {"anything": "else"}
    path.write_text(json.dumps(doc))

    with pytest.raises(InputError, match=r"plan.json: field changes\[0\]\.pre_state_digest: "
                                         "pre-state digest does not match"):
        read_plan(path)


def test_a_plan_edited_consistently_still_fails_its_plan_id(tmp_path: Path) -> None:
    plan = _offline_plan()
    (change,) = plan.changes
    path = write_plan(tmp_path / "plan.json",
                      replace(plan, changes=(replace(change, summary="nothing to see"),)))

    with pytest.raises(InputError, match="field plan_id: plan id does not match"):
        read_plan(path)


@pytest.mark.parametrize("key,value,message", [
    ("changes", 5, "field changes: expected a list of changes, not int"),
    ("changes", {"chg-1": {}}, "field changes: expected a list of changes, not dict"),
    ("changes", "chg-1", "field changes: expected a list of changes, not str"),
    ("skipped", 5, "field skipped: expected a list, not int"),
    ("skipped", {"a": 1}, "field skipped: expected a list, not dict"),
])
def test_a_plan_whose_changes_or_skipped_is_not_a_list_is_refused_naming_the_field(
        tmp_path: Path, key: str, value: Any, message: str) -> None:
    """A plan edited by hand: "changes": 5 was 'internal error: TypeError: 'int' object is
    not iterable' (fault-injection trial round 12); a string or an object was taken apart
    into its characters or keys."""
    path = write_plan(tmp_path / "plan.json", _offline_plan())
    doc = json.loads(path.read_text())
    doc[key] = value
    path.write_text(json.dumps(doc))

    with pytest.raises(InputError, match=f"plan.json: {message}"):
        read_plan(path)


def test_a_file_that_is_not_a_journal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text('{"hello": "world"}\n')

    with pytest.raises(InputError, match="notes.jsonl: field line 1: not a secretgraph "
                                         "remediation journal"):
        read_journal(path)


# --------------------------------------------------------------------------- the command


def test_cli_plan_writes_the_plan_and_calls_nothing(scan_dir: Path, no_aws: list[str],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["remediate", "--in", str(scan_dir)])

    out = capsys.readouterr().out
    plan = read_plan(scan_dir / "remediation-plan.json")
    assert rc == 0 and len(plan.changes) == 1 and plan.plan_id in out
    assert "~ statement 1 (Public): changed" in out and "= statement 0 (Keep): unchanged" in out
    assert "nothing was changed" in out and no_aws == []


def test_cli_stale_plan_exits_2_with_one_line(scan_dir: Path, tmp_path: Path, no_aws: list[str],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = write_plan(tmp_path / "old-plan.json",
                      _offline_plan(now=datetime.now(timezone.utc) - timedelta(days=3)))

    rc = main(["remediate", "--plan", str(path), "--in", str(scan_dir), "--apply", "--yes",
               "--remediation-role-name", REMEDIATION_ROLE])

    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert "old-plan.json: field created_at: plan is 72." in err and no_aws == []


def test_cli_bad_config_exits_2_naming_the_field(scan_dir: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("remediation:\n  cmk:\n    '111111111111': {us-east-1: not-an-arn}\n")

    rc = main(["remediate", "--in", str(scan_dir), "--config", str(cfg)])

    assert rc == 2
    assert "cfg.yaml: field remediation.cmk.111111111111.us-east-1" in capsys.readouterr().err


def test_cli_apply_without_yes_needs_a_terminal(scan_dir: Path, no_aws: list[str],
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)

    rc = main(["remediate", "--in", str(scan_dir), "--apply",
               "--remediation-role-name", REMEDIATION_ROLE])

    assert rc == 2 and "stdin is not a terminal" in capsys.readouterr().err and no_aws == []


def test_cli_refuses_the_audit_role_as_the_remediation_role(
        scan_dir: Path, no_aws: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["remediate", "--in", str(scan_dir), "--apply", "--yes",
               "--remediation-role-name", "SecretgraphAudit"])

    assert rc == 2 and "is the audit role of the scan" in capsys.readouterr().err
    assert no_aws == []


def test_cli_refuses_the_audit_role_with_the_plan_alone_before_showing_it(
        scan_dir: Path, no_aws: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """New-user trial: the plan command's own hint (--plan PLAN --apply) skipped the check,
    and with --in the refusal came after the whole plan was printed."""
    assert main(["remediate", "--in", str(scan_dir)]) == 0
    capsys.readouterr()
    plan = str(scan_dir / "remediation-plan.json")
    rc = main(["remediate", "--plan", plan, "--apply", "--yes",
               "--remediation-role-name", "SecretgraphAudit"])
    out, err = capsys.readouterr()
    assert rc == 2 and "is the audit role of the scan" in err
    assert out == ""  # refused before the plan is shown
    assert no_aws == []


def test_cli_plan_out_may_not_replace_the_scans_own_findings(
        scan_dir: Path, no_aws: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """--plan-out S/findings.json replaced the scan's findings with the plan (exit 0)."""
    before = (scan_dir / "findings.json").read_bytes()

    rc = main(["remediate", "--in", str(scan_dir), "--plan-out",
               str(scan_dir / "findings.json")])

    assert rc == 2 and "is a file this command reads" in capsys.readouterr().err
    assert (scan_dir / "findings.json").read_bytes() == before and no_aws == []


@pytest.mark.parametrize("which", ["config", "history"])
def test_cli_plan_out_may_not_replace_the_config_or_the_history(
        scan_dir: Path, tmp_path: Path, no_aws: list[str], which: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Round 2: --plan-out naming --history replaced the SQLite store with the plan (exit 0)."""
    target = tmp_path / ("cfg.yaml" if which == "config" else "h.db")
    target.write_text("rotation_functions: {}\n" if which == "config" else "")
    before = target.read_bytes()

    rc = main(["remediate", "--in", str(scan_dir), f"--{which}", str(target), "--plan-out",
               str(target)])

    assert rc == 2 and "is a file this command reads" in capsys.readouterr().err
    assert target.read_bytes() == before and no_aws == []


@pytest.mark.parametrize("kind", ["device", "fifo", "broken link"])
def test_cli_plan_out_that_is_not_a_regular_file_is_refused(
        scan_dir: Path, tmp_path: Path, no_aws: list[str], kind: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Hostile-input trial: --plan-out naming a character device replaced it with a plain file
    (and wrote .md and .html beside it)."""
    if kind == "device":  # a copy of /dev/null: a regression must not replace the real one
        target = tmp_path / "null"
        try:
            os.mknod(target, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        except PermissionError:
            pytest.skip("creating a device node needs root")
    elif kind == "fifo":
        target = tmp_path / "pipe"
        os.mkfifo(target)
    else:
        target = tmp_path / "link.json"
        target.symlink_to(tmp_path / "nowhere" / "plan.json")

    for force in ([], ["--force"]):
        rc = main(["remediate", "--in", str(scan_dir), "--plan-out", str(target), *force])

        err = capsys.readouterr().err.strip().splitlines()
        assert rc == 2 and len(err) == 1
        assert f"--plan-out {target}: {target} exists and is not a regular file" in err[0]
    assert not target.is_file() and no_aws == []
    assert not [p for p in tmp_path.iterdir() if p.suffix in (".md", ".html")]


def test_cli_plan_out_replaces_an_earlier_plan_but_not_a_users_file_without_force(
        scan_dir: Path, tmp_path: Path, no_aws: list[str],
        capsys: pytest.CaptureFixture[str]) -> None:
    """Hostile-input trial: --plan-out notes.json overwrote an unrelated file (and notes.md
    beside it) without a word. A plan of an earlier run is replaced, as a re-plan always was;
    any other file needs --force, as `baseline init --output-file` does."""
    plan = tmp_path / "out" / "plan.json"
    assert main(["remediate", "--in", str(scan_dir), "--plan-out", str(plan)]) == 0
    assert main(["remediate", "--in", str(scan_dir), "--plan-out", str(plan)]) == 0  # re-plan
    capsys.readouterr()

    notes, notes_md = tmp_path / "notes.json", tmp_path / "notes.md"
    notes.write_text('{"mine": true}\n')
    notes_md.write_text("# my notes\n")
    (tmp_path / "other.json").write_text(plan.read_text())  # an earlier plan, copied
    (tmp_path / "other.md").write_text("# my notes\n")
    for target, refused in ((notes, notes), (tmp_path / "other.json", tmp_path / "other.md")):
        rc = main(["remediate", "--in", str(scan_dir), "--plan-out", str(target)])
        err = capsys.readouterr().err.strip().splitlines()
        assert rc == 2 and len(err) == 1
        assert (f"--plan-out {target}: {refused} exists and is not a remediation plan; pass "
                "--force to replace it") in err[0]
    assert notes.read_text() == '{"mine": true}\n' and notes_md.read_text() == "# my notes\n"

    assert main(["remediate", "--in", str(scan_dir), "--plan-out", str(notes), "--force"]) == 0
    assert json.loads(notes.read_text())["kind"] == "secretgraph-remediation-plan"
    assert notes_md.read_text().startswith("# Remediation plan plan-") and no_aws == []


def test_cli_an_existing_journal_is_refused_before_anything_is_read(
        scan_dir: Path, tmp_path: Path, no_aws: list[str],
        capsys: pytest.CaptureFixture[str]) -> None:
    journal = tmp_path / "journal.jsonl"
    journal.write_text("mine\n")

    rc = main(["remediate", "--in", str(scan_dir), "--apply", "--yes", "--journal",
               str(journal), "--remediation-role-name", REMEDIATION_ROLE])

    assert rc == 2 and "already exists" in capsys.readouterr().err
    assert journal.read_text() == "mine\n" and no_aws == []


def test_cli_an_unwritable_history_is_refused_before_any_change(
        scan_dir: Path, no_aws: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """--history /sys/h.db: the marks were written after the changes (all made, then exit
    2). /sys is read-only even for root."""
    if not os.path.isdir("/sys/kernel"):
        pytest.skip("no sysfs here")

    rc = main(["remediate", "--in", str(scan_dir), "--apply", "--yes", "--history",
               "/sys/h.db", "--remediation-role-name", REMEDIATION_ROLE])

    err = capsys.readouterr().err
    assert rc == 2 and "/sys/h.db: cannot be written" in err and "nothing was changed" in err
    assert not os.path.exists("/sys/h.db")
    assert no_aws == []


def test_cli_a_named_pipe_as_history_is_refused_before_any_change(
        scan_dir: Path, tmp_path: Path, no_aws: list[str],
        capsys: pytest.CaptureFixture[str]) -> None:
    """Fault-injection trial round 21: --apply opened --history for append to see it was
    writable, and open() of a named pipe waits for a reader -- remediate --apply hung there,
    its plan saved, until killed."""
    from scanner.history.sqlite_store import NOT_A_FILE

    pipe = tmp_path / "history.db"
    os.mkfifo(pipe)
    rc = main(["remediate", "--in", str(scan_dir), "--apply", "--yes", "--history",
               str(pipe), "--remediation-role-name", REMEDIATION_ROLE])

    err = capsys.readouterr().err
    assert rc == 2 and f"{pipe}: {NOT_A_FILE}" in err and "nothing was changed" in err
    assert no_aws == []


# --------------------------------------------------------------------------- on moto


def _rotation_enabled(arn: str) -> bool:
    kms = account_session(CENTRAL).client("kms")
    return bool(kms.get_key_rotation_status(KeyId=arn)["KeyRotationEnabled"])


def test_credentials_acting_in_another_account_are_refused(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    plan = build_plan(scanned.findings, scanned.snapshot, scanned.config, Selection())

    def crossed(account_id: str) -> Any:
        return clients(MEMBER if account_id == CENTRAL else CENTRAL)

    with pytest.raises(InputError, match=f"credentials for account {CENTRAL} act in {MEMBER}"):
        apply_plan(plan, crossed, journal_path=str(tmp_path / "j.jsonl"), plan_path="p.json",
                   max_age_hours=24, current_estate=estate_of(scanned.snapshot))

    assert _rotation_enabled(scanned.estate.cmk_arn) is False


def test_cli_apply_then_undo_and_an_undo_journal_is_not_undone_again(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    journal, undo = tmp_path / "journal.jsonl", tmp_path / "undo.jsonl"
    rc = main(["remediate", "--in", str(scanned.scan_dir), "--config", str(scanned.config_path),
               "--apply", "--yes", "--remediation-role-name", REMEDIATION_ROLE,
               "--journal", str(journal)])
    assert rc == 0, capsys.readouterr().err
    assert _rotation_enabled(scanned.estate.cmk_arn) is True
    assert {e.status for e in read_journal(journal).entries} == {"applied"}

    rc = main(["remediate", "--undo", str(journal), "--yes",
               "--remediation-role-name", REMEDIATION_ROLE, "--journal", str(undo)])
    assert rc == 0, capsys.readouterr().err
    assert _rotation_enabled(scanned.estate.cmk_arn) is False

    capsys.readouterr()
    rc = main(["remediate", "--undo", str(undo), "--yes",
               "--remediation-role-name", REMEDIATION_ROLE])
    err = capsys.readouterr().err
    assert rc == 2 and "field mode: this is the journal of an undo" in err
    assert _rotation_enabled(scanned.estate.cmk_arn) is False


def test_remediation_clients_refuse_undeclared_calls_and_secret_values(
        clients: ClientsFactory) -> None:
    sm = clients(CENTRAL).client("secretsmanager", "us-east-1")

    with pytest.raises(ReadOnlyViolation, match="DeleteSecret"):
        sm.delete_secret(SecretId="app/anything")
    with pytest.raises(ReadOnlyViolation, match="never reads secret values"):
        sm.get_secret_value(SecretId="app/anything")


def test_the_remediation_role_policy_allows_what_is_declared_and_denies_values() -> None:
    doc = remediation_policy_document()
    allowed = {a for s in doc["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}
    denied = {a for s in doc["Statement"] if s["Effect"] == "Deny" for a in s["Action"]}

    assert allowed == set(all_permissions())
    assert "secretsmanager:PutResourcePolicy" in allowed and "secretsmanager:DeleteSecret" \
        not in allowed
    assert denied == {"secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue"}


@pytest.mark.parametrize("flags", [["--prove"], ["--prove-timeout", "-3"],
                                   ["--prove", "--prove-timeout", "5"]])
def test_cli_prove_with_a_saved_plan_is_refused_not_ignored(
        scan_dir: Path, no_aws: list[str], capsys: pytest.CaptureFixture[str],
        flags: list[str]) -> None:
    """Safe-fixes trial round 2: `remediate --plan P --prove --prove-timeout -3` exited 0 with
    no proof and no note (the proofs are made while planning), so `--plan P --apply --prove`
    looked proven; the other plan-shaping flags were already refused with a saved plan."""
    assert main(["remediate", "--in", str(scan_dir)]) == 0
    capsys.readouterr()
    plan = str(scan_dir / "remediation-plan.json")
    rc = main(["remediate", "--plan", plan, "--in", str(scan_dir)] + flags)
    err = capsys.readouterr().err
    assert rc == 2 and "a saved --plan is applied as it is" in err and "--prove" in err
    assert no_aws == []


@pytest.mark.parametrize("edit,field", [
    (lambda doc: doc.update(version=2), "version"),
    # JSON's true is no version 1 (scanner.format_version; fault-injection trial round 18)
    (lambda doc: doc.update(version=True), "version"),
    (lambda doc: doc.update(created_at="2026-12-01T00:00:00Z"), "plan_id"),
    (lambda doc: doc["changes"][0]["pre_state"].update(anything="else"),
     r"changes\[0\]\.pre_state_digest"),
    (lambda doc: doc.update(estate_fingerprint="sha256:0"), "estate_fingerprint"),
], ids=["another version", "version true", "edited", "edited pre_state", "edited estate"])
def test_a_plan_that_cannot_be_applied_as_written_says_to_plan_again(
        tmp_path: Path, edit: Any, field: str) -> None:
    """Safe-fixes trial round 10: 'plan version 2 is not 1' and 'plan id does not match its
    contents (edited plan?)' said what was wrong and not what to do: the plan is applied only as
    it was written, by the version that wrote it -- plan again from the scan."""
    path = write_plan(tmp_path / "plan.json", _offline_plan())
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))

    with pytest.raises(InputError, match=f"field {field}: ") as info:
        read_plan(path)
    assert "plan again from the scan" in str(info.value), info.value


@pytest.mark.parametrize("other", [
    Estate(org_id="o-someoneelse1", account_ids=("111111111111",), scan_id="scan-x"),
    Estate(org_id="o-abcdef1234", account_ids=("444455556666",), scan_id="scan-x"),
], ids=["another organization", "other accounts"])
def test_a_plan_for_another_scan_says_which_scan_to_give_or_to_plan_again(
        tmp_path: Path, no_aws: list[str], other: Estate) -> None:
    plan = _offline_plan()
    assert plan.estate.org_id == "o-abcdef1234"

    with pytest.raises(InputError) as info:
        apply_plan(plan, _never, journal_path=str(tmp_path / "j.jsonl"), plan_path="p.json",
                   max_age_hours=24, current_estate=other)
    assert "give --in the scan the plan was built from, or build a new plan from this scan" \
        in str(info.value), info.value


def test_plan_out_beside_a_saved_plan_is_refused_not_ignored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], no_aws: list[str]) -> None:
    """`--plan P --plan-out X` wrote nothing to X and said nothing (safe-fixes trial round 17),
    as --force beside a saved plan is refused: a saved plan is read, never written again."""
    plan = tmp_path / "plan.json"
    write_plan(plan, _offline_plan())
    copy = tmp_path / "reviewed.json"

    assert main(["remediate", "--plan", str(plan), "--plan-out", str(copy)]) == 2

    err = capsys.readouterr().err
    assert "--plan-out" in err and "a saved --plan is not written" in err, err
    assert not copy.exists() and no_aws == []
