"""`newsbot demo`, run as a user runs it: the whole story in its transcript, and `--keep`.

Each test runs the real command as a subprocess (both emulators in it, `newsbot run` under
it) with its own TMPDIR, so the scratch archive can be seen gone afterwards, and in its own
process group, killed at the end whatever happened: a failing test leaves no `newsbot run`.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from rich.console import Console, RenderableType
from typer.testing import CliRunner

from bot.cli import app
from bot.demo.actions import (
    ReaderMistake,
    mistake_shown,
    no_page,
    reader_options,
    reply_thread,
)
from bot.demo.keep import KEEP_HELP, keep_help
from bot.demo.reader import PAGED, Paged
from bot.demo.screen import Screen
from bot.demo.script import report_firings
from bot.demo.stage import DemoSettings, newsbot_command
from bot.models import Issue, SearchPage
from bot.publishing.plans.bluesky import plan as bluesky_plan
from bot.publishing.plans.x import plan as x_plan
from bot.sandbox.discord import Channel, ChannelType, Message, User, World, seed_default_world
from bot.settings import BlueskySettings, XSettings
from cogs.reader._views import PAGED as PAGED_BY_NEWSBOT
from cogs.reader._views import buttons
from cogs.suggestions._views import SectionSelect
from tests.conftest import ROOT
from tests.newsbot_process import without_settings

RUN_TIMEOUT = 120
WIDE = "200"  # no wrapping inside the phrases the tests look for


SCRIPTS = Path(sysconfig.get_path("scripts"))
"""Where this Python's environment keeps the `newsbot` command."""


def demo_env(tmp: Path) -> dict[str, str]:
    """The caller's environment without its NEWSBOT_ settings, with `tmp` as TMPDIR, and a
    PATH without this Python's environment, as where `python3 dev.py demo` is typed."""
    env = without_settings(os.environ)
    path = os.pathsep.join(
        folder
        for folder in env.get("PATH", "").split(os.pathsep)
        if not folder or not Path(folder).is_dir() or not SCRIPTS.samefile(folder)
    )
    return env | {"TMPDIR": str(tmp), "COLUMNS": WIDE, "PYTHONPATH": str(ROOT), "PATH": path}


@contextlib.contextmanager
def demo(
    scratch: Path,
    *args: str,
    stdin: int | IO[bytes] | None = subprocess.DEVNULL,
    cwd: Path = ROOT,
) -> Iterator[subprocess.Popen[bytes]]:
    """`newsbot ARGS` (`python -m bot`) in its own process group, which is killed at the end."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=demo_env(scratch),
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if hasattr(os, "killpg"):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """The TMPDIR the demo makes its scratch folder in (it must be empty at the end)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    return folder


def read_until(process: subprocess.Popen[bytes], marker: str, timeout: float) -> bytes:
    """Read the process's stdout until `marker` shows (or fail, with what it printed)."""
    assert process.stdout is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or process.poll() is not None:
            raise AssertionError(
                f"{marker!r} not printed (exit {process.poll()}):\n{seen.decode()}"
            )
        ready, _, _ = select.select([process.stdout], [], [], min(left, 0.5))
        if ready:
            seen += os.read(process.stdout.fileno(), 65536)
    return seen


