"""Table, findings.json, CSV, JUnit and OCSF renderers on a hostile sample."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from helpers.report_sample import HOSTILE, IMG, SCRIPT, sample_access, sample_document, \
    sample_graph
from reports import FORMATS, WRITERS, parse_formats, write_reports
from reports.csv_out import read_csv, render_csv
from reports.json_out import read_findings_json, validate_document, write_findings_json
from reports.junit import render_junit
from reports.ocsf import CLASS_UID, REQUIRED, check_event, render_ocsf, to_ocsf
from reports._common import SEVERITIES
from reports.table import render_table
from scanner.errors import InputError, UsageError


class _Analysis:
    def __init__(self) -> None:
        self.document = sample_document()
        self.graph = sample_graph()
        self.access = sample_access()


# --------------------------------------------------------------------------- table


def test_table_groups_by_severity_then_account_and_ends_with_a_summary() -> None:
    text = render_table(sample_document(), width=120)
    order = [text.index(f"\n{s}: ") if not text.startswith(f"{s}: ") else 0
             for s in ("CRITICAL", "HIGH", "MEDIUM", "INFORMATIONAL")]
    assert order == sorted(order)
    assert "LOW: " not in text  # the only LOW result is a PASS: counted, not listed
    medium = text[text.index("MEDIUM: "):text.index("INFORMATIONAL: ")]
    assert medium.index("111111111111") < medium.index("444444444444")
    summary = text.strip().split("\n\n")[-1].replace("\n", " ")
    assert summary.startswith("9 results (6 FAIL, 1 UNKNOWN, 1 MUTED, 1 PASS)")
    assert "1 CRITICAL, 2 HIGH, 3 MEDIUM" in summary and "INCOMPLETE (1 coverage gap)" in summary
    assert "NOT ASSESSED: 1 account x region x call" in text


def test_the_not_assessed_table_names_the_account_as_the_findings_do() -> None:
    """New-user trial round 29's leftover: NOT ASSESSED listed account ids alone where every
    findings table above it shows the account's name over its id (the name from the rows;
    hostile markup in it is cleaned as anywhere in the table)."""
    from helpers.report_sample import ACCOUNT_NAMES, MEMBER_C

    text = render_table(sample_document(), width=120)
    gaps = text[text.index("NOT ASSESSED: "):]
    assert "sandbox" in gaps and MEMBER_C in gaps
    assert gaps.index("sandbox") < gaps.index(MEMBER_C)


def test_table_headings_agree_with_the_summary() -> None:
    doc = sample_document()
    text = render_table(doc, width=120)
    summary = doc["summary"]
    for severity, failing in summary["failing_by_severity"].items():
        heading = [line for line in text.splitlines() if line.startswith(f"{severity}: ")]
        if failing:
            assert heading and heading[0].startswith(f"{severity}: {failing} failing"), severity
    listed = sum(int(word) for line in text.splitlines() if ": " in line and
                 line.split(":")[0] in SEVERITIES for word, label in
                 zip(line.split(": ", 1)[1].replace(",", "").split()[::2],
                     line.split(": ", 1)[1].replace(",", "").split()[1::2]))
    statuses = summary["by_status"]
    assert listed == statuses["FAIL"] + statuses["UNKNOWN"] + statuses["MUTED"]


@pytest.mark.parametrize("width", [60, 80, 100, 160])
def test_table_fits_the_terminal_width(width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = sample_document()
    doc["findings"][0]["message"] = "x" * 500 + " a-very-long-unbroken-identifier" * 10
    monkeypatch.setenv("COLUMNS", str(width))
    text = render_table(doc)  # the width comes from $COLUMNS
    assert max(len(line) for line in text.splitlines()) <= width
    assert "security-" in text and "sandbox" in text  # account names shown
    assert "111111111111" in text  # ... with their ids


@pytest.mark.parametrize("width", [60, 80, 120])
def test_table_fits_the_terminal_by_display_width_with_wide_characters(width: int) -> None:
    """Hostile-input trial: CJK and emoji names (two columns each on a terminal) ran the table
    past 80 columns: it counted characters, not columns."""
    import unicodedata

    def columns(line: str) -> int:  # measured here on its own, as a terminal does
        return sum(0 if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Cf")
                   else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)

    wide = "密钥🔑秘密👩\u200d👧数据库" * 6
    doc = sample_document()
    for f in doc["findings"]:
        f["resource"]["arn"] += "/" + wide
        f["resource"]["account_name"] = "账户" * 10
        f["message"] = wide + " " + wide
    text = render_table(doc, width=width)
    assert max(columns(line) for line in text.splitlines()) <= width
    assert "密钥🔑秘密" in text and "账户账户" in text


def test_table_summarises_controls_when_scoped_to_a_framework() -> None:
    doc = sample_document()
    assert "COMPLIANCE" not in render_table(doc, width=100)
    doc["scan"]["scope"] = {"compliance": ["CIS AWS 3.0"]}
    text = render_table(doc, width=80)
    assert "COMPLIANCE CIS AWS 3.0: 1 control (1 FAIL)" in text
    row = next(line for line in text.splitlines() if line.startswith("2.1.1"))
    assert row.split()[:5] == ["2.1.1", "FAIL", "6", "1", "1"]
    assert max(len(line) for line in text.splitlines()) <= 80


def test_table_detail_is_plain_language_from_the_finding_message() -> None:
    doc = sample_document()
    text = render_table(doc, width=200)
    assert "RotationEnabled is false" in text
    assert "(is_false)" not in text


def test_table_and_html_say_which_trust_zone_the_verdicts_used() -> None:
    from reports.html import render_html

    doc = sample_document()
    assert "trust zone: not recorded" in render_table(doc)
    doc["scan"]["trust_zone"] = {"accounts_count": 5, "sources": ["scanned_accounts", "config"],
                                 "organization_read": False, "organization_accounts": None,
                                 "scanned_accounts": 4, "trusted_accounts": ["999999999999"]}
    # without --org no Organization was read: said plainly ("from no organization" was not)
    line = ("trust zone: 5 account(s) in scanned accounts (4) or config trusted_accounts (1); "
            "not an Organization scan (no --org): every other account is outside")
    assert line in " ".join(render_table(doc).split())  # the table wraps it to the terminal
    assert line in render_html(doc)
    doc["scan"]["trust_zone"].update(sources=["organization", "scanned_accounts"],
                                     organization_read=True, organization_accounts=7)
    assert "trust zone: 5 account(s) in organization (7) or scanned accounts (4)\n" in \
        render_table(doc, width=200)


def test_table_strips_terminal_escapes_from_hostile_text() -> None:
    assert "\x1b" in HOSTILE
    doc = sample_document()
    doc["findings"][0]["message"] = "bell\x07 nul\x00 " + HOSTILE
    text = render_table(doc, width=400)
    assert not any(ch in text for ch in ("\x1b", "\x07", "\x00"))
    assert "\ufffd[31mred" in text  # the escape sequence is shown inert


def test_table_shows_text_reordering_characters_inert() -> None:
    """A right-to-left override or zero-width space in a secret name would make the table show
    another name than the one in AWS (Trojan Source): shown as U+FFFD, like an escape."""
    doc = sample_document()
    doc["findings"][0]["message"] = "app/\u202eyek-terces\u200b-db ok-\u00e9"
    text = render_table(doc, width=400)
    assert "\u202e" not in text and "\u200b" not in text
    assert "app/\ufffdyek-terces\ufffd-db ok-\u00e9" in text


def test_table_without_findings_says_so() -> None:
    doc = sample_document()
    doc["findings"] = []
    assert "No failing, unassessed or muted findings." in render_table(doc)


# --------------------------------------------------------------------------- findings.json


def test_findings_json_round_trips_and_is_schema_checked(tmp_path: Path) -> None:
    path = write_findings_json(sample_document(), tmp_path / "findings.json")
    assert read_findings_json(path) == json.loads(json.dumps(sample_document()))


def test_findings_json_names_the_bad_field(tmp_path: Path) -> None:
    doc = sample_document()
    doc["findings"][2]["severity"] = "SEVERE"
    with pytest.raises(InputError, match=r"findings/2/severity"):
        validate_document(doc)
    bad = tmp_path / "findings.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="findings.json: not a readable JSON file"):
        read_findings_json(bad)


# --------------------------------------------------------------------------- CSV


def test_csv_round_trips_every_finding_including_hostile_text() -> None:
    doc = sample_document()
    rows = read_csv(render_csv(doc))
    by_id = {r["id"]: r for r in rows}
    assert len(rows) == len(doc["findings"])
    for f in doc["findings"]:
        row = by_id[f["id"]]
        assert row["rule_id"] == f["rule_id"]
        assert row["severity"] == f["severity"] and row["status"] == f["status"]
        assert row["resource_arn"] == f["resource"]["arn"]
        assert row["evidence"] == f["evidence"]
        assert row["compliance"] == f["compliance"]
        assert row["missing"] == f["missing"]
        # control characters are replaced, everything else survives
        assert row["message"] == f["message"].replace("\x1b", "\ufffd")


def test_csv_cells_cannot_start_a_spreadsheet_formula() -> None:
    doc = sample_document()
    doc["findings"][0]["message"] = "=HYPERLINK(\"http://evil\",\"x\")"
    doc["findings"][1]["message"] = "+1+1"
    text = render_csv(doc)
    assert "'=HYPERLINK" in text and "'+1+1" in text
    messages = {r["message"] for r in read_csv(text)}
    assert "=HYPERLINK(\"http://evil\",\"x\")" in messages and "+1+1" in messages


# --------------------------------------------------------------------------- JUnit


def test_junit_has_one_case_per_rule_and_resource() -> None:
    root = ET.fromstring(render_junit(sample_document()).encode())
    cases = root.findall("./testsuite/testcase")
    doc = sample_document()
    pairs = {(f["rule_id"], f["resource"]["arn"]) for f in doc["findings"]}
    assert {(c.get("classname"), c.get("name")) for c in cases} == pairs
    failures = [c for c in cases if c.find("failure") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert len(failures) == 6  # the six FAIL results
    assert {c.get("classname") for c in skipped} == {"secret-unused",
                                                    "secret-policy-external-account"}
    assert root.get("tests") == str(len(cases)) and root.get("failures") == "6"
    assert root.get("skipped") == "2"
    broken = next(c for c in failures if c.get("classname") == "secret-cross-account-access-broken")
    assert broken.find("failure").get("type") == "HIGH"  # type: ignore[union-attr]
    assert "ApplicationRole" in (broken.find("failure").text or "")  # type: ignore[union-attr]


def test_junit_stays_well_formed_with_control_characters() -> None:
    doc = sample_document()
    doc["findings"][0]["message"] = "nul\x00 bell\x07 " + SCRIPT
    root = ET.fromstring(render_junit(doc).encode())
    texts = " ".join(e.get("message") or "" for e in root.iter("failure"))
    assert SCRIPT in texts and "\x00" not in texts


# --------------------------------------------------------------------------- OCSF


def test_ocsf_lines_are_compliance_findings_with_every_required_attribute() -> None:
    doc = sample_document()
    lines = render_ocsf(doc).splitlines()
    assert len(lines) == len(doc["findings"])
    for line in lines:
        event = json.loads(line)
        assert check_event(event) == []
        assert event["class_uid"] == CLASS_UID == 2003
        assert event["category_uid"] == 2 and event["type_uid"] == 200301
        assert event["metadata"]["version"].startswith("1.")
    statuses = {json.loads(l)["status_code"]: json.loads(l) for l in lines}
    assert statuses["FAIL"]["compliance"]["status_id"] == 3
    assert statuses["PASS"]["compliance"]["status_id"] == 1
    assert statuses["UNKNOWN"]["compliance"]["status_id"] == 2
    assert statuses["MUTED"]["status_id"] == 3  # Suppressed


def test_ocsf_check_names_missing_required_attributes() -> None:
    event = to_ocsf(sample_document()["findings"][0], sample_document())
    del event["finding_info"]["uid"]
    del event["time"]
    event["compliance"]["standards"] = []
    assert set(check_event(event)) >= {"finding_info.uid", "time", "compliance.standards"}
    assert "metadata.product" in REQUIRED


# --------------------------------------------------------------------------- write_reports


def test_write_reports_writes_each_format_from_the_table(tmp_path: Path) -> None:
    written = write_reports(_Analysis(), tmp_path, list(FORMATS))
    assert [p.name for p in written] == [WRITERS[f].filename for f in FORMATS]
    assert all(p.stat().st_size > 0 for p in written)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert IMG not in html and 'id="drift"' not in html  # no drift given: no drift section


def test_write_reports_rejects_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown report format 'pdf'"):
        write_reports(_Analysis(), tmp_path, ["html", "pdf"])
    assert parse_formats("html, json,html") == ["html", "json"]


def test_a_mistyped_format_is_answered_with_the_closest_one() -> None:
    with pytest.raises(UsageError, match=r"unknown report format 'htm' \(did you mean html\? "
                                         r"known: "):
        parse_formats("json,htm")
    with pytest.raises(UsageError) as err:
        parse_formats("pdf")
    assert "did you mean" not in str(err.value)


def test_asff_written_again_in_the_same_place_keeps_created_at(tmp_path: Path) -> None:
    first = _Analysis()
    write_reports(first, tmp_path, ["asff"])
    before = {f["Id"]: f["CreatedAt"] for f in json.loads(
        (tmp_path / "findings.asff.json").read_text(encoding="utf-8"))}
    later = _Analysis()
    later.document["scan"]["finished_at"] = "2026-12-24T01:00:00Z"
    write_reports(later, tmp_path, ["asff"])
    after = json.loads((tmp_path / "findings.asff.json").read_text(encoding="utf-8"))
    assert {f["Id"]: f["CreatedAt"] for f in after} == before
    assert {f["UpdatedAt"] for f in after} == {"2026-12-24T01:00:00.000Z"}


def test_an_empty_scan_renders_every_format(tmp_path: Path) -> None:
    analysis = _Analysis()
    analysis.document["findings"] = []
    analysis.document["summary"] = {"total": 0, "by_status": {}, "failing_by_severity": {}}
    analysis.graph = None  # type: ignore[assignment]
    analysis.access = None  # type: ignore[assignment]
    written = write_reports(analysis, tmp_path, list(FORMATS))
    assert len(written) == len(FORMATS)
    assert (tmp_path / "findings.ocsf.jsonl").read_text() == ""
    assert ET.fromstring((tmp_path / "junit.xml").read_bytes()).get("tests") == "0"
    assert "No access analysis was available" in (tmp_path / "report.html").read_text()


def test_account_names_in_csv_ocsf_and_findings_json(tmp_path: Path) -> None:
    doc = sample_document()
    rows = read_csv(render_csv(doc))
    assert {r["account_name"] for r in rows} >= {"security-central"}
    events = [json.loads(line) for line in render_ocsf(doc).splitlines()]
    names = {e["cloud"]["account"].get("name") for e in events}
    assert "security-central" in names
    assert all(e["resources"][0]["owner"]["account"].get("name") == e["cloud"]["account"].get(
        "name") for e in events)
    path = write_findings_json(doc, tmp_path / "findings.json")
    assert read_findings_json(path)["findings"][0]["resource"]["account_name"]


def test_a_control_unknown_for_want_of_a_listing_is_marked_in_the_table() -> None:
    doc = sample_document()
    doc["findings"] = [dict(f, status="PASS") for f in doc["findings"]
                       if f["rule_id"] == "kms-key-rotation-disabled"][:1]
    doc["coverage"] = [{"account_id": "111111111111", "region": "us-east-1", "service": "kms",
                        "operation": "ListKeys", "error_code": "AccessDenied",
                        "error_kind": "denied", "message": "no", "resource_arn": None}]
    doc["scan"]["scope"] = {"compliance": ["CIS AWS 3.0"]}
    text = render_table(doc, width=80)
    row = next(line for line in text.splitlines() if line.startswith("2.1.1"))
    assert row.split()[:2] == ["2.1.1", "UNKNOWN*"]
    assert "* its rules read what the scan could not (see NOT ASSESSED)" in text


def test_cells_cut_to_fit_say_where_the_whole_text_is() -> None:
    """New-user trial at 80 columns: Detail cut at 4 lines lost the part that mattered
    ("currently blocked by key_policy"), with nothing saying where the rest was."""
    doc = sample_document()
    doc["findings"][0]["message"] = "granted by the resource policy but " * 20 + \
        "currently blocked by key_policy"
    narrow = render_table(doc, width=80, html=Path("out/report.html"))
    assert "…" in narrow
    assert "… marks text cut to fit the terminal: findings.json and out/report.html hold it " \
        "whole." in " ".join(narrow.split())
    wide = render_table({**doc, "findings": doc["findings"][1:2]}, width=400)
    assert "marks text cut" not in wide


def test_the_cut_note_names_report_html_only_when_it_was_written() -> None:
    """New-user trial round 8: `scan --format table --out X` said "findings.json and
    report.html hold it whole." when no report.html was written; like the "more rows" note,
    it says how to get one instead."""
    doc = sample_document()
    doc["findings"][0]["message"] = "granted by the resource policy but " * 20 + \
        "currently blocked by key_policy"
    text = " ".join(render_table(doc, width=80).split())
    assert "… marks text cut to fit the terminal: findings.json holds it whole (and " \
        "report.html, written with --format html)." in text
    assert "report.html hold it whole" not in text


def test_a_narrow_terminal_gets_a_block_per_finding_with_whole_ids_and_names() -> None:
    """New-user trial at 80 columns: the table cut rule ids at hyphens (`secret-` /
    `rotation-` / `function-…`), resource names to a prefix three secrets shared
    (`demo/misconfig/rotation-…`) and ARNs inside the detail (`a` / `rn:aws:iam::...`)."""
    doc = sample_document()
    template = doc["findings"][0]
    names = ["demo/misconfig/rotation-stuck-bhIOVE", "demo/misconfig/rotation-lambda-missing-Je",
             "demo/misconfig/rotation-no-network-Hghsqh"]
    doc["findings"] = [dict(template, id=f"sgf-{i}", rule_id="secret-rotation-function-missing",
                            status="FAIL", severity="HIGH",
                            resource=dict(template["resource"], arn=template["resource"]["arn"]
                                          .rsplit(":", 1)[0] + ":" + name),
                            message="kms:Decrypt granted to "
                                    "arn:aws:iam::987956713411:role/ApplicationRole but no "
                                    "secret encrypted with the key grants it")
                       for i, name in enumerate(names)]
    text = render_table(doc, width=80)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80  # ASCII here
    heads = [line for line in lines if line.startswith("FAIL")]
    assert len(heads) == 3
    assert all(line.split()[1] == "secret-rotation-function-missing" for line in heads)
    for name in names:
        assert any(line.strip().startswith(name) for line in lines), name
    assert "arn:aws:iam::987956713411:role/ApplicationRole" in text
    # a wide terminal keeps the table
    assert "Rule" in render_table(doc, width=160).splitlines()[1]


def _with_passed(doc: dict, by_rule: list[dict], *, itemised: bool = False) -> dict:
    doc["passed"] = {"itemised": itemised, "resources_max": 100, "by_rule": by_rule}
    return doc


def test_junit_lists_each_passing_resource_of_the_pass_summary_as_a_passed_case() -> None:
    """New-user trial round 6: a clean scan ("22 results (22 PASS)") wrote
    <testsuites tests="0"/> (Jenkins' junit step fails a build on empty results): the PASS
    results summarised in ``passed`` (by default) were not test cases at all."""
    doc = sample_document()
    doc["findings"] = []
    arns = [f"arn:aws:secretsmanager:eu-west-1:111111111111:secret:s{i}" for i in range(3)]
    _with_passed(doc, [{"rule_id": "secret-unused", "title": "t", "severity": "INFORMATIONAL",
                        "count": 3, "resources": arns}])
    root = ET.fromstring(render_junit(doc).encode())
    suite = root.find("./testsuite[@name='secret-unused']")
    assert suite is not None
    cases = suite.findall("testcase")
    assert sorted(c.get("name") for c in cases) == arns
    assert all(c.find("failure") is None and c.find("skipped") is None for c in cases)
    assert suite.get("tests") == "3" and root.get("tests") == "3"
    assert root.get("failures") == "0" and root.get("skipped") == "0"


def test_junit_gives_a_rule_passing_more_resources_than_listed_one_case_saying_how_many() -> None:
    """New-user trial round 6: the demo's junit had tests=29 while findings.json counted 608
    PASS, and rules that fully passed had no suite. Above ``resources_max`` the summary holds
    only a count: one passed case says it, and the suite's ``tests`` counts the cases present."""
    doc = _with_passed(sample_document(), [
        {"rule_id": "secret-rotation-disabled", "title": "t", "severity": "MEDIUM",
         "count": 12345},
        {"rule_id": "kms-key-policy-wildcard", "title": "t", "severity": "HIGH", "count": 500}])
    root = ET.fromstring(render_junit(doc).encode())
    quiet = root.find("./testsuite[@name='kms-key-policy-wildcard']")  # no finding: all passed
    assert quiet is not None and quiet.get("tests") == "1" and quiet.get("failures") == "0"
    (case,) = quiet.findall("testcase")
    assert case.get("classname") == "kms-key-policy-wildcard"
    assert case.get("name") == "500 resources passed (not itemised; --emit-pass lists them)"
    assert case.find("failure") is None and case.find("skipped") is None
    mixed = root.find("./testsuite[@name='secret-rotation-disabled']")
    assert mixed is not None
    names = [c.get("name") for c in mixed.findall("testcase")]
    assert "12345 resources passed (not itemised; --emit-pass lists them)" in names
    assert mixed.get("tests") == str(len(names)) == "2" and mixed.get("failures") == "1"
    for suite in root.findall("testsuite"):
        assert suite.get("tests") == str(len(suite.findall("testcase")))
    assert root.get("tests") == str(len(root.findall("./testsuite/testcase")))


def test_junit_gives_every_evaluated_rule_a_suite() -> None:
    """New-user trial round 6: a rule that evaluated nothing (count 0, no finding) still ran;
    its suite is there, empty."""
    doc = _with_passed(sample_document(), [
        {"rule_id": "secret-replica-missing", "title": "t", "severity": "LOW", "count": 0,
         "resources": []}])
    root = ET.fromstring(render_junit(doc).encode())
    suite = root.find("./testsuite[@name='secret-replica-missing']")
    assert suite is not None and suite.get("tests") == "0" and not suite.findall("testcase")


def test_junit_gives_every_rule_of_scan_rules_a_suite_suppression_expired_too() -> None:
    """scan.rules names every rule the scan evaluated, suppression-expired included (judged by
    every scan); a rule with neither a finding nor a PASS summary entry still gets its suite
    (review of the day's merges: 26 rules evaluated, 25 suites)."""
    doc = sample_document()
    doc["scan"]["rules"] = sorted({*doc["scan"].get("rules", ()), "suppression-expired"})
    root = ET.fromstring(render_junit(doc).encode())
    suite = root.find("./testsuite[@name='suppression-expired']")
    assert suite is not None and suite.get("tests") == "0"
    assert {s.get("name") for s in root.findall("testsuite")} >= set(doc["scan"]["rules"])


def test_junit_with_emit_pass_has_each_pass_row_once() -> None:
    """New-user trial round 6: with --emit-pass every PASS result is a finding and its own test
    case, as before; the ``passed`` block (the same as without --emit-pass) adds no second one."""
    doc = sample_document()
    key = next(f for f in doc["findings"] if f["status"] == "PASS")
    _with_passed(doc, [{"rule_id": key["rule_id"], "title": "t", "severity": "LOW", "count": 1,
                        "resources": [key["resource"]["arn"]]}], itemised=True)
    root = ET.fromstring(render_junit(doc).encode())
    suite = root.find(f"./testsuite[@name='{key['rule_id']}']")
    assert suite is not None
    assert [c.get("name") for c in suite.findall("testcase")] == [key["resource"]["arn"]]
    assert suite.get("tests") == "1"
    many = _with_passed(sample_document(), [{"rule_id": key["rule_id"], "title": "t",
                                             "severity": "LOW", "count": 101}], itemised=True)
    root = ET.fromstring(render_junit(many).encode())
    assert not [c for c in root.iter("testcase") if "not itemised" in (c.get("name") or "")]


# ------------------------------------------------- MUTED rows say why (new-user trial round 6)

MUTE = {"reason": "legacy app, rotation would break it", "expires": "2027-03-31",
        "owner": "platform@example.com", "entry": 0, "file": "supp.yaml",
        "rule": "secret-policy-external-account"}


def _muted_document(muted_by: dict | None = None) -> dict:
    doc = sample_document()
    for f in doc["findings"]:
        if f["status"] == "MUTED":
            f["muted_by"] = dict(muted_by or MUTE)
    return doc


def test_csv_muted_rows_carry_the_suppression_in_a_last_muted_by_column() -> None:
    """New-user trial round 6: a MUTED row of findings.csv did not say which suppression muted
    it, why, who owns it or when it expires (docs/configuration.md promises ``muted_by`` in
    every report). The column comes last, so existing spreadsheets' columns stay where they
    were; other rows leave it empty."""
    from reports.csv_out import COLUMNS

    text = render_csv(_muted_document())
    header = text.splitlines()[0].split(",")
    assert header[-1] == "muted_by" and tuple(header[:-1]) == COLUMNS[:-1]
    assert header[:16] == ["id", "rule_id", "title", "severity", "status", "account_id",
                           "account_name", "region", "resource_type", "resource_arn",
                           "principal", "message", "remediation", "compliance", "evidence",
                           "missing"]
    rows = read_csv(text)
    (muted,) = [r for r in rows if r["status"] == "MUTED"]
    assert muted["muted_by"] == MUTE
    assert all(r["muted_by"] is None for r in rows if r["status"] != "MUTED")


def test_csv_muted_by_cell_is_escaped_like_every_other_cell() -> None:
    """New-user trial round 6: the suppression's reason is text a spreadsheet must not run."""
    hostile = dict(MUTE, reason="=HYPERLINK(\"http://evil\",\"x\")\x1b[31m")
    text = render_csv(_muted_document(hostile))
    assert "\x1b" not in text  # JSON-escaped, as in the evidence column
    import csv
    import io
    (raw,) = [r for r in csv.DictReader(io.StringIO(text, newline=""))
              if r["status"] == "MUTED"]
    assert raw["muted_by"].startswith("{")  # a JSON object: no cell starts a formula
    (muted,) = [r for r in read_csv(text) if r["status"] == "MUTED"]
    assert muted["muted_by"] == hostile  # read back whole


@pytest.mark.parametrize("width", [80, 120, 200])
def test_table_muted_rows_show_the_reason_owner_and_expiry(width: int) -> None:
    """New-user trial round 6: the table (and findings.txt) showed a MUTED row's message only,
    not why it was muted; wide table and narrow stacked layout alike."""
    text = render_table(_muted_document(), width=width)
    flat = " ".join(text.split())
    assert "muted until 2027-03-31 (owner platform@example.com): legacy app, rotation would " \
           "break it" in flat.replace("- ", "-"), text
    assert max(len(line) for line in text.splitlines()) <= width


def test_table_muted_row_without_owner_still_says_why() -> None:
    """New-user trial round 6: an entry without ``owner`` shows its reason and expiry."""
    text = render_table(_muted_document({"reason": "accepted", "expires": "2027-01-01"}),
                        width=120)
    assert "muted until 2027-01-01: accepted" in text
