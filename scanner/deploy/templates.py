"""CloudFormation templates for the scheduled deployment, generated as data.

* ``central_template()`` -- the central security account: the history bucket (SSE-KMS with a
  rotating customer-managed key, versioned, public access blocked, TLS only), the SNS topic
  (encrypted with the same key), the function's role (least privilege), the Lambda function
  (code from an S3 key parameter), its log group, and an EventBridge Scheduler schedule
  (nightly by default; ``ScheduleExpression`` parameter).
* ``member_template()`` -- the read-only audit role, deployed in every member account by a
  StackSet. Its policy is ``scanner.aws.permissions.iam_policy_document()``: generated from the
  collectors' declared permissions, with an explicit Deny of reading secret values.

The organization-scale workflow's template builds on the central one
(scanner.deploy.org_scale_template); what the templates share is scanner.deploy.cfn, and
scanner.deploy.render writes the three as YAML (``render_templates(out_dir)``).
"""

from __future__ import annotations

from typing import Any

from scanner.aws.permissions import AUDIT_ROLE as DEFAULT_AUDIT_ROLE
from scanner.deploy.cfn import (function_environment, getatt, read_only_policy, ref,
                                report_statements, scanner_discovery_actions, sub)

DEFAULT_SCHEDULE = "cron(0 2 * * ? *)"
HANDLER = "scanner.deploy.handler.handler"


#: the ExternalId parameters: empty (none) or what STS AssumeRole accepts (2 to 1224 characters
#: of [\w+=,.@:/-], scanner.aws.session.external_id_problem; bad-input trial round 1)
EXTERNAL_ID_PATTERN = "^$|^[\\w+=,.@:/-]{2,1224}$"


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


def _parameter_rules() -> dict[str, Any]:
    """Parameter combinations refused when the stack is created or updated. Accounts is used
    only with OrgMode false; with both set every night failed (deployment trial round 2), so
    the pair is refused naming the parameters (the function itself, configured by hand,
    ignores Accounts with a warning)."""
    return {"AccountsOnlyWithoutOrgMode": {
        "RuleCondition": {"Fn::Equals": [ref("OrgMode"), "true"]},
        "Assertions": [{
            "Assert": {"Fn::Equals": [ref("Accounts"), ""]},
            "AssertDescription": "Accounts is used only when OrgMode is false: set OrgMode "
                                 "to false to scan only the listed accounts, or leave "
                                 "Accounts empty to scan every account of the "
                                 "organization"}]}}


#: one severity, as NotifySeverities takes it (scanner.findings.Severity's names)
_SEVERITY = "(CRITICAL|HIGH|MEDIUM|LOW|INFORMATIONAL)"


