"""What a line typed in `newsbot demo --keep` does: a reader's command read as Discord's
client reads it (options, values checked against what newsbot registered), a reply in a
section thread, the editor's review, or a page turned."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from typing import Any

from rich.console import RenderableType
from rich.padding import Padding
from rich.text import Text

from bot.cli._console import ISSUE_NUMBER_MAX
from bot.demo.editor import Editor, threads_of
from bot.demo.reader import PAGED, Paged, Reader, can_press, has_button
from bot.demo.stage import SUGGESTION_THREAD, Stage
from bot.errors import NewsbotError
from bot.models import SuggestionStatus
from bot.render.discord import CONTENT_MAX, sections_typed
from bot.render.publish import SEPARATOR
from bot.sandbox.discord import Channel, Message
from bot.store import Archive
from bot.text import shorten

SLASH_COMMAND = 1
"""An application command's type when it is a slash command (not a context menu)."""
WAITING_READ = 100
"""How many of the suggestions waiting the demo counts before a review: more than a review
shows, which then ends with a note that there are more."""
QUIET_TIMEOUT = 3.0
"""How long a reader's plain message waits for newsbot, which may rightly say nothing."""

READER_OPTIONS: dict[str, tuple[str, ...]] = {
    "latest": ("section", "public"),
    "issue": ("number", "section", "public"),
    "search": ("query", "section", "issue", "since", "public"),
    "suggest": ("url", "note", "section"),
}
"""The reader commands typed in `--keep`, with their options as Discord names them. Text
typed without a name goes to the first option (`/search distillation`); for /suggest, its
first word is the link and the rest the note."""
OPTIONS: dict[str, tuple[str, ...]] = READER_OPTIONS | {
    "reply": ("text", "section", "issue"),
    "suggestions review": ("status", "public"),
}
"""Everything typed with options in `--keep`: the reader commands, the demo's own /reply (a
message in one of the section threads) and the editor's /suggestions review."""
REQUIRED = {"issue": "number", "search": "query", "suggest": "url", "reply": "text"}
EXAMPLES = {
    "number": "/issue 202",
    "issue": "/search learning issue:202",
    "query": "/search distillation",
    "url": "/suggest https://example.org/paper",
    "text": "/reply <text>",
    "public": "/latest public:true",
}
SHOWN_MAX = 20
"""How much of a typed value a mistake quotes (so that it fits a line)."""
_OPTION_NAME = re.compile(r"(?:^|(?<=\s))([a-z_]+):(?!//)")
"""`name:` as Discord shows an option, at the start of a word (and not `https://`)."""


class ReaderMistake(ValueError):
    """A reader action the demo cannot send as typed; the message says what to type."""


