"""A Security Hub answer without the members the API always answers says nothing of what was
imported or updated (fault-injection trial round 21).

BatchImportFindings answers ``FailedCount`` and ``SuccessCount`` and BatchUpdateFindings
``ProcessedFindings`` and ``UnprocessedFindings`` -- required members of each answer in the
API's model. A stub, a proxy or a misrouted endpoint answering ``200 {}`` was read as "nothing
failed": every finding of the batch counted as delivered (export exit 0, the ledger's
``delivered_through`` moved on, the findings never sent again). Such an answer is now read as
an answer that does not say which findings failed: the batch is sent again, and reported
``UnexpectedAnswer`` when no answer ever says."""

from __future__ import annotations

from typing import Any

import pytest

from helpers.report_sample import sample_document
from reports.asff import build_asff
from reports.hub_payload import WorkflowUpdate
from reports.securityhub import send_findings, update_workflow

REGION = "us-east-1"
ACCOUNT = "111111111111"
PRODUCT = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default"


class Hub:
    """Answers ``answer`` ``times`` times, then as the API answers a wholly successful call."""

    def __init__(self, answer: dict[str, Any], times: int) -> None:
        self.answer = answer
        self.times = times
        self.calls = 0

    def batch_import_findings(self, Findings: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        if self.calls <= self.times:
            return dict(self.answer)
        return {"FailedCount": 0, "SuccessCount": len(Findings), "FailedFindings": []}

    def batch_update_findings(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if self.calls <= self.times:
            return dict(self.answer)
        return {"ProcessedFindings": kwargs["FindingIdentifiers"], "UnprocessedFindings": []}


def _findings() -> list[dict[str, Any]]:
    return [f for f in build_asff(sample_document()) if f["AwsAccountId"] == ACCOUNT][:3]


def _updates() -> list[WorkflowUpdate]:
    return [WorkflowUpdate(id=f"sgf-{i}", product_arn=PRODUCT, target=(ACCOUNT, REGION),
                           status="NEW") for i in range(3)]


@pytest.mark.parametrize("answer", [
    {},
    {"FailedFindings": []},
    {"SuccessCount": 3, "FailedFindings": []},
    {"FailedCount": 0, "FailedFindings": []},
    {"FailedCount": "0", "SuccessCount": "3"},
])
def test_an_import_answer_without_its_counts_delivers_none_of_the_batch(
        answer: dict[str, Any]) -> None:
    findings = _findings()
    assert len(findings) == 3
    hub = Hub(answer, times=1)
    report = send_findings(findings, client_for=lambda a, r: hub, sleep=lambda s: None)
    assert hub.calls == 2 and report.ok and report.delivered == 3

    hub = Hub(answer, times=99)
    report = send_findings(findings, client_for=lambda a, r: hub, sleep=lambda s: None,
                           max_attempts=2)
    assert not report.ok and report.delivered == 0 and report.pending == 0
    assert {u.error_code for u in report.undelivered} == {"UnexpectedAnswer"}
    assert len(report.undelivered) == 3


@pytest.mark.parametrize("answer", [
    {},
    {"UnprocessedFindings": []},
    {"ProcessedFindings": None, "UnprocessedFindings": []},
])
def test_an_update_answer_without_its_lists_makes_none_of_the_batch(
        answer: dict[str, Any]) -> None:
    hub = Hub(answer, times=1)
    report = update_workflow(_updates(), client_for=lambda a, r: hub, sleep=lambda s: None)
    assert hub.calls == 2 and report.ok and report.delivered == 3

    hub = Hub(answer, times=99)
    report = update_workflow(_updates(), client_for=lambda a, r: hub, sleep=lambda s: None,
                             max_attempts=2)
    assert not report.ok and report.delivered == 0 and report.pending == 0
    assert {(u.id, u.error_code) for u in report.undelivered} == {
        (u.id, "UnexpectedAnswer") for u in _updates()}
