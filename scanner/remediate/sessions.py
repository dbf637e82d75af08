"""Clients for remediation: the remediation role's sessions, guarded to the declared actions.

The scan's clients refuse every write (scanner.aws.guard). Remediation builds its own sessions
from ``--remediation-role-name`` (never the audit role) with the same guard class, but allowing
exactly the actions the remediators declare in PERMISSIONS, so an undeclared call -- and any
secret-value read -- is refused before it is sent.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import boto3

from remediations import REMEDIATORS
from scanner.changes import Clients
from scanner.aws.guard import ReadOnlyGuard
from scanner.aws.session import AwsSessions, ClientSettings, base_session

#: account id -> write-capable clients in that account
ClientsFactory = Callable[[str], Clients]

#: calls the engine itself makes (identity and estate checks)
ENGINE_OPERATIONS = frozenset({("sts", "GetCallerIdentity"), ("sts", "AssumeRole"),
                               ("organizations", "DescribeOrganization")})


def remediation_operations() -> frozenset[tuple[str, str]]:
    """(botocore service, operation) pairs the remediators declare, plus the engine's."""
    ops = set(ENGINE_OPERATIONS)
    for module in REMEDIATORS.values():
        for action in module.PERMISSIONS:
            prefix, name = action.split(":", 1)
            ops.add((prefix, name))
    return frozenset(ops)


class AccountClients:
    """Clients acting in one account through the remediation role (cached per service+region)."""

    def __init__(self, sessions: AwsSessions, account_id: str) -> None:
        self._sessions = sessions
        self._account_id = account_id
        self._cache: dict[tuple[str, str], Any] = {}
        self._others: dict[str, AccountClients] = {}

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._cache:
            self._cache[key] = self._sessions.client(service, account_id=self._account_id,
                                                     region=region)
        return self._cache[key]

    def in_account(self, account_id: str) -> "AccountClients":
        if account_id == self._account_id:
            return self
        if account_id not in self._others:
            self._others[account_id] = AccountClients(self._sessions, account_id)
        return self._others[account_id]


def remediation_clients(*, role_name: str | None, endpoint_url: str | None,
                        base: boto3.Session | None = None,
                        max_attempts: int = 4, profile: str | None = None,
                        external_id: str | None = None) -> ClientsFactory:
    """account id -> clients through ``arn:aws:iam::<account>:role/<role_name>``; in the
    account of the base credentials those credentials are used directly."""
    return clients_of(remediation_sessions(role_name=role_name, endpoint_url=endpoint_url,
                                           base=base, max_attempts=max_attempts,
                                           profile=profile, external_id=external_id))


def remediation_sessions(*, role_name: str | None, endpoint_url: str | None,
                         base: boto3.Session | None = None,
                         max_attempts: int = 4, profile: str | None = None,
                         external_id: str | None = None) -> AwsSessions:
    """The remediation role's sessions (``remediation_clients`` makes its clients of them)."""
    return AwsSessions(base or base_session(profile),
                       guard=ReadOnlyGuard(remediation_operations(), purpose="remediation"),
                       settings=ClientSettings(endpoint_url=endpoint_url,
                                               max_attempts=max_attempts),
                       role_name=role_name, external_id=external_id,
                       session_name="secretgraph-remediate",
                       role_flag="--remediation-role-name")


def accounts_needing_a_role(sessions: AwsSessions, accounts: Iterable[str]) -> list[str]:
    """The ``accounts`` that ``sessions`` reach only by assuming a role and has none to assume:
    every one but the base credentials' own (GetCallerIdentity), when no role was given."""
    wanted = set(accounts)
    if not wanted or sessions.role_name or sessions.role_arn_template:
        return []
    return sorted(wanted - {sessions.home_account()})


def clients_of(sessions: AwsSessions) -> ClientsFactory:
    """account id -> write-capable clients in that account, through ``sessions``."""
    cache: dict[str, AccountClients] = {}

    def factory(account_id: str) -> Clients:
        if account_id not in cache:
            cache[account_id] = AccountClients(sessions, account_id)
        return cache[account_id]

    return factory
