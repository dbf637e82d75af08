"""The organization-scale stack: the template (cfn-lint clean, least privilege), and its state
machine executed by moto's Step Functions interpreter, with the real task handlers of
scanner.deploy.tasks running in-process against the same moto (moto cannot run Lambda code
without Docker: its Lambda "simple" backend is replaced by a dispatcher to the handlers).

What moto's interpreter cannot parse is removed from the copy it runs (the real template keeps
it, and cfn-lint validates it there): ``ItemBatcher`` (no grammar rule in moto 5.2) is replaced
by an ``ItemSelector`` that hands each account over in the same batch shape, and
``ToleratedFailurePercentagePath`` is dropped.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import boto3
import pytest
from cfnlint.api import ManualArgs, lint
from moto import mock_aws
from moto.awslambda_simple.models import LambdaSimpleBackend

from scanner.deploy import tasks
from scanner.deploy.handler import Collaborators
from scanner.deploy.cfn import NEVER_ALLOWED
from scanner.deploy.org_scale_template import (
    ORG_SCALE_FILE,
    org_scale_definition,
    org_scale_template,
)
from scanner.deploy.render import render_templates
from scanner.history import open_store
from scanner.shards import read_manifests, open_parts

REGION = "us-east-1"
ROLE = "OrganizationAccountAccessRole"
BUCKET = "secretgraph-central"
CENTRAL = "123456789012"  # moto's account: the stack's own


def _statements(doc: Any) -> Iterator[dict[str, Any]]:
    if isinstance(doc, dict):
        if "Effect" in doc and "Action" in doc:
            yield doc
        for value in doc.values():
            yield from _statements(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _statements(value)


def test_org_scale_template_is_cfn_lint_clean(tmp_path: Path) -> None:
    (path,) = [p for p in render_templates(tmp_path) if p.name == ORG_SCALE_FILE]
    assert [str(m) for m in lint(path.read_text(),
                                 config=ManualArgs(regions=["us-east-1"]))] == []


def test_org_scale_template_shape_and_least_privilege() -> None:
    t = org_scale_template()
    res = t["Resources"]
    definition = res["NightlyStateMachine"]["Properties"]["Definition"]["Fn::If"][2]
    m = definition["States"]["CollectAccounts"]
    assert m["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert {"ItemBatcher", "MaxConcurrencyPath", "ToleratedFailurePercentagePath"} <= set(m)
    batch = m["ItemProcessor"]["States"]["CollectBatch"]
    assert "Lambda.TooManyRequestsException" in batch["Retry"][0]["ErrorEquals"]
    assert batch["Retry"][0]["BackoffRate"] > 1
    assert batch["Catch"][0]["ResultPath"] == "$.error"
    assert res["NightlySchedule"]["Properties"]["Target"]["Arn"] == {"Ref": "NightlyStateMachine"}
    # parts expire; every writer of parts uses the history key; nobody reads secret values
    rules = res["HistoryBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(r["Id"] == "ExpireOldParts" for r in rules)
    env = res["CollectFunction"]["Properties"]["Environment"]["Variables"]
    assert env["SECRETGRAPH_PARTS_KMS_KEY"] == {"Fn::GetAtt": ["HistoryKey", "Arn"]}
    for name in ("ListAccountsRole", "CollectRole", "AnalyzeRole", "StateMachineRole"):
        allows = {a for st in _statements(res[name]) if st["Effect"] == "Allow"
                  for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
        assert not allows & set(NEVER_ALLOWED)
        assert not any(a.endswith(":*") or a == "*" for a in allows), (name, allows)
    # only the collectors can assume the audit role; only the analysis reads the history
    assume = {name for name in res if name.endswith("Role") and any(
        "sts:AssumeRole" in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
        for st in _statements(res[name].get("Properties", {}).get("Policies", [])))}
    assert assume == {"CollectRole"}


def test_fargate_task_definition_runs_the_analysis_whatever_the_image_entrypoint() -> None:
    """Deployment-as-documented trial: the task definition gave Command [python, -m,
    scanner.deploy.tasks, analyze] and no EntryPoint, and the repository's image has
    ENTRYPOINT ["secretgraph"], so the task ran `secretgraph python -m ...` and failed. The
    container sets its EntryPoint, and EntryPoint + Command is a command that reaches the
    analysis (here: it stops at the missing configuration, not at a usage error)."""
    import shlex
    import subprocess
    import sys

    dockerfile = (Path(__file__).parents[2] / "Dockerfile").read_text()
    (entry,) = [line for line in dockerfile.splitlines() if line.startswith("ENTRYPOINT")]
    assert json.loads(entry.split(None, 1)[1]) == ["secretgraph"]  # what must be overridden
    (container,) = org_scale_template()["Resources"]["AnalysisTaskDefinition"]["Properties"][
        "ContainerDefinitions"]
    command = [*container["EntryPoint"], *container["Command"]]
    assert command == ["python", "-m", "scanner.deploy.tasks", "analyze"], shlex.join(command)
    env = {"PATH": "/usr/bin:/bin", "RUN_ID": "night-1"}  # no SECRETGRAPH_* variables
    ran = subprocess.run([sys.executable, *command[1:]], env=env, capture_output=True,
                         text=True, timeout=120, cwd=Path(__file__).parents[2])
    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.startswith("secretgraph analyze: error: SECRETGRAPH_PARTS_URI"), ran.stderr


# --------------------------------------------------------------------------- control flow


def _client(service: str, creds: dict[str, str] | None = None) -> Any:
    keys = creds or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client(service, region_name=REGION, **keys)


def moto_definition(arns: dict[str, str], fargate: bool = False) -> dict[str, Any]:
    definition = org_scale_definition(list_accounts=arns["list"], collect=arns["collect"],
                                      analyze=arns["analyze"], fargate=fargate)
    if fargate:  # moto runs no ECS task: the "fargate" function runs tasks.main with the
        # container overrides' environment as its payload
        task = definition["States"]["Analyze"]
        (container,) = task["Parameters"]["Overrides"]["ContainerOverrides"]
        payload = {(f"{v['Name']}.$" if "Value.$" in v else v["Name"]):
                   v.get("Value.$", v.get("Value")) for v in container["Environment"]}
        definition["States"]["Analyze"] = {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": arns["fargate"], "Payload": payload},
            "ResultSelector": {"result.$": "$.Payload"}, "End": True}
    m = definition["States"]["CollectAccounts"]
    del m["ItemBatcher"]  # not in moto's grammar: one account per batch, same shape
    del m["ToleratedFailurePercentagePath"]  # refused by moto's parser
    m["ItemSelector"] = {"Items.$": "States.Array($$.Map.Item.Value)",
                         "BatchInput": {"run_id.$": "$.discovery.run_id"}}
    # keep the test quick: the first retry after 1 s (the template's backoff stays)
    for retry in m["ItemProcessor"]["States"]["CollectBatch"]["Retry"]:
        retry["IntervalSeconds"] = 1
        retry.pop("JitterStrategy", None)
        retry.pop("MaxDelaySeconds", None)
    return definition


class Dispatcher:
    """Stands in for Lambda: runs the task handlers in-process (same moto), and can make one
    account's batch fail for good or be throttled a few times first."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.failing: set[str] = set()
        self.throttle: dict[str, int] = {}
        self.calls: list[tuple[str, tuple[str, ...]]] = []
        self.published: list[tuple[str, str]] = []
        self.overrides: list[dict[str, str]] = []
        self.handlers: dict[str, Callable[..., Any]] = {
            "list": tasks.list_accounts, "collect": tasks.collect_batch,
            "analyze": tasks.analyze}
        self.publish_failures = 0  # the next publishes that fail
        self.deps = tasks.TaskDeps(env=env, handler=Collaborators(env=env, publish=self.publish))

    def publish(self, arn: str, subject: str, message: str) -> None:
        if self.publish_failures:
            self.publish_failures -= 1
            raise RuntimeError("sns:Publish failed")
        self.published.append((subject, message))

    def __call__(self, backend: Any, function_name: str, qualifier: Any, body: Any,
                 headers: Any, response_headers: Any) -> bytes:
        event = json.loads(body or "{}")
        name = function_name.rsplit(":", 1)[-1]
        accounts = tuple(i["account_id"] for i in event.get("Items") or ())
        self.calls.append((name, accounts))
        if name == "collect":
            for account in accounts:
                if self.throttle.get(account, 0) > 0:
                    self.throttle[account] -= 1
                    from moto.core.exceptions import JsonRESTError

                    raise JsonRESTError("TooManyRequestsException", "Rate exceeded")
                if account in self.failing:
                    response_headers["x-amz-function-error"] = "Unhandled"
                    return json.dumps({"errorType": "CollectorCrashed",
                                       "errorMessage": f"boom in {account}"}).encode()
        if name == "fargate":  # the ECS task: `python -m scanner.deploy.tasks analyze`
            return self.run_task(event)
        handler: Callable[..., Any] = self.handlers[name]
        return json.dumps(handler(event, None, deps=self.deps), default=str).encode()

    def run_task(self, overrides: dict[str, str]) -> bytes:
        """The Fargate task with the state's container-override environment: tasks.main."""
        import contextlib
        import io

        env = {**self.env, **overrides}
        self.overrides.append(overrides)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = tasks.main(["analyze"], deps=dataclasses.replace(self.deps, env=env))
        assert code == 0
        return out.getvalue().encode()


