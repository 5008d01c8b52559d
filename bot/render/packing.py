"""Packing text into posts, for any platform that posts threads: words never cut (a word longer
than a post between its characters), never inside a URL, with an ellipsis wherever text was cut,
each post within the platform's limit as the platform counts it (`PostRules`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

import regex

ELLIPSIS = "…"
MIN_ROOM = 60
"""An item too long for a post starts in the current one only when this much room is left."""


@dataclass(frozen=True)
class PostRules:
    """How one platform counts and cleans the text of a post: all the packing needs to know."""

    platform: str
    """The platform's name, for messages: `X`, `Mastodon`, `Bluesky`."""
    limit: int
    """A post's most, in the platform's own count."""
    length: Callable[[str], int]
    """The platform's count of a post's text (URLs counted as it counts them)."""
    url_spans: Callable[[str], list[tuple[int, int]]]
    """Where the platform sees URLs in a text: never cut inside one."""
    clean: Callable[[str], str]
    """Issue text made safe to post there: nothing in it mentions or tags anyone."""
    fits: Callable[[str], bool]
    """Whether the platform accepts a text as one post."""
    share: Callable[[str], int] | None = None
    """What a text takes of a post's `limit` where the platform has a second limit besides its
    count (Bluesky: 3000 UTF-8 bytes besides 300 graphemes), never less than `length`; None
    where `length` is all there is."""

    def as_link(self, url: str) -> str:
        """An address newsbot adds (the issue's, an item's) as a post carries it: written so
        that the platform links all of it (`linkable`)."""
        return linkable(url, self.url_spans)

    def taken(self, text: str) -> int:
        """What `text` takes of a post's `limit`: what posts are filled by. A post's `weight`
        is its `length`, the figure the platform shows and checks against `limit`."""
        return self.share(text) if self.share else self.length(text)

    def has_url(self, text: str) -> bool:
        """Whether the platform sees a URL in `text`."""
        return bool(self.url_spans(text))


@dataclass(frozen=True)
class Post:
    """One post of a thread: its text, its length as the platform counts it, which items it
    carries, and whether the platform sees a URL in it."""

    text: str
    weight: int
    items: tuple[str, ...] = ()
    """Keys of the items (`Item.key`) whose text is in this post, whole or in part."""
    has_url: bool = False
    """Whether the platform sees a URL in it (X charges more for a post with a link)."""

    def cost(self, post_price: float, url_post_price: float) -> float:
        """What posting it costs at these prices."""
        return url_post_price if self.has_url else post_price


_KEPT = "/:@!$&'()*+,;=~-._%"
"""What an address's path keeps as written when it is encoded (ASCII's reserved and unreserved
characters, and `%` for what is already encoded)."""


def linkable(url: str, url_spans: Callable[[str], list[tuple[int, int]]]) -> str:
    """`url` written so that a platform finding URLs with `url_spans` links all of it.

    Each platform ends a link before a last `.`, `!`, `,` or `'` (the end of a sentence to it)
    and X also at a character its pattern lacks: `https://en.wikipedia.org/wiki/Washington,_D.C.`
    would lead to `…/Washington,_D.C`. Such characters are percent-encoded (the same address);
    an address that still is not one link is left as it is.
    """
    if _whole(url, url_spans):
        return url
    parts = urlsplit(url)
    encoded = urlunsplit(
        parts._replace(
            path=quote(parts.path, safe=_KEPT),
            query=quote(parts.query, safe=_KEPT + "?"),
            fragment=quote(parts.fragment, safe=_KEPT + "?"),
        )
    )
    while not _whole(encoded, url_spans) and encoded[-1] in _KEPT.replace("%", ""):
        encoded = encoded[:-1] + f"%{ord(encoded[-1]):02X}"
    return encoded if _whole(encoded, url_spans) else url


def _whole(url: str, url_spans: Callable[[str], list[tuple[int, int]]]) -> bool:
    return url_spans(url) == [(0, len(url))]


