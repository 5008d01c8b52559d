"""A link as people read it: an internationalised host in its own letters, and the letters of
its path written as themselves, where that is safe.

Links are stored and compared in their normal form (`normalise`), the host in punycode
(`xn--bcher-kva.example`), any other letter than ASCII percent-encoded (`stra%C3%9Fe`); shown
to editors and readers, a host label reads in Unicode (`bücher.example`) only when it is not
made to pass for another site's, and the path's letters in Unicode (`straße`) only when they
cannot change how the address reads (`shown_path`, after the host's rule below).

The rule is Chromium's IDN display policy,
https://chromium.googlesource.com/chromium/src/+/main/docs/idn.md (its checks and lists are in
components/url_formatter/spoof_checks/idn_spoof_checker.cc), after UTS #39's "Highly
Restrictive" level, https://www.unicode.org/reports/tr39/#Restriction_Level_Detection.
A label stays in punycode when:

- it is not valid IDNA 2008, or has a letter of a script not recommended for identifiers;
- it mixes scripts, unless as Chinese, Japanese or Korean is written (Han with Bopomofo, with
  Hiragana and Katakana, or with Hangul), with at most ASCII Latin letters beside
  (`hello中国` is shown; a Cyrillic `а` in `аpple`, or `café日本`, is not);
- a character stands where it reads as something else: `ー` as a dash anywhere but after a
  kana (`googleー`), an accent on a letter not Latin, Greek or Cyrillic, a dot above on an `i`
  (`pi̇xel`), and, in a label that mixes scripts, `〇` as an `o` beside a character that is
  not CJK (`g〇〇gle`) or `ノ` as a slash beside a letter that is not Japanese (`exampleノン`).
  Chromium's full list is `_OUT_OF_PLACE` and `_OUT_OF_PLACE_IN_A_MIX`; for the slash-like
  ones this is stricter than Chromium, which needs a non-Japanese character on both sides (so
  `ビタミンb6` stays in punycode here);
- its letters are of one script and all look Latin (`аррӏе` in Cyrillic, `οο` in Greek,
  `ագօ` in Armenian), unless the top-level domain is a country's that writes the script, or
  is written in it with a letter that does not look Latin (`οο.gr`, `кеу.рф`);
- it reads right to left: in a line of text, the Unicode bidirectional algorithm would move it
  around the rest of the address, and the host could read as part of the path.

Chromium's other checks are not made here: a name that is a top site's once accents are dropped
(`googlé`), a label of digits and digit look-alikes, digits of two numbering systems, letters
taken only under one country's domain (Icelandic `þ`, Catalan `l·l`), and the rarely used
extended Latin, Greek and Cyrillic blocks.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import NamedTuple
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
    "Han",
    "Hiragana",
    "Katakana",
    "Bopomofo",
    "Hangul",
)
"""The scripts a label may be shown in, UTS #31's Recommended ones written left to right
(https://www.unicode.org/reports/tr31/#Table_Recommended_Scripts); a letter of any other, such as
Cherokee, whose letters look Latin, keeps its label in punycode."""
_SCRIPT_PATTERN = {name: regex.compile(rf"\p{{Script={name}}}") for name in _SCRIPTS}
_SCRIPT_OF = list(_SCRIPT_PATTERN.items())
_ANY_SCRIPT = regex.compile(r"[\p{Script=Common}\p{Script=Inherited}]")
"""Digits, the hyphen, combining marks: they go with any script."""
_MIXES_ALLOWED = (
    frozenset({"Latin", "Han", "Hiragana", "Katakana"}),
    frozenset({"Latin", "Han", "Bopomofo"}),
    frozenset({"Latin", "Han", "Hangul"}),
)
"""UTS #39's Highly Restrictive mixes: Japanese, Chinese and Korean as written."""
_NON_ASCII_LATIN = regex.compile(r"[\p{Script=Latin}--[a-z]]", regex.V1)
"""Latin letters beyond ASCII: with one of them, a label's Latin may mix with no other script."""

_JAPANESE = r"\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Han}"
_SLASH_LIKE = "\u30ce\u30f3\u30bd\u30be\u4e36\u4e40\u4e41\u4e3f"
"""ノ ン ソ ゾ 丶 乀 乁 丿, which read as a slash or a backslash out of Japanese."""
_LATIN_LIKE_CJK = (
    "\u4e00\u3127\u4e28\u4e5b\u4e03\u4e05\u5341\u3007\u3112\u311a"
    "\u311f\u3128\u3129\u3108\u31ba\u31b3\u5de5\u31b2\u8ba0\u4e01"
)
"""一 ㄧ 丨 乛 七 丅 十 〇 ㄒ ㄚ ㄟ ㄨ ㄩ ㄈ ㆺ ㆳ 工 ㆲ 讠 丁, which read as Latin letters or
punctuation out of Chinese and Japanese."""
_CJK = _JAPANESE + r"\p{scx=Bopomofo}"

# Chromium's "dangerous patterns" (idn_spoof_checker.cc): characters where they read as
# something else. Like Chromium, some are looked for in any label, the rest only in a label
# that mixes scripts, where a Latin letter or another script's can stand beside them.
_OUT_OF_PLACE = regex.compile(
    "|".join(
        (
            # the prolonged sound mark ー anywhere but after a kana (a dash), and the middle
            # dot ・ beside a Latin letter (a dot);
            r"(?:^|[^\p{scx=Katakana}\p{scx=Hiragana}])\u30fc",
            r"[a-z]\u30fb|\u30fb[a-z]",
            # the Katakana iteration marks ヽ ヾ after anything but a Katakana;
            r"(?:^|[^\p{scx=Katakana}])[\u30fd\u30fe]",
            # Hiragana へ べ ぺ among Katakana only, or Katakana ヘ ベ ペ among Hiragana only,
            # each the double of the other;
            r"^\p{scx=Katakana}+[\u3078-\u307a]\p{scx=Katakana}+$",
            r"^\p{scx=Hiragana}+[\u30d8-\u30da]\p{scx=Hiragana}+$",
            # an accent on a letter that is not Latin, Greek or Cyrillic, a dot above on i, j
            # or l, and any accent on a dotless ı (`pi̇xel`);
            r"[^\p{scx=Latin}\p{scx=Greek}\p{scx=Cyrillic}][\u0300-\u0339]",
            r"\u0131[\u0300-\u0339]|[ijl]\u0307",
            # the combining kana voiced sound marks on anything but a kana;
            r"[^\p{scx=Hiragana}\p{scx=Katakana}][\u3099\u309a]",
            # and, as UTS #39's invisible check, one combining mark twice, the second unseen.
            r"(\p{Mn})\1",
        )
    )
)
"""Where found in a label, the label stays in punycode."""
_OUT_OF_PLACE_IN_A_MIX = regex.compile(
    "|".join(
        (
            # the slash-like ones between two characters that are not Japanese, and, stricter
            # than Chromium, beside any letter that is not Japanese (`exampleノン`);
            rf"[^{_JAPANESE}][{_SLASH_LIKE}][^{_JAPANESE}]",
            rf"[^\P{{L}}{_JAPANESE}][{_SLASH_LIKE}]|[{_SLASH_LIKE}][^\P{{L}}{_JAPANESE}]",
            # the Latin-like ideographs beside anything that is not CJK (`g〇〇gle`);
            rf"[^{_CJK}][{_LATIN_LIKE_CJK}]|[{_LATIN_LIKE_CJK}][^{_CJK}]",
            # and the combining kana voiced sound marks, even on a kana.
            r"[\u3099\u309a]",
        )
    )
)
"""Where found in a label that mixes scripts, the label stays in punycode: in one script (with
digits and hyphens), none of these could read as another site's name (`一123`, `ト゚`)."""


class _LookAlikes(NamedTuple):
    """The letters of a script that look Latin, and the top-level domains of the countries that
    write the script: a label made only of those letters, outside those domains and the script's
    own, could pass for a Latin one."""

    letters: frozenset[str]
    tlds: frozenset[str] = frozenset()


_WHOLE_SCRIPT_LOOK_ALIKES = {
    "Armenian": _LookAlikes(frozenset("ագզէլհյոսւօՙ"), frozenset({"am"})),
    "Cyrillic": _LookAlikes(
        frozenset("аысԁеԍһіюкјӏорԗԛѕԝхуъьҽпгѵѡ"),
        frozenset({"bg", "by", "kz", "pyc", "ru", "su", "ua", "uz"}),
    ),
    "Ethiopic": _LookAlikes(frozenset("ሀሠሰስበነተከዐዕዘጠፐꬅ"), frozenset({"er", "et"})),
    "Georgian": _LookAlikes(frozenset("იოყძხჽჿ"), frozenset({"ge"})),
    "Greek": _LookAlikes(frozenset("αικνρυωηοτ"), frozenset({"gr"})),
    "Bengali": _LookAlikes(frozenset("০৭")),
    "Devanagari": _LookAlikes(frozenset("ऽ०ॱ")),
    "Gujarati": _LookAlikes(frozenset("ડટ૦૧")),
    "Gurmukhi": _LookAlikes(frozenset("੦੧")),
    "Kannada": _LookAlikes(frozenset("ಽ೦೧")),
    "Malayalam": _LookAlikes(frozenset("ടഠധനറ൦")),
    "Oriya": _LookAlikes(frozenset("ଠ୦୮")),
    "Tamil": _LookAlikes(frozenset("டப௦")),
    "Telugu": _LookAlikes(frozenset("౦౧")),
    "Myanmar": _LookAlikes(
        frozenset("ခဂငထပဝ၀၂ၔၜ\u1090\u1091\u1095\u1096\u1097"), frozenset({"mm"})
    ),
    # Chromium's longer list, for Linux fonts: a reader's fonts are not known here.
    "Thai": _LookAlikes(frozenset("ทนบพรหเแ๐ดลปฟม"), frozenset({"th"})),
}
"""Chromium's whole-script confusables (`kWholeScriptConfusables`, idn_spoof_checker.cc)."""


def shown_url(url: str) -> str:
    """A normalised URL as people read it: its host's labels in Unicode where safe (see the
    module), and what follows the host (path, query, fragment) as `shown_path` shows it. Only
    for showing: the stored form is what is linked and compared."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if not parts.netloc or not url.startswith(origin):
        return url  # not a normalised web address: shown as it is
    host = parts.hostname or ""
    if "xn--" in host:
        netloc = parts.netloc.replace(host, shown_host(host), 1)
        return f"{parts.scheme}://{netloc}{shown_path(url[len(origin) :])}"
    return origin + shown_path(url[len(origin) :])


@lru_cache(maxsize=1024)  # hosts readers send: bounded, as there is no end to them
def shown_host(host: str) -> str:
    """A punycode host as people read it: each label in Unicode where safe (see the module)."""
    *names, tld = host.rstrip(".").split(".")
    tld = (_unicode(tld) or tld) if names else ""  # a host of one label has no domain above
    return ".".join(_shown_label(label, tld) for label in host.split("."))


def _unicode(label: str) -> str | None:
    """A punycode label in Unicode; None when it is not valid IDNA 2008, as what it would read
    as cannot be trusted."""
    try:
        return idna.decode(label)
    except (idna.IDNAError, UnicodeError):
        return None


def _shown_label(label: str, tld: str) -> str:
    if not label.lower().startswith("xn--"):
        return label
    text = _unicode(label)
    return text if text is not None and _safe_to_show(text, tld) else label


def _safe_to_show(text: str, tld: str) -> bool:
    """Whether a label, `text` in Unicode under the top-level domain `tld` (in Unicode too),
    cannot pass for another site's (see the module)."""
    letters = {char for char in text if not _ANY_SCRIPT.match(char)}
    scripts = set()
    for char in letters:
        script = next((name for name, pattern in _SCRIPT_OF if pattern.match(char)), None)
        if script is None:  # right to left, or a script no rule here is written for
            return False
        scripts.add(script)
    if len(scripts) > 1 and not any(scripts <= mix for mix in _MIXES_ALLOWED):
        return False
    if len(scripts) > 1 and _NON_ASCII_LATIN.search(text):
        return False
    if _OUT_OF_PLACE.search(text):
        return False
    if len(scripts) > 1 and _OUT_OF_PLACE_IN_A_MIX.search(text):
        return False
    if len(scripts) == 1:
        (script,) = scripts
        look_alikes = _WHOLE_SCRIPT_LOOK_ALIKES.get(script)
        if look_alikes is not None and letters <= look_alikes.letters:
            return tld in look_alikes.tlds or _written_in(tld, script, look_alikes)
    return True


def _written_in(tld: str, script: str, look_alikes: _LookAlikes) -> bool:
    """Whether the top-level domain is written in the script, with a letter that does not look
    Latin: then no label under it passes for a Latin one. A TLD of look-alike letters only could
    pass for a Latin one itself (`аррӏе.сосо`)."""
    pattern = _SCRIPT_PATTERN[script]
    own = {char for char in tld if pattern.match(char)}
    return bool(own - look_alikes.letters)


# --- the path ---------------------------------------------------------------------------------
#
# Browsers show the path, query and fragment of the address they are at with its letters
# decoded from their UTF-8 percent-encoding, except those that would change how the address
# reads (Chromium: `url_formatter::FormatUrl` with `base::UnescapeRule::NORMAL`, whose list of
# code points left encoded is `ShouldUnescapeCodePoint` in base/strings/escape.cc; Firefox:
# `losslessDecodeURI` in its address bar's code). What stays encoded here:
#
# - every ASCII character: a stored link's letters, digits and `-._~` are written as they are
#   already (`normalise`), so what is left encoded is a space, a control, or `/ ? # % & = +`
#   and the like, each of which would read as the address's own syntax;
# - bytes that are not UTF-8;
# - a character that shows as nothing or as a space, or moves the text around it: controls
#   and format characters (bidi controls among them, RFC 3987 section 4.1), spaces and line
#   breaks, default-ignorable code points (a Hangul filler, a variation selector), and the
#   blank Braille pattern;
# - a character laid out right to left (Hebrew, Arabic, their digits): in a line of text the
#   bidirectional algorithm would move it, and the neutral `/` beside it, around the rest of
#   the address, as it would a host's (see the module), and reverse the text around it;
# - a character that reads as the address's syntax: one whose compatibility form holds ASCII
#   punctuation (`／`, `？`, `＃`, `℀`), a slash, dot, colon or question mark look-alike from
#   Unicode's confusables (`∕`, `⁄`, `꞉`, `ʔ`), a full stop IDNA reads as a host's dot (`。`,
#   `｡`), a padlock (Chromium: it imitates its own "secure" icon), and Japanese's slash-like
#   `ノ` and the like beside anything but Japanese (as in a host, `_OUT_OF_PLACE_IN_A_MIX`);
# - a combining mark on anything but a letter: on `/` or `.` it would disguise them.
#
# What is shown therefore adds no character that could reorder, hide or fake a part of the
# address: `normalise` of it gives the stored link back.

_SYNTAX_LOOK_ALIKES = frozenset(
    "\u1735\u2041\u2044\u2215\u2571\u27cb\u29f8\u31d3\u3033\u2f03"  # slashes
    "\u2216\u27cd\u29f5\u29f9\u2572"  # backslashes
    "\u2024\ua4f8\ua60e\u0702\u06d4"  # dots
    "\u3002\uff61\uff0e"  # full stops IDNA takes for a host's dot (RFC 3490, section 3.1)
    "\u02d0\u02f8\u0589\u05c3\u0703\u0704\u16ec\u2236\ua789\ufe30"  # colons
    "\u0241\u0294\u097d\u13ae\ua6eb"  # question marks
    "\u2052\u066a\u2030\u2031"  # percent signs
    "\U0001f50f\U0001f510\U0001f512\U0001f513"  # padlocks
)
"""Characters that read as a part of an address's syntax and decompose to none (UTS #39's
confusables for `/ \\ . : ? %`), the ideographic full stops `。` and `｡` (and the full-width `．`,
which NFKC makes a dot anyway), which IDNA maps to a dot between a host's labels (UTS #46's
mapping, RFC 3490 section 3.1), and Chromium's padlocks."""
_HIDDEN = regex.compile(r"[\p{C}\p{Z}\p{Default_Ignorable_Code_Point}\u2800]")
"""What shows as nothing or as a space, or sets a direction: see above."""
_RIGHT_TO_LEFT = frozenset(("R", "AL", "AN"))
"""Unicode's bidirectional classes laid out right to left: Hebrew, Arabic, their digits."""
_JAPANESE_CHAR = regex.compile(rf"[{_JAPANESE}\u30fc]")
_OTHER_LETTER = regex.compile(rf"[^\P{{L}}{_JAPANESE}]")
"""A letter that is not Japanese."""
_ENCODED = regex.compile(r"%[0-9A-Fa-f]{2}")
_CONTINUED = r"%[89ABab][0-9A-Fa-f]"
_ENCODED_CHARACTER = regex.compile(
    rf"%[Cc][2-9A-Fa-f]{_CONTINUED}|%[Dd][0-9A-Fa-f]{_CONTINUED}"
    rf"|%[Ee][0-9A-Fa-f](?:{_CONTINUED}){{2}}|%[Ff][0-4](?:{_CONTINUED}){{3}}"
)
"""One character outside ASCII as percent-encoded UTF-8: a lead byte, then its continuation
bytes (`_utf8` refuses the overlong and surrogate forms this lets through)."""


@lru_cache(maxsize=1024)  # paths readers send: bounded, as there is no end to them
def shown_path(text: str) -> str:
    """What follows a normalised URL's host (its path, query and fragment) as people read it:
    each percent-encoded UTF-8 letter decoded where safe (see above), everything else as it
    is."""
    if "%" not in text:
        return text
    pieces = _pieces(text)
    shown: list[str] = []
    before = ""  # the character shown last, as it reads ("%" for one left encoded)
    for at, (written, char) in enumerate(pieces):
        following = pieces[at + 1][1] if at + 1 < len(pieces) else ""
        if char is not None and (written == char or _safe_in_path(char, before, following or "%")):
            shown.append(char)
            before = char
        else:
            shown.append(written)
            before = "%"
    return "".join(shown)


def _pieces(text: str) -> list[tuple[str, str | None]]:
    """`text` in pieces as written, each with the character it stands for: a character written
    as itself, or one outside ASCII written as its percent-encoded UTF-8; None for the rest (an
    encoded ASCII character, a byte that begins no UTF-8 character)."""
    pieces: list[tuple[str, str | None]] = []
    at = 0
    while at < len(text):
        if text[at] != "%" or not _ENCODED.match(text, at):
            pieces.append((text[at], text[at]))
            at += 1
            continue
        written = _ENCODED_CHARACTER.match(text, at)
        char = _utf8(written[0]) if written else None
        if written is None or char is None:
            pieces.append((text[at : at + 3], None))
            at += 3
        else:
            pieces.append((written[0], char))
            at = written.end()
    return pieces


def _utf8(written: str) -> str | None:
    """The character a percent-encoded UTF-8 sequence stands for; None if it is not UTF-8 (an
    overlong form, a surrogate)."""
    try:
        return bytes.fromhex(written.replace("%", "")).decode()
    except UnicodeDecodeError:
        return None


def _safe_in_path(char: str, before: str, after: str) -> bool:
    """Whether a character decoded in a path, between the characters shown `before` and
    `after` it, reads as itself and changes nothing around it (see above)."""
    if char.isascii() or _HIDDEN.match(char) or char in _SYNTAX_LOOK_ALIKES:
        return False
    # The bidirectional class is `unicodedata`'s: a character its Unicode does not know yet
    # (unassigned there, though `regex` may know it) is of no known direction.
    if unicodedata.category(char)[0] in "CZ":
        return False
    if unicodedata.bidirectional(char) in _RIGHT_TO_LEFT:
        return False
    if any(c.isascii() and not c.isalnum() for c in unicodedata.normalize("NFKC", char)):
        return False
    if unicodedata.category(char).startswith("M"):
        return before.isalpha()
    if char in _SLASH_LIKE:  # as in a host: among Japanese, beside no other letter
        beside = (before or "/", after or "/")
        if any(_OTHER_LETTER.match(other) for other in beside):
            return False
        return any(_JAPANESE_CHAR.match(other) for other in beside)
    return True
