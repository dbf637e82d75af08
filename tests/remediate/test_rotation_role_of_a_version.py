"""The role a secret's rotation runs as, as remediation reads it (remediations.base.rotation_role,
which grant-key-decrypt checks a secret-rotation-role-cannot-read finding's execution_role
against): the role of the version or alias its RotationLambdaARN names, as the rule judged it
(graph.schema.rotation_execution_role). Ground-truth trial round 29: ...:function:rotate:live,
whose version 1 runs as OldRotator while $LATEST runs as NewRotator, was refused as "not the
role the secret's rotation function runs as in the snapshot: rescan and plan again", every
night, however often it was rescanned."""

from __future__ import annotations

import pytest

from remediations.base import rotation_role
from scanner.model import (AccountSnapshot, FunctionVersion, LambdaFunction, RegionSnapshot,
                           ScanMeta, Secret, Snapshot)

ACCT, REGION = "111111111111", "us-west-2"
FN = f"arn:aws:lambda:{REGION}:{ACCT}:function:rotate"
OLD, NEW = (f"arn:aws:iam::{ACCT}:role/{n}" for n in ("OldRotator", "NewRotator"))


def _snapshot(*secrets: Secret) -> Snapshot:
    fn = LambdaFunction(arn=FN, name="rotate", account_id=ACCT, region=REGION, role_arn=NEW,
                        qualifiers=("1", "live", "2"), missing_qualifiers=("gone",),
                        qualifier_settings={"1": FunctionVersion(role_arn=OLD),
                                            "live": FunctionVersion(role_arn=OLD),
                                            "2": FunctionVersion(role_arn=NEW)})
    return Snapshot(meta=ScanMeta(scan_id="t", started_at="2026-12-08T00:00:00Z"),
                    accounts=(AccountSnapshot(account_id=ACCT, regions=(RegionSnapshot(
                        region=REGION, secrets=secrets, lambda_functions=(fn,)),)),))


def _secret(rotation: str | None, enabled: bool = True) -> Secret:
    return Secret(arn=f"arn:aws:secretsmanager:{REGION}:{ACCT}:secret:s", name="s",
                  account_id=ACCT, region=REGION, rotation_enabled=enabled,
                  rotation_lambda_arn=rotation)


@pytest.mark.parametrize(("rotation", "role"), [
    (f"{FN}:live", OLD), (f"{FN}:1", OLD), (f"{FN}:2", NEW), (f"{FN}:$LATEST", NEW), (FN, NEW),
    # Lambda answered not found: the function runs nothing for it
    (f"{FN}:gone", None),
    # a qualifier not read (no settings kept): not known, never $LATEST's role
    (f"{FN}:blue", None),
    (f"arn:aws:lambda:{REGION}:{ACCT}:function:other", None)])
def test_a_version_or_alias_runs_as_its_own_role(rotation: str, role: str | None) -> None:
    secret = _secret(rotation)
    assert rotation_role(_snapshot(secret), secret) == role


def test_rotation_switched_off_runs_no_role() -> None:
    secret = _secret(f"{FN}:live", enabled=False)
    assert rotation_role(_snapshot(secret), secret) is None
