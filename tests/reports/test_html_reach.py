"""The HTML access section lists the classes of readers a "*", organization-wide or
account-wide grant reaches (from the access analysis' typed verdicts), escaped."""

from __future__ import annotations

import json

from helpers.report_sample import sample_document, sample_graph
from reports.html import render_html
from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.model import (
    NOT_IN_ORGANIZATION,
    AccountSnapshot,
    IamPrincipal,
    IamSnapshot,
    OrgMembership,
    RegionSnapshot,
    ScanMeta,
    Secret,
    Snapshot,
)

ACCT, REGION = "111111111111", "us-east-1"
HOSTILE = "<script>alert(1)</script>"


def _access() -> object:
    public = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
        "Resource": "*"}]})
    secret = Secret(arn=f"arn:aws:secretsmanager:{REGION}:{ACCT}:secret:x-AbCdEf", name=HOSTILE,
                    account_id=ACCT, region=REGION, resource_policy=public)
    worker = IamPrincipal(arn=f"arn:aws:iam::{ACCT}:role/Worker", name="Worker",
                          account_id=ACCT, principal_type="role")
    snap = Snapshot(meta=ScanMeta(scan_id="h", started_at="2026-11-29T00:00:00Z",
                                  accounts=(ACCT,), regions=(REGION,)),
                    accounts=(AccountSnapshot(account_id=ACCT, iam=IamSnapshot(
                        principals=(worker,)), regions=(RegionSnapshot(
                            region=REGION, secrets=(secret,)),)),),
                    # a single-account scan of an account in no organization (no SCPs)
                    org_membership=OrgMembership(account_id=ACCT, status=NOT_IN_ORGANIZATION))
    return analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))


def test_reach_classes_are_listed_and_escaped() -> None:
    html = render_html(sample_document(), graph=sample_graph(), access=_access())
    section = html[html.index('id="reach-h"'):]
    assert f"every IAM role and user of the secret&#39;s own account {ACCT}" in section
    assert "1 principal(s) of the snapshot read, 0 conditionally, in 1 account(s)" in section
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in section


def test_without_access_there_is_no_reach_table() -> None:
    assert 'id="reach-h"' not in render_html(sample_document(), graph=sample_graph())
