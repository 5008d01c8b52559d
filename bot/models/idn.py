"""A link as people read it: an internationalised host in its own letters where that is safe.

Links are stored and compared in their normal form (`normalise`), the host in punycode
(`xn--bcher-kva.example`); shown to editors and readers, a host label reads in Unicode
(`bücher.example`) only when it is not made to pass for another site's.

The rule is the browsers', both after UTS #39's "Highly Restrictive" level:
Mozilla's https://wiki.mozilla.org/IDNA_and_Unicode_Display_Algorithm, Chromium's
https://chromium.googlesource.com/chromium/src/+/main/docs/idn.md, and
https://www.unicode.org/reports/tr39/#Restriction_Level_Detection:
a label is shown in Unicode when its letters are of one script, digits, hyphens and combining
marks aside, or of Latin with Han and the scripts written beside it (Japanese, Chinese,
Korean). A label mixing others (a Cyrillic `а` in `аpple`) stays in punycode, and so does one
that is not valid IDNA 2008, one in a script not listed here, and, as Chromium does, one made
only of Cyrillic letters that look Latin (`аррӏе`). A label read right to left stays in
punycode too: in a line of text, the Unicode bidirectional algorithm would move it around the
rest of the address, and the host could read as part of the path.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

import idna
import regex

_SCRIPTS = (
    "Latin",
    "Greek",
    "Cyrillic",
    "Armenian",
    "Georgian",
    "Devanagari",
    "Bengali",
    "Gurmukhi",
    "Gujarati",
    "Oriya",
    "Tamil",
    "Telugu",
    "Kannada",
    "Malayalam",
    "Sinhala",
    "Thai",
    "Lao",
    "Tibetan",
    "Myanmar",
    "Khmer",
    "Ethiopic",
    "Cherokee",
    "Mongolian",
    "Han",
    "Hiragana",
    "Katakana",
    "Bopomofo",
    "Hangul",
)
"""The scripts a label may be shown in; a letter of any other keeps its label in punycode."""
_SCRIPT_OF = [(name, regex.compile(rf"\p{{Script={name}}}")) for name in _SCRIPTS]
_ANY_SCRIPT = regex.compile(r"[\p{Script=Common}\p{Script=Inherited}]")
"""Digits, the hyphen, combining marks: they go with any script."""
_MIXES_ALLOWED = (
    frozenset({"Latin", "Han", "Hiragana", "Katakana"}),
    frozenset({"Latin", "Han", "Bopomofo"}),
    frozenset({"Latin", "Han", "Hangul"}),
)
"""UTS #39's Highly Restrictive mixes: Japanese, Chinese and Korean as written."""
_CYRILLIC_LOOKING_LATIN = frozenset("асԁеһіјӏорԛѕԝхуъЬҽпгѵѡ")
"""Cyrillic letters that look like Latin ones: Chromium's list (idn_spoof_checker.cc)."""


def shown_url(url: str) -> str:
    """A normalised URL as people read it: its host's labels in Unicode where safe (see the
    module), the rest as it is. Only for showing: the stored form is what is linked and
    compared."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if "xn--" not in host:
        return url
    shown = shown_host(host)
    netloc = parts.netloc
    return url.replace(f"//{netloc}", f"//{netloc.replace(host, shown, 1)}", 1)


@lru_cache(maxsize=1024)  # hosts readers send: bounded, as there is no end to them
def shown_host(host: str) -> str:
    """A punycode host as people read it: each label in Unicode where safe (see the module)."""
    return ".".join(_shown_label(label) for label in host.split("."))


def _shown_label(label: str) -> str:
    if not label.lower().startswith("xn--"):
        return label
    try:
        text = idna.decode(label)
    except (idna.IDNAError, UnicodeError):
        return label  # not valid IDNA 2008: what it would read as cannot be trusted
    scripts = set()
    for char in text:
        if _ANY_SCRIPT.match(char):
            continue
        script = next((name for name, pattern in _SCRIPT_OF if pattern.match(char)), None)
        if script is None:  # right to left, or a script no rule here is written for
            return label
        scripts.add(script)
    if len(scripts) > 1 and not any(scripts <= mix for mix in _MIXES_ALLOWED):
        return label
    if scripts == {"Cyrillic"} and all(
        char in _CYRILLIC_LOOKING_LATIN for char in text if not _ANY_SCRIPT.match(char)
    ):
        return label
    return text
