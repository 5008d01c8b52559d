"""The archive: ingest in one transaction, stable ids, and safe, ranked full-text search."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from bot.errors import ArchiveMissing, ArchiveVersionError, IssueNotFound, NewsbotError
from bot.models import IngestOutcome, Issue, OutboxEntry, Section, StepState, slugify
from bot.store import Archive
from bot.store.query import fts_query
from bot.store.sqlite.database import migrations
from tests.factories import issue, item
from tests.properties import examples


def dump(path: Path) -> list[str]:
    """Every row of every table (FTS included), to compare an archive before and after."""
    with closing(sqlite3.connect(path)) as db:
        return list(db.iterdump())


async def test_an_ingested_issue_reads_back_equal(archive: Archive, issue_202: Issue) -> None:
    assert await archive.issues.ingest(issue_202) is IngestOutcome.ADDED
    assert await archive.issues.issue(202) == issue_202
    assert await archive.issues.latest() == issue_202
    stats = await archive.issues.stats()
    assert (stats.issues, stats.sections, stats.items, stats.latest_issue) == (1, 5, 18, 202)


async def test_reingesting_the_same_issue_changes_nothing(
    sqlite_archive: Archive, issue_202: Issue
) -> None:
    await sqlite_archive.issues.ingest(issue_202)
    before = dump(sqlite_archive.path)
    assert await sqlite_archive.issues.ingest(issue_202) is IngestOutcome.UNCHANGED
    assert dump(sqlite_archive.path) == before


async def test_an_edited_issue_is_updated_in_place_with_stable_ids(archive: Archive) -> None:
    first = issue(
        5,
        {
            "News": [item("Alpha", "https://a.example/1"), item("Beta", "https://a.example/2")],
            "Tools": [item("Gamma", "https://a.example/3", "gamma rays")],
        },
    )
    await archive.issues.ingest(first)
    ids = {h.item.title: h.item_id for h in (await archive.issues.search("blurb", limit=10)).hits}
    gamma_id = (await archive.issues.search("gamma")).hits[0].item_id

    edited = issue(
        5,
        {
            "News": [
                item("Alpha, retitled", "https://a.example/1", "new words"),
                item("Delta", "https://a.example/4"),
            ],
            "Tools": [item("Gamma", "https://a.example/3", "gamma rays")],
        },
    )
    assert await archive.issues.ingest(edited) is IngestOutcome.UPDATED
    assert await archive.issues.issue(5) == edited
    alpha = (await archive.issues.search("retitled")).hits[0]
    assert alpha.item_id == ids["Alpha"], "an edited item keeps its id"
    assert (await archive.issues.search("gamma")).hits[0].item_id == gamma_id
    assert not (await archive.issues.search("Beta")).hits, "a removed item leaves the index"
    delta = (await archive.issues.search("Delta")).hits[0]
    assert delta.item_id not in ids.values(), "a new item never reuses an id"


async def test_an_item_moved_to_another_section_is_found_in_it(archive: Archive) -> None:
    news = [
        item("Gamma rays of the sun", "https://a.example/1"),
        item("Other news", "https://a.example/2"),
    ]
    await archive.issues.ingest(issue(5, {"News": news, "Tools": [item("Plain tool")]}))
    moved = issue(
        5,
        {
            "News": [item("Other news", "https://a.example/2")],
            "Tools": [
                item("Gamma rays of the sun", "https://a.example/1"),
                item("Gamma knife of the clinic"),
            ],
        },
    )
    assert await archive.issues.ingest(moved) is IngestOutcome.UPDATED

    async def titles(text: str, section: str) -> list[str]:
        page = await archive.issues.search(text, section=section)
        return sorted(hit.item.title for hit in page.hits)

    # Ranked, by a short prefix, and only very common words (the newest issues walked).
    for text in ("gamma", "gam*", '"of the"'):
        assert await titles(text, "tools") == [
            "Gamma knife of the clinic",
            "Gamma rays of the sun",
        ], text
        assert await titles(text, "news") == [], text
    assert await titles("other", "news") == ["Other news"]
    # Whatever marks a section in the index is no word a reader can search for.
    for text in ("§tools", "§to*", "§tool*", "tools"):
        assert (await archive.issues.search(text)).hits == (), text


async def test_a_failed_ingest_leaves_the_archive_untouched(
    sqlite_archive: Archive, issue_202: Issue
) -> None:
    await sqlite_archive.issues.ingest(issue(1))
    with closing(sqlite3.connect(sqlite_archive.path)) as db:
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON items WHEN new.title = 'boom'"
            " BEGIN SELECT RAISE(ABORT, 'refused by test'); END"
        )
    before = dump(sqlite_archive.path)
    batch = [(issue_202, None), (issue(2, {"News": [item("boom")]}), None)]
    with pytest.raises(sqlite3.IntegrityError, match="refused by test"):
        await sqlite_archive.issues.ingest_many(batch)
    assert dump(sqlite_archive.path) == before
    with pytest.raises(IssueNotFound):
        await sqlite_archive.issues.issue(202)


STREAMED_ISSUES = 12
"""Issues of `STREAMED_ITEMS` items each: several of the ingest's batches in all."""
STREAMED_ITEMS = 2_500


