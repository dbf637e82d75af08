"""The secret names a rotation Lambda that is not in the graph. UNKNOWN when the Lambda listing
of that function's account-region was not read (or that account/region was not scanned)."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, Result, unknown
from scanner.engine.context import RuleContext
from scanner.graph.schema import EdgeKind
from scanner.policy.arn import parse_arn


def rotation_function_missing(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                              args: Mapping[str, Any]) -> Result:
    arn = attrs.get("rotation_lambda_arn")
    if not arn:
        return Result(outcome=FALSE, facts=(("text", "no rotation function configured"),))
    if ctx.index.neighbours(node_id, EdgeKind.ROTATED_BY.value):
        return Result(outcome=FALSE, facts=(("text", f"rotation function {arn} exists"),))
    parsed = parse_arn(str(arn))
    if parsed is None or parsed.service != "lambda" or not parsed.resource.startswith("function:"):
        return Result(outcome=TRUE, facts=(("text", f"rotation_lambda_arn {arn!r} is not a "
                                                    "Lambda function ARN"),))
    region, account = parsed.region, parsed.account
    missing = ctx.index.service_readable(account, region, "lambda")
    if missing:
        return unknown(missing, f"cannot tell whether {arn} exists: {missing}")
    return Result(outcome=TRUE, facts=(("text", f"rotation function {arn} does not exist"),),
                  evidence={"rotation_lambda_arn": arn})
