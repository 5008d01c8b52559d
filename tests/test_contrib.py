"""The deployment files in contrib/: the systemd units run real newsbot commands, the secrets
file lists exactly newsbot's secret settings."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot._settings_plain import without_settings
from bot.cli import app
from bot.settings import env_name, load_settings, secret_keys
from tests.conftest import ISSUES, ROOT, clear_settings

CONTRIB = ROOT / "contrib"
BINARY = "/opt/newsbot/.venv/bin/newsbot"
CONFIG = "/etc/newsbot/config.toml"
STATE = "/var/lib/newsbot"
SECRETS = "/etc/newsbot/secrets.env"

Unit = dict[str, dict[str, list[str]]]


def read_unit(path: Path) -> Unit:
    """A systemd unit file as {section: {key: [values, in order]}}."""
    unit: Unit = {}
    section: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = unit.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        section.setdefault(key.strip(), []).append(value.strip())
    return unit


def command_line(value: str) -> list[str]:
    """ExecStart's words as systemd passes them: `%%` and `$$` unescaped, then split."""
    return shlex.split(value.replace("%%", "%").replace("$$", "$"))


def with_config(words: list[str], config: Path) -> list[str]:
    assert words[0] == BINARY
    assert words[1:3] == ["--config", CONFIG]
    return ["--config", str(config), *words[3:]]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """config.example.toml, as /etc/newsbot/config.toml would start out."""
    copy = tmp_path / "config.toml"
    shutil.copy(ROOT / "config.example.toml", copy)
    return copy


def test_the_service_runs_newsbot_run_with_the_config(config: Path) -> None:
    service = read_unit(CONTRIB / "newsbot.service")["Service"]
    (exec_start,) = service["ExecStart"]
    args = with_config(command_line(exec_start), config)
    assert args[2:] == ["run"]
    # The callback loads the config, then `run --help` shows that the command exists.
    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "until stopped" in result.stdout


@pytest.mark.parametrize("unit", ["newsbot.service", "newsbot@.service"])
def test_the_service_is_not_restarted_after_a_problem_only_its_editor_can_mend(
    unit: str, config: Path
) -> None:
    service = read_unit(CONTRIB / unit)["Service"]
    assert service["Restart"] == ["on-failure"]
    (prevent,) = service["RestartPreventExitStatus"]
    (exec_start,) = service["ExecStart"]
    args = with_config(command_line(exec_start), config)
    env = without_settings(os.environ)
    # No token in the unit's secrets file: the same status as a refused one.
    result = CliRunner().invoke(app, args, env=env)
    assert "NEWSBOT_DISCORD__TOKEN" in result.stderr
    assert result.exit_code == int(prevent)
    result = CliRunner().invoke(app, args, env={**env, "NEWSBOT_SCHEDULE__CRON": "daily"})
    assert "NEWSBOT_SCHEDULE__CRON" in result.stderr
    assert result.exit_code == int(prevent)
    # An archive path that can be no archive (its folder missing): a setting to change too.
    missing = {**env, "NEWSBOT_DISCORD__TOKEN": "token", "NEWSBOT_ARCHIVE__PATH": "/no/such/a.db"}
    result = CliRunner().invoke(app, args, env=missing)
    assert "cannot open the archive /no/such/a.db: folder /no/such does not exist" in result.stderr
    assert result.exit_code == int(prevent)


