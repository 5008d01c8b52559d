"""`newsbot suggestions …`: the readers' suggestion queue from the terminal."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated

import typer

from bot.cli._console import (
    ISSUE_NUMBER_MAX,
    SQLITE_INT_MAX,
    JsonOpt,
    err,
    fail,
    out,
    run_async,
    settings_of,
    with_archive,
)
from bot.errors import NewsbotError
from bot.models import Suggestion, SuggestionStatus, section_slug
from bot.models.idn import shown_url
from bot.render.commonmark import reads_as
from bot.store import Archive
from bot.store.sections import named_today
from bot.suggestions import DraftExists, Export, export_draft, issue_file

LIST_LIMIT_MAX = 1_000_000
"""The most suggestions `list` shows at once: more than any queue holds."""

suggestions_app = typer.Typer(
    help="Links readers suggested for the next issue: list, accept, reject, export.",
    no_args_is_help=True,
)


def _row(suggestion: Suggestion, section_names: Mapping[str, str]) -> dict[str, object]:
    """A suggestion as plain JSON: its section by slug, what a script compares, and by name
    as the issues write it (null when the archive has no section of that slug)."""
    return {
        "id": suggestion.id,
        "url": suggestion.url,
        "status": suggestion.status,
        "section": suggestion.section,
        "section_name": section_names.get(suggestion.section or ""),
        "title": suggestion.title,
        "issue": suggestion.issue_number,
        "support": suggestion.support,
        "suggested_by": [
            {"name": s.name, "note": s.note, "source": s.source} for s in suggestion.supporters
        ],
    }


@suggestions_app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        list[str] | None,
        typer.Option(help="pending, accepted, rejected or published.", metavar="STATUS"),
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=LIST_LIMIT_MAX, help="How many.", metavar="N")
    ] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The suggestions, most-supported first (pending ones unless --status says otherwise).

    When more are left than --limit shows, a last line says so (on stderr with --json, so
    the output stays JSON) and how to see them: none is left out unsaid."""
    names = status or [SuggestionStatus.PENDING]
    unknown = [s for s in names if s not in list(SuggestionStatus)]
    if unknown:
        raise fail(f"--status takes {', '.join(SuggestionStatus)}, not {unknown[0]!r}")
    wanted = [SuggestionStatus(s) for s in names]

    async def run(archive: Archive) -> tuple[list[Suggestion], dict[str, str]]:
        found = await archive.suggestions.list(wanted, limit=limit + 1)
        if not any(s.section for s in found):
            return found, {}
        _, names = await named_today(archive.issues, (s.section for s in found))
        return found, names

    found, section_names = run_async(with_archive(settings_of(ctx), run))
    found, more = found[:limit], len(found) > limit
    left = (
        f"These are the {limit} most-supported; more {' or '.join(wanted)} suggestions are "
        "left: a larger --limit N shows them."
    )
    if as_json:
        out.print_json(json.dumps([_row(s, section_names) for s in found], ensure_ascii=False))
        if more:
            err.print(left, markup=False, highlight=False, soft_wrap=True)
        return
    if not found:
        out.print(f"No {' or '.join(wanted)} suggestions.")
        return
    for s in found:
        # The section as its name reads, as the issues show it; its slug if no issue has it.
        section = f" [{reads_as(section_names.get(s.section, s.section))}]" if s.section else ""
        out.print(
            f"{s.id:>5}  {s.status:<9} +{s.support:<3} {shown_url(s.url)}{section}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if more:
        out.print(left, markup=False, highlight=False, soft_wrap=True)


def _review(
    ctx: typer.Context, suggestion_id: int, status: SuggestionStatus, section: str | None
) -> None:
    if suggestion_id > SQLITE_INT_MAX:
        raise fail(f"no suggestion {suggestion_id}: see `newsbot suggestions list`")

    async def run(archive: Archive) -> Suggestion | None:
        slug = None
        if section:
            slug = section_slug(section, await archive.issues.sections_today(limit=None))
            if slug is None:
                raise fail(f"no section is called {section!r} in the archive")
        return await archive.suggestions.review(suggestion_id, status, by="cli", section=slug)

    done = run_async(with_archive(settings_of(ctx), run))
    if done is None:
        raise fail(f"no suggestion {suggestion_id}: see `newsbot suggestions list`")
    if done.status != status:
        raise fail(f"suggestion {suggestion_id} is already {done.status}")
    out.print(f"{done.id} {done.status}: {shown_url(done.url)}", markup=False, highlight=False)


IdArg = Annotated[
    int, typer.Argument(help="The suggestion's id (see `list`).", min=1, metavar="ID")
]


@suggestions_app.command()
def accept(
    ctx: typer.Context,
    suggestion_id: IdArg,
    section: Annotated[
        str | None, typer.Option(help="The section it goes in.", metavar="NAME")
    ] = None,
) -> None:
    """Accept a suggestion for the next draft."""
    _review(ctx, suggestion_id, SuggestionStatus.ACCEPTED, section)


@suggestions_app.command()
def reject(ctx: typer.Context, suggestion_id: IdArg) -> None:
    """Pass on a suggestion."""
    _review(ctx, suggestion_id, SuggestionStatus.REJECTED, None)


@suggestions_app.command()
def export(
    ctx: typer.Context,
    issue: Annotated[
        int | None,
        typer.Option(
            help="The draft's number (default: the next issue).",
            min=1,
            max=ISSUE_NUMBER_MAX,
            metavar="N",
        ),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing draft file.")] = False,
) -> None:
    """Write the accepted suggestions as issues/drafts/<N>.md, grouped by section."""
    settings = settings_of(ctx)

    async def run(archive: Archive) -> Export:
        newest = await archive.issues.issues(limit=1)
        if issue is None and newest and newest[0].number >= ISSUE_NUMBER_MAX:
            raise NewsbotError(
                f"the issue after #{newest[0].number} would be numbered beyond "
                f"{ISSUE_NUMBER_MAX}, the largest issue number: pass --issue N"
            )
        try:
            return await export_draft(
                archive, settings.issues.directory, number=issue, overwrite=overwrite
            )
        except DraftExists as exc:
            raise NewsbotError(
                f"{exc.path} already exists: edit it, or replace it with --overwrite."
            ) from None

    done = run_async(with_archive(settings, run))
    number = done.issue.number
    final = issue_file(settings.issues.directory, number)
    left_out = ""
    if done.left_out:
        files = ", ".join(map(str, done.left_out_files()))
        left_out = f" Left out {len(done.left_out)} accepted link(s) already in {files}."
    out.print(
        f"wrote {done.path}: #{number} with {len(done.issue.items)} suggested link(s).{left_out}"
        f" Write the intro and the blurbs, move it to {final} (newsbot reads no issue from "
        f"drafts/), then `newsbot check {final}`.",
        markup=False,
        highlight=False,
    )