@pytest.fixture()
def workflow(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    config = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
    with mock_aws(config=config):
        org = _client("organizations")
        org.create_organization(FeatureSet="ALL")
        members = [org.create_account(AccountName=f"m{i}", Email=f"m{i}@example.com")[
            "CreateAccountStatus"]["AccountId"] for i in range(3)]
        for account in members:
            c = _client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}",
                                           RoleSessionName="seed")["Credentials"]
            creds = {"aws_access_key_id": c["AccessKeyId"],
                     "aws_secret_access_key": c["SecretAccessKey"],
                     "aws_session_token": c["SessionToken"]}
            _client("secretsmanager", creds).create_secret(Name="app/db", SecretString="x")
        _client("s3").create_bucket(Bucket=BUCKET)
        key = _client("kms").create_key()["KeyMetadata"]["Arn"]
        env = template_env({"AuditRoleName": ROLE, "Regions": REGION,
                            "HistoryKey.Arn": key})
        dispatcher = Dispatcher(env)
        monkeypatch.setattr(LambdaSimpleBackend, "invoke",
                            lambda backend, *args: dispatcher(backend, *args))
        role = _client("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")[
            "Role"]["Arn"]
        arns = {}
        for name in ("list", "collect", "analyze", "fargate"):
            arns[name] = _client("lambda").create_function(
                FunctionName=name, Runtime="python3.11", Role=role, Handler="x.handler",
                Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18})["FunctionArn"]
        sfn = _client("stepfunctions")
        sm = sfn.create_state_machine(
            name="nightly", roleArn=role, definition=json.dumps(moto_definition(arns)))
        fargate = sfn.create_state_machine(
            name="nightly-fargate", roleArn=role,
            definition=json.dumps(moto_definition(arns, fargate=True)))
        yield {"arn": sm["stateMachineArn"], "fargate_arn": fargate["stateMachineArn"],
               "members": members, "dispatcher": dispatcher}


