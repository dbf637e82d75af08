"""collect() input validation (exit 2 before anything is scanned) and the pure central-account
heuristic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.central_account import AccountStats, infer_central_account, policy_grant_accounts
from scanner.errors import CredentialsError, UsageError

REGION = "us-east-1"
ROLE = "OrganizationAccountAccessRole"


def options(tmp_path: Path, **kwargs: Any) -> CollectOptions:
    defaults: dict[str, Any] = {"out": tmp_path / "snapshot.json.gz", "regions": (REGION,),
                                "role_name": ROLE, "max_attempts": 1}
    return CollectOptions(**{**defaults, **kwargs})


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"regions": ("us-east-1", "mars-north-1")}, "unknown region 'mars-north-1'"),
        ({"regions": ()}, "no regions given"),
        ({"accounts": ("12345",)}, "malformed account id '12345'"),
        ({"accounts": ("1234567890ab",)}, "malformed account id"),
        ({"central_account": "nope"}, "malformed --central-account"),
        ({"org": True, "accounts": ("111122223333",)}, "not both"),
        ({"max_workers": 0}, "max-workers"),
    ],
)
def test_bad_options_are_usage_errors_before_any_call(
        tmp_path: Path, kwargs: dict[str, Any], message: str) -> None:
    def no_session(_: CollectOptions) -> boto3.Session:
        raise AssertionError("validation must happen before credentials are touched")

    with pytest.raises(UsageError, match=message):
        collect(options(tmp_path, **kwargs), session_factory=no_session)


@pytest.mark.parametrize("kwargs", [{"regions": ("us-wst-2",)},
                                    {"required_replica_regions": ("us-wst-2",)}])
def test_a_region_typo_names_the_closest_regions_as_the_config_does(
        tmp_path: Path, kwargs: dict[str, Any]) -> None:
    """New-user trial: `--regions us-wst-2` named no close Region while the same typo in a
    config did (commit 558ec0b said they match); now both say "closest: us-west-2"."""
    with pytest.raises(UsageError, match=r"unknown region 'us-wst-2'.*closest: us-west-2"):
        collect(options(tmp_path, **kwargs))


def test_an_unknown_profile_is_a_credentials_error(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match="unknown AWS profile 'ghost'"):
        collect(options(tmp_path, profile="ghost"))


def test_org_discovery_needs_an_organization(tmp_path: Path, scan_session: boto3.Session) -> None:
    with mock_aws():
        with pytest.raises(UsageError, match="not in an AWS Organization; scan it without --org"):
            collect(options(tmp_path, org=True), executor=SynchronousExecutor(),
                    session_factory=lambda _: scan_session)


# --------------------------------------------------------------------------- central account


def test_policy_grant_accounts_reads_allow_principals_only() -> None:
    policy = ('{"Statement": [{"Effect": "Allow", "Principal": {"AWS": '
              '["arn:aws:iam::111122223333:role/App", "444455556666"]}},'
              '{"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::777788889999:root"}}]}')
    assert policy_grant_accounts(policy) == {"111122223333", "444455556666"}
    assert policy_grant_accounts("not json") == set()
    assert policy_grant_accounts(None) == set()


def test_the_central_account_is_the_one_sharing_the_most_secrets() -> None:
    stats = {
        "111111111111": AccountStats(secrets=40, cmk_secrets=0, shared_secrets=0),
        "222222222222": AccountStats(secrets=5, cmk_secrets=5, shared_secrets=3),
        "333333333333": AccountStats(secrets=9, cmk_secrets=9, shared_secrets=1),
    }
    assert infer_central_account(stats) == "222222222222"
    assert infer_central_account({"1" * 12: AccountStats(), "2" * 12: AccountStats()}) is None
    tie = {"9" * 12: AccountStats(secrets=1), "3" * 12: AccountStats(secrets=1)}
    assert infer_central_account(tie) == "3" * 12


def test_checking_the_options_imports_no_rule_engine(tmp_path: Path) -> None:
    """Naming the closest Regions for a typo must not pull the rule engine into collect():
    importing scanner.engine.loader there cost about 0.25 s of every collection (issue 12's
    client CPU per request went from 2.1 to 3.2 ms, bench/client_cpu.py)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from scanner.collect_options import CollectOptions, validate_options\n"
        "from scanner.errors import UsageError\n"
        f"o = CollectOptions(out=Path({str(tmp_path / 's.json.gz')!r}), regions=('us-east-1',),"
        " role_name='R')\n"
        "validate_options(o)\n"
        "try:\n"
        "    validate_options(CollectOptions(out=o.out, regions=('us-wst-2',), role_name='R'))\n"
        "except UsageError as exc:\n"
        "    assert 'closest: us-west-2' in str(exc), exc\n"
        "print(sorted(m for m in sys.modules if m.startswith('scanner.engine')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_scan_processes_names_its_collect_phase(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Review of the fourteenth session's merges: with `scan --processes N` the progress bar
    showed no phase at all while the shard processes collected (the first frame is unnamed
    since the 'start' label went; only collect() and collect_shard() named 'discover')."""
    import concurrent.futures

    from scanner.collect import collect_processes

    phases: list[tuple[str, str]] = []

    class Recorder:
        def phase(self, name: str, *, total: int | None = None, unit: str = "") -> None:
            phases.append((name, unit))

    class NoPool:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise RuntimeError("no processes in this test")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", NoPool)
    with pytest.raises(RuntimeError):
        collect_processes(options(tmp_path), 2, progress=Recorder())
    assert phases == [("discover", "2 shard processes")]
