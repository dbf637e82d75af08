"""What ``remediate --config FILE`` reads.

The file is the engine's config file (``secretgraph.yaml``). Remediation reads two of the
engine's keys -- ``rotation_functions`` and ``required_replica_regions`` -- and its own
``remediation:`` section; the engine's other keys are left to the engine. Example::

    rotation_functions:
      - {lambda_arn: "arn:aws:lambda:us-east-1:111122223333:function:rotate-pg", engine: postgres}
    required_replica_regions: [us-west-2]
    remediation:
      org_id: o-abc123def4
      max_plan_age_hours: 24
      engine_tag: engine
      rotation_days: 30
      rotation_functions:            # same as above, plus a schedule per entry
        - {lambda_arn: "...", account_id: "111122223333", days: 7}
      cmk:
        "111122223333": {us-east-1: "arn:aws:kms:us-east-1:111122223333:key/...",
                         us-west-2: "arn:aws:kms:us-west-2:111122223333:key/mrk-..."}
      key_rotation_period_days: 365
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping


from scanner.changes import RemediationConfig, RotationTarget
from scanner.errors import InputError
from scanner.yamlio import read_yaml

_SECTION_KEYS = {"org_id", "max_plan_age_hours", "engine_tag", "rotation_days",
                 "rotation_functions", "cmk", "key_rotation_period_days"}
_ROTATION_KEYS = {"lambda_arn", "account_id", "region", "engine", "days", "schedule", "duration"}
_ACCOUNT = re.compile(r"^[0-9]{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")


def _integer(value: Any) -> bool:
    """An integer of the file: not a boolean, which Python counts as one (bad-input trial round
    1: ``rotation_days: true`` was sent to AWS as AutomaticallyAfterDays true)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _fail(path: str, field: str, message: str) -> InputError:
    return InputError(message, path=path, field=field)


def _rotation(entry: Any, path: str, field: str) -> RotationTarget:
    if not isinstance(entry, Mapping):
        raise _fail(path, field, "expected an object")
    unknown = set(entry) - _ROTATION_KEYS
    if unknown:
        raise _fail(path, field, f"unknown key(s) {sorted(unknown)}")
    arn = entry.get("lambda_arn")
    if not isinstance(arn, str) or not re.match(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:"
                                                r"function:", arn):
        raise _fail(path, f"{field}.lambda_arn", "expected a Lambda function ARN")
    account = entry.get("account_id")
    if account is not None and not (isinstance(account, str) and _ACCOUNT.match(account)):
        raise _fail(path, f"{field}.account_id", "expected a 12-digit account id (quoted)")
    days = entry.get("days")
    if days is not None and not (_integer(days) and 1 <= days <= 1000):
        raise _fail(path, f"{field}.days", "expected an integer from 1 to 1000")
    for key in ("region", "engine", "schedule", "duration"):
        if entry.get(key) is not None and not isinstance(entry.get(key), str):
            raise _fail(path, f"{field}.{key}", "expected a string")
    if days is not None and entry.get("schedule"):
        raise _fail(path, field, "give days or schedule, not both")
    duration = entry.get("duration")
    if duration is not None and not re.match(r"^[0-9]+h$", duration):
        raise _fail(path, f"{field}.duration", "expected hours, e.g. 3h")
    return RotationTarget(lambda_arn=arn, account_id=account, region=entry.get("region"),
                          engine=entry.get("engine"), days=days, schedule=entry.get("schedule"),
                          duration=duration)


