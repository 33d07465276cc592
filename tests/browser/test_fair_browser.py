"""In a real Chromium: one student starts a long run, another a short one; the short one finishes first (the
long one gives way at an epoch boundary), and both end with their full curves."""

import re

import pytest

from tests.browser.conftest import wait_until_idle

pytestmark = pytest.mark.browser

LONG_EPOCHS, SHORT_EPOCHS = 30, 3


def open_demo(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name=re.compile("Set up the demo")).click()
    page.get_by_role("button", name="Train both models").wait_for(timeout=90_000)
    wait_until_idle(page)


def curve_lengths(page) -> dict:
    """Points per trace of the page's learning-curve chart (its first chart), read from plotly's own data."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.js-plotly-plot')].slice(0, 1)
            .flatMap(plot => plot.data || [])
            .filter(trace => trace.type === 'scatter' && /^(transfer|scratch)/.test(trace.name || ''))
            .map(trace => [trace.name.split(' ')[0], trace.x.length]))"""
    )


def test_a_short_run_started_later_finishes_before_a_long_one(browser, app_url):
    contexts = [browser.new_context(viewport={"width": 1300, "height": 900}) for _ in range(2)]
    long_page, short_page = (context.new_page() for context in contexts)
    try:
        open_demo(long_page, f"{app_url}/train?workspace=fair-long&strategy=fine-tune-all&epochs={LONG_EPOCHS}")
        open_demo(short_page, f"{app_url}/train?workspace=fair-short&epochs={SHORT_EPOCHS}")
        long_page.get_by_role("button", name="Train both models").click()
        long_page.get_by_text(re.compile(rf"transfer: epoch [1-9]\d*/{LONG_EPOCHS}")).wait_for(timeout=120_000)

        short_page.get_by_role("button", name="Train both models").click()
        short_result = short_page.get_by_text(re.compile(rf"After {SHORT_EPOCHS} epochs: transfer \d+%"))
        short_result.wait_for(timeout=120_000)
        # The long run is still going (or paused for the short one): it did not hold the trainer.
        assert long_page.get_by_text(re.compile(rf"After {LONG_EPOCHS} epochs")).count() == 0
        long_page.get_by_text(re.compile(rf"(scratch|transfer): epoch \d+/{LONG_EPOCHS}")).first.wait_for()

        long_page.get_by_text(re.compile(rf"After {LONG_EPOCHS} epochs: transfer \d+%")).wait_for(timeout=240_000)
        wait_until_idle(long_page)
        wait_until_idle(short_page)
        assert curve_lengths(long_page) == {"transfer": LONG_EPOCHS, "scratch": LONG_EPOCHS}
        assert curve_lengths(short_page) == {"transfer": SHORT_EPOCHS, "scratch": SHORT_EPOCHS}
    finally:
        for context in contexts:
            context.close()


def test_a_second_tab_of_the_same_browser_cannot_queue_a_second_job(browser, app_url):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    first, second = context.new_page(), context.new_page()  # one browser (one cookie jar), two workspaces
    try:
        open_demo(first, f"{app_url}/train?workspace=tab-one&strategy=fine-tune-all&epochs=60")
        open_demo(second, f"{app_url}/train?workspace=tab-two&epochs=3")
        first.get_by_role("button", name="Train both models").click()
        first.get_by_text(re.compile(r"(transfer: epoch \d+/60|Waiting for the shared trainer)")).wait_for()
        second.get_by_role("button", name="Train both models").click()
        second.get_by_text("Another tab of this browser already has a training waiting or running").wait_for()
        assert second.get_by_text(re.compile(r"transfer: epoch \d+/3")).count() == 0  # nothing was queued
        first.get_by_role("button", name="Cancel").click()
        first.get_by_text("The training was cancelled; nothing of it was kept.").wait_for(timeout=60_000)
        second.get_by_role("button", name="Train both models").click()  # the cancelled job freed the browser
        second.get_by_text(re.compile(r"After 3 epochs: transfer \d+%")).wait_for(timeout=120_000)
    finally:
        context.close()
