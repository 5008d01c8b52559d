"""What readers' replies in newsbot's section threads suggest, each read in its turn with the
archive and answered after it, and how every suggestion is recorded: the base the Suggestions
cog builds on (through `cogs.suggestions._edits`, for replies edited or deleted)."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.app import NO_MENTIONS
from bot.models import Supporter
from bot.models.links import twins
from bot.render.discord import CONTENT_MAX, fit_lines
from bot.store import Archive, failed_under
from bot.store.sections import slug_today
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
from cogs.suggestions._text import (
    NOT_RECORDED,
    NOT_RECORDED_TOPIC,
    not_recorded,
    not_taken,
    said,
    topics,
)

if TYPE_CHECKING:
    from bot.app import Newsbot

log = logging.getLogger(__name__)

ACK = "✅"
NOT_TAKEN = "❌"
"""A reply not all taken, whose reader was told why already (see `RecentAnswers`)."""
THREAD_CACHE_MAX = 4096
UNRECORDED_KEPT = 4096
"""Replies remembered as not recorded (see `Recording._mark_unrecorded`)."""
WAITING_MAX = 100
"""Replies, edits and deletions waiting their turn with the archive, at most, the one read
included. A turn holds only the archive's work, a few milliseconds while it answers (the
reader is answered after, whatever Discord makes that wait); a queue this long means it does
not (an outage, in which each waits for the archive's timeout) and a reply or an edit now
would wait long to be told nothing: past it, it is at once told it was not recorded. A
deletion is never refused: it takes no answer, and waits its turn past the bound."""
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


Thread = tuple[int, str | None]
"""A section thread as the archive knows it: (issue number, the slug its section has today)."""
Answering = Callable[[], Awaitable[None]]
"""What tells a reader how one event of their reply was read, once the archive's turn is over."""


class _Busy(Exception):
    """A reply not read: too many wait their turn (see `WAITING_MAX`)."""


def display_name(user: discord.abc.User) -> str:
    """The name a reader goes by here, for the editors."""
    return clean_note(user.display_name) or str(user.id)


class Recording(commands.Cog):
    """Suggestions recorded, from any source, with their titles fetched; readers' replies
    read as they come, in turn (their edits and deletions: `Revising`)."""

    def __init__(self, bot: Newsbot) -> None:
        self.bot = bot
        self.archive: Archive = bot.archive
        if bot.services is None:
            raise RuntimeError("the bot was built without its services (see bot.wiring)")
        self.service = bot.services.suggestions
        self.settings = bot.settings.suggestions
        self._threads: dict[int, Thread | None] = {}
        self.titles = TitleFetcher(
            self.archive.suggestions, allow_private=self.settings.allow_private_fetch
        )
        self._reading = asyncio.Lock()
        self._waiting = 0
        """Events waiting for `_reading`, or reading: the archive's work only."""
        self._answering: dict[int, asyncio.Future[None]] = {}
        """The latest event of each reply being read or answered, by message id: done once
        it is answered (see `_in_order`)."""
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
    ) -> list[Result]:
        reader = Supporter(user_id=user.id, name=display_name(user), note=note, source=source)
        results = []
        for url in found.links:
            results.append(
                await self.service.suggest(
                    url,
                    reader,
                    section=section,
                    per_day=self.settings.per_reader_per_day,
                    guild_id=guild_id,
                    channel_id=channel_id,
                    message_id=message_id,
                )
            )
        return results

    # --- replies in newsbot's threads ------------------------------------------------------

    async def _thread_of(self, channel_id: int) -> Thread | None:
        """The section thread `channel_id` is, if newsbot published it: its issue, and the slug
        its section has today, which a reply in it is filed under (`slug_today`: an older
        newsbot's slug may have been given other sections too)."""
        if channel_id in self._threads:
            return self._threads[channel_id]
        found = await self.archive.ledger.section_thread(channel_id)
        if found is not None and found[1] is not None:
            number, slug = found[0], found[1]
            found = (number, await slug_today(self.archive.issues, number, slug))
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
        guild_id = message.guild.id
        await self._follow(
            message, guild_id, lambda thread: self._record_new(message, guild_id, found, thread)
        )

    async def _follow(
        self,
        message: discord.Message,
        guild_id: int,
        record: Callable[[Thread], Awaitable[Answering]],
    ) -> None:
        """Read a reply, new or edited, in its turn with the archive (`record` it, if it is in
        a section thread), then answer the reader out of the turn, once the reply's events
        before this one are answered. One that cannot be recorded (the archive failing, or
        `WAITING_MAX` waiting) is answered so (`_not_recorded`); one that newsbot's own error
        stopped is logged as such, and not told to the reader as an outage."""
        async with self._in_order(message.id) as after_earlier:
            answer: Answering | None = None
            async with self._turn() as turn:
                thread: Thread | None = None
                try:
                    if not turn:
                        raise _Busy("too many replies waiting")
                    thread = await self._thread_of(message.channel.id)
                    if thread is not None:
                        answer = await record(thread)
                except Exception as exc:
                    if thread is not None or self._may_be_section_thread(message.channel):
                        answer = self._not_recorded(message, guild_id, exc)
            if answer is not None:
                await after_earlier()
                await answer()

    async def _record_new(
        self, message: discord.Message, guild_id: int, found: Scan, thread: Thread
    ) -> Answering:
        """Suggest a new reply's links, one after another; when the archive fails under one
        after others were recorded, those left are not recorded, and the reader is told which
        (all of them failing is `_not_recorded`)."""
        results: list[Result] = []
        unrecorded: list[str] = []
        for url in found.links:
            if unrecorded:
                unrecorded.append(url)  # the archive is failing: each would wait its timeout
                continue
            try:
                results.append(
                    await self.service.suggest(
                        url,
                        Supporter(
                            user_id=message.author.id,
                            name=display_name(message.author),
                            note=note_of(message.content, url),
                            source="reply",
                        ),
                        section=thread[1],
                        per_day=self.settings.per_reader_per_day,
                        guild_id=guild_id,
                        channel_id=message.channel.id,
                        message_id=message.id,
                    )
                )
            except Exception as exc:
                if not results or not failed_under(exc):
                    raise
                log.warning("a suggested link was not recorded (message %s): %s", message.id, exc)
                unrecorded.append(url)
        if unrecorded:  # its edit reads what was recorded, where the links left are new
            self._mark_unrecorded(message.id)
        read = replace(found, links=tuple(url for url in found.links if url not in unrecorded))
        await self._keep_read(message.id, read)
        self._fetch_titles(results)

        async def answer() -> None:
            try:
                await self._acknowledge(message, found, results, guild_id, unrecorded)
            except discord.HTTPException as exc:
                log.warning(
                    "could not answer a suggestion in channel %s: %s", message.channel.id, exc
                )
            except Exception:
                log.exception(
                    "could not answer a suggestion (user %s, channel %s, message %s)",
                    message.author.id,
                    message.channel.id,
                    message.id,
                )

        return answer

    async def _keep_read(self, message_id: int, found: Scan | None) -> None:
        """Keep what was read in a reply (None: it was deleted), for its edits to be read
        against. When the archive cannot, what was suggested stands: the reply's next edit is
        read against what the archive last kept (see `_read`), and only suggests again what
        that had not."""
        try:
            await self.archive.suggestions.keep_reply_read(
                message_id, found.dumps() if found is not None else None
            )
        except Exception as exc:
            if not failed_under(exc):
                raise
            log.warning("what a reply says was not kept (message %s): %s", message_id, exc)
            self._mark_unrecorded(message_id)

    async def _acknowledge(
        self,
        message: discord.Message,
        found: Scan,
        results: Sequence[Result],
        guild_id: int,
        unrecorded: Sequence[str] = (),
    ) -> bool:
        """A ✅ when a link was taken; a message saying why when some were not (or were not
        recorded), unless the reader was told so lately (then a ❌: see `RecentAnswers`).
        Whether some were not."""
        if any(result.taken for result in results):
            await self._react(message, ACK)
        per_day = self.settings.per_reader_per_day
        lines = [line for result in results if (line := said(result, per_day))]
        lines += not_taken(found, results)
        told = topics(found, results)
        if unrecorded:  # first: what the reader is to do is never left out for room
            lines.insert(0, not_recorded(unrecorded))
            told.add(NOT_RECORDED_TOPIC)
        if not lines:
            return False
        await self._tell(
            message,
            guild_id,
            told,
            fit_lines(list(dict.fromkeys(lines)), CONTENT_MAX),
            suppress_embeds=True,
        )
        return True

    async def _tell(
        self,
        message: discord.Message,
        guild_id: int,
        told: set[str],
        text: str,
        *,
        suppress_embeds: bool = False,
    ) -> None:
        """Answer a reply with `text`, about `told`, or with a ❌ when the reader was told that
        lately. The answer counts before it is sent, so that another reply of the reader
        answered meanwhile is not told the same; it no longer counts if it was not sent."""
        reader = (guild_id, message.author.id)
        answer = self.answers.reserve(reader, told, self.clock(), answering=message.id)
        if answer is None:
            await self._react(message, NOT_TAKEN)
            return
        try:
            await message.reply(
                text,
                allowed_mentions=NO_MENTIONS,
                mention_author=False,
                suppress_embeds=suppress_embeds,
            )
        except BaseException:
            self.answers.release(answer)
            raise

    async def _react(self, message: discord.Message, emoji: str) -> None:
        """React to a reply, if newsbot may: without Add Reactions, an answer still goes."""
        try:
            await message.add_reaction(emoji)
        except discord.Forbidden as exc:
            log.warning("could not react in channel %s: %s", message.channel.id, exc)

    @asynccontextmanager
    async def _turn(self, *, past_bound: bool = False) -> AsyncIterator[bool]:
        """This event's turn with the archive, after those before it (True); or, when
        `WAITING_MAX` wait already, none (False, at once), unless it may wait `past_bound`."""
        if self._waiting >= WAITING_MAX and not past_bound:
            yield False
            return
        self._waiting += 1
        try:
            async with self._reading:
                yield True
        finally:
            self._waiting -= 1

    @asynccontextmanager
    async def _in_order(self, message_id: int) -> AsyncIterator[Callable[[], Awaitable[None]]]:
        """One event of a reply (its reading, then its answer), answered after the reply's
        events before it: the block gets a wait for their answers to be given, to await before
        its own, so that the reader's answers follow one another as the events did (a ✅ an edit
        takes away is taken away after it was given; a deleted reply's answers are looked for
        once given). Entered before the event's first wait, so in the order Discord sent the
        events. An event is done only once those before it are, whether or not it answered:
        one that ends with no answer still holds the next back until the earlier answers are
        given."""
        earlier = self._answering.get(message_id)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._answering[message_id] = done

        async def after_earlier() -> None:
            if earlier is not None:
                await asyncio.wait([earlier])  # not cancelling it when this one is cancelled

        def finish(_: object = None) -> None:
            if not done.done():
                done.set_result(None)
            if self._answering.get(message_id) is done:
                del self._answering[message_id]

        try:
            yield after_earlier
        finally:
            if earlier is None or earlier.done():
                finish()
            else:
                earlier.add_done_callback(finish)

    def _may_be_section_thread(self, channel: object) -> bool:
        """Whether a channel is one of newsbot's section threads as far as can be told without
        the archive: one known to be, or a thread newsbot started."""
        me = self.bot.user
        return self._threads.get(getattr(channel, "id", 0)) is not None or (
            isinstance(channel, discord.Thread) and me is not None and channel.owner_id == me.id
        )

    def _mark_unrecorded(self, message_id: int) -> None:
        """A reply whose last reading the archive does not have all of: its edit is read
        against what the archive last recorded, not the reply as it was."""
        self._unrecorded[message_id] = None
        self._unrecorded.move_to_end(message_id)
        if len(self._unrecorded) > UNRECORDED_KEPT:
            self._unrecorded.popitem(last=False)

    def _not_recorded(
        self, message: discord.Message, guild_id: int, reason: BaseException
    ) -> Answering | None:
        """A reply (or its edit) that could not be recorded (see `_mark_unrecorded`): what
        tells the reader so, in a message once a window (see `RecentAnswers`), else with a ❌;
        never with a ✅. None when newsbot's own error stopped it, not the archive nor the
        queue: that is logged for its operators, and not told to the reader as an outage."""
        self._mark_unrecorded(message.id)
        where = (message.author.id, message.channel.id, message.id)
        if not isinstance(reason, _Busy) and not failed_under(reason):
            log.error("a reply could not be read (user %s, channel %s, message %s)", *where,
                      exc_info=reason)  # fmt: skip
            return None
        log.warning("a suggestion was not recorded (user %s, channel %s, message %s): %s",
                    *where, reason)  # fmt: skip

        async def answer() -> None:
            try:
                await self._tell(message, guild_id, {NOT_RECORDED_TOPIC}, NOT_RECORDED)
            except Exception as exc:
                log.warning(
                    "could not tell a reader in channel %s their suggestion was not recorded: %s",
                    message.channel.id,
                    exc,
                )

        return answer

    # --- titles ----------------------------------------------------------------------------

    def _fetch_titles(self, results: Sequence[Result]) -> None:
        """Fetch the titles of new suggestions in the background, when that is turned on."""
        if not self.settings.fetch_titles:
            return
        for result in results:
            if result.outcome is Outcome.ADDED and result.suggestion is not None:
                self.titles.add(result.suggestion.id, result.url)
