"""/newsletter end to end: the real bot, the emulator, managers and readers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.app import Newsbot
from bot.models import Issue, ascii_slug
from bot.sandbox.discord import DefaultWorld, Emulator, Message, MessageFlag, Permission
from bot.store import Archive
from bot.workers import PUBLISHER_LEASE
from tests.conftest import StartNewsbot
from tests.factories import issue, item

EPHEMERAL = int(MessageFlag.EPHEMERAL)
StartBot = Callable[[], Awaitable[Newsbot]]


@pytest.fixture
def start_bot(start_newsbot: StartNewsbot, archive_with_issues: Archive) -> StartBot:
    """Start newsbot, with its newsletter commands, against the emulator."""
    return lambda: start_newsbot(archive_with_issues, publishing={"retry_delay": 0.01})


@pytest.fixture
async def newsbot(start_bot: StartBot) -> Newsbot:
    return await start_bot()


async def newsletter(
    emulator: Emulator, seed: DefaultWorld, sub: str, *, user: Any = None, **options: Any
) -> Message:
    handle = await emulator.run_slash_command(
        seed.guild,
        seed.general,
        user or seed.manager,
        "newsletter",
        options,
        subcommand=sub,
        enforce_permissions=user is None,
    )
    return await handle.original(timeout=10)


def private(message: Message) -> str:
    assert message.flags & EPHEMERAL
    assert message.allowed_mentions is not None and message.allowed_mentions.get("parse") == []
    return message.content


async def test_the_group_is_for_managers_and_a_reader_is_refused(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    (command,) = [c for c in emulator.synced_commands(seed.guild) if c.name == "newsletter"]
    assert command.default_member_permissions == int(Permission.MANAGE_GUILD)
    answer = await newsletter(emulator, seed, "status", user=seed.reader)
    assert private(answer) == "You need the Manage Server permission to use this command."
    assert await newsbot.archive.subscriptions.list() == []


async def test_setup_says_which_permission_is_missing(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    emulator.deny(seed.announcements, Permission.SEND_MESSAGES)
    await asyncio.sleep(0.05)  # the overwrite reaches the bot's cache through the gateway
    answer = await newsletter(emulator, seed, "setup", channel=seed.announcements)
    text = private(answer)
    assert "I need the **Send Messages** permission" in text
    assert await newsbot.archive.subscriptions.list() == []


async def test_setup_publish_and_notify_me(
    start_bot: StartBot, emulator: Emulator, seed: DefaultWorld
) -> None:
    newsbot = await start_bot()
    answer = await newsletter(
        emulator,
        seed,
        "setup",
        channel=seed.general,
        role=seed.newsletter_role,
        sections="Industry, learning",
        alerts_channel=seed.general,
    )
    assert private(answer).splitlines() == [
        f"Done: each new issue will be posted in <#{seed.general.id}>.",
        "It gets a digest and one thread per section.",
        f"The digest pings <@&{seed.newsletter_role.id}>; readers join it with *Notify me*.",
        "Sections: Industry, Learning.",
        f"Problems will be reported in <#{seed.general.id}>.",
    ]
    (subscription,) = await newsbot.archive.subscriptions.list()
    assert subscription.sections == ("industry", "learning")
    assert subscription.role_id == seed.newsletter_role.id

    wrong = await newsletter(emulator, seed, "setup", channel=seed.general, sections="Sports")
    assert "No section is called “Sports”." in private(wrong)

    handle = await emulator.autocomplete(
        seed.guild,
        seed.general,
        seed.manager,
        "newsletter",
        {"channel": seed.general, "sections": "Industry, Le"},
        "sections",
        subcommand="setup",
    )
    assert [c["value"] for c in await handle.choices()] == ["Industry, Learning"]

    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.manager, "newsletter", {"issue": 202}, subcommand="preview"
    )
    preview = await handle.original(timeout=10)
    (on_x,) = await handle.followups(1, timeout=10)
    assert "5 threads" in private(preview) and preview.embeds
    assert private(on_x) is not None
    (x_card,) = on_x.embeds
    assert x_card["title"] == "On X: 6 posts, about $0.090"
    assert x_card["fields"][0]["name"].startswith("Post 1/6 · ")
    assert "Condensed" in x_card["footer"]["text"], "#202 is condensed to titles on X"

    published = await newsletter(emulator, seed, "publish", issue=202)
    assert "5 posted" in private(published), "2 threads, their 2 messages, the digest"
    threads = [c.name for c in emulator.world.channels.values() if c.parent_id == seed.general.id]
    assert threads == ["#202 · Industry", "#202 · Learning"]
    (digest,) = [m for m in emulator.messages_in(seed.general) if m.type == 0 and not m.flags]
    custom_id = f"newsbot:notify:{seed.newsletter_role.id}"
    assert custom_id in digest.custom_ids()

    status = await newsletter(emulator, seed, "status")
    private(status)
    (card,) = status.embeds
    assert (
        f"<#{seed.general.id}> (text), pings <@&{seed.newsletter_role.id}>, "
        "sections: Industry, Learning — #202: complete (5 sent)"
    ) in card["description"]

    # The button works after a restart: a new process knows it by its custom_id alone.
    assert await newsbot.archive.state.live_leases(PUBLISHER_LEASE) == 1
    await newsbot.close()
    # Stopped, it no longer counts among the processes publishing (which share the rate).
    assert await newsbot.archive.state.live_leases(PUBLISHER_LEASE) == 0
    await start_bot()
    member = seed.guild.members[seed.reader.id]
    press = await emulator.press_button(digest, custom_id, seed.reader)
    assert "you now have the Newsletter role" in private(await press.original())
    assert seed.newsletter_role.id in member.roles
    press = await emulator.press_button(digest, custom_id, seed.reader)
    assert "no longer have the Newsletter role" in private(await press.original())
    assert seed.newsletter_role.id not in member.roles

    gone = await newsletter(emulator, seed, "unsubscribe", channel=seed.general)
    assert private(gone).startswith("Done:")
    assert await newsbot.archive.subscriptions.list() == []


async def test_section_names_are_shown_defused(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    loud = "@here <@&1> picks"
    await newsbot.archive.issues.ingest(issue(207, {loud: [item("x", "https://x.example/1")]}))
    handle = await emulator.autocomplete(
        seed.guild,
        seed.general,
        seed.manager,
        "newsletter",
        {"channel": seed.general, "sections": "@"},
        "sections",
        subcommand="setup",
    )
    assert await handle.choices() == [{"name": "@\u200bhere <\u200b@&1> picks", "value": loud}]
    typed = "@everyone, <@123>"
    wrong = await newsletter(emulator, seed, "setup", channel=seed.general, sections=typed)
    assert "No section is called “@\u200beveryone” or “\\<\u200b@123\\>”." in private(wrong)

    # The section's name is shown as the issue writes it, its mentions defused.
    chosen = await newsletter(emulator, seed, "setup", channel=seed.general, sections=loud)
    assert "Sections: @\u200bhere <\u200b@&1> picks." in private(chosen).splitlines()


async def test_sections_are_shown_by_their_names(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    renamed = issue(205, {"Papers + Publications": [item("y", "https://y.example/1")]})
    await newsbot.archive.issues.ingest(renamed)
    typed = "Industry, mobile-edge, Papers & Publications"
    answer = await newsletter(emulator, seed, "setup", channel=seed.general, sections=typed)
    assert "Sections: Industry, Mobile & Edge, Papers + Publications." in private(answer)
    (subscription,) = await newsbot.archive.subscriptions.list()
    assert subscription.sections == ("industry", "mobile-edge", "papers-publications")
    status = await newsletter(emulator, seed, "status")
    (card,) = status.embeds
    assert "sections: Industry, Mobile & Edge, Papers + Publications" in card["description"]

    wrong = await newsletter(
        emulator, seed, "setup", channel=seed.general, sections="Nope, **x**, @everyone, Industry"
    )
    assert private(wrong).startswith(
        "No section is called “Nope”, “\\*\\*x\\*\\*” or “@\u200beveryone”. The sections are: "
    )


def slugged_before(number: int, name: str) -> Issue:
    """Issue `number` with one section, as an older newsbot archived it: under the slug of its
    name's ASCII letters (`AI ニュース` as `ai`, `業界` as `section`)."""
    archived = issue(number, {name: [item(f"Item {number}", f"https://x.example/{number}")]})
    older = tuple(s.model_copy(update={"slug": ascii_slug(s.name)}) for s in archived.sections)
    return archived.model_copy(update={"sections": older})


