"""Suggestions on Discord: thin adapters from messages and interactions to the archive."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NO_MENTIONS, reply
from bot.models import SuggestionStatus, Supporter, section_slug
from bot.render.discord import (
    CHOICE_NAME_MAX,
    CHOICES_MAX,
    CONTENT_MAX,
    SELECT_OPTIONS_MAX,
    fit_lines,
    names_markdown,
    plain_name,
)
from bot.store import Archive
from bot.suggestions import (
    DraftExists,
    Outcome,
    Result,
    Scan,
    clean_note,
    export_draft,
    fetch_title,
    reply_note,
    scan,
)
from cogs.suggestions._text import (
    LIST_SHOWN_MAX,
    SHORT_SHOWN_MAX,
    code,
    confirmed,
    more_to_review,
    not_taken,
    plain,
    said,
)
from cogs.suggestions._views import REVIEW_ITEMS, card

if TYPE_CHECKING:
    from bot.app import Newsbot

log = logging.getLogger(__name__)

ACK = "✅"
URL_OPTION_MAX = 4000
REVIEW_CARDS = 5
THREAD_CACHE_MAX = 4096
ANSWERS_LOOKBACK = 20
"""Messages after a deleted reply looked through for the bot's answers to it."""


def message_text(message: discord.Message) -> tuple[list[str], list[str]]:
    """A message's texts (content, embed descriptions) and its embeds' URLs."""
    texts = [message.content]
    urls: list[str] = []
    for embed in message.embeds:
        texts += [embed.title or "", embed.description or ""]
        texts += [field.value or "" for field in embed.fields]
        if embed.url:
            urls.append(embed.url)
    return texts, urls


def note_of(content: str, url: str | None = None) -> str | None:
    """What a reader wrote around their links: the note kept with their suggestion of `url`
    (the other links kept), or their words alone."""
    return reply_note(content, url)


def display_name(user: discord.abc.User) -> str:
    """The name a reader goes by here, for the editors."""
    return clean_note(user.display_name) or str(user.id)


