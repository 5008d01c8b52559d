"""Interactions from the server's side: INTERACTION_CREATE, the callback, the webhook token.

Discord's rules kept here: one callback per interaction, within ``interaction_deadline``
(404 Unknown interaction, code 10062, after it); the callback type must suit the interaction;
follow-ups and ``@original`` go through ``/webhooks/{application_id}/{token}`` for
``interaction_token_lifetime``; the first follow-up after a deferred reply replaces the
"thinking…" placeholder, as Discord does. An interaction comes from a guild's channel, or from
the user's DM with the bot (no guild, ``user`` instead of ``member``, context BOT_DM).
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from ._config import EmulatorConfig
from ._errors import APIError, FormErrors, unknown
from ._limits import (
    RuleBroken,
    check_autocomplete_choices,
    check_message,
    check_modal,
    refuse_if_any,
)
from ._messages import Messaging, UploadedFile
from ._models import Channel, Guild, Message, MessageFlag, User
from ._world import World

JSON = dict[str, Any]


class InteractionContext(IntEnum):
    """Where the interaction came from (Receiving and Responding › Interaction Context Types)."""

    GUILD = 0
    BOT_DM = 1
    PRIVATE_CHANNEL = 2


class InteractionType(IntEnum):
    """What the user did."""

    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    APPLICATION_COMMAND_AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class CallbackType(IntEnum):
    """How the bot answered (the ``type`` of the interaction callback)."""

    PONG = 1
    CHANNEL_MESSAGE_WITH_SOURCE = 4
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    APPLICATION_COMMAND_AUTOCOMPLETE_RESULT = 8
    MODAL = 9


# Receiving and Responding › Interaction Callback Type: updates only for components, modals
# not for MODAL_SUBMIT or PING, autocomplete results only for autocomplete.
_ALLOWED_CALLBACKS: dict[int, frozenset[int]] = {
    InteractionType.PING: frozenset({1}),
    InteractionType.APPLICATION_COMMAND: frozenset({4, 5, 9}),
    InteractionType.MESSAGE_COMPONENT: frozenset({4, 5, 6, 7, 9}),
    InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE: frozenset({8}),
    InteractionType.MODAL_SUBMIT: frozenset({4, 5, 6, 7}),
}


ANSWERS_KEPT = 256
"""Texts of answers found to keep the message rules that are remembered, the last seen kept."""

_INVALID_TYPE = {
    "code": "INTERACTION_RESPONSE_TYPE_INVALID",
    "message": "Invalid interaction response type",
}


@dataclass(slots=True)
class Callback:
    """The bot's first answer to an interaction."""

    type: int
    data: JSON
    message: Message | None
    seconds: float

    @property
    def choices(self) -> list[JSON]:
        """The autocomplete choices (type 8), else an empty list."""
        return list(self.data.get("choices") or [])

    @property
    def modal(self) -> JSON | None:
        """The modal the bot opened (type 9), else None."""
        return self.data if self.type == CallbackType.MODAL else None


@dataclass(eq=False, slots=True)
class Interaction:
    """One interaction: what the user did, and everything the bot answered."""

    id: int
    token: str
    type: InteractionType
    application_id: int
    guild: Guild | None
    """The guild it came from; None in the bot's DM with the user."""
    channel: Channel
    user: User
    data: JSON
    created: float
    locale: str = "en-US"
    source_message: Message | None = None
    callback: Callback | None = None
    original: Message | None = None
    followups: list[Message] = field(default_factory=list)
    late_callbacks: int = 0

    @property
    def context(self) -> InteractionContext:
        """GUILD in a server's channel, BOT_DM in the user's DM with the bot."""
        return InteractionContext.GUILD if self.guild is not None else InteractionContext.BOT_DM

    @property
    def integration_owners(self) -> JSON:
        """``authorizing_integration_owners``: the key GUILD_INSTALL ("0") holds the guild's id,
        or "0" when triggered from a DM with the app's bot user (Receiving and Responding ›
        Authorizing Integration Owners Object)."""
        return {"0": str(self.guild.id) if self.guild is not None else "0"}

    @property
    def name(self) -> str:
        """The command name or the component's custom_id, for messages and errors."""
        return str(self.data.get("name") or self.data.get("custom_id") or "")

    def metadata(self) -> JSON:
        """The ``interaction_metadata`` Discord attaches to response messages."""
        data: JSON = {
            "id": str(self.id),
            "type": int(self.type),
            "user": self.user.payload(),
            "authorizing_integration_owners": self.integration_owners,
        }
        if self.type == InteractionType.APPLICATION_COMMAND:
            data["name"] = self.data.get("name")
            data["command_type"] = self.data.get("type", 1)
            target = self.data.get("target_id")
            if self.data.get("type") == 3 and target is not None:
                data["target_message_id"] = target
            elif self.data.get("type") == 2 and target is not None:
                data["target_user"] = self.data["resolved"]["users"][target]
        elif self.source_message is not None:
            data["interacted_message_id"] = str(self.source_message.id)
        return data


