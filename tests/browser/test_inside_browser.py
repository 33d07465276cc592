"""In a real Chromium: on Look inside, a drawing becomes a star in the feature-space pictures, among the classes
it is nearest to, and is what the networks' saliency, first-layer filters and feature maps are computed on."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import draw_strokes, wait_until_idle

pytestmark = pytest.mark.browser

A = [[(60, 90), (220, 80)], [(130, 40), (150, 250)], [(200, 130), (90, 240), (60, 180), (230, 200)]]  # roughly あ


def test_a_drawing_is_marked_in_feature_space_and_looked_at_by_each_network(page, app_url):
    page.goto(f"{app_url}/train?workspace=browser-inside")
    page.get_by_role("button", name=re.compile(r"Set up the demo")).click()
    expect(page.get_by_role("button", name="Train both models")).to_be_visible(timeout=120_000)

    page.goto(f"{app_url}/inside?workspace=browser-inside")
    wait_until_idle(page)
    expect(page.get_by_text("Nearest neighbour is the same character").first).to_be_visible(timeout=120_000)
    expect(page.get_by_text(re.compile(r"Showing a sample of"))).to_be_visible()
    star_label = page.locator(".js-plotly-plot .annotation-text")
    expect(star_label.filter(has_text="your drawing")).to_have_count(0)

    canvas = page.locator("canvas.upper-canvas").first
    canvas.scroll_into_view_if_needed()
    draw_strokes(page, canvas, A)
    expect(star_label.filter(has_text="your drawing")).to_have_count(2, timeout=60_000)  # pretrained and random
    expect(
        page.get_by_text(re.compile(r"Put in the picture for your drawing: nearest to your drawing"))
    ).to_be_visible()
    expect(page.get_by_text(re.compile(r"Showing a sample of"))).to_have_count(0)
    # the digit model reads the drawing as a digit (one caption: the sample's, shown before, has gone)
    expect(page.get_by_text(re.compile(r"Reads it as \d \(\d+%\)"))).to_have_count(1, timeout=30_000)
    expect(page.get_by_text(re.compile(r"8 of its 32 first-layer filters \(3x3\)"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"block1: 8 most active of its channels \(14x14\)"))).to_be_visible()
