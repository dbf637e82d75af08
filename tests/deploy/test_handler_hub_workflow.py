"""The nightly Lambda's Security Hub export over several nights, against a model of Security
Hub's workflow rules (moto 5 has no BatchUpdateFindings): what Security Hub shows for a finding
must follow what the scans say, whatever happened on the nights between (deployment trial
round 2, /tmp/t68/repro/hub_workflow.py).

The model: BatchImportFindings takes Workflow only when it creates a finding ("After a finding
is created, BatchImportFindings cannot be used to update ... Workflow", Security Hub API), and
"Security Hub CSPM also resets the workflow status from NOTIFIED or RESOLVED to NEW in the
following cases: RecordState changes from ARCHIVED to ACTIVE; ComplianceStatus changes from
PASSED to either WARNING, FAILED, or NOT_AVAILABLE" (Security Hub API, Workflow): SUPPRESSED is
never reset."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

import scanner.deploy.handler as handler_module
from helpers.scanfactory import CENTRAL, MEMBER, policy, read_statement, secret, snapshot
from scanner.deploy.handler import Collaborators, HandlerConfig, handler
from scanner.history import open_store
from scanner.snapshot_io import write_snapshot

BUCKET = "secretgraph-history-hub"
REGION = "us-east-1"
VENDOR = "arn:aws:iam::999999999999:role/vendor"
RULE = "secret-policy-external-account"


class Hub:
    """Security Hub's findings and their workflow, as the Security Hub API documents them;
    ``deny_import`` / ``deny_update``: the next calls are refused (AccessDeniedException)."""

    def __init__(self) -> None:
        self.findings: dict[str, dict[str, Any]] = {}
        self.updates: list[tuple[str, int]] = []
        self.deny_import = False
        self.deny_update = False

    def batch_import_findings(self, Findings: list[dict[str, Any]]) -> dict[str, Any]:
        if self.deny_import:
            raise ClientError({"Error": {"Code": "AccessDeniedException",
                                         "Message": "not authorized"}}, "BatchImportFindings")
        for new in Findings:
            old = self.findings.get(new["Id"])
            stored = dict(new)
            if old is None:
                stored["Workflow"] = new.get("Workflow") or {"Status": "NEW"}
            else:
                status = old["Workflow"]["Status"]
                if status in ("NOTIFIED", "RESOLVED") and (
                        (old["RecordState"] == "ARCHIVED" and new["RecordState"] == "ACTIVE")
                        or (old["Compliance"]["Status"] == "PASSED"
                            and new["Compliance"]["Status"] != "PASSED")):
                    status = "NEW"
                stored["Workflow"] = {"Status": status}
            self.findings[new["Id"]] = stored
        return {"FailedCount": 0, "SuccessCount": len(Findings), "FailedFindings": []}

    def batch_update_findings(self, FindingIdentifiers: list[dict[str, str]],
                              Workflow: dict[str, str]) -> dict[str, Any]:
        self.updates.append((Workflow["Status"], len(FindingIdentifiers)))
        if self.deny_update:
            raise ClientError({"Error": {"Code": "AccessDeniedException",
                                         "Message": "not authorized"}}, "BatchUpdateFindings")
        for ident in FindingIdentifiers:
            self.findings[ident["Id"]]["Workflow"] = dict(Workflow)
        return {"ProcessedFindings": FindingIdentifiers, "UnprocessedFindings": []}

    def shown(self) -> list[tuple[str, str, str]]:
        """(Compliance.Status, RecordState, Workflow.Status) of the vendor finding."""
        return [(f["Compliance"]["Status"], f["RecordState"], f["Workflow"]["Status"])
                for f in self.findings.values() if f["GeneratorId"].endswith(RULE)]


@dataclasses.dataclass
class Nights:
    hub: Hub
    tmp: Path
    monkeypatch: pytest.MonkeyPatch
    n: int = 0

    def run(self, *, shared: bool, muted: bool = False, incomplete: bool = False
            ) -> dict[str, Any]:
        """One night: prod/db shared with the vendor (a HIGH finding) or not, the finding
        muted by a suppression or not, the member account's audit role refused or not."""
        self.n += 1
        statements = [read_statement(VENDOR)] if shared else []
        snap = snapshot(f"night-{self.n:02d}", f"2026-11-{self.n:02d}T02:00:00Z",
                        [secret("prod/db", resource_policy=policy(*statements)
                                if statements else None)],
                        not_assumed=(MEMBER,) if incomplete else ())
        suppressions = None
        if muted:
            suppressions = self.tmp / f"suppressions-{self.n}.yaml"
            suppressions.write_text(
                f"suppressions:\n  - rule: {RULE}\n    account: \"{CENTRAL}\"\n"
                "    reason: vendor access approved, ticket SEC-1\n    expires: 2099-12-31\n")
        original = handler_module.scan_options
        self.monkeypatch.setattr(
            handler_module, "scan_options",
            lambda c, w, f=None: dataclasses.replace(original(c, w, f),
                                                     suppressions_path=suppressions))

        def write(config: HandlerConfig, work_dir: Path) -> Path:
            return write_snapshot(work_dir / "snapshot.json.gz", snap)

        env = {"SECRETGRAPH_ROLE_NAME": "SecretgraphAudit", "SECRETGRAPH_REGIONS": REGION,
               "SECRETGRAPH_ORG_MODE": "true",
               "SECRETGRAPH_HISTORY_URI": f"s3://{BUCKET}/nightly",
               "SECRETGRAPH_SECURITYHUB": "central", "SECRETGRAPH_CENTRAL_ACCOUNT": CENTRAL}
        try:
            return handler({}, None, deps=Collaborators(
                snapshot_for=write, env=env, securityhub_client=lambda a, r: self.hub))
        finally:
            self.monkeypatch.setattr(handler_module, "scan_options", original)


