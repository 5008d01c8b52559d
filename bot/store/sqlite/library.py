"""The SQLite library this process runs on: its memory statistics turned off before the first
connection, so that searches on several connections run in parallel.

SQLite counts every allocation it makes for `sqlite3_memory_used()` and the like, under one
mutex for the whole process. Python's `sqlite3` links the system's library, which counts by
default (and Debian's has no lookaside memory, so a search allocates often): two searches in
two threads then take turns on that mutex, and ran no faster than one thread, at 1.7 times its
CPU. With the statistics off they run side by side, each about a tenth faster.
SQLite recommends building with them off ("Recommended Compile-time Options",
SQLITE_DEFAULT_MEMSTATUS=0, at https://www.sqlite.org/compile.html); a build that did not
can only change it through `sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0)`, between
`sqlite3_shutdown()` and `sqlite3_initialize()`, while no connection is open.

newsbot does that once, on Linux, when it opens its first archive, and only when SQLite holds
no memory at all, which means that nothing in the process has a connection open. Anything else
(another platform, a library without these symbols, a connection open elsewhere, the counting
already off) leaves SQLite as it is: searches are then correct, only slower side by side.
"""

from __future__ import annotations

import _sqlite3
import ctypes
import logging
import sqlite3
import sys
import threading

log = logging.getLogger(__name__)

SQLITE_CONFIG_MEMSTATUS = 9
"""The `sqlite3_config` option switching the memory statistics (sqlite3.h)."""
SQLITE_OK = 0

_lock = threading.Lock()
_asked: list[bool] = []
"""Whether the statistics were turned off, once `parallel_connections` has run."""


def parallel_connections() -> bool:
    """Turn SQLite's memory statistics off if nothing in this process has a connection open;
    whether they are off (by this call or an earlier one). Only the first call does anything."""
    with _lock:
        if not _asked:
            _asked.append(_stop_memory_statistics())
        return _asked[0]


def _stop_memory_statistics() -> bool:
    if not sys.platform.startswith("linux"):
        # The call is variadic; ctypes passes its int as C does on Linux's ABIs, not on all.
        return False
    try:
        # The extension module links the library; symbols are looked up through it.
        library = ctypes.CDLL(_sqlite3.__file__)
        memory_used = library.sqlite3_memory_used
        shutdown, config, initialize = (
            library.sqlite3_shutdown,
            library.sqlite3_config,
            library.sqlite3_initialize,
        )
    except (OSError, AttributeError) as error:
        log.debug("SQLite's memory statistics stay on: %s", error)
        return False
    memory_used.restype = ctypes.c_int64
    # An open connection holds memory; with the statistics on, it shows. A probe connection
    # tells whether they are on: if they are off already, nothing can tell whether another
    # connection is open, and nothing is done.
    probe = sqlite3.connect(":memory:")
    try:
        counting = memory_used() > 0
    finally:
        probe.close()
    if not counting or memory_used() != 0:
        log.debug("SQLite's memory statistics stay as they are: off, or a connection is open")
        return False
    if shutdown() != SQLITE_OK:
        return False
    stopped: bool = config(SQLITE_CONFIG_MEMSTATUS, ctypes.c_int(0)) == SQLITE_OK
    # Opening a connection initialises SQLite too; this only does it now.
    initialize()
    log.debug("SQLite's memory statistics off: %s", stopped)
    return stopped
