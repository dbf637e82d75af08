"""The organization-scale deployment's template (``secretgraph-org-scale.yaml``): a Step
Functions Standard workflow that lists the organization's accounts, collects them in shards
(one Lambda invocation each) and analyses the merged parts in a Lambda or, past its limits,
an ECS Fargate task (scanner.deploy.tasks), with the roles, log groups and schedule it needs.
Generated as data, as the other templates; scanner.deploy.render writes the three as files."""

from __future__ import annotations

import json
from typing import Any

from scanner.deploy.cfn import (deny_reading_secret_values, function_environment, getatt,
                                read_input_files, read_only_policy, ref, report_statements,
                                scanner_discovery_actions, sub)
from scanner.deploy.templates import central_template


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
            "FunctionName": sub(f"${{AWS::StackName}}-{name.lower()}"),
            "Description": description, "Runtime": "python3.11", "Handler": handler,
            "Code": {"S3Bucket": ref("CodeBucket"), "S3Key": ref("CodeKey")},
            "Role": getatt(role, "Arn"), "Timeout": timeout, "MemorySize": memory,
            "EphemeralStorage": {"Size": 4096},
            "Environment": {"Variables": env}}}


def _log_group(name: str) -> dict[str, Any]:
    return {"Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"LogGroupName": sub(f"/aws/lambda/${{AWS::StackName}}-{name.lower()}"),
                           "RetentionInDays": 365}}


