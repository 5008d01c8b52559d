"""Claims in the ledger: one holder at a time publishes an issue to a target, until its lease
runs out or it is known to be gone; on every backend."""

from __future__ import annotations

import datetime as dt

from bot.store import Archive

LEASE = dt.timedelta(seconds=60)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def test_one_holder_at_a_time(archive: Archive) -> None:
    ledger = archive.ledger
    assert await ledger.claim(202, "discord", "1", "a", now() + LEASE)
    assert not await ledger.claim(202, "discord", "1", "b", now() + LEASE)
    # Other targets and issues are claimed apart.
    assert await ledger.claim(202, "discord", "2", "b", now() + LEASE)
    assert await ledger.claim(203, "discord", "1", "b", now() + LEASE)
    # The holder renews its own claim.
    assert await ledger.claim(202, "discord", "1", "a", now() + LEASE)
    assert (202, "discord", "1", "a") in await ledger.claims(now())
    await ledger.release(202, "discord", "1", "b")  # not b's: nothing happens
    assert not await ledger.claim(202, "discord", "1", "b", now() + LEASE)
    await ledger.release(202, "discord", "1", "a")
    assert await ledger.claim(202, "discord", "1", "b", now() + LEASE)


async def test_a_claim_that_ran_out_is_taken_over(archive: Archive) -> None:
    ledger = archive.ledger
    assert await ledger.claim(202, "x", "account", "crashed", now() - dt.timedelta(seconds=1))
    assert await ledger.claims(now()) == []
    assert await ledger.claim(202, "x", "account", "next", now() + LEASE)
    assert not await ledger.claim(202, "x", "account", "crashed", now() + LEASE)


async def test_a_holder_known_to_be_gone_is_replaced_at_once(archive: Archive) -> None:
    ledger = archive.ledger
    assert await ledger.claim(202, "discord", "1", "gone", now() + LEASE)
    assert not await ledger.claim(202, "discord", "1", "next", now() + LEASE, replacing="other")
    assert await ledger.claim(202, "discord", "1", "next", now() + LEASE, replacing="gone")
    assert await ledger.claims(now()) == [(202, "discord", "1", "next")]
