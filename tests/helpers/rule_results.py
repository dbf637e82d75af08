"""One rule's results on a hand-built snapshot, with the access report built as a scan builds
it: what the exposure and key-policy rule tests ask (each module had its own copy)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph
from scanner.model import Snapshot

NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)


def access_report(snap: Snapshot, *, record_denied: bool = True) -> Any:
    """The access report of ``snap`` (``record_denied``: every pair evaluated is recorded)."""
    settings = AccessSettings.from_snapshot(snap)
    if record_denied:
        settings = replace(settings, record_denied=True)
    return analyze_access(build_graph(snap), snap, settings)


def rule_statuses(snap: Snapshot, rule_id: str, *, prove: bool = False,
                  record_denied: bool = True, prove_timeout: int = 120,
                  now: datetime = NOW) -> dict[str, str]:
    """{resource ARN: status} of ``rule_id``, PASS results itemised."""
    rule = load_ruleset().get(rule_id)
    assert rule is not None, rule_id
    config = parse_config({"prove": prove, "emit_pass": True, "prove_timeout": prove_timeout},
                          path="(test)")
    out = evaluate(build_graph(snap), snap, access_report(snap, record_denied=record_denied),
                   Ruleset(rules=(rule,)), config, now)
    return {f.resource.arn: f.status.value for f in out}
