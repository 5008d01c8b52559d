"""Reader suggestions: the links readers send, the rules that queue them, their page titles,
and the draft issue editors export from the accepted ones.

`links` finds and checks links in what readers write, `service` holds the rules of suggesting
(`SuggestionService`), `pages` fetches page titles and `titles` a few at a time for new
suggestions, `drafts` writes the next issue's draft.
"""

from bot.models.links import MAX_URL_LENGTH, LinkRejected, normalise, twins
from bot.suggestions.drafts import (
    DRAFTS_FOLDER,
    UNSORTED_SECTION,
    DraftExists,
    Export,
    IssueArchived,
    IssueWritten,
    NothingToExport,
    draft_issue,
    draft_title,
    export_draft,
    issue_file,
    most_supported,
)
from bot.suggestions.links import (
    MAX_LINKS_PER_MESSAGE,
    Rejection,
    Scan,
    candidates,
    link_spans,
    scan,
    shown_as,
    suggesters_by_section,
)
from bot.suggestions.notes import NOTE_MAX, clean_note, reply_note, without_links
from bot.suggestions.pages import fetch_title
from bot.suggestions.service import Outcome, Result, Revision, SuggestionService, day_start

__all__ = [
    "DRAFTS_FOLDER",
    "MAX_LINKS_PER_MESSAGE",
    "MAX_URL_LENGTH",
    "NOTE_MAX",
    "UNSORTED_SECTION",
    "DraftExists",
    "Export",
    "IssueArchived",
    "IssueWritten",
    "LinkRejected",
    "NothingToExport",
    "Outcome",
    "Rejection",
    "Result",
    "Revision",
    "Scan",
    "SuggestionService",
    "candidates",
    "clean_note",
    "day_start",
    "draft_issue",
    "draft_title",
    "export_draft",
    "fetch_title",
    "issue_file",
    "link_spans",
    "most_supported",
    "normalise",
    "reply_note",
    "scan",
    "shown_as",
    "suggesters_by_section",
    "twins",
    "without_links",
]
