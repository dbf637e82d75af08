"""The predicted effect of a change on a secret opened to ``*`` whose KEY policy names a whole
account: that account's principals read through ``*`` (docs/access.md, "account:<id>"), so a
change that lets them in, cuts them off or leaves them reading says so.

Safe-fixes trial round 2 (c6_ext_star.py, c8_move_widens.py, c9_trusted_star.py): the access
analysis never considered an account only the key named, so move-secret-to-cmk onto a key
letting 999999999999 decrypt was planned "readers +0 -0" for a ``*`` secret (the narrower
named grant was refused), restrict-public-secret-policy cut off a trusted account whose IAM was
not scanned with "readers +0 -0", and remove-external-grant on {"AWS": ["*", "999999999999"]}
predicted the account lost although it still reads through ``*``."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

from helpers.access_estate import (APP_ROLE, CENTRAL, CENTRAL_ROLE, KEY_ARN, MEMBER, OUTSIDER,
                                   allow_read_identity, estate, key_policy_for, role, text)

from scanner.cli import main
from scanner.model import Snapshot
from scanner.snapshot_io import write_snapshot

GET = "secretsmanager:GetSecretValue"
TRUSTED = "777777777777"
STAR = {"Sid": "A", "Effect": "Allow", "Principal": "*", "Action": GET, "Resource": "*"}


def _remediate(tmp_path: Path, snap: Snapshot, config: str, rule: str,
               *extra: str) -> tuple[dict[str, Any] | None, str]:
    """Scan ``snap`` and plan ``rule``'s remediation: (the plan file, or None when nothing was
    planned; the terminal output)."""
    write_snapshot(tmp_path / "snapshot.json.gz", snap)
    (tmp_path / "config.yaml").write_text(config, encoding="utf-8")
    out = tmp_path / "scan"
    assert main(["scan", "--snapshot", str(tmp_path / "snapshot.json.gz"), "--config",
                 str(tmp_path / "config.yaml"), "--out", str(out), "-q"]) in (0, 1)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["remediate", "--in", str(out), "--config", str(tmp_path / "config.yaml"),
                     "--rule", rule, *extra]) == 0
    plan_file = out / "remediation-plan.json"
    plan = json.loads(plan_file.read_text("utf-8")) if plan_file.exists() else None
    return plan, buf.getvalue()


def _principals(effect: dict[str, Any], key: str) -> list[str]:
    return [r["principal"] for r in effect.get(key) or ()]


def test_moving_a_public_secret_to_a_key_an_outsider_may_use_is_refused(
        tmp_path: Path) -> None:
    """safe-fixes trial round 2 (c8): on aws/secretsmanager only the secret's own account can
    decrypt; the CMK's policy lets 999999999999 decrypt through Secrets Manager, so after the
    move that account reads through ``*``: an outside reader gained, refused unless accepted."""
    snap = estate(secret_policy=text(STAR),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root",
                                            f"arn:aws:iam::{OUTSIDER}:root"),
                  kms_key_id=None, principals=(role(CENTRAL_ROLE, allow_read_identity()),))
    config = f"""trusted_accounts: []
remediation:
  cmk:
    "{CENTRAL}": {{us-east-1: "{KEY_ARN}"}}
"""
    plan, out = _remediate(tmp_path, snap, config, "secret-uses-aws-managed-key")
    assert plan is None, plan and [c["change_id"] for c in plan["changes"]]
    assert f"arn:aws:iam::{OUTSIDER}:root (outside the trust zone) gains read access" in out, out
    change_id = out.split("--accept-access-change ")[1].split(")")[0]
    plan, _ = _remediate(tmp_path, snap, config, "secret-uses-aws-managed-key",
                         "--accept-access-change", change_id)
    assert plan is not None
    (move,) = [c for c in plan["changes"] if c["remediation_id"] == "move-secret-to-cmk"]
    assert f"arn:aws:iam::{OUTSIDER}:root" in _principals(move["effect"], "readers_gained")


def test_restricting_the_public_grant_keeps_the_trusted_account(tmp_path: Path) -> None:
    """safe-fixes trial round 2 (c9): the key lets trusted 777777777777 (outside the
    organization, IAM not scanned) decrypt; its principals read through ``*`` today and not
    after aws:PrincipalOrgID alone: an intended reader lost, refused (as when its role is
    scanned, c9b). Ground-truth trial round 30: the fix keeps it instead -- a copy of the
    statement narrowed to the trusted account by aws:PrincipalAccount -- and no reader of the
    trust zone is lost."""
    snap = estate(secret_policy=text(STAR),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root",
                                            f"arn:aws:iam::{TRUSTED}:root"),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    plan, out = _remediate(tmp_path, snap, f"trusted_accounts: ['{TRUSTED}']\n",
                           "secret-policy-public")
    assert plan is not None, out
    (change,) = [c for c in plan["changes"]
                 if c["remediation_id"] == "restrict-public-secret-policy"]
    assert "loses read access" not in out
    assert f"arn:aws:iam::{TRUSTED}:root" not in _principals(change["effect"], "readers_lost")
    conditions = [s.get("Condition") for s in json.loads(change["policy_diff"]["after"])
                  ["Statement"]]
    assert {"StringEquals": {"aws:PrincipalAccount": TRUSTED}} in conditions


def test_removing_the_named_account_beside_a_star_does_not_lose_it(tmp_path: Path) -> None:
    """safe-fixes trial round 2 (c6): {"AWS": ["*", "999999999999"]} with a key naming that
    account: removing the account entry leaves it reading through ``*`` -- no reader lost."""
    snap = estate(
        secret_policy=text({"Sid": "A", "Effect": "Allow",
                            "Principal": {"AWS": ["*", OUTSIDER]}, "Action": GET,
                            "Resource": "*"}),
        key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root",
                                  f"arn:aws:iam::{OUTSIDER}:root"),
        principals=(role(APP_ROLE, allow_read_identity()),))
    plan, out = _remediate(tmp_path, snap, "trusted_accounts: []\n",
                           "secret-policy-external-account")
    assert plan is not None, out
    changes = [c for c in plan["changes"] if c["remediation_id"] == "remove-external-grant"]
    assert changes, out
    for change in changes:
        lost = _principals(change["effect"], "readers_lost")
        assert f"arn:aws:iam::{OUTSIDER}:root" not in lost, change["effect"]


def test_unchanged_when_the_key_names_no_outsider(tmp_path: Path) -> None:
    """safe-fixes trial round 2 (control for c9): with the key naming only the organization,
    restricting ``*`` to the organization loses no reader and is planned."""
    snap = estate(secret_policy=text(STAR),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    plan, out = _remediate(tmp_path, snap, f"trusted_accounts: ['{TRUSTED}']\n",
                           "secret-policy-public")
    assert plan is not None, out
    (change,) = plan["changes"]
    assert change["effect"].get("readers_lost", []) == []