def central_template() -> dict[str, Any]:
    """The central-account stack: bucket, key, topic, role, function, schedule."""
    bucket_arn = getatt("HistoryBucket", "Arn")
    prefix_arn = sub("${HistoryBucket.Arn}/${HistoryPrefix}/*")
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
        "PolicyTps": {"Type": "Number", "Default": 25, "MinValue": 1, "MaxValue": 45,
                      "Description": "GetResourcePolicy per second per account and Region "
                                     "(AWS's bucket: 50, shared with PutResourcePolicy)"},
        "NotifySeverities": {"Type": "String", "Default": "CRITICAL,HIGH",
                             "AllowedPattern": f"^{_SEVERITY}(,{_SEVERITY})*$",
                             "Description": "Severities whose new findings are notified "
                                            "(comma-separated)"},
        "FullRefreshDays": {"Type": "Number", "Default": 7, "MinValue": 1, "MaxValue": 3650,
                            "Description": "Read every secret's resource policy again at least "
                                           "this often (days; 1: every night), as scan "
                                           "--full-refresh-days: the nightly run carries "
                                           "unchanged policies from the last complete scan"},
        **_input_file_parameters(),
    }
    conditions = {
        "HasEmail": {"Fn::Not": [{"Fn::Equals": [ref("NotifyEmail"), ""]}]},
        "SecurityHubOn": {"Fn::Equals": [ref("SecurityHubMode"), "central"]},
        "HasInputFilesS3Prefix": {"Fn::Not": [{"Fn::Equals": [ref("InputFilesS3Prefix"),
                                                              ""]}]},
    }
    key_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AccountAdministers", "Effect": "Allow",
             "Principal": {"AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "ServicesEncryptForThisAccount", "Effect": "Allow",
             "Principal": {"Service": ["sns.amazonaws.com", "s3.amazonaws.com",
                                       "logs.amazonaws.com"]},
             "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}},
        ],
    }
    function_policy_statements: list[dict[str, Any]] = [
        {"Sid": "AssumeAuditRoleInMembers", "Effect": "Allow", "Action": "sts:AssumeRole",
         "Resource": sub("arn:${AWS::Partition}:iam::*:role/${AuditRoleName}")},
        {"Sid": "DiscoverOrganization", "Effect": "Allow",
         "Action": scanner_discovery_actions(), "Resource": "*"},
        {"Sid": "ListHistory", "Effect": "Allow", "Action": "s3:ListBucket",
         "Resource": bucket_arn,
         "Condition": {"StringLike": {"s3:prefix": [sub("${HistoryPrefix}/*"),
                                                    sub("${HistoryPrefix}")]}}},
        {"Sid": "ReadWriteHistory", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:PutObject"], "Resource": prefix_arn},
        {"Sid": "UseHistoryKey", "Effect": "Allow",
         "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
         "Resource": getatt("HistoryKey", "Arn")},
        *report_statements(),
    ]
    resources: dict[str, Any] = {
        "HistoryKey": {
            "Type": "AWS::KMS::Key",
            "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"Description": "secretgraph history bucket and topic",
                           "EnableKeyRotation": True, "KeyPolicy": key_policy}},
        "HistoryKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": sub("alias/secretgraph-${AWS::StackName}"),
                           "TargetKeyId": ref("HistoryKey")}},
        "HistoryBucket": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
                    "ServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": getatt("HistoryKey", "Arn")},
                    "BucketKeyEnabled": True}]},
                "VersioningConfiguration": {"Status": "Enabled"},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True, "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "LifecycleConfiguration": {"Rules": [{
                    "Id": "ExpireSupersededVersions", "Status": "Enabled",
                    "NoncurrentVersionExpiration": {
                        "NoncurrentDays": ref("HistoryRetentionDays")}}, {
                    # re-read marks matter only while a policy read before them may be carried
                    # (full_refresh_days, 7 by default)
                    "Id": "ExpireOldReReadMarks", "Status": "Enabled",
                    "Prefix": sub("${HistoryPrefix}/marks/"), "ExpirationInDays": 30,
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]}}},
        "HistoryBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": ref("HistoryBucket"),
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [bucket_arn, sub("${HistoryBucket.Arn}/*")],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}},
        "NotificationTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"DisplayName": "secretgraph nightly drift",
                           "KmsMasterKeyId": ref("HistoryKey")}},
        "NotificationTopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [ref("NotificationTopic")],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*",
                    "Action": "sns:Publish", "Resource": ref("NotificationTopic"),
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}},
        "NotificationEmail": {
            "Type": "AWS::SNS::Subscription", "Condition": "HasEmail",
            "Properties": {"TopicArn": ref("NotificationTopic"), "Protocol": "email",
                           "Endpoint": ref("NotifyEmail")}},
        "FunctionLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"LogGroupName": sub("/aws/lambda/${AWS::StackName}-scanner"),
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
                     "PolicyDocument": read_only_policy()},
                    {"PolicyName": "write-own-logs",
                     "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                         "Effect": "Allow",
                         "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                         "Resource": sub("${FunctionLogGroup.Arn}")}]}},
                ]}},
        "ScannerFunction": {
            "Type": "AWS::Lambda::Function",
            "DependsOn": ["FunctionLogGroup"],
            "Properties": {
                "FunctionName": sub("${AWS::StackName}-scanner"),
                "Description": "secretgraph nightly scan: history, drift, notification",
                "Runtime": "python3.11", "Handler": HANDLER,
                "Code": {"S3Bucket": ref("CodeBucket"), "S3Key": ref("CodeKey")},
                "Role": getatt("FunctionRole", "Arn"),
                "Timeout": 900, "MemorySize": 3008,
                "ReservedConcurrentExecutions": 1,
                "EphemeralStorage": {"Size": 4096},
                "Environment": {"Variables": function_environment()}}},
        # The schedule's RetryPolicy is EventBridge Scheduler's; Lambda retries an
        # asynchronous invocation that fails twice by default: not here (a failed night is
        # not run again hours later), and the failure is sent to the topic (OnFailure
        # destination, sent with the function's role, which may publish to it)
        "ScannerInvokeConfig": {
            "Type": "AWS::Lambda::EventInvokeConfig",
            "Properties": {
                "FunctionName": ref("ScannerFunction"), "Qualifier": "$LATEST",
                "MaximumRetryAttempts": 0,
                "DestinationConfig": {"OnFailure": {
                    "Destination": ref("NotificationTopic")}}}},
        "ScheduleRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}}]},
                "Policies": [{"PolicyName": "invoke-scanner", "PolicyDocument": {
                    "Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow", "Action": "lambda:InvokeFunction",
                        "Resource": getatt("ScannerFunction", "Arn")}]}}]}},
        "NightlySchedule": {
            "Type": "AWS::Scheduler::Schedule",
            "Properties": {
                "Description": "secretgraph nightly scan",
                "ScheduleExpression": ref("ScheduleExpression"),
                "ScheduleExpressionTimezone": ref("ScheduleTimezone"),
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "State": "ENABLED",
                "Target": {"Arn": getatt("ScannerFunction", "Arn"),
                           "RoleArn": getatt("ScheduleRole", "Arn"),
                           "Input": '{"source": "secretgraph-schedule"}',
                           "RetryPolicy": {"MaximumRetryAttempts": 0}}}},
    }
    outputs = {
        "HistoryUri": {"Description": "secretgraph --history for this deployment",
                       "Value": sub("s3://${HistoryBucket}/${HistoryPrefix}")},
        "TopicArn": {"Value": ref("NotificationTopic")},
        "FunctionRoleArn": {"Description": "ScannerRoleArn parameter of the member StackSet",
                            "Value": getatt("FunctionRole", "Arn")},
        "FunctionName": {"Value": ref("ScannerFunction")},
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
        "Conditions": {"HasExternalId": {"Fn::Not": [{"Fn::Equals": [ref("ExternalId"), ""]}]}},
        "Resources": {
            "AuditRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": ref("AuditRoleName"),
                    "Description": "secretgraph read-only audit (no secret values)",
                    "MaxSessionDuration": 3600,
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow",
                        "Principal": {"AWS": ref("ScannerRoleArn")},
                        "Action": "sts:AssumeRole",
                        "Condition": {"Fn::If": [
                            "HasExternalId",
                            {"StringEquals": {"sts:ExternalId": ref("ExternalId"),
                                              "aws:PrincipalAccount": ref("CentralAccountId")}},
                            {"StringEquals": {"aws:PrincipalAccount": ref("CentralAccountId")}},
                        ]}}]},
                    "Policies": [{"PolicyName": "secretgraph-read-only",
                                  "PolicyDocument": read_only_policy()}],
                }},
        },
        "Outputs": {"AuditRoleArn": {"Value": getatt("AuditRole", "Arn")}},
    }


