"""How publishing stands: `newsbot status` and `/newsletter status` show these same facts.

`gather_status` reads them from the archive and the settings (`_facts.py`); `status_lines`
words them once for both the terminal and Discord, only the way a channel or role is written
differs (`_words.py`), and `status_json` gives them to scripts (`_json.py`).
`bot/cli/status.py` is the `newsbot status` command.
"""

from __future__ import annotations

from bot.status._facts import (
    UNFINISHED,
    ArchiveSize,
    Firing,
    LastFiring,
    LastPublish,
    Run,
    Schedule,
    Status,
    gather_status,
    parse_last_firing,
)
from bot.status._json import status_json
from bot.status._words import status_lines, with_section_names

__all__ = [
    "UNFINISHED",
    "ArchiveSize",
    "Firing",
    "LastFiring",
    "LastPublish",
    "Run",
    "Schedule",
    "Status",
    "gather_status",
    "parse_last_firing",
    "status_json",
    "status_lines",
    "with_section_names",
]
