"""The words PostgreSQL's index holds are the words SQLite's FTS5 index holds: an item's text
is read by newsbot as the unicode61 tokenizer reads it, each word where it was written."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.store.postgres import words

LETTERS = st.one_of(
    st.characters(codec="utf-8"),
    # Folded, dropped (a diacritic written apart), CJK, separators beyond ASCII.
    st.sampled_from("aZ0éÉ\u0301\u0308İßΣ機械学習アー—“”\u00a0\u3000 -.'"),
)
TEXTS = st.lists(LETTERS, max_size=60).map("".join)


@pytest.fixture(scope="module")
def fts5() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    connection.executescript(
        "CREATE VIRTUAL TABLE texts USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');"
        "CREATE VIRTUAL TABLE text_words USING fts5vocab(texts, 'instance');"
    )
    yield connection
    connection.close()


def sqlite_words(fts5: sqlite3.Connection, text: str) -> list[str]:
    """The words of `text` in SQLite's index, in the order it holds them."""
    fts5.execute("DELETE FROM texts")
    fts5.execute("INSERT INTO texts (text) VALUES (?)", (text,))
    return [row[0] for row in fts5.execute("SELECT term FROM text_words ORDER BY offset")]


@given(TEXTS)
def test_a_text_is_read_into_the_words_sqlite_indexes(fts5: sqlite3.Connection, text: str) -> None:
    found = list(words.tokens(text))
    assert [token.text for token in found] == sqlite_words(fts5, text)
    for token in found:
        # Each word is where it was written: the letters there fold into it.
        assert [token.text] == [found.text for found in words.tokens(text[token.start : token.end])]


@given(TEXTS)
def test_a_text_is_read_in_one_pass_as_a_letter_at_a_time(text: str) -> None:
    assert list(words.tokens(text)) == list(words._tokens_by_letter(text))


def test_letters_read_are_kept_within_a_bound(
    fts5: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A reader's search is read here too: searches of letters not seen yet kept each of them
    # for good, as much as 360 MB for the whole of Unicode. The bound is lowered to a little
    # over what this process has folded already: SQLite is asked once a letter (about 60 µs),
    # and passing the real bound took 7 s.
    monkeypatch.setattr(words, "FOLDED_KEPT", len(words._FOLDED) + 2_000)
    unseen = [chr(code) for code in range(0x20000, 0x20000 + words.FOLDED_KEPT + 1_000)]
    assert not set(unseen) & words._FOLDED_LETTERS
    for start in range(0, len(unseen), 200):  # as many searches of 200 characters
        query = " ".join(unseen[start : start + 200])
        list(words.tokens(query))
        words.tsquery(f'"{query}"')
    assert len(words._FOLDED) <= words.FOLDED_KEPT
    assert len(words._FOLDED_LETTERS) <= words.FOLDED_KEPT + 128
    assert len(words._FOLDING) <= words.FOLDED_KEPT + 128
    # Past the bound, a text is read as SQLite reads it all the same.
    for text in ("naïve 机器学习 café", f"{unseen[-1]}{unseen[-2]} Straße", unseen[-3] + "\u0301a"):
        assert [token.text for token in words.tokens(text)] == sqlite_words(fts5, text)
