"""Posts, fill and what was condensed of the Mastodon thread for #202 and a synthetic issue.

Run: `python benchmarks/mastodon_thread.py` (`--smoke`: #202 with the default settings on a
default instance only). Each status's length is checked with the Mastodon emulator's port of
the server's own count. Target: #202 in at most 8 statuses on a default instance (500
characters, a URL 23) with the default `mastodon.links = "items"`, every status within the
limit as the server counts it, filled to 80% of it on average. Exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

# benchmarks/ is on sys.path as the script's folder.
from threads import report, show_notes, synthetic

from bot.issuefiles import load_issue
from bot.render.mastodon import thread
from bot.render.social import LinkMode, Thread
from bot.sandbox.mastodon import status_length
from bot.settings import MastodonSettings

ROOT = Path(__file__).resolve().parents[1]
POSTS_TARGET, FILL_TARGET = 8, 0.80
INSTANCES = ((500, 23), (1000, 23), (5000, 23))
"""Instances' (max_characters, characters_reserved_per_url): Mastodon's default and two larger
limits some servers set."""


def show(name: str, limit: int, links: LinkMode, max_posts: int, result: Thread, ms: float) -> None:
    """Print one thread's statuses and fill, and what was condensed."""
    fills = " ".join(f"{p.weight * 100 // limit}%" for p in result.posts)
    print(
        f"{name:20} limit={limit:4} links={links.value:5} max_posts={max_posts:2}: "
        f"{len(result.posts):2} statuses, fill {result.fill:.0%} [{fills}] ({ms:.0f} ms)"
    )
    show_notes(result.notes)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the threads and the targets; 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--smoke", action="store_true", help="#202, defaults, default instance")
    args = parser.parse_args(argv)
    settings = MastodonSettings()
    default_links = LinkMode(settings.links)
    issue_202 = load_issue(ROOT / "issues" / "202.md")
    issues = {"#202": issue_202} if args.smoke else {"#202": issue_202, "synthetic": synthetic()}
    over = 0
    for name, issue in issues.items():
        for limit, per_url in INSTANCES[:1] if args.smoke else INSTANCES:
            for links in [default_links] if args.smoke else list(LinkMode):
                for max_posts in [settings.max_posts] if args.smoke else [8, 25]:
                    start = time.perf_counter()
                    result = thread(
                        issue,
                        max_characters=limit,
                        per_url=per_url,
                        links=links,
                        max_posts=max_posts,
                    )
                    ms = (time.perf_counter() - start) * 1000
                    show(name, limit, links, max_posts, result, ms)
                    over += sum(status_length(p.text, per_url) > limit for p in result.posts)

    result = thread(issue_202, links=default_links, max_posts=settings.max_posts)
    checks = {
        f"statuses ≤ {POSTS_TARGET}": (f"{len(result.posts)}", len(result.posts) <= POSTS_TARGET),
        "statuses over the limit as the server counts": (f"{over}", over == 0),
        f"average fill ≥ {FILL_TARGET:.0%}": (f"{result.fill:.0%}", result.fill >= FILL_TARGET),
    }
    print(f"targets, #202 with links={default_links.value} and max_posts={settings.max_posts}")
    print(f"  condensed: {'; '.join(result.notes) or 'nothing'}")
    return report(checks)


if __name__ == "__main__":
    sys.exit(main())
