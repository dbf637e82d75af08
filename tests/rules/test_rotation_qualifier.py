"""secret-rotation-function-missing and a RotationLambdaARN qualified with an alias or version
(ground-truth trial round 5: ``...:function:rotate:blue`` after ``delete_alias("blue")``
PASSED, because the qualifier was stripped and the unqualified function was found; every
scheduled rotation then fails while RotationEnabled stays true).

A qualifier is judged only from what the scan read for it (GetFunctionConfiguration with
Qualifier, for the qualifiers a secret's rotation ARN names): exists -> PASS, Lambda answered
not found -> FAIL, not read -> UNKNOWN. ``$LATEST`` is the unqualified function."""

from __future__ import annotations

from dataclasses import replace

from helpers.engine_helpers import A, NOW, R, make_secret, make_snapshot, secret_arn

from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.findings import Status
from scanner.graph.builder import build_graph
from scanner.model import LambdaFunction, Snapshot

FN = f"arn:aws:lambda:{R}:{A}:function:rotate"
RULE = "secret-rotation-function-missing"


def _status(rotation_arn: str, **function: object) -> tuple[Status, str]:
    fn = LambdaFunction(arn=FN, name="rotate", account_id=A, region=R, **function)  # type: ignore[arg-type]
    snap: Snapshot = make_snapshot(make_secret("db", rotation_lambda_arn=rotation_arn))
    snap = replace(snap, accounts=tuple(replace(a, regions=tuple(
        replace(r, lambda_functions=(fn,)) for r in a.regions)) for a in snap.accounts))
    found = evaluate(build_graph(snap), snap, None, load_ruleset(),
                     parse_config({"emit_pass": True}, path="-"), NOW)
    (f,) = [f for f in found if f.rule_id == RULE and f.resource.arn == secret_arn("db")]
    return f.status, f.message + " " + " ".join(f.missing)


def test_an_alias_whose_existence_was_not_read_is_unknown_not_pass() -> None:
    status, text = _status(FN + ":blue")
    assert status is Status.UNKNOWN
    assert "alias/version qualifier" in text and "blue" in text


def test_an_alias_lambda_says_does_not_exist_fails() -> None:
    status, text = _status(FN + ":blue", missing_qualifiers=("blue",))
    assert status is Status.FAIL
    assert "blue" in text


def test_an_alias_or_version_read_and_found_passes() -> None:
    assert _status(FN + ":green", qualifiers=("green",))[0] is Status.PASS
    assert _status(FN + ":3", qualifiers=("3",))[0] is Status.PASS


def test_a_qualifier_whose_read_failed_is_unknown() -> None:
    assert _status(FN + ":blue", unread_qualifiers=("blue",))[0] is Status.UNKNOWN


def test_latest_is_the_unqualified_function() -> None:
    assert _status(FN + ":$LATEST")[0] is Status.PASS
    assert _status(FN)[0] is Status.PASS
