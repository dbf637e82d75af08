"""The HTML access view lists every copy of a secret: a replica is read through its own key,
so its reads have verdicts of their own. The view read the primaries only: on the demo estate
its Access section said "4 broken" and showed member B's ApplicationRole reading
demo/misconfig/mrk-drift (✓ allowed) while the findings table listed five
secret-cross-account-access-broken reads, that one among them, in us-west-2 (new-user trial
round 26)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.access_estate import APP_ROLE, REPLICA_ARN, SECRET_ARN, replica_estate

from reports.html.access_view import build_access_view
from scanner.access import AccessSettings, analyze_access
from scanner.cli import main
from scanner.graph.builder import build_graph
from scanner.snapshot_io import write_snapshot


def test_a_replicas_broken_read_is_a_row_of_its_own_named_with_its_region() -> None:
    snap = replica_estate()  # the replica in eu-west-1 is encrypted with aws/secretsmanager
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    view = build_access_view(graph, access, account_names={})
    [group] = view.groups
    reads = {(p.secret_arn, p.state): p for p in group.pairs}
    assert set(reads) == {(SECRET_ARN, "allowed"), (REPLICA_ARN, "broken")}
    assert reads[(REPLICA_ARN, "broken")].secret.startswith("app/db (replica in eu-west-1)")
    assert reads[(SECRET_ARN, "allowed")].secret.startswith("app/db · ")
    assert reads[(REPLICA_ARN, "broken")].why == "blocked by key policy"
    # the secret and its replica are one secret, read twice
    assert (group.secrets, group.counts) == (1, {"broken": 1, "allowed": 1, "conditional": 0})
    assert view.totals == {"broken": 1, "allowed": 1, "conditional": 0}


def test_the_broken_reads_of_report_html_are_the_broken_access_findings(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = write_snapshot(tmp_path / "snapshot.json.gz", replica_estate())
    out = tmp_path / "out"
    main(["scan", "--snapshot", str(snapshot), "--out", str(out), "--format", "json,html",
          "-q"])
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))["findings"]
    broken = {(f["resource"]["arn"], f["principal"]) for f in findings
              if f["rule_id"] == "secret-cross-account-access-broken" and f["status"] == "FAIL"}
    assert broken == {(REPLICA_ARN, APP_ROLE)}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "1 broken · 1 allowed" in html
    assert "app/db (replica in eu-west-1)" in html
