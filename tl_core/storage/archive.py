"""The workspace zip: what one holds, and reading an uploaded one with every check done before any decoding.

The zip holds `manifest.json`, `labels.csv` (file, label, source, created) and one PNG per sample under
`samples/` (the original drawing). Reading never writes an uploaded name to disk, never unpickles anything and
bounds every size before reading.

Reading works in order of cost, so a hostile upload is turned away before it costs much: the zip's directory
(its size read from the last bytes), entry names and sizes, then manifest.json and labels.csv, then the
33-byte header of each PNG that labels.csv names (sizes against a total pixel budget), then those PNGs' chunk
lists. Entries labels.csv does not name are never read. Anything the zip, zlib, json, csv or PNG code raises on
damaged input becomes an `ImportRejected` with a sentence for the student. Decoding the drawings is left to
`exchange.import_workspace`, once everything here has passed.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator

from tl_core.data.render import DEFAULT_STYLE
from tl_core.storage.contents import MAX_CLASSES, MAX_SAMPLES, SOURCES, Workspace
from tl_core.storage.errors import WorkspaceError
from tl_core.storage.names import validate_label

FORMAT = "tl-workspace"
VERSION = 1
MAX_ZIP_BYTES = 20 * 1024 * 1024  # the upload itself
MAX_ENTRIES = MAX_SAMPLES + 3  # samples + manifest + labels + the samples/ folder
MAX_DIRECTORY_BYTES = 256 * MAX_ENTRIES  # zip directory: 46-byte record + name (<= 76) + other tools' extra fields
MAX_ENTRY_BYTES = 2 * 1024 * 1024  # one uncompressed file
MAX_MANIFEST_BYTES = 64 * 1024  # 200 classes of 32 characters are ~30 kB of JSON
MAX_TOTAL_BYTES = 200 * 1024 * 1024  # all files uncompressed: stops zip bombs
MAX_IMAGE_SIDE = 512  # px; a canvas drawing is 280, plus a margin
# Import costs ~20 ns a pixel (decoding and canvas_to_input, for the slowest PNG kinds measured) and ~0.3 ms a
# sample on the 2-vCPU server. The worst archive that passes every check (5,000 PNGs of 141 x 141 px = 100 M px,
# padded with chunks to 190 MB and MAX_PNG_CHUNKS) imports in 4.1-4.3 s (2.8 s unpadded). Before this budget,
# 5,000 one-bit 1024 x 1024 PNGs (a 1.1 MB zip, 5.2 G px) cost 124 s of CPU before the last one was found blank.
MAX_TOTAL_PIXELS = 100_000_000  # ~1,275 canvas drawings: kana at 25 a class, JLPT N5 at 15 round-trip
MAX_PNG_CHUNKS = 20 * MAX_SAMPLES  # all PNGs together (~3 us each): ours have 3 (IHDR, IDAT, IEND), others a few more
COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # what zip tools write; no deflate64, bzip2, lzma

_SAMPLE_NAME = re.compile(r"samples/[A-Za-z0-9_-]{1,64}\.png")  # the whole entry name (fullmatch)
_ZIP_END = b"PK\x05\x06"  # end of central directory record (22 bytes + a comment of up to 64 kB)
_ZIP64_LOCATOR = b"PK\x06\x07"  # just before that record in a zip64 archive (never needed: ours are small)
_DRAWING_PIXELS = DEFAULT_STYLE.canvas_side**2  # one drawing of the canvas's size, for messages
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_HEADER_BYTES = 33  # signature, then the IHDR chunk: length, type, width, height, 5 bytes, CRC
# Chunks Pillow inflates (up to 1 MB each, before any pixel): hundreds of them cost seconds per image.
_INFLATED_CHUNKS = {b"zTXt": "compressed text", b"iTXt": "international text", b"iCCP": "a colour profile"}
# A cell a spreadsheet would run as a formula (OWASP "CSV injection"), also once already quoted with "'":
_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")
_QUOTED_FORMULA = re.compile(r"'+[=+\-@\t\r]")  # what export made of such a cell: drop exactly one "'"


class ImportRejected(WorkspaceError):
    """The upload is not an acceptable workspace zip; nothing was changed."""


def read_archive(workspace: Workspace, data: bytes) -> tuple[list[str], list[dict], dict[str, bytes]]:
    """(classes, rows of labels.csv, the PNG each row names), after every check that needs no decoding."""
    if len(data) > MAX_ZIP_BYTES:
        raise ImportRejected(f"The file is larger than {MAX_ZIP_BYTES // (1024 * 1024)} MB.")
    _check_directory_size(data)
    with _zip_errors_rejected():
        archive = zipfile.ZipFile(io.BytesIO(data))
    with archive:
        entries = _entries(archive)
        classes = _parse_manifest(_read(archive, entries.get("manifest.json"), "manifest.json", MAX_MANIFEST_BYTES))
        rows = _parse_labels(_read(archive, entries.get("labels.csv"), "labels.csv", MAX_ENTRY_BYTES), entries)
        _check_capacity(workspace, classes, rows)
        _check_pixels(archive, entries, rows)
        pngs = {row["file"]: _read(archive, entries[row["file"]], row["file"], MAX_ENTRY_BYTES) for row in rows}
    _check_png_chunks(pngs)
    return classes, rows, pngs


def _check_directory_size(data: bytes) -> None:
    """Bound the zip's directory before zipfile reads it whole: a crafted 20 MB zip can list 400,000 entries
    (~2 s and ~240 MB before they could be counted). Finds the end record as zipfile does."""
    end = len(data) - 22
    if not (end >= 0 and data[end : end + 4] == _ZIP_END and data[-2:] == b"\0\0"):
        end = data.rfind(_ZIP_END, max(0, len(data) - 22 - 65535))
    if end < 0 or len(data) - end < 22:
        raise ImportRejected("That is not a zip file exported from this app.")
    if end >= 20 and data[end - 20 : end - 16] == _ZIP64_LOCATOR:
        raise ImportRejected("That zip uses the zip64 format for huge archives; an export of this app never does.")
    entries, directory_bytes = struct.unpack_from("<10xHI", data, end)
    if entries > MAX_ENTRIES or directory_bytes > MAX_DIRECTORY_BYTES:
        raise ImportRejected(f"The zip holds too many entries; at most {MAX_ENTRIES} are allowed.")


@contextlib.contextmanager
def _zip_errors_rejected() -> Iterator[None]:
    """Turn what the zip and zlib code raise on a damaged or crafted archive into a sentence for the student."""
    try:
        yield
    except NotImplementedError:  # deflate64, strong encryption, a newer zip version
        raise ImportRejected("The zip uses a feature this app cannot unpack; make it with ordinary zip.") from None
    except UnicodeDecodeError:  # a file name flagged as UTF-8 that is not
        raise ImportRejected("The zip holds a file name that is not readable text.") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, struct.error, OverflowError, ValueError):
        raise ImportRejected("The zip is damaged (a file in it is cut short or corrupt): export it again.") from None


def _entries(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The archive's entries by name, each checked by name, flags and declared size; none is read."""
    entries = {}
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ImportRejected(f"The zip holds {len(infos)} entries; at most {MAX_ENTRIES} are allowed.")
    if sum(entry.file_size for entry in infos) > MAX_TOTAL_BYTES:
        raise ImportRejected(f"The zip unpacks to more than {MAX_TOTAL_BYTES // (1024 * 1024)} MB.")
    for entry in infos:
        name = entry.filename
        if entry.is_dir() and name == "samples/":
            continue
        if name not in ("manifest.json", "labels.csv") and not _SAMPLE_NAME.fullmatch(name):
            raise ImportRejected(f"Unexpected entry {name[:80]!r} in the zip.")
        if name in entries:
            raise ImportRejected(f"The zip holds {name} twice.")
        if entry.flag_bits & 0x1:
            raise ImportRejected("Encrypted zips are not accepted.")
        if entry.compress_type not in COMPRESSIONS:
            raise ImportRejected("The zip uses a compression method this app cannot unpack; use ordinary zip.")
        if entry.file_size > MAX_ENTRY_BYTES:
            raise ImportRejected(f"{name} is larger than {MAX_ENTRY_BYTES // (1024 * 1024)} MB.")
        entries[name] = entry
    return entries


