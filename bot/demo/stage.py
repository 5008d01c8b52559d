"""The demo's stage: both emulators, a scratch archive and settings, and the real `newsbot
run` against them, with waits for what it does on its own."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import shlex
import shutil
import signal
import sqlite3
import sys
import sysconfig
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from bot._settings_plain import without_settings
from bot.errors import NewsbotError
from bot.publishing.service import OUTLET_NAMES
from bot.sandbox.bluesky import BlueskyEmulator
from bot.sandbox.discord import Channel, DefaultWorld, Emulator, EmulatorConfig
from bot.sandbox.mastodon import MastodonEmulator
from bot.sandbox.x import XEmulator
from bot.schedule import triggers
from bot.settings import env_name, secret_keys
from bot.store import Archive

BUNDLED_ISSUES = Path(__file__).resolve().parents[2] / "issues"
"""The sample issues beside the package: `issues/` of the checkout newsbot is installed from."""
CRON = "* * * * * *"
"""Every second (the sixth field, in front, is seconds): the issue saved goes out within a
second or two, and a firing with nothing new only looks at the folder."""
CRON_SAID = "every second"
"""`CRON` in words."""
BOT_START_TIMEOUT = 60.0
ANSWER_TIMEOUT = 10.0
PUBLISH_TIMEOUT = 60.0
QUIET_SECONDS = 5.0
"""How long the demo waits for a publish before it says what it is waiting for."""
POLL_SECONDS = 0.1
SUGGESTION_THREAD = "Papers & Publications"


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
        env = without_settings(os.environ)
        keys = self.secrets.read_text(encoding="utf-8").splitlines()
        return env | dict(line.split("=", 1) for line in keys if "=" in line)

    def args(self, *command: str) -> list[str]:
        """`newsbot`'s arguments for `command` with the demo's settings."""
        return ["--config", str(self.config), "--db", str(self.db), *command]

    def shell(self, *command: str) -> str:
        """The shell command a person types to run `newsbot COMMAND` with these settings."""
        return f"env $(cat {self.secrets}) {newsbot_command()} {' '.join(self.args(*command))}"


def newsbot_command() -> str:
    """How a person runs this newsbot in another terminal: `newsbot` when their PATH finds
    this one, else the script installed beside this Python (its virtual environment is not
    activated, as `python3 dev.py demo` leaves it), else this Python with `-m bot`."""
    beside = Path(sysconfig.get_path("scripts")) / ("newsbot.exe" if os.name == "nt" else "newsbot")
    if not beside.is_file():
        return f"{shlex.quote(sys.executable)} -m bot"
    found = shutil.which("newsbot")
    if found is not None and Path(found).resolve() == beside.resolve():
        return "newsbot"
    return shlex.quote(str(beside))


def write_settings(
    scratch: Path,
    emulator: Emulator,
    x: XEmulator,
    mastodon: MastodonEmulator,
    bluesky: BlueskyEmulator,
    seed: DefaultWorld,
    db: Path,
    issues: Path,
    editors: Channel,
) -> DemoSettings:
    """Write the demo's settings: the emulators, the scratch archive and folder, the schedule,
    reader replies read, and the editors' alerts channel."""
    secret = {env_name(key) for key in secret_keys()}
    keys = {"NEWSBOT_DISCORD__TOKEN": emulator.token} | {
        name: value
        for name, value in (x.env() | mastodon.env() | bluesky.env()).items()
        if name in secret
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
            "alerts_channel_id": editors.id,
            # The emulator sends every server at once: nothing to wait for after the last.
            "guild_ready_timeout": 0.1,
        },
        "x": {"api_base": x_api},
        "mastodon": {"api_base": mastodon.api_base},
        "bluesky": {"service": bluesky.service, "handle": bluesky.config.handle},
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
    mastodon: MastodonEmulator
    bluesky: BlueskyEmulator
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
async def staged(scratch: Path, issues: Path, console: Console) -> AsyncIterator[Stage]:
    """The four emulators on 127.0.0.1, the settings that reach them (written in `scratch`,
    the archive there too, the issue files in `issues`), and the stage they make."""
    async with (
        Emulator(config=EmulatorConfig()) as emulator,
        XEmulator() as x,
        MastodonEmulator() as mastodon,
        BlueskyEmulator() as bluesky,
    ):
        seed = emulator.seed
        assert seed is not None
        db = scratch / "archive.db"
        # The editors hear of what goes wrong in a channel of their own, not in the readers'.
        editors = emulator.world.add_channel(seed.guild, "editors")
        settings = write_settings(
            scratch, emulator, x, mastodon, bluesky, seed, db, issues, editors
        )
        yield Stage(emulator, x, mastodon, bluesky, seed, console, db, issues, settings)


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


