"""Hostile input benchmark: what the attacks the README says we defend against cost now, measured again.

Kept as one file: a benchmark is run as one script; each attack is one function, in the README's order.

    .venv/bin/python benchmarks/hostile_input.py [--repeats 3] [--students 60] [--json]

Everything runs in temporary directories, removed afterwards; no TensorFlow. Times are medians over
`--repeats` (wall clock; CPU seconds beside them). About 30 s on 2 vCPUs, most of it importing the worst
accepted archive (2 x `--repeats` imports of 5,000 PNGs).

- `attack_zip_seconds`: `tl_core.storage.exchange.import_workspace` rejecting the issue's attack archive: 5,000
  one-bit 1024 x 1024 PNGs (one PNG's bytes in every entry, the last one blank; a ~1 MB zip), with a valid
  manifest.json and a labels.csv naming them all. `attack_zip_images_decoded`: how many images Pillow decoded
  meanwhile (`ImageFile.load` calls; the target is 0).
- `worst_accepted_import_seconds`: the worst archive that passes every check, imported into a fresh workspace:
  `MAX_SAMPLES` PNGs of side sqrt(`MAX_TOTAL_PIXELS` / `MAX_SAMPLES`), each padded with tEXt chunks up to
  `MAX_TOTAL_BYTES` and `MAX_PNG_CHUNKS` in all; `worst_unpadded_import_seconds` the same PNGs without padding.
  `pixel_budget` is `MAX_TOTAL_PIXELS`, `max_image_side` `MAX_IMAGE_SIDE`, `worst_image_side` their side.
- `unlisted_entries_peak_mib`: tracemalloc peak while importing a ~209 KiB zip: a valid small export plus 99
  entries of 2 MiB of zeros each that labels.csv never names (until the import returns or raises).
- `forged_canvas_seconds`: `ui.canvas.read_canvas_png` refusing a 4,096 x 4,096 PNG.
- `fallback_concurrent_errors`, `fallback_concurrent_writes`: `WorkspaceStore.open_or_memory` on a file of
  garbage (it falls back to a temporary database), then 8 threads, each 30 x (`add_sample`, `counts`) on its
  own workspace: exceptions raised (target 0) and samples written (target 240).
- `quick_check_seconds`, `database_mib`: a class's database (`--students` workspaces of 230 samples in 46
  classes, a shared ~14 kB drawing PNG, one comparison run each with two 700 kB random models), WAL
  checkpointed; then `tl_core.storage.database._check_integrity` (what every app start runs) and the file's size.
- `shared_run_copies`, `shared_run_database_mib`: 30 workspaces each keeping the same lesson run (the same two
  700 kB models): rows in `model_blobs` (target 2) and the database's size, WAL checkpointed.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import os
import platform
import sqlite3
import statistics
import struct
import sys
import tempfile
import threading
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tl_core.storage import exchange  # noqa: E402
from tl_core.storage.database import _check_integrity  # noqa: E402
from tl_core.storage.workspace import WorkspaceStore  # noqa: E402

MODEL_BYTES = 700_000  # a saved comparison model, about
DRAWING_PNG_BYTES = 14_000  # a canvas drawing as the app keeps it, about
FALLBACK_THREADS, FALLBACK_CALLS = 8, 30
SHARED_RUN_WORKSPACES = 30


# --- building inputs -----------------------------------------------------------------------------------
def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pil_png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def samples_zip(pngs: list[bytes], compresslevel: int | None = None) -> bytes:
    """A zip as an export looks: manifest.json, samples/NNNNNN.png (one per PNG), labels.csv naming them all."""
    out, rows = io.BytesIO(), []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive:
        archive.writestr(
            "manifest.json", json.dumps({"format": exchange.FORMAT, "version": exchange.VERSION, "classes": ["a"]})
        )
        for number, png in enumerate(pngs):
            name = f"samples/{number:06d}.png"
            archive.writestr(name, png)
            rows.append([name, "a", "drawn", "0"])
        table = io.StringIO()
        writer = csv.writer(table)
        writer.writerow(["file", "label", "source", "created"])
        writer.writerows(rows)
        archive.writestr("labels.csv", table.getvalue())
    return out.getvalue()


def attack_zip(count: int = 5000, side: int = 1024) -> bytes:
    """The issue's archive: one-bit PNGs (white ink on black, so every pixel would count), the last one blank."""
    ink = np.zeros((side, side), bool)
    ink[side // 4 : 3 * side // 4, side // 2 - 5 : side // 2 + 5] = True
    inked, blank = pil_png(ink), pil_png(np.zeros((side, side), bool))
    return samples_zip([inked] * (count - 1) + [blank])


def worst_accepted_zips() -> tuple[bytes, bytes, int, bytes]:
    """(padded zip, unpadded zip, side, one padded PNG): the costliest archive every check lets through."""
    count = exchange.MAX_SAMPLES
    side = int((exchange.MAX_TOTAL_PIXELS / count) ** 0.5)
    opaque = np.full((side, side, 4), 255, np.uint8)
    opaque[side // 8 : 7 * side // 8, side // 8 : 7 * side // 8 : 3, :3] = 0
    opaque[0, :, :3] = 0  # ink reaches the edges: the crop keeps the whole image
    opaque[:, 0, :3] = 0
    base = pil_png(opaque)
    pads_per_png = exchange.MAX_PNG_CHUNKS // count - 3  # IDAT and IEND count too, with room for one more
    per_png = exchange.MAX_TOTAL_BYTES // (count + 2) - len(base) - 2048
    size = per_png // max(1, pads_per_png) - 14
    pads = b"".join(png_chunk(b"tEXt", b"k\0" + bytes([120 + i % 3]) * size) for i in range(pads_per_png))
    padded = base[:33] + pads + base[33:]  # after IHDR, before the image data
    return samples_zip([padded] * count), samples_zip([base] * count), side, padded


def drawing_png(rows_of_noise: int = 0) -> bytes:
    """A 280 x 280 canvas drawing (black strokes on white), with `rows_of_noise` rows of speckle to set its size."""
    canvas = np.full((280, 280, 4), 255, np.uint8)
    canvas[60:220, 130:148, :3] = 0
    canvas[130:148, 60:220, :3] = 0
    if rows_of_noise:
        speckle = np.random.default_rng(0).integers(0, 2, (rows_of_noise, 280), dtype=np.uint8) * 255
        canvas[:rows_of_noise, :, :3] = speckle[..., None]
    return pil_png(canvas)


def drawing_of_about(size: int) -> bytes:
    """A drawing PNG of about `size` bytes."""
    for rows in range(0, 281, 2):
        png = drawing_png(rows)
        if len(png) >= size:
            return png
    return png


def unlisted_zip(directory: Path) -> bytes:
    """A valid export of a small workspace, plus 99 highly compressible 2 MiB entries labels.csv never names."""
    workspace = WorkspaceStore(directory / "source.sqlite3").workspace("source")
    png = drawing_png()
    workspace.add_samples([("a", np.zeros((28, 28), np.float32), png, "drawn")] * 3, new_classes=["a"])
    out = io.BytesIO(exchange.export_workspace(workspace))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for number in range(99):
            archive.writestr(f"samples/unlisted{number:03d}.png", b"\0" * exchange.MAX_ENTRY_BYTES)
    return out.getvalue()


def forged_canvas_png(side: int = 4096) -> bytes:
    pixels = np.full((side, side, 4), 255, np.uint8)
    pixels[side // 4 : 3 * side // 4, side // 2 - 40 : side // 2 + 40, :3] = 0
    return pil_png(pixels)


# --- measuring -----------------------------------------------------------------------------------------
@contextmanager
def decodes_counted() -> Iterator[dict]:
    """Count Pillow's pixel decodes (`ImageFile.load`) meanwhile: every path to pixels goes through it."""
    counter = {"decoded": 0}
    original = ImageFile.ImageFile.load

    def load(self, *args, **kwargs):
        counter["decoded"] += 1
        return original(self, *args, **kwargs)

    ImageFile.ImageFile.load = load
    try:
        yield counter
    finally:
        ImageFile.ImageFile.load = original


def timed(action: Callable[[], object]) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds, what `action` returned or the exception it raised)."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        outcome = action()
    except Exception as error:  # a rejection is the expected outcome of most measurements here
        outcome = error
    return time.perf_counter() - wall, time.process_time() - cpu, outcome


def import_into_fresh_workspace(data: bytes, repeats: int) -> dict:
    """Median wall and CPU seconds of importing `data` into a new workspace; the outcome and decodes of the last."""
    walls, cpus = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as directory:
            workspace = WorkspaceStore(Path(directory) / "import.sqlite3").workspace("target")
            with decodes_counted() as counter:
                wall, cpu, outcome = timed(lambda workspace=workspace: exchange.import_workspace(workspace, data))
        walls.append(wall)
        cpus.append(cpu)
    return {
        "seconds": statistics.median(walls),
        "cpu_seconds": statistics.median(cpus),
        "outcome": describe(outcome),
        "decoded": counter["decoded"],
    }


def describe(outcome: object) -> str:
    if isinstance(outcome, exchange.ImportRejected):
        return f"rejected: {outcome}"
    if isinstance(outcome, Exception):
        return f"raised {type(outcome).__name__}: {outcome}"
    return f"accepted: {outcome}"


def checkpointed_mib(path: Path) -> float:
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return path.stat().st_size / 2**20


def measure_attack_zip(repeats: int) -> dict:
    result = import_into_fresh_workspace(attack_zip(), repeats)
    return {
        "attack_zip_seconds": result["seconds"],
        "attack_zip_cpu_seconds": result["cpu_seconds"],
        "attack_zip_images_decoded": result["decoded"],
        "attack_zip_outcome": result["outcome"],
    }


def measure_worst_accepted(repeats: int) -> dict:
    padded, unpadded, side, png = worst_accepted_zips()
    chunks = sum(1 for _ in exchange._png_chunk_types(png, "padded")) * exchange.MAX_SAMPLES  # IHDR not counted
    worst = import_into_fresh_workspace(padded, repeats)
    plain = import_into_fresh_workspace(unpadded, repeats)
    return {
        "worst_accepted_import_seconds": worst["seconds"],
        "worst_accepted_import_cpu_seconds": worst["cpu_seconds"],
        "worst_accepted_outcome": worst["outcome"],
        "worst_unpadded_import_seconds": plain["seconds"],
        "worst_unpadded_import_cpu_seconds": plain["cpu_seconds"],
        "worst_unpadded_outcome": plain["outcome"],
        "worst_zip_mib": len(padded) / 2**20,
        "worst_unpacked_mib": len(png) * exchange.MAX_SAMPLES / 2**20,
        "worst_png_chunks": chunks,
        "max_total_mib": exchange.MAX_TOTAL_BYTES / 2**20,
        "max_png_chunks": exchange.MAX_PNG_CHUNKS,
        "pixel_budget": exchange.MAX_TOTAL_PIXELS,
        "max_image_side": exchange.MAX_IMAGE_SIDE,
        "worst_image_side": side,
    }


def measure_unlisted() -> dict:
    with tempfile.TemporaryDirectory() as directory:
        data = unlisted_zip(Path(directory))
        workspace = WorkspaceStore(Path(directory) / "import.sqlite3").workspace("target")
        tracemalloc.start()
        try:
            _, _, outcome = timed(lambda: exchange.import_workspace(workspace, data))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return {
        "unlisted_entries_peak_mib": peak / 2**20,
        "unlisted_zip_kib": len(data) / 1024,
        "unlisted_outcome": describe(outcome),
    }


def measure_forged_canvas(repeats: int) -> dict:
    from ui.canvas import read_canvas_png  # imports streamlit, which needs no running server for this

    png = forged_canvas_png()
    walls, cpus = [], []
    for _ in range(repeats):
        with decodes_counted() as counter:
            wall, cpu, read = timed(lambda: read_canvas_png(png))
        walls.append(wall)
        cpus.append(cpu)
    refused = getattr(read, "pixels", None) is None
    return {
        "forged_canvas_seconds": statistics.median(walls),
        "forged_canvas_cpu_seconds": statistics.median(cpus),
        "forged_canvas_images_decoded": counter["decoded"],
        "forged_canvas_outcome": f"refused: {read.problem}" if refused else describe(read),
    }


def measure_fallback() -> dict:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "workspaces.sqlite3"
        path.write_bytes(b"this is not a database, just garbage " * 1000)
        quiet = logging.getLogger("tl_core.storage.workspace")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)  # it logs the fallback as an error, by design
        try:
            store = WorkspaceStore.open_or_memory(path)
        finally:
            quiet.setLevel(level)
        errors, writes, lock = [], [0], threading.Lock()

        def student(number: int) -> None:
            try:
                workspace = store.workspace(f"student-{number}")
                workspace.start_task(["a", "b"])
            except Exception as error:
                with lock:
                    errors.append(error)
                return
            for call in range(FALLBACK_CALLS):
                try:
                    workspace.add_sample("ab"[call % 2], np.zeros((28, 28), np.float32), b"png", "drawn")
                    with lock:
                        writes[0] += 1
                    workspace.counts()
                except Exception as error:
                    with lock:
                        errors.append(error)

        threads = [threading.Thread(target=student, args=(number,)) for number in range(FALLBACK_THREADS)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        garbage_untouched = path.read_bytes().startswith(b"this is not a database")
        used_temporary = store.problem is not None  # its temporary database goes with it, on return
    return {
        "fallback_used_temporary_database": used_temporary,
        "fallback_garbage_file_untouched": garbage_untouched,
        "fallback_concurrent_errors": len(errors),
        "fallback_concurrent_writes": writes[0],
        "fallback_concurrent_seconds": seconds,
        "fallback_first_error": repr(errors[0]) if errors else None,
    }


def measure_quick_check(students: int, repeats: int) -> dict:
    rng = np.random.default_rng(0)
    png = drawing_of_about(DRAWING_PNG_BYTES)
    labels = [f"c{number:02d}" for number in range(46)]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "workspaces.sqlite3"
        store = WorkspaceStore(path)
        for number in range(students):
            workspace = store.workspace(f"student-{number:03d}")
            items = [(labels[i % 46], rng.random((28, 28), dtype=np.float32), png, "drawn") for i in range(230)]
            workspace.add_samples(items, new_classes=labels)
            models = {"transfer": rng.bytes(MODEL_BYTES), "scratch": rng.bytes(MODEL_BYTES)}
            workspace.save_run("comparison", {"student": number, "transfer_accuracy": 0.9}, models)
        mib = checkpointed_mib(path)
        walls = []
        for _ in range(repeats):
            wall, _, outcome = timed(lambda: _check_integrity(path))
            if isinstance(outcome, Exception):
                raise outcome
            walls.append(wall)
    return {
        "quick_check_seconds": statistics.median(walls),
        "database_mib": mib,
        "students": students,
        "drawing_png_bytes": len(png),
    }


def measure_shared_run() -> dict:
    rng = np.random.default_rng(1)
    models = {"transfer": rng.bytes(MODEL_BYTES), "scratch": rng.bytes(MODEL_BYTES)}
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "workspaces.sqlite3"
        store = WorkspaceStore(path)
        for number in range(SHARED_RUN_WORKSPACES):
            summary = {"lesson": "default", "transfer_accuracy": 0.95, "scratch_accuracy": 0.76}
            store.workspace(f"student-{number:03d}").save_run("lesson", summary, models)
        with store.connect() as connection:
            copies = connection.execute("SELECT COUNT(*) FROM model_blobs").fetchone()[0]
            runs = connection.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        mib = checkpointed_mib(path)
    return {"shared_run_copies": copies, "shared_run_runs": runs, "shared_run_database_mib": mib}


def processor() -> str:
    """platform.processor(), or the model name Linux gives when that is empty."""
    if platform.processor():
        return platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown processor"


def measure(repeats: int, students: int) -> dict:
    result = {
        "machine": f"{platform.machine()}, {processor()}, {os.cpu_count()} CPU cores, "
        f"Python {platform.python_version()}",
        "repeats": repeats,
    }
    steps = [
        ("attack zip", lambda: measure_attack_zip(repeats)),
        ("worst accepted archive", lambda: measure_worst_accepted(repeats)),
        ("unlisted entries", measure_unlisted),
        ("forged canvas", lambda: measure_forged_canvas(repeats)),
        ("fallback database under threads", measure_fallback),
        ("quick_check of a class's database", lambda: measure_quick_check(students, repeats)),
        ("shared lesson run", measure_shared_run),
    ]
    for name, step in steps:
        started = time.perf_counter()
        result.update(step())
        print(f"  {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return result


def print_table(result: dict) -> None:
    print(f"Hostile input, medians of {result['repeats']}; {result['machine']}")
    rows = [
        (
            "attack zip (5,000 x 1-bit 1024 px) rejected in",
            f"{result['attack_zip_seconds']:.3f} s",
            f"CPU {result['attack_zip_cpu_seconds']:.3f} s, {result['attack_zip_images_decoded']} images decoded",
        ),
        (
            "worst accepted archive imported in",
            f"{result['worst_accepted_import_seconds']:.2f} s",
            f"CPU {result['worst_accepted_import_cpu_seconds']:.2f} s, zip {result['worst_zip_mib']:.1f} MiB",
        ),
        (
            "  its PNGs: unpacked / chunks",
            f"{result['worst_unpacked_mib']:.0f} MiB",
            f"{result['worst_png_chunks']:,} chunks (limits {result['max_total_mib']:.0f} MiB, "
            f"{result['max_png_chunks']:,})",
        ),
        (
            "  the same without padding",
            f"{result['worst_unpadded_import_seconds']:.2f} s",
            f"CPU {result['worst_unpadded_import_cpu_seconds']:.2f} s",
        ),
        (
            "  pixel budget / image side limit / its side",
            f"{result['pixel_budget'] / 1e6:.0f} M px",
            f"{result['max_image_side']} px / {result['worst_image_side']} px",
        ),
        (
            "unlisted 2 MiB entries: tracemalloc peak",
            f"{result['unlisted_entries_peak_mib']:.1f} MiB",
            f"zip {result['unlisted_zip_kib']:.0f} KiB",
        ),
        (
            "forged 4,096 px canvas PNG refused in",
            f"{result['forged_canvas_seconds'] * 1000:.1f} ms",
            f"{result['forged_canvas_images_decoded']} images decoded",
        ),
        (
            "fallback database, 8 threads: errors",
            f"{result['fallback_concurrent_errors']}",
            f"{result['fallback_concurrent_writes']} writes in {result['fallback_concurrent_seconds']:.2f} s",
        ),
        (
            f"quick_check, {result['students']} students' database",
            f"{result['quick_check_seconds']:.3f} s",
            f"{result['database_mib']:.0f} MiB",
        ),
        (
            f"shared lesson run x {result['shared_run_runs']}: model copies",
            f"{result['shared_run_copies']}",
            f"{result['shared_run_database_mib']:.1f} MiB",
        ),
    ]
    for label, value, note in rows:
        print(f"{label:<48} {value:>10}   {note}")
    print("outcomes:")
    for key in (
        "attack_zip_outcome",
        "worst_accepted_outcome",
        "worst_unpadded_outcome",
        "unlisted_outcome",
        "forged_canvas_outcome",
    ):
        print(f"  {key:<24} {result[key][:100]}")
    if result["fallback_first_error"]:
        print(f"  fallback_first_error     {result['fallback_first_error'][:100]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="timings are medians over this many runs")
    parser.add_argument("--students", type=int, default=60, help="workspaces in the quick_check database")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(max(1, args.repeats), args.students)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