def _read(archive: zipfile.ZipFile, entry: zipfile.ZipInfo | None, name: str, limit: int) -> bytes:
    if entry is None:
        raise ImportRejected(f"The zip has no {name}.")
    if entry.file_size > limit:
        raise ImportRejected(f"{name} is larger than {limit // 1024} kB.")
    content = _read_start(archive, entry, limit + 1)
    if len(content) > limit:
        raise ImportRejected(f"{name} is larger than it claims.")
    return content


def _read_start(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, size: int) -> bytes:
    """At most `size` bytes from the start of an entry: only as much is inflated."""
    with _zip_errors_rejected(), archive.open(entry) as handle:
        return handle.read(size)


def _parse_manifest(content: bytes) -> list[str]:
    """The classes manifest.json lists (exports by older versions also name their workspace: ignored)."""
    try:
        manifest = json.loads(content.decode("utf-8-sig"))  # a BOM if an editor saved it
    except UnicodeDecodeError:
        raise ImportRejected("manifest.json is not UTF-8 text.") from None
    except (RecursionError, MemoryError):
        raise ImportRejected("manifest.json is nested too deeply to be a manifest.") from None
    except ValueError:  # invalid JSON, or a number of more than 4300 digits
        raise ImportRejected("manifest.json is not valid JSON.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise ImportRejected("manifest.json is not from a workspace export of this app.")
    classes = manifest.get("classes", [])
    if not isinstance(classes, list):
        raise ImportRejected("manifest.json lists its classes wrongly.")
    try:
        return [validate_label(label) for label in classes]
    except WorkspaceError as error:
        raise ImportRejected(f"manifest.json: {error}") from None


def _parse_labels(content: bytes, entries: dict[str, zipfile.ZipInfo]) -> list[dict]:
    try:
        reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))  # a BOM if a spreadsheet saved it
        rows = list(itertools.islice(reader, MAX_SAMPLES + 1))  # no more rows in memory than could be used
    except (UnicodeDecodeError, csv.Error):
        raise ImportRejected("labels.csv is not readable CSV text.") from None
    if reader.fieldnames is None or not {"file", "label", "source"} <= set(reader.fieldnames):
        raise ImportRejected("labels.csv needs the columns file, label and source.")
    if len(rows) > MAX_SAMPLES:
        raise ImportRejected(f"labels.csv lists more than {MAX_SAMPLES} samples.")
    seen = set()
    for row in rows:
        name = unescape_cell(row.get("file") or "")
        if name not in entries or not _SAMPLE_NAME.fullmatch(name):
            raise ImportRejected(f"labels.csv names a missing image {name[:80]!r}.")
        if name in seen:
            raise ImportRejected(f"labels.csv lists {name} twice.")
        seen.add(name)
        try:
            label = validate_label(unescape_cell(row.get("label") or ""))
        except WorkspaceError as error:
            raise ImportRejected(f"{name}: {error}") from None
        source = unescape_cell(row.get("source") or "")
        if source not in SOURCES:
            raise ImportRejected(f"{name}: unknown source {source[:20]!r}.")
        row.update(file=name, label=label, source=source)
    return rows


