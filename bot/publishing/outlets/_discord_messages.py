"""What newsbot's Discord messages are made of: a step's payload as the message Discord takes,
what identifies a message newsbot posted (to find it again), and the kinds of channel."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import partial
from typing import Any

from discord.http import HTTPClient, MultipartParameters
from discord.utils import time_snowflake

from bot.models import OutboxEntry
from bot.publishing.outlet import Lookup, SetupNeeded
from bot.publishing.outlets._discord_failures import lacks
from bot.publishing.outlets._discord_permissions import channel_permissions
from bot.publishing.plans.discord import Action, ChannelKind
from bot.publishing.steps import Payload

KINDS: dict[int, ChannelKind] = {0: "text", 5: "announcement", 15: "forum", 16: "forum"}
"""Channel types newsbot posts in. A media channel (16) is published to as a forum: its threads
"behave in the same way as in forum channels" (Discord's threads topic, "Media Channels")."""
MESSAGE_KEYS = ("content", "embeds", "allowed_mentions", "components")
ARCHIVED_PAGE = 100
"""Archived threads asked for at once: the most List Public Archived Threads gives."""
log = logging.getLogger(__name__)

ARCHIVED_PAGES = 10
"""Pages of a channel's archived threads looked through for one an interrupted attempt made."""
RECOVER_LOOKBACK = 50
"""Recent messages of a channel read to find one an interrupted attempt posted, when no time
to read back to is known (its digest is among the latest)."""
MESSAGE_PAGE = 100
"""Messages asked for at once: the most Get Channel Messages gives."""
MESSAGE_PAGES = 20
"""Pages of messages read at most, oldest first, to find one newsbot posted since a time."""


def kind_in(ledger: Mapping[str, OutboxEntry]) -> ChannelKind:
    """The kind of channel an issue's steps were published to: forum posts are made only in a
    forum, a crosspost is planned only in an announcement channel."""
    actions = {entry.action for entry in ledger.values()}
    if Action.POST in actions:
        return "forum"
    return "announcement" if Action.CROSSPOST in actions else "text"


def fingerprint(message: Mapping[str, Any]) -> tuple[object, ...]:
    """What identifies a message newsbot posted: its text and its embeds' text."""
    embeds = tuple(
        (
            embed.get("title"),
            embed.get("description"),
            tuple((f.get("name"), f.get("value")) for f in embed.get("fields", [])),
        )
        for embed in message.get("embeds") or []
    )
    return (message.get("content") or "", embeds)


def message_body(payload: Payload) -> dict[str, Any]:
    """The message a payload holds, as Discord's Create and Edit Message take it."""
    return {key: payload[key] for key in MESSAGE_KEYS if key in payload}


def json_params(payload: dict[str, Any]) -> MultipartParameters:
    """A JSON body as discord.py's HTTP client sends one (no files)."""
    return MultipartParameters(payload=payload, multipart=None, files=None)


def own_thread(
    threads: Iterable[Mapping[str, Any]], channel: int, name: str, me: int | None
) -> int | None:
    """The id of the bot's (`me`'s) thread in `channel` named `name`, among `threads`."""
    for thread in threads:
        if (
            thread.get("parent_id") == str(channel)
            and thread.get("name") == name
            and (me is None or thread.get("owner_id") == str(me))
        ):
            return int(thread["id"])
    return None


async def archived_thread(
    call: Callable[..., Awaitable[Any]],
    http: HTTPClient,
    channel: int,
    name: str,
    me: int | None,
) -> int | Lookup | None:
    """The id of the bot's thread named `name` among `channel`'s archived ones, if any; else
    `Lookup.NOT_MADE` when all were read, None when there are more than are read.

    Discord lists them most recently archived first, a page at a time (List Public Archived
    Threads), so a thread archived before many others is on a later page: pages are read,
    each through `call` (the outlet's, as a lookup), until it is found or none are left.
    """
    before: str | None = None
    for _ in range(ARCHIVED_PAGES):
        page = await call(
            "list the archived threads",
            partial(http.get_public_archived_threads, channel, before=before, limit=ARCHIVED_PAGE),
            lookup=True,
        )
        threads = page.get("threads", [])
        found = own_thread(threads, channel, name, me)
        if found is not None:
            return found
        if not page.get("has_more") or not threads:
            return Lookup.NOT_MADE
        before = threads[-1]["thread_metadata"]["archive_timestamp"]
    log.warning(
        "channel %s: no thread %r among its %d most recently archived: it is made again",
        channel,
        name,
        ARCHIVED_PAGES * ARCHIVED_PAGE,
    )
    return None


async def find_message(
    call: Callable[..., Awaitable[Any]],
    http: HTTPClient,
    where: int,
    after: int | None,
    body: Mapping[str, Any],
    me: int | None,
    *,
    channel: int,
) -> int | Lookup | None:
    """The id of the bot's (`me`'s) message like `body` in `where` (`channel`, or a thread of
    it), read through `call` (the outlet's, as a lookup): among those after the id `after`,
    oldest first a page at a time (`Lookup.NOT_MADE` when all were read, none like it; None
    past `MESSAGE_PAGES` pages); with no `after`, among the latest `RECOVER_LOOKBACK` (None).

    Given `after`, Get Channel Messages answers the page of messages just after it (newest
    first in the page), so however many came later, the oldest are read first. It answers no
    messages at all to a bot without Read Message History: nothing read is taken for "not
    made" only where the bot may read them (`SetupNeeded`, naming it, where it may not)."""
    if after is None:
        recent = await call(
            "read the recent messages",
            partial(http.logs_from, where, RECOVER_LOOKBACK),
            lookup=True,
        )
        return _mine_like(recent, body, me)
    for read in range(MESSAGE_PAGES):
        page = await call(
            "read the messages",
            partial(http.logs_from, where, MESSAGE_PAGE, after=after),
            lookup=True,
        )
        found = _mine_like(page, body, me)
        if found is not None:
            return found
        if len(page) < MESSAGE_PAGE:
            if read or page:  # messages were read: the bot may read them
                return Lookup.NOT_MADE
            return await _none_to_read(call, http, channel, me)
        after = max(int(message["id"]) for message in page)
    log.warning("%s: more than %d messages to look through", where, MESSAGE_PAGES * MESSAGE_PAGE)
    return None


async def _none_to_read(
    call: Callable[..., Awaitable[Any]], http: HTTPClient, channel: int, me: int | None
) -> Lookup | None:
    """What no messages read in `channel` (or a thread of it) tell: none there to find
    (`Lookup.NOT_MADE`) if the bot (`me`) may read them; `SetupNeeded` naming Read Message
    History if it may not, rather than the step made again blind (and, after a restore,
    every later step too); None (not known) if who the bot is is not known."""
    if me is None:
        return None
    if not (await channel_permissions(call, http, channel, me)).read_message_history:
        raise SetupNeeded(lacks("Read Message History", channel).reason)
    return Lookup.NOT_MADE


def snowflake_at(time: dt.datetime) -> int:
    """The lowest id Discord could give at `time`: messages after it have higher ids."""
    return int(time_snowflake(time, high=False))


def _mine_like(
    messages: Iterable[Mapping[str, Any]], body: Mapping[str, Any], me: int | None
) -> int | None:
    """The id of the bot's (`me`'s) message like `body` among `messages`, if any."""
    wanted = fingerprint(body)
    for message in messages:
        mine = me is None or message.get("author", {}).get("id") == str(me)
        if mine and fingerprint(message) == wanted:
            return int(message["id"])
    return None
