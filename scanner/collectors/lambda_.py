"""Lambda: ListFunctions (paginated, 50 per page), with each function's VpcConfig. The VPC of a
function is derived from its subnets (as collected by the EC2 collector), never from
VpcConfig.VpcId (moto hard-codes it).
"""

from __future__ import annotations

from typing import Any, Mapping

from scanner.collectors.base import Recorder, paginate
from scanner.model import LambdaFunction, Subnet

SERVICE = "lambda"

OPERATIONS: dict[str, str] = {"ListFunctions": "lambda:ListFunctions"}


def fetch_functions(client: Any, rec: Recorder) -> dict[str, Any]:
    functions, _ = rec.attempt(
        "ListFunctions", lambda: paginate(client, "list_functions", "Functions",
                                          required=("FunctionArn",),
                                          PaginationConfig={"PageSize": 50})
    )
    return {"functions": functions}


def transform_functions(raw: Mapping[str, Any], *, account_id: str, region: str,
                        subnets: tuple[Subnet, ...] | None) -> tuple[LambdaFunction, ...] | None:
    if raw.get("functions") is None:
        return None
    vpc_of = {s.subnet_id: s.vpc_id for s in subnets or ()}
    out = []
    for item in raw["functions"]:
        vpc_config = item.get("VpcConfig") or {}
        subnet_ids = tuple(vpc_config.get("SubnetIds") or ())
        vpc_ids = sorted({vpc_of[s] for s in subnet_ids if s in vpc_of})
        out.append(
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
                vpc_id=vpc_ids[0] if vpc_ids else None,
            )
        )
    return tuple(sorted(out, key=lambda f: f.arn))
