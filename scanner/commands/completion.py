"""`secretgraph completion bash|zsh`: a shell completion script, generated from the parser.

    source <(secretgraph completion bash)          # or save it under bash-completion's dir
    source <(secretgraph completion zsh)           # zsh (through bashcompinit)

Commands, their actions (``rules list``) and every option are completed, and so is what an
option takes: its choices as its command declares them (``iam-policy --for``), the names a
severity, report format, rule id or compliance framework can take (``scan --fail-on``, ``--format
json,ht`` -> ``json,html``: the last item of a comma-separated list), a folder (``--in DIR``) or
a file (``--config FILE``); a value with no list of its own (``--secret``) completes to nothing of
ours, never to the command's option names. ``rules show`` completes a rule id.
"""

from __future__ import annotations

import argparse
import functools
import re
import shlex
from typing import Any, Callable, Sequence

HELP = "print a shell completion script (bash or zsh)"
#: what -q/--quiet does here (scanner.cli: the help of -q)
QUIET_HELP = "log errors only; the script is still printed (it is the command's output)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=("bash", "zsh"), help="the shell to complete for")


def _children(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps sub-parsers only here
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return sorted(o for a in parser._actions for o in a.option_strings)


def _positional_choices(parser: argparse.ArgumentParser) -> list[str]:
    """The values of positional arguments with choices (``export securityhub``, ``completion
    bash``): the word the command needs next."""
    return sorted(str(c) for a in parser._actions
                  if not a.option_strings and a.choices is not None
                  and not isinstance(a, argparse._SubParsersAction) for c in a.choices)


def _valued_options(parser: argparse.ArgumentParser, found: set[str]) -> None:
    """Every option that takes a value, in every command: the word after it is that value,
    never a command name (``scan --out scan``)."""
    for a in parser._actions:
        if a.option_strings and a.nargs != 0:
            found.update(a.option_strings)
    for child in _children(parser).values():
        _valued_options(child, found)


def _severities() -> tuple[str, ...]:
    from scanner.findings import Severity

    return tuple(s.value for s in Severity)


@functools.cache
def _ruleset() -> Any:
    """The built-in rule pack, read once for every option that completes from it."""
    from scanner.engine.loader import load_ruleset

    return load_ruleset()


def _rule_ids() -> tuple[str, ...]:
    return tuple(r.id for r in _ruleset().rules)


def _shown_rule_ids() -> tuple[str, ...]:
    """What `rules show` and `remediate --rule` take: the rule pack's ids and those of the
    rules the scan itself produces (suppression-expired: `rules list` names them; new-user
    trial round 35)."""
    from scanner.engine.engine_rules import ENGINE_RULES

    return _rule_ids() + tuple(ENGINE_RULES)


def _frameworks() -> tuple[str, ...]:
    from scanner.engine.loader import frameworks

    return frameworks(_ruleset())


def _report_formats() -> tuple[str, ...]:
    from reports import FORMATS

    return FORMATS


#: an option that takes one of a set of names argparse has no choices for (the command parses
#: them itself, case-insensitively or comma-separated) -> (those names, whether it takes a
#: comma-separated list). An option with choices completes to them instead.
NAMED_VALUES: dict[str, tuple[Callable[[], tuple[str, ...]], bool]] = {
    "--fail-on": (lambda: _severities() + ("NONE",), False),
    "--severity": (_severities, True),
    "--format": (_report_formats, True),  # scan's and report's: the others have choices
    "--rules": (_rule_ids, True),
    "--exclude-rules": (_rule_ids, True),
    "--rule": (_shown_rule_ids, True),
    "--compliance": (_frameworks, True),
}

#: the positional argument (by dest) that takes a rule id: `rules show RULE`
RULE_POSITIONALS = frozenset({"rule_id"})

#: the positional arguments (by dest) that take a recorded scan: `diff SCAN_A SCAN_B`, which
#: also take 'latest' (scanner.history.records: the newest recorded scan) -- the one name of a
#: scan the shell can offer (new-user trial round 35: `diff <TAB>` offered nothing); an id is
#: in the history, an output folder is a folder (the shell's default completes it)
SCAN_POSITIONALS = frozenset({"scan_a", "scan_b"})
LATEST_SCAN = "latest"


def _value_completion(action: argparse.Action) -> str:
    """The bash lines completing ``action``'s value (``$cur``): its choices, a name from
    NAMED_VALUES, a folder (metavar DIR), a file or folder (FILE, PATH, JOURNAL), or nothing."""
    if action.choices is not None:
        choices = shlex.quote(" ".join(sorted(map(str, action.choices))))
        return f'COMPREPLY=($(compgen -W {choices} -- "$cur"))'
    option = next((o for o in action.option_strings if o.startswith("--")), "")
    if option in NAMED_VALUES:
        values, is_list = NAMED_VALUES[option]
        words = shlex.quote(" ".join(sorted(values())))
        if is_list:  # complete the last item, the ones before it kept
            return ('local head=""; [[ "$cur" == *,* ]] && head="${cur%,*},"; '
                    f'COMPREPLY=($(compgen -P "$head" -W {words} -- "${{cur##*,}}"))')
        return f'COMPREPLY=($(compgen -W {words} -- "$cur"))'
    kinds = set(re.split(r"[|\s]", str(action.metavar or "")))
    if "DIR" in kinds and not kinds & {"FILE", "PATH"}:
        return 'COMPREPLY=($(compgen -d -- "$cur"))'
    if kinds & {"FILE", "PATH", "JOURNAL", "DIR"}:
        return 'COMPREPLY=($(compgen -f -- "$cur"))'
    # not even the shell's default (file names): a secret name or an account id is none
    return "compopt +o default 2>/dev/null; COMPREPLY=()"


def _value_cases(parser: argparse.ArgumentParser, prefix: str,
                 cases: dict[str, list[str]]) -> None:
    """cases: the bash lines completing an option's value -> the "cmd action --option" words
    it completes after."""
    for a in parser._actions:
        if a.option_strings and a.nargs != 0:
            cases.setdefault(_value_completion(a), []).extend(
                f"{prefix or '_'} {o}" for o in a.option_strings)
    for name, child in _children(parser).items():
        _value_cases(child, f"{prefix} {name}".strip(), cases)


def _words(parser: argparse.ArgumentParser, prefix: str, table: dict[str, str]) -> None:
    """table: 'cmd' / 'cmd action' -> the words completing after it."""
    children = _children(parser)
    rule_ids: Sequence[str] = ()
    positionals = {a.dest for a in parser._actions if not a.option_strings}
    if positionals & RULE_POSITIONALS:
        rule_ids = sorted(_shown_rule_ids())
    scans = [LATEST_SCAN] if positionals & SCAN_POSITIONALS else []
    table[prefix] = " ".join(sorted(children) + _positional_choices(parser) + list(rule_ids)
                             + scans + _options(parser))
    for name, child in children.items():
        _words(child, f"{prefix} {name}".strip(), table)


def bash_script(parser: argparse.ArgumentParser) -> str:
    table: dict[str, str] = {}
    _words(parser, "", table)
    cases = "\n".join(f"        {shlex.quote(key or '_')}) words={shlex.quote(value)} ;;"
                      for key, value in sorted(table.items()))
    valued: set[str] = set()
    _valued_options(parser, valued)
    values: dict[str, list[str]] = {}
    _value_cases(parser, "", values)
    value_cases = "\n".join(
        f"        {'|'.join(shlex.quote(k) for k in sorted(keys))})\n            {how}; return ;;"
        for how, keys in sorted(values.items(), key=lambda kv: sorted(kv[1])))
    return f"""# secretgraph completion (bash). Load with: source <(secretgraph completion bash)
_secretgraph() {{
    local cur prev path="" word words i
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${{COMP_WORDS[i]}}"
        [[ "$word" == -* ]] && continue
        case "${{COMP_WORDS[i-1]}}" in  # the value of an option, not a command
            {"|".join(sorted(valued))}) continue ;;
        esac
        case "$word" in
            {"|".join(sorted(set(k.split()[-1] for k in table if k)))})
                path="${{path:+$path }}$word" ;;
        esac
    done
    case "${{path:-_}} $prev" in  # the value of an option: what that option takes there
{value_cases}
    esac
    case "${{path:-_}}" in
{cases}
        *) words="" ;;
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -o default -F _secretgraph secretgraph
"""


def zsh_script(parser: argparse.ArgumentParser) -> str:
    return ("# secretgraph completion (zsh). Load with: source <(secretgraph completion zsh)\n"
            "autoload -U +X compinit && compinit\n"
            "autoload -U +X bashcompinit && bashcompinit\n" + bash_script(parser))


def run(args: argparse.Namespace) -> int:
    from scanner.cli import build_parser

    parser, _ = build_parser()
    print(bash_script(parser) if args.shell == "bash" else zsh_script(parser), end="")
    return 0
