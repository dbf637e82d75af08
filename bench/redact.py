"""Benchmark: registering credentials for redaction, as a scan of N accounts does (an access key,
a secret key and a session token per assumed role), with a log line redacted after each.

    python bench/redact.py [--roles 1000]

Prints the CPU seconds and the peak RSS. The registry used to rebuild one regex of every value
at each registration (quadratic: 300 roles took 36 s CPU and 289 MB; a 1,000-account scan spent
6 of its 8.5 minutes assuming roles); it is indexed by each value's first characters now.
"""

from __future__ import annotations

import argparse
import random
import resource
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.logging_setup import redact, register_secret  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--roles", type=int, default=1000)
    args = ap.parse_args()
    rng = random.Random(0)
    alphabet = string.ascii_letters + string.digits + "/+"
    creds = [("ASIA" + "".join(rng.choice(string.ascii_uppercase) for _ in range(16)),
              "".join(rng.choice(alphabet) for _ in range(40)),
              "".join(rng.choice(alphabet) for _ in range(600))) for _ in range(args.roles)]
    started = time.process_time()
    for i, (key, secret, token) in enumerate(creds):
        register_secret(key, secret, token)
        redact(f"DEBUG botocore: assumed a role in account {i}: {key} {token[:60]}")
    spent = time.process_time() - started
    line = " ".join(f'"AccessKeyId": "{k}", Credential={k}/x, {s} {t}' for k, s, t in creds[:8])
    t0 = time.perf_counter()
    out = redact(line)
    per_line = time.perf_counter() - t0
    assert not any(k in out or s in out or t in out for k, s, t in creds[:8])
    print(f"{args.roles} roles registered ({3 * args.roles} values), a line redacted after "
          f"each: {spent:.2f}s CPU, peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; "
          f"a {len(line):,}-character line: {per_line * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
