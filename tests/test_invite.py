"""`newsbot invite-url`: the link that adds the bot, asking for what its features use."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import discord
import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.cli._console import CONFIG_EXIT

PUBLISHING = {
    "view_channel",
    "send_messages",
    "embed_links",
    "create_public_threads",
    "send_messages_in_threads",
    "read_message_history",
    "manage_threads",
}
"""Posting digests, threads and forum posts; finding an interrupted publish's messages and
threads; deleting the thread of a section a correction removed."""


def granted(url: str) -> tuple[str, discord.Permissions]:
    """The link's client id and the permissions its integer grants, as discord.py reads it."""
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "discord.com", "/oauth2/authorize")
    query = parse_qs(parts.query)
    assert query["scope"] == ["bot applications.commands"]
    assert "scope=bot+applications.commands" in parts.query
    return query["client_id"][0], discord.Permissions(int(query["permissions"][0]))


@pytest.fixture
def invite(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    for name in ("NEWSBOT_DISCORD__APPLICATION_ID", "NEWSBOT_DISCORD__MESSAGE_CONTENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def url_of(runner: CliRunner, *args: str, env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, ["invite-url", *args], env=env)
    assert result.exit_code == 0, result.stderr
    (line,) = result.stdout.splitlines()
    return line


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ((), {}, PUBLISHING),
        # Crossposting its own digest needs only Send Messages (Message › Crosspost Message).
        (("--announcements",), {}, PUBLISHING),
        (("--roles",), {}, PUBLISHING | {"manage_roles"}),
        (
            (),
            {"NEWSBOT_DISCORD__TARGETS": '[{"guild_id": 1, "channel_id": 2, "role_id": 3}]'},
            PUBLISHING | {"manage_roles"},
        ),
        (
            (),
            {"NEWSBOT_DISCORD__TARGETS": '[{"guild_id": 1, "channel_id": 2}]'},
            PUBLISHING,
        ),
        ((), {"NEWSBOT_DISCORD__MESSAGE_CONTENT": "true"}, PUBLISHING | {"add_reactions"}),
        (
            ("--announcements", "--roles"),
            {"NEWSBOT_DISCORD__MESSAGE_CONTENT": "true"},
            PUBLISHING | {"manage_roles", "add_reactions"},
        ),
    ],
)
def test_the_permissions_are_exactly_what_the_features_use(
    invite: CliRunner, args: tuple[str, ...], env: dict[str, str], expected: set[str]
) -> None:
    client_id, permissions = granted(url_of(invite, "--client-id", "1234567890", *args, env=env))
    assert client_id == "1234567890"
    assert permissions == discord.Permissions(**dict.fromkeys(expected, True))
    for name in expected:
        assert getattr(permissions, name), name


def test_each_permission_is_listed_with_its_reason(invite: CliRunner) -> None:
    result = invite.invoke(app, ["invite-url", "--client-id", "42", "--roles"])
    assert "Manage Roles: to give and take the role a digest pings" in result.stderr
    assert "Manage Threads: to delete a section's thread or forum post" in result.stderr
    assert "and correct one a moderator locked" in result.stderr
    assert "(--announcements: to crosspost in an announcement channel)" in result.stderr


def test_the_application_id_comes_from_the_settings(invite: CliRunner) -> None:
    url = url_of(invite, env={"NEWSBOT_DISCORD__APPLICATION_ID": "987654321"})
    assert granted(url)[0] == "987654321"
    url = url_of(invite, "--client-id", "5", env={"NEWSBOT_DISCORD__APPLICATION_ID": "987654321"})
    assert granted(url)[0] == "5", "the option wins"


def test_without_an_application_id_it_says_where_to_find_it(invite: CliRunner) -> None:
    result = invite.invoke(app, ["invite-url"])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: no application id: pass --client-id ID or set discord.application_id. "
        "The application id is the Application ID on your application's General Information "
        "page at https://discord.com/developers/applications"
    )
    assert not result.stdout


def test_an_application_id_that_is_not_positive_is_refused(invite: CliRunner) -> None:
    for bad in ("-5", "0"):
        env = {"NEWSBOT_DISCORD__APPLICATION_ID": bad}
        result = invite.invoke(app, ["invite-url"], env=env)
        assert result.exit_code == CONFIG_EXIT
        assert result.stderr == (
            "error: discord.application_id: Input should be greater than 0 "
            "(from NEWSBOT_DISCORD__APPLICATION_ID)\n"
        )
        assert not result.stdout


def test_with_message_content_it_says_where_to_turn_the_intent_on(invite: CliRunner) -> None:
    """Message Content is privileged: Discord closes the gateway (4014) unless it is turned on
    in the Developer Portal, and `newsbot run` stops; the editor hears of it with the link."""
    with_intent = invite.invoke(
        app, ["invite-url", "--client-id", "42"], env={"NEWSBOT_DISCORD__MESSAGE_CONTENT": "true"}
    )
    assert with_intent.exit_code == 0, with_intent.stderr
    said = " ".join(with_intent.stderr.split())
    assert (
        "Message Content, a privileged intent: turn it on first at "
        "https://discord.com/developers/applications/42/bot → Privileged Gateway Intents → "
        "Message Content"
    ) in said
    assert "`newsbot run` stops (exit status 78)" in said
    without = invite.invoke(app, ["invite-url", "--client-id", "42"])
    assert "privileged" not in without.stderr
