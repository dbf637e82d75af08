"""A finding that FAILs before a change and is UNKNOWN after it is "made UNKNOWN", not
"resolved": a grant-key-decrypt whose reader's SCPs the scan did not read opens the key gate,
and whether the read works then rests on the SCPs. The plan said "findings resolved 1" and,
of the same finding, "unknown ... (its input is read by the next scan)" without its principal;
the rescan said UNKNOWN (safe-fixes trial round 18, a scan without --org)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from helpers.access_estate import (APP_ROLE, CENTRAL, allow_read_identity, estate,
                                   key_policy_for, role, secret_policy_for)
from scanner.cli import main
from scanner.snapshot_io import write_snapshot

BROKEN = "secret-cross-account-access-broken"


def test_a_fail_made_unknown_is_not_resolved(tmp_path: Path) -> None:
    snap = estate(secret_policy=secret_policy_for(APP_ROLE),
                  key_policy=key_policy_for(f"arn:aws:iam::{CENTRAL}:role/Nobody"),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    assert snap.organization is not None
    # the organization read, its SCPs not (the scp gate UNKNOWN)
    snap = replace(snap, organization=replace(snap.organization, policies_read=False,
                                              policy_types_enabled=None))
    write_snapshot(tmp_path / "snapshot.json.gz", snap)
    out = tmp_path / "scan"
    main(["scan", "--snapshot", str(tmp_path / "snapshot.json.gz"), "--out", str(out),
          "--format", "json", "-q"])
    (broken,) = [f for f in json.loads((out / "findings.json").read_text("utf-8"))["findings"]
                 if f["rule_id"] == BROKEN and f["status"] == "FAIL"]

    assert main(["remediate", "--in", str(out), "--rule", BROKEN, "-q"]) == 0

    (change,) = json.loads((out / "remediation-plan.json").read_text("utf-8"))["changes"]
    effect = change["effect"]
    assert change["remediation_id"] == "grant-key-decrypt"
    assert [f["id"] for f in effect["findings_unknown"]] == [broken["id"]]
    assert broken["id"] not in [f["id"] for f in effect["findings_resolved"]]
    md = (out / "remediation-plan.md").read_text("utf-8")
    assert f"unknown  {BROKEN} {broken['resource']['arn']} ({APP_ROLE}) (its input is read " \
        "by the next scan)" in md, md
    assert "findings resolved 0, created 0" in md, md
