"""The audit role's policy is generated from the collectors' declarations."""

from __future__ import annotations

import argparse
import functools
import json
import pytest

from scanner.aws import session
from scanner.aws.permissions import (
    NEVER_ALLOWED_ACTIONS,
    allowed_operations,
    cloudformation_template,
    iam_policy_document,
    scanner_policy_document,
)
from scanner.commands import iam_policy
from scanner.collectors import ACCOUNT_COLLECTORS, COLLECTORS, organizations
from scanner.errors import UsageError


def allowed_actions(document: dict) -> set[str]:
    return {a for s in document["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}


def test_every_declared_operation_of_an_account_collector_is_in_the_audit_role_policy() -> None:
    actions = allowed_actions(iam_policy_document())
    for module in ACCOUNT_COLLECTORS:
        for operation, action in module.OPERATIONS.items():
            assert action in actions, f"{module.__name__}.{operation}"
    assert actions == {a for m in ACCOUNT_COLLECTORS for a in m.OPERATIONS.values()}


def test_the_policy_never_allows_reading_secret_values_and_denies_it_explicitly() -> None:
    document = iam_policy_document()
    assert not allowed_actions(document) & set(NEVER_ALLOWED_ACTIONS)
    assert not any("*" in a for a in allowed_actions(document))
    denies = [s for s in document["Statement"] if s["Effect"] == "Deny"]
    assert {a for s in denies for a in s["Action"]} == set(NEVER_ALLOWED_ACTIONS)


def test_actions_are_well_formed_and_match_their_operation() -> None:
    for module in COLLECTORS:
        for operation, action in module.OPERATIONS.items():
            prefix, _, name = action.partition(":")
            assert prefix and name == operation, action


def test_the_guard_allows_exactly_the_declared_operations() -> None:
    expected = {(m.SERVICE, op) for m in COLLECTORS for op in m.OPERATIONS}
    assert allowed_operations() == expected | set(session.OPERATIONS)


def test_organizations_discovery_belongs_to_the_scanner_identity_not_the_audit_role() -> None:
    scanner = allowed_actions(scanner_policy_document("Audit"))
    assert set(organizations.OPERATIONS.values()) <= scanner
    assert "sts:AssumeRole" in scanner
    assert not scanner & set(NEVER_ALLOWED_ACTIONS)
    # `scan --regions all` calls it with the scanning identity's own credentials (a new
    # user's trial found it missing)
    assert "ec2:DescribeRegions" in scanner
    assert set(session.OPERATIONS.values()) - {"sts:GetCallerIdentity"} <= scanner
    # its own account is scanned with its own credentials (no role assumed there): the audit
    # role's read set, and the same Deny (a new user's trial found only discovery here)
    assert allowed_actions(iam_policy_document()) <= scanner


def test_the_cloudformation_template_embeds_the_generated_policy() -> None:
    template = cloudformation_template("SecretgraphAudit")
    role = template["Resources"]["AuditRole"]["Properties"]
    assert role["RoleName"] == "SecretgraphAudit"
    assert role["Policies"][0]["PolicyDocument"] == iam_policy_document()


def test_the_cloudformation_template_has_no_cfn_lint_error_or_warning() -> None:
    from cfnlint.api import lint_all

    matches = lint_all(json.dumps(cloudformation_template()))
    assert [str(m) for m in matches if m.rule.id[:1] in ("E", "W")] == []


def main(argv: list[str]) -> int:
    """The command as the CLI table runs it (HELP, add_arguments, run)."""
    parser = argparse.ArgumentParser(prog="secretgraph iam-policy", description=iam_policy.HELP)
    iam_policy.add_arguments(parser)
    return iam_policy.run(parser.parse_args(argv[1:]))


@pytest.mark.parametrize("argv", [["iam-policy"], ["iam-policy", "--format", "json"]])
def test_the_iam_policy_command_prints_the_generated_document(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == iam_policy_document()


def test_the_iam_policy_command_prints_a_template(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["iam-policy", "--format", "cloudformation", "--role-name", "Aud"]) == 0
    template = json.loads(capsys.readouterr().out)
    assert template["Resources"]["AuditRole"]["Properties"]["RoleName"] == "Aud"


def test_the_iam_policy_command_prints_the_remediation_role_policy(
        capsys: pytest.CaptureFixture[str]) -> None:
    from scanner.remediate.permissions import remediation_policy_document

    assert main(["iam-policy", "--for", "remediation-role"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document == remediation_policy_document()
    allowed = allowed_actions(document)
    assert "secretsmanager:PutResourcePolicy" in allowed
    assert "secretsmanager:PutResourcePolicy" not in allowed_actions(iam_policy_document())
    assert not allowed & set(NEVER_ALLOWED_ACTIONS)
    denied = {a for s in document["Statement"] if s["Effect"] == "Deny" for a in s["Action"]}
    assert denied == set(NEVER_ALLOWED_ACTIONS)


@pytest.mark.parametrize("name", ["bad name", "", "path/Role", "arn:aws:iam::1:role/x"])
def test_a_role_name_iam_would_refuse_is_a_usage_error(name: str) -> None:
    """Not a template cfn-lint (and CloudFormation) refuses, nor a policy for role/."""
    for fmt in ("cloudformation", "json"):
        with pytest.raises(UsageError, match="--role-name"):
            main(["iam-policy", "--format", fmt, "--role-name", name])


@pytest.mark.parametrize("target", ["scanner", "remediation-role"])
def test_a_cloudformation_template_exists_only_for_the_audit_role(target: str) -> None:
    with pytest.raises(UsageError, match=f"--for {target}"):
        main(["iam-policy", "--format", "cloudformation", "--for", target])


def test_the_scanner_policy_assumes_audit_roles_of_the_partition_asked_for(
        capsys: pytest.CaptureFixture[str]) -> None:
    """GovCloud ground-truth trial round 10: `iam-policy --for scanner` allowed sts:AssumeRole on
    arn:aws:iam::*:role/... only, which never allows the AssumeRole a GovCloud scan makes
    (arn:aws-us-gov:iam::<account>:role/<name>, scanner.aws.session)."""
    import json

    from scanner.cli import main

    for partition in ("aws", "aws-us-gov", "aws-cn"):
        assert main(["iam-policy", "--for", "scanner", "--partition", partition]) == 0
        doc = json.loads(capsys.readouterr().out)
        (assume,) = [s for s in doc["Statement"] if s.get("Sid") == "AssumeAuditRole"]
        assert assume["Resource"] == f"arn:{partition}:iam::*:role/SecretgraphAudit"


def test_the_org_scale_workflow_names_its_integrations_in_the_stacks_partition() -> None:
    """GovCloud ground-truth trial round 10: the Step Functions integrations were fixed
    arn:aws:states:::lambda:invoke / ecs:runTask.sync in every partition."""
    import json

    from scanner.deploy.org_scale_template import org_scale_template

    text = json.dumps(org_scale_template())
    assert "arn:aws:states" not in text
    assert "arn:${Partition}:states:::lambda:invoke" in text
    assert '"Partition": {"Ref": "AWS::Partition"}' in text


@pytest.mark.parametrize("target", ["audit-role", "remediation-role"])
def test_partition_is_refused_where_no_document_names_one(
        target: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Review round 4: `iam-policy --for audit-role --partition aws-us-gov` exited 0 with the
    flag ignored; an ignored option reads as applied."""
    from scanner.cli import main

    assert main(["iam-policy", "--for", target, "--partition", "aws-us-gov"]) == 2
    assert "--partition names the audit roles' partition" in capsys.readouterr().err


def test_the_help_of_for_scanner_names_everything_its_policy_grants() -> None:
    """README and docs/deployment.md: `--for scanner` is discovery, the AssumeRole, the Region
    listing of `--regions all`, and the audit role's read set for the identity's own account
    (scanned with its own credentials). --help named the first two only."""
    parser = argparse.ArgumentParser()
    iam_policy.add_arguments(parser)
    text = " ".join(parser.format_help().split())
    scanner_help = text[text.index("scanner: what"):text.index("remediation-role:")]
    granted = allowed_actions(scanner_policy_document())
    assert "sts:AssumeRole" in granted and "ec2:DescribeRegions" in granted
    assert granted >= allowed_actions(iam_policy_document())
    for words in ("Organizations discovery", "sts:AssumeRole", "ec2:DescribeRegions",
                  "read set"):
        assert words in scanner_help, words


def test_docs_name_every_call_the_guard_allows_besides_the_collectors() -> None:
    """docs/collection.md "The read-only guard" said the collectors' tables "or the session's
    two STS calls": the guard also allows ec2:DescribeRegions (`--regions all`), which
    session.OPERATIONS declares. Its paragraph names each of the session's operations."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "collection.md").read_text(
        encoding="utf-8")
    start = text.index("## The read-only guard")
    section = text[start:text.index("\n## ", start + 1)]
    assert [op for _, op in session.OPERATIONS if f"`{op}`" not in section] == []


@functools.cache
def _method_operations(service: str) -> dict[str, str]:
    """boto3 method name -> operation, from botocore's bundled model of `service`."""
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(service)
    return {xform_name(op): op for op in model.operation_names}


def _operations_named_in(source: str, service: str) -> set[str]:
    """The operations of `service` whose boto3 method name (describe_key, list_secrets) the
    source names as an attribute (a call) or a string (a paginator's name, a table's entry);
    a word of a comment is none."""
    import re

    methods = _method_operations(service)
    words = re.findall(r"\.([a-z][a-z0-9_]*)\b|[\"']([a-z][a-z0-9_]*)[\"']", source)
    return {methods[word] for pair in words for word in pair if word in methods}


def test_every_call_a_collector_makes_is_declared_and_so_in_the_policies() -> None:
    """docs/deployment.md and docs/collection.md: the audit role's policy (and the guard's
    allow-list) are generated from the collectors' OPERATIONS tables. A call a collector
    makes without declaring it would be a permission the users' roles lack -- AccessDenied, a
    coverage hole on every account -- and the guard's refusal on the first real scan. Each
    collector's source names only operations of its table; the collection around them (the
    session, discovery, the collection run) only the collectors' and the session's."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for module in COLLECTORS:
        source = Path(module.__file__).read_text(encoding="utf-8")
        named = _operations_named_in(source, module.SERVICE)
        assert named - set(module.OPERATIONS) == set(), module.__name__
    allowed = allowed_operations()
    services = {service for service, _ in allowed}
    around = [*sorted((root / "scanner" / "aws").glob("*.py")), root / "scanner" / "collect.py",
              root / "scanner" / "collect_options.py", root / "scanner" / "discovery.py",
              root / "scanner" / "incremental.py", root / "scanner" / "shards.py"]
    named_around = {(path.name, service, op) for path in around for service in services
                    for op in _operations_named_in(path.read_text(encoding="utf-8"), service)}
    assert {("sts", "AssumeRole"), ("ec2", "DescribeRegions")} <= \
        {(service, op) for _, service, op in named_around}
    assert sorted(f"{name}: {service}:{op}" for name, service, op in named_around
                  if (service, op) not in allowed) == []


def test_the_check_finds_an_undeclared_call() -> None:
    assert _operations_named_in("client.get_secret_value(SecretId=arn)", "secretsmanager") == \
        {"GetSecretValue"}
    assert _operations_named_in('paginate(client, "list_grants", "Grants")', "kms") == \
        {"ListGrants"}
    assert _operations_named_in("# kms:Decrypt: a key grant to decrypt", "kms") == set()


@pytest.mark.parametrize("target", ["audit-role", "remediation-role"])
def test_a_role_name_the_document_has_no_place_for_is_a_usage_error(target: str) -> None:
    """`iam-policy --for remediation-role --role-name SecretgraphRemediation` printed the
    remediation role's policy, which names no role, as if the name had been applied; so did the
    audit role's json policy. --role-name names the audit role in --for scanner's AssumeRole
    statement and in the template: elsewhere it is refused, as --partition is."""
    with pytest.raises(UsageError, match=f"--role-name .*--for {target}"):
        main(["iam-policy", "--for", target, "--role-name", "SecretgraphRemediation"])


def test_the_audit_role_name_is_used_where_the_document_names_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["iam-policy", "--for", "scanner", "--role-name", "Aud"]) == 0
    (assume,) = [s for s in json.loads(capsys.readouterr().out)["Statement"]
                 if s.get("Sid") == "AssumeAuditRole"]
    assert assume["Resource"] == "arn:aws:iam::*:role/Aud"
    assert main(["iam-policy", "--for", "scanner"]) == 0
    assert "role/SecretgraphAudit" in capsys.readouterr().out


def test_the_command_s_help_and_readme_row_name_every_policy_it_prints() -> None:
    """Docs truth round 16: `iam-policy`'s help (and README's command table) said it prints
    "the audit role's IAM policy, generated from the collectors' declared actions"; `--for
    scanner` and `--for remediation-role` print two more (the second from the remediators)."""
    from pathlib import Path

    parser = argparse.ArgumentParser()
    iam_policy.add_arguments(parser)
    (choice,) = [a for a in parser._actions if "--for" in a.option_strings]
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    (row,) = [line for line in readme.splitlines() if line.startswith("| `secretgraph iam-policy`")]
    for target in choice.choices:
        if target != "audit-role":
            assert f"--for {target}" in iam_policy.HELP and f"`--for {target}`" in row, target
    assert "remediators" in iam_policy.HELP and "remediators" in row
