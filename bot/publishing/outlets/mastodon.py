"""The Mastodon outlet: an issue's thread as engine steps, posted through Mastodon.py.

Each status is a step keyed `202/mastodon/post/3` (the lead is post 1) replying to the status
before it, with the settings' visibility and an `Idempotency-Key` derived from the step's key:
a repeat within Mastodon's hour gets the status made the first time back. Past that, an
interrupted status is looked for among the account's recent statuses (`find`) before it is
posted again. Statuses are not edited: one already sent stays as it is. A status of an unfinished
thread deleted on Mastodon is posted again before the next one replies to it. Before a thread's
first status the token is tried for reading the account's statuses, which finding one needs.

Mastodon.py is synchronous: every call runs in a worker thread (`asyncio.to_thread`), never on
the event loop. Its own rate-limit handling sleeps in that thread, so it is set to throw and the
wait is ours: a short one (from `X-RateLimit-Reset`) is slept, a long one raises `CapReached`.
The instance's limits are read once, from `GET /api/v2/instance` (`GET /api/v1/instance` on a
server older than Mastodon 4.0, which lacks the first).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import html
import logging
import re
import time
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import replace
from typing import Any

from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from bot.errors import NewsbotError
from bot.models import Issue, OutboxEntry
from bot.publishing.outlet import Gone, Lookup, MaybeMade, Outcome, Remote, StepError
from bot.publishing.outlets._threads import SINCE_PAGES, ThreadOutlet, look_through, warn_unfound
from bot.publishing.plans._threads import as_posted
from bot.publishing.plans.mastodon import (
    ACCOUNT,
    AGAIN,
    OUTLET,
    Account,
    Action,
    idempotency_key,
    plan,
)
from bot.publishing.reports import PlannedStep
from bot.publishing.steps import Payload, Step
from bot.render.publish import Post
from bot.render.social import Thread
from bot.settings import MastodonSettings

log = logging.getLogger(__name__)

PAGE = 40
"""The most statuses `GET /api/v1/accounts/:id/statuses` gives at once."""
SCOPES = "write:statuses, read:accounts and read:statuses"
"""The scopes newsbot's token needs: to post and delete, to know its account, to find a status
an interrupted publish made."""
OUTSIDE_SCOPES = "outside the authorized scopes"
"""Mastodon's 403 to a token without the scope a route needs (not translated)."""
NOT_FOUND = "Record not found"
"""Mastodon's answer to a record it cannot find (ApiController: not translated)."""
KEYS = 3
"""Idempotency keys a status is tried under, each after the status made under the one before
was deleted within Mastodon's hour."""
NO_TOKEN = "Mastodon is not connected (set NEWSBOT_MASTODON__ACCESS_TOKEN)"

_BREAK = re.compile(r"<br\s*/?>")
_PARAGRAPH = re.compile(r"</p>\s*<p>")
_TAG = re.compile(r"<[^>]+>")


def comparable(text: str, *, content: bool = False) -> str:
    """A status's text as newsbot sent it and as Mastodon returns it (`content`: HTML with
    paragraphs, line breaks and links whose spans hold the whole URL) compare equal."""
    if content:
        text = _TAG.sub("", _PARAGRAPH.sub("\n\n", _BREAK.sub("\n", text)))
        text = html.unescape(text)
    return unicodedata.normalize("NFC", text).strip()


