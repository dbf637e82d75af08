"""A witness of ``access --prove`` is a request a reader can take at face value: the solver
may pick any IAM name ([A-Za-z0-9+=,.@_-], 1-64), and its first pick was often one
punctuation character -- ``arn:aws:iam::999999999999:role/+`` -- which reads as a parsing
error (new-user trials' leftover, twenty-sixth session). A readable name (a lower-case letter,
then letters, digits and "-") is tried first; where the policy itself asks for another name
that name is the witness, as before."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers.access_estate import MEMBER, OUTSIDER, estate, key_policy_for, text

from scanner.cli import main
from scanner.snapshot_io import write_snapshot

pytest.importorskip("z3")

GET = "secretsmanager:GetSecretValue"
READABLE = re.compile(r"^arn:aws:iam::\d{12}:role/[a-z][a-z0-9-]*$")


def _witness(tmp_path: Path, capsys: pytest.CaptureFixture[str], statement: dict) -> dict:
    snap = estate(secret_policy=text(statement),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root",
                                            f"arn:aws:iam::{OUTSIDER}:root"))
    path = write_snapshot(tmp_path / "snapshot.json.gz", snap)
    assert main(["access", "--snapshot", str(path), "--prove", "app/db", "--format",
                 "json"]) == 0
    [proof] = json.loads(capsys.readouterr().out)["proofs"]
    read = proof["outside_read"]
    assert read["status"] == "WITNESS", read
    return read["witness"]


def test_a_public_grant_s_witness_is_a_readable_role(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = _witness(tmp_path, capsys, {"Sid": "A", "Effect": "Allow", "Principal": "*",
                                    "Action": GET, "Resource": "*"})
    assert READABLE.match(w["principal"]), w["principal"]


def test_a_name_the_policy_asks_for_is_still_found(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Only role names starting "+" are let in: no readable name can be the witness, the
    whole name space is searched and the witness is one of those."""
    w = _witness(tmp_path, capsys, {
        "Sid": "A", "Effect": "Allow", "Principal": "*", "Action": GET, "Resource": "*",
        "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/+ops*"}}})
    assert re.match(r"^arn:aws:iam::\d{12}:role/\+ops", w["principal"]), w["principal"]
