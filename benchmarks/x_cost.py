"""Posts, estimated cost and fill of the X thread for #202 and a synthetic 40-item issue.

Run: `python benchmarks/x_cost.py`. Target: #202 in at most 8 posts and $0.25 with the
default `x.links = "issue"`, the posts filled to 80% of 280 weighted characters on average.
"""

from __future__ import annotations

import time
from pathlib import Path

from bot.issuefiles import load_issue
from bot.models import Issue, Item, Section
from bot.render.x import POST_MAX, LinkMode, thread

ROOT = Path(__file__).resolve().parents[1]
POST_PRICE, URL_POST_PRICE = 0.015, 0.20


def synthetic() -> Issue:
    """40 linked items in 5 sections, blurbs of one or two sentences."""
    sections = tuple(
        Section.model_validate(
            {
                "name": f"Section {s}",
                "items": [
                    Item(
                        title=f"Item {s}.{n}: a study of sparse attention at scale",
                        link=f"https://news.example.com/{s}/{n}",
                        blurb="Researchers show a simple change that halves training cost. "
                        * (1 + n % 2),
                    )
                    for n in range(8)
                ],
            }
        )
        for s in range(5)
    )
    return Issue(
        number=999,
        title="Synthetic Weekly: Issue #999",
        link="https://news.example.com/issues/999",
        intro="Forty items this week.",
        sections=sections,
    )


def main() -> None:
    issues = {"#202": load_issue(ROOT / "issues" / "202.md"), "synthetic 40 items": synthetic()}
    for name, issue in issues.items():
        for links in LinkMode:
            for max_posts in (8, 25):
                start = time.perf_counter()
                result = thread(issue, links=links, max_posts=max_posts)
                took = (time.perf_counter() - start) * 1000
                fills = " ".join(f"{p.weight * 100 // POST_MAX}%" for p in result.posts)
                print(
                    f"{name:20} links={links.value:5} max_posts={max_posts:2}: "
                    f"{len(result.posts):2} posts, ${result.cost(POST_PRICE, URL_POST_PRICE):.3f},"
                    f" fill {result.fill:.0%} [{fills}] ({took:.0f} ms)"
                )
                for note in result.notes:
                    print(f"{'':22}- {note}")


if __name__ == "__main__":
    main()
