"""Tiny snapshots and rule files for the engine tests."""

from __future__ import annotations

import textwrap
from datetime import datetime, timezone
from pathlib import Path

from scanner.model import (
    AccountSnapshot,
    CoverageEntry,
    KmsKey,
    RegionSnapshot,
    ScanMeta,
    Secret,
    Snapshot,
)

A = "111111111111"
R = "us-east-1"
NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)
KEY = f"arn:aws:kms:{R}:{A}:key/k1"


def secret_arn(name: str) -> str:
    return f"arn:aws:secretsmanager:{R}:{A}:secret:{name}-AbCdEf"


def make_secret(name: str, **kw: object) -> Secret:
    fields: dict[str, object] = dict(
        arn=secret_arn(name), name=name, account_id=A, region=R, kms_key_id=KEY,
        rotation_enabled=True, created="2026-01-01T00:00:00Z",
        last_rotated="2026-11-01T00:00:00Z", next_rotation="2026-12-01T00:00:00Z",
        last_accessed="2026-11-28T00:00:00Z", primary_region=R)
    fields.update(kw)
    return Secret(**fields)  # type: ignore[arg-type]


def make_snapshot(*secrets: Secret, coverage: tuple[CoverageEntry, ...] = ()) -> Snapshot:
    key = KmsKey(arn=KEY, key_id="k1", account_id=A, region=R, key_manager="CUSTOMER",
                 key_state="Enabled", key_spec="SYMMETRIC_DEFAULT", rotation_enabled=True,
                 policy='{"Version":"2012-10-17","Statement":[]}')
    return Snapshot(
        meta=ScanMeta(scan_id="t", started_at="2026-11-29T00:00:00Z",
                      finished_at="2026-11-29T00:01:00Z", accounts=(A,), regions=(R,),
                      central_account=A),
        accounts=(AccountSnapshot(account_id=A, regions=(
            RegionSnapshot(region=R, secrets=secrets, kms_keys=(key,)),)),),
        coverage=coverage)


def coverage_entry() -> CoverageEntry:
    return CoverageEntry(account_id=A, region=R, service="lambda", operation="ListFunctions",
                         error_code="AccessDenied", error_kind="denied", message="denied")


RULE_TEMPLATE = """\
id: {id}
title: A test rule for the engine
severity: {severity}
resource: Secret
description: A rule written by a test.
rationale: Tests need rules they control.
{extra}fail_when:
{fail_when}
remediation: {{id: rotate-secret-now, description: Do the thing that fixes it.}}
compliance: {{}}
"""


def write_rule(directory: Path, rule_id: str, fail_when: str, *, severity: str = "HIGH",
               extra: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{rule_id}.yaml"
    path.write_text(RULE_TEMPLATE.format(id=rule_id, severity=severity, extra=extra,
                                         fail_when=textwrap.indent(fail_when.strip(), "  ")))
    return path
