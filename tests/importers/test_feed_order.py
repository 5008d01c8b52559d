"""Issue numbers follow the order the newsletter published its issues in, as the feed lists
them, entries without a date included."""

from __future__ import annotations

import html
from pathlib import Path

from bot.issuefiles import load_issue
from tests.importers.conftest import Run

SITE = "https://u.example.com"


def item(title: str, slug: str, date: str | None) -> str:
    published = f"<pubDate>{date}</pubDate>" if date else ""
    body = html.escape(f'<h2>News</h2><p><a href="{SITE}/x/{slug}">{title} link</a> x</p>')
    return (
        f"<item><title>{title}</title><link>{SITE}/p/{slug}</link>{published}"
        f"<description>{body}</description></item>"
    )


def write_feed(folder: Path, *items: str) -> Path:
    feed = folder / "feed.xml"
    feed.write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>U</title><link>{SITE}/</link>'
        f"<description>d</description>{''.join(items)}</channel></rss>",
        encoding="utf-8",
    )
    return feed


def titles_by_number(out: Path) -> list[str]:
    paths = sorted(out.glob("*.md"), key=lambda path: int(path.stem))
    return [load_issue(path).title for path in paths]


def test_an_undated_entry_is_numbered_where_a_newest_first_feed_lists_it(
    newsbot: Run, tmp_path: Path
) -> None:
    # Before, undated entries were numbered after every dated one: `Gamma`, the oldest, was
    # #4, after `Alpha`, the newest.
    feed = write_feed(
        tmp_path,
        item("Alpha", "alpha", "Mon, 10 Mar 2025 09:00:00 +0000"),
        item("Beta", "beta", None),
        item("Gamma", "gamma", "Mon, 24 Feb 2025 09:00:00 +0000"),
        item("Delta", "delta", None),
    )
    out = tmp_path / "issues"
    result = newsbot("import", "feed", str(feed), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert titles_by_number(out) == ["Delta", "Gamma", "Beta", "Alpha"]


def test_entries_of_one_day_follow_the_feeds_order(newsbot: Run, tmp_path: Path) -> None:
    # Dated by day only, two issues of one day were numbered newest first.
    day = "Mon, 03 Mar 2025 00:00:00 +0000"
    feed = write_feed(
        tmp_path,
        item("Fourth", "fourth", day),
        item("Third", "third", day),
        item("Second", "second", "Mon, 24 Feb 2025 00:00:00 +0000"),
        item("First", "first", "Mon, 17 Feb 2025 00:00:00 +0000"),
    )
    out = tmp_path / "issues"
    result = newsbot("import", "feed", str(feed), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert titles_by_number(out) == ["First", "Second", "Third", "Fourth"]


def test_a_feed_whose_dates_are_out_of_order_is_sorted_by_them(
    newsbot: Run, tmp_path: Path
) -> None:
    feed = write_feed(
        tmp_path,
        item("Middle", "middle", "Mon, 03 Mar 2025 00:00:00 +0000"),
        item("Newest", "newest", "Mon, 10 Mar 2025 00:00:00 +0000"),
        item("Oldest", "oldest", "Mon, 24 Feb 2025 00:00:00 +0000"),
        item("Undated", "undated", None),
    )
    out = tmp_path / "issues"
    result = newsbot("import", "feed", str(feed), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert titles_by_number(out) == ["Oldest", "Middle", "Newest", "Undated"]