async def streamed(
    pulled: list[int], *, fail_after: int | None = None
) -> AsyncIterator[tuple[Issue, None]]:
    """Issues made one at a time as the ingest asks, counting them in `pulled`."""
    items = [item(f"Streamed item {n}", f"https://s.example/{n}") for n in range(STREAMED_ITEMS)]
    for number in range(1, STREAMED_ISSUES + 1):
        if number == fail_after:
            raise RuntimeError("the stream broke")
        pulled.append(number)
        yield issue(number, {"News": items}), None


async def test_ingest_takes_a_stream_a_batch_at_a_time(archive: Archive) -> None:
    pulled: list[int] = []
    pulled_when_stored: list[int] = []
    outcomes = await archive.issues.ingest_many(
        streamed(pulled), progress=lambda _, __: pulled_when_stored.append(len(pulled))
    )
    assert outcomes == [IngestOutcome.ADDED] * STREAMED_ISSUES
    assert pulled_when_stored[0] < STREAMED_ISSUES // 2, "the first batch is stored early"
    assert (await archive.issues.stats()).items == STREAMED_ISSUES * STREAMED_ITEMS


async def test_a_stream_that_breaks_midway_leaves_the_archive_untouched(
    sqlite_archive: Archive,
) -> None:
    await sqlite_archive.issues.ingest(issue(100))
    before = dump(sqlite_archive.path)
    pulled: list[int] = []
    stored: list[int] = []
    with pytest.raises(RuntimeError, match="the stream broke"):
        await sqlite_archive.issues.ingest_many(
            streamed(pulled, fail_after=STREAMED_ISSUES),
            progress=lambda stored_issue, _: stored.append(stored_issue.number),
        )
    assert stored, "batches were written before the stream broke"
    assert dump(sqlite_archive.path) == before


async def test_writes_made_while_an_ingest_runs_are_not_undone_with_it(archive: Archive) -> None:
    # The scheduled ingest reads its files between batches; a lease renewed or a suggestion taken
    # meanwhile must not become part of its transaction, nor be rolled back when it fails.
    reading = asyncio.Event()

    async def slow_files() -> AsyncIterator[tuple[Issue, Path | None]]:
        yield issue(301), None
        reading.set()
        for _ in range(5):
            await asyncio.sleep(0.01)  # the next file is being read
        raise RuntimeError("a file broke")

    async def meanwhile() -> None:
        await reading.wait()
        await archive.state.set("kept", "yes")

    writer = asyncio.ensure_future(meanwhile())
    with pytest.raises(RuntimeError, match="a file broke"):
        await archive.issues.ingest_many(slow_files())
    await asyncio.wait_for(writer, timeout=30)
    assert await archive.state.get("kept") == "yes"
    assert await archive.issues.latest(held=True) is None


async def test_two_ingests_at_once_both_store_their_issues(archive: Archive) -> None:
    first = [(issue(n), None) for n in range(1, 40)]
    second = [(issue(n), None) for n in range(40, 80)]
    done = await asyncio.gather(
        archive.issues.ingest_many(first), archive.issues.ingest_many(second)
    )
    assert list(done) == [[IngestOutcome.ADDED] * 39, [IngestOutcome.ADDED] * 40]
    assert (await archive.issues.stats()).issues == 79


async def test_missing_archive_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(ArchiveMissing, match="newsbot ingest"):
        await Archive.open(tmp_path / "nope.db", create=False)
    assert not (tmp_path / "nope.db").exists()


