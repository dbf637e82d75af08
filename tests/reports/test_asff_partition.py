"""ASFF (and OCSF) name the partition of the Region a finding is in, never a fixed ``aws``:
ASFF Resources[].Partition is "The canonical AWS partition name that the Region is assigned
to", and the custom product is arn:<partition>:securityhub:<region>:<account>:product/<account>/
default (concept review round 1, defect 7: a scan of aws-us-gov exported partition ``aws``)."""

from __future__ import annotations

import json
import os
import time
from typing import Any, Iterator

import pytest

from helpers.report_sample import KEY, sample_document, sample_graph
from reports.asff import build_asff, retarget_central, target_of, validate_asff
from reports.ocsf import to_ocsf
from scanner.aws.regions import region_partition

GOV = "us-gov-west-1"


def _gov_document() -> dict[str, Any]:
    """The sample scan moved to aws-us-gov: its ARNs and its Region."""
    text = json.dumps(sample_document())
    text = text.replace("arn:aws:", "arn:aws-us-gov:").replace("us-east-1", GOV)
    doc: dict[str, Any] = json.loads(text)
    return doc


def test_regions_belong_to_their_partition() -> None:
    assert region_partition("us-east-1") == "aws"
    assert region_partition(GOV) == "aws-us-gov"
    assert region_partition("cn-north-1") == "aws-cn"
    assert region_partition("global") is None


def test_a_gov_scan_is_exported_in_the_gov_partition() -> None:
    findings = build_asff(_gov_document())
    assert findings
    for f in findings:
        assert f["Region"] == GOV
        assert f["ProductArn"] == (f"arn:aws-us-gov:securityhub:{GOV}:{f['AwsAccountId']}:"
                                   f"product/{f['AwsAccountId']}/default"), f["Id"]
        assert {r["Partition"] for r in f["Resources"]} == {"aws-us-gov"}, f["Id"]
        assert validate_asff(f) == [], f["Id"]
        assert target_of(f) == (f["AwsAccountId"], GOV)
    central = retarget_central(findings[0], "999999999999")
    assert central["ProductArn"] == (f"arn:aws-us-gov:securityhub:{GOV}:999999999999:product/"
                                     "999999999999/default")


def test_a_commercial_scan_stays_in_aws() -> None:
    for f in build_asff(sample_document()):
        assert f["ProductArn"].startswith("arn:aws:securityhub:")
        assert {r["Partition"] for r in f["Resources"]} == {"aws"}


def test_ocsf_names_the_partition_too() -> None:
    doc = _gov_document()
    events = [to_ocsf(f, doc) for f in doc["findings"]]
    assert {e["resources"][0]["cloud_partition"] for e in events} == {"aws-us-gov"}


@pytest.fixture
def new_york() -> Iterator[None]:
    """The machine's local time is not UTC."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_a_naive_key_creation_date_is_read_as_utc_whatever_the_machines_zone(
        new_york: None) -> None:
    """The project reads a time without an offset as UTC (engine.conditions.parse_time); the
    ASFF key details read it as the machine's local time: five hours off in New York."""
    graph = sample_graph()
    graph.nodes[KEY]["creation_date"] = "2026-01-01T00:00:00"
    f = next(f for f in build_asff(sample_document(), graph=graph)
             if f["Resources"][0]["Type"] == "AwsKmsKey")
    assert f["Resources"][0]["Details"]["AwsKmsKey"]["CreationDate"] == 1767225600.0
