"""`newsbot` starts fast: the platforms' clients, the scheduler and the feed parser load only
inside the commands that use them, so `--help` and a search do not wait for them."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from bot.cli import NewsbotGroup, app
from bot.cli._console import CONFIG_EXIT, ISSUE_NUMBER_MAX
from bot.errors import ConfigError
from bot.models import Issue
from bot.schedule.cron import cron_trigger
from bot.schedule.triggers import next_firings
from bot.settings import DEFAULT_CRON, load_settings
from tests.conftest import ISSUES, clear_settings
from tests.newsbot_process import without_settings

HEAVY = (
    "discord",
    "aiohttp",
    "tweepy",
    "mastodon",
    "requests",
    "atproto",
    "atproto_client",
    "libipld",
    "bot._vendor.twitter_text",
    "apscheduler",
    "feedparser",
)
"""What neither `newsbot --help` nor `newsbot search` needs."""
COMMAND_MODULES = tuple(
    f"bot.cli.{name}"
    for name in (
        "archive",
        "search",
        "publish",
        "run",
        "schedule",
        "status",
        "imports",
        "suggestions",
        "copy",
    )
)
"""Where the commands are: each loads when one of its commands runs."""
SEARCH_SKIPS = (
    *HEAVY,
    *(m for m in COMMAND_MODULES if m != "bot.cli.search"),
    "markdown_it",
    "rich.progress",
    "typer._adapters",
    "pydantic_settings",
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "importlib.metadata",
    "bot.settings",
    "bot.models.issue",
    "bot.publishing",
    "url_normalize",
    "yarl",
)
"""What `newsbot search` does without, besides HEAVY: the other commands' modules, typer's
pydantic adapters, pydantic and what it loads (plain settings are read without it, and hits
are plain records), the publishing code, and what normalises a suggested link."""

# Runs the `newsbot` console script's entry point, then says which HEAVY modules were loaded.
_NEWSBOT = """
import json, sys
heavy = json.loads(sys.argv[2])
sys.argv = ["newsbot", *json.loads(sys.argv[1])]
from bot.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
else:
    code = 0