#: the stack's parameters and resources as the workflow tests deploy them (moto's account)
STACK = {"AWS::AccountId": CENTRAL, "AWS::Region": REGION, "AuditRoleName": ROLE,
         "ExternalId": "", "Regions": REGION, "OrgMode": "true", "Accounts": "",
         "HistoryBucket": BUCKET, "HistoryPrefix": "secretgraph",
         "NotificationTopic": f"arn:aws:sns:{REGION}:{CENTRAL}:t", "SecurityHubMode": "off",
         "PolicyTps": "25", "ReReadQueue": "", "ConfigFile": "", "SuppressionsFile": "",
         "BaselineFile": "", "FullRefreshDays": "7", "NotifySeverities": "CRITICAL,HIGH"}


def _resolve(value: Any, values: dict[str, str], conditions: dict[str, bool]) -> str:
    """A template value with Ref, Fn::Sub, Fn::GetAtt and Fn::If resolved from ``values``."""
    if isinstance(value, str):
        return value
    ((fn, arg),) = value.items()
    if fn == "Ref":
        return values[arg]
    if fn == "Fn::GetAtt":
        return values[".".join(arg)]
    if fn == "Fn::Sub":
        return re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], arg)
    if fn == "Fn::If":
        return _resolve(arg[1] if conditions[arg[0]] else arg[2], values, conditions)
    raise AssertionError(f"cannot resolve {fn}")


def template_env(overrides: dict[str, str], function: str = "CollectFunction",
                 conditions: dict[str, bool] | None = None) -> dict[str, str]:
    """The environment the org-scale template gives ``function``, every variable of it, with
    the stack's values (STACK, then ``overrides``): the tests run the handlers as deployed."""
    variables = org_scale_template()["Resources"][function]["Properties"]["Environment"][
        "Variables"]
    values = {**STACK, **overrides}
    return {name: _resolve(v, values, conditions or {"ReRead": False})
            for name, v in variables.items()}


