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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=("bash", "zsh"), help="the shell to complete for")


def _children(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps sub-parsers only here
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return sorted(o for a in parser._actions for o in a.option_strings)


def _words(parser: argparse.ArgumentParser, prefix: str, table: dict[str, str]) -> None:
    """table: 'cmd' / 'cmd action' -> the words completing after it."""
    children = _children(parser)
    table[prefix] = " ".join(sorted(children) + _options(parser))
    for name, child in children.items():
        _words(child, f"{prefix} {name}".strip(), table)


def bash_script(parser: argparse.ArgumentParser) -> str:
    table: dict[str, str] = {}
    _words(parser, "", table)
    cases = "\n".join(f"        {shlex.quote(key or '_')}) words={shlex.quote(value)} ;;"
                      for key, value in sorted(table.items()))
    return f"""# secretgraph completion (bash). Load with: source <(secretgraph completion bash)
_secretgraph() {{
    local cur prev path="" word words i
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${{COMP_WORDS[i]}}"
        [[ "$word" == -* ]] && continue
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
