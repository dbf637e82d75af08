"""Run the demo: start moto on loopback, seed the estate, scan it through the real pipeline,
and compare the FAIL findings with what the estate was built to show."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, TextIO

from scanner.demo.estate import DemoEstate, seed
from scanner.demo.expected import NOT_REPRESENTABLE, expected_unknowns
from scanner.demo.fidelity import replica_keys_kept
from scanner.demo.server import DemoServer
from scanner.findings import Finding, Status
from scanner.pipeline import ScanOptions, run_scan
from scanner.scan_result import Analysis

#: A FAIL finding as the demo compares it: (rule_id, resource ARN, principal or None).
Key = tuple[str, str, str | None]

CONFIG = Path(__file__).with_name("secretgraph-demo.yaml")
#: Written next to the reports: what the estate was built to show (compare with findings.json).
EXPECTED_FILE = "expected-findings.json"
FORMATS = ("table", "json", "html", "asff", "ocsf", "junit", "csv")
#: The demo's credentials: fake, so nothing the demo does can ever reach real AWS.
DEMO_ENV = {"AWS_ACCESS_KEY_ID": "secretgraph-demo", "AWS_SECRET_ACCESS_KEY": "secretgraph-demo",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
DEMO_UNSET = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL",
              "MOTO_ACCOUNT_ID")


@dataclass(frozen=True, kw_only=True, slots=True)
class DemoResult:
    estate: DemoEstate
    analysis: Analysis
    missing: frozenset[Key]  # expected FAIL findings the scan did not produce
    unexpected: frozenset[Key]  # FAIL findings nobody seeded
    seed_seconds: float
    scan_seconds: float

    @property
    def matched(self) -> bool:
        return not self.missing and not self.unexpected and self.analysis.snapshot.complete


def fail_keys(findings: list[Finding]) -> frozenset[Key]:
    return frozenset((f.rule_id, f.resource.arn, f.principal) for f in findings
                     if f.status is Status.FAIL)


@contextlib.contextmanager
def demo_environment() -> Iterator[None]:
    """Fake credentials, no profile or endpoint from the caller's environment; restored after."""
    saved = {k: os.environ.get(k) for k in (*DEMO_ENV, *DEMO_UNSET)}
    os.environ.update(DEMO_ENV)
    for k in DEMO_UNSET:
        os.environ.pop(k, None)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def scan_options(estate: DemoEstate, out_dir: Path, *, quiet: bool = False) -> ScanOptions:
    """The options of a real organization scan, pointed at the demo's endpoint."""
    return ScanOptions(
        endpoint_url=estate.endpoint_url, org=True, role_name=estate.role_name,
        regions=estate.regions, central_account=estate.central_account, out_dir=out_dir,
        formats=FORMATS, config_path=CONFIG, quiet=quiet, max_attempts=2)


def scan_estate(estate: DemoEstate, out_dir: Path, *, out: TextIO | None = None,
                quiet: bool = False, progress: Any = None) -> tuple[Analysis, float]:
    """Scan the seeded estate (``progress``: the scan's progress display, as `scan` has)."""
    started = time.perf_counter()
    analysis = run_scan(scan_options(estate, out_dir, quiet=quiet), out=out, progress=progress)
    return analysis, time.perf_counter() - started


def compare(estate: DemoEstate, analysis: Analysis
            ) -> tuple[frozenset[Key], frozenset[Key]]:
    expected = frozenset(e.key for e in estate.expected)
    got = fail_keys(analysis.findings)
    return expected - got, got - expected


