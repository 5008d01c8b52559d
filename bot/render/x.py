"""What newsbot posts on X: an issue as a thread of posts, each within X's 280 weighted characters.

Pure and deterministic: the same issue and settings give the same posts. The first post (the
*lead*) carries the issue's number, title and link; the posts after it carry the sections and
their items, packed densely (`x_posts.py`) and split only between items where they can be.
Lengths and the issue's text are X's (`x_text.py`): weighted by twitter-text, mentions broken.

When the thread would be longer than `max_posts`, it is condensed step by step — blurbs
shortened, then titles only, then fewer items with a pointer to the issue — and the result says
exactly what was condensed (`XThread.notes`, `.shortened`, `.omitted`).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from bot.models import Issue, Item, Section
from bot.render.x_posts import MIN_ROOM, Atom, XPost, atoms_of, fit, pack
from bot.render.x_text import POST_MAX, clean, fits, plain_text, weighted_length

BULLET = "• "
BLURB_SEPARATOR = " — "
THREAD_MARK = "🧵"
BLURB_LIMITS = (200, 140, 100, 70, 40)
"""The weighted lengths blurbs are shortened to, in turn, when the thread is too long."""
TITLE_ONLY_MAX = 120
"""In a condensed thread a title is shortened to this (it gets a whole post otherwise)."""
DEFAULT_MAX_POSTS = 8


class LinkMode(enum.StrEnum):
    """Which links the thread carries (a post with a URL costs about 13 times more)."""

    ISSUE = "issue"
    """Only the lead post, with the issue's link: the cheap default."""
    ITEMS = "items"
    """The issue's link in the lead, and each item's own link after it."""
    NONE = "none"
    """No link newsbot adds (URLs written in the issue's text stay)."""


@dataclass(frozen=True)
class XThread:
    """An issue as a thread on X, and what was condensed to keep it within `max_posts`."""

    posts: tuple[XPost, ...]
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
        """The average share of the 280 weighted characters the posts use."""
        return sum(p.weight for p in self.posts) / (POST_MAX * len(self.posts))

    def cost(self, post_price: float, url_post_price: float) -> float:
        """The estimated price of posting the whole thread."""
        return sum(p.cost(post_price, url_post_price) for p in self.posts)


def lead_post(issue: Issue, links: LinkMode = LinkMode.ISSUE) -> tuple[XPost, bool]:
    """The first post: number, title, link (unless `links` is none), then subtitle and intro.

    Returns the post and whether the title had to be shortened.
    """
    title = clean(issue.title)
    if f"#{issue.number}" not in title:
        title = f"#{issue.number} · {title}"
    title += " " + THREAD_MARK
    link = issue.link if issue.link and links != LinkMode.NONE else None
    tail = f"\n{link}" if link else ""
    head = fit(title, POST_MAX - weighted_length(tail) if tail else POST_MAX)
    parts = [head]
    for extra in (issue.subtitle, issue.intro):
        room = POST_MAX - weighted_length("\n".join(parts) + tail) - 1
        if not extra or room < MIN_ROOM // 3:
            continue
        parts.append(fit(plain_text(extra, keep_links=False), room))
    while weighted_length("\n".join(parts) + tail) > POST_MAX and len(parts) > 1:
        parts.pop()
    text = "\n".join(parts) + tail
    return XPost(text, weighted_length(text)), head != title


@dataclass(frozen=True)
class _Level:
    """How much of each item a rendering keeps."""

    blurb_limit: int | None
    """None: whole blurbs; 0: titles only; else blurbs shortened to this weight."""
    keep: int | None = None
    """How many items are kept (round robin over the sections); None: all."""


