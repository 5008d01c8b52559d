"""What a reader types in a section's autocomplete finds it by the name its choice shows (the
text its Markdown reads as), from the start or any word, not by the Markdown the issue wrote."""

from __future__ import annotations

from bot.render.discord import sections_typed

MARKED = "*Mobile* \\& Edge &amp; AI"
"""A heading in Markdown: emphasis, an escape and an entity. Its choice shows it as
`*Mobile* & Edge & AI`, so a reader types that, in any case, from any word."""

MOBILE, EDGE = ("mobile-edge-amp-ai", MARKED), ("edge-cases", "Edge cases")
SECTIONS = [MOBILE, EDGE]
"""As the archive gives them: by name."""


def found(typed: str, limit: int = 25) -> list[tuple[str, str]]:
    return sections_typed(typed, SECTIONS, limit)


def test_a_section_is_found_by_its_name_as_it_reads_from_any_word() -> None:
    assert found("") == SECTIONS, "nothing typed yet: every section, in the order given"
    assert found("Mob") == [MOBILE]
    assert found("mobile & e") == [MOBILE]
    assert found("*mobile* & edge &") == [MOBILE]
    assert found("edge") == [EDGE, MOBILE], "a name that starts so comes first"
    assert found("ai") == [MOBILE]
    assert found("dge") == [], "inside a word is not where a reader starts"
    assert found("mobile-e") == [MOBILE], "its slug still finds it"
    assert found("edge ai") == [MOBILE], "punctuation between words is no matter"
    assert found("mobile ai") == [], "the words typed follow each other in the name"
    assert found("  Edge  ") == [EDGE, MOBILE], "spaces around and case are no matter"
    assert found("*Mobile* \\&") == [MOBILE], "its name as written still finds it"
    assert found("e", limit=1) == [EDGE]
    assert found("e", limit=0) == []


def test_a_name_that_reads_as_nothing_is_found_as_written() -> None:
    # `<br>` reads as nothing: its choice shows it as written, and typing that finds it.
    assert sections_typed("<b", [("br", "<br>")], 25) == [("br", "<br>")]


def test_full_width_letters_find_a_section_as_ascii_letters_do() -> None:
    # A CJK keyboard in full-width mode types `ＭＯＢ` for `MOB`, and U+3000 for a space.
    assert found("ＭＯＢ") == [MOBILE]
    assert found("ｍｏｂｉｌｅ　＆　ｅ") == [MOBILE]
    assert found("ＥＤＧＥ　ＡＩ") == [MOBILE]
    # And a name written in full-width is found by what reads the same.
    wide = ("ai-news", "ＡＩ ニュース")
    assert sections_typed("ai", [wide], 25) == [wide]
    assert sections_typed("ＡＩ　ニ", [wide], 25) == [wide]
