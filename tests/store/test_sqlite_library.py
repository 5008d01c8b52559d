"""Opening an archive turns SQLite's memory statistics off, so that searches on several
connections run side by side, and only when nothing else in the process has a connection open.

Each case runs in a fresh interpreter: the statistics are the process's, and this one's SQLite
was set up by whichever test opened an archive first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

_MEMORY_USED = """
import ctypes, _sqlite3
_library = ctypes.CDLL(_sqlite3.__file__)
_library.sqlite3_memory_used.restype = ctypes.c_int64
memory_used = _library.sqlite3_memory_used
"""


def run(code: str, tmp_path: Path) -> dict[str, Any]:
    """What `code` (run in a fresh interpreter, after `_MEMORY_USED`) printed, as JSON."""
    done = subprocess.run(
        [sys.executable, "-c", _MEMORY_USED + textwrap.dedent(code)],
        cwd=tmp_path,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_opening_an_archive_turns_the_statistics_off_and_searches_still_work(
    tmp_path: Path,
) -> None:
    found = run(
        """
        import asyncio, json, sqlite3
        from pathlib import Path
        from bot.store import Archive
        from bot.store.sqlite import library

        async def main():
            async with await Archive.open(Path("archive.db")) as archive:
                # With the statistics on, the open connections' memory would show here.
                open_memory = memory_used()
                page = await archive.issues.search("anything")
                return open_memory, len(page.hits)

        open_memory, hits = asyncio.run(main())
        other = sqlite3.connect(":memory:")
        print(json.dumps({
            "open_memory": open_memory,
            "hits": hits,
            "other_memory": memory_used(),
            "other_works": other.execute("select 40 + 2").fetchone()[0],
            "off": library.parallel_connections(),
        }))
        """,
        tmp_path,
    )
    assert found == {
        "open_memory": 0,
        "hits": 0,
        "other_memory": 0,
        "other_works": 42,
        "off": True,
    }


def test_a_connection_open_elsewhere_in_the_process_leaves_the_statistics_on(
    tmp_path: Path,
) -> None:
    found = run(
        """
        import asyncio, json, sqlite3
        from pathlib import Path
        from bot.store import Archive
        from bot.store.sqlite import library

        elsewhere = sqlite3.connect(":memory:")
        elsewhere.execute("create table kept (n)")

        async def main():
            async with await Archive.open(Path("archive.db")) as archive:
                await archive.issues.search("anything")

        asyncio.run(main())
        print(json.dumps({
            "memory": memory_used() > 0,
            "off": library.parallel_connections(),
            "elsewhere_works": elsewhere.execute("select count(*) from kept").fetchone()[0],
        }))
        """,
        tmp_path,
    )
    assert found == {"memory": True, "off": False, "elsewhere_works": 0}


def test_only_the_first_call_looks_so_a_later_one_never_shuts_sqlite_down_under_a_connection(
    tmp_path: Path,
) -> None:
    found = run(
        """
        import json, sqlite3
        from bot.store.sqlite import library

        first = library.parallel_connections()
        loads = []
        real = library.ctypes.CDLL
        def spying(name, *args, **kwargs):
            loaded = real(name, *args, **kwargs)
            loads.append(name)
            return loaded
        library.ctypes.CDLL = spying
        held = sqlite3.connect(":memory:")
        held.execute("create table kept (n)")
        again = library.parallel_connections()
        print(json.dumps({
            "first": first,
            "again": again,
            "looked_again": len(loads),
            "held_works": held.execute("select count(*) from kept").fetchone()[0],
        }))
        """,
        tmp_path,
    )
    assert found == {"first": True, "again": True, "looked_again": 0, "held_works": 0}
