"""The reader commands: thin adapters from interactions to the archive and the renderers."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NO_MENTIONS
from bot.errors import IssueNotFound
from bot.models import Issue, slugify
from bot.render.discord import (
    CHOICE_NAME_MAX,
    CHOICES_MAX,
    Embed,
    issue_choice_name,
    issue_embed,
    plain_name,
    related_embed,
    sections_typed,
)
from bot.render.text import literal_words
from bot.store import Archive
from bot.store import query as query_syntax
from bot.text import has_visible_text, narrowed
from cogs.choices import in_time
from cogs.reader import _replies as replies
from cogs.reader._answering import Answering
from cogs.reader._asked import Asked, no_section, said, said_quoted
from cogs.reader._public import kept_private
from cogs.reader._sections import Sections
from cogs.reader._views import (
    PAGER_TIMEOUT,
    Answers,
    PageButton,
    Pagers,
    SearchRequest,
)

if TYPE_CHECKING:
    from bot.app import Newsbot

QUERY_MIN, QUERY_MAX = 2, 200
ISSUE_MAX = 999_999
RELATED_LIMIT = 5
LIMITED_MAX = 600
"""How much of what a search limited is told (it quotes the reader's words)."""
ANSWERED_PRIVATELY = "Answered privately."
"""A public placeholder's last words, just before it is deleted (see `answer_privately`)."""


def embed_of(rendered: Embed) -> discord.Embed:
    """A discord.py Embed from one built by `bot.render.discord`."""
    return discord.Embed.from_dict(rendered.to_dict())


async def answer(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    ephemeral: bool = True,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
) -> None:
    """Send the command's answer, as the first response or as the follow-up after a defer."""
    extra: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
    if embed is not None:
        extra["embed"] = embed
    if view is not None:
        extra["view"] = view
    if interaction.response.is_done():
        await interaction.followup.send(content or "", ephemeral=ephemeral, **extra)
    else:
        await interaction.response.send_message(content, ephemeral=ephemeral, **extra)


async def answer_privately(interaction: discord.Interaction, content: str, *, public: bool) -> None:
    """Tell the asker alone: a mistake, or that nothing was found, even when the answer asked
    for is `public`.

    After a public "thinking…" placeholder, a first follow-up fills the placeholder, public
    whatever its flags (Discord keeps a deferred answer's visibility). So the placeholder is
    edited first, the answer follows as a private message of its own, and the placeholder goes.
    """
    if not (public and interaction.response.is_done()):
        await answer(interaction, content)
        return
    await interaction.edit_original_response(
        content=ANSWERED_PRIVATELY, allowed_mentions=NO_MENTIONS
    )
    await interaction.followup.send(content, ephemeral=True, allowed_mentions=NO_MENTIONS)
    await interaction.delete_original_response()


class Reader(commands.Cog):
    """What any reader can ask newsbot."""

    def __init__(self, bot: Newsbot, archive: Archive) -> None:
        self.bot = bot
        self.archive = archive
        self.asked = Asked(archive)
        self.pager_timeout = PAGER_TIMEOUT
        self.answers = Answers()
        self.answering = Answering()
        self.pagers = Pagers(archive, self.answers, answering=self.answering)
        self.sections = Sections()
        self.related_menu = app_commands.ContextMenu(
            name="Find related links", callback=self.find_related
        )

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.related_menu)
        self.bot.add_dynamic_items(PageButton)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.related_menu.name, type=self.related_menu.type)
        self.bot.remove_dynamic_items(PageButton)
        self.pagers.close()

    # --- autocomplete ----------------------------------------------------------------------

    async def section_choices(
        self, current: str, issue: Issue | None = None
    ) -> list[app_commands.Choice[str]]:
        """Sections that what the reader typed finds, in their names as the choices show them
        (see `sections_typed`): `issue`'s, in its order, or without one those of any issue
        by name, each once by its slug today (`sections_today`); those whose name starts as
        typed first."""
        if issue is None:
            every = await self.archive.issues.sections_today(limit=None, held=False)
        else:
            every = [(s.slug, s.name) for s in issue.sections]
        names = sections_typed(current, every, CHOICES_MAX)
        return [
            app_commands.Choice(name=plain_name(name, CHOICE_NAME_MAX), value=slug)
            for slug, name in names
        ]

    async def chosen_issue(self, interaction: discord.Interaction, option: str) -> Issue | None:
        """The archived issue whose number the reader gave in `option`, if any (an option not
        focused is given as typed, maybe not a number yet)."""
        typed = str(getattr(interaction.namespace, option, None) or "").strip()
        if not typed.isdecimal() or len(typed) > len(str(ISSUE_MAX)):
            return None
        try:
            return await self.archive.issues.issue(int(typed))
        except IssueNotFound:
            return None

    async def issue_choices(
        self, _: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        """Issue numbers starting with what the reader typed, newest first, with titles; digits
        typed full-width (`２０`, as a CJK keyboard types them) read as ASCII digits."""
        issues = await self.archive.issues.issues(
            prefix=narrowed(current.strip()), limit=CHOICES_MAX, held=False
        )
        return [app_commands.Choice(name=issue_choice_name(i), value=i.number) for i in issues]

    # --- commands --------------------------------------------------------------------------

    @app_commands.command(name="latest", description="The newest issue, or one of its sections.")
    @app_commands.describe(
        section="Show only this section of the issue.",
        public="Post the answer in the channel for everyone (default: only you see it).",
    )
    async def latest(
        self, interaction: discord.Interaction, section: str | None = None, public: bool = False
    ) -> None:
        note = kept_private(interaction) if public else None
        public = public and note is None
        issue = await self.answering.soon(
            interaction, self.archive.issues.latest(), ephemeral=not public
        )
        if issue is None:
            empty = "The archive is empty: no issue has been published yet."
            await answer_privately(interaction, empty, public=public)
            return
        await self._show(interaction, issue, section, public=public, note=note, latest=True)

    @latest.autocomplete("section")
    @in_time
    async def _latest_section(
        self, _: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.section_choices(current, await self.archive.issues.latest())

    @app_commands.command(name="issue", description="Any past issue of the newsletter.")
    @app_commands.describe(
        number="The issue's number; start typing to see the issues.",
        section="Show only this section of the issue.",
        public="Post the answer in the channel for everyone (default: only you see it).",
    )
    async def issue(
        self,
        interaction: discord.Interaction,
        number: app_commands.Range[int, 1, ISSUE_MAX],
        section: str | None = None,
        public: bool = False,
    ) -> None:
        note = kept_private(interaction) if public else None
        public = public and note is None
        try:
            found = await self.answering.soon(
                interaction, self.archive.issues.issue(number), ephemeral=not public
            )
        except IssueNotFound:
            await answer_privately(
                interaction, await self.asked.not_archived(number), public=public
            )
            return
        await self._show(interaction, found, section, public=public, note=note, latest=False)

    @issue.autocomplete("number")
    @in_time
    async def _issue_number(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return await self.issue_choices(interaction, current)

    @issue.autocomplete("section")
    @in_time
    async def _issue_section(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.section_choices(current, await self.chosen_issue(interaction, "number"))

    async def _show(
        self,
        interaction: discord.Interaction,
        issue: Issue,
        section: str | None,
        *,
        public: bool,
        note: str | None,
        latest: bool,
    ) -> None:
        if section is None or not has_visible_text(section):
            shown = embed_of(issue_embed(issue, latest=latest))
            await answer(interaction, note, embed=shown, ephemeral=not public)
            return
        chosen = issue.section(slugify(section))
        known = await self.asked.known_section(section) if chosen is None else None
        if known is not None:  # named as a newer issue names it (renamed in place)
            chosen = issue.section(known[0])
        if chosen is None:
            told = no_section(issue, known[1] if known else section)
            await answer_privately(interaction, told, public=public)
            return
        command = "latest" if latest else "issue"
        pages = self.sections.pages(command, issue, chosen, embed_of)
        if interaction.response.is_done():  # filling the "thinking…" placeholder
            await replies.edit_original(interaction, replies.rendered(pages.first.body(note=note)))
        else:
            kind = discord.InteractionResponseType.channel_message
            first = pages.first.body(ephemeral=not public, note=note)
            await replies.respond(interaction, kind, replies.callback(kind, first))
        if len(pages) > 1:  # the rest of the section, a page at a time
            self.pagers.open(interaction, pages, self.pager_timeout)

    @app_commands.command(name="search", description="Search every item of every past issue.")
    @app_commands.describe(
        query='Words to find; "a phrase" in quotes, a prefix like distil*, -word to leave out.',
        section="Only items from this section.",
        issue="Only items from this issue number.",
        since="Only issues published on or after this date (YYYY-MM-DD).",
        public="Post the results in the channel for everyone (default: only you see them).",
    )
    async def search(
        self,
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, QUERY_MAX],
        section: str | None = None,
        issue: app_commands.Range[int, 1, ISSUE_MAX] | None = None,
        since: str | None = None,
        public: bool = False,
    ) -> None:
        note = kept_private(interaction) if public else None
        public = public and note is None
        if section is not None and not has_visible_text(section):
            section = None  # a blank section is no section
        if since is not None and not has_visible_text(since):
            since = None  # nor is a blank date a date window
        since_date: dt.date | None = None
        if since is not None:
            with contextlib.suppress(ValueError):
                since_date = dt.date.fromisoformat(since.strip())
        request = SearchRequest(
            query=query,
            section=await self.asked.section_slug(section, issue) if section else None,
            issue=issue,
            since=since_date,
        )
        # A kept answer was asked with these very words, already found searchable: it is sent
        # at once, without reading the words again or the detour through a task.
        dated = since is None or since_date is not None
        shown = self.answers.get(request) if dated else None
        if shown is None:
            problem = self._query_problem(query)
            if problem is None and not dated:
                problem = f"“{said(since or '')}” is not a date: write it like 2021-06-16."
            if problem is not None:
                await answer(interaction, problem)
                return
            shown = await self.answering.soon(
                interaction, request.answer(self.archive, self.answers), ephemeral=not public
            )
        page = shown.page
        if not page.hits:
            told = await self.asked.unknown_filter(issue, section)
            if told is None:
                filters = " with those filters" if (section or issue or since) else ""
                dating = None  # what the date window alone explains
                if since_date is not None:
                    dating = await self.asked.undated(request)
                    dating = dating or await self.asked.after_latest(since_date)
                told = f"Nothing in the archive matches {said_quoted(query)}{filters}. " + (
                    dating or "Try fewer or other words, or a prefix like `distil*`."
                )
                if page.limited:
                    told += f"\nLimited: {literal_words(page.limited, LIMITED_MAX)}."
            await answer_privately(interaction, told, public=public)
            return
        # The answer was rendered once for every reader shown it; it goes out as it is.
        if interaction.response.is_done():
            await replies.edit_original(interaction, shown.edit(note))
        else:
            kind = discord.InteractionResponseType.channel_message
            await replies.respond(interaction, kind, shown.reply(ephemeral=not public, note=note))
        if page.has_more:
            self.pagers.open(interaction, [shown], self.pager_timeout, request=request)

    @search.autocomplete("section")
    @in_time
    async def _search_section(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.section_choices(current, await self.chosen_issue(interaction, "issue"))

    @search.autocomplete("issue")
    @in_time
    async def _search_issue(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return await self.issue_choices(interaction, current)

    def _query_problem(self, query: str) -> str | None:
        """Why a search text cannot be searched, in words a reader understands; else None."""
        if len(query) > QUERY_MAX:
            return f"That search is too long: keep it under {QUERY_MAX} characters."
        if query_syntax.only_excluded(query):
            return (
                "A `-word` leaves out the items holding it: add a word to find, like"
                " `torch -trick`."
            )
        too_short = sum(ch.isalnum() for ch in query) < QUERY_MIN
        too_short = too_short and not query_syntax.sign_named(query)
        if too_short or not self.archive.issues.searchable(query):
            return f"Search for at least {QUERY_MIN} letters or digits, like `pytorch`."
        return None

    async def find_related(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        """Archive items related to a message's text: past links that answer a question."""
        text = " ".join([message.content, *(e.description or "" for e in message.embeds)])
        hits = await self.answering.soon(
            interaction, self.archive.issues.related(text, limit=RELATED_LIMIT), ephemeral=True
        )
        if not hits:
            await answer(interaction, "Nothing in the archive looks related to that message.")
            return
        await answer(interaction, embed=embed_of(related_embed(hits)))
