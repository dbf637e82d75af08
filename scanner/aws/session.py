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
* Every client gets explicit credentials, an explicit region, the endpoint URL of
  ``--endpoint-url`` (moto; without it botocore's configured endpoints:
  ``AWS_ENDPOINT_URL_<SERVICE>``, then ``AWS_ENDPOINT_URL``), the one Config, the read-only guard, the cancel hook, the call counter
  and (Secrets Manager) the GetResourcePolicy pacing.
* Clients are made once per (credentials, account, Region, service) and reused by every thread
  (botocore clients are thread-safe; sessions are not): one botocore session per set of
  credentials, sharing the base session's data loader (each service model is parsed once per
  process), and every client is created under one process-wide lock, since botocore's session
  and loader caches are not safe for concurrent client creation (unlocked, eight workers
  starting at once each parsed EC2's model: the demo scan's peak RSS was 2x). ``release`` drops
  an account's clients and session once its work is done, so their memory does not grow with
  the number of accounts.
* What does not depend on the credentials or the Region is made once per service, not per
  client (``_ClientClasses``): botocore's client class and service model, and the event
  handler table a client copies, pruned of other services' handlers. Making a client costs
  about 1.8 ms instead of 4, and a released client is freed by reference counting.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import gc
import os
import re
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import boto3
import botocore.client
import botocore.session
from botocore.config import Config
from botocore.credentials import Credentials, RefreshableCredentials
from botocore.exceptions import BotoCoreError, DataNotFoundError, ProfileNotFound
from botocore.hooks import EventAliaser, HierarchicalEmitter
from botocore.model import ServiceModel
from botocore.utils import EVENT_ALIASES

from scanner.aws.calls import CallCounter
from scanner.aws.errors import (
    AWS_ERRORS,
    EXPIRED_CODES,
    credentials_problem,
    error_code,
    error_kind,
    error_message,
)
from scanner.aws.guard import ReadOnlyGuard
from scanner.aws.ratelimit import Bucket, install_policy_pacing
from scanner.aws.responses import AnswerParserFactory, answered, check_answer, check_types, \
    read_timestamp
from scanner.aws.throttle import ThrottleBudget
from scanner.errors import Cancelled, CredentialsError, UsageError
from scanner.logging_setup import register_secret

#: The calls this module makes (the guard allows them; the caller's policy needs AssumeRole).
OPERATIONS: dict[tuple[str, str], str] = {
    ("sts", "GetCallerIdentity"): "sts:GetCallerIdentity",
    ("sts", "AssumeRole"): "sts:AssumeRole",
    # `scan --regions all`: the Regions enabled for the account
    ("ec2", "DescribeRegions"): "ec2:DescribeRegions",
}

#: The default RoleSessionName (CloudTrail shows it); remediation passes "secretgraph-remediate".
SESSION_NAME = "secretgraph-audit"


#: STS API Reference, AssumeRole, ExternalId: "Length Constraints: Minimum length of 2. Maximum
#: length of 1224. Pattern: [\w+=,.@:\/-]*" -- botocore refuses anything else before the call
#: (ParamValidationError), so every account became a coverage gap (bad-input trial round 1)
_EXTERNAL_ID_CHARS = re.compile(r"[\w+=,.@:/-]*", re.ASCII)


def external_id_problem(value: str) -> str | None:
    """None when STS accepts ``value`` as an ExternalId, else why not (the value itself is not
    repeated: it is a shared secret of sorts)."""
    if not 2 <= len(value) <= 1224:
        return f"an ExternalId is 2 to 1224 characters (got {len(value)})"
    if not _EXTERNAL_ID_CHARS.fullmatch(value):
        return "an ExternalId has ASCII letters, digits and _+=,.@:/- only (no spaces)"
    return None


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
        raise CredentialsError(
            f"unknown AWS profile {profile or _profile_name()!r} ({exc})") from None
    except BotoCoreError as exc:
        problem = credentials_problem(exc, profile=profile or _profile_name())
        raise CredentialsError(problem or f"could not load AWS credentials: {exc}") from None
    if credentials is None:
        raise CredentialsError(no_credentials(profile))
    return session


