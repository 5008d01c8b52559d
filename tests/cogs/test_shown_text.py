"""Reader and issue text quoted in the cogs' answers: within its limit, escapes counted."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.models import ArchivedLink
from bot.suggestions import Outcome, Result, Scan
from bot.text import find_control
from cogs.reader._asked import SAID_MAX, said
from cogs.suggestions._text import code, not_taken, plain
from cogs.suggestions._text import said as suggestion_said

MARKDOWN_HEAVY = st.text(alphabet="*_~`|>[]()#-\\@<&! abc\x07\u2028", max_size=400)


@given(MARKDOWN_HEAVY, st.integers(min_value=1, max_value=200))
def test_quoted_text_never_outgrows_its_limit(text: str, limit: int) -> None:
    # Each escape doubles a character: a cut made before escaping let the quote grow twice over.
    for shown, most in ((plain(text, limit), limit), (said(text), SAID_MAX)):
        assert len(shown) <= most, shown
        assert find_control(shown) is None, shown


def test_a_code_span_shows_text_as_it_is_and_no_backtick_in_it_ends_it() -> None:
    assert code(r"C:\issues\drafts\my_draft-1.md") == r"`C:\issues\drafts\my_draft-1.md`"
    assert code("odd`name") == "``odd`name``"
    assert code("``x`") == "``` ``x` ```"


def test_an_archived_title_is_shown_as_its_markdown_reads_not_escaped_again() -> None:
    title = r"Using \*\*kwargs in Python \[v2\] <@123>"
    found = ArchivedLink(203, "Industry", title, "https://example.com/kwargs")
    line = suggestion_said(
        Result("https://example.com/kwargs", Outcome.ARCHIVED, archived=found), 10
    )
    assert line is not None
    assert "“Using \\*\\*kwargs in Python \\[v2\\] <\u200b@123>”." in line, line


def test_links_the_daily_limit_stopped_are_named_briefly_and_never_ping() -> None:
    long = "https://long.example/@everyone/" + "x" * 1900
    results = [Result(url, Outcome.LIMITED) for url in ("https://short.example/a", long)]
    (line,) = not_taken(Scan(links=("https://short.example/a", long)), results)
    assert line.startswith("✖ Not taken, over the limit: <https://short.example/a>, `https://")
    assert len(line) < 300 and "@everyone" not in line
    assert suggestion_said(results[0], 1) == suggestion_said(results[1], 1), "said once"
    assert "limit of 1 suggestion in 24 hours" in (suggestion_said(results[0], 1) or "")
