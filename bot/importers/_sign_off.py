"""Greetings and sign-offs: the lines around a newsletter's items that are not items.

A *sign-off* is a line of at most 80 characters that closes a letter: it starts with a closing
phrase (`Until next week!`, `See you next Tuesday!`, `Happy reading!`, `Thanks for reading`)
or is a closing word alone or before punctuation and a signature (`Cheers`, `Best,`,
`Cheers, Jane`).
A *signature* is a name or a team under a sign-off: at most 6 words and 60 characters, without
final punctuation. The sign-off at the end of an issue is one or more sign-off lines and at most
two signature lines, with nothing after them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

SIGN_OFF_CHARS = 80
SIGNATURE_CHARS = 60
SIGNATURE_WORDS = 6
SIGNATURE_LINES = 2

GREETING = re.compile(
    r"^(?:hey|hi|hello|dear|greetings|welcome|good (?:morning|afternoon|evening))\b", re.IGNORECASE
)
_CLOSING_PHRASE = re.compile(
    r"^(?:until (?:next|then|soon)\b|see you\b|catch you\b|bye for now\b|talk (?:soon|to you)\b"
    r"|happy (?:reading|hacking|coding|learning|weekend|friday|holidays)\b"
    r"|(?:thanks|thank you) (?:again )?for reading\b|stay (?:safe|tuned|curious)\b"
    r"|have a (?:great|good|nice|lovely) (?:week|weekend|day|one)\b|that['’]s (?:all|it) for\b"
    r"|enjoy (?:the|this|your) (?:issue|read|reading|week|weekend)\b)",
    re.IGNORECASE,
)
# A closing word opens titles too ("Best practices for …"): alone or before punctuation only.
_CLOSING_WORD = re.compile(
    r"^(?:cheers|best|best wishes|best regards|kind regards|warm regards|regards|warmly|thanks"
    r"|thank you|yours|yours truly|sincerely|love|bye|peace|take care|talk soon|enjoy|onwards)"
    r"(?:\s*[!,.…]+(?:\s+(?P<signature>.+))?)?$",
    re.IGNORECASE,
)
_FINAL_PUNCTUATION = ".!?…:;,"
_CLOSERS = "\"'”’)]»"


def is_greeting(text: str) -> bool:
    """Whether a line opens a letter: `Hey folks,`, `Hi all`, `Good morning!`."""
    return bool(GREETING.match(text))


def is_sign_off(text: str) -> bool:
    """Whether a line closes a letter, as the module describes."""
    text = text.strip()
    if len(text) > SIGN_OFF_CHARS:
        return False
    if _CLOSING_PHRASE.match(text):
        return True
    word = _CLOSING_WORD.match(text)
    # "Cheers, Jane" signs off; "Thanks, everyone, for the feedback!" is a sentence.
    return word is not None and (word["signature"] is None or is_signature(word["signature"]))


def expects_signature(text: str) -> bool:
    """Whether a sign-off leaves its signature to the next line: it ends in a comma."""
    return text.rstrip().endswith(",")


def is_signature(text: str) -> bool:
    """Whether a line can sign a letter: short, a few words, no final punctuation."""
    text = text.strip()
    return (
        0 < len(text) <= SIGNATURE_CHARS
        and len(text.split()) <= SIGNATURE_WORDS
        and text.rstrip(_CLOSERS)[-1:] not in _FINAL_PUNCTUATION
    )


def sign_off_start(texts: Sequence[str]) -> int:
    """Where the sign-off at the end of `texts` starts; `len(texts)` if they end without one."""
    start = len(texts)
    signature = 0
    while start > 0 and signature < SIGNATURE_LINES:
        if is_sign_off(texts[start - 1]) or not is_signature(texts[start - 1]):
            break
        start -= 1
        signature += 1
    if start == 0 or not is_sign_off(texts[start - 1]):
        return len(texts)
    while start > 0 and is_sign_off(texts[start - 1]):
        start -= 1
    return start
