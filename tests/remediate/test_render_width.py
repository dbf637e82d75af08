"""The plan as a person reads it in a terminal: at 80 columns a policy statement that does not
fit on one line is shown as indented JSON, each line marked as a unified diff marks it (new-user
trials at 80 columns: the diff lines of a key-policy change were over 200 columns wide)."""

from __future__ import annotations

import json

from scanner.changes import PolicyDiff, StatementDiff
from scanner.remediate.render import render_policy_diff

_SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app/db-AbCdEf"
_BEFORE = {"Sid": "Everyone", "Effect": "Allow", "Principal": "*",
           "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
_AFTER = dict(_BEFORE, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}})


def _diff() -> PolicyDiff:
    return PolicyDiff(kind="secret-resource-policy", before=json.dumps({"Statement": [_BEFORE]}),
                      after=json.dumps({"Statement": [_AFTER]}),
                      statements=(StatementDiff(op="changed", index=0, sid="Everyone",
                                                before=_BEFORE, after=_AFTER),),
                      size_after=200, size_limit=20480)


def _marked(lines: list[str], mark: str) -> str:
    """The JSON text of the lines marked ``mark``, without the marks."""
    prefix = f"        {mark} "
    return "\n".join(line[len(prefix):] for line in lines if line.startswith(prefix))


def test_at_80_columns_a_wide_statement_is_indented_json_within_the_width() -> None:
    lines = render_policy_diff(_diff(), width=80)
    assert all(len(line) <= 80 for line in lines), [l for l in lines if len(l) > 80]
    # each side still reads back as the very statement, marked line by line
    assert json.loads(_marked(lines, "-")) == _BEFORE
    assert json.loads(_marked(lines, "+")) == _AFTER
    assert "      ~ statement 0 (Everyone): changed" in lines


def test_without_a_terminal_width_each_statement_stays_one_line() -> None:
    lines = render_policy_diff(_diff())
    assert lines[-2] == "        - " + json.dumps(_BEFORE, sort_keys=True)
    assert lines[-1] == "        + " + json.dumps(_AFTER, sort_keys=True)


def test_a_statement_that_fits_stays_one_line_at_80_columns() -> None:
    small = {"Effect": "Deny", "Action": "*", "Resource": "*"}
    diff = PolicyDiff(kind="kms-key-policy", before=None, after="{}", size_after=2,
                      size_limit=32768, statements=(StatementDiff(
                          op="added", index=1, sid=None, before=None, after=small),))
    assert render_policy_diff(diff, width=80)[-1] == "        + " + json.dumps(small, sort_keys=True)


def test_a_key_and_arn_wider_than_80_columns_wrap_each_line_marked() -> None:
    """A condition naming a secret's ARN was a 143-column line at 80 columns (new-user trial
    round 23): wrapped as the plan's other lines are, the ARN broken after a '/' and each
    continuation marked '+' too, under the value."""
    long_arn = ("arn:aws:secretsmanager:us-east-1:007659653593:secret:demo/misconfig/"
                "broken-access-giDbnZ")
    grant = {"Sid": "Decrypt", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
             "Principal": {"AWS": "arn:aws:iam::985804439964:role/ApplicationRole"},
             "Condition": {"StringEquals": {"kms:EncryptionContext:SecretARN": long_arn}}}
    diff = PolicyDiff(kind="kms-key-policy", before=None, after="{}", size_after=2,
                      size_limit=32768, statements=(StatementDiff(
                          op="added", index=1, sid="Decrypt", before=None, after=grant),))
    lines = render_policy_diff(diff, width=80)
    assert all(len(line) <= 80 for line in lines), [l for l in lines if len(l) > 80]
    body = [line for line in lines[2:]]
    assert all(line.startswith("        + ") for line in body), body
    # the ARN reads back whole once its pieces are put together
    joined = "".join(line[len("        + "):].strip() for line in body)
    assert f'"{long_arn}"' in joined