def no_credentials(profile: str | None) -> str:
    """The one line for credentials that are not there, with how to give them: it named
    where they were looked for and nothing more (new-user trial round 28)."""
    if profile:
        return (f"no AWS credentials found in profile {profile!r}: set them with "
                f"`aws configure --profile {profile}`, or for IAM Identity Center "
                f"`aws configure sso --profile {profile}` then "
                f"`aws sso login --profile {profile}`")
    return ("no AWS credentials found in the standard credential chain (environment, ~/.aws "
            "files, SSO, instance role): give --profile NAME (IAM Identity Center: first "
            "`aws sso login --profile NAME`), or set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY; `secretgraph demo` needs none")


def _profile_name() -> str | None:
    import os

    return os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")


def profile_region(profile: str | None = None) -> str | None:
    """The default Region: AWS_REGION, else what boto3 finds (AWS_DEFAULT_REGION, the
    profile's region). AWS CLI User Guide, "Environment variables": AWS_REGION "overrides the
    values in the environment variable AWS_DEFAULT_REGION and the profile setting region";
    botocore itself reads only AWS_DEFAULT_REGION (a new-user trial: AWS_REGION was ignored
    although the error message and the docs named it)."""
    try:
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
    except ProfileNotFound as exc:
        raise CredentialsError(
            f"unknown AWS profile {profile or _profile_name()!r} ({exc})") from None
    region = os.environ.get("AWS_REGION", "").strip()
    source = "$AWS_REGION"
    if not region:
        region = session.region_name or ""
        source = ("$AWS_DEFAULT_REGION" if os.environ.get("AWS_DEFAULT_REGION") == region
                  else f"the region of profile {profile or _profile_name() or 'default'!r}")
    if not region:
        return None
    # named where it came from: no option gave it (fault-injection trial round 20:
    # AWS_DEFAULT_REGION=abc was "unknown region 'abc'", as if the command line had said it)
    from scanner.aws.regions import unknown_region

    problem = unknown_region(region, source=source)
    if problem:
        from scanner.errors import UsageError

        raise UsageError(problem)
    return region


ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")


def check_role_name(name: str, flag: str = "--role-name") -> str:
    """A role *name* (not an ARN, not a path): UsageError otherwise."""
    hint = ("; for a role with a path use --role-arn "
            "'arn:aws:iam::{account_id}:role/PATH/NAME'" if flag == "--role-name" else "")
    if name.startswith("arn:"):
        raise UsageError(f"{flag} takes a role name, not an ARN ({name}){hint}")
    if "/" in name:
        raise UsageError(f"{flag} takes a role name without a path ({name}){hint}")
    if not ROLE_NAME.match(name):
        raise UsageError(f"{flag} {name!r} is not a valid IAM role name")
    return name


ROLE_ARN_TEMPLATE = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov|\{partition\}):iam::\{account_id\}:role/"
    r"(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")


def check_role_arn_template(template: str) -> str:
    """``arn:aws:iam::{account_id}:role/path/Name``; UsageError otherwise."""
    if not ROLE_ARN_TEMPLATE.match(template):
        raise UsageError(f"--role-arn {template!r}: expected a template like "
                         "'arn:aws:iam::{account_id}:role/path/Audit' ({account_id} is "
                         "replaced by each account's id)")
    return template


def role_name_of(template: str) -> str:
    """The role name of an ARN template (its last path element)."""
    return template.rsplit("/", 1)[-1]


#: botocore sessions and their loader are not thread-safe for client creation (botocore's
#: "Multithreading or multiprocessing with clients" advice): every client in the process is made
#: under this lock. Only creation is serialised; calls on made clients run in parallel.
_CLIENT_CREATION = threading.Lock()

#: Event name -> its alias under botocore's EVENT_ALIASES, shared by every client's aliaser.
_ALIASES: dict[str, str] = {}

#: The owner of the base credentials' session and clients (assumed accounts own theirs).
_BASE = "(base credentials)"


