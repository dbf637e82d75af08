"""The execution role of a secret's rotation function cannot read the secret: the access
analysis' verdict of the role's GetSecretValue and the kms:Decrypt Secrets Manager makes for
it (scanner.access.rotation, every gate as for any reader), DENIED -- or the role does not
exist in its account's IAM as read, or its trust policy does not let lambda.amazonaws.com
assume it. Secrets Manager User Guide, "Lambda rotation function
execution role permissions for AWS Secrets Manager": the role needs GetSecretValue on the
secret, and "If the secret is encrypted with a KMS key other than the AWS managed key
aws/secretsmanager, then you need to grant the Lambda execution role permission to use the
key". A read left to a request condition (CONDITIONAL: aws:SourceVpce, a tag) is not held
against it, as for secret-cross-account-access-broken. UNKNOWN when a gate is undecided for
want of input, the role's account IAM or its trust policy was not read, the function's
account-Region's Lambda functions were not listed, or access analysis did not run. A
function that does not exist is secret-rotation-function-missing's."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.access.verdicts import GATES
from scanner.engine.conditions import FALSE, TRUE, UNKNOWN, Result, unknown
from scanner.engine.context import RuleContext
from scanner.engine.predicates._access import (denial_blocks, denial_reasons,
                                                secret_access_or_unknown)
from scanner.policy.arn import (arn_account, function_name, iam_entity, parse_arn,
                                unqualified_function)


def rotation_role_read(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                       args: Mapping[str, Any]) -> Result:
    fn_arn = attrs.get("rotation_lambda_arn")
    if not attrs.get("rotation_enabled") or not fn_arn:
        return Result(outcome=FALSE, facts=(("text", "rotation is not enabled"),))
    sa, unknown_access = secret_access_or_unknown(ctx, node_id, attrs)
    if unknown_access is not None:
        return unknown_access
    if sa.scheduled_deletion:
        return Result(outcome=FALSE, facts=(("text", "the secret is scheduled for deletion: "
                                                     "it is not rotated"),))
    assert ctx.access is not None
    read = ctx.access.rotation.get(node_id)
    if read is None:
        parsed = parse_arn(str(fn_arn))
        missing = ctx.index.service_readable(parsed.account, parsed.region, "lambda") \
            if parsed is not None else None
        if missing:
            return unknown(missing, f"cannot tell which role rotation function {fn_arn} "
                                    f"runs as: {missing}")
        return Result(outcome=FALSE, facts=(("text", (
            f"rotation function {fn_arn} is not in the snapshot: its execution role is not "
            "judged (secret-rotation-function-missing)")),))
    evidence: dict[str, Any] = {"rotation_function": read.function_arn,
                                "execution_role": read.role_arn}
    # the message names the function and role by name (their account when it is not the
    # secret's): the ARNs are in the evidence, and the reason is what must fit a terminal
    # (the role's account once: a function's execution role is of the function's account,
    # said with the function -- ground-truth trial round 27 read "rotate-ops (account X) runs
    # as role OpsRotator (account X)")
    # a version or alias by its qualifier too (it runs as its own role)
    qualifier = unqualified_function(read.function_arn)[1]
    shown = function_name(read.function_arn) + (f":{qualifier}" if qualifier else "")
    fn, role = _named(read.function_arn, shown, attrs), \
        _named(read.role_arn, (iam_entity(read.role_arn or "") or ("", read.role_arn))[1],
               attrs, said=arn_account(read.function_arn))
    if read.missing:
        return Result(outcome=UNKNOWN, missing=(read.missing,), evidence=evidence)
    if read.role_missing:
        return Result(outcome=TRUE, evidence=evidence, facts=(("text", (
            f"rotation function {fn} runs as role {role}, which does not exist in its "
            "account's IAM: Lambda cannot assume it and every rotation fails")),))
    if read.untrusted:
        # Lambda Developer Guide, "Defining Lambda function permissions with an execution
        # role": the trust policy "specifies the Lambda service principal
        # (lambda.amazonaws.com) as a trusted service" -- without it the function cannot run
        return Result(outcome=TRUE, evidence=evidence, facts=(("text", (
            f"rotation function {fn} runs as role {role}, which Lambda cannot assume: "
            f"{read.untrusted}")),))
    path = read.path
    assert path is not None
    gates = path.gates
    evidence["gates"] = {g: gates[g].status for g in GATES}
    denied = list(read.blocking)
    unusable = gates["key_policy"].key_unusable
    if path.decision == "DENIED" and unusable and "key_policy" in denied:
        # KMS Developer Guide, "Key states of AWS KMS keys": only an Enabled (or Updating) key
        # works in cryptographic operations -- no one reads the secret, whatever the role may
        # do: secret-key-unusable reports the key. A gate that denies the role besides is
        # still this rule's
        denied.remove("key_policy")
        if not denied:
            return Result(outcome=FALSE, evidence=evidence, facts=(("text", (
                f"the secret's KMS key cannot be used ({unusable}): no one can read it "
                f"(secret-key-unusable); rotation function {fn}'s role {role} is not judged "
                "on the key")),))
    if path.decision == "DENIED" and denied:
        evidence.update(denial_blocks(ctx, gates, denied))
        evidence["denied_by"] = denied
        why = denial_reasons(gates, denied)
        return Result(outcome=TRUE, evidence=evidence, facts=(("text", (
            f"rotation function {fn} runs as role {role}, which cannot read the secret: denied by "
            f"{', '.join(denied)}{' (' + why + ')' if why else ''}")),))
    if read.trust_unread:
        return Result(outcome=UNKNOWN, evidence=evidence, missing=(
            f"the trust policy of {read.role_arn} ({read.trust_unread}): whether Lambda may "
            "assume it",))
    undecided = [g for g in GATES if gates[g].status == "UNKNOWN"] \
        if path.decision == "CONDITIONAL" else []
    if undecided:
        lacking = [f"gate {g} (UNKNOWN" + (f": {'; '.join(gates[g].conditions)}"
                                            if gates[g].conditions else "") + ")"
                   for g in undecided]
        return Result(outcome=UNKNOWN, evidence=evidence,
                      missing=(f"{read.role_arn}'s read of the secret: {'; '.join(lacking)}",))
    if path.decision == "DENIED":
        # denied with no single gate to blame: the evaluator's reasons say why
        evidence["denied_by"] = []
        return Result(outcome=TRUE, evidence=evidence, facts=(("text", (
            f"rotation function {fn} runs as role {role}, which cannot read the secret"
            + (f" ({'; '.join(path.reasons)})" if path.reasons else ""))),))
    how = "can read the secret" if path.decision == "ALLOWED" else (
        "can read the secret where the request meets "
        + ("; ".join(path.conditions) if path.conditions else "its conditions"))
    return Result(outcome=FALSE, evidence=evidence,
                  facts=(("text", f"rotation function {fn} runs as role {role}, which {how}"),))


def _named(arn: str | None, name: str | None, secret: Mapping[str, Any], *,
           said: str | None = None) -> str:
    """``name``, with ``(account <id>)`` when the ARN's account is neither the secret's nor
    ``said`` (the account the message named just before)."""
    account = arn_account(arn or "")
    if not name:
        return arn or "?"
    return name if account in (None, secret.get("account_id"), said) \
        else f"{name} (account {account})"
