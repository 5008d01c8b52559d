"""A reader's text as FTS5 query syntax, and an item's text as the index holds it.

Each word of a query is quoted into an FTS5 string, so no reader's text reaches MATCH as syntax;
CJK runs, written without spaces, are indexed and searched as overlapping bigrams; full-width
Latin letters and digits are indexed and searched as ASCII.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.models import HIGHLIGHT_END, HIGHLIGHT_START
from bot.text import ELLIPSIS, has_wide_letters, narrowed, narrowed_letters, without_controls

SEARCH_CANDIDATES = 1_000
"""How many of the newest matches a search ranks; a rarer term ranks all its matches. Each
costs bm25 a lookup and, under a section filter, its own check: at a million items, 2,000
took up to several times a search's 25 ms."""

MAX_QUERY_TERMS = 16
MAX_QUERY_LENGTH = 300
_QUERY_TOKEN = re.compile(r'(-(?=["\w]))?(?:"([^"]*)"?|(\S+))')
"""A word or a quoted phrase of a query, with the `-` that leaves out the items holding it."""
_SIGN_NAMED = re.compile(r"[^\W\d_][+#]+")
"""A letter named with the signs that follow it, which the index does not hold: `c++`, `c#`,
`f#` are indexed as the word `c` or `f` (unicode61 reads `+` and `#` as separators)."""

_CJK_LETTERS = (
    "\u1100-\u11ff\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3038-\u303c\u3041-\u3096"
    "\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3131-\u318e\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\ua960-\ua97c\uac00-\ud7a3\ud7b0-\ud7fb\uf900-\ufaff\uff66-\uffdc"
    "\U00020000-\U0003134f"
)
"""Han, kana and Hangul letters: scripts written without spaces between words (a regex class)."""
CJK_RUN = re.compile(f"[{_CJK_LETTERS}]+")
"""A run of CJK letters."""
CJK_SEPARATOR = "\u200b"
"""Between the tokens of a CJK run in the indexed text: FTS5 splits there; readers see nothing."""
INDEX_FUNCTION = "newsbot_cjk_index"
"""The SQL name of `index_text`, which SQLite's migrations 6 and 14 use to fill the columns
of the items' text as the index reads it (`title_cjk` …, named when only CJK text was)."""
WIDE_LETTERS_FUNCTION = "newsbot_wide_letters"
"""The SQL name of `has_wide_letters`, which SQLite's migration 14 uses to find the items
whose text the index reads differently now."""
_SNIPPET_PIECE = re.compile(
    f"([{_CJK_LETTERS}]+)|({CJK_SEPARATOR})|({HIGHLIGHT_START})|({HIGHLIGHT_END})"
    f"|([^{_CJK_LETTERS}{CJK_SEPARATOR}{HIGHLIGHT_START}{HIGHLIGHT_END}]+)"
)


@dataclass(frozen=True)
class _Term:
    """One term of a reader's query: its FTS5 string, and what the reader wrote."""

    quoted: str
    prefix: bool
    written: str
    cjk: bool
    excluded: bool = False
    """Written `-word`: items holding it are left out."""


def fts_query(text: str) -> str | None:
    """Turn a reader's search text into a safe FTS5 query, or None if nothing is searchable.

    `"a phrase"` stays a phrase, `word*` a prefix, and `-word` or `-"a phrase"` leaves out the
    items holding it (FTS5's NOT); everything else is taken literally, each word quoted as an
    FTS5 string, so no input reaches MATCH as syntax. Full-width ASCII, as CJK keyboards type
    it, is read as ASCII (`ＴＯＲＣＨ` finds `torch`: `bot.text.narrowed`). A query of
    exclusions alone is not searchable: it would list nearly the whole archive.
    """
    terms = _query_terms(text)
    found = [term for term in terms if not term.excluded]
    if not found:
        return None
    return excluding(_joined(found), _excluded(terms))


def only_excluded(text: str) -> bool:
    """Whether a reader's search text only says what to leave out (`-word`), with nothing to
    find: answered with how to write it, not with nearly the whole archive."""
    terms = _query_terms(text)
    return bool(terms) and all(term.excluded for term in terms)


