"""An issue as a thread of posts, on any platform that posts threads (X, Mastodon, Bluesky).

Pure and deterministic: the same issue, rules and settings give the same posts. The first post
(the *lead*) carries the issue's number, title and link; the posts after it carry the sections
and their items, packed densely (`packing.py`) and split only between items where they can be.
What differs between platforms is in their `PostRules`: the limit, how a post's length is
counted, where URLs are, and how issue text is made safe there.

When the thread would be longer than `max_posts`, it is condensed step by step — blurbs
shortened, then titles only, then fewer items with a pointer to the issue — and the result says
exactly what was condensed (`Thread.notes`, `.shortened`, `.omitted`).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from bot.models import Issue, Item, Section
from bot.render.commonmark import plain_line
from bot.render.packing import MIN_ROOM, Atom, Post, PostRules, atoms_of, fit, pack, post_of

__all__ = ["LinkMode", "Post", "PostRules", "Thread", "lead_post", "thread"]

BULLET = "• "
BLURB_SEPARATOR = " — "
THREAD_MARK = "🧵"
BLURB_LIMITS = (200, 140, 100, 70, 40)
"""The weighted lengths blurbs are shortened to, in turn, when the thread is too long."""
TITLE_ONLY_MAX = 120
"""In a condensed thread a title is shortened to this (it gets a whole post otherwise)."""
DEFAULT_MAX_POSTS = 8


class LinkMode(enum.StrEnum):
    """Which links the thread carries (on X a post with a URL costs about 13 times more)."""

    ISSUE = "issue"
    """Only the lead post, with the issue's link: the default (on X, the cheap one)."""
    ITEMS = "items"
    """The issue's link in the lead, and each item's own link after it."""
    NONE = "none"
    """No link newsbot adds (URLs written in the issue's text stay)."""


@dataclass(frozen=True)
class Thread:
    """An issue as a thread of posts, and what was condensed to keep it within `max_posts`."""

    posts: tuple[Post, ...]
    limit: int
    """A post's most on the platform, in its own count."""
    notes: tuple[str, ...] = ()
    """What was condensed, in words (empty when the whole issue is in the thread)."""
    shortened: tuple[str, ...] = ()
    """Keys of items whose blurb was shortened or left out, or whose title was cut."""
    omitted: tuple[str, ...] = ()
    """Keys of items left out of the thread (the pointer to the issue stands for them)."""
    lead_cut: bool = False
    """Whether the lead post shortened the issue's title."""

    @property
    def condensed(self) -> bool:
        """Whether anything of the issue's items was shortened or left out."""
        return bool(self.shortened or self.omitted or self.lead_cut)

    @property
    def fill(self) -> float:
        """The average share of a post's limit the posts use."""
        return sum(p.weight for p in self.posts) / (self.limit * len(self.posts))

    def cost(self, post_price: float, url_post_price: float) -> float:
        """The estimated price of posting the whole thread."""
        return sum(p.cost(post_price, url_post_price) for p in self.posts)


def lead_post(
    issue: Issue, rules: PostRules, links: LinkMode = LinkMode.ISSUE
) -> tuple[Post, bool]:
    """The first post: number, title, link (unless `links` is none), then subtitle and intro.

    Returns the post and whether the title had to be shortened.
    """
    title = rules.clean(issue.title)
    number = rules.clean(f"#{issue.number}")
    if number not in title:
        title = f"{number} · {title}"
    title += " " + THREAD_MARK
    link = rules.as_link(issue.link) if issue.link and links != LinkMode.NONE else None
    tail = f"\n{link}" if link else ""
    head = fit(title, rules.limit - rules.taken(tail) if tail else rules.limit, rules)
    parts = [head]
    for extra in (issue.subtitle, issue.intro):
        room = rules.limit - rules.taken("\n".join(parts) + tail) - 1
        if not extra or room < MIN_ROOM // 3:
            continue
        parts.append(fit(_plain(extra, rules, keep_links=False), room, rules))
    while rules.taken("\n".join(parts) + tail) > rules.limit and len(parts) > 1:
        parts.pop()
    return post_of("\n".join(parts) + tail, rules), head != title


def _plain(markdown: str, rules: PostRules, *, keep_links: bool) -> str:
    return rules.clean(plain_line(markdown, keep_links=keep_links))


@dataclass(frozen=True)
class _Level:
    """How much of each item a rendering keeps."""

    blurb_limit: int | None
    """None: whole blurbs; 0: titles only; else blurbs shortened to this weight."""
    keep: int | None = None
    """How many items are kept (round robin over the sections); None: all."""


@functools.lru_cache(maxsize=8192)
def _item_block(
    item: Item, rules: PostRules, links: LinkMode, blurb_limit: int | None, header: str | None
) -> tuple[tuple[Atom, ...], bool]:
    """An item's atoms (after its section's name, for the first), and whether it was cut."""
    shortened = False
    # A title is Markdown as the editor wrote it (`\*\*kwargs`); none of these platforms shows
    # Markdown, so it is posted as it reads.
    title = _plain(item.title, rules, keep_links=False)
    if blurb_limit is not None and rules.taken(title) > TITLE_ONLY_MAX:
        title = fit(title, TITLE_ONLY_MAX, rules)
        shortened = True
    text = BULLET + title
    keep_links = links == LinkMode.ITEMS
    blurb = _plain(item.blurb, rules, keep_links=keep_links) if item.blurb else ""
    if blurb and blurb_limit != 0:
        if blurb_limit is not None and rules.taken(blurb) > blurb_limit:
            blurb = fit(blurb, blurb_limit, rules)
            shortened = True
        text += BLURB_SEPARATOR + blurb
    elif blurb:
        shortened = True
    if links == LinkMode.ITEMS and item.link:
        text += " " + rules.as_link(item.link)
    atoms = atoms_of(text, rules, item=item.key)
    if header is not None:
        # The section's name on its own line, glued to its first item.
        atoms = [*atoms_of(header, rules, item=None), *atoms]
    return tuple(atoms), shortened


