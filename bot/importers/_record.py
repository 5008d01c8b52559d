"""What newsbot import wrote into a folder, to tell its own files from files an editor changed.

`.imports.json` in the folder maps each issue file's name to the SHA-256 of the bytes import
wrote. The names are relative, so the record moves with the folder; it is not an issue file
(`newsbot check` and `ingest` read only `*.md`), and the issue files themselves carry nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from bot.importers._files import write_atomically

log = logging.getLogger(__name__)

RECORD_FILE = ".imports.json"


def digest(data: bytes) -> str:
    """The SHA-256 of `data`, as the record keeps it."""
    return hashlib.sha256(data).hexdigest()


@dataclass
class ImportRecord:
    """The digests of what import wrote, by file name; a file may have more than one while
    a write is under way, so a crash leaves each file recognised whichever version it holds."""

    folder: Path
    written: dict[str, list[str]] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        """Where the record is kept."""
        return self.folder / RECORD_FILE

    def knows(self, path: Path) -> bool:
        """Whether import has written a file with this name here."""
        return path.name in self.written

    def wrote(self, path: Path, data: bytes) -> bool:
        """Whether `data`, found at `path`, is exactly what import wrote there."""
        return digest(data) in self.written.get(path.name, [])

    def allow(self, path: Path, data: bytes) -> None:
        """Also accept `data` as written by import at `path` (before writing it)."""
        known = self.written.setdefault(path.name, [])
        if digest(data) not in known:
            known.append(digest(data))

    def set(self, path: Path, data: bytes) -> None:
        """Record `data` as the one thing import wrote at `path`."""
        self.written[path.name] = [digest(data)]

    def save(self) -> None:
        """Write the record atomically, unless it already holds exactly this (or nothing)."""
        if not self.written and not self.path.exists():
            return
        text = json.dumps({"written": self.written}, indent=2, sort_keys=True) + "\n"
        data = text.encode("utf-8")
        try:
            if self.path.read_bytes() == data:
                return
        except OSError:
            pass
        write_atomically(self.path, data)


def read_record(folder: Path) -> ImportRecord:
    """The record in `folder`; an empty one if there is none or it cannot be read."""
    record = ImportRecord(folder)
    try:
        data = json.loads(record.path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return record
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning(
            "%s is unreadable (%s); no issue file there counts as imported", record.path, exc
        )
        return record
    written = data.get("written") if isinstance(data, dict) else None
    if isinstance(written, dict):
        for name, digests in written.items():
            if isinstance(name, str) and isinstance(digests, list):
                record.written[name] = [d for d in digests if isinstance(d, str)]
    return record
