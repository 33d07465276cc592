"""Workspaces: named collections of labelled samples, kept in an embedded SQLite database (WAL), or in
PostgreSQL when `TL_DATABASE_URL` names a server (several app servers, trainers on other machines).

`WorkspaceStore` is where the pages and the `workspace` command start: it opens a workspace by name (creating
it the first time), makes new ones under generated names, lists them, and removes those untouched for
`TL_RETENTION_DAYS` (default 30) with everything in them. It pickles as where it is (a trainer in another process
reopens the same database), except a temporary one, which exists in this process only.

The rest of storage, one concept a module: `database` (the SQLite file, its tables and what can go wrong with
it), `postgres` (the same tables in a PostgreSQL server), `contents` (one workspace: classes, samples, runs,
corrections), `runs` (what a kept run is), `names` (workspace names and class labels), `errors`. Their public
names are importable from here as well, so a caller needs only this module.
"""

from __future__ import annotations

import logging
import math
import os
import pickle
import threading
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Self

from tl_core.data.mnist import data_dir
from tl_core.storage.contents import MAX_CLASSES, MAX_CORRECTIONS, MAX_SAMPLES, SOURCES, Correction, Sample, Workspace
from tl_core.storage.database import DB_FILE, Connection, Database, DatabaseDamaged, drop_unused_models
from tl_core.storage.errors import DAMAGED, READ_ONLY, UNREACHABLE, UNUSABLE, StorageError, WorkspaceError
from tl_core.storage.names import (
    GENERATED_NAME_BYTES,
    MAX_LABEL_CHARS,
    WORKSPACE_NAME,
    new_workspace_name,
    validate_label,
    validate_workspace_name,
)
from tl_core.storage.runs import COMPARISON_MODELS, KeptRun

if TYPE_CHECKING:  # imported when a URL is opened: SQLite users never load psycopg
    from tl_core.storage.postgres import PostgresDatabase

# What callers import from here: this module's own names, then those gathered from contents, runs, database, errors,
# names.
__all__ = [
    "WorkspaceStore",
    "WorkspaceInfo",
    "store_location",
    "reopen",
    "close_reopened",
    "DATABASE_URL_VARIABLE",
    "retention_days",
    "RETENTION_VARIABLE",
    "DEFAULT_RETENTION_DAYS",
    "TOUCH_EVERY_SECONDS",
    "RETENTION_EVERY_SECONDS",
    "Workspace",
    "Sample",
    "Correction",
    "KeptRun",
    "COMPARISON_MODELS",
    "MAX_CLASSES",
    "MAX_SAMPLES",
    "SOURCES",
    "MAX_CORRECTIONS",
    "DB_FILE",
    "DAMAGED",
    "READ_ONLY",
    "UNUSABLE",
    "UNREACHABLE",
    "DatabaseDamaged",
    "StorageError",
    "WorkspaceError",
    "validate_workspace_name",
    "validate_label",
    "new_workspace_name",
    "WORKSPACE_NAME",
    "MAX_LABEL_CHARS",
    "GENERATED_NAME_BYTES",
]

DATABASE_URL_VARIABLE = "TL_DATABASE_URL"  # postgresql://...: workspaces in that server instead of the SQLite file
RETENTION_VARIABLE = "TL_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 30  # a term's unit, with room to come back after a holiday; 0 keeps everything
TOUCH_EVERY_SECONDS = 3600  # "last used" is kept to the hour: a page visit is a read, not a write, most times
RETENTION_EVERY_SECONDS = 24 * 3600  # the app removes stale workspaces at start and then once a day

log = logging.getLogger(__name__)


def store_location() -> str:
    """Where this server keeps its workspaces: `TL_DATABASE_URL` if set, else `$TL_DATA_DIR/workspaces.sqlite3`."""
    return os.environ.get(DATABASE_URL_VARIABLE, "").strip() or str(data_dir() / DB_FILE)


def retention_days() -> float:
    """`TL_RETENTION_DAYS`: days a workspace may stay untouched before it is removed; 0 keeps everything."""
    raw = os.environ.get(RETENTION_VARIABLE, "")
    try:
        days = float(raw) if raw.strip() else DEFAULT_RETENTION_DAYS
    except ValueError:
        days = math.nan
    if not math.isfinite(days) or days < 0:
        log.warning("%s=%r is not a number of days >= 0; using %s.", RETENTION_VARIABLE, raw, DEFAULT_RETENTION_DAYS)
        return DEFAULT_RETENTION_DAYS
    return days


