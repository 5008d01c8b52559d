"""`newsbot status` and `/newsletter status`: the same facts, from a real archive file."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot.cli import app
from bot.issuefiles import format_issue
from bot.models import Issue, OutboxEntry, StepState, Subscription
from bot.sandbox.discord import DefaultWorld, Emulator, MessageFlag
from bot.schedule.triggers import LAST_FIRING_KEY, next_firings, trigger, utc_offset
from bot.settings import load_settings
from bot.status import gather_status, parse_last_firing, status_lines
from bot.store import Archive
from cogs.newsletter._cog import _fit
from tests.conftest import StartNewsbot
from tests.factories import issue, item

BERLIN = ZoneInfo("Europe/Berlin")
SCHEDULE = {"cron": "0 9 * * MON", "timezone": "Europe/Berlin"}
ENV = {"NEWSBOT_SCHEDULE__CRON": "0 9 * * MON", "NEWSBOT_SCHEDULE__TIMEZONE": "Europe/Berlin"}
X_KEYS = {
    f"NEWSBOT_X__{key}": "key"
    for key in ("CONSUMER_KEY", "CONSUMER_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET")
}
REFUSED = "403 Forbidden (error code: 50013): Missing Permissions"
LAST_FIRING = json.dumps(
    {
        "at": "2026-11-23T08:00:05+00:00",
        "published": {"discord": [202], "x": [202]},
        "failures": ["X: the daily cap is reached; 2 posts wait for the next publish"],
    }
)
LAST_FIRING_LINES = [
    "Last firing: Mon 2026-11-23 09:00:05 CET (UTC+01:00): "
    "published Discord #202; X #202; 1 failure:",
    "• X: the daily cap is reached; 2 posts wait for the next publish",
]


def issues() -> list[Issue]:
    """#201 and #202 dated, #203 undated: with #202 published, a firing sends #203."""
    return [
        issue(201, date=dt.date(2021, 6, 9)),
        issue(202, date=dt.date(2021, 6, 16)),
        issue(203),
    ]


def steps(number: int, outlet: str, target: str, **states: int) -> list[OutboxEntry]:
    """Ledger rows: `sent=5, failed=2` makes five sent steps and two failed ones."""
    return [
        OutboxEntry(
            key=f"{number}/{outlet}/{target}/{state}/{n}",
            issue_number=number,
            outlet=outlet,
            target=target,
            action="message",
            state=state,
            remote_id=str(1000 + n) if state == StepState.SENT else None,
            reason=REFUSED if state == StepState.FAILED else None,
        )
        for name, count in states.items()
        for state in (StepState(name),)
        for n in range(count)
    ]


async def fill(
    archive: Archive,
    *,
    subscriptions: Iterable[Subscription] = (),
    ledger: Iterable[OutboxEntry] = (),
    last_firing: str | None = None,
    more: Sequence[Issue] = (),
) -> None:
    await archive.issues.ingest_many([(i, None) for i in [*issues(), *more]])
    for subscription in subscriptions:
        await archive.subscriptions.add(subscription)
    for entry in ledger:
        await archive.ledger.record(entry)
    if last_firing is not None:
        await archive.state.set(LAST_FIRING_KEY, last_firing)


def make_archive(path: Path, **contents: Any) -> Path:
    """A real archive file holding `issues()` and whatever `fill` is given."""

    async def build() -> None:
        async with await Archive.open(path) as archive:
            await fill(archive, **contents)

    asyncio.run(build())
    return path


