"""`python -m tl_core workspace ...`: a teacher's (or an administrator's) hands on the app's workspaces.

list [--json] [--older-than DAYS]     every workspace, least recently used first
show NAME [--json]                    its classes and sample counts
fill NAME --charset SET --per-class K auto-fill from a built-in set, as the Collect page does
export NAME FILE                      the workspace as a zip (the app's export format)
import NAME FILE                      add a zip's samples to a new or existing workspace, all or nothing
delete NAME                           remove a workspace and everything in it
purge --older-than DAYS               remove every workspace unused for longer (what TL_RETENTION_DAYS does)

Same storage as the app (the PostgreSQL server `TL_DATABASE_URL` names, else `$TL_DATA_DIR/workspaces.sqlite3`),
but never the app's temporary fallback: a command that cannot use the real database says so (never with a
password) and exits 1. Bad input exits 2 with one sentence on stderr and changes nothing.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sqlite3
import sys
from dataclasses import asdict
from pathlib import Path

from tl_core.storage.errors import WorkspaceError
from tl_core.storage.names import validate_workspace_name
from tl_core.storage.workspace import WorkspaceStore

MAX_FILL_PER_CLASS = 20  # the Collect page's own limit


class CommandFailed(Exception):
    """One sentence for stderr, and the exit status."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def add_commands(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("workspace", help="list, show, fill, export, import, delete and purge workspaces")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="every workspace, least recently used first")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--older-than", type=float, metavar="DAYS", help="only those unused for longer")
    show = actions.add_parser("show", help="a workspace's classes and sample counts")
    show.add_argument("name")
    show.add_argument("--json", action="store_true")
    fill = actions.add_parser("fill", help="auto-fill from a built-in character set")
    fill.add_argument("name")
    fill.add_argument("--charset", required=True, help="built-in character set, e.g. hiragana")
    fill.add_argument(
        "--per-class", type=int, required=True, help=f"rendered samples per class (1-{MAX_FILL_PER_CLASS})"
    )
    export = actions.add_parser("export", help="write a workspace as a zip")
    export.add_argument("name")
    export.add_argument("file", type=Path)
    load = actions.add_parser("import", help="add the samples of an exported zip to a workspace")
    load.add_argument("name")
    load.add_argument("file", type=Path)
    delete = actions.add_parser("delete", help="remove a workspace and everything in it")
    delete.add_argument("name")
    purge = actions.add_parser("purge", help="remove workspaces unused for longer than DAYS")
    purge.add_argument("--older-than", type=float, required=True, metavar="DAYS")


def run(args: argparse.Namespace) -> int:
    store = None
    try:
        store = _open_store()
        action = {
            "list": _list,
            "show": _show,
            "fill": _fill,
            "export": _export,
            "import": _import,
            "delete": _delete,
            "purge": _purge,
        }[args.action]
        action(store, args)
    except CommandFailed as failure:
        print(failure, file=sys.stderr)
        return failure.status
    except WorkspaceError as error:  # bad input (a name, an archive) or a failing disk, in the user's words
        print(error, file=sys.stderr)
        return 2
    finally:
        if store is not None:
            store.close()  # PostgreSQL: the pool's connections, before the process exits
    return 0


def _open_store() -> WorkspaceStore:
    try:
        return WorkspaceStore()
    # PostgreSQL's failures to connect or to create the tables arrive as a StorageError (a WorkspaceError) that
    # names the server without its password; at work, any database failure is a StorageError, as with SQLite
    except (OSError, sqlite3.Error, WorkspaceError) as error:
        raise CommandFailed(f"The workspace database cannot be used: {error}.", status=1) from None


def _existing(store: WorkspaceStore, name: str):
    validate_workspace_name(name)
    if not store.exists(name):
        raise CommandFailed(f"There is no workspace named {name}.")
    return store.workspace(name)


