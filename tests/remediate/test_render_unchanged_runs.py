"""A policy diff shows the statements a change edits, and a run of statements it leaves alone
as one line (safe-fixes trial: a key-policy edit printed "= statement N: unchanged" 133 times
around the one statement it added)."""

from __future__ import annotations

from scanner.changes import PolicyDiff, StatementDiff
from scanner.remediate.render import render_policy_diff

KEEP = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
        "Action": "kms:*", "Resource": "*"}
NEW = {"Sid": "New", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
       "Action": "kms:Decrypt", "Resource": "*"}


def _diff(ops: list[str]) -> PolicyDiff:
    return PolicyDiff(kind="kms-key-policy", before="{}", after="{}", size_after=10,
                      size_limit=32768, statements=tuple(
                          StatementDiff(op=op, index=i, sid=f"S{i}",
                                        before=None if op == "added" else KEEP,
                                        after=NEW if op == "added" else KEEP)
                          for i, op in enumerate(ops)))


def test_a_long_run_of_unchanged_statements_is_one_line() -> None:
    """Safe-fixes trial: 133 unchanged statements, then the one added."""
    lines = render_policy_diff(_diff(["unchanged"] * 133 + ["added"]))

    assert "      = statements 0-132: 133 unchanged" in lines
    assert not [ln for ln in lines if ln.endswith(": unchanged")]
    assert "      ~ statement 133 (S133): added" in lines
    assert len(lines) == 4  # the size line, the run, the added statement and its JSON


def test_runs_around_a_change_are_collapsed_each_and_short_ones_kept() -> None:
    lines = render_policy_diff(_diff(["unchanged"] * 5 + ["added"] + ["unchanged"] * 2))

    assert "      = statements 0-4: 5 unchanged" in lines
    assert "      = statement 6 (S6): unchanged" in lines
    assert "      = statement 7 (S7): unchanged" in lines
