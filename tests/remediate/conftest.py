"""Fixtures for remediation tests: the moto estate, scanned, with its findings and config."""

from __future__ import annotations

from pathlib import Path
import tempfile
from typing import Any, Iterator

import pytest
import yaml
from botocore.client import BaseClient
from moto import mock_aws
from moto.moto_api._internal import mock_random

from helpers.remediate_estate import (REMEDIATION_ROLE, Scanned, build_estate, config_for, findings_for,
                              forget_sessions, mgmt_session, scan, write_scan_dir)
from scanner.changes import RemediationConfig
from scanner.findings import Finding
from scanner.model import Snapshot
from scanner.remediate.config import parse_config
from scanner.snapshot_io import read_snapshot
from scanner.remediate.sessions import ClientsFactory, remediation_clients


@pytest.fixture(autouse=True)
def _own_temp_dir(tmp_path_factory: pytest.TempPathFactory,
                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A temporary directory of each test's own: the apply lock of a plan id is there
    (scanner.remediate.engine.id_lock_path), and two tests on two workers may build the same
    plan (one estate, one second) and apply it at once."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path_factory.mktemp("tempdir")))


@pytest.fixture()
def no_aws(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every AWS call fails the test; returns the list of attempted operations."""
    attempted: list[str] = []

    def refuse(self: BaseClient, operation: str, params: Any) -> Any:
        attempted.append(operation)
        raise AssertionError(f"unexpected AWS call {operation}")

    monkeypatch.setattr(BaseClient, "_make_api_call", refuse)
    return attempted


@pytest.fixture()
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # no EC2 AMI catalogue per account-region: the estate has no instances, and loading it
    # costs ~0.5 s per account-region touched
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    forget_sessions()
    try:
        with mock_aws(config={"lambda": {"use_docker": False}}):
            yield
    finally:
        forget_sessions()


#: the first test's real scan, reused by later tests: the estate is built with moto's random
#: generator seeded, so every build has the same ids (checked below), and the collector is the
#: slow part of a test
_SCAN_CACHE: dict[str, bytes] = {}


@pytest.fixture()
def scanned(aws: None, tmp_path: Path) -> Scanned:
    mock_random.seed(20261129)
    estate = build_estate()
    scan_dir = tmp_path / "scan"
    if "snapshot" in _SCAN_CACHE:
        scan_dir.mkdir(parents=True)
        (scan_dir / "snapshot.json.gz").write_bytes(_SCAN_CACHE["snapshot"])
        snapshot = read_snapshot(scan_dir / "snapshot.json.gz")
        seen = {sec.arn for a in snapshot.accounts for r in a.regions for sec in r.secrets}
        assert estate.shared_secret in seen and estate.plain_secret in seen, \
            "the seeded estate no longer matches the cached scan"
    else:
        snapshot = scan(scan_dir, "scan-before")
        _SCAN_CACHE["snapshot"] = (scan_dir / "snapshot.json.gz").read_bytes()
    findings = findings_for(estate)
    write_scan_dir(scan_dir, snapshot, findings)
    raw = config_for(estate)
    config_path = tmp_path / "secretgraph.yaml"
    config_path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return Scanned(estate=estate, snapshot=snapshot, findings=findings,
                   config=parse_config(raw, path=str(config_path)), scan_dir=scan_dir,
                   config_path=config_path)


@pytest.fixture()
def clients(aws: None) -> ClientsFactory:
    """The remediation role's clients in each account (assumed from the management creds)."""
    return remediation_clients(role_name=REMEDIATION_ROLE, endpoint_url=None,
                               base=mgmt_session(), max_attempts=1)
