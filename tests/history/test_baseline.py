"""Access baselines: schema validation with the field named, findings for readers outside it,
and `baseline init` writing today's readers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scanner.access.report import AccessPath, AccessReport, GateVerdict, SecretAccess
from scanner.cli import main
from scanner.errors import InputError
from scanner.findings import Severity, Status, finding_id
from scanner.history import open_store
from scanner.history.baseline import baseline_findings, init_baseline, load_baseline, \
    parse_baseline

from helpers.scanfactory import MEMBER, access, document, secret, secret_arn, snapshot

DB = secret_arn("prod/db")
API = secret_arn("prod/api")
APP = f"arn:aws:iam::{MEMBER}:role/app"
BATCH = f"arn:aws:iam::{MEMBER}:role/batch-nightly"
VENDOR = "arn:aws:iam::999999999999:role/vendor"
STRANGER = "arn:aws:iam::888888888888:role/x"


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "baseline.yaml"
    p.write_text(text)
    return p


def test_readers_outside_the_baseline_become_high_findings(tmp_path: Path) -> None:
    baseline = load_baseline(_write(tmp_path, f"""
version: 1
allowed_external_accounts: ["999999999999"]
secrets:
  - secret: "prod/*"
    readers: ["{APP}", "arn:aws:iam::{MEMBER}:role/batch-*"]
"""))
    report = access({DB: [(APP, "allow"), (BATCH, "allow"), (VENDOR, "allow"),
                          (STRANGER, "allow"), ("arn:aws:iam::777777777777:role/y", "deny")],
                     API: [(STRANGER, "unknown")]})
    snap = snapshot("s", "2026-11-29T01:00:00Z", [secret("prod/db"), secret("prod/api")])
    findings = baseline_findings(report, baseline, snap)
    got = {(f.resource.arn, f.principal, f.status) for f in findings}
    assert got == {(DB, STRANGER, Status.FAIL), (API, STRANGER, Status.UNKNOWN)}
    fail = next(f for f in findings if f.status == Status.FAIL)
    assert fail.rule_id == "access-outside-baseline" and fail.severity == Severity.HIGH
    assert fail.id == finding_id("access-outside-baseline", DB, STRANGER)
    assert fail.resource.account_id == "111111111111" and fail.resource.region == "us-east-1"
    assert fail.evidence["baseline_entries"] == ["prod/*"]


def test_a_conditional_reader_with_a_gate_unknown_is_unknown_not_fail(tmp_path: Path) -> None:
    """A new user's trial: a member account whose part was missing (IAM not read) gave its
    role a CONDITIONAL path with identity_policy UNKNOWN, and the baseline check said FAIL."""
    baseline = load_baseline(_write(tmp_path, 'version: 1\nsecrets:\n  - secret: "prod/*"\n'
                                              '    readers: []\n'))
    report = access({DB: [(STRANGER, "conditional"), (VENDOR, "conditional")]})
    report["secrets"][DB]["paths"][0]["gates"]["identity_policy"]["status"] = "UNKNOWN"
    snap = snapshot("s", "2026-11-29T01:00:00Z", [secret("prod/db")])
    got = {(f.principal, f.status, f.missing) for f in baseline_findings(report, baseline, snap)}
    assert got == {(STRANGER, Status.UNKNOWN, ("access gate verdict",)),
                   (VENDOR, Status.FAIL, ())}


def test_account_id_reader_allows_every_principal_of_that_account(tmp_path: Path) -> None:
    baseline = load_baseline(_write(tmp_path, f"""
version: 1
secrets:
  - secret: "{DB}"
    readers: ["{MEMBER}"]