def reader_options(
    command: str, rest: str, registered: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """The options of `/command rest`, typed as Discord shows them (`/latest section:Industry`)
    or plainly (`/latest Industry`); raise `ReaderMistake` saying what is wrong.

    Only a name of one of the command's options, with `:` after it, starts an option: other
    text, `javascript:alert(1)` or `sektion:Industry` too, is the value of the first option,
    as in Discord. `registered` is the command's options as newsbot registered them, by name:
    a value longer or shorter than its option allows is refused, as Discord's client does.
    """
    names = OPTIONS[command]
    marks = [m for m in _OPTION_NAME.finditer(rest) if m.group(1) in names]
    given: dict[str, str] = {}
    plain = rest[: marks[0].start()] if marks else rest
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(rest)
        name = mark.group(1)
        if name in given:
            raise ReaderMistake(f"/{command}: {name} is given twice")
        given[name] = rest[mark.end() : end].strip()
        if not given[name]:
            raise ReaderMistake(f"/{command}: {name}: has no value")
    if plain.strip():
        first = names[0]
        if first in given:
            raise ReaderMistake(f"/{command}: {first} is given twice ({_shown(plain)} too)")
        if command == "suggest":
            url, _, note = plain.strip().partition(" ")
            given["url"] = url
            if note.strip():
                if "note" in given:
                    raise ReaderMistake(f"/suggest: note is given twice ({_shown(note)} too)")
                given["note"] = note.strip()
        else:
            given[first] = plain.strip()
    options = {
        name: _option_value(command, name, given[name], (registered or {}).get(name, {}))
        for name in names
        if name in given
    }
    required = REQUIRED.get(command)
    if required is not None and required not in options:
        raise ReaderMistake(f"/{command} needs its {required}: type {EXAMPLES[required]}")
    return options


def _option_value(command: str, name: str, value: str, registered: Mapping[str, Any]) -> Any:
    if name in {"number", "issue"}:
        if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= ISSUE_NUMBER_MAX:
            raise ReaderMistake(
                f"/{command}: {name} takes an issue number from 1 to {ISSUE_NUMBER_MAX}, "
                f"not {_shown(value)}: type {EXAMPLES[name]}"
            )
        return int(value)
    if name == "public":
        if value.lower() not in {"true", "false"}:
            raise ReaderMistake(f"/{command}: public takes true or false, not {_shown(value)}")
        return value.lower() == "true"
    choices = [str(choice["value"]) for choice in registered.get("choices", [])]
    if choices and value not in choices:
        raise ReaderMistake(f"/{command}: {name} takes {_either(choices)}, not {_shown(value)}")
    low, high = registered.get("min_length", 0), registered.get("max_length")
    if high is not None and len(value) > high:
        limit = f"at most {high}"
    elif len(value) < low:
        limit = f"at least {low}"
    else:
        return value
    raise ReaderMistake(
        f"/{command}: {name} takes {limit} characters, not {len(value)} ({_shown(value)})"
    )


def _either(choices: list[str]) -> str:
    """`a`, `a or b`, `a, b or c`."""
    return " or ".join(filter(None, [", ".join(choices[:-1]), *choices[-1:]]))


def _shown(value: str) -> str:
    """A typed value as a mistake quotes it: shortened, and each control character escaped."""
    return repr(shorten(value.strip(), SHOWN_MAX))


def registered_options(stage: Stage, command: str) -> dict[str, dict[str, Any]]:
    """The options of `/command` (`/group sub` too) as newsbot registered them (the guild's,
    else the global command), by name: what Discord's client checks a value against before it
    sends it."""
    name, _, sub = command.partition(" ")
    for scope in (stage.seed.guild, None):
        for synced in stage.emulator.synced_commands(scope):
            if synced.name == name and synced.type == SLASH_COMMAND:
                options = synced.options
                if sub:
                    options = next((o.get("options", []) for o in options if o["name"] == sub), [])
                return {str(option["name"]): option for option in options}
    return {}


async def act(stage: Stage, reader: Reader, editor: Editor, line: str) -> None:
    """One action typed in `--keep`, the reader's (or the editor's review); a mistake or a
    timeout is said, not raised."""
    word, _, rest = line.partition(" ")
    rest = rest.strip()
    command = word.removeprefix("/")
    try:
        if word.startswith("/") and command in READER_OPTIONS:
            options = reader_options(command, rest, registered_options(stage, command))
            await reader.slash(command, **options)
            if command in PAGED:
                _page_hint(stage, reader.last_paged)
        elif word in {"next", "previous", "prev"}:
            await _turn(stage, reader, "next" if word == "next" else "previous")
        elif word == "/reply":
            options = reader_options("reply", rest)
            _fits_a_message(options["text"])
            threads = threads_of(stage.emulator.world, stage.seed.general)
            number = options.get("issue", stage.number)
            thread = reply_thread(threads, number, options.get("section") or SUGGESTION_THREAD)
            await reader.reply_in(thread, options["text"], timeout=QUIET_TIMEOUT)
        elif word == "/suggestions":
            sub, _, rest = rest.partition(" ")
            if not sub:
                raise ReaderMistake("/suggestions needs its subcommand: type /suggestions review")
            if sub != "review":
                raise ReaderMistake(
                    f"/suggestions {sub} is not in the demo: type /suggestions review"
                )
            typed = "suggestions review"
            await review(
                stage, editor, reader_options(typed, rest, registered_options(stage, typed))
            )
        elif word in {"accept", "reject"}:
            await decide(editor, word, rest)
        elif word.startswith("/"):
            known = ", ".join(f"/{name}" for name in OPTIONS)
            raise ReaderMistake(f"{word} is not a command the demo knows ({known}); type help")
        else:
            _fits_a_message(line)
            await reader.related(line)
    except (TimeoutError, ValueError, LookupError) as exc:
        stage.console.print(mistake_shown(exc))


_THREAD_ISSUE = re.compile(rf"#(\d+){re.escape(SEPARATOR)}")
"""A section thread's name, `#202 · Industry`: the issue's number."""


def reply_thread(threads: list[Channel], number: int, section: str) -> Channel:
    """Of the section `threads` of a channel, the one a `/reply` goes in: issue `number`'s
    for `section`, found by its name as /latest's section choices find one (`learn` finds
    Learning); else a mistake naming the threads there are."""
    by_issue: dict[int, dict[str, Channel]] = {}
    for thread in threads:
        if match := _THREAD_ISSUE.match(thread.name):
            by_issue.setdefault(int(match[1]), {})[thread.name[match.end() :]] = thread
    named = by_issue.get(number)
    if not named:
        have = ", ".join(f"issue:{n}" for n in sorted(by_issue)) or "none yet"
        raise ReaderMistake(
            f"/reply: #{number} has no section threads in #general (the issues with threads: "
            f"{have})"
        )
    found = [name for _, name in sections_typed(section, [(n, n) for n in named], len(named))]
    exact = [name for name in found if name.casefold() == section.casefold()]
    if exact or len(found) == 1:
        return named[(exact or found)[0]]
    if found:
        raise ReaderMistake(
            f"/reply: section:{_shown(section)} could be {_either(found)}: type more of it"
        )
    raise ReaderMistake(
        f"/reply: #{number} has no thread for section:{_shown(section)}; "
        f"its threads: {', '.join(named)}"
    )


async def review(stage: Stage, editor: Editor, options: dict[str, Any]) -> None:
    """`/suggestions review` as the editor: each card it answers with, and the note after them
    when there are more than it shows."""
    status = SuggestionStatus(options.get("status", SuggestionStatus.PENDING))
    try:
        async with await Archive.open(stage.db, create=False) as archive:
            waiting = len(await archive.suggestions.list((status,), limit=WAITING_READ))
    except (NewsbotError, sqlite3.Error) as exc:
        raise ReaderMistake(f"the archive cannot be read just now ({exc}): try again") from exc
    await editor.review(waiting, **options)


_CARD = re.compile(r"Suggestion (\d+)")
"""A review card's footer, which names its suggestion's number."""


async def decide(editor: Editor, verb: str, typed: str) -> None:
    """`accept 2` or `reject 2`: the editor presses Accept or Reject on the card of the last
    review that ends with "Suggestion 2" (the number may be left out when it shows one)."""
    cards: dict[str, Message] = {}
    for message in editor.last_review:
        for embed in message.embeds:
            if match := _CARD.fullmatch(str(embed.get("footer", {}).get("text", ""))):
                cards[match[1]] = message
    if not cards:
        raise ReaderMistake(f"There is no card to {verb}: /suggestions review first.")
    if not typed and len(cards) == 1:
        typed = next(iter(cards))
    if typed not in cards:
        numbers = _either([f"{verb} {number}" for number in cards])
        raise ReaderMistake(f"{verb} which suggestion? The last review's cards: type {numbers}")
    label = verb.capitalize()  # "Accept" (or "Accepted", when it is), "Reject"
    button = next(
        (
            component
            for row in cards[typed].components
            for component in row.get("components", [])
            if str(component.get("label", "")).startswith(label)
        ),
        None,
    )
    if button is None:
        raise ReaderMistake(f"The card of Suggestion {typed} has no {label} button.")
    await editor.press(cards[typed], str(button["custom_id"]), f"“{label}” on Suggestion {typed}")


def mistake_shown(mistake: Exception) -> RenderableType:
    """A reader's mistake as the demo prints it: indented under the reader's line, and so when
    it wraps, in a terminal of 80 columns too."""
    return Padding(Text(str(mistake), style="red"), (0, 0, 0, 2), expand=False)


def _fits_a_message(text: str) -> None:
    """Refuse a message longer than Discord's 2000 characters, as its client does before
    sending: Discord would answer 400 (Message resource › Create Message, `content`)."""
    if len(text) > CONTENT_MAX:
        raise ReaderMistake(
            f"a message takes at most {CONTENT_MAX} characters, not {len(text)} "
            f"({_shown(text)}): Discord's client does not send a longer one"
        )


def _page_hint(stage: Stage, paged: Paged | None) -> None:
    if paged is None:
        return
    ways = [w for w in ("next", "previous") if can_press(paged.message, f"{paged.command}:{w}")]
    if ways:
        shown = " or ".join(f"`{way}`" for way in ways)
        stage.console.print(Text(f"  (type {shown} to turn the page)", style="dim"))


async def _turn(stage: Stage, reader: Reader, way: str) -> None:
    paged = reader.last_paged
    refused = no_page(paged, way)
    if refused is not None or paged is None:
        stage.console.print(refused, markup=False)
        return
    await reader.press(paged.message, f"{paged.command}:{way}", way.capitalize())
    _page_hint(stage, paged)


def no_page(paged: Paged | None, way: str) -> str | None:
    """Why `next` or `previous` turns no page of the last paged answer (`/search`, `/latest`,
    `/issue`), or None when it does: no such answer yet, or the results end here (or begin
    here)."""
    if paged is None:
        return f"There is no {way} page: /search <words> (or /latest, /issue) first."
    custom_id = f"{paged.command}:{way}"
    if can_press(paged.message, custom_id):
        return None
    if not has_button(paged.message.components, custom_id):
        return f"There is no {way} page: all the results are on this one."
    if way == "next":
        return "There is no next page: the results end here."
    return "There is no previous page: this is the first."
