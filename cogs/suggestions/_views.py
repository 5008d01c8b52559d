"""The review card's components: Accept, Reject and a section menu, for server managers.

Each is a `DynamicItem` matched by its custom_id (which carries the suggestion's id), so cards
posted before a restart keep working.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import discord

from bot.app import NO_MENTIONS
from bot.models import Suggestion, SuggestionStatus
from bot.render.text import label, shorten
from cogs.suggestions._text import plain, summary

if TYPE_CHECKING:
    from bot.app import Newsbot

log = logging.getLogger(__name__)

MANAGERS_ONLY = "Only server managers (Manage Server) can review suggestions."
OPTIONS_MAX = 25
ACCEPT = "newsbot:suggestion:accept:{id}"
REJECT = "newsbot:suggestion:reject:{id}"
SECTION = "newsbot:suggestion:section:{id}"


def card(
    suggestion: Suggestion, sections: Sequence[tuple[str, str]]
) -> tuple[discord.Embed, discord.ui.View]:
    """A suggestion's review card: an embed, and its Accept / Reject / section components."""
    names = dict(sections)
    section_name = names.get(suggestion.section or "", suggestion.section)
    embed = discord.Embed(
        title=shorten(plain(suggestion.title or suggestion.url, 250), 256),
        description=summary(suggestion, section_name)[:4000],
    )
    embed.set_footer(text=f"Suggestion {suggestion.id}")
    view = discord.ui.View(timeout=None)
    view.add_item(
        AcceptButton(suggestion.id, chosen=suggestion.status is SuggestionStatus.ACCEPTED)
    )
    view.add_item(
        RejectButton(suggestion.id, chosen=suggestion.status is SuggestionStatus.REJECTED)
    )
    if sections:
        view.add_item(SectionSelect(suggestion.id, sections, chosen=suggestion.section))
    return embed, view


async def _refuse(interaction: discord.Interaction) -> bool:
    if interaction.permissions.manage_guild:
        return True
    await interaction.response.send_message(
        MANAGERS_ONLY, ephemeral=True, allowed_mentions=NO_MENTIONS
    )
    return False


async def _show(interaction: discord.Interaction, suggestion: Suggestion | None) -> None:
    """Redraw the card that was used, or say the suggestion is gone."""
    if suggestion is None:
        await interaction.response.send_message(
            "That suggestion no longer exists.", ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        return
    bot: Newsbot = interaction.client  # type: ignore[assignment]
    sections = await bot.archive.issues.section_names(limit=OPTIONS_MAX)
    embed, view = card(suggestion, sections)
    await interaction.response.edit_message(embed=embed, view=view)


class _Review(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"(?!)",  # the base matches nothing; each subclass has its own template
):
    status: ClassVar[SuggestionStatus]

    def __init__(self, suggestion_id: int, *, chosen: bool = False) -> None:
        super().__init__(self._button(suggestion_id, chosen))
        self.suggestion_id = suggestion_id

    @classmethod
    def _button(cls, suggestion_id: int, chosen: bool) -> discord.ui.Button[discord.ui.View]:
        raise NotImplementedError

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> _Review:
        """Rebuild the button from the custom_id of the one that was pressed."""
        return cls(int(match["id"]))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Only managers review."""
        return await _refuse(interaction)

    async def callback(self, interaction: discord.Interaction) -> None:
        """Set the suggestion's status and redraw its card."""
        bot: Newsbot = interaction.client  # type: ignore[assignment]
        reviewed = await bot.archive.suggestions.review(
            self.suggestion_id, self.status, by=f"discord:{interaction.user.id}"
        )
        await _show(interaction, reviewed)


class AcceptButton(_Review, template=r"newsbot:suggestion:accept:(?P<id>[0-9]{1,19})"):
    """Accept the suggestion for the next issue's draft."""

    status = SuggestionStatus.ACCEPTED

    @classmethod
    def _button(cls, suggestion_id: int, chosen: bool) -> discord.ui.Button[discord.ui.View]:
        return discord.ui.Button(
            label="Accepted" if chosen else "Accept",
            emoji="✅",
            style=discord.ButtonStyle.success,
            custom_id=ACCEPT.format(id=suggestion_id),
        )


class RejectButton(_Review, template=r"newsbot:suggestion:reject:(?P<id>[0-9]{1,19})"):
    """Pass on the suggestion."""

    status = SuggestionStatus.REJECTED

    @classmethod
    def _button(cls, suggestion_id: int, chosen: bool) -> discord.ui.Button[discord.ui.View]:
        return discord.ui.Button(
            label="Rejected" if chosen else "Reject",
            emoji="✖️",
            style=discord.ButtonStyle.danger,
            custom_id=REJECT.format(id=suggestion_id),
        )


class SectionSelect(
    discord.ui.DynamicItem[discord.ui.Select[discord.ui.View]],
    template=r"newsbot:suggestion:section:(?P<id>[0-9]{1,19})",
):
    """Choose the section the suggestion goes in."""

    def __init__(
        self,
        suggestion_id: int,
        sections: Sequence[tuple[str, str]],
        *,
        chosen: str | None = None,
    ) -> None:
        options = [
            discord.SelectOption(label=label(name, 100), value=slug, default=slug == chosen)
            for slug, name in sections[:OPTIONS_MAX]
        ]
        super().__init__(
            discord.ui.Select(
                custom_id=SECTION.format(id=suggestion_id),
                placeholder="Section…",
                options=options,
            )
        )
        self.suggestion_id = suggestion_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> SectionSelect:
        """Rebuild the menu from the one that was used (its options come with it)."""
        options = item.options if isinstance(item, discord.ui.Select) else []
        return cls(int(match["id"]), [(o.value, o.label) for o in options])

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Only managers review."""
        return await _refuse(interaction)

    async def callback(self, interaction: discord.Interaction) -> None:
        """Put the suggestion in the chosen section (checked against the archive)."""
        bot: Newsbot = interaction.client  # type: ignore[assignment]
        (slug,) = self.item.values
        known = dict(await bot.archive.issues.section_names(limit=1000))
        if slug not in known:
            await interaction.response.send_message(
                "That section is not in the archive any more.",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        await bot.archive.suggestions.set_section(self.suggestion_id, slug)
        await _show(interaction, await bot.archive.suggestions.get(self.suggestion_id))


REVIEW_ITEMS = (AcceptButton, RejectButton, SectionSelect)
