"""textfit.fit_line keeps every line within the width when its words fit it: a word that fits
the width but not after the continuation indent loses indent instead of running past the edge
(nightly operations trial: `secretgraph diff` at 80 columns put a 75-character KMS key ARN
under 6 spaces, and the terminal cut it mid-ARN) -- but an ARN is broken under its indent
(new-user trial 18)."""

from __future__ import annotations

import pytest

from scanner.textfit import fit_line

KEY = "arn:aws:kms:us-east-1:108859369096:key/0b10add5-f3cb-4263-970d-73778eae627b"


@pytest.mark.parametrize("width", [76, 78, 80, 100])
def test_a_long_arn_stays_within_the_width_and_under_its_indent(width: int) -> None:
    """Within the width, as the nightly operations trial asked; under its indent, broken after
    a '/' or ':' -- moved left of the indent to stay whole, it read as a line of its own, and
    a longer ARN beside it was broken: two layouts in one list (new-user trial 18)."""
    line = f"  resolved HIGH          kms-key-policy-excess-grant {KEY}"
    out = fit_line(line, width).split("\n")
    assert max(len(x) for x in out) <= width
    assert all(len(x) - len(x.lstrip()) >= 2 for x in out)
    rest = [x for x in out[1:]]
    assert all(len(x) - len(x.lstrip()) >= 6 for x in rest), out
    assert "".join(x.strip() for x in out).endswith(KEY)


def test_a_path_that_fits_the_width_but_not_its_indent_still_loses_indent() -> None:
    path = "/srv/secretgraph/nightly/" + "x" * 37 + "/findings.json"  # 76 characters
    out = fit_line(f"  wrote {path}", 80).split("\n")
    assert max(len(x) for x in out) <= 80 and path in [x.strip() for x in out]


def test_a_word_wider_than_the_width_is_left_whole_unless_it_is_an_arn() -> None:
    """A path, a URL or a command to copy stays whole; an ARN wider than the line is broken
    after one of its ':' or '/' (it ran to 150 columns at 80 in `diff` and `access`: new-user
    trial 16), its continuation deeper than its first part."""
    path = "/home/someone/" + "nightly/" * 8 + "findings.json"
    out = fit_line(f"  wrote {path}", 60).split("\n")
    assert path in [x.strip() for x in out]
    out = fit_line(f"  x {KEY}", 60).split("\n")
    assert out == ["  x",
                   "      arn:aws:kms:us-east-1:108859369096:key/",
                   "          0b10add5-f3cb-4263-970d-73778eae627b"]
    assert "".join(x.strip() for x in out[1:]) == KEY
    assert fit_line(f"  x {KEY}", None) == f"  x {KEY}"  # a file or a pipe: whole


def test_an_arn_in_brackets_is_broken_too() -> None:
    """`access --principal` at 80 columns: a key's "(arn:aws:kms:...)" after its alias."""
    out = fit_line(f"  key: alias/x ({KEY}{KEY[-20:]})", 60).split("\n")
    assert max(len(x) for x in out) <= 60
    assert "".join(x.strip() for x in out[1:]) == f"({KEY}{KEY[-20:]})"


def test_an_arn_without_a_separator_in_reach_is_cut_at_the_width() -> None:
    arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:" + "x" * 90
    out = fit_line(f"  {arn}", 60).split("\n")
    assert max(len(x) for x in out) <= 60
    assert "".join(x.strip() for x in out) == arn


def test_a_blank_line_before_a_wrapped_line_stays_before_it() -> None:
    """A new-user trial: remediate printed fit_line("\\nno change planned ... (PATH is
    unchanged)") at 80 columns with the "\\n" taken as the indent, so a blank line fell inside
    the wrapped text, between its first line and its continuation."""
    line = "\nno change planned for this selection (out/nightly/2026-12-05/remediation-plan" \
        ".json is unchanged)"
    out = fit_line(line, 80)
    assert out.startswith("\nno change planned")
    rest = out.split("\n")[1:]
    assert all(x.strip() for x in rest) and len(rest) == 2
    assert max(len(x) for x in rest) <= 80
    assert " ".join(x.strip() for x in rest) == line.strip()
    assert fit_line(line, None) == line  # a file or a pipe: as it is


def test_a_marker_is_not_left_alone_on_its_line_before_a_broken_arn() -> None:
    """new-user trial round 20: `secretgraph diff` at 80 columns printed a new reader whose
    role ARN (79 characters) did not fit after its '+' as '    +' alone on a line, then the
    ARN broken on the lines under it. The ARN's first part now follows its marker."""
    arn = "arn:aws:iam::123456789012:role/reader-with-a-rather-long-name-for-testing-width"
    out = fit_line(f"    + {arn} can now read [allow]", 80, hang=6).split("\n")
    assert out == ["    + arn:aws:iam::123456789012:role/",
                   "        reader-with-a-rather-long-name-for-testing-width",
                   "      can now read [allow]"]
