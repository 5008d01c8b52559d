"""Crash safety on X: `newsbot publish --outlet x` SIGKILLed right after X accepted each post.

X has no idempotency key, so the only thing between a killed run and a post made twice is the
ledger's `sending` row and the look-up of the account's recent posts before posting again. One
emulator per scenario; run k is killed from the emulator's `on_post` hook just after it made
post k (before the answer, so before the ledger could record it), the next run starts fresh,
and a last run finishes. A 429 (waited out from its reset header), a 5xx on the look-up after
X handled it and a 5xx on a post come on the way. X's own duplicate check is off: the ledger
alone must keep each post single.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from bot.models import Issue
from bot.publishing.plans.x import OUTLET, TARGET
from bot.publishing.plans.x import plan as x_plan
from bot.render.x_text import clean
from bot.sandbox.x import XEmulator, XEmulatorConfig
from bot.settings import XSettings
from bot.store import Archive
from tests.conftest import unmeasured
from tests.threads import Killer
from tests.x.conftest import archive_file, assert_one_thread, run_newsbot, x_env

FAULTS = {
    2: ("POST", "/2/tweets", 429, False),
    3: ("GET", "/2/users/*/tweets", 503, True),
    4: ("POST", "/2/tweets", 500, False),
}
"""Run k meets this failure first: (method, path, status, after the emulator handled it)."""


async def killed_at_every_post(tmp_path: Path, issue: Issue, *, refuse_replies: bool) -> None:
    config = XEmulatorConfig(duplicate_window=0.0, refuse_replies=refuse_replies)
    rendered, steps = x_plan(issue, XSettings())
    texts = [post.text for post in rendered.posts]
    db = await archive_file(tmp_path / f"refuse-{refuse_replies}.db", issue)
    args = ("--db", str(db), "publish", "--outlet", "x")
    async with XEmulator(config) as x:
        env = x_env(x)
        killer = Killer(x, lambda: len(x.tweets))
        for k in range(1, len(steps) + 1):
            faults = []
            if k in FAULTS:
                method, path, status, after = FAULTS[k]
                faults.append(x.inject(method, path, status, after_handler=after, reset_in=0.5))
            killer.arm(k)
            run = await run_newsbot(*args, env=unmeasured(env), started=killer.started)
            assert killer.killed, f"run {k} never made post {k}: {run.stderr[-2000:]}"
            assert run.returncode == -signal.SIGKILL
            assert [t.text for t in x.tweets] == texts[:k], f"run {k}"
            assert all(f.hits == 1 for f in faults), f"run {k} did not meet its failure"
        last = await run_newsbot(*args, env=env)
        assert last.returncode == 0, last.stderr
        assert f"0 posted, 1 recovered, {len(steps) - 1} unchanged" in last.stdout
        # The run X refused a reply in said so; this one, going on quoting, has nothing new.
        assert "quote the first one" not in last.stdout
        tweets = x.live_tweets()
        assert_one_thread(tweets, texts, quoting_from=2 if refuse_replies else None)
        assert all(r.status != 403 or refuse_replies for r in x.requests)
    # Every item is in the thread, or the renderer said it was left out.
    posted = "\n".join(t.text for t in tweets)
    for _, item in issue.items:
        assert clean(item.title) in posted or item.key in rendered.omitted, item.title
    # The ledger holds every post's id, as X has it.
    async with await Archive.open(db, create=False) as archive:
        ledger = await archive.ledger.entries(issue.number, OUTLET, TARGET)
    assert [(e.state, e.remote_id) for e in ledger.values()] == [
        ("sent", str(t.id)) for t in tweets
    ]


async def test_killed_after_each_post_then_run_again(tmp_path: Path, issue_202: Issue) -> None:
    # The two scenarios share nothing but the CPU: run them side by side.
    await asyncio.gather(
        killed_at_every_post(tmp_path, issue_202, refuse_replies=False),
        killed_at_every_post(tmp_path, issue_202, refuse_replies=True),
    )
