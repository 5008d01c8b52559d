"""`newsbot preview --outlet x` and `newsbot publish --outlet x|all`, run as the real CLI."""

from __future__ import annotations

import re
from pathlib import Path

from bot.models import Issue
from bot.publishing.plans.x import plan as x_plan
from bot.sandbox.discord import Emulator
from bot.sandbox.x import XEmulator
from bot.settings import XSettings
from tests.publishing.conftest import posted_in
from tests.threads import announced_archive, assert_skipped_once, editors_alerts
from tests.x.conftest import archive_file, assert_one_thread, run_newsbot, thread_texts, x_env

X_MISSING = "X is not configured (set NEWSBOT_X__CONSUMER_KEY"


async def test_preview_shows_each_post_its_weight_the_cost_and_the_cap(
    tmp_path: Path, x_emulator: XEmulator, issue_202: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_202)
    rendered, _ = x_plan(issue_202, XSettings())
    run = await run_newsbot("--db", str(db), "preview", "--outlet", "x", env=x_env(x_emulator))
    assert run.returncode == 0, run.stderr
    total = len(rendered.posts)
    titles = re.findall(r"post (\d+)/(\d+) · (\d+)/280", run.stdout)
    assert titles == [(str(n), str(total), str(p.weight)) for n, p in enumerate(rendered.posts, 1)]
    assert f"estimated cost: ${rendered.cost(0.015, 0.20):.3f}" in run.stdout
    assert "condensed: titles only: blurbs left out" in run.stdout
    assert f"17 of 17 posts left today; this thread needs {total} (it fits)" in run.stdout
    assert x_emulator.requests == []  # the cap is judged from the ledger
    # Without keys: the same posts, and a word that the cap was not checked.
    bare = await run_newsbot("--db", str(db), "preview", "--outlet", "x", env=x_env(None))
    assert bare.returncode == 0, bare.stderr
    assert re.findall(r"post (\d+)/(\d+) · (\d+)/280", bare.stdout) == titles
    assert "today's cap is not checked" in " ".join(bare.stdout.split())


async def test_publish_outlet_x_posts_the_thread_once(
    tmp_path: Path, x_emulator: XEmulator, issue_202: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_202)
    _, steps = x_plan(issue_202, XSettings())
    args = ("--db", str(db), "publish", "--outlet", "x")
    first = await run_newsbot(*args, env=x_env(x_emulator))
    assert first.returncode == 0, first.stderr
    assert f"#202 → X: {len(steps)} posted, 0 recovered, 0 unchanged" in first.stdout
    assert_one_thread(x_emulator.live_tweets(), thread_texts(issue_202))
    again = await run_newsbot(*args, env=x_env(x_emulator))
    assert again.returncode == 0, again.stderr
    assert f"0 posted, 0 recovered, {len(steps)} unchanged" in again.stdout
    assert len(x_emulator.tweets) == len(steps)


async def test_dry_run_asks_x_nothing(
    tmp_path: Path, x_emulator: XEmulator, issue_202: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_202)
    _, steps = x_plan(issue_202, XSettings())
    args = ("--db", str(db), "publish", "--outlet", "x", "--dry-run")
    run = await run_newsbot(*args, env=x_env(x_emulator))
    assert run.returncode == 0, run.stderr
    for step in steps:
        assert step.key in run.stdout
    assert f"{len(steps)} of {len(steps)} posts to make" in run.stdout
    assert x_emulator.requests == []
    # Without keys too, saying that a real publish would fail.
    bare = await run_newsbot(*args, env=x_env(None))
    assert bare.returncode == 0, bare.stderr
    assert "a real publish would fail" in bare.stdout


async def test_dry_run_without_discord_says_the_publish_would_skip_it(
    tmp_path: Path, x_emulator: XEmulator, issue_202: Issue
) -> None:
    # X set up, Discord not (no token, no channel): the publish skips Discord and posts to X,
    # so the dry run must say that, not fail on Discord having no channel.
    db = await archive_file(tmp_path / "a.db", issue_202)
    dry = await run_newsbot("--db", str(db), "publish", "--dry-run", env=x_env(x_emulator))
    assert dry.returncode == 0, dry.stderr
    words = " ".join(dry.stdout.split())
    assert (
        "Discord is not configured (set NEWSBOT_DISCORD__TOKEN): a real publish would skip" in words
    )
    assert "no channel receives issues" not in dry.stderr
    assert "202/x/post/1" in dry.stdout
    real = await run_newsbot("--db", str(db), "publish", env=x_env(x_emulator))
    assert real.returncode == 0, real.stderr
    assert "Discord is not configured (set NEWSBOT_DISCORD__TOKEN): skipped" in real.stderr
    assert_one_thread(x_emulator.live_tweets(), thread_texts(issue_202))
    # Asked for by name, Discord without a token is what a real publish fails on.
    named = ("--db", str(db), "publish", "--outlet", "discord", "--dry-run")
    by_name = await run_newsbot(*named, env=x_env(x_emulator))
    assert "a real publish would fail" in " ".join(by_name.stdout.split())


async def test_outlet_x_without_keys_fails(tmp_path: Path, issue_202: Issue) -> None:
    db = await archive_file(tmp_path / "a.db", issue_202)
    run = await run_newsbot("--db", str(db), "publish", "--outlet", "x", env=x_env(None))
    assert run.returncode == 1
    assert f"error: {X_MISSING}" in run.stderr and "skipped" not in run.stderr


async def test_all_skips_x_when_it_is_not_configured(
    tmp_path: Path, emulator: Emulator, issue_202: Issue
) -> None:
    assert emulator.seed is not None
    channel = emulator.seed.announcements
    db = await announced_archive(tmp_path / "a.db", issue_202, emulator.seed)
    run = await run_newsbot("--db", str(db), "publish", env=x_env(None, emulator))
    assert run.returncode == 0, run.stderr
    assert_skipped_once(run.stderr, X_MISSING)
    assert f"#202 → channel {channel.id}:" in run.stdout
    assert posted_in(emulator, channel)


async def test_all_goes_on_to_x_when_discord_fails(
    tmp_path: Path, x_emulator: XEmulator, issue_202: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_202)  # no channel subscribed
    env = x_env(x_emulator) | {"NEWSBOT_DISCORD__TOKEN": "not-used"}
    run = await run_newsbot("--db", str(db), "publish", env=env)
    assert run.returncode == 1
    assert "error: Discord: no channel receives issues yet" in run.stderr
    assert_one_thread(x_emulator.live_tweets(), thread_texts(issue_202))
    assert "#202 → X: 6 posted" in run.stdout


async def test_refused_replies_are_told_in_the_alerts_channel(
    tmp_path: Path, emulator: Emulator, x_emulator: XEmulator, issue_202: Issue
) -> None:
    assert emulator.seed is not None
    seed = emulator.seed
    x_emulator.config.refuse_replies = True
    db = await announced_archive(tmp_path / "a.db", issue_202, seed, alerts=True)
    editors, setting = editors_alerts(emulator)
    run = await run_newsbot(
        "--db", str(db), "publish", "--outlet", "x", env=x_env(x_emulator, emulator) | setting
    )
    assert run.returncode == 0, run.stderr
    alerts = [m.content for m in emulator.messages_in(editors)]
    assert len(alerts) == 1 and alerts[0].startswith("X: ")
    assert not emulator.messages_in(seed.general), "the subscribed server's managers hear not"
    assert "quot" in alerts[0], "the editor learns the thread went on as quotes"
    assert not emulator.messages_in(seed.announcements), "--outlet x posts nothing on Discord"
