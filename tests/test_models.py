"""The domain models: what an issue may hold, and the JSON schema bundled for editors."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.models import (
    Issue,
    Item,
    Section,
    issue_json_schema,
    link_problem,
    section_slug,
    slugify,
)
from tests.conftest import ISSUES
from tests.factories import issue, item


@pytest.mark.parametrize(
    "link",
    ["https://example.com", "http://example.com/a?b=c#d", "https://例え.jp/パス"],
)
def test_http_links_are_accepted(link: str) -> None:
    stored = Item(title="T", link=link).link
    assert stored is not None
    assert stored.startswith(("http://", "https://"))
    assert Item(title="T", link=stored).link == stored, "normalising twice changes nothing"


def test_non_ascii_links_are_stored_percent_encoded() -> None:
    assert Item(title="T", link="https://例え.jp/パス").link == (
        "https://xn--r8jz45g.jp/%E3%83%91%E3%82%B9"
    )


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("javascript:alert(1)", "http:// or https://"),
        ("ftp://example.com/file", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("https:///no-host", "needs a host"),
        ("https://exa mple.com", "spaces"),
        ("example.com/page", "http:// or https://"),
        ("https://example.com:99999/", "not a valid URL"),
        ("https://example.com/" + "a" * 3000, "at most"),
    ],
)
def test_bad_links_are_rejected_with_a_reason(link: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        Item(title="T", link=link)


def test_link_problem_says_why_a_link_cannot_be_in_an_issue() -> None:
    assert link_problem("https://example.com/a") is None
    assert link_problem("JaVaScRiPt:alert(1)") == "a link must start with http:// or https://"
    assert link_problem("//example.com/a") == "a link must start with http:// or https://"
    assert link_problem("https:javascript:x") == (
        "a link needs a host, as in https://example.com/page"
    )


def test_models_are_frozen_and_strict() -> None:
    one = item("T")
    with pytest.raises(ValidationError):
        one.title = "changed"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs"):
        Item(title="T", colour="red")  # type: ignore[call-arg]


@pytest.mark.parametrize("title", ["", " padded", "two\nlines", "bell\x07"])
def test_titles_are_one_clean_line(title: str) -> None:
    with pytest.raises(ValidationError):
        Item(title=title)


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x0c"])
def test_no_text_holds_a_line_break_an_issue_file_would_split_at(separator: str) -> None:
    # In an issue file a separator is a control character: the text would not read back.
    with pytest.raises(ValidationError, match=f"control character \\(U\\+{ord(separator):04X}\\)"):
        Item(title=f"one{separator}two")
    with pytest.raises(ValidationError, match="control character"):
        Item(title="T", blurb=f"one{separator}two")
    assert Item(title="T", blurb="one\n\ttwo\r\nthree").blurb == "one\n\ttwo\r\nthree"


def test_section_slug_is_derived_from_its_name() -> None:
    section = Section.model_validate({"name": "Mobile & Edge", "items": [item("T")]})
    assert section.slug == "mobile-edge"
    assert slugify("Papers & Publications") == "papers-publications"
    assert slugify("Café Ünïcode") == "cafe-unicode"
    assert slugify("!!!") == "section"


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        # Latin names keep the slugs they always had: accents folded, other letters dropped.
        ("Mobile & Edge", "mobile-edge"),
        ("Café Crème – Ünïcode", "cafe-creme-unicode"),
        ("Straße", "strae"),
        ("Fünf\u00a0Tipps", "funf-tipps"),
        # Other scripts keep their letters, in one case and one normal form.
        ("業界", "業界"),
        ("AI ニュース", "ai-ニュース"),
        ("Новости недели", "новости-недели"),
        ("ΟΔΟΣ", "οδοσ"),
        ("한국어 뉴스", "한국어-뉴스"),
        ("ｶﾞｲﾄﾞ", "ガイド"),
        ("🔥", "section"),
    ],
)
def test_a_slug_keeps_every_script_apart(name: str, slug: str) -> None:
    assert slugify(name) == slug
    assert Section.model_validate({"name": name, "items": [item("T")]}).slug == slug


def test_names_that_differ_only_in_another_script_get_different_slugs() -> None:
    names = ["業界", "論文", "AI ニュース", "AI 論文", "Новости", "Статьи", "Ειδήσεις"]
    assert len({slugify(name) for name in names}) == len(names)
    assert slugify("οδος") == slugify("ΟΔΟΣ") and slugify("ガイド") == slugify("ｶﾞｲﾄﾞ")


@given(st.text(max_size=60))
def test_a_slug_is_its_own_slug(name: str) -> None:
    slug = slugify(name)
    assert slugify(slug) == slug
    assert Section.model_validate({"name": "N", "slug": slug, "items": [item("T")]}).slug == slug


@pytest.mark.parametrize(
    "slug", ["Mobile", "mobile edge", "-news", "news-", "a--b", "論文 ", "ΟΔΟΣ"]
)
def test_a_slug_that_is_not_its_own_slug_is_refused(slug: str) -> None:
    with pytest.raises(ValidationError, match="slug"):
        Section.model_validate({"name": "N", "slug": slug, "items": [item("T")]})


def test_a_section_renamed_in_place_answers_to_its_slug_and_its_name() -> None:
    known = [("learning", "Courses"), ("courses", "Old courses"), ("industry", "Industry")]
    # Its own slug first: `courses` is the section that has that slug.
    assert [section_slug(typed, known) for typed in ("Courses", "learning", "Old courses")] == [
        "courses",
        "learning",
        "courses",
    ]
    assert section_slug("Industry news", known) is None
    assert section_slug("Courses", known[:1]) == "learning"
    renamed = Section(name="Courses", slug="learning", items=(item("T"),))
    assert renamed.answers_to(["learning"]) and renamed.answers_to(["papers", "courses"])
    assert not renamed.answers_to(["papers"])


def test_a_section_is_found_by_the_first_words_of_its_name_when_only_one_begins_so() -> None:
    known = [("papers-publications", "Papers & Publications"), ("mobile-edge", "Mobile & Edge")]
    assert section_slug("Papers", known) == "papers-publications"
    assert section_slug("mobile", known) == "mobile-edge"
    # Words, not letters; a later word alone is no beginning.
    assert section_slug("Pap", known) is None
    assert section_slug("Edge", known) is None
    # Two sections begin with the word: it names neither.
    both = [*known, ("papers-code", "Papers with Code")]
    assert section_slug("Papers", both) is None
    assert section_slug("Papers with", both) == "papers-code"


def test_an_issue_needs_unique_sections_and_items() -> None:
    with pytest.raises(ValidationError, match="section 'News' appears twice"):
        Issue(
            number=1,
            title="T",
            sections=(
                Section(name="News", slug="news", items=(item("A"),)),
                Section(name="News", slug="news", items=(item("B"),)),
            ),
        )
    with pytest.raises(ValidationError, match="item 'B' appears twice"):
        issue(
            1,
            {
                "A": [item("A", "https://x.org/1"), item("B", "https://x.org/2")],
                "B": [item("B", "https://x.org/2")],
            },
        )
    with pytest.raises(ValidationError):
        Issue(number=1, title="T", sections=())


def test_item_key_is_its_link_else_its_title() -> None:
    assert item("T", "https://example.com/a").key == "https://example.com/a"
    assert item("Some Title!").key == "title:some-title"


def test_bundled_json_schema_is_current() -> None:
    bundled = json.loads((ISSUES / "issue.schema.json").read_text(encoding="utf-8"))
    assert bundled == issue_json_schema(), "stale: run `newsbot schema` and commit the result"


def test_json_schema_describes_every_field() -> None:
    schema = issue_json_schema()
    assert set(schema["properties"]) == set(Issue.model_fields)
    assert set(schema["$defs"]["Item"]["properties"]) == set(Item.model_fields)
    assert schema["$defs"]["Item"]["additionalProperties"] is False
