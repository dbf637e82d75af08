"""The CLI's own safety: no credential in any log line, outputs written as one set, one-line
errors for an unusable --out, global flags after the command, JSON log lines.

The scans run in-process against the moto server on 127.0.0.1 (tests/conftest.py), so the
credentials moto issued for every AssumeRole can be read back from moto afterwards: they are
the canaries that must never reach stderr.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator

import pytest

from e2e.test_scan_cli import REGION, ROLE, seed
from scanner.cli import main

pytestmark = pytest.mark.e2e

BASE_SECRET = "CANARYbaseSECRETkey0000000000000000000000"
BASE_TOKEN = "CANARYbaseSESSIONtoken000000000000000000000000000000000000"


def issued_credentials() -> set[str]:
    """Every secret key and session token moto handed out for an AssumeRole."""
    from moto.sts.models import sts_backends

    values: set[str] = set()
    for account_backends in sts_backends.values():
        for backend in account_backends.values():
            for role in backend.assumed_roles:
                values.update({role.secret_access_key, role.session_token})
    return values


@pytest.fixture()
def canary_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", BASE_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", BASE_TOKEN)
    monkeypatch.setenv("AWS_SECURITY_TOKEN", BASE_TOKEN)
    yield


@pytest.mark.parametrize("registry", [True, False], ids=["registry", "patterns-only"])
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_debug_never_prints_credentials(
        moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        canary_env: None, monkeypatch: pytest.MonkeyPatch, registry: bool,
        log_format: str) -> None:
    import scanner.aws.session as session_module
    import scanner.logging_setup as logging_setup

    seed(moto_endpoint)
    capsys.readouterr()
    monkeypatch.setattr(logging_setup, "_KNOWN", set())
    monkeypatch.setattr(logging_setup, "_BY_HEAD", {})
    if not registry:  # the patterns alone must catch every shape botocore logs
        monkeypatch.setattr(session_module, "register_secret", lambda *values: None)
    code = main(["scan", "--org", "--role-name", ROLE, "--regions", REGION,
                 "--endpoint-url", moto_endpoint, "--out", str(tmp_path / "out"),
                 "--format", "json", "--debug", "--log-format", log_format])
    captured = capsys.readouterr()
    assert code in (0, 1, 3)
    canaries = issued_credentials() | {BASE_SECRET, BASE_TOKEN}
    assert len(canaries) >= 4  # the member's AssumeRole issued a key and a token
    err = captured.err
    assert "AssumeRole" in err and len(err.splitlines()) > 200  # botocore's debug output ran
    leaked = {c for c in canaries if c in err or c in captured.out}
    assert not leaked
    assert "***" in err
    if log_format == "json":
        for line in err.splitlines():
            entry = json.loads(line)
            assert {"time", "level", "logger", "message"} <= set(entry)


@pytest.mark.parametrize("line", [
    "Response body:\nb'<AssumeRoleResult><Credentials><AccessKeyId>ASIAX</AccessKeyId>"
    "<SecretAccessKey>CANARY1</SecretAccessKey><SessionToken>CANARY2</SessionToken>'",
    "Response: {'Credentials': {'AccessKeyId': 'ASIAX', 'SecretAccessKey': 'CANARY1', "
    "'SessionToken': 'CANARY2', 'Expiration': datetime(2026)}}",
    "headers={'X-Amz-Security-Token': b'CANARY2', 'Authorization': b'AWS4-HMAC-SHA256 "
    "Credential=ASIAX/20261202/us-east-1/sts/aws4_request, SignedHeaders=host, "
    "Signature=CANARY1'}",
    "CanonicalRequest:\nPOST\n/\n\nhost:sts.amazonaws.com\nx-amz-security-token:CANARY2\n",
    "https://x/?X-Amz-Security-Token=CANARY2&X-Amz-Signature=CANARY1",
    '{"roleCredentials":{"accessKeyId":"ASIAX","secretAccessKey":"CANARY1",'
    '"sessionToken":"CANARY2","expiration":1}}',
    '{"accessToken":"CANARY1","refreshToken":"CANARY2"}',
    "{'access_key': 'ASIAX', 'secret_key': 'CANARY1', 'token': 'CANARY2'}",
    "Authorization: AWS4-HMAC-SHA256 Credential=ASIAX/x, SignedHeaders=host, Signature=CANARY1",
])
def test_redact_removes_credential_values_in_every_shape(line: str) -> None:
    from scanner.logging_setup import redact

    text = redact(line)
    assert "CANARY1" not in text and "CANARY2" not in text


def test_redact_keeps_ordinary_lines_readable() -> None:
    from scanner.logging_setup import redact

    line = ("ListSecrets NextToken=abc123 returned 3 secrets; error SignatureDoesNotMatch; "
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-AbCdEf")
    assert redact(line) == line


@pytest.mark.parametrize("flag", ["--debug", "-v", "--verbose", "-q", "--quiet"])
def test_global_flags_are_accepted_after_the_command(
        flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list", flag]) == 0
    assert main([flag, "rules", "list"]) == 0
    assert main(["history", "list", "--history", os.devnull + "x", flag]) in (0, 2)


def test_a_file_as_out_is_a_one_line_error(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    for out in (blocker, blocker / "below"):
        code = main(["scan", "--snapshot", str(tmp_path / "none.json.gz"),
                     "--out", str(out), "--format", "json"])
        err = capsys.readouterr().err
        assert code == 2
        assert len(err.strip().splitlines()) == 1 and "--out" in err, err
    assert blocker.read_text() == "not a folder"


def _scan_json(tmp_path: Path, endpoint: str, out: Path, *formats: str) -> int:
    return main(["scan", "--org", "--role-name", ROLE, "--regions", REGION,
                 "--endpoint-url", endpoint, "--out", str(out),
                 "--format", ",".join(formats or ("json",)), "-q"])


def test_outputs_are_a_set_a_failed_report_keeps_the_previous_one(
        moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import reports

    seed(moto_endpoint)
    out = tmp_path / "out"
    history = tmp_path / "h.db"
    assert _scan_json(tmp_path, moto_endpoint, out, "json", "html", "csv") in (0, 1)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert {"findings.json", "report.html", "findings.csv", "snapshot.json.gz"} <= set(before)

    def broken(ctx: object, path: Path) -> Path:
        path.write_text("half")
        raise OSError(28, "No space left on device")

    monkeypatch.setitem(reports.WRITERS, "html",
                        reports.Writer(filename="report.html", description="x", write=broken))
    capsys.readouterr()
    code = main(["scan", "--org", "--role-name", ROLE, "--regions", REGION,
                 "--endpoint-url", moto_endpoint, "--out", str(out), "--format", "json,html",
                 "--history", str(history)])
    err = capsys.readouterr().err
    assert code == 2
    note, error = err.strip().splitlines()
    assert "No space left" in error
    # what was collected is kept beside --out (a rename: no space needed), and said so
    [kept] = tmp_path.glob("out.collected-*.json.gz")
    assert note.startswith(f"note: the collection was kept: {kept}")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # untouched
    assert not [p for p in tmp_path.iterdir() if ".staging-" in p.name]
    # the history records only scans whose outputs were written
    assert main(["history", "list", "--history", str(history), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["scans"] == []

    monkeypatch.undo()
    # a rescan with fewer formats leaves no report of the previous scan behind
    assert _scan_json(tmp_path, moto_endpoint, out, "json") in (0, 1)
    assert {p.name for p in out.iterdir()} == {"findings.json", "snapshot.json.gz",
                                               ".secretgraph-outputs"}
    assert json.loads((out / "findings.json").read_text())["scan"]["id"] != \
        json.loads(before["findings.json"])["scan"]["id"]


def test_every_scan_ends_with_one_summary_line_and_honours_secretgraph_history(
        moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    seed(moto_endpoint)
    history = tmp_path / "env-history.db"
    monkeypatch.setenv("SECRETGRAPH_HISTORY", str(history))
    for name in ("a", "b"):
        code = main(["scan", "--org", "--role-name", ROLE, "--regions", REGION,
                     "--endpoint-url", moto_endpoint, "--out", str(tmp_path / name),
                     "--format", "json,html"])
        lines = capsys.readouterr().out.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith("scan complete: 2 account(s) x 1 Region(s)")
        assert f"recorded in {history}" in lines[0] and lines[0].endswith(f"exit {code}")
    assert main(["diff", "--format", "json"]) == 0  # diff reads the same variable


@pytest.mark.parametrize("value, error", [
    ("arn:aws:iam::123456789012:role/Audit", "not an ARN"),
    ("path/Audit", "without a path"),
])
def test_role_name_takes_only_a_name(value: str, error: str, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--role-name", value, "--regions", REGION,
                 "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert error in err and "--role-arn" in err and len(err.strip().splitlines()) == 1


def test_role_arn_template_with_a_path_and_regions_separated_by_spaces(
        moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    estate = seed(moto_endpoint)
    code = main(["scan", "--org", "--role-arn",
                 "arn:aws:iam::{account_id}:role/team/audit/" + ROLE,
                 "--regions", f"{REGION} us-west-2", "--endpoint-url", moto_endpoint,
                 "--out", str(tmp_path / "o"), "--format", "json", "-q"])
    doc = json.loads((tmp_path / "o" / "findings.json").read_text())
    assert code in (0, 1)
    assert doc["scan"]["regions"] == [REGION, "us-west-2"]
    assert estate["member"] in doc["scan"]["accounts"]
    assert not [c for c in doc["coverage"] if c["operation"] == "AssumeRole"]


def test_regions_all_means_the_enabled_regions(moto_endpoint: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    from scanner.aws.session import AwsSessions

    enabled = sorted(r["RegionName"] for r in boto3.client(
        "ec2", region_name=REGION, endpoint_url=moto_endpoint).describe_regions()["Regions"])
    asked: list[tuple[str, ...]] = []
    real = AwsSessions.enabled_regions

    def two_of_them(self: AwsSessions, region: str) -> tuple[str, ...]:
        answer = real(self, region)
        asked.append(answer)
        return answer[:2]  # scanning all of moto's Regions would take a minute

    monkeypatch.setattr(AwsSessions, "enabled_regions", two_of_them)
    code = main(["scan", "--regions", "all", "--endpoint-url", moto_endpoint,
                 "--out", str(tmp_path / "o"), "--format", "json", "-q"])
    doc = json.loads((tmp_path / "o" / "findings.json").read_text())
    assert code in (0, 1, 3)
    assert asked == [tuple(enabled)] and len(enabled) > 10
    assert doc["scan"]["regions"] == enabled[:2]


def test_the_profile_region_is_the_default_region(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.commands.scan import resolve_regions

    config = tmp_path / "config"
    config.write_text("[profile audit]\nregion = eu-west-3\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    assert resolve_regions(None, "audit") == (("eu-west-3",), False)
    assert resolve_regions("us-east-1, eu-west-1 ap-south-1", "audit") == \
        (("us-east-1", "eu-west-1", "ap-south-1"), False)
    assert resolve_regions("all", "audit") == (("eu-west-3",), True)
    # AWS_REGION wins over AWS_DEFAULT_REGION and the profile, as in the AWS CLI (a new-user
    # trial: botocore alone reads only AWS_DEFAULT_REGION, and AWS_REGION was ignored)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    assert resolve_regions(None, "audit") == (("us-west-2",), False)
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    assert resolve_regions(None, "audit") == (("ap-southeast-2",), False)
    assert resolve_regions(None, None) == (("ap-southeast-2",), False)


def test_ctrl_c_mid_scan_exits_130_and_leaves_nothing_behind(
        moto_endpoint: str, tmp_path: Path) -> None:
    """A real process, a real SIGINT while it collects."""
    import signal

    from helpers.interrupt import signal_while_working, start

    seed(moto_endpoint)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    out = work / "out"
    history = work / "h.db"
    proc = start(["scan", "--org", "--role-name", ROLE,
                  "--regions", "us-east-1,us-west-2,eu-west-1,eu-central-1,ap-south-1",
                  "--max-workers", "1", "--endpoint-url", moto_endpoint, "--out", str(out),
                  "--format", "json,html", "--history", str(history)], tmp)
    stdout, stderr = signal_while_working(proc, tmp, "secretgraph-collect-*", signal.SIGINT)
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines() == [
        f"secretgraph scan: interrupted; nothing was written ({out} was not created)"]
    assert "Traceback" not in stderr and stdout == ""
    assert list(tmp.iterdir()) == []  # the collection folder was removed
    assert sorted(p.name for p in work.iterdir()) == ["h.db"] or list(work.iterdir()) == []
    if history.exists():
        from scanner.history import open_store

        assert open_store(str(history)).list() == []


@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_an_internal_error_exits_2_with_or_without_debug(
        debug: list[str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """--debug adds the traceback; the exit status stays 2 (1 means findings at --fail-on)."""
    import scanner.commands.rules as rules_command

    def broken(args: object) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(rules_command, "run", broken)
    assert main(["rules", "list", *debug]) == 2
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: a bug" in err
    assert ("Traceback" in err) == bool(debug)
