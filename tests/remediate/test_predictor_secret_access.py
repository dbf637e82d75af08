"""The planner's analysis of one secret (``Predictor.secret_access``, what grant-key-decrypt
decides from) is the scan's verdict for that secret: the same ``SecretAccess``, on every rule
fixture -- although it analyses only the secret's and its keys' accounts,
builds no graph of the estate's IAM (the analysis reads the principals from the snapshot) and
leaves out the estate-wide identity wildcards (a one-account plan at 1,000 accounts spent 1.6 s
a finding rebuilding them)."""

from __future__ import annotations

import pytest

from helpers.rule_fixture import fixture_ids, load_fixture
from remediations import REMEDIATORS
from scanner.access import analyze_access
from scanner.graph.builder import build_graph
from scanner.model import Snapshot
from scanner.pipeline import ScanOptions, access_settings, load_inputs
from scanner.remediate.effects import Predictor


def _same_verdicts(snap: Snapshot) -> int:
    inputs = load_inputs(ScanOptions())
    scan = analyze_access(build_graph(snap), snap, access_settings(snap, inputs.config))
    predictor = Predictor(snap, inputs, REMEDIATORS)
    for arn, verdict in scan.secrets.items():
        assert predictor.secret_access(arn) == verdict, arn
    return len(scan.secrets)


@pytest.mark.parametrize("rule_id", fixture_ids())
def test_the_planners_analysis_of_a_secret_is_the_scans(rule_id: str) -> None:
    _same_verdicts(load_fixture(rule_id).snapshot)
