"""In a real Chromium: three students press Train at once; the queue runs them in turn and all finish."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_until_idle

pytestmark = pytest.mark.browser


def test_three_pages_training_at_once_all_finish_with_their_curves(browser, app_url):
    contexts = [browser.new_context(viewport={"width": 1300, "height": 900}) for _ in range(3)]
    pages = [context.new_page() for context in contexts]
    try:
        for index, page in enumerate(pages):
            page.goto(f"{app_url}/train?workspace=classroom-{index}")
            page.get_by_role("button", name=re.compile("Set up the demo")).click()
            epochs = page.get_by_label("Epochs")
            epochs.wait_for(timeout=60_000)
            epochs.fill("5")
            epochs.press("Enter")
            wait_until_idle(page)
        for page in pages:  # as close together as three students can click
            page.get_by_role("button", name="Train both models").click()
        for page in pages:
            page.get_by_text(re.compile(r"After 5 epochs: transfer \d+%")).wait_for(timeout=300_000)
            legend = page.locator(".js-plotly-plot").first.locator(".legendtext")  # the learning curves
            expect(legend.filter(has_text="transfer")).to_have_count(1)
            expect(legend.filter(has_text="scratch")).to_have_count(1)
    finally:
        for context in contexts:
            context.close()
