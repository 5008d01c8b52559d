"""Running the whole demo: the stage set up, the script played, `--keep` if asked, and the
exit code (what the emulators refused makes it fail)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from rich.console import Console
from rich.text import Text

from bot.demo.editor import Editor
from bot.demo.keep import Stop, keep_running
from bot.demo.reader import Reader
from bot.demo.script import (
    editor_afterwards,
    editor_saves_issue,
    editor_subscribes,
    play,
    report_firings,
    show_published,
)
from bot.demo.stage import (
    CRON,
    CRON_SAID,
    bot_process,
    staged,
    wait_for_commands,
    wait_for_publish,
)
from bot.issuefiles import LoadResult
from bot.sandbox._violations import Violation

EXIT_INTERRUPTED = 130
EXIT_REFUSED = 1


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
            + f", {items} items. Starting the Discord, X, Mastodon and Bluesky emulators on "
            "127.0.0.1 and "
            f"`newsbot run` against them, with the schedule {CRON!r} ({CRON_SAID}) and"
            " catch_up none, a scratch archive and an empty issues folder…",
            markup=False,
        )
        async with staged(Path(scratch), folder, console) as stage:
            emulator, x, mastodon, bluesky = stage.emulator, stage.x, stage.mastodon, stage.bluesky
            seed = stage.seed
            async with bot_process(stage.settings) as process:
                stage.process = process
                await wait_for_commands(stage)
                console.print(
                    f"newsbot is online in “{seed.guild.name}” with its commands: "
                    + ", ".join(sorted(c.name for c in emulator.synced_commands(seed.guild)))
                    + f"; on X it posts as @{x.config.username}, on Mastodon as "
                    + f"@{mastodon.config.username}@{mastodon.config.domain}, on Bluesky as "
                    + f"@{bluesky.config.handle}.",
                    markup=False,
                )
                editor = Editor(emulator, seed, console)
                await editor_subscribes(editor)
                stage.number = await editor_saves_issue(stage, issues)
                firings, unseen = await wait_for_publish(stage, stage.number)
                report_firings(console, stage.number, firings, unseen)
                show_published(stage, editor)
                reader = Reader(emulator, seed, console)
                await play(stage, reader)
                await editor_afterwards(stage, editor)
                if keep:
                    await keep_running(stage, reader, stop)
        console.rule("done")
    return [
        *emulator.violations.take(),
        *x.violations.take(),
        *mastodon.violations.take(),
        *bluesky.violations.take(),
    ]
