"""Discord's error answers: an exception the REST layer turns into the exact JSON shape."""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]


class APIError(Exception):
    """An error Discord would answer with: HTTP status, JSON error code and message.

    ``errors`` holds the nested ``{"field": {"_errors": [...]}}`` tree of a form error.
    """

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> JSON:
        """Return the JSON body Discord sends for this error."""
        body: JSON = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


class FormErrors:
    """Collects field errors under their paths, then raises one 50035 Invalid Form Body."""

    def __init__(self) -> None:
        self._tree: JSON = {}

    def __bool__(self) -> bool:
        return bool(self._tree)

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        """Record an error at ``path`` (e.g. ``("embeds", 0, "title")``)."""
        node = self._tree
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_length(self, path: tuple[str | int, ...], limit: int) -> None:
        """Record Discord's "too long" error for a string or array at ``path``."""
        self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def required(self, path: tuple[str | int, ...]) -> None:
        """Record Discord's "missing field" error at ``path``."""
        self.add(path, "BASE_TYPE_REQUIRED", "This field is required")

    def raise_if_any(self) -> None:
        """Raise the 400 Invalid Form Body carrying every recorded error, if there is one."""
        if self._tree:
            raise APIError(400, 50035, "Invalid Form Body", self._tree)


def unknown(kind: str) -> APIError:
    """Return the 404 Discord gives for an unknown object of ``kind`` (e.g. "Channel")."""
    codes = {
        "Guild": 10004,
        "Channel": 10003,
        "Member": 10007,
        "Message": 10008,
        "Role": 10011,
        "Webhook": 10015,
        "User": 10013,
        "Emoji": 10014,
        "Application": 10002,
        "Application Command": 10063,
        "interaction": 10062,
    }
    return APIError(404, codes[kind], f"Unknown {kind}")


MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")
MISSING_ACCESS = (403, 50001, "Missing Access")


def forbidden(*, access: bool = False) -> APIError:
    """Return the 403 Discord gives when the bot lacks a permission (or cannot see at all)."""
    status, code, message = MISSING_ACCESS if access else MISSING_PERMISSIONS
    return APIError(status, code, message)