@contextlib.contextmanager
def demo_stack(endpoint_url: str | None = None, *, port: int = 0) -> Iterator[str]:
    """Fake credentials, the moto server (started unless ``endpoint_url`` names an in-process
    one; on ``port`` of 127.0.0.1, 0: a free one) and the replica-key fidelity patch; yields
    the endpoint URL."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(demo_environment())
        url = endpoint_url or stack.enter_context(DemoServer(port=port))
        stack.enter_context(replica_keys_kept())
        yield url


def seed_and_scan(endpoint_url: str, out_dir: Path, *, out: TextIO | None = None,
                  quiet: bool = False, progress: Any = None) -> DemoResult:
    """Seed the estate on ``endpoint_url``, scan it, write the reports and the expected file."""
    stream = out or sys.stdout
    started = time.perf_counter()
    estate = seed(endpoint_url)
    seed_seconds = time.perf_counter() - started
    if not quiet:
        from scanner.textfit import fit_line, stream_columns

        print(fit_line(f"demo: moto on {endpoint_url}; seeded {len(estate.accounts)} accounts, "
                       f"{sum(1 for k in estate.resources if k.startswith('secret:'))} secrets "
                       f"in {seed_seconds:.1f}s ({estate.api_calls} API calls)",
                       stream_columns(stream), more="  "), file=stream)
    analysis, scan_seconds = scan_estate(estate, out_dir, out=out, quiet=quiet,
                                         progress=progress)
    write_expected(estate, out_dir / EXPECTED_FILE)
    missing, unexpected = compare(estate, analysis)
    return DemoResult(estate=estate, analysis=analysis, missing=missing, unexpected=unexpected,
                      seed_seconds=seed_seconds, scan_seconds=scan_seconds)


def run_demo(out_dir: Path, *, endpoint_url: str | None = None, out: TextIO | None = None,
             quiet: bool = False) -> DemoResult:
    """Start (or reuse) moto, seed and scan; the server stops on return."""
    with demo_stack(endpoint_url) as url:
        return seed_and_scan(url, out_dir, out=out, quiet=quiet)


#: the write role name the --keep-running hint gives `remediate --apply` on the demo's moto
#: (which does not check that a role exists; the audit role is refused as a write role)
DEMO_WRITE_ROLE = "SecretgraphRemediation"


def wait_until_interrupted(endpoint_url: str, estate: DemoEstate, stream: TextIO,
                           program: str = "secretgraph") -> None:
    """--keep-running: leave moto up (until Ctrl-C) and say how to scan it by hand.
    ``program``: how to run secretgraph from the user's shell (``.venv/bin/secretgraph`` when
    it is not on the PATH: ``make demo`` does not activate the virtual environment)."""
    from scanner.textfit import fit_line, stream_columns

    # the sentences are broken between words on a terminal, as the demo's other lines are
    # (new-user trial: 187 and 192 columns at 80); the command is never wrapped, as the "Next:"
    # commands are not: pasted, a wrapped command loses its arguments
    width = stream_columns(stream)
    print("\n" + fit_line(f"demo: moto keeps running on {endpoint_url} (Ctrl-C to stop). In "
                          f"another shell, scan it (again after a change, then `{program} "
                          "diff --history demo.db`):", width, more="  ") + "\n"
          f"  AWS_ACCESS_KEY_ID=secretgraph-demo AWS_SECRET_ACCESS_KEY=secretgraph-demo \\\n"
          f"  {program} scan --endpoint-url {endpoint_url} --org --role-name "
          f"{estate.role_name} --regions {','.join(estate.regions)} --central-account "
          f"{estate.central_account} --config {CONFIG} --out demo-live --history demo.db "
          "--full-refresh-days 1\n"
          + fit_line("  (--full-refresh-days 1 reads every secret policy each time: moto does "
                     "not move a secret's LastChangedDate when its policy changes, which "
                     "incremental collection relies on; docs/collection.md)", width, more=" ")
          # new-user trial round 36: the plan's own hint (--remediation-role-name NAME, "not
          # the scan's audit role") left a demo user without a name to give: the demo has no
          # write role, the audit role is refused, and moto does not check a role exists
          + "\n" + fit_line(f"demo: fix what that scan found: `{program} remediate --in "
                            "demo-live` plans (no changes), then apply the plan (moto does not "
                            "check that a role exists: any name but the audit role "
                            f"{estate.role_name} stands in for your write role, "
                            "docs/remediation.md), and the journal line it prints says how to "
                            "undo it:", width, more="  ") + "\n"
          f"  AWS_ACCESS_KEY_ID=secretgraph-demo AWS_SECRET_ACCESS_KEY=secretgraph-demo \\\n"
          f"  {program} remediate --plan demo-live/remediation-plan.json --apply "
          f"--remediation-role-name {DEMO_WRITE_ROLE} --endpoint-url {endpoint_url} "
          "--history demo.db",
          file=stream)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("demo: stopping moto", file=stream)


def write_expected(estate: DemoEstate, path: Path) -> None:
    doc = {
        "endpoint_url": estate.endpoint_url,
        "organization": estate.org_id,
        "management_account": estate.management_account,
        "central_account": estate.central_account,
        "members": dict(estate.members),
        "regions": list(estate.regions),
        "expected_fail_findings": [
            {"rule_id": e.rule_id, "resource": e.resource, "principal": e.principal,
             "why": e.why} for e in estate.expected],
        "expected_unknown_findings": [
            {"rule_id": rule_id, "resource": arn}
            for rule_id, arn in expected_unknowns(estate.resources)],
        "not_representable": dict(NOT_REPRESENTABLE),
        "resources": dict(estate.resources),
    }
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def render_calls(calls: Mapping[str, int]) -> str:
    width = max((len(k) for k in calls), default=10)
    lines = [f"  {k:<{width}}  {v:>5}" for k, v in sorted(calls.items())]
    lines.append(f"  {'total':<{width}}  {sum(calls.values()):>5}")
    return "\n".join(lines)
