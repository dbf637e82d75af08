"""Load rule files: YAML -> JSON Schema (rules/rule.schema.json, errors walked to the branch the
user meant) -> semantic pass (resource kinds, operators and their values, predicates and their
arguments, edge kinds, attribute names per kind, parameters and their types, remediation ids)
-> compiled conditions. Every problem is an InputError naming file, rule and field; a malformed
rule is never skipped."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import get_close_matches
from functools import lru_cache
from fnmatch import fnmatchcase
from string import Formatter
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence


from scanner.suggest import suggest
from scanner.engine.attributes import (
    DERIVED_FROM,
    FREEFORM_MAPS,
    KIND_ATTRIBUTES,
    attributes_of,
)
from scanner.engine.conditions import (
    IF_NONE,
    OPERATORS,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Described,
    Fixed,
    EdgeCondition,
    Not,
    PredicateCondition,
)
from scanner.engine.params import ParamSpec, param_problem
from scanner.engine.engine_rules import produced_by_the_scan
from scanner.engine.predicates import PREDICATES
from scanner.engine.regex_safety import catastrophic
from scanner.engine.validation import field_path, every_error, load_schema
from scanner.errors import InputError, UsageError
from scanner.yamlio import read_yaml
from scanner.findings import Severity
from scanner.graph.schema import EdgeKind

#: Remediation ids with documented manual steps only (no automated remediator). Automated ids
#: come from remediations.REMEDIATORS.
MANUAL_REMEDIATIONS: frozenset[str] = frozenset({
    "fix-stuck-rotation", "rotate-secret-now", "restore-rotation-function",
    "fix-rotation-network-path", "shrink-secret-policy", "narrow-secret-policy-actions",
    "resync-secret-replica", "review-unused-secret", "restrict-public-key-policy",
    "remove-excess-key-grant", "align-replica-key-policy", "request-peering-quota-increase",
    "narrow-peering-route", "remove-blackhole-route", "narrow-identity-policy",
    "restore-scan-access", "repair-cross-account-access", "grant-rotation-role-read",
})


def _remediations() -> Any:
    """The remediation package (remediations: REMEDIATORS, COMPOSITE, resolve_remediation), or
    None: it is optional for the engine."""
    try:
        import remediations
    except ImportError:
        return None
    return remediations


def automated_remediations() -> frozenset[str]:
    r = _remediations()
    return frozenset(r.REMEDIATORS) if r is not None else frozenset()


def automated_for_some() -> Mapping[str, tuple[str, str]]:
    """The remediation ids `remediate --apply` carries out for some of their findings only:
    id -> (the remediator, which findings, in words) (remediations.COMPOSITE)."""
    r = _remediations()
    return r.COMPOSITE if r is not None else {}


def resolver_for(rid: str) -> Callable[[object, str, str | None, Mapping[str, Any]],
                                        tuple[str | None, str | None]] | None:
    """remediations.resolve_remediation when ``rid`` is one of its COMPOSITE ids (which
    remediator, if any, a finding of it gets depends on the finding); None otherwise."""
    r = _remediations()
    return r.resolve_remediation if r is not None and rid in r.COMPOSITE else None


def _runs_on_findings() -> frozenset[str]:
    """The remediation ids `remediate --apply` carries out: the remediators', and the ids that
    resolve to one from a finding's evidence (remediations.COMPOSITE)."""
    return automated_remediations() | frozenset(automated_for_some())


@lru_cache(maxsize=1)
def _builtin_ids() -> frozenset[str]:
    return frozenset(p.stem for p in rule_files(builtin_rules_dir()))


def known_remediations() -> frozenset[str]:
    return MANUAL_REMEDIATIONS | automated_remediations()


