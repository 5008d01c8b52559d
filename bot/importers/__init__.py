"""Other formats → issue files: plain-text issues and RSS/Atom feeds.

`read_text_issue` and `feed_issues` turn a source into `Imported` issues with `Notice`s of
every guess; `save_issues` writes them, leaving byte-identical files untouched and files
edited since import kept (unless forced). The `newsbot import` commands live in
`bot.cli.imports`.
"""

from bot.errors import FetchError, RoundTripError, SourceError
from bot.importers._feed_entries import read_feed
from bot.importers._fetch import Fetched, Validators, fetch_feed
from bot.importers._output import IssueFolder, WriteOutcome, Written, save_issues, scan_folder
from bot.importers._report import Imported, Notice
from bot.importers.feed import (
    FeedDocument,
    FeedImport,
    download_feed,
    entry_issue,
    feed_issues,
    read_feed_file,
)
from bot.importers.text import parse_text_issue, read_text_issue

__all__ = [
    "FeedDocument",
    "FeedImport",
    "FetchError",
    "Fetched",
    "Imported",
    "IssueFolder",
    "Notice",
    "RoundTripError",
    "SourceError",
    "Validators",
    "WriteOutcome",
    "Written",
    "download_feed",
    "entry_issue",
    "feed_issues",
    "fetch_feed",
    "parse_text_issue",
    "read_feed",
    "read_feed_file",
    "read_text_issue",
    "save_issues",
    "scan_folder",
]
