"""The Discord outlet: the engine's steps as discord.py REST calls.

Calls go through the client's `http` (discord.py's own rate-limit buckets and retries), so the
same outlet works in the running bot and in `newsbot publish`, which logs in over REST only.
Messages carry a nonce derived from their step key with `enforce_nonce`, so a send repeated
after a crash returns the first message; threads and forum posts, which have no nonce, are
looked up by name among the channel's active threads before they are created again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any, TypeVar

import aiohttp
import discord

from bot.models import Issue, OutboxEntry
from bot.publishing.outlet import Lookup, Outcome, Remote, SetupNeeded, StepError
from bot.publishing.outlets._discord_failures import (
    MISSING_ACCESS,
    OUT_OF_REACH,
    THREAD_ARCHIVED,
    THREAD_LOCKED,
    channel_gone,
    deleted,
    failure,
    lacking,
    locked_thread,
    missing_access,
    parent_gone,
    removal_failure,
    unlisted,
    vanished,
)
from bot.publishing.outlets._discord_messages import (
    KINDS,
    archived_thread,
    find_message,
    json_params,
    kind_in,
    message_body,
    own_thread,
    snowflake_at,
)
from bot.publishing.outlets.discord_client import Budget, making, rate_limited
from bot.publishing.pacer import Pacer
from bot.publishing.plans.discord import (
    Action,
    ForumTags,
    Target,
    plan,
    step_nonce,
)
from bot.publishing.steps import Payload, Step
from bot.render.discord import CONTENT_MAX
from bot.render.publish import Post
from bot.text import shorten

log = logging.getLogger(__name__)
T = TypeVar("T")
Client = discord.Client
Subscribed = Callable[[], Awaitable[list[Target]]]

ALREADY_CROSSPOSTED = 40033
REQUIRE_TAG = 1 << 4
"""Channel flag: every post in the forum must carry one of its tags."""
ALERT_TIMEOUT = 10.0
"""Seconds an alert may take to post; it is only logged when it cannot be."""


class DiscordOutlet:
    """Posts, edits and removes the steps of a publish on Discord through a discord.py client.

    Without a client it still plans and previews (a dry run needs no token); any call to
    Discord then fails.
    """

    name = "discord"
    title = "Discord"
    edits = True
    outcomes: tuple[Outcome, ...] = (
        Outcome.POSTED,
        Outcome.RECOVERED,
        Outcome.EDITED,
        Outcome.UNCHANGED,
        Outcome.REMOVED,
    )
    daily_cap: int | None = None
    alert_timeout = ALERT_TIMEOUT
    nowhere = (
        "no channel receives issues yet: run /newsletter setup in your server, or declare "
        "discord.targets in the config file"
    )

    def __init__(
        self,
        client: discord.Client | None,
        *,
        pacer: Pacer | None = None,
        subscribed: Subscribed | None = None,
        step_timeout: float | None = None,
    ) -> None:
        self.client = client
        self.pacer = pacer or Pacer()
        self.subscribed = subscribed
        # A step failing for `step_timeout` seconds (5xx, no answer) is given up until the
        # next publish (`discord_client.Budget`); None: only the engine's retries bound it.
        self.budget = Budget(step_timeout)
        self._tags: dict[int, ForumTags] = {}

    # --- the engine's calls -----------------------------------------------------------------

    async def targets(self) -> list[Target]:
        """Every channel that receives issues (set up with /newsletter, or declared)."""
        return await self.subscribed() if self.subscribed is not None else []

    def plan(
        self,
        issue: Issue,
        target: Target,
        ledger: Mapping[str, OutboxEntry],
        thanks: Mapping[str, Post],
    ) -> Sequence[Step[Target]]:
        """The threads, messages, forum posts and crosspost of `issue` in the target's channel;
        a channel whose kind is unknown (a dry run without a token) is planned as the ledger's
        steps show it was published to, else as a text channel."""
        if target.kind is None:
            target = replace(target, kind=kind_in(ledger))
        return plan(issue, [target], thanks)

    def where(self, target: Target) -> str:
        """`channel 42`."""
        return f"channel {target.channel_id}"

    def mention(self, target: Target) -> str:
        """`in <#42>`: Discord shows the channel's name."""
        return f"in <#{target.channel_id}>"

    def note(self, step: Step[Target]) -> str | None:
        """Nothing: every step is made the one way."""
        return None

    async def resolve(self, target: Target) -> Target:
        """The target with its kind read from Discord, unless known; a forum's tags read
        afresh, and `SetupNeeded` if it requires a tag the digest cannot be given. Without a
        client (a dry run without a token), as it is."""
        if target.kind not in (None, "forum") or self.client is None:
            return target
        try:
            data = await self._raw(lambda: self.http.get_channel(target.channel_id))
        except discord.NotFound as exc:
            raise channel_gone(target) from exc
        except discord.Forbidden as exc:  # no View Channel, or out of the server
            raise await missing_access(target, self._guilds_after) from exc
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as exc:
            raise failure(exc, "read the channel") from exc
        kind = target.kind or KINDS.get(int(data["type"]))
        if kind is None:
            raise StepError("it is not a text, announcement, forum or media channel")
        if kind == "forum":
            tags = self._remember_tags(target.channel_id, data)
            lacking = tags.lacking()
            if lacking is not None:
                # Refused before any post: sections alone would leave it half published.
                raise SetupNeeded(f"the forum #{data.get('name', target.channel_id)} {lacking}")
        return replace(target, kind=kind)

    async def create(self, step: Step[Target], payload: Payload, ids: Mapping[str, int]) -> Remote:
        """Make the step's thread, message, forum post or crosspost, sent once (`making`); a
        lacking permission is named in the failure, `made_nothing` only of Discord's refusal."""
        try:
            with making():
                return await self._create(step, payload, ids)
        except StepError as exc:
            cause = exc.__cause__
            named = lacking(step, payload, cause) or vanished(step, cause)
            named = named or parent_gone(step, cause)
            if named is None:
                raise
            if getattr(cause, "code", None) == MISSING_ACCESS:
                named = await missing_access(step.target, self._guilds_after)
            named.made_nothing = exc.made_nothing
            raise named from cause

    async def _create(self, step: Step[Target], payload: Payload, ids: Mapping[str, int]) -> Remote:
        channel = step.target.channel_id
        parent = ids.get(step.parent) if step.parent else None
        if step.action == Action.THREAD:
            data = await self._call(
                "start a thread",
                lambda: self.http.start_thread_without_message(
                    channel,
                    name=payload["name"],
                    auto_archive_duration=payload["auto_archive_duration"],
                    type=payload["type"],
                ),
            )
            return Remote(int(data["id"]), channel)
        if step.action == Action.MESSAGE:
            where = parent if parent is not None else channel
            body = {
                **message_body(payload),
                "nonce": step_nonce(step.key),
                "enforce_nonce": True,
                "tts": False,
            }
            send = partial(self.http.send_message, where, params=json_params(body))
            # In a thread a moderator locked: refused in words the managers can act on.
            forum = step.target.kind == "forum"
            sent = await self._call("send a message", send, thread=parent, post=forum)
            return Remote(int(sent["id"]), where)
        if step.action == Action.POST:
            tags = await self._tag_ids(channel, payload.get("tags", []))
            body = {
                "name": payload["name"],
                "auto_archive_duration": payload["auto_archive_duration"],
                "applied_tags": tags,
                "message": message_body(payload["message"]),
            }
            post = await self._call(
                "create a forum post",
                lambda: self.http.start_thread_in_forum(channel, params=json_params(body)),
            )
            return Remote(int(post["id"]), channel)
        assert step.action == Action.CROSSPOST and parent is not None
        await self._crosspost(channel, parent)
        return Remote(parent, channel)

    async def recover(
        self,
        step: Step[Target],
        payload: Payload,
        ids: Mapping[str, int],
        *,
        since: dt.datetime | None = None,
    ) -> Remote | Lookup | None:
        """What an earlier attempt made, if it made anything: a thread or forum post found by
        name, a message found in its thread (read from its start: newsbot's messages are its
        first), or in its channel since `since` (unknown: among the latest).

        A message's nonce also returns the first one, but only within Discord's few minutes; a
        restart later than that relies on the lookup. A crosspost repeated is answered "already
        crossposted", which counts as done. Where it was tried, deleted since, is named: the
        thread (made again, the message with it), or the channel itself.
        """
        try:
            return await self._recover(step, payload, ids, since)
        except StepError as exc:
            cause = exc.__cause__
            if getattr(cause, "code", None) in OUT_OF_REACH:  # the server's threads too
                raise await missing_access(step.target, self._guilds_after) from cause
            named = parent_gone(step, cause) or vanished(step, cause) or unlisted(step, cause)
            raise named or exc from cause

    async def _recover(
        self,
        step: Step[Target],
        payload: Payload,
        ids: Mapping[str, int],
        since: dt.datetime | None,
    ) -> Remote | Lookup | None:
        if step.action == Action.MESSAGE:
            parent = ids.get(step.parent) if step.parent else None
            return await self._recover_message(step, payload, parent, since)
        if step.action not in (Action.THREAD, Action.POST):
            return None
        channel = step.target.channel_id
        me = self.client.user.id if self.client and self.client.user else None
        active = await self._call(
            "list the active threads",
            lambda: self.http.get_active_threads(step.target.guild_id),
            lookup=True,
        )
        threads = active.get("threads", [])
        found: int | Lookup | None = own_thread(threads, channel, payload["name"], me)
        if found is None:
            # Discord archives a quiet thread after its auto_archive_duration: a restart after
            # that finds it among the channel's archived ones.
            found = await archived_thread(self._call, self.http, channel, payload["name"], me)
        if not isinstance(found, int):
            return found
        log.info("found thread %s from an interrupted attempt at %s", found, step.key)
        return Remote(found, channel)

    async def _recover_message(
        self, step: Step[Target], payload: Payload, parent: int | None, since: dt.datetime | None
    ) -> Remote | Lookup | None:
        channel = step.target.channel_id
        where = parent if parent is not None else channel
        me = self.client.user.id if self.client and self.client.user else None
        # A forum post's first message has the thread's id: read from just before it.
        after = parent - 1 if parent is not None else None if since is None else snowflake_at(since)
        body = message_body(payload)
        found = await find_message(self._call, self.http, where, after, body, me, channel=channel)
        if not isinstance(found, int):
            return found
        log.info("found message %s from an interrupted attempt at %s", found, step.key)
        return Remote(found, where)

    async def edit(self, step: Step[Target], payload: Payload, entry: OutboxEntry) -> None:
        """Bring what the step posted in line with `payload` (a corrected issue); `Gone` when it
        (or the thread it is in) was deleted on Discord, to be made again."""
        try:
            await self._edit(step, payload, entry)
        except StepError as exc:
            if isinstance(exc.__cause__, discord.NotFound):
                raise deleted(step, exc.__cause__) from exc.__cause__
            raise

    async def _edit(self, step: Step[Target], payload: Payload, entry: OutboxEntry) -> None:
        remote = int(entry.remote_id or 0)
        location = int(entry.location_id or step.target.channel_id)
        post = step.target.kind == "forum"
        if step.action == Action.MESSAGE:
            body = message_body(payload)
            edit = partial(self.http.edit_message, location, remote, params=json_params(body))
            await self._call("edit a message", edit, thread=location, post=post)
        elif step.action == Action.THREAD:
            rename = partial(self.http.edit_channel, remote, name=payload["name"])
            await self._call("rename a thread", rename, thread=remote)
        elif step.action == Action.POST:
            body = message_body(payload["message"])
            # A forum post's first message has the post's id.
            edit = partial(self.http.edit_message, remote, remote, params=json_params(body))
            await self._call("edit a forum post", edit, thread=remote, post=True)
            tags = await self._tag_ids(step.target.channel_id, payload.get("tags", []))
            await self._call(
                "rename a forum post",
                lambda: self.http.edit_channel(remote, name=payload["name"], applied_tags=tags),
                thread=remote,
                post=True,
            )

    async def remove(self, entry: OutboxEntry) -> bool:
        """Delete a message, thread or forum post that the issue no longer has (a crosspost
        has nothing of its own to delete)."""
        remote = int(entry.remote_id or 0)
        try:
            if entry.action == Action.MESSAGE:
                location = int(entry.location_id or 0)
                gone = "remove a message the issue no longer has"
                await self._in_thread(
                    gone, location, lambda: self.http.delete_message(location, remote)
                )
            elif entry.action in (Action.THREAD, Action.POST):
                await self._raw(lambda: self.http.delete_channel(remote))
            else:
                return False
        except discord.NotFound:
            log.info("%s was already gone", entry.key)
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as exc:
            raise removal_failure(entry, exc) from exc
        return True

    async def alert(self, channel: int, text: str, about: int) -> None:
        """Post `text` in the alerts channel `channel`; failures are only logged. `about` (the
        channel the alert is about, or the alerts channel) keeps its nonce apart."""
        body = {
            "content": shorten(text, CONTENT_MAX),
            "allowed_mentions": {"parse": []},
            "nonce": step_nonce(f"alert:{about}:{text}"),
            "enforce_nonce": True,
        }
        try:
            # Told after a failure, often while Discord fails: not worth discord.py's five tries
            # of a 5xx (~25 s) before the publish goes on. A send cut short and repeated later
            # is the same alert (its nonce).
            async with asyncio.timeout(self.alert_timeout):
                await self._raw(lambda: self.http.send_message(channel, params=json_params(body)))
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError, StepError) as exc:
            log.warning("could not post an alert in channel %s: %s", channel, exc)

    # --- helpers ----------------------------------------------------------------------------

    @property
    def http(self) -> discord.http.HTTPClient:
        """discord.py's REST client of the logged-in bot."""
        if self.client is None:
            raise StepError("Discord is not connected (set NEWSBOT_DISCORD__TOKEN)")
        return self.client.http

    async def _raw(self, call: Callable[[], Awaitable[T]], what: str = "call Discord") -> T:
        try:
            if self.pacer.traced:  # the client's requests are paced as they are sent
                return await call()
            async with self.pacer.request():
                return await call()
        except discord.RateLimited as exc:  # longer than the client's max_ratelimit_timeout
            raise rate_limited(exc, what) from exc

    async def _call(
        self,
        what: str,
        call: Callable[[], Awaitable[T]],
        *,
        thread: int | None = None,
        post: bool = False,
        lookup: bool = False,
    ) -> T:
        """Make one call of a step, a failure in words; with `thread`, a change there (see
        `_in_thread`). `lookup`s (looking for what an attempt made) do not end the step's run
        of failures (`Budget`)."""
        self.budget.check()
        began = self.budget.start()
        try:
            async with asyncio.timeout_at(self.budget.deadline()):
                if thread is not None:
                    result = await self._in_thread(what, thread, call, post=post)
                else:
                    result = await self._raw(call, what)
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as exc:
            error = failure(exc, what)
            self.budget.failed(began, error.reason)
            if isinstance(exc, TimeoutError):
                # Cut short at the deadline: the step's time is up, its last try this one,
                # whose request may have reached Discord (the give-up may have made it).
                self.budget.check()
            raise error from exc
        if not lookup:
            self.budget.succeeded()
        return result

    async def _in_thread(
        self, what: str, where: int, call: Callable[[], Awaitable[T]], *, post: bool = False
    ) -> T:
        """`call`, a change in channel or thread `where`; a thread Discord archived is unarchived
        (its creator may, unless a moderator locked it) and the call made once more, so an
        active thread costs no extra call. A locked thread fails in words the editors can act
        on; other failures are raised as they come."""
        try:
            return await self._raw(call, what)
        except discord.HTTPException as exc:
            if exc.code == THREAD_LOCKED:
                raise await self._locked(what, where, exc, post=post) from exc
            if exc.code != THREAD_ARCHIVED:
                raise
        log.info("thread %s is archived: unarchiving it to %s", where, what)
        try:
            await self._raw(lambda: self.http.edit_channel(where, archived=False))
        except discord.HTTPException as exc:
            raise await self._locked(what, where, exc, post=post) from exc
        try:
            return await self._raw(call, what)
        except discord.HTTPException as exc:
            if exc.code == THREAD_LOCKED:
                raise await self._locked(what, where, exc, post=post) from exc
            raise

    async def _locked(
        self, what: str, thread: int, exc: discord.HTTPException, *, post: bool
    ) -> StepError:
        """Why Discord refused a change to `thread`: a moderator locked it (said so, with what
        to do), else the failure as `_call` tells it."""
        try:
            data: Any = await self._raw(lambda: self.http.get_channel(thread))
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError):
            data = {}
        return locked_thread(what, thread, exc, data, post=post)

    async def _crosspost(self, channel: int, message: int) -> None:
        try:
            await self._raw(
                lambda: self.http.publish_message(channel, message), "crosspost the digest"
            )
        except discord.HTTPException as exc:
            if exc.code == ALREADY_CROSSPOSTED:
                return
            raise failure(exc, "crosspost the digest") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise failure(exc, "crosspost the digest") from exc

    async def _guilds_after(self, guild: int) -> Any:
        return await self._raw(lambda: self.http.get_guilds(1, after=guild, with_counts=False))

    def _remember_tags(self, channel: int, data: Any) -> ForumTags:
        listed = data.get("available_tags") or []
        tags = ForumTags.of(
            ((str(t["name"]), int(t["id"]), bool(t.get("moderated"))) for t in listed),
            required=bool(int(data.get("flags") or 0) & REQUIRE_TAG),
        )
        self._tags[channel] = tags
        return tags

    async def _tag_ids(self, forum: int, names: list[str]) -> list[str]:
        """The ids of the tags a post named by `names` gets in the forum (`ForumTags.applied`),
        as strings: Discord's API takes snowflakes in a body as strings."""
        if forum not in self._tags:
            data = await self._call("read the forum", lambda: self.http.get_channel(forum))
            self._remember_tags(forum, data)
        return [str(tag) for tag in self._tags[forum].applied(names)]
