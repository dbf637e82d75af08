"""Sessions, role assumption, credential caching and the one botocore Config.

* The base session is the standard credential chain (environment, shared files, SSO, instance
  role ...), or ``--profile``.
* In the account the base credentials belong to (the "home" account), those credentials are
  used directly: no role is assumed there (the management account usually has no audit role).
* In every other account the audit role ``arn:<partition>:iam::<account>:role/<role_name>`` is
  assumed once (optionally with an ExternalId) under the RoleSessionName ``session_name``
  (default "secretgraph-audit"; remediation uses "secretgraph-remediate", so its writes are
  told apart in CloudTrail). The credentials are cached per account as
  botocore ``RefreshableCredentials``, which re-assume the role before they expire, so a scan
  can outlast the one-hour session of a chained role.
* Every client gets explicit credentials, an explicit region, the endpoint URL (moto, or
  ``AWS_ENDPOINT_URL``), the one Config, the read-only guard and the call counter.
"""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass
from typing import Any, Callable

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import Credentials, RefreshableCredentials
from botocore.exceptions import BotoCoreError, ProfileNotFound

from scanner.aws.calls import CallCounter
from scanner.aws.errors import AWS_ERRORS, error_code, error_kind, error_message
from scanner.aws.guard import ReadOnlyGuard
from scanner.errors import CredentialsError

#: The calls this module makes (the guard allows them; the caller's policy needs AssumeRole).
OPERATIONS: dict[tuple[str, str], str] = {
    ("sts", "GetCallerIdentity"): "sts:GetCallerIdentity",
    ("sts", "AssumeRole"): "sts:AssumeRole",
}

#: The default RoleSessionName (CloudTrail shows it); remediation passes "secretgraph-remediate".
SESSION_NAME = "secretgraph-audit"


@dataclass(frozen=True, kw_only=True)
class ClientSettings:
    """Everything about how clients talk to AWS, in one place."""

    endpoint_url: str | None = None
    #: botocore's total attempts per call (adaptive mode). Tests against the moto server use 1 so
    #: an HTTP 500 from an unimplemented operation is not retried away.
    max_attempts: int = 8
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_pool_connections: int = 16
    role_session_seconds: int = 3600


def make_config(settings: ClientSettings) -> Config:
    """The one botocore Config: adaptive retries, timeouts, connection pool."""
    return Config(
        retries={"mode": "adaptive", "total_max_attempts": settings.max_attempts},
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        max_pool_connections=settings.max_pool_connections,
        user_agent_extra="secretgraph",
    )


def base_session(profile: str | None = None) -> boto3.Session:
    """The standard credential chain (or a named profile); CredentialsError when there is none."""
    try:
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
        credentials = session.get_credentials()
    except ProfileNotFound as exc:
        raise CredentialsError(f"unknown AWS profile {profile!r} ({exc})") from None
    except BotoCoreError as exc:
        raise CredentialsError(f"could not load AWS credentials: {exc}") from None
    if credentials is None:
        where = f"profile {profile!r}" if profile else "the standard credential chain"
        raise CredentialsError(
            f"no AWS credentials found in {where} (environment, ~/.aws files, SSO, instance role)"
        )
    return session


