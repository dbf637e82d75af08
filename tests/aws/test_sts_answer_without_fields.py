"""An STS answer without the fields the scan cannot go on without is that account's gap, or
one line saying the credentials could not be verified -- never an internal error.

``AssumeRole`` answered without ``Credentials`` (or one of its four fields) raised KeyError out
of the scan: ``secretgraph scan: internal error: KeyError: 'Credentials'``, exit 2, no report,
although every other account could be read; ``GetCallerIdentity`` without ``Account`` the same
(fault-injection trial round 25). The answer is edited after botocore parsed it (STS answers
in XML, where a missing element is a missing key), as a faulty endpoint or proxy would send it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.errors import CredentialsError
from scanner.snapshot_io import read_snapshot

REGION = "us-east-1"
ROLE = "OrganizationAccountAccessRole"


def _without(session: boto3.Session, operation: str, *path: str) -> None:
    """Every ``operation`` answer of STS arrives without the field at ``path``."""

    def hook(parsed: Any = None, model: Any = None, **_: Any) -> None:
        if model is None or model.service_model.service_name != "sts" or \
                model.name != operation or not isinstance(parsed, dict):
            return
        holder = parsed
        for name in path[:-1]:
            holder = holder.get(name) or {}
        holder.pop(path[-1], None)

    session.events.register("after-call", hook)


def _collect(tmp_path: Path, session: boto3.Session, accounts: tuple[str, ...]) -> Path:
    opts = CollectOptions(out=tmp_path / "snap.json.gz", regions=(REGION,), role_name=ROLE,
                          max_attempts=1, accounts=accounts)
    return collect(opts, executor=SynchronousExecutor(), session_factory=lambda _: session)


@pytest.mark.parametrize("path", [("Credentials",), ("Credentials", "AccessKeyId"),
                                  ("Credentials", "SecretAccessKey"),
                                  ("Credentials", "SessionToken"),
                                  ("Credentials", "Expiration")])
def test_assume_role_without_credentials_is_the_accounts_gap_and_the_home_account_is_read(
        tmp_path: Path, estate: Any, scan_session: boto3.Session, path: tuple[str, ...]
) -> None:
    _without(scan_session, "AssumeRole", *path)
    snapshot = read_snapshot(_collect(tmp_path, scan_session,
                                      (estate.management, estate.security)))
    gaps = [c for c in snapshot.coverage if c.operation == "AssumeRole"]
    assert [(c.account_id, c.service, c.error_code) for c in gaps] == \
        [(estate.security, "sts", "UnexpectedAnswer")]
    assert gaps[0].message == f"sts AssumeRole answered without {'.'.join(path)}"
    assert not snapshot.complete
    security = next(a for a in snapshot.accounts if a.account_id == estate.security)
    assert not any(r.secrets for r in security.regions)  # not read, so nothing listed
    home = next(a for a in snapshot.accounts if a.account_id == estate.management)
    assert home.iam is not None  # the account whose credentials the scan started with


def test_caller_identity_without_its_account_is_one_line_about_the_credentials(
        tmp_path: Path, estate: Any, scan_session: boto3.Session) -> None:
    _without(scan_session, "GetCallerIdentity", "Account")
    with pytest.raises(CredentialsError) as caught:
        _collect(tmp_path, scan_session, (estate.security,))
    assert str(caught.value) == ("could not verify the AWS credentials (sts:GetCallerIdentity "
                                 "UnexpectedAnswer: sts GetCallerIdentity answered without "
                                 "Account)")
    assert not (tmp_path / "snap.json.gz").exists()


class _Client:
    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers

    def get_caller_identity(self) -> Any:
        return self.answers["sts"]

    def describe_organization(self) -> Any:
        return self.answers["organizations"]


class _Clients:
    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers

    def client(self, service: str, region: str) -> _Client:
        return _Client(self.answers)


def test_remediate_refuses_an_identity_answer_without_its_account_in_one_line() -> None:
    """The same answer before `remediate --apply` changes anything: KeyError ("internal
    error") became the refusal every unreadable identity gets."""
    from scanner.errors import InputError
    from scanner.remediate.runs import check_live_identity

    clients = _Clients({"sts": {}, "organizations": {}})
    with pytest.raises(InputError) as caught:
        check_live_identity(["111122223333"], None, lambda _: clients, region=REGION,
                            path="plan.json")
    assert "cannot act in account 111122223333 with the remediation role: " in str(caught.value)
    assert "sts GetCallerIdentity answered without Account" in str(caught.value)


def test_remediate_reads_an_organization_answer_without_its_id_as_not_confirmed(
        caplog: pytest.LogCaptureFixture) -> None:
    from scanner.remediate.runs import check_live_identity

    clients = _Clients({"sts": {"Account": "111122223333"}, "organizations": {}})
    check_live_identity(["111122223333"], "o-abc", lambda _: clients, region=REGION,
                        path="plan.json")
    assert "could not confirm the organization from 111122223333" in caplog.text
    assert "organizations DescribeOrganization answered without Organization" in caplog.text
