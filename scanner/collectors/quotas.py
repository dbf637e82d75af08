"""Service Quotas: active VPC peerings per VPC (vpc / L-7E9ECCDB).

GetServiceQuota gives the applied value; when AWS answers NoSuchResource (the quota was never
adjusted) GetAWSDefaultServiceQuota gives the default. If neither can be read, the documented
default of 50 is recorded with source "default" and a note saying why. That fallback is silent
(no coverage entry) only where the default *is* what AWS applies: GetServiceQuota answered
NoSuchResource (no applied value: the quota was never adjusted, or Service Quotas does not
offer it in the Region) and the default's own call answered NoSuchResource too, or is not
implemented by the endpoint (UnknownOperationException). Every other failure -- denied,
throttled past every retry, an HTTP 500, an endpoint not answering, an answer without the
quota's Value (``quota_answer``) -- is a coverage entry:
L-7E9ECCDB is adjustable to 125, so the applied quota is then unknown (fault-injection trial
round 5: a throttled GetServiceQuota gave a confident FAIL against a quota never read).
"""

from __future__ import annotations

from typing import Any, Mapping

from scanner.aws.errors import AWS_ERRORS
from scanner.collectors.base import Recorder, expect
from scanner.model import Quota

SERVICE = "service-quotas"

OPERATIONS: dict[str, str] = {
    "GetServiceQuota": "servicequotas:GetServiceQuota",
    "GetAWSDefaultServiceQuota": "servicequotas:GetAWSDefaultServiceQuota",
}

PEERING_QUOTA_CODE = "L-7E9ECCDB"
PEERING_QUOTA_DEFAULT = 50.0


def fetch_peering_quota(client: Any, rec: Recorder) -> dict[str, Any]:
    """{"applied": response | None, "default": response | None, "errors": [(code, kind, msg)]}."""
    errors: list[tuple[str, str, str]] = []
    for operation, method in (("GetServiceQuota", client.get_service_quota),
                              ("GetAWSDefaultServiceQuota", client.get_aws_default_service_quota)):
        try:
            response = quota_answer(operation,
                                    method(ServiceCode="vpc", QuotaCode=PEERING_QUOTA_CODE))
        except AWS_ERRORS as exc:
            entry = rec.entry(exc, operation)
            errors.append((entry.error_code, entry.error_kind, entry.message))
            if operation == "GetServiceQuota" and entry.error_kind == "not_found":
                # no applied value: ask for the default ("Retrieves the default value for the
                # specified quota. The default value does not reflect any quota increases.",
                # Service Quotas API Reference, GetAWSDefaultServiceQuota)
                continue
            if operation == "GetServiceQuota" or not _default_is_the_truth(entry.error_code):
                rec.coverage.append(entry)  # the applied quota (up to 125) is not known
            break
        key = "applied" if operation == "GetServiceQuota" else "default"
        return {key: response, "errors": errors}
    return {"errors": errors}


def quota_answer(operation: str, answer: Mapping[str, Any]) -> Mapping[str, Any]:
    """A GetServiceQuota / GetAWSDefaultServiceQuota answer, which always holds the quota's
    Value; one without it (no Quota, a Value null or left out) is UnexpectedAnswer, a coverage
    entry -- it was read as no applied value and the documented default used without a word,
    although only NoSuchResource says the quota was never adjusted (fault-injection trial
    round 19)."""
    expect(expect(answer, operation, "Quota", Mapping), operation, "Value", (int, float))
    return answer


#: what an endpoint answers for an operation it does not implement (AWS's JSON protocol:
#: UnknownOperationException; the query protocol: InvalidAction)
_UNIMPLEMENTED_CODES = frozenset({"UnknownOperationException", "InvalidAction",
                                  "NotImplemented"})


def _default_is_the_truth(code: str) -> bool:
    """Whether a failed GetAWSDefaultServiceQuota -- asked because GetServiceQuota found no
    applied value -- leaves the documented default as what AWS applies: it answered
    NoSuchResource too (the quota is not offered there), or the endpoint does not implement
    the call. A throttled, denied or failing call (an HTTP 500, with or without an AWS error
    code) is not such an answer: the default in force was not read."""
    return code in _UNIMPLEMENTED_CODES or code in ("NoSuchResourceException", "NoSuchResource")


def transform_peering_quota(raw: Mapping[str, Any]) -> Quota:
    for key, note in (("applied", None),
                      ("default", "AWS default (the quota has not been adjusted)")):
        response = raw.get(key)
        if response and (response.get("Quota") or {}).get("Value") is not None:
            return Quota(code=PEERING_QUOTA_CODE, value=float(response["Quota"]["Value"]),
                         source="service-quotas", note=note)
    reasons = "; ".join(f"{code}: {msg}" for code, _, msg in raw.get("errors", []))
    return Quota(
        code=PEERING_QUOTA_CODE,
        value=PEERING_QUOTA_DEFAULT,
        source="default",
        note="Service Quotas could not be read"
        + (f" ({reasons})" if reasons else "")
        + "; using the documented default of 50 active peerings per VPC",
    )
