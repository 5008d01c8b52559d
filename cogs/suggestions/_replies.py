"""What readers' replies in newsbot's section threads suggest, read again when edited or
deleted, and how every suggestion is recorded: the base the Suggestions cog builds on."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.app import NO_MENTIONS
from bot.models import Supporter
from bot.models.links import twins
from bot.render.discord import CONTENT_MAX, fit_lines
from bot.store import Archive
from bot.suggestions import (
    Outcome,
    Result,
    Revision,
    Scan,
    clean_note,
    reply_note,
    scan,
)
from bot.suggestions.titles import TitleFetcher
from cogs.suggestions._answers import RecentAnswers
from cogs.suggestions._text import NOT_RECORDED, NOT_RECORDED_TOPIC, not_taken, said, topics

if TYPE_CHECKING:
    from bot.app import Newsbot

log = logging.getLogger(__name__)

ACK = "✅"
NOT_TAKEN = "❌"
"""A reply not all taken, whose reader was told why already (see `RecentAnswers`)."""
THREAD_CACHE_MAX = 4096
UNRECORDED_KEPT = 4096
"""Replies remembered as not recorded (see `Recording._not_recorded`)."""
WAITING_MAX = 100
"""Replies, edits and deletions waiting their turn to be read, at most. Each takes a few
milliseconds while the archive answers; a queue this long means it does not (an outage, in
which each waits for the archive's timeout) and a reply now would wait long to be told
nothing: past it, a reply is at once told it was not recorded."""
ANSWERS_LOOKBACK = 20
"""Messages after a deleted reply looked through for the bot's answers to it."""


def message_text(message: discord.Message) -> tuple[list[str], list[str]]:
    """A message's texts (content, embed descriptions) and its embeds' URLs.

    Embeds count only in a bot's or a webhook's message, and only those its author wrote
    (`rich`: Create Message takes no other). A person cannot send embeds: those on their
    message are Discord's previews of its links, whose address is often another spelling of
    the link (youtu.be/… as youtube.com/watch?v=…) and whose text is the page's, with its
    links: the reader suggested none of them. The type alone cannot tell them apart: Message ›
    Embed Types lists `rich` beside `link` and `video` without saying which a preview gets,
    and the previews of some sites (X's) come as `rich`.
    """
    texts = [message.content]
    urls: list[str] = []
    if not message.author.bot and message.webhook_id is None:
        return texts, urls
    for embed in message.embeds:
        if embed.type != "rich":
            continue  # Discord's preview of a link in a bot's message: a bot sends only rich
        texts += [embed.title or "", embed.description or ""]
        texts += [field.value or "" for field in embed.fields]
        if embed.url:
            urls.append(embed.url)
    return texts, urls


def all_taken(found: Scan, revision: Revision) -> bool:
    """Whether every link of a reply as it stands is suggested by it: none refused, none
    dropped, none over the limit or passed on (in any of its page's spellings)."""
    supported = {s.url for s in revision.kept} | {r.url for r in revision.results if r.taken}
    return (
        not found.rejected
        and not found.dropped
        and all(any(twin in supported for twin in twins(link)) for link in found.links)
    )


def note_of(content: str, url: str | None = None) -> str | None:
    """What a reader wrote around their links: the note kept with their suggestion of `url`
    (the other links kept), or their words alone."""
    return reply_note(content, url)


def no_thread(channel: object) -> bool:
    """Whether a channel is known not to be a thread (nor a forum post), so not one of newsbot's
    section threads: its messages need no turn, nor the archive, to be passed over."""
    return isinstance(channel, discord.abc.GuildChannel)


def display_name(user: discord.abc.User) -> str:
    """The name a reader goes by here, for the editors."""
    return clean_note(user.display_name) or str(user.id)


class Recording(commands.Cog):
    """Suggestions recorded, from any source, with their titles fetched; readers' replies
    read as they come, are edited and are deleted."""

    def __init__(self, bot: Newsbot) -> None:
        self.bot = bot
        self.archive: Archive = bot.archive
        if bot.services is None:
            raise RuntimeError("the bot was built without its services (see bot.wiring)")
        self.service = bot.services.suggestions
        self.settings = bot.settings.suggestions
        self._threads: dict[int, tuple[int, str | None] | None] = {}
        self.titles = TitleFetcher(
            self.archive.suggestions, allow_private=self.settings.allow_private_fetch
        )
        self._reading = asyncio.Lock()
        self._waiting = 0
        """Events waiting for `_reading`, or reading."""
        self._unrecorded: OrderedDict[int, None] = OrderedDict()
        """Replies whose last reading could not be recorded, by message id."""
        self.clock = bot.services.clock
        self.answers = RecentAnswers(self.clock)

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
        if no_thread(message.channel):
            return
        found = scan(*message_text(message))
        if not found.links and not found.rejected:
            return
        async with self._turn() as turn:
            if turn:
                await self._read_new(message, message.guild.id, found)
            elif self._may_be_section_thread(message.channel):
                await self._not_recorded(message, message.guild.id, "too many replies waiting")

    async def _read_new(self, message: discord.Message, guild_id: int, found: Scan) -> None:
        thread: tuple[int, str | None] | None = None
        try:
            thread = await self._thread_of(message.channel.id)
            if thread is None:
                return
            results = await self._suggest_all(
                found,
                message.author,
                note=None,
                notes=lambda url: note_of(message.content, url),
                source="reply",
                section=thread[1],
                guild_id=guild_id,
                channel_id=message.channel.id,
                message_id=message.id,
            )
            await self.archive.suggestions.keep_reply_read(message.id, found.dumps())
        except Exception as exc:
            if thread is not None or self._may_be_section_thread(message.channel):
                await self._not_recorded(message, guild_id, exc)
            return
        try:
            await self._acknowledge(message, found, results, guild_id)
        except discord.HTTPException as exc:
            log.warning("could not answer a suggestion in channel %s: %s", message.channel.id, exc)
        except Exception:
            log.exception(
                "could not answer a suggestion (user %s, channel %s, message %s)",
                message.author.id,
                message.channel.id,
                message.id,
            )
        self._fetch_titles(results)

    async def _acknowledge(
        self, message: discord.Message, found: Scan, results: Sequence[Result], guild_id: int
    ) -> bool:
        """A ✅ when a link was taken; a message saying why when some were not, unless the
        reader was told so lately (then a ❌: see `RecentAnswers`). Whether some were not."""
        if any(result.taken for result in results):
            await self._react(message, ACK)
        per_day = self.settings.per_reader_per_day
        lines = [line for result in results if (line := said(result, per_day))]
        lines += not_taken(found, results)
        if not lines:
            return False
        reader, told, now = (guild_id, message.author.id), topics(found, results), self.clock()
        if not self.answers.due(reader, told, now):
            await self._react(message, NOT_TAKEN)
            return True
        await message.reply(
            fit_lines(list(dict.fromkeys(lines)), CONTENT_MAX),
            allowed_mentions=NO_MENTIONS,
            mention_author=False,
            suppress_embeds=True,
        )
        self.answers.told(reader, told, now, answering=message.id)  # once sent, not before
        return True

    async def _react(self, message: discord.Message, emoji: str) -> None:
        """React to a reply, if newsbot may: without Add Reactions, an answer still goes."""
        try:
            await message.add_reaction(emoji)
        except discord.Forbidden as exc:
            log.warning("could not react in channel %s: %s", message.channel.id, exc)

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[bool]:
        """This event's turn to be read, after those before it (True); or, when `WAITING_MAX`
        wait already, none (False, at once)."""
        if self._waiting >= WAITING_MAX:
            yield False
            return
        self._waiting += 1
        try:
            async with self._reading:
                yield True
        finally:
            self._waiting -= 1

    def _may_be_section_thread(self, channel: object) -> bool:
        """Whether a channel is one of newsbot's section threads as far as can be told without
        the archive: one known to be, or a thread newsbot started."""
        me = self.bot.user
        return self._threads.get(getattr(channel, "id", 0)) is not None or (
            isinstance(channel, discord.Thread) and me is not None and channel.owner_id == me.id
        )

    async def _not_recorded(
        self, message: discord.Message, guild_id: int, reason: BaseException | str
    ) -> None:
        """A reply (or its edit) that could not be recorded: the reader is told so, in a message
        once a window (see `RecentAnswers`), else with a ❌; never with a ✅. An edit of it is
        then read against what the archive last recorded, not the reply as it was."""
        log.warning(
            "a suggestion was not recorded (user %s, channel %s, message %s): %s",
            message.author.id,
            message.channel.id,
            message.id,
            reason,
            exc_info=isinstance(reason, BaseException),
        )
        self._unrecorded[message.id] = None
        self._unrecorded.move_to_end(message.id)
        if len(self._unrecorded) > UNRECORDED_KEPT:
            self._unrecorded.popitem(last=False)
        reader, told, now = (guild_id, message.author.id), {NOT_RECORDED_TOPIC}, self.clock()
        try:
            if not self.answers.due(reader, told, now):
                await self._react(message, NOT_TAKEN)
                return
            await message.reply(NOT_RECORDED, allowed_mentions=NO_MENTIONS, mention_author=False)
            self.answers.told(reader, told, now, answering=message.id)
        except Exception as exc:
            log.warning(
                "could not tell a reader in channel %s their suggestion was not recorded: %s",
                message.channel.id,
                exc,
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
    # A reply's events are read one after another in the order Discord sent them: each
    # handler takes its `_turn` before its first wait, so a reply edited at once is read new
    # before its edit is. One that cannot be recorded (the archive failing, or too many
    # waiting) is answered so (`_not_recorded`), never left unsaid.

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
        if no_thread(message.channel):
            return
        async with self._turn() as turn:
            if turn:
                await self._read_edit(payload, message, before)
            elif self._may_be_section_thread(message.channel):
                await self._not_recorded(message, payload.guild_id, "too many replies waiting")

    async def _read_edit(
        self,
        payload: discord.RawMessageUpdateEvent,
        message: discord.Message,
        before: discord.Message | None,
    ) -> None:
        assert payload.guild_id is not None
        found = scan(*message_text(message))
        reader = Supporter(
            user_id=message.author.id,
            name=display_name(message.author),
            note=note_of(message.content),
            source="reply",
        )
        thread: tuple[int, str | None] | None = None
        try:
            thread = await self._thread_of(payload.channel_id)
            if thread is None:
                return
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
        except Exception as exc:
            if thread is not None or self._may_be_section_thread(message.channel):
                await self._not_recorded(message, payload.guild_id, exc)
            return
        self._unrecorded.pop(message.id, None)
        try:
            refused = await self._acknowledge(message, fresh, revision.results, payload.guild_id)
            me = self.bot.user
            if me is not None and not revision.supports and (revision.withdrawn or old.links):
                await message.remove_reaction(ACK, me)
            if me is not None and old.rejected and not refused and all_taken(found, revision):
                await message.remove_reaction(NOT_TAKEN, me)  # the refused link was edited out
        except discord.HTTPException as exc:
            log.warning(
                "could not answer an edited reply in channel %s: %s", message.channel.id, exc
            )
        except Exception:
            log.exception(
                "could not answer an edited reply (channel %s, message %s)",
                payload.channel_id,
                message.id,
            )
        self._fetch_titles(revision.results)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """A reader's reply deleted: what it suggested is taken back."""
        if payload.guild_id is None or no_thread(self.bot.get_channel(payload.channel_id)):
            return
        try:
            async with self._turn() as turn:
                if not turn:
                    log.warning(
                        "a deleted reply was not read: too many waiting (channel %s, message %s)",
                        payload.channel_id,
                        payload.message_id,
                    )
                    return
                if await self._thread_of(payload.channel_id) is None:
                    return
                await self.service.revise(payload.message_id)
                await self.archive.suggestions.keep_reply_read(payload.message_id, None)
                # Its answer goes with it (below): the reader's next reply is told again.
                self.answers.unsaid(payload.message_id)
            self._unrecorded.pop(payload.message_id, None)
            await self._forget_answers(payload.channel_id, payload.message_id)
        except Exception:
            log.exception(
                "a deleted reply failed (channel %s, message %s)",
                payload.channel_id,
                payload.message_id,
            )

    async def _read(self, message_id: int, before: discord.Message | None) -> Scan:
        """What the bot last read in a reply: the reply as discord.py still has it from before
        an edit, else as the archive kept it (nothing, for a reply the bot never read). The
        archive's, when the last reading of the reply could not be recorded: what discord.py
        had then is not what the archive has."""
        if before is not None and message_id not in self._unrecorded:
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

    # --- titles ----------------------------------------------------------------------------

    def _fetch_titles(self, results: Sequence[Result]) -> None:
        """Fetch the titles of new suggestions in the background, when that is turned on."""
        if not self.settings.fetch_titles:
            return
        for result in results:
            if result.outcome is Outcome.ADDED and result.suggestion is not None:
                self.titles.add(result.suggestion.id, result.url)