class _AssumedCredentials(RefreshableCredentials):  # type: ignore[misc]
    """An audit-role session: botocore's refreshable credentials, which also re-assume the
    role at once when AWS calls them expired (``renew``) -- AWS's clock decides, not only the
    local one (fault trial round 3: an ExpiredTokenException on page 3 of ListSecrets lost the
    listing and nothing was re-assumed)."""

    #: (the access key whose renewal was refused, the role's error): the role is not asked
    #: again for that session. Each expired call re-assumed it for itself, each refused -- an
    #: account with 5,000 secrets left sent 5,000 AssumeRole calls and logged 5,000 failed
    #: refreshes (fault-injection trial round 17)
    _refused: tuple[str | None, BaseException] | None = None

    def renew(self, stale_access_key: str | None) -> None:
        """Assume the role again, unless another thread did since ``stale_access_key`` (the
        key that signed the refused request) was in use. The role's error propagates; it is
        raised again, without asking, for the session's later expired calls."""
        with self._refresh_lock:
            if stale_access_key is not None and self._access_key != stale_access_key:
                return
            if self._refused is not None and self._refused[0] == self._access_key:
                raise self._refused[1].with_traceback(None)
            try:
                self._protected_refresh(is_mandatory=True)
            except AWS_ERRORS as exc:
                self._refused = (self._access_key, exc)
                raise


_SIGV4_KEY = re.compile(r"Credential=([^/,\s]+)/")


def _header(request: Any, name: str) -> str:
    value = getattr(request, "headers", {}).get(name, b"")
    return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value or "")


#: per-call context keys of the re-assume hooks
_SIGNED_WITH = "secretgraph-signed-with"
_RENEWED = "secretgraph-renewed"


def _install_renewal(client: Any, credentials: _AssumedCredentials) -> None:
    """On an audit-role client: a call answered ExpiredToken(Exception) re-assumes the role and
    is sent again at once, one time per call (a page of a listing is sent again, not the
    listing). A second expiry, or a role that cannot be assumed again, is the call's failure
    (kind ``expired_credentials``)."""

    def signed(request: Any = None, **_: Any) -> None:
        # after botocore's signer (a request-created handler registered before this one): the
        # key that signed this attempt, from its SigV4 Authorization header
        context = getattr(request, "context", None)
        if isinstance(context, dict):
            match = _SIGV4_KEY.search(_header(request, "Authorization"))
            context[_SIGNED_WITH] = match.group(1) if match else None

    def expired(response: Any = None, request_dict: Any = None, **_: Any) -> int | None:
        parsed = response[1] if isinstance(response, tuple) and len(response) == 2 else None
        error = parsed.get("Error") if isinstance(parsed, dict) else None
        if not isinstance(error, dict) or error.get("Code") not in EXPIRED_CODES:
            return None
        context = request_dict.get("context") if isinstance(request_dict, dict) else None
        if not isinstance(context, dict) or context.get(_RENEWED):
            return None
        context[_RENEWED] = True
        try:
            credentials.renew(context.get(_SIGNED_WITH))
        except AWS_ERRORS:
            return None  # the role cannot be assumed again: the expired answer stands
        return 0  # retry now, signed with the new session (botocore signs every attempt)

    client.meta.events.register_last("request-created", signed,
                                     unique_id="secretgraph-signed-with")
    client.meta.events.register_first("needs-retry", expired,
                                      unique_id="secretgraph-renew-expired")


