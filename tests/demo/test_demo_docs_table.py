"""docs/demo.md's table of seeded misconfigurations lists every FAIL the demo's scan must
report (``scanner.demo.expected.MISCONFIGURATIONS``), the "only ones" it claims they are: new-user
trial round 9, where secret-cross-account-access-broken listed broken-access and scp-blocked in
us-east-1 while the scan reports five (their us-west-2 replicas, and mrk-drift's replica)."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from scanner.demo.expected import MISCONFIGURATIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "demo.md"


def _rows() -> dict[str, str]:
    text = DOC.read_text()
    table = text[text.index("**The deliberate misconfigurations.**"):]
    table = table[:table.index("\n\n", table.index("| rule |"))]
    rows: dict[str, str] = defaultdict(str)
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 3 and re.fullmatch(r"[a-z][a-z0-9-]+", cells[0]) and cells[0] != "rule":
            rows[cells[0]] += " " + " ".join(cells[1:])
    return rows


def _name(logical: str) -> str:
    """The name a reader finds in the table: `demo/misconfig/broken-access` -> broken-access."""
    base = logical.split(":", 1)[-1].split("@")[0]
    return base.rsplit("/", 1)[-1]


def test_every_expected_fail_is_in_the_table() -> None:
    rows = _rows()
    missing = []
    for rule_id, resource, principal, _why in MISCONFIGURATIONS:
        row = rows.get(rule_id, "")
        wanted = [_name(resource)]
        if "@" in resource:
            wanted.append(resource.rsplit("@", 1)[1])  # the Region of a replica's copy
        if principal and principal.startswith("role:"):  # the table names roles by name
            wanted.append(principal.rsplit("/", 1)[-1])
        if not all(w in row for w in wanted):
            missing.append((rule_id, resource, principal))
    assert not missing, missing
    assert set(rows) == {m[0] for m in MISCONFIGURATIONS}


def test_the_cross_account_row_names_all_five() -> None:
    row = _rows()["secret-cross-account-access-broken"]
    for name in ("broken-access", "scp-blocked", "mrk-drift"):
        assert name in row, name
    assert row.count("us-west-2") >= 1


def test_the_count_the_doc_gives_is_the_expected_fails() -> None:
    """docs/demo.md says how many FAIL findings of how many rules the table holds."""
    text = DOC.read_text()
    said = re.search(r"(\d+) FAIL findings of (\d+) rules", text)
    assert said is not None
    assert (int(said.group(1)), int(said.group(2))) == (
        len(MISCONFIGURATIONS), len({m[0] for m in MISCONFIGURATIONS}))
