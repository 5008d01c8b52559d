"""The search pager: Previous/Next buttons that only the asker can press, until they time out."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, replace

import discord

from bot.app import NO_MENTIONS
from bot.models import SearchPage
from bot.render.discord import search_embed
from bot.store import Archive

log = logging.getLogger(__name__)

PAGE_SIZE = 5
PAGER_TIMEOUT = 300.0
"""Seconds a pager stays live; well inside the 15 minutes an interaction token lasts."""


ANSWER_TTL = 10.0
"""Seconds a page of results is reused for the same search: a burst of readers asking the
same thing costs one search, and an issue ingested meanwhile shows up at most this late."""
ANSWERS_KEPT = 512
"""Pages of results kept at most; the oldest go first."""


@dataclass(frozen=True)
class Answer:
    """A page of results and the embed showing it."""

    page: SearchPage
    embed: discord.Embed


def page_embed(query: str, page: SearchPage) -> discord.Embed:
    """The embed showing a page of results for `query`."""
    return discord.Embed.from_dict(search_embed(query, page, page_size=PAGE_SIZE).to_dict())


class Answers:
    """Pages of results recently fetched and rendered, by request. A page of no results is
    never kept, so a search that found nothing finds what arrives next at once."""

    def __init__(self, ttl: float = ANSWER_TTL, kept: int = ANSWERS_KEPT) -> None:
        self.ttl = ttl
        self.kept = kept
        self._kept: dict[SearchRequest, tuple[float, Answer]] = {}

    def get(self, request: SearchRequest) -> Answer | None:
        """The answer to `request` made within the last `ttl` seconds, if any."""
        found = self._kept.get(request)
        if found is None:
            return None
        if time.monotonic() - found[0] > self.ttl:
            del self._kept[request]
            return None
        return found[1]

    def put(self, request: SearchRequest, answer: Answer) -> None:
        """Keep `answer` to `request` for `ttl` seconds (not if it found nothing)."""
        if not answer.page.hits:
            return
        self._kept.pop(request, None)
        while len(self._kept) >= self.kept:
            del self._kept[next(iter(self._kept))]
        self._kept[request] = (time.monotonic(), answer)


@dataclass(frozen=True)
class SearchRequest:
    """What a reader searched for, so any page of it can be fetched again."""

    query: str
    section: str | None = None
    issue: int | None = None
    since: dt.date | None = None
    offset: int = 0

    async def answer(self, archive: Archive, answers: Answers | None = None) -> Answer:
        """This request's page of results and its embed; the one in `answers` if it is there."""
        kept = answers.get(self) if answers is not None else None
        if kept is not None:
            return kept
        page = await archive.issues.search(
            self.query,
            section=self.section,
            issue=self.issue,
            since=self.since,
            limit=PAGE_SIZE,
            offset=self.offset,
        )
        made = Answer(page, page_embed(self.query, page))
        if answers is not None:
            answers.put(self, made)
        return made


class SearchPager(discord.ui.View):
    """Turns the pages of one reader's search."""

    def __init__(
        self,
        *,
        archive: Archive,
        owner_id: int,
        request: SearchRequest,
        page: SearchPage,
        timeout: float = PAGER_TIMEOUT,
        answers: Answers | None = None,
    ) -> None:
        super().__init__(timeout=timeout)
        self.archive = archive
        self.answers = answers
        self.owner_id = owner_id
        self.request = request
        self.message_owner: discord.Interaction | None = None
        self._show(page)

    def _show(self, page: SearchPage) -> None:
        self.previous.disabled = page.offset == 0
        self.next.disabled = not page.has_more

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Only the reader who searched may turn the pages."""
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            "Only the person who searched can turn these pages. Try /search yourself!",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        return False

    async def _turn(self, interaction: discord.Interaction, offset: int) -> None:
        self.request = replace(self.request, offset=max(0, offset))
        shown = await self.request.answer(self.archive, self.answers)
        self._show(shown.page)
        await interaction.response.edit_message(embed=shown.embed, view=self)

    @discord.ui.button(
        label="Previous",
        emoji="◀️",
        style=discord.ButtonStyle.secondary,
        custom_id="search:previous",
    )
    async def previous(
        self, interaction: discord.Interaction, _: discord.ui.Button[SearchPager]
    ) -> None:
        """Show the page before this one."""
        await self._turn(interaction, self.request.offset - PAGE_SIZE)

    @discord.ui.button(
        label="Next", emoji="▶️", style=discord.ButtonStyle.primary, custom_id="search:next"
    )
    async def next(
        self, interaction: discord.Interaction, _: discord.ui.Button[SearchPager]
    ) -> None:
        """Show the page after this one."""
        await self._turn(interaction, self.request.offset + PAGE_SIZE)

    async def on_timeout(self) -> None:
        """Grey the buttons out so a late press does nothing confusing."""
        for child in self.children:
            if isinstance(child, discord.ui.Button):
                child.disabled = True
        if self.message_owner is not None:
            try:
                await self.message_owner.edit_original_response(view=self)
            except discord.HTTPException as exc:
                log.info("could not disable an expired pager: %s", exc)