@dataclass(frozen=True, kw_only=True, slots=True)
class Rule:
    id: str
    title: str
    severity: Severity
    resources: tuple[str, ...]
    description: str
    rationale: str
    fail_when: Mapping[str, Any]
    #: what fails, in a sentence or two (`rules show` prints it first); "" when the file has
    #: none (a rule of one's own may leave it out)
    summary: str = ""
    #: when the rule answers UNKNOWN, apart from what fails ("" when the file does not say)
    unknown_when: str = ""
    applies_when: Mapping[str, Any] | None = None
    per_principal: bool = False
    parameters: Mapping[str, ParamSpec] = field(default_factory=dict)
    remediation: Mapping[str, str] = field(default_factory=dict)
    compliance: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    references: tuple[str, ...] = ()
    #: what the rule reads from the snapshot (rule.schema.json ``inputs``): when one of these
    #: could not be read the rule must answer UNKNOWN naming it, never PASS
    inputs: tuple[str, ...] = ()
    path: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Ruleset:
    rules: tuple[Rule, ...]
    #: rules loaded but left out by a scoped scan's --rules / --exclude-rules / --compliance:
    #: a config entry may still name them (it is unused, not unknown)
    left_out: frozenset[str] = frozenset()

    def get(self, rule_id: str) -> Rule | None:
        for r in self.rules:
            if r.id == rule_id:
                return r
        return None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules)


@dataclass(frozen=True, kw_only=True, slots=True)
class CompiledRule:
    rule: Rule
    params: Mapping[str, Any]
    applies: Condition | None
    fail: Condition
    severity: Severity


# --------------------------------------------------------------------------- loading


def builtin_rules_dir() -> Path:
    return Path(str(resources.files("rules")))


def rule_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise InputError("not a directory of rule files", path=str(directory))
    return sorted(p for p in directory.iterdir()
                  if p.suffix in (".yaml", ".yml") and p.is_file())


def load_ruleset(extra_dirs: Sequence[str | Path] = (), *, builtin: bool = True) -> Ruleset:
    """The built-in rules plus every rule file in ``extra_dirs`` (``--rules-dir DIR``)."""
    paths: list[Path] = []
    if builtin:
        paths.extend(rule_files(builtin_rules_dir()))
    seen: set[Path] = set()
    for d in extra_dirs:
        where = Path(d).resolve()
        if where in seen:  # the same folder given twice: its rules once, not "duplicate id"
            continue
        seen.add(where)
        if builtin and where == builtin_rules_dir().resolve():
            # the built-in rules are always loaded: their folder given again is not rules of
            # one's own (bad-input trial round 1: "duplicate rule id (also defined in <the
            # same file>)")
            raise InputError("this is the folder of the built-in rules, which are always "
                             "loaded; --rules-dir names a folder of rules of your own",
                             path=str(d))
        found = rule_files(Path(d))
        if not found:  # a mistyped folder or a failed checkout must not mean "no custom rule"
            raise InputError("no rule files (*.yaml, *.yml) in this directory", path=str(d))
        paths.extend(found)
    return load_rule_paths(paths)


def load_rule_paths(paths: Iterable[Path]) -> Ruleset:
    return unique_rules((p, load_rule_file(p)) for p in paths)


def unique_rules(loaded: Iterable[tuple[Path, Rule]]) -> Ruleset:
    """The rules loaded from these paths as one Ruleset; a rule id defined twice is refused
    naming both files."""
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for p, rule in loaded:
        if rule.id in seen:
            raise InputError(f"duplicate rule id (also defined in {seen[rule.id]})",
                             path=str(p), rule=rule.id, field="id")
        seen[rule.id] = str(p)
        rules.append(rule)
    return Ruleset(rules=tuple(rules))


def load_rule_file(path: str | Path) -> Rule:
    p = Path(path)
    data = read_yaml(p, "rule file")
    return parse_rule(data, path=str(p))


