"""Packing text into posts on X: words never cut (a word longer than a post between its
characters), never inside a URL, with an ellipsis wherever text was cut, each post within
X's 280 weighted characters."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from bot.render.x_text import POST_MAX, contains_url, url_spans, weighted_length

ELLIPSIS = "…"
MIN_ROOM = 60
"""An item too long for a post starts in the current one only when this much room is left."""


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


def atoms_of(text: str, *, item: str | None, first_glue: str = "\n") -> list[Atom]:
    """`text` (one line) as words; a word longer than a post becomes URLs and characters."""
    atoms: list[Atom] = []
    for number, word in enumerate(text.split(" ")):
        if not word:
            continue
        glue = first_glue if number == 0 or not atoms else " "
        weight = weighted_length(word)
        if weight <= POST_MAX - 4:
            atoms.append(Atom(word, glue, weight, contains_url(word), item))
            continue
        for piece, is_url in _hard_pieces(word):
            atoms.append(Atom(piece, glue, weighted_length(piece), is_url, item))
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


def pack(blocks: Sequence[list[Atom]], limit: int, room: int) -> list[XPost] | None:
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
            reserve = 0 if last else ELLIPSIS_WEIGHT
            start = ELLIPSIS_WEIGHT if draft.continued else 0
            full = draft.weight + start + draft.cost_of(atom) + reserve > limit
            if draft.atoms and full and not flush(cut=True):
                return None
            draft.add(atom)
    if draft.atoms and not flush(cut=False):
        return None
    return posts


def fit(text: str, limit: int) -> str:
    """`text` if it fits in `limit` weighted characters, else its words that do, and `…`."""
    if weighted_length(text) <= limit:
        return text
    atoms = atoms_of(text, item=None, first_glue="")
    draft = _Draft()
    for atom in atoms:
        if draft.weight + draft.cost_of(atom) + ELLIPSIS_WEIGHT > limit:
            break
        draft.add(atom)
    result = draft.text(cut=True)
    while weighted_length(result) > limit and draft.atoms:
        draft.atoms.pop()
        result = draft.text(cut=True)
    return result if draft.atoms else ELLIPSIS
