"""The one error classifier: AWS error codes and botocore exceptions -> five kinds."""

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
        ("ExpiredToken", "denied"),
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
