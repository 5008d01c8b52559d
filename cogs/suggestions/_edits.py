"""Readers' replies in newsbot's section threads edited or deleted: what they suggested is
read again, taken back, and answered; the Suggestions cog builds on this."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.models import Supporter
from bot.store import failed_under
from bot.suggestions import Scan, scan
from cogs.suggestions._replies import (
    ACK,
    ANSWERS_LOOKBACK,
    NOT_TAKEN,
    Answering,
    Recording,
    Thread,
    all_taken,
    display_name,
    message_text,
    no_thread,
    note_of,
)

log = logging.getLogger(__name__)


class Revising(Recording):
    """Readers' replies followed after they are posted: edited, or deleted."""

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
    # before its edit is; and answered in that order (`_in_order`), out of the turn. One that
    # cannot be recorded (the archive failing, or too many waiting) is answered so
    # (`_not_recorded`), never left unsaid, unless newsbot's own error stopped it (logged, not
    # told as an outage); a deletion is never refused a turn.

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
        guild_id = payload.guild_id
        await self._follow(
            message,
            guild_id,
            lambda thread: self._record_edit(message, before, guild_id, thread),
        )

    async def _record_edit(
        self,
        message: discord.Message,
        before: discord.Message | None,
        guild_id: int,
        thread: Thread,
    ) -> Answering:
        """Read an edited reply against what was last read in it: its new links suggested,
        those gone taken back. What tells the reader, once the turn is over."""
        found = scan(*message_text(message))
        reader = Supporter(
            user_id=message.author.id,
            name=display_name(message.author),
            note=note_of(message.content),
            source="reply",
        )
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
            guild_id=guild_id,
            channel_id=message.channel.id,
        )
        self._unrecorded.pop(message.id, None)
        await self._keep_read(message.id, found)
        self._fetch_titles(revision.results)

        async def answer() -> None:
            try:
                refused = await self._acknowledge(message, fresh, revision.results, guild_id)
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
                    message.channel.id,
                    message.id,
                )

        return answer

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """A reader's reply deleted: what it suggested is taken back, and newsbot's answers to
        it go. Never refused a turn: it only takes back, and it answers no one. When the
        archive is out, the taking back is lost (logged as a warning; the reader's links stay
        supported by the reply until an editor decides on them), but its answers go all the
        same: they need no archive."""
        if payload.guild_id is None or no_thread(self.bot.get_channel(payload.channel_id)):
            return
        where = (payload.channel_id, payload.message_id)
        async with self._in_order(payload.message_id) as after_earlier:
            try:
                async with self._turn(past_bound=True):
                    if await self._thread_of(payload.channel_id) is None:
                        return
                    await self.service.revise(payload.message_id)
                    self._unrecorded.pop(payload.message_id, None)
                    await self._keep_read(payload.message_id, None)
            except Exception as exc:
                if not failed_under(exc):
                    log.exception("a deleted reply failed (channel %s, message %s)", *where)
                else:
                    log.warning("a deleted reply was not taken back (channel %s, message %s): "
                                "%s", *where, exc)  # fmt: skip
            try:
                await after_earlier()  # its answers given (or given up), to be found and deleted
                # Its answers go with it: the reader's next reply is told again.
                self.answers.unsaid(payload.message_id)
                await self._forget_answers(payload.channel_id, payload.message_id)
            except discord.HTTPException as exc:
                log.warning("could not delete the answers to a deleted reply in channel %s: %s",
                            payload.channel_id, exc)  # fmt: skip
            except Exception:
                log.exception("a deleted reply's answers failed (channel %s, message %s)", *where)

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
