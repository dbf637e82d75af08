"""New-user trial round 19: export securityhub to an account where Security Hub is not
enabled, notes and export lines at 80 columns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from helpers.report_sample import CENTRAL, MEMBER_C, sample_document
from scanner.cli import main

NOT_SUBSCRIBED = "Account {} is not subscribed to AWS Security Hub"


class _NotEnabledHub:
    """A Security Hub client of an account and Region where Security Hub is not enabled:
    every call is refused with InvalidAccessException, as AWS refuses it."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        self.calls = 0

    def batch_import_findings(self, **_: Any) -> Any:
        self.calls += 1
        raise ClientError({"Error": {"Code": "InvalidAccessException",
                                     "Message": NOT_SUBSCRIBED.format(self.account_id)}},
                          "BatchImportFindings")


def _findings(tmp_path: Path) -> Path:
    path = tmp_path / "findings.json"
    path.write_text(json.dumps(sample_document()), encoding="utf-8")
    return path


def test_export_to_an_account_without_security_hub_says_so_once_per_account(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Security Hub not enabled in the central account: the export printed one line per
    finding (hundreds at organization scale, each with the same AWS message) and never said
    what to do. Now the findings that failed alike in one account and Region are one line
    (their ids are in --report), which says Security Hub is not enabled there; a pair that
    failed alike is still listed one by one."""
    from scanner.aws.session import AwsSessions

    hubs: dict[str, _NotEnabledHub] = {}

    def client(self: Any, service: str, *, account_id: str, region: str) -> Any:
        assert service == "securityhub"
        return hubs.setdefault(account_id, _NotEnabledHub(account_id))

    monkeypatch.setattr(AwsSessions, "client", client)
    monkeypatch.setattr(AwsSessions, "home_account", lambda self: CENTRAL)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    report = tmp_path / "delivery.json"
    assert main(["export", "securityhub", "--findings", str(_findings(tmp_path)),
                 "--role-name", "SecretgraphExport", "--region", "us-east-1",
                 "--report", str(report)]) == 3
    err = capsys.readouterr().err.splitlines()
    central = [line for line in err if f"({CENTRAL} us-east-1)" in line]
    assert len(central) == 1, err  # six findings, one line
    assert central[0].startswith("  not delivered: 6 findings (")
    assert "InvalidAccessException" in central[0]
    assert "Security Hub is not enabled in this account and Region" in central[0]
    assert "--report" in central[0]  # where their ids are
    member = [line for line in err if f"({MEMBER_C} us-east-1)" in line]
    assert len(member) == 2 and all(line.startswith("  not delivered sgf-") for line in member)
    delivery = json.loads(report.read_text())
    assert len(delivery["undelivered"]) == 8  # every id is still in the report
    assert {u["error_code"] for u in delivery["undelivered"]} == {"InvalidAccessException"}


def test_an_answer_that_is_not_aws_is_said_on_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy (or moto, for BatchUpdateFindings) answering an HTML page: its lines were
    printed as they came, a 404 page over six lines of the terminal."""
    from scanner.aws.session import AwsSessions

    page = "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>"

    class _Proxy:
        def batch_import_findings(self, **_: Any) -> Any:
            raise ClientError({"Error": {"Code": "404", "Message": page}},
                              "BatchImportFindings")

    monkeypatch.setattr(AwsSessions, "client",
                        lambda self, service, *, account_id, region: _Proxy())
    monkeypatch.setattr(AwsSessions, "home_account", lambda self: CENTRAL)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    assert main(["export", "securityhub", "--findings", str(_findings(tmp_path)),
                 "--role-name", "SecretgraphExport", "--region", "us-east-1"]) == 3
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 + 2, err  # the central account's six, then the member's two
    assert all("<title>404 Not Found</title> <h1>Not Found</h1>" in line for line in err)


def test_the_note_of_a_suppression_that_matched_nothing_fits_80_columns(
        tmp_path: Path) -> None:
    """`note: suppression 1 (s.yaml:2) matched no finding: rule ..., resource ...; it mutes
    nothing (...)` was one 200-character line on an 80-column terminal, where every other line
    of the scan is broken between words; a file or a pipe keeps it whole (grep)."""
    from helpers.access_estate import estate
    from helpers.tty import run_in_tty

    from scanner.snapshot_io import write_snapshot

    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    suppressions = tmp_path / "suppressions.yaml"
    suppressions.write_text(
        "suppressions:\n"
        "  - rule: secret-policy-public\n"
        "    resource: 'arn:aws:secretsmanager:*:*:secret:typo-of-a-long-prefix/*'\n"
        "    reason: a typo nobody noticed\n"
        "    expires: 2099-01-01\n", encoding="utf-8")
    # relative paths, as typed in the folder (a path is never broken: a long one would not fit)
    args = ["scan", "--snapshot", snapshot.name, "--out", "out", "--format", "json",
            "--suppressions", suppressions.name]
    run = run_in_tty(args, cols=80, timeout=120, cwd=str(tmp_path))
    assert run.exit_code in (0, 1), run.text
    lines = run.shown.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("note: suppression 1"))
    note = " ".join(x.strip() for x in lines[at:at + 4])
    assert "matched no finding" in note and "it mutes nothing" in note, run.text
    assert all(len(x) <= 80 for x in lines), [x for x in lines if len(x) > 80]

    import subprocess
    import sys

    piped = subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True,
                           text=True, timeout=120, cwd=tmp_path)
    notes = [x for x in piped.stderr.splitlines() if x.startswith("note: suppression 1")]
    assert len(notes) == 1 and notes[0].endswith("is fixed)"), piped.stderr


