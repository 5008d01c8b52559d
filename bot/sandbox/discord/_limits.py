"""Discord's documented limits, checked the way Discord checks them.

Each ``check_*`` function adds errors to a ``FormErrors`` under the same paths Discord uses
(``embeds.0.fields.3.value``), so the caller raises one 400 Invalid Form Body (code 50035).
"""

from __future__ import annotations

import re
from typing import Any

from ._errors import FormErrors
from ._models import MessageFlag

JSON = dict[str, Any]
Path = tuple[str | int, ...]

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
NONCE_MAX = 25
THREAD_NAME_MAX = 100
AUTO_ARCHIVE_DURATIONS = frozenset({60, 1440, 4320, 10080})
ACTION_ROWS_MAX = 5
BUTTONS_PER_ROW_MAX = 5
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
SELECT_OPTIONS_MAX = 25
SELECT_PLACEHOLDER_MAX = 150
SELECT_OPTION_TEXT_MAX = 100
COMPONENTS_V2_TOTAL_MAX = 40
COMMAND_NAME_MAX = 32
COMMAND_DESCRIPTION_MAX = 100
COMMAND_OPTIONS_MAX = 25
COMMAND_CHOICES_MAX = 25
GLOBAL_COMMANDS_MAX = 100
AUTOCOMPLETE_CHOICES_MAX = 25
MODAL_TITLE_MAX = 45

