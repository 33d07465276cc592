"""In a real Chromium: draw a digit on the zoo page's canvas with the mouse and see it recognised."""

import pytest

from tests.browser.conftest import draw_strokes, wait_until_idle

pytestmark = pytest.mark.browser

SEVEN = [[(60, 60), (220, 60), (120, 240)]]
ZERO = [[(140, 40), (90, 70), (75, 140), (90, 210), (140, 240), (190, 210), (205, 140), (190, 70), (140, 40)]]


def test_drawing_a_digit_shows_the_prediction(page, app_url):
    page.goto(app_url)
    page.get_by_text("Digit model zoo").first.wait_for(timeout=60_000)
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=60_000)
    page.get_by_text("Draw a digit on the canvas").wait_for(timeout=30_000)

    draw_strokes(page, canvas, SEVEN)
    prediction = page.locator('[data-testid="stMetricValue"]').first
    prediction.wait_for(timeout=90_000)  # the first prediction waits for TensorFlow and the model to load
    assert prediction.inner_text().strip() == "7"
    assert page.get_by_text("What the model sees").count() > 0

    page.get_by_role("button", name="Clear").click()
    wait_until_idle(page)
    page.get_by_text("Draw a digit on the canvas").wait_for(timeout=30_000)
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for()

    draw_strokes(page, canvas, ZERO)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stMetricValue\"]')?.innerText.trim() === '0'",
        timeout=30_000,
    )


def test_the_chosen_model_lives_in_the_url(page, app_url):
    page.goto(f"{app_url}/?model=lenet5")
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=60_000)
    wait_until_idle(page)
    draw_strokes(page, canvas, SEVEN)
    page.get_by_text("model: LeNet-5 style").wait_for(timeout=90_000)

    model_picker = page.locator("[data-testid=stButtonGroup] button")
    model_picker.filter(has_text="Deeper CNN with batch norm").click()
    page.get_by_text("model: Deeper CNN with batch norm").wait_for(timeout=60_000)
    page.wait_for_url("**model=deep-bn**", timeout=10_000)
    page.reload()
    wait_until_idle(page)
    assert model_picker.filter(has_text="Deeper CNN with batch norm").get_attribute("aria-checked") == "true"
