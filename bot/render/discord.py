"""What readers see in Discord: embeds for issues, sections and search results.

Pure and deterministic. Every Discord limit that applies to these messages is checked here, so an
embed built by these functions is always accepted.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.models import Issue, IssueSummary, SearchHit, SearchPage, Section
from bot.render.commonmark import discord_markdown, reads_as
from bot.render.markdown import cut_markdown, italic, title_markdown
from bot.render.snippet import snippet_runs
from bot.render.social import Thread
from bot.render.text import escape_markdown, label, literal_words
from bot.text import (
    ELLIPSIS,
    defuse_mentions,
    narrowed,
    one_line,
    shorten,
    without_direction_controls,
)

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
THREAD_NAME_MAX = 100
CHOICES_MAX = 25
"""Autocomplete choices Discord shows at once."""
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100
SELECT_OPTIONS_MAX = 25
SELECT_LABEL_MAX = 100

# What Discord renders as Markdown. Its developer documentation gives each embed part's limit
# (Resources › Message › Embed Object › Embed Limits) but says only of message content that it
# is Markdown (Reference › Message Formatting), and of a choice only that its name is "1-100
# character" (Interactions › Application Commands › Application Command Option Choice
# Structure). What its client renders, and so what newsbot writes in each part:
#   - an embed's description and a field's value: Markdown, links included;
#   - an embed's title and a field's name: Markdown's text formatting (emphasis, code), but no
#     links: `heading_markdown`;
#   - an embed's footer and author name, a thread's or forum post's name, an autocomplete
#     choice's name, a select option's or button's label: plain text, every character shown
#     as it is: `plain_name`.

COLOUR = 0x5865F2
SNIPPET_MAX = 300
BLURB_MAX = 350
SECTION_NAME_MAX = 100
"""How much of one section name a list of them shows."""


@dataclass(frozen=True)
class EmbedField:
    """One name/value field of an embed."""

    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class Embed:
    """A Discord embed as newsbot builds it; `to_dict` gives the API's JSON shape."""

    title: str
    description: str = ""
    url: str | None = None
    fields: tuple[EmbedField, ...] = ()
    footer: str = ""
    colour: int = COLOUR

    def total_length(self) -> int:
        """The characters Discord counts towards its 6000 limit for this embed."""
        return (
            len(self.title)
            + len(self.description)
            + len(self.footer)
            + sum(len(f.name) + len(f.value) for f in self.fields)
        )

    def problems(self) -> list[str]:
        """Every Discord limit this embed breaks (empty when it is valid)."""
        found = []
        checks = [
            ("title", len(self.title), EMBED_TITLE_MAX),
            ("description", len(self.description), EMBED_DESCRIPTION_MAX),
            ("fields", len(self.fields), EMBED_FIELDS_MAX),
            ("footer", len(self.footer), FOOTER_MAX),
            ("total", self.total_length(), EMBED_TOTAL_MAX),
        ]
        checks += [
            (f"field {i} name", len(f.name), FIELD_NAME_MAX) for i, f in enumerate(self.fields)
        ]
        checks += [
            (f"field {i} value", len(f.value), FIELD_VALUE_MAX) for i, f in enumerate(self.fields)
        ]
        for what, size, limit in checks:
            if size > limit:
                found.append(f"{what} is {size} characters, over Discord's {limit}")
        return found

    def to_dict(self) -> dict[str, Any]:
        """The embed in Discord's JSON shape."""
        data: dict[str, Any] = {"type": "rich", "title": self.title, "color": self.colour}
        if self.description:
            data["description"] = self.description
        if self.url:
            data["url"] = self.url
        if self.fields:
            data["fields"] = [
                {"name": f.name, "value": f.value, "inline": f.inline} for f in self.fields
            ]
        if self.footer:
            data["footer"] = {"text": self.footer}
        return data


def fit_lines(lines: Sequence[str], limit: int, *, more: str = "…and {n} more") -> str:
    """Join whole lines while they fit in `limit`, then say how many were left out; a first
    line too long to fit whole is shortened."""
    joined = "\n".join(lines)
    if len(joined) <= limit:
        return joined
    for keep in range(len(lines) - 1, 0, -1):
        text = "\n".join([*lines[:keep], more.format(n=len(lines) - keep)])
        if len(text) <= limit:
            return text
    # Not even the first line fits whole: shortened, it still says what the text is about.
    tail = "\n" + more.format(n=len(lines) - 1) if len(lines) > 1 else ""
    room = limit - len(tail)
    first = cut_markdown(lines[0], room) if room > len(ELLIPSIS) else ""
    if first.rstrip(ELLIPSIS):
        return first + tail
    return shorten(more.format(n=len(lines)), limit)


