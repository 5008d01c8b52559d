"""How many examples a property tries, in each of the profiles `tests/conftest.py` registers."""

from __future__ import annotations

from typing import Any

from hypothesis import settings

NORMAL_RUN = "ci"
"""The profile of the README's test command."""


def examples(count: int, **others: Any) -> settings:
    """Settings for a property tried `count` times in the normal run, where it is slower than
    most: in another profile, as many times more or fewer as that profile tries. (A number
    written in `@settings` alone holds in every profile: `explore` would try such a property
    no further than the normal run.)"""
    scale = settings().max_examples / settings.get_profile(NORMAL_RUN).max_examples
    return settings(max_examples=max(1, round(count * scale)), **others)