def parse_rule(data: Any, *, path: str) -> Rule:
    rule_id = data.get("id") if isinstance(data, Mapping) else None
    rid = rule_id if isinstance(rule_id, str) else None
    errors = every_error(data, load_schema("rules", "rule.schema.json"))
    if len(errors) == 1:
        [(where, message)] = errors
        raise InputError(message, path=path, rule=rid, field=where)
    if errors:  # every problem of the file at once, each naming its field
        raise InputError(f"{len(errors)} problems: " + "; ".join(
            f"field {where}: {message}" for where, message in errors), path=path, rule=rid)
    assert isinstance(data, Mapping) and rid is not None
    stem = Path(path).stem
    if stem != rid:
        raise InputError(f"rule id {rid!r} differs from the file name {stem!r}", path=path,
                         rule=rid, field="id")
    resources_ = data["resource"]
    params = {
        name: ParamSpec(name=name, type=spec["type"], default=spec["default"],
                        description=spec["description"], minimum=spec.get("minimum"),
                        maximum=spec.get("maximum"), items=spec.get("items"))
        for name, spec in (data.get("parameters") or {}).items()
    }
    rule = Rule(
        id=rid, title=data["title"], severity=Severity(data["severity"]),
        resources=(resources_,) if isinstance(resources_, str) else tuple(resources_),
        description=data["description"].strip(), rationale=data["rationale"].strip(),
        summary=str(data.get("summary") or "").strip(),
        unknown_when=str(data.get("unknown_when") or "").strip(),
        fail_when=data["fail_when"], applies_when=data.get("applies_when"),
        per_principal=bool(data.get("per_principal", False)), parameters=params,
        remediation=dict(data["remediation"]),
        compliance={k: tuple(v) for k, v in data["compliance"].items()},
        references=tuple(data.get("references") or ()), inputs=tuple(data.get("inputs") or ()),
        path=path,
    )
    check_rule(rule)
    return rule


# --------------------------------------------------------------------------- semantic pass


def check_rule(rule: Rule) -> None:
    def fail(message: str, where: str) -> InputError:
        return InputError(message, path=rule.path, rule=rule.id, field=where)

    for i, kind in enumerate(rule.resources):
        if kind not in KIND_ATTRIBUTES:
            raise fail(f"unknown resource kind {kind!r}{suggest(kind, sorted(KIND_ATTRIBUTES))} "
                       f"(known: {', '.join(sorted(KIND_ATTRIBUTES))})",
                       "resource" if len(rule.resources) == 1 else f"resource[{i}]")
    for name, spec in rule.parameters.items():
        if spec.items is not None and spec.type != "list":
            raise fail(f"items is for a list parameter, not {spec.type}",
                       f"parameters.{name}.items")
        found = param_problem(spec, spec.default)
        if found:
            raise fail(f"default {found[1]}", f"parameters.{name}.default{found[0]}")
    rid = str(rule.remediation.get("id"))
    # a built-in rule, or a copy of one (refused as a duplicate id when loaded with them)
    in_builtin_dir = Path(rule.path).resolve().parent == builtin_rules_dir().resolve()
    builtin = in_builtin_dir or rule.id in _builtin_ids()
    if not in_builtin_dir and rule.id in _builtin_ids():
        # a rule file of one's own with a built-in rule's id: say so, not what else in it
        # differs from the built-in rule (bad-input trial round 1: "unknown remediation id
        # 'handfix'" for a copy of secret-rotation-disabled)
        raise fail(f"{rule.id!r} is the id of a built-in rule; a rule of your own needs an "
                   "id of its own (and a file of that name); to change a built-in rule, set "
                   f"rules.{rule.id} in --config", "id")
    if builtin and rid not in known_remediations():
        raise fail(f"unknown remediation id {rid!r}", "remediation.id")
    if not builtin and rid in _runs_on_findings():
        # an automated remediator plans from the finding's resource whatever the rule: on a
        # rule of one's own it would change AWS for findings it was not written for (new-user
        # trial: a "no owner tag" rule naming enable-secret-rotation planned RotateSecret)
        raise fail(f"{rid!r} is an automated remediation of the built-in rules: `remediate "
                   "--apply` would run it on this rule's findings; give this rule a "
                   "remediation id of its own (its description is the manual fix)",
                   "remediation.id")
    if not builtin and rid not in known_remediations():
        near = get_close_matches(rid, sorted(known_remediations()), n=3, cutoff=0.85)
        if near:  # a typo of a known id, not an id of the rule's own
            raise fail(f"unknown remediation id {rid!r}; closest: {', '.join(near)} (an id "
                       "of this rule's own must not look like a built-in one)",
                       "remediation.id")
    if rule.applies_when is not None:
        compile_condition(rule, rule.applies_when, "applies_when", rule.resources,
                          _defaults(rule))
    compile_condition(rule, rule.fail_when, "fail_when", rule.resources, _defaults(rule))


