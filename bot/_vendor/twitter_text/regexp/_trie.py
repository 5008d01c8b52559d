"""A list of top-level domains as one pattern factored into a tree of shared prefixes (newsbot's
addition, not twitter-text's).

The lists are alternations of some 1,500 words, tried one after the other: as written, trying a
place costs every word's first letter, and a domain pattern tries one place per label of a
dotted run (`a.b.c.…`). Factored, it costs a few letters. The words it matches, and which word
is taken when several could be (the longer first, as the lists order them), are the same.
"""

import re

_ALTERNATION = re.compile(r"\A(\(\?:\(\?:)(?P<words>[^()]*)(\).*)\Z", re.DOTALL)


def factored(pattern: str) -> str:
    """`pattern`, a list's `(?:(?:word|word|…)(?=…))`, with its words as a tree of prefixes."""
    found = _ALTERNATION.match(pattern)
    if found is None:
        raise ValueError("not a list of words: " + pattern[:40])
    tree: dict = {}
    for word in found["words"].split("|"):
        node = tree
        for at, char in enumerate(word):
            if "" in node:
                # Tried first, the shorter word would be taken where the list takes this one.
                raise ValueError(f"{word[:at]!r} is tried before {word!r}, which it begins")
            node = node.setdefault(char, {})
        node[""] = {}
    return found[1] + _branches(tree) + found[3]


def _branches(node: dict) -> str:
    """The pattern of a tree's words: the longer first, the word ending here last."""
    branches = [re.escape(char) + _branches(child) for char, child in node.items() if char]
    if not branches:
        return ""
    either = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{either})?" if "" in node else either
