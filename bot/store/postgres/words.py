"""Words as the archive's search reads them on PostgreSQL: the same tokens as SQLite's FTS5
`unicode61 remove_diacritics 2` tokenizer makes, written as a tsvector and a tsquery.

Tokenising here rather than with PostgreSQL's own parser keeps the hits of a query equal on
both backends (the 'simple' parser splits `e-mail`, `a.b` and URLs differently); like the
'simple' configuration, nothing is stemmed and no stop word is dropped.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from bot.models import HIGHLIGHT_END, HIGHLIGHT_START
from bot.store import query
from bot.store.query import CJK_SEPARATOR, as_written, cjk_index_text
from bot.text import narrowed_letters

_MAX_LEXEME_BYTES = 2046
"""PostgreSQL refuses a longer lexeme; such a token (a blob, not a word) is not indexed."""
_MAX_POSITION = 16383
"""The largest position a tsvector keeps; later words are counted there."""
FIELD_GAP = 100
"""Positions between two fields, so that a phrase never runs from a title into its blurb."""
WEIGHTS = ("A", "B", "C")
"""The weights of title, blurb and abstract in the tsvector (ranked 10, 2 and 1, as on SQLite)."""
_FTS5_STRING = re.compile(r'"((?:[^"]|"")*)"(\*?)')


_SQLITE = sqlite3.connect(":memory:", check_same_thread=False)
_SQLITE.executescript(
    "CREATE VIRTUAL TABLE letters USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');"
    "CREATE VIRTUAL TABLE letter_words USING fts5vocab(letters, 'instance');"
)
_SQLITE_LOCK = threading.Lock()
_FOLDED: dict[str, str] = {}
FOLDED_KEPT = 65_536
"""Letters beyond ASCII whose folding is kept, far more than the scripts of any archive use:
a reader's search is read here too, and each search of letters not seen yet kept them all for
good (as much as 360 MB for the whole of Unicode). A letter past them is asked each time."""


def _folded(ch: str) -> str:
    """One letter as SQLite's tokenizer holds it: '' for a separator, NUL for a letter it
    drops (a diacritic), else the letter folded.

    SQLite itself is asked, once a letter: its Unicode tables are the truth the SQLite backend
    indexes by, and Python's differ (another Unicode version, other foldings).
    """
    folded = _FOLDED.get(ch)
    if folded is None:
        with _SQLITE_LOCK:
            _SQLITE.execute("DELETE FROM letters")
            _SQLITE.execute("INSERT INTO letters (text) VALUES (?)", (f"a{ch}b",))
            words = [str(row[0]) for row in _SQLITE.execute("SELECT term FROM letter_words")]
        # Two words: a separator; one: the letter folded, or nothing if it was dropped.
        folded = (words[0][1:-1] or "\0") if len(words) == 1 else ""
        if len(_FOLDED) < FOLDED_KEPT:
            _FOLDED[ch] = folded
    return folded


class Token(NamedTuple):
    """A word of a field: as the index holds it, and where it is in the text."""

    text: str
    start: int
    end: int


_RUN = re.compile(r"[A-Za-z0-9\u0080-\U0010ffff]+")
"""Text between ASCII separators (which are separators for unicode61 too)."""
_WORD = re.compile(r"[^ ]+")
"""A word of text as `_FOLDING` leaves it: separators are spaces."""
_DROPPED = "\0"
"""A letter the tokenizer drops (a diacritic), as `_FOLDING` leaves it."""
_FOLDING: dict[int, str] = {
    code: chr(code).lower() if chr(code).isalnum() else " "
    for code in range(128)
    if not (chr(code).islower() or chr(code).isdigit())
}
"""Each letter as the tokenizer holds it, for `str.translate`: a separator as a space, a
dropped letter as NUL, and no other letter changed in length (so that a word is where it was
written). ASCII from the start; any other letter once `_reading` has seen it."""
_FOLDED_LETTERS: set[str] = {chr(code) for code in range(128)}
"""The letters `_FOLDING` knows."""


def tokens(text: str) -> Iterator[Token]:
    """The words of `text`, as FTS5's unicode61 tokenizer (removing diacritics) reads them."""
    reading = _reading(text)
    if reading is None:
        yield from _tokens_by_letter(text)
        return
    folded, words = reading
    for word in words.finditer(folded):
        yield Token(word.group(), word.start(), word.end())


_Reading = tuple[str, re.Pattern[str]]
"""A text with its letters folded, and the pattern of its words there (`_reading`)."""