class _FixedCredentialProvider:
    """A botocore credential_provider component that hands out one credentials object."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def load_credentials(self) -> Credentials:
        return self._credentials


class AwsSessions:
    """Per-account credentials (cached, refreshed) and guarded, counted clients."""

    def __init__(
        self,
        base: boto3.Session,
        *,
        guard: ReadOnlyGuard,
        settings: ClientSettings | None = None,
        counter: CallCounter | None = None,
        role_name: str | None = None,
        external_id: str | None = None,
        sts_region: str = "us-east-1",
        clock: Callable[[], datetime.datetime] | None = None,
        session_name: str = SESSION_NAME,
    ) -> None:
        self.base = base
        self.session_name = session_name
        self.settings = settings or ClientSettings()
        self.guard = guard
        self.counter = counter
        self.role_name = role_name
        self.external_id = external_id
        self.sts_region = sts_region
        self._clock = clock
        self._config = make_config(self.settings)
        self._botocore = base._session
        self._events = self._botocore.get_component("event_emitter")
        self._loader = self._botocore.get_component("data_loader")
        credentials = base.get_credentials()
        if credentials is None:
            raise CredentialsError("no AWS credentials found in the standard credential chain")
        self._base_credentials: Credentials = credentials
        self._lock = threading.Lock()
        self._account_locks: dict[str, threading.Lock] = {}
        self._cache: dict[str, Credentials] = {}
        self._home: str | None = None
        self.partition = base.get_partition_for_region(sts_region)

    # ----------------------------------------------------------------- identity

    def home_account(self) -> str:
        """The account of the base credentials (GetCallerIdentity); CredentialsError if rejected."""
        if self._home is None:
            sts = self._make_client(self._base_credentials, "sts", self.sts_region)
            try:
                self._home = str(sts.get_caller_identity()["Account"])
            except AWS_ERRORS as exc:
                what = ("the AWS credentials were rejected"
                        if error_kind(exc) == "denied" else "could not verify the AWS credentials")
                raise CredentialsError(
                    f"{what} (sts:GetCallerIdentity {error_code(exc)}: {error_message(exc)})"
                ) from None
        return self._home

    def role_arn(self, account_id: str) -> str:
        if not self.role_name:
            raise CredentialsError(
                f"no --role-name given: cannot assume a role in account {account_id}"
            )
        return f"arn:{self.partition}:iam::{account_id}:role/{self.role_name}"

    # ----------------------------------------------------------------- credentials

    def credentials(self, account_id: str) -> Credentials:
        """Credentials acting in ``account_id``; assumes the audit role on first use.

        Raises the botocore error of a failed AssumeRole (the caller turns it into coverage).
        """
        if account_id == self.home_account():
            return self._base_credentials
        with self._lock:
            cached = self._cache.get(account_id)
            if cached is not None:
                return cached
            account_lock = self._account_locks.setdefault(account_id, threading.Lock())
        with account_lock:
            with self._lock:
                cached = self._cache.get(account_id)
            if cached is not None:
                return cached
            role_arn = self.role_arn(account_id)
            metadata = self._assume(role_arn)
            kwargs: dict[str, Any] = {}
            if self._clock is not None:
                kwargs["time_fetcher"] = self._clock
            refreshable = RefreshableCredentials(
                access_key=metadata["access_key"],
                secret_key=metadata["secret_key"],
                token=metadata["token"],
                expiry_time=datetime.datetime.fromisoformat(metadata["expiry_time"]),
                refresh_using=lambda: self._assume(role_arn),
                method="assume-role",
                **kwargs,
            )
            with self._lock:
                self._cache[account_id] = refreshable
            return refreshable

    def _assume(self, role_arn: str) -> dict[str, str]:
        sts = self._make_client(self._base_credentials, "sts", self.sts_region)
        params: dict[str, Any] = {
            "RoleArn": role_arn,
            "RoleSessionName": self.session_name,
            "DurationSeconds": self.settings.role_session_seconds,
        }
        if self.external_id:
            params["ExternalId"] = self.external_id
        creds = sts.assume_role(**params)["Credentials"]
        expiration = creds["Expiration"]
        if isinstance(expiration, datetime.datetime):
            if expiration.tzinfo is None:
                expiration = expiration.replace(tzinfo=datetime.timezone.utc)
            expiry = expiration.isoformat()
        else:
            expiry = str(expiration)
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": expiry,
        }

    # ----------------------------------------------------------------- clients

    def client(self, service: str, *, account_id: str, region: str) -> Any:
        """A guarded, counted client acting in ``account_id`` and ``region``."""
        return self._make_client(self.credentials(account_id), service, region)

    def home_client(self, service: str, region: str) -> Any:
        """A client with the base credentials (Organizations discovery from the management account)."""
        return self._make_client(self._base_credentials, service, region)

    def _make_client(self, credentials: Credentials, service: str, region: str) -> Any:
        session = botocore.session.Session(event_hooks=self._events,
                                           include_builtin_handlers=False)
        session.register_component("data_loader", self._loader)
        session.register_component("credential_provider", _FixedCredentialProvider(credentials))
        client = session.create_client(
            service,
            region_name=region,
            endpoint_url=self.settings.endpoint_url,
            config=self._config,
        )
        self.guard.install(client)
        if self.counter is not None:
            self.counter.install(client)
        return client