def _check_capacity(workspace: Workspace, classes: list[str], rows: list[dict]) -> None:
    """The workspace's caps, checked before any image is decoded (add_samples checks them again, atomically)."""
    present = workspace.sample_count()
    if present + len(rows) > MAX_SAMPLES:
        raise ImportRejected(
            f"The zip adds {len(rows)} samples to the {present} here; a workspace holds at most {MAX_SAMPLES}."
        )
    if len(dict.fromkeys([*workspace.classes(), *classes, *(row["label"] for row in rows)])) > MAX_CLASSES:
        raise ImportRejected(f"With the zip's classes this workspace would have more than {MAX_CLASSES}.")


def _check_pixels(archive: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo], rows: list[dict]) -> None:
    """Each named PNG's size from its first 33 bytes, against the side limit and the total pixel budget; each row
    keeps its (height, width) to check the decoded drawing against."""
    total = 0
    for row in rows:
        header = _read_start(archive, entries[row["file"]], _PNG_HEADER_BYTES)
        width, height = _png_size(header, row["file"])
        row["size"] = (height, width)
        total += width * height
    if total > MAX_TOTAL_PIXELS:
        raise ImportRejected(
            f"The zip's images hold {total / 1e6:.0f} million pixels; at most {MAX_TOTAL_PIXELS / 1e6:.0f} million "
            f"(about {MAX_TOTAL_PIXELS // _DRAWING_PIXELS} drawings) are imported at once."
        )


