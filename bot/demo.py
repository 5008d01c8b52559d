"""The demo: the Discord and X emulators on loopback, the real `newsbot run` on a schedule that
fires every few seconds, an editor, and a reader.

Nothing here needs an account or the network beyond 127.0.0.1. The editor subscribes three
channels and saves the issue file in the folder newsbot watches; newsbot publishes it on its
own at the next firing, to Discord and to X. The demo prints, with rich, what a reader and the
editor see. With `keep`, everything stays up afterwards and a person plays the reader.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.text import Text

from bot.cli._console import ISSUE_NUMBER_MAX
from bot.errors import NewsbotError
from bot.issuefiles import LoadResult
from bot.render.x_text import POST_MAX, weighted_length
from bot.sandbox._violations import Violation
from bot.sandbox.discord import (
    Channel,
    DefaultWorld,
    Emulator,
    EmulatorConfig,
    Message,
    MessageHandle,
    Role,
    World,
)
from bot.sandbox.x import Tweet, XEmulator
from bot.schedule import triggers
from bot.schedule.cron import cron_trigger
from bot.settings import env_name, secret_keys
from bot.store import Archive
from bot.text import MENTION

BUNDLED_ISSUES = Path(__file__).resolve().parents[1] / "issues"
"""The sample issues beside the package: `issues/` of the checkout newsbot is installed from."""
CRON = "*/5 * * * * *"
"""Every five seconds (the sixth field, in front, is seconds)."""
BOT_START_TIMEOUT = 60.0
ANSWER_TIMEOUT = 10.0
PUBLISH_TIMEOUT = 60.0
QUIET_TIMEOUT = 3.0
"""How long a reader's plain message waits for newsbot, which may rightly say nothing."""
POLL_SECONDS = 0.1
SUGGESTED_LINK = "https://example.org/papers/distillation-survey"
SUGGESTION_THREAD = "Papers & Publications"
EXIT_INTERRUPTED = 130
EXIT_REFUSED = 1

KEEP_HELP = """\
/latest [section]   the newest issue, or one of its sections (e.g. /latest section:Learning)
/search <words>     search the archive (section:, issue:, since: narrow it); then `next` and
                    `previous` turn the page
/issue <number>     any issue in the archive
/suggest <url>      suggest a link for the next issue (note: and section: after it)
/reply <text>       reply in the 🧵 {thread} thread (a link in it is a suggestion)
anything else       posted in #general, then “Find related links” on it
help, quit          (Ctrl-D and Ctrl-C quit too)"""


class Screen:
    """Draws Discord messages in the terminal the way a reader's client shows them."""

    def __init__(self, world: World) -> None:
        self.world = world

    def named(self, text: str) -> str:
        """`<#id>`, `<@&id>` and `<@id>` as the names Discord would show."""

        def name(match: re.Match[str]) -> str:
            kind = match["kind"]
            if kind is None:
                return match[0]  # @everyone and @here show as written
            number = int(match["id"])
            if kind == "#":
                channel = self.world.channels.get(number)
                return f"#{channel.name}" if channel else match.group(0)
            if kind == "@&":
                for guild in self.world.guilds.values():
                    if number in guild.roles:
                        return f"@{guild.roles[number].name}"
                return match.group(0)
            user = self.world.users.get(number)
            return f"@{user.username}" if user else match.group(0)

        return MENTION.sub(name, text)

    def markdown(self, text: str) -> Markdown:
        """Markdown rendered like Discord does, where a single newline is a line break."""
        return Markdown(self.named(text).replace("\n", "  \n"), hyperlinks=False)

    def message(self, message: Message, *, who: str) -> RenderableType:
        """A message as a reader sees it: text, then each embed as a card, then buttons."""
        parts: list[RenderableType] = []
        if message.content:
            parts.append(self.markdown(message.content))
        parts.extend(self.embed(embed) for embed in message.embeds)
        buttons = [c for row in message.components for c in row.get("components", [])]
        if buttons:
            labels = "  ".join(
                f"[{b.get('label', '?')}{' (disabled)' if b.get('disabled') else ''}]"
                for b in buttons
            )
            parts.append(Text(labels, style="cyan"))
        private = " · only you can see this" if message.flags & 64 else ""
        return Panel(Group(*parts), title=f"newsbot → {who}{private}", title_align="left")

    def posted(self, message: Message, *, where: str) -> RenderableType:
        """A person's message, with the reactions it got and who gave them."""
        parts: list[RenderableType] = [self.markdown(message.content)]
        for emoji, reaction in message.reactions.items():
            names = ", ".join(
                user.username
                for user_id in reaction.user_ids
                if (user := self.world.users.get(user_id)) is not None
            )
            parts.append(Text(f"{emoji} {len(reaction.user_ids)} · {names}", style="green"))
        return Panel(
            Group(*parts),
            title=f"{message.author.username} in {where}",
            title_align="left",
            border_style="green",
        )

    def embed(self, embed: dict[str, Any]) -> RenderableType:
        """An embed as a card: title (and link), description, fields and footer."""
        parts: list[RenderableType] = []
        title = Text(_UNESCAPE.sub(r"\1", self.named(str(embed.get("title", "")))), style="bold")
        if embed.get("url"):
            title.append(f"\n{embed['url']}", style="blue underline")
        parts.append(title)
        if embed.get("description"):
            parts.append(self.markdown(str(embed["description"])))
        for field_ in embed.get("fields", []):
            parts.append(Text(str(field_["name"]), style="bold magenta"))
            parts.append(self.markdown(str(field_["value"])))
        if embed.get("footer"):
            parts.append(Text(str(embed["footer"].get("text", "")), style="dim"))
        return Panel(Group(*parts), border_style="blue")


_UNESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!~|>])")
"""A markdown escape, which Discord shows as the character alone (titles are drawn as text)."""


# --- the stage: emulators, the archive, `newsbot run` -------------------------------------------


def bundled_issues() -> Path:
    """The folder of the sample issues the demo publishes, wherever newsbot is run from.

    Raise `NewsbotError` saying what is needed when newsbot was installed without them.
    """
    if not (BUNDLED_ISSUES / "202.md").is_file():
        raise NewsbotError(
            f"the demo needs newsbot's sample issue, issues/202.md of its source, and it is not "
            f"beside this installation (looked in {BUNDLED_ISSUES}). Install newsbot from a "
            "checkout in editable mode, as `python3 dev.py demo` does, and run it again"
        )
    return BUNDLED_ISSUES


@dataclass(frozen=True)
class DemoSettings:
    """The demo's settings, written in its scratch folder for `newsbot run` and for a person:
    a config file, and the emulators' keys in an env file (secrets come from the environment
    only)."""

    config: Path
    secrets: Path
    db: Path

    def env(self) -> dict[str, str]:
        """The caller's environment without its own NEWSBOT_ settings, plus the keys."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
        keys = self.secrets.read_text(encoding="utf-8").splitlines()
        return env | dict(line.split("=", 1) for line in keys if "=" in line)

    def args(self, *command: str) -> list[str]:
        """`newsbot`'s arguments for `command` with the demo's settings."""
        return ["--config", str(self.config), "--db", str(self.db), *command]

    def shell(self, *command: str) -> str:
        """The shell command a person types to run `newsbot COMMAND` with these settings."""
        return f"env $(cat {self.secrets}) newsbot {' '.join(self.args(*command))}"


def write_settings(
    scratch: Path, emulator: Emulator, x: XEmulator, seed: DefaultWorld, db: Path, issues: Path
) -> DemoSettings:
    """Write the demo's settings: both emulators, the scratch archive and folder, the schedule,
    and reader replies read."""
    secret = {env_name(key) for key in secret_keys()}
    keys = {"NEWSBOT_DISCORD__TOKEN": emulator.token} | {
        name: value for name, value in x.env().items() if name in secret
    }
    x_api = x.env()["NEWSBOT_X__API_BASE"]
    tables: dict[str, dict[str, Any]] = {
        "archive": {"path": str(db)},
        "issues": {"directory": str(issues)},
        "discord": {
            "api_base": emulator.api_base,
            "gateway_url": emulator.gateway_url,
            "dev_guild": seed.guild.id,
            "message_content": True,
        },
        "x": {"api_base": x_api},
        "schedule": {"cron": CRON, "catch_up": "none"},
        "log": {"level": "WARNING"},
    }
    config = scratch / "newsbot.toml"
    config.write_text(
        "# The demo's settings; its keys are in secrets.env beside this file.\n"
        + "".join(
            f"\n[{name}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in table.items())
            for name, table in tables.items()
        ),
        encoding="utf-8",
    )
    secrets = scratch / "secrets.env"
    secrets.touch(mode=0o600)
    secrets.write_text("".join(f"{k}={v}\n" for k, v in keys.items()), encoding="utf-8")
    return DemoSettings(config, secrets, db)


@dataclass
class Stage:
    """Everything the demo runs: both emulators, the scratch archive and folder, the bot."""

    emulator: Emulator
    x: XEmulator
    seed: DefaultWorld
    console: Console
    db: Path
    issues: Path
    settings: DemoSettings
    process: asyncio.subprocess.Process | None = None
    number: int = 0
    """The issue the schedule published."""

    @property
    def suggestion_thread(self) -> str:
        """The name of the section thread the reader replies in."""
        return f"#{self.number} · {SUGGESTION_THREAD}"


@contextlib.asynccontextmanager
async def bot_process(settings: DemoSettings) -> AsyncIterator[asyncio.subprocess.Process]:
    """`newsbot run` with the demo's settings in its own process, stopped with SIGTERM.

    It stays in the demo's process group: a Ctrl-C or a closed terminal reaches it too, so it
    is never left running without the emulators.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *settings.args("run"),
        env=settings.env(),
        stdin=asyncio.subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


