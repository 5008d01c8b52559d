"""Settings: a TOML file (`--config`), overridden by `NEWSBOT_<SECTION>__<KEY>` variables.

Secrets are `SecretStr` and are read only from the environment, never from the TOML file.
A variable named `NEWSBOT_…` that is no setting is refused by name, as a misspelt key is.
pydantic-settings reads the variables; when each is a plain `NEWSBOT_<SECTION>__<KEY>` of a
known key holding one value, and the settings are valid, newsbot reads them itself as
pydantic-settings would, and does not load it (a good part of every command's start). When
every value is plainly valid, a command starts on `bot._settings_plain` without pydantic at all.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AnyUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from bot._settings_base import Section, endpoint, usable_path
from bot._settings_errors import environment_problem, file_line, problems
from bot._settings_plain import DEFAULT_CRON as DEFAULT_CRON
from bot._settings_plain import ENV_PREFIX as ENV_PREFIX
from bot._settings_plain import check_variables as _check_variables
from bot._settings_plain import env_name as env_name
from bot._settings_plain import merged as _merged
from bot._settings_plain import plain_environment as _plain_environment
from bot._settings_plain import read_config as _read_config
from bot.errors import ConfigError
from bot.schedule.cron import cron_trigger

# The thread outlets' sections live beside this module; they are part of its interface.
from bot.thread_outlet_settings import BlueskySettings as BlueskySettings
from bot.thread_outlet_settings import MastodonSettings as MastodonSettings
from bot.thread_outlet_settings import XSettings as XSettings


class ArchiveSettings(Section):
    """Where the archive lives."""

    path: Path = Field(default=Path("newsbot.db"), description="The SQLite file of the archive.")
    url: SecretStr | None = Field(
        default=None,
        description="postgresql://user:password@host:port/database: the archive on a PostgreSQL"
        " server that several newsbot processes share, instead of the SQLite file (a password"
        " only from the environment, NEWSBOT_ARCHIVE__URL)",
    )

    _usable = field_validator("path", mode="before")(usable_path)

    @field_validator("url")
    @classmethod
    def _postgresql_url(cls, url: SecretStr | None) -> SecretStr | None:
        if url is None:
            return None
        text = url.get_secret_value().strip()
        if not text:
            return None
        parts = urlsplit(text)
        if parts.scheme not in ("postgresql", "postgres") or not text.startswith(
            parts.scheme + "://"
        ):
            raise ValueError("must be a PostgreSQL URL: postgresql://user:password@host/database")
        return SecretStr(text)

    def location(self) -> Path | str:
        """Where the archive is: the PostgreSQL URL (with its password) if set, else the file."""
        return self.url.get_secret_value() if self.url is not None else self.path

    def shown(self) -> str:
        """Where the archive is, fit to print: the URL without user or password, or the file."""
        from bot.network import shown_url

        return str(self.path) if self.url is None else shown_url(self.url.get_secret_value())


class IssuesSettings(Section):
    """Where the issue files are."""

    directory: Path = Field(default=Path("issues"), description="The folder of issue files.")

    _usable = field_validator("directory", mode="before")(usable_path)


class TargetSettings(Section):
    """A channel declared in the config file to receive each issue.

    Every Discord id (a snowflake) is positive (`gt=0`): 0 or -5 is a typo.
    """

    guild_id: int = Field(gt=0)
    channel_id: int = Field(gt=0)
    role_id: int | None = Field(default=None, gt=0)
    sections: tuple[str, ...] = Field(
        default=(), description="Section names or slugs this channel gets; empty: all."
    )
    alerts_channel_id: int | None = Field(default=None, gt=0)


class DiscordSettings(Section):
    """How newsbot reaches Discord."""

    token: SecretStr | None = Field(
        default=None, description="The bot token; only from NEWSBOT_DISCORD__TOKEN."
    )
    application_id: int | None = Field(
        default=None,
        description="The application's id (read from Discord when not set).",
        gt=0,  # a Discord id, as a target's
    )
    api_base: AnyUrl = Field(
        default=AnyUrl("https://discord.com/api/v10"),
        description="Discord's REST API, or a REST proxy or the emulator in front of it.",
    )
    gateway_url: AnyUrl = Field(
        default=AnyUrl("wss://gateway.discord.gg"), description="Discord's gateway websocket."
    )
    dev_guild: int | None = Field(
        default=None,
        description="Sync commands to this server only (instant) instead of globally.",
        gt=0,  # a Discord id, as a target's
    )
    targets: tuple[TargetSettings, ...] = Field(
        default=(),
        description="Channels that receive each issue, besides those set up with /newsletter.",
    )
    alerts_channel_id: int | None = Field(
        default=None,
        description="The editors' alerts channel: the issue files' problems and the other "
        "outlets' failures (unset: the declared targets' alerts channels).",
        gt=0,  # a Discord id, as a target's
    )
    message_content: bool = Field(
        default=False,
        description="Ask for the privileged message content intent: links in replies in "
        "newsbot's threads become suggestions. Without it only the commands work.",
    )
    guild_ready_timeout: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="Seconds `newsbot run` waits at connect for one more server before it is "
        "ready (and publishes what the schedule owes): Discord sends the servers one by one.",
    )
    shard_count: int | None = Field(
        default=None,
        ge=1,
        description="How many shards the bot's servers are split into, over all processes "
        "(unset: one connection, unsharded).",
    )
    shard_ids: tuple[int, ...] | None = Field(
        default=None,
        description="The shards this process connects (each below shard_count); "
        "unset with shard_count: all of them.",
    )

    @field_validator("shard_ids")
    @classmethod
    def _own_shards(
        cls, ids: tuple[int, ...] | None, info: ValidationInfo
    ) -> tuple[int, ...] | None:
        if ids is None:
            return None
        count = info.data.get("shard_count")
        if count is None:
            raise ValueError("needs discord.shard_count, the number of shards over all processes")
        if not ids:
            raise ValueError("is empty: list the shards this process connects, e.g. [0, 1]")
        outside = sorted({i for i in ids if not 0 <= i < count})
        if outside:
            raise ValueError(
                f"shard {', '.join(map(str, outside))} is not between 0 and "
                f"{count - 1} (discord.shard_count is {count})"
            )
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"shard {', '.join(map(str, twice))} is listed more than once")
        return ids

    @field_validator("api_base")
    @classmethod
    def _restendpoint(cls, url: AnyUrl) -> AnyUrl:
        return endpoint(url, ("https", "http"))

    @field_validator("gateway_url")
    @classmethod
    def _gatewayendpoint(cls, url: AnyUrl) -> AnyUrl:
        return endpoint(url, ("wss", "ws"))

    def configured(self) -> bool:
        """Whether the bot token is set."""
        return self.token is not None and bool(self.token.get_secret_value().strip())

    def editors_alerts(self) -> tuple[int, ...]:
        """The channels where the editors hear what is theirs alone (an issue file's problems
        with its path, an issue's titles before it is out, the other outlets' failures):
        `alerts_channel_id`, else the alerts channels of the targets declared here, the
        deployment's own servers, each once. Never a server's that subscribed with /newsletter:
        its managers are not the newsletter's editors."""
        if self.alerts_channel_id is not None:
            return (self.alerts_channel_id,)
        declared = (t.alerts_channel_id for t in self.targets if t.alerts_channel_id is not None)
        return tuple(dict.fromkeys(declared))

    def shards(self) -> tuple[int, ...] | None:
        """The shards this process connects, or None when the bot is not sharded."""
        if self.shard_count is None:
            return None
        return self.shard_ids if self.shard_ids is not None else tuple(range(self.shard_count))