def _list(store: WorkspaceStore, args) -> None:
    if args.older_than is not None and not args.older_than >= 0:
        raise CommandFailed("--older-than is a number of days, 0 or more.")
    infos = store.list_workspaces(older_than_days=args.older_than)
    if args.json:
        print(json.dumps([asdict(info) for info in infos], ensure_ascii=False, indent=2))
        return
    for info in infos:
        used = datetime.datetime.fromtimestamp(info.last_used).strftime("%Y-%m-%d %H:%M")
        print(
            f"{info.name:<40} {info.charset or 'own classes':<15} {info.classes:>4} classes "
            f"{info.samples:>5} samples {info.runs:>3} runs  last used {used}"
        )


def _show(store: WorkspaceStore, args) -> None:
    workspace = _existing(store, args.name)
    counts = workspace.counts()
    if args.json:
        classes = [{"label": label, "count": count} for label, count in counts.items()]
        print(
            json.dumps(
                {"name": workspace.name, "samples": sum(counts.values()), "classes": classes}, ensure_ascii=False
            )
        )
        return
    task = workspace.charset or "own classes"
    print(f"{workspace.name}: {sum(counts.values())} samples in {len(counts)} classes ({task})")
    for label, count in counts.items():
        print(f"  {label}\t{count}")


def _fill(store: WorkspaceStore, args) -> None:
    from tl_core.data.charsets import get_charset
    from tl_core.storage.collect import autofill

    try:
        charset = get_charset(args.charset)
    except ValueError as error:
        raise CommandFailed(str(error)) from None
    if not 1 <= args.per_class <= MAX_FILL_PER_CLASS:
        raise CommandFailed(f"--per-class is between 1 and {MAX_FILL_PER_CLASS}.")
    validate_workspace_name(args.name)
    workspace = store.workspace(args.name)
    if not workspace.classes():
        workspace.start_task(list(charset.labels), charset=charset.name)
    elif workspace.charset != charset.name:
        raise CommandFailed(f"{args.name} already holds another task ({workspace.charset or 'own classes'}).")

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():  # a counter for a person watching; nothing in a log
            print(f"\rRendering {done}/{total} classes", end="\n" if done == total else "", file=sys.stderr)

    added = autofill(workspace, args.per_class, progress)
    print(f"Added {sum(added.values())} rendered samples to {args.name} ({len(added)} classes).")


def _export(store: WorkspaceStore, args) -> None:
    from tl_core.storage.exchange import export_workspace

    workspace = _existing(store, args.name)
    try:
        args.file.write_bytes(export_workspace(workspace))
    except OSError as error:
        raise CommandFailed(f"Cannot write {args.file}: {error.strerror or error}.", status=1) from None
    print(f"Exported {workspace.sample_count()} samples of {args.name} to {args.file}.")


def _import(store: WorkspaceStore, args) -> None:
    from tl_core.storage.exchange import MAX_ZIP_BYTES, import_workspace

    validate_workspace_name(args.name)
    try:
        if args.file.stat().st_size > MAX_ZIP_BYTES:  # refused before a byte is read
            raise CommandFailed(f"{args.file} is larger than {MAX_ZIP_BYTES // (1024 * 1024)} MB.")
        data = args.file.read_bytes()
    except OSError as error:
        raise CommandFailed(f"Cannot read {args.file}: {error.strerror or error}.") from None
    existed = store.exists(args.name)
    workspace = store.workspace(args.name)
    try:
        added = import_workspace(workspace, data)
    except WorkspaceError:
        if not existed:
            store.delete_workspace(args.name)  # exactly as it was: not there
        raise
    skipped = f" ({added['skipped']} already there were skipped)" if added["skipped"] else ""
    print(f"Imported {added['samples']} samples in {added['classes']} classes into {args.name}{skipped}.")


def _delete(store: WorkspaceStore, args) -> None:
    workspace = _existing(store, args.name)
    samples = workspace.sample_count()
    store.delete_workspace(args.name)
    print(f"Deleted {args.name} ({samples} samples).")


def _purge(store: WorkspaceStore, args) -> None:
    if not args.older_than >= 0:
        raise CommandFailed("--older-than is a number of days, 0 or more.")
    removed = store.purge(args.older_than)
    print(f"Removed {len(removed)} workspace(s) unused for more than {args.older_than:g} days.")
    for name in removed:
        print(f"  {name}")
