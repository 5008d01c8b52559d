"""A backup restored as the README says, then published again: what the archive lost (the
ledger of publishes made after the backup) is looked for on each platform, not posted twice;
issues newer than the restore are published as usual, with no lookups."""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import NamedTuple

import pytest

from bot.issuefiles import write_issue
from bot.models import Issue, Subscription
from bot.publishing.plans.x import plan as x_plan
from bot.sandbox.discord import Channel, DefaultWorld, Emulator, EmulatorConfig, Permission
from bot.sandbox.x import XEmulator, XEmulatorConfig
from bot.settings import XSettings
from bot.store import Archive
from tests.factories import issue, item
from tests.publishing.conftest import posted_in, threads_of
from tests.publishing.test_dry_run import rows_of
from tests.threads import Killer
from tests.x.conftest import (
    archive_file,
    assert_one_thread,
    run_newsbot,
    thread_texts,
    x_env,
)

DAY = 24 * 60 * 60.0
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


def ours(emulator: Emulator, seed: DefaultWorld) -> int:
    """How many messages newsbot posted in the text channel and its threads."""
    return sum(1 for m in posted_in(emulator, seed.general) if m.author.id == seed.bot.id)


class Restorable(NamedTuple):
    """Discord past its nonce's minutes, #202 published to #general after a backup was taken."""

    emulator: Emulator
    seed: DefaultWorld
    db: Path
    env: dict[str, str]
    backup: Path


@contextlib.asynccontextmanager
async def published_after_a_backup(
    tmp_path: Path, issue_202: Issue, env: dict[str, str] | None = None
) -> AsyncIterator[Restorable]:
    """`newsbot backup`, then `newsbot publish 202` to #general, on an emulator whose nonce no
    longer returns what was posted (as Discord's does only for a few minutes)."""
    config = EmulatorConfig(time_scale=0.01, nonce_window=0)
    async with Emulator(config=config) as emulator:
        seed = emulator.seed
        assert seed is not None
        general = Subscription(guild_id=seed.guild.id, channel_id=seed.general.id, kind="text")
        db = await archive_file(tmp_path / "newsbot.db", issue_202, general)
        every = x_env(None, emulator) | (env or {})
        backup = tmp_path / "newsbot-Mon.db"
        await newsbot("--db", str(db), "backup", str(backup), env=every)
        await newsbot("--db", str(db), "publish", "202", env=every)
        yield Restorable(emulator, seed, db, every, backup)


def in_general(emulator: Emulator, seed: DefaultWorld) -> tuple[int, int]:
    """How many threads #general has, and how many messages newsbot posted."""
    return len(threads_of(emulator, seed.general)), ours(emulator, seed)


def on_discord(emulator: Emulator, seed: DefaultWorld) -> dict[str, tuple[int, int]]:
    """Per subscribed channel: how many threads (or forum posts) and messages it holds."""
    return {
        c.name: (len(threads_of(emulator, c)), len(posted_in(emulator, c)))
        for c in subscribed(seed)
    }


@pytest.fixture
def x_config() -> XEmulatorConfig:
    """X's own refusal of a post repeating a recent one off: the ledger alone must keep each
    post single (X's window for it is not documented, and a thread's replies may repeat)."""
    return XEmulatorConfig(duplicate_window=0.0)


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
    assert len(x_emulator.live_tweets()) == len(steps)
    assert f"#202 → X: 0 posted, {len(steps)} recovered" in again
    assert on_discord(emulator, seed) == published
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


@pytest.mark.parametrize("earlier", [0, 350], ids=["a new account", "many posts before"])
async def test_lookups_end_at_the_first_post_not_found(
    tmp_path: Path, issue_202: Issue, earlier: int
) -> None:
    """A publish stopped after two posts, then its backup restored: the next publish finds
    those two, looks once more, and posts the rest without looking (nothing after the first
    post not found can have been made): X's lookups are few and tightly rate-limited. An
    account's posts from before the backup, more than a lookup reads, are not read at all."""
    _, steps = x_plan(issue_202, XSettings())
    db = await archive_file(tmp_path / "newsbot.db", issue_202)
    backup = tmp_path / "newsbot-Mon.db"
    async with XEmulator(XEmulatorConfig(duplicate_window=0.0)) as x:
        x.posted_earlier([f"an earlier post {n}" for n in range(earlier)], at=time.time() - DAY)
        env = x_env(x)
        await newsbot("--db", str(db), "backup", str(backup), env=env)
        killer = Killer(x, lambda: len(x.tweets) - earlier)
        killer.arm(2)
        args = ("--db", str(db), "publish", "--outlet", "x")
        stopped = await run_newsbot(*args, env=env, started=killer.started)
        assert stopped.returncode == -signal.SIGKILL, stopped.stderr
        assert len(x.tweets) == earlier + 2

        restore_as_the_readme_says(backup, db)
        looked = len(x.requests)
        again = await newsbot(*args, env=env)
        assert f"#202 → X: {len(steps) - 2} posted, 2 recovered" in again
        assert_one_thread(x.live_tweets()[earlier:], thread_texts(issue_202))
        # The account's recent posts, read before each of the first three posts only.
        read = [r for r in x.requests[looked:] if r.method == "GET" and r.path.endswith("/tweets")]
        assert len(read) == 3, [r.path for r in read]


