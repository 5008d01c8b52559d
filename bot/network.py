"""How a failed connection is told to a person: why it failed in a few words, and where, with
nothing secret in the address."""

from __future__ import annotations

import errno
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


def shown_url(url: object) -> str:
    """A URL fit to print: without a user, password or query, which may hold secrets."""
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a number: the address is shown without it
        port = None
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
