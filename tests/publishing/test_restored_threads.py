"""A backup restored, then published again to Mastodon and Bluesky on a busy account: each
lookup reads the account's posts back to the backup's time and no further, however many came
after: it finds what went out since, and shows what did not go out surely not made."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.models import Issue
from bot.publishing.outlets._threads import SINCE_PAGES
from bot.publishing.restored import CLOCK_SKEW, TAKEN
from bot.sandbox.bluesky import BlueskyEmulator
from bot.sandbox.mastodon import MastodonEmulator
from bot.store import Archive
from tests.bluesky.conftest import thread_texts as bluesky_texts
from tests.mastodon.conftest import thread_texts as mastodon_texts
from tests.publishing.cli_harness import newsbot_env
from tests.publishing.test_restored_backup import (
    DAY,
    issue_file,
    newsbot,
    restore_as_the_readme_says,
)
from tests.x.conftest import archive_file, run_newsbot

EARLIER = 350
"""Posts the account made the day before the backup: no lookup reads them."""
LATER = 400
"""Posts the account made after the publish that the restored ledger lost: more than three
pages of either platform's."""


@dataclass
class Account:
    """One platform's account as the test sees it: its emulator and what it was asked."""

    outlet: str
    title: str
    emulator: MastodonEmulator | BlueskyEmulator
    page: int
    """The most posts a lookup reads at once."""
    texts: Callable[[Issue], list[str]]

    def posts(self) -> list[str]:
        """The texts of the account's posts, oldest first."""
        if isinstance(self.emulator, MastodonEmulator):
            return [s.text for s in self.emulator.live_statuses()]
        return [r.text for r in self.emulator.posts()]

    def post(self, texts: list[str], *, at: float) -> None:
        """Posts made on the account at `at` from elsewhere."""
        self.emulator.posted_earlier(texts, at=at)

    def lookups(self, since_request: int) -> list[dict[str, str]]:
        """The queries of the reads of the account's posts after the first `since_request`
        requests (not Mastodon's one-status check that the token may read them)."""
        if isinstance(self.emulator, MastodonEmulator):
            path = f"/api/v1/accounts/{self.emulator.config.account_id}/statuses"
            requests = self.emulator.requests[since_request:]
            reads = [r.query for r in requests if r.method == "GET" and r.path == path]
            return [q for q in reads if q.get("limit") != "1"]
        listed = "com.atproto.repo.listRecords"
        return [r.query for r in self.emulator.requests[since_request:] if r.nsid == listed]

    def requested(self) -> int:
        """How many requests the emulator answered."""
        return len(self.emulator.requests)

    def read_back_to(self, query: dict[str, str], since: dt.datetime) -> bool:
        """Whether a lookup's read started at `since`: on Mastodon, its page the one just
        newer than the id of that time (Mastodon.py's, whole seconds); on Bluesky, whose pages
        start at the newest, whether it began there."""
        if isinstance(self.emulator, MastodonEmulator):
            return query.get("min_id") == str((int(since.timestamp()) << 16) * 1000)
        return "cursor" not in query

    def pages_to(self, position: int) -> int:
        """The pages a lookup reads to reach the post at `position` (1: the first it reads)."""
        return (position - 1) // self.page + 1


@pytest.fixture(params=["mastodon", "bluesky"])
async def account(request: pytest.FixtureRequest) -> AsyncIterator[Account]:
    """A Mastodon or Bluesky account on its emulator."""
    if request.param == "mastodon":
        async with MastodonEmulator() as mastodon:
            yield Account("mastodon", "Mastodon", mastodon, 40, mastodon_texts)
    else:
        async with BlueskyEmulator() as bluesky:
            yield Account("bluesky", "Bluesky", bluesky, 100, bluesky_texts)


async def backup_time(backup: Path) -> dt.datetime:
    """When the backup was taken, less the platforms' clock skew newsbot allows for."""
    async with await Archive.open(backup, create=False) as archive:
        taken = await archive.state.get(TAKEN)
    assert taken is not None
    return dt.datetime.fromisoformat(taken) - CLOCK_SKEW


@dataclass
class Scene:
    """#202 published after a backup, then 400 more posts, then the backup restored."""

    db: Path
    folder: Path
    env: dict[str, str]
    since: dt.datetime
    """How far back a lookup reads: the backup's time, less the skew allowed for."""
    published: list[str]
    """The account's posts when the backup was restored."""
    unpublished: Issue
    """#203, written after the backup and never published."""

    def publish(self, account: Account, number: int) -> tuple[str, ...]:
        """The arguments of `newsbot publish NUMBER` to the account's outlet."""
        return ("--db", str(self.db), "publish", "--outlet", account.outlet, str(number))