class MastodonOutlet(ThreadOutlet[MastodonSettings, Account]):
    """Posts on one Mastodon account through Mastodon.py.

    Without a client (offline) it still plans and previews: the instance's limits are public,
    read with a client of its own that holds no token (the defaults if the instance is out of
    reach).
    """

    name = OUTLET
    title = "Mastodon"
    nowhere = "Mastodon has no account to post on"

    def __init__(
        self,
        api: Mastodon | None,
        settings: MastodonSettings,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(settings, sleep=sleep)
        self._api = api
        self.max_wait = settings.max_wait
        self._account: Account | None = None
        self._account_id: int | None = None
        self._readable = False

    @property
    def api(self) -> Mastodon:
        """Mastodon.py's client for the account."""
        if self._api is None:
            raise StepError(NO_TOKEN)
        return self._api

    # --- the engine's calls -----------------------------------------------------------------

    async def targets(self) -> list[Account]:
        """The account, with its instance's limits when they can be read (`resolve` says why
        not; a preview goes on with Mastodon's defaults)."""
        try:
            return [await self.limits()]
        except StepError:
            return [ACCOUNT]

    async def resolve(self, target: Account) -> Account:
        """The account with its instance's limits; `StepError` if they cannot be read."""
        return await self.limits()

    def plan(
        self,
        issue: Issue,
        target: Account,
        ledger: Mapping[str, OutboxEntry],
        thanks: Mapping[str, Post],
    ) -> Sequence[Step[Account]]:
        """The issue's thread, rendered within the instance's limits."""
        _, steps = plan(issue, self.settings, target)
        return as_posted(steps, ledger)

    async def create(self, step: Step[Account], payload: Payload, ids: Mapping[str, int]) -> Remote:
        """Post the step's status: the lead, or a reply to the status before."""
        what = f"post status {step.key.rsplit('/', 1)[-1]} of issue #{step.issue_number}"
        if step.parent is None:
            await self._can_read()
        key = idempotency_key(step.key, again=bool(payload.get(AGAIN)))
        for tried in range(KEYS):
            try:
                made = await self.post(
                    payload["text"],
                    reply_to=_parent(step, ids),
                    visibility=payload["visibility"],
                    key=_nth_key(key, tried),
                    what=what,
                )
            except _Gone as exc:
                # Mastodon's own 404 (`Record not found`, never translated) names no status
                # replied to: an earlier attempt's status under this key, deleted since (the
                # key stays taken for Mastodon's hour). The status is posted under the next
                # key, one a retry after an interruption reaches the same way.
                if step.parent is None or NOT_FOUND in exc.reason:
                    log.info("%s: its earlier status was deleted; a new key", exc.reason)
                    continue
                # The status replied to was deleted while the thread was unfinished (Mastodon's
                # 404): it is posted again, and this one then replies to it.
                raise Gone(f"{step.parent} was deleted on Mastodon", key=step.parent) from exc
            return Remote(made)
        raise StepError(
            f"could not {what}: Mastodon answered each of its {KEYS} idempotency keys with "
            f"{NOT_FOUND} (the statuses made under them deleted within the hour)",
            made_nothing=True,
        )

    async def recover(
        self,
        step: Step[Account],
        payload: Payload,
        ids: Mapping[str, int],
        *,
        since: dt.datetime | None = None,
    ) -> Remote | Lookup | None:
        """The status an interrupted attempt made, found among the account's recent ones (those
        since `since`, if given)."""
        found = await self.find(payload["text"], reply_to=_parent(step, ids), since=since)
        if found is None and since is not None:
            warn_unfound(self.title, step.key, since, SINCE_PAGES)
        return Remote(found) if isinstance(found, int) else found

    async def edit(self, step: Step[Account], payload: Payload, entry: OutboxEntry) -> None:
        """Statuses are not edited (the engine never asks: `edits` is False)."""
        raise StepError("newsbot does not edit Mastodon statuses")

    async def remove(self, entry: OutboxEntry) -> bool:
        """Delete a status; one already gone counts as done."""
        with suppress(_Gone):
            await self._call("delete a status", self.api.status_delete, int(entry.remote_id or 0))
        return True

    def note(self, step: Step[Account]) -> str | None:
        """Nothing: every status is made one way."""
        return None

    # --- previews ---------------------------------------------------------------------------

    def rendered(self, issue: Issue) -> Thread:
        """The issue's thread on Mastodon, as `plan` posts it (within the instance's limits
        once `targets` has read them)."""
        made, _ = plan(issue, self.settings, self._account or ACCOUNT)
        return made

    def does(self, planned: PlannedStep) -> str:
        """What publishing would do with one status, in words."""
        if planned.outcome == Outcome.UNCHANGED:
            return self.already(planned, not_edited="newsbot does not edit statuses")
        if planned.outcome == Outcome.DEFERRED:
            return "left for a later publish (rate limit)"
        does = "post the first status"
        if planned.step.action == Action.REPLY:
            does = "post, replying to the one before"
        visibility = planned.payload.get("visibility", self.settings.visibility)
        return self.looking_first(planned, f"{does} ({visibility})")

    # --- Mastodon's API ---------------------------------------------------------------------

    async def limits(self) -> Account:
        """The account with the instance's `max_characters` and `characters_reserved_per_url`
        (asked once; from the v1 description on a server without the v2 one)."""
        if self._account is None:
            if self._api is None:
                return await self._public_limits()
            what = "read the instance's limits"
            try:
                instance = await self._call(what, self.api.instance_v2)
            except _Gone:
                # Mastodon before 4.0 has no v2 description; its v1 one holds the same figures
                # from 3.4.2 on, and before that they were fixed at Mastodon's defaults.
                instance = await self._call(what, self.api.instance_v1)
            statuses = (instance.get("configuration") or {}).get("statuses") or {}
            self._account = replace(
                ACCOUNT,
                max_characters=int(statuses.get("max_characters", ACCOUNT.max_characters)),
                characters_reserved_per_url=int(
                    statuses.get("characters_reserved_per_url", ACCOUNT.characters_reserved_per_url)
                ),
            )
        return self._account

    async def _public_limits(self) -> Account:
        """The limits read without the account's token (offline), else Mastodon's defaults;
        those at once for the default instance without a token: an editor previewing every
        outlet has chosen no instance (and mastodon.social's limits are the defaults)."""
        default = type(self.settings).model_fields["api_base"].default
        if self.settings.api_base == default and not self.settings.configured():
            self._account = ACCOUNT
            return ACCOUNT
        public = _client(self.settings, token=None)
        self._api = public
        try:
            return await self.limits()
        except StepError as exc:
            log.warning("%s; previewing with Mastodon's default limits", exc.reason)
            self._account = ACCOUNT
            return ACCOUNT
        finally:
            self._api = None
            await asyncio.to_thread(public.session.close)

    async def _can_read(self) -> None:
        """`StepError` unless the token may read what `find` reads (asked once): a token only
        allowed to post would fail on the first interrupted status, the thread half posted."""
        if not self._readable:
            await self._call(
                "read the account's recent statuses",
                self.api.account_statuses,
                await self.account_id(),
                limit=1,
            )
            self._readable = True

    async def account_id(self) -> int:
        """The account's id (asked once)."""
        if self._account_id is None:
            me = await self._call("read the account", self.api.account_verify_credentials)
            self._account_id = int(me["id"])
        return self._account_id

    async def post(
        self, text: str, *, reply_to: int | None, visibility: str, key: str, what: str
    ) -> int:
        """Create a status (a reply to `reply_to`); its id."""
        status = await self._call(
            what,
            self.api.status_post,
            text,
            in_reply_to_id=reply_to,
            visibility=visibility,
            idempotency_key=key,
            write=True,
        )
        return int(status["id"])

    async def find(
        self, text: str, *, reply_to: int | None, since: dt.datetime | None = None
    ) -> int | Lookup | None:
        """A recent status of the account with this text, replying to `reply_to` (none: one
        that replies to nothing). With `since`, the statuses made after it, oldest first (an id
        holds its time, so Mastodon pages forward from it): a status lost by a restored
        backup's ledger is in the first pages however many came later, and one read up to
        the newest, in up to `SINCE_PAGES` pages, is surely not made."""
        me = await self.account_id()
        wanted = comparable(text)

        async def page(older_than: int | None) -> tuple[list[Any], int | None]:
            statuses = await self._call(
                "read the account's recent statuses",
                self.api.account_statuses,
                me,
                limit=PAGE,
                max_id=older_than,
            )
            return statuses, int(statuses[-1]["id"]) if len(statuses) == PAGE else None

        async def page_after(newer_than: int | None) -> tuple[list[Any], int | None]:
            # Mastodon.py makes an id of the time, as Mastodon's own ids hold it.
            statuses = await self._call(
                "read the account's statuses since the backup",
                self.api.account_statuses,
                me,
                limit=PAGE,
                min_id=since if newer_than is None else newer_than,
            )
            # Newest first within the page: the next page is newer than its first status.
            return statuses, int(statuses[0]["id"]) if len(statuses) == PAGE else None

        def match(status: Any) -> int | None:
            parent = status["in_reply_to_id"]
            same_parent = (None if parent is None else int(parent)) == reply_to
            if same_parent and comparable(status["content"], content=True) == wanted:
                return int(status["id"])
            return None

        if since is None:
            return await look_through(page, match)
        return await look_through(page_after, match, pages=SINCE_PAGES)

    async def _call(
        self, what: str, call: Callable[..., Any], *args: Any, write: bool = False, **kwargs: Any
    ) -> Any:
        """Run one Mastodon.py call in a worker thread; wait out a short rate limit; turn
        failures into `StepError`s (a 5xx or a lost connection on a write: `MaybeMade`). The
        instance's refusals (4xx) say they made nothing; any other failure may have made it."""
        waited = 0
        while True:
            try:
                return await asyncio.to_thread(call, *args, **kwargs)
            except MastodonRatelimitError as exc:
                reset = self.api.ratelimit_reset
                wait = (float(reset) - time.time()) if reset else None
                await self.wait_out(
                    exc,
                    what,
                    limit="rate limit",
                    wait=wait,
                    reset=reset,
                    max_wait=self.max_wait,
                    waited=waited,
                )
                waited += 1
            except MastodonUnauthorizedError as exc:
                raise StepError(
                    f"could not {what}: Mastodon refused the access token "
                    "(NEWSBOT_MASTODON__ACCESS_TOKEN)",
                    made_nothing=True,
                ) from exc
            except MastodonNotFoundError as exc:
                says = f"could not {what}: Mastodon says {_message(exc)}"
                raise _Gone(says, made_nothing=True) from exc
            except MastodonAPIError as exc:
                if _server_error(exc):
                    failed = f"could not {what}: Mastodon answered {_status(exc)}"
                    if write:
                        raise MaybeMade(failed, transient=True) from exc
                    raise StepError(failed, transient=True) from exc
                if _outside_scopes(exc):
                    raise StepError(
                        f"could not {what}: the access token (NEWSBOT_MASTODON__ACCESS_TOKEN) "
                        f"lacks a scope newsbot needs: give it {SCOPES}",
                        made_nothing=True,
                    ) from exc
                refused = f"Mastodon refused to {what}: {_message(exc)}"
                raise StepError(refused, made_nothing=_refusal(exc)) from exc
            except MastodonNetworkError as exc:
                failed = f"could not {what}: {_first_line(str(exc))}"
                if write:
                    raise MaybeMade(failed, transient=True) from exc
                raise StepError(failed, transient=True) from exc


class _Gone(StepError):
    """Mastodon answered 404: the status (or the one replied to) does not exist."""


def _status(exc: MastodonAPIError) -> str:
    return str(exc.args[1]) if len(exc.args) > 1 else "an error"


def _status_code(exc: MastodonAPIError) -> int | None:
    """The HTTP status Mastodon.py read, if it says one (not for an answer it could not
    parse, a 2xx among them)."""
    status = exc.args[1] if len(exc.args) > 1 else None
    return status if isinstance(status, int) else None


def _server_error(exc: MastodonAPIError) -> bool:
    """Whether the instance, or a proxy before it, failed to answer: a 5xx. Mastodon.py names
    those up to 511 only; a proxy's own (Cloudflare's 524: the instance took the request and
    did not answer in time) come as a plain `MastodonAPIError`."""
    status = _status_code(exc)
    return isinstance(exc, MastodonServerError) or (status is not None and status >= 500)


def _refusal(exc: MastodonAPIError) -> bool:
    """Whether the instance answered with a refusal (a 4xx), so the call made nothing."""
    status = _status_code(exc)
    return status is not None and 400 <= status < 500


def _message(exc: MastodonAPIError) -> str:
    """Mastodon's own one-line reason (its Error entity's `error`), else the HTTP status."""
    message = exc.args[3] if len(exc.args) > 3 and exc.args[3] else None
    return _first_line(str(message)) if message else f"HTTP {_status(exc)}"


def _outside_scopes(exc: MastodonAPIError) -> bool:
    """Whether Mastodon refused the token for its scopes: a 403 saying so, or one whose reason
    Mastodon.py lost (it drops the reason of a call that answers a list)."""
    message = exc.args[3] if len(exc.args) > 3 else None
    return _status(exc) == "403" and (not message or OUTSIDE_SCOPES in str(message))


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _nth_key(key: str, tried: int) -> str:
    """The idempotency key `key` itself first, then one derived from it for each earlier
    status deleted (the same for every attempt: a retry gets the status made back)."""
    if tried == 0:
        return key
    return "newsbot-" + hashlib.sha256(f"{key}/{tried}".encode()).hexdigest()[:40]


def _parent(step: Step[Account], ids: Mapping[str, int]) -> int | None:
    """The id of the status this step's status replies to."""
    if step.parent is None:
        return None
    if step.parent not in ids:
        raise StepError(f"status {step.key} replies to {step.parent}, which has no id")
    return ids[step.parent]


@asynccontextmanager
async def mastodon_outlet(settings: MastodonSettings) -> AsyncIterator[MastodonOutlet]:
    """An outlet for the account whose token the settings hold, on `mastodon.api_base`."""
    token = settings.access_token.get_secret_value().strip() if settings.access_token else None
    if not token:
        raise NewsbotError(NO_TOKEN.replace("is not connected", "is not configured"))
    api = _client(settings, token=token)
    try:
        yield MastodonOutlet(api, settings)
    finally:
        await asyncio.to_thread(api.session.close)


def _client(settings: MastodonSettings, *, token: str | None) -> Mastodon:
    """Mastodon.py on the settings' instance; it throws on a rate limit (the wait is ours)."""
    return Mastodon(
        access_token=token,
        api_base_url=str(settings.api_base).rstrip("/"),
        ratelimit_method="throw",
        request_timeout=30,
        version_check_mode="none",
        user_agent="newsbot",
    )