async def last_firing(db: Path) -> dict[str, Any] | None:
    """What the schedule's last run recorded in the archive `newsbot run` writes to."""
    try:
        async with await Archive.open(db, create=False) as archive:
            value = await archive.state.get(triggers.LAST_FIRING_KEY)
    except (NewsbotError, sqlite3.Error):  # not made or migrated yet, or busy: poll again
        return None
    found: dict[str, Any] | None = json.loads(value) if value else None
    return found


async def _wait_for_commands(stage: Stage) -> None:
    process = stage.process
    assert process is not None

    def ready() -> bool | None:
        if process.returncode is not None:
            raise NewsbotError(f"`newsbot run` exited early with code {process.returncode}")
        return True if stage.emulator.synced_commands(stage.seed.guild) else None

    try:
        await stage.emulator.wait_until(ready, timeout=BOT_START_TIMEOUT)
    except TimeoutError:
        raise NewsbotError(
            f"`newsbot run` did not come online within {BOT_START_TIMEOUT:.0f} s"
        ) from None


async def wait_for_publish(stage: Stage, number: int) -> list[dict[str, Any]]:
    """Until the schedule's firings published issue `number` to Discord and X; those firings."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PUBLISH_TIMEOUT
    seen: dict[str, dict[str, Any]] = {}
    done: set[str] = set()
    while done != set(triggers.OUTLETS):
        if stage.process is not None and stage.process.returncode is not None:
            raise NewsbotError(f"`newsbot run` exited with code {stage.process.returncode}")
        run = await last_firing(stage.db)
        if run is not None and run["at"] not in seen:
            outlets = {o for o, numbers in run["published"].items() if number in numbers}
            if outlets or run["failures"]:
                seen[run["at"]] = run
            done |= outlets
        if loop.time() > deadline:
            raise NewsbotError(
                f"no firing of the schedule published #{number} to Discord and X within "
                f"{PUBLISH_TIMEOUT:.0f} s; the last one recorded: {json.dumps(run)}"
            )
        await asyncio.sleep(POLL_SECONDS)
    return list(seen.values())


# --- the editor ---------------------------------------------------------------------------------


class Editor:
    """Plays the server's manager: subscribes channels, reviews suggestions, asks for status."""

    def __init__(self, emulator: Emulator, seed: DefaultWorld, console: Console) -> None:
        self.emulator = emulator
        self.seed = seed
        self.console = console
        self.screen = Screen(emulator.world)

    async def command(
        self, name: str, sub: str, *, followups: int = 0, **options: Any
    ) -> list[Message]:
        """Run `/name sub …` as the manager and print newsbot's answer (and its follow-ups)."""
        shown = " ".join(f"{key}:{_shown(value)}" for key, value in options.items())
        who = self.seed.manager.username
        typed = f"/{name} {sub} {shown}".rstrip()
        self.console.print(Text(f"\n{who} (editor) › {typed}", style="bold cyan"))
        handle = await self.emulator.run_slash_command(
            self.seed.guild, self.seed.general, self.seed.manager, name, options, subcommand=sub
        )
        answers = [await handle.original(timeout=ANSWER_TIMEOUT)]
        if followups:
            more = await handle.followups(followups, timeout=ANSWER_TIMEOUT)
            answers += [m for m in more if m.id != answers[0].id]
        for answer in answers:
            self.console.print(self.screen.message(answer, who=who))
        return answers

    async def newsletter(self, sub: str, **options: Any) -> list[Message]:
        """`/newsletter sub …`."""
        return await self.command("newsletter", sub, **options)

    def show_channel(self, channel: Channel, *, digest: bool = True) -> None:
        """Print what a reader finds in a channel: its digest (whole, or as one line), then
        each thread or forum post."""
        self.console.rule(f"#{channel.name}, as a reader sees it")
        world = self.emulator.world
        for message in self.emulator.messages_in(channel):
            if not message.embeds:  # "started a thread" notices are Discord's own
                continue
            if digest:
                self.console.print(self.screen.message(message, who=f"#{channel.name}"))
            else:
                title = self.screen.named(str(message.embeds[0].get("title", "")))
                self.console.print(
                    Text(f"  📰 the digest: {title}", style="bold")
                    + Text(f"  {len(message.embeds)} card(s)", style="dim")
                )
        threads = [
            c for c in world.channels.values() if c.parent_id == channel.id and not c.deleted
        ]
        tags = {tag.id: tag.name for tag in channel.available_tags}
        for thread in threads:
            messages = self.emulator.messages_in(thread)
            labels = ", ".join(tags[t] for t in thread.applied_tags if t in tags)
            items = sum(len(m.embeds) for m in messages)
            self.console.print(
                Text(f"  🧵 {thread.name}", style="bold")
                + Text(f"  {len(messages)} message(s), {items} card(s)", style="dim")
                + Text(f"  [{labels}]" if labels else "", style="magenta")
            )

    def show_thread(self, channel: Channel, name: str) -> None:
        """Print the messages of one of a channel's threads."""
        thread = thread_named(self.emulator.world, channel, name)
        if thread is not None:
            self.console.rule(f"🧵 {name} in #{channel.name}, opened")
            for message in self.emulator.messages_in(thread):
                self.console.print(self.screen.message(message, who=name))