def sign_named(text: str) -> bool:
    """Whether a reader's search text names a letter with signs, as `c++`, `c#` or `f#` are
    named: searchable, as that letter's word, though it has one letter or digit alone. Typed
    full-width (`Ｃ＃`) or followed by a sentence's punctuation (`C#.`), it is named the same."""
    words = narrowed(text).split()
    return any(_SIGN_NAMED.fullmatch(word.lstrip("-(").rstrip(".,;:!?)")) for word in words)


def excluding(fts: str, excluded: str | None) -> str:
    """The FTS5 query `fts` without the items matching `excluded` (any of its terms)."""
    return fts if excluded is None else f"({fts}) NOT ({excluded})"


def _excluded(terms: list[_Term]) -> str | None:
    """The excluded terms as one FTS5 query matching any of them, or None if there are none."""
    left_out = [term for term in terms if term.excluded]
    return " OR ".join(_joined([term]) for term in left_out) if left_out else None


def _joined(terms: list[_Term]) -> str:
    return " ".join(term.quoted + "*" if term.prefix else term.quoted for term in terms)


def _query_terms(text: str) -> list[_Term]:
    terms: list[_Term] = []
    # FTS5 strings end at a NUL, so control characters become plain separators first; the
    # index reads full-width letters as ASCII (`index_text`), and so does the query.
    text = without_controls(narrowed(text[:MAX_QUERY_LENGTH]))
    for match in _QUERY_TOKEN.finditer(text):
        minus, phrase, word = match.groups()
        raw = phrase if phrase is not None else word
        prefix = phrase is None and raw.endswith("*")
        raw = raw.rstrip("*") if prefix else raw
        if not any(ch.isalnum() for ch in raw):
            continue
        indexed, one_letter = _cjk_query_text(raw)
        quoted = '"' + indexed.replace('"', '""') + '"'
        written = f'"{raw}"' if phrase is not None else raw + ("*" if prefix else "")
        written = "-" + written if minus else written
        terms.append(_Term(quoted, prefix or one_letter, written, indexed != raw, bool(minus)))
        if len(terms) == MAX_QUERY_TERMS:
            break
    return terms


COMMON_WORDS_ISSUES = 200
"""How many of the newest issues a query of only very common words searches: a phrase of them
is checked in every item holding its words, most of the archive."""

MIN_RANKED_PREFIX = 3
"""Letters a prefix needs to be ranked; shorter ones (down to 2) match newest first."""

MAX_RANKED_TERMS = 4
"""Words, phrases and prefixes a query may have and be ranked; with more, matches are listed
newest first: bm25 reads every match of each one, and so many together match few items."""

