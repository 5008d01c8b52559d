"""`newsbot preview` and `newsbot publish --dry-run`, run as the real command line."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from bot.cli._console import CONFIG_EXIT
from bot.issuefiles import load_issue
from bot.models import Subscription
from bot.store import Archive
from tests.conftest import ISSUES
from tests.newsbot_process import newsbot_completed
from tests.publishing.cli_harness import newsbot_env


async def _prepare(db: Path) -> None:
    async with await Archive.open(db) as archive:
        await archive.issues.ingest(load_issue(ISSUES / "202.md"))
        await archive.subscriptions.add(
            Subscription(guild_id=1, channel_id=42, kind="announcement")
        )


def test_preview_and_dry_run(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    asyncio.run(_prepare(db))
    preview = newsbot_completed(
        "--db", str(db), "preview", "--kind", "forum", "--role", "7", env=newsbot_env(None)
    )
    assert preview.returncode == 0, preview.stderr
    assert "6 API calls: 6 messages, 6 threads or posts" in preview.stdout
    assert "forum post “#202 · Industry” tags ['Industry']" in preview.stdout
    assert "embed text" in preview.stdout and "/6000" in preview.stdout
    assert "<@&7> New issue: **#202**" in preview.stdout
    dry = newsbot_completed("--db", str(db), "publish", "--dry-run", env=newsbot_env(None))
    assert dry.returncode == 0, dry.stderr
    assert "202/discord/42/digest/crosspost" in dry.stdout.replace("\n", "")
    assert dry.stdout.count("posted") == 12
    no_token = newsbot_completed("--db", str(db), "publish", env=newsbot_env(None))
    assert no_token.returncode == 1 and "NEWSBOT_DISCORD__TOKEN" in no_token.stderr
    nothing = "nothing was published: no outlet is configured (Discord, X, Mastodon, Bluesky)"
    assert nothing in no_token.stderr
    discord_only = newsbot_completed(
        "--db", str(db), "publish", "--outlet", "discord", env=newsbot_env(None)
    )
    assert discord_only.returncode == CONFIG_EXIT, "a setting to give, not a retry"
    assert "error: no Discord token." in discord_only.stderr
    assert "skipped" not in discord_only.stderr


def test_the_command_line_starts_without_the_platform_clients() -> None:
    # Previews, dry runs and status plan from the pure plans; only a publish loads a client.
    probe = "import sys, bot.cli; print(sorted({m.split('.')[0] for m in sys.modules}))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert "'tweepy'" not in loaded and "'discord'" not in loaded
