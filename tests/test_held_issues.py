"""An issue with its own publish_at stays out of readers' sight until then, however it was
ingested; editors and publishing still find it."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.errors import IssueNotFound, IssueNotPublic
from bot.issuefiles import format_issue
from bot.models import Issue, OutboxEntry, StepState
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from bot.store.held import release_words
from tests.conftest import ISSUES, StartNewsbot
from tests.factories import issue, item

BERLIN = ZoneInfo("Europe/Berlin")
TIME = dt.datetime(2026, 12, 10, 9, 0, tzinfo=BERLIN)
"""Issue #7's own publish_at."""


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def timed(publish_at: dt.datetime) -> Issue:
    return issue(
        7,
        {"Quantum": [item("Qubits in silicon", "https://q.example/1", "Coherent qubits.")]},
        publish_at=publish_at,
    )


OPEN = issue(6, {"News": [item("Plain news", "https://n.example/1", "Coherent plain news.")]})


@pytest.fixture
def clock() -> Clock:
    return Clock(TIME - dt.timedelta(minutes=1))


@pytest.fixture
async def archive(tmp_path: Path, clock: Clock) -> AsyncIterator[Archive]:
    opened = await Archive.open(tmp_path / "archive.db", clock=clock, zone=BERLIN)
    await opened.issues.ingest_many([(OPEN, None), (timed(TIME), None)])
    try:
        yield opened
    finally:
        await opened.close()


async def seen_by_readers(archive: Archive) -> dict[str, object]:
    """What every reader-facing query says about #7 (and the newest issue)."""
    latest = await archive.issues.latest()
    try:
        await archive.issues.issue(7)
        by_number = True
    except IssueNotFound:
        by_number = False
    return {
        "latest": latest.number if latest else None,
        "issue 7": by_number,
        "choices": [s.number for s in await archive.issues.issues(held=False)],
        "sections": [slug for slug, _ in await archive.issues.section_names(held=False)],
        "search": [h.issue_number for h in (await archive.issues.search("coherent")).hits],
        "in issue 7": [
            h.issue_number for h in (await archive.issues.search("qubits", issue=7)).hits
        ],
        "related": [
            h.issue_number for h in await archive.issues.related("anyone know coherent qubits?")
        ],
        "link": await archive.issues.archived_link("https://q.example/1"),
    }


HIDDEN = {
    "latest": 6,
    "issue 7": False,
    "choices": [6],
    "sections": ["news"],
    "search": [6],
    "in issue 7": [],
    "related": [6],
    "link": None,
}


async def test_readers_see_an_issue_at_its_publish_at_and_not_before(
    archive: Archive, clock: Clock
) -> None:
    assert await seen_by_readers(archive) == HIDDEN
    with pytest.raises(IssueNotPublic) as held:
        await archive.issues.issue(7)
    # Said in the schedule's zone, with its name.
    assert "held back from readers until its publish_at, 2026-12-10 09:00 CET" in str(held.value)
    clock.now = TIME
    seen = await seen_by_readers(archive)
    assert seen["latest"] == 7 and seen["issue 7"] is True
    assert seen["choices"] == [7, 6] and seen["sections"] == ["news", "quantum"]
    assert seen["search"] == [7, 6] or seen["search"] == [6, 7]
    assert seen["in issue 7"] == [7] and 7 in seen["related"]  # type: ignore[operator]
    link = seen["link"]
    assert link is not None and link.issue_number == 7  # type: ignore[attr-defined]


async def test_editors_and_publishing_find_a_held_issue(archive: Archive) -> None:
    assert (await archive.issues.issue(7, held=True)).publish_at == TIME
    latest = await archive.issues.latest(held=True)
    assert latest is not None and latest.number == 7
    assert [s.number for s in await archive.issues.issues()] == [7, 6], "the editors' list"
    assert "quantum" in dict(await archive.issues.section_names())
    link = await archive.issues.archived_link("https://q.example/1", held=True)
    assert link is not None and link.issue_number == 7


