"""A `pg_dump` backup loaded into the archive on PostgreSQL: its table of contents checked
first, and the database for another application's objects on newsbot's archive, which the
restore would drop (`refuse_what_is_attached`); then a transaction locks the claims (no publish
sends until it ends); while it holds them, the archive it replaces is dumped beside the backup
by pg_dump in a session of its own; then, in the transaction, newsbot's tables are cleared and
the dump's entries of newsbot's archive loaded (only those: of another application sharing the
database, nothing is touched), checked to be a newsbot archive and marked as a backup before it
commits."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bot.backup import BackupError, back_up
from bot.errors import RestoreError
from bot.network import shown_url
from bot.pg_tools import pg_client
from bot.publishing.restored import RESTORED, TAKEN
from bot.restore_attached import (
    HELD_BACK,
    REPLACED,
    clearing,
    identifier,
    literal,
    refuse_what_is_attached,
)
from bot.restore_contents import (
    PG_TABLES,
    SPACED,
    NoDependencies,
    NotLoaded,
    among_spaced_names,
    archive_schemas,
    missing_tables,
    newsbots_part,
    pg_migrations,
    taken_at,
)
from bot.store.rows import now_text

LEFT = "the archive is left as it was"
"""What a restore refused says of the archive: nothing of it changed."""


_REFUSED = "newsbot restore: "
"""The start of the exceptions `_checking` raises: what the backup holds is refused."""
_GUARDED = b"newsbot restore: claims locked"
"""The warning `_guarding` gives once it has locked the claims (psql says it on stderr, which
it does not buffer)."""


_UNTIMED = b"""SET LOCAL idle_in_transaction_session_timeout = 0;
SET LOCAL statement_timeout = 0;
SET LOCAL lock_timeout = 0;
DO $untimed$ BEGIN
IF current_setting('server_version_num')::int >= 170000 THEN
PERFORM set_config('transaction_timeout', '0', true);
END IF;
END $untimed$;
"""
"""SQL, first in the restore's transaction, lifting for it the time limits a server may set
(in its configuration, or the database's or the role's): the transaction stays idle while
the archive it replaces is dumped, which takes as long as the archive is large, and the
server would end it, refusing every restore of a large enough archive
(`transaction_timeout` from PostgreSQL 17)."""


def _guarding(ended: Collection[str], schema: str) -> bytes:
    """SQL, first in the restore's transaction, locking the table of claims (in the archive's
    schema `schema`, not another application's `claims` the search path finds) against writes
    until it ends (pg_dump still reads it), and raising an exception while a process holds a
    claim not run out (but those `ended`): a publish sends from the archive. Locked, no publish
    takes a claim, which it does before each step, between this check and the COMMIT: one
    starting meanwhile waits, then publishes from the restored archive, which the engine reads
    under its claim."""
    others = "".join(f" AND holder <> {literal(holder)}" for holder in sorted(ended))
    now = """to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"')"""
    claims = f"{identifier(schema)}.claims"
    return f"""DO $guard$ DECLARE sending TEXT; BEGIN
IF to_regclass({literal(claims)}) IS NOT NULL THEN
LOCK TABLE {claims} IN EXCLUSIVE MODE;
SELECT string_agg(format('#%s to %s by %s', issue_number, outlet, holder), ', '
ORDER BY issue_number, outlet, holder) INTO sending FROM {claims}
WHERE expires_at >= {now}{others};
IF sending IS NOT NULL THEN RAISE EXCEPTION '{HELD_BACK}newsbot publishes from this archive (%): \
let it finish, or stop it, first', sending; END IF;
END IF;
RAISE WARNING '{_GUARDED.decode()}';
END $guard$;
""".encode()  # noqa: S608 - fixed text; each value an SQL literal (`literal`)


