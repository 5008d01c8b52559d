"""Acting as a reader: slash commands, autocomplete, buttons, selects, context menus, modals,
plain messages and reactions — and handles to await what the bot answered.

The reader can only do what Discord's client lets a user do: run a command that was synced
(and that their permissions show them, or that Discord offers in a DM with the bot), outside an
archived thread, pick a value among a command's choices, press a button that exists on the
message. Mistakes in a test raise ``ValueError``/``LookupError`` rather than producing an
interaction Discord would never send.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._commands import Command, CommandRegistry
from ._gateway import Gateway
from ._interactions import (
    Callback,
    CallbackType,
    Interaction,
    InteractionContext,
    Interactions,
    InteractionType,
)
from ._messages import Messaging
from ._models import Channel, Guild, Member, Message, Role, User
from ._world import World

JSON = dict[str, Any]

STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)
_SELECTS = {3, 5, 6, 7, 8}
CONNECT_TIMEOUT = 5.0


class InteractionHandle:
    """What a test holds after acting: the interaction and a way to await the bot's answer.

    Every wait takes ``timeout=`` seconds and raises ``TimeoutError`` naming what it waited
    for (ruff's ASYNC109 is waived on purpose: ``await handle.response(timeout=5)`` reads best).
    """

    def __init__(self, interaction: Interaction, world: World, actions: ReaderActions) -> None:
        self.interaction = interaction
        self._world = world
        self._actions = actions
        source = interaction.source_message
        self._source_edited = source.edited_at if source is not None else None
        """When the message whose component was used was last edited, as it was used."""

    @property
    def id(self) -> int:
        """The interaction's id."""
        return self.interaction.id

    @property
    def token(self) -> str:
        """The interaction's token."""
        return self.interaction.token

    @property
    def callback(self) -> Callback | None:
        """The bot's first answer, if it came."""
        return self.interaction.callback

    @property
    def callback_type(self) -> int | None:
        """The first answer's type (4 message, 5 deferred, 6, 7, 8, 9), if it came."""
        return self.interaction.callback.type if self.interaction.callback else None

    async def response(self, timeout: float = 5.0) -> Callback:  # noqa: ASYNC109
        """Wait for the bot's first answer (the interaction callback) and return it."""
        return await self._world.changed.wait_for(
            lambda: self.interaction.callback, timeout, f"the bot to answer {self._what}"
        )

    async def updated(self, timeout: float = 5.0) -> Callback:  # noqa: ASYNC109
        """Wait for the bot's answer to a component and, when it only acknowledged it
        (DEFERRED_UPDATE_MESSAGE, as a slow answer is), for the edit of the message that
        follows, or a follow-up sent instead (an apology); return the answer. Any other
        answer is returned as it came."""
        callback = await self.response(timeout)
        source = self.interaction.source_message
        if callback.type != CallbackType.DEFERRED_UPDATE_MESSAGE or source is None:
            return callback
        before = self._source_edited
        await self._world.changed.wait_for(
            lambda: source.edited_at != before or bool(self.interaction.followups) or None,
            timeout,
            f"the message edited after the bot acknowledged {self._what}",
        )
        return callback

    async def original(self, timeout: float = 5.0) -> Message:  # noqa: ASYNC109
        """Wait for the original response and return it once it is no longer "thinking…"."""

        def settled() -> Message | None:
            original = self.interaction.original
            if original is None or original.loading:
                return None
            return original

        return await self._world.changed.wait_for(
            settled, timeout, f"the original response to {self._what}"
        )

    async def followups(self, n: int = 1, timeout: float = 5.0) -> list[Message]:  # noqa: ASYNC109
        """Wait until the bot sent ``n`` follow-ups; return them all, oldest first.

        A follow-up sent right after a deferred reply fills the placeholder (as on Discord):
        it is then both the original response and the first follow-up.
        """

        def enough() -> list[Message] | None:
            followups = self.interaction.followups
            return list(followups) if len(followups) >= n else None

        return await self._world.changed.wait_for(
            enough, timeout, f"{n} follow-up(s) to {self._what}"
        )

    async def choices(self, timeout: float = 5.0) -> list[JSON]:  # noqa: ASYNC109
        """Wait for an autocomplete answer and return its choices."""
        callback = await self.response(timeout)
        if callback.type != CallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT:
            raise AssertionError(f"{self._what} was answered with type {callback.type}, not 8")
        return callback.choices

    async def modal(self, timeout: float = 5.0) -> JSON:  # noqa: ASYNC109
        """Wait for the bot to open a modal and return it."""
        callback = await self.response(timeout)
        if callback.modal is None:
            raise AssertionError(f"{self._what} was answered with type {callback.type}, not 9")
        return callback.modal

    async def submit_modal(self, values: Mapping[str, str | Sequence[str]]) -> InteractionHandle:
        """Fill the modal the bot opened (by ``custom_id``) and submit it as the same user."""
        return await self._actions.submit_modal(self, values)

    @property
    def _what(self) -> str:
        kind = InteractionType(self.interaction.type).name.lower().replace("_", " ")
        return f"{kind} {self.interaction.name!r}"


class MessageHandle:
    """A message a reader posted, and a way to await the bot's replies and reactions."""

    def __init__(self, message: Message, world: World) -> None:
        self.message = message
        self._world = world

    async def replies(self, n: int = 1, timeout: float = 5.0) -> list[Message]:  # noqa: ASYNC109
        """Wait until the bot posted ``n`` messages in the channel after this one."""
        channel = self._world.channels[self.message.channel_id]
        bot_id = self._world.bot.id

        def enough() -> list[Message] | None:
            found = [
                m
                for m in channel.live_messages()
                if m.id > self.message.id and m.author.id == bot_id
            ]
            return found if len(found) >= n else None

        return await self._world.changed.wait_for(enough, timeout, f"{n} bot repl(ies)")

    async def bot_reaction(self, timeout: float = 5.0) -> str:  # noqa: ASYNC109
        """Wait until the bot reacted to this message; return the emoji."""
        bot_id = self._world.bot.id

        def reacted() -> str | None:
            for name, reaction in self.message.reactions.items():
                if bot_id in reaction.user_ids:
                    return name
            return None

        return await self._world.changed.wait_for(reacted, timeout, "the bot to react")


class ReaderActions:
    """Mixin for ``Emulator``: what a person in the guild can do."""

    world: World
    interactions: Interactions
    commands: CommandRegistry
    messaging: Messaging
    gateway: Gateway

    def dm_channel(self, user: User) -> Channel:
        """The bot's DM with ``user`` (opened the first time): pass it with ``guild=None``."""
        return self.world.dm_channel(user)

    async def run_slash_command(
        self,
        guild: Guild | None,
        channel: Channel,
        user: User,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        subcommand: str | None = None,
        enforce_permissions: bool = True,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Run ``/name [subcommand] options…`` as ``user`` in ``channel``.

        With ``guild`` None, ``channel`` is the user's DM with the bot (``dm_channel``): only a
        global command whose contexts include BOT_DM is offered there. ``subcommand`` is
        ``"sub"`` or ``"group sub"``. Option values are checked against the synced command
        (types, choices, required). Users, members, channels and roles may be passed as
        emulator objects; they are put in ``resolved`` like Discord does.
        """
        command = self._command(name, 1, guild, channel, user, enforce_permissions)
        resolved: JSON = {}
        options_json = self._options_for(
            command, options or {}, subcommand, guild, channel, resolved, focused=None, invoker=user
        )
        data = self._command_data(command, resolved, options=options_json)
        return await self._open(
            InteractionType.APPLICATION_COMMAND, guild, channel, user, data, locale=locale
        )

    async def autocomplete(
        self,
        guild: Guild | None,
        channel: Channel,
        user: User,
        name: str,
        options: Mapping[str, Any],
        focused: str,
        *,
        subcommand: str | None = None,
    ) -> InteractionHandle:
        """Type into option ``focused`` of ``/name``; await ``handle.choices()`` for the answer."""
        command = self._command(name, 1, guild, channel, user, True)
        resolved: JSON = {}
        options_json = self._options_for(
            command, options, subcommand, guild, channel, resolved, focused=focused, invoker=user
        )
        data = self._command_data(command, resolved, options=options_json)
        return await self._open(
            InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE, guild, channel, user, data
        )

    async def message_context_menu(
        self, name: str, target_message: Message, user: User
    ) -> InteractionHandle:
        """Use the message context-menu command ``name`` on ``target_message``."""
        channel = self.world.channel(target_message.channel_id)
        guild = self._guild(channel)
        command = self._command(name, 3, guild, channel, user, True)
        resolved = {"messages": {str(target_message.id): target_message.payload()}}
        data = self._command_data(command, resolved, target_id=str(target_message.id))
        return await self._open(InteractionType.APPLICATION_COMMAND, guild, channel, user, data)

    async def user_context_menu(
        self, name: str, target_user: User, user: User, channel: Channel
    ) -> InteractionHandle:
        """Use the user context-menu command ``name`` on ``target_user`` from ``channel``."""
        guild = self._guild(channel)
        command = self._command(name, 2, guild, channel, user, True)
        resolved: JSON = {}
        self._resolve_user(target_user, guild, channel, resolved)
        data = self._command_data(command, resolved, target_id=str(target_user.id))
        return await self._open(InteractionType.APPLICATION_COMMAND, guild, channel, user, data)

    async def press_button(self, message: Message, custom_id: str, user: User) -> InteractionHandle:
        """Press the button ``custom_id`` on ``message``."""
        component = _find_component(message, custom_id)
        if component.get("type") != 2:
            raise ValueError(f"component {custom_id!r} is not a button")
        if component.get("disabled"):
            raise ValueError(f"button {custom_id!r} is disabled")
        data: JSON = {"custom_id": custom_id, "component_type": 2}
        return await self._component(message, user, data)

    async def select(
        self, message: Message, custom_id: str, values: Sequence[Any], user: User
    ) -> InteractionHandle:
        """Choose ``values`` in the select menu ``custom_id`` on ``message``.

        For a string select the values must be among its options; for user, role, channel
        and mentionable selects pass emulator objects (or ids) and they are resolved.
        """
        component = _find_component(message, custom_id)
        kind = component.get("type")
        if kind not in _SELECTS:
            raise ValueError(f"component {custom_id!r} is not a select menu")
        if component.get("disabled"):
            # message-components reference, select menu structure: `disabled` "Whether select
            # menu is disabled in a message": Discord's client offers no choice in it.
            raise ValueError(f"select {custom_id!r} is disabled")
        low, high = int(component.get("min_values", 1)), int(component.get("max_values", 1))
        if not low <= len(values) <= high:
            raise ValueError(f"select {custom_id!r} takes {low}–{high} values, got {len(values)}")
        channel = self.world.channel(message.channel_id)
        guild = self._guild(channel)
        resolved: JSON = {}
        if kind == 3:
            allowed = {o["value"] for o in component.get("options") or []}
            unknown_values = [v for v in values if v not in allowed]
            if unknown_values:
                raise ValueError(f"{unknown_values} are not options of select {custom_id!r}")
            ids = [str(v) for v in values]
        else:
            ids = [self._resolve_any(v, guild, channel, resolved, invoker=user) for v in values]
        data: JSON = {"custom_id": custom_id, "component_type": kind, "values": ids}
        if resolved:
            data["resolved"] = resolved
        return await self._component(message, user, data)

    async def submit_modal(
        self, handle: InteractionHandle, values: Mapping[str, str | Sequence[str]]
    ) -> InteractionHandle:
        """Submit the modal ``handle``'s interaction opened, with ``values`` by custom_id."""
        modal = await handle.modal(timeout=0)
        pending = dict(values)
        components: list[JSON] = []
        for top in modal.get("components") or []:
            if top.get("type") == 1:
                inner = [self._modal_value(c, pending) for c in top.get("components") or []]
                components.append({"type": 1, "components": inner})
            elif top.get("type") == 18 and isinstance(top.get("component"), dict):
                components.append(
                    {"type": 18, "component": self._modal_value(top["component"], pending)}
                )
        if pending:
            raise ValueError(f"the modal has no inputs {sorted(pending)}")
        source = handle.interaction
        data = {"custom_id": modal["custom_id"], "components": components}
        return await self._open(
            InteractionType.MODAL_SUBMIT,
            source.guild,
            source.channel,
            source.user,
            data,
            source_message=source.source_message,
        )

    async def post_message(
        self,
        channel: Channel,
        user: User,
        content: str,
        *,
        embeds: Sequence[JSON] = (),
        reply_to: Message | None = None,
    ) -> MessageHandle:
        """Post a message as ``user`` (dispatches MESSAGE_CREATE); await the bot's replies.

        Only a bot sends ``embeds`` of its own: Discord's client gives a person no way to, and
        the embeds on a person's message are Discord's previews of its links
        (``preview_links``). Message › Create Message: "embeds … Up to 10 rich embeds".
        """
        if embeds and not user.bot:
            raise ValueError(
                f"{user.username} is a person: Discord's client sends no embeds of theirs "
                "(use preview_links for Discord's previews of their links)"
            )
        payload: JSON = {"content": content, "embeds": list(embeds)}
        if reply_to is not None:
            payload["message_reference"] = {
                "message_id": str(reply_to.id),
                "channel_id": str(reply_to.channel_id),
            }
        message = self.messaging.create(channel, user, payload)
        return MessageHandle(message, self.world)

    async def edit_message(self, message: Message, user: User, content: str) -> Message:
        """Edit ``user``'s own ``message`` to ``content`` as their client does (dispatches
        MESSAGE_UPDATE); 404 Unknown Message once it is deleted."""
        channel = self.world.channel(message.channel_id)
        live = self.world.message(channel, message.id)
        return self.messaging.edit(live, user, {"content": content})

    async def preview_links(self, message: Message, embeds: Sequence[JSON]) -> Message:
        """Discord's previews of the links in ``message``: embeds of the types Discord makes
        itself for a link (Message › Embed Types: ``link``, ``article``, ``video`` …), set on
        the message and sent as a MESSAGE_UPDATE that is no edit (``edited_timestamp`` kept).
        """
        channel = self.world.channel(message.channel_id)
        live = self.world.message(channel, message.id)
        live.embeds = [dict(embed) for embed in embeds]
        self.world.events.dispatch_message("MESSAGE_UPDATE", live)
        self.world.touch()
        return live

    async def delete_message(self, message: Message, user: User) -> None:
        """Delete ``message`` as ``user`` (its author, or a member with MANAGE_MESSAGES;
        dispatches MESSAGE_DELETE); 404 Unknown Message once it is deleted."""
        channel = self.world.channel(message.channel_id)
        self.messaging.delete(self.world.message(channel, message.id), user)

    async def react(self, message: Message, emoji: str, user: User) -> None:
        """Add ``user``'s ``emoji`` reaction to ``message`` (dispatches MESSAGE_REACTION_ADD)."""
        channel = self.world.channel(message.channel_id)
        self.messaging.react(channel, message, user, emoji)

    # -- building blocks ---------------------------------------------------------------

    def _guild(self, channel: Channel) -> Guild | None:
        return None if channel.is_dm else self.world.guild_of(channel)

    async def _open(
        self,
        kind: InteractionType,
        guild: Guild | None,
        channel: Channel,
        user: User,
        data: JSON,
        *,
        source_message: Message | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        await self.gateway.wait_until_ready(CONNECT_TIMEOUT)
        if guild is None:
            if user.id not in channel.recipient_ids:
                raise ValueError(f"{user.username} is not in the DM {channel.id}")
        elif user.id not in guild.members:
            raise ValueError(f"{user.username} is not a member of {guild.name}")
        interaction = self.interactions.open(
            kind, guild, channel, user, data, source_message=source_message, locale=locale
        )
        return InteractionHandle(interaction, self.world, self)

    async def _component(self, message: Message, user: User, data: JSON) -> InteractionHandle:
        if message.deleted:
            raise ValueError(f"message {message.id} was deleted: nothing on it can be used")
        if message.ephemeral and str(user.id) != _invoker_id(message):
            # Message resource › Message Flags: EPHEMERAL — "this message is only visible to
            # the user who invoked the Interaction"; no one else can press its buttons.
            raise ValueError(
                f"message {message.id} is ephemeral: only its asker sees it, not {user.username}"
            )
        channel = self.world.channel(message.channel_id)
        guild = self._guild(channel)
        return await self._open(
            InteractionType.MESSAGE_COMPONENT, guild, channel, user, data, source_message=message
        )

    def _command(
        self,
        name: str,
        kind: int,
        guild: Guild | None,
        channel: Channel,
        user: User,
        enforce: bool,
    ) -> Command:
        if guild is None:
            return self._dm_command(name, kind, channel)
        if channel.guild_id != guild.id:
            raise ValueError(f"#{channel.name} is not in {guild.name}")
        if channel.is_thread and channel.archived:
            # threads.mdx › Active & Archived Threads: "only active threads can be
            # manipulated. Users cannot edit messages, add reactions, use application
            # commands, or join archived threads" — whatever their permissions. (A locked
            # thread that is active is another matter: Locked Threads says nothing of
            # commands there.)
            raise ValueError(
                f"thread {channel.id} is archived: no application command is used there"
            )
        command = self.commands.find(name, kind, guild.id)
        if command is None:
            raise LookupError(f"no command {name!r} of type {kind} is synced for {guild.name}")
        needed = command.default_member_permissions
        perms = self.world.permissions(channel, user.id)
        if enforce and needed is not None and perms & needed != needed:
            raise PermissionError(
                f"{user.username} cannot see {name!r} (needs permissions {needed})"
            )
        return command

    def _dm_command(self, name: str, kind: int, channel: Channel) -> Command:
        """The command Discord offers under ``name`` in a DM with the bot, or ``LookupError``.

        Application Commands › Interaction Contexts: "Guild commands don't support the
        `BOT_DM` interaction context", and a global command is usable there only if its
        `contexts` include BOT_DM (1); without `contexts`, the deprecated `dm_permission`
        decides, and "By default, commands are visible". `default_member_permissions` are a
        guild's: a DM has none to check.
        """
        if not channel.is_dm:
            raise ValueError(f"channel {channel.id} is not a DM: pass its guild")
        command = self.commands.find(name, kind, None)
        if command is None:
            raise LookupError(f"no global command {name!r} of type {kind}: none is offered in DMs")
        contexts = command.data.get("contexts")
        if contexts is not None:
            offered = InteractionContext.BOT_DM in contexts
        else:
            offered = command.data.get("dm_permission", True) is not False
        if not offered:
            raise LookupError(
                f"{name!r} is not offered in a DM with the bot (contexts {contexts}, "
                f"dm_permission {command.data.get('dm_permission')})"
            )
        return command

    @staticmethod
    def _command_data(command: Command, resolved: JSON, **extra: Any) -> JSON:
        data: JSON = {"id": str(command.id), "name": command.name, "type": command.type}
        if command.guild_id is not None:
            data["guild_id"] = str(command.guild_id)
        for key, value in extra.items():
            if value:
                data[key] = value
        if resolved:
            data["resolved"] = resolved
        return data

    def _options_for(
        self,
        command: Command,
        values: Mapping[str, Any],
        subcommand: str | None,
        guild: Guild | None,
        channel: Channel,
        resolved: JSON,
        *,
        focused: str | None,
        invoker: User,
    ) -> list[JSON]:
        schema = command.options
        path = subcommand.split() if subcommand else []
        wrappers: list[JSON] = []
        for part in path:
            match = next(
                (o for o in schema if o.get("name") == part and o.get("type") in (1, 2)), None
            )
            if match is None:
                raise LookupError(f"/{command.name} has no subcommand {part!r}")
            wrappers.append({"type": match["type"], "name": part})
            schema = list(match.get("options") or [])
        if any(o.get("type") in (1, 2) for o in schema):
            raise ValueError(f"/{command.name} needs a subcommand")
        leaf = self._leaf_options(
            schema, values, guild, channel, resolved, focused=focused, invoker=invoker
        )
        for wrapper in reversed(wrappers):
            wrapper["options"] = leaf
            leaf = [wrapper]
        return leaf

    def _leaf_options(
        self,
        schema: list[JSON],
        values: Mapping[str, Any],
        guild: Guild | None,
        channel: Channel,
        resolved: JSON,
        *,
        focused: str | None,
        invoker: User,
    ) -> list[JSON]:
        by_name = {o["name"]: o for o in schema}
        unknown_names = set(values) - set(by_name)
        if unknown_names:
            raise ValueError(
                f"unknown option(s) {sorted(unknown_names)}; the command has {sorted(by_name)}"
            )
        if focused is not None and focused not in by_name:
            raise ValueError(f"unknown focused option {focused!r}")
        result: list[JSON] = []
        for option in schema:
            name = option["name"]
            if name == focused:
                text = values.get(name, "")
                result.append(
                    {"name": name, "type": option["type"], "value": str(text), "focused": True}
                )
                continue
            if name not in values:
                if option.get("required") and focused is None:
                    raise ValueError(f"option {name!r} is required")
                continue
            value = self._option_value(
                option, values[name], guild, channel, resolved, invoker=invoker
            )
            result.append({"name": name, "type": option["type"], "value": value})
        return result

    def _option_value(
        self,
        option: JSON,
        value: Any,
        guild: Guild | None,
        channel: Channel,
        resolved: JSON,
        *,
        invoker: User,
    ) -> Any:
        kind = option["type"]
        name = option["name"]
        if kind == STRING:
            if not isinstance(value, str):
                raise ValueError(f"option {name!r} takes a string")
            converted: Any = value
        elif kind == INTEGER:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"option {name!r} takes an integer")
            converted = value
        elif kind == NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"option {name!r} takes a number")
            converted = value
        elif kind == BOOLEAN:
            if not isinstance(value, bool):
                raise ValueError(f"option {name!r} takes a boolean")
            converted = value
        elif kind in (USER, CHANNEL, ROLE, MENTIONABLE):
            self._check_pickable(option, value, guild)
            converted = self._resolve_any(value, guild, channel, resolved, invoker=invoker)
        else:
            raise ValueError(f"option type {kind} ({name!r}) is not emulated")
        choices = option.get("choices")
        if choices and converted not in [c["value"] for c in choices]:
            raise ValueError(f"{converted!r} is not a choice of option {name!r}")
        if kind in (INTEGER, NUMBER):
            low, high = option.get("min_value"), option.get("max_value")
            if (low is not None and converted < low) or (high is not None and converted > high):
                raise ValueError(f"{converted!r} is outside option {name!r}'s range {low}–{high}")
        if kind == STRING:
            low, high = option.get("min_length", 0), option.get("max_length", 6000)
            if not low <= len(converted) <= high:
                raise ValueError(f"{converted!r} breaks option {name!r}'s length {low}–{high}")
        return converted

    @staticmethod
    def _check_pickable(option: JSON, value: Any, guild: Guild | None) -> None:
        """Refuse a channel or role Discord's client would not offer for ``option``: one of
        another server, a deleted channel, or a channel of a type the option leaves out
        (Application Commands › Application Command Option Structure: ``channel_types``, "The
        channels shown will be restricted to these types")."""
        name = option["name"]
        if isinstance(value, Channel | Role) and (guild is None or value.guild_id != guild.id):
            where = guild.name if guild is not None else "this DM"
            raise ValueError(f"option {name!r}: {value.name!r} is not in {where}")
        if not isinstance(value, Channel):
            return
        if value.deleted:
            raise ValueError(f"option {name!r}: #{value.name} was deleted")
        types = option.get("channel_types")
        if types is not None and int(value.type) not in types:
            raise ValueError(
                f"option {name!r}: #{value.name} is a {value.type.name} channel, not one of "
                f"its channel_types {types}"
            )

    def _resolve_any(
        self, value: Any, guild: Guild | None, channel: Channel, resolved: JSON, *, invoker: User
    ) -> str:
        if isinstance(value, Member):
            value = value.user
        if isinstance(value, User):
            return self._resolve_user(value, guild, channel, resolved)
        if isinstance(value, Role):
            resolved.setdefault("roles", {})[str(value.id)] = value.payload()
            return str(value.id)
        if isinstance(value, Channel):
            entry: JSON = {
                "id": str(value.id),
                "name": value.name,
                "type": int(value.type),
                # Channel resource › Channel Object: `permissions` are "computed permissions
                # for the invoking user in the channel", `app_permissions` the bot's.
                "permissions": str(self.world.permissions(value, invoker.id)),
                "app_permissions": str(self.world.permissions(value, self.world.bot.id)),
            }
            if value.parent_id is not None:
                entry["parent_id"] = str(value.parent_id)
            if value.is_thread:
                entry["thread_metadata"] = value.payload()["thread_metadata"]
            resolved.setdefault("channels", {})[str(value.id)] = entry
            return str(value.id)
        if isinstance(value, int) and value in self.world.users:
            return self._resolve_user(self.world.users[value], guild, channel, resolved)
        raise ValueError(
            f"cannot resolve {value!r}: pass an emulator User, Member, Role or Channel"
        )

    def _resolve_user(
        self, user: User, guild: Guild | None, channel: Channel, resolved: JSON
    ) -> str:
        resolved.setdefault("users", {})[str(user.id)] = user.payload()
        member = guild.members.get(user.id) if guild is not None else None
        if member is not None:
            resolved.setdefault("members", {})[str(user.id)] = {
                **member.payload(with_user=False),
                "permissions": str(self.world.permissions(channel, user.id)),
            }
        return str(user.id)

    @staticmethod
    def _modal_value(component: JSON, pending: dict[str, str | Sequence[str]]) -> JSON:
        custom_id = component.get("custom_id")
        kind = component.get("type")
        if custom_id is None:
            return {"type": kind}
        raw = pending.pop(custom_id, None)
        if kind == 4:
            if raw is None and component.get("required", True):
                raise ValueError(f"modal input {custom_id!r} is required")
            return {"type": 4, "custom_id": custom_id, "value": str(raw or "")}
        values = [raw] if isinstance(raw, str) else list(raw or [])
        return {"type": kind, "custom_id": custom_id, "values": values}


def _invoker_id(message: Message) -> str | None:
    """The id of the user whose interaction `message` answers, if it answers one."""
    metadata = message.interaction_metadata or {}
    user = metadata.get("user") or {}
    return str(user["id"]) if "id" in user else None


def _find_component(message: Message, custom_id: str) -> JSON:
    def walk(components: list[JSON]) -> JSON | None:
        for component in components:
            if component.get("custom_id") == custom_id:
                return component
            found = walk(component.get("components") or [])
            if found is None and isinstance(component.get("accessory"), dict):
                found = walk([component["accessory"]])
            if found is not None:
                return found
        return None

    component = walk(message.components)
    if component is None:
        raise ValueError(
            f"message {message.id} has no component {custom_id!r}; it has {message.custom_ids()}"
        )
    return component