async def test_an_issue_published_early_is_no_longer_held(archive: Archive) -> None:
    # An editor published #7 by hand before its time: it is out, so readers may find it.
    await archive.ledger.record(
        OutboxEntry("7/x/post/1", 7, "x", "account", "post", StepState.PENDING)
    )
    assert (await seen_by_readers(archive))["latest"] == 6, "a step not sent changes nothing"
    await archive.ledger.record(
        OutboxEntry("7/x/post/1", 7, "x", "account", "post", StepState.SENT, remote_id="1")
    )
    assert (await seen_by_readers(archive))["latest"] == 7


async def test_a_time_without_an_offset_is_read_in_the_zone(tmp_path: Path, clock: Clock) -> None:
    local = TIME.replace(tzinfo=None)  # 09:00 in Berlin, 08:00 UTC
    async with await Archive.open(tmp_path / "a.db", clock=clock, zone=BERLIN) as archive:
        await archive.issues.ingest(timed(local))
        clock.now = dt.datetime(2026, 12, 10, 7, 59, tzinfo=dt.UTC)
        assert await archive.issues.latest() is None
        clock.now = dt.datetime(2026, 12, 10, 8, 0, tzinfo=dt.UTC)
        assert await archive.issues.latest() is not None
    # Not knowing the zone, it is held until the time has come everywhere (UTC-12).
    async with await Archive.open(tmp_path / "a.db", clock=clock) as archive:
        clock.now = dt.datetime(2026, 12, 10, 20, 59, tzinfo=dt.UTC)
        assert await archive.issues.latest() is None
        clock.now = dt.datetime(2026, 12, 10, 21, 0, tzinfo=dt.UTC)
        assert await archive.issues.latest() is not None


async def test_an_issue_whose_time_passed_long_ago_is_seen(archive: Archive, clock: Clock) -> None:
    # Such times are not looked at again (they are before the horizon): still seen.
    await archive.issues.ingest(issue(5, publish_at=dt.datetime(2020, 1, 1, 9, 0)))
    clock.now = TIME
    assert [s.number for s in await archive.issues.issues(held=False)] == [7, 6, 5]


async def test_managers_preview_a_held_issue_on_discord(
    archive: Archive, start_newsbot: StartNewsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    await start_newsbot(archive)
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.manager, "newsletter", {"issue": 7}, subcommand="preview"
    )
    preview = await handle.original(timeout=10)
    assert preview.content.startswith("Publishing #7 posts this digest"), preview.content


async def test_a_server_manager_cannot_publish_a_held_issue_before_its_time(
    archive: Archive, start_newsbot: StartNewsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    await start_newsbot(archive)
    setup = await emulator.run_slash_command(
        seed.guild,
        seed.general,
        seed.manager,
        "newsletter",
        {"channel": seed.general},
        subcommand="setup",
    )
    assert (await setup.original(timeout=10)).content.startswith("Done:")
    typing = await emulator.autocomplete(
        seed.guild,
        seed.general,
        seed.manager,
        "newsletter",
        {"issue": ""},
        "issue",
        subcommand="publish",
    )
    choices = await typing.choices()
    assert [c["value"] for c in choices] == [6], "the held issue is not offered"
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.manager, "newsletter", {"issue": 7}, subcommand="publish"
    )
    answer = (await handle.original(timeout=10)).content
    assert answer == (
        f"Issue #7 is held back until <t:{int(TIME.timestamp())}:F>, its publish_at: it goes "
        "out then. Publishing it earlier is for the newsletter's editors (`newsbot publish 7 "
        "--early`)."
    )
    assert emulator.messages_in(seed.general) == []
    # Readers everywhere still cannot see it: nothing of it was sent.
    with pytest.raises(IssueNotPublic):
        await archive.issues.issue(7)


# --- the command line, by hand ---------------------------------------------------------------