def _checking(taken: dt.datetime | None, schema: str) -> bytes:
    """SQL raising an exception, within the restore's transaction so that nothing of it is
    committed, unless the tables restored are a newsbot archive this newsbot knows; then
    marking it a backup taken at `taken` (`TAKEN`), unless the dump is marked, and restored
    through at least the highest issue the archive it replaces knew (`REPLACED`): a publish
    starting once it commits looks for what the backup lost. Every table is the restored
    archive's, in the dump's `schema`; the search path is set back, as pg_restore's script
    empties it."""
    mark = "at a time not recorded" if taken is None else taken.isoformat()
    known = len(pg_migrations())
    at = f"{identifier(schema)}."
    version = f"(SELECT coalesce(max(version), 0) FROM {at}newsbot_schema)"  # noqa: S608
    tables = "".join(
        f"IF to_regclass({literal(at + table)}) IS NULL THEN RAISE EXCEPTION"
        f" '{_REFUSED}is not a newsbot backup: it has no table {table}'; END IF;\n"
        for table in sorted(PG_TABLES)
    )
    return f"""RESET search_path;
DO $$ BEGIN
{tables}IF {version} NOT BETWEEN 1 AND {known} THEN RAISE EXCEPTION '{_REFUSED}is a backup of \
schema version %, not one this newsbot knows (1 to {known}): restore it with the newsbot that \
took it', {version}; END IF;
END $$;
INSERT INTO {at}state (key, value, updated_at) VALUES ({literal(TAKEN)}, {literal(mark)},
{literal(now_text())}) ON CONFLICT (key) DO NOTHING;
INSERT INTO {at}state (key, value, updated_at) SELECT {literal(RESTORED)}, replaced,
{literal(now_text())} FROM (SELECT current_setting('{REPLACED}', true) AS replaced) AS noted
WHERE coalesce(replaced, '') NOT IN ('', '0') ON CONFLICT (key) DO UPDATE SET value =
excluded.value, updated_at = excluded.updated_at WHERE CASE WHEN state.value ~ '^[0-9]+$' THEN
state.value::numeric < excluded.value::numeric ELSE true END;
""".encode()  # noqa: S608 - fixed text; each value an SQL literal (`literal`)


_SERVER_SAID = re.compile(r"\b(?:ERROR|FATAL):\s*(.*)")
"""An error the server gave, as psql and pg_restore print it: one ending a statement (ERROR),
or the session (FATAL: a timeout, the server shutting down, the session terminated)."""


def _what_failed(said: str) -> str:
    """What psql or pg_restore said of a failure: the error the server gave where there is
    one (psql says a HINT or CONTEXT after it, or that the connection was lost), else its
    last line."""
    lines = said.strip().splitlines()
    errors = [found.group(1).strip() for line in lines if (found := _SERVER_SAID.search(line))]
    return errors[-1] if errors else lines[-1] if lines else "?"


def _client_tool(name: str) -> str:
    """The path of PostgreSQL's client tool `name`; refuse saying how to install it."""
    found = shutil.which(name)
    if found is None:
        raise RestoreError(
            f"the archive is on PostgreSQL and {name} is not installed here: install"
            " PostgreSQL's client tools (Debian: postgresql-client)"
        )
    return found


@dataclass(frozen=True)
class Dump:
    """What a `pg_dump` backup holds (`read_dump`): its table of contents, listed with what each
    entry depends on, and the schema of newsbot's archive in it."""

    contents: str
    schema: str

    @property
    def taken(self) -> dt.datetime | None:
        """When it was taken, never after it (`taken_at`; None if its header does not say)."""
        return taken_at(self.contents, self.schema)


async def read_dump(url: str, backup: Path) -> Dump:
    """What the dump `backup` holds. Refuse, before anything is dumped or sent, a dump that is
    no newsbot archive (`_contents`)."""
    return Dump(*await _contents(url, backup))


