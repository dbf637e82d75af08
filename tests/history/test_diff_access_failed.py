"""Access drift of a secret whose access analysis failed tonight: its readers are not
assessed, never "lost" (the analysis records ``assessed: false`` for it:
scanner/access/secret_eval.failed_access; docs/history.md)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from scanner.access.secret_eval import SecretEvaluator
from scanner.history.diff import diff_scans
from scanner.history.records import StoredScan
from scanner.history.drift import render_drift_text
from scanner.model import IamPrincipal, IamSnapshot, Snapshot

from helpers.scanfactory import (CENTRAL, MEMBER, policy, read_statement, secret, secret_arn,
                                 snapshot, stored_analysed)
from test_diff_unread_policy import APP, KEY, OPEN_KEY  # a key that lets App decrypt

API = secret_arn("api")
READ = "secretsmanager:GetSecretValue"


def _estate(scan_id: str, started: str) -> Snapshot:
    api = replace(secret("api"), kms_key_id=KEY, resource_policy=policy(read_statement(APP)))
    snap = snapshot(scan_id, started, [api], keys=[OPEN_KEY])
    app = {"app": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": [READ, "kms:Decrypt"], "Resource": "*"}]}}
    iam = {CENTRAL: (), MEMBER: (IamPrincipal(arn=APP, name="App", account_id=MEMBER,
                                              principal_type="role", inline_policies=app),)}
    return replace(snap, accounts=tuple(replace(a, iam=IamSnapshot(principals=iam[a.account_id]))
                                        for a in snap.accounts))


def _stored(snap: Snapshot) -> StoredScan:
    return stored_analysed(snap)


def test_readers_of_a_secret_whose_analysis_failed_tonight_are_not_lost(
        monkeypatch: pytest.MonkeyPatch) -> None:
    old = _stored(_estate("a", "2026-11-28T01:00:00Z"))
    # a reader last night (CONDITIONAL: no organization data, the scp gate UNKNOWN)
    assert old.access["secrets"][API]["conditional_readers"] == [APP]

    def failing(self: SecretEvaluator, sv: Any) -> Any:
        raise RuntimeError("boom")
    monkeypatch.setattr(SecretEvaluator, "_secret_access", failing)
    new = _stored(_estate("b", "2026-11-29T01:00:00Z"))
    drift = diff_scans(old, new)

    assert [a.secret_arn for a in drift.access] == []
    [na] = [n for n in drift.not_assessed if n.scope == "access"]
    assert (na.subject, na.scan) == (f"{APP} -> {API}", "new")
    assert "not fully assessed" in na.reason
    assert "can no longer read" not in render_drift_text(drift)