def _kept(sections: Sequence[Section], keep: int | None) -> list[list[Item]]:
    """The items kept per section: all, or `keep` of them dealt round robin over the sections."""
    if keep is None:
        return [list(s.items) for s in sections]
    counts = [0] * len(sections)
    left = keep
    while left > 0:
        dealt = False
        for number, section in enumerate(sections):
            if left and counts[number] < len(section.items):
                counts[number] += 1
                left -= 1
                dealt = True
        if not dealt:
            break
    return [list(s.items[:n]) for s, n in zip(sections, counts, strict=True)]


def _render_body(
    issue: Issue, rules: PostRules, links: LinkMode, level: _Level, room: int, limit: int
) -> tuple[list[Post] | None, set[str], list[str]]:
    shortened: set[str] = set()
    kept = _kept(issue.sections, level.keep)
    blocks: list[list[Atom]] = []
    omitted: list[str] = []
    for section, items in zip(issue.sections, kept, strict=True):
        # The kept items are the section's first ones (`_kept`): the rest are left out.
        omitted += [i.key for i in section.items[len(items) :]]
        for number, item in enumerate(items):
            # A section's name is Markdown too (`## **Bold** news`): posted as it reads.
            header = _plain(section.name, rules, keep_links=False) + ":" if number == 0 else None
            atoms, cut = _item_block(item, rules, links, level.blurb_limit, header)
            blocks.append(list(atoms))
            if cut:
                shortened.add(item.key)
    if omitted:
        pointer = f"+{len(omitted)} more in the issue."
        if issue.link and links == LinkMode.ISSUE:
            pointer = f"+{len(omitted)} more in the issue (link in the first post)."
        elif issue.link and links == LinkMode.ITEMS:
            pointer = f"+{len(omitted)} more in the issue: {rules.as_link(issue.link)}"
        blocks.append(atoms_of(pointer, rules, item=None))
    posts = pack(blocks, rules, limit, room) if blocks else []
    return posts, shortened, omitted


def thread(
    issue: Issue,
    rules: PostRules,
    *,
    links: LinkMode = LinkMode.ISSUE,
    max_posts: int = DEFAULT_MAX_POSTS,
) -> Thread:
    """The issue as a thread of at most `max_posts` posts (at least 2), condensed if it must be.

    Condensing goes: whole blurbs → blurbs shortened (200, 140, 100, 70, 40) → titles only →
    fewer items (dealt round robin over the sections, so each keeps some) and a pointer to
    the issue. The first of these that fits is used, and `notes` says which.
    """
    max_posts = max(2, max_posts)
    lead, lead_cut = lead_post(issue, rules, links)
    room = max_posts - 1
    levels = [_Level(None), *(_Level(n) for n in BLURB_LIMITS), _Level(0)]
    for level in levels:
        result = _render_checked(issue, rules, links, level, room)
        if result is not None:
            posts, shortened, omitted = result
            total = len(issue.items)
            return _thread(rules, lead, lead_cut, posts, level, shortened, omitted, total)
    # Fewer items: the most that fit (found by halving; fewer items never take more posts).
    low, high = 0, len(issue.items) - 1
    best = _render_checked(issue, rules, links, _Level(0, keep=0), room)
    best_keep = 0
    while low < high:
        middle = (low + high + 1) // 2
        attempt = _render_checked(issue, rules, links, _Level(0, keep=middle), room)
        if attempt is None:
            high = middle - 1
        else:
            low, best, best_keep = middle, attempt, middle
    if best is None:
        raise AssertionError("a lead and a pointer always fit in two posts")
    posts, shortened, omitted = best
    level = _Level(0, keep=best_keep)
    return _thread(rules, lead, lead_cut, posts, level, shortened, omitted, len(issue.items))


def _render_checked(
    issue: Issue, rules: PostRules, links: LinkMode, level: _Level, room: int
) -> tuple[list[Post], set[str], list[str]] | None:
    """A rendering whose every post the platform's own check accepts (packed tighter if one
    was not)."""
    limit = rules.limit
    for _ in range(4):
        posts, shortened, omitted = _render_body(issue, rules, links, level, room, limit)
        if posts is None:
            return None
        over = max((p.weight - rules.limit for p in posts), default=0)
        if over <= 0 and all(rules.fits(p.text) for p in posts):
            return posts, shortened, omitted
        limit -= max(over, 2)
    raise AssertionError(f"could not pack the thread within {rules.platform}'s limit")


def _thread(
    rules: PostRules,
    lead: Post,
    lead_cut: bool,
    posts: list[Post],
    level: _Level,
    shortened: set[str],
    omitted: list[str],
    total: int,
) -> Thread:
    notes: list[str] = []
    if lead_cut:
        notes.append("the issue's title is shortened in the first post")
    if level.blurb_limit and shortened:
        notes.append(f"blurbs shortened to {level.blurb_limit} characters ({len(shortened)} items)")
    elif level.blurb_limit == 0:
        notes.append("titles only: blurbs left out")
    if omitted:
        notes.append(f"{len(omitted)} of {total} items left out, with a pointer to the issue")
    return Thread(
        posts=(lead, *posts),
        limit=rules.limit,
        notes=tuple(notes),
        shortened=tuple(sorted(shortened)),
        omitted=tuple(omitted),
        lead_cut=lead_cut,
    )
