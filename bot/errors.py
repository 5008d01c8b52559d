"""Domain errors: what can go wrong in newsbot's own terms, with messages fit for a person."""

from __future__ import annotations

from pathlib import Path


class NewsbotError(Exception):
    """Base for errors whose message is written for the person who caused them."""


class IssueFileError(NewsbotError):
    """A problem in an issue file, located by path and line."""

    def __init__(self, path: Path | str, line: int, reason: str) -> None:
        self.path = Path(path)
        self.line = line
        self.reason = reason
        super().__init__(f"{self.path}:{line}: {reason}")


class IssueFileErrors(NewsbotError):
    """Every problem found in one or more issue files (never empty)."""

    def __init__(self, errors: list[IssueFileError]) -> None:
        if not errors:
            raise ValueError("IssueFileErrors needs at least one error")
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


class IssueNotFound(NewsbotError):
    """No issue with that number is in the archive."""

    def __init__(self, number: int) -> None:
        self.number = number
        super().__init__(f"Issue #{number} is not in the archive.")


class IssueNotPublic(IssueNotFound):
    """The issue is archived, but readers cannot see it before its publish_at."""

    def __init__(self, number: int, publish_at: str) -> None:
        super().__init__(number)
        self.publish_at = publish_at
        self.args = (
            f"Issue #{number} is held back from readers until its publish_at, {publish_at} "
            f"(`newsbot preview {number}` shows it).",
        )


class ArchiveVersionError(NewsbotError):
    """The database was written by a newer newsbot than this one."""


class ArchiveMissing(NewsbotError):
    """The archive database file does not exist yet."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # A relative archive.path is read from the folder newsbot runs in, not the config
        # file's: say which, lest `newsbot ingest` make a second archive in the wrong one.
        where = "" if path.is_absolute() else f" (in {Path.cwd()}, the folder newsbot runs in)"
        super().__init__(
            f"No archive at {path}{where}. Create it with `newsbot ingest issues/` "
            "(or pass --db to use another file)."
        )


class RestoreError(NewsbotError):
    """A backup that cannot be restored, and why."""


class ConfigError(NewsbotError):
    """The configuration is invalid; the message names the key and what is wrong."""


class SourceError(NewsbotError):
    """A file or feed that cannot be imported, located as `path:line` or by its URL."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}")


class FetchError(SourceError):
    """A feed that could not be fetched over HTTP(S)."""


class RoundTripError(NewsbotError):
    """An imported issue whose file would not read back the same: a bug in the importer."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(
            f"{where}: the issue file would not read back as imported ({reason}); "
            "this is a bug in newsbot's importer, please report it with the source"
        )