def _defaults(rule: Rule) -> dict[str, Any]:
    return {name: spec.default for name, spec in rule.parameters.items()}


# --------------------------------------------------------------------------- compiling


def _resolve(value: Any, params: Mapping[str, Any], rule: Rule, where: str) -> Any:
    """Replace ``{param: name}`` anywhere in a value by the parameter's value."""
    if isinstance(value, Mapping):
        if set(value) == {"param"}:
            name = value["param"]
            if name not in params:
                raise InputError(f"unknown parameter {name!r} (declare it under parameters)",
                                 path=rule.path, rule=rule.id, field=where)
            return params[name]
        return {k: _resolve(v, params, rule, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, params, rule, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def _no_placeholder(value: Any, rule: Rule, where: str) -> None:
    """A compare's value naming one of the rule's parameters as a message does (``value:
    "{pattern}"``) is refused: a value is compared as written -- ``{name}`` is replaced in a
    message only -- so the rule compared every name with the text '{pattern}' and failed every
    secret (new-user trial round 33). ``param: NAME`` compares with the parameter."""
    texts = [value] if isinstance(value, str) else (
        [v for v in value if isinstance(v, str)] if isinstance(value, list) else [])
    for text in texts:
        for name in rule.parameters:
            if "{" + name + "}" in text:
                raise InputError(
                    f"value {text!r} is compared as written: {{{name}}} is replaced in a "
                    f"message only; to compare with the rule's parameter, write param: {name} "
                    "instead of value", path=rule.path, rule=rule.id, field=where)


def _check_operator_value(op_name: str, value: Any, rule: Rule, where: str) -> Any:
    op = OPERATORS[op_name]
    bad = InputError
    if op.value == "none":
        if value is not None:
            raise bad(f"operator {op_name} takes no value", path=rule.path, rule=rule.id,
                      field=where)
        return None
    if value is None and op.value != "any":
        raise bad(f"operator {op_name} needs a value ({op.value})", path=rule.path,
                  rule=rule.id, field=where)
    if op.value == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise bad(f"operator {op_name} needs a number, got {value!r}", path=rule.path,
                  rule=rule.id, field=where)
    if op.value == "list":
        if not isinstance(value, (list, tuple)):
            raise bad(f"operator {op_name} needs a list, got {value!r}", path=rule.path,
                      rule=rule.id, field=where)
        return tuple(value)
    if op.value == "regex":
        try:
            compiled = re.compile(str(value))
        except re.error as exc:
            raise bad(f"invalid regular expression {value!r}: {exc}", path=rule.path,
                      rule=rule.id, field=where) from None
        # Python's re has no timeout: a pattern that can backtrack catastrophically would hang
        # the scan on one long name (bad-input trial round 1: ``^(.+)+!$``)
        danger = catastrophic(str(value))
        if danger:
            raise bad(f"regular expression {value!r}: {danger}", path=rule.path, rule=rule.id,
                      field=where)
        return compiled
    if op.value == "mapping":
        if not isinstance(value, Mapping) or set(value) != {"ratio", "limit"} or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()):
            raise bad(f"operator {op_name} needs {{ratio: number, limit: number}}, got {value!r}",
                      path=rule.path, rule=rule.id, field=where)
    return value


def compile_condition(rule: Rule, node: Mapping[str, Any], where: str, kinds: Sequence[str],
                      params: Mapping[str, Any]) -> Condition:
    """Compile (and check) a condition tree against the resource kinds it is evaluated on."""
    condition = _compile_bare(rule, node, where, kinds, params)
    if "fix" in node:
        fix = str(node["fix"])
        _check_message(rule, fix, f"{where}.fix", kinds)
        condition = Fixed(condition, fix, params)
    if "message" in node:
        template = str(node["message"])
        _check_message(rule, template, f"{where}.message", kinds)
        return Described(condition, template, params)
    return condition


def _check_message(rule: Rule, template: str, where: str, kinds: Sequence[str]) -> None:
    """A message's ``{placeholders}`` must name an attribute of every kind it is read on, or
    a parameter of the rule; no format specs (the values are rendered as plain text)."""
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in Formatter().parse(template)
                  if name is not None]
    except ValueError as exc:
        raise InputError(f"malformed message template: {exc}", path=rule.path, rule=rule.id,
                         field=where) from None
    for name, spec, conv in fields:
        if spec or conv or not name:
            raise InputError(f"message placeholder {{{name}}} takes no format spec, conversion "
                             "or position", path=rule.path, rule=rule.id, field=where)
        if name in rule.parameters:
            continue
        for kind in kinds:
            if name not in attributes_of(kind):
                near = suggest(name, sorted(set(rule.parameters) | attributes_of(kind)))
                raise InputError(f"message placeholder {{{name}}} is neither a parameter nor an "
                                 f"attribute of {kind}{near}", path=rule.path, rule=rule.id,
                                 field=where)


