"""A channel failing the same way at every publish is told of to the editors once, not at
every publish: again when the reason changes, and again after it once published."""

from __future__ import annotations

from bot.models import Issue
from bot.publishing.engine import Engine
from bot.publishing.outlets.discord import DiscordOutlet
from bot.sandbox.discord import DefaultWorld, Emulator, Permission
from bot.store import Archive
from tests.factories import issue
from tests.publishing.conftest import text_target


class Told:
    """What the editors were told."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    async def tell(self, text: str, target: object = None, *, logged: bool = False) -> None:
        self.messages.append(text)


async def test_the_same_failure_is_told_once_until_it_changes_or_clears(
    archive_with_issues: Archive,
    outlet: DiscordOutlet,
    emulator: Emulator,
    seed: DefaultWorld,
    issue_204: Issue,
) -> None:
    told = Told()
    engine = Engine(archive_with_issues, retry_delay=0.01, alerts=told)
    channel = seed.general.id
    target = [text_target(seed, seed.general)]
    await archive_with_issues.issues.ingest_many([(issue(1), None), (issue(2), None)])
    emulator.deny(seed.general, Permission.VIEW_CHANNEL)
    for number in (1, 2, 2):
        assert not (await engine.publish(issue(number), outlet, target)).ok
    assert len(told.messages) == 1
    assert told.messages[0].startswith(f"I could not publish issue #1 in <#{channel}>: ")
    assert "View Channel" in told.messages[0]

    emulator.allow(seed.general, Permission.VIEW_CHANNEL)
    emulator.world.remove_member(seed.guild, seed.bot)
    assert not (await engine.publish(issue(2), outlet, target)).ok
    assert len(told.messages) == 2 and "no longer in server" in told.messages[1], "news again"

    emulator.world.add_member(seed.guild, seed.bot, roles=(seed.bot_role,))
    assert (await engine.publish(issue(2), outlet, target)).ok
    emulator.world.remove_member(seed.guild, seed.bot)
    assert not (await engine.publish(issue_204, outlet, target)).ok
    assert len(told.messages) == 3, "after a publish went through, a failure is news again"
    assert told.messages[2].startswith(f"I could not publish issue #204 in <#{channel}>: ")