def thread_named(world: World, channel: Channel, name: str) -> Channel | None:
    """The live thread (or forum post) of `channel` called `name`."""
    for thread in world.channels.values():
        if thread.parent_id == channel.id and thread.name == name and not thread.deleted:
            return thread
    return None


def _shown(value: Any) -> str:
    if isinstance(value, Role):
        return f"@{value.name}"
    if isinstance(value, Channel):
        return f"#{value.name}"
    return str(value)


def show_x_thread(console: Console, x: XEmulator) -> None:
    """Print the account's posts on X as a thread: each with its weighted length (twitter-text,
    as newsbot's renderer counts it) and the post it replies to."""
    tweets = x.live_tweets()
    console.rule(f"X: @{x.config.username}'s thread, as a reader sees it")
    position = {tweet.id: number for number, tweet in enumerate(tweets, start=1)}
    for number, tweet in enumerate(tweets, start=1):
        console.print(_x_post(tweet, number, len(tweets), position))
    weights = [weighted_length(tweet.text) for tweet in tweets]
    console.print(
        f"{len(tweets)} posts, the longest {max(weights, default=0)}/{POST_MAX} weighted "
        f"characters (twitter-text: a URL counts 23, an emoji 2); X's pay-per-use price for "
        f"them: ${x.cost:.3f}."
    )


def _x_post(tweet: Tweet, number: int, total: int, position: dict[int, int]) -> RenderableType:
    title = f"post {number}/{total} · {weighted_length(tweet.text)}/{POST_MAX}"
    if tweet.in_reply_to is not None:
        title += f" · ↳ replies to post {position.get(tweet.in_reply_to, '?')}"
    if tweet.quote_of is not None:
        title += f" · quotes post {position.get(tweet.quote_of, '?')}"
    return Panel(Text(tweet.text), title=title, title_align="left", border_style="bright_black")


# --- the reader ---------------------------------------------------------------------------------


class Reader:
    """Plays a reader in the emulated guild and prints what newsbot answers."""

    def __init__(self, emulator: Emulator, seed: DefaultWorld, console: Console) -> None:
        self.emulator = emulator
        self.seed = seed
        self.console = console
        self.screen = Screen(emulator.world)
        self.last_search: Message | None = None

    def say(self, what: str) -> None:
        """Print what the reader does."""
        self.console.print(Text(f"\n{self.seed.reader.username} › {what}", style="bold green"))

    async def slash(self, name: str, **options: Any) -> Message:
        """Run a slash command and print newsbot's answer."""
        shown = " ".join(f"{key}:{value}" for key, value in options.items())
        self.say(f"/{name} {shown}".rstrip())
        handle = await self.emulator.run_slash_command(
            self.seed.guild, self.seed.general, self.seed.reader, name, options
        )
        answer = await handle.original(timeout=ANSWER_TIMEOUT)
        self.console.print(self.screen.message(answer, who=self.seed.reader.username))
        if name == "search":
            self.last_search = answer
        return answer

    async def press(self, message: Message, custom_id: str, label: str) -> None:
        """Press a button and print the message as it is afterwards."""
        self.say(f"presses “{label}”")
        handle = await self.emulator.press_button(message, custom_id, self.seed.reader)
        await handle.response(timeout=ANSWER_TIMEOUT)
        self.console.print(self.screen.message(message, who=self.seed.reader.username))

    async def related(self, text: str) -> None:
        """Post a message in #general, then use “Find related links” on it."""
        self.say(f"posts in #{self.seed.general.name}: “{text}”")
        posted = await self.emulator.post_message(self.seed.general, self.seed.reader, text)
        self.say("right-clicks it → Apps → Find related links")
        handle = await self.emulator.message_context_menu(
            "Find related links", posted.message, self.seed.reader
        )
        answer = await handle.original(timeout=ANSWER_TIMEOUT)
        self.console.print(self.screen.message(answer, who=self.seed.reader.username))

    async def reply_in(self, thread: Channel, text: str, *, timeout: float) -> bool:  # noqa: ASYNC109
        """Post `text` in one of newsbot's threads; print how newsbot acknowledged it (a
        reaction, an answer), and whether it did within `timeout` seconds."""
        self.say(f"replies in 🧵 {thread.name}: “{text}”")
        posted = await self.emulator.post_message(thread, self.seed.reader, text)
        bot_id = self.seed.bot.id

        def answered() -> bool | None:
            reacted = any(bot_id in r.user_ids for r in posted.message.reactions.values())
            return True if reacted or _bot_replies(self.emulator, thread, posted) else None

        try:
            await self.emulator.wait_until(answered, timeout=timeout)
        except TimeoutError:
            self.console.print(self.screen.posted(posted.message, where=f"🧵 {thread.name}"))
            self.console.print(Text("  (newsbot says nothing to that)", style="dim"))
            return False
        await asyncio.sleep(0.2)  # an answer, if any, follows the reaction
        self.console.print(self.screen.posted(posted.message, where=f"🧵 {thread.name}"))
        for reply in _bot_replies(self.emulator, thread, posted):
            self.console.print(self.screen.message(reply, who=f"🧵 {thread.name}"))
        return True


