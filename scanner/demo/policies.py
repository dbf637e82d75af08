"""Policy documents of the demo estate (pure functions returning JSON text or dicts)."""

from __future__ import annotations

import json
from typing import Any, Sequence

Doc = dict[str, Any]


def role_arn(account_id: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{name}"


def root_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def doc(*statements: Doc) -> Doc:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def text(document: Doc) -> str:
    return json.dumps(document, indent=2)


def trust(service: str | None = None, account_id: str | None = None) -> Doc:
    principal: Doc = {"Service": service} if service else {"AWS": root_arn(account_id or "")}
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


def via_secretsmanager(regions: Sequence[str]) -> Doc:
    values = [f"secretsmanager.{r}.amazonaws.com" for r in regions]
    return {"StringEquals": {"kms:ViaService": values[0] if len(values) == 1 else values}}


# ----------------------------------------------------------------------------- key policies


def key_admin_statement(owner: str) -> Doc:
    """The default statement: the owning account's IAM decides (root delegation)."""
    return {"Sid": "EnableIamPolicies", "Effect": "Allow", "Principal": {"AWS": root_arn(owner)},
            "Action": "kms:*", "Resource": "*"}


def key_policy(owner: str, decrypters: Sequence[str] = (), regions: Sequence[str] = (),
               extra: Sequence[Doc] = ()) -> str:
    """Root delegation plus kms:Decrypt for ``decrypters`` through Secrets Manager only."""
    statements = [key_admin_statement(owner)]
    if decrypters:
        statements.append({
            "Sid": "DecryptThroughSecretsManager",
            "Effect": "Allow",
            "Principal": {"AWS": list(decrypters) if len(decrypters) > 1 else decrypters[0]},
            "Action": ["kms:Decrypt", "kms:DescribeKey"],
            "Resource": "*",
            "Condition": via_secretsmanager(regions),
        })
    statements.extend(extra)
    return text(doc(*statements))


# ----------------------------------------------------------------------------- secret policies


def secret_policy(*statements: Doc) -> str:
    return text(doc(*statements))


def allow_read(principals: Sequence[str], actions: str | Sequence[str] =
               "secretsmanager:GetSecretValue", sid: str = "AllowRead") -> Doc:
    return {"Sid": sid, "Effect": "Allow",
            "Principal": {"AWS": list(principals) if len(principals) > 1 else principals[0]},
            "Action": actions if isinstance(actions, str) else list(actions), "Resource": "*"}


def padded_secret_policy(reader: str, owner: str, target_chars: int) -> str:
    """A legitimate policy (one reader) made long by an explicit break-glass deny list.

    The Deny only narrows access; its NotPrincipal-free ``aws:PrincipalArn`` list is what real
    estates grow when every break-glass role is named one by one."""
    names: list[str] = []
    base = secret_policy(allow_read([reader]))
    i = 0
    while True:
        candidate = names + [role_arn(owner, f"break-glass-{i:04d}")]
        policy = secret_policy(
            allow_read([reader]),
            {"Sid": "DenyDeleteExceptBreakGlass", "Effect": "Deny", "Principal": "*",
             "Action": "secretsmanager:DeleteSecret", "Resource": "*",
             "Condition": {"ArnNotEquals": {"aws:PrincipalArn": candidate}}},
        )
        if len(policy) > target_chars:
            return policy if names else base
        names = candidate
        i += 1


# ----------------------------------------------------------------------------- identity policies


def reader_identity_policy(secret_arns: Sequence[str], key_arns: Sequence[str],
                           regions: Sequence[str]) -> Doc:
    return doc(
        {"Sid": "ReadCentralSecrets", "Effect": "Allow",
         "Action": "secretsmanager:GetSecretValue", "Resource": list(secret_arns)},
        {"Sid": "DecryptCentralKeys", "Effect": "Allow", "Action": "kms:Decrypt",
         "Resource": list(key_arns), "Condition": via_secretsmanager(regions)},
    )


def rotation_identity_policy(secret_arns: Sequence[str], key_arns: Sequence[str]) -> Doc:
    return doc(
        {"Sid": "RotateSecrets", "Effect": "Allow",
         "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                    "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"],
         "Resource": list(secret_arns)},
        {"Sid": "UseKeys", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
         "Resource": list(key_arns)},
        {"Sid": "VpcNetworking", "Effect": "Allow",
         "Action": ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces",
                    "ec2:DeleteNetworkInterface"], "Resource": "*"},
    )
