"""`newsbot preview|publish --outlet bluesky` and `newsbot status`, run as the real CLI."""

from __future__ import annotations

import re
from pathlib import Path

from bot.models import Issue
from bot.publishing.plans.bluesky import plan as bluesky_plan
from bot.sandbox.bluesky import BlueskyEmulator
from bot.sandbox.discord import Emulator
from bot.settings import BlueskySettings
from tests.bluesky.conftest import assert_one_thread, thread_texts
from tests.publishing.cli_harness import newsbot_env
from tests.threads import announced_archive, editors_alerts
from tests.x.conftest import archive_file, run_newsbot

MISSING = "Bluesky is not configured (set bluesky.handle and NEWSBOT_BLUESKY__APP_PASSWORD)"
CREATE = "com.atproto.repo.createRecord"


def env_for(emulator: BlueskyEmulator | None) -> dict[str, str]:
    """The environment of a `newsbot` run against the emulator (none: no Bluesky at all)."""
    env = newsbot_env(None)
    if emulator is not None:
        env.update(emulator.env())
    return env


async def test_preview_shows_each_post_against_300_and_what_was_condensed(
    tmp_path: Path, issue_202: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_202)
    rendered, _ = bluesky_plan(issue_202, BlueskySettings())
    run = await run_newsbot("--db", str(db), "preview", "--outlet", "bluesky", env=env_for(None))
    assert run.returncode == 0, run.stderr
    total = len(rendered.posts)
    titles = re.findall(r"post (\d+)/(\d+) · (\d+)/300", run.stdout)
    assert titles == [(str(n), str(total), str(p.weight)) for n, p in enumerate(rendered.posts, 1)]
    assert "condensed: blurbs shortened to 40 characters (15 items)" in run.stdout


async def test_publish_outlet_bluesky_posts_the_thread_once(
    tmp_path: Path, bluesky: BlueskyEmulator, issue_202: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_202)
    args = ("--db", str(db), "publish", "--outlet", "bluesky")
    first = await run_newsbot(*args, env=env_for(bluesky))
    assert first.returncode == 0, first.stderr
    assert "#202 → Bluesky: 8 posted, 0 recovered, 0 unchanged" in first.stdout
    assert_one_thread(bluesky.posts(), thread_texts(issue_202))
    again = await run_newsbot(*args, env=env_for(bluesky))
    assert again.returncode == 0, again.stderr
    assert "0 posted, 0 recovered, 8 unchanged" in again.stdout
    assert len(bluesky.posts()) == 8
    status = await run_newsbot("--db", str(db), "status", env=env_for(bluesky))
    assert status.returncode == 0, status.stderr
    assert "Bluesky configured" in status.stdout
    assert "• Bluesky — #202: complete (8 sent)" in status.stdout


async def test_a_refused_post_exits_non_zero_with_one_line_and_the_next_publish_ends_it(
    tmp_path: Path, bluesky: BlueskyEmulator, issue_202: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_202)
    args = ("--db", str(db), "publish", "--outlet", "bluesky")

    def refuse_the_fourth(_: object) -> None:
        if len(bluesky.posts()) == 3:
            bluesky.inject(CREATE, 400)

    bluesky.on_post = refuse_the_fourth
    refused = await run_newsbot(*args, env=env_for(bluesky))
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr + refused.stdout
    errors = [line for line in refused.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, refused.stderr
    assert "Bluesky refused to post 202/bluesky/post/4" in errors[0]
    assert "300 graphemes" in errors[0]
    bluesky.on_post = None
    again = await run_newsbot(*args, env=env_for(bluesky))
    assert again.returncode == 0, again.stderr
    assert "#202 → Bluesky: 5 posted, 0 recovered, 3 unchanged" in again.stdout
    assert_one_thread(bluesky.posts(), thread_texts(issue_202))


async def test_outlet_bluesky_without_a_password_fails_and_all_skips_it(
    tmp_path: Path, issue_202: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_202)
    alone = await run_newsbot("--db", str(db), "publish", "--outlet", "bluesky", env=env_for(None))
    assert alone.returncode == 1
    assert alone.stderr.strip() == f"error: {MISSING}"
    every = await run_newsbot("--db", str(db), "publish", env=env_for(None))
    assert f"{MISSING}: skipped" in " ".join(every.stderr.split())


async def test_publish_help_lists_bluesky(tmp_path: Path) -> None:
    for command in ("publish", "preview"):
        run = await run_newsbot(command, "--help", env=env_for(None))
        assert run.returncode == 0 and "bluesky" in run.stdout


async def test_a_refused_post_is_told_in_the_alerts_channel(
    tmp_path: Path, emulator: Emulator, bluesky: BlueskyEmulator, issue_202: Issue
) -> None:
    assert emulator.seed is not None
    seed = emulator.seed
    db = await announced_archive(tmp_path / "a.db", issue_202, seed, alerts=True)
    bluesky.inject(CREATE, 400)
    editors, setting = editors_alerts(emulator)
    env = newsbot_env(emulator) | bluesky.env() | setting
    run = await run_newsbot("--db", str(db), "publish", "--outlet", "bluesky", env=env)
    assert run.returncode == 1
    alerts = [m.content for m in emulator.messages_in(editors)]
    assert len(alerts) == 1 and "on Bluesky" in alerts[0] and "300 graphemes" in alerts[0]
    assert not emulator.messages_in(seed.general), "the subscribed server's managers hear not"
    assert not emulator.messages_in(seed.announcements), "--outlet bluesky posts nothing there"


async def test_a_wrong_app_password_is_one_line_and_never_printed(
    tmp_path: Path, bluesky: BlueskyEmulator, issue_202: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_202)
    wrong = "wxyz-wxyz-wxyz-wxyz"
    env = env_for(bluesky) | {"NEWSBOT_BLUESKY__APP_PASSWORD": wrong, "NEWSBOT_LOG__LEVEL": "DEBUG"}
    run = await run_newsbot("--db", str(db), "publish", "--outlet", "bluesky", env=env)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "Bluesky refused the login of newsbot-test.bsky.social" in run.stderr
    assert wrong not in run.stdout + run.stderr
    assert bluesky.posts() == []


async def test_dry_run_asks_bluesky_nothing(
    tmp_path: Path, bluesky: BlueskyEmulator, issue_202: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_202)
    _, steps = bluesky_plan(issue_202, BlueskySettings())
    args = ("--db", str(db), "publish", "--outlet", "bluesky", "--dry-run")
    run = await run_newsbot(*args, env=env_for(bluesky))
    assert run.returncode == 0, run.stderr
    for step in steps:
        assert step.key in run.stdout
    assert f"{len(steps)} of {len(steps)} posts to make" in run.stdout
    assert bluesky.requests == []
    bare = await run_newsbot(*args, env=env_for(None))
    assert bare.returncode == 0, bare.stderr
    assert "a real publish would fail" in bare.stdout
