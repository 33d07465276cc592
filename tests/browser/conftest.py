"""Real-browser fixtures: `streamlit run` on a free port and Debian's Chromium driven by Playwright.

In CI (`TL_REQUIRE_BROWSER=1`, set by .ci/run) a missing Chromium fails the tests instead of skipping them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tl_core.classroom.local_ray import free_port

ROOT = Path(__file__).resolve().parents[2]
TRAINED_WORKSPACE = "browser-trained"  # see the trained_workspace fixture
PUBLIC_URL = "http://classroom.test:8501"  # TL_PUBLIC_URL of the browser tests' server
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.fixture(scope="session")
def playwright_driver():
    """Playwright, once per session: every browser of the session is launched from it."""
    if chromium_path() is None:
        message = "Debian's chromium is not installed (make test installs it when run as root)"
        if os.environ.get("TL_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_driver):
    chromium = playwright_driver.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def app_data_dir(tmp_path_factory) -> Path:
    """The browser session's server's data directory (TL_DATA_DIR): tests may prepare workspaces in it."""
    return tmp_path_factory.mktemp("app-data")


@pytest.fixture(scope="session")
def app_url(app_data_dir):
    """A real `streamlit run app.py`, with its own empty data directory, for the whole browser session."""
    with running_app(app_data_dir) as url:
        yield url


@contextlib.contextmanager
def running_app(data_dir: Path, settings: dict[str, str] | None = None):
    """Start `streamlit run app.py` on a free loopback port with TL_DATA_DIR=data_dir (and `settings`, more
    environment variables); yield its URL once healthy (the health check runs no script, so the first page a
    test opens is the server's first request)."""
    port = free_port()
    log_path = data_dir / f"streamlit-{port}.log"
    # The address students would use (the share link and its QR code are built from it); nothing listens there.
    env = {**os.environ, "TL_DATA_DIR": str(data_dir), "TL_PUBLIC_URL": PUBLIC_URL, **(settings or {})}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
    ]
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, server, log_path)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


def _wait_until_healthy(url: str, server: subprocess.Popen, log_path: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"streamlit did not answer /_stcore/health within {timeout} s:\n{log_path.read_text()}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser, app_url, request, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        shot = tmp_path / "failure.png"
        tab.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failed page: {shot}")
    context.close()


@pytest.fixture(scope="session")
def trained_workspace(app_data_dir) -> str:
    """A workspace with 3 rendered hiragana per class and a finished 5-epoch comparison, made in this process
    in the server's data directory (the pages under test only read it)."""
    from tl_core.classroom.experiments import comparison_record, keep_comparison
    from tl_core.data.charsets import get_charset
    from tl_core.models.zoo import load_model
    from tl_core.storage.collect import autofill
    from tl_core.storage.workspace import DB_FILE, WorkspaceStore
    from tl_core.training.settings import TrainSettings
    from tl_core.training.tasks import workspace_task

    workspace = WorkspaceStore(app_data_dir / DB_FILE).workspace(TRAINED_WORKSPACE)
    workspace.start_task(list(get_charset("hiragana").labels), charset="hiragana")
    autofill(workspace, 3)
    task = workspace_task(workspace)
    kept = comparison_record(load_model("compact-gap"), "compact-gap", "compact-gap", task, TrainSettings(epochs=5))
    keep_comparison(workspace, kept)
    return TRAINED_WORKSPACE


def wait_until_idle(page, settle_ms: int = 800) -> None:
    """Wait until Streamlit has finished its current run and the page has settled (components mounted)."""
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    page.wait_for_timeout(settle_ms)


def draw_strokes(page, canvas, strokes, steps_per_segment: int = 6) -> None:
    """Draw with the mouse, stroke by stroke; points are in canvas pixels from its top-left corner."""
    box = canvas.bounding_box()
    for stroke in strokes:
        x0, y0 = stroke[0]
        page.mouse.move(box["x"] + x0, box["y"] + y0)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=steps_per_segment)
        page.mouse.up()
