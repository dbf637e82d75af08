"""README.md and docs/: every flag a command line names is a flag of that command.

A command line is a `secretgraph CMD ...` in a code block (continued lines joined, `#` comments
left out) or in an inline code span, and a row of README's command table (its first cell names
the command, the rest are its flags). `--role-*` stands for the flags that start so."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from scanner.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")
COMMAND = re.compile(r"secretgraph((?: [a-z][a-z-]*)+)(.*)")


def _children(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _command(words: list[str]) -> tuple[str, argparse.ArgumentParser] | None:
    """The deepest (sub)command the words name, or None when the first is no command."""
    parser, _ = build_parser()
    path: list[str] = []
    for word in words:
        child = _children(parser).get(word)
        if child is None:
            break
        parser, path = child, [*path, word]
    return (" ".join(path), parser) if path else None


def _unknown(words: list[str], rest: str) -> list[str]:
    found = _command(words)
    if found is None:
        return []
    name, parser = found
    known = {option for action in parser._actions for option in action.option_strings}
    bad = []
    for flag in FLAG.findall(rest):
        ok = (any(k.startswith(flag) for k in known) if flag.endswith("-")
              else flag in known)
        if not ok:
            bad.append(f"secretgraph {name}: {flag}")
    return bad


def _command_lines(text: str) -> list[tuple[list[str], str]]:
    lines: list[tuple[list[str], str]] = []
    for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, re.DOTALL | re.MULTILINE):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.split(r"\s#", line)[0]
            match = COMMAND.search(line)
            if match:
                lines.append((match.group(1).split(), match.group(1) + match.group(2)))
    for span in re.findall(r"`(secretgraph [^`]+)`", text):
        match = COMMAND.match(span)
        if match:
            lines.append((match.group(1).split(), match.group(1) + match.group(2)))
    for match in re.finditer(r"^\| `secretgraph ([^`]+)` \|(.*)$", text,
                             re.MULTILINE):
        lines.append((match.group(1).split(), match.group(2)))
    return lines


def test_every_flag_a_documented_command_line_names_is_a_flag_of_that_command() -> None:
    bad = []
    for doc in DOCS:
        for words, rest in _command_lines(doc.read_text(encoding="utf-8")):
            bad += [f"{doc.relative_to(ROOT)}: {problem}" for problem in _unknown(words, rest)]
    assert not bad, "\n".join(bad)


def test_the_check_reads_readmes_command_table() -> None:
    lines = _command_lines((ROOT / "README.md").read_text(encoding="utf-8"))
    scan_rows = [rest for words, rest in lines if words == ["scan"] and "--fail-on" in rest]
    assert scan_rows, "README's command table was not read"
    assert _unknown(["scan"], "--org --no-such-flag") == ["secretgraph scan: --no-such-flag"]
    assert _unknown(["scan"], "--role-* flags") == []


def _format_choices(parser: argparse.ArgumentParser, path: list[str]) -> list[tuple[str, Any]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += _format_choices(child, [*path, name])
        elif "--format" in action.option_strings:
            found.append((" ".join(path), action))
    return found


def test_every_command_whose_format_is_a_choice_offers_table_as_its_plain_text() -> None:
    """docs/configuration.md: "`--format table` is the plain-text format in every command".
    Checked where --format is a choice; a format list (scan, report) and iam-policy's
    json|cloudformation print no plain text of their own."""
    parser, _ = build_parser()
    choices = {name: action for name, action in _format_choices(parser, [])
               if action.choices is not None and name != "iam-policy"}
    assert {"access", "diff", "history list", "baseline check", "rules list",
            "rules show"} <= set(choices)
    bad = {name: (list(action.choices), action.default) for name, action in choices.items()
           if "table" not in action.choices or action.default == "text"}
    assert not bad, bad


BENCH_LINE = re.compile(r"bench/([a-z_]+)\.py((?:(?!bench/[a-z_]+\.py)[^;|&\n])*)")


def _bench_flags(script: str) -> set[str]:
    """The flags a bench script's argparse takes (read from its source: importing a bench
    script sets up its environment)."""
    source = (ROOT / "bench" / f"{script}.py").read_text(encoding="utf-8")
    return set(re.findall(r"add_argument\(\s*\"(--[a-z][a-z0-9-]*)\"", source))


def _bench_lines(text: str) -> list[tuple[str, str]]:
    """(script, the rest of the line) of every `bench/NAME.py ...` in a code block or span."""
    segments = []
    for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, re.DOTALL | re.MULTILINE):
        segments += [re.split(r"\s#", line)[0]
                     for line in block.replace("\\\n", " ").splitlines()]
    prose = re.sub(r"^```[a-z]*\n(.*?)^```", "", text, flags=re.DOTALL | re.MULTILINE)
    segments += re.findall(r"`([^`]*)`", prose)
    return [(m.group(1), m.group(2)) for s in segments for m in BENCH_LINE.finditer(s)]


def test_every_flag_a_documented_bench_command_names_is_a_flag_of_that_script() -> None:
    """docs/scale.md, docs/collection.md, docs/reports.md... give the benchmark commands their
    figures came from (`bench/offline_scan.py --stages --no-child`): a flag renamed in the
    script left the figure unreproducible without a word (docs round 14: held as the
    secretgraph command lines above are)."""
    bad, seen = [], set()
    for doc in DOCS:
        for script, rest in _bench_lines(doc.read_text(encoding="utf-8")):
            path = ROOT / "bench" / f"{script}.py"
            if not path.exists():
                bad.append(f"{doc.relative_to(ROOT)}: bench/{script}.py does not exist")
                continue
            known = _bench_flags(script)
            seen.add(script)
            bad += [f"{doc.relative_to(ROOT)}: bench/{script}.py {flag}"
                    for flag in FLAG.findall(rest) if flag not in known]
    assert not bad, "\n".join(bad)
    assert {"offline_scan", "rules", "api_calls", "grow"} <= seen
    assert "--stages" in _bench_flags("offline_scan")


def test_readme_s_command_table_has_a_row_for_every_command() -> None:
    """README's command table is where a user first looks a command up: every command and
    every action of a command with actions (`history prune`, `baseline check`, `rules show`,
    `export securityhub`) is named in a row's first cell (held since docs truth round 16,
    which found none missing)."""
    parser, _ = build_parser()
    commands = []
    for name, child in _children(parser).items():
        actions = _children(child)
        commands += [f"{name} {a}" for a in actions] if actions else [name]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_cells = " ".join(line.split(" | ")[0] for line in readme.splitlines()
                           if line.startswith("| `secretgraph "))
    # "`secretgraph rules list` / `rules show RULE`": a later action of a row is named alone
    missing = [c for c in commands
               if not re.search(rf"`(secretgraph )?{re.escape(c)}[` ]", first_cells)]
    assert missing == []