class Suggestions(commands.Cog):
    """Readers suggest links for the next issue; managers review and export them."""

    suggestions = app_commands.Group(
        name="suggestions",
        description="Review readers' suggested links and export them as a draft issue.",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(self, bot: Newsbot) -> None:
        self.bot = bot
        self.archive: Archive = bot.archive
        if bot.services is None:
            raise RuntimeError("the bot was built without its services (see bot.wiring)")
        self.service = bot.services.suggestions
        self.settings = bot.settings.suggestions
        # A suggestion is a server's, as /suggest's is: the menu is not offered in a DM.
        self.menu = app_commands.ContextMenu(
            name="Suggest for the newsletter",
            callback=self.suggest_from_message,
            allowed_contexts=app_commands.AppCommandContext(guild=True),
        )
        self.menu.guild_only = True
        self._threads: dict[int, tuple[int, str | None] | None] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._reading = asyncio.Lock()

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)
        self.bot.add_dynamic_items(*REVIEW_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)
        self.bot.remove_dynamic_items(*REVIEW_ITEMS)
        for task in list(self._tasks):
            task.cancel()

    # --- recording -------------------------------------------------------------------------

    async def _suggest_all(
        self,
        found: Scan,
        user: discord.abc.User,
        *,
        note: str | None,
        source: str,
        section: str | None,
        guild_id: int | None,
        channel_id: int | None,
        message_id: int | None = None,
        notes: Callable[[str], str | None] | None = None,
    ) -> list[Result]:
        reader = Supporter(user_id=user.id, name=display_name(user), note=note, source=source)
        results = []
        for url in found.links:
            results.append(
                await self.service.suggest(
                    url,
                    replace(reader, note=notes(url)) if notes else reader,
                    section=section,
                    per_day=self.settings.per_reader_per_day,
                    guild_id=guild_id,
                    channel_id=channel_id,
                    message_id=message_id,
                )
            )
        return results

    # --- replies in newsbot's threads ------------------------------------------------------

    async def _thread_of(self, channel_id: int) -> tuple[int, str | None] | None:
        if channel_id in self._threads:
            return self._threads[channel_id]
        found = await self.archive.ledger.section_thread(channel_id)
        if found is not None:  # a miss is not kept: the next publish may create that thread
            if len(self._threads) >= THREAD_CACHE_MAX:
                self._threads.clear()
            self._threads[channel_id] = found
        return found

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Links in a reader's reply in a section thread or forum post become suggestions."""
        if (
            message.guild is None
            or message.author.bot
            or message.webhook_id is not None
            or (self.bot.user is not None and message.author.id == self.bot.user.id)
        ):
            return
        thread = await self._thread_of(message.channel.id)
        if thread is None:
            return
        texts, urls = message_text(message)
        found = scan(texts, urls)
        if not found.links and not found.rejected:
            return
        results: list[Result] = []
        try:
            results = await self._suggest_all(
                found,
                message.author,
                note=None,
                notes=lambda url: note_of(message.content, url),
                source="reply",
                section=thread[1],
                guild_id=message.guild.id,
                channel_id=message.channel.id,
                message_id=message.id,
            )
            await self.archive.suggestions.keep_reply_read(message.id, found.dumps())
            await self._acknowledge(message, found, results)
        except discord.HTTPException as exc:
            log.warning("could not answer a suggestion in channel %s: %s", message.channel.id, exc)
        except Exception:
            log.exception(
                "a suggestion failed (user %s, channel %s, message %s)",
                message.author.id,
                message.channel.id,
                message.id,
            )
        self._fetch_titles(results)

    async def _acknowledge(
        self, message: discord.Message, found: Scan, results: Sequence[Result]
    ) -> None:
        if any(result.taken for result in results):
            await message.add_reaction(ACK)
        per_day = self.settings.per_reader_per_day
        lines = [line for result in results if (line := said(result, per_day))]
        lines += not_taken(found, results)
        if lines:
            await message.reply(
                fit_lines(list(dict.fromkeys(lines)), CONTENT_MAX),
                allowed_mentions=NO_MENTIONS,
                mention_author=False,
                suppress_embeds=True,
            )

    # --- replies edited or deleted ----------------------------------------------------------
    # An edited reply is read again: its new links are suggested as a new reply's would be,
    # with the same answers, and the links it lost lose that reader's support from it; a
    # deleted reply is one edited to no links. A pending suggestion left with no supporter is
    # deleted rather than kept under a status of its own: no editor has looked at it yet, and
    # the link suggested again later starts afresh. An editor's decision stands: an accepted or
    # rejected suggestion keeps its status (without the reader), a published one is history
    # and keeps its supporters too. Raw events: a reply out of discord.py's cache counts too,
    # and what is new in it is told by what the bot last read in it, which the archive keeps.

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """A reader's reply edited: new links are suggested, links gone are taken back."""
        message, before = payload.message, payload.cached_message
        if payload.guild_id is None or message.author.bot or message.webhook_id is not None:
            return
        if before is not None and before.content == message.content:
            return  # Discord unfurled a link, or the message was pinned: no edit of the reader's
        if before is None and payload.data.get("edited_timestamp") is None:
            return
        thread = await self._thread_of(payload.channel_id)
        if thread is None:
            return
        found = scan(*message_text(message))
        reader = Supporter(
            user_id=message.author.id,
            name=display_name(message.author),
            note=note_of(message.content),
            source="reply",
        )
        results: tuple[Result, ...] = ()
        try:
            async with self._reading:  # two edits of one reply: the second reads the first's
                old = await self._read(message.id, before)
                fresh = found.since(old)
                revision = await self.service.revise(
                    message.id,
                    found.links,
                    new=fresh.links,
                    reader=reader,
                    notes=lambda url: note_of(message.content, url),
                    section=thread[1],
                    per_day=self.settings.per_reader_per_day,
                    guild_id=payload.guild_id,
                    channel_id=payload.channel_id,
                )
                await self.archive.suggestions.keep_reply_read(message.id, found.dumps())
            results = revision.results
            await self._acknowledge(message, fresh, results)
            me = self.bot.user
            if me is not None and not revision.supports and (revision.withdrawn or old.links):
                await message.remove_reaction(ACK, me)
        except discord.HTTPException as exc:
            log.warning(
                "could not answer an edited reply in channel %s: %s", message.channel.id, exc
            )
        except Exception:
            log.exception(
                "an edited reply failed (channel %s, message %s)", payload.channel_id, message.id
            )
        self._fetch_titles(results)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """A reader's reply deleted: what it suggested is taken back."""
        if payload.guild_id is None or await self._thread_of(payload.channel_id) is None:
            return
        try:
            await self.service.revise(payload.message_id)
            await self.archive.suggestions.keep_reply_read(payload.message_id, None)
            await self._forget_answers(payload.channel_id, payload.message_id)
        except Exception:
            log.exception(
                "a deleted reply failed (channel %s, message %s)",
                payload.channel_id,
                payload.message_id,
            )

    async def _read(self, message_id: int, before: discord.Message | None) -> Scan:
        """What the bot last read in a reply: the reply as discord.py still has it from before
        an edit, else as the archive kept it (nothing, for a reply the bot never read)."""
        if before is not None:
            return scan(*message_text(before))
        kept = await self.archive.suggestions.reply_read(message_id)
        return Scan.loads(kept) if kept is not None else Scan()

    async def _forget_answers(self, channel_id: int, message_id: int) -> None:
        """Delete the bot's answers to a reply that was deleted: they would answer nothing."""
        channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.Thread):
            return
        after = discord.Object(message_id)
        async for message in channel.history(limit=ANSWERS_LOOKBACK, after=after):
            answered = message.reference.message_id if message.reference else None
            if message.author == self.bot.user and answered == message_id:
                await message.delete()

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
            names = dict(await self.archive.issues.section_names(limit=1000, held=False))
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
    async def _suggest_section(
        self, _: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        names = await self.archive.issues.section_names(
            prefix=current.strip(), limit=CHOICES_MAX, held=False
        )
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

    # --- titles ----------------------------------------------------------------------------

    def _fetch_titles(self, results: Sequence[Result]) -> None:
        """Fetch the titles of new suggestions in the background, when that is turned on."""
        if not self.settings.fetch_titles:
            return
        for result in results:
            if result.outcome is Outcome.ADDED and result.suggestion is not None:
                task = asyncio.create_task(self._fetch_title(result.suggestion.id, result.url))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _fetch_title(self, suggestion_id: int, url: str) -> None:
        title = await fetch_title(url, allow_private=self.settings.allow_private_fetch)
        if title:
            await self.archive.suggestions.set_title(suggestion_id, title)

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
        queue = await self.archive.suggestions.list((wanted,), limit=REVIEW_CARDS + 1)
        if not queue:
            await reply(interaction, await self._none_to_review(wanted))
            return
        sections = await self.archive.issues.section_names(limit=SELECT_OPTIONS_MAX)
        for suggestion in queue[:REVIEW_CARDS]:
            embed, view = card(suggestion, sections)
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
            path, draft = await export_draft(
                self.archive, self.bot.settings.issues.directory, number=issue, overwrite=overwrite
            )
        except DraftExists as exc:
            again = f"/suggestions export{f' issue:{issue}' if issue else ''} overwrite:True"
            await reply(
                interaction,
                f"{code(str(exc.path))} already exists: edit it, or replace it with `{again}`.",
            )
            return
        await reply(
            interaction,
            f"Wrote {code(str(path))}: #{draft.number} with {len(draft.items)} "
            f"suggested link(s) in {len(draft.sections)} section(s). Write the blurbs, then "
            "`newsbot check` and `newsbot ingest`.",
        )
