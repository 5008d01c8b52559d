"""`newsbot publish --dry-run` says what the publish then does, in every kind of channel.

The channels are declared in the settings, as a deployment for one server does: their kind is
known only once Discord is asked, as the publish itself asks.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from bot.models import Issue, Section
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from tests.factories import item
from tests.publishing.cli_harness import newsbot_env
from tests.x.conftest import archive_file, run_newsbot

OUTCOMES = ("posted", "recovered", "edited", "unchanged", "removed")
REPORT = re.compile(r"#\d+ → channel (\d+): " + ", ".join(rf"(\d+) {o}" for o in OUTCOMES))


def corrected(issue: Issue) -> Issue:
    """#204 with a new subtitle, a corrected blurb, an added item, its second section gone
    (a thread of several messages) and a new one."""
    industry, _ = issue.sections
    first, *rest = industry.items
    industry = industry.model_copy(
        update={
            "items": (
                first.model_copy(update={"blurb": "A corrected blurb."}),
                *rest,
                item("New chip", "https://news.example/new-chip", "Just in."),
            )
        }
    )
    learning = Section.model_validate(
        {"name": "Learning", "items": [item("A course", "https://learn.example/c")]}
    )
    changed = issue.model_copy(update={"subtitle": "Corrected", "sections": (industry, learning)})
    return Issue.model_validate(changed.model_dump())


def env_for(emulator: Emulator, seed: DefaultWorld) -> dict[str, str]:
    """Discord only, the three kinds of channel declared in the settings (kind unknown)."""
    channels = (seed.general, seed.announcements, seed.forum)
    targets = [{"guild_id": seed.guild.id, "channel_id": c.id} for c in channels]
    return newsbot_env(emulator) | {"NEWSBOT_DISCORD__TARGETS": json.dumps(targets)}


async def dry_run_output(db: Path, env: dict[str, str]) -> str:
    run = await run_newsbot("--db", str(db), "publish", "--outlet", "discord", "--dry-run", env=env)
    assert run.returncode == 0, run.stderr
    return run.stdout


async def dry_run(db: Path, env: dict[str, str]) -> list[tuple[str, str, str]]:
    """The rows of a dry run on Discord: channel, step key, what it would do."""
    return rows_of(await dry_run_output(db, env))


def rows_of(output: str) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if len(cells) == 3 and cells[0].isdigit():
            rows.append((cells[0], cells[1], cells[2]))
        elif len(cells) == 3 and rows and not cells[0]:  # a row folded onto the next line
            channel, key, does = rows[-1]
            # A key has no space to fold at; what a step does is folded between its words.
            rows[-1] = (channel, key + cells[1], " ".join(filter(None, (does, cells[2]))))
    assert rows, output
    return rows


async def publish(db: Path, env: dict[str, str]) -> dict[str, Counter[str]]:
    """What a publish on Discord did, channel by channel: how many steps had each outcome."""
    run = await run_newsbot("--db", str(db), "publish", "--outlet", "discord", env=env)
    assert run.returncode == 0, run.stderr
    done = {}
    for match in REPORT.finditer(run.stdout):
        counts = Counter(dict(zip(OUTCOMES, (int(n) for n in match.groups()[1:]), strict=True)))
        done[match.group(1)] = +counts
    assert len(done) == 3, run.stdout
    return done


def told(rows: list[tuple[str, str, str]]) -> dict[str, Counter[str]]:
    """A dry run's rows counted as a publish report counts them."""
    counts: dict[str, Counter[str]] = {}
    for channel, _, does in rows:
        counts.setdefault(channel, Counter())[does] += 1
    return counts


async def test_a_dry_run_says_what_the_publish_then_does_in_every_kind_of_channel(
    tmp_path: Path, emulator: Emulator, seed: DefaultWorld, issue_204: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_204)
    env = env_for(emulator, seed)

    first = await dry_run(db, env)
    assert told(first) == await publish(db, env)

    again = await dry_run(db, env)
    assert {does for _, _, does in again} == {"unchanged"}, again
    assert [key for _, key, _ in again] == [key for _, key, _ in first]
    assert told(again) == await publish(db, env), "the publish did nothing either"

    async with await Archive.open(db) as archive:
        await archive.issues.ingest(corrected(issue_204))
    before = await dry_run(db, env)
    done = await publish(db, env)
    assert told(before) == done
    # The gone section's thread (or forum post) is removed with its messages, in one call.
    assert {counts["removed"] for counts in done.values()} == {1}
    assert all(counts["edited"] and counts["posted"] for counts in done.values()), done
    announcements = str(seed.announcements.id)
    crosspost = f"204/discord/{announcements}/digest/crosspost"
    assert (announcements, crosspost, "unchanged") in before, "crossposted once, and kept"

    after = await dry_run(db, env)
    assert {does for _, _, does in after} == {"unchanged"}, after
    assert not emulator.violations, [str(v) for v in emulator.violations]


async def test_a_dry_run_says_how_to_keep_the_thread_of_a_section_that_may_be_renamed(
    tmp_path: Path, emulator: Emulator, seed: DefaultWorld, issue_204: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_204)
    env = env_for(emulator, seed)
    await publish(db, env)
    async with await Archive.open(db) as archive:
        await archive.issues.ingest(corrected(issue_204))
    said = " ".join((await dry_run_output(db, env)).split())
    hint = (
        "The thread of section `papers-publications` would be deleted, with the replies in it, "
        "and one made for “Learning”. If that is `papers-publications` renamed, keep its "
        "thread: write its heading as `## Learning {#papers-publications}`."
    )
    assert said.count(hint) == 1, said

    industry, learning = corrected(issue_204).sections
    kept = learning.model_copy(update={"slug": "papers-publications"})
    async with await Archive.open(db) as archive:
        await archive.issues.ingest(issue_204.model_copy(update={"sections": (industry, kept)}))
    said = await dry_run_output(db, env)
    threads = [(key, does) for _, key, does in rows_of(said) if "/message/" not in key]
    assert {does for _, does in threads} == {"unchanged", "edited"}, threads
    assert "renamed" not in said


async def test_without_a_token_a_dry_run_plans_each_channel_as_its_issue_was_published(
    tmp_path: Path, emulator: Emulator, seed: DefaultWorld, issue_202: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_202)
    env = env_for(emulator, seed)
    await publish(db, env)
    offline = {k: v for k, v in env.items() if k != "NEWSBOT_DISCORD__TOKEN"}
    calls = len(emulator.requests)
    rows = await dry_run(db, offline)
    assert {does for _, _, does in rows} == {"unchanged"}, rows
    assert len(emulator.requests) == calls, "nothing asked of Discord"
