"""The engine configuration file (``--config secretgraph.yaml``), validated by
scanner/schemas/config.schema.json, then checked against the loaded rules (rule ids, parameter
names and types). Any error is an InputError naming file, rule and field."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping


from scanner.engine.validation import every_error, load_schema
from scanner.errors import InputError
from scanner.yamlio import read_yaml
from scanner.findings import Severity

PEERING_QUOTA_CODE = "L-7E9ECCDB"

#: the rule parameter that is another name of the config's ``allowed_external_accounts``: the
#: one allow-list of external accounts, read by every rule, the access analysis, the access
#: report and remediation (concept review round 3: the parameter silenced
#: secret-policy-external-account alone, the access analysis and
#: secret-cross-account-access-broken still read the top-level key)
ALLOWED_ACCOUNTS_ALIAS = ("secret-policy-external-account", "allowed_accounts")
#: the rule parameter that is another name of the config's ``required_replica_regions``: the
#: one list the collector (DescribeSecret for a primary without a replica there), the rule
#: and remediation read (the parameter alone made the rule require a Region the collector
#: was never told of: a replica it did not describe was "no replica", not unknown)
REQUIRED_REGIONS_ALIAS = ("secret-not-replicated", "required_regions")


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleOverride:
    enabled: bool = True
    severity: Severity | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class QuotaOverride:
    code: str
    value: float
    account_id: str | None = None
    region: str | None = None
    vpc_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RotationFunction:
    lambda_arn: str
    account_id: str | None = None
    region: str | None = None
    engine: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class EngineConfig:
    rules: Mapping[str, RuleOverride] = field(default_factory=dict)
    required_replica_regions: tuple[str, ...] = ()
    allowed_external_accounts: tuple[str, ...] = ()
    #: accounts inside the trust zone besides the organization and the scanned accounts
    trusted_accounts: tuple[str, ...] = ()
    quotas: tuple[QuotaOverride, ...] = ()
    rotation_functions: tuple[RotationFunction, ...] = ()
    #: itemise every PASS result in findings.json (default: a PASS summary per rule)
    emit_pass: bool = False
    #: findings.json on disk: "complete" rows (the contract, schema_version 1) or "compact"
    #: (schema_version 2: rule metadata, account names and shared evidence written once)
    findings_layout: str = "complete"
    #: ask the SMT solver where the evaluator cannot decide the exposure rules (z3 needed)
    prove: bool = False
    #: solver time per question, seconds
    prove_timeout: float = 10.0
    path: str | None = None

    def quota(self, code: str, account_id: str, region: str, vpc_id: str | None = None
              ) -> float | None:
        """The most specific override for a quota, or None."""
        best: tuple[int, float] | None = None
        for q in self.quotas:
            if q.code != code:
                continue
            if (q.account_id not in (None, account_id) or q.region not in (None, region)
                    or q.vpc_id not in (None, vpc_id)):
                continue
            score = (q.account_id is not None) + (q.region is not None) + 2 * (q.vpc_id is not None)
            if best is None or score >= best[0]:
                best = (score, q.value)
        return None if best is None else best[1]

    def rule_enabled(self, rule_id: str) -> bool:
        """False when the config switches the rule off (``rules.<id>.enabled: false``): it is
        neither evaluated nor listed among the rules the scan judged."""
        override = self.rules.get(rule_id)
        return override is None or override.enabled

    def global_parameters(self) -> dict[str, Any]:
        """Config-wide values rules can take as parameters of the same name."""
        out: dict[str, Any] = {}
        if self.required_replica_regions:
            out["required_regions"] = list(self.required_replica_regions)
        if self.allowed_external_accounts:
            out["allowed_accounts"] = list(self.allowed_external_accounts)
        return out


#: settings a newcomer puts in the configuration (as Prowler's or Custodian's files take them)
#: that secretgraph takes on the command line only: key (``-`` read as ``_``) -> the flag
COMMAND_LINE_ONLY: dict[str, str] = {
    "suppressions": "--suppressions FILE", "mutelist": "--suppressions FILE",
    "baseline": "--baseline FILE", "fail_on": "--fail-on SEVERITY",
    "severity": "--severity SEV,...", "regions": "--regions", "accounts": "--accounts",
    "org": "--org", "role_name": "--role-name", "role_arn": "--role-arn",
    "external_id": "--external-id", "profile": "--profile",
    "central_account": "--central-account", "history": "--history", "out": "--out",
    "format": "--format", "formats": "--format", "rules_dir": "--rules-dir",
    "exclude_rules": "--exclude-rules", "compliance": "--compliance",
    "endpoint_url": "--endpoint-url URL", "max_workers": "--max-workers N",
    "policy_tps": "--policy-tps N", "full_refresh_days": "--full-refresh-days N",
    "processes": "--processes N", "snapshot": "--snapshot FILE",
    "from_parts": "--from-parts LOCATION", "run_id": "--run-id ID", "shard": "--shard I/N",
    "parts": "--parts DIR|s3://...", "parts_kms_key": "--parts-kms-key KEY",
    "debug": "--debug", "verbose": "--verbose", "quiet": "--quiet",
    "log_format": "--log-format text|json",
}
#: the keys above that are flags of ``collect`` only (the hint names its --help)
COLLECT_ONLY = frozenset({"shard", "parts", "parts_kms_key"})


def _command_line_hint(data: Any) -> str:
    """``; `suppressions` is a command-line setting, not a configuration key: give
    --suppressions FILE`` for the first top-level key of ``data`` that is a flag of ``scan``
    (new-user trial 19: "'suppressions' was unexpected" said nothing of where it goes), or
    nothing."""
    if not isinstance(data, Mapping):
        return ""
    for key in data:
        name = str(key).replace("-", "_")
        flag = COMMAND_LINE_ONLY.get(name)
        if flag is not None:
            command = "collect" if name in COLLECT_ONLY else "scan"
            return (f"; `{key}` is a command-line setting, not a configuration key: give "
                    f"{flag} ({command} --help; the scheduled deployment: "
                    f"docs/deployment.md)")
    return ""


def parse_config(data: Any, *, path: str) -> EngineConfig:
    """Validate a config document (already parsed YAML) and build the EngineConfig."""
    if data is None:
        # an empty (or comments-only) file is refused as an empty rule, suppression or
        # baseline file is: a file truncated to nothing ran on the defaults without a word
        # (fault-injection trial round 9); `{}` is the defaults
        raise InputError("the configuration file is empty (or holds only comments); write {} "
                         "for the defaults, or give no --config", path=path)
    errors = every_error(data, load_schema("scanner.schemas", "config.schema.json"))
    said = []
    for where, message in errors:
        if where == "(top level)" and "did you mean" not in message:
            from scanner.file_kinds import wrong_flag_hint

            message += _command_line_hint(data) or wrong_flag_hint(data, "config")
        said.append((where, message))
    if len(said) == 1:
        [(where, message)] = said
        parts = where.split(".")
        rule = parts[1] if len(parts) >= 2 and parts[0] == "rules" else None
        raise InputError(message, path=path, rule=rule, field=where)
    if said:  # every problem at once, each naming its field, as `rules validate` does: a
        # config with two typos took two runs, one problem each (new-user trials' leftover)
        raise InputError(f"{len(said)} problems: " + "; ".join(
            f"field {where}: {message}" for where, message in said), path=path)
    _check_regions(data, path)
    rules = {
        rule_id: RuleOverride(
            enabled=bool(o.get("enabled", True)),
            severity=Severity(o["severity"]) if "severity" in o else None,
            parameters=dict(o.get("parameters") or {}),
        )
        for rule_id, o in (data.get("rules") or {}).items()
    }
    return EngineConfig(
        rules=rules,
        required_replica_regions=_one_list(
            data, path, "required_replica_regions", REQUIRED_REGIONS_ALIAS, "region",
            "one list (the parameter is another name of the key, read by the collector, the "
            "rule and remediation)"),
        allowed_external_accounts=_one_list(
            data, path, "allowed_external_accounts", ALLOWED_ACCOUNTS_ALIAS, "account_id",
            "one allow-list (the parameter is another name of the key, read by every rule, "
            "the access analysis and remediation)"),
        trusted_accounts=tuple(data.get("trusted_accounts") or ()),
        quotas=tuple(QuotaOverride(**q) for q in data.get("quotas") or ()),
        rotation_functions=tuple(RotationFunction(**r) for r in data.get("rotation_functions") or ()),
        emit_pass=bool(data.get("emit_pass", False)),
        findings_layout=str(data.get("findings_layout", "complete")),
        prove=bool(data.get("prove", False)),
        prove_timeout=float(data.get("prove_timeout", 10.0)),
        path=path,
    )


def _one_list(data: Mapping[str, Any], path: str, key: str, alias: tuple[str, str],
              kind: str, one: str) -> tuple[str, ...]:
    """The one list of a config key that a rule parameter is another name of (``alias``:
    ALLOWED_ACCOUNTS_ALIAS, REQUIRED_REGIONS_ALIAS): the key, or the parameter. Both given and
    different: an InputError naming both fields and what the list is (``one``), as no list
    can be chosen silently. The parameter's items are checked as the rule's parameter is
    (``kind``: 12-digit ids, quoted; Regions AWS has: scanner.engine.params.item_problem)
    before anything reads them."""
    top = data.get(key)
    rule_id, name = alias
    rules = data.get("rules")
    override = rules.get(rule_id) if isinstance(rules, Mapping) else None
    parameters = override.get("parameters") if isinstance(override, Mapping) else None
    if not isinstance(parameters, Mapping) or name not in parameters:
        return tuple(top or ())
    value = parameters[name]
    where = f"rules.{rule_id}.parameters.{name}"
    if not isinstance(value, (list, tuple)):
        from scanner.engine.validation import yaml_value_words

        raise InputError(f"parameter {name} must be list, got {yaml_value_words(value)}"
                         + (f"; write a list: [{value}]" if isinstance(value, (str, int))
                            and not isinstance(value, bool) else ""),
                         path=path, rule=rule_id, field=where)
    from scanner.engine.params import item_problem

    for i, item in enumerate(value):
        problem = item_problem(kind, item)
        if problem:
            raise InputError(f"parameter {name} {problem}", path=path, rule=rule_id,
                             field=f"{where}[{i}]")
    if top is not None and set(top) != set(value):
        raise InputError(
            f"{where} {sorted(value)} differs from {key} {sorted(top)}: they are {one}; set "
            "one of them, or both alike",
            path=path, rule=rule_id, field=where)
    return tuple(top if top is not None else value)


def _check_regions(data: Mapping[str, Any], path: str) -> None:
    """A Region no one has is a typo, not a requirement: ``required_replica_regions:
    [us-wst-2]`` failed every secret for a missing replica (new-user trial). Regions are
    checked as ``--regions`` checks them (scanner/aws/regions.py), with the closest ones."""
    from scanner.aws.regions import known_regions
    from scanner.suggest import suggest
    from scanner.policy.arn import arn_region

    known = known_regions()
    places: list[tuple[str, Any]] = [(f"required_replica_regions[{i}]", r) for i, r in
                                     enumerate(data.get("required_replica_regions") or ())]
    for section in ("quotas", "rotation_functions"):
        places += [(f"{section}[{i}].region", e.get("region"))
                   for i, e in enumerate(data.get(section) or ()) if isinstance(e, Mapping)]
    remediation = data.get("remediation")
    if isinstance(remediation, Mapping):
        places += [(f"remediation.rotation_functions[{i}].region", e.get("region"))
                   for i, e in enumerate(remediation.get("rotation_functions") or ())
                   if isinstance(e, Mapping)]
        # remediation.cmk.<account>.<region>: a typo there (us-esat-1) was taken, and the plan
        # then asked to "set remediation.cmk.<account>.<region>" -- set already (bad-input
        # trial round 1)
        cmk = remediation.get("cmk")
        for account, regions in (cmk.items() if isinstance(cmk, Mapping) else ()):
            for region, arn in (regions.items() if isinstance(regions, Mapping) else ()):
                field = f"remediation.cmk.{account}.{region}"
                places.append((field, region))
                key_region = arn_region(arn) if isinstance(arn, str) else None
                if isinstance(region, str) and region in known and key_region and \
                        key_region != region:
                    # KMS keys are regional: a secret is encrypted by a key of its own Region
                    raise InputError(f"the key {arn} is in {key_region}, not {region}",
                                     path=path, field=field)
    for field, region in places:
        if isinstance(region, str) and region not in known:
            raise InputError(f"unknown region {region!r}{suggest(region, sorted(known))}",
                             path=path, field=field)


def load_config(path: str | Path | None) -> EngineConfig:
    """Read and validate ``--config``; InputError (exit 2) on any problem, never a default.
    ``None`` (no --config given) is the default configuration."""
    if path is None:
        return EngineConfig()
    p = Path(path)
    data = read_yaml(p, "config")
    return parse_config(data, path=str(p))
