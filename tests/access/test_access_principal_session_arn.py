"""access --principal with an assumed-role session ARN that a secret policy names: the session is
evaluated as its role ("A session ARN named in a policy is evaluated as its role", docs/access.md;
IAM User Guide, "AWS JSON policy elements: Principal", role session principals), so the query
answers with that role's paths. It was "no principal by that ARN, name or account in the scan"
while the policy named exactly that ARN (ground-truth trial round 16, LOW)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from scanner.commands.access import find_principals
from scanner.errors import UsageError

ROLE = "arn:aws:iam::270321700742:role/PaymentsApp"
OTHER = "arn:aws:iam::270321700742:role/Other"
SESSION = "arn:aws:sts::270321700742:assumed-role/PaymentsApp/nightly-export"


def _report(*principals: str) -> SimpleNamespace:
    paths = [SimpleNamespace(principal=p, principal_account=p.split(":")[4]) for p in principals]
    secret = "arn:aws:secretsmanager:us-east-1:463154784078:secret:shared/feed-AbCdEf"
    return SimpleNamespace(secrets={secret: SimpleNamespace(paths=paths, secret_arn=secret)},
                           replicas={})


def test_a_session_arn_answers_with_its_role() -> None:
    assert find_principals(_report(ROLE, OTHER), SESSION) == frozenset({ROLE})


def test_a_session_of_a_role_not_in_the_scan_is_still_unknown() -> None:
    with pytest.raises(UsageError, match="no principal by that ARN"):
        find_principals(_report(OTHER), SESSION)
