import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, asdict
from functools import lru_cache
from math import floor
from typing import Callable, List, Dict, Optional, Tuple

from .config import config
from .extract_emojis import extract_emojis_with_indices
from .extract_urls import extract_urls_with_indices
from .get_character_weight import get_character_weight
from .has_invalid_characters import has_invalid_characters
from .regexp.invalid_chars import invalid_chars


@dataclass(frozen=True)
class ParsedResult:
    valid: bool
    weightedLength: int
    permillage: int
    validRangeStart: int
    validRangeEnd: int
    displayRangeStart: int
    displayRangeEnd: int

    def asdict(self) -> dict:
        return asdict(self)


def convert_line_ending(string, to="\n"):
    return re.sub(r'\r\n|\r|\n', to, string)


def parse_tweet(text: str, options: dict = config['defaults']) -> ParsedResult:
    """
    Parse a Twitter text according to https://developer.twitter.com/en/docs/developer-utilities/twitter-text

    :param str text: A text to parse.
    :param dict options: Parameters for counting the weighted tweet length. This must have the following properties:

        max_weighted_tweet_length (int)
            Valid tweet messages must not exceed this weighted length.

        default_weight (int)
            Default weight to cover code points not defined in the ``ranges``.

        ranges (list of dict)
            A list of Unicode code point ranges, with a weight associated with each of these ranges.
            Each element of ``ranges`` must have the following attributes:

                - start (int)
                - end (int)
                - weight (int)

        scale (int)
            The weights are divided by ``scale``.

        emoji_parsing_enabled (bool)
            When set to ``True``, it counts an emoji consisting of multiple Unicode code points as a single character,
            resulting in a visually intuitive weighted length.

        transformed_url_length (int)
            The default length assigned to all URLs.

    :return ParsedResult: An object having the following properties:

        weightedLength (int)
            The weighted length of the twitter text.

            Each Unicode character (or URL, emoji) in ``text`` is assigned an integer weight,
            which is summed over to calculate `weightedLength`.

        valid (bool)
            True if the ``text`` is valid, i.e.,

            - ``weightedLength <= max_weighted_tweet_length``
            - ``text`` does not contain invalid characters.

        permillage (int)
            Equals to ``weightedLength // max_weighted_tweet_length * 1000``.

        displayRangeStart (int)
            Always 0.

        displayRangeEnd (int)
            Number of UTF-16 code units in ``text``, subtracted by one.

        validRangeStart (int)
            Always 0.

        validRangeEnd (int)
            Number of UTF-16 code units in the valid part of ``text``, subtracted by one.

            The "valid part" here means the longest valid Unicode substring starting from the leftmost of ``text``.


    Example:

    >>> parse_tweet('english text 日本語 😷 https://example.com')
    ParsedResult(
        weightedLength=46,
        valid=True,
        permillage=164,
        validRangeStart=0,
        validRangeEnd=38,
        displayRangeStart=0,
        displayRangeEnd=38
    )
    """
    scale = options['scale']
    max_weighted_tweet_length = options['max_weighted_tweet_length']

    normalized_text = convert_line_ending(unicodedata.normalize('NFC', text))

    weighted_length, valid, valid_display_index = _weigh(normalized_text, options)

    weighted_length = int(weighted_length / scale)
    valid_display_offset = count_utf16_bytes(normalized_text[:valid_display_index + 1]) - 1
    normalization_offset = count_utf16_bytes(text) - count_utf16_bytes(normalized_text)

    return ParsedResult(
        weightedLength=weighted_length,
        valid=valid and 0 < weighted_length <= max_weighted_tweet_length,
        permillage=floor((weighted_length / max_weighted_tweet_length) * 1000),
        validRangeStart=0,
        validRangeEnd=valid_display_offset + normalization_offset,
        displayRangeStart=0,
        displayRangeEnd=count_utf16_bytes(text) - 1 if count_utf16_bytes(text) > 0 else 0
    )


def transform_entities_to_hash(entities: List[dict]) -> Dict[int, dict]:
    return {entity['indices'][0]: entity for entity in entities}


def count_utf16_bytes(text: str) -> int:
    return len(text.encode('utf-16')) // 2 - 1


_Weighed = Tuple[int, bool, int]
"""The weighted length (scaled), whether no invalid character was met, and the index of the
last character up to which the text was valid and within the limit."""