@pytest.mark.parametrize("where", ["thread", "channel"])
async def test_lookups_read_back_to_the_backup_past_many_later_messages(
    tmp_path: Path, issue_202: Issue, where: str
) -> None:
    """Readers wrote more after the publish than Discord's latest page of messages holds, and
    Discord's nonce no longer returns what was posted (it does only for a few minutes): each
    lookup still reads back to the backup (a thread from its start), finds every step, and
    posts nothing twice."""
    async with published_after_a_backup(tmp_path, issue_202) as scene:
        emulator, seed, db, env, backup = scene
        threads, messages = in_general(emulator, seed)
        assert threads and messages > threads
        replies_in = threads_of(emulator, seed.general)[0] if where == "thread" else seed.general
        for n in range(60):  # more than the latest page a lookup reads by default (50)
            await emulator.post_message(replies_in, seed.reader, f"a reader's reply {n}")

        restore_as_the_readme_says(backup, db)
        preview = await newsbot("--db", str(db), "publish", "202", "--dry-run", env=env)
        restored = "look for it on Discord (a backup was restored since it may have been made)"
        assert {does.startswith(restored) for _, _, does in rows_of(preview)} == {True}
        again = await newsbot("--db", str(db), "publish", "202", env=env)
        assert re.search(r"(?<!\d)0 posted", again), again
        assert in_general(emulator, seed) == (threads, messages)


async def test_lookups_the_bot_cannot_read_name_read_message_history(
    tmp_path: Path, issue_202: Issue
) -> None:
    """The bot's role lost Read Message History in the channel after the publish: Discord then
    answers every read of its messages with none at all, not a refusal (message.mdx, Get
    Channel Messages). That must not pass for "not posted": the publish after the restore posts
    nothing and names the permission; once it is given back, every step is found."""
    async with published_after_a_backup(tmp_path, issue_202) as scene:
        emulator, seed, db, env, backup = scene
        threads, messages = in_general(emulator, seed)

        restore_as_the_readme_says(backup, db)
        emulator.deny(seed.general, Permission.READ_MESSAGE_HISTORY)
        refused = await run_newsbot("--db", str(db), "publish", "202", env=env)
        assert refused.returncode != 0
        assert (
            f"the bot lacks Read Message History in channel {seed.general.id}: give the bot's "
            "role Read Message History there"
        ) in refused.stdout + refused.stderr
        assert in_general(emulator, seed) == (threads, messages)

        emulator.allow(seed.general, Permission.READ_MESSAGE_HISTORY)
        again = await newsbot("--db", str(db), "publish", "202", env=env)
        assert re.search(r"(?<!\d)0 posted", again), again
        assert in_general(emulator, seed) == (threads, messages)


async def test_a_restore_marked_without_the_issue_folder_is_marked_again_with_it(
    tmp_path: Path, issue_202: Issue
) -> None:
    """The first publish after a restore runs where the issue folder is not (another working
    directory, a new machine): the operator is told which folder is missing, and the next
    publish that finds it counts its issues in, so #203, published after the backup, is
    looked for rather than posted twice."""
    folder, missing = tmp_path / "issues", tmp_path / "elsewhere" / "issues"
    folder.mkdir()
    in_folder = {"NEWSBOT_ISSUES__DIRECTORY": str(folder)}
    async with published_after_a_backup(tmp_path, issue_202, in_folder) as scene:
        emulator, seed, db, env, backup = scene
        issue_file(folder, 203)
        await newsbot("--db", str(db), "ingest", str(folder), env=env)
        await newsbot("--db", str(db), "publish", "203", env=env)
        threads, messages = in_general(emulator, seed)

        restore_as_the_readme_says(backup, db)
        elsewhere = env | {"NEWSBOT_ISSUES__DIRECTORY": str(missing)}
        run = await run_newsbot("--db", str(db), "publish", "202", env=elsewhere)
        assert run.returncode == 0, run.stderr
        assert f"the issue folder {missing} is not there" in " ".join(run.stderr.split())
        await newsbot("--db", str(db), "ingest", str(folder), env=env)
        again = await newsbot("--db", str(db), "publish", "203", env=env)
        assert re.search(r"(?<!\d)0 posted", again), again
        assert in_general(emulator, seed) == (threads, messages)
