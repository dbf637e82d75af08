"""The report writers as they were before org-scale trial round 2, kept as references.

Each of these built its whole output in memory (a StringIO, a list of lines, a list of every
ASFF dict, an ElementTree) before writing it; the streaming writers that replaced them must
write the very same bytes. Only the assembly is copied here: the per-row functions (CSV rows,
OCSF events, ASFF findings) are the modules' own.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Mapping

import networkx as nx


def old_csv_text(document: Mapping[str, Any]) -> str:
    from reports._common import sorted_findings
    from reports.csv_out import COLUMNS, _row

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for f in sorted_findings(document):
        writer.writerow(_row(f))
    return buf.getvalue()


def old_csv_bytes(document: Mapping[str, Any]) -> bytes:
    """What ``path.write_text(render_csv(document), encoding="utf-8", newline="")`` wrote."""
    return old_csv_text(document).encode("utf-8")


def old_ocsf_bytes(document: Mapping[str, Any]) -> bytes:
    from reports._common import findings_of
    from reports.ocsf import check_event, to_ocsf

    lines = []
    for finding in findings_of(document):
        event = to_ocsf(finding, document)
        problems = check_event(event)
        if problems:
            raise ValueError(f"OCSF event for {finding.get('id')} lacks {', '.join(problems)}")
        lines.append(json.dumps(event, ensure_ascii=True, sort_keys=True, default=str))
    text = "\n".join(lines) + ("\n" if lines else "")
    return text.encode("utf-8")  # write_text in text mode: no "\r" on Linux


def old_asff_bytes(document: Mapping[str, Any], *, graph: nx.MultiDiGraph | None = None,
                   created_at: Mapping[str, str] | None = None) -> bytes:
    from reports.asff import to_asff
    from reports._common import findings_of

    created = created_at or {}
    findings = [to_asff(f, document, graph=graph,
                        created_at=created.get(str(f.get("id"))) or f.get("first_seen"))
                for f in findings_of(document)]
    return (json.dumps(findings, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def old_junit_bytes(document: Mapping[str, Any]) -> bytes:
    from reports.junit import build_junit

    root = build_junit(document)
    ET.indent(root)
    return (ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n").encode("utf-8")


def written(path: Path) -> bytes:
    return path.read_bytes()