class Interactions:
    """Opens interactions and answers the callback and webhook routes about them."""

    def __init__(self, world: World, messaging: Messaging, config: EmulatorConfig) -> None:
        self.world = world
        self.messaging = messaging
        self.config = config
        self.by_id: dict[int, Interaction] = {}
        self._by_token: dict[str, Interaction] = {}
        self._kept_rules: OrderedDict[bytes | str, None] = OrderedDict()

    def open(
        self,
        kind: InteractionType,
        guild: Guild | None,
        channel: Channel,
        user: User,
        data: JSON,
        *,
        source_message: Message | None = None,
        locale: str = "en-US",
    ) -> Interaction:
        """Create an interaction and dispatch INTERACTION_CREATE to the bot (``guild`` None:
        from ``channel``, the user's DM with the bot)."""
        if (guild is None) != channel.is_dm or (guild is not None and channel.guild_id != guild.id):
            where = "a DM" if guild is None else f"guild {guild.id}"
            raise ValueError(f"channel {channel.id} is not in {where}")
        interaction = Interaction(
            id=self.world.snowflakes.next(),
            token=f"aW50ZXJhY3Rpb246{secrets.token_urlsafe(96)}",
            type=kind,
            application_id=self.world.application.id,
            guild=guild,
            channel=channel,
            user=user,
            data=data,
            created=time.monotonic(),
            locale=locale,
            source_message=source_message,
        )
        self.by_id[interaction.id] = interaction
        self._by_token[interaction.token] = interaction
        self.world.events.dispatch(
            "INTERACTION_CREATE",
            self.payload(interaction),
            guild_id=guild.id if guild is not None else None,
            intent=0,
        )
        return interaction

    def payload(self, interaction: Interaction) -> JSON:
        """Render the INTERACTION_CREATE body with every field discord.py reads.

        Receiving and Responding › Interaction Object: "`member` is sent when the interaction
        is invoked in a guild, and `user` is sent when invoked in a DM"; `guild`, `guild_id`
        and `guild_locale` come only from a guild, and `context` says which it was.
        """
        guild, channel, user = interaction.guild, interaction.channel, interaction.user
        member = guild.members.get(user.id) if guild is not None else None
        permissions = str(self.world.permissions(channel, user.id))
        data: JSON = {
            "id": str(interaction.id),
            "application_id": str(interaction.application_id),
            "type": int(interaction.type),
            "data": interaction.data,
            "channel_id": str(channel.id),
            "channel": {**channel.payload(), "permissions": permissions},
            "token": interaction.token,
            "version": 1,
            "locale": interaction.locale,
            "app_permissions": str(self.world.permissions(channel, self.world.bot.id)),
            "entitlements": [],
            "authorizing_integration_owners": interaction.integration_owners,
            "context": int(interaction.context),
            "attachment_size_limit": self.config.attachment_size_limit,
        }
        if guild is not None:
            data.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": "en-US", "features": ["NEWS", "COMMUNITY"]},
                guild_locale="en-US",
            )
        if member is not None:
            data["member"] = {**member.payload(), "permissions": permissions}
        else:
            data["user"] = user.payload()
        if interaction.source_message is not None:
            data["message"] = interaction.source_message.payload()
        return data

    # -- the callback ------------------------------------------------------------------

    def respond(
        self,
        interaction_id: int,
        token: str,
        body: JSON,
        files: Sequence[UploadedFile] = (),
        *,
        with_response: bool = False,
        source: bytes | str | None = None,
    ) -> JSON | None:
        """Handle ``POST /interactions/{id}/{token}/callback``; return the body (or None: 204).

        ``source`` is the text ``body`` was read from, if known: an answer read from a text
        that kept the message rules before keeps them again, and is not checked twice.
        """
        interaction = self.by_id.get(interaction_id)
        if interaction is None or interaction.token != token:
            raise unknown("interaction")
        if interaction.callback is not None:
            raise RuleBroken(
                400,
                40060,
                "Interaction has already been acknowledged.",
                rule="an interaction takes one initial response (Receiving and Responding)",
            )
        elapsed = time.monotonic() - interaction.created
        if elapsed > self.config.interaction_deadline:
            interaction.late_callbacks += 1
            self.world.touch()
            # The token is invalidated once the deadline passes: Discord no longer knows it.
            raise RuleBroken(
                404,
                10062,
                "Unknown interaction",
                rule=f"the initial response came {elapsed:.1f} s after the interaction, over "
                "the 3 s Discord allows (Receiving and Responding › Interaction Callback)",
            )
        kind = body.get("type")
        data = body.get("data") or {}
        updates = kind in (CallbackType.DEFERRED_UPDATE_MESSAGE, CallbackType.UPDATE_MESSAGE)
        if (
            not isinstance(kind, int)
            or kind not in _ALLOWED_CALLBACKS[interaction.type]
            or (updates and interaction.source_message is None)
        ):
            raise RuleBroken(
                400,
                50035,
                "Invalid Form Body",
                {"type": {"_errors": [_INVALID_TYPE]}},
                rule=f"callback type {kind!r} does not answer a {interaction.type.name} "
                "interaction (Receiving and Responding › Interaction Callback Type)",
            )
        if source is None or source not in self._kept_rules:
            self._check_callback_data(kind, data)
            if source is not None:
                self._keep(source)
        else:
            self._kept_rules.move_to_end(source)
        message = self._callback_message(interaction, kind, data, files)
        interaction.callback = Callback(type=kind, data=data, message=message, seconds=elapsed)
        self.world.touch()
        if not with_response:
            return None
        result: JSON = {"interaction": {"id": str(interaction.id), "type": int(interaction.type)}}
        resource: JSON = {"type": kind}
        if message is not None:
            result["interaction"].update(
                response_message_id=str(message.id),
                response_message_loading=message.loading,
                response_message_ephemeral=message.ephemeral,
            )
            resource["message"] = message.payload()
        result["resource"] = resource
        return result

    def _keep(self, source: bytes | str) -> None:
        # Every reader of one search is sent the very same answer; the same text is the same
        # value, so it keeps the rules as it did, and checking it was a tenth of a callback.
        self._kept_rules[source] = None
        if len(self._kept_rules) > ANSWERS_KEPT:
            self._kept_rules.popitem(last=False)

    @staticmethod
    def _check_callback_data(kind: int, data: JSON) -> None:
        """Receiving and Responding › Interaction Callback Data: a message answer follows the
        message limits, with EPHEMERAL allowed; a deferred one may carry EPHEMERAL only."""
        errors = FormErrors()
        if kind in (CallbackType.CHANNEL_MESSAGE_WITH_SOURCE, CallbackType.UPDATE_MESSAGE):
            check_message(data, errors, prefix=("data",), ephemeral_allowed=True)
        elif kind == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE:
            flags = data.get("flags") or 0
            if not isinstance(flags, int) or flags & ~MessageFlag.EPHEMERAL:
                errors.add(("data", "flags"), "MESSAGE_FLAGS_INVALID", "Invalid flags")
        elif kind == CallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT:
            check_autocomplete_choices(list(data.get("choices") or []), errors, ("data", "choices"))
        elif kind == CallbackType.MODAL:
            check_modal(data, errors, ("data",))
        refuse_if_any(errors, "interaction response (Receiving and Responding)")

    def _callback_message(
        self, interaction: Interaction, kind: int, data: JSON, files: Sequence[UploadedFile]
    ) -> Message | None:
        if kind == CallbackType.CHANNEL_MESSAGE_WITH_SOURCE:
            # `_check_callback_data` held the answer to the message rules; the nonce it drops
            # cannot break one.
            interaction.original = self._post(
                interaction, data, files, original=True, rules_checked=True
            )
            return interaction.original
        if kind == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE:
            flags = MessageFlag.LOADING | int(data.get("flags") or 0)
            channel = interaction.channel
            placeholder = Message(
                id=self.world.snowflakes.next(),
                channel_id=channel.id,
                guild_id=channel.guild_id,
                author=self.world.bot,
                flags=int(flags),
                type=self._original_type(interaction),
                webhook_id=interaction.application_id,
                application_id=interaction.application_id,
                interaction_metadata=interaction.metadata(),
                author_member=(
                    interaction.guild.members.get(self.world.bot.id) if interaction.guild else None
                ),
            )
            if not placeholder.ephemeral:
                self.messaging.add(interaction.channel, placeholder)
            interaction.original = placeholder
            return placeholder
        if kind in (CallbackType.DEFERRED_UPDATE_MESSAGE, CallbackType.UPDATE_MESSAGE):
            source = interaction.source_message
            assert source is not None  # respond() refused updates without a source message
            if kind == CallbackType.UPDATE_MESSAGE:
                self.messaging.edit(source, self.world.bot, data)
            interaction.original = source
            return source if kind == CallbackType.UPDATE_MESSAGE else None
        return None

    def _original_type(self, interaction: Interaction) -> int:
        if interaction.type == InteractionType.APPLICATION_COMMAND:
            return 20 if interaction.data.get("type", 1) == 1 else 23
        return 0

    def _post(
        self,
        interaction: Interaction,
        body: JSON,
        files: Sequence[UploadedFile],
        *,
        original: bool,
        channel: Channel | None = None,
        rules_checked: bool = False,
    ) -> Message:
        metadata = interaction.metadata()
        if not original and interaction.original is not None:
            metadata["original_response_message_id"] = str(interaction.original.id)
        return self.messaging.create(
            channel or interaction.channel,
            self.world.bot,
            {k: v for k, v in body.items() if k not in ("nonce", "enforce_nonce")},
            files=files,
            check_permissions=False,
            message_type=self._original_type(interaction) if original else 0,
            webhook_id=interaction.application_id,
            interaction_metadata=metadata,
            ephemeral_allowed=True,
            rules_checked=rules_checked,
        )

    # -- the webhook token -------------------------------------------------------------

    def by_token(self, application_id: int, token: str) -> Interaction:
        """Return the interaction behind a webhook token (404 / 401 as Discord answers)."""
        if application_id != self.world.application.id:
            raise unknown("Webhook")
        interaction = self._by_token.get(token)
        if interaction is None:
            raise APIError(401, 50027, "Invalid Webhook Token")
        age = time.monotonic() - interaction.created
        # Receiving and Responding › Responding to an Interaction: tokens "are valid for 15
        # minutes", but "If the 3 second deadline is exceeded, the token will be invalidated."
        unanswered = interaction.callback is None and age > self.config.interaction_deadline
        if age > self.config.interaction_token_lifetime or unanswered:
            raise APIError(401, 50027, "Invalid Webhook Token")
        return interaction

    def followup(
        self,
        interaction: Interaction,
        body: JSON,
        files: Sequence[UploadedFile] = (),
        *,
        thread_id: int | None = None,
    ) -> Message:
        """Send a follow-up; right after a deferred reply it fills the placeholder instead."""
        callback = interaction.callback
        if callback is None or callback.type in (
            CallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT,
            CallbackType.MODAL,
        ):
            raise unknown("Webhook")
        original = interaction.original
        if (
            callback.type == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
            and original is not None
            and original.loading
        ):
            # It is Edit Original Interaction Response then (Discord's receiving-and-responding,
            # Create Followup Message), which of a deleted message is Unknown Message.
            if original.deleted:
                raise unknown("Message")
            edit = {k: v for k, v in body.items() if k not in ("flags", "nonce", "enforce_nonce")}
            self.messaging.edit(original, self.world.bot, edit)
            interaction.followups.append(original)
            return original
        channel = self.world.channel(thread_id) if thread_id is not None else None
        message = self._post(interaction, body, files, original=False, channel=channel)
        interaction.followups.append(message)
        self.world.touch()
        return message

    def message(self, interaction: Interaction, ref: str) -> Message:
        """Return ``@original`` or one of the interaction's follow-ups by id."""
        if ref == "@original":
            if interaction.original is None or interaction.original.deleted:
                raise unknown("Message")
            return interaction.original
        for message in interaction.followups:
            if str(message.id) == ref and not message.deleted:
                return message
        raise unknown("Message")

    def edit(self, interaction: Interaction, ref: str, body: JSON) -> Message:
        """Edit ``@original`` or a follow-up (a deferred placeholder stops loading)."""
        message = self.message(interaction, ref)
        return self.messaging.edit(message, self.world.bot, body)

    def delete(self, interaction: Interaction, ref: str) -> None:
        """Delete ``@original`` or a follow-up."""
        message = self.message(interaction, ref)
        self.messaging.delete(message, self.world.bot, check_permissions=False)
