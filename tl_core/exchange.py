"""Export a workspace as a zip, and import one back, validating everything before changing anything.

The zip holds `manifest.json`, `labels.csv` (file, label, source, created) and one PNG per sample under
`samples/` (the original drawing). Import never writes an uploaded name to disk, never unpickles anything,
bounds every size before reading, and re-derives each 28x28 input from its drawing with `canvas_to_input`,
so an upload cannot smuggle in arbitrary model inputs.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import zipfile

import numpy as np

from tl_core.preprocess import EmptyDrawingError, canvas_to_input, decode_png
from tl_core.workspace import MAX_SAMPLES, SOURCES, Workspace, WorkspaceError, validate_label

FORMAT = "tl-workspace"
VERSION = 1
MAX_ZIP_BYTES = 20 * 1024 * 1024  # the upload itself
MAX_ENTRIES = MAX_SAMPLES + 3  # samples + manifest + labels + the samples/ folder
MAX_ENTRY_BYTES = 2 * 1024 * 1024  # one uncompressed file
MAX_TOTAL_BYTES = 200 * 1024 * 1024  # all files uncompressed: stops zip bombs
MAX_IMAGE_SIDE = 1024  # px; a canvas drawing is 280
_SAMPLE_NAME = re.compile(r"samples/[A-Za-z0-9_-]{1,64}\.png")  # the whole entry name (fullmatch)


class ImportRejected(WorkspaceError):
    """The upload is not an acceptable workspace zip; nothing was changed."""


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
        writer.writerows(rows)
        archive.writestr("labels.csv", table.getvalue())
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "workspace": workspace.name,
            "charset": workspace.charset,
            "classes": workspace.classes(),
            "samples": len(samples),
            "exported": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return buffer.getvalue()


def import_workspace(workspace: Workspace, data: bytes) -> dict:
    """Add the samples (and any missing classes) of an exported zip to `workspace`, all or nothing."""
    manifest, rows, images = _read_archive(data)
    classes = [validate_label(label) for label in manifest.get("classes", [])]
    items = []
    for row in rows:
        png = images[row["file"]]
        drawing = _decode_png(png, row["file"])
        try:
            model_input = canvas_to_input(drawing)
        except EmptyDrawingError:
            raise ImportRejected(f"{row['file']} is blank.") from None
        items.append((row["label"], model_input, png, row["source"]))
    labels_in_rows = [row["label"] for row in rows]
    ids = workspace.add_samples(items, new_classes=[*classes, *labels_in_rows])
    return {"samples": len(ids), "classes": len(set(labels_in_rows))}


def _read_archive(data: bytes) -> tuple[dict, list[dict], dict[str, bytes]]:
    if len(data) > MAX_ZIP_BYTES:
        raise ImportRejected(f"The file is larger than {MAX_ZIP_BYTES // (1024 * 1024)} MB.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise ImportRejected("That is not a zip file exported from this app.") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ENTRIES:
            raise ImportRejected(f"The zip holds {len(entries)} entries; at most {MAX_ENTRIES} are allowed.")
        if sum(entry.file_size for entry in entries) > MAX_TOTAL_BYTES:
            raise ImportRejected("The zip unpacks to more than 200 MB.")
        files = {}
        for entry in entries:
            name = entry.filename
            if entry.is_dir() and name == "samples/":
                continue
            if name not in ("manifest.json", "labels.csv") and not _SAMPLE_NAME.fullmatch(name):
                raise ImportRejected(f"Unexpected entry {name[:80]!r} in the zip.")
            if entry.flag_bits & 0x1:
                raise ImportRejected("Encrypted zips are not accepted.")
            if entry.file_size > MAX_ENTRY_BYTES:
                raise ImportRejected(f"{name} is larger than {MAX_ENTRY_BYTES // (1024 * 1024)} MB.")
            with archive.open(entry) as handle:
                content = handle.read(MAX_ENTRY_BYTES + 1)
            if len(content) > MAX_ENTRY_BYTES:
                raise ImportRejected(f"{name} is larger than it claims.")
            files[name] = content
    manifest = _parse_manifest(files.get("manifest.json"))
    rows = _parse_labels(files.get("labels.csv"), files)
    return manifest, rows, files


def _parse_manifest(content: bytes | None) -> dict:
    if content is None:
        raise ImportRejected("The zip has no manifest.json.")
    try:
        manifest = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ImportRejected("manifest.json is not valid JSON.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise ImportRejected("manifest.json is not from a workspace export of this app.")
    if not isinstance(manifest.get("classes", []), list):
        raise ImportRejected("manifest.json lists its classes wrongly.")
    return manifest


def _parse_labels(content: bytes | None, files: dict[str, bytes]) -> list[dict]:
    if content is None:
        raise ImportRejected("The zip has no labels.csv.")
    try:
        reader = csv.DictReader(io.StringIO(content.decode("utf-8")))
        rows = list(reader)
    except (UnicodeDecodeError, csv.Error):
        raise ImportRejected("labels.csv is not readable CSV text.") from None
    if reader.fieldnames is None or not {"file", "label", "source"} <= set(reader.fieldnames):
        raise ImportRejected("labels.csv needs the columns file, label and source.")
    if len(rows) > MAX_SAMPLES:
        raise ImportRejected(f"labels.csv lists more than {MAX_SAMPLES} samples.")
    seen = set()
    for row in rows:
        name = row.get("file") or ""
        if name not in files or not _SAMPLE_NAME.fullmatch(name):
            raise ImportRejected(f"labels.csv names a missing image {name[:80]!r}.")
        if name in seen:
            raise ImportRejected(f"labels.csv lists {name} twice.")
        seen.add(name)
        try:
            row["label"] = validate_label(row.get("label") or "")
        except WorkspaceError as error:
            raise ImportRejected(f"{name}: {error}") from None
        if row.get("source") not in SOURCES:
            raise ImportRejected(f"{name}: unknown source {str(row.get('source'))[:20]!r}.")
    return rows


def _decode_png(content: bytes, name: str) -> np.ndarray:
    try:
        return decode_png(content, max_bytes=MAX_ENTRY_BYTES, max_side=MAX_IMAGE_SIDE)
    except ValueError as problem:
        raise ImportRejected(f"{name}: {problem}") from None
