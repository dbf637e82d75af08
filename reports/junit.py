"""JUnit XML: one test suite per rule, one test case per rule x resource.

A test case fails when any finding for that rule and resource is FAIL (access findings for
several principals fold into one case and are all listed); it is skipped when its findings are
only UNKNOWN (inputs missing) or MUTED (suppressed), and passes otherwise.

PASS results come from the findings when they are itemised (``--emit-pass``), else from the
document's ``passed`` block: each resource it lists is a passed case; a rule whose passing
resources are only counted (more than ``resources_max``) gets one passed case saying how many
("N resources passed (not itemised; --emit-pass lists them)"). Every rule of the ``passed``
block has a suite, and each ``tests`` attribute counts the cases present (new-user trial
round 6: a clean scan wrote ``tests="0"``, which CI's JUnit steps treat as a failed build).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Any, Mapping

from reports._common import SEVERITY_RANK, findings_of, xml_text


def _case_details(findings: list[Mapping[str, Any]]) -> str:
    lines = []
    for f in findings:
        who = f" principal={f['principal']}" if f.get("principal") else ""
        lines.append(f"[{f.get('status')}] {f.get('severity')}{who}: {f.get('message') or f.get('title')}")
        if f.get("evidence"):
            lines.append("  evidence: " + json.dumps(f["evidence"], sort_keys=True, default=str))
        rem = (f.get("remediation") or {}).get("description")
        if rem:
            lines.append(f"  remediation: {rem}")
        if f.get("missing"):
            lines.append("  missing: " + ", ".join(map(str, f["missing"])))
    return xml_text("\n".join(lines))


def _not_itemised(count: int) -> str:
    return (f"{count} resource{'' if count == 1 else 's'} passed "
            "(not itemised; --emit-pass lists them)")


def _pass_summaries(document: Mapping[str, Any]) -> tuple[list[Mapping[str, Any]], bool]:
    """The ``passed.by_rule`` entries and whether PASS results are itemised in ``findings``
    too (``--emit-pass``: then its PASS rows are the passed cases); ([], True) without a
    ``passed`` block (a document written before PASS summaries itemises every PASS)."""
    passed = document.get("passed")
    if not isinstance(passed, Mapping):
        return [], True
    entries = [e for e in passed.get("by_rule") or ()
               if isinstance(e, Mapping) and e.get("rule_id")]
    return entries, bool(passed.get("itemised"))


def build_junit(document: Mapping[str, Any]) -> ET.Element:
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


def render_junit(document: Mapping[str, Any]) -> str:
    root = build_junit(document)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(document: Mapping[str, Any], path: Path) -> Path:
    path.write_text(render_junit(document), encoding="utf-8")
    return path