def execute(arn: str, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sfn = _client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(
        {"batch_size": 1, "max_concurrency": 4, "tolerated_failure_percentage": 10}))
    deadline = time.monotonic() + 120
    while True:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    history = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
    return described, history


def test_success_every_account_collected_merged_and_recorded(
        workflow: dict[str, Any]) -> None:
    described, history = execute(workflow["arn"], "night-1")
    assert described["status"] == "SUCCEEDED", history[-3:]
    output = json.loads(described["output"])
    result = output["result"]
    assert result["run_id"] == "night-1" and result["complete"] is True
    assert result["failed_accounts"] == []
    collected = sorted(a for name, accts in workflow["dispatcher"].calls if name == "collect"
                       for a in accts)
    assert collected == sorted([*workflow["members"], "123456789012"])
    store = open_store(f"s3://{BUCKET}/secretgraph")
    (record,) = store.list()
    assert record.scan_id == "night-1" and record.complete
    parts = open_parts(f"s3://{BUCKET}/secretgraph/parts")
    shards = {m.shard for m in read_manifests(parts, "night-1")}
    assert "discovery" in shards and len(shards) == 5  # discovery + one per account


def test_batches_without_the_central_account_are_collected_with_the_template_env(
        workflow: dict[str, Any]) -> None:
    """Deployment-as-documented trial: with the template's environment (which always sets
    SECRETGRAPH_CENTRAL_ACCOUNT) every batch not holding the central account failed with
    "--central-account ... is not one of the scanned accounts" and became a coverage gap. A
    batch is a subset of the run's accounts; the merged scan still names the central one."""
    described, history = execute(workflow["arn"], "night-1")
    assert described["status"] == "SUCCEEDED", history[-3:]
    result = json.loads(described["output"])["result"]
    assert result["failed_accounts"] == [] and result["complete"] is True
    collected = {a for name, accts in workflow["dispatcher"].calls if name == "collect"
                 for a in accts}
    assert collected == {*workflow["members"], CENTRAL}
    meta = open_store(f"s3://{BUCKET}/secretgraph").load("night-1").snapshot.meta
    assert (meta.central_account, meta.central_account_source) == (CENTRAL, "flag")


def test_one_account_failing_is_a_coverage_entry_not_a_failed_run(
        workflow: dict[str, Any]) -> None:
    bad = workflow["members"][1]
    workflow["dispatcher"].failing.add(bad)
    described, history = execute(workflow["arn"], "night-2")
    assert described["status"] == "SUCCEEDED"
    result = json.loads(described["output"])["result"]
    assert result["failed_accounts"] == [bad]
    assert result["complete"] is False
    scan = open_store(f"s3://{BUCKET}/secretgraph").load("night-2")
    gaps = [c for c in scan.snapshot.coverage if c.error_code == "PartMissing"]
    assert [(g.account_id, "CollectorCrashed" in g.message) for g in gaps] == [(bad, True)]
    # a function error of our own code is not retried (only Lambda service errors and
    # throttling are): the batch was tried once, then caught
    assert workflow["dispatcher"].calls.count(("collect", (bad,))) == 1


def test_fargate_analysis_gets_the_run_id_only_and_still_records_failed_batches(
        workflow: dict[str, Any]) -> None:
    """Deployment-as-documented trial: the Fargate analysis got every Map result as the
    container-override variable FAILURES, and ECS RunTask allows 8192 characters of overrides
    in all (500 accounts at BatchSize 10 overflowed). The failed batches are recorded in the
    run's parts by a Lambda step before the task (the function AnalysisRunner=fargate leaves
    otherwise unused); the task gets RUN_ID alone, whatever the organization's size."""
    definition = org_scale_template()["Resources"]["NightlyStateMachine"]["Properties"][
        "Definition"]["Fn::If"][1]
    (container,) = definition["States"]["Analyze"]["Parameters"]["Overrides"][
        "ContainerOverrides"]
    assert container["Environment"] == [{"Name": "RUN_ID", "Value.$": "$.discovery.run_id"}]
    record = definition["States"]["RecordFailedBatches"]
    assert record["Parameters"]["Payload"] == {"run_id.$": "$.discovery.run_id",
                                               "results.$": "$.results"}
    assert record["Next"] == "Analyze" and record["ResultPath"] is None

    dispatcher = workflow["dispatcher"]
    dispatcher.handlers["analyze"] = tasks.record_failures  # the function's Fargate handler
    bad = workflow["members"][2]
    dispatcher.failing.add(bad)
    described, history = execute(workflow["fargate_arn"], "night-f")
    assert described["status"] == "SUCCEEDED", history[-3:]
    assert dispatcher.overrides == [{"RUN_ID": "night-f"}]
    result = json.loads(described["output"])["result"]
    assert result["failed_accounts"] == [bad] and result["complete"] is False
    scan = open_store(f"s3://{BUCKET}/secretgraph").load("night-f")
    gaps = [c for c in scan.snapshot.coverage if c.error_code == "PartMissing"]
    assert [(g.account_id, "CollectorCrashed" in g.message) for g in gaps] == [(bad, True)]


