"""Workspace zips: export then import round-trips; bad uploads are rejected and change nothing."""

import csv
import io
import json
import re
import struct
import time
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tl_core.data.png import encode_png
from tl_core.data.preprocess import canvas_to_input
from tl_core.data.render import render_character
from tl_core.storage import exchange
from tl_core.storage.exchange import ImportRejected, export_workspace, import_workspace
from tl_core.storage.workspace import MAX_CLASSES, MAX_SAMPLES, WorkspaceStore


@pytest.fixture
def store(store_location):
    """A store on SQLite, then on PostgreSQL (`store_location` is parametrized)."""
    opened = WorkspaceStore(store_location)
    yield opened
    opened.close()


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


@pytest.fixture
def target(store):
    """A workspace with a class and a sample of its own, to see that a rejected import leaves it alone."""
    workspace = store.workspace("target")
    workspace.start_task(["existing"])
    add_rendered(workspace, "え", "existing", 1)
    return workspace


def import_rejected(target, upload, message):
    """Import `upload` into `target`, expect `message`, and check nothing changed; returns the seconds it took."""
    before = snapshot(target)
    started = time.perf_counter()
    with pytest.raises(ImportRejected, match=message):
        import_workspace(target, upload)
    assert snapshot(target) == before
    return time.perf_counter() - started


def test_export_then_import_into_a_fresh_workspace_round_trips(store, source):
    data = export_workspace(source)
    target = store.workspace("target")
    assert import_workspace(target, data) == {"samples": 5, "classes": 3, "skipped": 0}
    assert snapshot(target) == snapshot(source)


def test_importing_the_same_export_twice_skips_the_drawings_already_there(store, source):
    data = export_workspace(source)
    target = store.workspace("target")
    assert import_workspace(target, data)["samples"] == 5
    assert import_workspace(target, data) == {"samples": 0, "classes": 3, "skipped": 5}
    assert snapshot(target) == snapshot(source)


def test_a_kana_workspace_auto_filled_to_twenty_a_class_comes_back_whole(store):
    """The pixel budget is an attacker's limit, not a student's: the Collect page's biggest fill round-trips."""
    from tl_core.storage.collect import autofill

    full = store.workspace("full")
    full.start_task(
        list("あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん")
    )
    autofill(full, 20)
    copy = store.workspace("copy")
    assert import_workspace(copy, export_workspace(full)) == {"samples": 920, "classes": 46, "skipped": 0}
    assert copy.counts() == full.counts()


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
        "oversized image": (rebuild(exported, replace={first_png: png_of(oversized)}), "at most 512 px"),
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
def test_bad_uploads_are_rejected_and_the_workspace_is_unchanged(case, source, target):
    upload, message = malicious_uploads(export_workspace(source))[case]
    import_rejected(target, upload, message)


# --- issue 13: zip import hardening ------------------------------------------------------------------------


