"""Numbered schema changes, as each backend bundles them: `0001_name.sql`, `0002_…`, in a
package of its own (`bot.store.sqlite.migrations`, `bot.store.postgres.migrations`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_CREATED = re.compile(
    r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:UNIQUE\s+)?(?:CONSTRAINT\s+)?"
    r"(TABLE|FUNCTION|INDEX|TRIGGER|RULE|POLICY|STATISTICS)\s+(?:CONCURRENTLY\s+)?"
    r"(?:IF\s+NOT\s+EXISTS\s+)?(?!ON\b)(\w+)",
    re.IGNORECASE,
)
"""A statement making a named object: a table, a function, or what is made on a table (an
index, a trigger, a rule, a policy, extended statistics)."""
_COMMENT = re.compile(r"--[^\n]*")


@dataclass(frozen=True)
class Migration:
    """One numbered schema change."""

    version: int
    name: str
    sql: str

    @property
    def uncommented(self) -> str:
        """Its SQL without `--` comments: what it runs, where what it makes is looked for (a
        comment naming an object makes none)."""
        return _COMMENT.sub("", self.sql)

    def created(self) -> list[tuple[str, str]]:
        """The objects its SQL creates, as (kind, name): "TABLE", "FUNCTION", or "INDEX",
        "TRIGGER", "RULE", "POLICY", "STATISTICS" (made on a table)."""
        return [(kind.upper(), name) for kind, name in _CREATED.findall(self.uncommented)]


def bundled(package: str) -> list[Migration]:
    """The migrations in `package`, in version order; a gap in their numbers is an error."""
    found: list[Migration] = []
    for entry in resources.files(package).iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1, 2, 3 … without gaps: {versions}")
    return found
