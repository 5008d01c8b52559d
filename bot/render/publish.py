"""What newsbot posts when an issue lands: the digest, and one thread of items per section.

Pure and deterministic: the same issue (and the same thread ids) gives the same messages. Every
message built here fits Discord's limits (2000 characters of content, 10 embeds and 6000
characters of embed text per message, the per-embed limits, 100 characters per thread name),
is split only where a limit forces it, and never inside a word or a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.models import Issue, Item, Section
from bot.render.commonmark import discord_markdown, link_target
from bot.render.discord import (
    CONTENT_MAX,
    EMBED_DESCRIPTION_MAX,
    EMBED_FIELDS_MAX,
    EMBED_TITLE_MAX,
    EMBED_TOTAL_MAX,
    EMBEDS_MAX,
    FIELD_NAME_MAX,
    FIELD_VALUE_MAX,
    THREAD_NAME_MAX,
    Embed,
    EmbedField,
    fit_lines,
    heading_markdown,
    issue_heading,
    item_line,
    plain_name,
)
from bot.render.markdown import cut_markdown, italic
from bot.render.text import escape_markdown
from bot.text import defuse_mentions, one_line, shorten

ABSTRACT_MAX = 700
"""An abstract longer than this is shortened (with a link to the item when it has one)."""
INTRO_MAX = 1500
"""The digest keeps the intro to a screenful; the issue's link has the rest."""
SECTION_NAME_MAX = 100
NOTIFY_CUSTOM_ID = "newsbot:notify:{role_id}"
"""The custom_id of the digest's "Notify me" button; the cog's persistent item matches it."""
NOTIFY_LABEL = "Notify me"
SEPARATOR = " · "

_LINK = re.compile(r"\[[^\]\n]*\]\([^)\s]*\)|<[^>\s]*>|https?://\S+")


@dataclass(frozen=True)
class Post:
    """One message as newsbot posts it: content, embeds, who it may ping, and its button."""

    content: str = ""
    embeds: tuple[Embed, ...] = ()
    ping_role_id: int | None = None
    notify_role_id: int | None = None

    def allowed_mentions(self) -> dict[str, Any]:
        """Discord's `allowed_mentions`: nobody, or only the role this message announces to."""
        if self.ping_role_id is None:
            return {"parse": []}
        return {"parse": [], "roles": [str(self.ping_role_id)]}

    def components(self) -> list[dict[str, Any]]:
        """The "Notify me" button, when the channel has a role readers can opt in to."""
        if self.notify_role_id is None:
            return []
        button = {
            "type": 2,
            "style": 2,
            "label": NOTIFY_LABEL,
            "emoji": {"name": "🔔"},
            "custom_id": NOTIFY_CUSTOM_ID.format(role_id=self.notify_role_id),
        }
        return [{"type": 1, "components": [button]}]

    def to_dict(self) -> dict[str, Any]:
        """The message body in Discord's JSON shape (without nonce)."""
        return {
            "content": self.content,
            "embeds": [_embed_json(embed) for embed in self.embeds],
            "allowed_mentions": self.allowed_mentions(),
            "components": self.components(),
        }

    def embed_total(self) -> int:
        """The characters Discord counts towards the 6000 limit of one message."""
        return sum(embed.total_length() for embed in self.embeds)

    def problems(self) -> list[str]:
        """Every Discord limit this message breaks (empty when it is valid)."""
        found = [f"embed {i}: {p}" for i, e in enumerate(self.embeds) for p in e.problems()]
        if len(self.content) > CONTENT_MAX:
            found.append(f"content is {len(self.content)} characters, over {CONTENT_MAX}")
        if len(self.embeds) > EMBEDS_MAX:
            found.append(f"{len(self.embeds)} embeds, over {EMBEDS_MAX}")
        if self.embed_total() > EMBED_TOTAL_MAX:
            found.append(f"embeds total {self.embed_total()} characters, over {EMBED_TOTAL_MAX}")
        if not self.content.strip() and not self.embeds:
            found.append("the message is empty")
        return found

    def text(self) -> str:
        """All the text a reader sees in this message, for previews and tests."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.title, embed.description, embed.footer]
            parts += [f"{f.name}\n{f.value}" for f in embed.fields]
        return "\n".join(part for part in parts if part)


@dataclass(frozen=True)
class SectionThread:
    """A section of an issue as one thread (or forum post): its name and its messages."""

    slug: str
    section_name: str
    name: str
    posts: tuple[Post, ...] = field(default_factory=tuple)


def _embed_json(embed: Embed) -> dict[str, Any]:
    data = embed.to_dict()
    if not data.get("title"):
        # A continuation embed has no title; Discord wants the key absent, not empty.
        data.pop("title", None)
    return data


# --- pieces of text -------------------------------------------------------------------------


def link_text(text: str) -> str:
    """Issue text shown literally inside a Markdown link or bold: escaped and defused."""
    return defuse_mentions(escape_markdown(text))


def item_title(item: Item, *, bold: bool = False) -> str:
    """An item's title as it reads in the issue, as a link when it has one (in bold with
    `bold`); never a mention, never a link of its own."""
    return item_line(item.title, link_target(item.link) if item.link else None, bold=bold)


def item_block(item: Item) -> str:
    """One item as posted in its section's thread: title, blurb, and the abstract (shortened)."""
    lines = [item_title(item, bold=True)]
    if item.blurb.strip():
        lines.append(defuse_mentions(discord_markdown(item.blurb.strip())))
    if item.abstract and item.abstract.strip():
        abstract = discord_markdown(item.abstract.strip())
        if len(abstract) > ABSTRACT_MAX:
            more = f" [Read more]({link_target(item.link)})" if item.link else ""
            abstract = cut_markdown(abstract, ABSTRACT_MAX) + more
        quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in abstract.split("\n"))
        lines.append(defuse_mentions(quoted))
    return "\n".join(lines)


