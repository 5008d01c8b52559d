"""This process among the newsbot processes sharing one archive, and the leases by which one
of them at a time does a job (syncing the commands, running the schedule's publishes)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator

from bot.store.interfaces import StateStore

log = logging.getLogger(__name__)


def process_name() -> str:
    """This process among those sharing an archive: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


@contextlib.asynccontextmanager
async def lease(state: StateStore, name: str, ttl: float) -> AsyncIterator[bool]:
    """Try to take the lease `name` for this process; yield whether it holds it.

    While held it is renewed every third of `ttl`, so a long job keeps it; when the job ends
    it is given up, and a process that died holding it loses it within `ttl`.
    """
    holder = process_name()
    if not await state.try_lease(name, holder, ttl):
        yield False
        return
    renewing = asyncio.create_task(_renew(state, name, holder, ttl), name=f"renewing {name}")
    try:
        yield True
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing
        await state.try_lease(name, holder, 0)  # given up: free for the others at once


async def _renew(state: StateStore, name: str, holder: str, ttl: float) -> None:
    while True:
        await asyncio.sleep(ttl / 3)
        if not await state.try_lease(name, holder, ttl):
            log.warning("lost the lease %r to another newsbot process", name)
            return
