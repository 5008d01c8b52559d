"""Issue files: one Markdown file per issue, read into an `Issue` and written back unchanged.

The layout::

    ---
    number: 202
    title: Deep Learning Weekly: Issue #202
    subtitle: Quantum AI, Global AI Index, …
    date: 2021-06-16
    link: https://example.com/issues/202
    ---

    The intro, in paragraphs.

    ## Industry

    ### [An item's title](https://example.com/item)

    <!-- editor: a note for the editor, never published -->

    The item's blurb, in paragraphs.

    #### Abstract

    A longer text, such as a paper's abstract.

Every problem is reported as an `IssueFileError` with the file and line, and a file's problems
are all reported at once.
"""

from bot.issuefiles._front_matter import (
    FRONT_MATTER_FENCE,
    FRONT_MATTER_KEYS,
    REQUIRED_KEYS,
    missing_date,
    number_in_name,
)
from bot.issuefiles._lines import editor_note_lines, not_utf8, without_editor_notes
from bot.issuefiles._loading import (
    LoadResult,
    front_matter_line,
    is_issue_file,
    issue_paths,
    left_out_files,
    load_issue,
    load_issues,
    named_once,
    numbered_issue_files,
    overlooked_files,
    publish_times,
    read_checked,
    read_issues,
)
from bot.issuefiles._reading import ABSTRACT_HEADING, parse_issue
from bot.issuefiles._writing import format_issue, write_issue

__all__ = [
    "ABSTRACT_HEADING",
    "FRONT_MATTER_FENCE",
    "FRONT_MATTER_KEYS",
    "REQUIRED_KEYS",
    "LoadResult",
    "editor_note_lines",
    "format_issue",
    "front_matter_line",
    "is_issue_file",
    "issue_paths",
    "left_out_files",
    "load_issue",
    "load_issues",
    "missing_date",
    "named_once",
    "not_utf8",
    "number_in_name",
    "numbered_issue_files",
    "overlooked_files",
    "parse_issue",
    "publish_times",
    "read_checked",
    "read_issues",
    "without_editor_notes",
    "write_issue",
]
