"""How newsbot logs: plain text or one JSON object a line, on stderr, every secret redacted.

Redaction works on the formatted output, so a secret is caught wherever it hides: in a
message, in its arguments, in an exception's text or in a traceback, at every level.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote, unquote, urlsplit

if TYPE_CHECKING:
    from bot.settings import Settings

REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 8
"""Shorter values are left alone: replacing them would garble ordinary words."""

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}
"""Attributes every LogRecord has; any other attribute came from `extra=` and is context."""


def secret_values(settings: Settings) -> list[str]:
    """Every configured secret long enough to redact, in each spelling a log line may use."""
    from pydantic import SecretStr

    from bot.settings import secret_keys

    secrets: list[str] = []
    for key in secret_keys():
        value: object = settings
        for part in key.split("."):
            value = getattr(value, part)
        if isinstance(value, SecretStr):
            secrets.append(value.get_secret_value())
    return secret_spellings(secrets)


def secret_spellings(secrets: Iterable[str]) -> list[str]:
    """Each of `secrets` long enough to redact, in each spelling a log line may use, longest
    first."""
    found: set[str] = set()
    for raw in secrets:
        # newsbot uses secrets stripped (see `discord_token`), and the raw value contains it.
        secret = raw.strip()
        # A URL's password is a secret on its own too (a driver may quote it alone), as
        # written in the URL and decoded.
        password = _url_password(secret)
        for value in (secret, *((password, unquote(password)) if password else ())):
            if len(value) >= MIN_SECRET_LENGTH:
                # As written, as in a URL or an OAuth header, and as inside a JSON string.
                found |= {value, quote(value, safe=""), json.dumps(value, ensure_ascii=False)[1:-1]}
    return sorted(found, key=len, reverse=True)


def _url_password(value: str) -> str | None:
    """The password in `value` if it is a URL with one, as written there."""
    if "://" not in value:
        return None
    try:
        return urlsplit(value).password
    except ValueError:
        return None


_PASSING_TOKENS = re.compile(
    r"""(?P<route>/(?:interactions|webhooks)/[0-9]+/)[^/\s'"?]+"""
    r"""|(?P<field>['"]token['"]\s*:\s*['"])[^'"]+"""
)
"""The tokens of readers' interactions, which let whoever holds one answer as the bot for 15
minutes (and a webhook's, for good): discord.py's DEBUG lines show them in the routes it calls
(`/interactions/<id>/<token>/callback`, `/webhooks/<application>/<token>`) and in the
gateway's INTERACTION_CREATE events (`'token': '…'`)."""


def _without_token(match: re.Match[str]) -> str:
    return (match.group("route") or match.group("field")) + REDACTED