def test_the_dry_run_of_a_second_export_fits_80_columns(tmp_path: Path) -> None:
    """The dry run of the second night's export listed what it would archive and the
    workflow updates as `    RULE  ARN` lines of 100 columns and more at 80: the ARN is now
    broken after a ':' or '/', its rest indented under it (a pipe keeps the line whole)."""
    from helpers.report_sample import drop_findings
    from helpers.tty import run_in_tty

    before = sample_document()
    before["scan"]["complete"] = True
    for finding in before["findings"]:
        if finding["status"] == "MUTED":  # muted tonight: its workflow becomes SUPPRESSED
            finding["status"] = "FAIL"
            finding.pop("muted_by", None)
            before["summary"]["by_status"]["MUTED"] -= 1
            before["summary"]["by_status"]["FAIL"] += 1
    now = sample_document()
    now["scan"].update(complete=True, id="scan-2026-11-30T01:00:00Z",
                       started_at="2026-11-30T01:00:00Z", finished_at="2026-11-30T01:04:10Z")
    drop_findings(now, lambda f: f["rule_id"] == "secret-rotation-disabled")  # resolved
    (tmp_path / "before.json").write_text(json.dumps(before), encoding="utf-8")
    (tmp_path / "now.json").write_text(json.dumps(now), encoding="utf-8")
    args = ["export", "securityhub", "--findings", "now.json", "--previous", "before.json",
            "--dry-run"]
    run = run_in_tty(args, cols=80, timeout=120, cwd=str(tmp_path))
    assert run.exit_code == 0, run.text
    lines = run.shown.splitlines()
    assert any("archived as resolved (1):" in x for x in lines), run.text
    assert any("muted since -> SUPPRESSED" in x for x in lines), run.text
    assert all(len(x) <= 80 for x in lines), [x for x in lines if len(x) > 80]
    said = "".join(x.strip() for x in lines)
    assert "arn:aws:secretsmanager:us-east-1:111111111111:secret:app-b/db-AbCdEf" in said

    import subprocess
    import sys

    piped = subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True,
                           text=True, timeout=120, cwd=tmp_path)
    assert ("    secret-rotation-disabled  arn:aws:secretsmanager:us-east-1:111111111111:"
            "secret:app-b/db-AbCdEf\n") in piped.stdout, piped.stdout