def _reading(text: str) -> _Reading | None:
    """`text` with each letter folded as the tokenizer folds it, and the pattern of its words
    there, each where it was written; None when the tokenizer drops a letter of it (a
    diacritic written apart), or when its new letters would pass `FOLDED_KEPT`: those
    `_tokens_by_letter` reads."""
    if text.isascii():
        # Most fields: ASCII letters and digits, each run a word.
        return text.lower(), _RUN
    unknown = set(text).difference(_FOLDED_LETTERS)
    if len(_FOLDED_LETTERS) + len(unknown) > FOLDED_KEPT + 128:  # ASCII's come first
        return None  # read a letter at a time, the letters past `FOLDED_KEPT` not kept
    for ch in unknown:
        # unicode61 folds a letter into one letter (sqlite3Fts5UnicodeFold returns one code
        # point), so the folded text keeps each word where it was written.
        _FOLDING[ord(ch)] = _folded(ch) or " "
        _FOLDED_LETTERS.add(ch)
    # Every letter folded in one pass in C: a CJK field's hundreds of words were read a
    # letter at a time.
    folded = text.translate(_FOLDING)
    return None if _DROPPED in folded else (folded, _WORD)


def _tokens_by_letter(text: str) -> Iterator[Token]:
    """`tokens`, reading each run of letters a letter at a time."""
    for run in _RUN.finditer(text):
        letters = run.group()
        if letters.isascii():
            yield Token(letters.lower(), run.start(), run.end())
        else:
            yield from _tokens(letters, run.start())


def _tokens(text: str, offset: int) -> Iterator[Token]:
    """The words of a run of text without ASCII separators, letter by letter."""
    word: list[str] = []
    start = 0
    for index, ch in enumerate(text):
        folded = _folded(ch) if not ch.isascii() else ch.lower()
        if folded:
            if not word:
                start = index
            if folded != "\0":
                word.append(folded)
            elif not word:
                word.append("")
        elif word:
            if "".join(word):
                yield Token("".join(word), offset + start, offset + index)
            word = []
    if word and "".join(word):
        yield Token("".join(word), offset + start, offset + len(text))


def index_text(text: str | None) -> str:
    """A field as the index reads it: CJK runs as their bigrams, full-width letters as ASCII
    (see `bot.store.query.index_text`)."""
    if not text:
        return ""
    return query.index_text(text) or text


SECTION_MARK = "§"
"""What starts the lexeme naming an item's section, `'§tools'`: a separator to the tokenizer
(`tokens("§tools")` is the word "tools" alone), so no word and no query prefix starts with it."""


def section_lexeme(slug: str) -> str | None:
    """The lexeme naming the section `slug`, quoted as tsvector and tsquery text take it; None
    for a slug no lexeme can be (a NUL, or too long), which no item's section has."""
    lexeme = SECTION_MARK + slug
    if "\0" in slug or len(lexeme.encode()) > _MAX_LEXEME_BYTES:
        return None
    return _lexeme(lexeme)


def tsvector(*fields: str | None, section: str) -> str:
    """The tsvector (as text, for `::tsvector`) of an item's title, blurb and abstract, and
    the positionless lexeme of its `section`'s slug (`section_lexeme`), which a section filter
    asks the same index for."""
    positions: dict[str, list[str]] = {}
    offset = 0
    for weight, field in zip(WEIGHTS, fields, strict=False):
        count = 0
        for count, token in enumerate(tokens(index_text(field)), start=1):
            if len(token.text.encode()) > _MAX_LEXEME_BYTES:
                continue
            at = min(offset + count, _MAX_POSITION)
            positions.setdefault(token.text, []).append(f"{at}{weight}")
        offset += count + FIELD_GAP
    written = [f"{_lexeme(word)}:{','.join(at)}" for word, at in positions.items()]
    named = section_lexeme(section)
    if named is None:
        raise ValueError(f"not a section slug: {section!r}")
    return " ".join([*written, named])


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery(fts: str) -> str | None:
    """The tsquery (as text, for `::tsquery`) of an FTS5 query built by `bot.store.query`.

    Each FTS5 string is a phrase of its tokens (its last a prefix when the string ends in
    `*`); strings joined by ` OR ` (`fts_any_query`) match any, otherwise all. None when no
    string holds a word.
    """
    joiner = " | " if '" OR "' in fts else " & "
    terms: list[str] = []
    for match in _FTS5_STRING.finditer(fts):
        words = [_lexeme(token.text) for token in tokens(match.group(1).replace('""', '"'))]
        if not words:
            continue
        if match.group(2):
            words[-1] += ":*"
        terms.append("(" + " <-> ".join(words) + ")")
    return joiner.join(terms) if terms else None


