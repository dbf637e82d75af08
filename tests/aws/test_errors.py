"""The one error classifier: AWS error codes and botocore exceptions -> six kinds."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ProfileNotFound,
)
from botocore.parsers import ResponseParserError

from scanner.aws.errors import AWS_ERRORS, classify, error_kind


def client_error(code: str, status: int = 400, message: str = "boom") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "AnyOperation")


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("ThrottlingException", "throttled"),
        ("TooManyRequestsException", "throttled"),
        ("RequestLimitExceeded", "throttled"),
        ("AccessDenied", "denied"),
        ("AccessDeniedException", "denied"),
        ("UnauthorizedOperation", "denied"),
        ("ExpiredToken", "expired_credentials"),
        ("ExpiredTokenException", "expired_credentials"),
        ("RegionDisabledException", "region_disabled"),
        ("OptInRequired", "region_disabled"),
        ("ResourceNotFoundException", "not_found"),
        ("NoSuchEntity", "not_found"),
        ("InvalidVpcID.NotFound", "not_found"),
        ("AWSOrganizationsNotInUseException", "not_found"),
        ("InvalidParameterException", "fatal"),
        ("500", "fatal"),
    ],
)
def test_client_error_codes_map_to_one_kind(code: str, kind: str) -> None:
    assert error_kind(client_error(code)) == kind


def test_a_token_rejected_in_an_opt_in_region_means_the_region_is_disabled() -> None:
    exc = client_error("UnrecognizedClientException")
    assert error_kind(exc, region="af-south-1") == "region_disabled"
    assert error_kind(exc, region="us-east-1") == "denied"


def test_botocore_exceptions_are_classified() -> None:
    assert error_kind(NoCredentialsError()) == "denied"
    assert error_kind(EndpointConnectionError(endpoint_url="https://x")) == "fatal"
    assert error_kind(ProfileNotFound(profile="nope")) == "fatal"
    assert error_kind(ResponseParserError("Unable to parse response (HTML)")) == "fatal"


def test_response_parser_errors_are_recorded_not_raised() -> None:
    # moto's HTTP 500 for an unimplemented query-protocol operation raises this, and it is not
    # a BotoCoreError: collectors must still record it.
    assert ResponseParserError in AWS_ERRORS


def test_classify_builds_the_coverage_entry() -> None:
    entry = classify(client_error("AccessDeniedException", 400, "not   allowed\nhere"),
                     account_id="111122223333", region="eu-west-1", service="secretsmanager",
                     operation="GetResourcePolicy", resource_arn="arn:x")
    assert (entry.account_id, entry.region, entry.service, entry.operation, entry.error_code,
            entry.error_kind, entry.message, entry.resource_arn) == (
        "111122223333", "eu-west-1", "secretsmanager", "GetResourcePolicy",
        "AccessDeniedException", "denied", "not allowed here", "arn:x")


def test_a_client_error_without_a_code_is_named_by_its_http_status() -> None:
    exc = ClientError({"Error": {}, "ResponseMetadata": {"HTTPStatusCode": 500}}, "ListSecrets")
    entry = classify(exc, account_id="1" * 12, region="us-east-1", service="secretsmanager",
                     operation="ListSecrets")
    assert (entry.error_code, entry.error_kind) == ("500", "fatal")


def test_an_expired_token_is_its_own_kind_not_a_denial() -> None:
    """fault trial round 3: ExpiredToken was 'denied', so 15 accounts read as broken audit
    roles when the scan's own session had expired. STS's RegionDisabledException is a disabled
    Region; EC2's RequestExpired (clock skew) has no kind of its own and is neither."""
    assert error_kind(client_error("ExpiredToken")) == "expired_credentials"
    assert error_kind(client_error("ExpiredTokenException")) == "expired_credentials"
    assert error_kind(client_error("RegionDisabledException")) == "region_disabled"
    assert error_kind(client_error("RequestExpired")) == "fatal"


