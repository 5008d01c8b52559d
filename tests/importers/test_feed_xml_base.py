"""Where an Atom feed's links lead: relative links in its HTML resolve against the `xml:base`
in force there, as Atom (RFC 4287, section 2) and XML Base say, not against the entry's own
address; and an entry's id, a name, is not its link."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.issuefiles import load_issue
from bot.models import Issue
from bot.store import Archive
from tests.importers.conftest import Run

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://letters.example.com/weekly/">
<title>Weekly Notes</title>
<link href="https://letters.example.com/weekly/"/>
<id>urn:weekly</id>
<updated>2025-03-01T00:00:00Z</updated>
<entry>
<title>Issue 7: Rust and ML</title>
<link href="archive/7/"/>
<id>urn:weekly:7</id>
<updated>2025-03-01T00:00:00Z</updated>
<content type="html">&lt;p&gt;Hello!&lt;/p&gt;&lt;h2&gt;Links&lt;/h2&gt;
&lt;p&gt;&lt;a href="notes/rust-ml"&gt;Rust for ML&lt;/a&gt; — our notes.&lt;/p&gt;
&lt;p&gt;&lt;a href="/tools/"&gt;Our tools&lt;/a&gt; — from the site's root.&lt;/p&gt;</content>
</entry>
<entry xml:base="https://letters.example.com/special/">
<title>Issue 8: a special</title>
<link href="8/"/>
<id>urn:weekly:8</id>
<updated>2025-03-08T00:00:00Z</updated>
<content type="html">&lt;h2&gt;Links&lt;/h2&gt;
&lt;p&gt;&lt;a href="extra"&gt;An extra&lt;/a&gt; — here.&lt;/p&gt;</content>
</entry>
</feed>
"""


def test_relative_links_resolve_against_the_xml_base(newsbot: Run, tmp_path: Path) -> None:
    # Before, `notes/rust-ml` resolved against the entry's address, `…/weekly/archive/7/`:
    # a page that does not exist, published as the item's link.
    feed = tmp_path / "weekly.atom"
    feed.write_text(ATOM, encoding="utf-8")
    out = tmp_path / "issues"
    result = newsbot("import", "feed", str(feed), "--out", str(out), "--ingest")
    assert result.exit_code == 0, result.stderr
    seventh, eighth = load_issue(out / "7.md"), load_issue(out / "8.md")
    assert seventh.link == "https://letters.example.com/weekly/archive/7/"
    assert [item.link for _, item in seventh.items] == [
        "https://letters.example.com/weekly/notes/rust-ml",
        "https://letters.example.com/tools/",
    ]
    assert eighth.link == "https://letters.example.com/special/8/"
    assert [item.link for _, item in eighth.items] == ["https://letters.example.com/special/extra"]

    async def archived() -> list[Issue]:
        async with await Archive.open(tmp_path / "archive.db", create=False) as archive:
            return [await archive.issues.issue(7), await archive.issues.issue(8)]

    assert asyncio.run(archived()) == [seventh, eighth]


def test_an_entry_without_a_link_is_not_told_its_id_is_a_bad_link(
    newsbot: Run, tmp_path: Path
) -> None:
    # feedparser lends an entry with no <link> its id; an Atom id is a name, not an address,
    # and "the entry's link is not http(s): 'urn:weekly:8'" told of a link it does not have.
    feed = tmp_path / "weekly.atom"
    feed.write_text(ATOM.replace('<link href="8/"/>\n', ""), encoding="utf-8")
    result = newsbot("import", "feed", str(feed), "--out", str(tmp_path / "issues"))
    assert result.exit_code == 0, result.stderr
    assert "urn:weekly:8" not in result.stderr
    eighth = load_issue(tmp_path / "issues" / "8.md")
    assert (eighth.title, eighth.link) == ("Issue 8: a special", None)
