"""The whole loop with the real rules: scan -> rules -> plan -> apply -> rescan -> rules.

What the rules flagged and the plan fixed is resolved on the rescan; what was not planned is
still there; the only new findings are the ones the fix itself makes visible, named below.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from helpers.remediate_estate import Scanned
from helpers.remediate_estate import REGION, REPLICA_REGION, scan
from scanner.findings import Finding, Status
from scanner.model import Snapshot
from scanner.pipeline import ScanOptions, analyze, load_inputs
from scanner.remediate.engine import apply_plan
from scanner.remediate.planfile import estate_of
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.sessions import ClientsFactory

BOTH_REGIONS = (REGION, REPLICA_REGION)


def _failing(snapshot: Snapshot, engine_config: Path) -> dict[str, Finding]:
    inputs = load_inputs(ScanOptions(config_path=engine_config))
    return {f.id: f for f in analyze(snapshot, inputs).findings if f.status is Status.FAIL}


def test_findings_the_plan_fixes_are_gone_on_the_rescan(scanned: Scanned, clients: ClientsFactory,
                                                        tmp_path: Path) -> None:
    raw = yaml.safe_load(scanned.config_path.read_text())
    engine_config = tmp_path / "engine.yaml"  # the engine's keys only
    engine_config.write_text(yaml.safe_dump({k: v for k, v in raw.items() if k != "remediation"}))
    snapshot = scan(tmp_path / "before", "scan-rules-before", regions=BOTH_REGIONS)
    before = _failing(snapshot, engine_config)

    plan = build_plan(list(before.values()), snapshot, scanned.config, Selection())
    result = apply_plan(plan, clients, journal_path=str(tmp_path / "journal.jsonl"),
                        plan_path="plan.json", max_age_hours=24,
                        current_estate=estate_of(snapshot))
    assert result.ok

    snapshot_after = scan(tmp_path / "after", "scan-rules-after", regions=BOTH_REGIONS)
    after = _failing(snapshot_after, engine_config)
    fixed = {fid for change in plan.changes for fid in change.finding_ids}
    not_planned = {s.finding_id for s in plan.skipped}
    assert fixed and not fixed & set(after), [after[f].rule_id for f in fixed & set(after)]
    assert set(after) & set(before) == not_planned & set(after)
    assert {before[f].rule_id for f in not_planned} == {"secret-cross-account-access-broken"}

    new = {(f.rule_id, f.resource.arn) for fid, f in after.items() if fid not in before}
    rotated = {c.resource_arn for c in plan.changes if c.remediation_id == "enable-secret-rotation"}
    restored = {c.resource_arn for c in plan.changes if c.remediation_id == "cancel-key-deletion"}
    assert new == (
        # moto leaves the AWSPENDING copy that RotateSecret(RotateImmediately=False) makes for
        # its testSecret step; AWS removes it after the test (MOTO_NOTES.md, rotation)
        {("secret-rotation-failing", arn) for arn in rotated}
        # a key pending deletion is not subject to the rotation rule; once restored it is, and
        # the next plan enables its rotation (below)
        | {("kms-key-rotation-disabled", arn) for arn in restored})

    second = build_plan(list(after.values()), snapshot_after, scanned.config, Selection())
    assert [(c.remediation_id, c.resource_arn) for c in second.changes] == \
        [("enable-key-rotation", arn) for arn in sorted(restored)]
