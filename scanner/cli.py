"""The `secretgraph` command line: an explicit table of sub-commands, one module each.

Each module in scanner/commands exposes ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``. Errors derived from SecretgraphError print one line and exit 2; nothing
prints a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import signal
import sys
import threading
import weakref
from types import ModuleType
from typing import Any, NoReturn, Sequence

from scanner.errors import Interrupted, SecretgraphError, StdoutError
from scanner.progress import stop_live

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
    "completion": "scanner.commands.completion",
}


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's help, wrapped at spaces only: a rule id or glob is never split at one of its
    hyphens ('secret-' / 'rotation-*' at 80 columns, copied as a broken glob: new-user trial
    7)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        import textwrap

        text = self._whitespace_matcher.sub(" ", text).strip()
        return textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)


class _Parser(argparse.ArgumentParser):
    """Bad usage: one error line naming the command and where its usage is (argparse printed
    the whole usage block first, 17 lines for ``scan``); exit 2. A long option is never taken
    by a prefix of its name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # no prefixes of long options: `remediate --ap` must not mean --apply
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None
                         ) -> tuple[argparse.Namespace, list[str]]:
        # what this (sub-)command was given: a required flag reported missing may have been
        # given mistyped (``error``)
        self._given = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        from scanner.textfit import fit_line, stream_columns

        if message.startswith("the following arguments are required"):
            # `collect --part DIR`: "required: --parts" alone left the typo unsaid, which an
            # unknown flag that is not required gets (new-user trial 18)
            known = {o for a in self._actions for o in a.option_strings}
            given = [a for a in getattr(self, "_given", ())
                     if a.startswith("--") and a.split("=", 1)[0] not in known]
            hints = _unrecognized(self, given).partition("; ")[2]
            if hints:
                message = f"{message}; {hints}"
        # on a terminal broken between words, as every other error line (new-user trial 16:
        # a mistyped flag's line ran to 126 columns at 80); one line in a log
        self.exit(2, fit_line(f"{self.prog}: error: {_closest_choice(message, self.prog)} "
                              f"(see `{self.prog} --help`)", stream_columns(sys.stderr)) + "\n")


#: words other tools use for a command of ours, by the command they are given to (new-user
#: trial round 37: `secretgraph explain RULE` and `rules explain RULE` named no way to what
#: they meant, `rules show RULE`)
_OTHER_WORDS: dict[str, dict[str, str]] = {
    "secretgraph": {
        "explain": "secretgraph rules show RULE", "describe": "secretgraph rules show RULE",
        "show": "secretgraph rules show RULE", "checks": "secretgraph rules list",
        "list": "secretgraph rules list (or history list)", "version": "secretgraph --version",
        "fix": "secretgraph remediate", "plan": "secretgraph remediate",
        "apply": "secretgraph remediate --apply", "validate": "secretgraph rules validate PATH",
    },
    "secretgraph rules": {
        "explain": "show", "describe": "show", "info": "show", "get": "show", "ls": "list",
        "check": "validate", "lint": "validate",
    },
}


def _closest_choice(message: str, prog: str = "secretgraph") -> str:
    """argparse's "invalid choice: 'scna' (choose from 'scan', ...)" with the closest choice
    named, as a mistyped flag's is (new-user trial: `secretgraph scna`, `rules listt` and
    `access --format jsn` listed every choice and named none), or the command another tool's
    word stands for here (``_OTHER_WORDS``)."""
    import difflib
    import re

    found = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)$", message)
    if not found:
        return message
    choices = re.findall(r"'([^']*)'", found.group(2))
    close = difflib.get_close_matches(found.group(1), choices, n=1, cutoff=0.6)
    if close:
        return f"{message}; did you mean {close[0]}?"
    other = _OTHER_WORDS.get(prog, {}).get(found.group(1).lower())
    if other and " " in other:
        other = f"`{other}`"
    return f"{message}; did you mean {other}?" if other else message


