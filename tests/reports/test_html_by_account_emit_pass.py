"""report.html's By account table is the same whether PASS results are itemised
(``--emit-pass``) or counted per rule (the default): it counts failing, unknown and muted
findings per account, and an account with nothing but PASS results is no row of it in
either (new-user trial round 34: on the demo, ``--emit-pass`` added two empty rows, master
and member-c, that the same scan without the flag did not have)."""

from __future__ import annotations

import datetime as dt
import json
import re

from reports.html import render_html
from reports.html.viewmodel import build_summary
from scanner.model import KmsKey
from scanner.pipeline import ScanOptions, analyze, load_inputs

from helpers.scanfactory import CENTRAL, MEMBER, secret, snapshot

NOW = dt.datetime(2026, 11, 29, tzinfo=dt.timezone.utc)
MEMBER_KEY = f"arn:aws:kms:us-east-1:{MEMBER}:key/m1"


def scanned(emit_pass: bool) -> dict[str, object]:
    """The central account has a secret that is not rotated; the member's secret passes every
    rule that looks at it."""
    key = KmsKey(arn=MEMBER_KEY, key_id="m1", account_id=MEMBER, region="us-east-1",
                 key_manager="CUSTOMER", key_state="Enabled", rotation_enabled=True,
                 policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                     "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MEMBER}:root"},
                     "Action": "kms:*", "Resource": "*"}]}))
    estate = snapshot("s", "2026-11-28T01:00:00Z", [
        secret("central-db", rotation=False),
        secret("member-db", account=MEMBER, kms_key_id=MEMBER_KEY)], keys=[key])
    inputs = load_inputs(ScanOptions(emit_pass=emit_pass))
    return dict(analyze(estate, inputs, now=NOW).document)


def by_account_rows(html: str) -> list[str]:
    table = re.search(r"<h2 id=\"sum-acct-h\">By account</h2>.*?</table>", html, re.S)
    assert table is not None
    return re.findall(r'<td class="who">.*?acct-id">(\d{12})<', table.group(0), re.S)


def test_an_account_that_only_passed_is_no_by_account_row_with_or_without_emit_pass() -> None:
    counted, itemised = scanned(emit_pass=False), scanned(emit_pass=True)
    assert any(f["status"] == "PASS" and f["resource"]["account_id"] == MEMBER
               for f in itemised["findings"])  # type: ignore[index, union-attr]
    assert build_summary(itemised).by_account == build_summary(counted).by_account
    assert [r["account"] for r in build_summary(counted).by_account] == [CENTRAL]
    assert by_account_rows(render_html(itemised)) == by_account_rows(render_html(counted)) \
        == [CENTRAL]
