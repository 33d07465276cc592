"""In a real Chromium: make two custom classes, draw two samples of each, refresh, find them all."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import draw_strokes, wait_until_idle

pytestmark = pytest.mark.browser

CIRCLE = [[(140, 50), (80, 90), (70, 150), (100, 210), (160, 225), (210, 170), (205, 100), (140, 50)]]
CROSS = [[(60, 60), (220, 220)], [(220, 60), (60, 220)]]


def add_drawing(page, label, strokes, expected_count):
    page.get_by_role("button", name=f"Add as {label}").wait_for(timeout=30_000)
    wait_until_idle(page)
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=30_000)
    draw_strokes(page, canvas, strokes)
    add = page.get_by_role("button", name=f"Add as {label}")
    expect(add).to_be_enabled(timeout=30_000)  # enabled once the drawing has reached the server
    add.click()
    page.get_by_text(re.compile(rf"^{label} · {expected_count}$")).wait_for(timeout=30_000)


def test_drawn_samples_survive_a_refresh(page, app_url):
    page.goto(f"{app_url}/collect?workspace=browser-collect")
    page.get_by_text("My own classes").click()
    labels = page.get_by_label(re.compile("One label per line"))
    labels.fill("circle\ncross")
    labels.press("Control+Enter")
    page.get_by_role("button", name="Create these classes").click()

    # After each addition the page moves on to the class with the fewest samples: circle, cross, circle, cross.
    add_drawing(page, "circle", CIRCLE, 1)
    add_drawing(page, "cross", CROSS, 1)
    add_drawing(page, "circle", CIRCLE, 2)
    add_drawing(page, "cross", CROSS, 2)

    page.reload()
    page.get_by_text(re.compile(r"^circle · 2$")).wait_for(timeout=30_000)
    page.get_by_text(re.compile(r"^cross · 2$")).wait_for(timeout=30_000)
    assert "workspace=browser-collect" in page.url
    assert page.get_by_text(re.compile(r"4\s+samples")).count() >= 1
