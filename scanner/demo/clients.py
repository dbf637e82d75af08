"""boto3 clients for seeding the demo estate: explicit fake credentials, explicit region, the
demo server's endpoint, no retries (moto answers unimplemented calls with HTTP 500)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3
from botocore.config import Config

#: Static fake keys: moto maps credentials it does not know to the management account.
MANAGEMENT_ACCOUNT = "123456789012"
FAKE_KEY = "secretgraph-demo"
SEED_ROLE = "OrganizationAccountAccessRole"

_CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5,
                 read_timeout=60)


class Clients:
    """Clients per (account, service, region); member accounts through sts.assume_role into the
    role Organizations created there (moto maps the returned keys to that account)."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        self._creds: dict[str, dict[str, str]] = {
            MANAGEMENT_ACCOUNT: {"aws_access_key_id": FAKE_KEY,
                                 "aws_secret_access_key": FAKE_KEY},
        }
        self._cache: dict[tuple[str, str, str], Any] = {}
        # One session for every client: its loader caches the service models (fast clients).
        self._session = boto3.session.Session(**self._creds[MANAGEMENT_ACCOUNT])
        #: (service, operation) -> calls made, for the seed's cost figures
        self.calls: Counter[tuple[str, str]] = Counter()

    def _credentials(self, account_id: str) -> dict[str, str]:
        creds = self._creds.get(account_id)
        if creds is None:
            sts = self.get(MANAGEMENT_ACCOUNT, "sts", "us-east-1")
            out = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account_id}:role/{SEED_ROLE}",
                RoleSessionName="secretgraph-demo-seed",
            )["Credentials"]
            creds = {
                "aws_access_key_id": out["AccessKeyId"],
                "aws_secret_access_key": out["SecretAccessKey"],
                "aws_session_token": out["SessionToken"],
            }
            self._creds[account_id] = creds
        return creds

    def get(self, account_id: str, service: str, region: str) -> Any:
        key = (account_id, service, region)
        client = self._cache.get(key)
        if client is None:
            client = self._session.client(service, region_name=region,
                                          endpoint_url=self.endpoint_url, config=_CONFIG,
                                          **self._credentials(account_id))
            client.meta.events.register("before-call", self._count)
            self._cache[key] = client
        return client

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[(model.service_model.service_name, model.name)] += 1
