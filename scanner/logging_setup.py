"""Logging for every secretgraph command: levels, text or JSON lines, and credential redaction.

``configure(level=..., fmt="text"|"json")`` installs one handler on the root logger (stderr).
Every line goes through :func:`redact` *after* it has been formatted, traceback included, so
nothing a library logs (botocore's debug output prints request headers, signed canonical
requests and whole response bodies, AssumeRole's credentials among them) reaches the terminal
or CloudWatch with a secret access key, a session token, an ``Authorization`` or
``X-Amz-Security-Token`` header, or an SSO access token in it. Redaction runs at every level,
not only at DEBUG.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import sys
from typing import Any, TextIO

REDACTED = "***"

#: Field and header names whose values are credentials (the name is kept, the value goes).
#: ``token`` alone is matched only as a whole word, so ``NextToken`` pagination stays readable.
_SECRET_NAMES = (
    r"SecretAccessKey|secretAccessKey|aws_secret_access_key|secret_access_key|secret_key|"
    r"SessionToken|sessionToken|aws_session_token|session_token|security_token|"
    r"X-Amz-Security-Token|x-amz-security-token|X-Amz-Signature|x-amz-signature|"
    r"accessToken|refreshToken|clientSecret|access_token|refresh_token|client_secret|"
    r"Authorization|authorization|SecretString|SecretBinary|token|Token|Signature|signature"
)
_NAME = rf"(?<![A-Za-z0-9_-])(?:{_SECRET_NAMES})(?![A-Za-z0-9_-])"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # <SecretAccessKey>value</SecretAccessKey> (query/XML protocol bodies: STS AssumeRole)
    (re.compile(rf"(<({_SECRET_NAMES})>)[^<]*(</\2>)"), rf"\1{REDACTED}\3"),
    # "SessionToken": "value", 'Authorization': b'value' (JSON bodies, Python dict reprs);
    # a value may be a bytes literal, and the key may be quoted with ' or " (or escaped \")
    (re.compile(rf"({_NAME}\\?[\"']?\s*[:=]\s*b?(\\?[\"']))(?:(?!\2).)*(\2)", re.DOTALL),
     rf"\1{REDACTED}\3"),
    # x-amz-security-token:value (canonical request), X-Amz-Security-Token=value&... (query
    # strings), Authorization: AWS4-HMAC-SHA256 Credential=..., Signature=... (header lines)
    (re.compile(rf"({_NAME}\s*[:=]\s*)(?![\"'\s])(?:AWS4-HMAC-SHA256 [^\n\"']*|[^\s&,;\"'<>)}}\]]+)"),
     rf"\1{REDACTED}"),
    # botocore.auth: "Signature:\n<hex>"
    (re.compile(r"(Signature:\s*\n)[0-9a-f]{64}"), rf"\1{REDACTED}"),
)

#: values registered at run time (the starting credentials, assumed roles' keys): removed
#: wherever they appear, whatever shape a library logs them in. Indexed by their first
#: ``_HEAD`` characters (each value is at least that long), longest value first: one regex
#: of every value, rebuilt at each registration, cost time and memory quadratic in the
#: accounts (a scan of 1,000 accounts spent 6 of its 8.5 minutes and 1.8 GB assuming roles;
#: every rebuilt pattern also stayed in ``re``'s cache).
_HEAD = 8
_KNOWN: set[str] = set()
_BY_HEAD: dict[str, list[str]] = {}


def register_secret(*values: str | None) -> None:
    """Redact these exact strings from every later log line (credentials the tool handles)."""
    for value in values:
        if not value or len(value) < _HEAD or value in _KNOWN:
            continue
        _KNOWN.add(value)
        same = _BY_HEAD.setdefault(value[:_HEAD], [])
        same.append(value)
        same.sort(key=len, reverse=True)


def _redact_known(text: str) -> str:
    """``text`` with every registered value replaced, leftmost first and, where several
    start at one place, the longest (as an alternation sorted by length would)."""
    heads = _BY_HEAD
    if not heads or len(text) < _HEAD:
        return text
    parts: list[str] = []
    last = i = 0
    end = len(text) - _HEAD
    while i <= end:
        candidates = heads.get(text[i:i + _HEAD])
        if candidates:
            for value in candidates:
                if text.startswith(value, i):
                    parts += (text[last:i], REDACTED)
                    i = last = i + len(value)
                    break
            else:
                i += 1
        else:
            i += 1
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


#: A Lambda function's ``Environment.Variables`` (ListFunctions, GetFunctionConfiguration):
#: where database passwords and API keys often live, in plain text. A JSON body is rewritten
#: exactly (``_EnvironmentFilter``); this catches what is not one (a dict repr): the mapping
#: after the key, to its first closing brace.
_ENVIRONMENT = re.compile(r"""((?<![A-Za-z0-9_])\\?["']?Variables\\?["']?\s*:\s*)\{[^{}]*\}""")


#: a mapping whose every value is already ``***`` (``_EnvironmentFilter``'s): names kept
_MASKED = re.compile(r"""\{(?:\s*(\\?["'])[^"'\\]*\1\s*:\s*\1\*\*\*\1\s*,?)*\s*\}""")


def _masked_environment(match: re.Match[str]) -> str:
    mapping = match.group(0)[len(match.group(1)):]
    return match.group(0) if _MASKED.fullmatch(mapping) else f"{match.group(1)}{{{REDACTED}}}"


def _without_environment(value: Any) -> Any:
    """``value`` (parsed JSON) with every ``Environment.Variables`` value replaced by
    ``***`` (the names kept)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "Environment" and isinstance(item, dict) and \
                    isinstance(item.get("Variables"), dict):
                item = {**item, "Variables": {name: REDACTED for name in item["Variables"]}}
            out[key] = _without_environment(item)
        return out
    if isinstance(value, list):
        return [_without_environment(item) for item in value]
    return value


class _EnvironmentFilter(logging.Filter):
    """botocore's ``Response body:`` debug line (the bytes as they came) with a Lambda
    function's environment variables redacted (new-user trial 19: ``--debug`` printed
    ListFunctions' whole body, every function's DB_PASSWORD in it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and args and isinstance(args[-1], (bytes, bytearray)) \
                and b"Variables" in args[-1]:
            try:
                body = json.loads(args[-1])
            except ValueError:  # not JSON: redact() still takes what it can
                return True
            record.args = (*args[:-1], json.dumps(_without_environment(body)).encode())
        return True


class _OneLineExceptions(logging.Filter):
    """Without --debug, a record logged with its exception is one line: the message, then the
    exception's type and its own words. secretgraph logs tracebacks only at DEBUG; botocore
    logs a failed credential refresh at WARNING with its traceback ("Refreshing temporary
    credentials failed during mandatory refresh period."), which an audit role that could not
    be assumed again mid-scan printed on stderr in an ordinary run (fault-injection trial
    round 16)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            words = " ".join(str(exc).split())
            record.msg = f"{record.getMessage()} ({type(exc).__name__}" + \
                (f": {words})" if words else ")")
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def redact(text: str) -> str:
    """``text`` with every credential value replaced by ``***`` (and a Lambda function's
    environment variables)."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    if "Variables" in text:
        text = _ENVIRONMENT.sub(_masked_environment, text)
    return _redact_known(text)


class RedactingFormatter(logging.Formatter):
    """``LEVEL logger: message`` (traceback included), redacted."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line (Lambda, CloudWatch Logs Insights), redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        for key in ("account_id", "region", "operation", "phase", "event"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = redact(str(value))
        return json.dumps(entry, sort_keys=False, default=str)


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """The one root handler this module installs (so configure() can replace it). While a
    progress display is shown, lines are printed through its console, above the bar."""

    console: Any = None

    def format(self, record: logging.LogRecord) -> str:
        """The formatted line; a warning or an error in text format on a terminal is broken
        between words to its width, continuation lines indented (a 200-column line at 80
        columns: new-user trial round 21, left open by round 20). A file, a pipe, JSON lines
        and --debug's wire log keep one line per record, to grep."""
        text = super().format(record)
        if record.levelno < logging.WARNING or record.exc_info or \
                not isinstance(self.formatter, RedactingFormatter):
            return text
        from scanner.textfit import fit_text, stream_columns

        return fit_text(text, stream_columns(self.stream))

    def emit(self, record: logging.LogRecord) -> None:
        console = _Handler.console
        if console is None:
            super().emit(record)
            return
        try:
            console.print(self.format(record), markup=False, highlight=False,
                          soft_wrap=True)
        except Exception:  # noqa: BLE001 -- logging must never raise
            self.handleError(record)


def set_console(console: Any) -> None:
    """Route log lines through a rich console (None: straight to the stream again)."""
    _Handler.console = console


def configure(*, level: int = logging.WARNING, fmt: str = "text",
              stream: TextIO | None = None) -> logging.Handler:
    """Install the redacting handler on the root logger (replacing one installed before)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _Handler):
            root.removeHandler(handler)
    handler = _Handler(stream if stream is not None else sys.stderr)
    handler.addFilter(_EnvironmentFilter())
    if level > logging.DEBUG:
        handler.addFilter(_OneLineExceptions())
    handler.setFormatter(JsonFormatter() if fmt == "json" else RedactingFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    if level > logging.DEBUG:
        # botocore's INFO lines ("Found credentials in ...") are noise below --debug
        logging.getLogger("botocore").setLevel(logging.WARNING)
    else:
        logging.getLogger("botocore").setLevel(logging.NOTSET)
    # botocore.hooks says at DEBUG how it renames its own event names, a dozen lines for every
    # session ("Changing event name from ... to ..."): nothing about the scan, even at --debug
    logging.getLogger("botocore.hooks").setLevel(logging.INFO)
    return handler
