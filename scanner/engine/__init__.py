"""The rule engine: load rules, evaluate them over the graph, suppress, and produce findings.json
and the exit code. Public interface (docs/contracts.md):

    load_ruleset(dirs) -> Ruleset            load_config(path | None) -> EngineConfig
    load_suppressions(path) -> Suppressions  evaluate(graph, snapshot, access, ruleset, config, now)
    suppress(findings, suppressions, now, meta=snapshot.meta)
    findings_document(snapshot, findings) -> dict
    exit_code(document, fail_on) -> int
"""

from scanner.engine.config import EngineConfig, load_config, parse_config
from scanner.engine.exit_codes import exit_code
from scanner.engine.loader import Rule, Ruleset, load_rule_file, load_ruleset
from scanner.engine.output import findings_document
from scanner.engine.runner import evaluate
from scanner.engine.suppressions import (Suppressions, check_suppressions, load_suppressions,
                                         suppress)

#: Names the pipeline uses.
Config = EngineConfig
RuleSet = Ruleset

__all__ = [
    "Config", "EngineConfig", "Rule", "RuleSet", "Ruleset", "Suppressions", "evaluate",
    "exit_code", "findings_document", "load_config", "load_rule_file", "load_ruleset",
    "check_suppressions", "load_suppressions", "parse_config", "suppress",
]
