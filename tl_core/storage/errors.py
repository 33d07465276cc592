"""What a storage operation raises for the page to show: every message is a sentence meant for the user."""

from __future__ import annotations


class WorkspaceError(ValueError):
    """Bad input for a workspace operation; the message is meant for the user."""


class StorageError(WorkspaceError):
    """The database failed during an operation (disk full, I/O error); nothing of the operation was kept."""
