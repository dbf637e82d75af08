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

from pathlib import Path
from typing import Any

import yaml

CENTRAL_FILE = "secretgraph-central.yaml"
MEMBER_FILE = "secretgraph-member-role-stackset.yaml"
DEFAULT_SCHEDULE = "cron(0 2 * * ? *)"
DEFAULT_AUDIT_ROLE = "SecretgraphAudit"
HANDLER = "scanner.deploy.handler.handler"
NEVER_ALLOWED = ("secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue")


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
                       "Description": "Optional sts:ExternalId the audit role requires"},
        "Regions": {"Type": "String", "Default": "us-east-1",
                    "Description": "Comma-separated regions to scan"},
        "OrgMode": {"Type": "String", "Default": "true", "AllowedValues": ["true", "false"],
                    "Description": "Discover accounts through AWS Organizations"},
        "Accounts": {"Type": "String", "Default": "",
                     "Description": "Comma-separated account ids (when OrgMode is false)"},
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
    }
    conditions = {
        "HasEmail": {"Fn::Not": [{"Fn::Equals": [_ref("NotifyEmail"), ""]}]},
        "SecurityHubOn": {"Fn::Equals": [_ref("SecurityHubMode"), "central"]},
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
                        "NoncurrentDays": _ref("HistoryRetentionDays")}}]}}},
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
                }}}},
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
        "FunctionRoleArn": {"Description": "TrustedPrincipalArn for the member StackSet",
                            "Value": _getatt("FunctionRole", "Arn")},
        "FunctionName": {"Value": _ref("ScannerFunction")},
    }
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "secretgraph scheduled scan in the central security account "
                       "(generated by `secretgraph deploy-templates`)",
        "Parameters": parameters, "Conditions": conditions, "Resources": resources,
        "Outputs": outputs,
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


def render_templates(out_dir: str | Path) -> list[Path]:
    """Write both templates into out_dir (created if needed); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, template in ((CENTRAL_FILE, central_template()), (MEMBER_FILE, member_template())):
        path = out / name
        path.write_text(to_yaml(template), encoding="utf-8")
        written.append(path)
    return written
