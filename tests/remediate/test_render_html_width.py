"""The HTML plan is read in a browser window, not at a terminal: its changes are shown as the
terminal plan shows them at 100 columns -- a policy statement wider than that one key or value
a line, an ARN broken after a ':' or '/' -- so that a reviewer reads the policy after the change
without scrolling sideways (new-user trial round 27: the demo plan's grant-key-decrypt was one
3,000-pixel line in a 1,216-pixel box, the Condition and the Principal out of sight)."""

from __future__ import annotations

import html
import re
from dataclasses import replace

from helpers.remediate_records import finding, snapshot
from scanner.changes import RemediationConfig
from scanner.model import IamPrincipal, IamSnapshot
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.render import render_plan_html

ACCT = "111111111111"


def test_every_line_of_the_html_plan_fits_100_columns_and_the_policy_after_is_all_there() -> None:
    snap = snapshot(kms_key_id=None)
    reader = IamPrincipal(arn=f"arn:aws:iam::{snap.accounts[0].account_id}:role/"
                              "ApplicationReaderWithAVeryLongRoleNameIndeed",
                          name="ApplicationReaderWithAVeryLongRoleNameIndeed",
                          account_id=snap.accounts[0].account_id, principal_type="role",
                          inline_policies={"read": {"Version": "2012-10-17", "Statement": [{
                              "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                              "Resource": "*"}]}})
    (acct,) = snap.accounts
    snap = replace(snap, accounts=(replace(acct, iam=IamSnapshot(principals=(reader,))),))
    plan = build_plan([finding("secret-uses-aws-managed-key", "move-secret-to-cmk")], snap,
                      RemediationConfig(), Selection())
    assert any(c.policy_diff is not None for c in plan.changes)
    page = render_plan_html(plan)
    blocks = [html.unescape(b) for b in re.findall(r"<pre>(.*?)</pre>", page, re.S)]
    assert blocks
    wide = [line for b in blocks for line in b.splitlines() if len(line) > 100]
    assert wide == [], wide
    shown = "".join(b for b in blocks)
    assert "kms:ViaService" in shown and reader.arn.rsplit("/", 1)[-1][:20] in shown