def _bot_replies(emulator: Emulator, thread: Channel, posted: MessageHandle) -> list[Message]:
    bot_id = emulator.world.bot.id
    return [
        m
        for m in emulator.messages_in(thread)
        if m.id > posted.message.id and m.author.id == bot_id
    ]


def _has_button(rows: Sequence[dict[str, Any]], custom_id: str) -> bool:
    return any(c.get("custom_id") == custom_id for row in rows for c in row.get("components", []))


def _can_press(message: Message, custom_id: str) -> bool:
    return any(
        c.get("custom_id") == custom_id and not c.get("disabled")
        for row in message.components
        for c in row.get("components", [])
    )


# --- the script ---------------------------------------------------------------------------------


async def editor_subscribes(editor: Editor) -> None:
    """The editor's set-up: a text channel, the announcement channel (pinging a role), a forum."""
    seed = editor.seed
    editor.console.rule("The editor subscribes three channels")
    await editor.newsletter("setup", channel=seed.general)
    await editor.newsletter("setup", channel=seed.announcements, role=seed.newsletter_role)
    await editor.newsletter("setup", channel=seed.forum)


async def editor_saves_issue(stage: Stage, issues: LoadResult) -> int:
    """The editor saves the issue files in the folder newsbot watches; the newest's number.

    Each file appears whole (copied aside, then renamed): a firing never reads half of one.
    """
    console = stage.console
    numbers = sorted(issue.number for _, issue in issues.issues)
    for path, _ in issues.issues:
        aside = stage.issues / f".{path.name}.saving"
        shutil.copyfile(path, aside)
        aside.replace(stage.issues / path.name)
    now = dt.datetime.now(dt.UTC)
    (following,) = triggers.next_firings(cron_trigger(CRON, dt.UTC), now, 1)
    wait = max(0.0, (following - now).total_seconds())
    console.print(
        Text(
            f"\n{stage.seed.manager.username} (editor) saves "
            + ", ".join(path.name for path, _ in issues.issues)
            + f" in newsbot's issues folder ({stage.issues})",
            style="bold cyan",
        )
    )
    console.print(
        f"No /newsletter publish: newsbot publishes on its own. The schedule {CRON!r} fires "
        f"next at {following:%H:%M:%S} UTC (in {wait:.0f} s); it will read the folder and "
        f"publish #{numbers[-1]} to the three channels and to X…"
    )
    return numbers[-1]


def report_firings(stage: Stage, number: int, firings: list[dict[str, Any]]) -> None:
    """Say which firing(s) of the schedule published the issue, and what failed if anything."""
    for run in firings:
        at = dt.datetime.fromisoformat(run["at"])
        outlets = [
            {"discord": "Discord (3 channels)", "x": "X"}.get(outlet, outlet)
            for outlet, numbers in run["published"].items()
            if number in numbers
        ]
        stage.console.print(
            f"⏰ The schedule fired at {at:%H:%M:%S} UTC ({run['kind']}) and published "
            f"#{number} to {' and '.join(outlets) or 'nothing'}, by itself."
        )
        for failure in run["failures"]:
            stage.console.print(Text(f"  ⚠ {failure}", style="yellow"))


def show_published(stage: Stage, editor: Editor) -> None:
    """Each channel as a reader finds it, one section thread opened, then the X thread."""
    seed = stage.seed
    editor.show_channel(seed.announcements)
    editor.show_channel(seed.general, digest=False)
    editor.show_thread(seed.general, stage.suggestion_thread)
    editor.show_channel(seed.forum, digest=False)
    show_x_thread(stage.console, stage.x)


