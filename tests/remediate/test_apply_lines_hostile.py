"""`remediate --apply` and `--undo` print a line per change naming its resource: that name is
hostile input, so the line is made terminal-safe and one line, as the plan is
(docs/reports.md, "Hostile input")."""

from __future__ import annotations

import io

from scanner.remediate import runs


def test_an_apply_line_shows_escapes_and_newlines_of_a_name_inert() -> None:
    """Noticed while fixing hostile-input trial round 8: the plan was made safe, but the
    apply and undo lines (`applied  <change> <remediation> <arn>`, `not reversible: ...`)
    were printed raw: an ESC sequence in a secret's name recoloured the terminal and a
    newline forged a line such as `applied  ...` for a change that failed."""
    out = io.StringIO()
    runs.say(out, "FAILED   chg-1 restrict-public-secret-policy arn:...:secret:x"
                     "\x1b[2K\rapplied  chg-1\nundone   chg-2\u2028\u202e")
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    assert not any(ch in text for ch in "\x1b\r\u2028\u202e")
    assert "x\ufffd[2K\ufffdapplied  chg-1\ufffdundone   chg-2\ufffd\ufffd" in text
