"""The settings of the outlets that post an issue as a thread on one account: X, Mastodon,
Bluesky. Their secrets come only from the environment (`bot.settings` refuses them in a file)."""

from __future__ import annotations

from typing import Literal

from pydantic import AnyUrl, Field, SecretStr, field_validator

from bot._settings_base import Section, endpoint


class ThreadSection(Section):
    """What every thread outlet's section holds: the thread's length, the rate-limit wait, and
    an API address (`api_base`, or Bluesky's `service`) that is a bare http(s) origin."""

    max_posts: int = Field(
        default=8, ge=2, le=100, description="The most posts a thread has; longer ones condense."
    )
    max_wait: float = Field(
        default=120.0,
        ge=0,
        description="Seconds to wait out a rate limit; a longer wait leaves the rest for later.",
    )

    @field_validator("api_base", "service", check_fields=False)
    @classmethod
    def _endpoint(cls, url: AnyUrl) -> AnyUrl:
        return endpoint(url, ("https", "http"))


class XSettings(ThreadSection):
    """How newsbot posts each issue as a thread on X."""

    consumer_key: SecretStr | None = Field(
        default=None, description="The app's API key; only from NEWSBOT_X__CONSUMER_KEY."
    )
    consumer_secret: SecretStr | None = Field(
        default=None, description="The app's API key secret; only from NEWSBOT_X__CONSUMER_SECRET."
    )
    access_token: SecretStr | None = Field(
        default=None, description="The account's access token; only from NEWSBOT_X__ACCESS_TOKEN."
    )
    access_token_secret: SecretStr | None = Field(
        default=None,
        description="The account's access token secret; only from NEWSBOT_X__ACCESS_TOKEN_SECRET.",
    )
    api_base: AnyUrl = Field(
        default=AnyUrl("https://api.x.com"),
        description="X's API origin, or a proxy or the emulator in front of it.",
    )
    links: Literal["issue", "items", "none"] = Field(
        default="issue",
        description="Links in the thread: the issue's (first post only), each item's, or none.",
    )
    daily_posts: int = Field(
        default=17, ge=1, description="Posts a day your X plan allows (Free 17, Basic 100)."
    )
    post_price: float = Field(default=0.015, ge=0, description="Dollars a post costs.")
    url_post_price: float = Field(
        default=0.20, ge=0, description="Dollars a post containing a URL costs."
    )

    def configured(self) -> bool:
        """Whether all four OAuth 1.0a keys are set."""
        keys = (
            self.consumer_key,
            self.consumer_secret,
            self.access_token,
            self.access_token_secret,
        )
        return all(k is not None and k.get_secret_value().strip() for k in keys)


class MastodonSettings(ThreadSection):
    """How newsbot posts each issue as a thread on a Mastodon instance."""

    access_token: SecretStr | None = Field(
        default=None,
        description="The account's access token (write:statuses, read:accounts, "
        "read:statuses); only from NEWSBOT_MASTODON__ACCESS_TOKEN.",
    )
    api_base: AnyUrl = Field(
        default=AnyUrl("https://mastodon.social"),
        description="The instance the account is on (any Mastodon server), or the emulator.",
    )
    visibility: Literal["public", "unlisted"] = Field(
        default="public",
        description="Every status of the thread: on public timelines, or only to followers' "
        "and the profile's.",
    )
    links: Literal["issue", "items", "none"] = Field(
        default="items",
        description="Links in the thread: the issue's (first post only), each item's, or none.",
    )

    def configured(self) -> bool:
        """Whether the access token is set."""
        token = self.access_token
        return token is not None and bool(token.get_secret_value().strip())


class BlueskySettings(ThreadSection):
    """How newsbot posts each issue as a thread on Bluesky."""

    service: AnyUrl = Field(
        default=AnyUrl("https://bsky.social"),
        description="The account's PDS (its host), or the emulator in front of it.",
    )
    handle: str = Field(default="", description="The account's handle, e.g. news.bsky.social.")
    app_password: SecretStr | None = Field(
        default=None,
        description="An app password of the account; only from NEWSBOT_BLUESKY__APP_PASSWORD.",
    )

    @field_validator("handle")
    @classmethod
    def _bare_handle(cls, handle: str) -> str:
        # People copy handles as shown in the app, with the @.
        return handle.strip().removeprefix("@")

    def configured(self) -> bool:
        """Whether the handle and the app password are both set."""
        password = self.app_password.get_secret_value().strip() if self.app_password else ""
        return bool(self.handle and password)