async def play(stage: Stage, reader: Reader) -> None:
    """What the demo's reader does, in order."""
    reader.console.rule("A reader tries newsbot")
    await reader.slash("latest")
    await reader.slash("search", query="knowledge distillation")
    first = await reader.slash("search", query="learning")
    if _has_button(first.components, "search:next"):
        await reader.press(first, "search:next", "Next")
    await reader.related("Does anyone have a good intro to federated learning on IoT devices?")
    await reader.slash("issue", number=7)
    thread = thread_named(stage.emulator.world, stage.seed.general, stage.suggestion_thread)
    if thread is not None:
        await reader.reply_in(
            thread, f"A survey that goes well with this paper: {SUGGESTED_LINK}", timeout=10
        )


async def editor_afterwards(stage: Stage, editor: Editor) -> None:
    """The editor's view: the suggested link, the status in Discord, then from the CLI."""
    stage.console.rule("The editor, afterwards")
    await editor.command("suggestions", "review", followups=1)
    await editor.newsletter("status")
    stage.console.rule("The same facts from the CLI")
    await cli_status(stage)


async def cli_status(stage: Stage) -> None:
    """Run `newsbot status` with the demo's settings, as a person would, and print what it
    says."""
    width = max(40, stage.console.width - 4)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *stage.settings.args("status"),
        env=stage.settings.env() | {"COLUMNS": str(width), "NO_COLOR": "1"},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), ANSWER_TIMEOUT * 3)
    stage.console.print(Text(f"$ {stage.settings.shell('status')}", style="cyan"), soft_wrap=True)
    title = "newsbot status"
    if process.returncode:
        title += f" · exit {process.returncode}"
    stage.console.print(
        Panel(Text(output.decode().rstrip()), title=title, title_align="left", border_style="cyan")
    )


# --- --keep: a person plays the reader ----------------------------------------------------------


class Stop:
    """SIGINT and SIGTERM: cancel the script, or end the `--keep` part (once; later ones are
    ignored so the clean-up runs to its end)."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.signalled: str | None = None
        self.keeping = False
        self._task = asyncio.current_task()
        self._installed: list[signal.Signals] = []

    def install(self) -> None:
        """Handle SIGINT and SIGTERM in the running loop (where the platform allows it)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, ValueError, RuntimeError):
                loop.add_signal_handler(sig, self._received, sig)
                self._installed.append(sig)

    def uninstall(self) -> None:
        """Give the signals back."""
        loop = asyncio.get_running_loop()
        for sig in self._installed:
            loop.remove_signal_handler(sig)

    def _received(self, sig: signal.Signals) -> None:
        if self.signalled is not None:
            return
        self.signalled = sig.name
        if self.keeping:
            self.event.set()
        elif self._task is not None:
            self._task.cancel()


@dataclass
class Lines:
    """Lines typed or piped on stdin, read by a daemon thread from the raw descriptor (no
    buffered-reader lock left held at exit, and the terminal's own modes untouched)."""

    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)

    def start(self) -> None:
        """Start reading in the background."""
        loop = asyncio.get_running_loop()
        threading.Thread(target=self._read, args=(loop,), daemon=True, name="demo-stdin").start()

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        pending = ""
        try:
            fd = sys.stdin.fileno()
            while chunk := os.read(fd, 4096):
                pending += decoder.decode(chunk)
                *whole, pending = pending.split("\n")
                for line in whole:
                    loop.call_soon_threadsafe(self.queue.put_nowait, line)
        except (OSError, ValueError):
            pass
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is listening
            if pending:
                loop.call_soon_threadsafe(self.queue.put_nowait, pending)
            loop.call_soon_threadsafe(self.queue.put_nowait, None)

    async def next(self, *stops: asyncio.Future[Any]) -> str | None:
        """The next line; None at the end of input or when one of `stops` is done."""
        line = asyncio.ensure_future(self.queue.get())
        done, _ = await asyncio.wait({line, *stops}, return_when=asyncio.FIRST_COMPLETED)
        if line in done:
            return line.result()
        line.cancel()
        return None


