"""This process among the newsbot processes sharing one archive, the leases by which one
of them at a time does a job (syncing the commands, running the schedule's publishes), and
how many of them are publishing at once."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import socket
import time
from collections.abc import AsyncIterator
from typing import NamedTuple

from bot.publishing.ledger import gone
from bot.store.interfaces import StateStore
from bot.store.rows import LEASE_PREFIX

log = logging.getLogger(__name__)

RUNNING_LEASE = "running:"
"""Prefix of the lease each `newsbot run` holds as long as it runs: its process name follows."""
RUNNING_SINCE = "running.since:"
"""State key prefix: when the `newsbot run` named after it started (ISO 8601), as newsbot kept
it before its running lease did; still read for such a process, and forgotten with its lease."""
RUNNING_SECONDS = 60.0
"""A `newsbot run` killed (SIGKILL, a crash, its machine gone) is not counted as running this
long after its last renewal; one stopped cleanly gives its lease up at once."""
PUBLISHER_LEASE = "publisher:"
"""Prefix of the lease each process holds while it publishes: its name follows."""
PUBLISHERS_REFRESH = 2.0
"""Seconds between two readings of how many processes publish (and renewals of this one's), by
default (`publishing.share_refresh`)."""
ENDED_LEASES_KEPT = 24 * 3600.0
"""Seconds the lease of a process (`running:`, `publisher:`) that ended without giving it up is
kept after it ran out: then the next process taking its own forgets it. Each start names a new
process (a new pid, in a container a new host), so without this their leases would pile up."""


def process_name() -> str:
    """This process among those sharing an archive: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


@contextlib.asynccontextmanager
async def lease(
    state: StateStore,
    name: str,
    ttl: float,
    *,
    holder: str | None = None,
    since: dt.datetime | None = None,
    forget: bool = False,
) -> AsyncIterator[bool]:
    """Try to take the lease `name` for this process (or `holder`); yield whether it holds it.

    While held it is renewed every third of `ttl`, so a long job keeps it; when the job ends
    it is given up, and a process that died holding it loses it within `ttl`. `since` is kept
    with it; with `forget` (a lease named after its process, which no other takes) giving it
    up removes it from the archive, where it would otherwise stay for good.
    """
    holder = holder or process_name()
    if not await _take(state, name, holder, ttl, since):
        yield False
        return
    renewing = asyncio.create_task(_renew(state, name, holder, ttl, since), name=f"renewing {name}")
    try:
        yield True
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing
        try:
            if forget:
                await state.end_lease(name, holder)
            else:
                await state.try_lease(name, holder, 0)  # given up: free for the others at once
        except Exception as exc:  # the archive out of reach: the job's outcome stands
            said = str(exc).strip().splitlines() or [type(exc).__name__]
            log.warning("could not give up the lease %r (%s): it runs out within %.0f s",
                        name, said[0], ttl)  # fmt: skip


@contextlib.asynccontextmanager
async def running(state: StateStore, since: dt.datetime) -> AsyncIterator[None]:
    """Hold this process's running lease as long as `newsbot run` runs, and keep `since`, when
    it started, in it: `newsbot status` reads them (`running_processes`). Stopped cleanly, it
    leaves no trace in the archive; taking it forgets those long ended processes left."""
    holder = process_name()
    await forget_ended(state, RUNNING_LEASE)
    await state.delete(RUNNING_SINCE + holder)  # an older newsbot's, of a process named alike
    async with lease(state, RUNNING_LEASE + holder, RUNNING_SECONDS, since=since, forget=True):
        yield


async def forget_ended(state: StateStore, prefix: str) -> None:
    """Forget the leases under `prefix` of processes that ended over `ENDED_LEASES_KEPT` ago
    without giving them up (killed, crashed), with when they started if kept apart.

    Only tidying: an archive out of reach is said at WARNING, and tidied at the next start.
    """
    try:
        forgotten = await state.forget_leases(prefix, ENDED_LEASES_KEPT)
        for name in forgotten:
            if name.startswith(RUNNING_LEASE):
                await state.delete(RUNNING_SINCE + name.removeprefix(RUNNING_LEASE))
    except Exception as exc:  # the archive out of reach: the rows wait for the next start
        said = str(exc).strip().splitlines() or [type(exc).__name__]
        log.warning("could not forget the leases %r of ended processes (%s)", prefix, said[0])
        return
    if forgotten:
        log.info("forgot %d leases %r of processes long ended", len(forgotten), prefix)


async def running_processes(state: StateStore) -> list[tuple[str, dt.datetime | None]]:
    """The `newsbot run` processes on the archive now, each by its process name (`host:pid`)
    with when it started, if kept: those whose lease is live, less those this host knows
    have ended (killed, before their lease lapsed)."""
    found: list[tuple[str, dt.datetime | None]] = []
    for holder in await state.lease_holders(RUNNING_LEASE):
        if gone(holder):
            continue
        kept = await kept_lease(state, RUNNING_LEASE + holder)
        since = kept.since if kept is not None else None
        if since is None:  # taken by an older newsbot, which kept it apart
            since = _moment(await state.get(RUNNING_SINCE + holder))
        found.append((holder, since))
    return found


def _moment(kept: object) -> dt.datetime | None:
    """A time kept as ISO 8601 text; None if there is none, or it does not read as one."""
    try:
        return dt.datetime.fromisoformat(kept) if isinstance(kept, str) and kept else None
    except ValueError:
        return None


class KeptLease(NamedTuple):
    """A lease as the archive keeps it (`bot.store.rows.lease_value`)."""

    holder: str
    until: float
    """When it runs out, in seconds since the epoch."""
    given_up: bool
    """Whether its holder gave it up (or an older newsbot wrote it, which does not say)."""
    since: dt.datetime | None = None
    """When its holder began to hold it, if kept (the running lease)."""

    @property
    def ran_out_at(self) -> str:
        """When it runs out, as a person reads a time in a log."""
        return dt.datetime.fromtimestamp(self.until, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


async def kept_lease(state: StateStore, name: str) -> KeptLease | None:
    """The lease `name` as the archive keeps it; None if it never was taken (or is unreadable)."""
    kept = await state.get(LEASE_PREFIX + name)
    try:
        value = json.loads(kept or "{}")
        holder, until, given_up = str(value["holder"]), float(value["until"]), not value.get("ttl")
        return KeptLease(holder, until, given_up, _moment(value.get("since")))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


async def _take(
    state: StateStore, name: str, holder: str, ttl: float, since: dt.datetime | None
) -> bool:
    """Take the lease `name`, from its holder at once if that was a process of this host that
    has ended (killed, crashed): a restart need not wait for the dead one's lease to lapse.

    Taken from another process that stopped renewing it without giving it up (cut off from
    the archive, hung), it is said at WARNING: that process may still be doing the job.
    """
    before = await kept_lease(state, name)
    if await state.try_lease(name, holder, ttl, since=since):
        if (
            before is not None
            and before.holder != holder
            and not before.given_up
            and await _ran_out(state, name, before, ttl)
        ):
            log.warning(
                "this process (%s) took the lease %r from %s, whose lease ran out at %s without"
                " being given up: that process stopped renewing it (cut off from the archive,"
                " stopped or hung)",
                holder,
                name,
                before.holder,
                before.ran_out_at,
            )
        return True
    other = await kept_lease(state, name)
    if other is None or not gone(other.holder):
        return False
    log.info("taking the lease %r over from %s, a process that has ended", name, other.holder)
    # Ended only if it is still the dead one's: of several taking it over, one gets it.
    await state.try_lease(name, other.holder, 0)
    return await state.try_lease(name, holder, ttl, since=since)


async def _ran_out(state: StateStore, name: str, before: KeptLease, ttl: float) -> bool:
    """Whether the lease `name`, just taken for `ttl`, had run out as `before` was to: taken
    earlier, its holder gave it up after `before` was read. Not known (the archive gone
    again) counts as run out."""
    try:
        taken = await kept_lease(state, name)
    except Exception:
        return True
    return taken is None or before.until <= taken.until - ttl


async def _renew(
    state: StateStore, name: str, holder: str, ttl: float, since: dt.datetime | None
) -> None:
    """Renew the lease every third of `ttl` until cancelled or lost to another process.

    An archive that cannot be reached for a while (its server restarting, the network down)
    does not end the renewals: each is tried again at the next turn, and the lease is kept if
    the archive is back before it runs out. If it ran out meanwhile, taking it back, or finding
    another process took it, is said at WARNING, with who held it.
    """
    failing = False
    renewed_at = time.monotonic()
    while True:
        await asyncio.sleep(ttl / 3)
        try:
            before = await kept_lease(state, name)
            renewed = await state.try_lease(name, holder, ttl, since=since)
            after = await kept_lease(state, name) if renewed else None
        except Exception as exc:  # any failure to reach the archive: tried again next turn
            if not failing:
                said = str(exc).strip().splitlines() or [type(exc).__name__]
                log.warning("could not renew the lease %r (%s): trying again", name, said[0])
            failing = True
            continue
        unrenewed = time.monotonic() - renewed_at
        if not renewed:
            await _lost(state, name, holder, unrenewed)
            return
        # Renewed after it ran out (by the archive's times: its old end, the renewal's start).
        if before is not None and after is not None and before.until <= after.until - ttl:
            meanwhile = f"; {before.holder} held it meanwhile" if before.holder != holder else ""
            log.warning(
                "the lease %r ran out while this process (%s) could not renew it (%.0f s);"
                " it took it back%s",
                name,
                holder,
                unrenewed,
                meanwhile,
            )
        elif failing:
            log.info("renewed the lease %r: the archive answers again", name)
        failing = False
        renewed_at = time.monotonic()


async def _lost(state: StateStore, name: str, holder: str, unrenewed: float) -> None:
    """Say at WARNING that this process lost the lease `name`, and to whom."""
    try:
        now_held = await kept_lease(state, name)
        other = now_held.holder if now_held is not None else "another newsbot process"
    except Exception:  # the archive gone again: who holds it is not known
        other = "another newsbot process"
    log.warning(
        "this process (%s) lost the lease %r to %s, after %.0f s without renewing it",
        holder,
        name,
        other,
        unrenewed,
    )


class Publishers:
    """The processes publishing at once through one archive, this one among them.

    Each holds a lease `publisher:<process>` while it sends, renewed at each reading, so one
    that stops or dies drops out of the count within `3 × refresh` seconds; one done sending
    removes its lease, and taking one forgets those long ended processes left.
    """

    def __init__(self, state: StateStore, *, refresh: float = PUBLISHERS_REFRESH) -> None:
        self.state = state
        self.refresh = refresh
        self.ttl = 3 * refresh
        self.holder = process_name()
        self.live = 1
        self._read_at = -float("inf")
        self._held_until = -float("inf")
        self._tidied = False

    async def count(self, settle: float) -> int:
        """How many processes publish now, this one included (read again at most every
        `refresh` seconds, renewing this one's lease).

        When this process joins others (first send, or back after its lease lapsed), it waits
        until each has read the new count and `settle` seconds (the window of their requests
        at their old share) have passed, so together they never exceed the shared rate.
        """
        if time.monotonic() - self._read_at < self.refresh:
            return self.live
        # Joining when the lease may have lapsed: the others may be counting without us.
        joining = time.monotonic() >= self._held_until - self.refresh
        await self._renew()
        if joining and self.live > 1:
            log.info("%d newsbot processes publish at once: sharing the rate", self.live)
            # A refresh for the others to read the count, and half one for reads held up.
            await asyncio.sleep(1.5 * self.refresh + settle)
            await self._renew()  # the wait used part of the lease
        return self.live

    async def leave(self) -> None:
        """Give up this process's lease at once, when it is done publishing (finished, failed
        or interrupted): a publish started right after does not share the rate with it."""
        if self._held_until == -float("inf"):
            return  # never counted itself in
        self._held_until = self._read_at = -float("inf")
        self.live = 1
        await self.state.end_lease(PUBLISHER_LEASE + self.holder, self.holder)

    async def _renew(self) -> None:
        if not self._tidied:
            self._tidied = True
            await forget_ended(self.state, PUBLISHER_LEASE)
        now = time.monotonic()
        await self.state.try_lease(PUBLISHER_LEASE + self.holder, self.holder, self.ttl)
        self._held_until = now + self.ttl
        self.live = max(1, await self.state.live_leases(PUBLISHER_LEASE))
        self._read_at = time.monotonic()
