"""The archive URL's secrets never reach the command line of PostgreSQL's client tools, which
every user of the machine can read (`ps`, /proc/PID/cmdline), nor newsbot's output."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from bot.errors import NewsbotError
from bot.pg_tools import pg_client
from bot.store.postgres.database import url_problem
from tests.conftest import ISSUES
from tests.pg_server import PASSWORD_ROLE, ROLE_PASSWORD, PgServer
from tests.test_restore import newsbot
from tests.test_restore_foreign import index_made_a_view

SSL_SECRET = "ssl-key-passphrase-never-shown-41x"
"""The passphrase of a client's TLS key, given in the URL's query (`sslpassword=`)."""

SHIM = """#!{python}
import json, os, stat, sys
service = os.environ.get("PGSERVICEFILE")
seen = {{"argv": sys.argv, "service": None}}
if service:
    with open(service, encoding="utf-8") as file:
        seen["service"] = [file.read(), stat.S_IMODE(os.stat(service).st_mode), service]
with open({record!r}, "a", encoding="utf-8") as record:
    record.write(json.dumps(seen) + "\\n")
os.execv({real!r}, [{real!r}, *sys.argv[1:]])
"""
"""A client tool standing in for the real one at `real`: it records its command line, and the
service file its environment names, then becomes the real tool (the same process)."""


def recording_path(folder: Path, record: Path) -> str:
    """A PATH whose pg_dump, pg_restore and psql record how they were run into `record`."""
    folder.mkdir()
    for name in ("pg_dump", "pg_restore", "psql"):
        real = shutil.which(name)
        assert real, f"{name} is not installed"
        shim = folder / name
        shim.write_text(SHIM.format(python=sys.executable, real=real, record=str(record)))
        shim.chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


def tool_runs(record: Path) -> list[dict[str, Any]]:
    """How each client tool was run, as its shim recorded it."""
    return [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]


def secrets_in(text: str) -> list[str]:
    """The secrets of the URL, or pieces of them, that `text` shows."""
    pieces = [ROLE_PASSWORD, quote(ROLE_PASSWORD, safe=""), SSL_SECRET]
    pieces += [piece for piece in re.split(r"[^A-Za-z0-9]+", ROLE_PASSWORD) if len(piece) >= 4]
    return [piece for piece in pieces if piece in text]


@pytest.mark.parametrize("where", ["user", "query"])
async def test_no_secret_of_the_url_reaches_a_client_tools_command_line(
    where: str, pg_server: PgServer, pg_url: str, tmp_path: Path
) -> None:
    """A role the server lets in only with its password: the backup and the restore work, so
    the tools were given it, yet none of their command lines holds it, nor the passphrase of
    the TLS key (given in a file only newsbot's user reads, removed after)."""
    address = pg_url.removeprefix("postgresql://postgres@")
    password = quote(ROLE_PASSWORD, safe="")
    url = (
        f"postgresql://{PASSWORD_ROLE}:{password}@{address}?sslpassword={SSL_SECRET}"
        if where == "user"
        else f"postgresql://{PASSWORD_ROLE}@{address}?sslpassword={SSL_SECRET}&password={password}"
    )
    record = tmp_path / "tools.jsonl"
    folder = tmp_path / "issues"
    folder.mkdir()
    env = {
        "NEWSBOT_ARCHIVE__URL": url,
        "NEWSBOT_ISSUES__DIRECTORY": str(folder),
        "PATH": recording_path(tmp_path / "bin", record),
    }
    dump = tmp_path / "newsbot-Mon.dump"
    said = []
    for args in (["ingest", str(ISSUES / "202.md")], ["backup", str(dump)], ["restore", str(dump)]):
        code, out, err = await newsbot("-v", *args, env=env)
        assert code == 0, err
        said.append(out + err)
    # A failure of a tool given the URL's secrets, told with what the server said.
    await asyncio.to_thread(index_made_a_view, pg_url)
    code, out, err = await newsbot("-v", "restore", str(dump), env=env)
    told = " ".join(err.split())
    assert code == 1 and f"error: psql could not restore {dump} into " in told, err
    assert '"issues_by_date" is not an index; the archive is left as it was' in told, err
    said.append(out + err)
    # The last psql is the load's (pg_restore, piped into it, starts beside it in any order).
    ran = await asyncio.to_thread(tool_runs, record)
    failed = [run for run in ran if Path(run["argv"][0]).name == "psql"][-1]
    assert failed["service"] is not None
    assert [secrets_in(text) for text in said] == [[]] * len(said)

    runs = await asyncio.to_thread(tool_runs, record)
    tools = [Path(run["argv"][0]).name for run in runs]
    assert {"pg_dump", "pg_restore", "psql"} <= set(tools), tools
    for run in runs:
        assert secrets_in(" ".join(run["argv"])) == [], run["argv"]
        if Path(run["argv"][0]).name == "pg_restore":
            continue  # it reads a file only: psql sends its script to the server
        text, mode, service = run["service"]
        assert mode == 0o600
        assert f"sslpassword={SSL_SECRET}\n" in text
        assert not await asyncio.to_thread(Path(service).exists)  # removed after


def test_a_secret_that_cannot_be_given_but_on_the_command_line_is_refused() -> None:
    """No line break nor ending space fits a service file's line; a service the URL names
    would be looked for in the file newsbot writes."""
    for url, said in [
        ("postgresql://u@h/db?sslpassword=two%0Alines", "holds a line break or ends with a space"),
        ("postgresql://u@h/db?sslpassword=spaced%20", "holds a line break or ends with a space"),
        ("postgresql://u@h/db?service=main&sslpassword=s3cret", "put it in that service's entry"),
    ]:
        with pytest.raises(NewsbotError, match=said) as refused, pg_client(url):
            pass
        assert "s3cret" not in str(refused.value) and "lines" not in str(refused.value)


def test_the_url_given_to_the_tools_keeps_all_but_its_secrets() -> None:
    url = "postgresql://u:a%40b@h:5433/db?sslmode=require&pass%77ord=c%26d&application_name=x"
    with pg_client(url) as (client_url, environment):
        assert client_url == "postgresql://u@h:5433/db?sslmode=require&application_name=x"
        assert environment["PGPASSWORD"] == "c&d"  # the query's, as libpq prefers it
        assert "PGSERVICEFILE" not in environment


@pytest.mark.parametrize(
    "key", ["sslpassword", "oauth_client_secret", "scram_client_key", "scram_server_key"]
)
def test_every_secret_libpq_reads_in_a_query_goes_in_the_service_file(key: str) -> None:
    """Each lets a client in, or unlocks what does (libpq 18's SCRAM keys as a password does):
    out of the URL the tools see, and of what newsbot shows, into the file only its user reads."""
    secret = "c2VjcmV0LW5ldmVyLXNob3du"
    url = f"postgresql://u@h:5433/db?sslmode=require&{key}={secret}&application_name=x"
    with pg_client(url) as (client_url, environment):
        assert client_url == "postgresql://u@h:5433/db?sslmode=require&application_name=x"
        service = Path(environment["PGSERVICEFILE"])
        assert service.read_text(encoding="utf-8") == f"[newsbot]\n{key}={secret}\n"
    assert not service.exists()
    # Read as a secret where the URL is checked too: one not percent-encoded is refused.
    assert url_problem(f"postgresql://u@h/db?{key}=two words") == (
        "its query's password holds a space, which must be percent-encoded as %20"
    )


def test_a_secret_that_is_no_utf_8_reaches_the_tools_byte_for_byte() -> None:
    """libpq decodes %FF to the byte 0xFF, whatever the text around it: so must newsbot, in the
    environment and in the service file, or the tools are given another password."""
    url = "postgresql://u:caf%E9@h/db?sslpassword=cl%E9%FF"
    with pg_client(url) as (client_url, environment):
        assert client_url == "postgresql://u@h/db"
        assert os.fsencode(environment["PGPASSWORD"]) == b"caf\xe9"
        service = Path(environment["PGSERVICEFILE"]).read_bytes()
    assert service == b"[newsbot]\nsslpassword=cl\xe9\xff\n"
