"""secret-rotation-no-network-path follows the VPC of the function version the secret's
RotationLambdaARN names: a version keeps the VPC configuration it was published with
(Lambda API Reference, GetFunctionConfiguration: "Returns the version-specific settings of a
Lambda function or version"), so ``rotate:blue`` may run in another VPC than ``rotate``
($LATEST). It was judged with $LATEST's VPC (graph.schema.rotation_function)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from helpers.rule_fixture import load_fixture
from helpers.rule_results import rule_statuses

from scanner.model import FunctionVersion, LambdaFunction, Snapshot

RULE = "secret-rotation-no-network-path"
FX = load_fixture(RULE)
A = "111111111111"


def fn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:{A}:function:{name}"


def secret(name: str) -> str:
    return f"arn:aws:secretsmanager:us-east-1:{A}:secret:{name}-AbCdEf"


def function(name: str) -> LambdaFunction:
    return next(f for a in FX.snapshot.accounts for r in a.regions
                for f in r.lambda_functions if f.arn == fn(name))


def as_version(name: str) -> FunctionVersion:
    """The settings of function ``name``, as a version of another function would carry them."""
    f = function(name)
    return FunctionVersion(role_arn=f.role_arn, subnet_ids=f.subnet_ids,
                           security_group_ids=f.security_group_ids, vpc_id=f.vpc_id)


def estate(rotation: Mapping[str, str], versions: Mapping[str, Mapping[str, Any]]) -> Snapshot:
    accounts = list(FX.snapshot.accounts)
    region = accounts[0].regions[0]
    region = replace(
        region,
        secrets=tuple(replace(s, rotation_lambda_arn=rotation[s.name]) if s.name in rotation
                      else s for s in region.secrets),
        lambda_functions=tuple(
            replace(f, qualifiers=tuple(versions[f.arn]), qualifier_settings=versions[f.arn])
            if f.arn in versions else f for f in region.lambda_functions))
    accounts[0] = replace(accounts[0], regions=(region,) + accounts[0].regions[1:])
    return replace(FX.snapshot, accounts=tuple(accounts))


def test_a_version_in_a_vpc_with_a_way_out_passes_though_latests_has_none() -> None:
    """rotate-nat-narrow-route ($LATEST) reaches the internet through a NAT route that covers
    only 52.94.0.0/16 (FAIL); its version blue still runs in the default-route VPC."""
    assert rule_statuses(FX.snapshot, RULE)[secret("nat-narrow-route")] == "FAIL"
    snapshot = estate({"nat-narrow-route-AbCdEf": fn("rotate-nat-narrow-route") + ":blue"},
                      {fn("rotate-nat-narrow-route"): {"blue": as_version("rotate-nat-default-route")}})
    assert rule_statuses(snapshot, RULE)[secret("nat-narrow-route")] == "PASS"


def test_a_version_in_a_vpc_without_a_way_out_fails_though_latest_passes() -> None:
    snapshot = estate({"nat-default-route-AbCdEf": fn("rotate-nat-default-route") + ":7"},
                      {fn("rotate-nat-default-route"): {"7": as_version("rotate-nat-private")}})
    statuses = rule_statuses(snapshot, RULE)
    assert statuses[secret("nat-default-route")] == "FAIL"
    # the other secrets of the function ($LATEST) keep their verdicts
    assert statuses[secret("nat-split-default-route")] == "PASS"


def test_a_version_read_without_its_settings_is_unknown() -> None:
    """A snapshot written before a version's settings were kept: which VPC it runs in is not
    known (it was $LATEST's)."""
    snapshot = estate({"nat-default-route-AbCdEf": fn("rotate-nat-default-route") + ":7"}, {})
    accounts = list(snapshot.accounts)
    region = accounts[0].regions[0]
    region = replace(region, lambda_functions=tuple(
        replace(f, qualifiers=("7",)) if f.arn == fn("rotate-nat-default-route") else f
        for f in region.lambda_functions))
    accounts[0] = replace(accounts[0], regions=(region,))
    assert rule_statuses(replace(snapshot, accounts=tuple(accounts)),
                         RULE)[secret("nat-default-route")] == "UNKNOWN"