PREFIX_SIZES = (2, 3)
"""Letters of the prefixes `items.prefixes` holds as lexemes of their own (migration 0003)."""


class Matching(NamedTuple):
    """A query as tsqueries: `whole` over `items.words` (for ranking, and for checking an
    item without the index), and the same split by the index that answers each term: `words`
    (None if every term is a short prefix), `prefixes` (None if none is), `pairs`, the
    adjacent words of its phrases (`pair_lexeme`), which every match's `newsbot_pairs(words)`
    holds (None if it has no phrase); `apart`, `words` with each phrase's words in any order,
    which the index of `words` answers without reading an item; `asked`, when not None, the
    part of `words` its index is asked, the rest checked on each item it lists; `excluded`,
    when not None, what an item must not match (`SearchPlan.excluded`), checked on each."""

    whole: str
    words: str | None
    prefixes: str | None
    pairs: str | None = None
    apart: str | None = None
    asked: str | None = None
    excluded: str | None = None


def all_of(words: Iterable[str]) -> str:
    """The tsquery (as text) matching items that hold every one of `words`."""
    return " & ".join(_lexeme(word) for word in words)


def matching(fts: str) -> Matching | None:
    """`tsquery(fts)` as the index is asked it: a prefix of `PREFIX_SIZES` letters standing
    alone (not ending a phrase) is the lexeme `prefixes` holds for it, the rest as `tsquery`
    writes it. Terms joined by OR are all asked of `words`. None when no string holds a word."""
    whole = tsquery(fts)
    if whole is None:
        return None
    if '" OR "' in fts:
        return Matching(whole, whole, None)
    words: list[str] = []
    apart: list[str] = []
    prefixes: list[str] = []
    pairs: list[str] = []
    for phrase, prefix in phrases_of(fts):
        if prefix and len(phrase) == 1 and len(phrase[0]) in PREFIX_SIZES:
            prefixes.append(_lexeme(phrase[0] + "*"))
        else:
            written = [_lexeme(word) for word in phrase]
            if prefix:
                written[-1] += ":*"
            words.append("(" + " <-> ".join(written) + ")")
            apart.append("(" + " & ".join(written) + ")")
        # A prefix ending the phrase: no pair is its, and the rest of the phrase's are asked.
        for at in range(len(phrase) - 1 - (1 if prefix else 0)):
            pairs.append(_lexeme(pair_lexeme(phrase[at], phrase[at + 1])))
    return Matching(
        whole,
        " & ".join(words) or None,
        " & ".join(prefixes) or None,
        " & ".join(pairs) or None,
        " & ".join(apart) or None,
    )


PAIR_LETTERS = 5
"""Hexadecimal letters of a pair's lexeme (migration 0006): a million lexemes, each shared by
about 40 pairs at a million items."""


def pair_lexeme(first: str, second: str) -> str:
    """The lexeme `newsbot_pairs(words)` (migration 0006) holds for the word `first` followed
    by `second`: the head of the MD5 of both."""
    pair = f"{first} {second}".encode()
    return hashlib.md5(pair, usedforsecurity=False).hexdigest()[:PAIR_LETTERS]


def query_words(fts: str) -> list[tuple[list[str], bool]]:
    """The phrases of an FTS5 query built by `bot.store.query`: their words, and whether the last
    is a prefix (for highlighting)."""
    phrases: list[tuple[list[str], bool]] = []
    for match in _FTS5_STRING.finditer(fts):
        words = [token.text for token in tokens(match.group(1).replace('""', '"'))]
        if words:
            phrases.append((words, bool(match.group(2))))
    return phrases


@functools.lru_cache(maxsize=64)
def phrases_of(fts: str) -> list[tuple[list[str], bool]]:
    """`query_words`, read once for all that a search asks of them (its plan, every snippet of
    its page); not to be changed."""
    return query_words(fts)


SNIPPET_TOKENS = 16
"""Words of a snippet, as SQLite's snippet() is asked for."""


