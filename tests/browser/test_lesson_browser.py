"""In a real Chromium: a teacher runs the guided lesson, switches to the presenter view and copies the share
link; a student opens that link in a browser of their own and gets the same settings and the same curves."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PUBLIC_URL, wait_until_idle

pytestmark = pytest.mark.browser

VERDICT = re.compile(r"^Transfer (helped|bought no accuracy|hurt)")


def set_number(page, label, value):
    field = page.get_by_label(label, exact=True)
    field.fill(str(value))
    field.press("Enter")
    wait_until_idle(page)


def better_metric(page) -> str:
    value = page.locator('[data-testid="stMetric"]', has_text="Better").locator('[data-testid="stMetricValue"]')
    value.wait_for(timeout=240_000)
    return value.inner_text().strip()


def train_and_wait(page):
    page.get_by_role("button", name="Train both models").click()
    expect(page.get_by_text(VERDICT).first).to_be_visible(timeout=240_000)
    wait_until_idle(page)


def test_a_teacher_runs_the_lesson_and_a_student_reproduces_it_from_the_link(browser, page, app_url):
    page.goto(f"{app_url}/lesson?workspace=teacher-room")
    wait_until_idle(page)
    expect(page.get_by_text(re.compile(r"nearest neighbour is the same character \d+%"))).to_be_visible(timeout=120_000)
    set_number(page, "Samples per class", 2)
    set_number(page, "Epochs", 5)
    assert "shots=2" in page.url and "epochs=5" in page.url and "workspace=teacher-room" in page.url
    train_and_wait(page)
    teacher_better = better_metric(page)
    expect(page.locator('[data-testid="stMetric"]', has_text="Faster")).to_be_visible()

    # Presenter view: large type, no sidebar; kept in the teacher's address, not in the students' link.
    page.get_by_text("Presenter view (large type for a projector)").click()
    wait_until_idle(page)
    expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
    size = page.locator('[data-testid="stMain"] p').first.evaluate("p => parseFloat(getComputedStyle(p).fontSize)")
    assert size >= 22, size
    link = page.locator(f'a[href^="{PUBLIC_URL}/lesson?"]').last.inner_text().strip()  # under the QR code
    assert "present=1" in page.url  # a refresh keeps the presenter view ...
    assert "present" not in link and "shots=2" in link and "epochs=5" in link and "workspace" not in link

    # A student opens the link in a browser of their own.
    student = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    try:
        student.goto(link.replace(PUBLIC_URL, app_url))  # the public address, as this test server answers it
        wait_until_idle(student)
        expect(student.get_by_label("Samples per class", exact=True)).to_have_value("2", timeout=60_000)
        expect(student.get_by_label("Epochs", exact=True)).to_have_value("5")
        assert re.search(r"workspace=ws-[A-Za-z0-9_-]{16}", student.url), student.url  # a workspace of their own
        train_and_wait(student)
        assert better_metric(student) == teacher_better  # same seed, same samples: the same final accuracy

        # One-click demonstration of where transfer does not help: the dense-only backbone.
        student.get_by_role("button", name="Show me").nth(1).click()
        expect(student.get_by_text(VERDICT)).to_have_count(2, timeout=240_000)
    finally:
        student.context.close()


def test_on_a_phone_the_strip_of_sample_characters_wraps_so_all_twelve_show(browser, app_url):
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    try:
        phone.goto(f"{app_url}/lesson?workspace=phone-strip")
        phone.get_by_text("A few of them").wait_for(timeout=120_000)
        wait_until_idle(phone)
        pictures = phone.locator(
            '[data-testid="stImageContainer"]', has=phone.locator('[data-testid="stImageCaption"]')
        ).filter(has_not_text="Scan to open the lesson")  # the share link's QR code, further down
        expect(pictures).to_have_count(12)
        for index in range(12):
            box = pictures.nth(index).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (index, box)  # none cut off at the right
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    finally:
        phone.context.close()
