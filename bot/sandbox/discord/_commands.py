"""Application commands as Discord stores them: global and per guild, with stable ids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._errors import APIError, FormErrors, unknown
from ._limits import GLOBAL_COMMANDS_MAX, check_command, refuse_if_any
from ._snowflake import SnowflakeGenerator

JSON = dict[str, Any]

_CONTEXT_MENUS_MAX = 5
COMMAND_RULES = "application command (Application Commands › Application Command Object)"
_EDITABLE = (
    "name",
    "name_localizations",
    "description",
    "description_localizations",
    "options",
    "default_member_permissions",
    "dm_permission",
    "contexts",
    "integration_types",
    "nsfw",
    "type",
)


@dataclass(eq=False)
class Command:
    """A registered application command (slash command or context menu)."""

    id: int
    application_id: int
    guild_id: int | None
    data: JSON
    version: int

    @property
    def name(self) -> str:
        """The command's name."""
        return str(self.data["name"])

    @property
    def type(self) -> int:
        """1 slash command, 2 user context menu, 3 message context menu."""
        return int(self.data.get("type", 1))

    @property
    def options(self) -> list[JSON]:
        """The command's options as registered."""
        return list(self.data.get("options") or [])

    @property
    def default_member_permissions(self) -> int | None:
        """The permissions a member needs to see the command, if any."""
        value = self.data.get("default_member_permissions")
        return None if value is None else int(value)

    def payload(self) -> JSON:
        """Render as Discord's application command object."""
        data: JSON = {
            "id": str(self.id),
            "application_id": str(self.application_id),
            "version": str(self.version),
            "type": self.type,
            "name": self.name,
            "name_localizations": self.data.get("name_localizations"),
            "description": self.data.get("description") or "",
            "description_localizations": self.data.get("description_localizations"),
            "default_member_permissions": (
                None
                if self.default_member_permissions is None
                else str(self.default_member_permissions)
            ),
            "contexts": self.data.get("contexts"),
            "integration_types": self.data.get("integration_types") or [0],
            "nsfw": bool(self.data.get("nsfw", False)),
        }
        if self.options:
            data["options"] = self.options
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        else:
            data["dm_permission"] = self.data.get("dm_permission", True)
        return data


class CommandRegistry:
    """Every command the application registered, with Discord's id-preserving overwrite."""

    def __init__(
        self,
        snowflakes: SnowflakeGenerator,
        application_id: int,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self._snowflakes = snowflakes
        self.application_id = application_id
        self._scopes: dict[int | None, dict[int, Command]] = {None: {}}
        self._on_change = on_change

    def _scope(self, guild_id: int | None) -> dict[int, Command]:
        return self._scopes.setdefault(guild_id, {})

    def all(self, guild_id: int | None = None) -> list[Command]:
        """Return the global commands (``guild_id`` None) or one guild's commands."""
        return list(self._scope(guild_id).values())

    def get(self, guild_id: int | None, command_id: int) -> Command:
        """Return one command; 404 Unknown Application Command otherwise."""
        command = self._scope(guild_id).get(command_id)
        if command is None:
            raise unknown("Application Command")
        return command

    def find(self, name: str, type: int, guild_id: int | None) -> Command | None:
        """Return what a user in ``guild_id`` would invoke: the guild's command, else global."""
        scopes = (guild_id, None) if guild_id is not None else (None,)
        for scope in scopes:
            for command in self._scope(scope).values():
                if command.name == name and command.type == type:
                    return command
        return None

    def overwrite(self, guild_id: int | None, payload: Any) -> list[Command]:
        """Replace the scope's commands (bulk PUT), keeping ids of same name and type."""
        if not isinstance(payload, list):
            raise APIError(400, 50035, "Invalid Form Body", {"_errors": [_array_error()]})
        errors = FormErrors()
        if len(payload) > GLOBAL_COMMANDS_MAX:
            errors.max_length((), GLOBAL_COMMANDS_MAX)
        seen: set[tuple[str, int]] = set()
        per_type: dict[int, int] = {}
        for index, data in enumerate(payload):
            check_command(data, errors, (index,))
            key = (str(data.get("name")), int(data.get("type", 1)))
            if key in seen:
                errors.add(
                    (index, "name"),
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    f"Application command names must be unique ({key[0]})",
                )
            seen.add(key)
            per_type[key[1]] = per_type.get(key[1], 0) + 1
        for kind in (2, 3):
            if per_type.get(kind, 0) > _CONTEXT_MENUS_MAX:
                errors.max_length((), _CONTEXT_MENUS_MAX)
        refuse_if_any(errors, COMMAND_RULES)
        scope = self._scope(guild_id)
        old = {(c.name, c.type): c for c in scope.values()}
        fresh: dict[int, Command] = {}
        for data in payload:
            clean = {k: data[k] for k in _EDITABLE if k in data}
            previous = old.get((str(data["name"]), int(data.get("type", 1))))
            if previous is not None:
                if previous.data != clean:
                    previous.data = clean
                    previous.version = self._snowflakes.next()
                fresh[previous.id] = previous
            else:
                command = self._new(guild_id, clean)
                fresh[command.id] = command
        self._scopes[guild_id] = fresh
        self._on_change()
        return list(fresh.values())

    def upsert(self, guild_id: int | None, data: JSON) -> tuple[Command, bool]:
        """Create a command, or update the one with the same name and type; say if new."""
        errors = FormErrors()
        check_command(data, errors, ())
        refuse_if_any(errors, COMMAND_RULES)
        clean = {k: data[k] for k in _EDITABLE if k in data}
        for command in self._scope(guild_id).values():
            if command.name == clean["name"] and command.type == int(clean.get("type", 1)):
                command.data = clean
                command.version = self._snowflakes.next()
                return command, False
        command = self._new(guild_id, clean)
        self._scope(guild_id)[command.id] = command
        self._on_change()
        return command, True

    def edit(self, guild_id: int | None, command_id: int, data: JSON) -> Command:
        """Apply a PATCH to one command."""
        command = self.get(guild_id, command_id)
        merged = {**command.data, **{k: data[k] for k in _EDITABLE if k in data}}
        errors = FormErrors()
        check_command(merged, errors, ())
        refuse_if_any(errors, COMMAND_RULES)
        command.data = merged
        command.version = self._snowflakes.next()
        self._on_change()
        return command

    def delete(self, guild_id: int | None, command_id: int) -> None:
        """Delete one command; 404 if unknown."""
        self.get(guild_id, command_id)
        del self._scope(guild_id)[command_id]
        self._on_change()

    def _new(self, guild_id: int | None, data: JSON) -> Command:
        command_id = self._snowflakes.next()
        return Command(
            id=command_id,
            application_id=self.application_id,
            guild_id=guild_id,
            data=data,
            version=command_id,
        )


def _array_error() -> JSON:
    return {"code": "BASE_TYPE_ARRAY", "message": "Must be an array."}