class PublishingSettings(Section):
    """How newsbot publishes issues."""

    requests_per_second: float = Field(
        default=45.0,
        gt=0,
        le=50,
        description="API requests a second while publishing, under Discord's global 50.",
    )
    concurrency: int = Field(default=25, ge=1, description="Channels published to at once.")
    retries: int = Field(
        default=3, ge=0, description="Retries of a call that failed for a passing reason (5xx)."
    )
    retry_delay: float = Field(
        default=1.0, ge=0, description="Seconds before the first retry; doubled each time."
    )
    stop_grace: float = Field(
        default=10.0,
        ge=0,
        description="Seconds a publish in progress may go on when newsbot is stopped.",
    )
    max_wait: float = Field(
        default=120.0,
        ge=0,
        description="Seconds to wait out a Discord rate limit (at least 30, discord.py's "
        "least); a longer wait leaves the channel's rest for the next publish.",
    )
    request_timeout: float = Field(
        default=30.0, gt=0, description="Seconds one Discord request may go unanswered."
    )
    step_timeout: float = Field(
        default=60.0,
        gt=0,
        description="Seconds a Discord step may keep failing (5xx, no answer) before the "
        "channel's rest waits for the next publish.",
    )
    share_refresh: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="Seconds between two readings of how many processes publish at once "
        "(sharing the rate); the same in every process.",
    )