def test_assume_role_refused_for_an_expired_token_says_the_scanners_own_credentials_expired(
        ) -> None:
    """fault trial round 3: AssumeRole answered ExpiredToken from the 6th account on -- it is
    sent with the scan's own (base) credentials, so the entry says those expired, not that the
    audit role is broken."""
    entry = classify(client_error("ExpiredToken", 400, "The security token included in the "
                                  "request is expired"),
                     account_id="111122223333", region="global", service="sts",
                     operation="AssumeRole",
                     resource_arn="arn:aws:iam::111122223333:role/SecretgraphAudit")
    assert entry.error_kind == "expired_credentials"
    assert entry.message.startswith("the scanner's own credentials expired")
    assert "longer session" in entry.message
    assert entry.message.endswith("The security token included in the request is expired")


def test_a_coverage_gap_of_expired_credentials_says_whose_and_what_to_do() -> None:
    """fault trial round 3: 15 scan-coverage-gap findings said 'sts AssumeRole: ExpiredToken
    (denied)' with 'Deploy or fix the audit role' -- now the fact carries the entry's message
    (the scanner's own credentials expired) and the remediation names that case."""
    from pathlib import Path

    import yaml

    from scanner.engine.predicates.coverage_gap import coverage_gap

    entry = classify(client_error("ExpiredToken", 400, "The security token included in the "
                                  "request is expired"),
                     account_id="111122223333", region="global", service="sts",
                     operation="AssumeRole",
                     resource_arn="arn:aws:iam::111122223333:role/SecretgraphAudit")
    result = coverage_gap(None, "n", {"entries": [{  # type: ignore[arg-type]
        "service": entry.service, "operation": entry.operation, "error_code": entry.error_code,
        "error_kind": entry.error_kind, "message": entry.message,
        "resource_arn": entry.resource_arn}]}, {})
    [(_, fact)] = result.facts
    assert fact.startswith("sts AssumeRole: ExpiredToken (expired_credentials) on arn:aws:iam::"
                           "111122223333:role/SecretgraphAudit: the scanner's own credentials "
                           "expired")
    rule = yaml.safe_load((Path(__file__).parents[2] / "rules" / "scan-coverage-gap.yaml")
                          .read_text())
    remediation = " ".join(rule["remediation"]["description"].split())
    assert "expired_credentials on sts AssumeRole is not the audit role's fault" in remediation
    assert "refresh them (or use a longer session) and rerun" in remediation


_SKEWED = [
    ("SignatureDoesNotMatch", "Signature expired: 20261206T100000Z is now earlier than "
     "20261206T110500Z (20261206T112000Z - 15 min.)"),
    ("InvalidSignatureException", "Signature not yet current: 20261206T140000Z is still later "
     "than 20261206T113500Z (20261206T112000Z + 15 min.)"),
    ("RequestTimeTooSkewed", "The difference between the request time and the current time "
     "is too large."),
    ("RequestExpired", "Request has expired."),
]


@pytest.mark.parametrize("code,message", _SKEWED)
def test_a_clock_off_by_minutes_is_named_as_the_clock_not_the_credentials(
        code: str, message: str) -> None:
    """AWS refuses a request signed more than 15 minutes off its own clock. The scan said
    "the AWS credentials were rejected (sts:GetCallerIdentity SignatureDoesNotMatch: Signature
    expired: ...)" -- credentials fine, the machine's clock wrong (fault-injection trial round
    12)."""
    from scanner.aws.errors import credentials_problem

    said = credentials_problem(client_error(code, 403, message), profile=None)
    assert said is not None and said.startswith(
        "this machine's clock is off from AWS's by more than AWS allows (sts:GetCallerIdentity "
        f"{code}: {message}): set it right (NTP) and run again"), said
    assert "not a credentials problem" in said


def test_a_wrong_secret_key_is_still_a_credentials_problem() -> None:
    from scanner.aws.errors import credentials_problem

    wrong = client_error("SignatureDoesNotMatch", 403, "The request signature we calculated "
                         "does not match the signature you provided. Check your AWS Secret "
                         "Access Key and signing method.")
    assert credentials_problem(wrong, profile=None) is None  # the caller's "rejected" line