def parse_config(data: Any, *, path: str) -> RemediationConfig:
    if data is None:
        return RemediationConfig()
    if not isinstance(data, Mapping):
        raise _fail(path, "(top level)", "expected a mapping")
    section = data.get("remediation") or {}
    if not isinstance(section, Mapping):
        raise _fail(path, "remediation", "expected a mapping")
    unknown = set(section) - _SECTION_KEYS
    if unknown:
        raise _fail(path, "remediation", f"unknown key(s) {sorted(unknown)}")
    rotations: list[RotationTarget] = []
    for where, entries in (("rotation_functions", data.get("rotation_functions")),
                           ("remediation.rotation_functions", section.get("rotation_functions"))):
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise _fail(path, where, "expected a list")
        rotations.extend(_rotation(e, path, f"{where}[{i}]") for i, e in enumerate(entries))
    cmk: dict[str, dict[str, str]] = {}
    raw_cmk = section.get("cmk") or {}
    if not isinstance(raw_cmk, Mapping):
        raise _fail(path, "remediation.cmk", "expected {account: {region: key ARN}}")
    for account, regions in raw_cmk.items():
        account = str(account)
        if not _ACCOUNT.match(account) or not isinstance(regions, Mapping):
            raise _fail(path, f"remediation.cmk.{account}",
                        "expected a 12-digit account id mapping regions to key ARNs")
        for region, arn in regions.items():
            if not _REGION.match(str(region)) or not (isinstance(arn, str)
                                                      and arn.startswith("arn:")):
                raise _fail(path, f"remediation.cmk.{account}.{region}",
                            "expected a region mapped to a key ARN")
        cmk[account] = {str(r): str(a) for r, a in regions.items()}
    replicas = data.get("required_replica_regions") or []
    if not isinstance(replicas, list) or not all(isinstance(r, str) and _REGION.match(r)
                                                 for r in replicas):
        raise _fail(path, "required_replica_regions", "expected a list of region names")
    org_id = section.get("org_id")
    if org_id is not None and not (isinstance(org_id, str) and re.match(r"^o-[a-z0-9]{10,32}$",
                                                                        org_id)):
        raise _fail(path, "remediation.org_id", "expected an organization id like o-abc123def4")
    age = section.get("max_plan_age_hours", 24)
    if not isinstance(age, (int, float)) or isinstance(age, bool) or age <= 0:
        raise _fail(path, "remediation.max_plan_age_hours", "expected a positive number")
    days = section.get("rotation_days", 30)
    if not _integer(days) or not 1 <= days <= 1000:
        raise _fail(path, "remediation.rotation_days", "expected an integer from 1 to 1000")
    period = section.get("key_rotation_period_days")
    if period is not None and not (_integer(period) and 90 <= period <= 2560):
        raise _fail(path, "remediation.key_rotation_period_days",
                    "expected an integer from 90 to 2560")
    trusted = data.get("trusted_accounts") or []
    if not isinstance(trusted, list) or not all(isinstance(a, str) and _ACCOUNT.match(a)
                                                for a in trusted):
        raise _fail(path, "trusted_accounts", "expected a list of 12-digit account ids")
    tag = section.get("engine_tag", "engine")
    if not isinstance(tag, str) or not tag:
        raise _fail(path, "remediation.engine_tag", "expected a tag key")
    return RemediationConfig(
        rotations=tuple(rotations), rotation_days=days, engine_tag=tag,
        cmk_by_account_region=cmk, replica_regions=tuple(replicas), org_id=org_id,
        key_rotation_period_days=period, max_plan_age_hours=float(age),
        trusted_accounts=tuple(trusted))


def load_config(path: str | Path | None) -> RemediationConfig:
    if path is None:
        return RemediationConfig()
    p = Path(path)
    data = read_yaml(p, "config")
    # the file `scan` reads too: its schema's errors first, worded as scan words them (one
    # message for one mistake, whichever command finds it -- new-user trial)
    from scanner.engine.config import parse_config as parse_scan_config

    scan = parse_scan_config(data, path=str(p))
    # the one list of required Regions: the key or its other name, the rule parameter
    # (scanner.engine.config.REQUIRED_REGIONS_ALIAS), as the scan reads it
    return replace(parse_config(data, path=str(p)),
                   replica_regions=scan.required_replica_regions)
