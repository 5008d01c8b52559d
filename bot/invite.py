"""The link that invites newsbot to a server: its OAuth2 scopes, and the permissions that the
features it will use call for, each with the reason.

The bits are Discord's (the developer documentation's permission table); what each feature
calls is in `bot/publishing/outlets/discord.py` and `cogs/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from bot.settings import Settings

AUTHORIZE = "https://discord.com/oauth2/authorize"
SCOPES = ("bot", "applications.commands")
PORTAL = "https://discord.com/developers/applications"

PERMISSION_BITS = {
    "Add Reactions": 6,
    "View Channel": 10,
    "Send Messages": 11,
    "Manage Messages": 13,
    "Embed Links": 14,
    "Read Message History": 16,
    "Manage Roles": 28,
    "Manage Threads": 34,
    "Create Public Threads": 35,
    "Send Messages in Threads": 38,
}
"""Each permission newsbot may ask for, by the name Discord shows, and its bit."""


@dataclass(frozen=True)
class Need:
    """A feature of newsbot and the permissions its calls to Discord require."""

    feature: str
    permissions: tuple[str, ...]


PUBLISHING = (
    Need(
        "post each issue: a digest and items as embeds, a thread per section (in a forum, a post"
        " per section)",
        (
            "View Channel",
            "Send Messages",
            "Embed Links",
            "Create Public Threads",
            "Send Messages in Threads",
        ),
    ),
    Need(
        "find what an interrupted publish already posted (recent messages, archived threads)",
        ("Read Message History",),
    ),
    Need(
        "delete a section's thread or forum post that a corrected issue no longer has, and "
        "correct one a moderator locked",
        ("Manage Threads",),
    ),
)
CROSSPOSTING = Need(
    "crosspost its digest from an announcement channel to the servers following it (its own "
    "message: Manage Messages is only needed for others')",
    ("Send Messages",),
)
NOTIFY_ME = Need(
    "give and take the role a digest pings, with its Notify me button", ("Manage Roles",)
)
REPLIES = Need(
    "take links in replies in newsbot's threads as suggestions, acknowledged with ✅ or answered",
    ("View Channel", "Read Message History", "Add Reactions", "Send Messages in Threads"),
)


def intent_reminder(client_id: int) -> str:
    """What to turn on in the Developer Portal before `newsbot run` with
    `discord.message_content = true`: Discord closes the gateway on a privileged intent the
    application was not granted (close code 4014), and newsbot then stops with status 78."""
    return (
        "discord.message_content = true asks for Message Content, a privileged intent: turn it"
        f" on first at {PORTAL}/{client_id}/bot → Privileged Gateway Intents → Message Content"
        " (a bot in 100 servers or more needs Discord's approval for it), or `newsbot run`"
        " stops (exit status 78)"
    )


def needs(settings: Settings, *, announcements: bool, roles: bool) -> list[Need]:
    """What newsbot will do on Discord, given the settings and the kinds of channel chosen.

    Roles are wanted when asked for or when a channel in the config file pings one.
    """
    wanted = list(PUBLISHING)
    if announcements:
        wanted.append(CROSSPOSTING)
    if roles or any(t.role_id is not None for t in settings.discord.targets):
        wanted.append(NOTIFY_ME)
    if settings.discord.message_content:
        wanted.append(REPLIES)
    return wanted


def permissions_value(wanted: list[Need]) -> int:
    """The permissions integer of the invite: one bit per permission the features need."""
    bits = {PERMISSION_BITS[name] for need in wanted for name in need.permissions}
    return sum(1 << bit for bit in bits)


def invite_url(client_id: int, wanted: list[Need]) -> str:
    """The OAuth2 link that adds the bot, with its commands, and the permissions wanted."""
    query = urlencode(
        {
            "client_id": client_id,
            "scope": " ".join(SCOPES),
            "permissions": permissions_value(wanted),
        }
    )
    return f"{AUTHORIZE}?{query}"
