"""access --principal with an assumed-role session ARN that a secret policy names: the session is
evaluated as its role ("A session ARN named in a policy is evaluated as its role", docs/access.md;
IAM User Guide, "AWS JSON policy elements: Principal", role session principals), so the query
answers with that role's paths. It was "no principal by that ARN, name or account in the scan"
while the policy named exactly that ARN (ground-truth trial round 16, LOW)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from scanner.commands._access_find import find_principals
from scanner.errors import UsageError

ROLE = "arn:aws:iam::270321700742:role/PaymentsApp"
OTHER = "arn:aws:iam::270321700742:role/Other"
SESSION = "arn:aws:sts::270321700742:assumed-role/PaymentsApp/nightly-export"


def _report(*principals: str) -> SimpleNamespace:
    paths = [SimpleNamespace(principal=p, principal_account=p.split(":")[4]) for p in principals]
    secret = "arn:aws:secretsmanager:us-east-1:463154784078:secret:shared/feed-AbCdEf"
    return SimpleNamespace(secrets={secret: SimpleNamespace(paths=paths, secret_arn=secret,
                                                            grants=())},
                           replicas={}, keys={})


def test_a_session_arn_answers_with_its_role() -> None:
    assert find_principals(_report(ROLE, OTHER), SESSION) == frozenset({ROLE})


def test_a_session_of_a_role_not_in_the_scan_is_still_unknown() -> None:
    with pytest.raises(UsageError, match="no principal by that ARN"):
        find_principals(_report(OTHER), SESSION)


def test_the_answer_for_a_session_says_it_is_its_roles(
        tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """new-user trial round 22: access --principal SESSION_ARN printed the role's rows and
    nothing said that they were the role's, not the session's -- the same answer for a session
    the policy names and one it does not."""
    from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, allow_read_identity, estate,
                                       key_policy_for, role, secret_policy_for)
    from scanner.cli import main
    from scanner.snapshot_io import write_snapshot

    session = f"arn:aws:sts::{MEMBER}:assumed-role/ApplicationRole/nightly-export"
    snap = estate(secret_policy=secret_policy_for(session), key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity(
                      secret=f"arn:aws:secretsmanager:*:{CENTRAL}:secret:other/*")),))
    write_snapshot(tmp_path / "s.json.gz", snap)
    out = tmp_path / "out"
    assert main(["scan", "--snapshot", str(tmp_path / "s.json.gz"), "--out", str(out),
                 "-q"]) in (0, 1)
    capsys.readouterr()
    assert main(["access", "--in", str(out), "--principal", session]) == 0
    printed = capsys.readouterr().out
    assert APP_ROLE in printed
    assert (f"{session} is answered as its role {APP_ROLE} (a session is evaluated as its "
            "role)") in " ".join(printed.split())
    assert main(["access", "--in", str(out), "--principal", APP_ROLE]) == 0
    assert "is answered as its role" not in capsys.readouterr().out
