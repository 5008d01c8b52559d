"""The feed importer on entries a feed repeats and entries that claim one number: each is
imported once, re-imported in place, and told apart in notices."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.importers import (
    FeedImport,
    feed_issues,
    read_feed_file,
    save_issues,
    scan_folder,
)

SITE = "https://n.example.com"


def item(
    title: str,
    *,
    link: str | None = None,
    guid: str | None = None,
    date: str | None = None,
    text: str = "x",
) -> str:
    """One RSS item; a guid is not a permalink, so it never stands in for the link."""
    parts = [f"<title>{title}</title>", f"<description>{text}</description>"]
    if link is not None:
        parts.append(f"<link>{link}</link>")
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{guid}</guid>')
    if date is not None:
        parts.append(f"<pubDate>{date}</pubDate>")
    return f"<item>{''.join(parts)}</item>"


def write_feed(folder: Path, *items: str) -> Path:
    feed = folder / "feed.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<link>{SITE}/</link><description>d</description>{''.join(items)}</channel></rss>",
        encoding="utf-8",
    )
    return feed


def import_into(feed: Path, out: Path) -> FeedImport:
    """Import the feed into `out` as `newsbot import feed` does: read, number, write."""
    result = feed_issues(read_feed_file(feed), scan_folder(out))
    save_issues([done.issue for done in result.imported], scan_folder(out))
    return result


def numbers(result: FeedImport) -> list[tuple[int, str]]:
    return [(done.issue.number, done.issue.title) for done in result.imported]


def files(out: Path) -> list[str]:
    return sorted(path.name for path in out.glob("*.md"))


def told(result: FeedImport) -> list[str]:
    found = [str(notice) for notice in result.notices]
    for done in result.imported:
        found += [str(notice) for notice in done.notices]
    return found


MAIN = "Issue #10: Main"


@pytest.mark.parametrize(
    ("first", "repeat", "identity"),
    [
        (
            item(MAIN, link=f"{SITE}/p/10", guid="a10"),
            item(MAIN, link=f"{SITE}/p/10", guid="a10"),
            "guid a10",
        ),
        (item(MAIN, link=f"{SITE}/p/10"), item(MAIN, link=f"{SITE}/p/10"), f"link {SITE}/p/10"),
        (
            item(MAIN, date="Mon, 03 Feb 2025 10:00:00 +0000"),
            item(MAIN, date="Mon, 03 Feb 2025 18:00:00 +0000"),
            "no link; title 'Issue #10: Main', 2025-02-03",
        ),
        (
            item(MAIN, link=f"{SITE}/p/10", guid="a10"),
            item(MAIN, link=f"{SITE}/p/10"),
            f"link {SITE}/p/10",
        ),
    ],
    ids=["same-guid", "same-link-no-guid", "same-title-and-date-no-link", "one-guid"],
)
def test_an_entry_the_feed_repeats_is_imported_once_and_again_in_place(
    tmp_path: Path, first: str, repeat: str, identity: str
) -> None:
    feed = write_feed(tmp_path, first, repeat)
    out = tmp_path / "out"
    result = import_into(feed, out)
    assert numbers(result) == [(10, MAIN)]
    assert f"{feed}: entry 2 repeats entry 1 ({identity}): skipped" in told(result)
    assert not any("is taken" in notice for notice in told(result))
    assert files(out) == ["10.md"]
    before = (out / "10.md").read_bytes()
    for _ in range(2):
        assert numbers(import_into(feed, out)) == [(10, MAIN)]
    assert files(out) == ["10.md"]
    assert (out / "10.md").read_bytes() == before


def test_the_first_of_two_differing_copies_is_imported_and_the_difference_told(
    tmp_path: Path,
) -> None:
    link = f"{SITE}/p/10"
    feed = write_feed(
        tmp_path,
        item(MAIN, link=link, guid="a10", text="newer"),
        item(f"{MAIN} (draft)", link=link, guid="a10", text="older"),
    )
    result = import_into(feed, tmp_path / "out")
    (done,) = result.imported
    assert done.issue.title == MAIN
    assert "newer" in done.issue.sections[0].items[0].blurb
    assert (
        f"{feed}: entry 2 repeats entry 1 (guid a10) with other content: skipped; "
        "entry 1 is imported"
    ) in told(result)


def test_a_repeat_is_skipped_before_limit_counts_entries(tmp_path: Path) -> None:
    feed = write_feed(
        tmp_path,
        item("Issue #11: Next", link=f"{SITE}/p/11", date="Mon, 10 Feb 2025 10:00:00 +0000"),
        item("Issue #11: Next", link=f"{SITE}/p/11", date="Mon, 10 Feb 2025 10:00:00 +0000"),
        item(MAIN, link=f"{SITE}/p/10", date="Mon, 03 Feb 2025 10:00:00 +0000"),
    )
    result = feed_issues(read_feed_file(feed), scan_folder(tmp_path / "out"), limit=2)
    assert numbers(result) == [(10, MAIN), (11, "Issue #11: Next")]


def test_entries_that_share_a_link_but_not_a_guid_are_both_kept_in_place(
    tmp_path: Path,
) -> None:
    # The publisher says these are two entries; re-imports find each its own file.
    feed = write_feed(
        tmp_path,
        item("Weekly: spring", link=f"{SITE}/", guid="g1", date="Mon, 03 Feb 2025 10:00:00 +0000"),
        item("Weekly: summer", link=f"{SITE}/", guid="g2", date="Mon, 10 Feb 2025 10:00:00 +0000"),
    )
    out = tmp_path / "out"
    first = import_into(feed, out)
    assert numbers(first) == [(1, "Weekly: spring"), (2, "Weekly: summer")]
    for _ in range(2):
        assert numbers(import_into(feed, out)) == numbers(first)
    assert files(out) == ["1.md", "2.md"]


def test_an_atom_entry_is_named_by_its_id(tmp_path: Path) -> None:
    entry = (
        f'<entry><id>urn:n:10</id><title>{MAIN}</title><link href="{SITE}/p/10"/>'
        "<updated>2025-02-03T10:00:00Z</updated><summary>x</summary></entry>"
    )
    feed = tmp_path / "feed.atom"
    feed.write_text(
        f'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>{entry}{entry}</feed>',
        encoding="utf-8",
    )
    result = feed_issues(read_feed_file(feed), scan_folder(tmp_path / "out"))
    assert numbers(result) == [(10, MAIN)]
    assert f"{feed}: entry 2 repeats entry 1 (id urn:n:10): skipped" in told(result)


def test_an_entry_is_numbered_by_its_place_among_all_the_feed_s_entries(tmp_path: Path) -> None:
    # The first <item> is empty, and not imported; the repeat is still the feed's third.
    link = f"{SITE}/p/10"
    feed = write_feed(tmp_path, "<item></item>", item(MAIN, link=link), item(MAIN, link=link))
    result = feed_issues(read_feed_file(feed), scan_folder(tmp_path / "out"))
    assert numbers(result) == [(10, MAIN)]
    assert f"{feed}: entry 3 repeats entry 2 (link {link}): skipped" in told(result)


def test_a_renumbered_entry_is_told_with_both_entries_and_its_new_number(
    tmp_path: Path,
) -> None:
    feed = write_feed(
        tmp_path,
        item(MAIN, link=f"{SITE}/p/10", guid="a10", date="Mon, 03 Feb 2025 10:00:00 +0000"),
        item("Issue #12: Later", link=f"{SITE}/p/12", date="Mon, 17 Feb 2025 10:00:00 +0000"),
        item(MAIN, link=f"{SITE}/p/main", guid="b7", date="Mon, 10 Feb 2025 10:00:00 +0000"),
    )
    out = tmp_path / "out"
    result = import_into(feed, out)
    assert numbers(result) == [(10, MAIN), (13, MAIN), (12, "Issue #12: Later")]
    renumbered = f"{feed} [{MAIN}]: #10 is taken by entry 1 (guid a10): entry 3 (guid b7) is #13"
    assert renumbered in told(result)
    # Re-imported, the entry keeps the number it got, and the notice says so again.
    again = import_into(feed, out)
    assert numbers(again) == numbers(result)
    assert renumbered in told(again)
    assert files(out) == ["10.md", "12.md", "13.md"]


def test_a_renumbered_entry_without_a_link_is_named_by_title_and_date(tmp_path: Path) -> None:
    feed = write_feed(
        tmp_path,
        item(MAIN, date="Mon, 03 Feb 2025 10:00:00 +0000"),
        item(MAIN),
    )
    result = feed_issues(read_feed_file(feed), scan_folder(tmp_path / "out"))
    assert numbers(result) == [(10, MAIN), (11, MAIN)]
    assert (
        f"{feed} [{MAIN}]: #10 is taken by entry 1 (no link; title 'Issue #10: Main', "
        "2025-02-03): entry 2 (no link; title 'Issue #10: Main', undated) is #11"
    ) in told(result)


def test_entries_that_share_a_guid_but_not_a_link_are_both_kept_and_told(
    tmp_path: Path,
) -> None:
    # A guid names one entry; two entries holding it under two links were imported as two
    # issues without a word, though the feed may list one issue twice (moved to a new link).
    feed = write_feed(
        tmp_path,
        item("Issue #10: Main", link=f"{SITE}/p/10", guid="a10"),
        item("Issue #10: Main", link=f"{SITE}/p/main", guid="a10"),
    )
    out = tmp_path / "out"
    result = import_into(feed, out)
    assert numbers(result) == [(10, MAIN), (11, MAIN)]
    assert (
        f"{feed}: entry 2 shares its guid a10 with entry 1, but not its link: imported as an "
        "issue of its own; if the two are one issue, delete one of their files"
    ) in told(result)
    assert files(out) == ["10.md", "11.md"]
