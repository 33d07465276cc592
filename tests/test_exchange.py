"""Workspace zips: export then import round-trips; bad uploads are rejected and change nothing."""

import csv
import io
import json
import zipfile

import numpy as np
import pytest
from PIL import Image

from tl_core.exchange import ImportRejected, export_workspace, import_workspace
from tl_core.preprocess import canvas_to_input
from tl_core.render import render_character
from tl_core.workspace import WorkspaceStore, encode_png


@pytest.fixture
def store(tmp_path):
    return WorkspaceStore(tmp_path / "db.sqlite3")


def add_rendered(workspace, char, label, seed):
    drawing = render_character(char, np.random.default_rng(seed))
    workspace.add_sample(label, canvas_to_input(drawing), encode_png(drawing), "rendered")


@pytest.fixture
def source(store):
    workspace = store.workspace("source")
    workspace.start_task(["あ", "い", "🙂 smile"])
    for seed in range(2):
        add_rendered(workspace, "あ", "あ", seed)
        add_rendered(workspace, "い", "い", seed)
    add_rendered(workspace, "う", "🙂 smile", 7)
    return workspace


def snapshot(workspace):
    return workspace.classes(), [(s.label, s.source, s.image.tobytes(), s.drawing_png) for s in workspace.samples()]


def test_export_then_import_into_a_fresh_workspace_round_trips(store, source):
    data = export_workspace(source)
    target = store.workspace("target")
    assert import_workspace(target, data) == {"samples": 5, "classes": 3}
    assert snapshot(target) == snapshot(source)


def test_the_zip_has_a_manifest_a_labels_table_and_one_png_per_sample(source):
    with zipfile.ZipFile(io.BytesIO(export_workspace(source))) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        rows = list(csv.DictReader(io.StringIO(archive.read("labels.csv").decode())))
    assert manifest["format"] == "tl-workspace" and manifest["classes"] == ["あ", "い", "🙂 smile"]
    assert sum(name.endswith(".png") for name in names) == 5 == len(rows)
    assert {row["label"] for row in rows} == {"あ", "い", "🙂 smile"}


def rebuild(data, replace=None, extra=None, drop=()):
    """A copy of an exported zip with some entries replaced, added or dropped."""
    replace, extra = replace or {}, extra or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as original,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for name in original.namelist():
            if name not in drop:
                copy.writestr(name, replace.get(name, original.read(name)))
        for name, content in extra.items():
            copy.writestr(name, content)
    return out.getvalue()


def png_of(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def malicious_uploads(exported):
    first_png = "samples/000001.png"
    oversized = np.zeros((2000, 1200, 4), np.uint8)
    oversized[500:1500, 500:700, 3] = 255
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(6000):
            archive.writestr(f"samples/{index:06d}.png", b"")
    return {
        "path traversal": (rebuild(exported, extra={"../../evil.png": b"x"}), "Unexpected entry"),
        "absolute path": (rebuild(exported, extra={"/etc/cron.d/x": b"x"}), "Unexpected entry"),
        "sample name with a newline": (rebuild(exported, extra={"samples/x.png\n": b"x"}), "Unexpected entry"),
        "oversized image": (rebuild(exported, replace={first_png: png_of(oversized)}), "at most 1024 px"),
        "not an image": (rebuild(exported, replace={first_png: b"#!/bin/sh\necho hi\n"}), "not a PNG"),
        "truncated image": (
            rebuild(exported, replace={first_png: png_of(oversized[:280, :280])[:80]}),
            "not a readable",
        ),
        "bomb-like entry count": (bomb.getvalue(), "entries"),
        "not a zip": (b"PK\x03\x04 this is not really a zip", "not a zip"),
        "pickle": (b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94.", "not a zip"),
        "no manifest": (rebuild(exported, drop=("manifest.json",)), "no manifest"),
        "foreign manifest": (
            rebuild(exported, replace={"manifest.json": b'{"format": "other"}'}),
            "not from",
        ),
        "missing image": (rebuild(exported, drop=(first_png,)), "missing image"),
        "blank drawing": (
            rebuild(exported, replace={first_png: png_of(np.zeros((280, 280, 4), np.uint8))}),
            "blank",
        ),
        "label too long": (
            rebuild(exported, replace={"labels.csv": _labels_with(exported, "x" * 500)}),
            "at most",
        ),
        "too large": (b"\0" * (21 * 1024 * 1024), "larger than"),
    }


def _labels_with(exported, label):
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("labels.csv").decode())))
    rows[0]["label"] = label
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return table.getvalue().encode()


CASES = [
    "path traversal", "absolute path", "oversized image", "not an image", "truncated image", "bomb-like entry count",
    "not a zip", "pickle", "no manifest", "foreign manifest", "missing image", "blank drawing", "label too long",
    "too large",
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_bad_uploads_are_rejected_and_the_workspace_is_unchanged(case, store, source):
    upload, message = malicious_uploads(export_workspace(source))[case]
    target = store.workspace("target")
    target.start_task(["existing"])
    add_rendered(target, "え", "existing", 1)
    before = snapshot(target)
    with pytest.raises(ImportRejected, match=message):
        import_workspace(target, upload)
    assert snapshot(target) == before
