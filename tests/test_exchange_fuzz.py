"""Property-based fuzzing of the workspace zip reader (issue 13): whatever is uploaded (random bytes, a real
export with bytes flipped, inserted or deleted, or with its labels.csv or manifest.json rewritten or nested
deep), `import_workspace` imports it or raises `ImportRejected` / `WorkspaceError`, nothing else; a rejection
leaves the workspace exactly as it was; and every call is quick."""

import csv
import io
import itertools
import json
import struct
import time
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tl_core.data.png import encode_png
from tl_core.data.preprocess import canvas_to_input
from tl_core.data.render import render_character
from tl_core.storage.exchange import export_workspace, import_workspace
from tl_core.storage.workspace import SOURCES, WorkspaceError, WorkspaceStore

FUZZ = settings(max_examples=120, deadline=2000, derandomize=True, database=None)  # ~1 s a test
CALL_SECONDS = 5  # per import; each takes milliseconds here, so only a runaway fails this
_names = itertools.count()


class Bench:
    """What every example uses: the store, one drawing (model input, PNG) and a real export of three samples."""

    def __init__(self, store: WorkspaceStore, drawing: tuple[np.ndarray, bytes], exported: bytes) -> None:
        self.store, self.drawing, self.exported = store, drawing, exported

    def __repr__(self) -> str:  # hypothesis prints a failing example's arguments: not 20 kB of zip
        return "Bench()"


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    store = WorkspaceStore(tmp_path_factory.mktemp("fuzz") / "db.sqlite3")
    image = render_character("あ", np.random.default_rng(0))
    drawing = canvas_to_input(image), encode_png(image)
    workspace = store.workspace("fuzz-source")
    workspace.start_task(["あ", "=1+1", "'@x"])
    for label in workspace.classes():
        workspace.add_sample(label, *drawing, "rendered")
    return Bench(store, drawing, export_workspace(workspace))


def state(workspace):
    return workspace.classes(), [(s.label, s.source, s.drawing_png) for s in workspace.samples()]


def import_safely(bench, upload):
    """Import `upload` into a fresh workspace holding one sample: only a rejection that changed nothing may come
    out of it, quickly."""
    target = bench.store.workspace(f"fuzz-{next(_names)}")
    target.start_task(["existing"])
    target.add_sample("existing", *bench.drawing, "drawn")
    before = state(target)
    started = time.perf_counter()
    try:
        report = import_workspace(target, upload)
    except WorkspaceError as rejected:  # ImportRejected is one
        assert str(rejected), "a rejection says why"
        assert state(target) == before
    else:
        assert target.sample_count() == 1 + report["samples"]
    assert time.perf_counter() - started < CALL_SECONDS


def replaced(data, entry, content):
    """A copy of the zip `data` with `entry`'s content replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as original, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for name in original.namelist():
            copy.writestr(name, content if name == entry else original.read(name))
    return out.getvalue()


def read_entry(data, entry):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(entry)


# Where mutations land: anywhere, or in the last 400 bytes (the zip's directory and end record).
POSITIONS = st.one_of(st.integers(0, 1 << 20), st.integers(-400, -1))
EDITS = st.lists(
    st.tuples(st.sampled_from(["flip", "insert", "delete"]), POSITIONS, st.binary(min_size=1, max_size=8)),
    min_size=1,
    max_size=4,
)


def mutated(data, edits):
    data = bytearray(data)
    for kind, position, payload in edits:
        at = position % len(data)
        if kind == "flip":
            span = data[at : at + len(payload)]  # shorter than the payload at the very end
            data[at : at + len(span)] = bytes(a ^ b for a, b in zip(span, payload[: len(span)], strict=True))
        elif kind == "insert":
            data[at:at] = payload
        else:
            del data[at : at + len(payload)]
    return bytes(data)


@FUZZ
@given(
    st.binary(max_size=4096),
    st.one_of(st.none(), st.tuples(st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF), st.integers(0, 0xFFFFFFFF))),
)
def test_random_bytes_are_rejected_cleanly(bench, noise, end_record):
    """Random bytes, and random bytes ending in a zip end record that points anywhere."""
    if end_record is not None:
        entries, size, offset = end_record
        noise += b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, entries, entries, size, offset, 0)
    import_safely(bench, noise)


@FUZZ
@given(EDITS)
def test_a_real_export_with_bytes_flipped_inserted_or_deleted(bench, edits):
    import_safely(bench, mutated(bench.exported, edits))


CELLS = st.one_of(
    st.sampled_from(["samples/000001.png", "samples/000002.png", "samples/9.png", "../x", "", "'=1", *SOURCES]),
    st.text(max_size=40),
)


@FUZZ
@given(
    st.one_of(
        st.lists(st.lists(CELLS, max_size=6), max_size=8).map(
            lambda rows: [["file", "label", "source", "created"], *rows]
        ),
        st.lists(st.lists(CELLS, max_size=6), max_size=8),
    ),
    EDITS,
    st.booleans(),
)
def test_labels_csv_rewritten(bench, rows, edits, mutate_text):
    """labels.csv as random rows, or the real one with its bytes edited."""
    if mutate_text:
        content = mutated(read_entry(bench.exported, "labels.csv"), edits)
    else:
        table = io.StringIO()
        csv.writer(table).writerows(rows)
        content = table.getvalue().encode()
    import_safely(bench, replaced(bench.exported, "labels.csv", content))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)


@FUZZ
@given(
    st.one_of(
        JSON_VALUES.map(lambda value: json.dumps(value).encode()),
        st.dictionaries(st.sampled_from(["format", "version", "classes", "workspace", "samples"]), JSON_VALUES).map(
            lambda fields: json.dumps({"format": "tl-workspace", "version": 1, **fields}).encode()
        ),
        st.tuples(st.sampled_from(["[", '{"a":', '{"classes":[']), st.integers(1, 20_000)).map(
            lambda nesting: (nesting[0] * nesting[1]).encode()
        ),
    ),
    EDITS,
    st.booleans(),
)
def test_manifest_json_rewritten_or_nested(bench, manifest, edits, mutate_text):
    """manifest.json as random JSON (some of it nearly right, some nested thousands deep), or its bytes edited."""
    content = mutated(read_entry(bench.exported, "manifest.json"), edits) if mutate_text else manifest
    import_safely(bench, replaced(bench.exported, "manifest.json", content))