def heading_markdown(markdown: str, limit: int) -> str:
    """Issue Markdown (a section's name, an issue's title) for an embed's title or a field's
    name, where Discord renders emphasis and code but no links: as the editor wrote it, an
    entity made its character, link syntax shown as written (see `title_markdown`), on one
    line, mentions defused, in `limit` characters cut outside its emphasis and code."""
    return cut_markdown(title_markdown(discord_markdown(one_line(markdown))), limit)


def names_markdown(names: Sequence[str], limit: int) -> str:
    """Section names listed in a message's text, where Discord renders Markdown: each as the
    editor wrote it (`heading_markdown`), whole names while they fit in `limit`, then how many
    more there are; "" for none."""
    shown = [heading_markdown(name, SECTION_NAME_MAX) for name in names]
    kept: list[str] = []
    for name in shown:
        left = len(shown) - len(kept) - 1
        more = f" and {left} more" if left else ""
        if len(", ".join([*kept, name]) + more) > limit:
            break
        kept.append(name)
    if len(kept) == len(shown):
        return ", ".join(kept)
    more = f"{len(shown) - len(kept)} more" if kept else f"{len(shown)} section(s)"
    return shorten(", ".join(kept) + (" and " if kept else "") + more, limit)


def plain_name(markdown: str, limit: int) -> str:
    """Issue Markdown (a section's name, an issue's title) where Discord shows no Markdown (a
    footer, a choice, a thread's name): the text it reads as, defused, in `limit` characters.
    Markdown that reads as nothing (`<br>`) is shown as written, so the name is never empty."""
    return label(reads_as(markdown), limit)


def sections_typed(
    typed: str, sections: Iterable[tuple[str, str]], limit: int
) -> list[tuple[str, str]]:
    """Of `sections` ((slug, name) pairs), the first `limit` that what a reader typed finds,
    for autocomplete choices: those whose name as it reads starts with it first, each group in
    the order given.

    A section is found when the text its choice shows (`plain_name`) starts with what was
    typed, or any word of it does (the words typed then follow in order, the last one maybe
    unfinished), ignoring case and punctuation; or when its slug or its name as written starts
    with it. "mob", "Mobile & E" and "edge" all find `*Mobile* \\& Edge`. Full-width ASCII, as
    CJK keyboards type it, reads as ASCII on both sides (`bot.text.narrowed`): "ＭＯＢ" finds it.

    The archive's sections are few (one per heading an editor ever wrote, tens to a few
    hundred), so all are matched here: the database sees the Markdown, not the text a choice
    shows. Each name's text is read once and kept (`_shown_words`), so a keystroke costs
    about 2 ms for a thousand sections, small next to a round trip to Discord."""
    wanted = " ".join(narrowed(typed).split()).casefold()
    found = [(slug, name) for slug, name in sections if _finds(wanted, slug, name)]
    found.sort(key=lambda pair: not _shown_words(pair[1])[0].startswith(wanted))
    return found[: max(0, limit)]


def _finds(wanted: str, slug: str, name: str) -> bool:
    """Whether `wanted` (what was typed, its spaces single and its case folded) finds the
    section `slug` named `name` (see `sections_typed`)."""
    if not wanted:
        return True
    shown, words = _shown_words(name)
    written = narrowed(name).casefold()
    if shown.startswith(wanted) or written.startswith(wanted) or slug.startswith(wanted):
        return True
    typed_words = _WORD.findall(wanted)
    if not typed_words:
        return False
    whole, last = tuple(typed_words[:-1]), typed_words[-1]
    return any(
        words[at : at + len(whole)] == whole and words[at + len(whole)].startswith(last)
        for at in range(len(words) - len(whole))
    )


_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=4096)
def _shown_words(name: str) -> tuple[str, tuple[str, ...]]:
    """A section's name as its choice shows it, case-folded, and its words; kept, as the
    same names come back at every keystroke."""
    shown = narrowed(reads_as(name)).casefold()
    return shown, tuple(_WORD.findall(shown))


def issue_choice_name(issue: IssueSummary) -> str:
    """An issue as an autocomplete choice: `#202 · ` and its subtitle or title, as it reads."""
    prefix = f"#{issue.number} · "
    return prefix + plain_name(issue.subtitle or issue.title, CHOICE_NAME_MAX - len(prefix))


def issue_heading(issue: Issue) -> str:
    """`#202 · Deep Learning Weekly: Issue #202`, within an embed title's limit."""
    prefix = f"#{issue.number} · "
    return prefix + heading_markdown(issue.title, EMBED_TITLE_MAX - len(prefix))


def item_line(title: str, link: str | None, *, bold: bool = False) -> str:
    """An item's title as it reads in the issue (see `title_markdown`), as a Markdown link when
    it has one, in bold with `bold`."""
    shown = title_markdown(title, in_bold=bold)
    line = f"[{shown}]({link})" if link else shown
    return f"**{line}**" if bold else line