def test_a_redriven_analysis_of_a_recorded_run_sends_what_is_owed_and_succeeds(
        workflow: dict[str, Any]) -> None:
    """Deployment-as-documented trial: the Analyze step failed on its publish after recording
    the scan, and its redrive failed "scan 'night-2' is already recorded; the reports were
    written to /tmp/... (deleted)". A rerun of a recorded run records nothing again, sends the
    notification still owed, and succeeds."""
    dispatcher = workflow["dispatcher"]
    dispatcher.env["SECRETGRAPH_NOTIFY_SEVERITIES"] = "CRITICAL,HIGH,MEDIUM,LOW"
    dispatcher.publish_failures = 1
    described, _ = execute(workflow["arn"], "night-1")
    assert described["status"] == "FAILED"  # the publish failed after the scan was recorded
    store = open_store(f"s3://{BUCKET}/secretgraph")
    assert [r.scan_id for r in store.list()] == ["night-1"]
    assert dispatcher.published == []

    redriven = tasks.analyze({"run_id": "night-1", "results": []}, deps=dispatcher.deps)
    assert redriven["already_recorded"] is True and redriven["notified_late"] == ["night-1"]
    ((subject, message),) = dispatcher.published
    assert subject.endswith("(late)") and "secretgraph scan night-1" in message
    again = tasks.analyze({"run_id": "night-1", "results": []}, deps=dispatcher.deps)
    assert again["already_recorded"] is True and again["notified_late"] == []
    assert len(dispatcher.published) == 1
    assert [r.scan_id for r in store.list()] == ["night-1"]


def test_throttled_batches_are_retried_with_backoff(workflow: dict[str, Any]) -> None:
    slow = workflow["members"][0]
    workflow["dispatcher"].throttle[slow] = 2
    described, _ = execute(workflow["arn"], "night-3")
    assert described["status"] == "SUCCEEDED"
    result = json.loads(described["output"])["result"]
    assert result["complete"] is True and result["failed_accounts"] == []
    # two throttled attempts, then the one that worked
    assert workflow["dispatcher"].calls.count(("collect", (slow,))) == 3


# --------------------------------------------------------------------------- re-read on change


