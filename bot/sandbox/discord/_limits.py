"""Discord's documented rules that its API description does not encode, checked as Discord does.

Each ``check_*`` function adds errors to a ``FormErrors`` under the same paths Discord uses
(``embeds.0.fields.3.value``); ``refuse_if_any`` then raises one 400 Invalid Form Body (code
50035) as a ``RuleBroken``, which the REST layer records in ``emulator.violations``. A check
never changes the request: what breaks a rule is refused, what keeps it is taken as sent.
Each limit names the page of Discord's developer documentation it comes from.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from ._errors import APIError, FormErrors
from ._models import ChannelType, ForumTag, MessageFlag

JSON = dict[str, Any]
Path = tuple[str | int, ...]

# Message resource › Create Message (JSON params).
CONTENT_MAX = 2000
EMBEDS_MAX = 10
NONCE_MAX = 25
# Message resource › Embed Limits (measured on the trimmed text).
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
# Message resource › Allowed Mentions Object.
ALLOWED_MENTIONS_IDS_MAX = 100
# Channel resource › Start Thread without Message / in Forum or Media Channel.
THREAD_NAME_MAX = 100
AUTO_ARCHIVE_DURATIONS = frozenset({60, 1440, 4320, 10080})
APPLIED_TAGS_MAX = 5
# Components reference (action rows, buttons, selects).
ACTION_ROWS_MAX = 5
BUTTONS_PER_ROW_MAX = 5
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
SELECT_OPTIONS_MAX = 25
SELECT_PLACEHOLDER_MAX = 150
SELECT_OPTION_TEXT_MAX = 100
COMPONENTS_V2_TOTAL_MAX = 40
# Application Commands › Application Command Object, Slash Commands.
COMMAND_NAME_MAX = 32
COMMAND_DESCRIPTION_MAX = 100
COMMAND_OPTIONS_MAX = 25
COMMAND_CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100
COMMAND_SIZE_MAX = 8000
GLOBAL_COMMANDS_MAX = 100
# Receiving and Responding › Interaction Response Object (Autocomplete, Modal).
AUTOCOMPLETE_CHOICES_MAX = 25
MODAL_TITLE_MAX = 45
MODAL_COMPONENTS_MAX = 5

SENDABLE_FLAGS = (
    MessageFlag.SUPPRESS_EMBEDS
    | MessageFlag.SUPPRESS_NOTIFICATIONS
    | MessageFlag.IS_VOICE_MESSAGE
    | MessageFlag.IS_COMPONENTS_V2
)
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
LINK_STYLE = 5
PREMIUM_STYLE = 6
CHAT_INPUT = 1

# Channel resource › Channel Types and the Threads topic: a thread's type follows its parent.
# Announcement channels make ANNOUNCEMENT_THREAD only; text channels make PUBLIC_THREAD, and
# PRIVATE_THREAD exists only in text channels; forum and media posts are PUBLIC_THREAD.
THREAD_TYPES_BY_PARENT: dict[ChannelType, frozenset[int]] = {
    ChannelType.GUILD_TEXT: frozenset({ChannelType.PUBLIC_THREAD, ChannelType.PRIVATE_THREAD}),
    ChannelType.GUILD_ANNOUNCEMENT: frozenset({ChannelType.ANNOUNCEMENT_THREAD}),
    ChannelType.GUILD_FORUM: frozenset({ChannelType.PUBLIC_THREAD}),
    ChannelType.GUILD_MEDIA: frozenset({ChannelType.PUBLIC_THREAD}),
}
DEFAULT_THREAD_TYPE = ChannelType.PRIVATE_THREAD
"""Start Thread without Message: ``type`` defaults to PRIVATE_THREAD when absent."""

# Scripts.txt ranges of Devanagari and Thai, which command names accept besides letters and
# numbers (their vowel signs are marks, not letters).
_DEVANAGARI = ((0x0900, 0x0950), (0x0955, 0x0963), (0x0966, 0x097F), (0xA8E0, 0xA8FF))
_THAI = ((0x0E01, 0x0E3A), (0x0E40, 0x0E5B))


class RuleBroken(APIError):
    """Discord's answer to a request that breaks one of its documented rules.

    A correct client never sends such a request, so the REST layer records each one in
    ``emulator.violations`` (kind ``"rule"``) besides answering it. ``rule`` says which rule,
    in words, with the documentation page it comes from.
    """

    def __init__(
        self, status: int, code: int, message: str, errors: JSON | None = None, *, rule: str
    ) -> None:
        super().__init__(status, code, message, errors)
        self.rule = rule

    def describe(self) -> str:
        """The rule, then Discord's answer with every field error as ``path: message``."""
        answer = f"{self.status} {self.code} {self.message}"
        fields = "; ".join(f"{path}: {message}" for path, message in _flatten(self.errors or {}))
        return f"{self.rule} — {answer}" + (f" ({fields})" if fields else "")


