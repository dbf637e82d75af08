"""Collectors, one module per service. Each has ``SERVICE`` (botocore service name),
``OPERATIONS`` (operation -> IAM action: the read-only guard and the audit role's policy are built
from these tables), ``fetch_*`` functions (boto3 and paginators only) and pure ``transform_*``
functions (raw dicts -> scanner.model records).
"""

from __future__ import annotations

from types import ModuleType

from scanner.collectors import ec2, iam, kms, lambda_, organizations, quotas, secretsmanager

#: Every collector, explicitly. Order is the order of the generated policy's statements.
COLLECTORS: tuple[ModuleType, ...] = (
    secretsmanager,
    kms,
    ec2,
    lambda_,
    iam,
    quotas,
    organizations,
)

#: Collectors whose calls run with the audit role in each account (Organizations runs with the
#: scan's own credentials in the management account).
ACCOUNT_COLLECTORS: tuple[ModuleType, ...] = (secretsmanager, kms, ec2, lambda_, iam, quotas)