def test_reread_queue_wiring_in_the_template() -> None:
    t = org_scale_template()
    res = t["Resources"]
    assert t["Conditions"]["ReRead"] == {"Fn::Equals": [{"Ref": "ReReadOnChange"}, "true"]}
    rule = res["ReReadRule"]["Properties"]
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": ["ReReadQueue", "Arn"]}
    # every function gets the queue's URL (empty without ReReadOnChange)
    for name in ("ListAccounts", "Collect", "Analyze"):
        env = res[f"{name}Function"]["Properties"]["Environment"]["Variables"]
        assert env["SECRETGRAPH_REREAD_QUEUE_URL"] == {
            "Fn::If": ["ReRead", {"Ref": "ReReadQueue"}, ""]}
    # only discovery consumes the queue and writes marks into the history
    consumers = {name for name in res if name.endswith("Role") and any(
        "sqs:ReceiveMessage" in _actions(st) for st in _statements(res[name]))}
    assert consumers == {"ListAccountsRole"}
    discovery = list(_statements(res["ListAccountsRole"]))
    (consume,) = [st for st in discovery if "sqs:DeleteMessage" in _actions(st)]
    assert consume["Resource"] == {"Fn::GetAtt": ["ReReadQueue", "Arn"]}
    (marks,) = [st for st in discovery if st.get("Sid") == "WriteReReadMarks"]
    assert marks["Resource"] == {"Fn::Sub": "${HistoryBucket.Arn}/${HistoryPrefix}/marks/*"}
    # collectors read their carry files and nothing else of the bucket (and the input files
    # under InputFilesS3Prefix when it is given: deployment trial round 2)
    reads = [st["Resource"] for st in _statements(res["CollectRole"])
             if "s3:GetObject" in _actions(st)]
    assert reads == [{"Fn::Sub": "${HistoryBucket.Arn}/${HistoryPrefix}/parts/*/carry/*"},
                     {"Fn::Sub": "arn:${AWS::Partition}:s3:::${InputFilesS3Prefix}/*"}]
    # EventBridge may encrypt into the queue (it uses the history key)
    key_statements = res["HistoryKey"]["Properties"]["KeyPolicy"]["Statement"]
    (events,) = [s["Fn::If"][1] for s in key_statements if "Fn::If" in s]
    assert events["Principal"] == {"Service": "events.amazonaws.com"}
    rules = res["HistoryBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(r["Id"] == "ExpireOldReReadMarks" for r in rules)


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement.get("Action", [])
    return [action] if isinstance(action, str) else list(action)


def _rule_to_queue() -> str:
    """The template's CloudTrail rule, in moto, delivering to a queue; the queue's URL."""
    sqs, events = _client("sqs"), _client("events")
    url = sqs.create_queue(QueueName="reread")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    pattern = org_scale_template()["Resources"]["ReReadRule"]["Properties"]["EventPattern"]
    events.put_rule(Name="reread", EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule="reread", Targets=[{"Id": "q", "Arn": arn}])
    return url


def _cloudtrail(event_name: str, account: str, **detail: Any) -> None:
    """A CloudTrail API-call event as EventBridge sees it (moto takes aws.* sources)."""
    body = {"eventName": event_name, "awsRegion": REGION, "recipientAccountId": account,
            "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1)),
            **detail}
    source = "aws.kms" if event_name == "PutKeyPolicy" else "aws.secretsmanager"
    got = _client("events").put_events(Entries=[{
        "Source": source, "DetailType": "AWS API Call via CloudTrail",
        "Detail": json.dumps(body)}])
    assert got["FailedEntryCount"] == 0


def test_discovery_turns_the_queue_into_history_marks_and_carry_files(
        workflow: dict[str, Any]) -> None:
    from scanner.incremental import PolicyCarry
    from scanner.shards import carry_key

    dispatcher = workflow["dispatcher"]
    url = _rule_to_queue()
    dispatcher.env["SECRETGRAPH_REREAD_QUEUE_URL"] = url
    member, other = workflow["members"][:2]
    arn = f"arn:aws:secretsmanager:{REGION}:{other}:secret:app/db-AbCdEf"
    _cloudtrail("PutResourcePolicy", member, requestParameters={"secretId": "app/db"})
    _cloudtrail("UpdateSecret", other, requestParameters={"secretId": arn},
                responseElements={"arn": arn, "name": "app/db"})
    _cloudtrail("GetSecretValue", member, requestParameters={"secretId": "app/db"})  # filtered
    _client("sqs").send_message(QueueUrl=url, MessageBody="not an event")

    result = tasks.list_accounts({"run_id": "night-x"}, None, deps=dispatcher.deps)
    accounts = [a["account_id"] for a in result["accounts"]]
    marks = open_store(f"s3://{BUCKET}/secretgraph").reread_marks()
    assert {(m.resource, m.account_id, m.source) for m in marks} == {
        ("app/db", member, "cloudtrail PutResourcePolicy"),
        (arn, other, "cloudtrail UpdateSecret"), ("app/db", other, "cloudtrail UpdateSecret")}
    # the queue is drained (the message that is no event is dropped, with a log line)
    assert "Messages" not in _client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=0)
    # every account of the run has a carry file (no complete scan yet: nothing to carry, every
    # policy is read)
    parts = open_parts(f"s3://{BUCKET}/secretgraph/parts")
    for account in accounts:
        data = parts.read(carry_key("night-x", account))
        assert data is not None
        assert PolicyCarry.from_bytes(data, where=account).policies == {}


def _member_client(account: str, service: str) -> Any:
    c = _client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}",
                                   RoleSessionName="change")["Credentials"]
    return _client(service, {"aws_access_key_id": c["AccessKeyId"],
                             "aws_secret_access_key": c["SecretAccessKey"],
                             "aws_session_token": c["SessionToken"]})


