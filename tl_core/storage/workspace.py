"""Workspaces: named collections of labelled samples, kept in an embedded SQLite database (WAL).

`WorkspaceStore` is where the pages and the `workspace` command start: it opens a workspace by name (creating
it the first time), makes new ones under generated names, lists them, and removes those untouched for
`TL_RETENTION_DAYS` (default 30) with everything in them.

The rest of storage, one concept a module: `database` (the SQLite file, its tables and what can go wrong with
it), `contents` (one workspace: classes, samples, runs, corrections), `runs` (what a kept run is), `names`
(workspace names and class labels), `errors`. Their public names are importable from here as well, so a caller
needs only this module.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass

from tl_core.storage.contents import MAX_CLASSES, MAX_CORRECTIONS, MAX_SAMPLES, SOURCES, Correction, Sample, Workspace
from tl_core.storage.database import (
    DAMAGED,
    DB_FILE,
    READ_ONLY,
    UNUSABLE,
    Database,
    DatabaseDamaged,
    drop_unused_models,
)
from tl_core.storage.errors import StorageError, WorkspaceError
from tl_core.storage.names import (
    GENERATED_NAME_BYTES,
    MAX_LABEL_CHARS,
    WORKSPACE_NAME,
    new_workspace_name,
    validate_label,
    validate_workspace_name,
)
from tl_core.storage.runs import COMPARISON_MODELS, KeptRun

# What callers import from here: this module's own names, then those gathered from contents, runs, database, errors,
# names.
__all__ = [
    "WorkspaceStore",
    "WorkspaceInfo",
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

RETENTION_VARIABLE = "TL_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 30  # a term's unit, with room to come back after a holiday; 0 keeps everything
TOUCH_EVERY_SECONDS = 3600  # "last used" is kept to the hour: a page visit is a read, not a write, most times
RETENTION_EVERY_SECONDS = 24 * 3600  # the app removes stale workspaces at start and then once a day

log = logging.getLogger(__name__)


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


class WorkspaceStore(Database):
    """Every workspace on this server, in one database (see `Database` for the file and its fallback)."""

    _last_retention = -math.inf  # time.monotonic() of the last retention pass

    def workspace(self, name: str) -> Workspace:
        """The workspace `name`, created empty if it does not exist yet."""
        validate_workspace_name(name)
        now = time.time()
        with self.connect() as connection:
            row = connection.execute("SELECT COALESCE(touched, created) FROM workspaces WHERE name = ?", (name,))
            row = row.fetchone()
        if row and row[0] > now - TOUCH_EVERY_SECONDS:
            return Workspace(self, name)  # the common case, on every rerun: a read, no write lock
        with self.connect(write=True) as connection:
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
            with self.connect(write=True) as connection:
                created = connection.execute(
                    "INSERT OR IGNORE INTO workspaces (name, charset, created, touched) VALUES (?, NULL, ?, ?)",
                    (name, now, now),
                ).rowcount
            if created:  # else the 96-bit name was taken (practically never): draw another, never share one
                return Workspace(self, name)

    def exists(self, name: str) -> bool:
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
        with self.connect(write=True) as connection:
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
