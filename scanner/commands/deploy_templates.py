"""`secretgraph deploy-templates --out DIR`: the CloudFormation templates for the nightly scan.

Writes the central-account stack (schedule, history bucket, topic, function and its role), the
organization-scale variant of it (Step Functions Distributed Map; docs/deployment.md) and the
StackSet template of the read-only audit role for every member account, whose policy is
generated from the collectors' declared permissions.
"""

from __future__ import annotations

import argparse

from scanner.commands._outputs import replace_together
from scanner.deploy.render import template_files
from scanner.errors import UsageError

HELP = ("write the CloudFormation templates for the scheduled deployment (central, "
        "organization scale, member StackSet)")
#: what -q/--quiet does here (scanner.cli: the help of -q)
QUIET_HELP = 'print no file names, only errors (the templates are still written)'
#: with -q, standard output is discarded: errors (stderr) only
QUIET_DISCARDS_STDOUT = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR", required=True,
                        help="directory to write the templates into (created if missing)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from scanner.output_set import check_out_dir

    check_out_dir(Path(args.out))  # a file, or under one: one line, exit 2
    try:
        Path(args.out).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        # a folder the mode bits allow and the system refuses (/proc/x as root): the option
        # named, as --plan-out names it (new-user trial 20: "error: /proc/x: No such file")
        raise UsageError(f"--out {args.out}: cannot create {exc.filename or args.out} "
                         f"({exc.strerror or exc})") from None
    # the templates belong together (the central stack and the member role it assumes):
    # replaced all or none -- written in place, a full disk left the one being written empty
    # and the ones before it of tonight's version (fault-injection trial round 18)
    files = [(Path(args.out) / name, text) for name, text in template_files()]
    replace_together(files, "--out", Path(args.out),
                     kept=f"the templates in {args.out} are as they were")
    for path, _ in files:
        print(path)
    return 0
