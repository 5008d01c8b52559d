"""Writing an issue back as its canonical issue file, atomically."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from bot.issuefiles._front_matter import FRONT_MATTER_FENCE
from bot.issuefiles._reading import ABSTRACT_HEADING, SECTION_ID
from bot.models import Issue, Item, slugify

_ENTITY_LIKE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")


def _front_matter_value(value: str) -> str:
    # A value in single quotes is read as YAML's quoting by mistake, and refused.
    single_quoted = len(value) >= 2 and value[0] == value[-1] == "'"
    needs_quotes = value != value.strip() or value.startswith('"') or not value or single_quoted
    return json.dumps(value, ensure_ascii=False) if needs_quotes else value


def _item_heading_source(item: Item) -> str:
    if item.link is None:
        return f"### {item.title}"
    # Links are stored normalised (no spaces or angle brackets), so <…> can hold any of them;
    # an `&` that reads like an entity (`&#106;`) is escaped, or Markdown would decode it.
    destination = _ENTITY_LIKE.sub(r"\\&", item.link)
    destination = f"<{destination}>" if "(" in item.link or ")" in item.link else destination
    return f"### [{item.title}]({destination})"


def format_issue(issue: Issue) -> str:
    """The canonical issue file for an issue; `parse_issue` of it gives the issue back."""
    out = [FRONT_MATTER_FENCE, f"number: {issue.number}"]
    out.append(f"title: {_front_matter_value(issue.title)}")
    if issue.subtitle is not None:
        out.append(f"subtitle: {_front_matter_value(issue.subtitle)}")
    if issue.date is not None:
        out.append(f"date: {issue.date.isoformat()}")
    if issue.publish_at is not None:
        spec = "seconds" if issue.publish_at.second or issue.publish_at.microsecond else "minutes"
        out.append(
            f"publish_at: {issue.publish_at.replace(microsecond=0).isoformat(timespec=spec)}"
        )
    if issue.link is not None:
        out.append(f"link: {issue.link}")
    out.append(FRONT_MATTER_FENCE)
    blocks: list[str] = []
    if issue.intro:
        blocks.append(issue.intro)
    for section in issue.sections:
        # A name that ends like a slug of its own (`{#…}`) is followed by its slug too.
        own = section.slug == slugify(section.name) and not SECTION_ID.search(section.name)
        blocks.append(f"## {section.name}" + ("" if own else f" {{#{section.slug}}}"))
        for item in section.items:
            blocks.append(_item_heading_source(item))
            if item.editor_note is not None:
                blocks.append(f"<!-- editor: {item.editor_note} -->")
            if item.blurb:
                blocks.append(item.blurb)
            if item.abstract is not None:
                blocks.extend([f"#### {ABSTRACT_HEADING}", item.abstract])
    return "\n".join(out) + "\n\n" + "\n\n".join(blocks) + "\n"


def write_issue(issue: Issue, path: Path | str) -> Path:
    """Write an issue file atomically: a reader sees the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(format_issue(issue))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
