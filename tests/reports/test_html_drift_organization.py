"""The HTML drift shows the organization's changes as the terminal does: an added SCP with its
name, where it is attached and its statements; an SCP's edited statement; an account moved to
another OU -- everything escaped (ground-truth organization trial round 9: an org-only night
was "no changes" in the terminal and in report.html)."""

from __future__ import annotations

from typing import Any

from helpers.report_sample import IMG, SCRIPT, sample_document
from reports.html import render_html
from reports.html.viewmodel import build_drift
from scanner.history.drift import (Drift, FieldChange, PolicyChange, ResourceChange, ScanRef,
                                   render_drift_text)
from scanner.history.policy_diff import StatementChange

MGMT = "111111111111"
DENY = {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}


def org_drift() -> dict[str, Any]:
    where = {"account_id": MGMT, "region": "global"}
    return Drift(
        old=ScanRef(scan_id="scan-a", started_at="2026-12-04T03:33:59Z", complete=True),
        new=ScanRef(scan_id="scan-b", started_at="2026-12-05T03:34:08Z", complete=True),
        resources_added=(ResourceChange(
            kind="scp", id="p-s3", name="WebDeny" + SCRIPT, change="added",
            fields=(FieldChange(field="targets", old=[], new=["ou-ab12-web1 (Root/Web)"]),),
            policies=(PolicyChange(field="content", statements=(
                StatementChange(change="added", sid=None, new=DENY),)),), **where),),
        resources_changed=(ResourceChange(
            kind="org_account", id="222222222222", name="dev1" + IMG, change="changed",
            fields=(FieldChange(field="ou", old="Root/Dev", new="Root/Sandbox",
                                note="moved from ou-ab12-dev1 to ou-ab12-sbx1"),), **where),),
    ).to_json()


def _rows(view: Any, title: str) -> list[dict[str, Any]]:
    (table,) = [t for t in view.tables if t.title == title]
    return [dict(zip(table.columns, row)) for row in table.rows]


def test_an_added_scp_shows_its_name_targets_and_statements_and_a_moved_account_its_ou() -> None:
    drift = org_drift()
    view = build_drift(drift)
    assert view is not None
    (added,) = _rows(view, "resources · added")
    assert added["kind"] == "scp" and added["resource"] == f"p-s3 (WebDeny{SCRIPT})"
    changes = "\n".join(added["changes"])
    assert "targets: 1 added, 0 removed" in changes and "+ ou-ab12-web1 (Root/Web)" in changes
    assert "content:" in changes and '"s3:DeleteBucket"' in changes
    (moved,) = _rows(view, "resources · changed")
    assert moved["resource"] == f"222222222222 (dev1{IMG})"
    assert "ou: Root/Dev -> Root/Sandbox  (moved from ou-ab12-dev1 to ou-ab12-sbx1)" in \
        "\n".join(moved["changes"])
    # the terminal's words
    terminal = render_drift_text(drift)
    assert "ou: Root/Dev -> Root/Sandbox" in terminal and "+ ou-ab12-web1 (Root/Web)" in terminal
    html = render_html(sample_document(), drift=drift)
    section = html[html.index('<section id="drift"'):]
    section = section[:section.index("</section>")]
    assert "Root/Sandbox" in section and "s3:DeleteBucket" in section
    assert SCRIPT not in section and IMG not in section  # escaped
