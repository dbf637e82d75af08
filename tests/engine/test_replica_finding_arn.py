"""A replica's finding names the replica's own ARN, not the graph's ``<primary ARN>#<region>``
(ground-truth organization trial round 8: findings.json resource.arn and ASFF Resources[0].Id
were ``arn:aws:secretsmanager:us-east-1:...:secret:app/m1-db-JPIfWN#eu-west-1`` with Region
eu-west-1 -- not an ARN, and its Region contradicted the finding's).

ASFF Resources[].Id: "the canonical ID (ARN)" of the resource (AWS_FACTS.md, ASFF). The finding
id stays the one made from the graph node (so a replica's finding is the same finding the night
after the upgrade: history, first_seen, Security Hub's CreatedAt and suppressions written
against the node id keep matching), and the node id is kept as ``resource.node``."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from helpers.access_estate import CENTRAL, REGION, REPLICA_ARN, SECRET_ARN, replica_estate

from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.findings import Finding, finding_id
from scanner.graph.builder import build_graph
from scanner.model import ReplicaStatus, Snapshot

NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)
EU = "eu-west-1"
WEST = "us-west-2"
#: the us-west-2 replica is known only from the primary's ReplicationStatus (not listed)
WEST_ARN = SECRET_ARN.replace(REGION, WEST)


def _estate() -> Snapshot:
    snap = replica_estate()
    accounts = []
    for account in snap.accounts:
        if account.account_id == CENTRAL:
            home, eu = account.regions
            primary = replace(home.secrets[0], replicas=(
                *(home.secrets[0].replicas or ()),
                ReplicaStatus(region=WEST, kms_key_id=None, status="InSync")))
            account = replace(account, regions=(replace(home, secrets=(primary,)), eu))
        accounts.append(account)
    return replace(snap, accounts=tuple(accounts))


def _findings(snap: Snapshot) -> list[Finding]:
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    return evaluate(graph, snap, access, load_ruleset(), parse_config({}, path="(test)"), NOW)


def _on_replicas(findings: list[Finding]) -> dict[str, Finding]:
    return {f.resource.region: f for f in findings if f.resource.type == "SecretReplica"
            and f.rule_id == "secret-uses-aws-managed-key"}


def test_a_replica_finding_names_the_replica_arn_and_keeps_its_id() -> None:
    """ground-truth organization trial round 8: resource.arn is the replica's ARN."""
    found = _on_replicas(_findings(_estate()))
    eu, west = found[EU], found[WEST]
    # listed in its Region: the ARN it is listed under
    assert eu.resource.arn == REPLICA_ARN
    # known only from the primary's ReplicationStatus: the primary's ARN in the replica's
    # Region (how Secrets Manager names a replica)
    assert west.resource.arn == WEST_ARN
    for region, f in found.items():
        assert "#" not in f.resource.arn and f":{region}:" in f.resource.arn
        assert f.resource.node == f"{SECRET_ARN}#{region}"
        # the id is still made from the graph node: the same finding as before the change
        assert f.id == finding_id(f.rule_id, f"{SECRET_ARN}#{region}", f.principal)
    doc = eu.to_json()
    assert doc["resource"]["arn"] == REPLICA_ARN
    assert doc["resource"]["node"] == f"{SECRET_ARN}#{EU}"
    assert Finding.from_json(doc).resource == eu.resource


def test_a_primary_finding_carries_no_node() -> None:
    """ground-truth organization trial round 8: only a resource whose node id is not its ARN
    says so."""
    primaries = [f for f in _findings(_estate()) if f.resource.type == "Secret"]
    assert primaries
    for primary in primaries:
        assert primary.resource.arn == SECRET_ARN and primary.resource.node is None
        assert "node" not in primary.to_json()["resource"]


def test_every_output_names_the_replica_arn(tmp_path: Path) -> None:
    """ground-truth organization trial round 8: findings.json, ASFF, OCSF, CSV, JUnit and
    HTML name the replica's ARN; ASFF's Resources[0] keeps the replica's tags (looked up in the
    graph by the node id)."""
    from scanner.cli import main
    from scanner.snapshot_io import write_snapshot

    snap = write_snapshot(tmp_path / "snap.json", _estate())
    out = tmp_path / "out"
    main(["scan", "--snapshot", str(snap), "--out", str(out), "-q",
          "--format", "json,asff,ocsf,csv,junit,html"])
    doc = json.loads((out / "findings.json").read_text())
    rows = [f for f in doc["findings"] if f["resource"]["type"] == "SecretReplica"]
    assert rows and {f["resource"]["arn"] for f in rows} <= {REPLICA_ARN, WEST_ARN}
    for name in ("findings.json", "findings.asff.json", "findings.ocsf.jsonl", "findings.csv",
                 "junit.xml", "report.html"):
        text = (out / name).read_text()
        # only as the node id, in findings.json's resource.node and ASFF's ProductFields
        named = re.sub(r'"(node|secretgraph/resource_node)":\s*"[^"]*"', "", text)
        assert f"{SECRET_ARN}#{EU}" not in named, name
        assert REPLICA_ARN in text, name
    asff: Any = json.loads((out / "findings.asff.json").read_text())
    asff_rows = asff if isinstance(asff, list) else asff.get("Findings") or asff["findings"]
    [eu] = [f for f in asff_rows if f["Resources"][0]["Id"] == REPLICA_ARN
            and "aws-managed-key" in f["GeneratorId"]]
    assert eu["Resources"][0]["Region"] == EU
    assert eu["Resources"][0]["Type"] == "AwsSecretsManagerSecret"
    assert eu["Resources"][0].get("Details"), "the replica's node was not found in the graph"
