"""The review card's components: Accept, Reject and a section menu, for server managers.

Each is a `DynamicItem` matched by its custom_id (which carries the suggestion's id), so cards
posted before a restart keep working. Each custom_id also carries the status its card showed:
a card left open while another editor (or `newsbot suggestions`) decided meanwhile, or while
the link was published, does not overrule that unseen, it is redrawn and the editor told.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import discord

from bot.app import NO_MENTIONS
from bot.models import Suggestion, SuggestionStatus
from bot.render.discord import (
    EMBED_TITLE_MAX,
    SELECT_LABEL_MAX,
    SELECT_OPTIONS_MAX,
    plain_name,
)
from bot.store.sections import named_today
from cogs.components import apologises
from cogs.suggestions._text import plain, summary

if TYPE_CHECKING:
    from bot.app import Newsbot
    from bot.store import Archive

log = logging.getLogger(__name__)

MANAGERS_ONLY = "Only server managers (Manage Server) can review suggestions."
ACCEPT = "newsbot:suggestion:accept:{id}:{shown}"
REJECT = "newsbot:suggestion:reject:{id}:{shown}"
SHOWN = r"(?::(?P<shown>pending|accepted|rejected|published))?"
"""The status the card showed, at the end of a component's custom_id (none on older cards)."""
SECTION = "newsbot:suggestion:section:{id}:{shown}"
GONE = "That suggestion no longer exists (its suggester took it back), so its card is closed."


async def card_sections(
    archive: Archive, suggestions: Iterable[Suggestion]
) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The sections review cards offer (as readers know them today), and the name of each by
    its slug, a suggestion's under an older slug too (`named_today`)."""
    known, names = await named_today(archive.issues, (s.section for s in suggestions))
    return known[:SELECT_OPTIONS_MAX], names


def card(
    suggestion: Suggestion, sections: Sequence[tuple[str, str]], names: Mapping[str, str]
) -> tuple[discord.Embed, discord.ui.View]:
    """A suggestion's review card: an embed, and its Accept / Reject / section components
    (`sections` offered, each slug's name in `names`: `card_sections`)."""
    section_name = names.get(suggestion.section or "", suggestion.section)
    # The link is the description's first line, clickable: a title only when the page has one.
    embed = discord.Embed(
        title=plain(suggestion.title, EMBED_TITLE_MAX) if suggestion.title else None,
        description=summary(suggestion, section_name),
    )
    embed.set_footer(text=f"Suggestion {suggestion.id}")
    view = discord.ui.View(timeout=None)
    view.add_item(AcceptButton(suggestion.id, shown=suggestion.status))
    view.add_item(RejectButton(suggestion.id, shown=suggestion.status))
    if sections:
        view.add_item(
            SectionSelect(
                suggestion.id, sections, chosen=suggestion.section, shown=suggestion.status
            )
        )
    if suggestion.status is SuggestionStatus.PUBLISHED:  # decided for good: nothing to press
        _disable(view)
    return embed, view


def _disable(view: discord.ui.View) -> discord.ui.View:
    """`view` with every button and menu greyed out."""
    for item in view.children:
        if isinstance(item, discord.ui.Button | discord.ui.Select):
            item.disabled = True
        elif isinstance(item, discord.ui.DynamicItem):
            item.item.disabled = True
    return view


async def _refuse(interaction: discord.Interaction) -> bool:
    if interaction.permissions.manage_guild:
        return True
    await interaction.response.send_message(
        MANAGERS_ONLY, ephemeral=True, allowed_mentions=NO_MENTIONS
    )
    return False


async def _show(interaction: discord.Interaction, suggestion: Suggestion | None) -> None:
    """Redraw the card that was used, or grey it out and say the suggestion is gone."""
    if suggestion is None:
        await interaction.response.edit_message(view=_greyed(interaction.message))
        await interaction.followup.send(GONE, ephemeral=True, allowed_mentions=NO_MENTIONS)
        return
    bot: Newsbot = interaction.client  # type: ignore[assignment]
    embed, view = card(suggestion, *await card_sections(bot.archive, [suggestion]))
    await interaction.response.edit_message(embed=embed, view=view)


def _greyed(message: discord.Message | None) -> discord.ui.View | None:
    """The components of `message` (a card), every one disabled; None without a message."""
    if message is None:
        return None
    return _disable(discord.ui.View.from_message(message, timeout=None))


def decided_meanwhile(suggestion: Suggestion, again: str = "Press again") -> str:
    """What to tell an editor whose card showed an older status than the suggestion has
    (`again`: how they use the card once more, a button pressed or a section chosen)."""
    if suggestion.status is SuggestionStatus.PUBLISHED:
        where = f" in #{suggestion.issue_number}" if suggestion.issue_number else ""
        return f"This suggestion was published{where} meanwhile, so it stays as it is."
    return (
        f"This suggestion was {suggestion.status} meanwhile (by another editor or with "
        f"`newsbot suggestions`): its card now shows that. {again} to change it."
    )


