"""The one error classifier: every failed AWS call becomes a kind and a CoverageEntry.

Kinds (scanner.model.ERROR_KINDS):

* ``throttled`` -- the call was throttled and botocore's adaptive retries gave up (or its
  next attempt was not sent: its throttle budget there was spent meanwhile);
* ``not_sent`` -- the call was not sent: the throttle budget of its AWS quota bucket in that
  account-Region was spent by calls that gave up on throttling (scanner.aws.throttle; code
  ``ThrottleBudgetSpent``, no AWS answer), or its endpoint's network budget by calls that
  failed on the network through all their attempts (code ``EndpointGaveUp``), or its quota
  bucket's server-error budget by calls answered HTTP 5xx through all their attempts (code
  ``ServerErrorBudgetSpent``);
* ``denied`` -- the credentials may not do this (AccessDenied, UnauthorizedOperation, an
  invalid token, no credentials at all);
* ``expired_credentials`` -- the credentials were valid and have expired (ExpiredToken): an
  audit-role session is assumed again once (scanner.aws.session), so what remains is the
  scanner's own credentials expiring (every AssumeRole is sent with them) -- refresh them or
  use a longer session and rerun, nothing is wrong with the account's audit role;
* ``region_disabled`` -- the region is not enabled for the account (OptInRequired, or a token
  rejected in an opt-in region, which is how AWS answers for a disabled opt-in region);
* ``not_found`` -- the resource (or the Organization) does not exist;
* ``fatal`` -- anything else: endpoint unreachable, unparseable answers (moto's HTTP 500 for an
  unimplemented operation), validation errors, bugs in AWS's answer.

Retrying is botocore's job (one Config, adaptive mode); this module only names what happened.
"""

from __future__ import annotations

from botocore import exceptions as botocore_exceptions
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

from scanner.model import CoverageEntry

THROTTLED_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "RequestThrottled",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
        "TransactionInProgressException",
    }
)

DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedException",
        "AuthFailure",
        "AuthorizationError",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        "MissingAuthenticationToken",
        "NoCredentials",
        "PartialCredentials",
    }
)

#: A session token past its expiry: AWS answers "The security token included in the request is
#: expired" with code ExpiredToken (STS and the query-protocol services) or ExpiredTokenException
#: (the JSON-protocol ones). (EC2's RequestExpired is a request whose signature date is too far
#: from the service's clock -- clock skew, not credentials; there is no kind for it: ``fatal``.)
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException"})

#: Codes AWS returns for a token used in an opt-in region the account has not enabled.
_TOKEN_REJECTED_CODES = frozenset({"InvalidClientTokenId", "UnrecognizedClientException",
                                   "AuthFailure"})

#: STS RegionDisabledException: "STS is not activated in the requested region for the account
#: that is being asked to generate credentials." (STS API Reference, AssumeRole errors)
REGION_DISABLED_CODES = frozenset({"OptInRequired", "InvalidRegion", "RegionDisabledException"})

NOT_FOUND_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "NoSuchEntity",
        "NoSuchEntityException",
        "NotFoundException",
        "NotFound",
        "NoSuchResourceException",
        "AWSOrganizationsNotInUseException",
        "PolicyNotFoundException",
        "AccountNotFoundException",
        "ParentNotFoundException",
        "TargetNotFoundException",
    }
)

#: Regions that must be enabled per account before use (AWS "opt-in" regions).
OPT_IN_REGIONS = frozenset(
    {
        "af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3",
        "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1",
        "eu-central-2", "eu-south-1", "eu-south-2", "il-central-1", "me-central-1",
        "me-south-1", "mx-central-1",
    }
)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError, or the exception's class name otherwise."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
        if code:
            return str(code)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return str(status) if status else "ClientError"
    if isinstance(exc, NoCredentialsError):
        return "NoCredentials"
    if isinstance(exc, PartialCredentialsError):
        return "PartialCredentials"
    return type(exc).__name__


#: the code of a call the scanner did not send because its throttle budget there was spent
#: (scanner.aws.throttle.NOT_SENT_CODE): no AWS answer, so not an AWS error code
NOT_SENT_CODES = frozenset({"ThrottleBudgetSpent", "EndpointGaveUp", "ServerErrorBudgetSpent"})


