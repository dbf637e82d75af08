"""The deployment templates: cfn-lint clean, least privilege, never a secret value."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from cfnlint.api import ManualArgs, lint

from scanner.aws.permissions import iam_policy_document
from scanner.cli import main
from scanner.deploy.org_scale_template import ORG_SCALE_FILE, org_scale_template
from scanner.deploy.render import CENTRAL_FILE, MEMBER_FILE, render_templates
from scanner.deploy.templates import DEFAULT_SCHEDULE, central_template, member_template

FORBIDDEN = ("secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue")


def _statements(doc: Any) -> Iterator[dict[str, Any]]:
    """Every policy statement anywhere in a template (Fn::If branches included)."""
    if isinstance(doc, dict):
        if "Effect" in doc and ("Action" in doc or "NotAction" in doc):
            yield doc
        for value in doc.values():
            yield from _statements(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _statements(value)


def _actions(st: dict[str, Any]) -> list[str]:
    actions = st.get("Action", [])
    return [actions] if isinstance(actions, str) else list(actions)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("templates")
    return {p.name: p for p in render_templates(out)}


@pytest.mark.parametrize("name", [CENTRAL_FILE, MEMBER_FILE])
def test_cfn_lint_reports_nothing(rendered: dict[str, Path], name: str) -> None:
    matches = lint(rendered[name].read_text(), config=ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in matches] == []


@pytest.mark.parametrize("template", [central_template(), member_template()],
                         ids=["central", "member"])
def test_no_allow_can_ever_read_a_secret_value(template: dict[str, Any]) -> None:
    allows = [a for st in _statements(template) if st["Effect"] == "Allow"
              for a in _actions(st)]
    assert allows, "the template grants something"
    for pattern in allows:
        for forbidden in FORBIDDEN:
            assert not fnmatch.fnmatchcase(forbidden.lower(), pattern.lower()), pattern
    denies = {a for st in _statements(template) if st["Effect"] == "Deny" for a in _actions(st)}
    assert set(FORBIDDEN) <= denies


def test_member_role_policy_is_the_generated_read_only_set() -> None:
    role = member_template()["Resources"]["AuditRole"]["Properties"]
    (policy,) = role["Policies"]
    assert policy["PolicyDocument"] == iam_policy_document()
    verbs = {a.split(":", 1)[1] for st in _statements(policy) if st["Effect"] == "Allow"
             for a in _actions(st)}
    assert verbs and all(v.startswith(("Describe", "List", "Get")) for v in verbs), verbs


def test_central_bucket_topic_schedule_and_role_are_locked_down() -> None:
    t = central_template()
    res = t["Resources"]
    bucket = res["HistoryBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    (enc,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert enc["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("aws:kms", "AES256")
    (tls,) = res["HistoryBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport":
                                                                     "false"}}
    assert res["NotificationTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "HistoryKey"}
    assert res["HistoryKey"]["Properties"]["EnableKeyRotation"] is True
    schedule = res["NightlySchedule"]
    assert schedule["Type"] == "AWS::Scheduler::Schedule"
    assert schedule["Properties"]["ScheduleExpression"] == {"Ref": "ScheduleExpression"}
    assert t["Parameters"]["ScheduleExpression"]["Default"] == DEFAULT_SCHEDULE
    fn = res["ScannerFunction"]["Properties"]
    assert fn["Code"] == {"S3Bucket": {"Ref": "CodeBucket"}, "S3Key": {"Ref": "CodeKey"}}
    assert fn["Handler"] == "scanner.deploy.handler.handler"
    # the function's own statements: only what the nightly run does
    own = res["FunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    granted = sorted(a for st in _statements(own) if st["Effect"] == "Allow"
                     for a in _actions(st) if not a.startswith("organizations:"))
    assert granted == ["kms:Decrypt", "kms:GenerateDataKey", "s3:GetObject",
                       # the input files under InputFilesS3Prefix (deployment trial round 2)
                       "s3:GetObject", "s3:ListBucket",
                       "s3:PutObject", "securityhub:BatchImportFindings",
                       # muted or un-muted since the last night (new-user trial round 6)
                       "securityhub:BatchUpdateFindings", "sns:Publish", "sts:AssumeRole"]
    wild = [st for st in _statements(own) if st["Effect"] == "Allow" and st["Resource"] == "*"]
    assert all(a.startswith("organizations:") for st in wild for a in _actions(st))


def test_deploy_templates_command_writes_all_three(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy-templates", "--out", str(tmp_path / "cfn")]) == 0
    written = sorted(p.name for p in (tmp_path / "cfn").iterdir())
    assert written == sorted([CENTRAL_FILE, MEMBER_FILE, ORG_SCALE_FILE])
    loaded = yaml.safe_load((tmp_path / "cfn" / MEMBER_FILE).read_text())
    assert loaded["Resources"]["AuditRole"]["Type"] == "AWS::IAM::Role"
    assert CENTRAL_FILE in capsys.readouterr().out


def test_a_failed_night_is_not_retried_by_lambda_and_not_silent() -> None:
    """Deployment-as-documented trial: the schedule's RetryPolicy (0) is EventBridge
    Scheduler's; Lambda's own asynchronous retries (2 by default) still ran a failed night
    again, and nothing said that a night had failed."""
    res = central_template()["Resources"]
    (config,) = [r["Properties"] for r in res.values()
                 if r["Type"] == "AWS::Lambda::EventInvokeConfig"]
    assert config["FunctionName"] == {"Ref": "ScannerFunction"}
    assert config["Qualifier"] == "$LATEST" and config["MaximumRetryAttempts"] == 0
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {"Ref": "NotificationTopic"}
    # the destination is sent with the function's role: it may publish to the (encrypted) topic
    own = list(_statements(res["FunctionRole"]))
    assert any("sns:Publish" in _actions(st) and st["Resource"] == {"Ref": "NotificationTopic"}
               for st in own)


def test_traced_state_machine_may_send_its_traces() -> None:
    """Deployment-as-documented trial: X-Ray tracing was enabled on the org-scale state
    machine without the X-Ray permissions on its role."""
    res = org_scale_template()["Resources"]
    assert res["NightlyStateMachine"]["Properties"]["TracingConfiguration"]["Enabled"] is True
    granted = {a for st in _statements(res["StateMachineRole"]) if st["Effect"] == "Allow"
               for a in _actions(st)}
    assert {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
            "xray:GetSamplingTargets"} <= granted


def test_role_outputs_name_the_stackset_parameter_they_feed() -> None:
    """Deployment-as-documented trial: FunctionRoleArn / CollectRoleArn were described as
    "TrustedPrincipalArn for the member StackSet"; the StackSet's parameter is ScannerRoleArn."""
    assert "ScannerRoleArn" in member_template()["Parameters"]
    for template, output in ((central_template(), "FunctionRoleArn"),
                             (org_scale_template(), "CollectRoleArn")):
        description = template["Outputs"][output]["Description"]
        assert "ScannerRoleArn" in description and "TrustedPrincipalArn" not in description


