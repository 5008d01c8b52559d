"""Claims in the ledger: one holder at a time publishes an issue to a target, until its lease
runs out or it is known to be gone; on every backend."""

from __future__ import annotations

import datetime as dt

from bot.store import Archive

NOW = dt.datetime.now(dt.UTC)
LATER = NOW + dt.timedelta(seconds=60)
PAST = NOW - dt.timedelta(seconds=1)


async def test_one_holder_at_a_time(archive: Archive) -> None:
    ledger = archive.ledger
    assert await ledger.claim(202, "discord", "1", "a", LATER)
    assert not await ledger.claim(202, "discord", "1", "b", LATER)
    # Other targets and issues are claimed apart.
    assert await ledger.claim(202, "discord", "2", "b", LATER)
    assert await ledger.claim(203, "discord", "1", "b", LATER)
    # The holder renews its own claim.
    assert await ledger.claim(202, "discord", "1", "a", LATER)
    assert (202, "discord", "1", "a") in await ledger.claims(NOW)
    await ledger.release(202, "discord", "1", "b")  # not b's: nothing happens
    assert not await ledger.claim(202, "discord", "1", "b", LATER)
    await ledger.release(202, "discord", "1", "a")
    assert await ledger.claim(202, "discord", "1", "b", LATER)


async def test_a_claim_that_ran_out_is_taken_over(archive: Archive) -> None:
    ledger = archive.ledger
    assert await ledger.claim(202, "x", "account", "crashed", PAST)
    assert await ledger.claims(NOW) == []
    assert await ledger.claim(202, "x", "account", "next", LATER)
    assert not await ledger.claim(202, "x", "account", "crashed", LATER)


async def test_a_holder_known_to_be_gone_is_replaced_at_once(archive: Archive) -> None:
    ledger = archive.ledger
    assert await ledger.claim(202, "discord", "1", "gone", LATER)
    assert not await ledger.claim(202, "discord", "1", "next", LATER, replacing="other")
    assert await ledger.claim(202, "discord", "1", "next", LATER, replacing="gone")
    assert await ledger.claims(NOW) == [(202, "discord", "1", "next")]