def error_kind(exc: BaseException, *, region: str | None = None) -> str:
    """Classify an exception raised by a botocore call (see the module docstring)."""
    code = error_code(exc)
    if isinstance(exc, ClientError):
        if code in NOT_SENT_CODES:
            return "not_sent"
        if code in THROTTLED_CODES:
            return "throttled"
        if code in REGION_DISABLED_CODES:
            return "region_disabled"
        if code in _TOKEN_REJECTED_CODES and region in OPT_IN_REGIONS:
            return "region_disabled"
        if code in EXPIRED_CODES:
            return "expired_credentials"
        if code in DENIED_CODES:
            return "denied"
        if code in NOT_FOUND_CODES or code.endswith(".NotFound") or code.endswith("NotFound"):
            return "not_found"
        return "fatal"
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return "denied"
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError,
                        ResponseParserError, ProfileNotFound, NoRegionError)):
        return "fatal"
    return "fatal"


def error_message(exc: BaseException) -> str:
    """A one-line message for the coverage entry."""
    if isinstance(exc, ClientError):
        message = exc.response.get("Error", {}).get("Message") or str(exc)
    else:
        message = str(exc) or type(exc).__name__
    return " ".join(str(message).split())[:500]


#: Exceptions a collector turns into coverage (ResponseParserError is not a BotoCoreError: it is
#: what a query-protocol service's HTTP 500 from moto raises). Anything else is a bug (and ReadOnlyViolation,
#: a SecretgraphError, always stops the scan).
AWS_ERRORS: tuple[type[BaseException], ...] = (ClientError, BotoCoreError, ResponseParserError)


def classify(
    exc: BaseException,
    *,
    account_id: str,
    region: str,
    service: str,
    operation: str,
    resource_arn: str | None = None,
) -> CoverageEntry:
    """The CoverageEntry for one failed call."""
    kind = error_kind(exc, region=region)
    message = error_message(exc)
    if kind == "expired_credentials" and (service, operation) == ("sts", "AssumeRole"):
        # AssumeRole is always sent with the scanner's own (base) credentials
        message = OWN_CREDENTIALS_EXPIRED + message
    return CoverageEntry(
        account_id=account_id,
        region=region,
        service=service,
        operation=operation,
        error_code=error_code(exc),
        error_kind=kind,
        message=message[:500],
        resource_arn=resource_arn,
    )


#: How an AssumeRole refused for an expired token begins (the scanner's own credentials
#: expired; the audit role is not at fault)
OWN_CREDENTIALS_EXPIRED = ("the scanner's own credentials expired (not the audit role's fault: "
                           "refresh them, or use a longer session, and rerun): ")


#: botocore errors raised when the network, not AWS, failed (nothing answered).
NETWORK_ERRORS: tuple[type[BaseException], ...] = (EndpointConnectionError, ConnectTimeoutError,
                                                   ReadTimeoutError)


def is_network_error(exc: BaseException) -> bool:
    """The endpoint could not be reached or did not answer (DNS, refused, timeout, proxy)."""
    from botocore.exceptions import ConnectionError as BotoConnectionError

    return isinstance(exc, NETWORK_ERRORS + (BotoConnectionError,))


def is_sso_expired(exc: BaseException) -> bool:
    """An IAM Identity Center (SSO) session that is missing or expired: ``aws sso login``."""
    from botocore.exceptions import (
        SSOError,
        SSOTokenLoadError,
        TokenRetrievalError,
        UnauthorizedSSOTokenError,
    )

    return isinstance(exc, (SSOTokenLoadError, UnauthorizedSSOTokenError, TokenRetrievalError,
                            SSOError))


#: AWS refuses a request signed minutes off its own clock (the time in the signature): EC2 says
#: RequestExpired, S3 RequestTimeTooSkewed, the others SignatureDoesNotMatch or
#: InvalidSignatureException with "Signature expired" / "Signature not yet current"
_SKEW_CODES = frozenset({"RequestTimeTooSkewed", "RequestExpired"})
_SKEW_SIGNATURE_CODES = frozenset({"SignatureDoesNotMatch", "InvalidSignatureException"})
_SKEW_WORDS = ("signature expired", "signature not yet current")


def is_clock_skew(exc: BaseException) -> bool:
    """AWS refused the request because it was signed too far from AWS's clock."""
    if not isinstance(exc, ClientError):
        return False
    code = error_code(exc)
    if code in _SKEW_CODES:
        return True
    return code in _SKEW_SIGNATURE_CODES and \
        any(w in error_message(exc).lower() for w in _SKEW_WORDS)