@pytest.mark.parametrize("template", [central_template(), org_scale_template()],
                         ids=["central", "org-scale"])
def test_accounts_with_org_mode_is_refused_at_deploy_time(template: dict[str, Any]) -> None:
    """Deployment trial round 2: OrgMode (default true) with Accounts filled failed every
    night with a CLI flag's message. A CloudFormation Rule refuses the pair when the stack is
    created or updated, saying which parameter to change (the function, set by hand, ignores
    Accounts with a warning)."""
    rule = template["Rules"]["AccountsOnlyWithoutOrgMode"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "OrgMode"}, "true"]}
    (assertion,) = rule["Assertions"]
    assert assertion["Assert"] == {"Fn::Equals": [{"Ref": "Accounts"}, ""]}
    assert "OrgMode" in assertion["AssertDescription"]
    assert "Accounts" in assertion["AssertDescription"]


def test_the_stacks_pass_input_files_and_may_read_them_only_under_their_prefix() -> None:
    """Deployment trial round 2: no parameter took a configuration, suppressions or a
    baseline. ConfigFile, SuppressionsFile and BaselineFile become the functions' variables;
    InputFilesS3Prefix (bucket/prefix) is the only place outside the history their roles may
    read them from (s3:GetObject there, only when it is given)."""
    variables = {"SECRETGRAPH_CONFIG": "ConfigFile",
                 "SECRETGRAPH_SUPPRESSIONS": "SuppressionsFile",
                 "SECRETGRAPH_BASELINE": "BaselineFile"}
    read = {"Fn::If": ["HasInputFilesS3Prefix", {
        "Sid": "ReadInputFiles", "Effect": "Allow", "Action": "s3:GetObject",
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${InputFilesS3Prefix}/*"}},
        {"Ref": "AWS::NoValue"}]}
    central, org = central_template(), org_scale_template()
    for template, functions, roles in (
            (central, ["ScannerFunction"], ["FunctionRole"]),
            (org, ["ListAccountsFunction", "CollectFunction", "AnalyzeFunction"],
             ["ListAccountsRole", "CollectRole", "AnalyzeRole", "AnalysisTaskRole"])):
        for parameter in [*variables.values(), "InputFilesS3Prefix"]:
            assert template["Parameters"][parameter]["Default"] == ""
        assert template["Conditions"]["HasInputFilesS3Prefix"] == {
            "Fn::Not": [{"Fn::Equals": [{"Ref": "InputFilesS3Prefix"}, ""]}]}
        res = template["Resources"]
        for function in functions:
            env = res[function]["Properties"]["Environment"]["Variables"]
            for variable, parameter in variables.items():
                assert env[variable] == {"Ref": parameter}, (function, variable)
        for role in roles:
            statements = res[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
            assert read in statements, role
    container = org["Resources"]["AnalysisTaskDefinition"]["Properties"][
        "ContainerDefinitions"][0]["Environment"]
    assert {"Name": "SECRETGRAPH_SUPPRESSIONS", "Value": {"Ref": "SuppressionsFile"}} in container


def _variables(doc: Any) -> Iterator[str]:
    """The environment variables a template gives its functions and tasks."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key == "Variables" and isinstance(value, dict):
                yield from value
            elif key == "Environment" and isinstance(value, list):
                yield from (item["Name"] for item in value if "Name" in item)
            else:
                yield from _variables(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _variables(value)


def test_docs_deployment_names_every_parameter_and_variable_of_the_templates() -> None:
    """docs/deployment.md is where a deployer looks up what a parameter or a function's
    variable does: SECRETGRAPH_PARTS_URI, _PARTS_KMS_KEY and _POLICY_TPS were set by the
    organization-scale stack and named nowhere."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "deployment.md").read_text()
    missing = set()
    for template in (central_template(), org_scale_template(), member_template()):
        missing |= {name for name in template.get("Parameters", {}) if f"`{name}`" not in text}
        missing |= {name for name in _variables(template)
                    if name.startswith("SECRETGRAPH_") and f"`{name}`" not in text}
    assert sorted(missing) == []


def test_docs_deployment_lists_every_resource_the_central_stack_creates() -> None:
    """docs/deployment.md "What the central stack creates" named 8 of its 13 resources: the
    log group, the key alias, the schedule's role, the topic policy and the e-mail
    subscription were missing, and nothing said the bucket, key and log group outlive the
    stack (DeletionPolicy Retain; docs round 14). Every resource is a row of the table, and
    every retained one says so."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "deployment.md").read_text()
    start = text.index("### What the central stack creates")
    table = text[start:text.index("\n\n", text.index("| resource |", start))]
    rows = {line.split("|")[1].strip().split()[0].strip("`"): line
            for line in table.splitlines() if line.startswith("| `")}
    resources = central_template()["Resources"]
    assert sorted(rows) == sorted(resources)
    for name, resource in resources.items():
        if resource.get("DeletionPolicy") == "Retain":
            assert "kept when the stack is deleted" in rows[name], name
    function = resources["ScannerFunction"]["Properties"]
    assert f"{function['MemorySize']:,} MB" in rows["ScannerFunction"]
    assert f"{function['Timeout'] // 60} min" in rows["ScannerFunction"]
    member = member_template()
    assert all(f"`{name}`" in text for name in [*member["Resources"], *member["Outputs"]])


def test_both_stacks_take_every_setting_the_function_reads_as_a_parameter() -> None:
    """The nightly run collects incrementally (a policy is carried while its secret's
    LastChangedDate stands still, re-read every 7 days), paces its policy reads and notifies
    some severities: SECRETGRAPH_FULL_REFRESH_DAYS, and in the central stack
    SECRETGRAPH_POLICY_TPS and SECRETGRAPH_NOTIFY_SEVERITIES, could only be set by editing the
    function's environment by hand, which the next stack update undid (docs round 14). Each
    is a parameter of both stacks with the command line's default and range, passed to
    every function."""
    import re

    from scanner.aws.ratelimit import DEFAULT_POLICY_TPS
    from scanner.deploy.handler import HandlerConfig
    from scanner.findings import Severity
    from scanner.incremental import DEFAULT_FULL_REFRESH_DAYS, MAX_FULL_REFRESH_DAYS

    wired = {"FullRefreshDays": "SECRETGRAPH_FULL_REFRESH_DAYS",
             "PolicyTps": "SECRETGRAPH_POLICY_TPS",
             "NotifySeverities": "SECRETGRAPH_NOTIFY_SEVERITIES"}
    for template in (central_template(), org_scale_template()):
        parameters = template["Parameters"]
        days = parameters["FullRefreshDays"]
        assert (days["Default"], days["MinValue"], days["MaxValue"]) == (
            DEFAULT_FULL_REFRESH_DAYS, 1, MAX_FULL_REFRESH_DAYS)
        assert parameters["PolicyTps"]["Default"] == DEFAULT_POLICY_TPS
        severities = parameters["NotifySeverities"]
        pattern = severities["AllowedPattern"]
        assert re.fullmatch(pattern, severities["Default"])
        assert re.fullmatch(pattern, ",".join(s.value for s in Severity))
        assert not re.fullmatch(pattern, "HIGH,SEVERE")
        functions = [r["Properties"] for r in template["Resources"].values()
                     if r["Type"] == "AWS::Lambda::Function"]
        assert functions and all(
            f["Environment"]["Variables"][variable] == {"Ref": parameter}
            for f in functions for parameter, variable in wired.items())
    env = {"SECRETGRAPH_ROLE_NAME": "SecretgraphAudit", "SECRETGRAPH_REGIONS": "us-east-1",
           "SECRETGRAPH_HISTORY_URI": "s3://b/p", "SECRETGRAPH_CENTRAL_ACCOUNT": "111111111111",
           # CloudFormation passes a Number as text
           "SECRETGRAPH_FULL_REFRESH_DAYS": "1", "SECRETGRAPH_POLICY_TPS": "25",
           "SECRETGRAPH_NOTIFY_SEVERITIES": "CRITICAL,HIGH,MEDIUM"}
    config = HandlerConfig.from_env(env)
    assert (config.full_refresh_days, config.policy_tps) == (1, 25.0)
    assert config.notify_severities == {"CRITICAL", "HIGH", "MEDIUM"}


def test_docs_deployment_names_every_action_the_function_s_role_allows() -> None:
    """docs/deployment.md "The function's permissions": every action of the scheduled
    function's role is named there -- the discovery calls by their `organizations:List*` /
    `Describe*` pattern, the read set as "the same read-only set as the member role" (the
    generated policy itself) -- so a deployer reviewing the role finds no action the page
    does not explain (docs truth round 16: the log statement was not named)."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "deployment.md").read_text()
    start = text.index("### The function's permissions")
    section = text[start:text.index("\n### ", start + 1)]
    policies = {p["PolicyName"]: p["PolicyDocument"]
                for p in central_template()["Resources"]["FunctionRole"]["Properties"][
                    "Policies"]}
    read_only = [name for name, doc in policies.items() if doc == iam_policy_document()]
    assert read_only and "the same read-only set as the member role" in section
    named = set(re.findall(r"`([a-z0-9-]+:[A-Za-z*]+)`", section))
    named |= {f"{a.split(':')[0]}:{b}" for a, b in
              re.findall(r"`([a-z0-9-]+:[A-Za-z*]+)`/`([A-Za-z*]+)`", section)}
    missing = [action for name, doc in policies.items() if name not in read_only
               for st in _statements(doc) for action in _actions(st)
               if not any(fnmatch.fnmatchcase(action, pattern) for pattern in named)]
    assert missing == []
