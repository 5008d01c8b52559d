"""/newsletter: server managers choose where issues are posted, check on it, publish, preview."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NO_MENTIONS, reply
from bot.errors import IssueNotFound, IssueNotPublic
from bot.models import Issue, Subscription
from bot.publishing.outlet import Outlet
from bot.publishing.plans.discord import Action, ChannelKind, Target, plan
from bot.publishing.targets import all_targets
from bot.render.discord import (
    CHOICE_NAME_MAX,
    CHOICE_VALUE_MAX,
    CHOICES_MAX,
    CONTENT_MAX,
    EMBED_DESCRIPTION_MAX,
    fit_lines,
    issue_choice_name,
    plain_name,
    sections_typed,
    thread_embed,
    x_thread_embed,
)
from bot.render.publish import digest
from bot.render.text import label
from bot.render.x import LinkMode
from bot.render.x import thread as x_thread
from bot.status import gather_status, status_lines
from bot.store import Archive
from bot.store.held import release_time
from bot.store.sections import named_today
from cogs.choices import in_time
from cogs.newsletter._channels import (
    fallback_line,
    fallback_tags,
    kind_of,
    missing_for_alerts,
    missing_permissions,
    problems,
    refused_forum,
)
from cogs.newsletter._roles import carried, refused_at_setup
from cogs.newsletter._sections import parse_sections, shown_sections, with_section_names
from cogs.newsletter._views import NotifyButton

if TYPE_CHECKING:
    from bot.app import Newsbot
    from bot.publishing.catalogue import ThreadOutlet

log = logging.getLogger(__name__)

MANAGERS_ONLY = "Only server managers (Manage Server) can use /newsletter."
SECTIONS_MAX = 1000


class Newsletter(commands.Cog):
    """Where issues are published, and publishing them, for the server's managers.

    A manager's command waits for the archive as a reader's does (`Archive.answering`): with
    its database server out of reach they are told so, with the readers' words, within
    Discord's 3 s, not left with "The application did not respond" after 30 s."""

    newsletter = app_commands.Group(
        name="newsletter",
        description="Choose where new issues are posted, and publish them.",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(self, bot: Newsbot) -> None:
        self.bot = bot
        self.archive: Archive = bot.archive
        services = bot.services
        if services is None or services.discord is None:
            raise RuntimeError("the bot was built without its services (see bot.wiring)")
        self.engine = services.engine
        self.outlet = services.discord
        self.threads = services.threads

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(NotifyButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(NotifyButton)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Refuse anyone without Manage Server, even if the command was shown to them."""
        if interaction.permissions.manage_guild:
            return True
        raise app_commands.MissingPermissions(["manage_guild"])

    # --- autocomplete ----------------------------------------------------------------------

    async def section_choices(
        self, _: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Section names for a comma-separated list: completes the name being typed."""
        done, _comma, typing = current.rpartition(",")
        head = ", ".join(p.strip() for p in done.split(",") if p.strip())
        every = await self.archive.issues.sections_today(limit=None)
        names = sections_typed(typing, every, CHOICES_MAX)
        choices = []
        for _slug, name in names:
            value = f"{head}, {name}" if head else name
            if len(value) <= CHOICE_VALUE_MAX:
                # The value is the name as written, which the sections are matched by; the
                # choice shows it as it reads.
                shown = plain_name(name, CHOICE_NAME_MAX)
                shown = label(f"{head}, {shown}" if head else shown, CHOICE_NAME_MAX)
                choices.append(app_commands.Choice(name=shown, value=value))
        return choices

    async def issue_choices(
        self, _: discord.Interaction, current: str, *, held: bool = True
    ) -> list[app_commands.Choice[int]]:
        """Archived issues whose number starts with what was typed, newest first; those held
        back until their publish_at too, unless `held` is False."""
        issues = await self.archive.issues.issues(
            prefix=current.strip(), limit=CHOICES_MAX, held=held
        )
        return [app_commands.Choice(name=issue_choice_name(i), value=i.number) for i in issues]

    # --- commands --------------------------------------------------------------------------

    @newsletter.command(name="setup", description="Post each new issue in a channel.")
    @app_commands.describe(
        channel="A text, announcement or forum channel for the digest and section threads.",
        role="A role to ping when an issue lands; readers get it with the Notify me button.",
        sections="Only these sections (comma-separated names), e.g. Industry, Learning.",
        alerts_channel="Where I say so if publishing to this channel fails.",
    )
    async def setup(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | discord.ForumChannel,
        role: discord.Role | None = None,
        sections: str | None = None,
        alerts_channel: discord.TextChannel | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        kind = kind_of(channel)
        if kind is None:
            await reply(interaction, "Pick a text, announcement or forum channel.")
            return
        missing = missing_permissions(channel, guild.me, kind)
        if missing:
            await reply(
                interaction,
                f"I can't publish in {channel.mention} yet: I need {carried(missing)} there. "
                "Give my role those permissions in the channel's settings, then run "
                "/newsletter setup again.",
            )
            return
        mute = missing_for_alerts(alerts_channel, guild.me) if alerts_channel else []
        if alerts_channel is not None and mute:
            # An alert that cannot be posted is only logged: the managers would never see one.
            await reply(
                interaction,
                f"I can't post alerts in {alerts_channel.mention}: I need {carried(mute)} there. "
                "Give my role those permissions in the channel's settings (or pick another "
                "alerts channel), then run /newsletter setup again.",
            )
            return
        untaggable = isinstance(channel, discord.ForumChannel) and refused_forum(channel, guild.me)
        if untaggable:
            await reply(interaction, f"{untaggable} Then run /newsletter setup again.")
            return
        async with self.archive.answering():  # out of reach, said at once (see the class)
            chosen, problem = parse_sections(await self._known_sections(), sections or "")
            if problem is not None:
                await reply(interaction, problem)
                return
            refused = refused_at_setup(role, channel, guild.me) if role is not None else None
            if refused is not None:
                await reply(interaction, refused)
                return
            subscribed = await self.archive.subscriptions.list(guild_id=guild.id)
            earlier = next((s for s in subscribed if s.channel_id == channel.id), None)
            now = Subscription(
                guild_id=guild.id,
                channel_id=channel.id,
                kind=kind,
                role_id=role.id if role else None,
                sections=tuple(chosen),
                alerts_channel_id=alerts_channel.id if alerts_channel else None,
                section_names=tuple(chosen.values()),
            )
            await self.archive.subscriptions.add(now)
        done = _set_up(channel, kind, role, list(chosen.values()), alerts_channel, guild.me)
        if earlier is not None:
            done += "\n" + _replaced(earlier, now)
        await reply(interaction, done)

    @setup.autocomplete("sections")
    @in_time
    async def _setup_sections(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.section_choices(interaction, current)

    async def _known_sections(self) -> dict[str, str]:
        """Each section's name by its slug, as readers know them today (`sections_today`): a
        channel set up for one gets it under the slug an older newsbot gave it too, and not
        the other sections given that slug then (`Section.answers_to`)."""
        return dict(await self.archive.issues.sections_today(limit=SECTIONS_MAX))

    @newsletter.command(name="unsubscribe", description="Stop posting new issues in a channel.")
    @app_commands.describe(channel="The channel (default: this one).")
    async def unsubscribe(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | discord.ForumChannel | None = None,
    ) -> None:
        here = interaction.channel
        # In a thread or forum post "this one" is its channel: no thread receives issues, and
        # a forum has no message box, so commands are run there only inside a post.
        where = here.parent_id if isinstance(here, discord.Thread) else interaction.channel_id
        channel_id = channel.id if channel else where
        assert channel_id is not None
        async with self.archive.answering():  # out of reach, said at once (see the class)
            removed = await self.archive.subscriptions.remove(channel_id)
        declared = any(t.channel_id == channel_id for t in self.bot.settings.discord.targets)
        if declared:
            # The config file's channels are the deployment's: no command takes them out.
            why = (
                "as the config file declares it (discord.targets): only taking it out there "
                "stops them."
            )
            if removed:
                await reply(
                    interaction,
                    f"Done: <#{channel_id}> no longer follows its /newsletter setup, but it "
                    f"still receives issues {why}",
                )
            else:
                await reply(interaction, f"<#{channel_id}> receives issues {why}")
        elif removed:
            await reply(
                interaction, f"Done: new issues will no longer be posted in <#{channel_id}>."
            )
        else:
            await reply(interaction, f"<#{channel_id}> was not receiving issues.")

    @newsletter.command(
        name="status", description="Where issues are posted, how it went, and what comes next."
    )
    async def status(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild_id is not None
        async with self.archive.answering():  # out of reach, said at once (see the class)
            found = await gather_status(
                self.archive,
                self.bot.settings,
                now=discord.utils.utcnow(),
                guild_id=interaction.guild_id,
            )
            targets = await all_targets(
                self.archive, self.bot.settings, guild_id=interaction.guild_id
            )
            slugs = [slug for target in targets for slug in target.sections]
            _, known = await named_today(self.archive.issues, slugs)
        lines = status_lines(with_section_names(found, known), mentions=True)
        if interaction.guild is not None:
            lines = problems(interaction.guild, targets) + lines
        embed = discord.Embed(title="Newsletter status", description=_fit(lines))
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @newsletter.command(name="publish", description="Publish an issue to this server's channels.")
    @app_commands.describe(issue="The issue's number; start typing to see the issues.")
    async def publish(
        self, interaction: discord.Interaction, issue: app_commands.Range[int, 1, 999_999]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild_id is not None
        # What it publishes is read as a question is (see the class); the publish itself
        # waits out an outage, as the schedule's does, for it may have sent part of the issue.
        async with self.archive.answering():
            found = await self._issue(interaction, issue)
            if found is None or await self._held(interaction, found):
                return
            targets = await all_targets(
                self.archive, self.bot.settings, guild_id=interaction.guild_id
            )
        if not targets:
            await reply(interaction, "No channel here receives issues: use /newsletter setup.")
            return
        report = await self.engine.publish(found, self.outlet, targets)
        lines = [f"#{found.number}:"]
        lines += [f"• <#{t.target.channel_id}>: {t.summary()}" for t in report.targets]
        await reply(interaction, fit_lines(lines, CONTENT_MAX))

    @publish.autocomplete("issue")
    @in_time
    async def _publish_issue(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return await self.issue_choices(interaction, current, held=False)

    async def _held(self, interaction: discord.Interaction, issue: Issue) -> bool:
        """Whether `issue` is held back until its publish_at, which the manager is told: its
        time is the editors', and anything of it sent would show it to every server's
        readers at once."""
        try:
            await self.archive.issues.issue(issue.number)
        except IssueNotPublic:
            assert issue.publish_at is not None
            when = release_time(issue.publish_at, ZoneInfo(self.bot.settings.schedule.timezone))
            await reply(
                interaction,
                f"Issue #{issue.number} is held back until {discord.utils.format_dt(when, 'F')}, "
                "its publish_at: it goes out then. Publishing it earlier is for the "
                f"newsletter's editors (`newsbot publish {issue.number} --early`).",
            )
            return True
        return False

    @newsletter.command(name="preview", description="See the digest an issue would post.")
    @app_commands.describe(issue="The issue's number (default: the newest).")
    async def preview(
        self,
        interaction: discord.Interaction,
        issue: app_commands.Range[int, 1, 999_999] | None = None,
    ) -> None:
        async with self.archive.answering():  # out of reach, said at once (see the class)
            if issue is None:
                found = await self.archive.issues.latest(held=True)
                if found is None:
                    await reply(interaction, "The archive has no issues yet.")
                    return
            else:
                maybe = await self._issue(interaction, issue)
                if maybe is None:
                    return
                found = maybe
        steps = plan(found, [Target(guild_id=0, channel_id=0, kind="text")])
        threads = sum(1 for s in steps if s.action == Action.THREAD)
        messages = sum(1 for s in steps if s.action == Action.MESSAGE) - 1
        summary = (
            f"Publishing #{found.number} posts this digest, and {threads} threads holding "
            f"{messages} messages ({len(steps)} API calls per text channel)."
        )
        embeds = [discord.Embed.from_dict(e) for e in digest(found).to_dict()["embeds"]]
        await interaction.response.send_message(
            summary, embeds=embeds, ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        x = self.bot.settings.x
        on_x = x_thread(found, links=LinkMode(x.links), max_posts=x.max_posts)
        rendered = x_thread_embed(on_x, cost=on_x.cost(x.post_price, x.url_post_price))
        await interaction.followup.send(
            embed=discord.Embed.from_dict(rendered.to_dict()),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        for outlet in self.threads:
            if outlet.name != "x":
                await self._preview_thread(interaction, found, outlet)

    async def _preview_thread(
        self, interaction: discord.Interaction, found: Issue, outlet: Outlet[Any]
    ) -> None:
        """The issue's thread on a configured outlet beyond X, within its platform's limits."""
        await outlet.targets()  # the account, and the platform's limits (Mastodon's)
        on_it = cast("ThreadOutlet", outlet).rendered(found)
        await interaction.followup.send(
            embed=discord.Embed.from_dict(thread_embed(on_it, outlet.title).to_dict()),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @preview.autocomplete("issue")
    @in_time
    async def _preview_issue(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return await self.issue_choices(interaction, current)

    async def _issue(self, interaction: discord.Interaction, number: int) -> Issue | None:
        try:
            return await self.archive.issues.issue(number, held=True)
        except IssueNotFound:
            await reply(interaction, f"Issue #{number} isn't in the archive.")
            return None


def _set_up(
    channel: discord.TextChannel | discord.ForumChannel,
    kind: ChannelKind,
    role: discord.Role | None,
    sections: list[str],
    alerts_channel: discord.TextChannel | None,
    me: discord.Member,
) -> str:
    """What /newsletter setup tells the manager it set up, and what it still needs (`me`:
    the bot in that server)."""
    lines = [f"Done: each new issue will be posted in {channel.mention}."]
    if isinstance(channel, discord.ForumChannel):
        lines.append("It gets one post per section, tagged by section, and the digest.")
        if fallback := fallback_tags(channel):
            lines.append(fallback_line(fallback))
    else:
        lines.append("It gets a digest and one thread per section.")
    if kind == "announcement":
        lines.append("The digest is crossposted to the servers that follow the channel.")
    if role is not None:
        lines.append(f"The digest pings {role.mention}; readers join it with *Notify me*.")
        if not me.guild_permissions.manage_roles or role >= me.top_role:
            lines.append("⚠️ To hand out that role I need Manage Roles and my role above it.")
    if sections:
        lines.append(f"Sections: {shown_sections(sections)}.")
    if alerts_channel is not None:
        lines.append(f"Problems will be reported in {alerts_channel.mention}.")
    return "\n".join(lines)


def _replaced(earlier: Subscription, now: Subscription) -> str:
    """What /newsletter setup says when it replaces a channel's earlier setup: what the
    channel no longer gets, which the options left out took away."""
    lost = []
    if earlier.role_id is not None and earlier.role_id != now.role_id:
        lost.append(f"pings <@&{earlier.role_id}>")
    if earlier.alerts_channel_id not in (None, now.alerts_channel_id):
        lost.append(f"reports problems in <#{earlier.alerts_channel_id}>")
    line = "This replaces the channel's earlier setup"
    if lost:
        line += f": it no longer {' or '.join(lost)}"
    if earlier.sections and not now.sections:
        line += "; it now gets every section"
    return line + "."


def _fit(lines: list[str], limit: int = EMBED_DESCRIPTION_MAX) -> str:
    """The lines joined within `limit` characters; those that do not fit are counted instead."""
    text = "\n".join(lines)
    if len(text) <= limit:
        return text
    room = limit - len(f"\n… and {len(lines)} more lines")
    kept: list[str] = []
    size = -1  # no newline before the first line
    for line in lines:
        if size + 1 + len(line) > room:
            break
        kept.append(line)
        size += 1 + len(line)
    return "\n".join([*kept, f"… and {len(lines) - len(kept)} more lines"])