def one_bit_png(side, ink=True):
    """A side x side one-bit PNG: a few hundred bytes however large, the cheapest way to ask for many pixels."""
    pixels = np.zeros((side, side), bool)
    pixels[side // 4 : 3 * side // 4, side // 2 - 4 : side // 2 + 4] = ink
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def archive_of(pngs, label="a", manifest=None, compression=zipfile.ZIP_DEFLATED):
    """A zip in the export's layout holding `pngs`, each listed in labels.csv under `label`."""
    manifest = manifest or {"format": "tl-workspace", "version": 1, "classes": [label]}
    rows = [[f"samples/{index:06d}.png", label, "drawn", "0"] for index in range(len(pngs))]
    table = io.StringIO()
    csv.writer(table).writerows([["file", "label", "source", "created"], *rows])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("labels.csv", table.getvalue())
        for (name, *_), png in zip(rows, pngs, strict=True):
            archive.writestr(name, png)
    return out.getvalue()


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test at the first image the import would decode."""

    def refuse(*args, **kwargs):
        raise AssertionError("an image was decoded before the archive's checks were done")

    monkeypatch.setattr(exchange, "decode_png", refuse)


def test_five_thousand_huge_one_bit_pngs_are_refused_from_their_headers(store, no_decoding):
    """The issue's 1.1 MB zip (5,000 one-bit 1024 x 1024 PNGs, the last blank) cost 124-141 s of CPU."""
    pngs = [one_bit_png(1024)] * 4999 + [one_bit_png(1024, ink=False)]
    upload = archive_of(pngs)
    assert import_rejected(store.workspace("empty"), upload, "at most 512 px a side") < 10  # ~0.05 s; generous


def test_the_total_pixel_budget_is_checked_before_any_image_is_decoded(store, no_decoding):
    pngs = [one_bit_png(512)] * 5000  # each within the side limit, 1.3 G px together
    assert import_rejected(store.workspace("empty"), archive_of(pngs), "million pixels") < 10


def test_the_workspace_sample_cap_is_checked_before_any_image_is_decoded(target, no_decoding):
    pngs = [png_of(np.full((8, 8, 4), 255, np.uint8))] * MAX_SAMPLES  # the target already holds one sample
    import_rejected(target, archive_of(pngs), f"at most {MAX_SAMPLES}")


def test_the_class_cap_is_checked_before_any_image_is_decoded(target, no_decoding):
    manifest = {"format": "tl-workspace", "version": 1, "classes": [f"c{index}" for index in range(MAX_CLASSES)]}
    import_rejected(target, archive_of([one_bit_png(28)], manifest=manifest), f"more than {MAX_CLASSES}")


def test_the_zip_directory_is_sized_before_zipfile_parses_it(target, monkeypatch):
    """A 20 MB zip can list 400,000 entries; zipfile would build them all (~2 s, ~240 MB) before they are counted."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for index in range(6000):
            archive.writestr(f"{index}", b"")
    upload = out.getvalue()

    def refuse(*args, **kwargs):
        raise AssertionError("zipfile parsed the directory")

    monkeypatch.setattr(exchange.zipfile, "ZipFile", refuse)
    import_rejected(target, upload, "too many entries")


def test_entries_labels_csv_does_not_name_are_never_read(store, source):
    """A 209 kB zip of unlisted 2 MB entries peaked at 200 MB: each was read into memory, then ignored."""
    unlisted = {f"samples/x{index:03d}.png": b"\0" * (2 * 1024 * 1024) for index in range(20)}
    upload = rebuild(export_workspace(source), extra=unlisted)
    tracemalloc.start()
    try:
        assert import_workspace(store.workspace("target"), upload) == {"samples": 5, "classes": 3, "skipped": 0}
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024  # 1.3 MB; over 40 MB when the 20 unlisted entries are read


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


PNG_TRICKS = {  # chunks put after a real drawing's header -> what the rejection says
    "50 colour profiles, each inflating to 1 MB": (
        [png_chunk(b"iCCP", b"icc\0\0" + zlib.compress(bytes(1 << 20), 9))] * 50,
        "colour profile",
    ),
    "a second header announcing more pixels": (
        [png_chunk(b"IHDR", struct.pack(">IIBBBBB", 512, 512, 8, 6, 0, 0, 0))],
        "two headers",
    ),
    "100,001 empty chunks (Pillow walks each in Python)": ([png_chunk(b"prIv", b"")] * 100_001, "chunks in all"),
}


@pytest.mark.parametrize("trick", list(PNG_TRICKS))
def test_png_chunks_that_cost_time_outside_the_pixel_budget_are_refused_before_decoding(
    trick, source, target, no_decoding
):
    chunks, message = PNG_TRICKS[trick]
    drawing = source.samples()[0].drawing_png
    tricked = drawing[:33] + b"".join(chunks) + drawing[33:]
    import_rejected(target, rebuild(export_workspace(source), replace={"samples/000001.png": tricked}), message)


def entry_span(data, name):
    """(start, end) of an entry's stored (compressed) bytes in a zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
    name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    return start, start + info.compress_size


def central_headers(data):
    """Offsets of every central directory record (a zip without a comment)."""
    count, _, directory = struct.unpack_from("<HII", data, len(data) - 12)
    offsets = []
    for _ in range(count):
        offsets.append(directory)
        lengths = struct.unpack_from("<HHH", data, directory + 28)
        directory += 46 + sum(lengths)
    return offsets


def patched(data, edits):
    """`data` with bytes replaced: {offset: new bytes}."""
    data = bytearray(data)
    for offset, new in edits.items():
        data[offset : offset + len(new)] = new
    return bytes(data)


def crafted_uploads(exported):
    """Archives that made zipfile, zlib or json raise something other than a rejection (what they raised)."""
    stored = archive_of([one_bit_png(28)], compression=zipfile.ZIP_STORED)
    manifest_end = entry_span(stored, "manifest.json")[1]
    labels_start, labels_end = entry_span(exported, "labels.csv")
    manifest_central = central_headers(stored)[0]  # manifest.json is the first entry written
    manifest_start = json.dumps({"format": "tl-workspace", "version": 1})[:-1].encode()
    return {
        "corrupt deflate data (zlib.error)": patched(exported, {labels_start: b"\xff" * (labels_end - labels_start)}),
        "bad CRC (BadZipFile)": patched(stored, {manifest_end - 2: b"!"}),
        "deflate64 (NotImplementedError)": patched(
            stored, {offset + 10: struct.pack("<H", 9) for offset in central_headers(stored)}
        ),
        "a newer zip version (NotImplementedError)": patched(stored, {manifest_central + 6: b"\xff"}),
        "a name that is not UTF-8 (UnicodeDecodeError)": patched(stored, {6: b"\x00\x08", 30: b"\xff"}),
        "a file cut short (EOFError)": patched(stored, {manifest_central + 20: struct.pack("<II", 60000, 60000)}),
        "a negative offset (ValueError)": patched(stored, {len(stored) - 6: struct.pack("<I", 1 << 20)}),
        "deep nesting (RecursionError)": rebuild(exported, replace={"manifest.json": b"[" * 50_000}),
        "a 5000-digit number (ValueError)": rebuild(
            exported, replace={"manifest.json": manifest_start + b', "n": ' + b"9" * 5000 + b"}"}
        ),
        "manifest.json not UTF-8 (UnicodeDecodeError)": rebuild(exported, replace={"manifest.json": b"\xff\xfe{}"}),
        "labels.csv not UTF-8 (UnicodeDecodeError)": rebuild(exported, replace={"labels.csv": b"file,label\n\xff"}),
    }


CRAFTED = [
    "corrupt deflate data (zlib.error)", "bad CRC (BadZipFile)", "deflate64 (NotImplementedError)",
    "a newer zip version (NotImplementedError)", "a name that is not UTF-8 (UnicodeDecodeError)",
    "a file cut short (EOFError)", "a negative offset (ValueError)", "deep nesting (RecursionError)",
    "a 5000-digit number (ValueError)", "manifest.json not UTF-8 (UnicodeDecodeError)",
    "labels.csv not UTF-8 (UnicodeDecodeError)",
]  # fmt: skip


@pytest.mark.parametrize("case", CRAFTED)
def test_what_the_zip_json_and_csv_code_raises_becomes_a_sentence(case, source, target):
    upload = crafted_uploads(export_workspace(source))[case]
    before = snapshot(target)
    with pytest.raises(ImportRejected) as rejected:
        import_workspace(target, upload)
    message = str(rejected.value)
    assert re.fullmatch(r"[A-Za-z].{10,200}\.", message) and "Error" not in message, message
    assert snapshot(target) == before


@pytest.mark.parametrize("entry", ["labels.csv", "manifest.json"])
def test_a_byte_order_mark_from_a_spreadsheet_or_editor_is_accepted(entry, store, source):
    exported = export_workspace(source)
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        content = archive.read(entry)
    upload = rebuild(exported, replace={entry: "\ufeff".encode() + content})
    target = store.workspace("target")
    assert import_workspace(target, upload) == {"samples": 5, "classes": 3, "skipped": 0}
    assert snapshot(target) == snapshot(source)


def test_the_export_does_not_name_the_live_workspace(store):
    workspace = store.workspace("secret-room-42")
    workspace.start_task(["a"])
    add_rendered(workspace, "あ", "a", 0)
    with zipfile.ZipFile(io.BytesIO(export_workspace(workspace))) as archive:
        assert "workspace" not in json.loads(archive.read("manifest.json"))
        assert not any(b"secret-room-42" in archive.read(name) for name in archive.namelist())


def test_older_exports_naming_their_workspace_still_import(store, source):
    exported = export_workspace(source)
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    upload = rebuild(exported, replace={"manifest.json": json.dumps({**manifest, "workspace": "source"})})
    target = store.workspace("target")
    assert import_workspace(target, upload) == {"samples": 5, "classes": 3, "skipped": 0}
    assert snapshot(target) == snapshot(source)


FORMULA_LABELS = {  # label -> its cell in labels.csv
    "=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0",
    "+1": "'+1",
    "-1": "'-1",
    "@SUM(A1)": "'@SUM(A1)",
    "'=x": "''=x",  # a label that looks like an escaped formula keeps its own quote
    "''+y": "'''+y",
    "'plain": "'plain",  # a quote before anything else is left alone
    "a=b": "a=b",
}


def test_formula_like_labels_are_quoted_in_the_csv_and_come_back_identical(store):
    workspace = store.workspace("formulas")
    workspace.start_task(list(FORMULA_LABELS))
    for seed, label in enumerate(FORMULA_LABELS):
        add_rendered(workspace, "あ", label, seed)
    exported = export_workspace(workspace)
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        cells = [row["label"] for row in csv.DictReader(io.StringIO(archive.read("labels.csv").decode()))]
    assert cells == list(FORMULA_LABELS.values())
    target = store.workspace("target")
    import_workspace(target, exported)
    assert snapshot(target) == snapshot(workspace)


@given(st.text(alphabet="'=+-@\t\rax", max_size=8))
@settings(max_examples=300, derandomize=True, database=None)
def test_cell_quoting_round_trips_and_leaves_no_formula(cell):
    from tl_core.storage.exchange import _escape_cell, _unescape_cell  # the pair the CSV goes through, both ways

    assert _unescape_cell(_escape_cell(cell)) == cell
    assert not re.match(r"[=+\-@\t\r]", _escape_cell(cell))


def test_a_rejection_late_in_the_import_leaves_classes_and_samples_as_they_were(source, target):
    """All or nothing: the last drawing is blank, after new classes and every other sample were accepted."""
    blank = png_of(np.zeros((280, 280, 4), np.uint8))
    import_rejected(target, rebuild(export_workspace(source), replace={"samples/000005.png": blank}), "blank")
    assert target.classes() == ["existing"] and target.sample_count() == 1