async def _contents(url: str, backup: Path) -> tuple[str, str]:
    """The table of contents of the dump `backup`, listed with what each entry depends on, and
    the schema of newsbot's archive in it. Refuse a file `pg_restore` cannot read as a dump,
    one whose table of contents lacks a table every newsbot archive has, or holds newsbot's
    archive in more than one schema. Large objects it may hold (another application's) are no
    part of newsbot's archive and never loaded, which matters: pg_restore's script loads them
    between a BEGIN and a COMMIT of its own, which would commit the restore half way."""
    listing = await asyncio.create_subprocess_exec(
        _client_tool("pg_restore"), "--list", "--verbose", str(backup),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=os.environ | {"TZ": "UTC"},
    )  # fmt: skip
    listed, problem = await listing.communicate()
    if listing.returncode != 0:
        why = _what_failed(problem.decode(errors="replace"))
        raise RestoreError(
            f"pg_restore could not restore {backup} into {shown_url(url)}: {why}; {LEFT}"
        )
    contents = listed.decode(errors="replace")
    schemas = archive_schemas(contents)
    if len(schemas) > 1:
        raise RestoreError(
            f"{backup} holds a newsbot archive in each of the schemas {', '.join(schemas)},"
            f" and which one to restore cannot be told; {LEFT}"
        )
    missing = missing_tables(contents, schemas[0] if schemas else None)
    if missing:
        spaced = not schemas and among_spaced_names(contents)
        raise RestoreError(
            f"{backup} is not a newsbot backup: it has no table {', '.join(missing)}"
            + SPACED * spaced
            + f"; {LEFT}"
        )
    return contents, schemas[0]


@asynccontextmanager
async def _newsbots_part(backup: Path, dump: Dump, schema_made: bool) -> AsyncIterator[Path]:
    """A file, for the block, listing the entries of the dump `backup` (holding `dump`) that
    are newsbot's archive (`newsbots_part`; with what is said of its schema unless
    `schema_made`, there already), for `pg_restore --use-list`: a database newsbot shares with
    another application is dumped whole, and a restore must leave that application's objects
    as they are now."""
    try:
        part = newsbots_part(dump.contents, dump.schema, with_schema=not schema_made)
    except NotLoaded as exc:
        raise RestoreError(
            f"newsbot's archive in {backup} depends on another application's objects, which a"
            f" restore does not load ({exc}): drop them from newsbot's tables where the backup"
            f" was taken, and take it again; {LEFT}"
        ) from None
    except NoDependencies:
        raise RestoreError(
            f"pg_restore listed the entries of {backup} without what they depend on (which"
            " `pg_restore --list --verbose` says, and tells newsbot's archive from another"
            " application's in the same database): the pg_restore on the PATH is not"
            f" PostgreSQL's, or is wrapped by something changing what it says; {LEFT}"
        ) from None
    folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="newsbot-restore-"))
    try:
        listed = folder / "newsbot.list"
        await asyncio.to_thread(listed.write_text, part, encoding="utf-8")
        yield listed
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, ignore_errors=True)


async def keep_archive(url: str, backup: Path) -> Path:
    """Dump the archive at `url`, about to be replaced, beside `backup` as
    `DATABASE.replaced-YYYY-MM-DDTHHMM.dump` (UTC; `-2`, `-3` … after it when restored twice in
    a minute): restoring it undoes a restore of the wrong backup. Beside the backup, as that is
    where the archive's dumps are kept (archive.path names no folder of the archive's on
    PostgreSQL). Refuse, the archive left as it was, when it cannot be dumped."""
    folder = await asyncio.to_thread(lambda: backup.absolute().parent)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M")
    name = re.sub(r"[^\w.-]", "_", unquote(urlsplit(url).path.lstrip("/"))) or "archive"
    for attempt in range(1, 1000):
        kept = folder / f"{name}.replaced-{stamp}{'' if attempt == 1 else f'-{attempt}'}.dump"
        if await asyncio.to_thread(os.path.lexists, kept):
            continue
        try:
            await back_up(url, kept)
        except BackupError as exc:
            raise RestoreError(
                f"the archive it would replace could not be kept ({exc}); {LEFT}"
            ) from None
        return kept
    raise RestoreError(f"{folder}: too many archives replaced this minute kept in it; {LEFT}")


