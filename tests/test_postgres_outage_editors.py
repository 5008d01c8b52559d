"""Editors asking while the archive's PostgreSQL server is down: each /suggestions and
/newsletter command is told at once, with the readers' words, that the archive is out of reach,
not left with "The application did not respond", or with an apology after the 30 s publishing
waits out an outage; and nothing of it is written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.models import Issue, Subscription, SuggestionStatus, Supporter
from bot.render.discord import CONTENT_MAX
from bot.render.text import literal_but_code
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.store import Archive
from bot.store.postgres.database import UNREACHABLE_FOR_READERS
from tests.conftest import StartNewsbot
from tests.pg_server import PgServer
from tests.test_postgres_outage import TOLD_WITHIN

AT = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
Options = Callable[[DefaultWorld], dict[str, Any]]
ASKED: list[tuple[str, str, Options]] = [
    ("suggestions", "review", lambda _: {}),
    ("suggestions", "export", lambda _: {}),
    ("newsletter", "setup", lambda seed: {"channel": seed.general, "sections": "Industry"}),
    ("newsletter", "unsubscribe", lambda _: {}),
    ("newsletter", "status", lambda _: {}),
    ("newsletter", "publish", lambda _: {"issue": 202}),
    ("newsletter", "preview", lambda _: {}),
]


@pytest.mark.parametrize(("command", "subcommand", "options"), ASKED, ids=[a[1] for a in ASKED])
async def test_an_editor_asking_during_an_outage_is_told_the_archive_is_out_of_reach(
    command: str,
    subcommand: str,
    options: Options,
    pg_server: PgServer,
    pg_url: str,
    issue_202: Issue,
    start_newsbot: StartNewsbot,
    emulator: Emulator,
    seed: DefaultWorld,
    tmp_path: Path,
) -> None:
    told = literal_but_code(UNREACHABLE_FOR_READERS, CONTENT_MAX)  # shown as written
    async with await Archive.open(pg_url) as archive:
        await archive.issues.ingest(issue_202)
        reader = Supporter(user_id=seed.reader.id, name="reader")
        suggested = await archive.suggestions.add("https://paper.example/x", reader, at=AT)
        await archive.suggestions.review(suggested.id, SuggestionStatus.ACCEPTED, by="cli")
        here = Subscription(guild_id=seed.guild.id, channel_id=seed.general.id, kind="text")
        await archive.subscriptions.add(here)
        subscribed = await archive.subscriptions.list()
        bot = await start_newsbot(archive, issues={"directory": str(tmp_path)})
        with pg_server.down():
            handle = await emulator.run_slash_command(
                seed.guild, seed.general, seed.manager, command, options(seed),
                subcommand=subcommand,
            )  # fmt: skip
            # The first answer within Discord's 3 s (the emulator refuses a later one), and
            # the reason in it or in the follow-up of its "thinking…".
            answer = await handle.original(timeout=TOLD_WITHIN)
        assert answer.content == told
        # Nothing of it was written: no draft, no channel set up anew or taken out, no post.
        assert bot.settings.issues.directory == tmp_path
        assert not list(tmp_path.rglob("*.md"))  # noqa: ASYNC240 - a test's own folder
        assert await archive.subscriptions.list() == subscribed
        assert emulator.messages_in(seed.general) == []
