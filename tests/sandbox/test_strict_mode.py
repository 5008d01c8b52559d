"""Strictness: a test whose emulators recorded a refused request fails unless it takes or
expects it, and a refusal no test looked at fails the whole run."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT

CONFTEST = "from tests.conftest import *  # noqa: F403\n"
INI = """[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
markers =
    violations_expected(reason): the test makes an emulator refuse requests on purpose
"""
BAD_REQUEST = """
import aiohttp
import pytest

from bot.sandbox.discord import Emulator


async def ask_for_a_route_discord_lacks(emulator: Emulator) -> None:
    async with aiohttp.ClientSession() as session, session.get(
        emulator.api_base + "/nowhere", headers={"Authorization": f"Bot {emulator.token}"}
    ) as response:
        assert response.status == 404
"""


@pytest.fixture
def strict(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A scratch test folder with the project's conftest, run in a subprocess."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest(CONFTEST)
    pytester.makefile(".ini", pytest=INI)
    return pytester


def test_refusals_fail_the_test_or_the_run_unless_taken_or_expected(
    strict: pytest.Pytester,
) -> None:
    strict.makepyfile(
        BAD_REQUEST
        + """
KEPT: list[Emulator] = []


async def test_not_taken(emulator: Emulator) -> None:
    await ask_for_a_route_discord_lacks(emulator)


async def test_taken(emulator: Emulator) -> None:
    await ask_for_a_route_discord_lacks(emulator)
    assert [v.kind for v in emulator.violations.take()] == ["spec"]


@pytest.mark.violations_expected("asks for a route Discord lacks")
async def test_expected(emulator: Emulator) -> None:
    await ask_for_a_route_discord_lacks(emulator)


@pytest.mark.violations_expected("but asks for nothing wrong")
async def test_expected_but_none(emulator: Emulator) -> None:
    pass


async def test_an_emulator_of_its_own() -> None:
    async with Emulator() as mine:
        await ask_for_a_route_discord_lacks(mine)


async def test_an_emulator_that_outlives_its_test() -> None:
    async with Emulator() as kept:
        KEPT.append(kept)


def test_it_refuses_after() -> None:
    KEPT[0].violations.record("spec", "GET", "/api/v10/late", "after its test")
"""
    )
    result = strict.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=7, errors=3)
    result.stdout.fnmatch_lines(
        ["*emulators refused requests that no test took:*", "*spec: GET /api/v10/late: after*"]
    )
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_not_taken*",
            "*spec: GET /api/v10/nowhere: no such route in the published API*",
            "*ERROR at teardown of test_expected_but_none*",
            "*marked violations_expected, but no emulator refused a request*",
            "*ERROR at teardown of test_an_emulator_of_its_own*",
        ]
    )