@dataclass(frozen=True)
class WorkspaceInfo:
    """One workspace in a listing (the teacher's command, retention)."""

    name: str
    charset: str | None
    created: float
    last_used: float
    classes: int
    samples: int
    runs: int


class WorkspaceStore:
    """Every workspace on this server, in one database: a PostgreSQL server (`postgres`), or the SQLite file
    (`database`, which also says what happens when the file cannot be used)."""

    _last_retention = -math.inf  # time.monotonic() of the last retention pass

    def __init__(self, location: Path | str | None = None) -> None:
        """`location`: a postgresql:// URL or the SQLite file's path; by default `store_location()`."""
        self.database = _open(store_location() if location is None else location)

    @classmethod
    def open_or_memory(cls, location: Path | str | None = None) -> Self:
        """The database if it can be used; otherwise a temporary one, whose `problem` says why to the page (for
        the SQLite file see `Database.open_or_memory`; a PostgreSQL server is named in the log, without password)."""
        location = store_location() if location is None else location
        if not _is_url(location):
            return cls._holding(Database.open_or_memory(location))
        try:
            return cls(location)
        except StorageError as error:  # postgres.DatabaseUnavailable: the message names the server, not its password
            log.error("Workspace database server %s; working on an empty temporary database.", error)
            return cls._holding(Database.temporary(UNREACHABLE))

    @classmethod
    def _holding(cls, database: Database) -> Self:
        store = cls.__new__(cls)
        store.database = database
        return store

    # --- the database behind it ------------------------------------------------------------------------
    @property
    def problem(self) -> str | None:
        """Why this store is not the database it should be (a temporary one), in words for the page; or None."""
        return self.database.problem

    @property
    def path(self) -> Path | None:
        """The SQLite file (for a temporary store, the file it stands in for); None on PostgreSQL."""
        return self.database.path if isinstance(self.database, Database) else None

    @property
    def location(self) -> str:
        """Where the workspaces are, for logs and messages (never with a password)."""
        return self.database.location

    def connect(self, write: bool = False, workspace: str | None = None) -> AbstractContextManager[Connection]:
        """A connection for one operation (see `Database.connect` and `PostgresDatabase.connect`): a write names
        the workspace it changes, or none for a store-wide change."""
        return self.database.connect(write, workspace)

    def json_field_is(self, field: str, value: str) -> tuple[str, tuple[str, str]]:
        return self.database.json_field_is(field, value)

    def close(self) -> None:
        """Give back the database's connections (PostgreSQL's pool); the store cannot be used afterwards."""
        self.database.close()

    def __reduce__(self) -> tuple:
        if self.problem is not None:
            raise pickle.PicklingError(
                "This workspace store is a temporary database that exists in this process only "
                f"({self.location}), so another process cannot open it."
            )
        return reopen, (self.database.address,)

    def __repr__(self) -> str:
        return f"WorkspaceStore({self.location!r})"

    # --- workspaces --------------------------------------------------------------------------------------
    def workspace(self, name: str) -> Workspace:
        """The workspace `name`, created empty if it does not exist yet."""
        validate_workspace_name(name)
        now = time.time()
        with self.connect() as connection:
            row = connection.execute("SELECT COALESCE(touched, created) FROM workspaces WHERE name = ?", (name,))
            row = row.fetchone()
        if row and row[0] > now - TOUCH_EVERY_SECONDS:
            return Workspace(self, name)  # the common case, on every rerun: a read, no write lock
        with self.connect(write=True, workspace=name) as connection:
            connection.execute(
                "INSERT INTO workspaces (name, charset, created, touched) VALUES (?, NULL, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET touched = excluded.touched",
                (name, now, now),
            )
        return Workspace(self, name)

    def new_workspace(self) -> Workspace:
        """A new, empty workspace under a freshly generated name that no workspace has ever had here."""
        while True:
            name, now = new_workspace_name(), time.time()
            with self.connect(write=True, workspace=name) as connection:
                created = connection.execute(
                    "INSERT INTO workspaces (name, charset, created, touched) VALUES (?, NULL, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (name, now, now),
                ).rowcount
            if created:  # else the 96-bit name was taken (practically never): draw another, never share one
                return Workspace(self, name)

    def exists(self, name: str) -> bool:
        """Whether a workspace of that name is kept here (without creating it)."""
        with self.connect() as connection:
            return connection.execute("SELECT 1 FROM workspaces WHERE name = ?", (name,)).fetchone() is not None

    # --- listing and retention -----------------------------------------------------------------------
    def list_workspaces(self, older_than_days: float | None = None) -> list[WorkspaceInfo]:
        """Every workspace (or those unused for more than `older_than_days`), least recently used first."""
        cutoff = time.time() - older_than_days * 86400 if older_than_days is not None else math.inf
        with self.connect() as connection:
            rows = connection.execute(
                "SELECT w.name, w.charset, w.created, COALESCE(w.touched, w.created) AS last_used, "
                "(SELECT COUNT(*) FROM classes c WHERE c.workspace = w.name), "
                "(SELECT COUNT(*) FROM samples s WHERE s.workspace = w.name), "
                "(SELECT COUNT(*) FROM runs r WHERE r.workspace = w.name) "
                "FROM workspaces w WHERE COALESCE(w.touched, w.created) < ? ORDER BY last_used, w.name",
                (cutoff,),
            ).fetchall()
        return [WorkspaceInfo(*row) for row in rows]

    def delete_workspace(self, name: str) -> bool:
        """Remove a workspace with its classes, samples and runs; False if there was none."""
        with self.connect(write=True) as connection:  # store-wide: it drops models other workspaces may share
            deleted = connection.execute("DELETE FROM workspaces WHERE name = ?", (name,)).rowcount
            drop_unused_models(connection)
        return deleted > 0

    def purge(self, older_than_days: float) -> list[str]:
        """Remove every workspace unused for more than `older_than_days`; returns their names."""
        cutoff = time.time() - older_than_days * 86400
        with self.connect(write=True) as connection:
            stale = "FROM workspaces WHERE COALESCE(touched, created) < ?"
            names = [name for (name,) in connection.execute(f"SELECT name {stale} ORDER BY name", (cutoff,))]
            connection.execute(f"DELETE {stale}", (cutoff,))
            drop_unused_models(connection)
        return names

    def apply_retention(self, days: float | None = None) -> list[str]:
        """The app's retention pass (`TL_RETENTION_DAYS`), at most once a day per process; removed names."""
        if time.monotonic() - self._last_retention < RETENTION_EVERY_SECONDS:
            return []  # the common case, on every page run: no environment read, no database
        days = retention_days() if days is None else days
        if days <= 0:
            return []
        self._last_retention = time.monotonic()
        try:
            removed = self.purge(days)
        except StorageError:
            return []  # housekeeping: logged by connect(), tried again tomorrow, never a student's problem
        if removed:
            log.info("Retention: removed %d workspace(s) unused for more than %s days.", len(removed), days)
        return removed


def _is_url(location: Path | str) -> bool:
    """A URL (postgresql://, or a scheme `postgres` refuses with a sentence) rather than a file's path."""
    return isinstance(location, str) and "://" in location


def _open(location: Path | str) -> Database | PostgresDatabase:
    if _is_url(location):
        from tl_core.storage.postgres import PostgresDatabase

        return PostgresDatabase(location)
    return Database(location)


# Stores reopened from a pickle, one per location and process: a trainer keeps one pool however many jobs it runs.
_reopened: dict[str, WorkspaceStore] = {}
_reopening = threading.Lock()


def reopen(location: str) -> WorkspaceStore:
    """The store at `location` (a URL with its password, or a file's absolute path), opened once per process."""
    with _reopening:
        if location not in _reopened:
            _reopened[location] = WorkspaceStore(location)
        return _reopened[location]


def close_reopened() -> None:
    """Close and forget every store `reopen` opened (a worker shutting down, a test's database going away)."""
    with _reopening:
        stores = list(_reopened.values())
        _reopened.clear()
    for store in stores:
        store.close()