def snippet(fields: tuple[str | None, ...], fts: str) -> str:
    """The part of the best field holding most of the query's words, those highlighted, like
    SQLite's `snippet(…, '…', 16)`."""
    phrases = phrases_of(fts)
    firsts = [phrase[0] for phrase, _ in phrases]
    # Each field's words, and where they are: most fields are read in one pass in C
    # (`_reading`), and only the window's words are placed; the rest a token at a time. A
    # field without the first word of any phrase matches none, and its words are counted
    # only if no field matches (a rare word is in one field of three). Words are placed in
    # the text as indexed (`index_text`) and shown from the same text with its full-width
    # letters as written, letter for letter: CJK runs stay bigrams, joined by `as_written`.
    read: list[_Field] = []
    for written in fields:
        shown = (cjk_index_text(written) or written) if written else ""
        text = narrowed_letters(shown)
        placed = _reading(text) or list(_tokens_by_letter(text))
        if isinstance(placed, list):
            read.append(_Field(shown, placed, [token.text for token in placed]))
        elif any(first in placed[0] for first in firsts):
            read.append(_Field(shown, placed, placed[1].findall(placed[0])))
        else:
            read.append(_Field(shown, placed, None))
    marks = [_matched(field.words, phrases) if field.words else set() for field in read]
    most = max((len(marked) for marked in marks), default=0)
    best: tuple[_Field, list[str], set[int]] | None = None
    for field, marked in zip(read, marks, strict=True):
        if len(marked) < most:
            continue
        words = field.words
        if words is None and not isinstance(field.placed, list):
            words = field.placed[1].findall(field.placed[0])
        # On a tie the longer field wins: it shows the words in more of their context.
        if words is not None and (best is None or len(words) > len(best[1])):
            best = (field, words, marked)
    if best is None or not best[1]:
        return ""
    (text, placed, _), words, marked = best
    first = min(marked, default=0)
    last = max((i for i in marked if i < first + SNIPPET_TOKENS), default=first)
    # The matches in the middle of the window, as SQLite places them.
    start = first - (SNIPPET_TOKENS - (last - first)) // 2
    start = max(0, min(start, len(words) - SNIPPET_TOKENS))
    # Where the window's words are: a span each.
    window: list[tuple[int, int]]
    if isinstance(placed, list):
        window = [(token.start, token.end) for token in placed[start : start + SNIPPET_TOKENS]]
    else:
        folded, pattern = placed
        runs = itertools.islice(pattern.finditer(folded), start, start + SNIPPET_TOKENS)
        window = [run.span() for run in runs]
    pieces: list[str] = ["…"] if start > 0 else []
    at = window[0][0] if start > 0 else 0
    # The window's text as written, its matched words highlighted.
    for index in sorted(i for i in marked if start <= i < start + len(window)):
        begins, ends = window[index - start]
        pieces += (text[at:begins], HIGHLIGHT_START, text[begins:ends], HIGHLIGHT_END)
        at = ends
    end = window[-1][1]
    pieces.append(text[at:end])
    rest = text[end:]
    pieces.append(rest if start + SNIPPET_TOKENS >= len(words) else _until_word(rest) + "…")
    shown = "".join(pieces)
    return as_written(shown) if CJK_SEPARATOR in shown else shown


class _Field(NamedTuple):
    """A field as `snippet` reads it: its text as shown, where its words are in the text as
    indexed (the same letters, full-width ones as ASCII), and its words (None until needed,
    when it holds no word of the query)."""

    text: str
    placed: _Reading | list[Token]
    words: list[str] | None


def _until_word(rest: str) -> str:
    """The separators after a snippet's last word, up to the next word."""
    kept = []
    for ch in rest:
        if ch.isalnum():
            break
        kept.append(ch)
    return "".join(kept).rstrip()


def _matched(texts: list[str], phrases: list[tuple[list[str], bool]]) -> set[int]:
    """The indexes of `texts` (words) that are part of a match of one of `phrases`."""
    marked: set[int] = set()
    for phrase, prefix in phrases:
        size = len(phrase)
        if size == 1 and prefix:
            only = phrase[0]
            marked.update(i for i, text in enumerate(texts) if text.startswith(only))
            continue
        # A phrase starts at its first word, never a prefix: the rest is checked only there.
        first, rest = phrase[0], list(enumerate(phrase))[1:]
        for start in _places(texts, first, len(texts) - size + 1):
            if all(
                texts[start + i] == word
                or (prefix and i == size - 1 and texts[start + i].startswith(word))
                for i, word in rest
            ):
                marked.update(range(start, start + size))
    return marked


def _places(texts: list[str], word: str, stop: int) -> Iterator[int]:
    """The indexes of `word` among `texts`, before `stop`."""
    # list.index compares in C: a page's fields hold a query's word a few times, or never,
    # among their hundreds, which a loop in Python compared one by one.
    at = -1
    while True:
        try:
            at = texts.index(word, at + 1, stop)
        except ValueError:
            return
        yield at
