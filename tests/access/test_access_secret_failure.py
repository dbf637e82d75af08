"""One secret whose access analysis raises does not fail the scan: its verdicts are UNKNOWN,
the other secrets are judged as without it, and the scan says it is incomplete (fault-injection
trial round 8: one secret's crash in the access analysis failed the whole scan, every secret's
verdict lost with it). Could-not-analyse is data: never PASS for that secret, in the rules, the
baseline check or drift."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers.access_estate import (APP_ROLE, APP_ROLE2, SECRET_ARN,
                                   allow_read_identity, estate, key_policy_for, role,
                                   secret_policy_for)

from scanner.access import AccessSettings, analyze_access, shards
from scanner.access.secret_eval import SecretEvaluator
from scanner.engine.exit_codes import INCOMPLETE
from scanner.graph.builder import build_graph
from scanner.history.access_readers import secrets_access
from scanner.history.baseline import baseline_results, parse_baseline
from scanner.model import Snapshot
from scanner.pipeline import ScanOptions, analyze, load_inputs
from scanner.scan_summary import incomplete_warning

OTHER_ARN = SECRET_ARN.replace("app/db-AbCdEf", "app/other-XyZ123")
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "scanner" / "schemas"
                     / "findings.schema.json").read_text())


def _two_secrets() -> Snapshot:
    """app/db: ApplicationRole of MEMBER reads it (resource, key and identity allow);
    app/other: granted to ApplicationRole of MEMBER2, whom the key policy does not let decrypt
    (an intended read broken by the key policy)."""
    snap = estate(secret_policy=secret_policy_for(APP_ROLE),
                  key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),
                              role(APP_ROLE2, allow_read_identity())))
    central = snap.accounts[0]
    region = central.regions[0]
    other = replace(region.secrets[0], arn=OTHER_ARN, name="app/other",
                    resource_policy=secret_policy_for(APP_ROLE2))
    region = replace(region, secrets=region.secrets + (other,))
    return replace(snap, accounts=(replace(central, regions=(region,)),) + snap.accounts[1:])


def _app_db_raises(monkeypatch: pytest.MonkeyPatch, exc: Exception) -> None:
    """The analysis of app/db raises ``exc``; the other secrets' is as usual."""
    real = SecretEvaluator._secret_access

    def failing(self: SecretEvaluator, sv: Any) -> Any:
        if sv.arn == SECRET_ARN:
            raise exc
        return real(self, sv)
    monkeypatch.setattr(SecretEvaluator, "_secret_access", failing)


@pytest.fixture
def app_db_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    _app_db_raises(monkeypatch, KeyError("unexpected shape"))


def _analyse(snap: Snapshot, processes: int = 1) -> Any:
    return analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap),
                          processes=processes)


def test_the_failed_secret_has_no_verdict_and_says_what_raised_where(app_db_raises: None) -> None:
    report = _analyse(_two_secrets())
    failed = report.secrets[SECRET_ARN]

    assert failed.paths == () and failed.reach == () and failed.grants == ()
    assert failed.failed.startswith("KeyError: 'unexpected shape' (at ")
    assert "test_access_secret_failure.py:" in failed.failed
    assert report.failed() == {SECRET_ARN: failed.failed}


def test_the_other_secrets_are_judged_as_without_the_failure(
        app_db_raises: None) -> None:
    with_failure = _analyse(_two_secrets())
    other = with_failure.secrets[OTHER_ARN]

    assert not other.failed
    assert [(p.principal, p.decision, p.broken_at) for p in other.paths] == \
        [(APP_ROLE2, "DENIED", ("key_policy",))]


def test_without_the_failure_both_secrets_are_judged() -> None:
    report = _analyse(_two_secrets())

    assert report.failed() == {}
    assert [p.principal for p in report.secrets[SECRET_ARN].readers] == [APP_ROLE]


