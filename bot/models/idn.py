"""A link as people read it: an internationalised host in its own letters where that is safe.

Links are stored and compared in their normal form (`normalise`), the host in punycode
(`xn--bcher-kva.example`); shown to editors and readers, a host label reads in Unicode
(`bücher.example`) only when it is not made to pass for another site's.

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
