"""Where an issue goes: the channels set up with /newsletter and those the config declares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.models import Subscription, slugify
from bot.publishing.plans.discord import CHANNEL_KINDS, Target
from bot.settings import Settings, TargetSettings
from bot.store import Archive
from bot.store.sections import archived_near, slugged_before


def from_subscription(
    subscription: Subscription, given_before: Mapping[str, Mapping[str, str]] | None = None
) -> Target:
    """A stored subscription as a publishing target; a section it names by a slug an older
    newsbot gave (`given_before`, see `slugs_given_before`) is named by today's slugs too.

    A channel set up with the names it chose (`Subscription.section_names`) gets only the
    sections of those names so: one set up for `AI` (`ai`) does not get `AI ニュース`, which an
    older newsbot slugged `ai` too; one that kept such a slug with the name it was chosen by
    (`section` for `業界`) gets that section alone, by the slug its name has today, which
    the issues from before answer to too (`Section.answers_to`), and not `論文`, slugged
    `section` then too. One set up before the names were kept gets every section an older
    newsbot gave its slug, as it did then."""
    kind = next((k for k in CHANNEL_KINDS if k == subscription.kind), None)
    older = given_before or {}
    meant = None
    chosen_by: dict[str, str] = {}
    if subscription.section_names is not None:
        meant = {slugify(name) for name in subscription.section_names}
        chosen_by = dict(zip(subscription.sections, subscription.section_names, strict=False))
    sections: list[str] = []
    for slug in subscription.sections:
        given = older.get(slug, {})
        name = chosen_by.get(slug)
        if name is not None and name in given:
            sections.append(given[name])
            continue
        sections.append(slug)
        sections += [now for now in given.values() if meant is None or now in meant]
    return Target(
        guild_id=subscription.guild_id,
        channel_id=subscription.channel_id,
        kind=kind,
        role_id=subscription.role_id,
        sections=tuple(dict.fromkeys(sections)),
        alerts_channel_id=subscription.alerts_channel_id,
    )


async def slugs_given_before(archive: Archive, slugs: Sequence[str]) -> dict[str, dict[str, str]]:
    """Of `slugs`, those an older newsbot gave sections named in other scripts, each with
    those names and the slugs they have today: `section` for `## 業界` (today `業界`), `ai` for
    `## AI ニュース` (today `ai-ニュース`), as `bot.models.ascii_slug` tells.

    A channel set up then for such a section keeps that slug, which the issues archived then
    keep too; today's issues have the section under its new slug, which the channel must get
    as it got the old. A slug the editor set so (`## AI ニュース {#ai}`) stays the section's
    (`bot.store.sections.slugged_before`)."""
    found: dict[str, dict[str, str]] = {}
    archived = await archived_near(slugs, archive.issues.names_under) if slugs else []
    for slug, name in slugged_before(archived):
        if slug in slugs:
            found.setdefault(slug, {})[name] = slugify(name)
    return found


def from_settings(declared: TargetSettings) -> Target:
    """A channel declared in the config file; its kind is read from Discord when it publishes."""
    return Target(
        guild_id=declared.guild_id,
        channel_id=declared.channel_id,
        role_id=declared.role_id,
        sections=tuple(slugify(name) for name in declared.sections),
        alerts_channel_id=declared.alerts_channel_id,
    )


async def all_targets(
    archive: Archive, settings: Settings, *, guild_id: int | None = None
) -> list[Target]:
    """Every channel that receives issues (of one server, with `guild_id`), each once.

    A channel both declared and set up with /newsletter follows its /newsletter setup.
    """
    subscriptions = await archive.subscriptions.list(guild_id=guild_id)
    older = await slugs_given_before(archive, [slug for s in subscriptions for slug in s.sections])
    targets = [from_subscription(s, older) for s in subscriptions]
    stored = {t.channel_id for t in targets}
    declared: Sequence[TargetSettings] = settings.discord.targets
    targets += [
        from_settings(d)
        for d in declared
        if d.channel_id not in stored and (guild_id is None or d.guild_id == guild_id)
    ]
    return targets
