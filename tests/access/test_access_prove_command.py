"""`secretgraph access --in DIR --prove SECRET [--format json]`: the proof or the witness, the
conditional readers' exact contexts, and a one-line exit 2 when z3 is missing."""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any

import pytest
from helpers.access_estate import (
    APP_ROLE,
    MEMBER,
    REGION,
    SECRET_ARN,
    allow_read_identity,
    estate,
    role,
    text,
)

from scanner.cli import main
from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy
from scanner.snapshot_io import write_snapshot

GSV = "secretsmanager:GetSecretValue"
VIA = f"secretsmanager.{REGION}.amazonaws.com"
SECRET_POLICY = text(
    {"Effect": "Allow", "Principal": {"AWS": APP_ROLE}, "Action": GSV, "Resource": "*",
     "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0abc"}}},
    {"Effect": "Allow", "Principal": "*", "Action": GSV, "Resource": "*",
     "Condition": {"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}})
KEY_POLICY = text({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                   "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": VIA}}})


@pytest.fixture()
def scan_dir(tmp_path: Path) -> Path:
    snap = estate(secret_policy=SECRET_POLICY, key_policy=KEY_POLICY,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    write_snapshot(tmp_path / "snapshot.json.gz", snap)
    return tmp_path


def test_prove_json_gives_a_witness_that_replays_allowed(
        scan_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["access", "--in", str(scan_dir), "--prove", "app/db", "--format",
                 "json"]) == 0
    [proof] = json.loads(capsys.readouterr().out)["proofs"]
    assert proof["secret_arn"] == SECRET_ARN
    read = proof["outside_read"]
    assert read["status"] == "WITNESS", read
    w = read["witness"]
    assert w["principal_account"] not in ("111111111111", MEMBER, "333333333333")
    assert proof["zone_accounts"] == 3
    secret_req = w["requests"]["secret"]
    assert secret_req["context"]["aws:sourceip"][0].startswith("198.51.100.")
    req = Request(principal_arn=w["principal"], principal_account=w["principal_account"],
                  principal_type=w["principal_type"], action=secret_req["action"],
                  resource=secret_req["resource"],
                  context={k: tuple(v) for k, v in secret_req["context"].items()},
                  absent=frozenset(secret_req["absent"]))
    assert evaluate_policy(parse_policy(SECRET_POLICY), req,
                           PolicyKind.RESOURCE).decision.value == "ALLOWED"
    # the member role reads only through the VPC endpoint: question 3 names the context
    [reader] = [r for r in proof["readers"] if r["subject"].startswith(APP_ROLE)]
    assert reader["status"] == "WITNESS", reader
    ctx = reader["witness"]["requests"]["secret"]["context"]
    assert ctx.get("aws:sourcevpce") == ["vpce-0abc"] or \
        ctx["aws:sourceip"][0].startswith("198.51.100.")


def test_prove_table(scan_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["access", "--in", str(scan_dir), "--prove", SECRET_ARN]) == 0
    out = capsys.readouterr().out
    assert "outside the zone, read" in out and "WITNESS" in out
    assert "aws:sourceip=198.51.100." in out
    assert f"conditional reader {APP_ROLE}" in out


def test_prove_without_z3_is_one_line_exit_2(scan_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    real_import = builtins.__import__

    def no_z3(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "z3" or name.startswith("z3."):
            raise ImportError("No module named 'z3'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_z3)
    assert main(["access", "--in", str(scan_dir), "--prove", "app/db"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "secretgraph[prove]" in err[0], err


def test_importing_the_scanner_does_not_need_z3() -> None:
    import subprocess
    import sys

    code = ("import sys; sys.modules['z3'] = None\n"
            "import scanner.cli, scanner.access, scanner.policy, scanner.policy.smt\n"
            "import scanner.commands.access\n"
            "print(scanner.policy.smt.z3_available())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_bad_timeout_exits_2(scan_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["access", "--in", str(scan_dir), "--prove", "app/db",
                 "--prove-timeout", "0"]) == 2
    assert "--prove-timeout" in capsys.readouterr().err
    assert MEMBER  # the estate's member account holds the reader


def test_prove_a_named_principal_with_its_identity_and_boundary(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--prove SECRET --principal X: can X read the secret, with X's identity policy (here: only
    from one VPC endpoint) encoded -- the witness names that endpoint and replays ALLOWED."""
    identity = allow_read_identity()
    identity["Statement"][0]["Condition"] = {"StringEquals": {"aws:SourceVpce": "vpce-0abc"}}
    snap = estate(secret_policy=SECRET_POLICY, key_policy=KEY_POLICY,
                  principals=(role(APP_ROLE, identity),))
    write_snapshot(tmp_path / "snapshot.json.gz", snap)
    assert main(["access", "--in", str(tmp_path), "--prove", "app/db", "--principal",
                 "ApplicationRole", "--format", "json"]) == 0
    [proof] = json.loads(capsys.readouterr().out)["proofs"]
    [named] = proof["principals"]
    assert named["question"] == "principal-read" and named["subject"].startswith(APP_ROLE)
    assert named["status"] == "WITNESS", named
    assert named["replay"]["decision"] == "ALLOWED"
    assert named["witness"]["requests"]["secret"]["context"]["aws:sourcevpce"] == ["vpce-0abc"]
    assert main(["access", "--in", str(tmp_path), "--prove", "app/db", "--principal",
                 APP_ROLE]) == 0
    out = capsys.readouterr().out
    assert f"named principal {APP_ROLE}: WITNESS" in out
    assert "aws:sourcevpce=vpce-0abc" in out


def test_prove_names_the_key_by_alias_as_access_secret_does(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """docs/access.md: "Keys are shown by alias". `access --secret` printed
    'key: alias/app-secrets (arn:...)' and `access --prove` the bare ARN for the same key
    (new-user trial round 9)."""
    from helpers.access_estate import replica_estate

    write_snapshot(tmp_path / "snapshot.json.gz", replica_estate())
    assert main(["access", "--in", str(tmp_path), "--secret", "app/db",
                 "--region", REGION]) == 0
    listed = [line.strip() for line in capsys.readouterr().out.splitlines()
              if line.strip().startswith("key: ")]
    assert main(["access", "--in", str(tmp_path), "--prove", "app/db",
                 "--region", REGION]) == 0
    proved = [line.strip() for line in capsys.readouterr().out.splitlines()
              if line.strip().startswith("key: ")]
    assert listed and listed[0].startswith("key: alias/app-secrets (arn:aws:kms:"), listed
    assert proved == listed[:1]
