"""Every AWS call a remediator makes is one it declares (PERMISSIONS), so the remediation
role's policy -- `secretgraph iam-policy --for remediation-role`, generated from those
declarations (docs/remediation.md, docs/deployment.md) -- allows it, and the remediation
guard (scanner.remediate.sessions) does not refuse it at the apply. The collectors' sources are
held to their OPERATIONS tables the same way (tests/aws/test_permissions.py); here a
remediator's source, and the state readers of remediations/_*.py it reaches, name only
operations of its own PERMISSIONS (docs truth round 16: nothing held them)."""

from __future__ import annotations

import functools
import inspect
import re
from pathlib import Path
from types import ModuleType

from remediations import REMEDIATORS, _key_state, _secret_policy, _secret_state
from scanner.remediate.sessions import ENGINE_OPERATIONS, remediation_operations

ROOT = Path(__file__).resolve().parents[2]
HELPERS: dict[str, ModuleType] = {"_key_state": _key_state, "_secret_state": _secret_state,
                                  "_secret_policy": _secret_policy}


@functools.cache
def _methods(service: str) -> dict[str, str]:
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(service)
    return {xform_name(op): op for op in model.operation_names}


def calls_in(source: str, services: set[str]) -> set[tuple[str, str]]:
    """(service, operation) pairs whose boto3 method the source names as an attribute
    (``.describe_key(``) or a string; a method several services have gives each."""
    words = {w for pair in re.findall(r"\.([a-z][a-z0-9_]*)\b|[\"']([a-z][a-z0-9_]*)[\"']",
                                      source) for w in pair if w}
    return {(s, _methods(s)[w]) for s in services for w in words if w in _methods(s)}


def reached_source(source: str, seen: set[str] | None = None) -> str:
    """The source, and that of every state reader of remediations/_*.py it calls (again)."""
    seen = set() if seen is None else seen
    parts = [source]
    for module, name in re.findall(r"\b(_key_state|_secret_state|_secret_policy)\.(\w+)", source):
        if f"{module}.{name}" in seen:
            continue
        seen.add(f"{module}.{name}")
        parts.append(reached_source(inspect.getsource(getattr(HELPERS[module], name)), seen))
    return "\n".join(parts)


def undeclared(name: str, source: str, permissions: tuple[str, ...]) -> list[str]:
    """The calls ``source`` (with the state readers it reaches) names that ``permissions``
    do not declare."""
    declared = {tuple(p.split(":", 1)) for p in permissions}
    services = {s for s, _ in remediation_operations()} - {"sts", "organizations"}
    named = calls_in(reached_source(source), services)
    # a method name several services share (get_resource_policy: Secrets Manager's and
    # Lambda's) counts once one of them is declared
    by_method: dict[str, set[str]] = {}
    for service, op in named:
        by_method.setdefault(op, set()).add(service)
    return sorted(f"{name}: {'/'.join(sorted(svcs))}:{op}" for op, svcs in by_method.items()
                  if not any((s, op) in declared for s in svcs))


def test_every_call_a_remediator_makes_is_one_it_declares() -> None:
    assert [line for module in REMEDIATORS.values()
            for line in undeclared(module.__name__, inspect.getsource(module),
                                   module.PERMISSIONS)] == []


def test_the_engine_calls_only_what_it_declares() -> None:
    """The apply and undo engine's own calls (identity and estate checks) are ENGINE_OPERATIONS,
    which the guard allows and the policy's IdentityChecks statement holds."""
    from scanner.remediate.permissions import remediation_policy_document

    services = {s for s, _ in remediation_operations()}
    named = set()
    for path in sorted((ROOT / "scanner" / "remediate").glob("*.py")):
        named |= calls_in(path.read_text(encoding="utf-8"), {"sts", "organizations"})
    assert named <= set(ENGINE_OPERATIONS), named - set(ENGINE_OPERATIONS)
    statements = remediation_policy_document()["Statement"]
    (checks,) = [s for s in statements if s["Sid"] == "IdentityChecks"]
    assert {f"{s}:{op}" for s, op in named} <= set(checks["Action"])
    assert services >= {"secretsmanager", "kms", "ec2", "lambda"}


def test_the_check_finds_a_call_a_state_reader_makes_for_a_remediator() -> None:
    """enable_key_rotation reads the key through _key_state.rotation (GetKeyRotationStatus): a
    remediator reaching _key_state.key_state too (DescribeKey) without declaring it is
    named; a shared method name of an undeclared service is not taken for the declared one."""
    source = "def read_current(c, ch):\n    _key_state.rotation(c, 'k', 'r')\n" \
             "    return _key_state.key_state(c, 'k', 'r')\n"
    assert undeclared("fake", source, ("kms:GetKeyRotationStatus",)) == \
        ["fake: kms:DescribeKey"]
    assert undeclared("fake", source, ("kms:GetKeyRotationStatus", "kms:DescribeKey")) == []
    assert undeclared("fake", "c.get_resource_policy(SecretId=a)",
                      ("secretsmanager:GetResourcePolicy",)) == []
    assert undeclared("fake", "c.get_resource_policy(SecretId=a)", ()) == \
        ["fake: lambda/secretsmanager:GetResourcePolicy"]
