"""CloudFormation templates for the scheduled deployment, generated as data.

* ``central_template()`` -- the central security account: the history bucket (SSE-KMS with a
  rotating customer-managed key, versioned, public access blocked, TLS only), the SNS topic
  (encrypted with the same key), the function's role (least privilege), the Lambda function
  (code from an S3 key parameter), its log group, and an EventBridge Scheduler schedule
  (nightly by default; ``ScheduleExpression`` parameter).
* ``member_template()`` -- the read-only audit role, deployed in every member account by a
  StackSet. Its policy is ``scanner.aws.permissions.iam_policy_document()``: generated from the
  collectors' declared permissions, with an explicit Deny of reading secret values.

``render_templates(out_dir)`` writes both as YAML (long-form intrinsics, so plain YAML tools
can read them) and returns the paths.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

CENTRAL_FILE = "secretgraph-central.yaml"
MEMBER_FILE = "secretgraph-member-role-stackset.yaml"
DEFAULT_SCHEDULE = "cron(0 2 * * ? *)"
DEFAULT_AUDIT_ROLE = "SecretgraphAudit"
HANDLER = "scanner.deploy.handler.handler"
NEVER_ALLOWED = ("secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue")



#: the ExternalId parameters: empty (none) or what STS AssumeRole accepts (2 to 1224 characters
#: of [\w+=,.@:/-], scanner.aws.session.external_id_problem; bad-input trial round 1)
EXTERNAL_ID_PATTERN = "^$|^[\\w+=,.@:/-]{2,1224}$"


def _update_workflow() -> dict[str, Any]:
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


def _input_file_parameters() -> dict[str, Any]:
    """ConfigFile, SuppressionsFile, BaselineFile and InputFilesS3Prefix (deployment trial
    round 2: the scheduled deployment could take no configuration, suppressions or
    baseline)."""
    where = ("a path in the Lambda package (relative to its root) or s3://bucket/key (under "
             "InputFilesS3Prefix, or the history prefix); empty: none")
    return {
        "ConfigFile": {"Type": "String", "Default": "",
                       "Description": f"secretgraph configuration (scan --config): {where}"},
        "SuppressionsFile": {"Type": "String", "Default": "",
                             "Description": f"Suppression file (scan --suppressions): {where}"},
        "BaselineFile": {"Type": "String", "Default": "",
                         "Description": f"Access baseline (scan --baseline): {where}"},
        "InputFilesS3Prefix": {
            "Type": "String", "Default": "",
            "AllowedPattern": "^$|^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^*?]*[^/*?])?$",
            "Description": "bucket or bucket/prefix (no s3://, no trailing slash) the "
                           "functions may read the input files from (s3:GetObject on "
                           "bucket/prefix/*); empty: none outside the history prefix"},
    }


def _read_input_files() -> dict[str, Any]:
    """s3:GetObject on the input files' prefix, when one is given. A new dict each time."""
    return {"Fn::If": ["HasInputFilesS3Prefix", {
        "Sid": "ReadInputFiles", "Effect": "Allow", "Action": "s3:GetObject",
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${InputFilesS3Prefix}/*"}},
        {"Ref": "AWS::NoValue"}]}


def _ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def _getatt(resource: str, attr: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [resource, attr]}


def _read_only_policy() -> dict[str, Any]:
    from scanner.aws.permissions import iam_policy_document

    return iam_policy_document()


def _scanner_discovery_actions() -> list[str]:
    from scanner.aws.permissions import declared_actions
    from scanner.collectors import organizations

    return declared_actions((organizations,))


def _parameter_rules() -> dict[str, Any]:
    """Parameter combinations refused when the stack is created or updated. Accounts is used
    only with OrgMode false; with both set every night failed (deployment trial round 2), so
    the pair is refused naming the parameters (the function itself, configured by hand,
    ignores Accounts with a warning)."""
    return {"AccountsOnlyWithoutOrgMode": {
        "RuleCondition": {"Fn::Equals": [_ref("OrgMode"), "true"]},
        "Assertions": [{
            "Assert": {"Fn::Equals": [_ref("Accounts"), ""]},
            "AssertDescription": "Accounts is used only when OrgMode is false: set OrgMode "
                                 "to false to scan only the listed accounts, or leave "
                                 "Accounts empty to scan every account of the "
                                 "organization"}]}}


def central_template() -> dict[str, Any]:
    """The central-account stack: bucket, key, topic, role, function, schedule."""
    bucket_arn = _getatt("HistoryBucket", "Arn")
    prefix_arn = _sub("${HistoryBucket.Arn}/${HistoryPrefix}/*")
    parameters: dict[str, Any] = {
        "ScheduleExpression": {
            "Type": "String", "Default": DEFAULT_SCHEDULE,
            "Description": "EventBridge Scheduler expression (cron(...) or rate(...)); "
                           "nightly at 02:00 by default"},
        "ScheduleTimezone": {"Type": "String", "Default": "UTC",
                             "Description": "IANA time zone of the schedule"},
        "CodeBucket": {"Type": "String",
                       "Description": "S3 bucket holding the secretgraph Lambda package (zip)"},
        "CodeKey": {"Type": "String", "Description": "S3 key of the Lambda package (zip)"},
        "AuditRoleName": {"Type": "String", "Default": DEFAULT_AUDIT_ROLE,
                          "Description": "Name of the read-only audit role in member accounts"},
        "ExternalId": {"Type": "String", "Default": "", "NoEcho": True,
                       "AllowedPattern": EXTERNAL_ID_PATTERN,
                       "Description": "Optional sts:ExternalId the audit role requires"},
        "Regions": {"Type": "String", "Default": "us-east-1",
                    "Description": "Comma-separated regions to scan"},
        "OrgMode": {"Type": "String", "Default": "true", "AllowedValues": ["true", "false"],
                    "Description": "Discover accounts through AWS Organizations"},
        "Accounts": {"Type": "String", "Default": "",
                     "Description": "Comma-separated account ids to scan when OrgMode is false; "
                                    "this (central) account is always scanned too, with "
                                    "the function's own credentials (alone when this is "
                                    "empty)"},
        "HistoryPrefix": {"Type": "String", "Default": "secretgraph",
                          "AllowedPattern": "^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$",
                          "Description": "Key prefix of the scan history in the bucket"},
        "SecurityHubMode": {"Type": "String", "Default": "off",
                            "AllowedValues": ["off", "central"],
                            "Description": "Import findings into Security Hub of this account"},
        "NotifyEmail": {"Type": "String", "Default": "",
                        "Description": "Optional e-mail address subscribed to the topic"},
        "HistoryRetentionDays": {"Type": "Number", "Default": 400, "MinValue": 30,
                                 "Description": "Days to keep superseded object versions"},
        **_input_file_parameters(),
    }
    conditions = {
        "HasEmail": {"Fn::Not": [{"Fn::Equals": [_ref("NotifyEmail"), ""]}]},
        "SecurityHubOn": {"Fn::Equals": [_ref("SecurityHubMode"), "central"]},
        "HasInputFilesS3Prefix": {"Fn::Not": [{"Fn::Equals": [_ref("InputFilesS3Prefix"),
                                                              ""]}]},
    }
    key_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AccountAdministers", "Effect": "Allow",
             "Principal": {"AWS": _sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "ServicesEncryptForThisAccount", "Effect": "Allow",
             "Principal": {"Service": ["sns.amazonaws.com", "s3.amazonaws.com",
                                       "logs.amazonaws.com"]},
             "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceAccount": _ref("AWS::AccountId")}}},
        ],
    }
    function_policy_statements: list[dict[str, Any]] = [
        {"Sid": "AssumeAuditRoleInMembers", "Effect": "Allow", "Action": "sts:AssumeRole",
         "Resource": _sub("arn:${AWS::Partition}:iam::*:role/${AuditRoleName}")},
        {"Sid": "DiscoverOrganization", "Effect": "Allow",
         "Action": _scanner_discovery_actions(), "Resource": "*"},
        {"Sid": "ListHistory", "Effect": "Allow", "Action": "s3:ListBucket",
         "Resource": bucket_arn,
         "Condition": {"StringLike": {"s3:prefix": [_sub("${HistoryPrefix}/*"),
                                                    _sub("${HistoryPrefix}")]}}},
        {"Sid": "ReadWriteHistory", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:PutObject"], "Resource": prefix_arn},
        {"Sid": "UseHistoryKey", "Effect": "Allow",
         "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
         "Resource": _getatt("HistoryKey", "Arn")},
        {"Sid": "Notify", "Effect": "Allow", "Action": "sns:Publish",
         "Resource": _ref("NotificationTopic")},
        {"Fn::If": ["SecurityHubOn", {
            "Sid": "ImportFindings", "Effect": "Allow",
            "Action": "securityhub:BatchImportFindings",
            "Resource": _sub("arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:"
                             "product/${AWS::AccountId}/default")}, _ref("AWS::NoValue")]},
        _update_workflow(),
        _read_input_files(),
        {"Sid": "NeverReadSecretValues", "Effect": "Deny", "Action": list(NEVER_ALLOWED),
         "Resource": "*"},
    ]
    resources: dict[str, Any] = {
        "HistoryKey": {
            "Type": "AWS::KMS::Key",
            "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"Description": "secretgraph history bucket and topic",
                           "EnableKeyRotation": True, "KeyPolicy": key_policy}},
        "HistoryKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": _sub("alias/secretgraph-${AWS::StackName}"),
                           "TargetKeyId": _ref("HistoryKey")}},
        "HistoryBucket": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
                    "ServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": _getatt("HistoryKey", "Arn")},
                    "BucketKeyEnabled": True}]},
                "VersioningConfiguration": {"Status": "Enabled"},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True, "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "LifecycleConfiguration": {"Rules": [{
                    "Id": "ExpireSupersededVersions", "Status": "Enabled",
                    "NoncurrentVersionExpiration": {
                        "NoncurrentDays": _ref("HistoryRetentionDays")}}, {
                    # re-read marks matter only while a policy read before them may be carried
                    # (full_refresh_days, 7 by default)
                    "Id": "ExpireOldReReadMarks", "Status": "Enabled",
                    "Prefix": _sub("${HistoryPrefix}/marks/"), "ExpirationInDays": 30,
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]}}},
        "HistoryBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": _ref("HistoryBucket"),
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [bucket_arn, _sub("${HistoryBucket.Arn}/*")],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}},
        "NotificationTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"DisplayName": "secretgraph nightly drift",
                           "KmsMasterKeyId": _ref("HistoryKey")}},
        "NotificationTopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [_ref("NotificationTopic")],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*",
                    "Action": "sns:Publish", "Resource": _ref("NotificationTopic"),
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}},
        "NotificationEmail": {
            "Type": "AWS::SNS::Subscription", "Condition": "HasEmail",
            "Properties": {"TopicArn": _ref("NotificationTopic"), "Protocol": "email",
                           "Endpoint": _ref("NotifyEmail")}},
        "FunctionLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"LogGroupName": _sub("/aws/lambda/${AWS::StackName}-scanner"),
                           "RetentionInDays": 365}},
        "FunctionRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole"}]},
                "Policies": [
                    {"PolicyName": "secretgraph-scheduled-scan",
                     "PolicyDocument": {"Version": "2012-10-17",
                                        "Statement": function_policy_statements}},
                    # The central account is scanned with the function's own credentials
                    # (no role is assumed there), so the function also holds the read-only set.
                    {"PolicyName": "secretgraph-read-only",
                     "PolicyDocument": _read_only_policy()},
                    {"PolicyName": "write-own-logs",
                     "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                         "Effect": "Allow",
                         "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                         "Resource": _sub("${FunctionLogGroup.Arn}")}]}},
                ]}},
        "ScannerFunction": {
            "Type": "AWS::Lambda::Function",
            "DependsOn": ["FunctionLogGroup"],
            "Properties": {
                "FunctionName": _sub("${AWS::StackName}-scanner"),
                "Description": "secretgraph nightly scan: history, drift, notification",
                "Runtime": "python3.11", "Handler": HANDLER,
                "Code": {"S3Bucket": _ref("CodeBucket"), "S3Key": _ref("CodeKey")},
                "Role": _getatt("FunctionRole", "Arn"),
                "Timeout": 900, "MemorySize": 3008,
                "ReservedConcurrentExecutions": 1,
                "EphemeralStorage": {"Size": 4096},
                "Environment": {"Variables": {
                    "SECRETGRAPH_ROLE_NAME": _ref("AuditRoleName"),
                    "SECRETGRAPH_EXTERNAL_ID": _ref("ExternalId"),
                    "SECRETGRAPH_REGIONS": _ref("Regions"),
                    "SECRETGRAPH_ORG_MODE": _ref("OrgMode"),
                    "SECRETGRAPH_ACCOUNTS": _ref("Accounts"),
                    "SECRETGRAPH_HISTORY_URI": _sub("s3://${HistoryBucket}/${HistoryPrefix}"),
                    "SECRETGRAPH_SNS_TOPIC_ARN": _ref("NotificationTopic"),
                    "SECRETGRAPH_SECURITYHUB": _ref("SecurityHubMode"),
                    "SECRETGRAPH_CENTRAL_ACCOUNT": _ref("AWS::AccountId"),
                    **{v: _ref(p) for v, p in INPUT_FILE_PARAMETERS.items()},
                }}}},
        # The schedule's RetryPolicy is EventBridge Scheduler's; Lambda retries an
        # asynchronous invocation that fails twice by default: not here (a failed night is
        # not run again hours later), and the failure is sent to the topic (OnFailure
        # destination, sent with the function's role, which may publish to it)
        "ScannerInvokeConfig": {
            "Type": "AWS::Lambda::EventInvokeConfig",
            "Properties": {
                "FunctionName": _ref("ScannerFunction"), "Qualifier": "$LATEST",
                "MaximumRetryAttempts": 0,
                "DestinationConfig": {"OnFailure": {
                    "Destination": _ref("NotificationTopic")}}}},
        "ScheduleRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": _ref("AWS::AccountId")}}}]},
                "Policies": [{"PolicyName": "invoke-scanner", "PolicyDocument": {
                    "Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow", "Action": "lambda:InvokeFunction",
                        "Resource": _getatt("ScannerFunction", "Arn")}]}}]}},
        "NightlySchedule": {
            "Type": "AWS::Scheduler::Schedule",
            "Properties": {
                "Description": "secretgraph nightly scan",
                "ScheduleExpression": _ref("ScheduleExpression"),
                "ScheduleExpressionTimezone": _ref("ScheduleTimezone"),
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "State": "ENABLED",
                "Target": {"Arn": _getatt("ScannerFunction", "Arn"),
                           "RoleArn": _getatt("ScheduleRole", "Arn"),
                           "Input": '{"source": "secretgraph-schedule"}',
                           "RetryPolicy": {"MaximumRetryAttempts": 0}}}},
    }
    outputs = {
        "HistoryUri": {"Description": "secretgraph --history for this deployment",
                       "Value": _sub("s3://${HistoryBucket}/${HistoryPrefix}")},
        "TopicArn": {"Value": _ref("NotificationTopic")},
        "FunctionRoleArn": {"Description": "ScannerRoleArn parameter of the member StackSet",
                            "Value": _getatt("FunctionRole", "Arn")},
        "FunctionName": {"Value": _ref("ScannerFunction")},
    }
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "secretgraph scheduled scan in the central security account "
                       "(generated by `secretgraph deploy-templates`)",
        "Parameters": parameters, "Rules": _parameter_rules(), "Conditions": conditions,
        "Resources": resources, "Outputs": outputs,
    }
    return template


def member_template() -> dict[str, Any]:
    """The read-only audit role for every member account (deploy as a StackSet)."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "secretgraph read-only audit role for member accounts (StackSet; "
                       "generated by `secretgraph deploy-templates` from the collectors' "
                       "declared permissions; it can never read a secret value)",
        "Parameters": {
            "CentralAccountId": {"Type": "String", "AllowedPattern": "^[0-9]{12}$",
                                 "Description": "The central security account running the scan"},
            "ScannerRoleArn": {"Type": "String",
                               "Description": "FunctionRoleArn output of the central stack"},
            "AuditRoleName": {"Type": "String", "Default": DEFAULT_AUDIT_ROLE},
            "ExternalId": {"Type": "String", "Default": "", "NoEcho": True,
                           "AllowedPattern": EXTERNAL_ID_PATTERN,
                           "Description": "Optional sts:ExternalId the scanner must present"},
        },
        "Conditions": {"HasExternalId": {"Fn::Not": [{"Fn::Equals": [_ref("ExternalId"), ""]}]}},
        "Resources": {
            "AuditRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": _ref("AuditRoleName"),
                    "Description": "secretgraph read-only audit (no secret values)",
                    "MaxSessionDuration": 3600,
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow",
                        "Principal": {"AWS": _ref("ScannerRoleArn")},
                        "Action": "sts:AssumeRole",
                        "Condition": {"Fn::If": [
                            "HasExternalId",
                            {"StringEquals": {"sts:ExternalId": _ref("ExternalId"),
                                              "aws:PrincipalAccount": _ref("CentralAccountId")}},
                            {"StringEquals": {"aws:PrincipalAccount": _ref("CentralAccountId")}},
                        ]}}]},
                    "Policies": [{"PolicyName": "secretgraph-read-only",
                                  "PolicyDocument": _read_only_policy()}],
                }},
        },
        "Outputs": {"AuditRoleArn": {"Value": _getatt("AuditRole", "Arn")}},
    }


class _Dumper(yaml.SafeDumper):
    """Block style, no aliases (CloudFormation rejects YAML anchors)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(template: dict[str, Any]) -> str:
    return yaml.dump(template, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     width=100)


def template_files() -> list[tuple[str, str]]:
    """Each template's file name and YAML text (pure: ``deploy-templates`` writes them as one
    set, scanner.commands.deploy_templates)."""
    return [(name, to_yaml(template)) for name, template in (
        (CENTRAL_FILE, central_template()), (MEMBER_FILE, member_template()),
        (ORG_SCALE_FILE, org_scale_template()))]


def render_templates(out_dir: str | Path) -> list[Path]:
    """Write the templates into out_dir (created if needed); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in template_files():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# --------------------------------------------------------------------------- organization scale

ORG_SCALE_FILE = "secretgraph-org-scale.yaml"
TASKS = "scanner.deploy.tasks"
#: Errors of the Lambda service itself (not of our code) and throttling: retried with backoff.
#: https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
LAMBDA_TRANSIENT = ["Lambda.ServiceException", "Lambda.AWSLambdaException",
                    "Lambda.SdkClientException", "Lambda.TooManyRequestsException",
                    "Lambda.ClientExecutionTimeoutException"]
THROTTLED = ["ThrottlingException", "TooManyRequestsException", "Lambda.ThrottlingException"]


def _retry() -> list[dict[str, Any]]:
    return [
        {"ErrorEquals": LAMBDA_TRANSIENT + THROTTLED, "IntervalSeconds": 2, "MaxAttempts": 6,
         "BackoffRate": 2.0, "MaxDelaySeconds": 60, "JitterStrategy": "FULL"},
        {"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 5, "MaxAttempts": 1},
    ]


def org_scale_definition(*, list_accounts: Any, collect: Any, analyze: Any,
                         fargate: bool = False, partition: str = "aws") -> dict[str, Any]:
    """The Standard workflow (Amazon States Language). ``list_accounts``, ``collect`` and
    ``analyze`` are function ARNs (strings or intrinsics); with ``fargate`` the analysis runs
    as an ECS task (``${Cluster}``, ``${TaskDefinition}``, ``${Subnets}``... substitutions).
    ``partition``: of the service integrations' ARNs (``arn:<partition>:states:::lambda:
    invoke``; the template passes ``${Partition}``, AWS::Partition -- GovCloud ground-truth
    trial round 10: a fixed arn:aws in a GovCloud or China stack).

    Map parameters come from the execution input (the schedule's Input): ``batch_size``,
    ``max_concurrency``, ``tolerated_failure_percentage``.
    """
    collect_batch = {
        "Type": "Task", "Resource": f"arn:{partition}:states:::lambda:invoke",
        "Parameters": {"FunctionName": collect, "Payload.$": "$"},
        "ResultSelector": {"accounts.$": "$.Payload.accounts",
                           "incomplete.$": "$.Payload.incomplete"},
        "Retry": _retry(),
        # the batch's accounts become coverage entries in the analysis; the run goes on
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error",
                   "Next": "RecordFailedBatch"}],
        "End": True,
    }
    payload = {"run_id.$": "$.discovery.run_id", "results.$": "$.results"}
    analyze_state: dict[str, Any]
    record_state: dict[str, Any] = {}
    if fargate:
        # "A total of 8192 characters are allowed for overrides" (ECS RunTask, overrides):
        # the Map's results grow with the organization, so they never travel as an override.
        # The function (handler scanner.deploy.tasks.record_failures with AnalysisRunner
        # fargate) writes the failed batches into the run's parts; the task reads them there.
        record_state = {"RecordFailedBatches": {
            "Type": "Task", "Resource": f"arn:{partition}:states:::lambda:invoke",
            "Parameters": {"FunctionName": analyze, "Payload": payload},
            "ResultPath": None, "Retry": _retry(), "Next": "Analyze"}}
        analyze_state = {
            "Type": "Task", "Resource": f"arn:{partition}:states:::ecs:runTask.sync",
            "Parameters": {
                "LaunchType": "FARGATE", "Cluster": "${Cluster}",
                "TaskDefinition": "${TaskDefinition}",
                "NetworkConfiguration": {"AwsvpcConfiguration": {
                    "Subnets": ["${Subnet}"], "SecurityGroups": ["${SecurityGroup}"],
                    "AssignPublicIp": "DISABLED"}},
                "Overrides": {"ContainerOverrides": [{
                    "Name": "analyze",
                    "Environment": [
                        {"Name": "RUN_ID", "Value.$": "$.discovery.run_id"}]}]}},
            "Retry": [{"ErrorEquals": ["ECS.AmazonECSException", "States.Timeout"],
                       "IntervalSeconds": 30, "MaxAttempts": 2, "BackoffRate": 2.0}],
            "End": True}
    else:
        analyze_state = {
            "Type": "Task", "Resource": f"arn:{partition}:states:::lambda:invoke",
            "Parameters": {"FunctionName": analyze, "Payload": payload},
            "ResultSelector": {"result.$": "$.Payload"},
            "Retry": _retry(), "End": True}
    return {
        "Comment": "secretgraph organization-scale scan: discover, collect per account batch "
                   "(Distributed Map), merge and analyse",
        "StartAt": "ListAccounts",
        "States": {
            "ListAccounts": {
                "Type": "Task", "Resource": f"arn:{partition}:states:::lambda:invoke",
                "Parameters": {"FunctionName": list_accounts,
                               "Payload": {"run_id.$": "$$.Execution.Name"}},
                "ResultSelector": {"run_id.$": "$.Payload.run_id",
                                   "accounts.$": "$.Payload.accounts"},
                "ResultPath": "$.discovery", "Retry": _retry(), "Next": "CollectAccounts"},
            "CollectAccounts": {
                "Type": "Map",
                "ItemsPath": "$.discovery.accounts",
                "ItemBatcher": {"MaxItemsPerBatchPath": "$.batch_size",
                                "BatchInput": {"run_id.$": "$.discovery.run_id"}},
                "MaxConcurrencyPath": "$.max_concurrency",
                "ToleratedFailurePercentagePath": "$.tolerated_failure_percentage",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "CollectBatch",
                    "States": {
                        "CollectBatch": collect_batch,
                        "RecordFailedBatch": {"Type": "Pass", "End": True},
                    }},
                "ResultPath": "$.results",
                "Next": "RecordFailedBatches" if fargate else "Analyze"},
            **record_state,
            "Analyze": analyze_state,
        },
    }


def _lambda(name: str, handler: Any, description: Any, *, memory: Any, timeout: int,
            env: dict[str, Any], role: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "DependsOn": [f"{name}LogGroup"],
        "Properties": {
            "FunctionName": _sub(f"${{AWS::StackName}}-{name.lower()}"),
            "Description": description, "Runtime": "python3.11", "Handler": handler,
            "Code": {"S3Bucket": _ref("CodeBucket"), "S3Key": _ref("CodeKey")},
            "Role": _getatt(role, "Arn"), "Timeout": timeout, "MemorySize": memory,
            "EphemeralStorage": {"Size": 4096},
            "Environment": {"Variables": env}}}


def _log_group(name: str) -> dict[str, Any]:
    return {"Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"LogGroupName": _sub(f"/aws/lambda/${{AWS::StackName}}-{name.lower()}"),
                           "RetentionInDays": 365}}


def _role(service: str, statements: list[Any], *extra: dict[str, Any],
          source_account: bool = True) -> dict[str, Any]:
    trust: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service},
                             "Action": "sts:AssumeRole"}
    if source_account:
        trust["Condition"] = {"StringEquals": {"aws:SourceAccount": _ref("AWS::AccountId")}}
    return {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]},
        "Policies": [{"PolicyName": "secretgraph", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": statements}}, *extra]}}


def org_scale_template() -> dict[str, Any]:
    """The organization-scale stack: the central stack's bucket, key and topic, plus a Standard
    workflow (Distributed Map) started by EventBridge Scheduler, three task functions, an
    optional ECS Fargate analysis task and an optional CloudTrail-driven re-read marker."""
    base = central_template()
    params = dict(base["Parameters"])
    params.update({
        "BatchSize": {"Type": "Number", "Default": 10, "MinValue": 1, "MaxValue": 100,
                      "Description": "Accounts per collector invocation (ItemBatcher)"},
        "MaxConcurrency": {"Type": "Number", "Default": 40, "MinValue": 1, "MaxValue": 1000,
                           "Description": "Collector invocations at once (Distributed Map)"},
        "ToleratedFailurePercentage": {
            "Type": "Number", "Default": 10, "MinValue": 0, "MaxValue": 100,
            "Description": "Map runs whose failed batches exceed this fail the execution "
                           "(caught batches are coverage entries and do not count)"},
        "PolicyTps": {"Type": "Number", "Default": 25, "MinValue": 1, "MaxValue": 45,
                      "Description": "GetResourcePolicy per second per account and Region "
                                     "(AWS's bucket: 50, shared with PutResourcePolicy)"},
        "AnalysisRunner": {"Type": "String", "Default": "lambda",
                           "AllowedValues": ["lambda", "fargate"],
                           "Description": "Where the merge and analysis run: Lambda (up to "
                                          "10 GB) or an ECS Fargate task"},
        "AnalysisMemory": {"Type": "Number", "Default": 4096, "MinValue": 1024,
                           "MaxValue": 10240, "Description": "Analysis function memory (MB)"},
        "AnalysisImage": {"Type": "String", "Default": "",
                          "Description": "Container image of the package (AnalysisRunner "
                                         "fargate)"},
        "AnalysisSubnet": {"Type": "String", "Default": "",
                           "Description": "Private subnet of the Fargate task"},
        "AnalysisSecurityGroup": {"Type": "String", "Default": "",
                                  "Description": "Security group of the Fargate task"},
        "PartsRetentionDays": {"Type": "Number", "Default": 14, "MinValue": 1,
                               "Description": "Days to keep the parts of a run"},
        "ReReadOnChange": {"Type": "String", "Default": "false",
                           "AllowedValues": ["true", "false"],
                           "Description": "CloudTrail rule: mark resources whose policy "
                                          "changed for re-read in the next run"},
    })
    conditions = dict(base["Conditions"])
    conditions.update({
        "UseFargate": {"Fn::Equals": [_ref("AnalysisRunner"), "fargate"]},
        "ReRead": {"Fn::Equals": [_ref("ReReadOnChange"), "true"]},
    })
    keep = ("HistoryKeyAlias", "HistoryBucketPolicy", "NotificationTopic",
            "NotificationTopicPolicy", "NotificationEmail")
    resources: dict[str, Any] = {k: base["Resources"][k] for k in keep}
    history_key = json.loads(json.dumps(base["Resources"]["HistoryKey"]))
    # EventBridge writes the CloudTrail rule's messages into the queue, encrypted with this key
    history_key["Properties"]["KeyPolicy"]["Statement"].append({"Fn::If": ["ReRead", {
        "Sid": "EventBridgeEncryptsReReadQueue", "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": _ref("AWS::AccountId")}}},
        _ref("AWS::NoValue")]})
    resources["HistoryKey"] = history_key
    bucket = json.loads(json.dumps(base["Resources"]["HistoryBucket"]))
    bucket["Properties"]["LifecycleConfiguration"]["Rules"].append({
        "Id": "ExpireOldParts", "Status": "Enabled",
        "Prefix": _sub("${HistoryPrefix}/parts/"),
        "ExpirationInDays": _ref("PartsRetentionDays"),
        "NoncurrentVersionExpiration": {"NoncurrentDays": 1}})
    resources["HistoryBucket"] = bucket

    key_arn = _getatt("HistoryKey", "Arn")
    bucket_arn = _getatt("HistoryBucket", "Arn")
    parts_arn = _sub("${HistoryBucket.Arn}/${HistoryPrefix}/parts/*")
    history_arn = _sub("${HistoryBucket.Arn}/${HistoryPrefix}/*")
    parts_uri = _sub("s3://${HistoryBucket}/${HistoryPrefix}/parts")
    env = {
        "SECRETGRAPH_ROLE_NAME": _ref("AuditRoleName"),
        "SECRETGRAPH_EXTERNAL_ID": _ref("ExternalId"),
        "SECRETGRAPH_REGIONS": _ref("Regions"),
        "SECRETGRAPH_ORG_MODE": _ref("OrgMode"),
        "SECRETGRAPH_ACCOUNTS": _ref("Accounts"),
        "SECRETGRAPH_HISTORY_URI": _sub("s3://${HistoryBucket}/${HistoryPrefix}"),
        "SECRETGRAPH_SNS_TOPIC_ARN": _ref("NotificationTopic"),
        "SECRETGRAPH_SECURITYHUB": _ref("SecurityHubMode"),
        "SECRETGRAPH_CENTRAL_ACCOUNT": _ref("AWS::AccountId"),
        "SECRETGRAPH_PARTS_URI": parts_uri,
        "SECRETGRAPH_PARTS_KMS_KEY": key_arn,
        "SECRETGRAPH_POLICY_TPS": _ref("PolicyTps"),
        "SECRETGRAPH_REREAD_QUEUE_URL": {"Fn::If": ["ReRead", _ref("ReReadQueue"), ""]},
        **{v: _ref(p) for v, p in INPUT_FILE_PARAMETERS.items()},
    }
    deny_values = {"Sid": "NeverReadSecretValues", "Effect": "Deny",
                   "Action": list(NEVER_ALLOWED), "Resource": "*"}
    use_key = {"Sid": "UseHistoryKey", "Effect": "Allow",
               "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": key_arn}
    list_parts = {"Sid": "ListParts", "Effect": "Allow", "Action": "s3:ListBucket",
                  "Resource": bucket_arn,
                  "Condition": {"StringLike": {"s3:prefix": [_sub("${HistoryPrefix}/*")]}}}

    def logs(name: str) -> dict[str, Any]:
        return {"PolicyName": "write-own-logs", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": _sub(f"${{{name}LogGroup.Arn}}")}]}}

    read_only = {"PolicyName": "secretgraph-read-only", "PolicyDocument": _read_only_policy()}
    # discovery: Organizations, the parts (its manifest and the run's carry files); it reads
    # the history (the last complete scan and its re-read marks) and, with ReReadOnChange,
    # moves the queue's change events into re-read marks; no audit role needed
    resources["ListAccountsRole"] = _role("lambda.amazonaws.com", [
        {"Sid": "DiscoverOrganization", "Effect": "Allow",
         "Action": _scanner_discovery_actions(), "Resource": "*"},
        {"Sid": "WriteManifestAndCarry", "Effect": "Allow", "Action": "s3:PutObject",
         "Resource": parts_arn},
        list_parts,
        {"Sid": "ReadHistory", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": history_arn},
        {"Fn::If": ["ReRead", {
            "Sid": "WriteReReadMarks", "Effect": "Allow", "Action": "s3:PutObject",
            "Resource": _sub("${HistoryBucket.Arn}/${HistoryPrefix}/marks/*")},
            _ref("AWS::NoValue")]},
        {"Fn::If": ["ReRead", {
            "Sid": "ConsumeReReadQueue", "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
            "Resource": _getatt("ReReadQueue", "Arn")}, _ref("AWS::NoValue")]},
        _read_input_files(), use_key, deny_values], logs("ListAccounts"))
    # collectors: assume the audit role, read (the central account with their own role),
    # read their accounts' carry files, write parts; they never read the history
    resources["CollectRole"] = _role("lambda.amazonaws.com", [
        {"Sid": "AssumeAuditRoleInMembers", "Effect": "Allow", "Action": "sts:AssumeRole",
         "Resource": _sub("arn:${AWS::Partition}:iam::*:role/${AuditRoleName}")},
        # each batch asks whether its home account is in an organization (the SCP gate of a
        # scan without --org: discovery.with_membership); review: denied, every OrgMode=false
        # night was incomplete with the SCP gate UNKNOWN everywhere
        {"Sid": "OrganizationMembership", "Effect": "Allow",
         "Action": "organizations:DescribeOrganization", "Resource": "*"},
        {"Sid": "WriteParts", "Effect": "Allow", "Action": "s3:PutObject",
         "Resource": parts_arn},
        {"Sid": "ReadCarry", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": _sub("${HistoryBucket.Arn}/${HistoryPrefix}/parts/*/carry/*")},
        _read_input_files(), use_key, deny_values], read_only, logs("Collect"))
    analysis_statements: list[Any] = [
        list_parts,
        {"Sid": "ReadPartsReadWriteHistory", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:PutObject"], "Resource": history_arn},
        use_key,
        {"Sid": "Notify", "Effect": "Allow", "Action": "sns:Publish",
         "Resource": _ref("NotificationTopic")},
        {"Fn::If": ["SecurityHubOn", {
            "Sid": "ImportFindings", "Effect": "Allow",
            "Action": "securityhub:BatchImportFindings",
            "Resource": _sub("arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:"
                             "product/${AWS::AccountId}/default")}, _ref("AWS::NoValue")]},
        _update_workflow(),
        _read_input_files(),
        deny_values]
    resources["AnalyzeRole"] = _role("lambda.amazonaws.com", analysis_statements,
                                     logs("Analyze"))
    for name, handler, desc, memory, timeout, role in (
            # it reads the last complete snapshot for incremental collection
            ("ListAccounts", f"{TASKS}.list_accounts", "secretgraph: discover the accounts",
             2048, 900, "ListAccountsRole"),
            ("Collect", f"{TASKS}.collect_batch", "secretgraph: collect a batch of accounts",
             2048, 900, "CollectRole"),
            # with AnalysisRunner fargate the ECS task analyses; this function records the
            # failed batches for it (the Map's results do not fit the task's overrides)
            ("Analyze", {"Fn::If": ["UseFargate", f"{TASKS}.record_failures",
                                    f"{TASKS}.analyze"]},
             {"Fn::If": ["UseFargate", "secretgraph: record the failed batches of a run",
                         "secretgraph: merge, evaluate, record, notify"]},
             _ref("AnalysisMemory"), 900, "AnalyzeRole")):
        resources[f"{name}LogGroup"] = _log_group(name)
        resources[f"{name}Function"] = _lambda(name, handler, desc, memory=memory,
                                               timeout=timeout, env=env, role=role)

    # ECS Fargate analysis (AnalysisRunner fargate): same package, same environment
    resources["AnalysisCluster"] = {
        "Type": "AWS::ECS::Cluster", "Condition": "UseFargate",
        "Properties": {"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]}}
    resources["AnalysisTaskLogGroup"] = {
        "Type": "AWS::Logs::LogGroup", "Condition": "UseFargate",
        "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
        "Properties": {"LogGroupName": _sub("/ecs/${AWS::StackName}-analyze"),
                       "RetentionInDays": 365}}
    resources["AnalysisExecutionRole"] = {
        "Type": "AWS::IAM::Role", "Condition": "UseFargate",
        "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole"}]},
            "ManagedPolicyArns": [_sub("arn:${AWS::Partition}:iam::aws:policy/service-role/"
                                       "AmazonECSTaskExecutionRolePolicy")]}}
    resources["AnalysisTaskRole"] = {
        **_role("ecs-tasks.amazonaws.com", analysis_statements), "Condition": "UseFargate"}
    container_env = [{"Name": k, "Value": v} for k, v in env.items()]
    resources["AnalysisTaskDefinition"] = {
        "Type": "AWS::ECS::TaskDefinition", "Condition": "UseFargate",
        "Properties": {
            "RequiresCompatibilities": ["FARGATE"], "NetworkMode": "awsvpc",
            "Cpu": "4096", "Memory": "30720",
            "EphemeralStorage": {"SizeInGiB": 50},
            "ExecutionRoleArn": _getatt("AnalysisExecutionRole", "Arn"),
            "TaskRoleArn": _getatt("AnalysisTaskRole", "Arn"),
            "ContainerDefinitions": [{
                "Name": "analyze", "Image": _ref("AnalysisImage"), "Essential": True,
                # the image's own ENTRYPOINT (the Dockerfile's is ["secretgraph"]) is
                # replaced: EntryPoint + Command is the whole command that runs
                "EntryPoint": ["python", "-m", "scanner.deploy.tasks"],
                "Command": ["analyze"],
                "Environment": container_env,
                "LogConfiguration": {"LogDriver": "awslogs", "Options": {
                    "awslogs-group": _ref("AnalysisTaskLogGroup"),
                    "awslogs-region": _ref("AWS::Region"),
                    "awslogs-stream-prefix": "analyze"}}}]}}

    functions = [_getatt(f"{n}Function", "Arn") for n in ("ListAccounts", "Collect", "Analyze")]
    invoke_targets = functions + [_sub(f"${{{n}Function.Arn}}:*")
                                  for n in ("ListAccounts", "Collect", "Analyze")]
    sm_statements: list[Any] = [
        {"Sid": "InvokeTasks", "Effect": "Allow", "Action": "lambda:InvokeFunction",
         "Resource": invoke_targets},
        # a Distributed Map starts child executions of its own state machine
        {"Sid": "RunChildWorkflows", "Effect": "Allow", "Action": "states:StartExecution",
         "Resource": _sub("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:"
                          "stateMachine:${AWS::StackName}-nightly")},
        {"Sid": "ManageChildWorkflows", "Effect": "Allow",
         "Action": ["states:DescribeExecution", "states:StopExecution"],
         "Resource": _sub("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:"
                          "execution:${AWS::StackName}-nightly/*")},
        {"Fn::If": ["UseFargate", {
            "Sid": "RunAnalysisTask", "Effect": "Allow", "Action": "ecs:RunTask",
            "Resource": _ref("AnalysisTaskDefinition")}, _ref("AWS::NoValue")]},
        {"Fn::If": ["UseFargate", {
            "Sid": "WatchAnalysisTask", "Effect": "Allow",
            "Action": ["ecs:StopTask", "ecs:DescribeTasks"], "Resource": "*",
            "Condition": {"ArnEquals": {"ecs:cluster": _getatt("AnalysisCluster", "Arn")}}},
            _ref("AWS::NoValue")]},
        {"Fn::If": ["UseFargate", {
            "Sid": "SyncRunTaskRule", "Effect": "Allow",
            "Action": ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            "Resource": _sub("arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:"
                             "rule/StepFunctionsGetEventsForECSTaskRule")},
            _ref("AWS::NoValue")]},
        {"Fn::If": ["UseFargate", {
            "Sid": "PassAnalysisRoles", "Effect": "Allow", "Action": "iam:PassRole",
            "Resource": [_getatt("AnalysisTaskRole", "Arn"),
                         _getatt("AnalysisExecutionRole", "Arn")]}, _ref("AWS::NoValue")]},
    ]
    resources["StateMachineRole"] = _role("states.amazonaws.com", sm_statements)
    lambda_def = org_scale_definition(list_accounts="${ListAccounts}", collect="${Collect}",
                                      analyze="${Analyze}", partition="${Partition}")
    fargate_def = org_scale_definition(list_accounts="${ListAccounts}", collect="${Collect}",
                                       analyze="${Analyze}", fargate=True,
                                       partition="${Partition}")
    subs = {"Partition": _ref("AWS::Partition"),
            "ListAccounts": _getatt("ListAccountsFunction", "Arn"),
            "Collect": _getatt("CollectFunction", "Arn"),
            "Analyze": _getatt("AnalyzeFunction", "Arn"),
            "Cluster": {"Fn::If": ["UseFargate", _getatt("AnalysisCluster", "Arn"), "none"]},
            "TaskDefinition": {"Fn::If": ["UseFargate", _ref("AnalysisTaskDefinition"),
                                          "none"]},
            "Subnet": _ref("AnalysisSubnet"), "SecurityGroup": _ref("AnalysisSecurityGroup")}
    resources["StateMachineLogGroup"] = {
        "Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {"LogGroupName": _sub("/aws/vendedlogs/states/${AWS::StackName}-nightly"),
                       "RetentionInDays": 365}}
    sm_statements.append({
        "Sid": "DeliverLogs", "Effect": "Allow",
        "Action": ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                   "logs:DeleteLogDelivery", "logs:ListLogDeliveries",
                   "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
                   "logs:DescribeLogGroups"],
        "Resource": "*"})
    # TracingConfiguration Enabled: the state machine sends its traces with its own role
    # (X-Ray's AWSXrayWriteOnlyAccess actions)
    sm_statements.append({
        "Sid": "SendTraces", "Effect": "Allow",
        "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords",
                   "xray:GetSamplingRules", "xray:GetSamplingTargets"],
        "Resource": "*"})
    resources["NightlyStateMachine"] = {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {
            "StateMachineName": _sub("${AWS::StackName}-nightly"),
            "StateMachineType": "STANDARD",
            "RoleArn": _getatt("StateMachineRole", "Arn"),
            "Definition": {"Fn::If": ["UseFargate", fargate_def, lambda_def]},
            "DefinitionSubstitutions": subs,
            "LoggingConfiguration": {
                "Level": "ERROR", "IncludeExecutionData": False,
                "Destinations": [{"CloudWatchLogsLogGroup": {
                    "LogGroupArn": _getatt("StateMachineLogGroup", "Arn")}}]},
            "TracingConfiguration": {"Enabled": True}}}
    resources["ScheduleRole"] = _role("scheduler.amazonaws.com", [{
        "Effect": "Allow", "Action": "states:StartExecution",
        "Resource": _ref("NightlyStateMachine")}])
    resources["NightlySchedule"] = {
        "Type": "AWS::Scheduler::Schedule",
        "Properties": {
            "Description": "secretgraph nightly organization-scale scan",
            "ScheduleExpression": _ref("ScheduleExpression"),
            "ScheduleExpressionTimezone": _ref("ScheduleTimezone"),
            "FlexibleTimeWindow": {"Mode": "OFF"}, "State": "ENABLED",
            "Target": {
                "Arn": _ref("NightlyStateMachine"), "RoleArn": _getatt("ScheduleRole", "Arn"),
                "Input": _sub('{"batch_size": ${BatchSize}, "max_concurrency": '
                              '${MaxConcurrency}, "tolerated_failure_percentage": '
                              '${ToleratedFailurePercentage}}'),
                "RetryPolicy": {"MaximumRetryAttempts": 0}}}}
    # optional: policy changes in the central account are recorded for the next run's re-read
    resources["ReReadQueue"] = {
        "Type": "AWS::SQS::Queue", "Condition": "ReRead",
        "Properties": {"KmsMasterKeyId": _ref("HistoryKey"),
                       "MessageRetentionPeriod": 1209600}}
    resources["ReReadQueuePolicy"] = {
        "Type": "AWS::SQS::QueuePolicy", "Condition": "ReRead",
        "Properties": {"Queues": [_ref("ReReadQueue")], "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{
                "Sid": "FromTheRule", "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
                "Resource": _getatt("ReReadQueue", "Arn"),
                "Condition": {"ArnEquals": {"aws:SourceArn": _getatt("ReReadRule", "Arn")}}}]}}}
    resources["ReReadRule"] = {
        "Type": "AWS::Events::Rule", "Condition": "ReRead",
        "Properties": {
            "Description": "secretgraph: secret and key policy changes to re-read next run",
            "State": "ENABLED",
            "EventPattern": {
                "source": ["aws.secretsmanager", "aws.kms"],
                "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {"eventName": ["PutResourcePolicy", "DeleteResourcePolicy",
                                         "UpdateSecret", "PutKeyPolicy"]}},
            "Targets": [{"Id": "re-read-queue", "Arn": _getatt("ReReadQueue", "Arn")}]}}
    # a night that fails, times out or is aborted is not silent: Step Functions sends an
    # "Execution Status Change" event to EventBridge for a standard workflow, and a rule sends
    # it to the notification topic (deployment trial: the org-scale stack had no signal for a
    # failed execution, only the Step Functions console)
    resources["FailedNightRule"] = {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "Description": "secretgraph: a nightly organization-scale run that did not succeed",
            "State": "ENABLED",
            "EventPattern": {
                "source": ["aws.states"],
                "detail-type": ["Step Functions Execution Status Change"],
                "detail": {"status": ["FAILED", "TIMED_OUT", "ABORTED"],
                           "stateMachineArn": [_ref("NightlyStateMachine")]}},
            "Targets": [{"Id": "notify", "Arn": _ref("NotificationTopic")}]}}
    topic_policy = json.loads(json.dumps(resources["NotificationTopicPolicy"]))
    topic_policy["Properties"]["PolicyDocument"]["Statement"].append({
        "Sid": "FailedNightRulePublishes", "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish",
        "Resource": _ref("NotificationTopic"),
        "Condition": {"ArnEquals": {"aws:SourceArn": _getatt("FailedNightRule", "Arn")}}})
    resources["NotificationTopicPolicy"] = topic_policy
    # the topic is encrypted with the history key: EventBridge needs to encrypt its message
    history_key["Properties"]["KeyPolicy"]["Statement"].append({
        "Sid": "EventBridgeEncryptsNotifications", "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": _ref("AWS::AccountId")}}})
    outputs = {
        "HistoryUri": {"Description": "secretgraph --history for this deployment",
                       "Value": _sub("s3://${HistoryBucket}/${HistoryPrefix}")},
        "PartsUri": {"Description": "secretgraph scan --from-parts for a run",
                     "Value": parts_uri},
        "StateMachineArn": {"Value": _ref("NightlyStateMachine")},
        "CollectRoleArn": {"Description": "ScannerRoleArn parameter of the member StackSet",
                           "Value": _getatt("CollectRole", "Arn")},
        "TopicArn": {"Value": _ref("NotificationTopic")},
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "secretgraph organization-scale scan: EventBridge Scheduler -> Step "
                       "Functions Distributed Map (generated by `secretgraph deploy-templates`)",
        "Parameters": params, "Rules": dict(base["Rules"]), "Conditions": conditions,
        "Resources": resources, "Outputs": outputs,
    }
