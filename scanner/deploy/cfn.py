"""What the deployment's CloudFormation templates share (scanner.deploy.templates: the central
account's and the member role's; scanner.deploy.org_scale_template: the organization-scale
workflow): the intrinsic functions as data, the scanner's read-only policy and its
discovery actions, the Deny of reading secret values, and the function's input files."""

from __future__ import annotations

from typing import Any


NEVER_ALLOWED = ("secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue")


def update_workflow() -> dict[str, Any]:
    """The export stage's BatchUpdateFindings, on this account's hub: the Workflow.Status of
    a finding muted or un-muted since the previous night (an import cannot change it; new-user
    trial round 6). A new dict each time: YAML would write a shared one as an alias."""
    return {"Fn::If": ["SecurityHubOn", {
        "Sid": "UpdateFindingsWorkflow", "Effect": "Allow",
        "Action": "securityhub:BatchUpdateFindings",
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:"
                                "hub/default"}}, {"Ref": "AWS::NoValue"}]}


#: the scan's input files: the function's variable -> the stack parameter naming the file
INPUT_FILE_PARAMETERS = {"SECRETGRAPH_CONFIG": "ConfigFile",
                         "SECRETGRAPH_SUPPRESSIONS": "SuppressionsFile",
                         "SECRETGRAPH_BASELINE": "BaselineFile"}


def read_input_files() -> dict[str, Any]:
    """s3:GetObject on the input files' prefix, when one is given. A new dict each time."""
    return {"Fn::If": ["HasInputFilesS3Prefix", {
        "Sid": "ReadInputFiles", "Effect": "Allow", "Action": "s3:GetObject",
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${InputFilesS3Prefix}/*"}},
        {"Ref": "AWS::NoValue"}]}


def ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def getatt(resource: str, attr: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [resource, attr]}


def read_only_policy() -> dict[str, Any]:
    from scanner.aws.permissions import iam_policy_document

    return iam_policy_document()


def scanner_discovery_actions() -> list[str]:
    from scanner.aws.permissions import declared_actions
    from scanner.collectors import organizations

    return declared_actions((organizations,))
