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

from scanner.access.context import service_requests
from scanner.access.graph_io import SecretView
from scanner.access.identity import external_principal
from scanner.access.secret_eval import SecretEvaluator, failed_access
from scanner.access.verdicts import RotationRead, SecretAccess
from scanner.graph.schema import EdgeKind, rotation_function
from scanner.policy.arn import arn_account, unqualified_function
from scanner.policy.evaluate import IMPLICIT_DENY, Decision, PolicyKind, evaluate_policy
from scanner.policy.parse import parse_policy


def rotation_reads(graph: nx.MultiDiGraph, views: Sequence[SecretView],
                   results: Mapping[str, SecretAccess],
                   ev: SecretEvaluator) -> dict[str, RotationRead]:
    """Secret ARN -> its rotation function's read of it, for every primary secret with
    rotation enabled whose rotation function is in the graph (a function that is not:
    secret-rotation-function-missing). A secret scheduled for deletion, or whose analysis
    failed, is left out (no read of it is judged)."""
    out: dict[str, RotationRead] = {}
    # (role ARN, function ARN) -> _lambda_trust, once per role and function
    trusts: dict[tuple[str, str], tuple[str, str]] = {}

    def trust(role: str, function: str) -> tuple[str, str]:
        if (role, function) not in trusts:
            # a role the principal index holds need not be a node of this graph (the
            # remediation planner's predicted estates: tests/demo/test_demo_remediate.py):
            # its trust policy is not at hand, so no claim is made
            trusts[role, function] = _lambda_trust(role, graph.nodes[role], function) \
                if role in graph else ("", "")
        return trusts[role, function]

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
        out[sv.arn] = _read(sv, fn, str(attrs["rotation_lambda_arn"]), graph.nodes[fn], ev,
                            trust)
    return out


#: the service principal that assumes a function's execution role (Lambda Developer Guide,
#: "Defining Lambda function permissions with an execution role": the role's trust policy
#: "specifies the Lambda service principal (lambda.amazonaws.com) as a trusted service")
LAMBDA_SERVICE = "lambda.amazonaws.com"


def _lambda_trust(role: str, attrs: Mapping[str, Any], function: str) -> tuple[str, str]:
    """(untrusted, unread): why Lambda may not assume ``role`` for ``function`` (its trust
    policy denies sts:AssumeRole to lambda.amazonaws.com, or no statement allows it: IAM User
    Guide, "Policy evaluation logic", the implicit deny), "" when it may (or may under a
    condition the snapshot cannot decide); and why that is not known, "" when it is: the trust
    policy was not collected, or it (or a statement of it) could not be parsed -- a document
    the IAM collector kept as its text (collectors.base.policy_document), which the evaluator
    leaves undecided: that is input missing, not a request condition (fault-injection trial
    round 24: it was no claim, and the rule PASSed). The request is the service principal's
    (``context.service_requests``): denied only if every reading of it is --
    aws:SourceAccount and aws:SourceArn absent, or the function's account and ARN."""
    doc = attrs.get("trust_policy")
    if not doc:
        return "", "not collected"
    policy = parse_policy(dict(doc))
    results = [evaluate_policy(policy, request, PolicyKind.RESOURCE) for request in
               service_requests(LAMBDA_SERVICE, action="sts:AssumeRole", resource=role,
                                source_account=arn_account(function) or arn_account(role),
                                source_arn=unqualified_function(function)[0])]
    if all(result.decision is Decision.DENIED for result in results):
        # each reading's reasons, once, the implicit deny they share last
        reasons = list(dict.fromkeys(r for result in results for r in result.reasons))
        reasons.sort(key=lambda r: r == IMPLICIT_DENY)
        why = "; ".join(reasons) or "no statement allows it"
        return f"its trust policy does not let {LAMBDA_SERVICE} sts:AssumeRole it ({why})", ""
    problems = list(dict.fromkeys(p for result in results
                                  if result.decision is Decision.CONDITIONAL
                                  for p in result.problems))
    if problems:
        return "", f"could not be parsed: {'; '.join(problems)}"
    return "", ""


def _read(sv: SecretView, node: str, rotation_arn: str, fn_attrs: Mapping[str, Any],
          ev: SecretEvaluator, trust: Callable[[str, str], tuple[str, str]]) -> RotationRead:
    """The read of the role that the function version ``rotation_arn`` names runs as
    (``node``: the function's node; graph.schema.rotation_function); ``trust``: why Lambda
    may not assume a role of the snapshot, and why that is not known (``_lambda_trust``). The
    read names the function as the secret does when that is a version or alias (it runs as
    its own role), else by its node."""
    settings, unknown = rotation_function(rotation_arn, fn_attrs)
    fn = node if settings is fn_attrs else rotation_arn
    role = settings.get("role_arn") if settings is not None else None
    if not role:
        return RotationRead(secret_arn=sv.arn, function_arn=fn,
                            missing=f"the execution role of {fn} "
                                    f"({unknown or 'not in the snapshot'})")
    principal = ev.index.by_arn.get(role)
    # ("", ""): no claim (a role outside the snapshot: its trust not judged)
    untrusted, trust_unread = "", ""
    if principal is not None:
        untrusted, trust_unread = trust(role, fn)
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
