"""`secretgraph diff` at 80 columns: a suppression-expired finding's resource is the entry's
id (`suppression:<rule>|<account>|<region>|<resource glob>|<tags>`), as long as the ARN glob it
holds; it is broken after one of its ':' or '/' as an ARN is, not left whole to run past the
edge (new-user trial round 23: 150 columns at 80, the night a suppression expired)."""

from __future__ import annotations

from scanner.history.diff import diff_scans
from scanner.history.drift import render_drift_text

from helpers.scanfactory import document, finding, secret, snapshot, stored

T1, T2 = "2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z"
ENTRY = ("suppression:secret-rotation-function-missing|*|*|arn:aws:secretsmanager:us-east-1:"
         "007659653593:secret:demo/misconfig/rotation-lambda-missing-*|")


def test_a_suppression_entry_id_is_broken_to_fit_80_columns() -> None:
    old = snapshot("a", T1, [secret("db")])
    new = snapshot("b", T2, [secret("db")])
    expired = finding("suppression-expired", ENTRY, severity="LOW", rtype="Suppression")
    drift = diff_scans(stored(old), stored(new, document(new, [expired])))

    lines = render_drift_text(drift, width=80).splitlines()
    assert all(len(x) <= 80 for x in lines), lines
    at = next(i for i, x in enumerate(lines) if x.startswith("  new "))
    # the id's parts, read back in order, are the id
    assert lines[at].split()[-1] == "suppression-expired", lines
    parts = [x.strip() for x in lines[at + 1:at + 4]]
    joined = "".join(parts)
    assert joined.startswith(ENTRY), lines
    # a file or a pipe keeps it whole
    assert any(ENTRY in x for x in render_drift_text(drift).splitlines())