def issue_embed(issue: Issue, *, latest: bool = True) -> Embed:
    """An issue at a glance: its title and link, intro, and each section's item titles; past
    Discord's 25 fields, the last one names the sections left. The footer names the command
    that shows one of its sections: `/latest` for the newest (`latest`), else `/issue`."""
    fields: list[EmbedField] = []
    shown = issue.sections
    if len(shown) > EMBED_FIELDS_MAX:
        # The last field says which sections there is no field left for.
        shown = shown[: EMBED_FIELDS_MAX - 1]
    for section in shown:
        lines = [f"• {item_line(item.title, item.link)}" for item in section.items]
        fields.append(
            EmbedField(
                heading_markdown(section.name, FIELD_NAME_MAX), fit_lines(lines, FIELD_VALUE_MAX)
            )
        )
    rest = issue.sections[len(shown) :]
    if rest:
        names = " · ".join(heading_markdown(s.name, FIELD_NAME_MAX) for s in rest)
        fields.append(
            EmbedField(f"…and {len(rest)} more sections", cut_markdown(names, FIELD_VALUE_MAX))
        )
    asked = "/latest" if latest else f"/issue number:{issue.number}"
    footer = f"Use {asked} section:<name> or /search to read more."
    title = issue_heading(issue)
    fixed = len(title) + len(footer) + sum(len(f.name) + len(f.value) for f in fields)
    if fixed > EMBED_TOTAL_MAX:
        fields = _shrink_fields(fields, EMBED_TOTAL_MAX - len(title) - len(footer) - 200)
        fixed = len(title) + len(footer) + sum(len(f.name) + len(f.value) for f in fields)
    intro = "\n\n".join(x for x in (italic(issue.subtitle or ""), issue.intro) if x)
    room = min(EMBED_DESCRIPTION_MAX, EMBED_TOTAL_MAX - fixed)
    return Embed(
        title=title,
        url=issue.link,
        description=cut_markdown(defuse_mentions(intro), max(room, 0)),
        fields=tuple(fields),
        footer=footer,
    )