@pytest.fixture()
def nights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Nights]:
    with mock_aws():
        boto3.client("s3", region_name=REGION, aws_access_key_id="testing",
                     aws_secret_access_key="testing").create_bucket(Bucket=BUCKET)
        yield Nights(hub=Hub(), tmp=tmp_path, monkeypatch=monkeypatch)


def test_a_finding_archived_while_muted_and_back_un_muted_is_new_again(nights: Nights) -> None:
    """Deployment trial round 2 (defect 1): muted on night 2, fixed (archived) on night 3,
    back and no longer muted on night 4: Security Hub kept it SUPPRESSED (it never resets
    SUPPRESSED), hidden from the SOC, because the export only knew the muted state of the
    previous export's findings that were not archived."""
    nights.run(shared=True)
    nights.run(shared=True, muted=True)
    assert nights.hub.shown() == [("FAILED", "ACTIVE", "SUPPRESSED")]
    nights.run(shared=False)
    assert nights.hub.shown() == [("PASSED", "ARCHIVED", "SUPPRESSED")]
    back = nights.run(shared=True)
    assert nights.hub.shown() == [("FAILED", "ACTIVE", "NEW")]
    assert back["securityhub"]["workflow"] == 1
    quiet = nights.run(shared=True)  # nothing changed: nothing more to update
    assert quiet["securityhub"]["workflow"] == 0
    assert nights.hub.shown() == [("FAILED", "ACTIVE", "NEW")]


def test_a_finding_archived_un_muted_and_back_muted_is_suppressed(nights: Nights) -> None:
    """The other way round (deployment trial round 2): archived when not muted, back muted:
    Security Hub resets it to NEW (or keeps NEW), and only BatchUpdateFindings can suppress
    it."""
    nights.run(shared=True)
    nights.run(shared=False)
    assert nights.hub.shown() == [("PASSED", "ARCHIVED", "NEW")]
    nights.run(shared=True, muted=True)
    assert nights.hub.shown() == [("FAILED", "ACTIVE", "SUPPRESSED")]


def test_a_mute_on_an_incomplete_night_is_undone_in_security_hub(nights: Nights) -> None:
    """Deployment trial round 2 (defect 2): a suppression added on an incomplete night (the
    member account's role refused) and removed on the next complete one: the export compared
    with the previous complete scan (not muted either), not with what it had exported on the
    incomplete night (SUPPRESSED), and the finding stayed SUPPRESSED."""
    nights.run(shared=True)
    second = nights.run(shared=True, muted=True, incomplete=True)
    assert second["complete"] is False
    assert nights.hub.shown() == [("FAILED", "ACTIVE", "SUPPRESSED")]
    nights.run(shared=True)
    assert nights.hub.shown() == [("FAILED", "ACTIVE", "NEW")]


