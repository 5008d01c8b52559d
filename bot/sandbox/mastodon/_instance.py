"""How the emulated instance describes itself: `GET /api/v2/instance` (docs: Instance entity,
`configuration.statuses`) and, on a server of any version, `GET /api/v1/instance` (docs:
V1_Instance entity, whose `configuration` was added in 3.4.2; before that the limits were
fixed at 500 characters and 23 a URL)."""

from __future__ import annotations

from typing import Any

from ._config import MastodonEmulatorConfig

JSON = dict[str, Any]


def older_than(version: str, than: str) -> bool:
    """Whether Mastodon `version` is older than `than` (both `major.minor.patch`)."""
    return _parts(version) < _parts(than)


def _parts(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _statuses(config: MastodonEmulatorConfig) -> JSON:
    return {
        "max_characters": config.max_characters,
        "max_media_attachments": 4,
        "characters_reserved_per_url": config.characters_reserved_per_url,
    }


def description(config: MastodonEmulatorConfig) -> JSON:
    """The instance as `GET /api/v2/instance` answers (Mastodon 4.0.0 and later)."""
    return {
        "domain": config.domain,
        "title": "Mastodon emulator",
        "version": config.version,
        "source_url": "https://github.com/mastodon/mastodon",
        "description": "A loopback Mastodon for newsbot's tests.",
        "usage": {"users": {"active_month": 1}},
        "thumbnail": {"url": f"https://{config.domain}/thumbnail.png"},
        "languages": ["en"],
        "configuration": {
            "urls": {"streaming": f"wss://{config.domain}"},
            "accounts": {"max_featured_tags": 10},
            "statuses": _statuses(config),
        },
        "registrations": {"enabled": False, "approval_required": False, "message": None},
        "contact": {"email": f"admin@{config.domain}", "account": None},
        "rules": [],
    }


def description_v1(config: MastodonEmulatorConfig, statuses: int) -> JSON:
    """The instance as `GET /api/v1/instance` answers, with `statuses` posted on it."""
    body: JSON = {
        "uri": config.domain,
        "title": "Mastodon emulator",
        "short_description": "A loopback Mastodon for newsbot's tests.",
        "description": "",
        "email": f"admin@{config.domain}",
        "version": config.version,
        "urls": {"streaming_api": f"wss://{config.domain}"},
        "stats": {"user_count": 1, "status_count": statuses, "domain_count": 1},
        "thumbnail": None,
        "languages": ["en"],
        "registrations": False,
        "approval_required": False,
        "invites_enabled": False,
        "contact_account": None,
        "rules": [],
    }
    if not older_than(config.version, "3.4.2"):
        body["configuration"] = {"statuses": _statuses(config)}
    return body