async def keep_running(stage: Stage, reader: Reader, stop: Stop) -> None:
    """Leave everything up; a person types reader actions (or, without a terminal, pipes
    them), until quit, the end of input on a terminal, Ctrl-C or SIGTERM."""
    console = stage.console
    stop.keeping = True
    if stop.signalled is not None:
        return
    console.rule("newsbot keeps running (--keep)")
    console.print(f"The scratch archive: {stage.db}", soft_wrap=True, markup=False)
    console.print(
        f"The demo's settings: {stage.settings.config}, its keys: {stage.settings.secrets}",
        soft_wrap=True,
        markup=False,
    )
    console.print("Meanwhile, in another terminal, these work against it:")
    for command in (("status",), ("search", "distillation")):
        console.print(f"  {stage.settings.shell(*command)}", soft_wrap=True, markup=False)
    interactive = sys.stdin.isatty()
    if interactive:
        console.print("Be the reader: type `help` for what you can do, `quit` to stop.")
    lines = Lines()
    lines.start()
    process = stage.process
    assert process is not None
    stopped = asyncio.ensure_future(stop.event.wait())
    exited = asyncio.ensure_future(process.wait())
    try:
        while True:
            if interactive:
                console.print(Text(f"\n{stage.seed.reader.username} › ", style="bold"), end="")
            line = await lines.next(stopped, exited)
            if line is None:
                break
            if line.strip().lower() in {"quit", "exit"}:
                return
            if line.strip().lower() in {"help", "?"}:
                console.print(Text(KEEP_HELP.format(thread=stage.suggestion_thread)))
                continue
            if line.strip():
                await act(stage, reader, line.strip())
        if exited.done():
            console.print(Text(f"`newsbot run` exited with code {process.returncode}", "red"))
        elif not stopped.done() and not interactive:
            console.print("stdin ended; newsbot keeps running until Ctrl-C or SIGTERM.")
            await asyncio.wait({stopped, exited}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        exited.cancel()
        console.print()


READER_OPTIONS: dict[str, tuple[str, ...]] = {
    "latest": ("section", "public"),
    "issue": ("number", "section", "public"),
    "search": ("query", "section", "issue", "since", "public"),
    "suggest": ("url", "note", "section"),
}
"""The reader commands typed in `--keep`, with their options as Discord names them. Text
typed without a name goes to the first option (`/search distillation`); for /suggest, its
first word is the link and the rest the note."""
REQUIRED = {"issue": "number", "search": "query", "suggest": "url"}
EXAMPLES = {
    "number": "/issue 202",
    "issue": "/search learning issue:202",
    "query": "/search distillation",
    "url": "/suggest https://example.org/paper",
    "public": "/latest public:true",
}
_OPTION_NAME = re.compile(r"(?:^|(?<=\s))([a-z_]+):(?!//)")
"""`name:` as Discord shows an option, at the start of a word (and not `https://`)."""


class ReaderMistake(ValueError):
    """A reader action the demo cannot send as typed; the message says what to type."""


def reader_options(command: str, rest: str) -> dict[str, Any]:
    """The options of `/command rest`, typed as Discord shows them (`/latest section:Industry`)
    or plainly (`/latest Industry`); raise `ReaderMistake` saying what is wrong."""
    names = READER_OPTIONS[command]
    marks = list(_OPTION_NAME.finditer(rest))
    if marks and marks[0].start() == 0 and marks[0].group(1) not in names:
        raise ReaderMistake(
            f"/{command} has no option {marks[0].group(1)!r}; its options: {', '.join(names)}"
        )
    marks = [m for m in marks if m.group(1) in names]
    given: dict[str, str] = {}
    plain = rest[: marks[0].start()] if marks else rest
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(rest)
        name = mark.group(1)
        if name in given:
            raise ReaderMistake(f"/{command}: {name} is given twice")
        given[name] = rest[mark.end() : end].strip()
        if not given[name]:
            raise ReaderMistake(f"/{command}: {name}: has no value")
    if plain.strip():
        first = names[0]
        if first in given:
            raise ReaderMistake(f"/{command}: {first} is given twice ({plain.strip()!r} too)")
        if command == "suggest":
            url, _, note = plain.strip().partition(" ")
            given["url"] = url
            if note.strip():
                if "note" in given:
                    raise ReaderMistake(f"/suggest: note is given twice ({note.strip()!r} too)")
                given["note"] = note.strip()
        else:
            given[first] = plain.strip()
    required = REQUIRED.get(command)
    if required is not None and required not in given:
        raise ReaderMistake(f"/{command} needs its {required}: type {EXAMPLES[required]}")
    return {name: _option_value(command, name, given[name]) for name in names if name in given}


def _option_value(command: str, name: str, value: str) -> Any:
    if name in {"number", "issue"}:
        if not value.isdigit() or not 1 <= int(value) <= ISSUE_NUMBER_MAX:
            raise ReaderMistake(
                f"/{command}: {name} takes an issue number from 1 to {ISSUE_NUMBER_MAX}, "
                f"not {value!r}: type {EXAMPLES[name]}"
            )
        return int(value)
    if name == "public":
        if value.lower() not in {"true", "false"}:
            raise ReaderMistake(f"/{command}: public is true or false, not {value!r}")
        return value.lower() == "true"
    return value


async def act(stage: Stage, reader: Reader, line: str) -> None:
    """One reader action typed in `--keep`; a mistake or a timeout is said, not raised."""
    word, _, rest = line.partition(" ")
    rest = rest.strip()
    command = word.removeprefix("/")
    try:
        if word.startswith("/") and command in READER_OPTIONS:
            await reader.slash(command, **reader_options(command, rest))
            if command == "search":
                _page_hint(stage, reader.last_search)
        elif word in {"next", "previous", "prev"}:
            await _turn(stage, reader, "next" if word == "next" else "previous")
        elif word == "/reply":
            if not rest:
                raise ReaderMistake("/reply needs the text of the reply: type /reply <text>")
            name = stage.suggestion_thread
            thread = thread_named(stage.emulator.world, stage.seed.general, name)
            if thread is None:
                stage.console.print(f"There is no thread {name} in #general.", markup=False)
            else:
                await reader.reply_in(thread, rest, timeout=QUIET_TIMEOUT)
        elif word.startswith("/"):
            known = ", ".join(f"/{name}" for name in [*READER_OPTIONS, "reply"])
            raise ReaderMistake(f"{word} is not a command the demo knows ({known}); type help")
        else:
            await reader.related(line)
    except (TimeoutError, ValueError, LookupError) as exc:
        stage.console.print(Text(f"  {exc}", style="red"))


def _page_hint(stage: Stage, message: Message | None) -> None:
    if message is None:
        return
    ways = [w for w in ("next", "previous") if _can_press(message, f"search:{w}")]
    if ways:
        shown = " or ".join(f"`{way}`" for way in ways)
        stage.console.print(Text(f"  (type {shown} to turn the page)", style="dim"))


async def _turn(stage: Stage, reader: Reader, way: str) -> None:
    message = reader.last_search
    custom_id = f"search:{way}"
    if message is None or not _can_press(message, custom_id):
        stage.console.print(f"There is no {way} page: /search <words> first.")
        return
    await reader.press(message, custom_id, way.capitalize())
    _page_hint(stage, message)


# --- the whole demo -----------------------------------------------------------------------------


async def run_demo(folder: Path, issues: LoadResult, *, keep: bool = False) -> int:
    """Start both emulators and `newsbot run`, play the editor and a reader; with `keep`, leave
    it all up for a person. The exit code: 0, 130 when interrupted during the script, or 1 when
    an emulator refused a request the real Discord or X would refuse."""
    console = Console(highlight=False)
    stop = Stop()
    stop.install()
    try:
        refused = await _run(console, stop, folder, issues, keep=keep)
    except asyncio.CancelledError:
        if stop.signalled is None:
            raise
        console.print(Text(f"\nstopped ({stop.signalled})", style="yellow"))
        return EXIT_INTERRUPTED
    finally:
        stop.uninstall()
    if refused:
        console.print(
            Text(
                f"The emulators refused {len(refused)} request(s) that Discord or X would "
                "refuse too:\n" + "\n".join(f"  {violation}" for violation in refused),
                style="red",
            )
        )
        return EXIT_REFUSED
    return 0


async def _run(
    console: Console, stop: Stop, bundled: Path, issues: LoadResult, *, keep: bool
) -> list[Violation]:
    """Play the demo; what the emulators refused because the real platforms would."""
    items = sum(len(issue.items) for _, issue in issues.issues)
    with tempfile.TemporaryDirectory(prefix="newsbot-demo-") as scratch:
        folder = Path(scratch) / "issues"
        folder.mkdir()
        console.rule("newsbot demo")
        console.print(
            f"The bundled issue files ({bundled}): "
            + ", ".join(f"#{issue.number}" for _, issue in issues.issues)
            + f", {items} items. Starting the Discord and X emulators on 127.0.0.1 and "
            f"`newsbot run` against them, with the schedule {CRON!r} (every 5 seconds) and "
            "catch_up none, a scratch archive and an empty issues folder…",
            markup=False,
        )
        async with (
            Emulator(config=EmulatorConfig()) as emulator,
            XEmulator() as x,
        ):
            seed = emulator.seed
            assert seed is not None
            db = Path(scratch) / "archive.db"
            settings = write_settings(Path(scratch), emulator, x, seed, db, folder)
            stage = Stage(emulator, x, seed, console, db, folder, settings)
            async with bot_process(settings) as process:
                stage.process = process
                await _wait_for_commands(stage)
                console.print(
                    f"newsbot is online in “{seed.guild.name}” with its commands: "
                    + ", ".join(sorted(c.name for c in emulator.synced_commands(seed.guild)))
                    + f"; on X it posts as @{x.config.username}.",
                    markup=False,
                )
                editor = Editor(emulator, seed, console)
                await editor_subscribes(editor)
                stage.number = await editor_saves_issue(stage, issues)
                firings = await wait_for_publish(stage, stage.number)
                report_firings(stage, stage.number, firings)
                show_published(stage, editor)
                reader = Reader(emulator, seed, console)
                await play(stage, reader)
                await editor_afterwards(stage, editor)
                if keep:
                    await keep_running(stage, reader, stop)
        console.rule("done")
    return [*emulator.violations.take(), *x.violations.take()]