async def test_migrations_set_the_schema_version(sqlite_archive: Archive) -> None:
    assert await sqlite_archive.schema_version() == len(migrations())
    with closing(sqlite3.connect(sqlite_archive.path)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_an_archive_from_a_newer_newsbot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA user_version = 999")
    with pytest.raises(ArchiveVersionError, match="upgrade newsbot"):
        await Archive.open(path)


async def test_a_database_that_is_not_an_archive_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE customers (name TEXT)")
        db.execute("CREATE TABLE orders (id INTEGER)")
        db.commit()
    before = dump(path)
    with pytest.raises(NewsbotError, match=r"not a newsbot archive \(it holds customers, orders"):
        archive = await Archive.open(path)
        await archive.close()  # not reached: the file is refused
    assert dump(path) == before


async def test_unknown_issue_raises(archive: Archive) -> None:
    with pytest.raises(IssueNotFound, match="#42"):
        await archive.issues.issue(42)
    assert await archive.issues.latest() is None


# --- search -------------------------------------------------------------------------------


async def test_search_finds_the_distillation_paper(archive: Archive, issue_202: Issue) -> None:
    await archive.issues.ingest(issue_202)
    for query in ("knowledge distillation", '"knowledge distillation"', "distil*"):
        page = await archive.issues.search(query)
        assert page.hits, query
        top = page.hits[0]
        assert top.item.title == "Does Knowledge Distillation Really Work?"
        assert (top.issue_number, top.section_name) == (202, "Papers & Publications")
        assert any(marked for _, marked in top.snippet_parts())


async def test_a_phrase_is_a_phrase(archive: Archive) -> None:
    await archive.issues.ingest(
        issue(1, {"N": [item("A", blurb="learning machine"), item("B", blurb="machine learning")]})
    )
    assert [h.item.title for h in (await archive.issues.search('"machine learning"')).hits] == ["B"]
    assert len((await archive.issues.search("machine learning")).hits) == 2


async def test_filters_by_section_issue_and_dates(archive: Archive) -> None:
    await archive.issues.ingest_many(
        [
            (issue(1, {"News": [item("Old torch news")]}, date=dt.date(2021, 1, 1)), None),
            (issue(2, {"Tools": [item("Torch tools")]}, date=dt.date(2022, 1, 1)), None),
            (issue(3, {"News": [item("New torch news")]}), None),
        ]
    )

    async def titles(**filters: object) -> list[str]:
        page = await archive.issues.search("torch", **filters)  # type: ignore[arg-type]
        return [hit.item.title for hit in page.hits]

    assert await titles(section="news") == ["New torch news", "Old torch news"]
    assert await titles(issue=2) == ["Torch tools"]
    assert await titles(since=dt.date(2021, 6, 1)) == ["Torch tools"]
    assert await titles(until=dt.date(2021, 6, 1)) == ["Old torch news"]
    assert await titles(section="news", issue=2) == []


async def test_sections_named_in_other_scripts_are_filtered_apart(archive: Archive) -> None:
    await archive.issues.ingest_many(
        [
            (issue(1, {"業界": [item("ロボット 業界")], "論文": [item("ロボット 論文")]}), None),
            (issue(2, {"AI ニュース": [item("ロボット news")]}), None),
        ]
    )

    async def titles(section: str) -> list[str]:
        page = await archive.issues.search("ロボット", section=slugify(section))
        return sorted(hit.item.title for hit in page.hits)

    assert await titles("論文") == ["ロボット 論文"]
    assert await titles("業界") == ["ロボット 業界"]
    assert await titles("AI ニュース") == ["ロボット news"]
    assert await titles("Section") == []


async def test_a_renamed_section_is_named_as_in_its_newest_issue_whatever_the_order(
    archive: Archive,
) -> None:
    renamed = Section(name="Industry news", slug="industry", items=(item("Chips"),))
    newer = issue(203, {}).model_copy(update={"sections": (renamed,)})
    older = issue(202, {"Industry": [item("Quantum")], "Papers": [item("A paper")]})
    # The newer issue first, then an older one backfilled.
    await archive.issues.ingest(newer)
    await archive.issues.ingest(older)
    assert await archive.issues.section_names() == [
        ("industry", "Industry news"),
        ("papers", "Papers"),
    ]
    assert await archive.issues.section_names(limit=1) == [("industry", "Industry news")]


async def test_every_section_is_read_when_no_limit_is_given(archive: Archive) -> None:
    # What a reader typed is matched against every section (autocomplete, an exact name):
    # none may be left out by the 25 a list of choices holds.
    names = [f"Topic {n:02}" for n in range(30)]
    await archive.issues.ingest(issue(202, {name: [item(f"Item {name}")] for name in names}))
    assert len(await archive.issues.section_names()) == 25
    every = await archive.issues.section_names(limit=None)
    assert every == [(slugify(name), name) for name in names]


async def test_a_section_filter_follows_items_moved_added_and_removed(archive: Archive) -> None:
    news, tools = item("Robot one"), item("Robot two")
    await archive.issues.ingest(issue(1, {"News": [news], "Tools": [tools]}))

    async def titles(section: str) -> list[str]:
        page = await archive.issues.search("robot", section=section)
        return [hit.item.title for hit in page.hits]

    assert (await titles("news"), await titles("tools")) == (["Robot one"], ["Robot two"])
    # The same items (same links or titles), swapped between the sections.
    await archive.issues.ingest(issue(1, {"News": [tools], "Tools": [news]}))
    assert (await titles("news"), await titles("tools")) == (["Robot two"], ["Robot one"])
    # One moved to a new section, the other one gone, a third one added.
    await archive.issues.ingest(issue(1, {"Labs": [news, item("Robot three")]}))
    assert await titles("labs") == ["Robot one", "Robot three"]
    assert (await titles("news"), await titles("tools")) == ([], [])


async def test_titles_outrank_blurbs_and_ties_go_to_newer_issues(archive: Archive) -> None:
    await archive.issues.ingest_many(
        [
            (issue(1, {"N": [item("Transformers explained", blurb="x")]}), None),
            (issue(2, {"N": [item("Something", blurb="about transformers, at length")]}), None),
            (issue(3, {"N": [item("Transformers explained", "https://e.org/3", "x")]}), None),
        ]
    )
    page = await archive.issues.search("transformers")
    assert [(h.issue_number, h.item.title) for h in page.hits] == [
        (3, "Transformers explained"),
        (1, "Transformers explained"),
        (2, "Something"),
    ]


async def test_pages_do_not_overlap(archive: Archive) -> None:
    await archive.issues.ingest(issue(1, {"N": [item(f"Torch item {n}") for n in range(25)]}))
    first = await archive.issues.search("torch", limit=10)
    second = await archive.issues.search("torch", limit=10, offset=10)
    third = await archive.issues.search("torch", limit=10, offset=20)
    ids = [h.item_id for page in (first, second, third) for h in page.hits]
    assert len(ids) == len(set(ids)) == 25
    assert (first.has_more, second.has_more, third.has_more) == (True, True, False)


async def test_equal_matches_are_paged_newest_issue_first_in_reading_order(
    archive: Archive,
) -> None:
    # Every item scores the same: the pages follow the tie-breaks across their boundaries. An
    # edit that puts a new item first keeps reading order, not the order items were added.
    await archive.issues.ingest(issue(1, {"N": [item(f"Torch {n:02}") for n in range(12)]}))
    await archive.issues.ingest(issue(2, {"N": [item(f"Torch {n:02}") for n in range(6)]}))
    edited = [item("Torch 99"), *(item(f"Torch {n:02}") for n in range(6))]
    await archive.issues.ingest(issue(2, {"N": edited}))
    pages = [await archive.issues.search("torch", limit=5, offset=at) for at in range(0, 20, 5)]
    assert [(hit.issue_number, hit.item.title) for page in pages for hit in page.hits] == [
        (2, "Torch 99"),
        *((2, f"Torch {n:02}") for n in range(6)),
        *((1, f"Torch {n:02}") for n in range(12)),
    ]
    assert [page.has_more for page in pages] == [True, True, True, False]


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("knowledge distillation", '"knowledge" "distillation"'),
        ('"knowledge distillation"', '"knowledge distillation"'),
        ("distil*", '"distil"*'),
        ('say "hi', '"say" "hi"'),
        ("NEAR(a b) OR c", '"NEAR(a" "b)" "OR" "c"'),
        ('col:"x"', '"col:""x"""'),
        ("*** ... ---", None),
        ("", None),
    ],
)
def test_reader_text_is_quoted_into_fts5_strings(text: str, query: str | None) -> None:
    assert fts_query(text) == query