#: flags a user may try for diff's two scans, which it takes as arguments
_SCAN_FLAGS = frozenset({"--from", "--to", "--old", "--new", "--since", "--base", "--scan",
                         "--scan-a", "--scan-b", "--before", "--after"})


def _unrecognized(parser: argparse.ArgumentParser, extra: list[str]) -> str:
    """"unrecognized arguments: ..." with the closest option of the command for a mistyped
    flag."""
    import difflib

    options = [o for a in parser._actions for o in a.option_strings]
    hints = []
    for arg in extra:
        flag = arg.split("=", 1)[0]
        if flag.startswith("-"):
            close = difflib.get_close_matches(flag, options, n=1, cutoff=0.8)
            if close:
                hints.append(f"{flag}: did you mean {close[0]}?")
    if parser.prog.endswith(" diff") and any(a.split("=", 1)[0] in _SCAN_FLAGS for a in extra):
        # `diff --from A --to B`: A was taken as SCAN_A without a word (new-user trial 16)
        hints.append(f"the scans are arguments, the older first: `{parser.prog} SCAN_A SCAN_B`")
    return "unrecognized arguments: " + " ".join(extra) + (
        "; " + "; ".join(hints) if hints else "")


#: -q/--quiet at the top level and on a command that does not say otherwise (``QUIET_HELP``)
QUIET_HELP = "no progress display, tables or summary; errors only"


def _add_global_options(parser: argparse.ArgumentParser, *, top: bool,
                        quiet_help: str = QUIET_HELP) -> None:
    """--debug, -v/--verbose, -q/--quiet and --log-format: accepted before the command and
    after it (on a sub-command, a flag not given leaves the top-level value alone).
    ``quiet_help``: what -q does on this command (its module's ``QUIET_HELP``)."""
    default: object = False if top else argparse.SUPPRESS
    group = parser.add_argument_group("output and logging")
    group.add_argument("--debug", action="store_true", default=default,
                       help="debug logs (credentials are redacted) and tracebacks")
    group.add_argument("-v", "--verbose", action="store_true", default=default,
                       help="more detail: info logs, per-operation API call counts")
    group.add_argument("-q", "--quiet", action="store_true", default=default,
                       help=quiet_help)
    group.add_argument("--log-format", choices=("text", "json"),
                       default="text" if top else argparse.SUPPRESS,
                       help="log lines as text (default) or one JSON object per line")


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found: list[argparse.ArgumentParser] = []
    for action in parser._actions:  # argparse keeps sub-parsers only here
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found.append(child)
                found.extend(_subparsers(child))
    return found


