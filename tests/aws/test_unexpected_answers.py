"""A 2xx answer that is not the API's answer (a proxy's login page, a cut-short body) is a
coverage gap, never an account-Region without secrets, keys or VPCs.

botocore reads such a body leniently (a JSON-protocol body that is not JSON parses to
``{"message": ...}``, XML with another root element to no members); before
scanner.aws.responses the collectors saw pages without ``SecretList``, ``Keys`` or ``Vpcs``, the
scan said complete, and the history recorded every secret as removed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from conftest import OTHER_REGION, REGION, ROLE, fresh_session
from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.model import Snapshot
from scanner.snapshot_io import read_snapshot


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def _answer_with(session: boto3.Session, service: str, operation: str, region: str,
                 body: bytes, ctype: str) -> None:
    """Every ``operation`` call in ``region`` gets HTTP 200 with ``body``."""

    def hook(request: Any = None, **_: Any) -> Any:
        url = str(request.url)
        if f".{region}." in url:
            return AWSResponse(url, 200, {"content-type": ctype}, _Raw(body))
        return None

    session.events.register(f"before-send.{service}.{operation}", hook)


def _collect(tmp_path: Path, session: boto3.Session, estate: Any) -> Snapshot:
    opts = CollectOptions(out=tmp_path / "snap.json.gz", regions=(REGION, OTHER_REGION),
                          role_name=ROLE, max_attempts=1, accounts=(estate.security,))
    return read_snapshot(collect(opts, executor=SynchronousExecutor(),
                                 session_factory=lambda _: session))


def _gaps(snapshot: Snapshot) -> set[tuple[str, str, str, str]]:
    return {(c.region, c.service, c.operation, c.error_kind) for c in snapshot.coverage}


@pytest.mark.parametrize("body", [b"<html><body>Please log in</body></html>", b"{not json",
                                  b'{"SecretList": [{"Name": "cut short"'])
def test_a_login_page_or_cut_short_json_for_list_secrets_is_a_gap_not_no_secrets(
        body: bytes, tmp_path: Path, estate: Any) -> None:
    session = fresh_session()
    _answer_with(session, "secrets-manager", "ListSecrets", REGION, body, "text/html")
    snapshot = _collect(tmp_path, session, estate)
    assert (REGION, "secretsmanager", "ListSecrets", "fatal") in _gaps(snapshot)
    gap = next(c for c in snapshot.coverage if c.operation == "ListSecrets")
    assert "is not a JSON object" in gap.message and "HTTP 200" in gap.message
    region = next(r for a in snapshot.accounts for r in a.regions if r.region == REGION)
    assert "secretsmanager" in region.unread_services


@pytest.mark.parametrize("body", [b"<weird/>", b"<html>Please log in</html>",
                                  b'<?xml version="1.0"?><DescribeVpcsResponse><vpcSet>'])
def test_an_xml_answer_of_another_shape_is_a_gap_not_no_vpcs(body: bytes, tmp_path: Path,
                                                             estate: Any) -> None:
    session = fresh_session()
    _answer_with(session, "ec2", "DescribeVpcs", REGION, body, "text/xml")
    snapshot = _collect(tmp_path, session, estate)
    gaps = [c for c in snapshot.coverage if c.operation == "DescribeVpcs"]
    assert gaps and gaps[0].error_kind == "fatal" and gaps[0].region == REGION
    assert "DescribeVpcsResponse" in gaps[0].message


def test_ordinary_answers_pass_the_check(tmp_path: Path, estate: Any) -> None:
    snapshot = _collect(tmp_path, fresh_session(), estate)
    assert snapshot.coverage == () or not any(
        "not a JSON object" in c.message or "Response document" in c.message
        for c in snapshot.coverage)
    secrets = [s.arn for a in snapshot.accounts for r in a.regions for s in r.secrets]
    assert estate.shared_secret_arn in secrets and estate.plain_secret_arn in secrets