class SuggestionsSettings(Section):
    """How readers suggest links for the next issue."""

    per_reader_per_day: int = Field(
        default=10, ge=1, description="Links one reader may suggest in 24 hours."
    )
    fetch_titles: bool = Field(
        default=False, description="Fetch each suggested page's <title> (bounded, public only)."
    )
    allow_private_fetch: bool = Field(
        default=False,
        description="For tests only: let title fetching reach private and loopback addresses.",
    )
    thank_suggesters: bool = Field(
        default=False,
        description="Thank, in each section's thread, the readers whose links made the issue.",
    )


class ScheduleSettings(Section):
    """When `newsbot run` publishes the newest unpublished issue on its own."""

    cron: str = Field(
        default=DEFAULT_CRON,
        description="A 5-field crontab (minute hour day month weekday) in `timezone`; a 6th "
        "field in front is seconds (`*/10 * * * * *`, for demos and tests).",
    )
    timezone: str = Field(default="UTC", description="The IANA timezone the cron reads in.")
    catch_up: Literal["latest", "all", "none"] = Field(
        default="latest",
        description="At start, publish the newest due unpublished issue, all of them, or none.",
    )
    misfire_grace_time: int = Field(
        default=3600, ge=1, description="Seconds a late firing still runs (apscheduler's is 1)."
    )
    coalesce: bool = Field(default=True, description="Several missed firings run once.")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {name!r}: use an IANA name such as Europe/Berlin or UTC"
            ) from None
        return name

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, cron: str) -> str:
        if cron == DEFAULT_CRON:
            return cron  # reading it would load apscheduler for every command; a test reads it
        try:
            trigger = cron_trigger(cron, ZoneInfo("UTC"))
        except ValueError as exc:
            raise ValueError(
                f"not a 5-field crontab (minute hour day month weekday) like '0 9 * * MON': {exc}"
            ) from None
        if trigger.get_next_fire_time(None, dt.datetime.now(dt.UTC)) is None:
            raise ValueError(
                f"{cron!r} never fires: no date has the day of the month and the month it names"
                " (like 30 February)"
            )
        return cron


