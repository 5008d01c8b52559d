"""The search pager: Previous/Next buttons that only the asker can press, until they time out."""

from __future__ import annotations

import datetime as dt
import logging
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


@dataclass(frozen=True)
class SearchRequest:
    """What a reader searched for, so any page of it can be fetched again."""

    query: str
    section: str | None = None
    issue: int | None = None
    since: dt.date | None = None
    offset: int = 0

    async def page(self, archive: Archive) -> SearchPage:
        """This request's page of results."""
        return await archive.issues.search(
            self.query,
            section=self.section,
            issue=self.issue,
            since=self.since,
            limit=PAGE_SIZE,
            offset=self.offset,
        )


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
    ) -> None:
        super().__init__(timeout=timeout)
        self.archive = archive
        self.owner_id = owner_id
        self.request = request
        self.message_owner: discord.Interaction | None = None
        self._show(page)

    def _show(self, page: SearchPage) -> None:
        self.previous.disabled = page.offset == 0
        self.next.disabled = not page.has_more

    def embed(self, page: SearchPage) -> discord.Embed:
        """The embed for a page of this search."""
        rendered = search_embed(self.request.query, page, page_size=PAGE_SIZE)
        return discord.Embed.from_dict(rendered.to_dict())

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
        page = await self.request.page(self.archive)
        self._show(page)
        await interaction.response.edit_message(embed=self.embed(page), view=self)

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
