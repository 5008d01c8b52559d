"""An issue part way out on Mastodon, finished after a newer one went out, is finished late
as everywhere else, but nothing of its statuses changes: nothing pings on Mastodon, and each
status keeps its idempotency key, so that Mastodon still answers a repeat of a status it
took with that status (the real Mastodon.py against the emulator, a real SQLite archive)."""

from __future__ import annotations

from bot.publishing.engine import Engine
from bot.publishing.outlet import Outcome
from bot.publishing.outlets.mastodon import MastodonOutlet
from bot.publishing.plans.mastodon import idempotency_key
from bot.sandbox.mastodon import MastodonEmulator
from bot.store import Archive
from tests.factories import issue


async def test_a_status_finished_late_keeps_its_idempotency_key(
    archive: Archive, outlet: MastodonOutlet, mastodon_emulator: MastodonEmulator
) -> None:
    engine = Engine(archive, retries=0)
    first, second = issue(1), issue(2)
    for each in (first, second):
        await archive.issues.ingest(each)
    # #1's lead is taken by Mastodon, whose answer is lost (a 500 after the write): #1 is part
    # way out, and the status it made is there under its key.
    mastodon_emulator.inject("POST", "/api/v1/statuses", 500, after_handler=True)
    assert not (await engine.publish(first, outlet)).ok
    assert (await engine.publish(second, outlet)).ok

    late = await engine.publish(first, outlet)

    assert late.ok and late.count(Outcome.RECOVERED) == 1, "the lead is found, not posted"
    made = [
        r.headers.get("Idempotency-Key")
        for r in mastodon_emulator.requests
        if r.method == "POST" and r.path == "/api/v1/statuses" and r.status == 200
    ]
    posted = late.count(Outcome.POSTED)
    assert posted >= 1
    assert made[-posted:] == [
        idempotency_key(f"1/mastodon/post/{n}") for n in range(2, posted + 2)
    ], "each status of #1 sent under its own key, as it would have been in time"
