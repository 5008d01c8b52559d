"""Conformance: the whole of newsbot, through both emulators, sends only requests that Discord's
and X's published API descriptions and documented rules allow.

One run does what a newsletter's week does: the commands sync; a manager subscribes a text, an
announcement and a forum channel and publishes #202 to all three; the issue is corrected and
published again; a reader looks up, searches and pages, and suggests links by reply and by
/suggest; and on X, where replies are refused, the thread is posted by a run killed in the
middle and finished by the next. Every request is checked by the emulators as it arrives; at
the end neither may have refused one, and the count of checked requests shows the run was whole.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.models import Issue
from bot.publishing.plans.x import plan as x_plan
from bot.sandbox.discord import DefaultWorld, Emulator
from bot.sandbox.x import XEmulator, XEmulatorConfig
from bot.settings import XSettings
from bot.store import Archive
from tests.cogs.conftest import TORCH_ITEMS
from tests.cogs.test_reader import slash
from tests.conftest import StartNewsbot
from tests.factories import issue
from tests.publishing.test_newsletter_cog import newsletter, private
from tests.publishing.test_publish import assert_published_once
from tests.suggestions.test_discord import suggest
from tests.threads import Killer
from tests.x.conftest import archive_file, assert_one_thread, run_newsbot, x_env

DISCORD_CHECKED_AT_LEAST = 60
X_CHECKED_AT_LEAST = 8
"""A whole run checks about 64 and 9 (newsbot sends few requests); fewer means part of it
did not happen."""


def corrected(original: Issue) -> Issue:
    """#202 with its first blurb rewritten and its last item dropped."""
    first, *middle, last = original.sections
    first = first.model_copy(
        update={
            "items": (
                first.items[0].model_copy(update={"blurb": "A corrected blurb."}),
                *first.items[1:],
            )
        }
    )
    last = last.model_copy(update={"items": last.items[:-1]})
    return Issue.model_validate(
        original.model_copy(update={"sections": (first, *middle, last)}).model_dump()
    )


async def test_newsbot_keeps_to_both_published_apis(
    start_newsbot: StartNewsbot,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_202: Issue,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # --- Discord: the commands sync as newsbot starts ---------------------------------------
    archive = await Archive.open(tmp_path / "archive.db")
    torch = issue(203, {"Libraries & Code": TORCH_ITEMS})
    await archive.issues.ingest_many([(issue_202, None), (torch, None)])
    try:
        newsbot = await start_newsbot(
            archive,
            discord={"message_content": True},
            publishing={"retry_delay": 0.01},
            suggestions={"per_reader_per_day": 5},
            issues={"directory": tmp_path / "issues"},
        )
        synced = {c.name for c in emulator.synced_commands(seed.guild)}
        assert {"latest", "issue", "search", "suggest", "newsletter"} <= synced

        # --- publishing #202 to a text, an announcement and a forum channel ----------------
        role = {"role": seed.newsletter_role}
        for channel, options in (
            (seed.general, role),
            (seed.announcements, {}),
            (seed.forum, role),
        ):
            answer = await newsletter(emulator, seed, "setup", channel=channel, **options)
            assert private(answer).startswith("Done: each new issue will be posted in")
        published = await newsletter(emulator, seed, "publish", issue=202)
        assert "failed" not in private(published).lower(), published.content
        for channel in (seed.general, seed.announcements, seed.forum):
            assert_published_once(emulator, channel.id, issue_202)
        (digest,) = [m for m in emulator.messages_in(seed.general) if m.type == 0]
        notify = await emulator.press_button(
            digest, f"newsbot:notify:{seed.newsletter_role.id}", seed.reader
        )
        await notify.response()

        # --- a correction: the issue changes and is published again ------------------------
        fixed = corrected(issue_202)
        await archive.issues.ingest(fixed)
        republished = await newsletter(emulator, seed, "publish", issue=202)
        assert "failed" not in private(republished).lower(), republished.content
        for channel in (seed.general, seed.announcements, seed.forum):
            assert_published_once(emulator, channel.id, fixed)

        # --- a reader: commands, autocomplete, paging --------------------------------------
        latest = await slash(emulator, seed, "latest")
        assert latest.embeds
        numbers = await emulator.autocomplete(
            seed.guild, seed.general, seed.reader, "issue", {"number": "20"}, "number"
        )
        assert [c["value"] for c in await numbers.choices()] == [203, 202]
        assert (await slash(emulator, seed, "issue", number=202)).embeds
        sections = await emulator.autocomplete(
            seed.guild,
            seed.general,
            seed.reader,
            "search",
            {"query": "x", "section": "l"},
            "section",
        )
        assert await sections.choices()
        found = await slash(emulator, seed, "search", query="torch")
        for way in ("next", "previous"):
            turned = await emulator.press_button(found, f"search:{way}", seed.reader)
            await turned.response()
        assert found.embeds[0]["footer"]["text"].startswith("Results 1–5")

        # --- suggestions: a reply in a section thread, and /suggest --------------------------
        thread = next(
            c
            for c in emulator.world.channels.values()
            if c.parent_id == seed.general.id and c.name.endswith(issue_202.sections[0].name)
        )
        reply = await emulator.post_message(thread, seed.reader, "See https://blog.example/x")
        assert await reply.bot_reaction() == "✅"
        answer = await suggest(emulator, seed, url="https://paper.example/y", section="Learning")
        assert answer.content.startswith("✅ Thanks!")
        assert len(await newsbot.archive.suggestions.list()) == 2
    finally:
        await archive.close()

    # --- X: replies refused, the publishing run killed in the middle, the next one finishes --
    texts = [post.text for post in x_plan(issue_202, XSettings())[0].posts]
    db = await archive_file(tmp_path / "x.db", issue_202)
    args = ("--db", str(db), "publish", "--outlet", "x")
    async with XEmulator(XEmulatorConfig(refuse_replies=True)) as x:
        killer = Killer(x, lambda: len(x.tweets))
        killer.arm(len(texts) // 2)
        killed = await run_newsbot(*args, env=x_env(x), started=killer.started)
        assert killer.killed, killed.stderr
        finished = await run_newsbot(*args, env=x_env(x))
        assert finished.returncode == 0, finished.stderr
        assert_one_thread(x.live_tweets(), texts, quoting_from=2)

    refused = [*emulator.violations.take(), *x.violations.take()]
    assert refused == [], "\n".join(map(str, refused))
    discord_checked, x_checked = emulator.spec_check.checked, x.spec_check.checked
    with capsys.disabled():
        print(
            f"\nconformance: {discord_checked} Discord and {x_checked} X requests validated "
            "against the published API descriptions, none refused"
        )
    assert discord_checked >= DISCORD_CHECKED_AT_LEAST
    assert x_checked >= X_CHECKED_AT_LEAST
