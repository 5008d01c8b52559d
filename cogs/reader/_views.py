"""The pagers: Previous/Next buttons that only the asker can press, until they time out, on a
search's results and on a section's items too long for one message (`/latest` and `/issue`
with `section`).

One pair of buttons per command serves every open pager: a press finds its pager by the
interaction that asked it (Discord names it in the message), so answering builds no view and
starts no timer task. Every pager, whatever it pages, counts towards one cap.

A pager remembers the pages it showed: Previous shows them again as they were, and Next shows
results not shown yet. An issue archived while a reader turns pages shifts the archive's
results under the pager, and turning by offset alone then repeated results already shown. A
section's pages are all made when it is asked for, and shared by every pager of the same
section (`_sections`): they never change under the reader.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import discord

from bot.app import NO_MENTIONS
from bot.models import SearchHit, SearchPage
from bot.render.discord import search_embed
from bot.store import Archive
from cogs.components import apologises
from cogs.reader import _replies as replies
from cogs.reader._answering import Answering

log = logging.getLogger(__name__)

PAGE_SIZE = 5
PAGER_TIMEOUT = 300.0
"""Seconds a pager stays live; well inside the 15 minutes an interaction token lasts."""
PAGERS_KEPT = 2000
"""Pagers live at most; the oldest is dropped first. A search's pager keeps the pages it
showed, so without a cap they grew with readers' searches a second × `PAGER_TIMEOUT` (a
reader may turn pages for the whole timeout while up to about 7 searches a second come in).
A section's pager holds no pages of its own: those of a section are made once and shared by
every pager of it (see `_sections`), however many items it has."""
SEARCH = "search"
PAGED = (SEARCH, "latest", "issue")
"""The commands whose answers are paged: each press's custom_id names its command."""
PREVIOUS, NEXT = "search:previous", "search:next"
EXPIRED = "These pages have expired: search again with /search."
NOT_YOURS = "Only the person who searched can turn these pages. Try /search yourself!"
SECTION_EXPIRED = "These pages have expired: ask again with /{command}."
SECTION_NOT_YOURS = "Only the person who asked can turn these pages. Try /{command} yourself!"


ANSWER_TTL = 10.0
"""Seconds a page of results is reused for the same search: a burst of readers asking the
same thing costs one search, and an issue ingested meanwhile shows up at most this late."""
ANSWERS_KEPT = 512
"""Pages of results kept at most; the oldest go first."""

Kind = discord.InteractionResponseType


class Placed(Protocol):
    """Where a page is among its pages: whether one comes before it (`offset`) and after it."""

    @property
    def offset(self) -> int: ...

    @property
    def has_more(self) -> bool: ...


class Shown(Protocol):
    """A page a pager shows: the command it answers, where it is, and how it replaces the
    page turned from."""

    @property
    def command(self) -> str: ...

    @property
    def placed(self) -> Placed: ...

    def turned(self) -> bytes: ...

    def edited(self) -> bytes: ...


def buttons(page: Placed | None, command: str = SEARCH) -> list[dict[str, Any]]:
    """The pager's buttons for `page` of `command`'s answer, as Discord takes them; greyed out
    for None (expired)."""
    previous = discord.ui.Button[Any](
        label="Previous",
        emoji="◀️",
        style=discord.ButtonStyle.secondary,
        custom_id=f"{command}:previous",
        disabled=page is None or page.offset == 0,
    )
    following = discord.ui.Button[Any](
        label="Next",
        emoji="▶️",
        style=discord.ButtonStyle.primary,
        custom_id=f"{command}:next",
        disabled=page is None or not page.has_more,
    )
    row = {"type": 1, "components": [previous.to_component_dict(), following.to_component_dict()]}
    return [row]


