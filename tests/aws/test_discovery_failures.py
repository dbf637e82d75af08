"""Organizations discovery that fails (fault trial round 3): a throttled or failed
ListAccounts is not bad usage. Denied keeps exit 2 and the credentials hint; throttled or
failed says what AWS did, that nothing was scanned and to rerun later, and exits 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import boto3
import pytest

from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.discovery import DiscoveryFailed
from scanner.errors import UsageError

ROLE = "OrganizationAccountAccessRole"


def _collect(tmp_path: Path, session: boto3.Session) -> Path:
    return collect(CollectOptions(out=tmp_path / "s.json.gz", regions=("us-east-1",),
                                  role_name=ROLE, max_attempts=2, org=True),
                   executor=SynchronousExecutor(), session_factory=lambda _: session)


def test_a_throttled_list_accounts_is_not_a_usage_error(
        tmp_path: Path, estate: Any, scan_session: boto3.Session,
        fail_call: Callable[..., Callable[[boto3.Session], None]]) -> None:
    """Fault trial round 3 (repro_discovery_throttle.sh): TooManyRequestsException on
    ListAccounts ended in exit 2 and "run with management-account or delegated-administrator
    credentials": a nightly job read a configuration error."""
    fail_call("organizations", "ListAccounts", "TooManyRequestsException", status=400,
              message="another request is already in progress")(scan_session)
    with pytest.raises(DiscoveryFailed) as err:
        _collect(tmp_path, scan_session)
    text = str(err.value)
    assert err.value.exit_code == 3
    assert "throttled" in text and "after 2 attempts" in text
    assert "nothing was scanned" in text and "rerun later" in text
    assert "management-account" not in text
    assert not (tmp_path / "s.json.gz").exists()


def test_a_failed_list_accounts_is_not_a_usage_error(
        tmp_path: Path, estate: Any, scan_session: boto3.Session,
        fail_call: Callable[..., Callable[[boto3.Session], None]]) -> None:
    """Fault trial round 3: the same for AWS failing (ServiceException, HTTP 500)."""
    fail_call("organizations", "ListAccounts", "ServiceException", status=500)(scan_session)
    with pytest.raises(DiscoveryFailed) as err:
        _collect(tmp_path, scan_session)
    assert err.value.exit_code == 3 and "failed" in str(err.value)


def test_a_denied_list_accounts_keeps_exit_2_and_the_credentials_hint(
        tmp_path: Path, estate: Any, scan_session: boto3.Session,
        fail_call: Callable[..., Callable[[boto3.Session], None]]) -> None:
    fail_call("organizations", "ListAccounts", "AccessDeniedException")(scan_session)
    with pytest.raises(UsageError, match="delegated-administrator credentials") as err:
        _collect(tmp_path, scan_session)
    assert err.value.exit_code == 2 and not isinstance(err.value, DiscoveryFailed)


def test_a_throttled_describe_organization_is_not_a_usage_error(
        tmp_path: Path, estate: Any, scan_session: boto3.Session,
        fail_call: Callable[..., Callable[[boto3.Session], None]]) -> None:
    fail_call("organizations", "DescribeOrganization", "TooManyRequestsException",
              status=400)(scan_session)
    with pytest.raises(DiscoveryFailed) as err:
        _collect(tmp_path, scan_session)
    assert err.value.exit_code == 3 and "DescribeOrganization" in str(err.value)


def test_expired_credentials_at_discovery_are_the_operators_to_refresh(
        tmp_path: Path, estate: Any, scan_session: Any, fail_call: Any) -> None:
    """Expired credentials are no AWS-side failure: rerunning later with them cannot succeed.
    Exit 2 saying the scanner's own credentials expired, not 3 "rerun later" (review of the
    day's merges: ExpiredToken became its own kind after this rule was written)."""
    fail_call("organizations", "ListAccounts", "ExpiredTokenException",
              message="The security token included in the request is expired")(scan_session)
    with pytest.raises(UsageError) as err:
        _collect(tmp_path, scan_session)
    assert not isinstance(err.value, DiscoveryFailed)
    assert err.value.exit_code == 2 and "credentials expired" in str(err.value)
