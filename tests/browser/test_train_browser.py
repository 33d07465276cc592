"""In a real Chromium: auto-fill 3 shots of a built-in set, train both models (refreshing mid-way), see both
curves, predict."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import draw_strokes, wait_until_idle
from tl_core.data.charsets import get_charset

pytestmark = pytest.mark.browser

KA = [  # か as KanjiVG writes it (the strokes the set's samples are rendered from), traced on the 280 px canvas
    [(63, 99), (116, 93), (154, 96), (161, 127), (155, 172), (133, 221), (109, 214)],
    [(125, 45), (122, 73), (107, 110), (91, 146), (78, 171), (68, 190), (51, 218)],
    [(199, 81), (208, 90), (216, 100), (224, 111), (230, 122), (234, 133), (237, 145)],
]


def test_auto_fill_train_and_predict(page, app_url):
    page.goto(f"{app_url}/collect?workspace=browser-train")
    page.get_by_role("button", name="Use this set").click()  # hiragana, the default set
    samples = page.get_by_label("Samples per class")
    samples.wait_for(timeout=30_000)
    samples.fill("3")
    samples.press("Enter")
    wait_until_idle(page)
    page.get_by_role("button", name="Auto-fill 3 per class").click()
    page.get_by_text(re.compile(r"138\s+samples")).wait_for(timeout=60_000)

    page.goto(f"{app_url}/train?workspace=browser-train")
    page.get_by_role("button", name="Train both models").click()
    # Training runs on the server's queue: a refresh mid-way reattaches to it instead of killing it.
    page.get_by_text(re.compile(r"scratch: epoch \d+/30")).wait_for(timeout=120_000)
    page.reload()
    page.get_by_text(re.compile(r"After 30 epochs: transfer \d+%")).wait_for(timeout=240_000)
    legend = page.locator(".js-plotly-plot").first.locator(".legendtext")  # the learning curves, the first chart
    expect(legend.filter(has_text="transfer")).to_have_count(1)
    expect(legend.filter(has_text="scratch")).to_have_count(1)

    wait_until_idle(page)
    canvas = page.locator("canvas.upper-canvas").first
    canvas.scroll_into_view_if_needed()
    draw_strokes(page, canvas, KA)
    transfer_guess = page.locator('[data-testid="stMetric"]', has_text="Transfer").locator(
        '[data-testid="stMetricValue"]'
    )
    scratch_guess = page.locator('[data-testid="stMetric"]', has_text="Scratch").locator(
        '[data-testid="stMetricValue"]'
    )
    transfer_guess.wait_for(timeout=60_000)
    guesses = {"transfer": transfer_guess.inner_text().strip(), "scratch": scratch_guess.inner_text().strip()}
    # Transfer, at 95% on fresh renders after 3 samples per class, reads the か (80% sure, the next guess 11%);
    # scratch, near 50%, may not, but its answer is one of the set's characters all the same.
    assert guesses["transfer"] == "か", guesses
    assert guesses["scratch"] in get_charset("hiragana").labels, guesses