def _weigh_by_character(normalized_text: str, options: dict) -> _Weighed:
    """The release's loop, a character at a time: the reference `_weigh` is tested against."""
    scale = options['scale']
    transformed_url_length = options['transformed_url_length']
    default_weight = options['default_weight']
    emoji_parsing_enabled = options['emoji_parsing_enabled']
    max_weighted_tweet_length = options['max_weighted_tweet_length']

    url_entities_map = transform_entities_to_hash(extract_urls_with_indices(normalized_text))
    emoji_entities_map = transform_entities_to_hash(extract_emojis_with_indices(normalized_text))

    weighted_length = 0
    valid_display_index = 0
    valid = True
    char_index = 0

    while char_index < len(normalized_text):
        if char_index in url_entities_map:
            url = url_entities_map[char_index]['url']
            weighted_length += transformed_url_length * scale
            char_index += len(url) - 1
        elif emoji_parsing_enabled and char_index in emoji_entities_map:
            emoji = emoji_entities_map[char_index]['emoji']
            weighted_length += default_weight
            char_index += len(emoji) - 1
        else:
            weighted_length += get_character_weight(normalized_text[char_index], options)

        if valid:
            valid = not has_invalid_characters(normalized_text[char_index:char_index + 1])

        if valid and weighted_length <= max_weighted_tweet_length * scale:
            valid_display_index = char_index

        char_index += 1

    return weighted_length, valid, valid_display_index


def _weigh(normalized_text: str, options: dict) -> _Weighed:
    """`_weigh_by_character`'s figures, with each run of characters between URLs and emoji
    weighed at once by patterns: Python's loop over every character was most of the time of
    parsing a post.

    It walks the same places: a URL or emoji where the loop would meet one, the characters
    between one by one. Validity and the length only ever fall and grow, so the last valid
    place within the limit is the end of a run while both still hold after it, and is looked
    for a character at a time only in the run where one stops holding.
    """
    weigh_run = _run_weigher(
        options['default_weight'],
        tuple((r['start'], r['end'], r['weight']) for r in options['ranges']),
    )
    if weigh_run is None:
        return _weigh_by_character(normalized_text, options)
    limit = options['max_weighted_tweet_length'] * options['scale']
    entities: Dict[int, Tuple[int, int]] = {}  # start: (last index, weight)
    if options['emoji_parsing_enabled']:
        for found in extract_emojis_with_indices(normalized_text):
            start = found['indices'][0]
            entities[start] = (start + len(found['emoji']) - 1, options['default_weight'])
    url_weight = options['transformed_url_length'] * options['scale']
    for found in extract_urls_with_indices(normalized_text):  # a URL before an emoji
        start = found['indices'][0]
        entities[start] = (start + len(found['url']) - 1, url_weight)
    invalid = [m.start() for m in invalid_chars.finditer(normalized_text)]

    length, valid, shown, index = 0, True, 0, 0

    def run(start: int, end: int) -> None:
        nonlocal length, valid, shown
        weight = weigh_run(normalized_text[start:end])
        first_invalid = bisect_left(invalid, start)
        bad = first_invalid < len(invalid) and invalid[first_invalid] < end
        if not bad and valid and length + weight <= limit:
            shown = end - 1
        elif valid and length <= limit:  # it stops holding within this run
            so_far = length
            for at in range(start, end):
                so_far += get_character_weight(normalized_text[at], options)
                if (bad and at in invalid) or so_far > limit:
                    break
                shown = at
        length += weight
        valid = valid and not bad

    for start in sorted(entities):
        if start < index:
            continue  # within a URL or emoji already counted
        if start > index:
            run(index, start)
        last, weight = entities[start]
        length += weight
        valid = valid and not (invalid and last in invalid)
        if valid and length <= limit:
            shown = last
        index = last + 1
    if index < len(normalized_text):
        run(index, len(normalized_text))
    return length, valid, shown


@lru_cache(maxsize=8)
def _run_weigher(
    default_weight: int, ranges: Tuple[Tuple[int, int, int], ...]
) -> Optional[Callable[[str], int]]:
    """A function of a run of text to its summed weight, or None where ranges overlap (the
    first range a character falls in gives its weight: left to the loop)."""
    spans = sorted((start, end) for start, end, _ in ranges)
    if any(later[0] <= earlier[1] for earlier, later in zip(spans, spans[1:])):
        return None
    by_weight: Dict[int, List[Tuple[int, int]]] = {}
    for start, end, weight in ranges:
        if weight != default_weight:
            by_weight.setdefault(weight, []).append((start, end))
    patterns = [
        (
            weight - default_weight,
            re.compile(
                '[' + ''.join(rf'\U{start:08x}-\U{end:08x}' for start, end in spans) + ']+'
            ),
        )
        for weight, spans in by_weight.items()
    ]

    def weigh_run(text: str) -> int:
        weight = len(text) * default_weight
        for extra, pattern in patterns:
            weight += extra * sum(map(len, pattern.findall(text)))
        return weight

    return weigh_run
