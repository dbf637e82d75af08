"""A secret rotated by a version or alias of its function is read by the role that version
runs as, not by $LATEST's (Lambda API Reference, GetFunctionConfiguration: "Returns the
version-specific settings of a Lambda function or version"; a published version keeps the
role it was published with). Until now secret-rotation-role-cannot-read and
secret-policy-overbroad-actions judged ``...:function:rotate:blue`` with the role
ListFunctions gives for ``rotate`` ($LATEST): a blue version whose old role cannot read the
secret PASSed, and a $LATEST role that cannot read failed a secret blue rotates fine."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from helpers.rule_fixture import load_fixture

from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph
from scanner.model import FunctionVersion, Snapshot

RULE = "secret-rotation-role-cannot-read"
FX = load_fixture(RULE)
A = "111111111111"
FN = f"arn:aws:lambda:us-east-1:{A}:function:rotate"
FN_DENIED = f"arn:aws:lambda:us-east-1:{A}:function:rotate-denied"
ROTATOR = f"arn:aws:iam::{A}:role/rotator"
ROTATOR_DENIED = f"arn:aws:iam::{A}:role/rotator-denied"


def secret(name: str) -> str:
    return f"arn:aws:secretsmanager:us-east-1:{A}:secret:{name}-AbCdEf"


def estate(rotation: Mapping[str, str], functions: Mapping[str, Mapping[str, Any]]) -> Snapshot:
    """The rule's fixture with secrets rotated by other ARNs (name -> RotationLambdaARN) and
    functions' qualifier fields replaced (function ARN -> fields)."""
    accounts = list(FX.snapshot.accounts)
    region = accounts[0].regions[0]
    region = replace(
        region,
        secrets=tuple(replace(s, rotation_lambda_arn=rotation[s.name]) if s.name in rotation
                      else s for s in region.secrets),
        lambda_functions=tuple(replace(f, **functions[f.arn]) if f.arn in functions else f
                               for f in region.lambda_functions))
    accounts[0] = replace(accounts[0], regions=(region,) + accounts[0].regions[1:])
    return replace(FX.snapshot, accounts=tuple(accounts))


def judged(snapshot: Snapshot) -> tuple[Any, dict[str, Any]]:
    graph = build_graph(snapshot)
    report = analyze_access(graph, snapshot, AccessSettings.from_snapshot(snapshot))
    findings = evaluate(graph, snapshot, report, Ruleset(rules=(load_ruleset().get(RULE),)),
                        parse_config({"emit_pass": True}, path="test"), FX.now)
    return report, {f.resource.arn: f for f in findings}


def test_a_version_published_with_a_role_that_cannot_read_fails_though_latest_reads() -> None:
    """rotate ($LATEST) runs as rotator, which may read denied-by-role; its version blue
    still runs as rotator-denied, whose own policy denies that read."""
    snapshot = estate({"denied-by-role": FN + ":blue"},
                      {FN: {"qualifiers": ("blue",), "qualifier_settings": {"blue": FunctionVersion(role_arn=ROTATOR_DENIED)}}})
    report, findings = judged(snapshot)
    read = report.rotation[secret("denied-by-role")]
    assert (read.function_arn, read.role_arn, read.decision) == (
        FN + ":blue", ROTATOR_DENIED, "DENIED")
    assert "identity_policy" in read.blocking
    found = findings[secret("denied-by-role")]
    assert found.status.value == "FAIL"
    # the message names the version the secret runs, and the role it runs as
    assert "rotate:blue" in found.message and "rotator-denied" in found.message


def test_an_alias_whose_role_reads_passes_though_latest_cannot() -> None:
    snapshot = estate({"denied-by-role": FN_DENIED + ":live"},
                      {FN_DENIED: {"qualifiers": ("live",), "qualifier_settings": {"live": FunctionVersion(role_arn=ROTATOR)}}})
    report, findings = judged(snapshot)
    read = report.rotation[secret("denied-by-role")]
    assert (read.role_arn, read.decision) == (ROTATOR, "ALLOWED")
    assert findings[secret("denied-by-role")].status.value == "PASS"


def test_latest_and_the_unqualified_arn_run_as_the_functions_role() -> None:
    snapshot = estate({"reads": FN + ":$LATEST"},
                      {FN: {"qualifiers": ("blue",), "qualifier_settings": {"blue": FunctionVersion(role_arn=ROTATOR_DENIED)}}})
    report, findings = judged(snapshot)
    assert report.rotation[secret("reads")].role_arn == ROTATOR
    assert report.rotation[secret("key-closed")].role_arn == ROTATOR  # FN, unqualified
    assert findings[secret("reads")].status.value == "PASS"


def test_a_version_read_without_its_role_is_unknown_not_judged_with_latests() -> None:
    """A snapshot written before the qualifier's role was kept: which role the version runs
    as is not known (it was $LATEST's, and PASSed)."""
    snapshot = estate({"reads": FN + ":blue"}, {FN: {"qualifiers": ("blue",)}})
    report, findings = judged(snapshot)
    read = report.rotation[secret("reads")]
    assert read.role_arn is None and read.path is None
    found = findings[secret("reads")]
    assert found.status.value == "UNKNOWN"
    assert any("version or alias blue was read without its settings" in m for m in found.missing)