print(json.dumps({"code": code, "loaded": [m for m in heavy if m in sys.modules]}))
"""


def _newsbot(
    *args: str,
    watch: tuple[str, ...] = HEAVY,
    settings: dict[str, str] | None = None,
    errors: str = "",
) -> tuple[dict[str, object], str]:
    """Run `newsbot ARGS` in a fresh interpreter with `settings` (`NEWSBOT_…` variables): its
    exit code and which of `watch` it loaded (the last line of stdout), and everything it
    printed before. Its stderr must be `errors`."""
    env = without_settings(os.environ)
    env |= settings or {}
    done = subprocess.run(
        # -P: like the console script, without the current folder on sys.path.
        [sys.executable, "-P", "-c", _NEWSBOT, json.dumps(args), json.dumps(watch)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.stderr.strip() == errors, done.stderr
    *printed, last = done.stdout.splitlines()
    return json.loads(last), "\n".join(printed)


def test_help_loads_no_platform_client_scheduler_or_feed_parser() -> None:
    # Nor pydantic, nor any command, nor asyncio: help needs neither the settings nor the
    # models, and runs no coroutine.
    found, printed = _newsbot("--help", watch=(*HEAVY, *COMMAND_MODULES, "pydantic", "asyncio"))
    assert found == {"code": 0, "loaded": []}
    # Every command and group is listed, the lazily loaded groups too.
    for command in ("search", "publish", "run", "import", "suggestions"):
        assert f" {command} " in printed


def test_a_search_loads_only_what_it_needs(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    ingested, _ = _newsbot("--db", str(db), "ingest", str(ISSUES))
    assert ingested["code"] == 0
    # Nor markdown-it: the archive's items were checked when stored, and are read unchecked.
    found, printed = _newsbot("--db", str(db), "search", "distillation", watch=SEARCH_SKIPS)
    assert found == {"code": 0, "loaded": []}
    assert "#202" in printed
    # As JSON, nothing of rich's tables either.
    tables = ("rich.table", "rich.panel")
    args = ("--db", str(db), "search", "distillation", "--json")
    found, printed = _newsbot(*args, watch=(*SEARCH_SKIPS, *tables))
    assert found == {"code": 0, "loaded": []}
    assert json.loads(printed)["hits"][0]["issue"] == 202


def test_a_search_prints_what_it_printed_with_pydantic_models(tmp_path: Path) -> None:
    """The hits are plain records now: the JSON has the same keys, in the same order, of the
    same types (a date as its ISO text), indented as before; the table the same columns."""
    db = tmp_path / "archive.db"
    dated = tmp_path / "202.md"
    text = (ISSUES / "202.md").read_text(encoding="utf-8")
    dated.write_text(text.replace("number: 202\n", "number: 202\ndate: 2021-07-29\n", 1))
    ingested, _ = _newsbot("--db", str(db), "ingest", str(dated))
    assert ingested["code"] == 0
    found, printed = _newsbot("--db", str(db), "search", "knowledge distillation", "--json")
    assert found["code"] == 0
    assert printed.startswith('{\n  "query": "knowledge distillation",\n  "offset": 0,')
    payload = json.loads(printed)
    assert list(payload) == ["query", "offset", "has_more", "limited", "hits"]
    hit = payload["hits"][0]
    assert list(hit) == [
        "issue",
        "issue_title",
        "issue_date",
        "section",
        "section_slug",
        "item_id",
        "title",
        "link",
        "blurb",
        "score",
        "snippet",
        "matches",
    ]
    assert (hit["issue"], hit["section"], hit["section_slug"]) == (
        202,
        "Papers & Publications",
        "papers-publications",
    )
    assert hit["issue_date"] == "2021-07-29"
    assert isinstance(hit["score"], float) and isinstance(hit["item_id"], int)
    assert hit["title"] == "Does Knowledge Distillation Really Work?"
    assert [m.lower() for m in hit["matches"]] == ["knowledge", "distillation"]
    found, table = _newsbot("--db", str(db), "search", "knowledge distillation")
    assert found["code"] == 0
    header = next(line for line in table.splitlines() if "Item" in line)
    assert header.split() == ["┃", "#", "┃", "Item", "┃", "Where", "┃"]
    assert "#202 · Papers &" in table and "Does Knowledge Distillation" in table


def test_a_search_with_a_config_file_and_secrets_loads_no_pydantic(tmp_path: Path) -> None:
    """As a deployment runs it: settings in a file, secrets in the environment."""
    db = tmp_path / "archive.db"
    ingested, _ = _newsbot("--db", str(db), "ingest", str(ISSUES))
    assert ingested["code"] == 0
    config = tmp_path / "newsbot.toml"
    config.write_text(
        f'[archive]\npath = "{db}"\n[schedule]\ntimezone = "Europe/Berlin"\n'
        '[publishing]\nconcurrency = 5\n[log]\nlevel = "WARNING"\n',
        encoding="utf-8",
    )
    deployed = {"NEWSBOT_DISCORD__TOKEN": "a-discord-token", "NEWSBOT_X__CONSUMER_KEY": "key"}
    found, printed = _newsbot(
        "--config", str(config), "search", "distillation", watch=SEARCH_SKIPS, settings=deployed
    )
    assert found == {"code": 0, "loaded": []}
    assert "#202" in printed


def test_a_search_with_a_bad_setting_is_refused_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A value that looks plain but is out of bounds is left to pydantic, which names it."""
    bad = {"NEWSBOT_PUBLISHING__CONCURRENCY": "0"}
    clear_settings(monkeypatch)
    monkeypatch.setenv("NEWSBOT_PUBLISHING__CONCURRENCY", "0")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    found, _ = _newsbot(
        "--db",
        str(tmp_path / "a.db"),
        "search",
        "x",
        settings=bad,
        errors=f"error: {refused.value}",
    )
    assert found["code"] == CONFIG_EXIT
    assert "publishing.concurrency" in str(refused.value)


def test_secrets_read_plainly_are_redacted_from_the_logs(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    ingested, _ = _newsbot("--db", str(db), "ingest", str(ISSUES))
    assert ingested["code"] == 0
    token = "a-discord-token"
    code = (
        "import logging, sys\n"
        f"sys.argv = ['newsbot', '--db', {str(db)!r}, 'search', 'distillation']\n"
        "from bot.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"logging.getLogger('discord.http').warning('Authorization: Bot %s', {token!r})\n"
        "print('pydantic' in sys.modules)\n"
    )
    env = without_settings(os.environ)
    done = subprocess.run(
        [sys.executable, "-P", "-c", code],
        capture_output=True,
        text=True,
        env=env | {"NEWSBOT_DISCORD__TOKEN": token},
        check=True,
    )
    assert done.stdout.splitlines()[-1] == "False"
    assert token not in done.stderr
    assert "Authorization: Bot [redacted]" in done.stderr


def test_listing_suggestions_loads_no_http_client(tmp_path: Path) -> None:
    """aiohttp is for fetching a suggested page's title, which listing never does."""
    db = tmp_path / "archive.db"
    ingested, _ = _newsbot("--db", str(db), "ingest", str(ISSUES))
    assert ingested["code"] == 0
    found, printed = _newsbot("--db", str(db), "suggestions", "list", watch=("aiohttp",))
    assert found == {"code": 0, "loaded": []}
    assert printed == "No pending suggestions."


def test_a_group_loaded_when_used_brings_what_its_commands_need() -> None:
    found, printed = _newsbot("import", "text", "--help")
    assert found["code"] == 0
    assert "Usage: newsbot import text" in printed
    loaded = found["loaded"]
    assert isinstance(loaded, list) and "feedparser" in loaded


def test_the_default_cron_which_settings_take_unread_is_a_good_crontab() -> None:
    assert load_settings().schedule.cron == DEFAULT_CRON
    after = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)  # a Wednesday
    firings = next_firings(cron_trigger(DEFAULT_CRON, dt.UTC), after, 2)
    assert [f.isoformat() for f in firings] == [
        "2026-11-30T09:00:00+00:00",
        "2026-12-07T09:00:00+00:00",
    ]


