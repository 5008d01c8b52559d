"""The Bluesky outlet: an issue's thread as engine steps, posted through atproto's `AsyncClient`.

Each post is a step keyed `202/bluesky/post/3` (the lead is post 1); a reply carries
`reply.root` (the lead) and `reply.parent` (the post before) as strong references, both from
the ledger (`RecordRef`). Bluesky has no idempotency key: an interrupted post is looked for among
the account's recent records before it is posted again. Posts are not edited: one already sent
stays as it is. A post of an unfinished thread deleted on Bluesky is made again before the next
one replies to it (the PDS would take the reply, which the app would show cut off); when it is
the first post, the replies already sent are deleted and made again under the new one.

The session: newsbot logs in once (with the app password), on the first call; atproto's client
refreshes the session before its access token expires, and a token the PDS calls expired all the
same is refreshed here. A refresh token refused in turn means logging in again; nothing logs in
per post (Bluesky rate-limits logins hard).

Failures: a 400 on a post (the PDS's lexicon check) stops the thread with the PDS's one-line
reason; a 429 is waited out from its `ratelimit-reset` up to `max_wait`, else the rest waits for a
later publish; a 5xx on a write may have made the post, so it is looked for before trying again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from atproto import AsyncClient
from atproto_client.exceptions import (
    BadRequestError,
    LoginRequiredError,
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
    UnauthorizedError,
)

from bot.errors import NewsbotError
from bot.models import Issue, OutboxEntry
from bot.publishing.outlet import Gone, Lookup, MaybeMade, Outcome, Remote, StepError
from bot.publishing.outlets._threads import SINCE_PAGES, ThreadOutlet, look_through, warn_unfound
from bot.publishing.plans._threads import as_posted
from bot.publishing.plans.bluesky import (
    ACCOUNT,
    COLLECTION,
    OUTLET,
    Account,
    Action,
    RecordRef,
    plan,
)
from bot.publishing.reports import PlannedStep
from bot.publishing.steps import Payload, Step
from bot.render.bluesky import as_shown
from bot.render.publish import Post
from bot.render.social import Thread
from bot.settings import BlueskySettings

log = logging.getLogger(__name__)

EXPIRED = ("ExpiredToken", "InvalidToken")
"""The PDS's answers to a session token it no longer takes."""