def credentials_problem(exc: BaseException, *, profile: str | None,
                        action: str = "sts:GetCallerIdentity") -> str | None:
    """The one line for an error that means the scan cannot start with these credentials or
    this network; None when ``exc`` is something else."""
    if is_sso_expired(exc):
        name = profile or "default"
        return (f"the AWS SSO session for profile {name!r} is missing or expired; run: "
                f"aws sso login --profile {name}")
    if is_network_error(exc):
        return (f"cannot reach AWS ({action}): {error_message(exc)} (a network failure, not a "
                "credentials problem: check connectivity, proxy and --endpoint-url)")
    if is_clock_skew(exc):  # was "the AWS credentials were rejected" (fault-injection
        # trial round 12): the credentials were fine, the machine's clock was not
        return (f"this machine's clock is off from AWS's by more than AWS allows ({action} "
                f"{error_code(exc)}: {error_message(exc)}): set it right (NTP) and run again "
                "(not a credentials problem)")
    return None


#: botocore's refusals of a setting it was given -- an AWS_* environment variable, or the
#: profile's ~/.aws/config -- that it cannot use (a value it does not know)
_SETTING_ERRORS: tuple[type[BaseException], ...] = tuple(
    getattr(botocore_exceptions, name) for name in (
        "InvalidConfigError", "InvalidRetryConfigurationError", "InvalidDefaultsMode",
        "InvalidChecksumConfigError", "InvalidSTSRegionalEndpointsConfigError",
        "InvalidS3UsEast1RegionalEndpointConfigError", "InvalidS3AddressingStyleError",
        "InvalidEndpointDiscoveryConfigurationError", "InvalidEndpointConfigurationError",
        "InvalidIMDSEndpointError", "InvalidIMDSEndpointModeError", "InvalidProxiesConfigError")
    if hasattr(botocore_exceptions, name))

_FROM_ENVIRONMENT_OR_PROFILE = "from an AWS_* environment variable or the profile's ~/.aws/config"


def setting_problem(exc: BaseException) -> str | None:
    """The one line for an AWS setting of the environment or the profile that botocore
    refuses; None when ``exc`` is something else. They were internal errors, as for a bug
    (fault-injection trial round 20: AWS_STS_REGIONAL_ENDPOINTS=bogus, AWS_DEFAULTS_MODE=
    bogus, AWS_REQUEST_CHECKSUM_CALCULATION=bogus, AWS_METADATA_SERVICE_TIMEOUT=abc said
    'internal error: ...' once the command had started)."""
    if isinstance(exc, ValueError) and str(exc).startswith("Invalid endpoint: "):
        # botocore's, for an endpoint from the environment or the profile (--endpoint-url
        # is checked when parsed): bad input, not a bug (new-user trial)
        return (f"{exc} (from AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE> or the profile's "
                "endpoint_url): give http(s)://HOST[:PORT]")
    if isinstance(exc, _SETTING_ERRORS):
        return f"an AWS setting is not valid: {exc} ({_FROM_ENVIRONMENT_OR_PROFILE})"
    setting = _unconverted_setting(exc)
    if setting is not None:
        return f"{setting} is not valid: {exc}"
    return None


def _unconverted_setting(exc: BaseException) -> str | None:
    """The setting whose value botocore could not convert (its int() of a timeout or a
    count), named as it was given: ``$AWS_METADATA_SERVICE_TIMEOUT`` or ``metadata_service_
    timeout in the profile``; None when ``exc`` did not come from that conversion."""
    if not isinstance(exc, ValueError):
        return None
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_globals.get("__name__") == "botocore.configprovider" and \
                frame.f_code.co_name == "provide" and "provider" in frame.f_locals:
            provider = frame.f_locals["provider"]
            name = getattr(provider, "_name", None)
            if isinstance(name, str):  # EnvironmentProvider
                return f"${name}"
            name = getattr(provider, "_config_var_name", None)
            if isinstance(name, str):  # ScopedConfigProvider
                return f"{name} in the profile (the AWS config file)"
            return f"an AWS setting ({_FROM_ENVIRONMENT_OR_PROFILE})"
        tb = tb.tb_next
    return None