class Redactor:
    """Replaces each of some secret values with `[redacted]` in a text, and the passing tokens
    of interactions and webhooks (`_PASSING_TOKENS`)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret containing another is replaced whole.
        ordered = sorted(set(secrets), key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        text = self._pattern.sub(REDACTED, text) if self._pattern else text
        return _PASSING_TOKENS.sub(_without_token, text)


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message` lines (a traceback below), with secrets redacted."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__(TEXT_FORMAT)
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a record: time (ISO 8601, UTC), level, logger, message, exc, context."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry.setdefault(key, value)
        return self._redact(json.dumps(entry, ensure_ascii=False, default=str))


REPEAT_SECONDS = 60.0
"""How long after a warning or an error is logged others like it are only counted."""
OWN_LOGGERS = ("bot.", "cogs.", "psycopg.pool")
"""The loggers whose repeats `Repeats` counts: newsbot's modules', and the PostgreSQL pool's,
which newsbot has try to connect every second while the archive is out of reach and warns of
each attempt (`bot.store.postgres.database.RECONNECT_SECONDS`)."""
KINDS_KEPT = 256
"""Kinds of warnings and errors whose repeats are counted at most; the least recent go first
(a count not told yet with them)."""

_Kind = tuple[str, int, str, str]
_ONLY_ARGUMENTS = re.compile(r"(?:%[sdr]|[\s:;,.-])*")
"""A message made of its arguments alone (`"%s"`, `"%s:\\n%s"`), which then say what it is."""


class Repeats:
    """Which warnings and errors were logged lately, so that one failing alike again and again
    is logged once a `REPEAT_SECONDS`, with how many more there were.

    During an outage every reader's command, press or reply fails the same way, and each was
    logged whole, its traceback included: thousands of lines a minute, for as long as it
    lasted. Alike means the same logger, level, message before its arguments (the channel or
    the reader differ) and exception, of one kind raised at one place (two bugs are two). The
    first is logged as it is; the others until `REPEAT_SECONDS` after it are counted, and the
    next one logged says how many were not. Only newsbot's own (`OWN_LOGGERS`): a library's
    say what it does at its own pace (discord.py's reconnects, each with its delay, back off
    by themselves).
    """

    def __init__(self) -> None:
        self._kinds: dict[_Kind, tuple[float, int]] = {}
        """When each kind was last logged, and how many like it were not since."""

    def shown(self, record: logging.LogRecord) -> logging.LogRecord | None:
        """The record to log (saying how many like it were not), or None to only count it."""
        if record.levelno < logging.WARNING or not record.name.startswith(OWN_LOGGERS):
            return record
        template = str(record.msg)
        if _ONLY_ARGUMENTS.fullmatch(template):  # `log.warning("%s", text)`: the text says it
            template = record.getMessage()
        kind = (record.name, record.levelno, template, _raised(record))
        now = time.monotonic()
        logged, hidden = self._kinds.pop(kind, (-REPEAT_SECONDS, 0))
        if now - logged < REPEAT_SECONDS:
            self._kinds[kind] = (logged, hidden + 1)
            return None
        self._keep(kind, now)
        if not hidden:
            return record
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit: logging reports it as it emits
            return record
        told = logging.makeLogRecord(vars(record))
        since = f"{now - logged:.0f} s"
        told.msg = f"{message} [{hidden} more like it in the {since} before, not logged]"
        told.args = None
        return told

    def _keep(self, kind: _Kind, now: float) -> None:
        if len(self._kinds) >= KINDS_KEPT:
            for old in [k for k, (at, _) in self._kinds.items() if now - at >= REPEAT_SECONDS]:
                del self._kinds[old]
        while len(self._kinds) >= KINDS_KEPT:
            del self._kinds[next(iter(self._kinds))]
        self._kinds[kind] = (now, 0)


def _raised(record: logging.LogRecord) -> str:
    """The kind of exception a record carries and where it was raised; '' for none."""
    if not record.exc_info or record.exc_info[0] is None:
        return ""
    kind, _, trace = record.exc_info
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    where = f" at {trace.tb_frame.f_code.co_filename}:{trace.tb_lineno}" if trace else ""
    return kind.__name__ + where


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to `sys.stderr` as it is at each record (as `logging.lastResort` does), each
    warning or error failing alike once a minute at most (`Repeats`)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.repeats = Repeats()

    def emit(self, record: logging.LogRecord) -> None:
        # A test runner swaps sys.stderr between commands run in one process.
        self.stream = sys.stderr
        shown = self.repeats.shown(record)
        if shown is not None:
            super().emit(shown)


def _without_voice_warnings(record: logging.LogRecord) -> bool:
    # discord.py warns at every start that voice libraries are missing; newsbot has no voice.
    return not (
        record.name == "discord.client" and "voice will NOT be supported" in str(record.msg)
    )


def configure_logging(settings: Settings, *, verbose: bool) -> None:
    """Log to stderr as `log.format` says, at `log.level` (DEBUG when `verbose`), redacted.

    Replaces the handler an earlier call installed and leaves any other handler alone. An
    uncaught exception is logged through it too, so its traceback is redacted as well.
    """
    log_to_stderr(
        level=settings.log.level,
        form=settings.log.format,
        secrets=secret_values(settings),
        verbose=verbose,
    )


CHATTY = ("markdown_it", "aiosqlite")
"""Libraries whose DEBUG lines trace their inner steps, not what newsbot does."""


def log_to_stderr(*, level: str, form: str, secrets: Iterable[str], verbose: bool) -> None:
    """`configure_logging` from the settings' values: `level` and `form` (`log.level` and
    `log.format`), and `secrets` redacted as given (see `secret_spellings`)."""
    redact = Redactor(secrets)
    handler = _StderrHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(redact) if form == "json" else TextFormatter(redact))
    handler.addFilter(_without_voice_warnings)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    threshold = logging.DEBUG if verbose else logging.getLevelName(level)
    root.setLevel(threshold)
    # apscheduler says at INFO each time it adds or runs a job; newsbot logs what a run did.
    quiet = threshold == logging.INFO
    logging.getLogger("apscheduler").setLevel(logging.WARNING if quiet else logging.NOTSET)
    # At DEBUG, markdown-it traces every rule it tries and aiosqlite every statement it runs:
    # thousands of lines a second that drown newsbot's own (`-v`). Their INFO and up stay.
    for chatty in CHATTY:
        logging.getLogger(chatty).setLevel(max(threshold, logging.INFO))
    sys.excepthook = log_uncaught


def log_uncaught(
    kind: type[BaseException], error: BaseException, traceback: TracebackType | None
) -> None:
    """Log an exception nothing caught (Ctrl-C keeps Python's usual handling)."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, traceback)
        return
    logging.getLogger("newsbot").critical(
        "newsbot stopped on an unexpected error", exc_info=(kind, error, traceback)
    )
