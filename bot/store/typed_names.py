"""Which section names what a reader is typing finds: matched against the name as it reads
(the text an autocomplete choice shows), not its Markdown.

A section is named in Markdown (`*Mobile* \\& Edge &amp; AI`) and a choice shows the text it
reads as (`*Mobile* & Edge & AI`). A reader types what they see, in any case, and may start at
any word: "mob", "Mobile & E" and "edge" all find it. Its slug, and the name as written, still
find it too, as they always did.

The matching runs in Python over the archive's distinct sections, not in SQL: SQL sees the
Markdown, not the text it reads as. Sections are few (one per heading an editor ever wrote,
tens to a few hundred), and the database's query reads each slug's newest name either way (it
groups every section row by slug). Each name's text and words are read once and kept, so a
keystroke costs about 2 ms more for a thousand sections (measured; 4 ms parsing each name
every time), small next to a round trip to Discord.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

_WORD = re.compile(r"\w+")


def typed_matches(typed: str, slug: str, name: str) -> bool:
    """Whether a reader who typed `typed` is looking for the section `slug` named `name`
    (Markdown): its name as it reads starts with it, or any word of it does (the words
    typed then follow in order, the last one maybe unfinished), ignoring case and
    punctuation; or its slug or its name as written starts with it."""
    wanted = " ".join(typed.split()).casefold()
    if not wanted:
        return True
    shown, names = _shown(name)
    if shown.startswith(wanted) or name.casefold().startswith(wanted) or slug.startswith(wanted):
        return True
    words = _WORD.findall(wanted)
    if not words:
        return False
    whole, last = tuple(words[:-1]), words[-1]
    return any(
        names[at : at + len(whole)] == whole and names[at + len(whole)].startswith(last)
        for at in range(len(names) - len(whole))
    )


def matching_names(
    typed: str, names: Iterable[tuple[str, str]], limit: int
) -> list[tuple[str, str]]:
    """Of `names` ((slug, name) pairs), the first `limit` that `typed` finds (see
    `typed_matches`): those whose name as it reads starts with it first, each group in the
    order given."""
    wanted = " ".join(typed.split()).casefold()
    found = [(slug, name) for slug, name in names if typed_matches(typed, slug, name)]
    found.sort(key=lambda pair: not _shown(pair[1])[0].startswith(wanted))
    return found[: max(0, limit)]


@functools.lru_cache(maxsize=4096)
def _shown(name: str) -> tuple[str, tuple[str, ...]]:
    """A section's name as a choice shows it (as `bot.render.discord.plain_name` reads it),
    case-folded, and its words; kept, as the same names come back at every keystroke."""
    from bot.render.commonmark import plain_line

    shown = (plain_line(name, keep_links=False) or name).casefold()
    return shown, tuple(_WORD.findall(shown))