@functools.lru_cache(maxsize=8192)
def _item_block(
    item: Item, links: LinkMode, blurb_limit: int | None, header: str | None
) -> tuple[tuple[Atom, ...], bool]:
    """An item's atoms (after its section's name, for the first), and whether it was cut."""
    shortened = False
    title = clean(item.title)
    if blurb_limit is not None and weighted_length(title) > TITLE_ONLY_MAX:
        title = fit(title, TITLE_ONLY_MAX)
        shortened = True
    text = BULLET + title
    blurb = plain_text(item.blurb, keep_links=links == LinkMode.ITEMS) if item.blurb else ""
    if blurb and blurb_limit != 0:
        if blurb_limit is not None and weighted_length(blurb) > blurb_limit:
            blurb = fit(blurb, blurb_limit)
            shortened = True
        text += BLURB_SEPARATOR + blurb
    elif blurb:
        shortened = True
    if links == LinkMode.ITEMS and item.link:
        text += " " + item.link
    atoms = atoms_of(text, item=item.key)
    if header is not None:
        # The section's name on its own line, glued to its first item.
        atoms = [*atoms_of(header, item=None), *atoms]
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
    issue: Issue, links: LinkMode, level: _Level, room: int, limit: int
) -> tuple[list[XPost] | None, set[str], list[str]]:
    shortened: set[str] = set()
    kept = _kept(issue.sections, level.keep)
    blocks: list[list[Atom]] = []
    omitted: list[str] = []
    for section, items in zip(issue.sections, kept, strict=True):
        omitted += [i.key for i in section.items if i not in items]
        for number, item in enumerate(items):
            header = clean(f"{section.name}:") if number == 0 else None
            atoms, cut = _item_block(item, links, level.blurb_limit, header)
            blocks.append(list(atoms))
            if cut:
                shortened.add(item.key)
    if omitted:
        pointer = f"+{len(omitted)} more in the issue."
        if issue.link and links == LinkMode.ISSUE:
            pointer = f"+{len(omitted)} more in the issue (link in the first post)."
        elif issue.link and links == LinkMode.ITEMS:
            pointer = f"+{len(omitted)} more in the issue: {issue.link}"
        blocks.append(atoms_of(pointer, item=None))
    posts = pack(blocks, limit, room) if blocks else []
    return posts, shortened, omitted


def thread(
    issue: Issue, *, links: LinkMode = LinkMode.ISSUE, max_posts: int = DEFAULT_MAX_POSTS
) -> XThread:
    """The issue as a thread of at most `max_posts` posts (at least 2), condensed if it must be.

    Condensing goes: whole blurbs → blurbs shortened (200, 140, 100, 70, 40) → titles only →
    fewer items (dealt round robin over the sections, so each keeps some) and a pointer to
    the issue. The first of these that fits is used, and `notes` says which.
    """
    max_posts = max(2, max_posts)
    lead, lead_cut = lead_post(issue, links)
    room = max_posts - 1
    levels = [_Level(None), *(_Level(n) for n in BLURB_LIMITS), _Level(0)]
    for level in levels:
        result = _render_checked(issue, links, level, room)
        if result is not None:
            posts, shortened, omitted = result
            return _thread(lead, lead_cut, posts, level, shortened, omitted, len(issue.items))
    # Fewer items: the most that fit (found by halving; fewer items never take more posts).
    low, high = 0, len(issue.items) - 1
    best = _render_checked(issue, links, _Level(0, keep=0), room)
    best_keep = 0
    while low < high:
        middle = (low + high + 1) // 2
        attempt = _render_checked(issue, links, _Level(0, keep=middle), room)
        if attempt is None:
            high = middle - 1
        else:
            low, best, best_keep = middle, attempt, middle
    if best is None:
        raise AssertionError("a lead and a pointer always fit in two posts")
    posts, shortened, omitted = best
    return _thread(
        lead, lead_cut, posts, _Level(0, keep=best_keep), shortened, omitted, len(issue.items)
    )


def _render_checked(
    issue: Issue, links: LinkMode, level: _Level, room: int
) -> tuple[list[XPost], set[str], list[str]] | None:
    """A rendering whose every post twitter-text confirms fits (packed tighter if one did not)."""
    limit = POST_MAX
    for _ in range(4):
        posts, shortened, omitted = _render_body(issue, links, level, room, limit)
        if posts is None:
            return None
        over = max((p.weight - POST_MAX for p in posts), default=0)
        if over <= 0 and all(fits(p.text) for p in posts):
            return posts, shortened, omitted
        limit -= max(over, 2)
    raise AssertionError("could not pack the thread within X's limit")


def _thread(
    lead: XPost,
    lead_cut: bool,
    posts: list[XPost],
    level: _Level,
    shortened: set[str],
    omitted: list[str],
    total: int,
) -> XThread:
    notes: list[str] = []
    if lead_cut:
        notes.append("the issue's title is shortened in the first post")
    if level.blurb_limit and shortened:
        notes.append(f"blurbs shortened to {level.blurb_limit} characters ({len(shortened)} items)")
    elif level.blurb_limit == 0:
        notes.append("titles only: blurbs left out")
    if omitted:
        notes.append(f"{len(omitted)} of {total} items left out, with a pointer to the issue")
    return XThread(
        posts=(lead, *posts),
        notes=tuple(notes),
        shortened=tuple(sorted(shortened)),
        omitted=tuple(omitted),
        lead_cut=lead_cut,
    )