@pytest.mark.parametrize(("text", "flag"), [
    ("suppressions:\n  - rule: secret-unused\n", "--suppressions FILE"),
    ("baseline: baseline.yaml\n", "--baseline FILE"),
    ("fail_on: HIGH\n", "--fail-on SEVERITY"),
    ("fail-on: HIGH\n", "--fail-on SEVERITY"),
    ("regions: [us-east-1]\n", "--regions"),
    ("history: secretgraph.db\n", "--history"),
])
def test_a_command_line_setting_in_the_config_names_its_flag(
        tmp_path: Path, text: str, flag: str) -> None:
    """A newcomer coming from Prowler or Custodian puts the mutelist, the baseline, --fail-on
    or the Regions in secretgraph.yaml: "Additional properties are not allowed ('suppressions'
    was unexpected)" said nothing of where they go. The error now names the flag."""
    from scanner.engine.config import load_config
    from scanner.errors import InputError

    config = tmp_path / "secretgraph.yaml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_config(config)
    said = str(info.value)
    key = text.split(":", 1)[0]
    assert f"'{key}' was unexpected" in said and "secretgraph.yaml" in said
    assert f"`{key}` is a command-line setting, not a configuration key: give {flag}" in said


def test_a_close_key_still_gets_its_did_you_mean(tmp_path: Path) -> None:
    from scanner.engine.config import load_config
    from scanner.errors import InputError

    config = tmp_path / "secretgraph.yaml"
    config.write_text("required_regions: [us-west-2]\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_config(config)
    assert "did you mean required_replica_regions?" in str(info.value)
    assert "command-line" not in str(info.value)


def test_a_rule_switched_off_in_the_config_is_not_evaluated_so_nothing_of_it_is_resolved(
        tmp_path: Path) -> None:
    """`rules.<id>.enabled: false` stops the rule from being evaluated (docs/configuration.md),
    but findings.json's `scan.rules` still listed it, so the night after a newcomer switched
    off kms-key-policy-public `diff` said its CRITICAL finding was "resolved" and `export
    securityhub --previous` archived it in Security Hub, although the key was as public as
    before; `--exclude-rules` of the same rule said "not assessed". Now both say the rule was
    not evaluated."""
    from helpers.engine_helpers import make_secret, make_snapshot

    from reports.json_out import read_findings_json
    from scanner.model import to_jsonable

    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(json.dumps(to_jsonable(make_snapshot(
        make_secret("a", kms_key_id=None, rotation_enabled=False)))), encoding="utf-8")
    config = tmp_path / "secretgraph.yaml"
    config.write_text("rules:\n  secret-rotation-disabled:\n    enabled: false\n",
                      encoding="utf-8")

    def scan(out: str, *flags: str) -> dict[str, Any]:
        assert main(["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / out),
                     "--format", "json", "-q", *flags]) in (0, 1)
        return read_findings_json(tmp_path / out / "findings.json")

    before = scan("before")
    assert any(f["rule_id"] == "secret-rotation-disabled" and f["status"] == "FAIL"
               for f in before["findings"])
    off = scan("off", "--config", str(config))
    excluded = scan("excluded", "--exclude-rules", "secret-rotation-disabled")
    for document in (off, excluded):
        assert "secret-rotation-disabled" not in document["scan"]["rules"]
        assert "secret-uses-aws-managed-key" in document["scan"]["rules"]
        assert not any(f["rule_id"] == "secret-rotation-disabled"
                       for f in document["findings"])

    # the Security Hub archive and drift read scan.rules (scanner.history.assessed): the
    # export's dry run archives nothing of the rule switched off
    for out in ("off", "excluded"):
        report = tmp_path / f"{out}-dry-run.json"
        assert main(["export", "securityhub", "--findings", str(tmp_path / out / "findings.json"),
                     "--previous", str(tmp_path / "before" / "findings.json"), "--dry-run",
                     "-q", "--report", str(report)]) == 0
        assert json.loads(report.read_text())["archived"] == 0


class _Hub:
    """A Security Hub that imports everything; ``stop_on`` (an operation name) raises
    KeyboardInterrupt there, as Ctrl-C arriving during that call does."""

    def __init__(self, stop_on: str | None = None) -> None:
        self.stop_on = stop_on
        self.imported: list[str] = []

    def batch_import_findings(self, *, Findings: list[dict[str, Any]]) -> Any:
        if self.stop_on == "BatchImportFindings":
            raise KeyboardInterrupt
        self.imported.extend(f["Id"] for f in Findings)
        return {"FailedCount": 0, "SuccessCount": len(Findings), "FailedFindings": []}

    def batch_update_findings(self, **kwargs: Any) -> Any:
        if self.stop_on == "BatchUpdateFindings":
            raise KeyboardInterrupt
        return {"ProcessedFindings": kwargs.get("FindingIdentifiers", []),
                "UnprocessedFindings": []}


def _hub(monkeypatch: pytest.MonkeyPatch, hub: _Hub) -> None:
    from scanner.aws.session import AwsSessions

    monkeypatch.setattr(AwsSessions, "client",
                        lambda self, service, *, account_id, region: hub)
    monkeypatch.setattr(AwsSessions, "home_account", lambda self: CENTRAL)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_ctrl_c_after_every_finding_was_delivered_does_not_say_none_was_sent(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C once `Security Hub: 32 of 32 findings delivered` was on the screen (while the
    delivery report was written) said "interrupted before any finding was sent to Security
    Hub" and rewrote --report with "delivered": 0."""
    import scanner.commands.export as export

    hub = _Hub()
    _hub(monkeypatch, hub)
    written = export.write_output

    def stopped(path: str, text: str, flag: str, **kwargs: Any) -> Any:
        if '"interrupted": false' in text:  # the report of the finished delivery
            raise KeyboardInterrupt
        return written(path, text, flag, **kwargs)

    monkeypatch.setattr(export, "write_output", stopped)
    report = tmp_path / "delivery.json"
    from scanner.errors import Interrupted

    with pytest.raises(Interrupted) as info:
        export.run(export_args(tmp_path, "--report", str(report)))
    said = str(info.value)
    assert "before any finding was sent" not in said
    assert "after 8 of 8 findings were delivered to Security Hub" in said, said
    assert len(hub.imported) == 8
    delivery = json.loads(report.read_text())
    assert delivery["delivered"] == 8 and delivery["interrupted"] is True


def test_ctrl_c_during_the_workflow_updates_says_the_findings_were_delivered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C during BatchUpdateFindings (after every import landed) said "interrupted after 0
    of 1 findings were delivered": the counts of the workflow updates, as findings."""
    import scanner.commands.export as export
    from scanner.errors import Interrupted

    hub = _Hub(stop_on="BatchUpdateFindings")
    _hub(monkeypatch, hub)
    before = sample_document()
    for finding in before["findings"]:
        if finding["status"] == "MUTED":  # muted since: a workflow update (SUPPRESSED)
            finding["status"] = "FAIL"
            finding.pop("muted_by", None)
            before["summary"]["by_status"]["MUTED"] -= 1
            before["summary"]["by_status"]["FAIL"] += 1
    (tmp_path / "before.json").write_text(json.dumps(before), encoding="utf-8")
    report = tmp_path / "delivery.json"
    with pytest.raises(Interrupted) as info:
        export.run(export_args(tmp_path, "--previous", str(tmp_path / "before.json"),
                               "--report", str(report)))
    said = str(info.value)
    assert "after 8 of 8 findings were delivered to Security Hub" in said, said
    assert "0 of 1 workflow update(s) made" in said, said
    delivery = json.loads(report.read_text())
    assert delivery["delivered"] == 8 and delivery["interrupted"] is True
    assert delivery["workflow"]["attempted"] == 1 and delivery["workflow"]["delivered"] == 0


def export_args(tmp_path: Path, *extra: str) -> Any:
    """`export securityhub` arguments as the CLI parses them, for export.run."""
    import argparse

    import scanner.commands.export as export

    parser = argparse.ArgumentParser()
    export.add_arguments(parser)
    for flag in ("--debug", "-v", "-q"):
        parser.add_argument(flag, action="store_true",
                            dest={"-v": "verbose", "-q": "quiet"}.get(flag, "debug"))
    return parser.parse_args(["securityhub", "--findings", str(_findings(tmp_path)),
                              "--role-name", "SecretgraphExport", "--region", "us-east-1",
                              *extra])


def test_prune_names_the_full_scan_it_keeps_before_a_narrower_newest_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """After a `--regions us-east-1` night, `history prune --keep 1` said "keeping 2 (always:
    <the narrow night>, the newest complete scan, and the scans after it)": the other scan it
    kept, the full night before it that the next full night compares with, was named
    nowhere."""
    from dataclasses import replace

    from helpers.scanfactory import CENTRAL as ACCOUNT
    from helpers.scanfactory import secret

    from scanner.model import AccountSnapshot, IamSnapshot, RegionSnapshot, ScanMeta, Snapshot
    from scanner.snapshot_io import write_snapshot

    hist = str(tmp_path / "h.db")
    nights = (("n1", "2026-12-01T02:00:00Z", ("us-east-1", "us-west-2")),
              ("n2", "2026-12-02T02:00:00Z", ("us-east-1", "us-west-2")),
              ("n3", "2026-12-03T02:00:00Z", ("us-east-1",)))
    for scan_id, started, regions in nights:
        regs = tuple(RegionSnapshot(region=r, secrets=(
            replace(secret("norot", region=r), rotation_enabled=False, rotation_days=None),))
            for r in regions)
        snap = Snapshot(meta=ScanMeta(scan_id=scan_id, started_at=started,
                                      finished_at=started, accounts=(ACCOUNT,),
                                      regions=regions),
                        accounts=(AccountSnapshot(account_id=ACCOUNT, iam=IamSnapshot(),
                                                  regions=regs),))
        path = tmp_path / f"{scan_id}.json.gz"
        write_snapshot(path, snap)
        assert main(["scan", "--snapshot", str(path), "--out", str(tmp_path / scan_id), "-q",
                     "--format", "json", "--history", hist]) in (0, 1)
    capsys.readouterr()
    assert main(["history", "prune", "--history", hist, "--keep", "1", "--dry-run"]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "keeping 2 (always: n2," in said, said
    assert "n3" in said.split("would delete")[0]  # the narrower newest scan is named too
    assert "would delete 1 scan(s): n1 " in said


def test_debug_logs_never_show_a_lambda_functions_environment_variables() -> None:
    """`--debug` ("safe to paste into an issue", credentials redacted) printed ListFunctions'
    response body whole: every function's Environment.Variables, where database passwords and
    API keys often live, in plain text. Their values are redacted now; the variables' names,
    the functions and the rest of the body stay readable."""
    import io
    import logging

    from scanner.logging_setup import configure

    body = json.dumps({"Functions": [
        {"FunctionName": "app", "Role": "arn:aws:iam::111111111111:role/app",
         "Environment": {"Variables": {"DB_PASSWORD": "hunter2-PLAINTEXT",
                                       "API_KEY": "k}e\\\"y-PLAINTEXT"}}},
        {"FunctionName": "rotate", "Environment": {"Variables": {}}}]}).encode()
    for fmt in ("text", "json"):
        stream = io.StringIO()
        handler = configure(level=logging.DEBUG, fmt=fmt, stream=stream)
        try:
            # as botocore.parsers logs every response at DEBUG
            logging.getLogger("botocore.parsers").debug("Response body:\n%r", body)
            # a parsed response, as a dict repr
            logging.getLogger("scanner.test").debug(
                "%s", {"FunctionName": "app", "Environment": {"Variables": {
                    "DB_PASSWORD": "hunter2-PLAINTEXT"}}})
        finally:
            logging.getLogger().removeHandler(handler)
        shown = stream.getvalue()
        assert "PLAINTEXT" not in shown, shown
        assert "DB_PASSWORD" in shown and "API_KEY" in shown and "rotate" in shown
        assert "arn:aws:iam::111111111111:role/app" in shown


def test_export_given_the_other_kind_of_file_names_the_flag_it_takes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`export securityhub --findings out/findings.asff.json` said "expected a JSON object",
    `--asff out/findings.json` "expected a JSON list of ASFF findings": true, but not which
    flag takes the file given."""
    from reports.asff import build_asff

    document = sample_document()
    findings = _findings(tmp_path)
    asff = tmp_path / "findings.asff.json"
    asff.write_text(json.dumps(build_asff(document)), encoding="utf-8")
    assert main(["export", "securityhub", "--findings", str(asff), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "an ASFF file" in err and "--asff" in err, err
    assert main(["export", "securityhub", "--asff", str(findings), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "a findings.json" in err and "--findings" in err, err


def test_a_ledger_that_is_not_json_says_so(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """`--ledger notes.txt` said "--ledger: Expecting value: line 1 column 1 (char 0)"."""
    ledger = tmp_path / "ledger.json"
    ledger.write_text("not json\n", encoding="utf-8")
    assert main(["export", "securityhub", "--findings", str(_findings(tmp_path)),
                 "--ledger", str(ledger), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "--ledger: not a JSON file (Expecting value: line 1 column 1" in err, err
    assert str(ledger) in err