def test_two_nights_a_policy_changed_in_between_is_read_the_rest_carried(
        workflow: dict[str, Any]) -> None:
    import datetime

    from scanner.incremental import refresh_night
    from scanner.policy.arn import arn_account

    dispatcher = workflow["dispatcher"]
    dispatcher.env["SECRETGRAPH_REREAD_QUEUE_URL"] = _rule_to_queue()
    described, history = execute(workflow["arn"], "night-1")
    assert described["status"] == "SUCCEEDED", history[-3:]
    store = open_store(f"s3://{BUCKET}/secretgraph")
    first = {s.arn: s for a in store.load("night-1").snapshot.accounts for r in a.regions
             for s in r.secrets}
    assert len(first) == 3 and all(s.carried == () for s in first.values())

    # a member changes its secret's policy (moto leaves LastChangedDate alone, as AWS may):
    # only the CloudTrail event says so
    changed = workflow["members"][0]
    time.sleep(1.1)
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{workflow['members'][1]}:root"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    _member_client(changed, "secretsmanager").put_resource_policy(
        SecretId="app/db", ResourcePolicy=json.dumps(policy))
    _cloudtrail("PutResourcePolicy", changed, requestParameters={"secretId": "app/db"})

    described, history = execute(workflow["arn"], "night-2")
    assert described["status"] == "SUCCEEDED", history[-3:]
    assert json.loads(described["output"])["result"]["complete"] is True
    second = {s.arn: s for a in store.load("night-2").snapshot.accounts for r in a.regions
              for s in r.secrets}
    assert set(second) == set(first)
    today = datetime.datetime.now(datetime.timezone.utc).date()
    for arn, secret in second.items():
        if arn_account(arn) == changed:
            assert secret.carried == ()
            assert json.loads(secret.resource_policy or "{}") == policy
        elif refresh_night(arn, today, 7):
            assert secret.carried == ()  # tonight is its rolling refresh
        else:
            assert secret.carried == ("resource_policy",)
            assert secret.read_at == first[arn].read_at
            assert secret.resource_policy == first[arn].resource_policy


def test_a_queue_not_emptied_tonight_carries_nothing(workflow: dict[str, Any],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.incremental import PolicyCarry
    from scanner.shards import carry_key

    dispatcher = workflow["dispatcher"]
    described, history = execute(workflow["arn"], "night-1")
    assert described["status"] == "SUCCEEDED", history[-3:]
    url = _rule_to_queue()
    dispatcher.env["SECRETGRAPH_REREAD_QUEUE_URL"] = url
    member = workflow["members"][0]
    for _ in range(15):  # more than one ReceiveMessage takes
        _cloudtrail("PutResourcePolicy", member, requestParameters={"secretId": "app/db"})
    parts = open_parts(f"s3://{BUCKET}/secretgraph/parts")

    def carried(run_id: str) -> int:
        tasks.list_accounts({"run_id": run_id}, None, deps=dispatcher.deps)
        return sum(len(PolicyCarry.from_bytes(parts.read(carry_key(run_id, a)) or b"",
                                              where=a).policies)
                   for a in [*workflow["members"], "123456789012"])

    monkeypatch.setattr(tasks, "MAX_RECEIVES", 1)
    assert carried("night-2") == 0  # events still waiting: every policy is read
    monkeypatch.setattr(tasks, "MAX_RECEIVES", 1000)
    assert carried("night-3") == 3  # the queue emptied: the three policies may be carried
    assert "Messages" not in _client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=0)


def test_marks_of_an_event_name_what_the_call_named_at_the_event_time() -> None:
    key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    (mark,) = tasks.marks_of_event({
        "account": "111122223333", "region": "us-east-1", "time": "2026-05-01T10:00:05Z",
        "detail": {"eventName": "PutKeyPolicy", "eventTime": "2026-05-01T10:00:00Z",
                   "requestParameters": {"keyId": key, "policyName": "default"},
                   "resources": [{"ARN": key, "accountId": "111122223333"}]}})
    assert (mark.resource, mark.marked_at, mark.source, mark.account_id, mark.region) == (
        key, "2026-05-01T10:00:00.000000Z", "cloudtrail PutKeyPolicy", "111122223333",
        "us-east-1")
    # an event that names nothing marks nothing; one without a time is marked now
    assert tasks.marks_of_event({"detail": {"eventName": "UpdateSecret"}}) == []
    from scanner.incremental import stamp

    before = stamp()
    (late,) = tasks.marks_of_event({"detail": {"requestParameters": {"secretId": "x"}}})
    assert late.marked_at >= before


