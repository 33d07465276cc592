"""The teacher of `benchmarks/classroom.py --class`: creates the class, and watches the class page while it trains.

The class page is rendered as the server renders it: the whole app script (frame and page) in an AppTest, in the
benchmark's process, against the same store and the same training queue (`ui.resources.training_queue`, which the
simulated students submit to), as often as the page's live part refreshes. One teacher tab is opened once (an
AppTest scans the installed packages for components when it starts, as a server does once) and rerun: each
render runs the whole page, an upper bound on the live part's refresh. A render counts towards
`class_page_ms_p95` when a training was running during it; `class_rows` is the number of rows the page's table
shows once every student has finished.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

APP = str(Path(__file__).resolve().parents[1] / "app.py")
CLASS_PAGE = "pages/class.py"


def create_class(store) -> tuple[str, str]:
    """A teacher's workspace and their new class: (teacher workspace, class code)."""
    from tl_core.storage.school_classes import SchoolClasses

    teacher = store.new_workspace().name
    return teacher, SchoolClasses(store).create(teacher, "Benchmark class").code


def class_page(code: str, teacher: str):
    """The teacher's tab on the class page, rendered once (an AppTest: what the browser would receive)."""
    from streamlit.runtime.scriptrunner import script_cache
    from streamlit.testing.v1 import AppTest, app_test

    # A server compiles each page script once and keeps it (its ScriptCache); AppTest makes a new cache at every
    # run, which would add recompiling the app's scripts (about 40 ms of a core) to every render timed here.
    shared = script_cache.ScriptCache()
    app_test.ScriptCache = lambda: shared

    page = AppTest.from_file(APP, default_timeout=120)
    page.query_params.update({"class": code, "workspace": teacher})
    return render(page.switch_page(CLASS_PAGE))


def render(page):
    """The page's script run again (the whole page, as a rerun does: its live part alone reruns less)."""
    page.run()
    if page.exception:
        raise RuntimeError(f"the class page failed: {page.exception[0].message}")
    return page


def rows_shown(page) -> int:
    """How many runs the class page's results table lists (0 before the first finishes)."""
    return next((len(frame.value) for frame in page.dataframe if "transfer" in frame.value.columns), 0)


def watch_class_page(code: str, teacher: str, queue, stop: threading.Event, every: float) -> dict:
    """Render the class page every `every` seconds until `stop` is set, timing the renders made while a training
    was running; then render it once more, after the class has finished, and count its rows."""
    import numpy as np

    page = class_page(code, teacher)  # the tab opened (once per teacher: not timed)
    while_training = []
    while not stop.is_set():
        running_before = queue.counts()["running"]
        started = time.perf_counter()
        render(page)
        elapsed = time.perf_counter() - started
        if running_before or queue.counts()["running"]:
            while_training.append(elapsed * 1000)
        stop.wait(max(0.0, every - elapsed))
    return {
        "class_rows": rows_shown(render(page)),
        "class_page_ms_median": float(np.median(while_training)) if while_training else None,
        "class_page_ms_p95": float(np.percentile(while_training, 95)) if while_training else None,
        "class_page_renders": len(while_training),
    }