@dataclass(frozen=True)
class Answer:
    """A page of results and the embed showing it, with the answers rendered from it so far."""

    page: SearchPage
    embed: discord.Embed
    _rendered: dict[tuple[str, bool, str | None], bytes] = field(
        default_factory=dict, compare=False
    )

    @property
    def command(self) -> str:
        return SEARCH

    @property
    def placed(self) -> SearchPage:
        return self.page

    def _body(self, ephemeral: bool | None = None, note: str | None = None) -> dict[str, Any]:
        paged = buttons(self.page) if self.page.has_more else None
        return replies.message_body(
            content=note, embed=self.embed, components=paged, ephemeral=ephemeral
        )

    def reply(self, *, ephemeral: bool, note: str | None = None) -> bytes:
        """This page as a command's first response (with buttons if there are more pages),
        with `note` above it if given."""
        key = ("reply", ephemeral, note)
        if key not in self._rendered:
            self._rendered[key] = replies.callback(
                Kind.channel_message, self._body(ephemeral=ephemeral, note=note)
            )
        return self._rendered[key]

    def edit(self, note: str | None = None) -> bytes:
        """This page replacing a "thinking…" placeholder, with `note` above it if given."""
        key = ("edit", False, note)
        if key not in self._rendered:
            self._rendered[key] = replies.rendered(self._body(note=note))
        return self._rendered[key]

    def turned(self) -> bytes:
        """This page replacing the one a reader turned from, buttons updated."""
        key = ("turned", False, None)
        if key not in self._rendered:
            body = replies.message_body(embed=self.embed, components=buttons(self.page))
            self._rendered[key] = replies.callback(Kind.message_update, body)
        return self._rendered[key]

    def edited(self) -> bytes:
        """`turned`, as the edit that follows a press deferred while the page was fetched."""
        key = ("edited", False, None)
        if key not in self._rendered:
            body = replies.message_body(embed=self.embed, components=buttons(self.page))
            self._rendered[key] = replies.rendered(body)
        return self._rendered[key]


def page_embed(query: str, page: SearchPage) -> discord.Embed:
    """The embed showing a page of results for `query`."""
    return discord.Embed.from_dict(search_embed(query, page, page_size=PAGE_SIZE).to_dict())


class Answers:
    """Pages of results recently fetched and rendered, by request. A page of no results is
    never kept, so a search that found nothing finds what arrives next at once."""

    def __init__(self, ttl: float = ANSWER_TTL, kept: int = ANSWERS_KEPT) -> None:
        self.ttl = ttl
        self.kept = kept
        self._kept: dict[SearchRequest, tuple[float, Answer]] = {}

    def get(self, request: SearchRequest) -> Answer | None:
        """The answer to `request` made within the last `ttl` seconds, if any."""
        found = self._kept.get(request)
        if found is None:
            return None
        if time.monotonic() - found[0] > self.ttl:
            del self._kept[request]
            return None
        return found[1]

    def put(self, request: SearchRequest, answer: Answer) -> None:
        """Keep `answer` to `request` for `ttl` seconds (not if it found nothing)."""
        if not answer.page.hits:
            return
        self._kept.pop(request, None)
        while len(self._kept) >= self.kept:
            del self._kept[next(iter(self._kept))]
        self._kept[request] = (time.monotonic(), answer)


@dataclass(frozen=True)
class SearchRequest:
    """What a reader searched for, so any page of it can be fetched again."""

    query: str
    section: str | None = None
    issue: int | None = None
    since: dt.date | None = None
    offset: int = 0

    async def answer(self, archive: Archive, answers: Answers | None = None) -> Answer:
        """This request's page of results and its embed; the one in `answers` if it is there."""
        kept = answers.get(self) if answers is not None else None
        if kept is not None:
            return kept
        page = await archive.issues.search(
            self.query,
            section=self.section,
            issue=self.issue,
            since=self.since,
            limit=PAGE_SIZE,
            offset=self.offset,
        )
        made = Answer(page, page_embed(self.query, page))
        if answers is not None:
            answers.put(self, made)
        return made


def shown_as(hit: SearchHit) -> tuple[int, str, str, str | None]:
    """What tells a result from the others on a reader's pages (an item archived again
    keeps it, though not its id)."""
    return hit.issue_number, hit.section_slug, hit.item.title, hit.item.link


