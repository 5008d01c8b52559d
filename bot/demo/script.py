"""The demo's scripted session: the editor subscribes and saves an issue, newsbot publishes
it on its own, a reader tries the commands, and the editor looks at the outcome."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import sys
from collections.abc import Set as AbstractSet
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from bot.demo.editor import (
    Editor,
    show_bluesky_thread,
    show_mastodon_thread,
    show_x_thread,
    thread_named,
)
from bot.demo.reader import Reader, has_button
from bot.demo.stage import ANSWER_TIMEOUT, CRON, Stage
from bot.issuefiles import LoadResult
from bot.schedule import triggers
from bot.schedule.cron import cron_trigger

SUGGESTED_LINK = "https://example.org/papers/distillation-survey"


async def editor_subscribes(editor: Editor) -> None:
    """The editor's set-up: a text channel, the announcement channel (pinging a role), a forum."""
    seed = editor.seed
    editor.console.rule("The editor subscribes three channels")
    await editor.newsletter("setup", channel=seed.general)
    await editor.newsletter("setup", channel=seed.announcements, role=seed.newsletter_role)
    await editor.newsletter("setup", channel=seed.forum)


async def editor_saves_issue(stage: Stage, issues: LoadResult) -> int:
    """The editor saves the issue files in the folder newsbot watches; the newest's number.

    Each file appears whole (copied aside, then renamed): a firing never reads half of one. Its
    modification time is kept, as `cp -p` keeps it: written long ago, it is read by the next
    firing at once, not after the seconds newsbot waits to see a recent save settle.
    """
    console = stage.console
    numbers = sorted(issue.number for _, issue in issues.issues)
    for path, _ in issues.issues:
        aside = stage.issues / f".{path.name}.saving"
        shutil.copy2(path, aside)
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
        f"publish #{numbers[-1]} to the three channels, X, Mastodon and Bluesky…"
    )
    return numbers[-1]


_SHOWN = {"discord": "Discord (3 channels)", "x": "X", "mastodon": "Mastodon", "bluesky": "Bluesky"}


def report_firings(
    console: Console,
    number: int,
    firings: list[dict[str, Any]],
    unseen: AbstractSet[str] = frozenset(),
) -> None:
    """Say which firing(s) of the schedule published the issue, and what failed if anything;
    `unseen`, outlets the issue went out on in a firing not seen (another came after it)."""
    for run in firings:
        at = dt.datetime.fromisoformat(run["at"])
        outlets = [
            _SHOWN.get(outlet, outlet)
            for outlet, numbers in run["published"].items()
            if number in numbers
        ]
        # A firing is what the demo waits for; the catch-up at start, or an issue's own
        # publish_at, is named.
        when = (
            f"The schedule fired at {at:%H:%M:%S} UTC"
            if run["kind"] == "firing"
            else f"At {at:%H:%M:%S} UTC, newsbot's {run['kind']}"
        )
        console.print(
            f"⏰ {when} and published #{number} to {_listed(outlets) or 'nothing'}, by itself."
        )
        for failure in run["failures"]:
            console.print(Text(f"  ⚠ {failure}", style="yellow"))
    if unseen:
        # Named in the order a firing's line names them, Discord first.
        shown = _listed([_SHOWN[outlet] for outlet in triggers.OUTLETS if outlet in unseen])
        console.print(f"⏰ The schedule published #{number} to {shown}, by itself.")


def _listed(names: list[str]) -> str:
    """`A`, `A and B`, `A, B and C`."""
    return " and ".join(filter(None, [", ".join(names[:-1]), *names[-1:]]))


def show_published(stage: Stage, editor: Editor) -> None:
    """Each channel as a reader finds it, one section thread opened, then the X, Mastodon and
    Bluesky threads."""
    seed = stage.seed
    editor.show_channel(seed.announcements)
    editor.show_channel(seed.general, digest=False)
    editor.show_thread(seed.general, stage.suggestion_thread)
    editor.show_channel(seed.forum, digest=False)
    show_x_thread(stage.console, stage.x)
    show_mastodon_thread(stage.console, stage.mastodon)
    show_bluesky_thread(stage.console, stage.bluesky)


async def play(stage: Stage, reader: Reader) -> None:
    """What the demo's reader does, in order."""
    reader.console.rule("A reader tries newsbot")
    await reader.slash("latest")
    await reader.slash("search", query="knowledge distillation")
    first = await reader.slash("search", query="learning")
    if has_button(first.components, "search:next"):
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
