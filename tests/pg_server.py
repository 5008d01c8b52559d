"""A throwaway PostgreSQL server for the tests: started from the machine's server binaries on a
free loopback port, as an unprivileged user when the tests run as root (postgres refuses
root), with fsync off; stopped and removed after. Each test gets a database of its own, copied
from a migrated template."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg

_UNPRIVILEGED = "nobody"
TEMPLATE = "newsbot_template"
PASSWORD_ROLE = "newsbot_password"
"""A role of the test server that logs in only with `ROLE_PASSWORD`, checked by the server."""
ROLE_PASSWORD = "K7qz@Wm9x R4yh/%#?[Jd8n]"
"""Every character a URL's password must percent-encode."""


def server_binaries() -> Path | None:
    """The folder holding `initdb` and `pg_ctl`: on PATH, else the newest under
    /usr/lib/postgresql/*/bin; None if this machine has no PostgreSQL server."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(os.path.realpath(initdb)).parent
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PgServer:
    """A running throwaway server; `database()` makes a fresh, migrated database on it."""

    bin: Path
    folder: Path
    port: int
    settings: Sequence[str] = ()
    _names: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def password_url(self, url: str) -> str:
        """`url` for `PASSWORD_ROLE`, its password percent-encoded as a URL must hold it."""
        return url.replace(
            "postgresql://postgres@",
            f"postgresql://{PASSWORD_ROLE}:{quote(ROLE_PASSWORD, safe='')}@",
        )

    def database(self, template: str = TEMPLATE) -> str:
        """The URL of a new database copied from `template` (migrated: empty archive)."""
        name = f"archive_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            # Copied as files (PostgreSQL 15 logs each block by default): a few megabytes with
            # fsync off, 2–4 times faster for the hundreds of databases the tests make.
            copied = " STRATEGY FILE_COPY" if admin.info.server_version >= 150000 else ""
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{copied}')
        return self.url(name)

    def drop(self, url: str) -> None:
        """Remove a database `database()` made (its connections closed first)."""
        name = url.rpartition("/")[2]
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_connections(self, url: str) -> None:
        """End every connection to the database at `url`, as the server restarting does."""
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (url.rpartition("/")[2],),
            )

    def read_only(self, url: str, read_only: bool) -> None:
        """Make the database at `url` refuse every write (or take them again), as a standby a
        failover lands on does until it is promoted; its connections are ended, so that
        every one newsbot makes next reads the new setting."""
        name = url.rpartition("/")[2]
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(
                f'ALTER DATABASE "{name}" SET default_transaction_read_only = '
                + ("on" if read_only else "off")
            )
        self.drop_connections(url)

    def own_role_url(self, url: str) -> str:
        """`url` for a new role of its own (trusted, as `postgres` is), which `shut_out` can
        keep out while other roles still connect."""
        role = f"worker_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE ROLE "{role}" LOGIN SUPERUSER')
        return url.replace("postgresql://postgres@", f"postgresql://{role}@")

    @contextmanager
    def shut_out(self, url: str) -> Iterator[None]:
        """The role of `url` (from `own_role_url`) kept out for the block, as a process cut off
        from the server sees it while others reach it: its connections ended, new ones
        refused."""
        role = url.partition("://")[2].partition("@")[0]
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'ALTER ROLE "{role}" NOLOGIN')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (role,),
            )
        try:
            yield
        finally:
            with psycopg.connect(self.admin_url, autocommit=True) as admin:
                admin.execute(f'ALTER ROLE "{role}" LOGIN')

    @contextmanager
    def down(self) -> Iterator[None]:
        """The server stopped for the block, as an outage or a restart leaves it (every
        connection ended, new ones refused), then started again on its port."""
        _run(self.bin / "pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "stop")
        try:
            yield
        finally:
            launch(self.bin, self.folder, initialise=False, settings=self.settings, port=self.port)

    def stop(self) -> None:
        """Stop the server at once and remove its files."""
        _run(self.bin / "pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def _as_postgres_user() -> list[str]:
    """The command prefix that runs a server binary as a user postgres accepts."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", _UNPRIVILEGED, "--"]


def _run(*command: str | Path) -> None:
    subprocess.run(
        [*_as_postgres_user(), *map(str, command)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=60,
    )


def start_server(bin: Path, settings: Sequence[str] = ()) -> PgServer:
    """Start a server from the binaries in `bin`, with `settings` (`name=value`) beside ours;
    raise if it cannot start."""
    # As root, in /tmp: the unprivileged server user must reach its folder (TMPDIR may not do).
    folder = Path(tempfile.mkdtemp(prefix="newsbot-pg-", dir="/tmp" if os.geteuid() == 0 else None))
    port = launch(bin, folder, initialise=True, settings=settings)
    return PgServer(bin, folder, port, settings)


def launch(
    bin: Path,
    folder: Path,
    *,
    initialise: bool,
    wait: int = 60,
    settings: Sequence[str] = (),
    port: int | None = None,
) -> int:
    """Start a server from the binaries in `bin` on the cluster in `folder`/data (made first,
    with `initialise`), on `port` (default a free loopback port), without durability, with
    `settings` (`name=value`) beside; that port."""
    if os.geteuid() == 0:
        # The server runs unprivileged (its folder's parents must let it through, as /tmp does).
        os.chown(folder, pwd.getpwnam(_UNPRIVILEGED).pw_uid, -1)
    data = folder / "data"
    if initialise:
        _run(bin / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
             "--locale=C", "--no-sync")  # fmt: skip
        # Every role is trusted but PASSWORD_ROLE, which must give its password (the first
        # matching line counts), so that a test can see a password really read.
        hba = data / "pg_hba.conf"
        hba.write_text(
            f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n" + hba.read_text(),
            encoding="utf-8",
        )
    port = port or _free_port()
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    ) + "".join(f" -c {setting}" for setting in settings)
    _run(bin / "pg_ctl", "-D", data, "-w", "-t", str(wait), "-o", options, "-l",
         folder / "log", "start")  # fmt: skip
    return port


def shimmed(tools: Path, tool: str, script: str) -> str:
    """A PATH on which PostgreSQL's client `tool` is `script`, formatted with `real` (the real
    tool, which the script may run) and `python` (this interpreter); the other tools are the
    real ones."""
    import sys

    real = shutil.which(tool)
    assert real, f"{tool} is not installed"
    tools.mkdir(exist_ok=True)
    (tools / tool).write_text(script.format(real=real, python=sys.executable))
    (tools / tool).chmod(0o755)
    return f"{tools}{os.pathsep}{os.environ['PATH']}"
