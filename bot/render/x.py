"""What newsbot posts on X: an issue as a thread of posts, each within X's 280 weighted characters.

Pure and deterministic: the same issue and settings give the same posts. Lengths are X's own,
counted by twitter-text (`parse_tweet(...).weightedLength`: most Latin 1, CJK 2, an emoji 2,
any URL 23, after NFC) — never `len()`. The first post (the *lead*) carries the issue's number,
title and link; the posts after it carry the sections and their items, packed densely and split
only between items, else between words (else, for a word longer than a post, between
characters), never inside a URL, with an ellipsis wherever text was cut.

When the thread would be longer than `max_posts`, it is condensed step by step — blurbs
shortened, then titles only, then fewer items with a pointer to the issue — and the result says
exactly what was condensed (`XThread.notes`, `.shortened`, `.omitted`). Text from the issue
never pings anyone on X: `@name` and `$TSLA` are broken with a zero-width space (the fullwidth
`＠` would not do: X reads it as a mention too).
"""

from __future__ import annotations

import enum
import functools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from bot._vendor.twitter_text import parse_tweet
from bot._vendor.twitter_text.extract_urls import extract_urls_with_indices
from bot.models import Issue, Item, Section
from bot.text import ZERO_WIDTH_SPACE, one_line

POST_MAX = 280
"""X's limit, in weighted characters."""
URL_WEIGHT = 23
ELLIPSIS = "…"
BULLET = "• "
BLURB_SEPARATOR = " — "
THREAD_MARK = "🧵"
BLURB_LIMITS = (200, 140, 100, 70, 40)
"""The weighted lengths blurbs are shortened to, in turn, when the thread is too long."""
TITLE_ONLY_MAX = 120
"""In a condensed thread a title is shortened to this (it gets a whole post otherwise)."""
MIN_ROOM = 60
"""An item too long for a post starts in the current one only when this much room is left."""
DEFAULT_MAX_POSTS = 8

_MENTION_OR_CASHTAG = re.compile(r"([@＠])(?=[A-Za-z0-9_])|(\$)(?=[A-Za-z])")
_INVALID = re.compile("[\ufffe\ufeff\uffff\u202a-\u202e]")
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_MD_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_MD_EMPHASIS = re.compile(r"(\*\*|__|~~|`)")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!~|>])")


class LinkMode(enum.StrEnum):
    """Which links the thread carries (a post with a URL costs about 13 times more)."""

    ISSUE = "issue"
    """Only the lead post, with the issue's link: the cheap default."""
    ITEMS = "items"
    """The issue's link in the lead, and each item's own link after it."""
    NONE = "none"
    """No link newsbot adds (URLs written in the issue's text stay)."""


@dataclass(frozen=True)
class XPost:
    """One post of a thread: its text, its weighted length, and which items it carries."""

    text: str
    weight: int
    items: tuple[str, ...] = ()
    """Keys of the items (`Item.key`) whose text is in this post, whole or in part."""

    @property
    def has_url(self) -> bool:
        """Whether X will see a URL in it (and charge the price of a post with a link)."""
        return contains_url(self.text)

    def cost(self, post_price: float, url_post_price: float) -> float:
        """What posting it costs at these prices."""
        return url_post_price if self.has_url else post_price


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


# --- measuring ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def weighted_length(text: str) -> int:
    """X's length of `text`: twitter-text's weighted length (a URL counts 23)."""
    return int(parse_tweet(text).weightedLength)


def fits(text: str) -> bool:
    """Whether X accepts `text` as one post: 1…280 weighted characters, no invalid ones."""
    return bool(parse_tweet(text).valid)


def url_spans(text: str) -> list[tuple[int, int]]:
    """Where twitter-text finds URLs in `text` (also those without `https://`)."""
    return [
        (int(entity["indices"][0]), int(entity["indices"][1]))
        for entity in extract_urls_with_indices(text)
    ]


@functools.lru_cache(maxsize=4096)
def contains_url(text: str) -> bool:
    """Whether twitter-text finds a URL in `text`."""
    return bool(extract_urls_with_indices(text))


# --- cleaning issue text --------------------------------------------------------------------


def neutralise(text: str) -> str:
    """`text` with every `@name` and `$TAG` broken by a zero-width space, URLs left whole.

    Wider than X's own rules on purpose (any `@`/`＠` before a name character, any `$` before
    a letter), so nothing written in an issue can mention an account or a cashtag.
    """
    spans = url_spans(text)
    if not spans:
        return _break_tags(text)
    parts: list[str] = []
    at = 0
    for start, end in spans:
        parts += [_break_tags(text[at:start]), text[start:end]]
        at = end
    parts.append(_break_tags(text[at:]))
    return "".join(parts)


