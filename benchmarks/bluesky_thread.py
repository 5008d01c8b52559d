"""Posts, fill and what was condensed of #202's Bluesky thread, published to the emulator.

Run: `python benchmarks/bluesky_thread.py` (`--smoke`: #202 with the default settings only).
Targets, #202 with the default `bluesky.max_posts = 8`: at most 8 posts, filled to 75% of 300
graphemes on average, every post within 300 graphemes and 3000 bytes as sent, and publishing it
through atproto's client to the emulator takes one login and one call a post, with nothing
refused. Exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

# benchmarks/ is on sys.path as the script's folder.
from threads import (
    show_notes,
    show_targets,
    synthetic,
    verdict,
)

from bot.issuefiles import load_issue
from bot.models import Issue
from bot.publishing.engine import Engine
from bot.publishing.outlets.bluesky import bluesky_outlet
from bot.render.bluesky import MAX_BYTES, POST_MAX, Thread, posts, thread
from bot.render.packing import graphemes
from bot.sandbox._server import exit_if_refused
from bot.sandbox.bluesky import BlueskyEmulator
from bot.settings import BlueskySettings
from bot.store import Archive

ROOT = Path(__file__).resolve().parents[1]
POSTS_TARGET, FILL_TARGET = 8, 0.75


def show(name: str, max_posts: int, result: Thread, took: float) -> None:
    """Print one thread's posts and fill, and what was condensed."""
    fills = " ".join(f"{p.weight * 100 // POST_MAX}%" for p in result.posts)
    print(
        f"{name:20} max_posts={max_posts:2}: {len(result.posts):2} posts, "
        f"fill {result.fill:.0%} [{fills}] ({took:.0f} ms)"
    )
    show_notes(result.notes)


async def publish(issue: Issue) -> tuple[int, int, int]:
    """Publish the issue to the emulator: (logins, calls to create a post, posts made)."""
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-") as scratch:
        async with (
            BlueskyEmulator() as emulator,
            await Archive.open(Path(scratch) / "archive.db") as archive,
        ):
            await archive.issues.ingest(issue)
            settings = BlueskySettings.model_validate(
                {
                    "service": emulator.service,
                    "handle": emulator.config.handle,
                    "app_password": emulator.config.app_password,
                }
            )
            async with bluesky_outlet(settings) as outlet:
                await Engine(archive).publish(issue, outlet)
            creates = [r for r in emulator.requests if r.nsid == "com.atproto.repo.createRecord"]
            return len(emulator.logins), len(creates), len(emulator.posts())


def main(argv: Sequence[str] | None = None) -> int:
    """Print the threads and the targets; 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--smoke", action="store_true", help="#202 with the defaults only")
    args = parser.parse_args(argv)
    settings = BlueskySettings()
    issue_202 = load_issue(ROOT / "issues" / "202.md")
    issues = {"#202": issue_202} if args.smoke else {"#202": issue_202, "synthetic": synthetic()}
    for name, issue in issues.items():
        for max_posts in [settings.max_posts] if args.smoke else [8, 25]:
            start = time.perf_counter()
            result = thread(issue, max_posts=max_posts)
            show(name, max_posts, result, (time.perf_counter() - start) * 1000)

    result = thread(issue_202, max_posts=settings.max_posts)
    sent = [s for _, s in posts(result)]
    longest = max(len(graphemes(s.text)) for s in sent)
    largest = max(len(s.text.encode()) for s in sent)
    logins, creates, made = asyncio.run(publish(issue_202))
    checks = {
        f"posts ≤ {POSTS_TARGET}": (f"{len(result.posts)}", len(result.posts) <= POSTS_TARGET),
        f"average fill ≥ {FILL_TARGET:.0%}": (f"{result.fill:.0%}", result.fill >= FILL_TARGET),
        f"longest post ≤ {POST_MAX} graphemes": (f"{longest}", longest <= POST_MAX),
        f"largest post ≤ {MAX_BYTES} bytes": (f"{largest}", largest <= MAX_BYTES),
        "published with one login, one call a post": (
            f"{logins} login, {creates} calls, {made} posts",
            logins == 1 and creates == made == len(result.posts),
        ),
    }
    print(f"targets, #202 with max_posts={settings.max_posts}")
    show_targets(checks)
    exit_if_refused()
    return verdict(checks)


if __name__ == "__main__":
    sys.exit(main())