async def wait_for_commands(stage: Stage) -> None:
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


async def wait_for_publish(
    stage: Stage,
    number: int,
    *,
    within: float = PUBLISH_TIMEOUT,
    quiet_for: float = QUIET_SECONDS,
) -> tuple[list[dict[str, Any]], set[str]]:
    """Until the schedule's firings published issue `number` to every outlet; the firings
    seen doing it, and the outlets it went out on that no firing seen names.

    Only the last firing is kept in the archive: one look at it can come after two firings, the
    one that published and a quiet one after it (which came while the publish ran, or on a
    loaded machine). So the outbox ledger is read too, once for each quiet firing seen and at
    each firing past `quiet_for` seconds, and says when the issue is out everywhere. Past
    `quiet_for` seconds it also says what it is still waiting for and what the last firing said
    (again when that changes). Past `within` seconds it stops with the same, as an error.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    seen: dict[str, dict[str, Any]] = {}
    done: set[str] = set()
    run: dict[str, Any] | None = None
    finished: set[str] | None = None  # by the ledger, read again after each new run
    said: tuple[object, ...] | None = None
    said_at = started
    while done != set(triggers.OUTLETS):
        if stage.process is not None and stage.process.returncode is not None:
            raise NewsbotError(f"`newsbot run` exited with code {stage.process.returncode}")
        latest = await last_firing(stage.db)
        if latest is not None and (run is None or latest["at"] != run["at"]):
            finished = None
        run = latest or run  # None too while the archive is busy
        if run is not None and run["at"] not in seen:
            outlets = {o for o, numbers in run["published"].items() if number in numbers}
            if outlets or run["failures"]:
                seen[run["at"]] = run
            done |= outlets
        now = loop.time()
        quiet = run is not None and run["at"] not in seen  # it may hide the one that published
        if done == set(triggers.OUTLETS) or (now - started < min(quiet_for, within) and not quiet):
            await asyncio.sleep(POLL_SECONDS)
            continue
        if finished is None:
            finished = await finished_outlets(stage.db, number)
        if finished == set(triggers.OUTLETS):
            return list(seen.values()), finished - done
        on = finished or done
        if now - started > within:
            raise NewsbotError(
                f"no firing of the schedule published #{number} on {_missing(on)} within "
                f"{within:.0f} s{_already(on)}; {_last_said(run)}"
            )
        news = (frozenset(on), tuple(run["failures"]) if run else None)
        if now - said_at >= quiet_for and news != said:
            waiting = f"#{number} on {_missing(on)}{_already(on)}; {_last_said(run)}"
            stage.console.print(Text(f"… still waiting for {waiting}", style="yellow"))
            said, said_at = news, now
        await asyncio.sleep(POLL_SECONDS)
    return list(seen.values()), set()


async def finished_outlets(db: Path, number: int) -> set[str] | None:
    """The outlets issue `number` went out on in full, by the archive's outbox ledger; None
    while the archive cannot be read."""
    try:
        async with await Archive.open(db, create=False) as archive:
            found: set[str] = set()
            for outlet in triggers.OUTLETS:
                sent = await triggers.published_issues(archive, [number], (outlet,))
                unfinished = {t.issue_number for t in await archive.ledger.unfinished(outlet)}
                if sent and number not in unfinished:
                    found.add(outlet)
            return found
    except (NewsbotError, sqlite3.Error):  # not made or migrated yet, or busy: poll again
        return None


def _missing(done: set[str]) -> str:
    return _listed([OUTLET_NAMES[o] for o in triggers.OUTLETS if o not in done])


def _already(done: set[str]) -> str:
    published = [OUTLET_NAMES[o] for o in triggers.OUTLETS if o in done]
    return f" (it is on {_listed(published)})" if published else ""


def _last_said(run: dict[str, Any] | None) -> str:
    """What the schedule's last run recorded, in words."""
    if run is None:
        return "the schedule has not fired yet"
    at = dt.datetime.fromisoformat(run["at"])
    said = f"the last firing, at {at:%H:%M:%S} UTC,"
    if not run["failures"]:
        return f"{said} reported no problem"
    return f"{said} said: " + " · ".join(run["failures"])


def _listed(names: list[str]) -> str:
    """`A`, `A and B`, `A, B and C`."""
    return " and ".join(filter(None, [", ".join(names[:-1]), *names[-1:]]))