def _break_tags(text: str) -> str:
    return _MENTION_OR_CASHTAG.sub(lambda m: (m.group(1) or m.group(2)) + ZERO_WIDTH_SPACE, text)


def plain_text(markdown: str, *, keep_links: bool) -> str:
    """A blurb's Markdown as one line of plain text; links become their text (and URL)."""

    def link(match: re.Match[str]) -> str:
        label, url = match.group(1).strip(), match.group(2)
        if keep_links and url.startswith(("http://", "https://")):
            return f"{label} {url}" if label and label != url else url
        return label

    text = _MD_LINK.sub(link, markdown)
    text = _MD_AUTOLINK.sub(lambda m: m.group(1) if keep_links else "", text)
    text = _MD_EMPHASIS.sub("", text)
    text = _MD_ESCAPE.sub(r"\1", text)
    return clean(one_line(text))


def clean(text: str) -> str:
    """NFC (X stores that), without the characters X refuses, mentions and cashtags broken."""
    return neutralise(_INVALID.sub("", unicodedata.normalize("NFC", text)))


# --- atoms: the pieces a post is cut between -------------------------------------------------


@dataclass(frozen=True)
class _Atom:
    """A piece of text never cut: a word, or (inside a word too long for a post) a character."""

    text: str
    glue: str
    """What joins it to the atom before: a space, a line break, or nothing."""
    weight: int
    url: bool
    item: str | None


def _graphemes(text: str) -> Iterator[str]:
    """User-perceived characters, near enough: marks, joiners and emoji modifiers stay attached."""
    cluster = ""
    regional = 0
    for char in text:
        code = ord(char)
        attach = bool(cluster) and (
            unicodedata.category(char) in ("Mn", "Me", "Mc")
            or code == 0x200D
            or cluster[-1] == "\u200d"
            or 0xFE00 <= code <= 0xFE0F
            or 0x1F3FB <= code <= 0x1F3FF
            or 0xE0020 <= code <= 0xE007F
            or 0xE0100 <= code <= 0xE01EF
            or (0x1F1E6 <= code <= 0x1F1FF and regional % 2 == 1)
        )
        regional = regional + 1 if 0x1F1E6 <= code <= 0x1F1FF else 0
        if attach:
            cluster += char
        else:
            if cluster:
                yield cluster
            cluster = char
    if cluster:
        yield cluster


def _atoms(text: str, *, item: str | None, first_glue: str = "\n") -> list[_Atom]:
    """`text` (one line) as words; a word longer than a post becomes URLs and characters."""
    atoms: list[_Atom] = []
    for number, word in enumerate(text.split(" ")):
        if not word:
            continue
        glue = first_glue if number == 0 or not atoms else " "
        weight = weighted_length(word)
        if weight <= POST_MAX - 4:
            atoms.append(_Atom(word, glue, weight, contains_url(word), item))
            continue
        for piece, is_url in _hard_pieces(word):
            atoms.append(_Atom(piece, glue, weighted_length(piece), is_url, item))
            glue = ""
    return atoms


def _hard_pieces(word: str) -> Iterator[tuple[str, bool]]:
    at = 0
    for start, end in url_spans(word):
        for char in _graphemes(word[at:start]):
            yield char, False
        yield word[start:end], True
        at = end
    for char in _graphemes(word[at:]):
        yield char, False


# --- packing ----------------------------------------------------------------------------------


@dataclass
class _Draft:
    atoms: list[_Atom] = field(default_factory=list)
    weight: int = 0
    continued: bool = False
    """Whether it starts with the rest of an item cut at the end of the post before."""

    def cost_of(self, atom: _Atom) -> int:
        return atom.weight + (_glue_weight(atom.glue) if self.atoms else 0)

    def add(self, atom: _Atom) -> None:
        self.weight += self.cost_of(atom)
        self.atoms.append(atom)

    def text(self, *, cut: bool) -> str:
        parts: list[str] = []
        for atom in self.atoms:
            if parts:
                parts.append(atom.glue)
            parts.append(atom.text)
        body = "".join(parts)
        if self.continued:
            first_url = bool(self.atoms) and self.atoms[0].url
            body = ELLIPSIS + (" " if first_url else "") + body
        if cut:
            last_url = bool(self.atoms) and self.atoms[-1].url
            body = body + " " + ELLIPSIS if last_url else body.rstrip(",;:") + ELLIPSIS
        return body

    def items(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.item for a in self.atoms if a.item is not None))