def _png_size(header: bytes, name: str) -> tuple[int, int]:
    """(width, height) from a PNG's signature and IHDR chunk, without decoding anything."""
    if len(header) < _PNG_HEADER_BYTES or not header.startswith(_PNG_SIGNATURE):
        raise ImportRejected(f"{name}: it is not a PNG image.")
    length, kind, width, height = struct.unpack_from(">I4sII", header, 8)
    if length != 13 or kind != b"IHDR" or zlib.crc32(header[12:29]) != struct.unpack_from(">I", header, 29)[0]:
        raise ImportRejected(f"{name}: it is not a readable PNG image.")
    if not (1 <= width <= MAX_IMAGE_SIDE and 1 <= height <= MAX_IMAGE_SIDE):
        raise ImportRejected(f"{name}: it is {width} x {height} px; at most {MAX_IMAGE_SIDE} px a side.")
    return width, height


def _check_png_chunks(pngs: dict[str, bytes]) -> None:
    """Walk each PNG's chunk list before Pillow does: its walk is Python (microseconds a chunk) and it inflates
    some kinds (up to 1 MB each), so one 2 MB PNG can cost over a second. Legitimate PNGs have a few chunks each."""
    chunks = 0
    for name, png in pngs.items():
        for kind in png_chunk_types(png, name):
            chunks += 1
            if chunks > MAX_PNG_CHUNKS:
                raise ImportRejected(f"The images are cut into more than {MAX_PNG_CHUNKS:,} PNG chunks in all.")
            if kind in _INFLATED_CHUNKS:
                raise ImportRejected(f"{name} carries {_INFLATED_CHUNKS[kind]}; save it again as a plain PNG.")
            if kind == b"IHDR":
                raise ImportRejected(f"{name}: it is not a readable PNG image (two headers).")


def png_chunk_types(png: bytes, name: str) -> Iterator[bytes]:
    """The type of each chunk after the header, up to IEND, read from their lengths and types alone."""
    position = _PNG_HEADER_BYTES  # the header was checked by _png_size
    while True:
        if position + 8 > len(png):
            raise ImportRejected(f"{name}: it is not a readable PNG image (cut short).")
        length, kind = struct.unpack_from(">I4s", png, position)
        yield kind
        if kind == b"IEND":
            return
        position += 12 + length  # length, type, data, CRC


def escape_cell(cell: str) -> str:
    """Quote a cell a spreadsheet would run as a formula (`=cmd|...`) so it shows as text."""
    return "'" + cell if _FORMULA_START.match(cell) else cell


def unescape_cell(cell: str) -> str:
    """Undo `escape_cell` exactly: a label exported and imported again comes back identical."""
    return cell[1:] if _QUOTED_FORMULA.match(cell) else cell
