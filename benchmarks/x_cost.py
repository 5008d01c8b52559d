"""Posts, estimated cost and fill of the X thread for #202 and a synthetic 40-item issue.

Run: `python benchmarks/x_cost.py` (`--smoke`: #202 with the default settings only). Target: #202
in at most 8 posts and $0.25 with the default `x.links = "issue"`, the posts filled to 80% of 280
weighted characters on average. Exits 1 if a target is missed.
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
from bot.render.x import LinkMode, XThread, thread
from bot.render.x_text import POST_MAX
from bot.settings import XSettings

ROOT = Path(__file__).resolve().parents[1]
POSTS_TARGET, COST_TARGET, FILL_TARGET = 8, 0.25, 0.80


def show(name: str, links: LinkMode, max_posts: int, result: XThread, took: float) -> None:
    """Print one thread's posts, cost and fill, and what was condensed."""
    settings = XSettings()
    fills = " ".join(f"{p.weight * 100 // POST_MAX}%" for p in result.posts)
    cost = result.cost(settings.post_price, settings.url_post_price)
    print(
        f"{name:20} links={links.value:5} max_posts={max_posts:2}: "
        f"{len(result.posts):2} posts, ${cost:.3f}, fill {result.fill:.0%} [{fills}]"
        f" ({took:.0f} ms)"
    )
    show_notes(result.notes)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the threads and the targets; 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--smoke", action="store_true", help="#202 with the defaults only")
    args = parser.parse_args(argv)
    settings = XSettings()
    default_links = LinkMode(settings.links)
    issue_202 = load_issue(ROOT / "issues" / "202.md")
    issues = (
        {"#202": issue_202}
        if args.smoke
        else {"#202": issue_202, "synthetic 40 items": synthetic()}
    )
    for name, issue in issues.items():
        for links in [default_links] if args.smoke else list(LinkMode):
            for max_posts in [settings.max_posts] if args.smoke else [8, 25]:
                start = time.perf_counter()
                result = thread(issue, links=links, max_posts=max_posts)
                show(name, links, max_posts, result, (time.perf_counter() - start) * 1000)

    result = thread(issue_202, links=default_links, max_posts=settings.max_posts)
    cost = result.cost(settings.post_price, settings.url_post_price)
    checks = {
        f"posts ≤ {POSTS_TARGET}": (f"{len(result.posts)}", len(result.posts) <= POSTS_TARGET),
        f"cost ≤ ${COST_TARGET:.2f}": (f"${cost:.3f}", cost <= COST_TARGET),
        f"average fill ≥ {FILL_TARGET:.0%}": (f"{result.fill:.0%}", result.fill >= FILL_TARGET),
    }
    print(f"targets, #202 with links={default_links.value} and max_posts={settings.max_posts}")
    return report(checks)


if __name__ == "__main__":
    sys.exit(main())