def _compile_bare(rule: Rule, node: Mapping[str, Any], where: str, kinds: Sequence[str],
                  params: Mapping[str, Any]) -> Condition:
    if "all" in node:
        return AllOf([compile_condition(rule, c, f"{where}.all[{i}]", kinds, params)
                      for i, c in enumerate(node["all"])])
    if "any" in node:
        return AnyOf([compile_condition(rule, c, f"{where}.any[{i}]", kinds, params)
                      for i, c in enumerate(node["any"])])
    if "not" in node:
        return Not(compile_condition(rule, node["not"], f"{where}.not", kinds, params))
    if "attribute" in node:
        return _compile_compare(rule, node, where, kinds, params)
    if "edge" in node:
        return _compile_edge(rule, node, where, params)
    return _compile_predicate(rule, node, where, kinds, params)


def _compile_compare(rule: Rule, node: Mapping[str, Any], where: str, kinds: Sequence[str],
                     params: Mapping[str, Any]) -> Condition:
    path = str(node["attribute"])
    top = path.split(".")[0]
    for kind in kinds:
        known = sorted(attributes_of(kind))
        if top not in known:  # the closest and the whole list (new-user trial round 6: tagz)
            raise InputError(f"unknown attribute {top!r} for resource kind {kind}"
                             f"{suggest(top, known)} (attributes of {kind}: {', '.join(known)})",
                             path=rule.path, rule=rule.id, field=f"{where}.attribute")
    op_name = str(node["op"])
    if op_name not in OPERATORS:
        raise InputError(f"unknown operator {op_name!r}{suggest(op_name, sorted(OPERATORS))} "
                         f"(known: {', '.join(sorted(OPERATORS))})",
                         path=rule.path, rule=rule.id, field=f"{where}.op")
    if "param" in node and "value" in node:
        raise InputError("give either value or param, not both", path=rule.path, rule=rule.id,
                         field=where)
    if "param" in node:
        raw = _resolve({"param": node["param"]}, params, rule, f"{where}.param")
    else:
        if node.get("value") is None and OPERATORS[op_name].value == "any":
            # `op: equals` with no value line (or `value:` left empty) compared with null and
            # was valid: the rule silently tested "is null" (new-user trial round 36)
            raise InputError(
                f"operator {op_name} needs a value (no value line, or an empty one, is null in "
                "YAML; to test for a missing attribute write op: is_null, for a present one "
                "op: exists)", path=rule.path, rule=rule.id, field=f"{where}.value")
        _no_placeholder(node.get("value"), rule, f"{where}.value")
        raw = _resolve(node.get("value"), params, rule, f"{where}.value")
    expected = _check_operator_value(op_name, raw, rule, f"{where}.value")
    if_null = node.get("if_null")
    return Compare(path, OPERATORS[op_name], expected, optional_keys=top in FREEFORM_MAPS,
                   if_null=IF_NONE[if_null] if if_null else None, derived_from=DERIVED_FROM.get(top))


