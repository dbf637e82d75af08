"""The Access and Compliance sections' tables in headless Chromium (new-user trial round 31):
the table of readers reached through "*", organization-wide and account-wide grants had none
of the report's table style (centred bold headers, no rules between rows, the decision as bare
'ALLOWED' where every other access table draws a verdict), and on a 375 px phone it, the
reader accounts by OU and each framework's controls ran off the screen (Verdicts, Decision,
Unknown and Pass behind a sideways scroll), where By account and By rule are blocks of
labelled counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import networkx as nx
import pytest

from helpers.report_cdp import Chromium, Page
from helpers.report_sample import sample_document
from reports.html import write_html
from scanner.access import AccessSettings, analyze_access
from scanner.access.report import AccessPath, AccessReport, GateVerdict, SecretAccess
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

pytestmark = pytest.mark.browser

ACCT, REGION = "111111111111", "us-east-1"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCT}:secret:payments/prod/db-credentials-AbCdEf"

#: each element of ``section`` wider than the box that holds it: what a phone hides off-screen
CUT = """(section => [...document.querySelectorAll(section + ' .scroll, ' + section)]
  .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.scrollWidth + ' > ' + e.clientWidth))"""


def _public_secret() -> tuple[nx.MultiDiGraph, Any]:
    """A secret whose policy lets everyone read it: a class of readers (its account's
    principals) the reach table lists."""
    public = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
        "Resource": "*"}]})
    secret = Secret(arn=SECRET, name="payments/prod/db-credentials", account_id=ACCT,
                    region=REGION, resource_policy=public)
    worker = IamPrincipal(arn=f"arn:aws:iam::{ACCT}:role/Worker", name="Worker",
                          account_id=ACCT, principal_type="role")
    snap = Snapshot(meta=ScanMeta(scan_id="h", started_at="2026-11-29T00:00:00Z",
                                  accounts=(ACCT,), regions=(REGION,)),
                    accounts=(AccountSnapshot(account_id=ACCT, iam=IamSnapshot(
                        principals=(worker,)), regions=(RegionSnapshot(
                            region=REGION, secrets=(secret,)),)),),
                    org_membership=OrgMembership(account_id=ACCT, status=NOT_IN_ORGANIZATION))
    graph = build_graph(snap)
    return graph, analyze_access(graph, snap, AccessSettings.from_snapshot(snap))


def _readers_in_ous() -> tuple[nx.MultiDiGraph, AccessReport]:
    """Readers in four accounts of two OUs with long names, broken, allowed and conditional."""
    readers = [("222222222222", "Workloads-Production-EU", "ALLOWED", ()),
               ("333333333333", "Workloads-Production-EU", "DENIED", ("key_policy",)),
               ("444444444444", "Sandbox-Developers", "CONDITIONAL", ())]
    graph = nx.MultiDiGraph()
    graph.add_node(SECRET, kind="Secret", account_id=ACCT, name="payments/prod/db-credentials")
    for acct, ou, _decision, _broken in readers:
        graph.add_node(f"arn:aws:iam::{acct}:role/App", kind="Principal", account_id=acct,
                       name="App")
        graph.add_node(f"account:{acct}", kind="Account", account_id=acct, ou=ou)
    paths = tuple(AccessPath(
        principal=f"arn:aws:iam::{acct}:role/App", principal_account=acct, principal_type="role",
        secret_account=ACCT, decision=decision, cross_account=True,
        gates={"resource_policy": GateVerdict(status="ALLOWED")}, broken_at=broken,
        intended=bool(broken)) for acct, _ou, decision, broken in readers)
    return graph, AccessReport(secrets={SECRET: SecretAccess(
        secret_arn=SECRET, name="payments/prod/db-credentials", account_id=ACCT,
        region=REGION, key_arn=None, aws_managed_key=True, paths=paths)})


@pytest.fixture()
def report_page(chromium: Chromium, tmp_path: Path) -> Iterator[Any]:
    pages: list[Page] = []

    def opener(estate: tuple[nx.MultiDiGraph, Any], width: int) -> Page:
        graph, access = estate
        path = write_html(sample_document(), tmp_path / f"report-{len(pages)}.html",
                          graph=graph, access=access)
        page = chromium.page()
        pages.append(page)
        page.set_viewport(width, 1000, mobile=width < 500)
        page.navigate(path.as_uri())
        return page

    try:
        yield opener
    finally:
        for page in pages:
            page.close()


def test_the_reach_table_looks_like_the_reports_other_tables(report_page: Any) -> None:
    page = report_page(_public_secret(), 1280)
    style = page.evaluate("""(() => {
      const th = document.querySelector('table.reach th'), td = document.querySelector(
        'table.reach td');
      const other = document.querySelector('table.findings thead th');
      return [getComputedStyle(th).textAlign, getComputedStyle(other).textAlign,
              getComputedStyle(td).borderBottomStyle, getComputedStyle(td).verticalAlign]; })()""")
    assert style == ["left", "left", "solid", "top"]
    # the decision drawn as a verdict (symbol, word, colour) as the reader groups draw it
    assert page.evaluate("document.querySelector('table.reach .verdict.v-allowed')"
                         ".textContent.trim()") == "✓ allowed"


@pytest.mark.parametrize("estate", [_public_secret, _readers_in_ous])
def test_on_a_phone_the_access_and_compliance_tables_fit_the_screen(
        report_page: Any, estate: Any) -> None:
    page = report_page(estate(), 375)
    for section in ("#access", "#compliance"):
        assert page.evaluate(f"{CUT}({json.dumps(section)})") == [], section
    if estate is _readers_in_ous:  # each OU a block of labelled counts, as By account is
        row = page.evaluate("""(() => { const tr = document.querySelector('table.ous tbody tr');
          return [getComputedStyle(tr).display, [...tr.querySelectorAll('td.num')].map(td =>
            getComputedStyle(td, '::before').content + ' ' + td.textContent)]; })()""")
        assert row == ["flex", ['"reader accounts " 2', '"principals " 2']], row
