"""How a failed connection is told to a person: why it failed in a few words, and where, with
nothing secret in the address."""

from __future__ import annotations

import errno
import re
import socket
import ssl
from urllib.parse import urlsplit, urlunsplit

import aiohttp

_ERRNO_REASONS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ETIMEDOUT: "timed out",
}


def connection_reason(exc: BaseException) -> str | None:
    """Why a connection failed, in a few words (`name not resolved`, `connection refused`…);
    None when `exc` is not a failed connection."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"its TLS certificate was refused ({exc.certificate_error})"
    cause: BaseException = exc
    if isinstance(exc, aiohttp.ClientConnectorError):
        cause = exc.os_error
    if isinstance(cause, socket.gaierror):
        return "name not resolved"
    if isinstance(cause, ssl.SSLError):
        return f"TLS failed ({cause.reason or cause})"
    if isinstance(cause, TimeoutError | aiohttp.ServerTimeoutError):
        return "timed out"
    if isinstance(cause, OSError) and cause.errno in _ERRNO_REASONS:
        return _ERRNO_REASONS[cause.errno]
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection"
    if isinstance(exc, aiohttp.ClientConnectionError) or isinstance(cause, ConnectionError):
        return str(getattr(cause, "strerror", None) or cause or type(cause).__name__)
    return None


DATABASE_SCHEMES = ("postgresql", "postgres")
"""The schemes of a PostgreSQL URL, whose user and password libpq reads its own way."""

URL_SECRETS = (
    "password",
    "sslpassword",
    "oauth_client_secret",
    "scram_client_key",
    "scram_server_key",
)
"""The keys of a PostgreSQL URL's query that libpq reads a secret from (the SCRAM keys, from
libpq 18, let a client in as its password does)."""


def shown_url(url: object) -> str:
    """A URL fit to print: without a user, password, query or fragment, which may hold secrets.

    A password that is not percent-encoded is left out whole too. Python's parser ends the user
    and password at the last @ before the first /, ? or #; libpq ends them at the first @ or /,
    so in a PostgreSQL URL everything up to its last @ goes. In another URL an @ after the host
    belongs to the path, unless what stands before it is no host (see `_has_host`).
    """
    text = str(url)
    scheme, separator, rest = text.partition("://")
    if "@" in rest and (scheme.lower() in DATABASE_SCHEMES or not _has_host(rest)):
        text = f"{scheme}://{rest.rpartition('@')[2]}"
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
    except ValueError:  # a bracket that opens no IPv6 address: nothing of it is shown
        return f"{scheme}://" if separator else ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a number: the address is shown without it
        port = None
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _has_host(rest: str) -> bool:
    """Whether a URL after its `scheme://` starts with a host as Python's parser reads it: no
    bracket in its user and password, and a port, if any, that is a number."""
    credentials, _, address = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")
    if "[" in credentials or "]" in credentials:
        return False
    after_address = address.rpartition("]")[2]  # an IPv6 address holds colons of its own
    return ":" not in after_address or after_address.partition(":")[2].isdigit()
