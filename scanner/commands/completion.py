"""`secretgraph completion bash|zsh`: a shell completion script, generated from the parser.

    source <(secretgraph completion bash)          # or save it under bash-completion's dir
    source <(secretgraph completion zsh)           # zsh (through bashcompinit)

Commands, their actions (``rules list``) and every option are completed; options that take a
file or folder complete paths.
"""

from __future__ import annotations

import argparse
import shlex

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


def _words(parser: argparse.ArgumentParser, prefix: str, table: dict[str, str]) -> None:
    """table: 'cmd' / 'cmd action' -> the words completing after it."""
    children = _children(parser)
    table[prefix] = " ".join(sorted(children) + _positional_choices(parser) + _options(parser))
    for name, child in children.items():
        _words(child, f"{prefix} {name}".strip(), table)


def bash_script(parser: argparse.ArgumentParser) -> str:
    table: dict[str, str] = {}
    _words(parser, "", table)
    cases = "\n".join(f"        {shlex.quote(key or '_')}) words={shlex.quote(value)} ;;"
                      for key, value in sorted(table.items()))
    valued: set[str] = set()
    _valued_options(parser, valued)
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
    case "$prev" in
        --out|--in|--snapshot|--config|--suppressions|--baseline|--history|--rules|\\
        --findings|--asff|--previous|--plan|--plan-out|--undo|--journal|--output-file|\\
        --report|--drift|--file)
            COMPREPLY=($(compgen -f -- "$cur")); return ;;
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
