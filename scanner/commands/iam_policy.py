"""`secretgraph iam-policy`: print the IAM policy the scanner needs, generated from the
collectors' declared actions (so it can never drift from what the code calls)."""

from __future__ import annotations

import argparse
import json

from scanner.aws.permissions import (
    cloudformation_template,
    iam_policy_document,
    scanner_policy_document,
)

HELP = "print the audit role's IAM policy, generated from the collectors' declared actions"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=("json", "cloudformation"), default="json",
        help="json: the role's policy document; cloudformation: a template creating the role",
    )
    parser.add_argument(
        "--for", dest="target", choices=("audit-role", "scanner"), default="audit-role",
        help="audit-role: the role assumed in every account (default); scanner: what the "
             "identity running the scan needs (Organizations discovery, sts:AssumeRole)",
    )
    parser.add_argument("--role-name", default="SecretgraphAudit",
                        help="name of the audit role (default SecretgraphAudit)")


def run(args: argparse.Namespace) -> int:
    if args.format == "cloudformation":
        document = cloudformation_template(args.role_name)
    elif args.target == "scanner":
        document = scanner_policy_document(args.role_name)
    else:
        document = iam_policy_document()
    print(json.dumps(document, indent=2))
    return 0
