"""The "Not planned" list at 80 columns: each heading (rule, resource, account and Region) is
wrapped between words within the width, as docs/configuration.md "Narrow terminals" says
(new-user trial round 9: `remediate --in out/demo` printed 80-plus-column headings the
terminal broke inside the account id and the Region, "(00765" / "9653593 us-east-1)")."""

from __future__ import annotations

from scanner.remediate.planfile import Estate, Plan, Skipped
from scanner.remediate.render import render_plan

ACCT = "007659653593"
KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/29dbd9c7-3ba0-4b95-8985-973d6a320b5a"
ROUTES = f"arn:aws:ec2:us-east-1:{ACCT}:route-table/rtb-dfd357d5fb0d34d23"


def _plan() -> Plan:
    skipped = (
        Skipped(finding_id="sgf-1", rule_id="kms-key-policy-excess-grant",
                remediation_id="remove-excess-key-grant", resource_arn=KEY,
                reason="remove-excess-key-grant has no automated remediator; manual steps: "
                       "Remove the principal from the key policy's kms:Decrypt statement"),
        Skipped(finding_id="sgf-2", rule_id="vpc-peering-route-blackhole",
                remediation_id="remove-blackhole-route", resource_arn=ROUTES,
                reason="remove-blackhole-route has no automated remediator"),
    )
    return Plan(plan_id="plan-1", created_at="2026-12-05T10:04:33Z",
                estate=Estate(org_id="o-abcdef1234", account_ids=(ACCT,), scan_id="scan-1"),
                changes=(), skipped=skipped)


def test_not_planned_headings_wrap_between_words_at_80_columns() -> None:
    lines = render_plan(_plan(), width=80).splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    text = "\n".join(lines)
    # each word whole on some line: the account id, the Region, the key's id
    words = {w for line in lines for w in line.split()}
    assert f"({ACCT}" in words and "us-east-1)" in words
    assert "key/29dbd9c7-3ba0-4b95-8985-973d6a320b5a" in words
    at = lines.index("  kms-key-policy-excess-grant on key/29dbd9c7-3ba0-4b95-8985-973d6a320b5a")
    assert lines[at + 1] == f"    ({ACCT} us-east-1)"  # the heading's rest, under it
    assert "vpc-peering-route-blackhole on route-table/rtb-dfd357d5fb0d34d23" in text


def test_a_wide_terminal_keeps_the_table() -> None:
    text = render_plan(_plan(), width=None)
    header = text.splitlines()[3]
    assert header.split() == ["rule", "account", "region", "resource", "why"]


def test_a_key_arn_in_a_change_line_is_broken_after_a_colon_or_slash_at_80_columns() -> None:
    """new-user trial round 20: the changes' list at 80 columns cut a KMS key ARN wider than
    its line where the width fell, inside the account id ('...:us-east-1:12345678' /
    '9012:key/...'), while scan, access and diff break one after a ':' or '/'."""
    from scanner.changes import ApiCall, PlannedChange

    secret = f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:app/plain-dHjttL"
    change = PlannedChange(
        change_id="chg-1", remediation_id="move-secret-to-cmk", finding_ids=("sgf-m",),
        rule_id="secret-uses-aws-managed-key", account_id=ACCT, region="us-east-1",
        resource_arn=secret, target=f"secret-kms:{secret}",
        summary=f"encrypt with {KEY} instead of aws/secretsmanager",
        calls=(ApiCall(service="secretsmanager", operation="UpdateSecret", region="us-east-1",
                       params={"SecretId": secret, "KmsKeyId": KEY}),),
        pre_state={"kms_key_id": None}, desired_state={"kms_key_id": KEY})
    plan = Plan(plan_id="plan-1", created_at="2026-12-05T10:04:33Z",
                estate=Estate(org_id="o-abcdef1234", account_ids=(ACCT,), scan_id="scan-1"),
                changes=(change,), skipped=())
    lines = render_plan(plan, width=80).splitlines()
    at = lines.index(f"  1  move-secret-to-cmk  {ACCT} us-east-1  undo: yes")
    listed = lines[at + 1:lines.index("", at)]
    assert all(len(line) <= 80 for line in listed), listed
    assert listed == ["      secret:app/plain-dHjttL: encrypt with",
                      f"      arn:aws:kms:us-east-1:{ACCT}:key/",
                      "      29dbd9c7-3ba0-4b95-8985-973d6a320b5a instead of aws/secretsmanager"]
