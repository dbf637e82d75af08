"""User trial round 25 (the CLI as users run it, a security engineer evaluating it from a fresh
clone): mistakes a new user makes, answered at once and naming what they gave."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.access_estate import estate

from scanner.cli import main
from scanner.commands import report as report_command
from scanner.snapshot_io import write_snapshot


@pytest.fixture()
def scanned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    out = tmp_path / "scan"
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(out), "-q"]) in (0, 1)
    capsys.readouterr()
    return out


def _read_only(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """``folder`` refuses writes (root ignores file modes: the refusal is simulated)."""
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == folder
                        and mode & os.W_OK else real_access(p, mode, **kw))


def _no_loading(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Records (and refuses) loading the scan folder: the findings, snapshot and access
    analysis (about 30 s at 1,000 accounts)."""
    loaded: list[Path] = []

    def load(in_dir: Path, **kwargs: object) -> object:
        loaded.append(in_dir)
        raise AssertionError("loaded before the output folder was checked")

    monkeypatch.setattr(report_command, "load_rendered", load)
    return loaded


def test_report_into_a_read_only_scan_folder_is_refused_before_loading_it(
        scanned: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`report --in DIR` on a folder it cannot write (a read-only mount of last night's
    scan) loaded the findings, the snapshot and the access analysis first (8.5 s at 1,000
    accounts on a loaded 2-core machine), then said '--out DIR: DIR is not writable' of an
    option the user had not given."""
    _read_only(monkeypatch, scanned)
    loaded = _no_loading(monkeypatch)
    assert main(["report", "--in", str(scanned), "--format", "html"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert loaded == []
    assert line.startswith(f"secretgraph report: error: --in {scanned}: "), line
    assert "not writable" in line and "--out DIR" in line, line


def test_report_with_an_out_it_cannot_write_names_out_before_loading(
        scanned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "shared"
    target.mkdir()
    _read_only(monkeypatch, target)
    loaded = _no_loading(monkeypatch)
    assert main(["report", "--in", str(scanned), "--out", str(target)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert loaded == []
    assert line == f"secretgraph report: error: --out {target}: {target} is not writable"


def test_report_table_to_the_terminal_reads_a_read_only_folder(
        scanned: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`--format table` without --out writes nothing: a read-only folder is fine."""
    _read_only(monkeypatch, scanned)
    assert main(["report", "--in", str(scanned), "--format", "table"]) == 0
    assert "results" in capsys.readouterr().out


@pytest.mark.parametrize("argv, said", [
    (["--format", "table,pdf"], "--format: unknown report format 'pdf'"),
    (["--accounts", "12345678901", "--role-name", "Audit"],
     "malformed account id '12345678901': expected 12 digits"),
])
def test_a_mistyped_option_is_named_before_the_missing_region(
        argv: list[str], said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A new machine has no Region configured: `scan --format table,pdf` and `scan
    --accounts 12345678901` answered 'no Region: give --regions ...', and only once a Region
    was set named the format or the account id (two round trips for one command line)."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    assert main(["scan", "--out", str(tmp_path / "out"), *argv]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"secretgraph scan: error: {said}"), line
    assert not (tmp_path / "out").exists()


def test_collect_names_a_mistyped_account_id_before_the_missing_region(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The same for `collect` (left by round 25): one check of an account id
    (collect_options.check_account_ids) for scan, collect and the options they build."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    assert main(["collect", "--accounts", "12345678901", "--run-id", "r1", "--shard", "1/1",
                 "--parts", str(tmp_path / "parts")]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line == ("secretgraph collect: error: malformed account id '12345678901': "
                    "expected 12 digits"), line
    assert not (tmp_path / "parts").exists()


def _public(action: str) -> str:
    import json

    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": action,
        "Resource": "*"}]})


def test_a_public_policy_finding_names_the_policy_in_words(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The morning read: 'resource_policy allows everyone ...' (an attribute's name) on the
    secret's finding and 'policy allows everyone ...' on the key's, which policy not said."""
    import json

    snapshot = tmp_path / "public.json.gz"
    write_snapshot(snapshot, estate(secret_policy=_public("secretsmanager:GetSecretValue"),
                                    key_policy=_public("kms:Decrypt")))
    main(["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "out"), "-q",
          "--rules", "secret-policy-public,kms-key-policy-public"])
    document = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    said = {f["rule_id"]: f["message"] for f in document["findings"]
            if f["status"] == "FAIL"}
    assert said == {
        "secret-policy-public": "the secret's resource policy allows everyone without a "
                                "narrowing condition: statement 0 (Everyone)",
        "kms-key-policy-public": "the key policy allows everyone without a narrowing "
                                 "condition: statement 0 (Everyone)"}, said


def _public_secret_message(tmp_path: Path, key_policy: str) -> str:
    import json

    snapshot = tmp_path / "public-secret.json.gz"
    write_snapshot(snapshot, estate(secret_policy=_public("secretsmanager:GetSecretValue"),
                                    key_policy=key_policy))
    main(["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "o"), "-q",
          "--rules", "secret-policy-public"])
    document = json.loads((tmp_path / "o" / "findings.json").read_text(encoding="utf-8"))
    [message] = [f["message"] for f in document["findings"] if f["status"] == "FAIL"]
    return str(message)


def test_a_public_secret_policy_says_when_its_key_keeps_callers_outside_out(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The demo's CRITICAL secret-policy-public said only 'allows everyone', while `access
    --prove` on the same secret answered PROVEN_NONE (its key lets no one outside decrypt)
    and secret-policy-external-account says 'currently blocked by key_policy' of the same
    situation: the two answers read as contradictory."""
    import json

    from helpers.access_estate import CENTRAL

    own_account_only = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
        "Action": "kms:*", "Resource": "*"}]})
    assert _public_secret_message(tmp_path, own_account_only) == (
        "the secret's resource policy allows everyone without a narrowing condition: "
        "statement 0 (Everyone); a caller outside is currently blocked by key_policy")


def test_a_public_secret_policy_with_a_public_key_says_nothing_blocks(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message = _public_secret_message(tmp_path, _public("kms:Decrypt"))
    assert message == ("the secret's resource policy allows everyone without a narrowing "
                       "condition: statement 0 (Everyone)"), message
