"""An in-process moto server on 127.0.0.1 for the demo (never reachable from other hosts)."""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from types import TracebackType
from typing import Any

from scanner.errors import UsageError

#: Seed for moto's random generator: fixes account ids, key ids, secret ARN suffixes and EC2 ids,
#: so every demo run gives the same ARNs (as long as the seeding calls are made in one order).
DEFAULT_SEED = 20261129

SKIP_AMIS_ENV = "MOTO_EC2_LOAD_DEFAULT_AMIS"




def _post(url: str, body: Any | None = None) -> None:
    data = json.dumps(body).encode() if body is not None else b""
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        resp.read()


#: (service, region, read-only operation) touched once before seeding, see _warm_up.
_WARM_UP = (("ec2", "us-east-1", "describe_vpcs"), ("ec2", "us-west-2", "describe_vpcs"),
            ("kms", "us-east-1", "list_keys"), ("secretsmanager", "us-east-1", "list_secrets"),
            ("lambda", "us-east-1", "list_functions"), ("iam", "us-east-1", "list_roles"),
            ("organizations", "us-east-1", "list_roots"))


def _warm_up(base: str) -> None:
    """Touch each service once. The first use of a moto service in a process draws from moto's
    random generator (module set-up), so without this the first seed of a process would give
    other ids than every later one. Errors are irrelevant here: only the side effect counts."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    session = boto3.session.Session(aws_access_key_id="warm-up", aws_secret_access_key="warm-up")
    config = Config(retries={"max_attempts": 1})
    for service, region, operation in _WARM_UP:
        client = session.client(service, region_name=region, endpoint_url=base, config=config)
        try:
            getattr(client, operation)()
        except ClientError as exc:  # e.g. list_roots before any organization exists
            logging.getLogger(__name__).debug("warm-up %s: %s", operation, exc)


def prepare(endpoint_url: str, *, seed: int = DEFAULT_SEED) -> None:
    """Reset a moto server, seed its random generator and turn off Docker for Lambda.

    Works on any moto server (the demo's own, or a test fixture's)."""
    base = endpoint_url.rstrip("/")
    _warm_up(base)
    _post(f"{base}/moto-api/reset")
    _post(f"{base}/moto-api/config", {"lambda": {"use_docker": False}})
    _post(f"{base}/moto-api/seed?a={int(seed)}")


class DemoServer:
    """Context manager: ``with DemoServer() as url: ...`` runs moto on 127.0.0.1:<free port>."""

    def __init__(self, *, port: int = 0) -> None:
        self._port = port
        self._server: Any = None
        self._saved_env: str | None = None
        self.url = ""

    def __enter__(self) -> str:
        try:
            from moto.server import ThreadedMotoServer  # the demo extra; imported when used
        except ImportError as exc:
            raise UsageError("secretgraph demo needs moto's server: pip install "
                             f"'moto[server]>=5.1,<6' ({exc})") from None

        # werkzeug logs every request, and a traceback for each HTTP 500 (an operation moto does
        # not implement); the scan records those as coverage entries, so keep the terminal clean.
        for name in ("werkzeug", "moto"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        # moto loads ~2,000 default AMIs into every EC2 backend (about 0.7 s per account and
        # region the seed or the scan touches); the demo needs none. Read when a backend is made.
        self._saved_env = os.environ.get(SKIP_AMIS_ENV)
        os.environ.setdefault(SKIP_AMIS_ENV, "false")
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=self._port, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        self._server = server
        self.url = f"http://{host}:{port}"
        return self.url

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
            if self._saved_env is None:
                os.environ.pop(SKIP_AMIS_ENV, None)
            else:
                os.environ[SKIP_AMIS_ENV] = self._saved_env
