"""BatchUpdateFindings against an endpoint that accepts and never answers: the first call
that got no answer (botocore already made its attempts, each up to its read timeout) ends
the workflow updates to that endpoint, as it ends the imports there (reports.securityhub,
fault-injection trial round 2). Fault-injection trial round 11: update_workflow did not
retry such a call but sent every other batch to the same silent endpoint -- one read
timeout x botocore's attempts per batch of 100 -- and the scheduled export, which has no
time limit, waited that long for each."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from reports.hub_payload import WorkflowUpdate
from reports.securityhub import update_workflow

REGION = "us-east-1"
ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"


class Hub:
    """BatchUpdateFindings: every call raises ``error`` (or succeeds when None)."""

    def __init__(self, url: str, error: Exception | None) -> None:
        self.meta = type("Meta", (), {"endpoint_url": url})()
        self.error = error
        self.calls = 0

    def batch_update_findings(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return {"ProcessedFindings": kwargs["FindingIdentifiers"], "UnprocessedFindings": []}


def _updates(n: int, status: str, account: str) -> list[WorkflowUpdate]:
    arn = f"arn:aws:securityhub:{REGION}:{account}:product/{account}/default"
    return [WorkflowUpdate(id=f"sgf-{account}-{status}-{i:04d}", product_arn=arn,
                           target=(account, REGION), status=status) for i in range(n)]


@pytest.mark.parametrize("shared", [True, False], ids=["one-endpoint", "two-endpoints"])
def test_an_endpoint_that_never_answers_gets_no_other_workflow_batch(shared: bool) -> None:
    url = "https://securityhub.us-east-1.amazonaws.com"
    hung = Hub(url, ReadTimeoutError(endpoint_url=url))
    other = Hub(url if shared else "https://elsewhere", None)
    updates = (_updates(250, "SUPPRESSED", ACCOUNT_A) + _updates(50, "NEW", ACCOUNT_A)
               + _updates(120, "SUPPRESSED", ACCOUNT_B))
    report = update_workflow(updates, client_for=lambda a, r: hung if a == ACCOUNT_A else other,
                             sleep=lambda s: None)

    assert hung.calls == 1
    assert other.calls == (0 if shared else 2)
    assert report.requests == 1 + other.calls
    assert report.delivered == (0 if shared else 120)
    lost = report.undelivered
    assert len(lost) == (420 if shared else 300)
    assert {u.error_code for u in lost} == {"ReadTimeoutError"}
    assert sum(f"not sent: an earlier batch to {url} got no answer" in u.message
               for u in lost) == len(lost) - 100