@dataclass
class Pager:
    """One reader's answer whose pages can be turned (a search's results, a section's items):
    whose it is, the pages shown so far and which of them is shown now."""

    owner_id: int
    command: str
    answer: replies.Original
    """The command's answer, edited when the pager expires."""
    pages: list[Shown]
    request: SearchRequest | None = None
    """The search whose results are paged (None: every page is in `pages`)."""
    at: int = 0
    expiry: asyncio.TimerHandle | None = None
    turning: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held while a press turns the page: presses in quick succession turn one after another."""

    async def turn(self, direction: str, archive: Archive, answers: Answers) -> Shown:
        """The page before or after the one shown, which is shown from now on."""
        if direction == "previous":
            self.at = max(0, self.at - 1)
        elif self.at + 1 < len(self.pages):
            self.at += 1
        elif self.request is not None and self.pages[self.at].placed.has_more:
            following = await self._following(self.request, archive, answers)
            if following is None:  # nothing left that was not shown: this page ends it
                page = replace(self._results()[-1].page, has_more=False)
                self.pages[self.at] = Answer(page, page_embed(self.request.query, page))
            else:
                self.pages.append(following)
                self.at += 1
        return self.pages[self.at]

    def _results(self) -> list[Answer]:
        """The pages of results shown so far (a search pager's pages are all `Answer`s)."""
        return [page for page in self.pages if isinstance(page, Answer)]

    async def _following(
        self, searched: SearchRequest, archive: Archive, answers: Answers
    ) -> Answer | None:
        """The page after the last one shown: the next results not shown yet, read on past
        those an issue archived meanwhile pushed down from the pages shown; None if there are
        none (results the archive no longer has)."""
        shown = self._results()
        seen = {shown_as(hit) for answer in shown for hit in answer.page.hits}
        offset = sum(len(answer.page.hits) for answer in shown)
        request = replace(searched, offset=offset)
        fresh: list[SearchHit] = []
        while True:
            found = await request.answer(archive, answers)
            unseen = [hit for hit in found.page.hits if shown_as(hit) not in seen]
            if not fresh and found.page.hits and len(unseen) == len(found.page.hits):
                return found  # the archive did not move under the pager: the page as it is
            fresh += unseen
            seen.update(shown_as(hit) for hit in unseen)
            if len(fresh) >= PAGE_SIZE or not found.page.has_more:
                break
            request = replace(request, offset=request.offset + PAGE_SIZE)
        if not fresh:
            return None
        more = len(fresh) > PAGE_SIZE or found.page.has_more
        page = SearchPage(tuple(fresh[:PAGE_SIZE]), offset, more, found.page.limited)
        return Answer(page, page_embed(searched.query, page))


class Pagers:
    """The open pagers, by the interaction that asked each answer; each greys its buttons out
    after its timeout, so that a late press does nothing confusing.

    At most `kept` are open: opening another drops the oldest, whose buttons stay as they are
    until pressed, then are greyed out and the presser told the search has expired (as after
    a restart). Greying each out as it is dropped would add a request to every search of the
    very burst that fills the pagers.
    """

    def __init__(
        self,
        archive: Archive,
        answers: Answers,
        kept: int = PAGERS_KEPT,
        *,
        answering: Answering | None = None,
    ) -> None:
        self.archive = archive
        self.answers = answers
        self.kept = kept
        self.answering = answering or Answering()
        """Counts the presses being answered with the commands, to defer a slow one."""
        self._open: dict[int, Pager] = {}
        self._greying: set[asyncio.Task[None]] = set()

    def open(
        self,
        asked: discord.Interaction,
        pages: Sequence[Shown],
        timeout: float,
        *,
        request: SearchRequest | None = None,
    ) -> None:
        """Let the asker of `asked`, shown the first of `pages`, turn them for `timeout`
        seconds: the pages of `request`'s results when given (`pages` then holds the first),
        else those of a section, kept as they are (shared with its other pagers)."""
        pager = Pager(
            owner_id=asked.user.id,
            command=pages[0].command,
            answer=replies.Original.of(asked),
            pages=pages if request is None and isinstance(pages, list) else list(pages),
            request=request,
        )
        pager.expiry = asyncio.get_running_loop().call_later(timeout, self._expire, asked.id)
        while len(self._open) >= self.kept:
            self._drop(next(iter(self._open)))
        self._open[asked.id] = pager

    def of(self, pressed: discord.Interaction) -> Pager | None:
        """The open pager whose button `pressed` is a press of, if it has not expired."""
        message = pressed.message
        asked = message.interaction_metadata if message is not None else None
        return self._open.get(asked.id) if asked is not None else None

    def close(self) -> None:
        """Forget every pager (the commands are unloading); their buttons stay as they are."""
        for pager in self._open.values():
            if pager.expiry is not None:
                pager.expiry.cancel()
        self._open.clear()
        for task in self._greying:
            task.cancel()

    def _drop(self, asked_id: int) -> None:
        """Forget the pager `asked_id` asked for, ungreyed: see the class."""
        dropped = self._open.pop(asked_id)
        if dropped.expiry is not None:
            dropped.expiry.cancel()

    def _expire(self, asked_id: int) -> None:
        pager = self._open.pop(asked_id, None)
        if pager is None:
            return
        task = asyncio.create_task(self._grey_out(pager), name="greying out a search pager")
        self._greying.add(task)
        task.add_done_callback(self._greying.discard)

    @staticmethod
    async def _grey_out(pager: Pager) -> None:
        body = replies.rendered(replies.message_body(components=buttons(None, pager.command)))
        try:
            await replies.edit_original(pager.answer, body)
        except discord.HTTPException as exc:
            log.info("could not disable an expired pager: %s", exc)


class PageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(rf"(?P<command>{'|'.join(PAGED)}):(?P<direction>previous|next)"),
):
    """Previous or Next on any paged answer: turns its page for its asker."""

    def __init__(self, command: str, direction: str) -> None:
        super().__init__(discord.ui.Button(custom_id=f"{command}:{direction}"))
        self.command = command
        self.direction = direction

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PageButton:
        return cls(match["command"], match["direction"])

    @apologises(False)
    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Only the reader who searched may turn the pages, and only while they are live.

        Buttons of a pager that expired unseen (newsbot restarted meanwhile, which forgets
        every pager and greys none out) are greyed out when pressed, then the presser is told
        why: left live, they would refuse every press the same way.
        """
        pager = _pagers(interaction).of(interaction)
        searched = self.command == SEARCH
        if pager is None:
            greyed = replies.message_body(components=buttons(None, self.command))
            await replies.respond(
                interaction, Kind.message_update, replies.callback(Kind.message_update, greyed)
            )
            expired = EXPIRED if searched else SECTION_EXPIRED.format(command=self.command)
            await interaction.followup.send(expired, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return False
        if interaction.user.id == pager.owner_id:
            return True
        not_yours = NOT_YOURS if searched else SECTION_NOT_YOURS.format(command=self.command)
        body = replies.message_body(content=not_yours, ephemeral=True)
        await replies.respond(
            interaction, Kind.channel_message, replies.callback(Kind.channel_message, body)
        )
        return False

    @apologises(None)
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the page before or after the one shown."""
        pagers = _pagers(interaction)
        pager = pagers.of(interaction)
        if pager is None:  # expired between the check and now
            return
        async with pager.turning:
            # A page not shown yet is fetched: that may be slow (the archive's server out of
            # reach is waited for 2 s), and Discord wants the press answered within 3 s.
            turning = pager.turn(self.direction, pagers.archive, pagers.answers)
            shown = await pagers.answering.soon(interaction, turning, update=True)
            if interaction.response.is_done():
                await replies.edit_original(interaction, shown.edited())
            else:
                await replies.respond(interaction, Kind.message_update, shown.turned())


def _pagers(interaction: discord.Interaction[Any]) -> Pagers:
    pagers = getattr(interaction.client.get_cog("Reader"), "pagers", None)
    assert isinstance(pagers, Pagers), "the buttons are added with the reader commands"
    return pagers
