"""The `secretgraph` command line: an explicit table of sub-commands, one module each.

Each module in scanner/commands exposes ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``. Errors derived from SecretgraphError print one line and exit 2; nothing
prints a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from types import ModuleType
from typing import Sequence

from scanner.errors import SecretgraphError

#: name -> module. Order is the order shown in --help.
COMMANDS: dict[str, str] = {
    "scan": "scanner.commands.scan",
    "collect": "scanner.commands.collect",
    "demo": "scanner.commands.demo",
    "access": "scanner.commands.access",
    "diff": "scanner.commands.diff",
    "history": "scanner.commands.history",
    "baseline": "scanner.commands.baseline",
    "rules": "scanner.commands.rules",
    "remediate": "scanner.commands.remediate",
    "export": "scanner.commands.export",
    "report": "scanner.commands.report",
    "iam-policy": "scanner.commands.iam_policy",
    "deploy-templates": "scanner.commands.deploy_templates",
}


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage already; keep its message to one line plus usage."""


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    parser = _Parser(
        prog="secretgraph",
        description="Audit an AWS Organization's centralized Secrets Manager estate.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules: dict[str, ModuleType] = {}
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        modules[name] = module
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
    return parser, modules


def main(argv: Sequence[str] | None = None) -> int:
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.version:
        from scanner import __version__

        print(f"secretgraph {__version__}")
        return 0
    if not args.command:
        parser.print_help()
        return 2
    try:
        return int(modules[args.command].run(args))
    except SecretgraphError as exc:
        print(f"secretgraph {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("secretgraph: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, and the traceback only with --debug
        if args.debug:
            raise
        print(
            f"secretgraph {args.command}: internal error: {type(exc).__name__}: {exc} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 2


def entry() -> None:  # pragma: no cover
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