def test_a_secret_failing_in_a_shard_process_is_reported_the_same(
        app_db_raises: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shards, "MIN_SECRETS_PER_PROCESS", 1)
    report = _analyse(_two_secrets(), processes=2)

    assert report.failed().keys() == {SECRET_ARN}
    assert report.failed()[SECRET_ARN].startswith("KeyError: 'unexpected shape'")
    assert report.secrets[OTHER_ARN].broken


def test_the_access_json_marks_it_not_assessed(app_db_raises: None) -> None:
    entry = _analyse(_two_secrets()).to_dict()["secrets"][SECRET_ARN]

    assert entry["assessed"] is False and entry["readers"] == []
    assert entry["missing"] == [f"access analysis (failed: {entry['failed']})"]
    # drift and the baseline read it as not assessed
    assert secrets_access({"secrets": {SECRET_ARN: entry}})[SECRET_ARN].assessed is False


def test_the_scan_is_incomplete_and_the_rules_answer_unknown_for_it(
        app_db_raises: None) -> None:
    analysis = analyze(_two_secrets(), load_inputs(ScanOptions()))
    doc = analysis.document
    rows = {(f["rule_id"], f["resource"]["arn"], f.get("principal")): f
            for f in doc["findings"]}

    broken_here = rows[("secret-cross-account-access-broken", SECRET_ARN, None)]
    assert broken_here["status"] == "UNKNOWN"
    assert "access analysis of " + SECRET_ARN + " (failed: KeyError" in broken_here["missing"][0]
    # the other secret's broken read is still found
    assert rows[("secret-cross-account-access-broken", OTHER_ARN, APP_ROLE2)]["status"] == "FAIL"
    assert doc["scan"]["complete"] is False
    assert doc["scan"]["access_analysis_failed"] == [
        {"secret_arn": SECRET_ARN, "error": analysis.access.secrets[SECRET_ARN].failed}]
    assert analysis.exit_code == INCOMPLETE
    jsonschema.validate(doc, SCHEMA)
    warning = incomplete_warning(doc)
    assert warning is not None and "access analysis of 1 secret(s) failed" in warning \
        and SECRET_ARN in warning


def test_the_baseline_check_is_unknown_for_it_never_pass(app_db_raises: None) -> None:
    snap = _two_secrets()
    analysis = analyze(snap, load_inputs(ScanOptions()))
    baseline = parse_baseline({"version": 1, "secrets": [
        {"secret": "app/*", "readers": [APP_ROLE, APP_ROLE2]}]}, "(test)")

    checked = baseline_results(analysis.access, baseline, snap)
    statuses = {f.resource.arn: f.status.value for f in checked.findings}

    assert statuses == {SECRET_ARN: "UNKNOWN"}
    assert "could not be assessed" in checked.findings[0].message
    assert checked.passed.count == 1  # app/other: no reader outside the baseline


def test_access_for_the_secret_says_its_readers_are_unknown(
        app_db_raises: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from scanner.cli import main
    from scanner.snapshot_io import write_snapshot

    path = write_snapshot(tmp_path / "snapshot.json.gz", _two_secrets())
    main(["access", "--snapshot", str(path), "--secret", SECRET_ARN])
    out = capsys.readouterr().out
    assert "readers UNKNOWN: the access analysis of this secret failed (KeyError" in out
    assert "no principal to show" not in out

    main(["access", "--snapshot", str(path), "--secret", SECRET_ARN, "--format", "json"])
    [entry] = json.loads(capsys.readouterr().out)["secrets"]
    assert entry["assessed"] is False and entry["failed"].startswith("KeyError")


def test_the_html_report_says_so_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    from reports.html import render_html

    _app_db_raises(monkeypatch, ValueError("<script>alert(1)</script>"))
    analysis = analyze(_two_secrets(), load_inputs(ScanOptions()))
    html = render_html(analysis.document, graph=analysis.graph, access=analysis.access)

    assert "incomplete scan · access analysis failed for 1 secret<" in html
    assert "The access analysis of 1 secret failed: its readers are UNKNOWN" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