def _compile_edge(rule: Rule, node: Mapping[str, Any], where: str,
                  params: Mapping[str, Any]) -> Condition:
    edge = str(node["edge"])
    if edge not in {e.value for e in EdgeKind}:
        raise InputError(f"unknown edge kind {edge!r}", path=rule.path, rule=rule.id,
                         field=f"{where}.edge")
    target_kind = node.get("target_kind")
    if target_kind is not None and target_kind not in KIND_ATTRIBUTES:
        raise InputError(f"unknown node kind {target_kind!r}", path=rule.path, rule=rule.id,
                         field=f"{where}.target_kind")
    inner = None
    if "where" in node:
        if target_kind is None:
            raise InputError("an edge with a where condition needs target_kind (the kind its "
                             "attributes belong to)", path=rule.path, rule=rule.id,
                             field=f"{where}.target_kind")
        inner = compile_condition(rule, node["where"], f"{where}.where", [target_kind], params)
    quantifier = str(node.get("quantifier", "any"))
    default_none = {"any": "false", "all": "true", "none": "true"}[quantifier]
    return EdgeCondition(edge, str(node.get("direction", "out")), quantifier, target_kind, inner,
                         IF_NONE[str(node.get("if_none", default_none))])


def _compile_predicate(rule: Rule, node: Mapping[str, Any], where: str, kinds: Sequence[str],
                       params: Mapping[str, Any]) -> Condition:
    name = str(node["predicate"])
    spec = PREDICATES.get(name)
    if spec is None:
        # the closest first, as for an attribute or an operator (new-user trial round 21:
        # rotation_schedule_too_lng listed all 19 predicates and no closest)
        raise InputError(f"unknown predicate {name!r}{suggest(name, sorted(PREDICATES))} "
                         f"(known: {', '.join(sorted(PREDICATES))})",
                         path=rule.path, rule=rule.id, field=f"{where}.predicate")
    for kind in kinds:
        if kind not in spec.kinds:
            raise InputError(f"predicate {name} cannot judge {kind} (only "
                             f"{', '.join(spec.kinds)})", path=rule.path, rule=rule.id,
                             field=f"{where}.predicate")
    args = _resolve(dict(node.get("args") or {}), params, rule, f"{where}.args")
    missing = [arg for arg in spec.required if arg not in args]
    if missing:
        # it raised KeyError at evaluation: every resource UNKNOWN, 'a rule could not be
        # evaluated', exit 1 -- and rules validate had said the file was valid
        # (fault-injection trial round 22)
        arg = missing[0]
        raise InputError(f"predicate {name} needs the argument {arg} ({spec.args[arg]}): give "
                         f"it under args, as a value or a parameter of the rule "
                         f"(args: {{{arg}: {{param: {arg}}}}})", path=rule.path, rule=rule.id,
                         field=f"{where}.args")
    for arg, value in args.items():
        if arg not in spec.args:
            raise InputError(f"predicate {name} takes no argument {arg!r} (takes: "
                             f"{', '.join(spec.args) or 'none'})", path=rule.path, rule=rule.id,
                             field=f"{where}.args.{arg}")
        type_, _, items = spec.args[arg].partition(" of ")
        pspec = ParamSpec(name=arg, type=type_, default=None, description="", items=items or None)
        found = param_problem(pspec, value)
        if found:
            raise InputError(f"argument {arg} {found[1]}", path=rule.path, rule=rule.id,
                             field=f"{where}.args.{arg}{found[0]}")
    return PredicateCondition(name, spec.fn, args)


