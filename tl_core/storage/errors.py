"""What a storage operation raises for the page to show: every message is a sentence meant for the user."""

from __future__ import annotations

import logging

# The name the store has always logged under (benchmarks/hostile_input.py silences it), wherever its code lives.
log = logging.getLogger("tl_core.storage.workspace")


class WorkspaceError(ValueError):
    """Bad input for a workspace operation; the message is meant for the user."""


class StorageError(WorkspaceError):
    """The database failed during an operation (disk full, I/O error); nothing of the operation was kept."""


# What the page says when the database file cannot be used as it should (no paths: those go to the log).
DAMAGED = (
    "The saved workspaces could not be read: the database file is damaged. Your teacher or the server's "
    "administrator can restore it; it was left untouched. Until then the app works, but nothing you add is kept."
)
READ_ONLY = (
    "This server cannot save new work right now (its storage is read-only). Your saved samples are shown, "
    "but anything you add or train from now on is lost when the server stops."
)
UNUSABLE = (
    "This server cannot save work right now (its storage cannot be used). The app works, but nothing you "
    "add or train is kept when the server stops."
)
UNREACHABLE = (  # TL_DATABASE_URL names a PostgreSQL server that cannot be reached or used
    "This server cannot reach its database server right now. The app works, but nothing you add or train is "
    "kept when the server stops."
)


def storage_failure(location: str, error: BaseException, write: bool) -> StorageError:
    """The sentence the page shows when an operation failed in the database; the details go to the server log."""
    log.error("Workspace database %s failed during a %s: %r", location, "write" if write else "read", error)
    if write:
        return StorageError(
            "That was not saved: the server could not write to its storage (it may be full). Everything "
            "saved before is safe. Try again in a moment, or tell your teacher if it keeps happening."
        )
    return StorageError(
        "Your workspace could not be read from the server's storage just now. Try again in a moment, or "
        "tell your teacher if it keeps happening."
    )