@pytest.mark.parametrize(
    "text",
    [
        "AND",
        "NOT x",
        '"',
        "a OR",
        "(",
        "title:x",
        "x^2",
        "-x",
        "*",
        "\\",
        "'; DROP TABLE items; --",
    ],
)
async def test_fts_syntax_in_reader_text_is_taken_literally(archive: Archive, text: str) -> None:
    await archive.issues.ingest(issue(1, {"N": [item("Title: x OR y", blurb="DROP TABLE items")]}))
    await archive.issues.search(text)
    assert (await archive.issues.stats()).items == 1


@examples(200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=120))
async def test_no_search_text_can_raise(archive: Archive, text: str) -> None:
    page = await archive.issues.search(text)
    assert page.offset == 0


async def test_publish_at_is_archived_and_summarised(archive: Archive) -> None:
    moment = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    await archive.issues.ingest(issue(7, publish_at=moment))
    await archive.issues.ingest(issue(8))
    assert (await archive.issues.issue(7)).publish_at == moment
    summaries = {s.number: s for s in await archive.issues.issues()}
    assert summaries[7].publish_at == moment
    assert summaries[8].publish_at is None
    # Moving the time is an edit: the issue is updated, not left as it was.
    later = moment + dt.timedelta(days=1)
    assert await archive.issues.ingest(issue(7, publish_at=later)) == IngestOutcome.UPDATED
    assert (await archive.issues.issue(7)).publish_at == later


