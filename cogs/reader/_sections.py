"""A section's pages, for `/latest` and `/issue` with `section` when its items fill more than
one message: made once for every reader who asks for the same section as it is, and shared by
their pagers.

A section has no cap on its items, and a pager lives for minutes: a pager holding pages of its
own, made for each request, held a long section once for every reader turning it (2,000
pagers of a 500-item section, some fifty pages each, held hundreds of megabytes).
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import discord

from bot.models import Issue, Section
from bot.render.discord import section_pages
from cogs.reader import _replies as replies
from cogs.reader._views import Kind, Shown, buttons

SECTIONS_KEPT = 8
"""Sections whose pages are kept after their last pager has gone, the latest asked for: a
section asked for again in a moment is not made again."""


@dataclass(frozen=True)
class SectionPage:
    """One page of a section's items, answering `command` (`latest` or `issue`)."""

    command: str
    embed: discord.Embed
    offset: int
    """Which page it is, from 0."""
    has_more: bool

    @property
    def placed(self) -> SectionPage:
        return self

    @staticmethod
    def all(command: str, embeds: Sequence[discord.Embed]) -> list[SectionPage]:
        """A section's pages, in order."""
        last = len(embeds) - 1
        return [SectionPage(command, embed, n, n < last) for n, embed in enumerate(embeds)]

    def body(self, *, ephemeral: bool | None = None, note: str | None = None) -> dict[str, Any]:
        """This page as a message (with its buttons if there are other pages), with `note`
        above it if given."""
        paged = self.offset > 0 or self.has_more
        return replies.message_body(
            content=note,
            embed=self.embed,
            components=buttons(self, self.command) if paged else None,
            ephemeral=ephemeral,
        )

    def turned(self) -> bytes:
        """This page replacing the one a reader turned from, buttons updated."""
        return replies.callback(Kind.message_update, self.body())

    def edited(self) -> bytes:
        """`turned`, as the edit that follows a deferred press."""
        return replies.rendered(self.body())


class SectionPages(list[Shown]):
    """The pages of one section as it was asked for, shared by every pager turning them (a
    list of its own, as a pager's pages are, that a weak reference can name)."""

    def __init__(self, pages: list[SectionPage]) -> None:
        super().__init__(pages)
        self.first = pages[0]


class Sections:
    """The pages of the sections readers asked for, each made once while any pager turns
    them (and for the last `kept` asked for, after): by command, issue, section and what
    the pages are made from, so an issue archived again with that section changed is made
    anew, and pagers of the section as it was keep their pages."""

    def __init__(self, kept: int = SECTIONS_KEPT) -> None:
        self.kept = kept
        self._shared: weakref.WeakValueDictionary[tuple[str, bytes], SectionPages] = (
            weakref.WeakValueDictionary()
        )
        self._latest: dict[tuple[str, bytes], SectionPages] = {}

    def pages(
        self,
        command: str,
        issue: Issue,
        section: Section,
        embed_of: Callable[[Any], discord.Embed],
    ) -> SectionPages:
        """The pages of `section` of `issue`, answering `command`: those made before for the
        same section as it is, or made now (by `section_pages`, each as `embed_of` makes it a
        message's embed)."""
        key = (command, _made_from(issue, section))
        shared = self._shared.get(key)
        if shared is None:
            embeds = [embed_of(embed) for embed in section_pages(issue, section)]
            shared = SectionPages(SectionPage.all(command, embeds))
            self._shared[key] = shared
        self._latest.pop(key, None)
        self._latest[key] = shared
        while len(self._latest) > self.kept:
            del self._latest[next(iter(self._latest))]
        return shared


def _made_from(issue: Issue, section: Section) -> bytes:
    """A digest of all a section's pages are made from (`section_pages`): the issue's number,
    title and link, and the section."""
    made_from = hashlib.blake2b(digest_size=16)
    for part in (str(issue.number), issue.title, str(issue.link), section.model_dump_json()):
        made_from.update(part.encode())
        made_from.update(b"\0")
    return made_from.digest()