def _shrink_fields(fields: list[EmbedField], budget: int) -> list[EmbedField]:
    """Shorten every field evenly so that all of them fit in `budget` characters."""
    share = max(budget // max(len(fields), 1), 40)
    return [
        EmbedField(f.name, fit_lines(f.value.split("\n"), max(share - len(f.name), 20)))
        for f in fields
    ]


def section_pages(issue: Issue, section: Section) -> tuple[Embed, ...]:
    """One section's items with their blurbs, in order, on as many pages (embeds) as Discord's
    limits call for: each item whole on one page (a block too long for any page is shortened).
    With more than one page, each page's footer says which items it shows, of how many."""
    blocks = []
    for item in section.items:
        blurb = cut_markdown(one_line(item.blurb or item.abstract or ""), BLURB_MAX)
        block = f"{item_line(item.title, item.link, bold=True)}\n{defuse_mentions(blurb)}"
        blocks.append(block.strip())
    prefix = f"#{issue.number} · "
    title = prefix + heading_markdown(section.name, EMBED_TITLE_MAX - len(prefix))
    count = len(blocks)
    widest = _items_shown(count, count, count)  # the longest a page's own words may be
    name = plain_name(issue.title, FOOTER_MAX - len(widest))
    room = min(EMBED_DESCRIPTION_MAX, EMBED_TOTAL_MAX - len(title) - len(widest) - len(name))
    pages: list[list[str]] = [[]]
    size = 0
    for block in blocks:
        block = block if len(block) <= room else cut_markdown(block, room)
        if pages[-1] and size + 1 + len(block) > room:
            pages.append([])
        size = len(block) if len(pages[-1]) == 0 else size + 1 + len(block)
        pages[-1].append(block)
    if len(pages) == 1:
        footer = plain_name(issue.title, FOOTER_MAX)
        return (Embed(title=title, url=issue.link, description="\n".join(pages[0]), footer=footer),)
    shown: list[Embed] = []
    first = 1
    for page in pages:
        last = first + len(page) - 1
        footer = _items_shown(first, last, count) + name
        shown.append(Embed(title=title, url=issue.link, description="\n".join(page), footer=footer))
        first = last + 1
    return tuple(shown)


def _items_shown(first: int, last: int, count: int) -> str:
    """The start of a section page's footer: which of the section's items it shows."""
    return f"Items {first}–{last} of {count} · "


def snippet_markdown(hit: SearchHit, limit: int = SNIPPET_MAX) -> str:
    """A hit's snippet as Discord Markdown, within `limit`: the matched text as it reads (see
    `snippet_runs`), escaped, the matches in bold."""
    runs, before, after = snippet_runs(hit)
    out = ELLIPSIS if before else ""
    room = limit - len(ELLIPSIS)
    for text, marked in runs:
        safe = escape_markdown(defuse_mentions(text))
        piece = f"**{safe}**" if marked and safe.strip() else safe
        if len(out) + len(piece) > room:
            out += ELLIPSIS if marked else shorten(safe, limit - len(out))
            return out.strip()
        out += piece
    return (out + (ELLIPSIS if after else "")).strip()


def hit_block(hit: SearchHit, *, linked: bool = True) -> str:
    """One search result: title (linked, unless not `linked`), where it appeared, and its
    snippet."""
    where = f"#{hit.issue_number} · {heading_markdown(hit.section_name, EMBED_TITLE_MAX)}"
    link = hit.item.link if linked else None
    title = item_line(cut_markdown(hit.item.title, 200), link, bold=True)
    return f"{title} — {where}\n{snippet_markdown(hit)}".strip()


def hit_blocks(hits: Sequence[SearchHit], room: int) -> list[str]:
    """Results as `hit_block`s, one a line; when together they take more than `room`, the
    longest links are left out (their titles shown unlinked) until they fit. A result left
    out of the page instead would be on no page: the next one starts after it."""
    blocks = [hit_block(hit) for hit in hits]
    size = sum(map(len, blocks)) + len(blocks) - 1
    longest = sorted(range(len(hits)), key=lambda n: len(hits[n].item.link or ""), reverse=True)
    for n in longest:
        if size <= room or not hits[n].item.link:
            break
        unlinked = hit_block(hits[n], linked=False)
        size -= len(blocks[n]) - len(unlinked)
        blocks[n] = unlinked
    return blocks


def search_embed(query: str, page: SearchPage, *, page_size: int) -> Embed:
    """One page of search results; the footer says which results these are, and what the
    archive limited to answer fast."""
    heading = "Search: "
    title = heading + literal_words(query, EMBED_TITLE_MAX - len(heading))
    first = page.offset + 1
    last = page.offset + len(page.hits)
    footer = f"Results {first}–{last}" + (" · more on the next page" if page.has_more else "")
    if page.offset == 0 and not page.has_more:
        footer = f"{len(page.hits)} result" + ("s" if len(page.hits) != 1 else "")
    if page.limited:
        # The note quotes the reader's words: defused, though an embed never pings.
        said = defuse_mentions(one_line(without_direction_controls(page.limited)))
        footer = shorten(f"{footer} · {said}", FOOTER_MAX)
    room = min(EMBED_DESCRIPTION_MAX, EMBED_TOTAL_MAX - len(title) - len(footer))
    blocks = hit_blocks(page.hits[:page_size], room)
    return Embed(
        title=title,
        description=fit_lines(blocks, room, more="…and {n} more on this page"),
        footer=footer,
    )


def x_thread_embed(x: Thread, *, cost: float) -> Embed:
    """An X thread previewed in Discord: each post with its weight, the cost, what was cut."""
    count = len(x.posts)
    return _thread_embed(x, f"On X: {count} post{'s' if count != 1 else ''}, about ${cost:.3f}")


def thread_embed(thread: Thread, platform: str) -> Embed:
    """A thread on another platform (`Mastodon` …) previewed in Discord: each post with its
    length against the platform's limit, and what was condensed."""
    count = len(thread.posts)
    return _thread_embed(thread, f"On {platform}: {count} post{'s' if count != 1 else ''}")


def _thread_embed(thread: Thread, title: str) -> Embed:
    count = len(thread.posts)
    fields = [
        EmbedField(
            f"Post {n}/{count} · {post.weight}/{thread.limit}",
            shorten(defuse_mentions(post.text), FIELD_VALUE_MAX),
        )
        for n, post in enumerate(thread.posts[:EMBED_FIELDS_MAX], start=1)
    ]
    notes = defuse_mentions("; ".join(thread.notes))
    footer = shorten(f"Condensed: {notes}", FOOTER_MAX) if thread.notes else ""
    budget = EMBED_TOTAL_MAX - len(title) - len(footer)
    if sum(len(f.name) + len(f.value) for f in fields) > budget:
        fields = _shrink_fields(fields, budget - 200)
    return Embed(title=title, fields=tuple(fields), footer=footer)


def related_embed(hits: Sequence[SearchHit]) -> Embed:
    """Archive items related to a message: title, where, and a short snippet each."""
    blocks = hit_blocks(hits, EMBED_DESCRIPTION_MAX)
    title = "Related links from the archive"
    return Embed(title=title, description=fit_lines(blocks, EMBED_DESCRIPTION_MAX))