def test_the_demo_publishes_on_schedule_and_answers_a_reader(
    tmp_path: Path, scratch: Path, issue_202: Issue
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    started = time.monotonic()
    # Run from a folder that is not the checkout: the demo finds its sample issue itself.
    with demo(scratch, "--db", str(tmp_path / "d.db"), "demo", cwd=elsewhere) as process:
        out, err = process.communicate(timeout=RUN_TIMEOUT)
    took = time.monotonic() - started
    shown, logged = out.decode(), err.decode()
    assert process.returncode == 0, logged
    assert "Traceback" not in logged, logged

    # The editor subscribes three channels and publishes nothing by hand: the schedule does.
    for setup in (
        "ada (editor) › /newsletter setup channel:#general",
        "ada (editor) › /newsletter setup channel:#announcements role:@Newsletter",
        "ada (editor) › /newsletter setup channel:#newsletter-forum",
    ):
        assert setup in shown
    assert "› /newsletter publish" not in shown
    said = " ".join(shown.split())  # as wrapped at any width
    assert "with the schedule '* * * * * *' (every second) and catch_up none" in said
    assert "ada (editor) saves 202.md in newsbot's issues folder" in shown
    assert re.search(r"fires next at \d\d:\d\d:\d\d UTC", shown)
    # The firing is named with its time, unless a later one hid it from the demo's look at the
    # archive (a loaded machine): the ledger then says it went out.
    assert re.search(
        r"⏰ The schedule (fired at \d\d:\d\d:\d\d UTC and )?published #202 to "
        r"Discord \(3 channels\), X, Mastodon and Bluesky, by itself\.",
        shown,
    ), "one firing of the schedule published #202 everywhere"

    # Each channel as a reader finds it.
    for channel in ("#announcements", "#general", "#newsletter-forum"):
        assert f"{channel}, as a reader sees it" in shown
    assert "@Newsletter New issue: #202" in shown and "[Notify me]" in shown
    assert "📰 the digest: #202 · Deep Learning Weekly: Issue #202" in shown
    assert shown.count("🧵 #202 · Papers & Publications  1 message(s)") == 3
    assert "[Papers & Publications]" in shown, "the forum post is tagged"
    assert "🧵 #202 · Papers & Publications in #general, opened" in shown
    # The thread on Mastodon: one reply after another, within the instance's limit.
    mastodon = shown.split("Mastodon: @newsbot@mastodon.test's thread, as a reader sees it", 1)[1]
    assert re.search(r"post 2/\d+ · \d+/500 · public · ↳ replies to post 1", mastodon)
    assert "no one mentioned, no hashtag made" in mastodon

    # The X thread: every post with its weighted length, as newsbot's renderer counts it.
    # Each post replies to the one before: a thread.
    posts = re.findall(r"post (\d)/(\d) · (\d+)/280(?: · ↳ replies to post (\d))?", shown)
    rendered, _ = x_plan(issue_202, XSettings())
    assert [tuple(int(part or 0) for part in post) for post in posts] == [
        (number, 6, post.weight, number - 1) for number, post in enumerate(rendered.posts, start=1)
    ]
    # The Bluesky thread: every post with its graphemes against 300, each replying to the one
    # before.
    posts = re.findall(r"post (\d)/(\d) · (\d+)/300(?: · ↳ replies to post (\d))?", shown)
    on_bluesky, _ = bluesky_plan(issue_202, BlueskySettings())
    assert [tuple(int(part or 0) for part in post) for post in posts] == [
        (number, 8, post.weight, number - 1)
        for number, post in enumerate(on_bluesky.posts, start=1)
    ]

    # The reader.
    assert "grace › /latest\n" in shown
    assert "grace › /search query:knowledge distillation" in shown
    assert "Does Knowledge Distillation Really Work?" in shown
    assert "grace › presses “Next”" in shown and "Results 6–8" in shown
    assert "Related links from the archive" in shown
    assert "Issue #7 isn't in the archive." in shown
    assert "grace › replies in 🧵 #202 · Papers & Publications" in shown
    assert "✅ 1 · newsbot" in shown, "the suggestion is acknowledged"

    # The editor afterwards: the suggestion to review, the status in Discord and from the CLI.
    after = shown.split("The editor, afterwards", 1)[1]
    assert "ada (editor) › /suggestions review" in after
    assert "https://example.org/papers/distillation-survey" in after and "1 reader: Grace" in after
    assert "ada (editor) › /newsletter status" in after and "Newsletter status" in after
    cli = after.split("The same facts from the CLI", 1)[1]
    command = re.search(
        r"\$ env \$\(cat (\S+)/secrets\.env\) \S*newsbot --config \1/newsbot\.toml "
        r"--db \1/archive\.db status\n",
        cli,
    )
    assert command is not None, cli
    assert "newsbot status ─" in cli and "exit" not in cli.split("newsbot status", 2)[1], cli
    # It reads the demo's own settings: the emulators' keys and the demo's schedule.
    outlets = "Outlets: Discord configured, X configured, Mastodon configured, Bluesky configured"
    assert outlets in cli
    assert "Schedule: '* * * * * *' in UTC" in cli
    assert "#202" in cli
    assert re.fullmatch(r"─+ done ─+", shown.rstrip().splitlines()[-1])

    assert not (tmp_path / "d.db").exists(), "the demo uses a scratch archive"
    assert list(scratch.iterdir()) == [], "the scratch archive is gone"
    assert took < 60, f"the demo took {took:.0f} s"


POSIX = pytest.mark.skipif(sys.platform == "win32", reason="signals, select and ptys of POSIX")


@POSIX
def test_keep_answers_piped_lines_then_runs_until_sigterm(scratch: Path) -> None:
    lines, typed = os.pipe()
    os.write(
        typed,
        b"/search distillation\nnext\n/issue 7\nhelp\n/latest section:Industry public:true\n"
        b"/issue abc\n/search\n/latest sektion:Industry\n/nope\n/suggest javascript:alert(1)\n"
        b"/search " + b"x" * 250 + b"\n" + b"y" * 2001 + b"\n/reply " + b"z" * 2001 + b"\n"
        # A reply in another section's thread, then the editor's review of what came in.
        b"/reply see also https://example.org/learn-more section:learn\n/reply hi section:l\n"
        b"/suggestions review\n/suggestions export\nreject\naccept 2\n",
    )
    os.close(typed)
    with (
        open(lines, "rb") as piped,
        demo(scratch, "demo", "--keep", stdin=piped) as process,
    ):
        printed = read_until(process, "keeps running until Ctrl-C or SIGTERM", RUN_TIMEOUT)
        assert process.poll() is None, "without a terminal, the end of stdin is not the end"
        # The status command it suggests, typed in another terminal, reads the demo's settings.
        # It works as printed, in a terminal where newsbot's environment is not activated.
        suggested = re.search(r"  (env \$\(cat \S+\) \S*newsbot .* status)\n", printed.decode())
        assert suggested is not None, printed.decode()
        status = subprocess.run(
            ["sh", "-c", suggested.group(1)],
            env=demo_env(scratch),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert status.returncode == 0, status.stderr
        outlets = (
            "Outlets: Discord configured, X configured, Mastodon configured, Bluesky configured"
        )
        assert outlets in status.stdout
        assert "Schedule: '* * * * * *' in UTC" in status.stdout
        assert "• X — #202: complete" in status.stdout
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    logged = err.decode()
    assert process.returncode == 0, logged
    assert "Traceback" not in logged, logged
    shown = (printed + out).decode()
    kept = shown.split("newsbot keeps running (--keep)", 1)[1]
    archive = re.search(r"The scratch archive: (\S+)", kept)
    assert archive is not None and f"--db {archive.group(1)} status" in kept
    assert "grace › /search query:distillation" in kept
    assert "Does Knowledge Distillation Really Work?" in kept
    assert "There is no next page: all the results are on this one." in kept, "one result"
    assert "Issue #7 isn't in the archive." in kept
    assert "/suggest <url>" in kept, "help lists what a reader can do"
    # Options typed the way Discord shows them, and mistakes answered specifically.
    assert "grace › /latest section:Industry public:true\n" in kept, "as Discord shows it"
    assert "section:section:" not in kept
    assert "/issue: number takes an issue number from 1 to 999999, not 'abc'" in kept
    assert "/search needs its query: type /search distillation" in kept
    assert "grace › /latest section:sektion:Industry\n" in kept, "as Discord reads it"
    assert "/nope is not a command the demo knows" in kept
    assert "grace › /suggest url:javascript:alert(1)\n" in kept, "a scheme is no option"
    # Checked against the option newsbot registered, as Discord's client does.
    assert "/search: query takes at most 200 characters, not 250 ('xxx" in kept
    assert "x" * 200 not in kept
    # A message longer than Discord takes is not sent, as in Discord's client.
    assert "a message takes at most 2000 characters, not 2001 ('yyy" in kept
    assert "a message takes at most 2000 characters, not 2001 ('zzz" in kept
    assert "y" * 200 not in kept and "z" * 200 not in kept
    # /reply goes in the thread of the section named, found as its choices find it.
    assert (
        "grace › replies in 🧵 #202 · Learning: “see also https://example.org/learn-more”" in kept
    )
    assert "/reply: section:'l' could be Learning or Libraries & Code: type more of it" in kept
    # The editor reviews the suggestions: the script's reply and the one in Learning.
    review = kept.split("ada (editor) › /suggestions review\n", 1)[1]
    assert "https://example.org/papers/distillation-survey" in review
    assert "Section: Learning · Status: pending" in review
    assert "/suggestions export is not in the demo: type /suggestions review" in review
    # The editor decides on a card, by the number it ends with, as Discord shows it.
    assert "reject which suggestion? The last review's cards: type reject 1 or reject 2" in review
    accepted = review.split("ada (editor) › presses “Accept” on Suggestion 2\n", 1)[1]
    assert "Section: Learning · Status: accepted" in accepted and "[Accepted]" in accepted
    assert re.fullmatch(r"─+ done ─+", shown.rstrip().splitlines()[-1])
    assert list(scratch.iterdir()) == [], "`newsbot run` stopped and the scratch archive is gone"


@POSIX
def test_a_closed_terminal_stops_keep_and_leaves_no_scratch_folder(scratch: Path) -> None:
    lines, typed = os.pipe()
    try:
        with (
            open(lines, "rb") as piped,
            demo(scratch, "demo", "--keep", stdin=piped) as process,
        ):
            read_until(process, "newsbot keeps running (--keep)", RUN_TIMEOUT)
            # A terminal closing hangs up its whole process group: the demo and `newsbot run`.
            os.killpg(process.pid, signal.SIGHUP)
            _, err = process.communicate(timeout=30)
    finally:
        os.close(typed)
    assert "Traceback" not in err.decode(), err.decode()
    assert list(scratch.iterdir()) == [], "the scratch folder, with its keys, is removed"


@POSIX
def test_under_nohup_a_hang_up_leaves_keep_running(scratch: Path) -> None:
    lines, typed = os.pipe()
    ignored = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as nohup does, for the child
    try:
        with (
            open(lines, "rb") as piped,
            demo(scratch, "demo", "--keep", stdin=piped) as process,
        ):
            signal.signal(signal.SIGHUP, ignored)
            read_until(process, "newsbot keeps running (--keep)", RUN_TIMEOUT)
            os.killpg(process.pid, signal.SIGHUP)
            os.write(typed, b"/issue 7\n")
            read_until(process, "Issue #7 isn't in the archive.", RUN_TIMEOUT)
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=30)
    finally:
        signal.signal(signal.SIGHUP, ignored)
        os.close(typed)
    assert process.returncode == 0, err.decode()
    assert list(scratch.iterdir()) == []


def children(pid: int) -> list[int]:
    """The processes `pid` started (Linux's /proc; the test is skipped elsewhere)."""
    listed = Path(f"/proc/{pid}/task/{pid}/children")
    if not listed.exists():
        pytest.skip("no /proc/PID/task/PID/children here")
    return [int(child) for child in listed.read_text().split()]


@POSIX
def test_keep_fails_with_a_clear_error_when_newsbot_run_dies(scratch: Path) -> None:
    lines, typed = os.pipe()
    try:
        with (
            open(lines, "rb") as piped,
            demo(scratch, "demo", "--keep", stdin=piped) as process,
        ):
            read_until(process, "newsbot keeps running (--keep)", RUN_TIMEOUT)
            [newsbot_run] = children(process.pid)
            os.kill(newsbot_run, signal.SIGKILL)
            _, err = process.communicate(timeout=30)
    finally:
        os.close(typed)
    logged = err.decode()
    assert process.returncode == 1, "a demo whose bot died did not work"
    assert "`newsbot run` exited with code -9" in logged, logged
    assert "Traceback" not in logged, logged
    assert list(scratch.iterdir()) == []


@POSIX
def test_keep_on_a_terminal_prompts_until_quit(scratch: Path) -> None:
    import pty

    terminal, stdin = pty.openpty()
    try:
        # Typed ahead: the terminal keeps the lines until the prompt reads them.
        os.write(terminal, b"/search distillation\nquit\n")
        with demo(scratch, "demo", "--keep", stdin=stdin) as process:
            out, err = process.communicate(timeout=RUN_TIMEOUT)
    finally:
        os.close(stdin)
        os.close(terminal)
    shown = out.decode()
    assert process.returncode == 0, err.decode()
    kept = shown.split("newsbot keeps running (--keep)", 1)[1]
    assert "Be the reader, or the editor: type `help`" in kept
    assert "grace › /search query:distillation" in kept
    assert "Does Knowledge Distillation Really Work?" in kept
    assert "stdin ended" not in kept
    assert list(scratch.iterdir()) == []


def test_without_its_sample_issue_the_demo_says_what_it_needs(tmp_path: Path) -> None:
    installed = tmp_path / "site"
    for package in ("bot", "cogs"):
        shutil.copytree(ROOT / package, installed / package)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=tmp_path,
        env=demo_env(tmp_path) | {"PYTHONPATH": str(installed)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith(
        "error: the demo needs newsbot's sample issue, issues/202.md of its source, and it is "
        f"not beside this installation (looked in {installed / 'issues'})."
    ), done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("command", "typed", "options"),
    [
        ("latest", "", {}),
        ("latest", "Industry", {"section": "Industry"}),
        ("latest", "section:Mobile & Edge", {"section": "Mobile & Edge"}),
        ("issue", "202", {"number": 202}),
        ("issue", "number:202 section:Learning", {"number": 202, "section": "Learning"}),
        (
            "search",
            "knowledge distillation issue:202 section:Papers & Publications",
            {"query": "knowledge distillation", "section": "Papers & Publications", "issue": 202},
        ),
        ("search", "query:quantum public:true", {"query": "quantum", "public": True}),
        (
            "suggest",
            "https://example.org/a a survey section:Learning",
            {"url": "https://example.org/a", "note": "a survey", "section": "Learning"},
        ),
        # Only an option's own name starts it: a scheme, or a misspelt name, is text.
        ("suggest", "javascript:alert(1)", {"url": "javascript:alert(1)"}),
        ("suggest", "mailto:a@b.c note:mine", {"url": "mailto:a@b.c", "note": "mine"}),
        ("suggest", "url:javascript:alert(1)", {"url": "javascript:alert(1)"}),
        ("latest", "sektion:Industry", {"section": "sektion:Industry"}),
        ("search", "re:invent section:Industry", {"query": "re:invent", "section": "Industry"}),
        (
            "reply",
            "a survey: https://example.org/a section:learn issue:202",
            {"text": "a survey: https://example.org/a", "section": "learn", "issue": 202},
        ),
        ("reply", "Nice read", {"text": "Nice read"}),
        ("suggestions review", "", {}),
        ("suggestions review", "accepted public:true", {"status": "accepted", "public": True}),
    ],
)
def test_reader_actions_read_like_discord_shows_them(
    command: str, typed: str, options: dict[str, object]
) -> None:
    assert reader_options(command, typed) == options


@pytest.mark.parametrize(
    ("command", "typed", "mistake"),
    [
        ("issue", "abc", "/issue: number takes an issue number from 1 to 999999, not 'abc'"),
        ("issue", "", "/issue needs its number: type /issue 202"),
        (
            "issue",
            "1000000",
            "/issue: number takes an issue number from 1 to 999999, not '1000000'",
        ),
        ("search", "", "/search needs its query: type /search distillation"),
        ("search", "section:Learning", "/search needs its query"),
        ("search", "learning issue:x", "/search: issue takes an issue number"),
        ("search", "a query:b", "/search: query is given twice ('a' too)"),
        ("suggest", "", "/suggest needs its url"),
        ("latest", "section:", "/latest: section: has no value"),
        ("latest", "public:maybe", "/latest: public takes true or false, not 'maybe'"),
        # Discord's client refuses a value that is not a boolean before any option is missing.
        ("search", "public:maybe learning", "/search: public takes true or false, not 'maybe"),
        ("issue", "public:yes", "/issue: public takes true or false, not 'yes'"),
        ("reply", "", "/reply needs its text: type /reply <text>"),
        ("reply", "section:Learning", "/reply needs its text"),
        ("reply", "hi issue:next", "/reply: issue takes an issue number from 1 to 999999"),
    ],
)
def test_reader_mistakes_say_what_to_type(command: str, typed: str, mistake: str) -> None:
    with pytest.raises(ReaderMistake) as caught:
        reader_options(command, typed)
    assert str(caught.value).startswith(mistake)


def test_a_value_not_among_its_options_choices_says_which_it_takes() -> None:
    status = {"type": 3, "name": "status", "choices": [{"name": c, "value": c} for c in STATUS]}
    with pytest.raises(ReaderMistake) as caught:
        reader_options("suggestions review", "status:maybe", {"status": status})
    assert str(caught.value) == (
        "/suggestions review: status takes pending, accepted or rejected, not 'maybe'"
    )
    assert reader_options("suggestions review", "rejected", {"status": status}) == {
        "status": "rejected"
    }


STATUS = ("pending", "accepted", "rejected")


def test_a_reply_goes_in_the_thread_of_the_issue_and_section_named() -> None:
    world = World()
    seed = seed_default_world(world)

    def thread(name: str) -> Channel:
        made = Channel(
            id=world.snowflakes.next(),
            guild_id=seed.guild.id,
            type=ChannelType.PUBLIC_THREAD,
            name=name,
            parent_id=seed.general.id,
        )
        world.register_thread(seed.guild, made)
        return made

    learning, libraries, papers = (
        thread(f"#202 · {name}")
        for name in ("Learning", "Libraries & Code", "Papers & Publications")
    )
    newer = thread("#203 · Learning")
    threads = [learning, libraries, papers, newer]
    assert reply_thread(threads, 202, "Papers & Publications") is papers
    # As a section's choices find it: the start of its name or of a word, any case.
    assert reply_thread(threads, 202, "learn") is learning
    assert reply_thread(threads, 202, "PUBLICATIONS") is papers
    assert reply_thread(threads, 202, "libraries & code") is libraries
    assert reply_thread(threads, 203, "Learning") is newer
    for number, section, mistake in [
        (202, "l", "/reply: section:'l' could be Learning or Libraries & Code: type more of it"),
        (
            202,
            "Industry",
            "/reply: #202 has no thread for section:'Industry'; its threads: Learning, "
            "Libraries & Code, Papers & Publications",
        ),
        (
            7,
            "Learning",
            "/reply: #7 has no section threads in #general (the issues with threads: "
            "issue:202, issue:203)",
        ),
    ]:
        with pytest.raises(ReaderMistake) as caught:
            reply_thread(threads, number, section)
        assert str(caught.value) == mistake


def shown(renderable: RenderableType, width: int = 100) -> list[str]:
    """The lines a terminal `width` columns wide shows for `renderable`."""
    console = Console(width=width, file=io.StringIO(), color_system=None)
    console.print(renderable)
    assert isinstance(console.file, io.StringIO)
    return [line.rstrip() for line in console.file.getvalue().splitlines()]


def test_the_screen_shows_links_menus_and_threads_as_discord_does() -> None:
    world = World()
    seed = seed_default_world(world)
    thread = Channel(
        id=world.snowflakes.next(),
        guild_id=seed.guild.id,
        type=ChannelType.PUBLIC_THREAD,
        name="#202 · Industry",
        parent_id=seed.general.id,
    )
    world.register_thread(seed.guild, thread)
    screen = Screen(world)
    text = (
        f"In <#{thread.id}> or <#{seed.general.id}>: [https://example.com/a](https://example.com/a)"
        ", <https://example.com/b> and [a survey](https://example.com/c)."
    )
    assert shown(screen.markdown(text), width=120) == [
        "In #202 · Industry or #general: https://example.com/a, https://example.com/b and "
        "a survey (https://example.com/c)."
    ]
    sections = [("industry", "Industry"), ("learning", "Learning")]
    menu, chosen = SectionSelect(7, sections), SectionSelect(7, sections, chosen="learning")
    message = Message(
        id=world.snowflakes.next(),
        channel_id=seed.general.id,
        guild_id=seed.guild.id,
        author=seed.bot,
        embeds=[{"title": "https://example.com/a", "url": "https://example.com/a"}],
        components=[
            {"type": 1, "components": [menu.item.to_component_dict()]},
            {"type": 1, "components": [chosen.item.to_component_dict()]},
        ],
    )
    drawn = shown(screen.message(message, who="grace"))
    assert "│ [Section… ▾] Industry · Learning" in "\n".join(drawn), "by its placeholder"
    assert "│ [Learning ▾] Industry · Learning" in "\n".join(drawn), "or the option chosen"
    assert "\n".join(drawn).count("https://example.com/a") == 1, drawn
    # A card without a title (a suggestion's, whose page has none) starts with its text.
    untitled = Message(
        id=world.snowflakes.next(),
        channel_id=seed.general.id,
        guild_id=seed.guild.id,
        author=seed.bot,
        embeds=[{"description": "https://example.com/a\n1 reader: Grace"}],
    )
    inside = [line.strip("│ ") for line in shown(screen.message(untitled, who="ada"))[2:-2]]
    assert inside == ["https://example.com/a", "1 reader: Grace"], inside


def test_help_reads_well_at_80_columns() -> None:
    lines = shown(keep_help("#202 · Papers & Publications"), width=80)
    typed = [typed for typed, _ in KEEP_HELP]
    assert lines[0].startswith("/latest [section]     the newest issue"), lines
    assert "/reply <text>         reply in the 🧵 #202 · Papers & Publications thread," in lines
    assert "/suggestions review   as the editor: the suggested links to review" in lines
    assert "accept / reject <n>   as the editor: press Accept or Reject on the card" in lines
    for line in lines:
        # Each line starts with what a reader types, or continues its description's column.
        assert line.startswith((*typed, " " * 22)), line
        assert len(line) <= 80
    several = sum(described.count("\n") for _, described in KEEP_HELP)
    assert len(lines) == len(typed) + several, "only the descriptions of several lines take them"


def test_a_mistake_stays_indented_when_it_wraps_at_80_columns() -> None:
    with pytest.raises(ReaderMistake) as caught:
        reader_options("issue", "https://example.com")
    lines = shown(mistake_shown(caught.value), width=80)
    assert len(lines) > 1, "long enough to wrap"
    assert all(line.startswith("  ") and not line.startswith("   ") for line in lines), lines
    assert " ".join(line.strip() for line in lines) == str(caught.value)


@pytest.mark.parametrize("command", PAGED)
def test_turning_a_page_past_the_results_says_they_end_there(command: str) -> None:
    reader = User(id=1, username="grace")

    def results(*, offset: int, has_more: bool) -> Paged:
        page = SearchPage(hits=(), offset=offset, has_more=has_more)
        components = buttons(page, command) if offset or has_more else []
        message = Message(id=2, channel_id=3, guild_id=4, author=reader, components=components)
        return Paged(command, message)

    assert no_page(None, "next") == (
        "There is no next page: /search <words> (or /latest, /issue) first."
    )
    assert no_page(results(offset=0, has_more=True), "next") is None
    assert no_page(results(offset=5, has_more=True), "previous") is None
    assert no_page(results(offset=5, has_more=False), "next") == (
        "There is no next page: the results end here."
    )
    assert no_page(results(offset=0, has_more=True), "previous") == (
        "There is no previous page: this is the first."
    )
    assert no_page(results(offset=0, has_more=False), "next") == (
        "There is no next page: all the results are on this one."
    )


def test_the_demo_turns_the_pages_of_every_command_newsbot_pages() -> None:
    assert set(PAGED) == set(PAGED_BY_NEWSBOT)


# Discord's shape of the option, as newsbot registers /search's query.
QUERY = {
    "query": {"type": 3, "name": "query", "required": True, "min_length": 1, "max_length": 200}
}


def test_a_value_longer_than_its_option_says_the_limit_and_the_length() -> None:
    with pytest.raises(ReaderMistake) as caught:
        reader_options("search", "x" * 250 + " section:Industry", QUERY)
    said = str(caught.value)
    assert said.startswith("/search: query takes at most 200 characters, not 250 ('xxx")
    assert len(said) < 78, "the value is shortened, not echoed"
    assert reader_options("search", "x" * 200, QUERY) == {"query": "x" * 200}


def test_the_demo_leaves_out_the_callers_settings_in_any_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text("NEWSBOT_DISCORD__TOKEN=emulator-token\n", encoding="utf-8")
    monkeypatch.setenv("newsbot_archive__path", "/elsewhere/archive.db")
    monkeypatch.setenv("NEWSBOT_DISCORD__TOKEN", "the callers-own")
    monkeypatch.setenv("MY_OTHER", "kept")
    env = DemoSettings(tmp_path / "newsbot.toml", secrets, tmp_path / "archive.db").env()
    assert "newsbot_archive__path" not in env
    assert env["NEWSBOT_DISCORD__TOKEN"] == "emulator-token" and env["MY_OTHER"] == "kept"


def test_the_commands_shown_run_this_newsbot_with_its_environment_activated_or_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    installed = SCRIPTS / ("newsbot.exe" if os.name == "nt" else "newsbot")
    if not installed.is_file():
        pytest.skip("newsbot is not installed in this Python's environment")
    monkeypatch.setenv("PATH", demo_env(Path())["PATH"])
    assert newsbot_command() == shlex.quote(str(installed)), "not activated: the whole path"
    monkeypatch.setenv("PATH", f"{SCRIPTS}{os.pathsep}{os.environ['PATH']}")
    assert newsbot_command() == "newsbot", "activated: the name finds it"


def test_its_help_names_no_fewer_platforms_than_it_runs_and_what_keep_offers() -> None:
    result = CliRunner().invoke(app, ["demo", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    said = " ".join(result.stdout.replace("│", " ").split())
    assert "Run newsbot on the bundled platform emulators and play an editor and a reader." in said
    assert "Discord and X emulators" not in said, "it runs Mastodon's and Bluesky's too"
    assert "play the reader (and review the suggestions as the editor)" in said, said


def test_a_publish_no_firing_was_seen_doing_names_the_outlets_in_their_usual_order() -> None:
    # On a loaded machine a quiet firing can hide the one that published: the ledger says where
    # the issue went, and the transcript names those outlets as a firing's line does.
    console = Console(width=200, file=io.StringIO(), color_system=None)
    report_firings(console, 202, [], {"bluesky", "discord", "mastodon", "x"})
    assert isinstance(console.file, io.StringIO)
    assert console.file.getvalue() == (
        "⏰ The schedule published #202 to Discord (3 channels), X, Mastodon and Bluesky, "
        "by itself.\n"
    )
