"""`secretgraph demo`: start the embedded AWS (moto on 127.0.0.1), build the reference estate
with its deliberate misconfigurations, scan it through the same pipeline as a real scan, and
write the reports. Exit 0 when the scan found exactly what the estate was built to show."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from scanner.commands._outputs import out_folder

if TYPE_CHECKING:
    from scanner.demo.run import DemoResult

HELP = "scan a built-in demo organization (moto on 127.0.0.1) and write its reports"

_EXIT_MEANING = {0: "complete, nothing at or above --fail-on",
                 1: "findings at or above --fail-on (HIGH)",
                 2: "bad usage or input", 3: "scan incomplete"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR", type=out_folder, default=Path("out/demo"),
                        help="output directory for the snapshot and reports (default out/demo)")
    parser.add_argument("--keep-running", action="store_true",
                        help="after the scan, keep moto running so you can scan it yourself")
    parser.add_argument("--port", type=_port, default=0, metavar="PORT",
                        help="moto's port on 127.0.0.1 (default: a free one); with "
                             "--keep-running, the endpoint your own scans use")


def _port(text: str) -> int:
    """A TCP port free on 127.0.0.1 (new-user trial 16: --keep-running always took a random
    port, so a script or a firewall rule could not name it)."""
    import socket

    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (1-65535)")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # as moto's server binds it (werkzeug: SO_REUSEADDR): connections of an earlier demo
        # on the port, waiting out TIME_WAIT for a minute, do not stop it; a listener does
        # (fault-injection trial round 12: "not free" for a minute after a demo stopped)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise argparse.ArgumentTypeError(
                f"port {port} on 127.0.0.1 is not free ({exc.strerror or exc})") from None
    return port


def run(args: argparse.Namespace) -> int:
    from scanner.aws.calls import CallCounter
    from scanner.demo.run import demo_stack, seed_and_scan, wait_until_interrupted
    from scanner.progress import Progress

    out = sys.stdout
    quiet = bool(args.quiet)
    existed = Path(args.out).exists()
    result: DemoResult | None = None
    try:
        if not quiet:  # building the estate takes a while: say so before it starts
            from scanner.textfit import fit_line, stream_columns

            print(fit_line("demo: starting moto on 127.0.0.1 and building the demo "
                           "organization (5 accounts, 2 Regions; this takes a minute or less)",
                           stream_columns(out), more="  "), file=out, flush=True)
        with demo_stack(port=args.port) as url:
            result = seed_and_scan(url, args.out, out=out, quiet=quiet,
                                   progress=Progress.for_terminal(CallCounter(), quiet=quiet))
            code = summarize(result, args.out, out, verbose=args.verbose, quiet=quiet,
                             keep_running=bool(args.keep_running))
            if args.keep_running:
                wait_until_interrupted(url, result.estate, out, program())
    except KeyboardInterrupt as exc:
        from scanner.errors import Interrupted

        if isinstance(exc, Interrupted):  # the scan's own line: what it wrote
            raise
        # a stop while the estate was built, or once the reports were written (moto
        # stopping), said "interrupted" alone: what was written is the question (README, exit
        # 130; new-user trial round 26)
        if result is not None:
            raise Interrupted(f"interrupted; the reports were written to {args.out}") from None
        raise Interrupted("interrupted while building the demo estate; nothing was written "
                          + (f"({args.out} is as it was)" if existed
                             else f"({args.out} was not created)")) from None
    return code


def program() -> str:
    """How to run secretgraph from here: ``secretgraph`` when it is on the PATH, else the
    script beside this Python (``.venv/bin/secretgraph`` after ``make demo``, which does not
    activate the virtual environment)."""
    import os
    import shutil

    if shutil.which("secretgraph"):
        return "secretgraph"
    script = Path(sys.executable).parent / "secretgraph"
    if not script.exists():
        return "secretgraph"
    try:
        shown = os.path.relpath(script)
    except ValueError:  # another drive
        shown = str(script)
    return shown if not shown.startswith("..") else str(script)


def next_steps(result: DemoResult, out_dir: Path, *, keep_running: bool = False,
               prog: str = "secretgraph") -> str:
    """What to try next on the demo's outputs: the report, `access` on a seeded broken secret,
    `remediate` for a plan, a scan of the snapshot again (with the demo's config: without it,
    its required replica Regions are not checked), and `diff` after a second scan (not offered
    with --keep-running: what to run against the live estate follows). Each command is on a
    line of its own, as it is typed (``prog``: how secretgraph is run here), and is never
    wrapped: pasted, a wrapped command loses its arguments."""
    from scanner.demo.run import CONFIG

    secrets = result.analysis.access.secrets
    # a primary secret, by its name (a replica's finding names the replica node)
    broken = sorted(str(getattr(secrets[f.resource.arn], "name", None) or f.resource.arn)
                    for f in result.analysis.findings
                    if f.rule_id == "secret-cross-account-access-broken"
                    and f.status.value == "FAIL" and f.resource.arn in secrets)
    report = out_dir / "report.html"
    steps = [("open the report", report.absolute().as_uri())]
    if broken:
        steps.append(("why a grant does not work",
                      f"{prog} access --in {out_dir} --secret {broken[0]} --why"))
    steps += [("plan the fixes (no changes)", f"{prog} remediate --in {out_dir}"),
              ("scan the snapshot again", f"{prog} scan --snapshot "
               f"{out_dir / 'snapshot.json.gz'} --config {CONFIG} --out {out_dir}-again")]
    if not keep_running:
        steps.append(("keep the estate running (until Ctrl-C) to scan it again",
                      f"{prog} demo --keep-running"))
        steps.append(("after two scans of it with --history demo.db, what changed",
                      f"{prog} diff --history demo.db"))
    lines = ["", "Next:"]
    for label, command in steps:
        lines += [f"  {label}:", f"    {command}"]
    return "\n".join(lines)


def summarize(result: DemoResult, out_dir: Path, out: TextIO, *, verbose: bool = False,
              quiet: bool = False, keep_running: bool = False) -> int:
    """Print the timings, the verdict and what to try next (the scan's API calls per
    operation with --verbose); 0 when the scan matched exactly. With ``quiet`` only a
    mismatch is printed (on stderr)."""
    from scanner.demo.run import EXPECTED_FILE, render_calls

    a = result.analysis
    if quiet:
        if result.matched:
            return 0
        out = sys.stderr
    if verbose:
        print("\nAPI calls made by the scan (per operation):", file=out)
        print(render_calls(a.api_calls), file=out)
    from scanner.textfit import fit_line, stream_columns

    width = stream_columns(out)

    def say(text: str) -> None:  # broken between words on a terminal, one line in a log
        print(fit_line(text, width, more="  "), file=out)

    print(file=out)
    say(f"demo: seeded in {result.seed_seconds:.1f}s, scanned in {result.scan_seconds:.1f}s; "
        f"reports in {out_dir} (what the estate was built to show: {EXPECTED_FILE})")
    say(f"demo: `secretgraph scan` on this estate would exit {a.exit_code} "
        f"({_EXIT_MEANING.get(a.exit_code, '?')}): the estate is misconfigured on purpose.")
    if result.matched:
        say(f"demo: OK - the scan reported exactly the {len(result.estate.expected)} seeded "
            "misconfigurations and nothing on the correct parts of the estate.")
        print(next_steps(result, out_dir, keep_running=keep_running, prog=program()),
              file=out)
        return 0
    if not a.snapshot.complete:
        print(f"demo: the scan was incomplete ({len(a.snapshot.coverage)} coverage entries)",
              file=out)
    for label, keys in (("MISSING expected", result.missing), ("UNEXPECTED", result.unexpected)):
        for rule_id, arn, principal in sorted(keys, key=str):
            who = f" for {principal}" if principal else ""
            print(f"demo: {label} finding {rule_id} on {arn}{who}", file=out)
    print("demo: the scan did not match the estate's expected findings (see above)", file=out)
    return 1
