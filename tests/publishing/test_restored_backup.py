"""A backup restored as the README says, then published again: what the archive lost (the
ledger of publishes made after the backup) is looked for on each platform, not posted twice;
issues newer than the restore are published as usual, with no lookups."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.issuefiles import write_issue
from bot.models import Issue, Subscription
from bot.publishing.plans.x import plan as x_plan
from bot.sandbox.discord import Channel, DefaultWorld, Emulator
from bot.sandbox.x import XEmulator
from bot.settings import XSettings
from bot.store import Archive
from tests.factories import issue, item
from tests.publishing.conftest import posted_in, threads_of
from tests.x.conftest import archive_file, run_newsbot, x_env

KINDS = {0: "text", 5: "announcement", 15: "forum"}


def subscribed(seed: DefaultWorld) -> list[Channel]:
    """The channels of every kind the archive's subscriptions name."""
    return [seed.general, seed.announcements, seed.forum]


async def subscribed_archive(path: Path, issue_202: Issue, seed: DefaultWorld) -> Path:
    """An archive file holding #202, a text, an announcement and a forum channel subscribed."""
    subscriptions = [
        Subscription(guild_id=seed.guild.id, channel_id=c.id, kind=KINDS[int(c.type)])
        for c in subscribed(seed)
    ]
    return await archive_file(path, issue_202, *subscriptions)


def restore_as_the_readme_says(backup: Path, db: Path) -> None:
    """newsbot stopped: delete the archive's -wal and -shm, install the backup in its place."""
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(backup, db)


def on_discord(emulator: Emulator, seed: DefaultWorld) -> dict[str, tuple[int, int]]:
    """Per subscribed channel: how many threads (or forum posts) and messages it holds."""
    return {
        c.name: (len(threads_of(emulator, c)), len(posted_in(emulator, c)))
        for c in subscribed(seed)
    }


def issue_file(folder: Path, number: int) -> Issue:
    """A short issue #`number`, written into the issue folder as an editor would."""
    written = issue(
        number, {"Industry": [item(f"Fabs {number}", f"https://news.example/{number}")]}
    )
    write_issue(written, folder / f"{number}.md")
    return written


async def newsbot(*args: str, env: dict[str, str]) -> str:
    """Run `newsbot ARGS`, which must succeed; what it printed."""
    run = await run_newsbot(*args, env=env)
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.mark.parametrize("by_hand", [True, False], ids=["by hand", "newsbot restore"])
async def test_a_restored_backup_publishes_nothing_twice(
    tmp_path: Path,
    emulator: Emulator,
    seed: DefaultWorld,
    x_emulator: XEmulator,
    issue_202: Issue,
    by_hand: bool,
) -> None:
    db = await subscribed_archive(tmp_path / "newsbot.db", issue_202, seed)
    folder = tmp_path / "issues"
    folder.mkdir()
    env = x_env(x_emulator, emulator) | {"NEWSBOT_ISSUES__DIRECTORY": str(folder)}
    backup = tmp_path / "backups" / "newsbot-Mon.db"
    backup.parent.mkdir()
    await newsbot("--db", str(db), "backup", str(backup), env=env)
    await newsbot("--db", str(db), "publish", "202", env=env)
    published = on_discord(emulator, seed)
    assert all(threads and messages for threads, messages in published.values()), published
    _, steps = x_plan(issue_202, XSettings())
    assert len(x_emulator.live_tweets()) == len(steps)

    if by_hand:
        restore_as_the_readme_says(backup, db)
    else:
        said = await newsbot("--db", str(db), "restore", str(backup), env=env)
        assert "issues up to #202 is looked for" in " ".join(said.split())
    again = await newsbot("--db", str(db), "publish", "202", env=env)
    assert on_discord(emulator, seed) == published
    assert len(x_emulator.live_tweets()) == len(steps)
    assert f"#202 → X: 0 posted, {len(steps)} recovered" in again
    async with await Archive.open(db) as archive:
        assert await archive.ledger.unfinished() == []

    # An issue written after the restore: published as usual, nothing looked for first.
    issue_file(folder, 203)
    await newsbot("--db", str(db), "ingest", str(folder), env=env)
    discord_before, x_before = len(emulator.requests), len(x_emulator.requests)
    newer = await newsbot("--db", str(db), "publish", "203", env=env)
    looked = [r.path for r in emulator.requests[discord_before:] if r.method == "GET"]
    assert [path for path in looked if "/messages" in path or "/threads" in path] == []
    assert [r.path for r in x_emulator.requests[x_before:] if r.method == "GET"] == []
    assert "#203 → X: 2 posted, 0 recovered" in newer


async def test_an_issue_published_after_the_backup_is_found_from_its_file(
    tmp_path: Path, emulator: Emulator, seed: DefaultWorld, x_emulator: XEmulator, issue_202: Issue
) -> None:
    """The backup never held #203: published after it, and still in the issue folder when the
    backup is restored, it is looked for too, though the archive ingests it only later."""
    db = await subscribed_archive(tmp_path / "newsbot.db", issue_202, seed)
    folder = tmp_path / "issues"
    folder.mkdir()
    env = x_env(x_emulator, emulator) | {"NEWSBOT_ISSUES__DIRECTORY": str(folder)}
    backup = tmp_path / "newsbot-Mon.db"
    await newsbot("--db", str(db), "backup", str(backup), env=env)
    await newsbot("--db", str(db), "publish", "202", env=env)
    issue_203 = issue_file(folder, 203)
    await newsbot("--db", str(db), "ingest", str(folder), env=env)
    await newsbot("--db", str(db), "publish", "203", env=env)
    published, tweets = on_discord(emulator, seed), len(x_emulator.live_tweets())

    restore_as_the_readme_says(backup, db)
    await newsbot("--db", str(db), "publish", "202", env=env)
    await newsbot("--db", str(db), "ingest", str(folder), env=env)
    again = await newsbot("--db", str(db), "publish", "203", env=env)
    assert on_discord(emulator, seed) == published
    assert len(x_emulator.live_tweets()) == tweets
    _, steps = x_plan(issue_203, XSettings())
    assert f"#203 → X: 0 posted, {len(steps)} recovered" in again