def _role(service: str, statements: list[Any], *extra: dict[str, Any],
          source_account: bool = True) -> dict[str, Any]:
    trust: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service},
                             "Action": "sts:AssumeRole"}
    if source_account:
        trust["Condition"] = {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}
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
        "UseFargate": {"Fn::Equals": [ref("AnalysisRunner"), "fargate"]},
        "ReRead": {"Fn::Equals": [ref("ReReadOnChange"), "true"]},
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
        "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}},
        ref("AWS::NoValue")]})
    resources["HistoryKey"] = history_key
    bucket = json.loads(json.dumps(base["Resources"]["HistoryBucket"]))
    bucket["Properties"]["LifecycleConfiguration"]["Rules"].append({
        "Id": "ExpireOldParts", "Status": "Enabled",
        "Prefix": sub("${HistoryPrefix}/parts/"),
        "ExpirationInDays": ref("PartsRetentionDays"),
        "NoncurrentVersionExpiration": {"NoncurrentDays": 1}})
    resources["HistoryBucket"] = bucket

    key_arn = getatt("HistoryKey", "Arn")
    bucket_arn = getatt("HistoryBucket", "Arn")
    parts_arn = sub("${HistoryBucket.Arn}/${HistoryPrefix}/parts/*")
    history_arn = sub("${HistoryBucket.Arn}/${HistoryPrefix}/*")
    parts_uri = sub("s3://${HistoryBucket}/${HistoryPrefix}/parts")
    env = function_environment(
        SECRETGRAPH_PARTS_URI=parts_uri,
        SECRETGRAPH_PARTS_KMS_KEY=key_arn,
        SECRETGRAPH_REREAD_QUEUE_URL={"Fn::If": ["ReRead", ref("ReReadQueue"), ""]},
    )
    deny_values = deny_reading_secret_values()
    use_key = {"Sid": "UseHistoryKey", "Effect": "Allow",
               "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": key_arn}
    list_parts = {"Sid": "ListParts", "Effect": "Allow", "Action": "s3:ListBucket",
                  "Resource": bucket_arn,
                  "Condition": {"StringLike": {"s3:prefix": [sub("${HistoryPrefix}/*")]}}}

    def logs(name: str) -> dict[str, Any]:
        return {"PolicyName": "write-own-logs", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": sub(f"${{{name}LogGroup.Arn}}")}]}}

    read_only = {"PolicyName": "secretgraph-read-only", "PolicyDocument": read_only_policy()}
    # discovery: Organizations, the parts (its manifest and the run's carry files); it reads
    # the history (the last complete scan and its re-read marks) and, with ReReadOnChange,
    # moves the queue's change events into re-read marks; no audit role needed
    resources["ListAccountsRole"] = _role("lambda.amazonaws.com", [
        {"Sid": "DiscoverOrganization", "Effect": "Allow",
         "Action": scanner_discovery_actions(), "Resource": "*"},
        {"Sid": "WriteManifestAndCarry", "Effect": "Allow", "Action": "s3:PutObject",
         "Resource": parts_arn},
        list_parts,
        {"Sid": "ReadHistory", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": history_arn},
        {"Fn::If": ["ReRead", {
            "Sid": "WriteReReadMarks", "Effect": "Allow", "Action": "s3:PutObject",
            "Resource": sub("${HistoryBucket.Arn}/${HistoryPrefix}/marks/*")},
            ref("AWS::NoValue")]},
        {"Fn::If": ["ReRead", {
            "Sid": "ConsumeReReadQueue", "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
            "Resource": getatt("ReReadQueue", "Arn")}, ref("AWS::NoValue")]},
        read_input_files(), use_key, deny_values], logs("ListAccounts"))
    # collectors: assume the audit role, read (the central account with their own role),
    # read their accounts' carry files, write parts; they never read the history
    resources["CollectRole"] = _role("lambda.amazonaws.com", [
        {"Sid": "AssumeAuditRoleInMembers", "Effect": "Allow", "Action": "sts:AssumeRole",
         "Resource": sub("arn:${AWS::Partition}:iam::*:role/${AuditRoleName}")},
        # each batch asks whether its home account is in an organization (the SCP gate of a
        # scan without --org: discovery.with_membership); review: denied, every OrgMode=false
        # night was incomplete with the SCP gate UNKNOWN everywhere
        {"Sid": "OrganizationMembership", "Effect": "Allow",
         "Action": "organizations:DescribeOrganization", "Resource": "*"},
        {"Sid": "WriteParts", "Effect": "Allow", "Action": "s3:PutObject",
         "Resource": parts_arn},
        {"Sid": "ReadCarry", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": sub("${HistoryBucket.Arn}/${HistoryPrefix}/parts/*/carry/*")},
        read_input_files(), use_key, deny_values], read_only, logs("Collect"))
    analysis_statements: list[Any] = [
        list_parts,
        {"Sid": "ReadPartsReadWriteHistory", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:PutObject"], "Resource": history_arn},
        use_key,
        *report_statements()]
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
             ref("AnalysisMemory"), 900, "AnalyzeRole")):
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
        "Properties": {"LogGroupName": sub("/ecs/${AWS::StackName}-analyze"),
                       "RetentionInDays": 365}}
    resources["AnalysisExecutionRole"] = {
        "Type": "AWS::IAM::Role", "Condition": "UseFargate",
        "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole"}]},
            "ManagedPolicyArns": [sub("arn:${AWS::Partition}:iam::aws:policy/service-role/"
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
            "ExecutionRoleArn": getatt("AnalysisExecutionRole", "Arn"),
            "TaskRoleArn": getatt("AnalysisTaskRole", "Arn"),
            "ContainerDefinitions": [{
                "Name": "analyze", "Image": ref("AnalysisImage"), "Essential": True,
                # the image's own ENTRYPOINT (the Dockerfile's is ["secretgraph"]) is
                # replaced: EntryPoint + Command is the whole command that runs
                "EntryPoint": ["python", "-m", "scanner.deploy.tasks"],
                "Command": ["analyze"],
                "Environment": container_env,
                "LogConfiguration": {"LogDriver": "awslogs", "Options": {
                    "awslogs-group": ref("AnalysisTaskLogGroup"),
                    "awslogs-region": ref("AWS::Region"),
                    "awslogs-stream-prefix": "analyze"}}}]}}

    functions = [getatt(f"{n}Function", "Arn") for n in ("ListAccounts", "Collect", "Analyze")]
    invoke_targets = functions + [sub(f"${{{n}Function.Arn}}:*")
                                  for n in ("ListAccounts", "Collect", "Analyze")]
    sm_statements: list[Any] = [
        {"Sid": "InvokeTasks", "Effect": "Allow", "Action": "lambda:InvokeFunction",
         "Resource": invoke_targets},
        # a Distributed Map starts child executions of its own state machine
        {"Sid": "RunChildWorkflows", "Effect": "Allow", "Action": "states:StartExecution",
         "Resource": sub("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:"
                          "stateMachine:${AWS::StackName}-nightly")},
        {"Sid": "ManageChildWorkflows", "Effect": "Allow",
         "Action": ["states:DescribeExecution", "states:StopExecution"],
         "Resource": sub("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:"
                          "execution:${AWS::StackName}-nightly/*")},
        {"Fn::If": ["UseFargate", {
            "Sid": "RunAnalysisTask", "Effect": "Allow", "Action": "ecs:RunTask",
            "Resource": ref("AnalysisTaskDefinition")}, ref("AWS::NoValue")]},
        {"Fn::If": ["UseFargate", {
            "Sid": "WatchAnalysisTask", "Effect": "Allow",
            "Action": ["ecs:StopTask", "ecs:DescribeTasks"], "Resource": "*",
            "Condition": {"ArnEquals": {"ecs:cluster": getatt("AnalysisCluster", "Arn")}}},
            ref("AWS::NoValue")]},
        {"Fn::If": ["UseFargate", {
            "Sid": "SyncRunTaskRule", "Effect": "Allow",
            "Action": ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            "Resource": sub("arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:"
                             "rule/StepFunctionsGetEventsForECSTaskRule")},
            ref("AWS::NoValue")]},
        {"Fn::If": ["UseFargate", {
            "Sid": "PassAnalysisRoles", "Effect": "Allow", "Action": "iam:PassRole",
            "Resource": [getatt("AnalysisTaskRole", "Arn"),
                         getatt("AnalysisExecutionRole", "Arn")]}, ref("AWS::NoValue")]},
    ]
    resources["StateMachineRole"] = _role("states.amazonaws.com", sm_statements)
    lambda_def = org_scale_definition(list_accounts="${ListAccounts}", collect="${Collect}",
                                      analyze="${Analyze}", partition="${Partition}")
    fargate_def = org_scale_definition(list_accounts="${ListAccounts}", collect="${Collect}",
                                       analyze="${Analyze}", fargate=True,
                                       partition="${Partition}")
    subs = {"Partition": ref("AWS::Partition"),
            "ListAccounts": getatt("ListAccountsFunction", "Arn"),
            "Collect": getatt("CollectFunction", "Arn"),
            "Analyze": getatt("AnalyzeFunction", "Arn"),
            "Cluster": {"Fn::If": ["UseFargate", getatt("AnalysisCluster", "Arn"), "none"]},
            "TaskDefinition": {"Fn::If": ["UseFargate", ref("AnalysisTaskDefinition"),
                                          "none"]},
            "Subnet": ref("AnalysisSubnet"), "SecurityGroup": ref("AnalysisSecurityGroup")}
    resources["StateMachineLogGroup"] = {
        "Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {"LogGroupName": sub("/aws/vendedlogs/states/${AWS::StackName}-nightly"),
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
            "StateMachineName": sub("${AWS::StackName}-nightly"),
            "StateMachineType": "STANDARD",
            "RoleArn": getatt("StateMachineRole", "Arn"),
            "Definition": {"Fn::If": ["UseFargate", fargate_def, lambda_def]},
            "DefinitionSubstitutions": subs,
            "LoggingConfiguration": {
                "Level": "ERROR", "IncludeExecutionData": False,
                "Destinations": [{"CloudWatchLogsLogGroup": {
                    "LogGroupArn": getatt("StateMachineLogGroup", "Arn")}}]},
            "TracingConfiguration": {"Enabled": True}}}
    resources["ScheduleRole"] = _role("scheduler.amazonaws.com", [{
        "Effect": "Allow", "Action": "states:StartExecution",
        "Resource": ref("NightlyStateMachine")}])
    resources["NightlySchedule"] = {
        "Type": "AWS::Scheduler::Schedule",
        "Properties": {
            "Description": "secretgraph nightly organization-scale scan",
            "ScheduleExpression": ref("ScheduleExpression"),
            "ScheduleExpressionTimezone": ref("ScheduleTimezone"),
            "FlexibleTimeWindow": {"Mode": "OFF"}, "State": "ENABLED",
            "Target": {
                "Arn": ref("NightlyStateMachine"), "RoleArn": getatt("ScheduleRole", "Arn"),
                "Input": sub('{"batch_size": ${BatchSize}, "max_concurrency": '
                              '${MaxConcurrency}, "tolerated_failure_percentage": '
                              '${ToleratedFailurePercentage}}'),
                "RetryPolicy": {"MaximumRetryAttempts": 0}}}}
    # optional: policy changes in the central account are recorded for the next run's re-read
    resources["ReReadQueue"] = {
        "Type": "AWS::SQS::Queue", "Condition": "ReRead",
        "Properties": {"KmsMasterKeyId": ref("HistoryKey"),
                       "MessageRetentionPeriod": 1209600}}
    resources["ReReadQueuePolicy"] = {
        "Type": "AWS::SQS::QueuePolicy", "Condition": "ReRead",
        "Properties": {"Queues": [ref("ReReadQueue")], "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{
                "Sid": "FromTheRule", "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
                "Resource": getatt("ReReadQueue", "Arn"),
                "Condition": {"ArnEquals": {"aws:SourceArn": getatt("ReReadRule", "Arn")}}}]}}}
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
            "Targets": [{"Id": "re-read-queue", "Arn": getatt("ReReadQueue", "Arn")}]}}
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
                           "stateMachineArn": [ref("NightlyStateMachine")]}},
            "Targets": [{"Id": "notify", "Arn": ref("NotificationTopic")}]}}
    topic_policy = json.loads(json.dumps(resources["NotificationTopicPolicy"]))
    topic_policy["Properties"]["PolicyDocument"]["Statement"].append({
        "Sid": "FailedNightRulePublishes", "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish",
        "Resource": ref("NotificationTopic"),
        "Condition": {"ArnEquals": {"aws:SourceArn": getatt("FailedNightRule", "Arn")}}})
    resources["NotificationTopicPolicy"] = topic_policy
    # the topic is encrypted with the history key: EventBridge needs to encrypt its message
    history_key["Properties"]["KeyPolicy"]["Statement"].append({
        "Sid": "EventBridgeEncryptsNotifications", "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}})
    outputs = {
        "HistoryUri": {"Description": "secretgraph --history for this deployment",
                       "Value": sub("s3://${HistoryBucket}/${HistoryPrefix}")},
        "PartsUri": {"Description": "secretgraph scan --from-parts for a run",
                     "Value": parts_uri},
        "StateMachineArn": {"Value": ref("NightlyStateMachine")},
        "CollectRoleArn": {"Description": "ScannerRoleArn parameter of the member StackSet",
                           "Value": getatt("CollectRole", "Arn")},
        "TopicArn": {"Value": ref("NotificationTopic")},
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "secretgraph organization-scale scan: EventBridge Scheduler -> Step "
                       "Functions Distributed Map (generated by `secretgraph deploy-templates`)",
        "Parameters": params, "Rules": dict(base["Rules"]), "Conditions": conditions,
        "Resources": resources, "Outputs": outputs,
    }