async def load_dump(
    url: str,
    backup: Path,
    *,
    keep: bool,
    ended: Collection[str] = (),
    dump: Dump | None = None,
) -> Path | None:
    """Restore the `pg_dump` backup into the PostgreSQL archive at `url`; return where the
    archive it replaced is kept, with `keep` (`keep_archive`: dumped once no publish can
    change it, and removed again if the restore is refused, as the archive is then left as it
    was; kept, and named in the error, if whether the restore committed is not known). What
    the backup holds is `dump`, if read already (`read_dump`). Refused first, before anything
    is locked or dumped, while another application's objects are on newsbot's archive
    (`refuse_what_is_attached`): the restore would drop them."""
    if dump is None:
        dump = await read_dump(url, backup)
    live = await refuse_what_is_attached(url, dump.schema)
    kept: Path | None = None

    async def keeping() -> None:
        nonlocal kept
        kept = await keep_archive(url, backup)

    try:
        async with _newsbots_part(backup, dump, live.schema_made) as listed:
            await _load(url, backup, dump, live.version, listed, ended, keeping if keep else None)
    except _Unsure as exc:  # the archive may be replaced: the dump of it is kept
        where = "" if kept is None else f"; the archive it would replace is kept as {kept}"
        raise RestoreError(f"{exc}{where}") from None
    except RestoreError:
        if kept is not None:
            await asyncio.to_thread(kept.unlink, missing_ok=True)
        raise
    return kept


class _Unsure(RestoreError):
    """psql failed once the restore's COMMIT was sent, and whether it committed is not known."""


_TRANSACTION = re.compile(rb"newsbot restore transaction (\d+)")
"""What psql prints of the restore's transaction (`_guarding`): its id, whose fate the server
tells afterwards (`_fate`)."""


async def _listen(stderr: asyncio.StreamReader, locked: asyncio.Event) -> bytes:
    """All psql says on `stderr` but `_GUARDED`, read as it says it; `locked` set once it says
    `_GUARDED`."""
    said = bytearray()
    while chunk := await stderr.read(1 << 16):
        said += chunk
        if not locked.is_set() and _GUARDED in said:
            locked.set()
    return b"".join(line for line in said.splitlines(keepends=True) if _GUARDED not in line)


async def _fate(tool: str, client_url: str, environment: dict[str, str], said: bytes) -> str:
    """What became of the restore's transaction, whose id psql printed in `said`, as the
    server tells over a connection of its own: `committed`, `aborted`, or `unknown` (the id
    not printed, the server not reached, or it no longer knows)."""
    found = _TRANSACTION.search(said)
    if found is None:
        return "unknown"
    asked = await asyncio.create_subprocess_exec(
        tool, "--no-psqlrc", "--no-password", "--tuples-only", "--no-align",
        f"--command=SELECT txid_status({int(found.group(1))})", f"--dbname={client_url}",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, env=environment,
    )  # fmt: skip
    told, _ = await asked.communicate()
    fate = told.decode(errors="replace").strip()
    return fate if asked.returncode == 0 and fate in ("committed", "aborted") else "unknown"