"""))
    findings = baseline_findings(access({DB: [(APP, "allow"), (BATCH, "conditional")],
                                         API: [(APP, "allow")]}), baseline)
    assert [(f.resource.arn, f.principal) for f in findings] == [(API, APP)]


def test_real_access_report_objects_are_accepted() -> None:
    gates = {"resource_policy": GateVerdict(status="ALLOWED"),
             "key_policy": GateVerdict(status="ALLOWED"),
             "identity_policy": GateVerdict(status="ALLOWED")}
    path = AccessPath(principal=STRANGER, principal_account="888888888888",
                      principal_type="role", secret_account="111111111111",
                      decision="ALLOWED", cross_account=True, gates=gates)
    report = AccessReport(secrets={DB: SecretAccess(
        secret_arn=DB, name="prod/db", account_id="111111111111", region="us-east-1",
        key_arn=None, aws_managed_key=False, paths=(path,))})
    baseline = parse_baseline({"version": 1, "secrets": []}, "b.yaml")
    (f,) = baseline_findings(report, baseline)
    assert (f.principal, f.evidence["gates"]["key_policy"]) == (STRANGER, "ALLOWED")
    text = init_baseline(report)
    assert yaml.safe_load(text)["secrets"] == [{"secret": DB, "readers": [STRANGER]}]
    assert '# "prod/db"' in text


@pytest.mark.parametrize("text, field, words", [
    ("version: 2\n", "version", "1 was expected"),
    ("version: 1\nsecrets:\n  - secret: a\n    readers: [x]\n    colour: red\n",
     "secrets[0]", "colour"),
    ("version: 1\nsecrets:\n  - secret: a\n", "secrets[0]", "readers"),
    ("version: 1\nallowed_external_accounts: ['12345']\n", "allowed_external_accounts[0]",
     "'12345' is not an account id (12 digits)"),
    ("version: 1\nsecrets:\n  - secret: a\n    readers: [1]\n", "secrets[0].readers[0]",
     "not of type"),
    # a new user's trial: readers that could never match were accepted
    ("version: 1\nsecrets:\n  - secret: a\n    readers: ['12345']\n", "secrets[0].readers[0]",
     "not a reader: '12345'"),
    ("version: 1\nsecrets:\n  - secret: a\n    readers: ['111111111111', "
     "'arn:aws:iam::1:role/x']\n", "secrets[0].readers[1]", "it could never match"),
])
def test_bad_baseline_names_file_and_field(tmp_path: Path, text: str, field: str,
                                           words: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as err:
        load_baseline(path)
    msg = str(err.value)
    assert str(path) in msg and f"field {field}" in msg and words in msg


def test_bad_yaml_and_missing_file_exit_2_with_one_line(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "version: 1\nsecrets: [\n")
    assert main(["baseline", "validate", str(path)]) == 2
    assert main(["baseline", "validate", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and str(path) in err[0] and "line" in err[0]
    assert "nope.yaml" in err[1]


def test_a_key_given_twice_is_refused_naming_the_file_and_the_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Hostile-input trial: the baseline was read with yaml.safe_load, so a second `secrets:`
    silently replaced the first and its reviewed readers vanished."""
    path = _write(tmp_path, "version: 1\nsecrets:\n  - secret: a\n    readers: ['*']\n"
                            "secrets:\n  - secret: b\n    readers: ['*']\n")
    assert main(["baseline", "validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0]
    assert "(line 5): key 'secrets' appears twice in one mapping (also at line 2)" in err[0]


def test_init_from_history_round_trips_through_validate_and_check(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hist = str(tmp_path / "h.db")
    snap = snapshot("s1", "2026-11-29T01:00:00Z", [secret("prod/db")])
    open_store(hist).record(snap.meta, snap, document(snap),
                            access({DB: [(APP, "allow"), (BATCH, "conditional"),
                                         (STRANGER, "deny")]}))
    out = tmp_path / "baseline.yaml"
    assert main(["baseline", "init", "--history", hist, "--output-file", str(out)]) == 0
    data = yaml.safe_load(out.read_text())
    assert data["secrets"] == [{"secret": DB, "readers": sorted([APP, BATCH])}]
    assert "# conditional" in out.read_text()
    assert main(["baseline", "validate", str(out)]) == 0
    assert main(["baseline", "check", "--baseline", str(out), "--history", hist]) == 0
    assert main(["baseline", "init", "--history", hist, "--output-file", str(out)]) == 2  # no overwrite
    snap2 = snapshot("s2", "2026-11-30T01:00:00Z", [secret("prod/db")])
    open_store(hist).record(snap2.meta, snap2, document(snap2),
                            access({DB: [(APP, "allow"), (STRANGER, "allow")]}))
    capsys.readouterr()
    assert main(["baseline", "check", "--baseline", str(out), "--history", hist]) == 1
    assert STRANGER in capsys.readouterr().out


def test_init_from_a_snapshot_file_runs_the_access_analysis(tmp_path: Path) -> None:
    from scanner.snapshot_io import write_snapshot

    from helpers.scanfactory import CENTRAL, policy, read_statement

    role = f"arn:aws:iam::{CENTRAL}:role/app"
    snap = snapshot("s1", "2026-11-29T02:00:00Z", [secret(
        "prod/db", kms_key_id=None, resource_policy=policy(read_statement(role, sid="App")))])
    write_snapshot(tmp_path / "snap.json", snap)
    out = tmp_path / "baseline.yaml"
    assert main(["baseline", "init", "--snapshot", str(tmp_path / "snap.json"),
                 "--output-file", str(out)]) == 0
    data = yaml.safe_load(out.read_text())
    assert data["secrets"] == [{"secret": secret_arn("prod/db"), "readers": [role]}]
    assert main(["baseline", "check", "--baseline", str(out),
                 "--snapshot", str(tmp_path / "snap.json")]) == 0


def test_a_scan_with_a_baseline_lists_its_rule_as_evaluated(tmp_path: Path) -> None:
    """Drift and the Security Hub archive read scan.rules: without access-outside-baseline in
    it, the rule's findings were never new, never resolved and never archived
    (nightly-operations trial)."""
    from scanner.pipeline import ScanOptions, analyze, load_inputs

    snap = snapshot("s", "2026-11-29T01:00:00Z", [secret("prod/db")])
    path = _write(tmp_path, 'version: 1\nsecrets:\n  - secret: "prod/*"\n    readers: []\n')
    with_baseline = analyze(snap, load_inputs(ScanOptions(baseline_path=path))).document
    without = analyze(snap, load_inputs(ScanOptions())).document
    assert "access-outside-baseline" in with_baseline["scan"]["rules"]
    assert "access-outside-baseline" not in without["scan"]["rules"]


def test_an_account_whose_role_was_refused_is_not_assessed_by_the_document() -> None:
    """The AssumeRole coverage entry names the role's ARN: read as a resource gap, the account
    counted as assumed and export archived its findings (nightly-operations trial)."""
    from scanner.history.assessed import assess_document

    doc = {"scan": {"accounts": ["111111111111", MEMBER], "regions": ["us-east-1"]},
           "coverage": [{"account_id": MEMBER, "region": "us-east-1", "service": "sts",
                         "operation": "AssumeRole", "error_code": "AccessDenied",
                         "resource_arn": f"arn:aws:iam::{MEMBER}:role/SecretgraphAudit"}]}
    assessed = assess_document(doc)
    assert MEMBER not in assessed.accounts_assumed
    assert assessed.why_not(account_id=MEMBER, region="us-east-1", kind="Secret",
                            arn=DB, rule_id="secret-rotation-disabled", severity="HIGH")


def test_a_principal_finding_is_not_assessed_when_its_account_was_not_read() -> None:
    """Regression check: an access-outside-baseline finding (per principal) was resolved and
    archived the night the principal's account refused the audit role."""
    from scanner.history.assessed import assess_document

    doc = {"scan": {"accounts": ["111111111111", MEMBER], "regions": ["us-east-1"]},
           "coverage": [{"account_id": MEMBER, "region": "us-east-1", "service": "sts",
                         "operation": "AssumeRole", "error_code": "AccessDenied",
                         "resource_arn": f"arn:aws:iam::{MEMBER}:role/SecretgraphAudit"}]}
    assessed = assess_document(doc)
    why = assessed.why_not(account_id="111111111111", region="us-east-1", kind="Secret",
                           arn=DB, rule_id=None, severity="HIGH", principal=APP)
    assert why and MEMBER in why
    # a principal outside the scan (its IAM never read anyway) does not hold it back
    assert assessed.why_not(account_id="111111111111", region="us-east-1", kind="Secret",
                            arn=DB, rule_id=None, severity="HIGH", principal=VENDOR) is None


def test_a_principal_of_the_resources_own_account_needs_its_iam_read_too() -> None:
    """Review: a finding about a principal of the secret's own account was resolved the night
    that account's IAM could not be read."""
    from scanner.history.assessed import assess_document

    doc = {"scan": {"accounts": ["111111111111"], "regions": ["us-east-1"]},
           "coverage": [{"account_id": "111111111111", "region": "global", "service": "iam",
                         "operation": "GetAccountAuthorizationDetails",
                         "error_code": "AccessDenied", "resource_arn": None}]}
    own = "arn:aws:iam::111111111111:role/reader"
    assert assess_document(doc).why_not(account_id="111111111111", region="us-east-1",
                                        kind="Secret", arn=DB, rule_id=None,
                                        severity="HIGH", principal=own)



def test_an_account_whose_snapshot_part_is_missing_was_not_assessed() -> None:
    """Fault-injection trial: `scan --from-parts` with member A's part missing wrote a
    PartMissing coverage entry (service "secretgraph"), which the findings document's
    assessment read as a service gap: `export securityhub --previous` then archived member
    A's findings as resolved."""
    from scanner.history.assessed import assess_document
    from scanner.shards import missing_entry

    from scanner.model import to_jsonable

    gap = to_jsonable(missing_entry("222222222222", "r1", None))
    doc = {"scan": {"accounts": ["111111111111", "222222222222"], "regions": ["us-east-1"]},
           "coverage": [gap]}
    assessed = assess_document(doc)
    why = assessed.why_not(account_id="222222222222", region="global", kind="Principal",
                           arn="arn:aws:iam::222222222222:role/WildcardReaderRole",
                           rule_id="identity-policy-secret-wildcard", severity="HIGH",
                           principal=None)
    assert why is not None
    assert assessed.why_not(account_id="111111111111", region="us-east-1", kind="Secret",
                            arn=DB, rule_id=None, severity="HIGH", principal=None) is None


def _account_class(account: str, *, principals: int = 0, conditional: int = 0,
                   unassessed: tuple[str, ...] = ()) -> dict:
    """A reach entry for ``account:<id>`` as scanner.access writes it."""
    return {"subject": f"account:{account}", "scope": "account", "decision": "CONDITIONAL",
            "label": f"principals of account {account}", "principals": principals,
            "conditional_principals": conditional, "accounts": 1 if principals + conditional
            else 0, "unassessed_accounts": list(unassessed), "blocked_by": [], "missing": [],
            "statements": ["statement 0 (AllowRead)"]}


def test_a_class_of_readers_whose_accounts_iam_was_not_read_is_unknown_like_its_stand_in(
        tmp_path: Path) -> None:
    """Concept review round 2 (repro base3.yaml): the policy grants account 999999999999 as a
    whole, whose IAM the scan cannot read. Its reach class ``account:999999999999`` (decided by
    its root, the stand-in, with identity_policy UNKNOWN) was FAIL "can read this secret under
    conditions", beside UNKNOWN for the root itself: two verdicts on one unread fact. Both are
    UNKNOWN, and the class's finding names what was not read."""
    outsider = "999999999999"
    root = f"arn:aws:iam::{outsider}:root"
    baseline = load_baseline(_write(tmp_path, 'version: 1\nsecrets:\n  - secret: "prod/*"\n'
                                              '    readers: []\n'))
    report = access({DB: [(root, "conditional")]})
    report["secrets"][DB]["paths"][0]["gates"]["identity_policy"]["status"] = "UNKNOWN"
    report["secrets"][DB]["reach"] = [_account_class(outsider, unassessed=(outsider,))]
    snap = snapshot("s", "2026-11-29T01:00:00Z", [secret("prod/db")])
    findings = {f.principal: f for f in baseline_findings(report, baseline, snap)}
    assert {p: f.status for p, f in findings.items()} == \
        {f"account:{outsider}": Status.UNKNOWN, root: Status.UNKNOWN}
    cls = findings[f"account:{outsider}"]
    assert cls.missing == (f"IAM of account {outsider} (not read)",)
    assert cls.evidence["unassessed_accounts"] == [outsider]
    assert f"the IAM of account {outsider} was not read" in cls.message
    assert "can read this secret" not in cls.message


def test_a_class_with_readers_outside_its_unread_accounts_still_reads(tmp_path: Path) -> None:
    """Concept review round 2, the other side: a class some of whose members the scan saw read
    (in accounts whose IAM it read) can read, whatever the accounts it could not read hold:
    FAIL, its evidence listing the accounts not assessed."""
    baseline = load_baseline(_write(tmp_path, 'version: 1\nsecrets:\n  - secret: "prod/*"\n'
                                              '    readers: []\n'))
    org = {**_account_class(MEMBER, conditional=2, unassessed=("333333333333",)),
           "subject": "organization:o-abc", "scope": "organization",
           "label": "the whole organization (o-abc)"}
    report = access({})
    report["secrets"][DB] = {"secret_arn": DB, "paths": [], "reach": [org]}
    snap = snapshot("s", "2026-11-29T01:00:00Z", [secret("prod/db")])
    (f,) = baseline_findings(report, baseline, snap)
    assert (f.principal, f.status, f.missing) == ("organization:o-abc", Status.FAIL, ())
    assert f.evidence["unassessed_accounts"] == ["333333333333"]
