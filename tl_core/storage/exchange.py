"""Export a workspace as a zip, and import one back, validating everything before changing anything.

What the zip holds, and every check an upload passes before anything in it is decoded, are in `archive`. Import
re-derives each 28x28 input from its drawing with `canvas_to_input`, so an upload cannot smuggle in arbitrary
model inputs, and adds everything or (on any problem) nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
import zipfile

import numpy as np

from tl_core.data.png import decode_png
from tl_core.data.preprocess import EmptyDrawingError, canvas_to_input
from tl_core.storage.archive import (
    COMPRESSIONS,
    FORMAT,
    MAX_DIRECTORY_BYTES,
    MAX_ENTRIES,
    MAX_ENTRY_BYTES,
    MAX_IMAGE_SIDE,
    MAX_MANIFEST_BYTES,
    MAX_PNG_CHUNKS,
    MAX_TOTAL_BYTES,
    MAX_TOTAL_PIXELS,
    MAX_ZIP_BYTES,
    VERSION,
    ImportRejected,
    escape_cell,
    png_chunk_types,
    read_archive,
    unescape_cell,
)
from tl_core.storage.contents import MAX_SAMPLES, Workspace

# The limits and the error are named as exchange.* by the CLI, the Collect page, the tests, the upload cap in
# .streamlit/config.toml and benchmarks/hostile_input.py: importable from here as they were before `archive`.
__all__ = [
    "export_workspace",
    "import_workspace",
    "ImportRejected",
    "FORMAT",
    "VERSION",
    "COMPRESSIONS",
    "MAX_ZIP_BYTES",
    "MAX_ENTRIES",
    "MAX_DIRECTORY_BYTES",
    "MAX_ENTRY_BYTES",
    "MAX_MANIFEST_BYTES",
    "MAX_TOTAL_BYTES",
    "MAX_IMAGE_SIDE",
    "MAX_TOTAL_PIXELS",
    "MAX_PNG_CHUNKS",
    "MAX_SAMPLES",
]
# ... and these by their old private names (tests/test_exchange.py, benchmarks/hostile_input.py):
_escape_cell, _unescape_cell, _png_chunk_types = escape_cell, unescape_cell, png_chunk_types


def export_workspace(workspace: Workspace) -> bytes:
    samples = workspace.samples()
    rows = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, sample in enumerate(samples, start=1):
            name = f"samples/{number:06d}.png"
            archive.writestr(name, sample.drawing_png)
            rows.append([name, sample.label, sample.source, f"{sample.created:.3f}"])
        table = io.StringIO()
        writer = csv.writer(table)
        writer.writerow(["file", "label", "source", "created"])
        writer.writerows([[escape_cell(cell) for cell in row] for row in rows])
        archive.writestr("labels.csv", table.getvalue())
        manifest = {  # no workspace name: it is how others reach the workspace, and the zip gets shared
            "format": FORMAT,
            "version": VERSION,
            "charset": workspace.charset,
            "classes": workspace.classes(),
            "samples": len(samples),
            "exported": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return buffer.getvalue()


def import_workspace(workspace: Workspace, data: bytes) -> dict:
    """Add the samples (and any missing classes) of an exported zip to `workspace`, all or nothing."""
    classes, rows, pngs = read_archive(workspace, data)
    # Importing the same export twice would double every sample (and skew every accuracy): a drawing already
    # in the workspace under the same label is skipped, and the result says how many were.
    already = {(sample.label, _digest(sample.drawing_png)) for sample in workspace.samples()}
    items, skipped = [], 0
    for row in rows:
        png = pngs[row["file"]]
        if (seen := (row["label"], _digest(png))) in already:
            skipped += 1
            continue
        already.add(seen)
        items.append((row["label"], _model_input(png, row["file"], row["size"]), png, row["source"]))
    labels_in_rows = [row["label"] for row in rows]
    ids = workspace.add_samples(items, new_classes=[*classes, *labels_in_rows])
    return {"samples": len(ids), "classes": len(set(labels_in_rows)), "skipped": skipped}


def _digest(png: bytes) -> bytes:
    return hashlib.sha256(png).digest()


def _model_input(png: bytes, name: str, size: tuple[int, int]) -> np.ndarray:
    try:
        drawing = decode_png(png, max_bytes=MAX_ENTRY_BYTES, max_side=MAX_IMAGE_SIDE)
        if drawing.shape[:2] != size:  # what the pixel budget counted is what was decoded
            raise ValueError("its header does not match its pixels.")
        return canvas_to_input(drawing)
    except EmptyDrawingError:
        raise ImportRejected(f"{name} is blank.") from None
    except ValueError as problem:
        raise ImportRejected(f"{name}: {problem}") from None