def newsbot(db: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", str(db), *args], env={**ENV, **(env or {})})
    return result.exit_code, result.stdout, result.stderr


def when(moment: dt.datetime) -> str:
    return f"{moment:%a %Y-%m-%d %H:%M} {moment.tzname()} (UTC{utc_offset(moment)})"


def next_monday_nine() -> dt.datetime:
    """The next firing of SCHEDULE from now (what the command computes a moment later)."""
    (firing,) = next_firings(trigger(load_settings(schedule=SCHEDULE)), dt.datetime.now(dt.UTC), 1)
    return firing


def a_week_of_publishing() -> dict[str, Any]:
    """Two channels of one server and one of another, X, and the last firing, in the ledger."""
    return {
        "subscriptions": [
            Subscription(guild_id=1, channel_id=111, kind="text"),
            Subscription(
                guild_id=1, channel_id=222, kind="forum", role_id=77, sections=("industry",)
            ),
            Subscription(guild_id=2, channel_id=555, kind="announcement"),
        ],
        "ledger": [
            *steps(202, "discord", "111", sent=5),
            *steps(202, "discord", "222", sent=1, failed=2),
            *steps(201, "discord", "555", removed=1),
            *steps(202, "discord", "555", sent=2),
            *steps(202, "x", "account", sent=3, pending=2),
        ],
        "last_firing": LAST_FIRING,
    }


# --- the command line -----------------------------------------------------------------------


def test_without_an_archive_it_says_how_to_make_one(tmp_path: Path) -> None:
    code, out, err = newsbot(tmp_path / "none.db", "status")
    assert code == 1 and out == ""
    assert "No archive at" in err and "newsbot ingest issues/" in err
    assert not (tmp_path / "none.db").exists()


def test_a_relative_archive_path_that_is_missing_says_where_it_was_looked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The config file elsewhere, run from another folder: the path is read from this one.
    site, elsewhere = tmp_path / "site", tmp_path / "home"
    site.mkdir()
    elsewhere.mkdir()
    (site / "newsbot.toml").write_text('[archive]\npath = "archive.db"\n', encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    result = CliRunner().invoke(app, ["--config", str(site / "newsbot.toml"), "status"], env=ENV)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: No archive at archive.db (in {elsewhere}, the folder newsbot runs in)."
    )


def test_the_next_firing_names_a_new_file_it_will_ingest_and_publish(tmp_path: Path) -> None:
    # The editors saved #203 in the folder; nothing has ingested it yet.
    db = tmp_path / "a.db"
    asyncio.run(_create(db))
    folder = tmp_path / "issues"
    folder.mkdir()
    (folder / "203.md").write_text(format_issue(issue(203)), encoding="utf-8")
    env = {"NEWSBOT_ISSUES__DIRECTORY": str(folder)}
    code, out, err = newsbot(db, "status", env=env)
    assert code == 0, err
    assert f"Next firing: {when(next_monday_nine())}: issue #203" in out.splitlines()
    # A file with a problem stops the firing's ingest: then only the archive counts.
    (folder / "204.md").write_text("---\nnumber: 204\n---\n", encoding="utf-8")
    code, out, err = newsbot(db, "status", env=env)
    assert code == 0, err
    assert "(no archived issue is waiting)" in out


def test_an_empty_archive(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    asyncio.run(_create(db))
    size = db.stat().st_size
    before = next_monday_nine()
    # No issue file either (from the repository's root, issues/ holds #202).
    code, out, err = newsbot(db, "status", env={"NEWSBOT_ISSUES__DIRECTORY": str(tmp_path)})
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:2] == [
        f"Archive: 0 issues, 0 items; {size:,} bytes on disk (SQLite: {db})",
        "Outlets: Discord not configured, X not configured, Mastodon not configured, "
        "Bluesky not configured",
    ]
    assert f"Schedule: '0 9 * * MON' in Europe/Berlin; next at {when(before)}" in lines
    assert (
        f"Next firing: {when(before)}: whatever is new by then (no archived issue is waiting)"
        in lines
    )
    assert "Last firing: none recorded" in lines
    assert lines[-2:] == [
        "• Discord: no channel receives issues yet (/newsletter setup, or discord.targets in "
        "the config file)",
        "Unfinished steps: none",
    ]


async def _create(db: Path) -> None:
    async with await Archive.open(db):
        pass


def test_the_last_publish_per_channel_failed_steps_next_firing_and_size(tmp_path: Path) -> None:
    db = make_archive(tmp_path / "a.db", **a_week_of_publishing())
    size = db.stat().st_size
    declared = json.dumps([{"guild_id": 1, "channel_id": 333, "role_id": 9}])
    env = {"NEWSBOT_DISCORD__TOKEN": "token", "NEWSBOT_DISCORD__TARGETS": declared, **X_KEYS}
    before = next_monday_nine()
    code, out, err = newsbot(db, "status", env=env)
    after = next_monday_nine()
    assert code == 0, err
    lines = out.splitlines()
    # The terminal names the archive it read: one run without the service's settings (its
    # secrets.env, with the archive's URL) may read another.
    assert lines[0] == (
        f"Archive: 3 issues, 3 items, newest #203; {size:,} bytes on disk (SQLite: {db})"
    )
    assert lines[1] == (
        "Outlets: Discord configured, X configured, Mastodon not configured, Bluesky not configured"
    )
    assert {f"Next firing: {when(at)}: issue #203" for at in (before, after)} & set(lines)
    assert (before.weekday(), before.hour, before.tzinfo) == (0, 9, BERLIN)
    assert lines[lines.index("Last publish:") - 2 :][:2] == LAST_FIRING_LINES
    published = lines[lines.index("Last publish:") + 1 : lines.index("Unfinished steps:")]
    assert published == [
        "• channel 111 (text) — #202: complete (5 sent)",
        "• channel 222 (forum), pings role 77, sections: industry — #202: unfinished "
        "(2 failed, 1 sent)",
        "• channel 555 (announcement) — #202: complete (2 sent)",
        "• channel 333 (from the config file), pings role 9 — nothing published yet",
        "• X — #202: unfinished (2 pending, 3 sent)",
    ]
    assert lines[lines.index("Unfinished steps:") + 1 :] == [
        f"• #202 on channel 222: 2 steps failed: {REFUSED}",
        "• #202 on X: 2 steps pending",
    ]


def test_a_channels_sections_are_shown_by_their_names(tmp_path: Path) -> None:
    edge = issue(204, {"Mobile & Edge": [item("Chip")], "業界": [item("ロボット")]})
    channel = Subscription(
        guild_id=1, channel_id=444, kind="text", sections=("mobile-edge", "業界")
    )
    db = make_archive(tmp_path / "a.db", subscriptions=[channel], more=[edge])
    code, out, err = newsbot(db, "status")
    assert code == 0, err
    assert "• channel 444 (text), sections: Mobile & Edge, 業界 — nothing published yet" in out
    # A script reads the slugs, as the settings and the archive name sections.
    code, out, err = newsbot(db, "status", "--json")
    (publish,) = json.loads(out)["last_publish"]
    assert publish["sections"] == ["mobile-edge", "業界"], out


def test_a_section_an_older_newsbot_slugged_is_shown_once(tmp_path: Path) -> None:
    # An older newsbot archived `## 業界` as `section`, and set a channel up for it so; today's
    # issue has it as `業界`, and the channel gets it under both slugs.
    then = issue(204, {"業界": [item("ロボット")]})
    then = then.model_copy(
        update={"sections": (then.sections[0].model_copy(update={"slug": "section"}),)}
    )
    channel = Subscription(guild_id=1, channel_id=444, kind="text", sections=("section",))
    db = make_archive(
        tmp_path / "a.db", subscriptions=[channel], more=[then, issue(205, {"業界": [item("AI")]})]
    )
    code, out, err = newsbot(db, "status")
    assert code == 0, err
    assert "• channel 444 (text), sections: 業界 — nothing published yet" in out


def test_a_section_set_up_by_its_slug_today_is_named_though_archived_before(
    tmp_path: Path,
) -> None:
    # `## AI ニュース` is archived as `ai`, the slug an older newsbot gave it, and since the
    # upgrade under its slug today; the channel was set up for it by that slug.
    then = issue(204, {"AI ニュース": [item("ロボット")]})
    then = then.model_copy(
        update={"sections": (then.sections[0].model_copy(update={"slug": "ai"}),)}
    )
    since = issue(205, {"AI ニュース": [item("ロボット 2")]})
    channel = Subscription(
        guild_id=1,
        channel_id=444,
        kind="text",
        sections=("ai-ニュース",),
        section_names=("AI ニュース",),
    )
    db = make_archive(tmp_path / "a.db", subscriptions=[channel], more=[then, since])
    code, out, err = newsbot(db, "status")
    assert code == 0, err
    assert "• channel 444 (text), sections: AI ニュース — nothing published yet" in out


def test_the_shards_this_process_connects_are_shown(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    asyncio.run(_create(db))
    shards = {
        "NEWSBOT_DISCORD__TOKEN": "token",
        "NEWSBOT_DISCORD__SHARD_COUNT": "4",
        "NEWSBOT_DISCORD__SHARD_IDS": "[1,3]",
    }
    code, out, err = newsbot(db, "status", env=shards)
    assert code == 0, err
    assert out.splitlines()[1] == (
        "Outlets: Discord configured (shards 1, 3 of 4), X not configured, Mastodon not "
        "configured, Bluesky not configured"
    )
    code, out, err = newsbot(db, "status", "--json", env=shards)
    assert code == 0, err
    discord = json.loads(out)["outlets"]["discord"]
    assert discord == {"configured": True, "shard_count": 4, "shard_ids": [1, 3]}


def test_json_has_the_same_facts(tmp_path: Path) -> None:
    db = make_archive(tmp_path / "a.db", **a_week_of_publishing())
    size = db.stat().st_size
    code, out, err = newsbot(db, "status", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["archive"] == {
        "path": str(db),
        "backend": "sqlite",
        "bytes": size,
        "issues": 3,
        "items": 3,
        "latest_issue": 203,
    }
    assert payload["outlets"] == {
        "discord": {"configured": False, "shard_count": None, "shard_ids": None},
        "x": {"configured": False},
        "mastodon": {"configured": False},
        "bluesky": {"configured": False},
    }
    firing = payload["next_firing"]
    at = dt.datetime.fromisoformat(firing["at"])
    assert (at.weekday(), at.hour, firing["issue"], firing["by"]) == (0, 9, 203, "schedule")
    assert firing["at"].endswith(("+01:00", "+02:00"))
    assert payload["schedule"]["cron_firing"] == firing
    assert payload["schedule"]["timed_issue"] is None
    assert payload["last_firing"] == json.loads(LAST_FIRING)
    by_target = {(p["outlet"], p["target"]): p for p in payload["last_publish"]}
    assert by_target[("discord", "222")] == {
        "outlet": "discord",
        "target": "222",
        "guild_id": 1,
        "channel_id": 222,
        "kind": "forum",
        "role_id": 77,
        "sections": ["industry"],
        "issue": 202,
        "complete": False,
        "steps": {"pending": 0, "sending": 0, "sent": 1, "failed": 2, "removed": 0},
    }
    assert by_target[("discord", "111")]["complete"] is True
    assert by_target[("x", "account")]["steps"]["pending"] == 2, "X has rows: it is shown"
    assert payload["unfinished"] == [
        {
            "issue": 202,
            "outlet": "discord",
            "target": "222",
            "state": "failed",
            "steps": 2,
            "reason": REFUSED,
        },
        {
            "issue": 202,
            "outlet": "x",
            "target": "account",
            "state": "pending",
            "steps": 2,
            "reason": None,
        },
    ]


def test_a_future_publish_at_is_the_next_firing(tmp_path: Path) -> None:
    # A cron firing only on 29 February: the issue's own time, tomorrow, comes first.
    env = {"NEWSBOT_SCHEDULE__CRON": "0 9 29 2 *"}
    tomorrow = (dt.datetime.now(BERLIN) + dt.timedelta(days=1)).replace(
        second=0, microsecond=0, tzinfo=None
    )
    timed = issue(204, publish_at=tomorrow)
    db = make_archive(tmp_path / "a.db", more=[timed], ledger=steps(202, "discord", "111", sent=1))
    code, out, err = newsbot(db, "status", env=env)
    assert code == 0, err
    at = tomorrow.replace(tzinfo=BERLIN)
    assert f"Next issue with its own time: #204 at {when(at)}" in out
    assert f"Next firing: {when(at)}: issue #204, at its own publish_at" in out

    code, out, err = newsbot(db, "status", "--json", env=env)
    payload = json.loads(out)
    assert payload["next_firing"] == {"at": at.isoformat(), "issue": 204, "by": "publish_at"}
    assert payload["schedule"]["timed_issue"] == payload["next_firing"]
    cron = payload["schedule"]["cron_firing"]
    assert dt.datetime.fromisoformat(cron["at"]).strftime("%m-%d %H:%M") == "02-29 09:00"
    # #204 has gone out at its own time by then; the regular #203 is not passed over by it.
    assert cron["issue"] == 203


def test_a_published_timed_issue_is_not_waiting(tmp_path: Path) -> None:
    # Its own time comes before the schedule's next firing, whatever the day of the week: a
    # day ahead was after it from Sunday 08:00 UTC (Monday 09:00 in Berlin) on.
    now = dt.datetime.now(dt.UTC)
    own_time = now + (next_monday_nine() - now) / 2
    db = make_archive(
        tmp_path / "a.db",
        more=[issue(204, publish_at=own_time)],
        ledger=steps(204, "x", "account", sent=1),
    )
    code, out, err = newsbot(db, "status", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["schedule"]["timed_issue"] is None
    assert payload["next_firing"]["by"] == "schedule"
    assert payload["next_firing"]["issue"] == 203, "#204 went out at its own time: no pass-over"


def test_the_last_firing_is_shown_when_recorded_and_readable(tmp_path: Path) -> None:
    db = make_archive(tmp_path / "a.db", last_firing=LAST_FIRING)
    code, out, _ = newsbot(db, "status")
    assert code == 0
    lines = out.splitlines()
    start = lines.index(LAST_FIRING_LINES[0])
    assert lines[start : start + 2] == LAST_FIRING_LINES

    broken = make_archive(tmp_path / "b.db", last_firing='{"at": "yesterday"}')
    code, out, _ = newsbot(broken, "status")
    assert code == 0 and "Last firing: none recorded" in out.splitlines()
    code, out, _ = newsbot(broken, "status", "--json")
    assert json.loads(out)["last_firing"] is None


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(
    st.text()
    | JSON_VALUES.map(json.dumps)
    | st.fixed_dictionaries(
        {"at": st.datetimes().map(dt.datetime.isoformat)},
        optional={"published": JSON_VALUES, "failures": JSON_VALUES},
    ).map(json.dumps)
)
def test_any_recorded_last_firing_is_read_or_ignored_without_error(text: str) -> None:
    firing = parse_last_firing(text)
    if firing is not None:
        assert firing.at.tzinfo is not None
        assert all(isinstance(n, int) for numbers in firing.published.values() for n in numbers)
        assert all(isinstance(failure, str) for failure in firing.failures)


ONE_LINE = st.text(st.characters(exclude_characters="\n"), max_size=3000)


@given(st.lists(ONE_LINE, max_size=30), st.integers(min_value=40, max_value=4096))
def test_the_discord_answer_fits_its_limit_and_keeps_whole_lines(
    lines: list[str], limit: int
) -> None:
    text = _fit(lines, limit)
    assert len(text) <= limit
    if text != "\n".join(lines):
        *kept, note = text.split("\n")
        assert kept == lines[: len(kept)]
        assert note == f"… and {len(lines) - len(kept)} more lines"


# --- Discord --------------------------------------------------------------------------------


async def test_newsletter_status_shows_the_clis_facts_for_its_server(
    archive: Archive, start_newsbot: StartNewsbot, emulator: Emulator, seed: DefaultWorld
) -> None:
    general, forum = str(seed.general.id), str(seed.forum.id)
    await fill(
        archive,
        subscriptions=[
            Subscription(seed.guild.id, seed.general.id, "text", role_id=seed.newsletter_role.id),
            Subscription(seed.guild.id, seed.forum.id, "forum"),
            Subscription(guild_id=2, channel_id=555, kind="text"),
        ],
        ledger=[
            *steps(202, "discord", general, sent=5),
            *steps(202, "discord", forum, sent=1, failed=2),
            *steps(202, "discord", "555", failed=1),
            *steps(202, "x", "account", sent=3, pending=2),
        ],
        last_firing=LAST_FIRING,
    )
    bot = await start_newsbot(archive, schedule=SCHEDULE, discord={"token": emulator.token})
    handle = await emulator.run_slash_command(
        seed.guild, seed.general, seed.manager, "newsletter", {}, subcommand="status"
    )
    answer = await handle.original(timeout=10)
    assert answer.flags & int(MessageFlag.EPHEMERAL)
    assert answer.allowed_mentions is not None and answer.allowed_mentions.get("parse") == []
    (card,) = answer.embeds
    on_discord = card["description"].splitlines()
    env = {"NEWSBOT_DISCORD__TOKEN": emulator.token}
    code, out, err = await asyncio.to_thread(newsbot, archive.path, "status", env=env)
    assert code == 0, err
    in_terminal = out.splitlines()

    failed = f"• #202 on {{}}: 2 steps failed: {REFUSED}"
    assert failed.format(f"<#{forum}>") in on_discord
    assert failed.format(f"channel {forum}") in in_terminal
    assert (
        f"• <#{general}> (text), pings <@&{seed.newsletter_role.id}> — #202: complete (5 sent)"
        in on_discord
    )
    # The same facts, worded alike: only channels and roles are written differently, and
    # the terminal names the archive's file, which is none of a server's business.
    (archive_line,) = [line for line in in_terminal if line.startswith("Archive: ")]
    assert archive_line.endswith(f" (SQLite: {archive.path})")
    assert archive_line.removesuffix(f" (SQLite: {archive.path})") in on_discord
    assert not any(str(archive.path) in line for line in on_discord)
    for line in on_discord:
        if "<#" not in line and not line.startswith("Archive: "):
            assert line in in_terminal
    assert [line for line in on_discord if line.startswith("Next firing: ")] == [
        f"Next firing: {when(next_monday_nine())}: issue #203"
    ]
    assert all(line in on_discord for line in LAST_FIRING_LINES)
    outlets = "Outlets: Discord configured, X not configured, Mastodon not configured, "
    assert outlets + "Bluesky not configured" in on_discord
    # Another server's channel is the CLI's business, not this server's.
    assert "• #202 on channel 555: 1 step failed: " + REFUSED in in_terminal
    # As a mention or by number: "555" alone may turn up in an id or a timestamp by chance.
    assert not any("<#555>" in line or "channel 555" in line for line in on_discord)
    assert "• #202 on X: 2 steps pending" in on_discord

    expected = await gather_status(
        archive, bot.settings, now=dt.datetime.now(dt.UTC), guild_id=seed.guild.id
    )
    assert card["description"] == "\n".join(status_lines(expected, mentions=True))


def test_an_issue_file_waiting_for_its_own_time_is_the_next_firing(tmp_path: Path) -> None:
    # The schedule leaves a file with a time ahead out of the archive; the status reads it.
    folder = tmp_path / "issues"
    folder.mkdir()
    tomorrow = (dt.datetime.now(BERLIN) + dt.timedelta(days=1)).replace(
        second=0, microsecond=0, tzinfo=None
    )
    (folder / "205.md").write_text(format_issue(issue(205, publish_at=tomorrow)), "utf-8")
    db = make_archive(tmp_path / "a.db")
    env = {**ENV, "NEWSBOT_SCHEDULE__CRON": "0 9 29 2 *", "NEWSBOT_ISSUES__DIRECTORY": str(folder)}
    code, out, err = newsbot(db, "status", env=env)
    assert code == 0, err
    at = tomorrow.replace(tzinfo=BERLIN)
    assert f"Next firing: {when(at)}: issue #205, at its own publish_at" in out
