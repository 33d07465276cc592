"""What only PostgreSQL has (TL_DATABASE_URL): a server that may be unreachable, passwords in its URL, two app
servers creating the tables at once, a pool whose connections the server may drop. Everything else a store does is
tested on both databases in test_workspace.py, test_exchange.py and test_workspace_cli.py."""

import logging
import threading
import time

import numpy as np
import psycopg
import pytest

from tl_core.__main__ import main
from tl_core.storage.postgres import CONNECT_SECONDS, POOL_SIZE, printable
from tl_core.storage.workspace import UNREACHABLE, StorageError, WorkspaceStore


@pytest.fixture
def unreachable(tmp_path):
    """A URL with a password, naming a server that is not there (its socket directory does not exist)."""
    return f"postgresql://teacher:hunter2@/school?host={tmp_path}/nothing&port=5"


def test_the_url_is_shown_without_its_password_wherever_it_is_written():
    assert printable("postgresql://teacher:s%40cret@db.school:5432/tl?sslmode=require") == (
        "postgresql://teacher:***@db.school:5432/tl?sslmode=require"
    )
    assert printable("postgres://db/tl?user=t&password=s3cret&host=x") == "postgres://db/tl?user=t&password=***&host=x"
    assert printable("postgresql:///tl?host=/run/postgresql") == "postgresql:///tl?host=/run/postgresql"


def test_a_server_that_cannot_be_reached_is_reported_at_once_without_the_password(unreachable):
    started = time.monotonic()
    with pytest.raises(StorageError) as raised:
        WorkspaceStore(unreachable)
    assert time.monotonic() - started < CONNECT_SECONDS
    message = str(raised.value)
    assert message.startswith("postgresql://teacher:***@/school") and "No such file or directory" in message
    assert "hunter2" not in message and "\n" not in message


def test_the_app_falls_back_to_a_temporary_database_and_says_so_when_the_server_cannot_be_reached(
    unreachable, monkeypatch, caplog
):
    monkeypatch.setenv("TL_DATABASE_URL", unreachable)
    with caplog.at_level(logging.ERROR, logger="tl_core.storage.workspace"):
        store = WorkspaceStore.open_or_memory()

    assert store.problem == UNREACHABLE
    workspace = store.workspace("w")  # the app works on, nothing is kept
    workspace.start_task(["a"])
    workspace.add_sample("a", np.zeros((28, 28), np.float32), b"png")
    assert workspace.counts() == {"a": 1}
    assert "teacher:***@" in caplog.text and "hunter2" not in caplog.text


def test_the_workspace_command_exits_1_with_one_sentence_and_no_password(unreachable, data_dir, monkeypatch, capsys):
    monkeypatch.setenv("TL_DATABASE_URL", unreachable)
    status = main(["workspace", "list"])
    out, err = capsys.readouterr()
    assert status == 1 and out == ""
    assert err.startswith("The workspace database cannot be used: postgresql://teacher:***@/school")
    assert err.count("\n") == 1 and "hunter2" not in err and "Traceback" not in err


def test_a_url_that_is_not_postgresql_is_refused_with_a_sentence(monkeypatch):
    monkeypatch.setenv("TL_DATABASE_URL", "mysql://teacher:hunter2@db/school")
    with pytest.raises(StorageError, match="not a postgresql://") as raised:
        WorkspaceStore()
    assert "hunter2" not in str(raised.value)
    assert WorkspaceStore.open_or_memory().problem == UNREACHABLE


def test_without_the_variable_the_store_is_the_sqlite_file_under_the_data_directory(data_dir, monkeypatch):
    monkeypatch.delenv("TL_DATABASE_URL", raising=False)
    store = WorkspaceStore()
    assert store.path == data_dir / "workspaces.sqlite3" and store.path.exists()


def test_two_servers_starting_at_once_create_the_tables_once_without_an_error(postgres_url):
    stores, errors = [], []
    start = threading.Barrier(6)

    def open_store():
        start.wait()
        try:
            stores.append(WorkspaceStore(postgres_url))
        except Exception as error:  # without the advisory lock: "duplicate key value violates unique constraint"
            errors.append(error)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == [] and len(stores) == 6
    stores[0].workspace("w").start_task(["a"])
    assert stores[5].workspace("w").classes() == ["a"]
    for store in stores:
        store.close()


def test_the_tables_use_eight_byte_floats_and_ids_bytea_and_code_point_order(postgres_url):
    WorkspaceStore(postgres_url).close()
    with psycopg.connect(postgres_url) as connection:
        columns = connection.execute(
            "SELECT table_name || '.' || column_name, data_type, collation_name FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        ).fetchall()
    types = {column: kind for column, kind, _ in columns}
    assert types["samples.created"] == types["workspaces.touched"] == "double precision"  # not real (4 bytes)
    assert types["samples.id"] == types["runs.id"] == types["corrections.id"] == "bigint"
    assert types["samples.input"] == types["model_blobs.data"] == "bytea"
    assert {collation for _, kind, collation in columns if kind == "text"} == {"C"}  # sorted as SQLite sorts


def test_after_the_server_drops_every_connection_the_next_operation_just_works(postgres_url):
    store = WorkspaceStore(postgres_url)
    workspace = store.workspace("w")
    workspace.start_task(["a"])
    with psycopg.connect(postgres_url, autocommit=True) as admin:  # what a server restart does to the pool
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    workspace.add_sample("a", np.zeros((28, 28), np.float32), b"png")
    assert workspace.counts() == {"a": 1}
    store.close()


def test_a_write_the_server_refuses_gives_the_same_sentence_as_sqlite_and_changes_nothing(postgres_url, caplog):
    store = WorkspaceStore(postgres_url)
    workspace = store.workspace("w")
    workspace.start_task(["a"])
    with psycopg.connect(postgres_url, autocommit=True) as admin:  # e.g. a standby, or a full disk's refusals
        name = admin.execute("SELECT current_database()").fetchone()[0]
        admin.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )

    with pytest.raises(StorageError, match="^That was not saved: .* Everything saved before is safe"):
        workspace.add_sample("a", np.zeros((28, 28), np.float32), b"png")

    assert workspace.counts() == {"a": 0}  # reads still work
    assert "read-only transaction" in caplog.text  # the details went to the server log
    store.close()


def test_a_pool_holds_at_most_its_size_of_connections_however_many_threads_read(postgres_url):
    store = WorkspaceStore(postgres_url)
    store.workspace("w").start_task(["a"])
    threads = [threading.Thread(target=lambda: [store.workspace("w").counts() for _ in range(20)]) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with psycopg.connect(postgres_url) as admin:
        others = admin.execute(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert 1 <= others <= POOL_SIZE
    store.close()


def test_a_page_whose_database_server_went_down_hears_so_within_seconds_and_then_recovers(tmp_path):
    from tests.postgres import PostgresServer, postgres_binaries

    server = PostgresServer.start(postgres_binaries())  # its own server: this test stops it
    try:
        store = WorkspaceStore(server.new_database())
        store.workspace("steady").start_task(["a", "b"])
        server.stop_only()
        started = time.monotonic()
        with pytest.raises(StorageError, match="could not be read"):
            store.workspace("steady").classes()
        assert time.monotonic() - started < 2 * CONNECT_SECONDS  # not the pool's default 30 s
        server.start_again()
        assert store.workspace("steady").classes() == ["a", "b"]  # the same store recovers by itself
        store.close()
    finally:
        server.stop()