async def test_unfinished_outbox_steps_are_counted_per_issue_outlet_and_target(
    archive: Archive,
) -> None:
    def entry(
        key: str, number: int, outlet: str, state: StepState, reason: str | None = None
    ) -> None:
        rows.append(OutboxEntry(key, number, outlet, "c1", "message", state, reason=reason))

    rows: list[OutboxEntry] = []
    entry("7/a", 7, "discord", StepState.SENT)
    entry("7/b", 7, "discord", StepState.FAILED, "Missing Access")
    entry("8/a", 8, "discord", StepState.PENDING)
    entry("8/b", 8, "discord", StepState.PENDING)
    entry("8/x", 8, "x", StepState.SENDING)
    for row in rows:
        await archive.ledger.record(row)
    tallies = await archive.ledger.unfinished()
    assert [(t.issue_number, t.outlet, t.state, t.steps, t.reason) for t in tallies] == [
        (7, "discord", StepState.FAILED, 1, "Missing Access"),
        (8, "discord", StepState.PENDING, 2, None),
        (8, "x", StepState.SENDING, 1, None),
    ]
    assert [t.outlet for t in await archive.ledger.unfinished("x")] == ["x"]


async def test_section_threads_are_found_in_the_ledger(archive: Archive) -> None:
    for key, action, remote in [
        ("205/discord/9/thread/industry", "thread", "111"),
        ("205/discord/9/thread/industry/message/1", "message", "112"),
        ("205/discord/8/digest", "post", "113"),
    ]:
        await archive.ledger.record(
            OutboxEntry(key, 205, "discord", "9", action, state=StepState.SENT, remote_id=remote)
        )
    assert await archive.ledger.section_thread(111) == (205, "industry")
    assert await archive.ledger.section_thread(113) == (205, None)
    assert await archive.ledger.section_thread(112) is None
    assert await archive.ledger.section_thread(5) is None


async def test_step_states_read_back_as_step_states(archive: Archive) -> None:
    await archive.ledger.plan([OutboxEntry("9/a", 9, "discord", "c1", "message")])
    await archive.ledger.record(OutboxEntry("9/b", 9, "discord", "c1", "message", StepState.SENT))
    entries = await archive.ledger.entries(9, "discord")
    assert [entry.state for entry in entries.values()] == [StepState.PENDING, StepState.SENT]
    assert all(type(entry.state) is StepState for entry in entries.values())
    assert await archive.ledger.latest("discord", "c1") == (
        9,
        {StepState.PENDING: 1, StepState.SENT: 1},
    )


async def test_reader_text_without_a_word_is_not_searchable(archive: Archive) -> None:
    assert archive.issues.searchable('pytorch "knowledge distillation"')
    assert archive.issues.searchable("機械学習")
    assert not archive.issues.searchable('*** "" - ()')
    assert (await archive.issues.search('*** "" - ()')).hits == ()
