"""Placeholder: owned by the helper building this command; replaced, never shipped as is."""

from __future__ import annotations

import argparse

from scanner.errors import UsageError

HELP = "(not built yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise UsageError("this command is not built yet")
