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
from collections import defaultdict
from pathlib import Path
from typing import Any, Mapping

import networkx as nx

from reports._common import SEVERITY_RANK, findings_of, xml_text
from reports.junit import _case_details, _not_itemised, _pass_summaries


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


# reports.junit.build_junit as it was: the whole ElementTree of every case
def old_build_junit(document: Mapping[str, Any]) -> ET.Element:
    by_case: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for f in findings_of(document):
        by_case[(str(f.get("rule_id")), str((f.get("resource") or {}).get("arn")))].append(f)
    by_rule: dict[str, list[tuple[str, list[Mapping[str, Any]]]]] = defaultdict(list)
    summaries, itemised = _pass_summaries(document)
    # every rule the scan evaluated has its suite, empty if it judged nothing (scan.rules
    # names them all, suppression-expired too: review of the day's merges)
    scan_rules = (document.get("scan") or {}).get("rules")
    for rule in scan_rules if isinstance(scan_rules, list) else ():
        by_rule.setdefault(str(rule), [])
    # a PASS case from the summary has no finding: an empty list of items (see below)
    for entry in summaries:
        rule = str(entry["rule_id"])
        by_rule.setdefault(rule, [])  # every rule evaluated has a suite, empty if it judged none
        if itemised:
            continue
        resources = entry.get("resources")
        if isinstance(resources, list):
            for arn in resources:
                by_case.setdefault((rule, str(arn)), [])
        elif int(entry.get("count") or 0) > 0:
            by_case[(rule, _not_itemised(int(entry.get("count") or 0)))] = []
    for (rule, arn), items in sorted(by_case.items()):
        by_rule[rule].append((arn, items))

    scan = document.get("scan") or {}
    root = ET.Element("testsuites", name="secretgraph")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for rule, cases in sorted(by_rule.items()):
        suite = ET.SubElement(root, "testsuite", name=xml_text(rule),
                              timestamp=xml_text(scan.get("started_at") or ""))
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for arn, items in cases:
            counts["tests"] += 1
            case = ET.SubElement(suite, "testcase", classname=xml_text(rule), name=xml_text(arn))
            failing = [f for f in items if f.get("status") == "FAIL"]
            if failing:
                worst = min(failing, key=lambda f: SEVERITY_RANK.get(str(f.get("severity")), 9))
                failure = ET.SubElement(
                    case, "failure", type=xml_text(worst.get("severity") or ""),
                    message=xml_text(worst.get("message") or worst.get("title") or ""))
                failure.text = _case_details(items)
                counts["failures"] += 1
            elif items and all(f.get("status") in ("UNKNOWN", "MUTED") for f in items):
                reason = "; ".join(sorted({
                    "not assessed: missing " + ", ".join(map(str, f.get("missing") or ["input"]))
                    if f.get("status") == "UNKNOWN"
                    else "muted: " + str((f.get("muted_by") or {}).get("reason", "suppressed"))
                    for f in items}))
                skipped = ET.SubElement(case, "skipped", message=xml_text(reason))
                skipped.text = _case_details(items)
                counts["skipped"] += 1
            elif items:
                out = ET.SubElement(case, "system-out")
                out.text = _case_details(items)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    return root


def old_junit_bytes(document: Mapping[str, Any]) -> bytes:
    root = old_build_junit(document)
    ET.indent(root)
    return (ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n").encode("utf-8")


def written(path: Path) -> bytes:
    return path.read_bytes()
