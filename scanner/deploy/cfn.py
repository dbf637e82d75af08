"""What the deployment's CloudFormation templates share (scanner.deploy.templates: the central
account's and the member role's; scanner.deploy.org_scale_template: the organization-scale
workflow): the intrinsic functions as data, the scanner's read-only policy and its
discovery actions, the Deny of reading secret values, the function's input files, the scan
functions' environment (``function_environment``) and the reporting function's role
statements (``report_statements``)."""

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


def function_environment(**extra: Any) -> dict[str, Any]:
    """The scan functions' environment (scanner.deploy.handler and scanner.deploy.tasks read
    it): the audit role and its ExternalId, Regions, organization mode, accounts, history,
    topic, Security Hub mode, central account, full-refresh period, policy pace and notified
    severities from the stack's parameters, then ``extra``
    (the organization-scale functions' parts and re-read queue), then the input files.
    One list for both templates, so a variable added to the handler reaches the
    organization-scale functions too (they had their own copy of the first nine)."""
    return {
        "SECRETGRAPH_ROLE_NAME": ref("AuditRoleName"),
        "SECRETGRAPH_EXTERNAL_ID": ref("ExternalId"),
        "SECRETGRAPH_REGIONS": ref("Regions"),
        "SECRETGRAPH_ORG_MODE": ref("OrgMode"),
        "SECRETGRAPH_ACCOUNTS": ref("Accounts"),
        "SECRETGRAPH_HISTORY_URI": sub("s3://${HistoryBucket}/${HistoryPrefix}"),
        "SECRETGRAPH_SNS_TOPIC_ARN": ref("NotificationTopic"),
        "SECRETGRAPH_SECURITYHUB": ref("SecurityHubMode"),
        "SECRETGRAPH_CENTRAL_ACCOUNT": ref("AWS::AccountId"),
        "SECRETGRAPH_FULL_REFRESH_DAYS": ref("FullRefreshDays"),
        "SECRETGRAPH_POLICY_TPS": ref("PolicyTps"),
        "SECRETGRAPH_NOTIFY_SEVERITIES": ref("NotifySeverities"),
        **extra,
        **{v: ref(p) for v, p in INPUT_FILE_PARAMETERS.items()},
    }


def deny_reading_secret_values() -> dict[str, Any]:
    """The explicit Deny of reading secret values every scanning role carries (the scanner
    never reads one: ``NEVER_ALLOWED``)."""
    return {"Sid": "NeverReadSecretValues", "Effect": "Deny", "Action": list(NEVER_ALLOWED),
            "Resource": "*"}


def report_statements() -> list[Any]:
    """What the role of the function that evaluates and reports needs after its history:
    the SNS notification, the Security Hub import and workflow updates (when on), the input
    files, and the Deny of reading secret values -- the central template's function and the
    organization-scale analysis alike."""
    return [
        {"Sid": "Notify", "Effect": "Allow", "Action": "sns:Publish",
         "Resource": ref("NotificationTopic")},
        {"Fn::If": ["SecurityHubOn", {
            "Sid": "ImportFindings", "Effect": "Allow",
            "Action": "securityhub:BatchImportFindings",
            "Resource": sub("arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:"
                             "product/${AWS::AccountId}/default")}, ref("AWS::NoValue")]},
        update_workflow(),
        read_input_files(),
        deny_reading_secret_values(),
    ]