def test_settings_load_without_the_scheduler() -> None:
    code = (
        "import json, sys; import bot.settings; "
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.startswith(('apscheduler', 'bot.schedule.triggers', 'bot.schedule.jobs')))))"
    )
    done = subprocess.run(
        [sys.executable, "-P", "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == []


def test_the_command_lines_largest_issue_number_is_the_models() -> None:
    schema = Issue.model_json_schema()["properties"]["number"]
    assert schema["maximum"] == ISSUE_NUMBER_MAX


def test_what_publishing_to_discord_loads_brings_nothing_of_x() -> None:
    """`newsbot run` and `newsbot publish` without X load neither tweepy nor X's text rules:
    a good part of every such process's start."""
    probe = (
        "import json, sys; import bot.app, bot.wiring, bot.cli.publish, bot.render.discord;"
        "print(json.dumps([m for m in ('tweepy', 'bot._vendor.twitter_text') if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


def test_publishing_to_discord_alone_loads_no_other_platforms_client(tmp_path: Path) -> None:
    """The outlets left out of a publish are not built: each would load its client."""
    db = tmp_path / "archive.db"
    ingested, _ = _newsbot("--db", str(db), "ingest", str(ISSUES))
    assert ingested["code"] == 0
    discord_alone = {"NEWSBOT_DISCORD__TOKEN": "token", "NEWSBOT_SCHEDULE__TIMEZONE": "UTC"}
    others = ("tweepy", "bot._vendor.twitter_text", "mastodon", "atproto", "atproto_client")
    found, _ = _newsbot(
        "--db",
        str(db),
        "publish",
        watch=others,
        settings=discord_alone,
        errors="X is not configured (set NEWSBOT_X__CONSUMER_KEY, NEWSBOT_X__CONSUMER_SECRET, "
        "NEWSBOT_X__ACCESS_TOKEN and NEWSBOT_X__ACCESS_TOKEN_SECRET): skipped\n"
        "Mastodon is not configured (set NEWSBOT_MASTODON__ACCESS_TOKEN): skipped\n"
        "Bluesky is not configured (set bluesky.handle and NEWSBOT_BLUESKY__APP_PASSWORD): "
        "skipped\n"
        "error: no channel receives issues yet: run /newsletter setup in your server, or "
        "declare discord.targets in the config file",
    )
    assert found == {"code": 1, "loaded": []}


def test_the_help_lists_each_command_with_the_first_line_of_its_own_help() -> None:
    group = typer.main.get_group(app)
    assert isinstance(group, NewsbotGroup)
    ctx = group.make_context("newsbot", ["--help"], resilient_parsing=True)
    for name, lazy in NewsbotGroup.COMMANDS.items():
        command = group.get_command(ctx, name)
        assert command is not None and command.name == name
        assert (command.help or "").split("\n\n")[0] == lazy.help, name


def test_run_loads_no_other_command_nor_what_it_does_without(tmp_path: Path) -> None:
    """`newsbot run` starts in many tests' subprocesses: it loads neither the other commands,
    nor typer's pydantic checks, nor pydantic-settings, nor a client it has no keys for."""
    db = tmp_path / "archive.db"
    ingested, _ = _newsbot("--db", str(db), "ingest", str(ISSUES))
    assert ingested["code"] == 0
    nowhere = "http://127.0.0.1:9/api/v10"
    skipped = (
        *(m for m in COMMAND_MODULES if m != "bot.cli.run"),
        "typer._adapters",
        "pydantic_settings",
        "tweepy",
        "mastodon",
        "atproto",
    )
    found, _ = _newsbot(
        "--db",
        str(db),
        "run",
        watch=skipped,
        settings={
            "NEWSBOT_DISCORD__TOKEN": "token",
            "NEWSBOT_DISCORD__API_BASE": nowhere,
            "NEWSBOT_LOG__LEVEL": "ERROR",
        },
        errors=f"error: cannot reach Discord at {nowhere}: connection refused",
    )
    assert found == {"code": 1, "loaded": []}
