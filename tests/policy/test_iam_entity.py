"""Which IAM role or user an ARN names is read in one place (scanner.policy.arn.iam_entity):
the ASFF principal resource, the access analysis' stand-ins, the solver's principals, the
rules and `access --principal` asked ``":role/" in arn`` each."""

from __future__ import annotations

from scanner.policy.arn import iam_entity
from reports.asff import _principal_resource


def test_a_role_or_user_arn_gives_its_kind_and_its_name_without_the_path() -> None:
    assert iam_entity("arn:aws:iam::123456789012:role/app") == ("role", "app")
    assert iam_entity("arn:aws:iam::123456789012:role/team/a/App-1") == ("role", "App-1")
    assert iam_entity("arn:aws-us-gov:iam::123456789012:user/ops/alice") == ("user", "alice")


def test_anything_else_is_no_role_or_user() -> None:
    for text in ("arn:aws:iam::123456789012:root", "123456789012", "*",
                 "arn:aws:sts::123456789012:assumed-role/app/session",
                 "arn:aws:sts::123456789012:federated-user/bob",
                 "arn:aws:iam::123456789012:role", "arn:aws:iam::123456789012:role/",
                 "arn:aws:iam::123456789012:group/admins", "lambda.amazonaws.com",
                 "AROAEXAMPLEUNIQUEID", "arn:aws:secretsmanager:us-east-1:123456789012:"
                 "secret:role/x"):
        assert iam_entity(text) is None, text


def test_the_asff_principal_resource_reads_the_same_answer() -> None:
    role = _principal_resource("arn:aws:iam::123456789012:role/team/App", "us-east-1")
    assert role["Type"] == "AwsIamRole"
    assert role["Details"]["AwsIamRole"]["RoleName"] == "App"
    user = _principal_resource("arn:aws:iam::123456789012:user/alice", "us-east-1")
    assert user["Type"] == "AwsIamUser"
    session = _principal_resource("arn:aws:sts::123456789012:assumed-role/App/s", "us-east-1")
    assert session["Type"] == "Other"
