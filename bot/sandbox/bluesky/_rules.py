"""What the app would show broken in a post the PDS accepts: each rule names its source.

The PDS validates a post against its lexicon only (packages/pds, `repo/prepare.ts`); these are
the rules the app and the AppView apply when they show it. A post breaking one is created, as on
Bluesky, and the emulator records it as a violation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import regex

_GRAPHEME = regex.compile(r"\X")

FACET_BYTES = (
    "a facet's byteStart < byteEnd ≤ the UTF-8 length of the text (app.bsky.richtext.facet "
    "#byteSlice: zero-indexed bytes of the UTF-8 text, end exclusive)"
)
FACET_GRAPHEMES = (
    "a facet starts and ends between grapheme clusters (the app slices the text at them, "
    "packages/api rich-text.ts `segments`: a cut cluster shows half a character linked)"
)
FACET_ORDER = (
    "facets are in order and do not overlap (packages/api rich-text.ts sorts them and drops "
    "one that overlaps the one before)"
)
REPLY_EXISTS = (
    "reply.root and reply.parent name posts that exist, by their current CID "
    "(com.atproto.repo.strongRef: a URI with a content-hash fingerprint; the AppView marks a "
    "reply to a missing parent invalidReplyRoot)"
)
REPLY_AGREES = (
    "reply.root is the parent's root, or the parent itself when the parent is no reply "
    "(the AppView's invalidReplyRoot, packages/bsky data-plane/server/util.ts)"
)


def _boundaries(text: str) -> set[int]:
    offsets, at = {0}, 0
    for cluster in _GRAPHEME.findall(text):
        at += len(cluster.encode())
        offsets.add(at)
    return offsets


def post_problems(value: dict[str, Any], find: Callable[[str], Any]) -> list[str]:
    """The rules a (lexicon-valid) post record breaks. `find(uri)` is the live record at
    `uri` or None; a record has `.cid` and `.reply`."""
    problems: list[str] = []
    text = str(value.get("text", ""))
    size = len(text.encode())
    boundaries = _boundaries(text)
    end = 0
    for number, facet in enumerate(value.get("facets") or []):
        start, stop = facet["index"]["byteStart"], facet["index"]["byteEnd"]
        if not start < stop <= size:
            problems.append(f"facet {number} covers bytes {start}–{stop} of {size}: {FACET_BYTES}")
        elif not {start, stop} <= boundaries:
            problems.append(f"facet {number} cuts a character at {start}–{stop}: {FACET_GRAPHEMES}")
        if start < end:
            problems.append(f"facet {number} starts at {start}, before {end}: {FACET_ORDER}")
        end = max(end, stop)
    reply = value.get("reply")
    if reply is None:
        return problems
    root, parent = find(reply["root"]["uri"]), find(reply["parent"]["uri"])
    for name, ref, found in (("root", reply["root"], root), ("parent", reply["parent"], parent)):
        if found is None or found.cid != ref["cid"]:
            problems.append(f"reply.{name} {ref['uri']} ({ref['cid']}): {REPLY_EXISTS}")
    if parent is not None:
        parent_root = parent.reply["root"]["uri"] if parent.reply else parent_uri(reply)
        if parent_root != reply["root"]["uri"]:
            problems.append(f"reply.root {reply['root']['uri']}: {REPLY_AGREES}")
    return problems


def parent_uri(reply: dict[str, Any]) -> str:
    """The parent's URI: a parent that is no reply is its own thread's root."""
    return str(reply["parent"]["uri"])
