"""`secretgraph iam-policy`: print the IAM policies secretgraph needs, generated from the
declared actions (the collectors' OPERATIONS, the remediators' PERMISSIONS), so they can never
drift from what the code calls."""

from __future__ import annotations

import argparse
import json
from typing import Any

from scanner.aws.permissions import (
    AUDIT_ROLE,
    cloudformation_template,
    iam_policy_document,
    scanner_policy_document,
)
from scanner.errors import UsageError

#: what it prints: the audit role's policy is one of three (docs truth round 16: the help
#: named it alone, and `--for remediation-role` prints the remediators' declarations)
HELP = ("print an IAM policy generated from the declared actions: the audit role's (default; "
        "the collectors'), the scanning identity's (--for scanner) or the remediation role's "
        "(--for remediation-role: the remediators')")
#: what -q/--quiet does here (scanner.cli: the help of -q)
QUIET_HELP = "log errors only; the policy is still printed (it is the command's output)"

TARGETS = ("audit-role", "scanner", "remediation-role")
#: the partitions an audit role's ARN can be in (scanner.aws.session.ROLE_ARN_TEMPLATE)
PARTITIONS = ("aws", "aws-us-gov", "aws-cn")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=("json", "cloudformation"), default="json",
        help="json: the policy document; cloudformation: a template creating the audit role "
             "(only with --for audit-role)",
    )
    parser.add_argument(
        "--for", dest="target", choices=TARGETS, default="audit-role",
        help="audit-role: the read-only role assumed in every account (default); scanner: what "
             "the identity running the scan needs (Organizations discovery, sts:AssumeRole, "
             "ec2:DescribeRegions for --regions all, and the audit role's read set: its own "
             "account is scanned with its own credentials); "
             "remediation-role: the write role `remediate --apply` assumes (the remediators' "
             "declared actions, secret-value reads denied)",
    )
    parser.add_argument("--role-name", default=None,
                        help="with --for scanner or --format cloudformation: the audit role's "
                             f"name (default {AUDIT_ROLE})")
    parser.add_argument("--partition", default=None, choices=PARTITIONS,
                        help="with --for scanner: the partition of the audit roles' ARNs "
                             "(default aws; aws-us-gov for GovCloud, aws-cn for China)")


def run(args: argparse.Namespace) -> int:
    from scanner.aws.session import check_role_name

    named = args.role_name is not None
    role_name = args.role_name if named else AUDIT_ROLE
    check_role_name(role_name)  # a name CloudFormation and IAM accept, as scan checks it
    document: dict[str, Any]
    if named and args.target != "scanner" and args.format != "cloudformation":
        # the audit role's policy and the remediation role's name no role (Resource "*"): an
        # ignored flag would read as applied, as --partition's would
        raise UsageError(f"--role-name names the audit role in --for scanner's policy and in "
                         f"--format cloudformation's template; --for {args.target} "
                         f"--format json has no role name to put it in")
    if args.partition is not None and args.target != "scanner":
        # the other documents name no partition (Resource "*", or the template's
        # ${AWS::Partition}): an ignored flag would read as applied (review round 4)
        raise UsageError(f"--partition names the audit roles' partition in --for scanner's "
                         f"policy; --for {args.target} has no ARN to put it in")
    if args.format == "cloudformation":
        if args.target != "audit-role":
            raise UsageError(f"--format cloudformation creates the audit role; it cannot be "
                             f"combined with --for {args.target} (use --format json)")
        document = cloudformation_template(role_name)
    elif args.target == "scanner":
        document = scanner_policy_document(role_name, partition=args.partition or "aws")
    elif args.target == "remediation-role":
        from scanner.remediate.permissions import remediation_policy_document

        document = remediation_policy_document()
    else:
        document = iam_policy_document()
    print(json.dumps(document, indent=2))
    return 0
