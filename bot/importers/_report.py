"""What an import tells the person running it: notices of guesses and changes, and errors."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models import Issue


@dataclass(frozen=True)
class Notice:
    """Something the importer guessed, changed or left out, and where in the source."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Imported:
    """An issue read from another format, with everything the importer guessed or changed."""

    issue: Issue
    notices: tuple[Notice, ...]