def _given_command(parser: argparse.ArgumentParser,
                   args: argparse.Namespace) -> argparse.ArgumentParser:
    """The parser of the deepest command ``args`` names (``baseline init``: init's)."""
    current = parser
    while True:
        chosen = None
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                name = getattr(args, action.dest, None) if action.dest else None
                chosen = action.choices.get(name) if isinstance(name, str) else None
                if chosen is not None:
                    break
        if chosen is None:
            return current
        current = chosen


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    parser = _Parser(
        prog="secretgraph",
        description="Audit an AWS Organization's centralized Secrets Manager estate.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    _add_global_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules: dict[str, ModuleType] = {}
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        modules[name] = module
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        # the command and its own sub-commands (rules list, rules validate, ...)
        for child in (p, *_subparsers(p)):
            _add_global_options(child, top=False,
                                quiet_help=getattr(module, "QUIET_HELP", QUIET_HELP))
    return parser, modules


def _log_level(args: argparse.Namespace) -> int:
    if args.debug:
        return logging.DEBUG
    if args.verbose:
        return logging.INFO
    if args.quiet:
        return logging.ERROR
    return logging.WARNING


def main(argv: Sequence[str] | None = None) -> int:
    from scanner.logging_setup import configure

    parser, modules = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # reported by the parser of the (sub-)command given (argparse reports them as the top
        # level's): `baseline init --in` pointed at `baseline --help`, which lists no
        # option of init (new-user trial round 9)
        command = _given_command(parser, args)
        command.error(_unrecognized(command, extra))
    if args.quiet and (args.verbose or args.debug):
        parser.error("-q/--quiet cannot be combined with -v/--verbose or --debug")
    configure(level=_log_level(args), fmt=args.log_format)
    if args.version:
        from scanner import __version__

        print(f"secretgraph {__version__}")
        return 0
    if not args.command:
        parser.print_help()
        return 2
    # errors name the command as its usage does: `secretgraph history prune: error: ...`
    # (they said `secretgraph history:` while a bad flag said `secretgraph history prune:`)
    args.command_prog = _given_command(parser, args).prog
    terminated: list[int] = []
    handlers = _interrupt_handlers(terminated)
    handlers.__enter__()
    stdout = sys.stdout
    _escape_what_cannot_be_shown(stdout)
    sink = None
    if args.quiet and getattr(modules[args.command], "QUIET_DISCARDS_STDOUT", False):
        # a command whose printed output is the answer: -q leaves errors only (on stderr);
        # its exit code and the files it writes are the same (new-user trial: -q changed
        # nothing outside scan, while the help said "errors only")
        sink = open(os.devnull, "w", encoding="utf-8")
        sys.stdout = sink
    else:
        sys.stdout = _Stdout(stdout)  # type: ignore[assignment]
    try:
        from scanner.history.store import check_location

        # an empty --history (or $SECRETGRAPH_HISTORY, the default of several commands): one
        # answer in every command, before any work (bad-input trial round 1)
        check_location(getattr(args, "history", None))
        code = int(modules[args.command].run(args))
        sys.stdout.flush()  # a full disk under `> out.txt` shows here, not at exit
        return code
    except StdoutError as exc:
        sys.stdout = stdout
        _drop_stdout()
        _error(args, f"{_name(args)}: error: {exc}")
        return exc.exit_code
    except SecretgraphError as exc:
        _error(args, f"{_name(args)}: error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt as exc:
        _end_cut_line(sys.stdout)
        message = exc.message if isinstance(exc, Interrupted) else "interrupted"
        if terminated:  # SIGTERM (systemd stop, timeout, kill): the same clean stop as Ctrl-C
            message = "terminated" + message.removeprefix("interrupted")
        _error(args, f"{_name(args)}: {message}", logging.WARNING)
        return 143 if terminated else 130
    except BrokenPipeError:
        # the reader went away (`secretgraph rules list | head`): stop quietly, as CLI tools do;
        # stdout is pointed at /dev/null so the interpreter's final flush cannot fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE
    except OSError as exc:
        from scanner.aws.errors import credentials_problem

        if exc.filename is None or args.debug or credentials_problem(
                exc, profile=getattr(args, "profile", None)):  # not about a file, or --debug
            return _unexpected(args, exc)
        # a file or folder the user named could not be read or written (a missing parent
        # folder, a file where a folder should be, no permission, a full disk)
        where = f"{exc.filename} -> {exc.filename2}" if exc.filename2 else f"{exc.filename}"
        _error(args, f"{_name(args)}: error: {where}: "
                     f"{exc.strerror or type(exc).__name__}")
        return 2
    except Exception as exc:
        return _unexpected(args, exc)
    finally:
        if isinstance(sys.stdout, _Stdout) or (sink is not None and sys.stdout is sink):
            sys.stdout = stdout
        if sink is not None:
            sink.close()
        handlers.__exit__(None, None, None)


def _escape_what_cannot_be_shown(stream: Any) -> None:
    """Standard output writes a character its encoding cannot hold as its escape
    (``Z\\xfcrich``), as Python's standard error does: a terminal or log in ASCII or Latin-1
    (LANG=C with PYTHONUTF8=0, a Latin-1 locale, PYTHONIOENCODING=ascii) and an account,
    secret or key named in another script made the table or summary line raise
    UnicodeEncodeError -- 'internal error', exit 2, after the reports were written
    (fault-injection trial round 24). The JSON commands print is ASCII (json.dumps escapes
    the rest), so it is unchanged."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None and getattr(stream, "errors", None) == "strict":
        try:
            reconfigure(errors="backslashreplace")
        except (OSError, ValueError):  # a stream that cannot change (closed, detached)
            pass


#: the longest text written to standard output in one call (_Stdout.write)
_CHUNK = 8192


class _Stdout:
    """sys.stdout while a command runs: a write or flush that fails (but for a closed pipe,
    which stops the command quietly) is a StdoutError naming standard output, not an
    internal error naming no file. Everything else is the stream's own."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        #: whether the last text written ended inside a line (_end_cut_line)
        self.mid_line = False

    def write(self, text: str) -> int:
        if text:
            self.mid_line = not text.endswith("\n")
        try:
            if len(text) <= _CHUNK:
                return int(self._stream.write(text))
            # a long text in pieces: a reader that went away during one long write (`access
            # --in DIR | head`, 4 MB at 1,000 accounts) left a partial write that Python's
            # buffered stream reports as complete -- no BrokenPipeError, the rest dropped,
            # exit 0 (user trial round 25); piece by piece, the next piece finds the pipe
            # closed
            for start in range(0, len(text), _CHUNK):
                self._stream.write(text[start:start + _CHUNK])
            return len(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise StdoutError(f"cannot write to standard output: {exc.strerror or exc}") \
                from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise StdoutError(f"cannot write to standard output: {exc.strerror or exc}") \
                from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _end_cut_line(out: Any) -> None:
    """After Ctrl-C or SIGTERM: a line of the command's output the signal cut is ended on a
    terminal, so the line that says the command stopped starts a line of its own (new-user
    trial round 22: '... (aws/secretsmanager cannotsecretgraph report: interrupted', a table
    cut mid-row). A file or a pipe is left as it is."""
    if not getattr(out, "mid_line", False):
        return
    try:
        if out.isatty():
            out.write("\n")
            out.flush()
    except (OSError, ValueError, StdoutError):  # a closed or failing stdout: the line
        pass  # saying the command stopped still follows on stderr, with its exit code


def _drop_stdout() -> None:
    """Standard output pointed at /dev/null, so the interpreter's final flush of what it
    could not write cannot fail again (and print a traceback)."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # a stream without a descriptor (tests)
        pass


#: the code of the finalizers the garbage collector runs (weakref.finalize): an exception
#: raised in one is printed as "Exception ignored in: <finalize object ...>" and dropped
_FINALIZER_CODES = frozenset({weakref.finalize.__call__.__code__})


def _in_finalizer(frame: Any) -> bool:
    """Whether ``frame`` (where a signal handler was called) runs inside a finalizer: a
    weakref.finalize callback, a ``__del__`` or a gc callback. KeyboardInterrupt raised there
    is lost: Ctrl-C about a second into the demo's scan, while botocore loaded a service model
    and the collector ran a finalizer, was dropped and the demo ran on to exit 0 (new-user
    trial round 21)."""
    callbacks = {getattr(cb, "__code__", None) for cb in gc.callbacks}
    while frame is not None:
        code = frame.f_code
        if code in _FINALIZER_CODES or code.co_name == "__del__" or code in callbacks:
            return True
        frame = frame.f_back
    return False


def _again_later(signum: int) -> threading.Timer:
    """Send ``signum`` to this process again in 50 ms: its handler then runs outside the
    finalizer it came in. The timer, for ``_interrupt_handlers.__exit__`` to cancel."""
    timer = threading.Timer(0.05, os.kill, (os.getpid(), signum))
    timer.daemon = True
    timer.start()
    return timer


class _interrupt_handlers:
    """Ctrl-C and SIGTERM for the length of a command. SIGTERM stops it the way Ctrl-C does
    (temporary folders removed, outputs and history left as they were), then exits 143; Ctrl-C
    raises KeyboardInterrupt as Python's own handler does (a SIGINT ignored when the command
    started -- a background job of a script -- stays ignored). Either, come while a finalizer
    runs, is raised once it is done rather than dropped. A stop under way is not stopped
    again: a Ctrl-C or SIGTERM after the first one raised is ignored, so it cannot cut short
    the clean-up it came in (fault-injection trial round 20: Ctrl-C pressed again while a scan
    stopped left its collection folder in $TMPDIR and its staging folder beside --out). Nothing
    is installed off the main thread, where Python cannot set a handler; the handlers before
    are put back on exit."""

    def __init__(self, terminated: list[int]) -> None:
        self.terminated = terminated
        self.previous: dict[int, Any] = {}
        #: signals to be sent again (``_again_later``): cancelled when the command is over,
        #: so that one does not reach the handlers put back, a KeyboardInterrupt after the
        #: command returned (review of new-user trial round 22's doubt)
        self.pending: list[threading.Timer] = []
        #: a signal was raised: the command is stopping
        self.stopping = False

    def __enter__(self) -> "_interrupt_handlers":
        if threading.current_thread() is not threading.main_thread():
            return self
        terminated = self.terminated

        def stop(signum: int, frame: Any) -> None:
            if self.stopping:
                return
            if _in_finalizer(frame):
                self.pending.append(_again_later(signum))
                return
            self.stopping = True
            terminated.append(signum)
            from scanner.errors import Terminated

            raise Terminated

        def interrupt(signum: int, frame: Any) -> None:
            if self.stopping:
                return
            if _in_finalizer(frame):
                self.pending.append(_again_later(signum))
                return
            self.stopping = True
            raise KeyboardInterrupt

        self.previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, stop)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self.previous[signal.SIGINT] = signal.signal(signal.SIGINT, interrupt)
        return self

    def __exit__(self, *_: Any) -> None:
        for timer in self.pending:
            timer.cancel()
        self.pending.clear()
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        self.previous.clear()


def _name(args: argparse.Namespace) -> str:
    """The command as its usage line names it (``secretgraph history prune``)."""
    return str(getattr(args, "command_prog", None) or f"secretgraph {args.command}")


def _unexpected(args: argparse.Namespace, exc: Exception) -> int:
    """A bug: one line, and the traceback only with --debug."""
    from scanner.aws.errors import credentials_problem, setting_problem

    problem = credentials_problem(exc, profile=getattr(args, "profile", None))
    if problem:  # raised somewhere no command expected it: still one plain line
        _error(args, f"{_name(args)}: error: {problem}")
        return 2
    if isinstance(exc, MemoryError) and not args.debug:
        from scanner.errors import OUT_OF_MEMORY

        _error(args, f"{_name(args)}: error: {OUT_OF_MEMORY}")
        return 2
    setting = setting_problem(exc)
    if setting:  # an AWS_* variable or the profile botocore refuses: bad input, not a bug
        _error(args, f"{_name(args)}: error: {setting}")
        return 2
    if args.debug:  # the traceback, and still exit 2 (an escaping exception exits 1, which
        # means "findings at or above --fail-on")
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
        _error(args, f"{_name(args)}: internal error: {type(exc).__name__}: {exc}")
        return 2
    _error(args, f"{_name(args)}: internal error: {type(exc).__name__}: {exc} "
                 "(run with --debug for the traceback)")
    return 2


def _error(args: argparse.Namespace, line: str, level: int = logging.ERROR) -> None:
    """The one error line (redacted, like every log line); with --log-format json, one JSON
    object like every other log line, so a log pipeline parses it too. On a terminal the line
    is broken between words at the terminal's width."""
    from scanner.logging_setup import JsonFormatter, redact

    stop_live()  # no frame of a progress bar after this line, and the cursor shown again
    if getattr(args, "log_format", "text") == "json":
        record = logging.makeLogRecord({"name": "secretgraph", "msg": line, "levelno": level,
                                        "levelname": logging.getLevelName(level)})
        print(JsonFormatter().format(record), file=sys.stderr)
        return
    from scanner.textfit import fit_text, stream_columns, terminal_safe

    # on a terminal, broken between words at its width (an ARN is never cut); one line in a
    # file or a pipe, where it is grepped. Names in it (a rule id, a file, a field) come from
    # the user's files: no control character, no newline that would forge a line
    print(fit_text(terminal_safe(redact(line), newlines=False), stream_columns(sys.stderr)),
          file=sys.stderr)


#: the standard streams: descriptor, attribute of sys, and the mode /dev/null stands in with
#: (standard output read-only, so a write there still fails as on a closed descriptor)
_STANDARD_STREAMS = ((0, "stdin", os.O_RDONLY), (1, "stdout", os.O_RDONLY),
                     (2, "stderr", os.O_WRONLY))


def _standard_streams() -> None:
    """A standard stream the process was started without (``>&-``, ``2>&-``, ``<&-``: Python
    then sets sys.stdout, sys.stderr or sys.stdin to None) is /dev/null's descriptor in its
    place: standard output opened read-only, so the command's table fails as ``> /dev/full``
    does ('cannot write to standard output: Bad file descriptor', exit 2, the reports
    written); standard error writable, where an error line is lost but the exit code says
    it; standard input at its end, which a question takes as no terminal. The descriptor is
    taken before any file is opened: the first file opened would otherwise be descriptor 1
    (or 2), and what was printed would land in a report or the history. Before, None raised
    AttributeError: 'internal error' and a traceback, exit 1, and an error line written to
    standard output (fault-injection trial round 23)."""
    for fd, name, mode in _STANDARD_STREAMS:
        if getattr(sys, name) is not None:
            continue
        try:
            os.fstat(fd)
        except OSError:  # closed: /dev/null takes its number
            devnull = os.open(os.devnull, mode)
            if devnull != fd:
                os.dup2(devnull, fd)
                os.close(devnull)
        setattr(sys, name, open(fd, "w" if name != "stdin" else "r", encoding="utf-8",
                                errors="backslashreplace" if name == "stderr" else "strict",
                                closefd=False))


def entry() -> None:  # pragma: no cover
    _standard_streams()
    try:
        code = main()
    except KeyboardInterrupt:
        # Ctrl-C while the commands are still being imported, before main's own handler:
        # nothing has started, one line as for any other interruption
        print("secretgraph: interrupted before the command started", file=sys.stderr)
        code = 130
    exit_now(code, interrupted=code in INTERRUPTED)


#: the exit codes of a command stopped by SIGINT (Ctrl-C) and SIGTERM
INTERRUPTED = frozenset({130, 143})


def exit_now(code: int, *, interrupted: bool = False) -> NoReturn:
    """End the process with ``code`` without the interpreter's teardown. After a large scan
    the module caches hold millions of objects (parsed policies, interned verdicts) that the
    interpreter would free one by one: 4.2 s of 80 s CPU at 1,000 accounts / 100,000 secrets.
    Nothing is lost: every output, staging folder and history connection is closed by the
    command itself (``with`` blocks, ``finally``), and stdout, stderr and the log handlers are
    flushed here. The ordinary exit is kept when another non-daemon thread is still alive (its
    work would be cut short) or a stream cannot be flushed (a reader that went away) -- except
    after an interruption (``interrupted``: Ctrl-C, SIGTERM), whose very point is to cut that
    work short: a collection worker blocked in a socket read would otherwise be joined by the
    interpreter for up to max_attempts x read_timeout (8 minutes by default)."""
    import os

    main_thread = threading.main_thread()
    if not interrupted and any(t is not main_thread and not t.daemon and t.is_alive()
                               for t in threading.enumerate()):
        sys.exit(code)
    if sys.getprofile() is not None or sys.gettrace() is not None:
        # under a profiler or a tracer (`python -m cProfile -o F -m scanner ...`, coverage):
        # the ordinary exit, so it writes what it measured (org-scale trial: no profile was
        # written, the method docs/scale.md prescribes did not work)
        sys.exit(code)
    try:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
