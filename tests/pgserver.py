"""The tests' PostgreSQL + PostGIS: GRIDBOARD_TEST_PG, else 127.0.0.1:5432, else a throwaway one."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg

from tests.procutil import free_port

MACHINE = "postgresql://postgres@127.0.0.1:5432/postgres"  # trust on loopback here and in CI
BIN = Path("/usr/lib/postgresql/15/bin")  # Debian's postgresql-15 (make postgis installs it)


@contextlib.contextmanager
def server() -> Iterator[str]:
    """An admin URL of a server with PostGIS available: the one GRIDBOARD_TEST_PG names, the
    machine's, or a cluster started here in a temporary folder (stopped and removed after)."""
    named = os.environ.get("GRIDBOARD_TEST_PG")
    if named:
        yield named
    elif has_postgis(MACHINE):
        yield MACHINE
    else:
        with throwaway() as cluster:
            yield cluster.url


def url_of(conninfo: str, **query: str) -> str:
    """A postgresql:// URL (what gridboard takes) of a libpq address, with `query` added."""
    parts = psycopg.conninfo.conninfo_to_dict(conninfo)
    user = quote(str(parts.get("user", "postgres")), safe="")
    host, port = parts.get("host", "127.0.0.1"), parts.get("port", "5432")
    tail = f"?{urlencode(query)}" if query else ""
    return f"postgresql://{user}@{host}:{port}/{quote(str(parts.get('dbname', '')))}{tail}"


def with_database(admin: str, name: str) -> str:
    """The URL of database `name` on the server of `admin`."""
    return url_of(psycopg.conninfo.make_conninfo(admin, dbname=name))


def has_postgis(url: str) -> bool:
    """Whether `url` answers and its server offers the postgis extension."""
    try:
        with psycopg.connect(url, connect_timeout=3) as con:
            sql = "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
            return con.execute(sql).fetchone() is not None
    except psycopg.Error:
        return False


def create_database(admin: str, name: str) -> str:
    """A new database `name` with PostGIS, byte-ordered text (as SQLite orders it); its URL."""
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(
            f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING UTF8'
            " LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
        )
    url = with_database(admin, name)
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("CREATE EXTENSION postgis")
    return url


def has_database(admin: str, name: str) -> bool:
    with psycopg.connect(admin, autocommit=True) as con:
        sql = "SELECT 1 FROM pg_database WHERE datname = %s"
        return con.execute(sql, (name,)).fetchone() is not None


@contextlib.contextmanager
def database(admin: str, name: str) -> Iterator[str]:
    """A database `name` with PostGIS on the server of `admin`, byte-ordered text (as SQLite
    orders it), dropped afterwards; yields its URL."""
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    try:
        yield create_database(admin, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Cluster:
    """A PostgreSQL cluster in a temporary folder on a free port (initdb + pg_ctl, as the
    postgres user when run as root: both refuse root); no fsync: it lives for a test run."""

    def __init__(self) -> None:
        if not (BIN / "initdb").exists():
            raise RuntimeError(
                f"no PostgreSQL at {BIN} and none on 127.0.0.1:5432: run `make postgis`"
            )
        self.folder = Path(tempfile.mkdtemp(prefix="gridboard-pg-"))
        self.data, self.port = self.folder / "data", free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        _as_owner([BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8"])

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = self.folder / "log"
        _as_owner([BIN / "pg_ctl", "-D", self.data, "-o", options, "-l", log, "-w", "start"])

    def stop(self, mode: str = "fast") -> None:
        _as_owner([BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"])

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def throwaway() -> Iterator[Cluster]:
    """A Cluster started, and stopped and removed afterwards."""
    cluster = Cluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


def _as_owner(command: list) -> None:
    argv = [str(part) for part in command]
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    subprocess.run(argv, check=True, capture_output=True, cwd="/")
