"""The read-only guard: a botocore hook on every client the scanner creates.

It runs on ``before-parameter-build`` (before the request is built or sent) and refuses any
operation outside the declared read set -- the collectors' ``OPERATIONS`` tables plus the calls
the session layer makes (scanner.aws.session.OPERATIONS: GetCallerIdentity, AssumeRole, and
DescribeRegions for ``--regions all``) -- by raising scanner.errors.ReadOnlyViolation. GetSecretValue and
BatchGetSecretValue are refused even if someone adds them to a table.

Remediation and the Security Hub export use the same guard with their own allow-lists; the
``purpose`` given at construction names whose declared operations were missed in the refusal.
"""

from __future__ import annotations

from typing import Any, Iterable

from scanner.errors import ReadOnlyViolation

#: (botocore service name, operation) pairs that are refused whatever the declarations say.
ALWAYS_REFUSED: frozenset[tuple[str, str]] = frozenset(
    {("secretsmanager", "GetSecretValue"), ("secretsmanager", "BatchGetSecretValue")}
)


class ReadOnlyGuard:
    """Refuses every operation that is not in ``allowed`` (and always the secret-value reads).

    ``purpose`` names the allow-list in the refusal ("scan", "remediation", "Security Hub
    export", ...).
    """

    def __init__(self, allowed: Iterable[tuple[str, str]], *, purpose: str = "scan") -> None:
        self.allowed: frozenset[tuple[str, str]] = frozenset(allowed) - ALWAYS_REFUSED
        self.purpose = purpose

    def check(self, service: str, operation: str) -> None:
        if (service, operation) in ALWAYS_REFUSED:
            raise ReadOnlyViolation(
                f"refused {service}:{operation}: secretgraph never reads secret values"
            )
        if (service, operation) not in self.allowed:
            raise ReadOnlyViolation(
                f"refused {service}:{operation}: not one of the declared operations of the "
                f"{self.purpose}"
            )

    def _hook(self, model: Any = None, **_: Any) -> None:
        self.check(model.service_model.service_name, model.name)

    def install(self, client: Any) -> Any:
        """Register the guard on one client; returns the client."""
        client.meta.events.register("before-parameter-build", self._hook,
                                    unique_id="secretgraph-read-only-guard")
        return client
