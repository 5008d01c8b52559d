"""Sections an older newsbot archived under the slug it gave them, before slugs kept the letters
of other scripts (`## 業界ニュース` as `section`, `## AI ニュース` as `ai`): the same file read
today keeps them, so it is not taken for an edit and its thread is not made again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import cast

from bot.models import IngestOutcome, Issue, Section, SuggestionStatus, Supporter, ascii_slug
from bot.store import Archive
from bot.store.sqlite.issues import SqliteIssues
from bot.suggestions import export_draft
from bot.suggestions.drafts import UNSORTED_SECTION
from tests.factories import issue, item

AT = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
READER = Supporter(user_id=1, name="Ada", source="command")


def as_read_today(blurb: str = "A blurb.") -> Issue:
    """Issue 7 as its file reads now: every section under the slug of its name."""
    return issue(
        7,
        {
            "業界ニュース": [item("Robots", "https://news.example/robots", blurb)],
            "AI ニュース": [item("Models", "https://news.example/models")],
            "Papers": [item("A paper", "https://news.example/paper")],
        },
    )


def as_archived_before(today: Issue) -> Issue:
    """`today` as the older newsbot archived it: its sections under their ASCII slugs."""
    sections = tuple(
        section.model_copy(update={"slug": ascii_slug(section.name)}) for section in today.sections
    )
    return today.model_copy(update={"sections": sections})


async def slugs(archive: Archive) -> list[tuple[str, str]]:
    return sorted(await archive.issues.section_names(limit=None))


async def test_an_unchanged_file_keeps_the_slugs_an_older_newsbot_archived(
    archive: Archive,
) -> None:
    await archive.issues.ingest(as_archived_before(as_read_today()))
    before = await slugs(archive)
    assert before == [("ai", "AI ニュース"), ("papers", "Papers"), ("section", "業界ニュース")]

    outcomes = await archive.issues.ingest_many([(as_read_today(), None)])

    assert outcomes == [IngestOutcome.UNCHANGED]
    assert await slugs(archive) == before


async def test_an_edited_file_keeps_them_too(archive: Archive) -> None:
    await archive.issues.ingest(as_archived_before(as_read_today()))

    outcomes = await archive.issues.ingest_many([(as_read_today("A corrected blurb."), None)])

    assert outcomes == [IngestOutcome.UPDATED]
    stored = await archive.issues.issue(7)
    assert [s.slug for s in stored.sections] == ["section", "ai", "papers"]
    assert stored.sections[0].items[0].blurb == "A corrected blurb."


async def test_a_slug_the_editor_writes_or_another_section_has_is_not_overruled(
    archive: Archive,
) -> None:
    await archive.issues.ingest(as_archived_before(as_read_today()))
    news, ai, papers = as_read_today().sections
    # `## AI ニュース {#ai-news}`, and a section now called Section, whose slug is `section`.
    renamed = ai.model_copy(update={"slug": "ai-news"})
    other = Section(
        name="Section", slug="section", items=(item("Other", "https://news.example/other"),)
    )
    edited = as_read_today().model_copy(update={"sections": (news, renamed, papers, other)})

    await archive.issues.ingest(Issue.model_validate(edited.model_dump()))

    stored = await archive.issues.issue(7)
    assert [s.slug for s in stored.sections] == ["業界ニュース", "ai-news", "papers", "section"]


async def test_every_name_an_older_newsbot_archived_under_a_slug_is_found(
    archive: Archive,
) -> None:
    await archive.issues.ingest(as_archived_before(as_read_today()))
    papers = issue(8, {"論文": [item("A study", "https://news.example/study")]})
    await archive.issues.ingest(as_archived_before(papers))

    assert await archive.issues.names_under(["section", "ai", "unknown"]) == [
        ("ai", "AI ニュース"),
        ("section", "業界ニュース"),
        ("section", "論文"),
    ]
    assert await archive.issues.names_under([]) == []


async def found_in(archive: Archive, text: str, section: str) -> list[tuple[int, str]]:
    page = await archive.issues.search(text, section=section, limit=20)
    return sorted((hit.issue_number, hit.item.title) for hit in page.hits)


async def test_a_section_searched_by_its_slug_today_is_found_in_older_issues_too(
    archive: Archive,
) -> None:
    """Issue 7 archived by an older newsbot (`## 業界ニュース` as `section`, `## AI ニュース` as
    `ai`), 8 after the upgrade; 9 holds a section the older slugs are given by other names
    (`## 論文` was `section` too, `## AI` is `ai`), which is not the section searched."""
    await archive.issues.ingest(as_archived_before(as_read_today()))
    after = issue(
        8,
        {
            "業界ニュース": [item("Robots again", "https://news.example/robots-8")],
            "AI ニュース": [item("Models again", "https://news.example/models-8")],
        },
    )
    await archive.issues.ingest(after)
    others = issue(
        9,
        {
            "論文": [item("Robots studied", "https://news.example/study")],
            "AI": [item("Models compared", "https://news.example/compared")],
        },
    )
    await archive.issues.ingest(as_archived_before(others))

    assert await found_in(archive, "robots", "業界ニュース") == [(7, "Robots"), (8, "Robots again")]
    assert await found_in(archive, "models", "ai-ニュース") == [(7, "Models"), (8, "Models again")]
    # A ranked search and a list of the newest matches alike (a prefix is listed unranked).
    assert await found_in(archive, "robo*", "業界ニュース") == [(7, "Robots"), (8, "Robots again")]
    assert await found_in(archive, "robots", "論文") == [(9, "Robots studied")]
    # The older slugs name today the sections that have them: `## AI`, not `## AI ニュース`.
    assert await found_in(archive, "models", "ai") == [(9, "Models compared")]
    assert await found_in(archive, "robots", "section") == []


async def test_an_issue_held_back_tells_the_sections_slug_today_readers_search_by(
    archive: Archive,
) -> None:
    """The first issue since the upgrade, held until next week, already shows `ai` was the
    older newsbot's slug: readers are offered the section by its slug today, which finds the
    older issue's items, though the held one's are not shown yet."""
    old = issue(7, {"AI ニュース": [item("Models", "https://news.example/models")]})
    await archive.issues.ingest(as_archived_before(old))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=7)
    held = issue(8, {"AI ニュース": [item("Models again", "https://news.example/m8")]})
    await archive.issues.ingest(held.model_copy(update={"publish_at": later}))

    offered = await archive.issues.sections_today(limit=None, held=False)

    assert offered == [("ai-ニュース", "AI ニュース")]
    assert await found_in(archive, "models", "ai-ニュース") == [(7, "Models")]


async def test_a_slug_the_editor_set_finds_its_section(archive: Archive) -> None:
    """`## 業界ニュース {#industry}` is not the older slug of any name: all of it is found."""
    news = issue(7, {"業界ニュース": [item("Robots", "https://news.example/robots")]})
    (section,) = news.sections
    by_hand = news.model_copy(
        update={"sections": (section.model_copy(update={"slug": "industry"}),)}
    )
    await archive.issues.ingest(by_hand)

    assert await found_in(archive, "robots", "industry") == [(7, "Robots")]
    assert await archive.issues.sections_today(limit=None) == [("industry", "業界ニュース")]


async def test_a_slug_the_editor_set_to_the_names_ascii_letters_stays_its_own(
    archive: Archive, tmp_path: Path
) -> None:
    """`## AI ニュース {#ai}`: the letters an older newsbot would have given it, but the archive
    has no sign that one did (the name under its slug today, another name under `ai`). The
    section is `ai` everywhere: found by it, listed by it, drafted under it."""
    news = issue(7, {"AI ニュース": [item("Models", "https://news.example/models")]})
    (section,) = news.sections
    await archive.issues.ingest(
        news.model_copy(update={"sections": (section.model_copy(update={"slug": "ai"}),)})
    )
    suggested = await archive.suggestions.add("https://s.example/a", READER, at=AT, section="ai")
    await archive.suggestions.review(suggested.id, SuggestionStatus.ACCEPTED, by="cli")

    assert await found_in(archive, "models", "ai") == [(7, "Models")]
    assert await found_in(archive, "models", "ai-ニュース") == []
    assert await archive.issues.sections_today(limit=None) == [("ai", "AI ニュース")]
    done = await export_draft(archive, tmp_path)
    assert [(s.name, s.slug) for s in done.issue.sections] == [("AI ニュース", "ai")]
    assert "## AI ニュース {#ai}" in done.path.read_text(encoding="utf-8")


async def test_a_search_in_a_section_reads_on_a_connection_of_its_own(
    sqlite_archive: Archive,
) -> None:
    """The names under a section's slugs are read with the search, on its read-only
    connection: not on the shared one, where the search would wait behind an ingest."""
    await sqlite_archive.issues.ingest(as_archived_before(as_read_today()))
    after = issue(8, {"業界ニュース": [item("Robots again", "https://news.example/robots-8")]})
    await sqlite_archive.issues.ingest(after)
    shared = cast(SqliteIssues, sqlite_archive.issues)._db
    ran: list[str] = []
    await shared.set_trace_callback(ran.append)  # the driver's statement hook

    assert await found_in(sqlite_archive, "robots", "業界ニュース") == [
        (7, "Robots"),
        (8, "Robots again"),
    ]
    # `ai`, which no other name has, is still `## AI ニュース`'s: read under `ai-ニュース` too.
    assert await found_in(sqlite_archive, "models", "ai") == [(7, "Models")]
    assert ran == []


async def test_sections_as_readers_know_them_today(archive: Archive) -> None:
    """Each section once, by the slug its name has today: every name an older newsbot gave one
    slug (`## 業界ニュース` and `## 論文` both `section`), and one archived under both slugs
    (`## AI ニュース`, `ai` in 7 and `ai-ニュース` in 8) once; `## AI` keeps `ai`."""
    await archive.issues.ingest(as_archived_before(as_read_today()))
    after = issue(8, {"AI ニュース": [item("Models again", "https://news.example/models-8")]})
    await archive.issues.ingest(after)
    others = issue(
        9,
        {
            "論文": [item("A study", "https://news.example/study")],
            "AI": [item("Models compared", "https://news.example/compared")],
        },
    )
    await archive.issues.ingest(as_archived_before(others))

    assert await archive.issues.sections_today(limit=None) == [
        ("ai", "AI"),
        ("ai-ニュース", "AI ニュース"),
        ("papers", "Papers"),
        ("業界ニュース", "業界ニュース"),
        ("論文", "論文"),
    ]
    assert await archive.issues.sections_today(limit=2) == [
        ("ai", "AI"),
        ("ai-ニュース", "AI ニュース"),
    ]


async def test_a_draft_puts_a_suggestion_under_an_older_slug_in_the_section_it_meant(
    archive: Archive, tmp_path: Path
) -> None:
    """A suggestion filed under `section` before the upgrade is drafted in the one section an
    older newsbot gave that slug, by its name and slug today; with two given it (`## 論文` too)
    it is drafted unsorted, not in whichever one an issue named last."""
    await archive.issues.ingest(
        as_archived_before(issue(300, {"業界ニュース": [item("R", "https://n.example/r")]}))
    )
    await archive.issues.ingest(issue(302, {"業界ニュース": [item("S", "https://n.example/s")]}))
    for n, section in enumerate(["section", "業界ニュース"]):
        suggested = await archive.suggestions.add(
            f"https://s.example/{n}", READER, at=AT, section=section
        )
        await archive.suggestions.review(suggested.id, SuggestionStatus.ACCEPTED, by="cli")

    done = await export_draft(archive, tmp_path / "one")
    assert [(s.name, s.slug, len(s.items)) for s in done.issue.sections] == [
        ("業界ニュース", "業界ニュース", 2)
    ]

    await archive.issues.ingest(
        as_archived_before(issue(301, {"論文": [item("P", "https://p.example/p")]}))
    )
    done = await export_draft(archive, tmp_path / "two")
    assert [(s.name, len(s.items)) for s in done.issue.sections] == [
        ("業界ニュース", 1),
        (UNSORTED_SECTION, 1),
    ]
