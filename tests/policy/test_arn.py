"""scanner/policy/arn.py: the one place that splits ARNs (IAM User Guide, "IAM identifiers":
arn:partition:service:region:account-id:resource, the resource part may hold colons)."""

from __future__ import annotations

import re
from pathlib import Path

from scanner.policy.arn import (arn_account, arn_region, arn_resource, parse_arn,
                                function_name, principal_account, resource_account, root_arn,
                                unqualified_function, with_region)

REPO = Path(__file__).resolve().parents[2]


def test_parse_keeps_colons_in_the_resource_part() -> None:
    arn = parse_arn("arn:aws:lambda:us-east-1:111111111111:function:rotate:live")
    assert arn is not None and arn.resource == "function:rotate:live"
    assert str(arn) == "arn:aws:lambda:us-east-1:111111111111:function:rotate:live"
    assert parse_arn("not:an:arn") is None and parse_arn("111111111111") is None


def test_fields_of_global_and_regional_arns() -> None:
    assert arn_region("arn:aws:iam::111111111111:role/x") is None
    assert arn_account("arn:aws:iam::aws:policy/ReadOnly") == "aws"
    assert resource_account("arn:aws:iam::aws:policy/ReadOnly") is None
    assert arn_resource("arn:aws:secretsmanager:us-east-1:1:secret:a/b-Xy") == "secret:a/b-Xy"
    assert with_region("arn:aws-cn:kms:cn-north-1:111111111111:key/mrk-1", "cn-northwest-1") == \
        "arn:aws-cn:kms:cn-northwest-1:111111111111:key/mrk-1"


def test_lambda_qualifiers() -> None:
    fn = "arn:aws:lambda:us-east-1:111111111111:function:rotate"
    assert unqualified_function(fn + ":live") == (fn, "live")
    assert unqualified_function(fn) == (fn, None)
    assert function_name(fn + ":3") == "rotate"


def test_principal_account_of_each_principal_form() -> None:
    assert principal_account("111111111111") == "111111111111"
    assert principal_account(root_arn("222222222222", "aws")) == "222222222222"
    assert principal_account("arn:aws:sts::333333333333:assumed-role/r/s") == "333333333333"
    assert principal_account("arn:aws-us-gov:iam::444444444444:user/u") == "444444444444"
    assert principal_account("*") is None
    assert principal_account("secretsmanager.amazonaws.com") is None
    assert principal_account("AROAEXAMPLEUNIQUEID1") is None
    assert principal_account("arn:aws:secretsmanager:us-east-1:111111111111:secret:x") is None


#: ``split(":"`` that is not an ARN split: action names ("service:Action") and the IAM
#: ARN-pattern matcher, which splits a pattern (with wildcards) segment by segment
NOT_ARN_SPLITS = {
    "scanner/policy/arn.py", "scanner/policy/matching.py", "scanner/access/identity.py",
    "scanner/remediate/sessions.py",
}


def test_no_other_module_splits_arns() -> None:
    """One home for ARN parsing: any other ``split(":")`` on an ARN is a copy to replace."""
    pattern = re.compile(r"""\.r?split\(\s*["']:["']""")
    offenders = []
    for folder in ("scanner", "remediations", "reports", "rules"):
        for path in (REPO / folder).rglob("*.py"):
            rel = path.relative_to(REPO).as_posix()
            if rel in NOT_ARN_SPLITS:
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{rel}:{n}: {line.strip()}")
    assert not offenders, offenders
