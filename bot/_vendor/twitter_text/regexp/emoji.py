import re
from collections import namedtuple
from importlib import resources
from typing import List, Tuple

Emoji = namedtuple('Emoji', ('group', 'sub_group', 'name', 'status', 'codepoint', 'emoji'))


def parse_emoji_list(text: str) -> List[Emoji]:
    emoji_entries = []

    for line in text.splitlines()[32:]:  # skip the explanation lines
        if line == '# Status Counts':  # the last line in the document
            break
        if 'subtotal:' in line:  # these are lines showing statistics about each group, not needed
            continue
        if not line:  # if it's a blank line
            continue
        if line.startswith('#'):  # these lines contain group and/or sub-group names
            if '# group:' in line:
                group = line.split(':')[-1].strip()
            if '# subgroup:' in line:
                subgroup = line.split(':')[-1].strip()
        if group == 'Component':  # skin tones, and hair types, skip, as mentioned above
            continue
        if re.search('^[0-9A-F]{3,}', line):  # if the line starts with a hexadecimal number (an emoji code point)
            # here we define all the elements that will go into emoji entries
            codepoint = line.split(';')[0].strip()  # in some cases it is one and in others multiple code points
            status = line.split(';')[-1].split()[0].strip()  # status: fully-qualified, minimally-qualified, unqualified
            if line[-1] == '#':
                # The special case where the emoji is actually the hash sign "#". In this case manually assign the emoji
                if 'fully-qualified' in line:
                    emoji = '#️⃣'
                else:
                    emoji = '#⃣'  # they look the same, but are actually different
            else:  # the default case
                emoji = line.split('#')[-1].split()[0].strip()  # the emoji character itself
            if line[-1] == '#':  # (the special case)
                name = '#'
            else:  # extract the emoji name
                name = '_'.join(line.split('#')[-1][1:].split()[1:]).replace('_', ' ')
            templine = Emoji(
                codepoint=codepoint,
                status=status,
                emoji=emoji,
                name=name,
                group=group,
                sub_group=subgroup)
            emoji_entries.append(templine)

    return emoji_entries


def regex_for_multi_codepoint_emojis(emoji_list: List[Emoji]) -> str:
    multi_codepoint_emoji = []

    for code in [c.codepoint.split() for c in emoji_list]:
        if len(code) > 1:
            # turn to a hexadecimal number zfilled to 8 zeros e.g: '\U0001F44D'
            hexified_codes = [r'\U' + x.zfill(8) for x in code]
            hexified_codes = ''.join(hexified_codes)  # join all hexadecimal components
            multi_codepoint_emoji.append(hexified_codes)

    # sorting by length in decreasing order is extremely important
    multi_codepoint_emoji_sorted = sorted(multi_codepoint_emoji, key=len, reverse=True)

    # join with a "|" to function as an "or" in the regex
    multi_codepoint_emoji_joined = '|'.join(multi_codepoint_emoji_sorted)

    return multi_codepoint_emoji_joined


def regex_for_single_codepoint_emojis(emoji_list: List[Emoji]) -> str:
    single_codepoint_emoji_raw = r''  # start with an empty raw string
    for code in single_codepoint_emoji_ranges:
        if code[0] == code[1]:  # in this case make it a single hexadecimal character
            temp_regex = r'\U' + hex(code[0])[2:].zfill(8)
            single_codepoint_emoji_raw += temp_regex
        else:
            # otherwise create a character range, joined by '-'
            temp_regex = '-'.join([r'\U' + hex(code[0])[2:].zfill(8), r'\U' + hex(code[1])[2:].zfill(8)])
            single_codepoint_emoji_raw += temp_regex


def get_ranges(nums: List[int]) -> List[Tuple[int, int]]:
    """Reduce a list of integers to tuples of local maximums and minimums.

    :param nums: List of integers.
    :return ranges: List of tuples showing local minimums and maximums
    """
    nums = sorted(nums)
    lows = [nums[0]]
    highs = []
    if nums[1] - nums[0] > 1:
        highs.append(nums[0])
    for i in range(1, len(nums) - 1):
        if (nums[i] - nums[i - 1]) > 1:
            lows.append(nums[i])
        if (nums[i + 1] - nums[i]) > 1:
            highs.append(nums[i])
    highs.append(nums[-1])
    if len(highs) > len(lows):
        lows.append(highs[-1])
    return [(l, h) for l, h in zip(lows, highs)]


emoji_raw = resources.files(__package__).joinpath('emoji-test.txt').read_text(encoding='utf-8')
emoji_list = parse_emoji_list(emoji_raw)
emoji_dict = {x.emoji: x for x in emoji_list}

multi_codepoint_emoji_joined = regex_for_multi_codepoint_emojis(emoji_list)

single_codepoint_emoji = []

for code in [c.codepoint.split() for c in emoji_list]:
    if len(code) == 1:
        single_codepoint_emoji.append(code[0])

single_codepoint_emoji_int = [int(x, base=16) for x in single_codepoint_emoji]
single_codepoint_emoji_ranges = get_ranges(single_codepoint_emoji_int)

single_codepoint_emoji_raw = r''  # start with an empty raw string
for code in single_codepoint_emoji_ranges:
    if code[0] == code[1]:  # in this case make it a single hexadecimal character
        temp_regex = r'\U' + hex(code[0])[2:].zfill(8)
        single_codepoint_emoji_raw += temp_regex
    else:
        # otherwise create a character range, joined by '-'
        temp_regex = '-'.join([r'\U' + hex(code[0])[2:].zfill(8), r'\U' + hex(code[1])[2:].zfill(8)])
        single_codepoint_emoji_raw += temp_regex

# The lookahead lets a place no emoji starts at fail at once, instead of after trying each of
# the alternatives in turn; what matches is unchanged.
emoji_starts = ''.join(
    sorted({re.escape(chr(int(entry.codepoint.split()[0], 16))) for entry in emoji_list})
)
emoji = re.compile(
    '(?=[' + emoji_starts + single_codepoint_emoji_raw + '])(?:'
    + multi_codepoint_emoji_joined + '|' + r'[' + single_codepoint_emoji_raw + r'])'
)

# Every emoji holds a character outside ASCII (a keycap ends in U+20E3): text with none of
# these holds no emoji, and looking for them is far cheaper than trying `emoji` at each place.
emoji_chars = frozenset(
    char
    for char in {chr(int(point, 16)) for entry in emoji_list for point in entry.codepoint.split()}
    | {chr(point) for low, high in single_codepoint_emoji_ranges for point in range(low, high + 1)}
    if not char.isascii()
)