def thread_name(issue: Issue, section: Section) -> str:
    """`#202 · Industry`, within Discord's 100 characters for a thread name, never a mention.

    A thread's name shows no Markdown: the section's name is in it as it reads."""
    return _titled(issue, section.name)


def digest_post_name(issue: Issue) -> str:
    """The name of the digest's forum post: `#202 · Deep Learning Weekly: Issue #202`, the
    title as it reads (a post's name shows no Markdown)."""
    return _titled(issue, issue.title)


def _titled(issue: Issue, markdown: str) -> str:
    prefix = f"#{issue.number}{SEPARATOR}"
    return prefix + plain_name(markdown, THREAD_NAME_MAX - len(prefix))


def thread_mention(thread_id: int) -> str:
    """A clickable link to a thread or forum post."""
    return f"<#{thread_id}>"


# --- splitting ------------------------------------------------------------------------------


def _protected(text: str) -> list[tuple[int, int]]:
    return [match.span() for match in _LINK.finditer(text)]


def _cut(text: str, limit: int) -> int:
    """Where to cut `text` so the head fits in `limit`: at a paragraph, line or word break.

    Never inside a link; a single word longer than `limit` is cut hard (it has no break).
    """
    spans = _protected(text)

    def free(at: int) -> bool:
        return not any(start < at < end for start, end in spans)

    for separator in ("\n\n", "\n", " "):
        at = text.rfind(separator, 0, limit + 1)
        while at > 0:
            # A paragraph break far back wastes room: prefer a closer line or word break.
            if free(at) and (separator == " " or at >= limit // 2):
                return at
            at = text.rfind(separator, 0, at)
    # No break at all: between two links is the next best place.
    ends = [end for _, end in spans if 0 < end <= limit]
    return max(ends) if ends else limit


def split_text(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at the best break, never in a link."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        at = _cut(rest, limit)
        head = rest[:at].rstrip()
        pieces.append(head)
        rest = rest[at:].strip()
    if rest:
        pieces.append(rest)
    return pieces


def pack(blocks: Iterable[str], *, title: str = "", url: str | None = None) -> tuple[Post, ...]:
    """Blocks of text in as few messages as the limits allow, in order, each block whole.

    A block goes on in the current embed while it fits, then in a new embed of the same
    message, then in a new message; only a block longer than an embed is split.
    """
    messages: list[list[str]] = [[]]
    title = shorten(title, EMBED_TITLE_MAX)
    budget = EMBED_TOTAL_MAX - len(title)
    for block in blocks:
        for piece in split_text(block, EMBED_DESCRIPTION_MAX):
            current = messages[-1]
            used = sum(len(d) for d in current)
            room = budget if len(messages) == 1 else EMBED_TOTAL_MAX
            if (
                current
                and len(current[-1]) + 2 + len(piece) <= EMBED_DESCRIPTION_MAX
                and (used + 2 + len(piece) <= room)
            ):
                current[-1] += "\n\n" + piece
            elif len(current) < EMBEDS_MAX and used + len(piece) <= room:
                current.append(piece)
            else:
                messages.append([piece])
    posts: list[Post] = []
    for index, descriptions in enumerate(messages):
        if not descriptions:
            continue
        embeds = [Embed(title="", description=d) for d in descriptions]
        if index == 0 and title:
            embeds[0] = Embed(title=title, url=url, description=descriptions[0])
        posts.append(Post(embeds=tuple(embeds)))
    return tuple(posts)


# --- what gets posted -----------------------------------------------------------------------


def section_thread(issue: Issue, section: Section) -> SectionThread:
    """A section's thread: its name and its items, in as few messages as the limits allow."""
    # An embed's title shows the name's emphasis and code as the issue does.
    name = heading_markdown(section.name, SECTION_NAME_MAX)
    posts = pack((item_block(item) for item in section.items), title=name, url=issue.link)
    return SectionThread(
        slug=section.slug, section_name=section.name, name=thread_name(issue, section), posts=posts
    )


def section_threads(issue: Issue, sections: Sequence[str] = ()) -> list[SectionThread]:
    """The threads of an issue, in reading order; `sections` (slugs) keeps only those."""
    return [
        section_thread(issue, section)
        for section in issue.sections
        if not sections or section.answers_to(sections)
    ]


def _listing(titles: Sequence[str], total: int) -> str:
    """The titles shown of a section's `total` items, then how many more its thread holds."""
    if not titles:
        return f"{total} item{'s' if total != 1 else ''} in the thread"
    more = total - len(titles)
    return SEPARATOR.join([*titles, f"…and {more} more in the thread"] if more else titles)


def _section_fields(
    issue: Issue, sections: Sequence[Section], threads: Mapping[str, int | None], room: int
) -> list[EmbedField]:
    """A field per section: its name, its thread, and its items' titles dealt round robin
    over the sections (a first title each, then a second …) while they fit in `room`, so
    every section shows as many as the message has room for."""
    names, wheres, titles = [], [], []
    for section in sections:
        names.append(heading_markdown(section.name, min(FIELD_NAME_MAX, SECTION_NAME_MAX)))
        thread_id = threads.get(section.slug)
        wheres.append(
            thread_mention(thread_id)
            if thread_id
            else f"*{link_text(thread_name(issue, section))}*"
        )
        titles.append([item_title(item) for item in section.items])
    shown = [0] * len(sections)

    def field(number: int) -> EmbedField:
        listing = _listing(titles[number][: shown[number]], len(titles[number]))
        return EmbedField(name=names[number], value=f"{wheres[number]}\n{listing}")

    fields = [field(number) for number in range(len(sections))]
    used = sum(len(f.name) + len(f.value) for f in fields)
    # A section stops at the first title that does not fit: its titles are shown in order.
    dealing = [number for number in range(len(sections)) if titles[number]]
    while dealing:
        for number in list(dealing):
            shown[number] += 1
            wider = field(number)
            grown = len(wider.value) - len(fields[number].value)
            if len(wider.value) <= FIELD_VALUE_MAX and used + grown <= room:
                fields[number], used = wider, used + grown
                if shown[number] < len(titles[number]):
                    continue
            else:
                shown[number] -= 1
            dealing.remove(number)
    return fields


def digest(
    issue: Issue,
    *,
    threads: Mapping[str, int | None] | None = None,
    sections: Sequence[str] = (),
    role_id: int | None = None,
) -> Post:
    """The message announcing an issue: title and link, intro, and a line per section.

    Each section's line links to its thread (when `threads` gives its id) and lists its items'
    titles as links: the message's room left by the intro is shared across the sections, so
    each lists as many as fit, then says how many more its thread holds. With `role_id` the
    message pings that role, and only it, and carries the "Notify me" button.
    """
    threads = threads or {}
    chosen = [s for s in issue.sections if not sections or s.answers_to(sections)]
    title = issue_heading(issue)
    intro_parts = [italic(issue.subtitle or ""), discord_markdown(issue.intro.strip())]
    intro = defuse_mentions("\n\n".join(part for part in intro_parts if part))
    # Each section's line first (with no title: its thread and count), in all but 200
    # characters; then titles, in the room the intro (up to its most) leaves.
    intro_floor = 200
    field_budget = EMBED_TOTAL_MAX - len(title) - intro_floor
    max_fields = EMBED_FIELDS_MAX * EMBEDS_MAX
    shown = chosen[:max_fields]
    if len(chosen) > max_fields:
        shown = chosen[: max_fields - 1]
    fields = _section_fields(issue, shown, threads, 0)
    while fields and sum(len(f.name) + len(f.value) for f in fields) > field_budget:
        # Sections so many that even a link each does not fit: drop the last into a count.
        fields.pop()
    left_out = len(chosen) - len(fields)
    in_threads = "section in its thread" if left_out == 1 else "sections in threads"
    more_sections = EmbedField(name="More sections", value=f"…and {left_out} more {in_threads}")
    extra = len(more_sections.name) + len(more_sections.value) if left_out else 0
    intro_room = max(min(len(intro), INTRO_MAX, EMBED_DESCRIPTION_MAX), intro_floor)
    fields = _section_fields(
        issue, shown[: len(fields)], threads, EMBED_TOTAL_MAX - len(title) - intro_room - extra
    )
    if left_out:
        fields.append(more_sections)
    used = len(title) + sum(len(f.name) + len(f.value) for f in fields)
    room = min(INTRO_MAX, EMBED_DESCRIPTION_MAX, EMBED_TOTAL_MAX - used)
    if len(intro) > room and issue.link:
        more = f" [Read the issue]({link_target(issue.link)})"
        intro = cut_markdown(intro, max(room - len(more), 0)) + more
    else:
        intro = cut_markdown(intro, max(room, 0))
    embeds: list[Embed] = []
    for start in range(0, max(len(fields), 1), EMBED_FIELDS_MAX):
        chunk = tuple(fields[start : start + EMBED_FIELDS_MAX])
        if start == 0:
            embeds.append(Embed(title=title, url=issue.link, description=intro, fields=chunk))
        else:
            embeds.append(Embed(title="", fields=chunk))
    content = ""
    if role_id is not None:
        headline = defuse_mentions(one_line(issue.subtitle or issue.title))
        content = shorten(f"<@&{role_id}> New issue: **#{issue.number}** · {headline}", CONTENT_MAX)
    return Post(content=content, embeds=tuple(embeds), ping_role_id=role_id, notify_role_id=role_id)


def unescape(text: str) -> str:
    """Rendered text back to what a reader reads: no escapes, no zero-width spaces."""
    return re.sub(r"\\(.)", r"\1", text.replace("\u200b", ""))


def thanks_post(suggested: Sequence[tuple[str, Sequence[int]]]) -> Post:
    """A thank-you in a section's thread to the readers who suggested its items.

    The mentions show the readers' names; `allowed_mentions` lets none of them ping.
    """
    lines = []
    for title, users in suggested:
        names = ", ".join(f"<@{user}>" for user in users)
        shown = item_line(cut_markdown(one_line(title), 200), None, bold=True)
        lines.append(f"• {shown}, suggested by {names}")
    heading = "🙏 Thank you, readers — these came from your suggestions:"
    body = fit_lines(lines, CONTENT_MAX - len(heading) - 1, more="…and {n} more")
    return Post(content=f"{heading}\n{body}")
