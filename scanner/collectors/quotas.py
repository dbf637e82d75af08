"""Service Quotas: active VPC peerings per VPC (vpc / L-7E9ECCDB).

GetServiceQuota gives the applied value; when AWS answers NoSuchResource (the quota was never
adjusted) GetAWSDefaultServiceQuota gives the default. If neither can be read, the documented
default of 50 is used with source "default" and a note saying why. That fallback is a coverage
gap only when a call was *denied* (the audit role lacks servicequotas:* and an adjusted quota may
be hidden); other failures (service not offered in the region, an unimplemented call in moto)
are not gaps, because the default is then the best available truth -- the note says so.
"""

from __future__ import annotations

from typing import Any, Mapping

from scanner.aws.errors import AWS_ERRORS
from scanner.collectors.base import Recorder
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
            response = method(ServiceCode="vpc", QuotaCode=PEERING_QUOTA_CODE)
        except AWS_ERRORS as exc:
            entry = rec.entry(exc, operation)
            errors.append((entry.error_code, entry.error_kind, entry.message))
            if entry.error_kind in ("denied", "expired_credentials"):
                rec.coverage.append(entry)  # an adjusted quota may be hidden
            if entry.error_kind != "not_found":
                break  # only "never adjusted" is worth asking the default for
            continue
        key = "applied" if operation == "GetServiceQuota" else "default"
        return {key: response, "errors": errors}
    return {"errors": errors}


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
