"""Exactly once on Bluesky: `newsbot publish --outlet bluesky` SIGKILLed right after the PDS made
each post, then run again; and a storm of rate limits and 5xx answers after the write.

Bluesky has no idempotency key, so the only thing between a killed run and a post made twice
is the ledger's `sending` row and the look-up of the account's recent records before posting
again. One emulator; run k is killed from its `on_post` hook just after it made post k (before
the answer, so before the ledger could record it), the next run starts fresh, and a last run
finishes. A 429 (waited out from its reset header), a 5xx on the look-up after the PDS answered
it and a 5xx on a post come on the way.
"""

from __future__ import annotations

import signal
from pathlib import Path

from bot.models import Issue
from bot.publishing.engine import Engine
from bot.publishing.outlets._threads import LEAST_WAIT
from bot.publishing.outlets.bluesky import BlueskyOutlet
from bot.publishing.plans.bluesky import OUTLET, TARGET, RecordRef
from bot.publishing.plans.bluesky import plan as bluesky_plan
from bot.sandbox.bluesky import BlueskyEmulator
from bot.settings import BlueskySettings
from bot.store import Archive
from tests.bluesky.conftest import assert_one_thread, thread_texts
from tests.bluesky.test_commands import env_for
from tests.conftest import unmeasured
from tests.threads import Killer
from tests.x.conftest import archive_file, run_newsbot

CREATE = "com.atproto.repo.createRecord"
LIST = "com.atproto.repo.listRecords"
FAULTS = {
    2: (CREATE, 429, False),
    3: (LIST, 503, True),
    4: (CREATE, 500, False),
}
"""Run k meets this failure first: (method, status, after the emulator handled it)."""


async def test_killed_after_each_post_then_run_again(
    tmp_path: Path, bluesky: BlueskyEmulator, issue_202: Issue
) -> None:
    _, steps = bluesky_plan(issue_202, BlueskySettings())
    texts = thread_texts(issue_202)
    db = await archive_file(tmp_path / "a.db", issue_202)
    args = ("--db", str(db), "publish", "--outlet", "bluesky")
    env = env_for(bluesky)
    killer = Killer(bluesky, lambda: len(bluesky.posts()))
    for k in range(1, len(steps) + 1):
        faults = []
        if k in FAULTS:
            nsid, status, after = FAULTS[k]
            faults.append(bluesky.inject(nsid, status, after_handler=after, reset_in=0.5))
        killer.arm(k)
        run = await run_newsbot(*args, env=unmeasured(env), started=killer.started)
        assert killer.killed, f"run {k} never made post {k}: {run.stderr[-2000:]}"
        assert run.returncode == -signal.SIGKILL
        assert [p.text for p in bluesky.posts()] == texts[:k], f"run {k}"
        assert all(f.hits == 1 for f in faults), f"run {k} did not meet its failure"
    last = await run_newsbot(*args, env=env)
    assert last.returncode == 0, last.stderr
    assert f"0 posted, 1 recovered, {len(steps) - 1} unchanged" in last.stdout
    posts = bluesky.posts()
    assert_one_thread(posts, texts)
    # Each run logged in once; none logged in per post.
    assert len(bluesky.logins) == len(steps) + 1
    async with await Archive.open(db, create=False) as archive:
        ledger = await archive.ledger.entries(issue_202.number, OUTLET, TARGET)
    assert [(e.state, RecordRef.from_id(int(e.remote_id or 0))) for e in ledger.values()] == [
        ("sent", RecordRef(p.rkey, p.cid)) for p in posts
    ]


async def test_a_storm_of_429s_and_500s_after_the_write_makes_no_duplicate(
    archive_202: Archive, outlet: BlueskyOutlet, bluesky: BlueskyEmulator, issue_202: Issue
) -> None:
    bluesky.inject(CREATE, 429, times=3, reset_in=0.2)
    bluesky.inject(CREATE, 500, times=4, after_handler=True)
    bluesky.inject(LIST, 429, times=2, reset_in=0.2)
    bluesky.inject(CREATE, 503, times=3, after_handler=True)
    # Each 429 is waited out from its reset header, a second at least: the waits are noted, not
    # slept, as the emulator's faults end after so many requests, not after so long.
    waits: list[float] = []

    async def wait_out(seconds: float) -> None:
        waits.append(seconds)

    outlet.sleep = wait_out
    engine = Engine(archive_202, retry_delay=0.01)
    for _ in range(6):
        report = await engine.publish(issue_202, outlet)
        if report.ok:
            break
    assert report.ok
    assert all(f.hits == f.times for f in bluesky.faults)
    assert len(waits) == 3 + 2, waits
    assert all(LEAST_WAIT <= wait <= 0.2 + 2 for wait in waits), waits
    assert_one_thread(bluesky.posts(), thread_texts(issue_202))