def effective_params(rule: Rule, overrides: Mapping[str, Any], global_params: Mapping[str, Any],
                     *, source: str | None = None) -> dict[str, Any]:
    """Defaults < config-wide values of the same name < per-rule config parameters."""
    params = _defaults(rule)
    for name, value in global_params.items():
        if name in params:
            params[name] = value
    for name, value in overrides.items():
        spec = rule.parameters.get(name)
        where = f"rules.{rule.id}.parameters.{name}"
        if spec is None:
            raise InputError(f"rule {rule.id} has no parameter {name!r} (has: "
                             f"{', '.join(rule.parameters) or 'none'})", path=source,
                             rule=rule.id, field=where)
        found = param_problem(spec, value)
        if found:
            raise InputError(f"parameter {name} {found[1]}", path=source, rule=rule.id,
                             field=where + found[0])
        params[name] = value
    return params


def compile_rule(rule: Rule, params: Mapping[str, Any], severity: Severity | None = None
                 ) -> CompiledRule:
    applies = (compile_condition(rule, rule.applies_when, "applies_when", rule.resources, params)
               if rule.applies_when is not None else None)
    fail = compile_condition(rule, rule.fail_when, "fail_when", rule.resources, params)
    return CompiledRule(rule=rule, params=dict(params), applies=applies, fail=fail,
                        severity=severity or rule.severity)


# --------------------------------------------------------------------------- scoping


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleScope:
    """Which rules a scan evaluates and which results it reports (``scan --rules``,
    ``--exclude-rules``, ``--severity``, ``--compliance``; empty means no restriction)."""

    include: tuple[str, ...] = ()  # rule ids or globs
    exclude: tuple[str, ...] = ()  # rule ids or globs
    severities: tuple[Severity, ...] = ()  # only results of these severities are reported
    compliance: tuple[str, ...] = ()  # framework keys (resolved by resolve_framework)

    @property
    def empty(self) -> bool:
        return not (self.include or self.exclude or self.severities or self.compliance)

    def to_json(self) -> dict[str, list[str]]:
        """The non-empty parts, for findings.json ``scan.scope``."""
        out = {"include": list(self.include), "exclude": list(self.exclude),
               "severities": [s.value for s in self.severities],
               "compliance": list(self.compliance)}
        return {k: v for k, v in out.items() if v}


def frameworks(ruleset: Ruleset) -> tuple[str, ...]:
    """Every compliance framework key some rule maps to (aws-fsbp, nist-800-53-r5, ...)."""
    return tuple(sorted({k for r in ruleset.rules for k in r.compliance}))


def resolve_framework(name: str, ruleset: Ruleset, flag: str = "--compliance") -> str:
    """A framework key from what a user typed: the exact key (any case), or a unique key that
    starts with it or whose first word it is (``fsbp`` -> ``aws-fsbp``, ``pci`` ->
    ``pci-dss-4.0``). Anything else is a UsageError naming it with the closest keys."""
    known = frameworks(ruleset)
    low = name.strip().lower()
    if low in known:
        return low
    hits = [k for k in known if k.startswith(low) or low in k.split("-")
            or k.replace("aws-", "", 1).startswith(low)]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise UsageError(f"{flag}: {name!r} is ambiguous: {', '.join(hits)}")
    raise UsageError(f"{flag}: unknown compliance framework {name!r} (known: "
                     f"{', '.join(known)}){suggest(low, known)}")