# --- atoms: the pieces a post is cut between -------------------------------------------------


@dataclass(frozen=True)
class Atom:
    """A piece of text never cut: a word, or (inside a word too long for a post) a character."""

    text: str
    glue: str
    """What joins it to the atom before: a space, a line break, or nothing."""
    weight: int
    url: bool
    item: str | None


_GRAPHEME = regex.compile(r"\X")


def graphemes(text: str) -> list[str]:
    """User-perceived characters: Unicode's extended grapheme clusters (UAX #29), which is what
    Mastodon and Bluesky count (and what a post must never be cut inside)."""
    return _GRAPHEME.findall(text)


def atoms_of(
    text: str, rules: PostRules, *, item: str | None, first_glue: str = "\n"
) -> list[Atom]:
    """`text` (one line) as words; a word longer than a post becomes URLs and characters."""
    atoms: list[Atom] = []
    for number, word in enumerate(text.split(" ")):
        if not word:
            continue
        glue = first_glue if number == 0 or not atoms else " "
        weight = rules.taken(word)
        if weight <= rules.limit - 4:
            atoms.append(Atom(word, glue, weight, rules.has_url(word), item))
            continue
        for piece, is_url in _hard_pieces(word, rules):
            atoms.append(Atom(piece, glue, rules.taken(piece), is_url, item))
            glue = ""
    return atoms


def _hard_pieces(word: str, rules: PostRules) -> Iterator[tuple[str, bool]]:
    at = 0
    for start, end in rules.url_spans(word):
        for char in graphemes(word[at:start]):
            yield char, False
        yield word[start:end], True
        at = end
    for char in graphemes(word[at:]):
        yield char, False


# --- packing ----------------------------------------------------------------------------------


@dataclass
class _Draft:
    atoms: list[Atom] = field(default_factory=list)
    weight: int = 0
    continued: bool = False
    """Whether it starts with the rest of an item cut at the end of the post before."""

    def cost_of(self, atom: Atom) -> int:
        return atom.weight + (_glue_weight(atom.glue) if self.atoms else 0)

    def add(self, atom: Atom) -> None:
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


ELLIPSIS_WEIGHT = 3
"""An ellipsis and the space that may go with it, budgeted at the end or start of a post."""


def _glue_weight(glue: str) -> int:
    return len(glue)


def pack(
    blocks: Sequence[list[Atom]], rules: PostRules, limit: int, room: int
) -> list[Post] | None:
    """Posts carrying `blocks` in order within `limit` each; None if more than `room` posts."""
    posts: list[Post] = []
    draft = _Draft()

    def flush(*, cut: bool) -> bool:
        nonlocal draft
        text = draft.text(cut=cut)
        posts.append(post_of(text, rules, draft.items()))
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
            reserve = 0 if last else ELLIPSIS_WEIGHT
            start = ELLIPSIS_WEIGHT if draft.continued else 0
            full = draft.weight + start + draft.cost_of(atom) + reserve > limit
            if draft.atoms and full and not flush(cut=True):
                return None
            draft.add(atom)
    if draft.atoms and not flush(cut=False):
        return None
    return posts


def post_of(text: str, rules: PostRules, items: tuple[str, ...] = ()) -> Post:
    """`text` as a post, measured by `rules`."""
    return Post(text, rules.length(text), items, rules.has_url(text))


def fit(text: str, limit: int, rules: PostRules) -> str:
    """`text` if it fits in `limit` (as `rules` count), else its words that do, and `…`."""
    if rules.taken(text) <= limit:
        return text
    atoms = atoms_of(text, rules, item=None, first_glue="")
    draft = _Draft()
    for atom in atoms:
        if draft.weight + draft.cost_of(atom) + ELLIPSIS_WEIGHT > limit:
            break
        draft.add(atom)
    result = draft.text(cut=True)
    while rules.taken(result) > limit and draft.atoms:
        draft.atoms.pop()
        result = draft.text(cut=True)
    return result if draft.atoms else ELLIPSIS
