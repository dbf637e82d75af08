"""``baseline init|check --history`` re-analyses a recorded scan whose access report was not
kept with the trust zone that scan used: the config's ``trusted_accounts`` recorded in its
findings document (``scan.trust_zone``), not an empty one (concept review round 1, defect 6:
the pattern of ``report --in``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from helpers.access_estate import OUTSIDER, SECRET_ARN, estate, key_policy_for, secret_policy_for

from scanner.commands.baseline import _source
from scanner.engine.output import findings_document
from scanner.history import open_store
from scanner.history.sqlite_store import SqliteHistoryStore
from scanner.policy.trust_zone import trust_zone

OUTSIDER_ROOT = f"arn:aws:iam::{OUTSIDER}:root"


def test_a_recorded_scan_without_its_access_report_keeps_its_trusted_accounts(
        tmp_path: Path) -> None:
    snap = estate(secret_policy=secret_policy_for(OUTSIDER_ROOT),
                  key_policy=key_policy_for(OUTSIDER_ROOT))
    document = findings_document(snap, [], trust_zone=trust_zone(snap, (OUTSIDER,)))
    SqliteHistoryStore(str(tmp_path / "h.db")).record(snap.meta, snap, document, None)
    assert open_store(str(tmp_path / "h.db")).load("t").access is None
    access, _ = _source(argparse.Namespace(snapshot=None, history=str(tmp_path / "h.db"),
                                           scan=None))
    sa = access.for_secret(SECRET_ARN)
    assert {p.in_zone for p in sa.paths if p.principal_account == OUTSIDER} == {True}
