"""Whether each rotated secret's rotation function can read the secret it rotates.

Secrets Manager User Guide, "Lambda rotation function execution role permissions for AWS
Secrets Manager": "when Secrets Manager uses a Lambda function to rotate a secret, Lambda
assumes an IAM execution role and provides those credentials to the Lambda function code",
and the policy it shows allows that role secretsmanager:GetSecretValue (with DescribeSecret,
PutSecretValue and UpdateSecretVersionStage) on the secret; "If the secret is encrypted with a
KMS key other than the AWS managed key aws/secretsmanager, then you need to grant the Lambda
execution role permission to use the key". Every rotation template reads the secret first
(createSecret: GetSecretValue of AWSCURRENT), so a role that cannot read it fails every
rotation.

The role's read is judged by the one access evaluator, as any reader's
(``PairEvaluator.verdict``: GetSecretValue and the kms:Decrypt Secrets Manager makes for it,
every gate), with the gates that block it (``Combined.blocking``: in its own account a read
needs the identity policy or the resource policy, not both). The writes rotation makes (PutSecretValue, and the kms:GenerateDataKey
Secrets Manager makes for it; UpdateSecretVersionStage) are not judged.

Pure: reads the graph, the analysis' evaluator and its results.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import networkx as nx

from scanner.access.graph_io import SecretView
from scanner.access.identity import external_principal
from scanner.access.secret_eval import SecretEvaluator, failed_access
from scanner.access.verdicts import RotationRead, SecretAccess
from scanner.graph.schema import EdgeKind
from scanner.policy.arn import arn_account
from scanner.policy.evaluate import Decision, PolicyKind, evaluate_policy
from scanner.policy.parse import parse_policy
from scanner.policy.request import Request


def rotation_reads(graph: nx.MultiDiGraph, views: Sequence[SecretView],
                   results: Mapping[str, SecretAccess],
                   ev: SecretEvaluator) -> dict[str, RotationRead]:
    """Secret ARN -> its rotation function's read of it, for every primary secret with
    rotation enabled whose rotation function is in the graph (a function that is not:
    secret-rotation-function-missing). A secret scheduled for deletion, or whose analysis
    failed, is left out (no read of it is judged)."""
    out: dict[str, RotationRead] = {}
    trusts: dict[str, tuple[str, str]] = {}  # role ARN -> _lambda_trust, once per role

    def trust(role: str) -> tuple[str, str]:
        if role not in trusts:
            # a role the principal index holds need not be a node of this graph (the
            # remediation planner's predicted estates: tests/demo/test_demo_remediate.py):
            # its trust policy is not at hand, so no claim is made
            trusts[role] = _lambda_trust(role, graph.nodes[role]) if role in graph else ("", "")
        return trusts[role]

    for sv in views:
        sa = results.get(sv.arn)
        if sa is None or sa.scheduled_deletion or sa.failed:
            continue
        attrs = graph.nodes[sv.arn]
        if not attrs.get("rotation_enabled") or not attrs.get("rotation_lambda_arn"):
            continue
        functions = [dst for _, dst, kind in graph.out_edges(sv.arn, data="kind")
                     if kind == EdgeKind.ROTATED_BY.value]
        if not functions:
            continue
        fn = functions[0]
        out[sv.arn] = _read(sv, fn, graph.nodes[fn], ev, trust)
    return out


#: the service principal that assumes a function's execution role (Lambda Developer Guide,
#: "Defining Lambda function permissions with an execution role": the role's trust policy
#: "specifies the Lambda service principal (lambda.amazonaws.com) as a trusted service")
LAMBDA_SERVICE = "lambda.amazonaws.com"


def _lambda_trust(role: str, attrs: Mapping[str, Any]) -> tuple[str, str]:
    """(untrusted, unread): why Lambda may not assume ``role`` (its trust policy denies
    sts:AssumeRole to lambda.amazonaws.com, or no statement allows it: IAM User Guide, "Policy
    evaluation logic", the implicit deny), "" when it may (or may under a condition the
    snapshot cannot decide); and why that is not known, "" when it is: the trust policy was
    not collected, or it (or a statement of it) could not be parsed -- a document the IAM
    collector kept as its text (collectors.base.policy_document), which the evaluator leaves
    undecided: that is input missing, not a request condition (fault-injection trial round
    24: it was no claim, and the rule PASSed)."""
    doc = attrs.get("trust_policy")
    if not doc:
        return "", "not collected"
    result = evaluate_policy(parse_policy(dict(doc)), Request(
        principal_arn=LAMBDA_SERVICE, principal_account=None, action="sts:AssumeRole",
        resource=role, principal_type="service"), PolicyKind.RESOURCE)
    if result.decision is Decision.DENIED:
        why = "; ".join(result.reasons) or "no statement allows it"
        return f"its trust policy does not let {LAMBDA_SERVICE} sts:AssumeRole it ({why})", ""
    if result.decision is Decision.CONDITIONAL and result.problems:
        return "", f"could not be parsed: {'; '.join(result.problems)}"
    return "", ""


def _read(sv: SecretView, fn: str, fn_attrs: Mapping[str, Any], ev: SecretEvaluator,
          trust: Callable[[str], tuple[str, str]]) -> RotationRead:
    """The read of the role ``fn`` runs as; ``trust``: why Lambda may not assume a role of
    the snapshot, and why that is not known (``_lambda_trust``)."""
    role = fn_attrs.get("role_arn")
    if not role:
        return RotationRead(secret_arn=sv.arn, function_arn=fn,
                            missing=f"the execution role of {fn} (not in the snapshot)")
    principal = ev.index.by_arn.get(role)
    # ("", ""): no claim (a role outside the snapshot: its trust not judged)
    untrusted, trust_unread = "", ""
    if principal is not None:
        untrusted, trust_unread = trust(role)
    else:
        account = arn_account(role)
        if account is None:
            return RotationRead(secret_arn=sv.arn, function_arn=fn, role_arn=role,
                                missing=f"the execution role of {fn} ({role!r} is not an IAM "
                                        "role ARN)")
        if account in ev.index.iam_read:
            # its account's IAM was read and holds no such role: Lambda cannot assume it
            return RotationRead(secret_arn=sv.arn, function_arn=fn, role_arn=role,
                                role_missing=True)
        # a role of an account whose IAM was not read: judged as a role a policy names there
        # (secret_eval's named principals): its identity gate is not known, the others are --
        # a read another gate denies is denied whatever its own policies say
        principal = external_principal(role, account, "role")
    try:
        verdict = ev.pairs.verdict(principal, sv)
        path = ev.pairs.path(principal, sv, verdict)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 -- one read's failure is data, as a secret's
        # (secret_eval.failed_access): this rule's verdict is UNKNOWN, the rest stands
        failed = failed_access(sv, exc).failed
        return RotationRead(secret_arn=sv.arn, function_arn=fn, role_arn=role,
                            missing=f"access analysis of {role}'s read (failed: {failed})")
    finally:
        ev.pairs.end_secret()
    return RotationRead(secret_arn=sv.arn, function_arn=fn, role_arn=role, path=path,
                        blocking=verdict[0].blocking, untrusted=untrusted,
                        trust_unread=trust_unread)
