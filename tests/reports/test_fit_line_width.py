"""textfit.fit_line keeps every line within the width when its words fit it: a word that fits
the width but not after the continuation indent loses indent instead of running past the edge
(nightly operations trial: `secretgraph diff` at 80 columns put a 75-character KMS key ARN
under 6 spaces, and the terminal cut it mid-ARN)."""

from __future__ import annotations

import pytest

from scanner.textfit import fit_line

KEY = "arn:aws:kms:us-east-1:108859369096:key/0b10add5-f3cb-4263-970d-73778eae627b"


@pytest.mark.parametrize("width", [76, 78, 80, 100])
def test_a_long_arn_stays_whole_and_within_the_width(width: int) -> None:
    line = f"  resolved HIGH          kms-key-policy-excess-grant {KEY}"
    out = fit_line(line, width).split("\n")
    assert max(len(x) for x in out) <= width
    assert any(x.strip() == KEY for x in out)


def test_a_word_wider_than_the_width_is_left_whole() -> None:
    out = fit_line(f"  x {KEY}", 60).split("\n")
    assert KEY in [x.strip() for x in out]
