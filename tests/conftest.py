"""Shared fixtures. AWS is always moto: in-process (``mock_aws``) for unit tests, a moto server
on 127.0.0.1 for end-to-end tests. Never real AWS: credentials are fake and the endpoint is local.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Iterator

import boto3
import pytest

# No test may ever reach real AWS: fake credentials, a fixed region, no config files.
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_SECURITY_TOKEN"] = "testing"
os.environ["AWS_SESSION_TOKEN"] = "testing"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ["AWS_CONFIG_FILE"] = "/dev/null"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("MOTO_ACCOUNT_ID", None)  # would override every credential (MOTO_NOTES.md)


#: the solver's time is wall-clock: a test's question of at least a second gets this many times
#: its time (``_solver_time``)
SOLVER_TIME_SCALE = 5


@pytest.fixture(autouse=True, scope="session")
def _solver_time() -> Iterator[None]:
    """Tests pin the solver's answers, not its speed: its timeout is wall-clock (z3's
    ``timeout``), and a loaded machine -- two test workers beside other jobs -- ran questions
    that take a second alone past 10-20 s, so a proof became "out of time" and the test
    failed (sessions 31-32, on main and on helpers' branches). Each question given a second or
    more gets ``SOLVER_TIME_SCALE`` times that; a tiny timeout (the tests of running out of
    time give 0.001 s) stays as it is. The reason a timeout gives still names the time the
    caller asked for."""
    import importlib

    from scanner.policy.smt import solve as module

    original = module.solve

    def scaled(enc, goal, timeout_s, *args, **kwargs):  # type: ignore[no-untyped-def]
        return original(enc, goal, timeout_s * SOLVER_TIME_SCALE if timeout_s >= 1
                        else timeout_s, *args, **kwargs)

    # every module that calls it by its own name (questions imports it)
    users = [importlib.import_module(f"scanner.policy.smt.{name}")
             for name in ("solve", "questions")]
    for user in users:
        user.solve = scaled  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for user in users:
            user.solve = original  # type: ignore[attr-defined]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1 for this test worker; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture()
def moto_endpoint(moto_server: str) -> Iterator[str]:
    """The moto server, reset before the test."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"))
    yield moto_server


@pytest.fixture()
def mgmt_session() -> boto3.Session:
    """A boto3 session with static fake credentials (moto maps them to 123456789012)."""
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


def pytest_configure(config: pytest.Config) -> None:
    """One clear error instead of hundreds of setup errors when moto is out of range."""
    from helpers.moto_check import declared_moto, installed_moto, moto_problem

    problem = moto_problem(installed_moto(), declared_moto())
    if problem is not None:
        raise pytest.UsageError(problem)


@pytest.fixture(scope="session", autouse=True)
def _moto_routers_built_once() -> None:
    """Route one request per REST-JSON service the scanner calls (Lambda, Security Hub) through
    moto on one thread first, using only moto's public ``mock_aws``.

    moto compiles each REST service's URL router lazily, through werkzeug, which calls
    ``ast.parse``; CPython 3.11's parser is not safe to run from several threads at once
    ("SystemError: AST constructor recursion depth mismatch"). Scans fan out over threads, so
    the first Lambda call of a test could otherwise race. moto keeps the routers per process,
    for mock_aws and the in-process moto server alike, so one request each here is enough
    (S3 has its own dispatcher and builds no such router).
    """
    from moto import mock_aws

    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name="us-east-1")
    with mock_aws():
        session.client("lambda").list_functions()
        session.client("securityhub").enable_security_hub()


# Property tests: the same examples on every run (a CI failure reproduces locally), and no
# "too slow" health check on a shared 2-core machine.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("secretgraph", derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.load_profile("secretgraph")
