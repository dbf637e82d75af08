"""The secret names a rotation Lambda that is not in the graph. UNKNOWN when the Lambda listing
of that function's account-region was not read (or that account/region was not scanned), and
when the ARN names an alias or version of a listed function whose existence was not read."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, Result, unknown
from scanner.engine.context import RuleContext
from scanner.graph.schema import EdgeKind
from scanner.policy.arn import parse_arn, unqualified_function


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
    unqualified, qualifier = unqualified_function(str(arn))
    fn_node = ctx.index.lambdas.get(unqualified) if qualifier is not None else None
    if fn_node is not None and qualifier is not None:
        # The function is listed but the graph has no ROTATED_BY edge: the qualifier was not
        # shown to exist. GetFunctionConfiguration, Qualifier: "Specify a version or alias to
        # get details about a published version of the function."; its errors:
        # "ResourceNotFoundException: The resource specified in the request does not exist."
        fn = ctx.index.attrs(fn_node) or {}
        if qualifier in (fn.get("missing_qualifiers") or ()):
            return Result(outcome=TRUE, facts=(("text", (
                f"rotation function {unqualified} exists but has no alias or version "
                f"{qualifier!r}: Lambda answered ResourceNotFound for {arn}")),),
                evidence={"rotation_lambda_arn": arn, "function": unqualified,
                          "qualifier": qualifier})
        why = ("its read failed: see coverage" if qualifier in
               (fn.get("unread_qualifiers") or ()) else
               "not read: GetFunctionConfiguration is called only for the qualifiers "
               "that secrets of the function's own account-Region name")
        return unknown(f"the alias/version qualifier {qualifier!r} of {unqualified} is not "
                       f"collected ({why})",
                       f"cannot tell whether {arn} exists: function {unqualified} exists, "
                       f"its alias/version {qualifier!r} was not read")
    region, account = parsed.region, parsed.account
    missing = ctx.index.service_readable(account, region, "lambda")
    if missing:
        return unknown(missing, f"cannot tell whether {arn} exists: {missing}")
    return Result(outcome=TRUE, facts=(("text", f"rotation function {arn} does not exist"),),
                  evidence={"rotation_lambda_arn": arn})
