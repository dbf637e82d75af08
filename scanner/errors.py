"""Errors that end a command with a clear one-line message (exit code 2), never a traceback."""

from __future__ import annotations


class SecretgraphError(Exception):
    """Base for errors the CLI reports as one line and exit code 2."""

    exit_code = 2


class UsageError(SecretgraphError):
    """Bad command-line usage: unknown region, malformed account id, conflicting flags."""


class InputError(SecretgraphError):
    """A bad input file (rule, config, suppression, snapshot, history, plan, journal).

    The message names the file and, where it applies, the rule and the field.
    """

    def __init__(self, message: str, *, path: str | None = None, rule: str | None = None,
                 field: str | None = None) -> None:
        parts = [p for p in (path, f"rule {rule}" if rule else None,
                             f"field {field}" if field else None) if p]
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.detail = message  # without the file / rule / field prefix
        self.path = path
        self.rule = rule
        self.field = field


class CredentialsError(SecretgraphError):
    """No usable credentials, or an unknown profile."""


class ReadOnlyViolation(SecretgraphError):
    """An operation outside the declared read-only set was attempted during a scan."""


class OutputError(SecretgraphError):
    """The reports could not be written (the previous outputs are left as they were). Exit 2,
    or 3 when the scan itself was incomplete."""

    def __init__(self, message: str, *, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class ProcessDied(SecretgraphError):
    """A worker process of the run (``--processes``) ended without an answer: killed -- the
    out-of-memory killer sends SIGKILL -- or gone with an exit code. Not a bug in the code: one
    line naming the process and how it ended, exit 2 (fault-injection trial round 12: a shard
    killed with SIGKILL was "internal error: BrokenProcessPool ... run with --debug")."""


#: what to do about a MemoryError (an allocation refused: a ulimit, a container's limit)
OUT_OF_MEMORY = ("out of memory (MemoryError); run it again with fewer --processes, or with "
                 "more memory")


class OutOfMemory(SecretgraphError):
    """Python could not allocate memory (MemoryError), in this process or a worker of it: not
    a bug in the code -- one line saying so and what to do, exit 2, as for a worker the
    out-of-memory killer ended (fault-injection trial round 14: "internal error: ShardError:
    ... MemoryError: (run with --debug for the traceback)")."""


def how_it_ended(exitcode: int | None) -> str:
    """How a child process ended, from its ``exitcode`` (multiprocessing: -N for signal N)."""
    import signal

    if exitcode is None:
        return "how it ended is not known"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        why = ", as the out-of-memory killer ends a process" if -exitcode == signal.SIGKILL \
            else ""
        return f"killed by signal {-exitcode} ({name}{why})"
    return f"exit code {exitcode}"


class StdoutError(SecretgraphError):
    """Standard output could not be written (``> out.txt`` on a full disk, ``> /dev/full``).
    A command that had already written its files says so in the message (``after``).
    ``noted``: the message already says what was done (a remediation run's stop note)."""

    noted = False

    def after(self, done: str) -> "StdoutError":
        """The same error, its message ending with what the command had done before."""
        return StdoutError(f"{self}; {done}")


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with the one line saying what was (not) written. The CLI exits 130."""

    def __init__(self, message: str = "interrupted; nothing was written") -> None:
        super().__init__(message)
        self.message = message


class Cancelled(BaseException):
    """Raised in a worker thread's next API call once the scan was interrupted (not an
    Exception, so no collector records it as a crash)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C's KeyboardInterrupt would be (the CLI exits 143)."""