def test_the_collectors_may_ask_whether_their_account_is_in_an_organization() -> None:
    """Review: every collector batch asks DescribeOrganization with its own credentials (the
    SCP gate of a scan without --org), and CollectRole could not: every OrgMode=false night
    was incomplete, its SCP gate UNKNOWN for every account."""
    res = org_scale_template()["Resources"]
    allows = {a for st in _statements(res["CollectRole"]) if st["Effect"] == "Allow"
              for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
    assert "organizations:DescribeOrganization" in allows


def test_a_night_that_does_not_succeed_is_sent_to_the_topic() -> None:
    """Deployment-as-documented trial (left by its fix): the org-scale stack had no signal for
    a failed, timed-out or aborted execution. An EventBridge rule on the state machine's
    Execution Status Change sends it to the notification topic, which lets the rule publish
    and whose key lets EventBridge encrypt."""
    res = org_scale_template()["Resources"]
    rule = res["FailedNightRule"]["Properties"]
    assert rule["EventPattern"]["source"] == ["aws.states"]
    assert rule["EventPattern"]["detail"]["status"] == ["FAILED", "TIMED_OUT", "ABORTED"]
    assert rule["EventPattern"]["detail"]["stateMachineArn"] == [{"Ref": "NightlyStateMachine"}]
    assert rule["Targets"] == [{"Id": "notify", "Arn": {"Ref": "NotificationTopic"}}]
    topic = [st for st in _statements(res["NotificationTopicPolicy"])
             if st.get("Principal") == {"Service": "events.amazonaws.com"}]
    assert topic and topic[0]["Condition"]["ArnEquals"]["aws:SourceArn"] == \
        {"Fn::GetAtt": ["FailedNightRule", "Arn"]}
    key = [st for st in _statements(res["HistoryKey"])
           if st.get("Sid") == "EventBridgeEncryptsNotifications"]
    assert key and "kms:GenerateDataKey" in key[0]["Action"]


def test_the_workflow_takes_input_files_and_a_bad_one_fails_the_run_at_discovery(
        workflow: dict[str, Any]) -> None:
    """Deployment trial round 2: the scheduled deployments could mute nothing and take no
    configuration. The org-scale functions take SECRETGRAPH_SUPPRESSIONS (and the config and
    baseline) too: the discovery step validates every file before a batch is collected (a
    bad one fails the run there, naming it as configured), the analysis mutes with it."""
    from scanner.errors import InputError

    s3 = _client("s3")
    env = workflow["dispatcher"].env  # the dict every task handler reads
    bad = f"s3://{BUCKET}/inputs/bad.yaml"
    s3.put_object(Bucket=BUCKET, Key="inputs/bad.yaml",
                  Body=b"suppressions:\n  - rule: no-such-rule\n    reason: x\n"
                       b"    expires: 2099-12-31\n")
    with pytest.raises(InputError, match="no-such-rule") as caught:
        tasks.list_accounts({"run_id": "night-0"}, deps=tasks.TaskDeps(
            env={**env, "SECRETGRAPH_SUPPRESSIONS": bad}))
    assert str(caught.value).startswith(bad)
    assert read_manifests(open_parts(f"s3://{BUCKET}/secretgraph/parts"), "night-0") == []

    good = f"s3://{BUCKET}/inputs/suppressions.yaml"
    s3.put_object(Bucket=BUCKET, Key="inputs/suppressions.yaml",
                  Body=b"suppressions:\n  - rule: secret-rotation-disabled\n"
                       b"    reason: rotated elsewhere, SEC-9\n    expires: 2099-12-31\n")
    env["SECRETGRAPH_SUPPRESSIONS"] = good
    described, history = execute(workflow["arn"], "night-1")
    assert described["status"] == "SUCCEEDED", history[-3:]
    findings = open_store(f"s3://{BUCKET}/secretgraph").load("night-1").document["findings"]
    rotation = [f for f in findings if f["rule_id"] == "secret-rotation-disabled"]
    assert rotation and {f["status"] for f in rotation} == {"MUTED"}
    assert {f["muted_by"]["file"] for f in rotation} == {good}
