"""New suggestions' page titles, fetched in the background: a few pages at once, a bounded
number waiting their turn, so that a flood of suggestions opens no flood of connections."""

from __future__ import annotations

import asyncio
import logging

from bot.store.interfaces import SuggestionStore
from bot.suggestions.pages import fetch_title

log = logging.getLogger(__name__)

TITLES_AT_ONCE = 4
"""Pages fetched at once: each holds a socket for up to `pages.TITLE_TIMEOUT` seconds."""
TITLES_WAITING_MAX = 200
"""Suggestions waiting for their title; past that, a new one is left without (an editor sees
its address, as for a page that has no title)."""


class TitleFetcher:
    """Fetches the titles of new suggestions and stores them: `TITLES_AT_ONCE` at most at once,
    in the order they came, `TITLES_WAITING_MAX` at most waiting."""

    def __init__(self, suggestions: SuggestionStore, *, allow_private: bool = False) -> None:
        self.suggestions = suggestions
        self.allow_private = allow_private
        self._waiting: asyncio.Queue[tuple[int, str]] = asyncio.Queue(TITLES_WAITING_MAX)
        self._workers: list[asyncio.Task[None]] = []

    def add(self, suggestion_id: int, url: str) -> None:
        """Fetch the title of `url` for the suggestion `suggestion_id`, when its turn comes; if
        too many wait already, it goes without."""
        if not self._workers:
            self._workers = [asyncio.create_task(self._work()) for _ in range(TITLES_AT_ONCE)]
        try:
            self._waiting.put_nowait((suggestion_id, url))
        except asyncio.QueueFull:
            log.warning(
                "no title fetched for suggestion %s: %d are waiting for theirs already",
                suggestion_id,
                self._waiting.qsize(),
            )

    async def settled(self) -> None:
        """Wait until every title asked for is fetched (or given up)."""
        await self._waiting.join()

    def close(self) -> None:
        """Stop fetching: the titles still waiting are not fetched."""
        for worker in self._workers:
            worker.cancel()
        self._workers = []

    async def _work(self) -> None:
        while True:
            suggestion_id, url = await self._waiting.get()
            try:
                title = await fetch_title(url, allow_private=self.allow_private)
                if title:
                    await self.suggestions.set_title(suggestion_id, title)
            except Exception:
                log.exception("could not store the title of suggestion %s", suggestion_id)
            finally:
                self._waiting.task_done()
