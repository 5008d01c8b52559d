"""A property's own number of examples follows the profile chosen for the run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.properties import NORMAL_RUN, examples


@contextmanager
def profile(name: str) -> Iterator[None]:
    was = settings.get_current_profile_name()
    settings.load_profile(name)
    try:
        yield
    finally:
        settings.load_profile(was)


def test_a_count_of_its_own_holds_in_the_normal_run_and_scales_in_the_others() -> None:
    with profile(NORMAL_RUN):
        assert examples(15).max_examples == 15
    with profile("explore"):  # bug hunting tries a slow property further too
        assert examples(15).max_examples == 100
    with profile("dev"):
        assert examples(15).max_examples == 6
        assert examples(1).max_examples == 1


def test_what_else_the_settings_say_is_kept() -> None:
    assert examples(10, deadline=None).deadline is None


def test_a_property_tries_as_many_examples_as_its_count_says() -> None:
    with profile("explore"):
        tried = []

        @examples(3, database=None)
        @given(st.integers())
        def property_of(number: int) -> None:
            tried.append(number)

        property_of()
    assert len(tried) == 20
