"""The reference evaluation of the access analysis: every cross-secret shortcut turned off, so
each secret's pairs are evaluated on their own (per-secret caches only). Tests compare the
optimised analysis with it, report for report."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.access.pair_eval import PairEvaluator
from scanner.access.secret_memo import SecretMemo
from scanner.access.report import AccessReport, path_dict


def use_reference_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    """No pair verdict shared across secrets (``_look``; also the (look, principal) look-up
    of own-account roles and users, which goes through it), no resource-policy result shared
    across policies naming the same principal (``_named_key``). (Guardrail answers shared
    across secrets are compared with per-secret ones in test_access_shared_caches.py.) No
    whole-secret verdict shared by secrets differing only in ARN and name (``SecretMemo``)."""
    monkeypatch.setattr(PairEvaluator, "_look", lambda self, *args: None)
    monkeypatch.setattr(SecretMemo, "key", lambda self, sv: None)
    monkeypatch.setattr(PairEvaluator, "_named_key", lambda self, *args: None)


def full_report(report: AccessReport) -> tuple[str, dict[tuple[str, str], Any]]:
    """The whole report: its JSON and every path with every gate's reasons."""
    return report.to_json(), {(p.principal, arn): path_dict(p, arn)
                              for arn, p in report.secret_paths()}
