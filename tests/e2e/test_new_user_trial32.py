"""New-user trial round 32: the first morning's questions, asked of the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.cli import main


@pytest.fixture
def scan_out(tmp_path: Path) -> Path:
    """A scan's output folder (findings.json and snapshot.json.gz), written offline."""
    from helpers.access_estate import estate
    from scanner.snapshot_io import write_snapshot

    snap = write_snapshot(tmp_path / "snapshot-in.json.gz", estate(secret_policy=None))
    out = tmp_path / "scan-out"
    assert main(["scan", "--snapshot", str(snap), "--out", str(out), "--format", "json",
                 "--fail-on", "NONE", "-q"]) == 0
    return out


def test_a_dry_run_export_under_an_unknown_aws_profile_needs_no_profile(
        scan_out: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS_PROFILE left naming a profile that does not exist: `export securityhub --dry-run`
    (which sends nothing and needs no credentials) said "internal error: ProfileNotFound" --
    checking the findings against Security Hub's model read the profile."""
    monkeypatch.setenv("AWS_PROFILE", "nosuchprofile")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(scan_out / "no-config"))
    assert main(["export", "securityhub", "--in", str(scan_out), "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("dry run: ")
    assert err == ""


def test_an_export_under_an_unknown_aws_profile_names_the_profile(
        scan_out: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The same export for real says what `--profile nosuchprofile` says, not 'internal
    error'."""
    monkeypatch.setenv("AWS_PROFILE", "nosuchprofile")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(scan_out / "no-config"))
    assert main(["export", "securityhub", "--in", str(scan_out)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "internal error" not in err
    assert "unknown AWS profile 'nosuchprofile'" in err


@pytest.fixture
def read_by_app(tmp_path: Path) -> Path:
    """A scan's output folder where a member account's ApplicationRole reads app/db."""
    from helpers.access_estate import (APP_ROLE, allow_read_identity, estate, key_policy_for,
                                       role, secret_policy_for)
    from scanner.snapshot_io import write_snapshot

    snap = write_snapshot(tmp_path / "snapshot-in.json.gz", estate(
        secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy_for(APP_ROLE),
        principals=(role(APP_ROLE, allow_read_identity()),)))
    out = tmp_path / "scan-out"
    assert main(["scan", "--snapshot", str(snap), "--out", str(out), "--format", "json",
                 "--fail-on", "NONE", "-q"]) == 0
    return out


def test_baseline_check_fits_an_80_column_terminal_and_a_pipe_keeps_each_reader_whole(
        read_by_app: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`baseline check` printed each reader outside the baseline as one line, the secret's
    ARN and the principal's side by side: 121 columns at 80 (260 with a 200-character secret
    name), where every other command's answer is broken between words on a terminal."""
    from helpers.access_estate import APP_ROLE, SECRET_ARN
    from helpers.tty import run_in_tty

    baseline = read_by_app.parent / "baseline.yaml"
    baseline.write_text(f"version: 1\nsecrets:\n  - secret: \"{SECRET_ARN}\"\n"
                        "    readers: []\n", encoding="utf-8")
    args = ["baseline", "check", "--baseline", "baseline.yaml", "--in", "scan-out"]
    run = run_in_tty(args, cols=80, cwd=str(read_by_app.parent))
    assert run.exit_code == 1
    lines = run.text.rstrip().splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    assert lines[0].startswith(f"FAIL     {SECRET_ARN}")
    assert lines[1].strip() == APP_ROLE
    assert lines[2:] == ["1 reader(s) outside the baseline baseline.yaml"]
    # a pipe (grep, a file) keeps a reader on one line, as before
    monkeypatch.chdir(read_by_app.parent)
    assert main(args) == 1
    assert capsys.readouterr().out.splitlines()[0] == f"FAIL     {SECRET_ARN}  {APP_ROLE}"


def test_a_reader_of_a_secret_with_a_200_character_name_starts_beside_its_status() -> None:
    """The ARN too long for the line is broken after a ':' or '/' and starts beside FAIL,
    not on the line after a lone 'FAIL'."""
    from scanner.textfit import fit_line

    arn = ("arn:aws:secretsmanager:us-east-1:111111111111:secret:team/"
           + "very-long-component-" * 9 + "x-AbCdEf")
    lines = fit_line(f"FAIL     {arn}  account:111111111111", 80, hang=9).splitlines()
    assert lines[0] == "FAIL     arn:aws:secretsmanager:us-east-1:111111111111:secret:team/"
    assert all(line.startswith("           ") for line in lines[1:-1])
    assert lines[-1] == "         account:111111111111"
    assert "".join(line.strip() for line in [lines[0][9:], *lines[1:-1]]) == arn


@pytest.mark.parametrize("command", [
    ["access"],
    ["remediate"],
    ["baseline", "init", "--output-file", "{tmp}/baseline.yaml"],
    ["diff"],
])
def test_a_history_file_that_does_not_exist_is_named_so_by_every_command(
        command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt --history (or the first morning, before any scan recorded one): `history
    list` said "no such file yet: a scan with --history FILE creates it", while access said
    '--history FILE: no complete scan recorded', remediate 'no complete scan in the history to
    remediate from', baseline init 'the history holds no complete scan' and diff 'the history
    holds 0 complete of 0' -- four wordings, none saying the file was not there."""
    history = str(tmp_path / "histroy.db")
    args = [a.format(tmp=tmp_path) for a in command] + ["--history", history]
    assert main(args) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"(no such file yet: a scan with --history {history} creates it)" in err
    if command[0] != "diff":
        assert f"error: {history}: the history holds no complete scan (no such" in err
    assert not Path(history).exists()


def test_a_history_holding_no_complete_scan_is_not_said_to_be_missing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An existing history without a complete scan says so, and not 'no such file'."""
    history = tmp_path / "history.db"
    history.touch()
    assert main(["access", "--history", str(history)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err.endswith(f"error: {history}: the history holds no complete scan")


def _two_secrets_of_one_name() -> object:
    """app/db in us-east-1 and another secret, also named app/db, created in eu-west-1 (where
    a replication of the first would have gone: the demo's replica-conflict), both read by
    member ApplicationRole through keys of their own Region."""
    from dataclasses import replace

    from helpers.access_estate import (APP_ROLE, CENTRAL, REGION, SECRET_ARN,
                                       allow_read_identity, estate, key_policy_for, role,
                                       secret_policy_for)
    from scanner.model import RegionSnapshot

    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    accounts = []
    for account in snap.accounts:
        if account.account_id == CENTRAL:
            region = account.regions[0]
            key = region.kms_keys[0]
            other_key = replace(key, arn=key.arn.replace(REGION, "eu-west-1"), region="eu-west-1",
                                policy=key_policy_for(APP_ROLE).replace(REGION, "eu-west-1"))
            other = replace(region.secrets[0], region="eu-west-1", kms_key_id=other_key.arn,
                            arn=SECRET_ARN.replace(REGION, "eu-west-1").replace("AbCdEf",
                                                                                "XyZwVu"))
            account = replace(account, regions=(region, RegionSnapshot(
                region="eu-west-1", secrets=(other,), kms_keys=(other_key,))))
        accounts.append(account)
    return replace(snap, accounts=tuple(accounts),
                   meta=replace(snap.meta, regions=(REGION, "eu-west-1")))


def test_two_secrets_of_one_name_in_two_regions_are_two_secrets_named_by_region() -> None:
    """report.html's Access section listed the demo's two demo/misconfig/replica-conflict
    secrets (us-east-1, and the one squatting on its name in us-west-2) as two identical rows,
    'SecretsRotationRole demo/misconfig/replica-conflict · security', and counted them as one
    secret: a replica says '(replica in R)', another secret of the same name said nothing."""
    from helpers.access_estate import SECRET_ARN

    from reports.html.access_view import build_access_view
    from scanner.access import AccessSettings, analyze_access
    from scanner.graph.builder import build_graph

    snap = _two_secrets_of_one_name()
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    view = build_access_view(graph, access, account_names={})
    [group] = [g for g in view.groups if g.key == "account:222222222222"]
    labels = sorted(p.secret for p in group.pairs)
    assert labels == ["app/db (eu-west-1) · 111111111111", "app/db (us-east-1) · 111111111111"]
    assert group.secrets == 2
    # one secret and its replica are still one secret, its replica named as such
    from helpers.access_estate import REPLICA_ARN, replica_estate

    snap = replica_estate()
    graph = build_graph(snap)
    view = build_access_view(graph, analyze_access(graph, snap, AccessSettings.from_snapshot(
        snap)), account_names={})
    [group] = view.groups
    assert group.secrets == 1
    assert {p.secret_arn: p.secret for p in group.pairs} == {
        SECRET_ARN: "app/db · 111111111111",
        REPLICA_ARN: "app/db (replica in eu-west-1) · 111111111111"}


@pytest.mark.parametrize("key", ["id", "finding_id"])
def test_a_suppression_naming_a_finding_id_says_how_an_entry_names_a_finding(
        key: str, scan_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Muting one finding the first morning: its id copied from findings.json into the entry
    (`id: sgf-...`) was refused with "Additional properties are not allowed ('id' was
    unexpected)" and no way on -- an entry matches findings by rule, account, region, resource
    and tags, which that message did not say."""
    suppressions = tmp_path / "suppressions.yaml"
    suppressions.write_text(f"suppressions:\n  - {key}: sgf-606450dd5f23650bfa6ac8c6e6be4223\n"
                            "    reason: partner onboarding, SEC-42\n"
                            "    expires: 2026-12-31\n", encoding="utf-8")
    assert main(["scan", "--snapshot", str(scan_out / "snapshot.json.gz"), "--out",
                 str(tmp_path / "again"), "--suppressions", str(suppressions)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"suppressions.yaml: field suppressions[0].{key}: " in err
    assert ("an entry matches findings by rule, account, region, resource and tags, not by "
            "finding id: to mute one finding, give its rule_id as rule and its resource.arn "
            "as resource (findings.json)") in err
    assert "Traceback" not in err


def test_one_suppression_entry_has_one_name_in_every_message(
        scan_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The suppression workflow end to end named one entry three ways: the matched-nothing
    note 'suppression 3 (s.yaml:11)', suppression-expired's message 'suppression entry 2
    (suppressions[1]) of s.yaml', and remediate's note 'muted by suppression entry 0 of
    s.yaml' (counted from 0). Each now says 'suppression N (FILE:LINE)', counted from 1."""
    import json

    from scanner.engine.suppressions import entry_label

    document = json.loads((scan_out / "findings.json").read_text(encoding="utf-8"))
    rule = next(f["rule_id"] for f in document["findings"] if f["status"] == "FAIL")
    suppressions = tmp_path / "s.yaml"
    suppressions.write_text(
        "suppressions:\n"
        f"  - rule: {rule}\n    reason: in force\n    expires: 2999-12-31\n"
        f"  - rule: {rule}\n    reason: long gone\n    expires: 2020-01-01\n"
        "  - rule: secret-rotation-disabled\n    resource: 'arn:aws:kms:*:111111111111:key/nope'\n"
        "    reason: a typo\n    expires: 2999-12-31\n", encoding="utf-8")
    out = tmp_path / "muted"
    main(["scan", "--snapshot", str(scan_out / "snapshot.json.gz"), "--out", str(out),
          "--suppressions", str(suppressions), "--format", "json"])
    err = " ".join(capsys.readouterr().err.split())
    assert f"note: suppression 3 ({suppressions}:8) matched no finding" in err
    rows = json.loads((out / "findings.json").read_text(encoding="utf-8"))["findings"]
    [expired] = [f for f in rows if f["rule_id"] == "suppression-expired"]
    assert expired["message"].startswith(f"suppression 2 ({suppressions}:5) expired on 2020-01-01")
    muted = next(f for f in rows if f["status"] == "MUTED")
    assert entry_label(muted["muted_by"]["entry"], muted["muted_by"]["file"]) == \
        f"suppression 1 ({suppressions})"
