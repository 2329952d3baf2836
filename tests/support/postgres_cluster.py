"""A throwaway PostgreSQL server for the tests: its own cluster in a temporary folder, on a free port.

The server binaries come from the PostgreSQL 15 server package (`make test` installs it when it is
missing). PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user
and every server command runs through `runuser`. The server is stopped and its folder removed when
the block ends, whatever ends it: a failing test, an exception, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BIN_DIR = Path("/usr/lib/postgresql/15/bin")
BIN_DIR_ENV = "WAREHOUSE_PG_BIN"
SERVER_USER = "postgres"
DATABASE = "retention"
START_ATTEMPTS = 3


class ClusterError(Exception):
    """The throwaway server could not be set up; the message says what to do."""


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    database: str

    def environment(self, database: str | None = None) -> dict[str, str]:
        """The libpq variables profiles.yml reads for the postgres target."""
        return {"PGHOST": self.host, "PGPORT": str(self.port), "PGUSER": self.user,
                "PGDATABASE": database or self.database, "PGPASSWORD": ""}

    def create_database(self, name: str, template: str | None = None) -> None:
        """An empty database, or a copy of `template` (which no session may be connected to meanwhile)."""
        import psycopg2

        connection = psycopg2.connect(host=self.host, port=self.port, user=self.user, dbname="postgres")
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'create database "{name}"' + (f' template "{template}"' if template else ""))
        finally:
            connection.close()


def bin_dir() -> Path:
    return Path(os.environ.get(BIN_DIR_ENV) or DEFAULT_BIN_DIR)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_server_user() -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--"] if os.geteuid() == 0 else []


def _run(command: list[str | Path], what: str) -> None:
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ClusterError(f"{what} failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()[-2000:]}")


def _start(tools: Path, data: Path, root: Path) -> int:
    """Start the server on a free port (another process may take a port between probe and start)."""
    log = root / "server.log"
    for _ in range(START_ATTEMPTS):
        port = free_port()
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        done = subprocess.run(
            [*_as_server_user(), str(tools / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "120",
             "-o", options, "start"],
            capture_output=True, text=True, check=False,
        )
        if done.returncode == 0:
            return port
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else done.stderr
    raise ClusterError(f"pg_ctl start failed {START_ATTEMPTS} times; server log:\n{tail}")


def _raise_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(f"terminated by signal {signum}: stopping the throwaway PostgreSQL server")


@contextmanager
def throwaway_cluster(tools: Path | None = None) -> Iterator[PostgresServer]:
    """A running PostgreSQL server with an empty database `retention`, stopped and removed afterwards."""
    tools = tools or bin_dir()
    missing = [name for name in ("initdb", "pg_ctl") if not (tools / name).is_file()]
    if missing:
        raise ClusterError(
            f"{', '.join(str(tools / name) for name in missing)} not found: install the PostgreSQL 15 server "
            f"(apt-get install postgresql-15; `make test` does) or point {BIN_DIR_ENV} at its bin folder"
        )
    root = Path(tempfile.mkdtemp(prefix="warehouse-pg-"))
    data = root / "data"
    previous_handler = signal.signal(signal.SIGTERM, _raise_on_sigterm)
    started = False
    try:
        if os.geteuid() == 0:
            shutil.chown(root, user=SERVER_USER)
        _run([*_as_server_user(), tools / "initdb", "-D", data, "-U", SERVER_USER, "-A", "trust", "-E", "UTF8",
              "--locale=C", "--no-sync"], "initdb")
        port = _start(tools, data, root)
        started = True
        server = PostgresServer("127.0.0.1", port, SERVER_USER, DATABASE)
        server.create_database(DATABASE)
        yield server
    finally:
        if started:
            subprocess.run([*_as_server_user(), str(tools / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                            "stop"], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous_handler)