async def _load(
    url: str,
    backup: Path,
    dump: Dump,
    version: int,
    listed: Path,
    ended: Collection[str],
    guarded: Callable[[], Awaitable[None]] | None,
) -> None:
    """Load the dump `backup` (holding `dump`) into the archive at `url` in one transaction
    run by `psql`: every claim locked out, refused while a process (but those `ended`) holds
    one (`_guarding`); then `guarded` awaited (outside the transaction, which waits for it,
    the claims locked); newsbot's tables and functions, those of its schema `version`,
    dropped in the dump's archive's schema (`clearing`), and `pg_restore`'s script of the
    entries `listed` run (newsbot's: `_newsbots_part`). COMMIT
    is sent only once the whole script is read, what it made checked to be a newsbot
    archive, and marked as a backup taken when `dump` says (`_checking`): a dump `pg_restore`
    cannot read to its end, a statement the server refuses, or another database's dump
    leaves the archive as it was.
    psql failing once COMMIT is sent, the server is asked whether it committed (`_fate`): if
    not known, `_Unsure`."""
    script_tool, loader_tool = _client_tool("pg_restore"), _client_tool("psql")
    pipe = asyncio.subprocess.PIPE
    with pg_client(url, RestoreError) as (client_url, environment):
        loader = await asyncio.create_subprocess_exec(
            loader_tool, "--no-psqlrc", "--quiet", "--no-password", "--set=ON_ERROR_STOP=1",
            f"--dbname={client_url}", stdin=pipe, stdout=pipe, stderr=pipe, env=environment,
        )  # fmt: skip
        assert loader.stdin and loader.stdout and loader.stderr
        drained = asyncio.ensure_future(loader.stdout.read())  # what the script selects
        # Each tool's stderr read as it writes it: a pipe it fills stops it mid-load.
        locked = asyncio.Event()
        listening = asyncio.ensure_future(_listen(loader.stderr, locked))
        script: asyncio.subprocess.Process | None = None
        script_said: asyncio.Future[bytes] | None = None
        stopped = []  # the processes ended here, not of themselves
        commit_sent = False
        try:
            try:
                loader.stdin.write(
                    b"SET client_min_messages = warning;\nBEGIN;\n"
                    + _UNTIMED
                    + b"SELECT 'newsbot restore transaction ' || txid_current();\n"
                    + _guarding(ended, dump.schema)
                )
                await loader.stdin.drain()
                # Only once psql says so are the claims locked: a refusal ends it instead.
                waiting = asyncio.ensure_future(locked.wait())
                await asyncio.wait((waiting, listening), return_when=asyncio.FIRST_COMPLETED)
                waiting.cancel()
                if locked.is_set():
                    if guarded is not None:
                        await guarded()
                    script = await asyncio.create_subprocess_exec(
                        script_tool, "--clean", "--if-exists", "--no-owner", "--file=-",
                        f"--use-list={listed}", str(backup), stdin=asyncio.subprocess.DEVNULL,
                        stdout=pipe, stderr=pipe, env=environment,
                    )  # fmt: skip
                    assert script.stdout and script.stderr
                    script_said = asyncio.ensure_future(script.stderr.read())
                    loader.stdin.write(clearing(dump.schema, version))
                    while chunk := await script.stdout.read(1 << 16):
                        loader.stdin.write(chunk)
                        await loader.stdin.drain()
                    if await script.wait() == 0:
                        loader.stdin.write(_checking(dump.taken, dump.schema) + b"COMMIT;\n")
                        commit_sent = True
                loader.stdin.close()
            except (BrokenPipeError, ConnectionResetError):
                pass  # psql stopped at a statement the server refused: it says which below
            await loader.wait()
        finally:
            for process in (script, loader):
                if process is not None and process.returncode is None:
                    process.kill()
                    stopped.append(process)
                    await process.wait()
            said = await drained
            problems = [b"" if script_said is None else await script_said, await listening]
        # pg_restore's failure first: psql may then fail on the script it cut short.
        for tool, process, problem in zip(
            ("pg_restore", "psql"), (script, loader), problems, strict=True
        ):
            if process is not None and process.returncode != 0 and process not in stopped:
                why = _what_failed(problem.decode(errors="replace"))
                if commit_sent:  # psql failed at the COMMIT, or at a statement before it
                    fate = await _fate(loader_tool, client_url, environment, said)
                    if fate == "committed":
                        return  # the connection lost as it committed: the restore is in
                    if fate == "unknown":
                        raise _Unsure(
                            f"psql failed as it committed the restore of {backup} into"
                            f" {shown_url(url)} ({why}), and whether it did could not be"
                            " learned: the archive may be restored, or left as it was; see"
                            " which (newsbot status) before anything publishes from it"
                        )
                if why.startswith(HELD_BACK):
                    raise RestoreError(f"{why.removeprefix(HELD_BACK)}; {LEFT}")
                if why.startswith(_REFUSED):
                    raise RestoreError(f"{backup} {why.removeprefix(_REFUSED)}; {LEFT}")
                raise RestoreError(
                    f"{tool} could not restore {backup} into {shown_url(url)}: {why}; {LEFT}"
                )
        if not commit_sent:  # psql ended of itself, saying nothing, before the dump was read
            raise RestoreError(
                f"could not restore {backup} into {shown_url(url)}: psql ended before the whole"
                " dump was read; the archive is left as it was"
            )