def not_loaded_hint(ruleset: Ruleset) -> str:
    """Why a rule id close to none of ``ruleset``'s names no loaded rule: a rule of one's own
    whose folder was not given, or one in none of the folders given. One wording for
    ``--config`` (bad-input trial round 1), ``--rules``, ``--exclude-rules`` and ``rules show``
    (new-user trial round 33: a first rule of one's own run without its folder was answered
    "closest: secret-policy-size-near-limit")."""
    builtin = builtin_rules_dir().resolve()
    if all(not rule.path or Path(rule.path).resolve().parent == builtin
           for rule in ruleset.rules):
        return "not a built-in rule: give --rules-dir DIR, the folder of its rule file"
    return ("neither a built-in rule nor one of the --rules-dir folders (`secretgraph rules "
            "list --rules-dir DIR` names them)")


def unknown_rule_words(rule_id: str, ruleset: Ruleset, extra: Sequence[str] = ()) -> str:
    """What follows "unknown rule id 'X'": the closest ids of a typo, else not_loaded_hint."""
    ids = [*ruleset.ids, *extra]
    if get_close_matches(rule_id, ids, n=1, cutoff=0.7):
        return suggest(rule_id, ids)
    return ": " + not_loaded_hint(ruleset)


def _matching(patterns: Sequence[str], ruleset: Ruleset, flag: str) -> set[str]:
    """Rule ids matched by ids or globs; a pattern that matches nothing is a UsageError."""
    ids = ruleset.ids
    out: set[str] = set()
    for pattern in patterns:
        hits = {i for i in ids if fnmatchcase(i, pattern)}
        engine = produced_by_the_scan(pattern, "--rules and --exclude-rules choose among the "
                                      "rule files' rules")
        if not hits and engine:
            raise UsageError(f"{flag}: {engine}")
        if not hits:
            if any(c in pattern for c in "*?["):
                raise UsageError(f"{flag}: unknown pattern {pattern!r}{suggest(pattern, ids)} "
                                 "(see `secretgraph rules list`)")
            raise UsageError(f"{flag}: unknown rule id {pattern!r}"
                             f"{unknown_rule_words(pattern, ruleset)} "
                             "(see `secretgraph rules list`)")
        out |= hits
    return out


def resolve_scope(ruleset: Ruleset, scope: RuleScope) -> RuleScope:
    """The same scope with each compliance name resolved to its framework key."""
    if not scope.compliance:
        return scope
    keys = tuple(dict.fromkeys(resolve_framework(c, ruleset) for c in scope.compliance))
    return RuleScope(include=scope.include, exclude=scope.exclude, severities=scope.severities,
                     compliance=keys)


def select_rules(ruleset: Ruleset, scope: RuleScope) -> Ruleset:
    """The rules a scoped scan evaluates: ``include`` (all when empty) minus ``exclude``,
    restricted to rules mapped to one of the ``compliance`` frameworks. Unknown ids, patterns
    or frameworks are UsageErrors (exit 2) naming them with the closest matches."""
    ids = ruleset.ids
    chosen = _matching(scope.include, ruleset, "--rules") if scope.include else set(ids)
    chosen -= _matching(scope.exclude, ruleset, "--exclude-rules")
    if scope.compliance:
        keys = {resolve_framework(c, ruleset) for c in scope.compliance}
        chosen = {r.id for r in ruleset.rules if r.id in chosen and keys & set(r.compliance)}
    if not chosen:
        raise UsageError("the rule selection is empty (check --rules, --exclude-rules and "
                         "--compliance)")
    return Ruleset(rules=tuple(r for r in ruleset.rules if r.id in chosen),
                   left_out=ruleset.left_out | (set(ids) - chosen))


__all__ = ["CompiledRule", "ParamSpec", "Rule", "Ruleset", "compile_rule", "effective_params",
           "field_path", "frameworks", "known_remediations", "load_rule_file", "load_ruleset",
           "parse_rule", "resolve_framework", "resolve_scope", "RuleScope", "select_rules"]