class LogSettings(Section):
    """How newsbot logs, on stderr; secrets are always replaced by `[redacted]`."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="The least severe level logged (`newsbot -v`: DEBUG)."
    )
    format: Literal["text", "json"] = Field(
        default="text",
        description="Plain text lines, or one JSON object a line for a log collector.",
    )


class Settings(BaseModel):
    """Every setting of newsbot, grouped by section as in `config.example.toml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    archive: ArchiveSettings = ArchiveSettings()
    issues: IssuesSettings = IssuesSettings()
    discord: DiscordSettings = DiscordSettings()
    publishing: PublishingSettings = PublishingSettings()
    suggestions: SuggestionsSettings = SuggestionsSettings()
    x: XSettings = XSettings()
    mastodon: MastodonSettings = MastodonSettings()
    bluesky: BlueskySettings = BlueskySettings()
    schedule: ScheduleSettings = ScheduleSettings()
    log: LogSettings = LogSettings()


@functools.lru_cache(maxsize=8)
def _sourced(config: Path | None) -> type[Settings]:
    """`Settings` that pydantic-settings builds from `config` (TOML), the environment and the
    arguments given, in reverse order of precedence.

    One class a config path: building it takes pydantic a few milliseconds, and each instance
    reads the file and the environment afresh all the same."""
    from pydantic_settings import (
        BaseSettings,
        PydanticBaseSettingsSource,
        SettingsConfigDict,
        TomlConfigSettingsSource,
    )

    class SourcedSettings(BaseSettings, Settings):
        model_config = SettingsConfigDict(
            env_prefix=ENV_PREFIX,
            env_nested_delimiter="__",
            extra="forbid",
            frozen=True,
        )

        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
            if config is not None:
                sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config))
            return tuple(sources)

    return SourcedSettings


def secret_keys(model: type[BaseModel] = Settings, prefix: str = "") -> list[str]:
    """The dotted keys of every secret setting (`discord.token` …)."""
    keys: list[str] = []
    for name, info in model.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            keys += secret_keys(kind, f"{prefix}{name}.")
        elif "SecretStr" in str(kind):
            keys.append(prefix + name)
    return keys


def _reject_secrets_in_file(config: Path, data: dict[str, Any]) -> None:
    """Refuse a secret written in the file, under its section's name in any case: the file's
    sections are read as the variables are, without case (`[Discord]` is `[discord]`)."""
    for key in secret_keys():
        section, _, name = key.rpartition(".")
        tables = [t for s, t in data.items() if s.lower() == section] if section else [data]
        for table in tables:
            if not isinstance(table, dict) or name not in table:
                continue
            if key == "archive.url" and _without_password(table[name]):
                continue  # a URL without a password may be written down
            raise ConfigError(
                f"{file_line(config, (section, name))}: {key} is a secret and is read only "
                f"from the environment: remove it from the file and set {env_name(key)}"
            )


def _one_table_per_section(config: Path, data: dict[str, Any]) -> None:
    """Refuse two tables whose names differ only in case (`[schedule]` and `[Schedule]`): the
    sections are read without case, so one would be dropped, and the settings in it unread."""
    seen: dict[str, str] = {}
    for name in data:
        first = seen.setdefault(name.lower(), name)
        if first != name:
            raise ConfigError(
                f"{file_line(config, (name,))}: [{name}] is the section [{first}] again (section"
                f" names are read without case): move its settings into [{first}]"
            )


def _without_password(url: object) -> bool:
    """Whether a database URL in the file holds no password (libpq then reads ~/.pgpass)."""
    return isinstance(url, str) and urlsplit(url).password is None and "password=" not in url


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings from `config` (TOML), the environment and `overrides`.

    The file and the environment are checked before `overrides` (`--db`) replace any of their
    values, so that a bad setting is refused whatever the command line says. Raise
    `ConfigError` naming the file, the key and what is wrong.
    """
    data: dict[str, Any] = {}
    if config is not None:
        data = _read_config(config)
        _one_table_per_section(config, data)
        _reject_secrets_in_file(config, data)
    _check_variables()
    environment = _plain_environment()
    if environment is not None:
        try:
            return _overridden(Settings.model_validate(_merged(data, environment)), overrides)
        except ValidationError:
            pass  # pydantic-settings reads them again and says what is wrong, as always
    from pydantic_settings import SettingsError

    try:
        return _overridden(_sourced(config)(), overrides)
    except SettingsError as exc:
        # Only the environment is parsed by pydantic-settings itself (the file was read above).
        raise ConfigError(environment_problem(exc)) from None
    except ValidationError as exc:
        raise ConfigError(problems(exc, config, Settings)) from None


def _overridden(settings: Settings, overrides: dict[str, Any]) -> Settings:
    """`settings` with `overrides` over them, checked again, as plain `Settings` (pydantic-settings
    builds a subclass; no source is read again) so that callers get one class."""
    if not overrides and type(settings) is Settings:
        return settings
    return Settings.model_validate(_merged(settings.model_dump(), overrides))
