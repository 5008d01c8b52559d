"""PostgreSQL's client tools (pg_dump, pg_restore, psql) pointed at the archive: its URL on their
command line without a secret, since a command line is visible to every user of the machine
(`ps`, /proc/PID/cmdline); the secrets in their environment or in a file only this user reads.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote

from bot.errors import NewsbotError
from bot.network import URL_SECRETS

_SERVICE = "newsbot"
"""The name of the connection service the secrets are given in (`_service_file`)."""


@contextmanager
def pg_client(
    url: str, failure: type[NewsbotError] = NewsbotError
) -> Iterator[tuple[str, dict[str, str]]]:
    """The URL and environment to give PostgreSQL's client tools for the block: every secret
    the URL holds taken out of it. Its password (after the user name, or the query's
    `password=`, which libpq prefers) goes in PGPASSWORD; the other secrets libpq reads in a
    query (`sslpassword`, `oauth_client_secret`, `scram_client_key`, `scram_server_key`),
    which no variable of the environment holds, in a connection service file only this user
    can read, removed after the block. Raise `failure` for a secret that cannot be given so."""
    client_url, password, others = _without_secrets(url)
    environment = dict(os.environ)
    if password is not None:
        environment["PGPASSWORD"] = password
    if not others:
        yield client_url, environment
        return
    if "service" in _query_keys(client_url) or "PGSERVICE" in environment:
        raise failure(
            f"the archive URL's {', '.join(others)} cannot be given to PostgreSQL's client tools"
            " along with a connection service (service=, PGSERVICE) without showing it on their"
            " command line: put it in that service's entry instead"
        )
    folder = Path(tempfile.mkdtemp(prefix="newsbot-pg-"))  # only this user can enter it
    try:
        environment["PGSERVICEFILE"] = str(_service_file(folder, others, failure))
        environment["PGSERVICE"] = _SERVICE
        yield client_url, environment
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _without_secrets(url: str) -> tuple[str, str | None, dict[str, str]]:
    """`url` without its secrets; its password (None if none), and its other secrets by key,
    percent-decoded as libpq reads them: a key given twice counts as its last, and the query's
    password above the one after the user name."""
    scheme, separator, rest = url.partition("://")
    # libpq's URL: [user[:password]@][hosts][/database][?key=value&...]. The archive URL is
    # checked first (`url_problem`): no second @, no ? in the user name or the password.
    head, mark, query = rest.partition("?")
    credentials, at, address = head.rpartition("@")
    user, colon, written = credentials.partition(":")
    password = _decoded(written) if colon else None
    secrets: dict[str, str] = {}
    kept = []
    for pair in query.split("&") if mark else []:
        key, _, value = pair.partition("=")
        if unquote(key) in URL_SECRETS:
            secrets[unquote(key)] = _decoded(value)
        else:
            kept.append(pair)
    password = secrets.pop("password", password)
    head = f"{user}@{address}" if at else address
    client_url = f"{scheme}{separator}{head}" + (f"?{'&'.join(kept)}" if kept else "")
    return client_url, password, secrets


def _decoded(text: str) -> str:
    """A secret of the URL percent-decoded to the bytes libpq decodes it to: those that are no
    UTF-8 kept as they are (surrogate escapes, which the environment and the service file
    write back as those bytes), not replaced, which would give the tools another secret."""
    return unquote(text, errors="surrogateescape")


def _query_keys(url: str) -> set[str]:
    """The keys of the query of `url`, percent-decoded."""
    query = url.partition("?")[2]
    return {unquote(pair.partition("=")[0]) for pair in query.split("&") if pair}


def _service_file(folder: Path, secrets: dict[str, str], failure: type[NewsbotError]) -> Path:
    """A connection service file in `folder` giving `secrets`, readable by this user only.

    libpq reads each `key=value` line's value to its end, less the spaces that end it: a secret
    holding a line break, or ending with a space, cannot be written there."""
    lines = [f"[{_SERVICE}]"]
    for key, value in secrets.items():
        if "\n" in value or "\r" in value or value != value.rstrip():
            raise failure(
                f"the archive URL's {key} holds a line break or ends with a space, which"
                " PostgreSQL's client tools cannot be given but on their command line"
            )
        lines.append(f"{key}={value}")
    file = folder / "pg_service.conf"
    handle = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8", errors="surrogateescape") as opened:
        opened.write("\n".join(lines) + "\n")
    return file
