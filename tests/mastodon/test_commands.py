"""`newsbot preview --outlet mastodon` and `newsbot publish --outlet mastodon|all`, as the real
CLI against the emulators."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.models import Issue
from bot.publishing.plans.mastodon import Account
from bot.sandbox.discord import Emulator
from bot.sandbox.mastodon import MastodonEmulator, MastodonEmulatorConfig
from bot.settings import MastodonSettings
from tests.mastodon.conftest import assert_one_thread, mastodon_env, thread_texts
from tests.threads import announced_archive, assert_skipped_once, editors_alerts
from tests.x.conftest import archive_file, run_newsbot

MISSING = "Mastodon is not configured (set NEWSBOT_MASTODON__ACCESS_TOKEN)"


def sizes(stdout: str) -> list[tuple[str, str, str, str]]:
    return re.findall(r"post (\d+)/(\d+) · (\d+)/(\d+)", stdout)


async def test_preview_shows_each_status_against_the_instances_limit(
    tmp_path: Path, issue_202: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_202)
    config = MastodonEmulatorConfig(max_characters=400)
    async with MastodonEmulator(config) as emulator:
        run = await run_newsbot(
            "--db", str(db), "preview", "--outlet", "mastodon", env=mastodon_env(emulator)
        )
        # Without a token: the instance's limits are public.
        bare_env = mastodon_env(None) | {"NEWSBOT_MASTODON__API_BASE": emulator.api_base}
        bare = await run_newsbot("--db", str(db), "preview", "--outlet", "mastodon", env=bare_env)
        assert emulator.statuses == []
    assert run.returncode == 0, run.stderr
    texts = thread_texts(issue_202, MastodonSettings(), Account(max_characters=400))
    from bot.sandbox.mastodon import status_length

    total = str(len(texts))
    expected = [(str(n), total, str(status_length(t)), "400") for n, t in enumerate(texts, start=1)]
    assert sizes(run.stdout) == expected
    assert "condensed: blurbs shortened" in run.stdout
    assert bare.returncode == 0, bare.stderr
    assert sizes(bare.stdout) == expected


async def test_preview_out_of_reach_uses_mastodons_defaults(
    tmp_path: Path, issue_202: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_202)
    env = mastodon_env(None) | {"NEWSBOT_MASTODON__API_BASE": "http://127.0.0.1:9"}
    run = await run_newsbot("--db", str(db), "preview", "--outlet", "mastodon", env=env)
    assert run.returncode == 0, run.stderr
    assert all(limit == "500" for *_, limit in sizes(run.stdout))
    assert len(sizes(run.stdout)) == len(thread_texts(issue_202))


async def test_preview_without_an_instance_named_asks_no_one(
    tmp_path: Path, issue_202: Issue
) -> None:
    # No Mastodon settings at all: an editor previewing every outlet has chosen no instance, so
    # none is asked (mastodon.social, the default, is off limits here: it cannot be resolved).
    db = await archive_file(tmp_path / "a.db", issue_202)
    for args in (
        ("preview", "--outlet", "mastodon"),
        ("publish", "--outlet", "mastodon", "--dry-run"),
    ):
        run = await run_newsbot("--db", str(db), *args, env=mastodon_env(None))
        assert run.returncode in (0, 1), run.stderr
        assert "default limits" not in run.stderr and "cannot reach" not in run.stderr, run.stderr
        assert "WARNING" not in run.stderr, run.stderr
        assert "/500" in run.stdout, "Mastodon's default limit"


async def test_publish_outlet_mastodon_posts_the_thread_once(
    tmp_path: Path, mastodon_emulator: MastodonEmulator, issue_202: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_202)
    texts = thread_texts(issue_202)
    args = ("--db", str(db), "publish", "--outlet", "mastodon")
    first = await run_newsbot(*args, env=mastodon_env(mastodon_emulator))
    assert first.returncode == 0, first.stderr
    assert f"#202 → Mastodon: {len(texts)} posted, 0 recovered, 0 unchanged" in first.stdout
    assert_one_thread(mastodon_emulator.live_statuses(), texts)
    again = await run_newsbot(*args, env=mastodon_env(mastodon_emulator))
    assert again.returncode == 0, again.stderr
    assert f"0 posted, 0 recovered, {len(texts)} unchanged" in again.stdout
    assert len(mastodon_emulator.statuses) == len(texts)
    # The token never shows.
    token = mastodon_emulator.config.access_token
    assert token not in first.stdout + first.stderr + again.stdout + again.stderr


async def test_dry_run_asks_mastodon_for_its_limits_only(
    tmp_path: Path, mastodon_emulator: MastodonEmulator, issue_202: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_202)
    texts = thread_texts(issue_202)
    args = ("--db", str(db), "publish", "--outlet", "mastodon", "--dry-run")
    run = await run_newsbot(*args, env=mastodon_env(mastodon_emulator))
    assert run.returncode == 0, run.stderr
    assert f"{len(texts)} of {len(texts)} posts to make" in run.stdout
    assert "202/mastodon/post/1" in run.stdout
    assert {r.path for r in mastodon_emulator.requests} <= {"/api/v2/instance"}


async def test_outlet_mastodon_without_a_token_fails_and_all_skips_it(
    tmp_path: Path, emulator: Emulator, issue_202: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_202)
    run = await run_newsbot(
        "--db", str(db), "publish", "--outlet", "mastodon", env=mastodon_env(None)
    )
    assert run.returncode == 1
    assert f"error: {MISSING}" in run.stderr and "Traceback" not in run.stderr
    assert emulator.seed is not None
    db2 = await announced_archive(tmp_path / "b.db", issue_202, emulator.seed)
    every = await run_newsbot("--db", str(db2), "publish", env=mastodon_env(None, emulator))
    assert every.returncode == 0, every.stderr
    assert_skipped_once(every.stderr, MISSING)


@pytest.mark.violations_expected("the instance refuses a status over its limit")
async def test_a_refused_status_exits_non_zero_in_one_line_and_the_next_publish_finishes(
    tmp_path: Path, emulator: Emulator, issue_202: Issue
) -> None:
    assert emulator.seed is not None
    seed = emulator.seed
    db = await announced_archive(tmp_path / "a.db", issue_202, seed, alerts=True)
    texts = thread_texts(issue_202)
    args = ("--db", str(db), "publish", "--outlet", "mastodon")
    async with MastodonEmulator() as mastodon:
        editors, setting = editors_alerts(emulator)
        env = mastodon_env(mastodon, emulator) | setting

        def lower(_: object) -> None:
            if len(mastodon.statuses) == 3:
                mastodon.config.max_characters = 50

        mastodon.on_post = lower
        refused = await run_newsbot(*args, env=env)
        assert refused.returncode == 1
        errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "Traceback" not in refused.stderr
        assert "Validation failed: Text character limit of 50 exceeded" in errors[0]
        assert len(mastodon.live_statuses()) == 3
        alerts = [m.content for m in emulator.messages_in(editors)]
        assert len(alerts) == 1 and "issue #202 on Mastodon" in alerts[0]
        assert "Text character limit of 50 exceeded" in alerts[0]
        assert not emulator.messages_in(seed.general), "the subscribed server hears not of it"
        mastodon.config.max_characters = 500
        mastodon.on_post = None
        again = await run_newsbot(*args, env=env)
        assert again.returncode == 0, again.stderr
        assert_one_thread(mastodon.live_statuses(), texts)


async def test_status_tells_how_mastodon_stands(
    tmp_path: Path, mastodon_emulator: MastodonEmulator, issue_202: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_202)
    env = mastodon_env(mastodon_emulator)
    mastodon_emulator.inject("POST", "/api/v1/statuses", 429, reset_in=600)
    deferred = await run_newsbot("--db", str(db), "publish", "--outlet", "mastodon", env=env)
    assert deferred.returncode == 1
    # A rate limit too long to wait is named as such: Mastodon has no daily cap.
    said = " ".join((deferred.stdout + deferred.stderr).split())
    assert "left for the next publish" in said and "(Mastodon's rate limit)" in said, said
    assert "the rest waits for Mastodon's rate limit" in said and "daily cap" not in said, said
    waiting = await run_newsbot("--db", str(db), "status", env=env)
    assert waiting.returncode == 0, waiting.stderr
    assert "Mastodon configured" in waiting.stdout
    assert "#202 on Mastodon:" in waiting.stdout
    done = await run_newsbot("--db", str(db), "publish", "--outlet", "mastodon", env=env)
    assert done.returncode == 0, done.stderr
    status = await run_newsbot("--db", str(db), "status", "--json", env=env)
    assert json.loads(status.stdout)["outlets"]["mastodon"] == {"configured": True}


async def test_an_instance_out_of_reach_fails_the_publish_in_one_line(
    tmp_path: Path, issue_202: Issue
) -> None:
    db = await archive_file(tmp_path / "a.db", issue_202)
    env = mastodon_env(None) | {
        "NEWSBOT_MASTODON__API_BASE": "http://127.0.0.1:9",
        "NEWSBOT_MASTODON__ACCESS_TOKEN": "token",
    }
    run = await run_newsbot("--db", str(db), "publish", "--outlet", "mastodon", env=env)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "could not read the instance's limits" in errors[0], run.stderr
