"""In a real Chromium: three students press Train at once; the queue runs them in turn and all finish."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_until_idle
from tl_core.storage.workspace import DB_FILE, WorkspaceStore

pytestmark = pytest.mark.browser

IN_LINE = re.compile(r"Waiting for the shared trainer: number (\d+) in line")
TRAINING = re.compile(r"(transfer|scratch): epoch \d+/5")  # the live panel's progress (also while paused)
FINISHED = re.compile(r"After 5 epochs: transfer \d+%")
STOPPED = "The training stopped"  # a failed job's message: no point waiting for its result
END = ("done", "stopped")
RUNS = ("transfer", "scratch")


def what_it_shows(page) -> str | None:
    """'done', 'in line N', 'training' or 'stopped'; None while its panel is on the way."""
    if page.get_by_text(FINISHED).count():
        return "done"
    if page.get_by_text(STOPPED).count():
        return "stopped"
    if waiting := page.get_by_text(IN_LINE).all_inner_texts():
        return f"in line {IN_LINE.search(waiting[0]).group(1)}"
    return "training" if page.get_by_text(TRAINING).count() else None


def watch_until_done(pages, seconds=300) -> list[list[tuple[str, float]]]:
    """What each page showed and when, each change once, polled round the pages until each shows how it ended."""
    seen = [[] for _ in pages]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all(changes[-1:] and changes[-1][0] in END for changes in seen):
        for page, changes in zip(pages, seen, strict=True):
            if (now := what_it_shows(page)) is not None and (not changes or changes[-1][0] != now):
                changes.append((now, time.monotonic()))
        time.sleep(0.2)
    return seen


def test_three_pages_training_at_once_take_turns_and_all_finish_with_their_curves(browser, app_url, app_data_dir):
    contexts = [browser.new_context(viewport={"width": 1300, "height": 900}) for _ in range(3)]
    pages = [context.new_page() for context in contexts]
    try:
        for index, page in enumerate(pages):
            page.goto(f"{app_url}/train?workspace=classroom-{index}")
            page.get_by_role("button", name=re.compile("Set up the demo")).click()
            epochs = page.get_by_label("Epochs", exact=True)  # not its help button, "Help for Epochs"
            epochs.wait_for(timeout=60_000)
            epochs.fill("5")
            epochs.press("Enter")
            wait_until_idle(page)
        pressed = time.time()
        for page in pages:  # as close together as three students can click
            page.get_by_role("button", name="Train both models").click()
        seen = watch_until_done(pages)
        span = time.time() - pressed

        # One trains at once; another waits first in line; the last waits second, then first; none goes back in
        # line. The server takes the three presses in whatever order their requests arrive: not necessarily 0, 1, 2.
        states = [[state for state, _ in changes] for changes in seen]
        turns = [
            ["training", "done"],
            ["in line 1", "training", "done"],
            ["in line 2", "in line 1", "training", "done"],
        ]
        assert sorted(states) == sorted(turns), states
        training_from = {  # when each page's training first showed, by the turn it waited for
            tuple(shown): next(when for state, when in changes if state == "training")
            for shown, changes in zip(states, seen, strict=True)
        }
        assert [training_from[tuple(turn)] for turn in turns] == sorted(training_from.values()), seen
        for page in pages:
            legend = page.locator(".js-plotly-plot").first.locator(".legendtext")  # the learning curves
            expect(legend.filter(has_text="transfer")).to_have_count(1)
            expect(legend.filter(has_text="scratch")).to_have_count(1)
    finally:
        for context in contexts:
            context.close()

    # One at a time: each run's clocked compute (training and evaluation, only ever counted while its job holds
    # the trainer's one turn) lies inside the span, and no two overlap, so together they fit within it.
    store = WorkspaceStore(app_data_dir / DB_FILE)
    summaries = [store.workspace(f"classroom-{index}").latest_run("comparison").summary for index in range(3)]
    compute = [sum(run[which]["seconds"] + run[which]["eval_seconds"] for which in RUNS) for run in summaries]
    assert sum(compute) <= span, (compute, span)
