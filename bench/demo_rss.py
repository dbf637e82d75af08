"""Benchmark: peak RSS of a `secretgraph scan` of the demo estate (issue 12: <= 150 MB).

    python bench/demo_rss.py [--runs 2] [--format json] [--count] [--out out/bench-demo-rss]

What users run: the demo's moto server is started in a *separate* process (with the demo's
replica-key fidelity patch), the estate is seeded into it from this process, and then
``secretgraph scan --endpoint-url http://127.0.0.1:PORT --org ...`` runs in a fresh child
process, exactly as `secretgraph demo` prints it. The figures are the scan child's alone
(``os.wait4``): peak RSS (``ru_maxrss``) and CPU seconds (user + system). Neither moto nor the
seeding is in them.

``--count`` runs the scan child with a small probe (botocore's Session and BaseClient
constructors counted, the live ones tracked with weak references) and prints how many botocore
sessions and clients were made and the most alive at once. It adds a little memory of its own.

Prints one line per run with the 1-minute load average; the figures are comparable only on an
otherwise idle machine (CPU more than RSS).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: The moto server child: the demo's fidelity patch, then moto on 127.0.0.1:<port> until killed.
SERVER = """
import sys, time
from moto.server import ThreadedMotoServer
from scanner.demo.fidelity import replica_keys_kept
with replica_keys_kept():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False)
    server.start()
    print("ready", flush=True)
    while True:
        time.sleep(3600)
"""

#: The scan child with ``--count``: counts botocore sessions and clients, then runs the CLI.
PROBE = """
import json, os, sys, threading, weakref
import botocore.client, botocore.session
made = {"sessions": 0, "clients": 0}
alive = {"sessions": weakref.WeakSet(), "clients": weakref.WeakSet()}
peak = {"sessions": 0, "clients": 0}
lock = threading.Lock()

def counted(cls, kind):
    original = cls.__init__
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        with lock:
            made[kind] += 1
            alive[kind].add(self)
            peak[kind] = max(peak[kind], len(alive[kind]))
    cls.__init__ = __init__

counted(botocore.session.Session, "sessions")
counted(botocore.client.BaseClient, "clients")
from scanner.cli import main
try:
    code = main(sys.argv[1:])
finally:
    with open(os.environ["BENCH_PROBE_OUT"], "w") as f:
        json.dump({"made": made, "peak_alive": peak}, f)
sys.exit(code)
"""

CLI = "import sys; from scanner.cli import main; sys.exit(main(sys.argv[1:]))"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "ready":
        proc.kill()
        raise SystemExit("the moto server did not start")
    return proc, f"http://127.0.0.1:{port}"


def scan_child(argv: list[str], env: dict[str, str], *, count: bool
               ) -> tuple[int, float, float, dict[str, Any] | None]:
    """(exit code, peak RSS MB, CPU s) of one scan child, and the probe's counts."""
    probe_out = None
    if count:
        probe_out = Path(tempfile.mkstemp(suffix=".json")[1])
        env = dict(env, BENCH_PROBE_OUT=str(probe_out))
    code = PROBE if count else CLI
    proc = subprocess.Popen([sys.executable, "-c", code, *argv], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):  # 1: FAIL findings at or above --fail-on (the demo has)
        raise SystemExit(f"scan exited {proc.returncode}: {stderr[-1500:]}")
    counts = None
    if probe_out is not None:
        counts = json.loads(probe_out.read_text())
        probe_out.unlink()
    return (proc.returncode, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime,
            counts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--format", default="json",
                    help="--format of the scan (default json; the demo writes every format)")
    ap.add_argument("--count", action="store_true",
                    help="count botocore sessions and clients in the scan child")
    ap.add_argument("--out", type=Path, default=Path("out/bench-demo-rss"))
    args = ap.parse_args()

    from scanner.demo.estate import seed
    from scanner.demo.run import CONFIG, DEMO_ENV, DEMO_UNSET, demo_environment
    from scanner.demo.server import SKIP_AMIS_ENV, prepare

    env = {k: v for k, v in os.environ.items() if k not in DEMO_UNSET}
    env.update(DEMO_ENV)
    env.setdefault(SKIP_AMIS_ENV, "false")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    server, endpoint = start_server(env)
    try:
        with demo_environment():
            prepare(endpoint)
            started = time.perf_counter()
            estate = seed(endpoint)
            print(f"seeded {len(estate.accounts)} accounts x {len(estate.regions)} Regions on "
                  f"{endpoint} (separate process) in {time.perf_counter() - started:.1f}s")
        argv = ["--quiet", "scan", "--endpoint-url", endpoint, "--org", "--role-name",
                estate.role_name, "--regions", ",".join(estate.regions), "--central-account",
                estate.central_account, "--config", str(CONFIG), "--format", args.format,
                "--out", str(args.out)]
        for run in range(args.runs):
            load = os.getloadavg()[0]
            code, rss, cpu, counts = scan_child(argv, env, count=args.count)
            line = (f"run {run + 1}: scan peak RSS {rss:.1f} MB, CPU {cpu:.2f} s, exit {code}, "
                    f"load average {load:.1f}")
            if counts is not None:
                line += (f"; botocore sessions made {counts['made']['sessions']} (peak alive "
                         f"{counts['peak_alive']['sessions']}), clients made "
                         f"{counts['made']['clients']} (peak alive "
                         f"{counts['peak_alive']['clients']})")
            print(line, flush=True)
    finally:
        server.kill()
        server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