class _FixedCredentialProvider:
    """A botocore credential_provider component that hands out one credentials object."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def load_credentials(self) -> Credentials:
        return self._credentials


class _ClientClasses:
    """The client class and service model of each service, made once per ``AwsSessions``.

    botocore makes both anew for every client: a ``ServiceModel`` (its operation models and
    shapes are cached per instance, so each new client resolves them again on its first calls)
    and a class with one method (and lazy docstring) per operation -- about 600 for EC2, 1.5
    ms a client, 40% of making one. Neither depends on the credentials or the Region: the
    class holds only the service's methods (what the ``creating-client-class`` handlers add
    to them), every per-client value is an instance attribute. So every client of a service
    made here shares them. They also keep the heap small: 50 clients alive no longer mean 50
    copies of the methods for the garbage collector to walk after each release."""

    def __init__(self) -> None:
        #: (service, api_version asked for) -> [the loader's JSON model, its ServiceModel,
        #: the client class or None]
        self.services: dict[tuple[str, str | None], list[Any]] = {}
        #: service -> (the handlers' lookup cache when pruned, the pruned handlers' aliaser)
        self.events: dict[str, tuple[Any, "_SharedAliases"]] = {}

    def client_events(self, handlers: HierarchicalEmitter,
                      service_model: Any) -> "_SharedAliases":
        """The handlers a client of ``service_model`` copies: ``handlers`` without the ones
        registered for other services (see ``_prune``). Made again once ``handlers`` changed
        (botocore replaces its lookup cache on every register and unregister)."""
        seen = handlers._lookup_cache
        cached = self.events.get(service_model.service_name)
        if cached is None or cached[0] is not seen:
            cached = (seen, _SharedAliases(_prune(handlers, service_model)))
            self.events[service_model.service_name] = cached
        return cached[1]


#: botocore's events that a client emits as ``EVENT.SERVICE-ID.OPERATION`` (docs events as
#: ``docs.SECTION.SERVICE.OPERATION...``): a handler registered under another service's name
#: there is never called by the client.
_PER_SERVICE_EVENTS = frozenset({
    "after-call", "after-call-error", "before-call", "before-endpoint-resolution",
    "before-parameter-build", "before-parse", "before-send", "before-sign", "choose-signer",
    "creating-client-class", "getattr", "needs-retry", "provide-client-params",
    "request-created", "response-received"})


def _prune(handlers: HierarchicalEmitter, service_model: Any) -> HierarchicalEmitter:
    """A copy of ``handlers`` without the branches of other services under the events of
    ``_PER_SERVICE_EVENTS`` and ``docs``.

    Every client copies its session's handler table (botocore's and boto3's: about 200 trie
    nodes, most of them for S3 and other services), then registers its own. The copy cost
    about 0.5 ms a client, and the copies were most of the objects the garbage collector walks
    after each account's release. A client only emits its own service's events, so the
    branches of the others are dead weight in its copy."""
    service_id = service_model.service_id.hyphenize()
    names = {"*", service_model.service_name, service_id}
    names |= {EVENT_ALIASES.get(name, name) for name in names}
    pruned: HierarchicalEmitter = copy.copy(handlers)
    for event, node in pruned._handlers._root["children"].items():
        if event == "docs":
            branches = list(node["children"].values())
        elif event in _PER_SERVICE_EVENTS:
            branches = [node]
        else:
            continue
        for branch in branches:
            children = branch["children"]
            for name in [name for name in children if name not in names]:
                del children[name]
    pruned._lookup_cache = {}  # the copy's was its original's
    return pruned


class _SharedAliases(EventAliaser):
    """botocore's event aliaser, with the process's cache of event-name aliases, which its
    copies (every client's) share.

    botocore's copies start with an empty cache: a new client's first use of each event name
    ("before-call.secrets-manager.ListSecrets", ...) walked botocore's alias table again, about
    70 times per client, a tenth of the demo collection's CPU. The alias of a name depends on
    nothing but the name and that table, so one cache serves every client."""

    def __init__(self, emitter: Any) -> None:
        super().__init__(emitter)
        self._alias_name_cache = _ALIASES

    def __copy__(self) -> "_SharedAliases":
        return _SharedAliases(copy.copy(self._emitter))


class _SessionEvents(_SharedAliases):
    """The event emitter of the sessions made here: the aliaser over the base session's
    handlers, carrying the sessions' ``_ClientClasses`` for ``_CachingClientCreator``."""

    def __init__(self, emitter: Any, classes: _ClientClasses) -> None:
        super().__init__(emitter)
        self.client_classes = classes


class _CachingClientCreator(botocore.client.ClientCreator):  # type: ignore[misc]
    """botocore's ClientCreator, taking the service model and client class from the
    ``_ClientClasses`` of its event emitter (an emitter that is not a ``_SessionEvents``:
    botocore's own behaviour)."""

    _event_emitter: Any  # botocore's (the session's)

    def _classes(self) -> _ClientClasses | None:
        return getattr(self._event_emitter, "client_classes", None)

    def _load_service_model(self, service_name: str, api_version: str | None = None) -> Any:
        classes = self._classes()
        if classes is None:
            return super()._load_service_model(service_name, api_version)
        # the loader caches the JSON model: another one (another loader) makes a new entry
        json_model = self._loader.load_service_model(service_name, "service-2",
                                                     api_version=api_version)
        entry = classes.services.get((service_name, api_version))
        if entry is None or entry[0] is not json_model:
            entry = [json_model, super()._load_service_model(service_name, api_version), None]
            classes.services[(service_name, api_version)] = entry
        return entry[1]

    def _get_client_args(self, service_model: Any, *args: Any, **kwargs: Any) -> Any:
        """botocore's, with the pruned handlers of the service for the client to copy."""
        classes = self._classes()
        if classes is None:
            return super()._get_client_args(service_model, *args, **kwargs)
        session_events = self._event_emitter
        self._event_emitter = classes.client_events(session_events._emitter, service_model)
        try:
            return super()._get_client_args(service_model, *args, **kwargs)
        finally:
            self._event_emitter = session_events

    def _create_client_class(self, service_name: str, service_model: Any) -> Any:
        classes = self._classes()
        entry = None if classes is None else next(
            (e for e in classes.services.values() if e[1] is service_model), None)
        if entry is None:
            return super()._create_client_class(service_name, service_model)
        if entry[2] is None:
            entry[2] = super()._create_client_class(service_name, service_model)
        return entry[2]


@contextlib.contextmanager
def _caching_client_creator() -> Iterator[None]:
    """While one client is made (under _CLIENT_CREATION), botocore's sessions make their
    ClientCreator from ``_CachingClientCreator``. botocore has no seam for this:
    ``Session.create_client`` makes a ``botocore.client.ClientCreator`` per call. Another
    thread making a client meanwhile (outside this module) gets botocore's behaviour, since
    its emitter carries no ``_ClientClasses``."""
    original = botocore.client.ClientCreator
    botocore.client.ClientCreator = _CachingClientCreator  # type: ignore[misc]
    try:
        yield
    finally:
        botocore.client.ClientCreator = original  # type: ignore[misc]


class AwsSessions:
    """Per-account credentials (cached, refreshed) and guarded, counted clients (cached per
    account, Region and service until ``release``)."""

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
        role_arn: str | None = None,
        pacing: Bucket | None = None,
        role_flag: str = "--role-name",
        throttle: ThrottleBudget | None = None,
    ) -> None:
        self.base = base
        #: the option that names the role, for the message when none was given
        self.role_flag = role_flag
        self.session_name = session_name
        self.settings = settings or ClientSettings()
        self.guard = guard
        self.counter = counter
        self.role_name = role_name
        #: an ARN template with ``{account_id}`` (and optionally ``{partition}``); wins over
        #: role_name
        self.role_arn_template = role_arn
        self.external_id = external_id
        #: paces GetResourcePolicy of every Secrets Manager client (scanner.aws.ratelimit)
        self.pacing = pacing
        #: the throttle budget per account, Region and AWS quota bucket of every client acting in an
        #: account (scanner.aws.throttle); None: botocore's per-call retries only
        self.throttle = throttle
        self._cancelled = threading.Event()
        self.sts_region = sts_region
        self._clock = clock
        self._config = make_config(self.settings)
        self._botocore = base._session
        # The handlers of the base session (botocore's own, and any a caller registered) are
        # handed to every session made here. botocore wraps a session's handlers in an
        # EventAliaser; handing over the base session's *aliaser* would wrap it twice, and each
        # client's copy of an aliaser starts with an empty alias cache (profiled on the demo
        # collection: 8,078 event-name aliasings instead of 4,107, a tenth of its CPU). So the
        # handlers inside it.
        events = self._botocore.get_component("event_emitter")
        self._events = getattr(events, "_emitter", events)
        self._loader = self._botocore.get_component("data_loader")
        credentials = base.get_credentials()
        if credentials is None:
            raise CredentialsError(no_credentials(None))
        self._base_credentials: Credentials = credentials
        self._register_secrets(credentials)
        self._lock = threading.Lock()
        self._account_locks: dict[str, threading.Lock] = {}
        self._cache: dict[str, Credentials] = {}
        self._home: str | None = None
        # under _CLIENT_CREATION: owner -> botocore session; (owner, account, region, service)
        # -> client
        self._botocore_sessions: dict[str, botocore.session.Session] = {}
        self._clients: dict[tuple[str, str | None, str, str], Any] = {}
        self._classes = _ClientClasses()
        self._released_sessions: list[weakref.ref[botocore.session.Session]] = []
        self.partition = base.get_partition_for_region(sts_region)

    # ----------------------------------------------------------------- identity

    def home_account(self) -> str:
        """The account of the base credentials (GetCallerIdentity); CredentialsError if rejected."""
        if self._home is None:
            sts = self._client(_BASE, self._base_credentials, "sts", self.sts_region)
            try:
                self._home = str(answered(sts.get_caller_identity(), "sts GetCallerIdentity",
                                          "Account"))
            except AWS_ERRORS as exc:
                problem = credentials_problem(exc, profile=self.base.profile_name)
                if problem:
                    raise CredentialsError(problem) from None
                what = ("the AWS credentials were rejected"
                        if error_kind(exc) == "denied" else "could not verify the AWS credentials")
                raise CredentialsError(
                    f"{what} (sts:GetCallerIdentity {error_code(exc)}: {error_message(exc)})"
                ) from None
        return self._home

    def role_arn(self, account_id: str) -> str:
        if self.role_arn_template:
            return self.role_arn_template.format(account_id=account_id,
                                                 partition=self.partition)
        if not self.role_name:
            raise CredentialsError(
                f"no {self.role_flag} given: cannot assume a role in account {account_id}"
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
            refreshable = _AssumedCredentials(
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
        sts = self._client(_BASE, self._base_credentials, "sts", self.sts_region)
        params: dict[str, Any] = {
            "RoleArn": role_arn,
            "RoleSessionName": self.session_name,
            "DurationSeconds": self.settings.role_session_seconds,
        }
        if self.external_id:
            params["ExternalId"] = self.external_id
        answer = sts.assume_role(**params)
        creds = {name: answered(answer, "sts AssumeRole", "Credentials", name)
                 for name in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")}
        register_secret(creds["SecretAccessKey"], creds["SessionToken"])
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
        """A guarded, counted client acting in ``account_id`` and ``region`` (made on first use,
        then the same one until ``release(account_id)``)."""
        credentials = self.credentials(account_id)
        owner = _BASE if credentials is self._base_credentials else account_id
        return self._client(owner, credentials, service, region, account_id=account_id)

    def release(self, account_id: str) -> int:
        """Forget the clients (and botocore session) made for ``account_id``: its work is done.
        The credentials stay cached; a later ``client`` call makes a new client. Threads still
        holding a released client may go on using it.

        Returns how many of the released clients are still alive afterwards: held by a thread,
        or by a reference cycle, which only the garbage collector frees. (A client made here
        is in none: its class and service model are shared, see ``_ClientClasses``; botocore's
        per-client class was.) A botocore session is always in cycles: ``lingering`` counts
        the released ones not collected yet."""
        with _CLIENT_CREATION:
            released = [weakref.ref(self._clients.pop(key))
                        for key in [k for k in self._clients if k[1] == account_id]]
            if not any(k[0] == account_id for k in self._clients):
                session = self._botocore_sessions.pop(account_id, None)
                if session is not None:
                    self._released_sessions.append(weakref.ref(session))
        return sum(1 for client in released if client() is not None)

    def lingering(self) -> int:
        """How many released botocore sessions are still alive (about 60 KB each, in reference
        cycles until the next full garbage collection)."""
        with _CLIENT_CREATION:
            self._released_sessions = [s for s in self._released_sessions if s() is not None]
            return len(self._released_sessions)

    @contextlib.contextmanager
    def settled_heap(self, services: Iterable[str]) -> Iterator[None]:
        """Load the models of ``services`` into the shared loader, then freeze every object
        alive (``gc.freeze``) until the block ends.

        Every full garbage collection (automatic ones, and the one after a release that left a
        client alive) walks every tracked object: with the service models loaded (EC2's alone
        is over 100,000 objects) that took about 85 ms a time. Frozen, the models and modules
        are not walked.
        No client made in the block is frozen; anything that was garbage at the freeze is
        collected after ``gc.unfreeze`` at the end."""
        with _CLIENT_CREATION:  # the loader is not thread-safe either
            for service in services:  # the cache keys: as botocore's own calls spell them
                model = self._loader.load_service_model(service, "service-2", api_version=None)
                self._loader.load_service_model(service, "endpoint-rule-set-1",
                                                api_version=None)
                try:
                    self._loader.load_service_model(service, "paginators-1",
                                                    model["metadata"]["apiVersion"])
                except DataNotFoundError:
                    continue  # a service without paginators: nothing more to load
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()

    def live_clients(self) -> int:
        """How many clients are cached now (for tests and benchmarks)."""
        with _CLIENT_CREATION:
            return len(self._clients)

    def enabled_regions(self, region: str) -> tuple[str, ...]:
        """The Regions enabled for the home account (ec2:DescribeRegions, which lists only
        enabled Regions unless AllRegions is set), sorted. UsageError when they cannot be read:
        `--regions all` then has nothing to go on."""
        client = self.home_client("ec2", region)
        try:
            answer = client.describe_regions()
        except AWS_ERRORS as exc:
            problem = credentials_problem(exc, profile=self.base.profile_name,
                                          action="ec2:DescribeRegions")
            raise UsageError(problem or "--regions all: cannot list the account's enabled "
                             f"Regions (ec2:DescribeRegions {error_code(exc)}: "
                             f"{error_message(exc)}); name the Regions instead") from None
        return tuple(sorted(r["RegionName"] for r in answer.get("Regions", ())))

    def cancel(self) -> None:
        """Stop: every client's next API call or attempt raises Cancelled (the scan was
        interrupted)."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        """``cancel`` was called: the run is stopping."""
        return self._cancelled.is_set()

    def _check_cancelled(self, **_: Any) -> None:
        if self._cancelled.is_set():
            raise Cancelled()

    def _register_secrets(self, credentials: Credentials) -> None:
        try:
            frozen = credentials.get_frozen_credentials()
        except Exception:  # noqa: BLE001 -- e.g. an SSO token that is gone; reported later
            return
        register_secret(frozen.secret_key, frozen.token)

    def home_client(self, service: str, region: str) -> Any:
        """A client with the base credentials (Organizations discovery from the management account)."""
        return self._client(_BASE, self._base_credentials, service, region,
                            account_id=self._home)

    def _client(self, owner: str, credentials: Credentials, service: str, region: str, *,
                account_id: str | None = None) -> Any:
        key = (owner, account_id, region, service)
        with _CLIENT_CREATION:
            client = self._clients.get(key)
            if client is None:
                client = self._make_client(self._session(owner, credentials), service, region,
                                           account_id=account_id)
                if owner != _BASE and isinstance(credentials, _AssumedCredentials):
                    _install_renewal(client, credentials)
                self._clients[key] = client
            return client

    def _session(self, owner: str, credentials: Credentials) -> botocore.session.Session:
        """The botocore session of one set of credentials (under _CLIENT_CREATION)."""
        session = self._botocore_sessions.get(owner)
        if session is None:
            session = botocore.session.Session(event_hooks=self._events,
                                               include_builtin_handlers=False)
            session.register_component("event_emitter",
                                       _SessionEvents(self._events, self._classes))
            session.register_component("data_loader", self._loader)
            session.register_component("credential_provider",
                                       _FixedCredentialProvider(credentials))
            # a timestamp that is not a date, or an answer nested too deep to parse, is that
            # call's unexpected answer, not a crash
            parsers = AnswerParserFactory()
            parsers.set_parser_defaults(timestamp_parser=read_timestamp)
            session.register_component("response_parser_factory", parsers)
            self._botocore_sessions[owner] = session
        return session

    def _make_client(self, session: botocore.session.Session, service: str, region: str, *,
                     account_id: str | None = None) -> Any:
        """A new client with every hook: the guard, cancel, the answer check
        (scanner.aws.responses), the counter and the pacing."""
        with _caching_client_creator():
            client = session.create_client(
                service,
                region_name=region,
                endpoint_url=self.settings.endpoint_url,
                config=self._config,
            )
        self.guard.install(client)
        # before each call and before each attempt: a call retrying after a timeout or a
        # throttling answer stops at its next attempt, not after max_attempts of them
        client.meta.events.register("before-call", self._check_cancelled,
                                    unique_id="secretgraph-cancel")
        client.meta.events.register_first("before-send", self._check_cancelled,
                                          unique_id="secretgraph-cancel-attempt")
        client.meta.events.register("before-parse", check_answer,
                                    unique_id="secretgraph-check-answer")
        if self.counter is not None:
            self.counter.install(client, account_id=account_id)
        # last: the counter has seen the call end before a mistyped answer fails it
        client.meta.events.register_last("after-call", check_types,
                                         unique_id="secretgraph-check-types")
        if self.throttle is not None and account_id is not None:
            # first on before-call and before-send: a spent budget sends nothing, and does not
            # wait for the pacing's token
            self.throttle.install(client, account_id=account_id)
        if self.pacing is not None and service == "secretsmanager" and account_id is not None:
            install_policy_pacing(client, self.pacing, account_id=account_id, region=region)
        return client