SENDABLE_FLAGS = (
    MessageFlag.SUPPRESS_EMBEDS
    | MessageFlag.SUPPRESS_NOTIFICATIONS
    | MessageFlag.IS_VOICE_MESSAGE
    | MessageFlag.IS_COMPONENTS_V2
)
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
_COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _too_long(errors: FormErrors, path: Path, value: Any, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        errors.max_length(path, limit)


def check_message(
    payload: JSON, errors: FormErrors, *, prefix: Path = (), ephemeral_allowed: bool = False
) -> None:
    """Check content, embeds, components, nonce, flags and allowed_mentions of a message body."""
    flags = payload.get("flags") or 0
    allowed_flags = SENDABLE_FLAGS | (MessageFlag.EPHEMERAL if ephemeral_allowed else 0)
    if not isinstance(flags, int) or flags & ~allowed_flags:
        errors.add((*prefix, "flags"), "MESSAGE_FLAGS_INVALID", "Invalid flags")
        flags = 0
    v2 = bool(flags & MessageFlag.IS_COMPONENTS_V2)
    content = payload.get("content")
    _too_long(errors, (*prefix, "content"), content, CONTENT_MAX)
    embeds = payload.get("embeds")
    if v2:
        for key in ("content", "embeds"):
            if payload.get(key):
                errors.add(
                    (*prefix, key),
                    "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                    "The 'content', 'embeds', 'stickers', and 'poll' fields cannot be used "
                    "when using MessageFlags.IS_COMPONENTS_V2",
                )
    if isinstance(embeds, list):
        check_embeds(embeds, errors, (*prefix, "embeds"))
    components = payload.get("components")
    if isinstance(components, list):
        check_components(components, errors, (*prefix, "components"), v2=v2)
    nonce = payload.get("nonce")
    if isinstance(nonce, str) and len(nonce) > NONCE_MAX:
        errors.max_length((*prefix, "nonce"), NONCE_MAX)
    mentions = payload.get("allowed_mentions")
    if isinstance(mentions, dict):
        check_allowed_mentions(mentions, errors, (*prefix, "allowed_mentions"))


def check_embeds(embeds: list[JSON], errors: FormErrors, path: Path) -> None:
    """Check the per-embed limits, the 10-embed cap and the 6000-character total."""
    if len(embeds) > EMBEDS_MAX:
        errors.max_length(path, EMBEDS_MAX)
        return
    total = 0
    for index, embed in enumerate(embeds):
        at = (*path, index)
        title = _text(embed.get("title"))
        description = _text(embed.get("description"))
        _too_long(errors, (*at, "title"), title, EMBED_TITLE_MAX)
        _too_long(errors, (*at, "description"), description, EMBED_DESCRIPTION_MAX)
        total += len(title) + len(description)
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS_MAX:
            errors.max_length((*at, "fields"), EMBED_FIELDS_MAX)
        for f_index, fld in enumerate(fields):
            name, value = _text(fld.get("name")), _text(fld.get("value"))
            for key, text, limit in (
                ("name", name, EMBED_FIELD_NAME_MAX),
                ("value", value, EMBED_FIELD_VALUE_MAX),
            ):
                if not text:
                    errors.required((*at, "fields", f_index, key))
                _too_long(errors, (*at, "fields", f_index, key), text, limit)
            total += len(name) + len(value)
        footer = _text((embed.get("footer") or {}).get("text"))
        _too_long(errors, (*at, "footer", "text"), footer, EMBED_FOOTER_MAX)
        author = _text((embed.get("author") or {}).get("name"))
        _too_long(errors, (*at, "author", "name"), author, EMBED_AUTHOR_MAX)
        total += len(footer) + len(author)
    if total > EMBED_TOTAL_MAX:
        errors.add(
            path,
            "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}",
        )


def check_components(components: list[JSON], errors: FormErrors, path: Path, *, v2: bool) -> None:
    """Check action rows, buttons and selects (or the total count for components v2)."""
    seen: set[str] = set()
    if v2:
        total = _count_components(components)
        if total > COMPONENTS_V2_TOTAL_MAX:
            errors.max_length(path, COMPONENTS_V2_TOTAL_MAX)
        _check_custom_ids(components, errors, path, seen)
        return
    if len(components) > ACTION_ROWS_MAX:
        errors.max_length(path, ACTION_ROWS_MAX)
    for r_index, row in enumerate(components):
        at = (*path, r_index)
        if row.get("type") != 1:
            errors.add((*at, "type"), "UNION_TYPE_CHOICES", 'Value of field "type" must be 1.')
            continue
        children = row.get("components") or []
        selects = [c for c in children if c.get("type") in SELECT_TYPES]
        if not children:
            errors.add(
                (*at, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
            )
        elif selects and len(children) > 1:
            errors.add(
                (*at, "components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        elif len(children) > BUTTONS_PER_ROW_MAX:
            errors.max_length((*at, "components"), BUTTONS_PER_ROW_MAX)
        for c_index, child in enumerate(children):
            _check_component(child, errors, (*at, "components", c_index))
    _check_custom_ids(components, errors, path, seen)


def _count_components(components: list[JSON]) -> int:
    total = 0
    for component in components:
        total += 1 + _count_components(component.get("components") or [])
        if isinstance(component.get("accessory"), dict):
            total += 1
    return total


def _check_component(component: JSON, errors: FormErrors, path: Path) -> None:
    kind = component.get("type")
    _too_long(errors, (*path, "custom_id"), component.get("custom_id"), CUSTOM_ID_MAX)
    if kind == 2:
        style = component.get("style")
        _too_long(errors, (*path, "label"), component.get("label"), BUTTON_LABEL_MAX)
        if style == 5:
            if not component.get("url"):
                errors.required((*path, "url"))
        elif style != 6 and not component.get("custom_id"):
            errors.required((*path, "custom_id"))
    elif kind in SELECT_TYPES:
        if not component.get("custom_id"):
            errors.required((*path, "custom_id"))
        _too_long(
            errors, (*path, "placeholder"), component.get("placeholder"), SELECT_PLACEHOLDER_MAX
        )
        if kind == 3:
            options = component.get("options") or []
            if not options:
                errors.required((*path, "options"))
            if len(options) > SELECT_OPTIONS_MAX:
                errors.max_length((*path, "options"), SELECT_OPTIONS_MAX)
            for o_index, option in enumerate(options):
                for key in ("label", "value", "description"):
                    _too_long(
                        errors,
                        (*path, "options", o_index, key),
                        option.get(key),
                        SELECT_OPTION_TEXT_MAX,
                    )


def _check_custom_ids(
    components: list[JSON], errors: FormErrors, path: Path, seen: set[str]
) -> None:
    for index, component in enumerate(components):
        custom_id = component.get("custom_id")
        if isinstance(custom_id, str):
            if custom_id in seen:
                errors.add(
                    (*path, index, "custom_id"),
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    "Component custom id cannot be duplicated",
                )
            seen.add(custom_id)
        children = component.get("components") or []
        _check_custom_ids(children, errors, (*path, index, "components"), seen)
        accessory = component.get("accessory")
        if isinstance(accessory, dict):
            _check_custom_ids([accessory], errors, (*path, index, "accessory"), seen)


def check_allowed_mentions(mentions: JSON, errors: FormErrors, path: Path) -> None:
    """Reject ``parse`` together with an explicit list of the same kind, as Discord does."""
    parse = mentions.get("parse") or []
    for kind in ("users", "roles"):
        if kind in parse and mentions.get(kind):
            errors.add(
                (*path, kind),
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )
    for kind in ("users", "roles"):
        if len(mentions.get(kind) or []) > 100:
            errors.max_length((*path, kind), 100)


def check_thread(payload: JSON, errors: FormErrors, *, name_required: bool = True) -> None:
    """Check a thread's name (1–100) and ``auto_archive_duration``."""
    name = payload.get("name")
    if name is None:
        if name_required:
            errors.required(("name",))
    elif not isinstance(name, str) or not 1 <= len(name.strip()) <= THREAD_NAME_MAX:
        errors.add(
            ("name",), "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {THREAD_NAME_MAX} in length."
        )
    duration = payload.get("auto_archive_duration")
    if duration is not None and duration not in AUTO_ARCHIVE_DURATIONS:
        errors.add(
            ("auto_archive_duration",),
            "BASE_TYPE_CHOICES",
            "Value must be one of {60, 1440, 4320, 10080}.",
        )


def check_command(command: JSON, errors: FormErrors, path: Path) -> None:
    """Check one application command: name, description, options and choices."""
    kind = command.get("type", 1)
    name = command.get("name")
    if not isinstance(name, str) or not name:
        errors.required((*path, "name"))
    elif kind == 1 and (not _COMMAND_NAME.match(name) or name != name.lower()):
        errors.add((*path, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    elif len(name) > COMMAND_NAME_MAX:
        errors.add((*path, "name"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
    description = command.get("description") or ""
    if kind == 1 and not 1 <= len(description) <= COMMAND_DESCRIPTION_MAX:
        errors.add(
            (*path, "description"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    if kind != 1 and description:
        errors.add(
            (*path, "description"),
            "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
            "Context menu commands cannot have description",
        )
    _check_options(command.get("options") or [], errors, (*path, "options"))


def _check_options(options: list[JSON], errors: FormErrors, path: Path) -> None:
    if len(options) > COMMAND_OPTIONS_MAX:
        errors.max_length(path, COMMAND_OPTIONS_MAX)
    optional_seen = False
    for index, option in enumerate(options):
        at = (*path, index)
        name = option.get("name")
        if not isinstance(name, str) or not _COMMAND_NAME.match(name) or name != name.lower():
            errors.add((*at, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        description = option.get("description") or ""
        if not 1 <= len(description) <= COMMAND_DESCRIPTION_MAX:
            errors.add(
                (*at, "description"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        if option.get("type") in (1, 2):
            _check_options(option.get("options") or [], errors, (*at, "options"))
            continue
        if option.get("required"):
            if optional_seen:
                errors.add(
                    (*at, "required"),
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            optional_seen = True
        choices = option.get("choices") or []
        if len(choices) > COMMAND_CHOICES_MAX:
            errors.max_length((*at, "choices"), COMMAND_CHOICES_MAX)
        if choices and option.get("autocomplete"):
            errors.add(
                (*at, "autocomplete"),
                "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID_CHOICES",
                "Autocomplete cannot be set with choices",
            )


def check_autocomplete_choices(choices: list[JSON], errors: FormErrors, path: Path) -> None:
    """Check an autocomplete answer: at most 25 choices, names and string values 1–100."""
    if len(choices) > AUTOCOMPLETE_CHOICES_MAX:
        errors.max_length(path, AUTOCOMPLETE_CHOICES_MAX)
    for index, choice in enumerate(choices):
        name = choice.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            errors.add(
                (*path, index, "name"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        value = choice.get("value")
        if isinstance(value, str) and len(value) > 100:
            errors.max_length((*path, index, "value"), 100)


def check_modal(modal: JSON, errors: FormErrors, path: Path) -> None:
    """Check a modal: ``custom_id`` and ``title`` (≤ 45) required, 1–5 components."""
    if not modal.get("custom_id"):
        errors.required((*path, "custom_id"))
    title = modal.get("title")
    if not title:
        errors.required((*path, "title"))
    _too_long(errors, (*path, "title"), title, MODAL_TITLE_MAX)
    components = modal.get("components") or []
    if not 1 <= len(components) <= 5:
        errors.add(
            (*path, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
        )
