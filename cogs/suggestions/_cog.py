"""Suggestions on Discord: thin adapters from messages and interactions to the archive.

`/suggest`, the message menu, and the managers' review and export are here; replies in
newsbot's threads, and how any suggestion is recorded, in `_replies.py`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands

from bot.app import NO_MENTIONS, reply
from bot.models import SuggestionStatus, section_slug
from bot.render.discord import (
    CHOICE_NAME_MAX,
    CHOICES_MAX,
    CONTENT_MAX,
    fit_lines,
    names_markdown,
    plain_name,
    sections_typed,
)
from bot.suggestions import (
    DraftExists,
    Scan,
    clean_note,
    export_draft,
    issue_file,
    scan,
)
from cogs.choices import in_time
from cogs.suggestions._edits import Revising
from cogs.suggestions._replies import message_text
from cogs.suggestions._text import (
    LIST_SHOWN_MAX,
    SHORT_SHOWN_MAX,
    confirmed,
    more_to_review,
    not_taken,
    path_code,
    plain,
    said,
)
from cogs.suggestions._views import REVIEW_ITEMS, card, card_sections

if TYPE_CHECKING:
    from bot.app import Newsbot

log = logging.getLogger(__name__)

URL_OPTION_MAX = 4000
REVIEW_CARDS = 5


class Suggestions(Revising):
    """Readers suggest links for the next issue; managers review and export them.

    A manager's command waits for the archive as a reader's does (`Archive.answering`): with
    its database server out of reach they are told so, with the readers' words, within
    Discord's 3 s, not apologised to after the 30 s publishing waits out an outage."""

    suggestions = app_commands.Group(
        name="suggestions",
        description="Review readers' suggested links and export them as a draft issue.",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(self, bot: Newsbot) -> None:
        super().__init__(bot)
        # A suggestion is a server's, as /suggest's is: the menu is not offered in a DM.
        self.menu = app_commands.ContextMenu(
            name="Suggest for the newsletter",
            callback=self.suggest_from_message,
            allowed_contexts=app_commands.AppCommandContext(guild=True),
        )
        self.menu.guild_only = True

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)
        self.bot.add_dynamic_items(*REVIEW_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)
        self.bot.remove_dynamic_items(*REVIEW_ITEMS)
        self.titles.close()

    # --- /suggest and the message menu -----------------------------------------------------

    @app_commands.command(name="suggest", description="Suggest a link for the next issue.")
    # A suggestion is a server's: its readers' queue, under the server's rules. Discord then
    # does not offer /suggest in a DM with the bot, where no server would stand behind it.
    @app_commands.guild_only()
    @app_commands.describe(
        url="The link (https://…) you think belongs in the next issue.",
        note="Why it's worth a read, for the editors (optional).",
        section="The section it fits in; start typing to see them.",
    )
    async def suggest(
        self,
        interaction: discord.Interaction,
        url: app_commands.Range[str, 1, URL_OPTION_MAX],
        note: app_commands.Range[str, 1, 300] | None = None,
        section: str | None = None,
    ) -> None:
        slug: str | None = None
        if section is not None:
            names = dict(await self.archive.issues.sections_today(limit=None, held=False))
            slug = section_slug(section, names.items())
            if slug is None:
                known = names_markdown(sorted(names.values()), LIST_SHOWN_MAX) or "none yet"
                await reply(
                    interaction,
                    f"No section is called “{plain(section, SHORT_SHOWN_MAX)}”. The sections are: "
                    f"{known}.",
                )
                return
        found = scan([url])
        if not found.links and not found.rejected:
            await reply(interaction, "That isn't a link: paste one that starts with https://.")
            return
        await self._answer(
            interaction, found, note=clean_note(note), source="command", section=slug
        )

    @suggest.autocomplete("section")
    @in_time
    async def _suggest_section(
        self, _: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        every = await self.archive.issues.sections_today(limit=None, held=False)
        names = sections_typed(current, every, CHOICES_MAX)
        return [app_commands.Choice(name=plain_name(n, CHOICE_NAME_MAX), value=s) for s, n in names]

    async def suggest_from_message(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        """Suggest the links of any message (the reader who uses the menu suggests them)."""
        if self.bot.user is not None and message.author.id == self.bot.user.id:
            await reply(interaction, "That's my own message: its links are in the archive.")
            return
        texts, urls = message_text(message)
        found = scan(texts, urls)
        if not found.links and not found.rejected:
            await reply(interaction, "That message has no links to suggest.")
            return
        await self._answer(
            interaction, found, note=None, source="menu", section=None, message_id=message.id
        )

    async def _answer(
        self,
        interaction: discord.Interaction,
        found: Scan,
        *,
        note: str | None,
        source: str,
        section: str | None,
        message_id: int | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        results = await self._suggest_all(
            found,
            interaction.user,
            note=note,
            source=source,
            section=section,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            message_id=message_id,
        )
        per_day = self.settings.per_reader_per_day
        lines = [said(result, per_day) or confirmed(result) for result in results]
        lines += not_taken(found, results)
        await reply(
            interaction, fit_lines(list(dict.fromkeys(lines)), CONTENT_MAX), suppress_embeds=True
        )
        self._fetch_titles(results)

    # --- review and export -----------------------------------------------------------------

    @suggestions.command(name="review", description="The suggested links, most-supported first.")
    @app_commands.describe(
        status="Which to show: pending ones (the default), or those accepted or rejected.",
        public="Post the cards in the channel for the other editors (default: only you).",
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    async def review(
        self,
        interaction: discord.Interaction,
        status: Literal["pending", "accepted", "rejected"] = "pending",
        public: bool = False,
    ) -> None:
        await interaction.response.defer(ephemeral=not public, thinking=True)
        wanted = SuggestionStatus(status)
        async with self.archive.answering():  # out of reach, said at once (see the class)
            queue = await self.archive.suggestions.list((wanted,), limit=REVIEW_CARDS + 1)
            if not queue:
                await reply(interaction, await self._none_to_review(wanted))
                return
            sections, names = await card_sections(self.archive, queue[:REVIEW_CARDS])
        for suggestion in queue[:REVIEW_CARDS]:
            embed, view = card(suggestion, sections, names)
            await interaction.followup.send(
                embed=embed, view=view, ephemeral=not public, allowed_mentions=NO_MENTIONS
            )
        if len(queue) > REVIEW_CARDS:
            await reply(interaction, more_to_review(wanted, REVIEW_CARDS))

    async def _none_to_review(self, status: SuggestionStatus) -> str:
        if status is not SuggestionStatus.PENDING:
            return f"No suggestions are {status}."
        if not await self.archive.suggestions.list((SuggestionStatus.ACCEPTED,), limit=1):
            return "No suggestions are waiting."
        return (
            "No suggestions are waiting. The accepted ones are ready for `/suggestions export`; "
            "`/suggestions review status:accepted` shows them."
        )

    @suggestions.command(name="export", description="Write accepted suggestions as a draft issue.")
    @app_commands.describe(
        issue="The draft's issue number (default: the one after the newest).",
        overwrite="Replace a draft file of that number that is already there.",
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    async def export(
        self,
        interaction: discord.Interaction,
        issue: app_commands.Range[int, 1, 999_999] | None = None,
        overwrite: bool = False,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            # The draft is written only once everything it holds was read: an archive out of
            # reach is said at once (see the class), and leaves no draft.
            async with self.archive.answering():
                done = await export_draft(
                    self.archive,
                    self.bot.settings.issues.directory,
                    number=issue,
                    overwrite=overwrite,
                )
        except DraftExists as exc:
            again = f"/suggestions export{f' issue:{issue}' if issue else ''} overwrite:True"
            await reply(
                interaction,
                f"{path_code(exc.path)} already exists: edit it, or replace it with `{again}`.",
            )
            return
        draft = done.issue
        final = issue_file(self.bot.settings.issues.directory, draft.number)
        left_out = ""
        if done.left_out:
            # A few short paths: the message keeps room for the draft's own two.
            shown = [path_code(path, 200) for path in done.left_out_files()[:3]]
            files = ", ".join(shown) + (" and more" if len(done.left_out_files()) > 3 else "")
            left_out = f" Left out {len(done.left_out)} accepted link(s) already in {files}."
        await reply(
            interaction,
            f"Wrote {path_code(done.path)}: #{draft.number} with {len(draft.items)} "
            f"suggested link(s) in {len(draft.sections)} section(s).{left_out} Write the intro "
            f"and the blurbs, move it to {path_code(final)} (newsbot reads no issue from "
            "drafts/), then `newsbot check` and `newsbot ingest`.",
        )