class _Review(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"(?!)",  # the base matches nothing; each subclass has its own template
):
    status: ClassVar[SuggestionStatus]

    def __init__(self, suggestion_id: int, *, shown: SuggestionStatus | None = None) -> None:
        super().__init__(self._button(suggestion_id, shown))
        self.suggestion_id = suggestion_id
        self.shown = shown
        """The status the card showed when it was pressed (None: a card from before it said)."""

    @classmethod
    def _button(
        cls, suggestion_id: int, shown: SuggestionStatus | None
    ) -> discord.ui.Button[discord.ui.View]:
        raise NotImplementedError

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> _Review:
        """Rebuild the button from the custom_id of the one that was pressed."""
        shown = SuggestionStatus(match["shown"]) if match["shown"] else None
        return cls(int(match["id"]), shown=shown)

    @apologises(False)
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Only managers review."""
        return await _refuse(interaction)

    @apologises(None)
    async def callback(self, interaction: discord.Interaction) -> None:
        """Set the suggestion's status and redraw its card; when it was decided since the card
        was drawn, only redraw the card and say so (the editor decides again knowing it).

        The archive checks the status the card showed as it writes: of two editors pressing
        at once (or one and `newsbot suggestions`), one decides and the other is told.
        """
        bot: Newsbot = interaction.client  # type: ignore[assignment]
        reviewed = await bot.archive.suggestions.review(
            self.suggestion_id, self.status, by=f"discord:{interaction.user.id}", shown=self.shown
        )
        await _show(interaction, reviewed)
        if reviewed is not None and reviewed.status is not self.status:
            # Decided (or published) meanwhile; when as this editor wants it, nothing to say.
            await interaction.followup.send(
                decided_meanwhile(reviewed), ephemeral=True, allowed_mentions=NO_MENTIONS
            )


class AcceptButton(_Review, template=rf"newsbot:suggestion:accept:(?P<id>[0-9]{{1,19}}){SHOWN}"):
    """Accept the suggestion for the next issue's draft."""

    status = SuggestionStatus.ACCEPTED

    @classmethod
    def _button(
        cls, suggestion_id: int, shown: SuggestionStatus | None
    ) -> discord.ui.Button[discord.ui.View]:
        return discord.ui.Button(
            label="Accepted" if shown is cls.status else "Accept",
            emoji="✅",
            style=discord.ButtonStyle.success,
            custom_id=ACCEPT.format(id=suggestion_id, shown=shown or SuggestionStatus.PENDING),
        )


class RejectButton(_Review, template=rf"newsbot:suggestion:reject:(?P<id>[0-9]{{1,19}}){SHOWN}"):
    """Pass on the suggestion."""

    status = SuggestionStatus.REJECTED

    @classmethod
    def _button(
        cls, suggestion_id: int, shown: SuggestionStatus | None
    ) -> discord.ui.Button[discord.ui.View]:
        return discord.ui.Button(
            label="Rejected" if shown is cls.status else "Reject",
            emoji="✖️",
            style=discord.ButtonStyle.danger,
            custom_id=REJECT.format(id=suggestion_id, shown=shown or SuggestionStatus.PENDING),
        )


class SectionSelect(
    discord.ui.DynamicItem[discord.ui.Select[discord.ui.View]],
    template=rf"newsbot:suggestion:section:(?P<id>[0-9]{{1,19}}){SHOWN}",
):
    """Choose the section the suggestion goes in."""

    def __init__(
        self,
        suggestion_id: int,
        sections: Sequence[tuple[str, str]],
        *,
        chosen: str | None = None,
        shown: SuggestionStatus | None = None,
    ) -> None:
        options = [
            discord.SelectOption(
                label=plain_name(name, SELECT_LABEL_MAX), value=slug, default=slug == chosen
            )
            for slug, name in sections[:SELECT_OPTIONS_MAX]
        ]
        super().__init__(
            discord.ui.Select(
                custom_id=SECTION.format(id=suggestion_id, shown=shown or SuggestionStatus.PENDING),
                placeholder="Section…",
                options=options,
            )
        )
        self.suggestion_id = suggestion_id
        self.shown = shown
        """The status the card showed when it was used (None: a card from before it said)."""

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> SectionSelect:
        """Rebuild the menu from the one that was used (its options come with it)."""
        options = item.options if isinstance(item, discord.ui.Select) else []
        shown = SuggestionStatus(match["shown"]) if match["shown"] else None
        return cls(int(match["id"]), [(o.value, o.label) for o in options], shown=shown)

    @apologises(False)
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Only managers review."""
        return await _refuse(interaction)

    @apologises(None)
    async def callback(self, interaction: discord.Interaction) -> None:
        """Put the suggestion in the chosen section (checked against the archive) and redraw
        its card; as the buttons do, when it was published or decided since the card was
        drawn, only redraw the card and say so (a published one keeps its issue's section).
        """
        bot: Newsbot = interaction.client  # type: ignore[assignment]
        (slug,) = self.item.values
        known = dict(await bot.archive.issues.sections_today(limit=None))
        if slug not in known:
            await interaction.response.send_message(
                "That section is not in the archive any more.",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        placed = await bot.archive.suggestions.set_section(
            self.suggestion_id, slug, shown=self.shown
        )
        await _show(interaction, placed)
        if placed is not None and (
            placed.status is SuggestionStatus.PUBLISHED
            or (self.shown is not None and placed.status is not self.shown)
        ):
            await interaction.followup.send(
                decided_meanwhile(placed, again="Choose again"),
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )


REVIEW_ITEMS = (AcceptButton, RejectButton, SectionSelect)
