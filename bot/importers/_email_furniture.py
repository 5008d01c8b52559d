"""The email around a newsletter's issue, which a feed's copy keeps: a footer after the last
item (`You are receiving this email because…`, `Unsubscribe | Update preferences`, `Copyright
© 2025 …, All rights reserved.`, `Our mailing address is: …`) and a `View this email in your
browser` line before the first. Mailchimp's and other senders' feeds carry it as in the email.

Published, it would hand every reader the sender's unsubscribe and preference links, and tell
them they get an email they may not get. It is left out, reported, so the editor sees it. A
paragraph is such furniture only when its words say so, and every link in it is labelled as
such links are (`Unsubscribe`, `Update your preferences`, `View in browser`): an item titled
"Why readers unsubscribe" is an item, and a blurb on unsubscribing that links `here` is the
item's. Nor is a header or footer left out unless it gives such a link: the email's furniture
always does, and words alone are what an item about email says too.
"""

from __future__ import annotations

import re

from bot.importers._html import Block, links, plain_text
from bot.importers._markdown import collapse_spaces
from bot.importers._report import Notice
from bot.text import shorten

MAX_CHARS = 600
"""A paragraph longer than this is the issue's, whatever it says."""

_BOILERPLATE = re.compile(
    r"\b(?:you(?:['’]re| are| were)? (?:receiving|getting) this"
    r"|you received this (?:email|e-mail|newsletter|message)"
    r"|(?:to|you (?:can|may)) unsubscribe|unsubscribe (?:from|at any time|anytime)"
    r"|update (?:your )?(?:subscription |email )?preferences"
    r"|(?:manage|change) (?:your )?(?:subscription|email preferences|preferences)"
    r"|view (?:this|it|the) (?:email |e-mail |newsletter |issue )?(?:in|on) (?:your|a|the) "
    r"(?:web )?browser|forward this (?:email|e-mail|newsletter)|all rights reserved"
    r"|no longer (?:wish|want) to receive|our mailing address is|how you receive these)\b",
    re.IGNORECASE,
)
_LABEL = re.compile(
    r"(?:unsubscribe(?: here| now| from (?:this|our) (?:list|newsletter|emails?))?"
    r"|(?:update|manage|change) (?:your )?(?:subscription|email preferences|preferences)"
    r"|update (?:your )?preferences|preferences|view (?:this (?:email|issue|newsletter) )?"
    r"(?:in (?:your|a) (?:web )?browser|online)|forward(?: this email)?(?: to a friend)?"
    r"|why did i get this\??)\W*",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"[\W_]*")


def _labels(block: Block) -> list[str]:
    return [collapse_spaces(plain_text(link.children)) for link in links(block.inlines)]


def _is_furniture(block: Block) -> bool:
    text = collapse_spaces(plain_text(block.inlines))
    if block.level or not text or len(text) > MAX_CHARS:
        return False
    labels = _labels(block)
    if not all(_LABEL.fullmatch(label) for label in labels):
        return False
    return bool(labels) or bool(_BOILERPLATE.search(text))


def _gives_furniture_link(blocks: list[Block]) -> bool:
    """Whether the blocks hold an unsubscribe, preferences or browser link: the email's."""
    return any(_labels(block) and _is_furniture(block) for block in blocks)


def _is_separator(block: Block) -> bool:
    return not block.level and bool(_SEPARATOR.fullmatch(plain_text(block.inlines)))


def without_email_furniture(blocks: list[Block], where: str, notices: list[Notice]) -> list[Block]:
    """The blocks without the email's header before the issue and footer after it, each
    left out reported."""
    start = 0
    while start < len(blocks) and (_is_furniture(blocks[start]) or _is_separator(blocks[start])):
        start += 1
    while start > 0 and not _is_furniture(blocks[start - 1]):
        start -= 1  # separators alone are the issue's
    end = cut = len(blocks)
    while end > start and (_is_furniture(blocks[end - 1]) or _is_separator(blocks[end - 1])):
        end -= 1
        if _is_furniture(blocks[end]):
            cut = end
    while start < cut < len(blocks) and _is_separator(blocks[cut - 1]):
        cut -= 1  # a rule drawn above the footer goes with it
    if not _gives_furniture_link(blocks[:start]):
        start = 0
    if not _gives_furniture_link(blocks[cut:]):
        cut = len(blocks)
    for part, left_out in (("header", blocks[:start]), ("footer", blocks[cut:])):
        if left_out:
            said = shorten(collapse_spaces(" ".join(plain_text(b.inlines) for b in left_out)), 80)
            notices.append(
                Notice(where, f"the email's {part} ({said!r}) is not part of the issue: left out")
            )
    return blocks[start:cut]
