"""The terminal table at 80 columns breaks an ARN too long for its line after one of its ':'
or '/', as `access`, `diff` and `remediate` do (scanner.textfit.fit_line), not at whatever
character the width falls on (new-user trial round 19: a detail line ended '...:ke' and the
next began 'y/mrk-...'). Words that are not ARNs are wrapped as before."""

from __future__ import annotations

from scanner.textfit import wrap_to_width

KEY = "arn:aws:kms:us-west-2:111122223333:key/mrk-1d33c3d107ef4dc88796e4a9a7f7beb1"


def test_a_long_arn_is_broken_after_a_colon_or_slash() -> None:
    text = f"replica key {KEY} is not usable: key is Disabled"
    assert wrap_to_width(text, 40, hyphens=False) == [
        "replica key",
        "arn:aws:kms:us-west-2:111122223333:key/",
        "mrk-1d33c3d107ef4dc88796e4a9a7f7beb1 is",
        "not usable: key is Disabled"]


def test_a_table_detail_at_80_columns_never_splits_an_arn_inside_a_word() -> None:
    from reports.table import _wrap

    text = f"denied by key_policy ({KEY}/{KEY[-36:]}: no statement allows kms:Decrypt)"
    for line in _wrap(text, 72, 4, hyphens=False).split("\n")[:-1]:
        assert line.endswith((":", "/")) or not line.rsplit(" ", 1)[-1].startswith(
            ("arn:", "(arn:", "mrk-", "key/")), line


def test_other_long_words_and_short_text_wrap_as_before() -> None:
    assert wrap_to_width("a " + "x" * 50, 20) == ["a xxxxxxxxxxxxxxxxxx", "x" * 20,
                                                  "x" * 12]
    assert wrap_to_width("no ARN here, just words that wrap", 12) == [
        "no ARN here,", "just words", "that wrap"]