def test_an_incomplete_night_does_not_hide_what_the_complete_one_before_exported(
        nights: Nights) -> None:
    """Deployment trial round 2 (defect 2): with the last exported scan as the only previous
    one, a finding of an account the incomplete night could not read would never be archived
    when fixed: Security Hub still holds the complete night's findings."""
    nights.run(shared=True)
    nights.run(shared=True, incomplete=True)
    nights.run(shared=False)
    assert nights.hub.shown() == [("PASSED", "ARCHIVED", "NEW")]


def test_a_refused_workflow_update_fails_the_night_and_the_next_night_sends_it(
        nights: Nights) -> None:
    """Deployment trial round 2 (defect 3): BatchUpdateFindings refused on the night a
    suppression expired: the Lambda succeeded (nobody was told), and the next nights compared
    with the scan whose update never landed, so the finding stayed SUPPRESSED for good."""
    nights.run(shared=True, muted=True)
    assert nights.hub.shown() == [("FAILED", "ACTIVE", "SUPPRESSED")]
    nights.hub.deny_update = True
    with pytest.raises(handler_module.DeliveryFailed, match="BatchUpdateFindings") as failed:
        nights.run(shared=True)
    assert failed.value.result["scan_id"] == "night-02"  # recorded; the night is not lost
    assert nights.hub.shown() == [("FAILED", "ACTIVE", "SUPPRESSED")]
    nights.hub.deny_update = False
    third = nights.run(shared=True)
    assert third["securityhub"]["workflow"] == 1
    assert nights.hub.shown() == [("FAILED", "ACTIVE", "NEW")]
    assert nights.run(shared=True)["securityhub"]["workflow"] == 0


def test_a_refused_archive_fails_the_night_and_the_next_night_archives(nights: Nights) -> None:
    """Deployment trial round 2 (defect 3): BatchImportFindings refused on the night the
    finding was fixed: the archive was never re-sent (the next night compared with the fixed
    night's scan, which no longer reported it), and Security Hub showed it FAILED for good."""
    nights.run(shared=True)
    nights.hub.deny_import = True
    with pytest.raises(handler_module.DeliveryFailed, match="BatchImportFindings"):
        nights.run(shared=False)
    assert nights.hub.shown() == [("FAILED", "ACTIVE", "NEW")]
    nights.hub.deny_import = False
    third = nights.run(shared=False)
    assert third["securityhub"]["archived"] == 1
    assert nights.hub.shown() == [("PASSED", "ARCHIVED", "NEW")]
    store = open_store(f"s3://{BUCKET}/nightly", s3_client=boto3.client(
        "s3", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"))
    assert [r.scan_id for r in store.list()] == ["night-01", "night-02", "night-03"]


def test_the_fargate_analysis_task_exits_3_when_the_export_did_not_land(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Deployment trial round 2: on ECS Fargate the analysis runs as ``python -m
    scanner.deploy.tasks analyze``; a night whose Security Hub export did not land ends with
    a one-line error and exit 3 (the task fails, FailedNightRule tells the topic), the
    result it recorded printed first, not a traceback."""
    from scanner.deploy import tasks

    def refused(event: Any, *, deps: Any) -> dict[str, Any]:
        raise handler_module.DeliveryFailed(
            "scan night-02 was recorded, but BatchUpdateFindings: 1 of 1 workflow updates not "
            "made (AccessDeniedException: no); the next run sends them again",
            result={"scan_id": "night-02"})

    monkeypatch.setattr(tasks, "analyze", refused)
    assert tasks.main(["analyze"], deps=tasks.TaskDeps(env={"RUN_ID": "r1"})) == 3
    out, err = capsys.readouterr()
    assert '"scan_id": "night-02"' in out
    assert err.startswith("secretgraph analyze: error: scan night-02 was recorded, but ")


def test_a_damaged_export_ledger_fails_the_night_before_anything_is_scanned(
        nights: Nights) -> None:
    """Deployment trial round 2: the export ledger decides what is archived and un-muted; one
    that cannot be read is not taken for an empty one (every muted finding archived once
    would stay SUPPRESSED): the night fails naming it, and nothing is recorded."""
    from scanner.errors import InputError

    s3 = boto3.client("s3", region_name=REGION, aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    nights.run(shared=True)
    s3.put_object(Bucket=BUCKET, Key="nightly/securityhub.json", Body=b'{"format": "x"}')
    with pytest.raises(InputError, match="damaged Security Hub export ledger"):
        nights.run(shared=True)
    store = open_store(f"s3://{BUCKET}/nightly", s3_client=s3)
    assert [r.scan_id for r in store.list()] == ["night-01"]