def _flatten(tree: JSON, at: str = "") -> Iterable[tuple[str, str]]:
    for key, node in tree.items():
        if key == "_errors":
            for error in node:
                yield at or "(body)", str(error.get("message"))
        elif isinstance(node, dict):
            yield from _flatten(node, f"{at}.{key}" if at else key)


def refuse_if_any(errors: FormErrors, rule: str) -> None:
    """Raise the 400 Invalid Form Body carrying every recorded error, as a broken ``rule``."""
    try:
        errors.raise_if_any()
    except APIError as exc:
        raise RuleBroken(exc.status, exc.code, exc.message, exc.errors, rule=rule) from None


def wrong_channel_type(rule: str) -> RuleBroken:
    """Discord's answer to an action the channel's type does not allow."""
    return RuleBroken(400, 50024, "Cannot execute action on this channel type", rule=rule)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _too_long(errors: FormErrors, path: Path, value: Any, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        errors.max_length(path, limit)


def _bad_length(errors: FormErrors, path: Path, low: int, high: int) -> None:
    errors.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


# --- messages -------------------------------------------------------------------------------


def check_message(
    payload: JSON, errors: FormErrors, *, prefix: Path = (), ephemeral_allowed: bool = False
) -> None:
    """Check content, embeds, components, nonce, flags and allowed_mentions of a message body.

    Message resource › Create Message: content up to 2000, up to 10 embeds, a nonce up to
    25 characters, and only the sendable flags; components v2 messages carry nothing else.
    """
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


def embed_texts(embed: JSON) -> list[tuple[Path, str, int]]:
    """Every text of an embed that counts towards its limits: (path, trimmed text, limit).

    Message resource › Embed Limits: leading and trailing whitespace is not counted.
    """
    texts: list[tuple[Path, str, int]] = [
        (("title",), _text(embed.get("title")).strip(), EMBED_TITLE_MAX),
        (("description",), _text(embed.get("description")).strip(), EMBED_DESCRIPTION_MAX),
    ]
    for index, fld in enumerate(embed.get("fields") or []):
        texts.append(
            (("fields", index, "name"), _text(fld.get("name")).strip(), EMBED_FIELD_NAME_MAX)
        )
        texts.append(
            (("fields", index, "value"), _text(fld.get("value")).strip(), EMBED_FIELD_VALUE_MAX)
        )
    footer = _text((embed.get("footer") or {}).get("text")).strip()
    author = _text((embed.get("author") or {}).get("name")).strip()
    texts.append((("footer", "text"), footer, EMBED_FOOTER_MAX))
    texts.append((("author", "name"), author, EMBED_AUTHOR_MAX))
    return texts


def check_embeds(embeds: list[JSON], errors: FormErrors, path: Path) -> None:
    """Check the per-embed limits, the 10-embed cap and the 6000 characters of all embeds."""
    if len(embeds) > EMBEDS_MAX:
        errors.max_length(path, EMBEDS_MAX)
        return
    total = 0
    for index, embed in enumerate(embeds):
        at = (*path, index)
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS_MAX:
            errors.max_length((*at, "fields"), EMBED_FIELDS_MAX)
        for where, text, limit in embed_texts(embed):
            if where[0] == "fields" and not text:
                errors.required((*at, *where))
            _too_long(errors, (*at, *where), text, limit)
            total += len(text)
    if total > EMBED_TOTAL_MAX:
        errors.add(
            path,
            "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}",
        )


def check_components(components: list[JSON], errors: FormErrors, path: Path, *, v2: bool) -> None:
    """Check action rows, buttons and selects (or the total count for components v2).

    Components reference: up to 5 action rows of up to 5 buttons, or one select; custom_id up
    to 100 characters and unique within the message; labels up to 80; up to 25 options.
    """
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
            _bad_length(errors, (*at, "components"), 1, BUTTONS_PER_ROW_MAX)
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
        _check_button(component, errors, path)
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
            values: set[Any] = set()
            for o_index, option in enumerate(options):
                for key in ("label", "value", "description"):
                    _too_long(
                        errors,
                        (*path, "options", o_index, key),
                        option.get(key),
                        SELECT_OPTION_TEXT_MAX,
                    )
                # Components reference › String Select: each option's value is what the
                # interaction reports as chosen, so two options may not share one.
                value = option.get("value")
                if value in values:
                    errors.add(
                        (*path, "options", o_index, "value"),
                        "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
                        "The specified option value is already used",
                    )
                values.add(value)
            # Components reference › String Select: `max_values` (default 1) bounds what can be
            # chosen, and so how many options may start out chosen (`default`).
            chosen = sum(1 for option in options if option.get("default"))
            max_values = component.get("max_values")
            if chosen > (max_values if isinstance(max_values, int) else 1):
                errors.add(
                    (*path, "options"),
                    "SELECT_COMPONENT_TOO_MANY_DEFAULT_VALUES",
                    "The specified number of default values exceeds the specified maximum values",
                )


def _check_button(button: JSON, errors: FormErrors, path: Path) -> None:
    """Components reference › Button: "Non-link and non-premium buttons must have a custom_id,
    and cannot have a url or a sku_id. Link buttons must have a url, and cannot have a
    custom_id"; a label is up to 80 characters."""
    style = button.get("style")
    _too_long(errors, (*path, "label"), button.get("label"), BUTTON_LABEL_MAX)
    custom_id, url = button.get("custom_id"), button.get("url")
    if style == LINK_STYLE:
        if not url:
            errors.add((*path, "url"), "BUTTON_COMPONENT_URL_REQUIRED", "A url is required")
        if custom_id is not None:
            _custom_id_and_url(errors, path)
    elif style != PREMIUM_STYLE:
        if not custom_id:
            errors.add(
                (*path, "custom_id"),
                "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED",
                "A custom id is required",
            )
        if url is not None:
            _custom_id_and_url(errors, path)


def _custom_id_and_url(errors: FormErrors, path: Path) -> None:
    errors.add(
        path,
        "BUTTON_COMPONENT_CUSTOM_ID_URL_MUTUALLY_EXCLUSIVE",
        "A custom id and url cannot both be specified",
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
    """Message resource › Allowed Mentions: ``parse`` excludes an explicit list of the same
    kind, and each list holds at most 100 ids."""
    parse = mentions.get("parse") or []
    for kind in ("users", "roles"):
        if kind in parse and mentions.get(kind):
            errors.add(
                (*path, kind),
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )
    for kind in ("users", "roles"):
        if len(mentions.get(kind) or []) > ALLOWED_MENTIONS_IDS_MAX:
            errors.max_length((*path, kind), ALLOWED_MENTIONS_IDS_MAX)


# --- threads --------------------------------------------------------------------------------


def check_thread(payload: JSON, errors: FormErrors, *, name_required: bool = True) -> None:
    """Channel resource › Start Thread: a name of 1–100 characters and an
    ``auto_archive_duration`` of 60, 1440, 4320 or 10080 minutes."""
    name = payload.get("name")
    if name is None:
        if name_required:
            errors.required(("name",))
    elif not isinstance(name, str) or not 1 <= len(name.strip()) <= THREAD_NAME_MAX:
        _bad_length(errors, ("name",), 1, THREAD_NAME_MAX)
    duration = payload.get("auto_archive_duration")
    if duration is not None and duration not in AUTO_ARCHIVE_DURATIONS:
        errors.add(
            ("auto_archive_duration",),
            "BASE_TYPE_CHOICES",
            "Value must be one of {60, 1440, 4320, 10080}.",
        )


def check_thread_type(parent: ChannelType, requested: Any) -> None:
    """Refuse a thread ``type`` its parent channel cannot hold (see THREAD_TYPES_BY_PARENT)."""
    allowed = THREAD_TYPES_BY_PARENT.get(parent, frozenset())
    if requested not in allowed:
        wanted = " or ".join(f"{ChannelType(t).name} ({t})" for t in sorted(allowed))
        raise wrong_channel_type(
            f"thread type {requested!r} in a {parent.name} channel, which takes "
            f"{wanted or 'no thread'} "
            "(Threads; Channel › Start Thread without Message)"
        )


def check_applied_tags(tags: list[str], available: Iterable[int], errors: FormErrors) -> None:
    """Channel resource › Start Thread in Forum or Media Channel, and Forum Tag Object: up to
    5 tags, each one of the forum's own."""
    known = {str(tag) for tag in available}
    if len(tags) > APPLIED_TAGS_MAX:
        errors.max_length(("applied_tags",), APPLIED_TAGS_MAX)
    for index, tag in enumerate(tags):
        if tag not in known:
            errors.add(("applied_tags", index), "UNKNOWN_TAG", "Unknown tag")


def moderated_change(
    before: Iterable[int | str], after: Iterable[int | str], available: Iterable[ForumTag]
) -> bool:
    """Whether going from tags ``before`` to ``after`` adds or removes a moderated tag.

    Channel resource › Forum Tag Object: ``moderated`` is "whether this tag can only be added
    to or removed from threads by a member with the MANAGE_THREADS permission"."""
    changed = {str(t) for t in before} ^ {str(t) for t in after}
    return any(tag.moderated and str(tag.id) in changed for tag in available)


def tag_required() -> RuleBroken:
    """Discord's answer to a post without a tag in a forum whose flags hold REQUIRE_TAG."""
    return RuleBroken(
        400,
        40067,
        "A tag is required to create a forum post in this channel",
        rule="a post in a forum with the REQUIRE_TAG flag needs a tag (Channel › Channel Flags)",
    )


# --- application commands -------------------------------------------------------------------


def _in_ranges(char: str, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(low <= ord(char) <= high for low, high in ranges)


def is_chat_input_name(name: str) -> bool:
    """Application Commands › Naming: ``^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$``,
    and no letter that has a lower-case form may be upper-case."""
    if not 1 <= len(name) <= COMMAND_NAME_MAX or name != name.lower():
        return False
    return all(
        char in "-_'"
        or unicodedata.category(char)[0] in "LN"
        or _in_ranges(char, _DEVANAGARI)
        or _in_ranges(char, _THAI)
        for char in name
    )


def _invalid_name(errors: FormErrors, path: Path) -> None:
    errors.add(path, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")


def check_command(command: JSON, errors: FormErrors, path: Path) -> None:
    """Check one application command: name, description, options, choices and total size."""
    kind = command.get("type", CHAT_INPUT)
    name = command.get("name")
    if not isinstance(name, str) or not name:
        errors.required((*path, "name"))
    elif kind == CHAT_INPUT and not is_chat_input_name(name):
        _invalid_name(errors, (*path, "name"))
    elif len(name) > COMMAND_NAME_MAX:
        _bad_length(errors, (*path, "name"), 1, COMMAND_NAME_MAX)
    description = command.get("description") or ""
    if kind == CHAT_INPUT and not 1 <= len(description) <= COMMAND_DESCRIPTION_MAX:
        _bad_length(errors, (*path, "description"), 1, COMMAND_DESCRIPTION_MAX)
    if kind != CHAT_INPUT and description:
        errors.add(
            (*path, "description"),
            "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
            "Context menu commands cannot have description",
        )
    _check_options(command.get("options") or [], errors, (*path, "options"))
    if kind == CHAT_INPUT and command_size(command) > COMMAND_SIZE_MAX:
        errors.add(
            path,
            "APPLICATION_COMMAND_TOO_LARGE",
            f"Command exceeds maximum size ({COMMAND_SIZE_MAX})",
        )


def _longest(data: JSON, key: str) -> int:
    """The longest of a field and its localizations: what the 8000-character size counts."""
    values = [data.get(key), *((data.get(f"{key}_localizations") or {}).values())]
    return max((len(str(v)) for v in values if v is not None), default=0)


def command_size(command: JSON) -> int:
    """Application Commands › Slash Commands: the characters counted against 8000 — names,
    descriptions and choice names and values of the command and all its options."""

    def options_size(options: list[JSON]) -> int:
        total = 0
        for option in options:
            total += _longest(option, "name") + _longest(option, "description")
            for choice in option.get("choices") or []:
                total += _longest(choice, "name") + len(str(choice.get("value", "")))
            total += options_size(option.get("options") or [])
        return total

    size = _longest(command, "name") + _longest(command, "description")
    return size + options_size(command.get("options") or [])


def _check_options(options: list[JSON], errors: FormErrors, path: Path) -> None:
    """Application Command Option Structure: up to 25, names valid and unique in their array,
    descriptions 1–100, required ones first, up to 25 choices and no autocomplete with them."""
    if len(options) > COMMAND_OPTIONS_MAX:
        errors.max_length(path, COMMAND_OPTIONS_MAX)
    optional_seen = False
    names: set[str] = set()
    for index, option in enumerate(options):
        at = (*path, index)
        name = option.get("name")
        if not isinstance(name, str) or not is_chat_input_name(name):
            _invalid_name(errors, (*at, "name"))
        elif name in names:
            errors.add(
                (*at, "name"),
                "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS",
                "Option names must be unique",
            )
        else:
            names.add(name)
        description = option.get("description") or ""
        if not 1 <= len(description) <= COMMAND_DESCRIPTION_MAX:
            _bad_length(errors, (*at, "description"), 1, COMMAND_DESCRIPTION_MAX)
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
        _check_choices(choices, errors, (*at, "choices"))
        if choices and option.get("autocomplete"):
            errors.add(
                (*at, "autocomplete"),
                "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID_CHOICES",
                "Autocomplete cannot be set with choices",
            )


def _check_choices(choices: list[JSON], errors: FormErrors, path: Path) -> None:
    """Application Command Option Choice Structure: names 1–100, string values up to 100."""
    for index, choice in enumerate(choices):
        name = choice.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= CHOICE_NAME_MAX:
            _bad_length(errors, (*path, index, "name"), 1, CHOICE_NAME_MAX)
        value = choice.get("value")
        if isinstance(value, str) and len(value) > CHOICE_VALUE_MAX:
            errors.max_length((*path, index, "value"), CHOICE_VALUE_MAX)


# --- interaction responses ------------------------------------------------------------------


def check_autocomplete_choices(choices: list[JSON], errors: FormErrors, path: Path) -> None:
    """Receiving and Responding › Autocomplete: at most 25 choices, each a valid choice."""
    if len(choices) > AUTOCOMPLETE_CHOICES_MAX:
        errors.max_length(path, AUTOCOMPLETE_CHOICES_MAX)
    _check_choices(choices, errors, path)


def check_modal(modal: JSON, errors: FormErrors, path: Path) -> None:
    """Receiving and Responding › Modal: ``custom_id`` 1–100, ``title`` up to 45, 1–5
    components."""
    custom_id = modal.get("custom_id")
    if not custom_id:
        errors.required((*path, "custom_id"))
    _too_long(errors, (*path, "custom_id"), custom_id, CUSTOM_ID_MAX)
    title = modal.get("title")
    if not title:
        errors.required((*path, "title"))
    _too_long(errors, (*path, "title"), title, MODAL_TITLE_MAX)
    components = modal.get("components") or []
    if not 1 <= len(components) <= MODAL_COMPONENTS_MAX:
        _bad_length(errors, (*path, "components"), 1, MODAL_COMPONENTS_MAX)