@pytest.mark.parametrize("unit", ["newsbot.service", "newsbot@.service", "newsbot-backup.service"])
def test_the_units_start_once_the_folders_they_use_are_mounted(
    unit: str, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A data disk mounted after boot: started before it, newsbot found the archive's folder
    missing and exited 78, which is not restarted. Each unit waits for the mounts of every
    folder it may write (systemd.unit(5), RequiresMountsFor=), the archive's and the issue
    files' where config.example.toml and README's Deploying put them among them."""
    read = read_unit(CONTRIB / unit)
    mounted = [Path(path) for path in " ".join(read["Unit"]["RequiresMountsFor"]).split()]
    service = read["Service"]
    writable = [Path(path) for path in " ".join(service["ReadWritePaths"]).split()]
    assert set(writable) <= set(mounted)
    (working,) = service["WorkingDirectory"]
    clear_settings(monkeypatch)
    settings = load_settings(config)
    deployed = [Path(STATE) / "newsbot.db", Path(STATE) / "issues"]
    for place in [settings.archive.path, settings.issues.directory, *deployed]:
        where = Path(working) / place  # a relative path is read from the working directory
        assert any(where.is_relative_to(folder) for folder in mounted), where


def test_systemd_takes_every_line_of_the_units(tmp_path: Path) -> None:
    """A misspelt key (`RequiresMountFor=`) is ignored by systemd with a warning at boot, the
    protection it meant never in place: systemd-analyze reads the units as systemd does."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    names = ["newsbot.service", "newsbot-backup.service", "newsbot-backup.timer"]
    for name in [*names, "newsbot@.service"]:
        # Its binary is checked to exist: one that does stands in for newsbot's.
        text = (CONTRIB / name).read_text(encoding="utf-8").replace(BINARY, "/bin/true")
        (tmp_path / name.replace("@.", "@0.")).write_text(text, encoding="utf-8")
    units = [str(tmp_path / name) for name in [*names, "newsbot@0.service"]]
    done = subprocess.run(
        [analyze, "verify", "--man=no", *units],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stderr


def test_the_service_is_restarted_after_a_problem_that_may_pass(config: Path) -> None:
    """The archive's server out of reach (restarting, the network not up yet): restarted."""
    service = read_unit(CONTRIB / "newsbot.service")["Service"]
    (prevent,) = service["RestartPreventExitStatus"]
    (exec_start,) = service["ExecStart"]
    args = with_config(command_line(exec_start), config)
    env = without_settings(os.environ) | {
        "NEWSBOT_DISCORD__TOKEN": "token",
        "NEWSBOT_ARCHIVE__URL": f"postgresql://newsbot@127.0.0.1:{_closed_port()}/newsbot",
    }
    result = CliRunner().invoke(app, args, env=env)
    assert "cannot reach the archive at postgresql://127.0.0.1:" in result.stderr
    assert result.exit_code not in (0, int(prevent))


def _closed_port() -> int:
    """A loopback port nothing listens on (just freed by the system)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_service_stops_with_sigterm_and_time_to_finish_a_step() -> None:
    service = read_unit(CONTRIB / "newsbot.service")["Service"]
    (kill_signal,) = service["KillSignal"]
    assert signal.Signals[kill_signal] is signal.SIGTERM
    (timeout,) = service["TimeoutStopSec"]
    assert int(timeout) >= 30
    assert service["Restart"] == ["on-failure"]


def test_the_service_can_write_only_its_own_folder() -> None:
    service = read_unit(CONTRIB / "newsbot.service")["Service"]
    assert service["User"] == service["Group"] == ["newsbot"]
    assert service["ProtectSystem"] == ["strict"]
    assert service["WorkingDirectory"] == [STATE]
    assert service["ReadWritePaths"] == [STATE]
    for setting in ("NoNewPrivileges", "PrivateTmp", "ProtectHome"):
        assert service[setting] == ["yes"], setting


def test_the_secrets_file_lists_exactly_the_secret_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = read_unit(CONTRIB / "newsbot.service")["Service"]
    assert service["EnvironmentFile"] == ["/etc/newsbot/secrets.env"]
    text = (CONTRIB / "secrets.env.example").read_text(encoding="utf-8")
    names = re.findall(r"(?m)^([A-Z0-9_]+)=$", text)
    assert sorted(names) == sorted(env_name(key) for key in secret_keys())
    # The archive's URL is read as one: its secret is the password inside.
    values = {
        name: f"postgresql://newsbot:dummy-secret-{number}@db/newsbot"
        if name == env_name("archive.url")
        else f"dummy-secret-{number}"
        for number, name in enumerate(names)
    }
    for name, secret in values.items():
        monkeypatch.setenv(name, secret)
    settings = load_settings()
    for name, secret in values.items():
        (key,) = [key for key in secret_keys() if env_name(key) == name]
        section, field = key.split(".")
        value = getattr(getattr(settings, section), field)
        assert value is not None and value.get_secret_value() == secret, name


def run_backup_service(
    tmp_path: Path, config: Path, secrets: str
) -> subprocess.CompletedProcess[str]:
    """The backup service's command run as systemd runs it: with no variable of newsbot's but
    those its EnvironmentFile= gives (`secrets`, written where the unit reads it) less those
    its UnsetEnvironment= names, the paths under /var/lib/newsbot moved into `tmp_path`."""
    service = read_unit(CONTRIB / "newsbot-backup.service")["Service"]
    (exec_start,) = service["ExecStart"]
    shell, option, script = command_line(exec_start)
    assert (shell, option) == ("/bin/sh", "-c")
    (tmp_path / "backups").mkdir(exist_ok=True)
    script = (
        script.replace(BINARY, f"{shlex.quote(sys.executable)} -m bot")
        .replace(CONFIG, str(config))
        .replace(f"{STATE}/", f"{tmp_path}/")
    )
    environment = without_settings(os.environ)
    if service.get("EnvironmentFile") == [SECRETS]:
        for line in secrets.splitlines():
            name, equals, value = line.partition("=")
            if equals and not name.startswith("#"):
                environment[name.strip()] = value.strip()
    for name in " ".join(service.get("UnsetEnvironment", [])).split():
        environment.pop(name, None)
    return subprocess.run(
        ["/bin/sh", "-c", script],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_backup_service_writes_a_backup_a_weekday(tmp_path: Path, config: Path) -> None:
    service = read_unit(CONTRIB / "newsbot-backup.service")["Service"]
    assert service["Type"] == ["oneshot"] and service["User"] == ["newsbot"]
    assert service["ReadWritePaths"] == [STATE]
    db = tmp_path / "archive.db"
    ingested = CliRunner().invoke(app, ["--db", str(db), "ingest", str(ISSUES / "202.md")])
    assert ingested.exit_code == 0, ingested.stderr
    config.write_text(
        config.read_text(encoding="utf-8").replace('path = "newsbot.db"', f'path = "{db}"'),
        encoding="utf-8",
    )
    for _ in range(2):  # the second run replaces the first
        done = run_backup_service(tmp_path, config, secrets="")
        assert done.returncode == 0, done.stderr
    (backup,) = (tmp_path / "backups").iterdir()
    assert re.fullmatch(r"newsbot-(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\.db", backup.name)
    assert "1 issue(s), 18 item(s)" in done.stdout


def test_the_backup_service_dumps_an_archive_on_postgresql(
    tmp_path: Path, config: Path, pg_url: str
) -> None:
    """The archive's URL is in secrets.env, as README's Deploying says: the backup service
    reads that file too, and may reach the database server."""
    service = read_unit(CONTRIB / "newsbot-backup.service")["Service"]
    # Without the network, pg_dump could not reach the server (systemd.exec: PrivateNetwork).
    assert service.get("PrivateNetwork", ["no"]) == ["no"]
    env = without_settings(os.environ) | {"NEWSBOT_ARCHIVE__URL": pg_url}
    ingested = subprocess.run(
        [sys.executable, "-m", "bot", "ingest", str(ISSUES / "202.md")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ingested.returncode == 0, ingested.stderr
    done = run_backup_service(
        tmp_path, config, secrets=f"# secrets\nNEWSBOT_ARCHIVE__URL={pg_url}\n"
    )
    assert done.returncode == 0, done.stderr
    (backup,) = (tmp_path / "backups").iterdir()
    assert backup.read_bytes().startswith(b"PGDMP")
    assert "1 issue(s), 18 item(s)" in done.stdout


def test_the_backup_service_sees_no_secret_but_the_archives_url() -> None:
    """The backup reads secrets.env for the archive's URL; the platforms' tokens are taken
    out of its environment, every one of them (a secret added to newsbot must be added here)."""
    service = read_unit(CONTRIB / "newsbot-backup.service")["Service"]
    assert service["EnvironmentFile"] == [SECRETS]
    unset = " ".join(service.get("UnsetEnvironment", [])).split()
    assert sorted(unset) == sorted(env_name(key) for key in secret_keys() if key != "archive.url")


def test_the_backup_timer_starts_the_backup_daily() -> None:
    timer = read_unit(CONTRIB / "newsbot-backup.timer")
    assert timer["Timer"]["OnCalendar"] == ["daily"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]
    assert (CONTRIB / "newsbot-backup.service").exists(), "the timer starts its namesake"


def test_the_shard_template_runs_one_shard_per_instance(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = read_unit(CONTRIB / "newsbot@.service")
    single = read_unit(CONTRIB / "newsbot.service")
    # The same service, hardening and all, but for the instance's shard.
    (environment,) = template["Service"].pop("Environment")
    assert template["Service"] == single["Service"]
    assert {**template["Unit"], "Description": []} == {**single["Unit"], "Description": []}
    assert template["Install"] == single["Install"]
    config.write_text(
        config.read_text(encoding="utf-8").replace("# shard_count = 2", "shard_count = 2"),
        encoding="utf-8",
    )
    for instance in ("0", "1"):
        name, _, value = environment.replace("%i", instance).partition("=")
        monkeypatch.setenv(name, value)
        assert load_settings(config).discord.shards() == (int(instance),)