_ELLIPSIS_WEIGHT = 3
"""An ellipsis and the space that may go with it, budgeted at the end or start of a post."""


def _glue_weight(glue: str) -> int:
    return len(glue)


def _pack(blocks: Sequence[list[_Atom]], limit: int, room: int) -> list[XPost] | None:
    """Posts carrying `blocks` in order within `limit` each; None if more than `room` posts."""
    posts: list[XPost] = []
    draft = _Draft()

    def flush(*, cut: bool) -> bool:
        nonlocal draft
        text = draft.text(cut=cut)
        posts.append(XPost(text, weighted_length(text), draft.items()))
        draft = _Draft(continued=cut)
        return len(posts) <= room

    for block in blocks:
        whole = sum(a.weight for a in block) + sum(_glue_weight(a.glue) for a in block[1:])
        if draft.atoms and draft.weight + _glue_weight(block[0].glue) + whole <= limit:
            for atom in block:
                draft.add(atom)
            continue
        if whole <= limit:
            # Split between items: the block starts a post of its own.
            if draft.atoms and not flush(cut=False):
                return None
            for atom in block:
                draft.add(atom)
            continue
        if draft.atoms and limit - draft.weight < MIN_ROOM and not flush(cut=False):
            return None
        for number, atom in enumerate(block):
            last = number == len(block) - 1
            reserve = 0 if last else _ELLIPSIS_WEIGHT
            start = _ELLIPSIS_WEIGHT if draft.continued else 0
            full = draft.weight + start + draft.cost_of(atom) + reserve > limit
            if draft.atoms and full and not flush(cut=True):
                return None
            draft.add(atom)
    if draft.atoms and not flush(cut=False):
        return None
    return posts


# --- the thread -------------------------------------------------------------------------------


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
    head = _fit(title, POST_MAX - weighted_length(tail) if tail else POST_MAX)
    parts = [head]
    for extra in (issue.subtitle, issue.intro):
        room = POST_MAX - weighted_length("\n".join(parts) + tail) - 1
        if not extra or room < MIN_ROOM // 3:
            continue
        parts.append(_fit(plain_text(extra, keep_links=False), room))
    while weighted_length("\n".join(parts) + tail) > POST_MAX and len(parts) > 1:
        parts.pop()
    text = "\n".join(parts) + tail
    return XPost(text, weighted_length(text)), head != title


def _fit(text: str, limit: int) -> str:
    """`text` if it fits in `limit` weighted characters, else its words that do, and `…`."""
    if weighted_length(text) <= limit:
        return text
    atoms = _atoms(text, item=None, first_glue="")
    draft = _Draft()
    for atom in atoms:
        if draft.weight + draft.cost_of(atom) + _ELLIPSIS_WEIGHT > limit:
            break
        draft.add(atom)
    result = draft.text(cut=True)
    while weighted_length(result) > limit and draft.atoms:
        draft.atoms.pop()
        result = draft.text(cut=True)
    return result if draft.atoms else ELLIPSIS


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
) -> tuple[tuple[_Atom, ...], bool]:
    """An item's atoms (after its section's name, for the first), and whether it was cut."""
    shortened = False
    title = clean(item.title)
    if blurb_limit is not None and weighted_length(title) > TITLE_ONLY_MAX:
        title = _fit(title, TITLE_ONLY_MAX)
        shortened = True
    text = BULLET + title
    blurb = plain_text(item.blurb, keep_links=links == LinkMode.ITEMS) if item.blurb else ""
    if blurb and blurb_limit != 0:
        if blurb_limit is not None and weighted_length(blurb) > blurb_limit:
            blurb = _fit(blurb, blurb_limit)
            shortened = True
        text += BLURB_SEPARATOR + blurb
    elif blurb:
        shortened = True
    if links == LinkMode.ITEMS and item.link:
        text += " " + item.link
    atoms = _atoms(text, item=item.key)
    if header is not None:
        # The section's name on its own line, glued to its first item.
        atoms = [*_atoms(header, item=None), *atoms]
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
    blocks: list[list[_Atom]] = []
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
        blocks.append(_atoms(pointer, item=None))
    posts = _pack(blocks, limit, room) if blocks else []
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
