"""ASFF mapping: required fields, limits with truncation markers, botocore model validation."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from helpers.report_sample import (
    CENTRAL,
    KEY,
    MEMBER_C,
    PCX_NOROUTE,
    ROLE_B,
    SCRIPT,
    SECRET_A,
    sample_document,
    sample_graph,
)
from reports._common import TRUNCATION_MARKER
from reports.asff import (
    LIMITS,
    MAX_FINDING_BYTES,
    archive_resolved,
    build_asff,
    created_at_index,
    finding_bytes,
    fit_size,
    retarget_central,
    target_of,
    validate_asff,
)
from scanner.graph.schema import ec2_arn

REQUIRED = ("SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types",
            "CreatedAt", "UpdatedAt", "Severity", "Title", "Description", "Resources")


def _by_rule(findings: list[dict]) -> dict[str, dict]:  # type: ignore[type-arg]
    return {f["ProductFields"]["secretgraph/rule_id"]: f for f in findings}


def test_every_finding_has_the_required_fields_and_passes_the_botocore_model() -> None:
    findings = build_asff(sample_document(), graph=sample_graph())
    assert len(findings) == len(sample_document()["findings"])
    for f in findings:
        assert all(f.get(k) for k in REQUIRED), f["Id"]
        assert validate_asff(f) == [], f["Id"]
        assert f["SchemaVersion"] == "2018-10-08"
        assert f["ProductArn"] == (f"arn:aws:securityhub:{f['Region']}:{f['AwsAccountId']}:"
                                   f"product/{f['AwsAccountId']}/default")
        assert f["GeneratorId"] == "secretgraph/" + f["ProductFields"]["secretgraph/rule_id"]
        assert f["Remediation"]["Recommendation"]["Text"]
        assert f["Compliance"]["RelatedRequirements"]


def test_status_maps_to_compliance_status_and_record_state() -> None:
    by_rule = _by_rule(build_asff(sample_document()))
    assert by_rule["secret-cross-account-access-broken"]["Compliance"]["Status"] == "FAILED"
    assert by_rule["kms-key-rotation-disabled"]["Compliance"]["Status"] == "PASSED"
    unknown = by_rule["secret-unused"]["Compliance"]
    assert unknown["Status"] == "WARNING"
    assert "Secret.last_accessed" in unknown["StatusReasons"][0]["Description"]
    muted = by_rule["secret-policy-external-account"]
    assert muted["Workflow"] == {"Status": "SUPPRESSED"}
    assert all(f["RecordState"] == "ACTIVE" for f in by_rule.values())


def test_resources_get_asff_types_and_details_from_the_graph() -> None:
    by_rule = _by_rule(build_asff(sample_document(), graph=sample_graph()))
    broken = by_rule["secret-cross-account-access-broken"]["Resources"]
    assert [r["Type"] for r in broken] == ["AwsSecretsManagerSecret", "AwsIamRole"]
    assert broken[0]["Id"] == SECRET_A and broken[1]["Id"] == ROLE_B
    secret = broken[0]["Details"]["AwsSecretsManagerSecret"]
    assert secret["KmsKeyId"] == KEY and secret["RotationEnabled"] is True
    assert broken[0]["Tags"]["Name"] == SCRIPT  # hostile text is data, kept as is
    peering = by_rule["vpc-peering-route-missing"]["Resources"][0]
    assert peering["Type"] == "AwsEc2VpcPeeringConnection"
    details = peering["Details"]["AwsEc2VpcPeeringConnection"]
    assert details["VpcPeeringConnectionId"] == PCX_NOROUTE
    assert details["Status"] == {"Code": "active"}
    assert details["AccepterVpcInfo"]["CidrBlockSet"] == [{"CidrBlock": "10.2.0.0/16"}]
    key = by_rule["kms-key-rotation-disabled"]["Resources"][0]
    assert key["Type"] == "AwsKmsKey" and key["Details"]["AwsKmsKey"]["KeyRotationStatus"] is False
    account = by_rule["scan-coverage-gap"]["Resources"][0]
    assert account == {"Type": "AwsAccount", "Id": f"AWS::::Account:{MEMBER_C}",
                       "Partition": "aws", "Region": "us-east-1"}


def test_route_table_resources_carry_their_routes() -> None:
    doc = sample_document()
    arn = ec2_arn("us-east-1", CENTRAL, "route-table", "rtb-central")
    doc["findings"][0]["resource"] = {"type": "RouteTable", "arn": arn, "account_id": CENTRAL,
                                      "region": "us-east-1"}
    f = build_asff(doc, graph=sample_graph())[0]
    table = f["Resources"][0]["Details"]["AwsEc2RouteTable"]
    assert {r.get("VpcPeeringConnectionId") for r in table["RouteSet"]} >= {"pcx-0aaa", "pcx-0bbb"}
    assert {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1",
            "State": "active"} in table["RouteSet"]
    assert validate_asff(f) == []


def test_global_resources_are_imported_into_the_home_region() -> None:
    by_rule = _by_rule(build_asff(sample_document(), home_region="eu-west-1"))
    wildcard = by_rule["identity-policy-secret-wildcard"]
    assert target_of(wildcard) == (MEMBER_C, "eu-west-1")
    assert by_rule["secret-rotation-disabled"]["Region"] == "us-east-1"


def test_over_long_text_is_truncated_with_a_marker_never_rejected() -> None:
    doc = sample_document()
    doc["findings"][0]["title"] = "T" * 1000
    doc["findings"][0]["message"] = "D" * 5000
    doc["findings"][0]["remediation"] = {"description": "R" * 3000}
    doc["findings"][0]["evidence"] = {"policy": "P" * 10000}
    f = build_asff(doc)[0]
    assert len(f["Title"]) == LIMITS["Title"] and f["Title"].endswith(TRUNCATION_MARKER)
    assert len(f["Description"]) == LIMITS["Description"]
    assert f["Description"].endswith(TRUNCATION_MARKER)
    assert f["Remediation"]["Recommendation"]["Text"].endswith(TRUNCATION_MARKER)
    assert len(f["ProductFields"]["secretgraph/evidence"]) == LIMITS["ProductFields.value"]
    assert validate_asff(f) == []


def test_title_and_description_are_one_line_whatever_the_names_hold() -> None:
    """Hostile-input trial: \\n and \\r from a name or message reached Title and Description
    (a forged line in the console and in the tickets made from it)."""
    doc = sample_document()
    doc["findings"][0]["title"] = "Secret\nFAKE: all clear\r\u2028x"
    doc["findings"][0]["message"] = "db\r\nSeverity: LOW\u2029done"
    f = build_asff(doc)[0]
    assert f["Title"].startswith("Secret FAKE: all clear x")
    assert f["Description"].startswith("db Severity: LOW done")
    assert not any(c in f["Title"] + f["Description"] for c in "\n\r\u2028\u2029")
    assert validate_asff(f) == []


def test_validation_reports_what_security_hub_would_reject() -> None:
    f = build_asff(sample_document())[0]
    f["Severity"] = {"Label": "SEVERE"}
    f["Title"] = "x" * 300
    f["Description"] = "   "
    del f["GeneratorId"]
    f["Resources"] = []
    problems = " | ".join(validate_asff(f))
    assert "GeneratorId" in problems
    assert "'SEVERE' is not one of" in problems
    assert "Title: longer than 256" in problems
    assert "Finding.Description: must not be empty" in problems
    assert "Resources: needs 1 to 32" in problems


def test_a_finding_over_240_kb_is_shrunk_to_fit() -> None:
    f = build_asff(sample_document(), graph=sample_graph())[0]
    f["Resources"][0]["Details"]["AwsSecretsManagerSecret"]["Description"] = "x" * 300_000
    assert finding_bytes(f) > MAX_FINDING_BYTES
    fitted = fit_size(f)
    assert finding_bytes(fitted) <= MAX_FINDING_BYTES
    assert validate_asff(fitted) == []


def test_created_at_is_kept_across_scans() -> None:
    first = build_asff(sample_document())
    later = sample_document()
    later["scan"]["started_at"] = later["scan"]["finished_at"] = "2026-12-05T01:00:00Z"
    second = build_asff(later, created_at=created_at_index(first))
    assert [f["CreatedAt"] for f in second] == [f["CreatedAt"] for f in first]
    assert all(f["UpdatedAt"] == "2026-12-05T01:00:00.000Z" for f in second)
    assert all(f["CreatedAt"] == "2026-11-29T01:04:10.000Z" for f in first)


def test_central_mode_keeps_the_resource_account_in_product_fields() -> None:
    f = _by_rule(build_asff(sample_document()))["identity-policy-secret-wildcard"]
    central = retarget_central(f, "999999999999")
    assert central["AwsAccountId"] == "999999999999"
    assert central["ProductArn"].endswith(":999999999999:product/999999999999/default")
    assert central["ProductFields"]["secretgraph/resource_account"] == MEMBER_C
    assert validate_asff(central) == []
    assert f["AwsAccountId"] == MEMBER_C  # the input is not modified


def test_resolved_findings_are_archived_only_where_the_scan_looked() -> None:
    previous = build_asff(sample_document())
    now_doc = sample_document()
    kept = [f for f in now_doc["findings"] if f["rule_id"] not in (
        "secret-rotation-disabled", "identity-policy-secret-wildcard")]
    now_doc["findings"] = kept
    for f in now_doc["findings"]:
        if f["rule_id"] == "vpc-peering-route-missing":
            f["status"] = "PASS"
    current = build_asff(now_doc)
    archived = {f["ProductFields"]["secretgraph/rule_id"]: f
                for f in archive_resolved(previous, current, now_doc)}
    # gone from a region the scan read; fixed in place; the member it could not read is not archived
    assert set(archived) == {"secret-rotation-disabled", "vpc-peering-route-missing"}
    for f in archived.values():
        assert f["Compliance"]["Status"] == "PASSED" and f["RecordState"] == "ARCHIVED"
        assert validate_asff(f) == []
    old = {f["Id"]: f for f in previous}
    assert all(f["CreatedAt"] == old[f["Id"]]["CreatedAt"] for f in archived.values())


def test_a_complete_scan_archives_everything_that_disappeared() -> None:
    previous = build_asff(sample_document())
    now_doc = sample_document()
    now_doc["scan"]["complete"] = True
    now_doc["coverage"] = []
    now_doc["findings"] = []
    archived = archive_resolved(previous, [], now_doc,
                                now=datetime(2026, 12, 1, tzinfo=timezone.utc))
    failed_before = [f for f in previous if f["Compliance"]["Status"] == "FAILED"]
    undecided_before = [f for f in previous if f["Compliance"]["Status"] == "WARNING"]
    assert len(failed_before) == 7 and len(undecided_before) == 1
    # an UNKNOWN finding the scan now decided and does not report is archived too: it stayed
    # "could not assess" (WARNING) in Security Hub after the night that could not read it
    assert len(archived) == 8
    assert {f["Id"] for f in archived} == {f["Id"] for f in failed_before + undecided_before}
    assert all(f["Compliance"]["Status"] == "PASSED" for f in archived)
    assert json.loads(json.dumps(archived))  # plain JSON


def test_account_names_travel_as_aws_account_name_and_stay_behind_in_central_mode() -> None:
    findings = build_asff(sample_document(), graph=sample_graph())
    central_owned = [f for f in findings if f["AwsAccountId"] == CENTRAL]
    assert central_owned and {f["AwsAccountName"] for f in central_owned} == {"security-central"}
    hostile = [f for f in findings if f["AwsAccountId"] == MEMBER_C]
    assert hostile and all(len(f["AwsAccountName"]) <= LIMITS["AwsAccountName"] for f in hostile)
    moved = retarget_central(hostile[0], "999999999999")
    assert "AwsAccountName" not in moved  # it would name another account than AwsAccountId
    assert moved["ProductFields"]["secretgraph/resource_account_name"].startswith("sandbox")
    assert validate_asff(moved) == []


def test_a_scan_of_some_accounts_rules_or_severities_archives_nothing_outside_them() -> None:
    """A new user's trial: a complete scan of one account archived every finding of the
    others, and one run with --severity CRITICAL archived every HIGH finding (drift agreed
    with neither: the test is now scanner.history.assessed's, for both)."""
    previous = build_asff(sample_document())
    failed = [f for f in previous if f["Compliance"]["Status"] in ("FAILED", "WARNING")]

    def account(f: dict) -> str:
        return f["ProductFields"]["secretgraph/resource_account"]

    def later(**scan: object) -> dict:
        doc = sample_document()
        doc["scan"].update(complete=True, **scan)
        doc["coverage"], doc["findings"] = [], []
        return doc

    one = later(accounts=[CENTRAL])
    archived = archive_resolved(previous, [], one)
    assert archived and {account(f) for f in archived} == {CENTRAL}
    assert len(archived) == len([f for f in failed if account(f) == CENTRAL])

    severities = sorted({f["Severity"]["Label"] for f in failed})
    only = severities[0]
    archived = archive_resolved(previous, [], later(scope={"severities": [only]}))
    # archived: INFORMATIONAL, the rule's severity in Original (new-user trial round 6)
    assert archived and {f["Severity"]["Original"] for f in archived} == {only}

    rules = sorted({f["ProductFields"]["secretgraph/rule_id"] for f in failed})
    archived = archive_resolved(previous, [], later(rules=rules[1:]))
    assert archived and rules[0] not in {f["ProductFields"]["secretgraph/rule_id"]
                                         for f in archived}


def test_a_pass_result_is_informational_and_resolved_keeping_the_rule_severity() -> None:
    """New-user trial round 6: with --include-passed, 58 PASS results reached Security Hub as
    ACTIVE findings labelled CRITICAL. Severity.Label INFORMATIONAL is "No issue was found"
    (Security Hub API, Severity); the rule's severity stays in Severity.Original; Workflow is
    RESOLVED, as Security Hub sets it for a PASSED control finding. OCSF and JUnit are not
    ASFF and keep the rule's severity."""
    by_rule = _by_rule(build_asff(sample_document()))
    passed = by_rule["kms-key-rotation-disabled"]
    assert passed["Compliance"]["Status"] == "PASSED"
    assert passed["Severity"] == {"Label": "INFORMATIONAL", "Original": "LOW"}
    assert passed["Workflow"] == {"Status": "RESOLVED"}
    assert passed["RecordState"] == "ACTIVE"
    assert validate_asff(passed) == []
    # failing, unknown and muted findings keep their label
    assert by_rule["secret-rotation-disabled"]["Severity"] == {"Label": "MEDIUM",
                                                               "Original": "MEDIUM"}
    assert by_rule["secret-policy-external-account"]["Severity"]["Label"] == "HIGH"
    assert "Workflow" not in by_rule["secret-rotation-disabled"]


def test_an_archived_resolved_finding_is_informational_keeping_its_original_severity() -> None:
    """New-user trial round 6: a resolved finding is re-imported PASSED; like a PASS result it
    is "No issue was found" (INFORMATIONAL), its rule's severity kept in Severity.Original."""
    doc = sample_document()
    previous = build_asff(doc)
    doc["findings"] = [f for f in doc["findings"] if f["rule_id"] != "secret-rotation-disabled"]
    [archived] = [f for f in archive_resolved(previous, build_asff(doc), doc)
                  if f["GeneratorId"] == "secretgraph/secret-rotation-disabled"]
    assert archived["Severity"] == {"Label": "INFORMATIONAL", "Original": "MEDIUM"}
    assert archived["Compliance"]["Status"] == "PASSED"


def test_docs_reports_name_every_member_and_product_field_an_asff_finding_carries() -> None:
    """docs/reports.md's ASFF table is where a Security Hub user looks a field up: it named
    neither ProductFields' ProviderName, ProviderVersion and secretgraph/resource_type nor
    SchemaVersion, ProductName and CompanyName (docs round 14)."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "reports.md").read_text()
    section = text[text.index("## ASFF and Security Hub"):text.index("`reports.asff.validate_asff")]
    findings = build_asff(sample_document(), graph=sample_graph())
    members = {key for f in findings for key in f}
    fields = {key for f in findings for key in f["ProductFields"]}
    assert "secretgraph/principal" in fields and "secretgraph/resource_type" in fields
    missing = {m for m in members if f"`{m}`" not in section and f"`{m}." not in section}
    missing |= {k for k in fields
                if f"`{k}`" not in section and f"`{k.removeprefix('secretgraph/')}`" not in section}
    assert sorted(missing) == []