async def published_then_restored(tmp_path: Path, issue_202: Issue, account: Account) -> Scene:
    """The account posted 350 times the day before a backup, #202 after it, then 400 more;
    #203 is in the issue folder, never published, when the backup is restored."""
    folder = tmp_path / "issues"
    folder.mkdir()
    db = await archive_file(tmp_path / "newsbot.db", issue_202)
    env = newsbot_env(None) | account.emulator.env() | {"NEWSBOT_ISSUES__DIRECTORY": str(folder)}
    texts = account.texts(issue_202)
    account.post([f"an earlier post {n}" for n in range(EARLIER)], at=time.time() - DAY)
    backup = tmp_path / "newsbot-Mon.db"
    await newsbot("--db", str(db), "backup", str(backup), env=env)
    await newsbot("--db", str(db), "publish", "--outlet", account.outlet, "202", env=env)
    account.post([f"a later post {n}" for n in range(LATER)], at=time.time())
    published = account.posts()
    assert published[EARLIER : EARLIER + len(texts)] == texts
    unpublished = issue_file(folder, 203)
    restore_as_the_readme_says(backup, db)
    return Scene(db, folder, env, await backup_time(backup), published, unpublished)


async def test_posts_made_after_the_backup_are_found_past_many_later_ones(
    tmp_path: Path, issue_202: Issue, account: Account
) -> None:
    """Each post of #202 is found by one lookup reading forward from (Mastodon) or back to
    (Bluesky) the backup's time, never the day before: nothing is posted twice."""
    scene = await published_then_restored(tmp_path, issue_202, account)
    texts = account.texts(issue_202)
    before = account.requested()
    again = await newsbot(*scene.publish(account, 202), env=scene.env)
    assert f"#202 → {account.title}: 0 posted, {len(texts)} recovered" in again
    assert account.posts() == scene.published
    lookups = account.lookups(before)
    starts = [q for q in lookups if account.read_back_to(q, scene.since)]
    assert len(starts) == len(texts), lookups
    if isinstance(account.emulator, MastodonEmulator):
        assert len(lookups) == len(texts)  # oldest first: each in the first page
    else:
        # Newest first: each below the 400 later posts, in the page that ends the read.
        assert len(lookups) == len(texts) * account.pages_to(LATER + len(texts))


async def test_an_issue_not_made_since_the_backup_is_posted_after_one_whole_read(
    tmp_path: Path, issue_202: Issue, account: Account
) -> None:
    """#203 was never published: its first post's lookup reads everything since the backup
    (a page more when the last was full) and finds it surely not made, so the rest of the
    thread is posted without looking."""
    scene = await published_then_restored(tmp_path, issue_202, account)
    await newsbot("--db", str(scene.db), "ingest", str(scene.folder), env=scene.env)
    texts = account.texts(scene.unpublished)
    before = account.requested()
    newer = await newsbot(*scene.publish(account, 203), env=scene.env)
    assert f"#203 → {account.title}: {len(texts)} posted, 0 recovered" in newer
    assert account.posts() == scene.published + texts
    lookups = account.lookups(before)
    assert [account.read_back_to(q, scene.since) for q in lookups][:1] == [True], lookups
    since_backup = LATER + len(account.texts(issue_202))
    assert len(lookups) == account.pages_to(since_backup + 1)


async def test_a_lookup_stops_at_its_bound_and_says_so(
    tmp_path: Path, issue_202: Issue, account: Account
) -> None:
    """More posts since the backup than a lookup reads: each post of #203 is looked for in
    `SINCE_PAGES` pages and no more, the operator is told it was not found there, and it is
    posted (not knowing is no proof it was never made: each later post is looked for too)."""
    scene = await published_then_restored(tmp_path, issue_202, account)
    account.post([f"a busy day {n}" for n in range(SINCE_PAGES * account.page)], at=time.time())
    await newsbot("--db", str(scene.db), "ingest", str(scene.folder), env=scene.env)
    texts = account.texts(scene.unpublished)
    before = account.requested()
    run = await run_newsbot(*scene.publish(account, 203), env=scene.env)
    assert run.returncode == 0, run.stderr
    assert f"#203 → {account.title}: {len(texts)} posted, 0 recovered" in run.stdout
    assert len(account.lookups(before)) == SINCE_PAGES * len(texts)
    told = " ".join(run.stderr.split())
    for number in range(1, len(texts) + 1):
        step = f"203/{account.outlet}/post/{number}"
        assert f"{step} was not found in the {SINCE_PAGES} pages of posts read since" in told
