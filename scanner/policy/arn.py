"""ARNs: the one place that splits them, reads their account or region, and rebuilds them.

An ARN has six colon-separated fields, ``arn:partition:service:region:account-id:resource``;
the resource field may itself contain colons (IAM User Guide, "IAM identifiers", ARN format:
"arn:partition:service:region:account-id:resource-type/resource-id ... resource-type:resource-id").
A principal entry in a policy may also be a bare 12-digit account id ("Specifying a principal":
"you can also specify the account ID ... "AWS": "123456789012"").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


@lru_cache(maxsize=65536)
def parse_arn(text: str) -> Arn | None:
    """The six fields of an ARN, or None when ``text`` is not one."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def is_account_id(text: str) -> bool:
    """Twelve ASCII digits (``str.isdigit`` alone takes other scripts' digits, "١٢٣...")."""
    return len(text) == 12 and text.isascii() and text.isdigit()


def arn_account(text: str) -> str | None:
    """The account field of an ARN (None when not an ARN or the field is empty)."""
    arn = parse_arn(text)
    return arn.account if arn is not None and arn.account else None


def arn_partition(text: str) -> str | None:
    """The partition of an ARN (``aws``, ``aws-us-gov``, ``aws-cn``), or None."""
    arn = parse_arn(text)
    return arn.partition if arn else None


def partition(text: str) -> str:
    """The partition of an ARN, ``aws`` when ``text`` is no ARN or names none."""
    return arn_partition(text) or "aws"


def arn_region(text: str) -> str | None:
    """The region field of an ARN (None when not an ARN or the field is empty: IAM, S3)."""
    arn = parse_arn(text)
    return arn.region if arn is not None and arn.region else None


def arn_resource(text: str) -> str:
    """The resource field of an ARN (``secret:app/db-AbCdEf``); a non-ARN as it is."""
    arn = parse_arn(text)
    return arn.resource if arn is not None else text


#: The qualifier of a function's unpublished version: "An unqualified function ARN (function ARN
#: without a version or alias suffix), maps to the $LATEST version." (Lambda Developer Guide,
#: versioning and aliases).
LATEST_QUALIFIER = "$LATEST"


def unqualified_function(text: str) -> tuple[str, str | None]:
    """A Lambda function ARN without its version/alias qualifier, and the qualifier
    (``arn:aws:lambda:r:a:function:name:live`` -> (``...:function:name``, ``live``))."""
    arn = parse_arn(text)
    if arn is None or not arn.resource.startswith("function:"):
        return text, None
    parts = arn.resource.split(":", 2)
    if len(parts) == 3:
        return str(Arn(arn.partition, arn.service, arn.region, arn.account,
                       f"function:{parts[1]}")), parts[2]
    return text, None


def function_name(text: str) -> str:
    """The function name of a Lambda ARN (the text itself when it is not one)."""
    arn = parse_arn(unqualified_function(text)[0])
    if arn is None or not arn.resource.startswith("function:"):
        return text
    return arn.resource[len("function:"):]


def with_region(text: str, region: str) -> str:
    """The same ARN in another region (how AWS names a secret's replicas and MRK replicas)."""
    arn = parse_arn(text)
    if arn is None:
        return text
    return str(Arn(arn.partition, arn.service, region, arn.account, arn.resource))


@lru_cache(maxsize=65536)
def iam_entity(text: str) -> tuple[str, str] | None:
    """("role" or "user", its name) of an IAM role or user ARN, else None (a session, an
    account root, a service, a unique id, anything else). IAM User Guide, "IAM identifiers":
    ``arn:aws:iam::123456789012:role/application_abc/component_xyz/RDSAccess`` -- the resource
    is ``role/`` or ``user/``, the path, then the name (its last segment)."""
    arn = parse_arn(text)
    if arn is None or arn.service != "iam":
        return None
    kind, sep, rest = arn.resource.partition("/")
    if not sep or kind not in ("role", "user") or not rest:
        return None
    return kind, rest.rsplit("/", 1)[-1]


@lru_cache(maxsize=65536)
def principal_account(entry: str) -> str | None:
    """The 12-digit account a principal belongs to: a bare account id, an IAM or STS ARN
    (root, role, user, assumed-role, ...). None for ``*``, services, unique ids and anything
    else. Cached as ``parse_arn`` is: the same entries come back from every policy naming
    them (2.3 M calls at bench/synth.py's 1,000 accounts, from the grants and exposure
    checks)."""
    if is_account_id(entry):
        return entry
    arn = parse_arn(entry)
    if arn is not None and arn.service in ("iam", "sts") and is_account_id(arn.account):
        return arn.account
    return None


def resource_account(text: str) -> str | None:
    """The 12-digit account of any ARN (a resource's owner), or of a bare account id."""
    if is_account_id(text):
        return text
    acct = arn_account(text)
    return acct if acct is not None and is_account_id(acct) else None


def root_arn(account_id: str, partition: str) -> str:
    """The account's root ARN in ``partition``: the estate's (the secret's or Region's,
    scanner.aws.regions.partition_of), never a default -- the same account id in
    ``arn:aws-us-gov`` is another principal than in ``arn:aws`` (IAM User Guide, "IAM
    identifiers"; concept review round 3: a commercial root stood in for GovCloud accounts)."""
    return f"arn:{partition}:iam::{account_id}:root"


def account_entry(entry: str) -> str | None:
    """The account when a principal entry names the account itself -- a bare 12-digit id or
    its root ARN, in any partition ("AWS": "123456789012" and "arn:aws:iam::123456789012:root"
    are the same principal: IAM User Guide, "AWS account principals") -- else None."""
    if is_account_id(entry):
        return entry
    arn = parse_arn(entry)
    if (arn is not None and arn.service == "iam" and not arn.region and arn.resource == "root"
            and is_account_id(arn.account)):
        return arn.account
    return None
