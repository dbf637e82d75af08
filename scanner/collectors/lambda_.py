"""Lambda: ListFunctions (paginated, 50 per page), with each function's VpcConfig. The VPC of a
function is derived from its subnets (as collected by the EC2 collector), never from
VpcConfig.VpcId (moto hard-codes it).

A secret's RotationLambdaARN may name an alias or version (``...:function:rotate:blue``), which
ListFunctions does not list: ``fetch_qualifiers`` reads each such qualifier once with
GetFunctionConfiguration(Qualifier), only for the qualifiers that a secret of the same
account-Region names on a listed function (``rotation_qualifiers``).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from botocore.exceptions import ClientError

from scanner.collectors.base import Mapper, Recorder, paginate
from scanner.model import FunctionVersion, LambdaFunction, Subnet
from scanner.policy.arn import LATEST_QUALIFIER, unqualified_function

SERVICE = "lambda"

OPERATIONS: dict[str, str] = {"ListFunctions": "lambda:ListFunctions",
                              "GetFunctionConfiguration": "lambda:GetFunctionConfiguration"}

_NOT_FOUND = "ResourceNotFoundException"


def fetch_functions(client: Any, rec: Recorder) -> dict[str, Any]:
    functions, _ = rec.attempt(
        "ListFunctions", lambda: paginate(client, "list_functions", "Functions",
                                          identity="FunctionArn",
                                          PaginationConfig={"PageSize": 50})
    )
    return {"functions": functions}


def rotation_qualifiers(raw_functions: Mapping[str, Any] | None,
                        rotation_arns: Iterable[str]) -> list[tuple[str, str]]:
    """(function ARN, qualifier) for each distinct alias/version qualifier the rotation ARNs
    name on a function ListFunctions listed (sorted). ``$LATEST`` is the unqualified function
    (see scanner.policy.arn.LATEST_QUALIFIER), and an unlisted function does not exist or is
    judged from its own listing: neither is read."""
    listed = {item["FunctionArn"] for item in (raw_functions or {}).get("functions") or ()}
    wanted = set()
    for arn in rotation_arns:
        function, qualifier = unqualified_function(arn)
        if qualifier is not None and qualifier != LATEST_QUALIFIER and function in listed:
            wanted.add((function, qualifier))
    return sorted(wanted)


def fetch_qualifiers(client: Any, rec: Recorder, targets: Iterable[tuple[str, str]], *,
                     mapper: Mapper = map) -> dict[str, list[list[str]]]:
    """GetFunctionConfiguration(FunctionName, Qualifier) for each target: the qualifier exists
    (found), Lambda answered ResourceNotFoundException (missing: an answer, not a coverage
    gap), or the call failed (failed, a coverage entry)."""

    def read(target: tuple[str, str]) -> tuple[tuple[str, str],
                                               tuple[str, dict[str, Any] | None]]:
        function, qualifier = target

        def call() -> tuple[str, dict[str, Any] | None]:
            try:
                config = client.get_function_configuration(FunctionName=function,
                                                            Qualifier=qualifier)
            except ClientError as exc:
                # GetFunctionConfiguration errors: "ResourceNotFoundException: The resource
                # specified in the request does not exist."
                if exc.response.get("Error", {}).get("Code") == _NOT_FOUND:
                    return "missing", None
                raise
            if not isinstance(config, Mapping):
                return "found", None
            vpc = config.get("VpcConfig")
            vpc = vpc if isinstance(vpc, Mapping) else {}
            # the settings the rules read of a version (LambdaFunction.qualifier_settings)
            return "found", {"Role": config.get("Role"),
                             "SubnetIds": list(vpc.get("SubnetIds") or ()),
                             "SecurityGroupIds": list(vpc.get("SecurityGroupIds") or ())}

        answer, failure = rec.attempt("GetFunctionConfiguration", call,
                                      resource_arn=f"{function}:{qualifier}")
        if failure is not None or answer is None:
            return target, ("failed", None)
        return target, answer

    out: dict[str, list[list[Any]]] = {"found": [], "missing": [], "failed": []}
    for (function, qualifier), (state, settings) in mapper(read, list(targets)):
        # a version's or alias's own settings beside it (LambdaFunction.qualifier_settings)
        out[state].append([function, qualifier] + ([settings] if settings else []))
    return out


def transform_functions(raw: Mapping[str, Any], *, account_id: str, region: str,
                        subnets: tuple[Subnet, ...] | None) -> tuple[LambdaFunction, ...] | None:
    if raw.get("functions") is None:
        return None
    read = raw.get("qualifiers") or {}

    def of(function: str, state: str) -> tuple[str, ...]:
        return tuple(sorted(entry[1] for entry in read.get(state) or ()
                            if entry[0] == function))

    def settings(function: str) -> dict[str, FunctionVersion]:
        out: dict[str, FunctionVersion] = {}
        for entry in read.get("found") or ():
            if entry[0] != function or len(entry) < 3 or not isinstance(entry[2], Mapping):
                continue
            subnets = tuple(entry[2].get("SubnetIds") or ())
            role = entry[2].get("Role")
            out[entry[1]] = FunctionVersion(
                role_arn=role if isinstance(role, str) and role else None,
                subnet_ids=subnets,
                security_group_ids=tuple(entry[2].get("SecurityGroupIds") or ()),
                vpc_id=vpc_of_subnets(subnets))
        return out

    vpc_of = {s.subnet_id: s.vpc_id for s in subnets or ()}

    def vpc_of_subnets(subnet_ids: tuple[str, ...]) -> str | None:
        vpc_ids = sorted({vpc_of[s] for s in subnet_ids if s in vpc_of})
        return vpc_ids[0] if vpc_ids else None

    functions = []
    for item in raw["functions"]:
        vpc_config = item.get("VpcConfig") or {}
        subnet_ids = tuple(vpc_config.get("SubnetIds") or ())
        functions.append(
            LambdaFunction(
                arn=item["FunctionArn"],
                name=item.get("FunctionName", ""),
                account_id=account_id,
                region=region,
                role_arn=item.get("Role"),
                runtime=item.get("Runtime"),
                state=item.get("State"),
                subnet_ids=subnet_ids,
                security_group_ids=tuple(vpc_config.get("SecurityGroupIds") or ()),
                vpc_id=vpc_of_subnets(subnet_ids),
                qualifiers=of(item["FunctionArn"], "found"),
                missing_qualifiers=of(item["FunctionArn"], "missing"),
                unread_qualifiers=of(item["FunctionArn"], "failed"),
                qualifier_settings=settings(item["FunctionArn"]),
            )
        )
    return tuple(sorted(functions, key=lambda f: f.arn))
