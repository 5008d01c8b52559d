"""A feed whose entries are the emails as sent (Mailchimp's campaign archive): the email's
`View this email in your browser` and its footer (copyright, mailing address, unsubscribe and
preference links) are not the issue's, and a mail template's placeholder is not a link."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.importers import read_feed_file
from bot.importers._feed_entries import read_feed
from bot.importers.feed import entry_issue
from bot.issuefiles import load_issue
from bot.models import Issue
from bot.store import Archive
from tests.importers.conftest import DATA, Run

FEED = DATA / "mailchimp.xml"
WHERE = f"{FEED} [Tensor Times #12: attention, scaling laws and a lidar]"


def imported_issue() -> tuple[Issue, list[str]]:
    (entry,) = read_feed(read_feed_file(FEED).data, str(FEED))
    imported = entry_issue(entry, 12, str(FEED))
    return imported.issue, [str(notice) for notice in imported.notices]


def test_the_emails_header_and_footer_are_left_out_and_reported() -> None:
    # Before, the footer was the last item's text, published with the sender's unsubscribe
    # and preference links, and the browser link opened the intro.
    issue, notices = imported_issue()
    assert issue.intro == "Hi friends,\n\nThree links this week."
    last = issue.sections[-1].items[-1]
    assert (last.title, last.link) == (
        "Why readers unsubscribe from newsletters",
        "https://example.com/unsubscribing",
    )
    assert last.blurb == (
        "A survey of 2,000 readers: most unsubscribe from newsletters they never open."
    )
    text = "\n".join(f"{issue.intro}\n{item.title}\n{item.blurb}" for _, item in issue.items)
    for furniture in ("browser", "Copyright", "mailing address", "preferences", "list-manage"):
        assert furniture not in text
    assert (
        f"{WHERE}: the email's header ('View this email in your browser') is not part of the "
        "issue: left out" in notices
    )
    footer = [notice for notice in notices if "the email's footer ('" in notice]
    assert len(footer) == 1 and footer[0].startswith(f"{WHERE}: the email's footer ('— Copyright")


GMAIL = (
    "Gmail now lets you unsubscribe from newsletters in one tap: details "
    '<a href="https://example.com/gmail">here</a>.'
)
GMAIL_MARKDOWN = (
    "Gmail now lets you unsubscribe from newsletters in one tap: details "
    "[here](https://example.com/gmail)."
)


def entry_with_last_blurb(blurb: str, *, footer: bool) -> tuple[Issue, list[str]]:
    """The sample's entry with the last item's blurb a paragraph of its own, `blurb`, and its
    footer kept or not."""
    xml = FEED.read_text(encoding="utf-8")
    head, rest = xml.split("<br>\nA survey of 2,000 readers", 1)
    rest = rest.split("</p>", 1)[1]
    if not footer:
        rest = "</td>" + rest.split("</td>", 1)[1]
    data = f"{head}</p><p>{blurb}</p>{rest}".encode()
    (entry,) = read_feed(data, str(FEED))
    imported = entry_issue(entry, 12, str(FEED))
    return imported.issue, [str(notice) for notice in imported.notices]


def test_a_last_blurb_about_unsubscribing_is_the_items() -> None:
    # Before, a blurb saying "unsubscribe from" with a link labelled "here" (or no link) was
    # taken for the email's footer, left out of the issue, and the item published bare.
    unlinked = "You can now unsubscribe from any newsletter in Gmail."
    for blurb, markdown in ((GMAIL, GMAIL_MARKDOWN), (unlinked, unlinked)):
        issue, notices = entry_with_last_blurb(blurb, footer=False)
        last = issue.sections[-1].items[-1]
        assert (last.title, last.blurb) == ("Why readers unsubscribe from newsletters", markdown)
        assert not [notice for notice in notices if "the email's footer" in notice]


def test_the_footer_after_a_last_blurb_with_a_here_link_is_still_left_out() -> None:
    issue, notices = entry_with_last_blurb(GMAIL, footer=True)
    last = issue.sections[-1].items[-1]
    assert last.blurb == GMAIL_MARKDOWN
    footer = [notice for notice in notices if "the email's footer ('" in notice]
    assert len(footer) == 1 and footer[0].startswith(f"{WHERE}: the email's footer ('— Copyright")


def test_a_mail_template_placeholder_is_not_made_a_link() -> None:
    # `*|UNSUB|*`, resolved against the entry's address, was a link to a page that does not
    # exist; it is dropped, and said why.
    _, notices = imported_issue()
    assert (
        f"{WHERE}: dropped a link that is a mail template's placeholder, filled in only in the "
        "email sent: '*|UNSUB|*'"
    ) in notices


def test_import_feed_ingests_the_issue_without_the_email_around_it(
    newsbot: Run, tmp_path: Path
) -> None:
    out = tmp_path / "issues"
    result = newsbot("import", "feed", str(FEED), "--out", str(out), "--ingest")
    assert result.exit_code == 0, result.stderr
    assert "the email's footer" in result.stderr
    written = load_issue(out / "12.md")
    assert "unsubscribe" not in (out / "12.md").read_text(encoding="utf-8").replace(
        "Why readers unsubscribe", ""
    ).replace("most unsubscribe", "")

    async def archived() -> Issue:
        async with await Archive.open(tmp_path / "archive.db", create=False) as archive:
            return await archive.issues.issue(12)

    assert asyncio.run(archived()) == written
    assert [item.title for _, item in written.items] == [
        "Transformers, explained",
        "A paper on scaling laws",
        "Why readers unsubscribe from newsletters",
    ]
