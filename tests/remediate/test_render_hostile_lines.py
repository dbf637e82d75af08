"""The terminal plan shows each value from the audited accounts on one line: a newline, a
carriage return or a line separator in a name, a summary or a reason must not forge a line of
the plan (docs/reports.md, "Hostile input": "so a name cannot ... forge a line ... in
remediate's plan")."""

from __future__ import annotations

from dataclasses import replace

import pytest
from helpers.remediate_records import ACCT, SECRET_ARN, finding, snapshot

from scanner.changes import RemediationConfig
from scanner.model import IamPrincipal, IamSnapshot, Snapshot
from scanner.remediate.planfile import Plan, Skipped
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.render import render_plan
from scanner.textfit import terminal_safe

READER = f"arn:aws:iam::{ACCT}:role/Reader"
FORGED = "\n[9] chg-forged restrict-public-secret-policy on arn:forged\r  forged row\u2028x"


def _with_reader(snap: Snapshot) -> Snapshot:
    reader = IamPrincipal(arn=READER, name="Reader", account_id=ACCT, principal_type="role",
                          inline_policies={"read": {"Version": "2012-10-17", "Statement": [{
                              "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                              "Resource": SECRET_ARN}]}})
    (acct,) = snap.accounts
    return replace(snap, accounts=(replace(acct, iam=IamSnapshot(principals=(reader,))),))


def _hostile_plan() -> Plan:
    plan = build_plan([finding("secret-uses-aws-managed-key", "move-secret-to-cmk")],
                      _with_reader(snapshot(kms_key_id=None)), RemediationConfig(), Selection())
    reader = {"principal": READER + FORGED, "secret_arn": SECRET_ARN + FORGED,
              "gates": {"key_policy": "ALLOWED"}}
    changes = tuple(replace(c, resource_arn=SECRET_ARN + FORGED, summary="move" + FORGED,
                            notes=("note" + FORGED,),
                            effect=dict(c.effect or {}, companion_of=None,
                                        readers_gained=[reader]))
                    for c in plan.changes)
    skipped = tuple(Skipped(finding_id=f"sgf-{i}", rule_id="secret-policy-public",
                            remediation_id=None, resource_arn=SECRET_ARN + FORGED,
                            reason="no remediation" + FORGED) for i in range(2))
    return replace(plan, changes=changes, skipped=skipped)


@pytest.mark.parametrize("width", [None, 80, 400])
def test_a_newline_in_a_name_forges_no_line_of_the_terminal_plan(width: int | None) -> None:
    """Hostile-input trial round 8 (newline_forge.py): the plan's table, its change headers
    and effect lines put raw names into tabulate and f-strings and were made terminal-safe
    only as a whole, which keeps newlines: `\\n[9] chg-forged ...` printed a change header of
    its own, and a \\r or U+2028 in a reason split a "Not planned" row in two (tabulate
    breaks a cell at every line boundary)."""
    plan = _hostile_plan()
    text = terminal_safe(render_plan(plan, width=width))  # as `remediate` prints it
    lines = text.split("\n")
    assert not any(ch in text for ch in "\r\u2028\u2029")
    assert not any(line.startswith(("[9]", "  forged row", "x")) for line in lines), text
    headers = [line for line in lines if line.startswith("[")]
    assert len(headers) == len(plan.changes)
    if width is None or width >= 400:  # (at 80 columns the long header is wrapped, indented)
        assert all("\ufffd[9] chg-forged" in h for h in headers)  # the name, on its line
    # the "Not planned" part: a header, then the table (2 lines + a row per finding) or the
    # list (a line per finding and its wrapped reason), nothing in between forged
    rest = lines[lines.index(f"Not planned ({len(plan.skipped)}):") + 1:]
    rows = [line for line in rest if "secret-policy-public" in line]
    assert len(rows) == len(plan.skipped)
    if width is None or width >= 400:
        assert len(rest) == 2 + len(plan.skipped), rest