def threads_in(emulator: Emulator, seed: DefaultWorld) -> list[str]:
    return [c.name for c in emulator.world.channels.values() if c.parent_id == seed.general.id]


async def test_a_section_set_up_by_name_does_not_bring_another_an_older_newsbot_slugged_so(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    await newsbot.archive.issues.ingest(slugged_before(205, "AI ニュース"))
    today = issue(
        206,
        {
            "AI": [item("A model", "https://x.example/m")],
            "AI ニュース": [item("News", "https://x.example/n")],
        },
    )
    await newsbot.archive.issues.ingest(today)
    answer = await newsletter(emulator, seed, "setup", channel=seed.general, sections="AI")
    assert "Sections: AI." in private(answer)

    published = await newsletter(emulator, seed, "publish", issue=206)

    assert "posted" in private(published), private(published)
    assert threads_in(emulator, seed) == ["#206 · AI"]


async def test_nor_one_set_up_by_a_slug_an_older_newsbot_gave(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    # Both were archived as `section`; the channel is set up for `業界` by its slug today.
    await newsbot.archive.issues.ingest(slugged_before(205, "論文"))
    await newsbot.archive.issues.ingest(slugged_before(206, "業界"))
    answer = await newsletter(emulator, seed, "setup", channel=seed.general, sections="業界")
    assert "Sections: 業界." in private(answer)
    (subscription,) = await newsbot.archive.subscriptions.list()
    assert subscription.sections == ("業界",)
    today = issue(
        207,
        {
            "業界": [item("Chips", "https://x.example/c")],
            "論文": [item("Paper", "https://x.example/p")],
        },
    )
    await newsbot.archive.issues.ingest(today)

    published = await newsletter(emulator, seed, "publish", issue=207)

    assert "posted" in private(published), private(published)
    assert threads_in(emulator, seed) == ["#207 · 業界"]


async def setup_choices(emulator: Emulator, seed: DefaultWorld, typed: str) -> list[str]:
    """The values /newsletter setup offers for `sections` while `typed` is typed."""
    handle = await emulator.autocomplete(
        seed.guild,
        seed.general,
        seed.manager,
        "newsletter",
        {"channel": seed.general, "sections": typed},
        "sections",
        subcommand="setup",
    )
    return [c["value"] for c in await handle.choices()]


async def test_a_section_an_older_newsbot_slugged_with_another_is_set_up_by_its_name(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    # Both were archived as `section`; `論文`, the newer, does not hide `業界ニュース`.
    await newsbot.archive.issues.ingest(slugged_before(300, "業界ニュース"))
    await newsbot.archive.issues.ingest(slugged_before(301, "論文"))
    assert await setup_choices(emulator, seed, "業界") == ["業界ニュース"]

    answer = await newsletter(
        emulator, seed, "setup", channel=seed.general, sections="業界ニュース"
    )

    assert "Sections: 業界ニュース." in private(answer)
    today = issue(
        302,
        {
            "業界ニュース": [item("Chips", "https://x.example/c")],
            "論文": [item("Paper", "https://x.example/p")],
        },
    )
    await newsbot.archive.issues.ingest(today)
    for number in (300, 301, 302):
        published = await newsletter(emulator, seed, "publish", issue=number)
        assert "posted" in private(published), private(published)
    assert threads_in(emulator, seed) == ["#300 · 業界ニュース", "#302 · 業界ニュース"]


async def test_a_section_archived_before_and_after_the_upgrade_is_offered_once(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    await newsbot.archive.issues.ingest(slugged_before(300, "業界ニュース"))
    await newsbot.archive.issues.ingest(
        issue(302, {"業界ニュース": [item("Chips", "https://x.example/c")]})
    )

    assert await setup_choices(emulator, seed, "業界") == ["業界ニュース"]


async def test_status_names_a_section_an_older_newsbot_slugged_as_it_reads(
    newsbot: Newsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    # `## AI ニュース` is only archived as `ai`; the channel is set up for it by its name.
    await newsbot.archive.issues.ingest(slugged_before(205, "AI ニュース"))
    answer = await newsletter(emulator, seed, "setup", channel=seed.general, sections="AI ニュース")
    assert "Sections: AI ニュース." in private(answer)

    status = await newsletter(emulator, seed, "status")

    (card,) = status.embeds
    assert f"<#{seed.general.id}> (text), sections: AI ニュース — " in card["description"]
