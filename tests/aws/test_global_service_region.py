"""Where STS, Organizations and IAM are called (fault trial round 3): not simply the first
``--regions`` entry. An opt-in Region is not enabled by default, and AWS rejects the home
credentials there (UnrecognizedClientException); listed first, it ended the scan with exit 2
"the AWS credentials were rejected", listed second it was a region_disabled coverage entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.discovery import global_service_region
from scanner.snapshot_io import read_snapshot

ROLE = "OrganizationAccountAccessRole"
OPT_IN = "ap-southeast-3"


def test_the_first_default_enabled_region_given_is_used() -> None:
    """Fault trial round 3: `--regions ap-southeast-3,us-east-1` sent GetCallerIdentity to
    ap-southeast-3."""
    assert global_service_region((OPT_IN, "eu-west-1", "us-east-1")) == "eu-west-1"
    assert global_service_region(("eu-west-1", OPT_IN)) == "eu-west-1"


def test_only_opt_in_regions_given_uses_the_partitions_global_endpoint_region() -> None:
    assert global_service_region((OPT_IN, "me-south-1")) == "us-east-1"
    assert global_service_region(("cn-northwest-1",)) == "cn-northwest-1"
    assert global_service_region(("us-gov-east-1",)) == "us-gov-east-1"


def _reject_home_credentials_in(region: str) -> Any:
    def hook(model: Any = None, request_signer: Any = None, **_: Any) -> Any:
        if request_signer is None or request_signer._region_name != region:
            return None
        if request_signer._credentials.get_frozen_credentials().access_key != "testing":
            return None
        return (AWSResponse("https://stub", 400, {}, None),
                {"Error": {"Code": "UnrecognizedClientException",
                           "Message": "The security token included in the request is invalid."},
                 "ResponseMetadata": {"HTTPStatusCode": 400}})

    def install(session: boto3.Session) -> None:
        session.events.register("before-call", hook)

    return install


def test_an_opt_in_region_listed_first_is_a_coverage_gap_not_rejected_credentials(
        tmp_path: Path, estate: Any, scan_session: boto3.Session) -> None:
    """Fault trial round 3 (repro_region_order.sh): the same scan exited 1 with us-east-1
    first and 2 ("the AWS credentials were rejected (sts:GetCallerIdentity
    UnrecognizedClientException ...)") with the opt-in Region first."""
    _reject_home_credentials_in(OPT_IN)(scan_session)
    path = collect(CollectOptions(out=tmp_path / "s.json.gz", regions=(OPT_IN, "us-east-1"),
                                  role_name=ROLE, max_attempts=1, org=True),
                   executor=SynchronousExecutor(), session_factory=lambda _: scan_session)
    snapshot = read_snapshot(path)
    assert snapshot.organization is not None
    gaps = {(c.account_id, c.region, c.error_kind) for c in snapshot.coverage}
    assert gaps and all((a, r, k) == (estate.management, OPT_IN, "region_disabled")
                        for a, r, k in gaps)
    management = snapshot.account(estate.management)
    assert management is not None and management.iam is not None
