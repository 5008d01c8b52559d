"""What "Find related links" asks the index: the telling words of a reader's message, any
of which an item may share (`fts_any_query`)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.store.query import CJK_RUN, MAX_QUERY_LENGTH, STOPWORDS, cjk_tokens
from bot.text import narrowed, without_controls

_WORD = re.compile(r"\w+")
_HIRAGANA = re.compile("[\u3041-\u309f]+")
RELATED_TERMS = 12


def fts_any_query(text: str) -> str | None:
    """An FTS5 query matching any of the telling words of `text` (for "related" lookups).

    Stop words and words under three letters are dropped, and CJK text gives the letter pairs
    of its runs; each word is quoted, so no input reaches MATCH as syntax. bm25 then favours
    items that share the rarer words.
    """
    words: list[str] = []
    for word in _telling_words(without_controls(narrowed(text[: MAX_QUERY_LENGTH * 10]))):
        if word not in words:
            words.append(word)
        if len(words) == RELATED_TERMS:
            break
    return " OR ".join(f'"{word}"' for word in words) if words else None


def _telling_words(text: str) -> Iterator[str]:
    """Words of three letters or more that are not stop words, and the bigrams of CJK runs
    that are not all hiragana (mostly particles and endings), in the order of `text`."""
    for match in _WORD.finditer(text.lower()):
        word, start = match.group(0), 0
        for run in CJK_RUN.finditer(word):
            yield from _telling(word[start : run.start()])
            for pair in cjk_tokens(run.group())[:-1]:
                if not _HIRAGANA.fullmatch(pair):
                    yield pair
            start = run.end()
        yield from _telling(word[start:])


def _telling(word: str) -> Iterator[str]:
    if len(word) >= 3 and word not in STOPWORDS and not word.isdigit():
        yield word
