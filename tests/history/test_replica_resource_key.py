"""A replica's finding now names the replica's ARN (resource.arn) and keeps its graph node id
as resource.node (ground-truth organization trial round 8). History, the Security Hub archive
and suppressions match resources by the node id (findings.resource_key), so:

* the night after the upgrade, last night's row (arn = the node id, no node) and tonight's
  (arn = the replica's ARN) are the same finding -- same id, not "new" + "resolved";
* a replica whose primary's Region was not scanned tonight is still "not assessed", not
  resolved (the replica is judged with its primary: scanner.history.assessed);
* a suppression written against ``<primary ARN>#<region>`` still mutes it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from helpers.access_estate import CENTRAL, REGION, REPLICA_ARN, SECRET_ARN, replica_estate

from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, load_suppressions, parse_config, suppress
from scanner.findings import Finding, Status
from scanner.graph.builder import build_graph
from scanner.history.assessed import assess
from scanner.history.diff_findings import diff_findings
from scanner.history.drift import NotAssessed
from scanner.model import ScanMeta

NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)
EU = "eu-west-1"
NODE = f"{SECRET_ARN}#{EU}"
RULE = "secret-uses-aws-managed-key"


def _replica_finding() -> Finding:
    snap = replica_estate()
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    [f] = [f for f in evaluate(graph, snap, access, load_ruleset(),
                               parse_config({}, path="(test)"), NOW)
           if f.resource.type == "SecretReplica" and f.rule_id == RULE]
    assert f.resource.arn == REPLICA_ARN and f.resource.node == NODE
    return f


def _doc(*rows: dict[str, Any]) -> dict[str, Any]:
    return {"scan": {"started_at": "2026-11-29T00:00:00Z", "rules": [RULE]},
            "findings": list(rows)}


def _before_upgrade(row: dict[str, Any]) -> dict[str, Any]:
    """The row as a scan before this change wrote it: the node id as the ARN, no node."""
    res = {k: v for k, v in row["resource"].items() if k != "node"}
    return dict(row, resource=dict(res, arn=NODE))


def test_the_night_after_the_upgrade_a_replica_finding_is_neither_new_nor_resolved() -> None:
    """ground-truth organization trial round 8: the finding id is made from the node id."""
    row = _replica_finding().to_json()
    old = _before_upgrade(row)
    assert old["id"] == row["id"]
    not_assessed: list[NotAssessed] = []
    new, resolved, changed = diff_findings(_doc(old), _doc(row), assess(replica_estate()),
                                           not_assessed)
    assert (new, resolved, changed, not_assessed) == ([], [], [], [])


def test_a_replica_whose_primary_region_was_not_scanned_is_not_resolved() -> None:
    """ground-truth organization trial round 8: the replica's ARN names no primary; the node
    id does (assessed.why_not reads the primary from it)."""
    row = _replica_finding().to_json()
    tonight = assess(replica_estate())
    tonight = replace(tonight, regions=frozenset(r for r in tonight.regions
                                                 if r != (CENTRAL, REGION)))
    not_assessed: list[NotAssessed] = []
    new, resolved, _ = diff_findings(_doc(row), _doc(), tonight, not_assessed)
    assert resolved == [] and new == []
    [na] = not_assessed
    assert "the replica's primary" in na.reason and REPLICA_ARN in na.subject


def test_a_suppression_of_the_node_id_or_the_replica_arn_mutes_the_replica(
        tmp_path: Path) -> None:
    """ground-truth organization trial round 8: entries written against the node id (what
    resource.arn said before) keep muting; the replica's ARN mutes too."""
    f = _replica_finding()
    meta = ScanMeta(scan_id="t", started_at="2026-11-29T00:00:00Z", accounts=(CENTRAL,),
                    central_account=CENTRAL)
    for resource in (NODE, REPLICA_ARN, f"{SECRET_ARN}#*"):
        path = tmp_path / "mute.yaml"
        path.write_text(f"suppressions:\n  - rule: {RULE}\n    resource: '{resource}'\n"
                        "    reason: legacy\n    expires: 2099-12-31\n")
        [out] = suppress([f], load_suppressions(path), NOW, meta=meta)
        assert out.status == Status.MUTED, resource


def test_security_hub_does_not_archive_a_replica_whose_primary_region_was_not_scanned(
        ) -> None:
    """ground-truth organization trial round 8: ASFF Resources[0].Id is the replica's ARN; the
    node id travels as ProductFields secretgraph/resource_node, which the archive reads."""
    from reports.asff import archive_resolved, to_asff

    row = _replica_finding().to_json()
    document = {"scan": {"id": "n1", "started_at": "2026-11-29T00:00:00Z",
                         "accounts": [CENTRAL], "regions": [REGION, EU], "rules": [RULE]},
                "findings": [row]}
    previous = to_asff(row, document, now=NOW)
    assert previous["Resources"][0]["Id"] == REPLICA_ARN
    assert previous["ProductFields"]["secretgraph/resource_node"] == NODE
    # tonight: the primary's Region was not scanned, the replica's finding is not reported
    tonight = {"scan": {"id": "n2", "started_at": "2026-11-30T00:00:00Z",
                        "accounts": [CENTRAL], "regions": [EU], "rules": [RULE]},
               "findings": []}
    assert archive_resolved([previous], [], tonight, now=NOW) == []
    # scanned everywhere and gone: archived
    tonight["scan"]["regions"] = [REGION, EU]
    assert [f["Id"] for f in archive_resolved([previous], [], tonight, now=NOW)] == \
        [previous["Id"]]
