"""Discord snowflakes: 64-bit ids that sort by creation time."""

from __future__ import annotations

import time
from datetime import UTC, datetime

DISCORD_EPOCH_MS = 1420070400000


class SnowflakeGenerator:
    """Hands out strictly increasing snowflakes built like Discord's.

    Layout: milliseconds since the Discord epoch (42 bits), worker (5), process (5),
    increment (12). Ids made in the same millisecond differ by the increment; when it runs
    out, the timestamp part moves forward so ids never repeat or go backwards.
    """

    def __init__(self, *, worker_id: int = 1, process_id: int = 0) -> None:
        self._worker_id = worker_id & 0x1F
        self._process_id = process_id & 0x1F
        self._last_ms = 0
        self._increment = 0

    def next(self) -> int:
        """Return a new snowflake, larger than every one returned before."""
        now_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        if now_ms > self._last_ms:
            self._last_ms = now_ms
            self._increment = 0
        else:
            self._increment += 1
            if self._increment > 0xFFF:
                self._last_ms += 1
                self._increment = 0
        return (
            (self._last_ms << 22)
            | (self._worker_id << 17)
            | (self._process_id << 12)
            | self._increment
        )


def snowflake_time(snowflake: int) -> datetime:
    """Return the UTC creation time encoded in a snowflake."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def iso_timestamp(moment: datetime) -> str:
    """Format a time the way Discord's JSON does (ISO 8601 with microseconds and offset)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