def test_an_issue_ingested_by_hand_waits_for_its_time_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "issues"
    folder.mkdir()
    shutil.copy(ISSUES / "202.md", folder / "202.md")
    upcoming = issue(
        203,
        {"Quantum": [item("Qubits in silicon", "https://q.example/1", "Coherent qubits.")]},
        publish_at=TIME,
    )
    (folder / "203.md").write_text(format_issue(upcoming), encoding="utf-8")
    db = tmp_path / "a.db"
    runner = CliRunner()

    def newsbot(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, ["--db", str(db), *args])
        return result.exit_code, result.stdout, result.stderr

    monkeypatch.setattr(
        "bot.store.sqlite.database._utc_now", lambda: TIME - dt.timedelta(seconds=1)
    )
    code, out, _ = newsbot("ingest", str(folder))
    assert code == 0 and "2 added" in out
    code, out, _ = newsbot("latest", "--json")
    assert code == 0 and json.loads(out)["number"] == 202
    code, _, err = newsbot("issue", "203")
    assert code == 1 and "#203 is held back from readers until its publish_at" in err
    code, out, _ = newsbot("search", "qubits", "--json")
    assert code == 0 and json.loads(out)["hits"] == []
    code, out, err = newsbot("preview", "203")  # the editor sees what will go out
    assert code == 0 and "Qubits in silicon" in out, err

    monkeypatch.setattr("bot.store.sqlite.database._utc_now", lambda: TIME)
    code, out, _ = newsbot("latest", "--json")
    assert code == 0 and json.loads(out)["number"] == 203
    code, out, _ = newsbot("issue", "203", "--json")
    assert code == 0 and json.loads(out)["title"] == upcoming.title
    code, out, _ = newsbot("search", "qubits", "--json")
    assert [hit["issue"] for hit in json.loads(out)["hits"]] == [203]


def test_the_command_line_reads_a_time_without_an_offset_in_the_schedules_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "issues"
    folder.mkdir()
    local = TIME.replace(tzinfo=None)  # 09:00 in Berlin, 08:00 UTC
    (folder / "203.md").write_text(format_issue(issue(203, publish_at=local)), encoding="utf-8")
    monkeypatch.setenv("NEWSBOT_SCHEDULE__TIMEZONE", "Europe/Berlin")
    db = tmp_path / "a.db"
    assert CliRunner().invoke(app, ["--db", str(db), "ingest", str(folder)]).exit_code == 0

    def latest_at(now: dt.datetime) -> int:
        monkeypatch.setattr("bot.store.sqlite.database._utc_now", lambda: now)
        return CliRunner().invoke(app, ["--db", str(db), "latest", "--json"]).exit_code

    assert latest_at(dt.datetime(2026, 12, 10, 7, 59, tzinfo=dt.UTC)) != 0
    assert latest_at(dt.datetime(2026, 12, 10, 8, 0, tzinfo=dt.UTC)) == 0


def test_the_release_time_is_said_with_its_zone() -> None:
    assert release_words("2026-12-10T09:00:00", BERLIN) == "2026-12-10 09:00 CET"
    assert release_words("2026-12-10T08:00:00+00:00", BERLIN) == "2026-12-10 09:00 CET"
    assert release_words("2026-12-10T09:00:00+05:30", None) == "2026-12-10 09:00 UTC+05:30"
    assert release_words("2026-12-10T09:00:00", None) == (
        "2026-12-10 09:00 wherever that comes last (UTC-12: no schedule.timezone)"
    )


def test_publish_without_a_number_leaves_a_held_issue_for_its_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "a.db"
    runner = CliRunner()
    monkeypatch.setattr(
        "bot.store.sqlite.database._utc_now", lambda: TIME - dt.timedelta(seconds=1)
    )
    folder = tmp_path / "issues"
    folder.mkdir()
    (folder / "6.md").write_text(format_issue(OPEN), encoding="utf-8")
    (folder / "7.md").write_text(format_issue(timed(TIME)), encoding="utf-8")
    assert runner.invoke(app, ["--db", str(db), "ingest", str(folder)]).exit_code == 0

    def publish(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(
            app, ["--db", str(db), "publish", "--dry-run", "--outlet", "x", *args]
        )
        return result.exit_code, result.stdout, result.stderr

    code, out, err = publish()
    assert code == 0, err
    assert "Publishing #6 on X" in out, "the newest issue readers can see"
    assert "publishing #6, the newest issue readers can see" in err
    assert "#7 is held until Thu 2026-12-10 08:00 UTC" in err and "publish 7 --early" in err
    code, out, err = publish("7")
    assert code == 1 and "Publishing #7" not in out
    assert "issue #7 is held until Thu 2026-12-10 08:00 UTC (UTC+00:00) (its publish_at)" in err
    assert "`newsbot publish 7 --early`" in err
    code, out, err = publish("7", "--early")
    assert code == 0 and "Publishing #7 on X" in out, err
