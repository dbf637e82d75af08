"""secret-policy-overbroad-actions and cross-account rotation: the execution role of the
secret's own rotation function, in another account, is granted what rotating the secret needs
(Secrets Manager User Guide, "Lambda rotation function execution role permissions":
secretsmanager:DescribeSecret, GetSecretValue, PutSecretValue, UpdateSecretVersionStage), and
that is no over-broad grant (ground-truth trial round 13, D5: the rule failed the grant the
documented set-up needs). A wildcard, another write, or the same actions to another role still
fail."""

from __future__ import annotations

from dataclasses import replace

from helpers.access_estate import MEMBER, REGION, SECRET_ARN, estate, text
from helpers.rule_results import rule_statuses

from scanner.model import FunctionVersion, LambdaFunction, Snapshot

RULE = "secret-policy-overbroad-actions"
FN = f"arn:aws:lambda:{REGION}:{MEMBER}:function:rotate-central-db"
ROT_ROLE = f"arn:aws:iam::{MEMBER}:role/CentralRotationRole"
OTHER_ROLE = f"arn:aws:iam::{MEMBER}:role/SomeoneElse"
ROTATION = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
            "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"]


def _estate(principal: str, actions: list[str] | str, rotation_arn: str = FN,
            **function: object) -> Snapshot:
    snap = estate(secret_policy=text({"Sid": "Rotation", "Effect": "Allow",
                                      "Principal": {"AWS": principal}, "Action": actions,
                                      "Resource": "*"}))
    fn = LambdaFunction(arn=FN, name="rotate-central-db", account_id=MEMBER, region=REGION,
                        role_arn=ROT_ROLE, **function)  # type: ignore[arg-type]
    accounts = []
    for a in snap.accounts:
        regions = a.regions
        if a.account_id == MEMBER:
            regions = tuple(replace(r, lambda_functions=(fn,)) for r in regions)
        else:
            regions = tuple(replace(r, secrets=tuple(
                replace(s, rotation_enabled=True, rotation_lambda_arn=rotation_arn,
                        rotation_days=30)
                for s in r.secrets)) for r in regions)
        accounts.append(replace(a, regions=regions))
    return replace(snap, accounts=tuple(accounts))


def test_the_rotation_role_granted_what_rotation_needs_passes() -> None:
    assert rule_statuses(_estate(ROT_ROLE, ROTATION), RULE)[SECRET_ARN] == "PASS"


def test_the_rotation_role_granted_a_wildcard_fails() -> None:
    assert rule_statuses(_estate(ROT_ROLE, "secretsmanager:*"), RULE)[SECRET_ARN] == "FAIL"


def test_the_rotation_role_granted_another_write_fails() -> None:
    actions = ROTATION + ["secretsmanager:PutResourcePolicy"]
    assert rule_statuses(_estate(ROT_ROLE, actions), RULE)[SECRET_ARN] == "FAIL"


def test_another_role_granted_the_rotation_writes_fails() -> None:
    assert rule_statuses(_estate(OTHER_ROLE, ROTATION), RULE)[SECRET_ARN] == "FAIL"


def test_a_session_of_the_rotation_role_granted_what_rotation_needs_passes() -> None:
    """A session of the role is the role narrowed to one session: it can do no more than the
    role (IAM User Guide, "AWS JSON policy elements: Principal", role sessions) -- granted
    what rotation needs it is no broader than the role granted it (ground-truth trial round
    27: the grant to the function's own session failed while the role's passed)."""
    session = f"arn:aws:sts::{MEMBER}:assumed-role/CentralRotationRole/rotate-central-db"
    assert rule_statuses(_estate(session, ROTATION), RULE)[SECRET_ARN] == "PASS"


def test_a_session_of_another_role_granted_the_rotation_writes_fails() -> None:
    session = f"arn:aws:sts::{MEMBER}:assumed-role/SomeoneElse/rotate-central-db"
    assert rule_statuses(_estate(session, ROTATION), RULE)[SECRET_ARN] == "FAIL"


def test_a_session_of_the_rotation_role_granted_another_write_fails() -> None:
    session = f"arn:aws:sts::{MEMBER}:assumed-role/CentralRotationRole/rotate-central-db"
    actions = ROTATION + ["secretsmanager:DeleteSecret"]
    assert rule_statuses(_estate(session, actions), RULE)[SECRET_ARN] == "FAIL"


def test_a_session_of_a_rotation_role_with_a_path_is_named_by_the_role_name() -> None:
    """The console puts a function's role under /service-role/; its sessions' ARNs carry the
    role's name alone."""
    snap = _estate(f"arn:aws:sts::{MEMBER}:assumed-role/CentralRotationRole/rotate-central-db",
                   ROTATION)
    path_role = f"arn:aws:iam::{MEMBER}:role/service-role/CentralRotationRole"
    snap = replace(snap, accounts=tuple(replace(a, regions=tuple(replace(r, lambda_functions=tuple(
        replace(f, role_arn=path_role) for f in r.lambda_functions)) for r in a.regions))
        for a in snap.accounts))
    assert rule_statuses(snap, RULE)[SECRET_ARN] == "PASS"


def test_a_version_of_the_function_is_rotations_own_role_by_its_own_role() -> None:
    """The secret rotated by version 3, published when the function ran as SomeoneElse: that
    role is rotation's own (graph.schema.rotation_function), the function's current
    ($LATEST) role is not -- it was judged with $LATEST's role."""
    version = dict(qualifiers=("3",), qualifier_settings={"3": FunctionVersion(role_arn=OTHER_ROLE)})
    assert rule_statuses(_estate(OTHER_ROLE, ROTATION, FN + ":3", **version),
                         RULE)[SECRET_ARN] == "PASS"
    assert rule_statuses(_estate(ROT_ROLE, ROTATION, FN + ":3", **version),
                         RULE)[SECRET_ARN] == "FAIL"
