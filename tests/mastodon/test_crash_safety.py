"""Crash safety on Mastodon: `newsbot publish --outlet mastodon` SIGKILLed right after the
instance made each status, then run again: one unbroken thread, no status twice.

Run k is killed from the emulator's `on_post` hook just after it made status k (before the
answer, so before the ledger could record it). In the first scenario the idempotency keys are
forgotten at once (as if the hour had passed), so only the ledger and the look-up of the
account's recent statuses keep each status single; in the second they are remembered, as within
Mastodon's hour. A 429 (waited out), a 5xx on the look-up after the instance answered it and a
5xx after a status was made come on the way. A last storm of 429s and 500s-after-the-write
makes no duplicate either.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from bot.models import Issue
from bot.publishing.plans.mastodon import OUTLET, TARGET
from bot.sandbox.mastodon import MastodonEmulator, MastodonEmulatorConfig
from bot.store import Archive
from tests.conftest import unmeasured
from tests.mastodon.conftest import assert_one_thread, mastodon_env, thread_texts
from tests.threads import Killer
from tests.x.conftest import archive_file, run_newsbot

FAULTS = {
    2: ("POST", "/api/v1/statuses", 429, False),
    3: ("GET", "/api/v1/accounts/*/statuses", 503, True),
    4: ("POST", "/api/v1/statuses", 500, True),
}
"""Run k meets this failure first: (method, path, status, after the emulator handled it)."""


async def killed_at_every_status(tmp_path: Path, issue: Issue, *, keys_kept: bool) -> None:
    config = MastodonEmulatorConfig(idempotency_window=3600.0 if keys_kept else 0.0)
    texts = thread_texts(issue)
    db = await archive_file(tmp_path / f"keys-{keys_kept}.db", issue)
    args = ("--db", str(db), "publish", "--outlet", "mastodon")
    async with MastodonEmulator(config) as mastodon:
        env = mastodon_env(mastodon)
        killer = Killer(mastodon, lambda: len(mastodon.statuses))
        for k in range(1, len(texts) + 1):
            faults = []
            if k in FAULTS:
                method, path, status, after = FAULTS[k]
                faults.append(
                    mastodon.inject(method, path, status, after_handler=after, reset_in=0.5)
                )
            killer.arm(k)
            run = await run_newsbot(*args, env=unmeasured(env), started=killer.started)
            assert killer.killed, f"run {k} never made status {k}: {run.stderr[-2000:]}"
            assert run.returncode == -signal.SIGKILL
            assert [s.text for s in mastodon.statuses] == texts[:k], f"run {k}"
            assert all(f.hits == 1 for f in faults), f"run {k} did not meet its failure"
        last = await run_newsbot(*args, env=env)
        assert last.returncode == 0, last.stderr
        assert f"0 posted, 1 recovered, {len(texts) - 1} unchanged" in last.stdout
        assert_one_thread(mastodon.live_statuses(), texts)
        assert len(mastodon.statuses) == len(texts)
    async with await Archive.open(db, create=False) as archive:
        ledger = await archive.ledger.entries(issue.number, OUTLET, TARGET)
    assert [(e.state, e.remote_id) for e in ledger.values()] == [
        ("sent", str(s.id)) for s in mastodon.live_statuses()
    ]


async def test_killed_after_each_status_then_run_again(tmp_path: Path, issue_202: Issue) -> None:
    await asyncio.gather(
        killed_at_every_status(tmp_path, issue_202, keys_kept=False),
        killed_at_every_status(tmp_path, issue_202, keys_kept=True),
    )


async def test_a_storm_of_429s_and_500s_after_the_write_makes_no_duplicate(
    tmp_path: Path, issue_202: Issue
) -> None:
    texts = thread_texts(issue_202)
    db = await archive_file(tmp_path / "storm.db", issue_202)
    args = ("--db", str(db), "publish", "--outlet", "mastodon")
    # Keys forgotten at once: the look-ups alone must keep each status single.
    async with MastodonEmulator(MastodonEmulatorConfig(idempotency_window=0.0)) as mastodon:
        mastodon.inject("POST", "/api/v1/statuses", 429, times=3, reset_in=0.2)
        mastodon.inject("POST", "/api/v1/statuses", 500, times=6, after_handler=True)
        mastodon.inject("GET", "/api/v1/accounts/*/statuses", 429, times=2, reset_in=0.2)
        runs = 0
        while runs < 6:
            runs += 1
            run = await run_newsbot(*args, env=mastodon_env(mastodon))
            assert "Traceback" not in run.stderr
            if run.returncode == 0:
                break
        assert run.returncode == 0, run.stderr
        assert all(f.hits == f.times for f in mastodon.faults)
        assert_one_thread(mastodon.live_statuses(), texts)
        assert len(mastodon.statuses) == len(texts)
