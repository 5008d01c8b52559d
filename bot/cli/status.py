"""`newsbot status`: how publishing stands, in the terminal (the facts are `bot.status`'s)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import typer

from bot.cli._console import JsonOpt, open_archive, out, run_async, settings_of

if TYPE_CHECKING:
    from bot.status import Status


def status(
    ctx: typer.Context,
    as_json: JsonOpt = False,
) -> None:
    """Show the last publish per outlet and channel, the next firing, unfinished steps, the archive.

    Exits 0 even when steps failed: the report is the output.
    """
    from bot.status import gather_status, status_json, status_lines, with_section_names
    from bot.store.sections import named_today

    settings = settings_of(ctx)

    async def read() -> tuple[Status, dict[str, str]]:
        async with await open_archive(settings) as archive:
            now = dt.datetime.now(dt.UTC)
            found = await gather_status(archive, settings, now=now, runs=True)
            chosen = [s for p in found.publishes if p.channel for s in p.channel.sections]
            _, known = await named_today(archive.issues, chosen)
            return found, known

    found, known = run_async(read())
    if as_json:
        # Slugs, as the settings and the archive name sections: what a script compares.
        out.print_json(json.dumps(status_json(found), ensure_ascii=False))
        return
    for line in status_lines(with_section_names(found, known), where=True):
        out.print(line, markup=False, highlight=False, soft_wrap=True)