_COMMON_WORDS = frozenset(
    """a an as at be by do he i if in is it me my no of on or so to up us we""".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class SearchPlan:
    """How a reader's query is answered: the FTS5 query, whether it is ranked by bm25 or
    matches come newest first, and what was limited, told to the reader (None if nothing)."""

    fts: str
    ranked: bool
    limited: str | None
    recent: bool = False
    """Only the newest `COMMON_WORDS_ISSUES` issues are searched."""
    newest_first: str = ""
    """`fts` as matches are listed newest first, unranked (`_nested`): the same matches."""
    apart: str | None = None
    """`fts` with each phrase's words apart, in any order (`_apart`); None without a phrase."""
    excluded: str | None = None
    """The terms written `-word`, any of which leaves an item out (an FTS5 query of them ORed);
    None without one. `fts`, `newest_first` and `apart` hold the terms to find alone."""

    def in_fts5(self) -> SearchPlan:
        """The plan as FTS5 runs it: each of its queries with the excluded terms `NOT`ed."""
        if self.excluded is None:
            return self
        apart = None if self.apart is None else excluding(self.apart, self.excluded)
        return replace(
            self,
            fts=excluding(self.fts, self.excluded),
            newest_first=excluding(self.newest_first, self.excluded),
            apart=apart,
            excluded=None,
        )


def search_plan(text: str) -> SearchPlan | None:
    """The FTS5 query for a reader's `text`, bounded so that it answers fast, or None if
    nothing is searchable (a query of exclusions alone included: see `only_excluded`).

    bm25 counts every item a term matches, and a one-letter prefix merges every word it
    starts: so a one-letter prefix is searched as that word, very common words are left out
    beside others, and a query of only very common words, with a prefix under
    `MIN_RANKED_PREFIX` letters or with more than `MAX_RANKED_TERMS` terms lists its matches
    newest first, unranked. Excluded terms (`-word`) count as terms, as bm25 counts them too;
    a very common word is never excluded, which would leave nearly nothing.
    """
    terms = _query_terms(text)
    if not any(not term.excluded for term in terms):
        return None
    notes: list[str] = []
    for index, term in enumerate(terms):
        letters = term.written.rstrip("*")
        if term.prefix and not term.cjk and _last_word_letters(term.quoted) < 2:
            terms[index] = replace(term, prefix=False, written=letters)
            if term.excluded and _is_common(terms[index]):
                continue  # told below: a very common word is not left out
            notes.append(
                f"a prefix needs at least 2 letters: “{term.written}” was searched as "
                f"the word “{letters}”"
            )
    notes += _sign_named_notes(terms)
    excluded = [term for term in terms if term.excluded]
    terms = [term for term in terms if not term.excluded]
    common = [term for term in terms if _is_common(term)]
    only_common = len(common) == len(terms)
    left_out = [] if only_common else common
    kept_in = [term for term in excluded if _is_common(term)]
    if left_out:
        terms = [term for term in terms if term not in left_out]
        words = ", ".join(f"“{term.written}”" for term in left_out)
        notes.append(f"very common words were left out: {words}")
    if kept_in:
        excluded = [term for term in excluded if term not in kept_in]
        words = ", ".join(f"“{term.written}”" for term in kept_in)
        notes.append(f"very common words are in nearly every item, so not left out: {words}")
    short = [
        term
        for term in terms + excluded
        if term.prefix and not term.cjk and _last_word_letters(term.quoted) < MIN_RANKED_PREFIX
    ]
    many = len(terms) + len(excluded) > MAX_RANKED_TERMS
    ranked = not short and not only_common and not many
    if short:
        notes.append(
            f"“{short[0].written}” is a short prefix: matches are listed newest first, not ranked"
        )
    elif many:
        notes.append(
            f"more than {MAX_RANKED_TERMS} words: matches are listed newest first, not ranked"
        )
    elif only_common:
        notes.append(
            f"only very common words: matches in the newest {COMMON_WORDS_ISSUES} issues are"
            " listed newest first, not ranked"
        )
    recent = only_common and not short
    notes_told = "; ".join(notes) or None
    return SearchPlan(
        _joined(terms),
        ranked,
        notes_told,
        recent,
        _nested(terms),
        _apart(terms),
        _excluded(excluded),
    )


def _last_word_letters(text: str) -> int:
    """The letters of the last word of `text` as the index counts them: letters, digits and
    private-use characters (unicode61's token characters); a combining mark is a diacritic
    the index drops, and anything else, a direction mark included, ends a word.

    unicode61 knows Unicode 6.1: a character newer than that (U+2066) is a letter to it and
    none here, which only makes the prefix shorter (listed newest first, never ranked), and
    it is searched as written all the same."""
    letters = 0
    for ch in reversed(text):
        category = unicodedata.category(ch)
        if category[0] in "LN" or category == "Co":
            letters += 1
        elif category != "Mn" and letters:
            break
    return letters


def _sign_named_notes(terms: list[_Term]) -> list[str]:
    """What a reader is told of the names searched without their signs (`_SIGN_NAMED`)."""
    named = [term.written.removeprefix("-") for term in terms]
    told = [
        f"“{name}” was searched as the word “{name[0]}”, which also finds a plain"
        f" “{name[0].upper()}”"
        for name in named
        if _SIGN_NAMED.fullmatch(name)
    ]
    return ["the search reads letters and digits only: " + ", and ".join(told)] if told else []


_TOKEN = re.compile(r"[^\W_]+")
"""What the index reads as one token: a run of letters and digits."""
_FTS5_STRING = re.compile(r'"((?:[^"]|"")*)"')
"""A quoted string of an FTS5 query (a quote inside written twice); group 1 its text."""


def holds_phrase(fts: str) -> bool:
    """Whether the FTS5 query `fts` (as this module writes them) holds a phrase: a quoted
    string the index reads as two tokens or more, `"deep learning"` as `"e-mail"` or a CJK
    run's bigrams, which FTS5 finds by reading each holding item's word positions."""
    return any(len(_TOKEN.findall(text)) > 1 for text in _FTS5_STRING.findall(fts))


def _apart(terms: list[_Term]) -> str | None:
    """The terms with each phrase's words as terms of their own, or None if no term is a
    phrase of several words: what an item must hold before its words' order is read."""
    apart: list[_Term] = []
    for term in terms:
        words = _TOKEN.findall(term.quoted)
        if len(words) == 1:
            apart.append(term)
            continue
        for index, word in enumerate(words):
            last = index == len(words) - 1
            apart.append(_Term(f'"{word}"', term.prefix and last, word, term.cjk))
    return _joined(apart) if len(apart) > len(terms) else None


def _nested(terms: list[_Term]) -> str:
    """The terms ANDed one at a time, longest first (most often the rarest) and prefixes last,
    each step kept a step of its own by an OR with an empty phrase, which matches nothing.

    FTS5 merges a flat AND of many terms into one step, which advances every term past each
    match of the rarest: listing the one match of nine words, among a million items, took 21 ms
    that way and 4 ms nested.
    """
    if len(terms) < 3:
        return _joined(terms)
    # A prefix stands for every word it starts: last.
    ordered = sorted(terms, key=lambda term: (term.prefix, -len(term.quoted)))
    nested = _joined(ordered[:1])
    for term in ordered[1:]:
        nested = f'(({nested} AND {_joined([term])}) OR "")'
    return nested


def _is_common(term: _Term) -> bool:
    """Whether every word of the term is a stop word (bm25 would count most of the archive)."""
    if term.prefix or term.cjk:
        return False
    words = _WORD.findall(term.written.lower())
    return bool(words) and all(word in STOPWORDS or word in _COMMON_WORDS for word in words)


def index_text(text: str | None) -> str | None:
    """`text` as the full-text index reads it, or None when that is `text` as written (most
    items): CJK runs as their bigrams (`cjk_index_text`), and full-width Latin letters and
    digits as ASCII, as a reader's query reads them (`ＯｐｅｎＡＩ` is indexed as `OpenAI`,
    which `openai` and `ＯＰＥＮＡＩ` both find).

    Either way each word keeps its place and its length in letters, so the words the index
    matched are found in the text as written (`as_written`), and an item's bm25 length is the
    same as if it were written in ASCII.
    """
    if not text or text.isascii():
        return None
    indexed = cjk_index_text(text)
    if not has_wide_letters(text):
        return indexed
    return narrowed_letters(indexed or text)


# CJK words are phrases of overlapping bigrams in the one unicode61 index, not a second trigram
# table (whose queries need three letters): two-letter words (学習) need no special case, and
# CJK and other words rank together under one bm25 with the title, blurb and abstract weights.
def cjk_index_text(text: str | None) -> str | None:
    """`text` with its CJK runs as the full-text index reads them if it holds CJK letters,
    else None; its other letters as written.

    Each run of CJK letters becomes its overlapping bigrams and then its last letter, between
    zero-width spaces (機械学習 → 機械 械学 学習 習): a word of two letters or more is the
    phrase of its bigrams wherever it sits in a run, and a single letter starts a token.
    """
    # Most text is ASCII, and that test costs a fraction of the search for CJK letters.
    if not text or text.isascii() or CJK_RUN.search(text) is None:
        return None
    return CJK_RUN.sub(_indexed_run, text)


def _indexed_run(run: re.Match[str]) -> str:
    return CJK_SEPARATOR + CJK_SEPARATOR.join(cjk_tokens(run.group())) + CJK_SEPARATOR


def cjk_tokens(letters: str) -> list[str]:
    """A CJK run's tokens in the index: its overlapping bigrams, then its last letter."""
    return [letters[i : i + 2] for i in range(len(letters) - 1)] + [letters[-1]]


def _cjk_query_text(raw: str) -> tuple[str, bool]:
    """A reader's word or phrase with its CJK runs as the index holds them; True if it must be
    a prefix.

    A run followed by more letters in the query ends there in the text too, so it ends with
    its last letter as in the index. A run at the end may go on in the text: only its bigrams
    are asked for, and a single letter there is a prefix of the token it starts.
    """
    parts: list[str] = []
    end, one_letter = 0, False
    for run in CJK_RUN.finditer(raw):
        letters = run.group()
        tokens = cjk_tokens(letters)
        closed = any(ch.isalnum() for ch in raw[run.end() :])
        if not closed and len(letters) > 1:
            tokens.pop()
        one_letter = not closed and len(letters) == 1
        parts += [raw[end : run.start()], " ", " ".join(tokens), " "]
        end = run.end()
    if not parts:
        return raw, False
    parts.append(raw[end:])
    return "".join(parts), one_letter


def as_written(snippet: str, fields: Sequence[str | None] = ()) -> str:
    """A snippet of indexed text (`index_text`) as the item reads: full-width letters as
    `fields`, the item's own title, blurb and abstract, write them (`_widened`), and CJK runs
    joined back from their bigrams, a letter highlighted when any token covering it is."""
    snippet = _widened(snippet, fields)
    if CJK_SEPARATOR not in snippet:
        return snippet
    letters: list[str] = []
    marked: list[bool] = []
    highlighted = False
    previous = ""  # the last CJK token, while only separators and highlight marks follow it
    for piece in _SNIPPET_PIECE.finditer(snippet):
        token, _, start, end, other = piece.groups()
        if start or end:
            highlighted = bool(start)
        elif token:
            if len(previous) == 2 and token[0] == previous[1]:
                marked[-1] = marked[-1] or highlighted
                letters.extend(token[1:])
                marked.extend([highlighted] * (len(token) - 1))
            else:
                letters.extend(token)
                marked.extend([highlighted] * len(token))
            previous = token
        elif other:
            letters.extend(other)
            marked.extend([highlighted] * len(other))
            previous = ""
    written: list[str] = []
    on = False
    for letter, mark in zip(letters, marked, strict=True):
        if mark != on:
            written.append(HIGHLIGHT_START if mark else HIGHLIGHT_END)
            on = mark
        written.append(letter)
    if on:
        written.append(HIGHLIGHT_END)
    return "".join(written)


_MARK = re.compile(f"([{HIGHLIGHT_START}{HIGHLIGHT_END}])")


def _widened(snippet: str, fields: Sequence[str | None]) -> str:
    """`snippet`, cut by FTS5 from one of `fields` as the index reads it, with the letters
    that field writes full-width (which the index reads as ASCII) written so again.

    FTS5 cuts a snippet from the text it indexed (`index_text`), which has the letters of
    `cjk_index_text` one for one: the snippet's text, without its marks and the ellipses FTS5
    adds, is found in the field's index text, and its letters are read from the field's.
    Only an item holding a full-width letter or digit is read so.
    """
    wide = [field for field in fields if field is not None and has_wide_letters(field)]
    if not wide:
        return snippet
    pieces = _MARK.split(snippet)
    text = "".join(piece for piece in pieces if not _MARK.fullmatch(piece))
    start = 1 if text.startswith(ELLIPSIS) else 0
    end = max(start, len(text) - (1 if text.endswith(ELLIPSIS) else 0))
    cut = text[start:end]
    for field in wide:
        written = cjk_index_text(field) or field
        at = narrowed_letters(written).find(cut) if cut else -1
        if at >= 0:
            text = text[:start] + written[at : at + len(cut)] + text[end:]
            break
    else:
        return snippet
    shown: list[str] = []
    read = 0
    for piece in pieces:
        if _MARK.fullmatch(piece):
            shown.append(piece)
        else:
            shown.append(text[read : read + len(piece)])
            read += len(piece)
    return "".join(shown)


_WORD = re.compile(r"\w+")
STOPWORDS = frozenset(
    """about after again also and any are because been before being but can could did does
    doing for from had has have having her here hers him his how into its just more most
    not now off once only other our out over own same she should some such than that the
    their them then there these they this those through too under until very was were what
    when where which while who whom why will with would you your yours anyone someone
    something anything know good read thanks thank please""".split()  # noqa: SIM905
)
"""Words too common to tell a query or a message apart (`_is_common`, `bot.store.related`)."""
