"""A real PostgreSQL for the tests: one server per session, reached only through a Unix socket in a private
directory (no TCP), and a fresh empty database for each test that asks for one.

tests/conftest.py imports the fixtures, so any test file can use them:
- `postgres_server`: the session's server (started on first use, stopped and removed at the end);
- `postgres_url`: a postgresql:// URL of a new, empty database (dropped after the test);
- `store_location`: parametrized, so a test runs twice: on a SQLite file in tmp_path, then on `postgres_url`.

Needs Debian's PostgreSQL (`make postgresql` installs it). As root, initdb and the server run as the `postgres`
user (they refuse root) in a directory it owns. Without the binaries, tests needing the server are skipped when
this is not root (nothing could install them) and fail as root, where `make test` would have installed them, or
in CI (`TL_REQUIRE_POSTGRES=1`, set by .ci/run).
"""

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from tl_core.classroom.local_ray import free_port  # the one free-port helper (it names the socket file)

# Durability is not what the tests are about: without fsync, CREATE DATABASE takes ~7 ms instead of ~30 ms.
SERVER_SETTINGS = "-c listen_addresses='' -c fsync=off -c full_page_writes=off -c synchronous_commit=off"


def postgres_binaries() -> Path | None:
    """The directory with initdb and pg_ctl: on the PATH, or Debian's newest /usr/lib/postgresql/N/bin."""
    if initdb := shutil.which("initdb"):
        return Path(initdb).parent
    debian = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    return Path(max(debian, key=lambda path: float(Path(path).parts[-3]))).parent if debian else None


@dataclass
class PostgresServer:
    """A throw-away PostgreSQL cluster; `url()` reaches it through its socket directory."""

    directory: Path  # the cluster's data, its log and its socket
    port: int  # only names the socket file (.s.PGSQL.PORT): there is no TCP listener
    binaries: Path
    as_postgres: list[str]  # the command prefix that runs a server program as its owner
    _admin: psycopg.Connection | None = None
    _numbers: itertools.count = field(default_factory=itertools.count)

    @classmethod
    def start(cls, binaries: Path) -> "PostgresServer":
        directory = Path(tempfile.mkdtemp(prefix="tl-postgres-"))
        as_postgres = []
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            pwd.getpwnam("postgres")  # KeyError: Debian's package creates this user
            shutil.chown(directory, "postgres", "postgres")
            as_postgres = ["runuser", "-u", "postgres", "--"]
        server = cls(directory, free_port(), binaries, as_postgres)
        try:
            server._run(
                "initdb", "-D", "data", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"
            )
            server.start_again()
        except BaseException:
            server.stop()
            raise
        return server

    def start_again(self) -> None:
        """Start the server (again, after `stop_only`) and connect its admin connection."""
        options = f"-p {self.port} -k {self.directory} {SERVER_SETTINGS}"
        self._run("pg_ctl", "-D", "data", "-l", "server.log", "-w", "start", "-o", options)
        self._admin = psycopg.connect(self.url(), autocommit=True)

    def stop_only(self) -> None:
        """Stop the server but keep its data, as when a database server goes down for a while."""
        self._admin.close()
        self._admin = None
        self._run("pg_ctl", "-D", "data", "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql:///{database}?host={self.directory}&port={self.port}&user=postgres"

    def new_database(self) -> str:
        """A new, empty database (from template0: ~7 ms here); its URL."""
        name = f"test_{next(self._numbers)}"
        self._admin.execute(f"CREATE DATABASE {name} TEMPLATE template0 STRATEGY FILE_COPY")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database of `new_database`, closing whatever connections a test left open to it."""
        self._admin.execute(f"DROP DATABASE IF EXISTS {url.split('?')[0].rsplit('/', 1)[1]} WITH (FORCE)")

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
        if (self.directory / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", "data", "-m", "fast", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)

    def _run(self, program: str, *arguments: str) -> None:
        command = [*self.as_postgres, str(self.binaries / program), *arguments]
        result = subprocess.run(command, cwd=self.directory, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            log = self.directory / "server.log"
            raise RuntimeError(
                f"{program} failed ({result.returncode}): {result.stderr or result.stdout}"
                + (log.read_text()[-2000:] if log.exists() else "")
            )


@pytest.fixture(scope="session")
def postgres_server():
    binaries = postgres_binaries()
    if binaries is None:
        if os.geteuid() == 0 or os.environ.get("TL_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is not installed: `make postgresql` installs Debian's (the tests need a server)")
        pytest.skip("PostgreSQL is not installed and this is not root: run `make postgresql` as root to test it")
    server = PostgresServer.start(binaries)
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database for one test; dropped afterwards (with any pool a test left open to it)."""
    from tl_core.storage.workspace import close_reopened

    url = postgres_server.new_database()
    yield url
    close_reopened()  # stores a test unpickled keep their pools for the process, as a trainer does
    postgres_server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request, tmp_path):
    """Where a test's workspaces are: a SQLite file, then (the same test again) a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "workspaces.sqlite3")
    return request.getfixturevalue("postgres_url")