class BlueskyOutlet(ThreadOutlet[BlueskySettings, Account]):
    """Posts on one Bluesky account through atproto's `AsyncClient`.

    Without a client it still plans and previews (a dry run needs no password).
    """

    name = OUTLET
    title = "Bluesky"
    nowhere = "Bluesky has no account to post on"

    def __init__(
        self,
        client: AsyncClient | None,
        settings: BlueskySettings,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(settings, sleep=sleep)
        self._client = client
        self._did: str | None = None
        self._login = asyncio.Lock()
        self._made: dict[str, str | None] = {}
        """The posts made or found in this publish (known to exist), by record key: the record
        key of the first post each replies in, None for a first post."""

    @property
    def client(self) -> AsyncClient:
        """atproto's client for the account."""
        if self._client is None:
            raise StepError("Bluesky is not connected (set NEWSBOT_BLUESKY__APP_PASSWORD)")
        return self._client

    # --- the engine's calls -----------------------------------------------------------------

    async def targets(self) -> list[Account]:
        """The account."""
        return [ACCOUNT]

    def plan(
        self,
        issue: Issue,
        target: Account,
        ledger: Mapping[str, OutboxEntry],
        thanks: Mapping[str, Post],
    ) -> Sequence[Step[Account]]:
        """The issue's thread: the lead, then replies. A new publish: the posts made before it
        may have been deleted since, and are looked for before a reply names them."""
        self._made.clear()
        _, steps = plan(issue, self.settings)
        return as_posted(steps, ledger)

    async def create(self, step: Step[Account], payload: Payload, ids: Mapping[str, int]) -> Remote:
        """Post the step's text and link facets: the lead, or a reply in its thread."""
        did = await self.did()
        record: dict[str, Any] = {
            "$type": COLLECTION,
            "text": payload["text"],
            "createdAt": _now(),
        }
        if payload["facets"]:
            record["facets"] = payload["facets"]
        reply = _reply(step, ids, did)
        if reply is not None:
            await self._still_there(step, ids)
            record["reply"] = reply
        data = {"repo": did, "collection": COLLECTION, "record": record}
        made = await self._call(
            f"post {step.key}", lambda: self.client.com.atproto.repo.create_record(data), write=True
        )
        ref = RecordRef(made.uri.rsplit("/", 1)[1], made.cid)
        self._made[ref.rkey] = _root(record)
        return Remote(ref.to_id())

    async def _still_there(self, step: Step[Account], ids: Mapping[str, int]) -> None:
        """`Gone` if the post a reply names as its root or parent was deleted on Bluesky since
        it was made: the PDS would take the reply, and the app show it cut off from the thread
        (the AppView's invalid reply root), so that post is made again first.

        A parent replying to another first post than the reply's (one deleted on Bluesky, and
        made again since) is deleted and made again too: replies naming different roots are
        cut off the same way. Parent after parent, the whole thread follows its new first post,
        and none of the old replies is left hanging under the deleted one."""
        lead = step.needs[0] if step.needs else None
        if lead is None or step.parent is None:
            return
        root = RecordRef.from_id(ids[lead]).rkey
        await self._root_of(lead, root)
        if step.parent == lead:
            return
        parent = RecordRef.from_id(ids[step.parent]).rkey
        if await self._root_of(step.parent, parent) != root:
            await self._delete(parent)
            self._made.pop(parent, None)
            raise Gone(f"{step.parent} replied to a first post deleted on Bluesky", key=step.parent)

    async def _root_of(self, key: str, rkey: str) -> str | None:
        """The record key of the first post that the account's post at `rkey` (step `key`)
        replies in, None for a first post; `Gone` if it was deleted on Bluesky."""
        if rkey in self._made:
            return self._made[rkey]
        query = {"repo": await self.did(), "collection": COLLECTION, "rkey": rkey}
        try:
            found = await self._call(
                f"read {key}", lambda: self.client.com.atproto.repo.get_record(query)
            )
        except StepError as exc:
            cause = exc.__cause__
            if isinstance(cause, BadRequestError) and _error(cause) == "RecordNotFound":
                raise Gone(f"{key} was deleted on Bluesky", key=key) from exc
            raise
        self._made[rkey] = _root(_plain(found.value))
        return self._made[rkey]

    async def recover(
        self,
        step: Step[Account],
        payload: Payload,
        ids: Mapping[str, int],
        *,
        since: dt.datetime | None = None,
    ) -> Remote | Lookup | None:
        """The post an interrupted attempt made, found among the account's recent records: the
        same text, replying to the same parent (or to nothing, for the lead). With `since`,
        the records made since then: the PDS lists them newest first by record key, a TID that
        holds its time, so the first one older than `since` ends a read of all of them (up to
        `SINCE_PAGES` pages), which shows the post surely not made."""
        did = await self.did()
        reply = _reply(step, ids, did)
        parent = reply["parent"]["uri"] if reply else None
        oldest = None if since is None else RecordRef.tid_at(since)

        async def page(cursor: str | None) -> tuple[list[Any], str | None]:
            query = {"repo": did, "collection": COLLECTION, "limit": 100}
            if cursor:
                query["cursor"] = cursor
            records = await self._call(
                "read the account's recent posts",
                lambda: self.client.com.atproto.repo.list_records(query),
            )
            listed = records.records
            if oldest is not None:
                newer = [r for r in listed if r.uri.rsplit("/", 1)[1] >= oldest]
                if len(newer) < len(listed):
                    return newer, None  # the rest was made before `since`
            return listed, (records.cursor or None) if listed else None

        def match(record: Any) -> Remote | None:
            rkey = record.uri.rsplit("/", 1)[1]
            value = _plain(record.value)
            replied = (value.get("reply") or {}).get("parent", {}).get("uri")
            same = value.get("text") == payload["text"] and replied == parent
            return (
                Remote(RecordRef(rkey, record.cid).to_id())
                if same and RecordRef.is_tid(rkey)
                else None
            )

        if since is None:
            return await look_through(page, match)
        found = await look_through(page, match, pages=SINCE_PAGES)
        if found is None:
            warn_unfound(self.title, step.key, since, SINCE_PAGES)
        return found

    async def edit(self, step: Step[Account], payload: Payload, entry: OutboxEntry) -> None:
        """Bluesky posts are not edited (the engine never asks: `edits` is False)."""
        raise StepError("Bluesky posts are not edited")

    async def remove(self, entry: OutboxEntry) -> bool:
        """Delete a post; one already gone counts as done."""
        await self._delete(RecordRef.from_id(int(entry.remote_id or 0)).rkey)
        return True

    async def _delete(self, rkey: str) -> None:
        """Delete the account's post at `rkey` (the PDS takes a deletion of one already gone)."""
        data = {"repo": await self.did(), "collection": COLLECTION, "rkey": rkey}
        await self._call(
            "delete a post", lambda: self.client.com.atproto.repo.delete_record(data), write=True
        )

    def note(self, step: Step[Account]) -> str | None:
        """Nothing: every post is made one way."""
        return None

    # --- previews ---------------------------------------------------------------------------

    def rendered(self, issue: Issue) -> Thread:
        """The issue's thread on Bluesky, each post's text as the app shows it (URLs short)."""
        rendered, _ = plan(issue, self.settings)
        return as_shown(rendered)

    def does(self, planned: PlannedStep) -> str:
        """What publishing would do with one post, in words."""
        if planned.outcome == Outcome.UNCHANGED:
            return self.already(planned, not_edited="posts are not edited")
        does = "post the first post" if planned.step.action == Action.POST else "post a reply"
        return self.looking_first(planned, does)

    # --- the session and the calls ----------------------------------------------------------

    async def did(self) -> str:
        """The account's DID, logging in if no session is open yet (once)."""
        async with self._login:
            if self._did is None:
                await self._log_in()
        assert self._did is not None
        return self._did

    async def _log_in(self) -> None:
        password = self.settings.app_password
        secret = password.get_secret_value().strip() if password else ""
        try:
            await self.client.login(self.settings.handle, secret, fetch_bsky_profile=False)
        except UnauthorizedError as exc:
            refused = f"Bluesky refused the login of {self.settings.handle}: {exc}"
            raise StepError(refused, made_nothing=True) from exc
        except (RequestErrorBase, LoginRequiredError) as exc:
            raise _failure("log in", exc, write=False) from exc
        self._did = self.client.me.did if self.client.me else self.client._session.did
        log.info("logged in to Bluesky as %s", self.settings.handle)

    async def _renew(self) -> None:
        """A new access token: refreshed with the refresh token, or by logging in again if the
        PDS refuses that one too."""
        async with self._login:
            try:
                # atproto refreshes by itself only before the expiry it reads in the token.
                await self.client._refresh_and_set_session()
                log.info("refreshed the Bluesky session")
            except (BadRequestError, UnauthorizedError, LoginRequiredError):
                await self._log_in()

    async def _call(
        self, what: str, call: Callable[[], Awaitable[Any]], *, write: bool = False
    ) -> Any:
        """Run one request; renew an expired session once, wait out a short rate limit; turn
        failures into `StepError`s."""
        renewed = False
        waited = 0
        while True:
            try:
                return await call()
            except RateLimitExceededError as exc:
                reset = exc.reset_at.timestamp() if exc.reset_at is not None else None
                wait = (reset - time.time() + 1) if reset is not None else exc.retry_after
                await self.wait_out(
                    exc,
                    what,
                    limit="rate limit",
                    wait=wait,
                    reset=reset,
                    max_wait=self.settings.max_wait,
                    waited=waited,
                )
                waited += 1
            except BadRequestError as exc:
                if _error(exc) in EXPIRED and not renewed:
                    renewed = True
                    await self._renew()
                    continue
                raise _failure(what, exc, write=write) from exc
            except (RequestErrorBase, LoginRequiredError) as exc:
                raise _failure(what, exc, write=write) from exc


def _error(exc: RequestErrorBase) -> str | None:
    content = exc.response.content if exc.response is not None else None
    return getattr(content, "error", None)


def _failure(what: str, exc: Exception, *, write: bool) -> StepError:
    """A failed call as a `StepError`: one line, the PDS's own reason; the PDS's refusal (a
    4xx) says it made nothing, any other failure may have made what a write asked for."""
    if not isinstance(exc, RequestErrorBase) or exc.response is None:
        return StepError(f"could not {what}: Bluesky is unreachable ({exc!r})", transient=True)
    status = exc.response.status_code
    content = exc.response.content
    reason = getattr(content, "message", None) or getattr(content, "error", None) or str(status)
    if status >= 500 or isinstance(exc, NetworkError):
        # A write the PDS failed to answer may have been made: look before trying again.
        kind = MaybeMade if write else StepError
        return kind(f"could not {what}: Bluesky answered {status} ({reason})", transient=True)
    return StepError(f"Bluesky refused to {what}: {reason}", made_nothing=400 <= status < 500)


def _plain(value: Any) -> dict[str, Any]:
    """A record's value as plain JSON (atproto gives known records as models)."""
    if isinstance(value, dict):
        return value
    dumped: dict[str, Any] = value.model_dump(by_alias=True, exclude_none=True)
    return dumped


def _root(record: Mapping[str, Any]) -> str | None:
    """The record key of the first post a post record replies in, None for a first post."""
    reply = record.get("reply")
    return str(reply["root"]["uri"]).rsplit("/", 1)[1] if reply else None


def _reply(step: Step[Account], ids: Mapping[str, int], did: str) -> dict[str, Any] | None:
    """A reply's `reply.root` and `reply.parent`, from the ledger's ids."""
    if step.action != Action.REPLY or not step.parent:
        return None
    lead = step.needs[0] if step.needs else None
    if lead is None or lead not in ids or step.parent not in ids:
        raise StepError(f"post {step.key} replies in a thread whose first post has no id")
    root, parent = RecordRef.from_id(ids[lead]), RecordRef.from_id(ids[step.parent])
    return {"root": root.strong(did), "parent": parent.strong(did)}


def _now() -> str:
    """The time now as a post's `createdAt`: RFC 3339 in UTC, milliseconds."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@asynccontextmanager
async def bluesky_outlet(settings: BlueskySettings) -> AsyncIterator[BlueskyOutlet]:
    """An outlet for the account the settings name, reaching its PDS at `bluesky.service`
    (it logs in on its first call)."""
    if not settings.configured():
        raise NewsbotError(
            "Bluesky is not configured: set bluesky.handle and NEWSBOT_BLUESKY__APP_PASSWORD"
        )
    client = AsyncClient(base_url=str(settings.service))
    try:
        yield BlueskyOutlet(client, settings)
    finally:
        await client.request.close()
