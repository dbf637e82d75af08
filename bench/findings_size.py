"""Where the bytes of a findings.json go, and the least its rows can weigh under the contract.

    python bench/findings_size.py OUT/findings.json [--top 12]

Prints, for the rows of ``findings`` (each as the file's writer encodes it: compact
separators, one row a line):

* the bytes by rule and status (rows, MB, bytes a row), the largest first;
* the bytes by row field (``evidence``, ``remediation``, ``message``, ...);
* the contract floor: the same rows holding only the fields DESIGN.md's findings.json contract
  requires of each finding (id, rule_id, title, severity, status, resource, evidence,
  remediation, compliance), and that again without ``remediation.description``. Issue 12 asks
  for a default findings.json under 300 MB at 100,000 secrets; this says whether a layout that
  keeps every finding complete can get there on the file's estate at all.

MB are 2**20 bytes, as bench/offline_scan.py prints the file's size. It reads the whole
document (``json.load``): about four times the file's size in memory.
Schema version 2 files (``--findings-layout compact``) are measured as written, not expanded.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: DESIGN.md, "findings.json" (contract): "each with at least: ..."
CONTRACT_FIELDS = ("id", "rule_id", "title", "severity", "status", "resource", "evidence",
                   "remediation", "compliance")


MB = 2 ** 20


def _size(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


@dataclass
class Sizes:
    rows: int = 0
    by_rule: Counter[tuple[str, str]] = field(default_factory=Counter)
    count: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_field: Counter[str] = field(default_factory=Counter)
    #: the whole document with contract-only rows, and without remediation.description
    floor: int = 0
    floor_bare: int = 0


def measure(doc: dict[str, Any]) -> Sizes:
    rows = doc.get("findings") or []
    head = sum(_size(v) for k, v in doc.items() if k != "findings")
    m = Sizes(rows=len(rows), floor=head, floor_bare=head)
    for row in rows:
        size = _size(row) + 2  # the row's indent and newline or comma
        key = (str(row.get("rule_id")), str(row.get("status")))
        m.by_rule[key] += size
        m.count[key] += 1
        for name, value in row.items():
            m.by_field[name] += _size(value)
        kept = {k: row[k] for k in CONTRACT_FIELDS if k in row}
        m.floor += _size(kept) + 2
        rem = kept.get("remediation")
        if isinstance(rem, dict):
            kept["remediation"] = {k: v for k, v in rem.items() if k != "description"}
        m.floor_bare += _size(kept) + 2
    return m


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("findings", type=Path)
    ap.add_argument("--top", type=int, default=12, help="rule/status lines to print")
    args = ap.parse_args(argv)
    file_mb = args.findings.stat().st_size / MB
    with args.findings.open(encoding="utf-8") as fh:
        doc = json.load(fh)
    m = measure(doc)
    print(f"{args.findings}: {file_mb:.1f} MB, {m.rows:,} rows, "
          f"schema_version {doc.get('schema_version')}")
    print(f"\n{'rule':<44} {'status':<8} {'rows':>9} {'MB':>8} {'B/row':>6}")
    for (rule, status), size in m.by_rule.most_common(args.top):
        n = m.count[(rule, status)]
        print(f"{rule:<44} {status:<8} {n:>9,} {size / MB:>8.1f} {size // n:>6}")
    print(f"\n{'field':<16} {'MB':>8}")
    for name, size in m.by_field.most_common():
        print(f"{name:<16} {size / MB:>8.1f}")
    print(f"\ncontract fields only ({', '.join(CONTRACT_FIELDS)}): {m.floor / MB:.1f} MB")
    print(f"the same without remediation.description: {m.floor_bare / MB:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
