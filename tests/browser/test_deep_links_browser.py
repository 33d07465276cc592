"""A fresh server whose very first request is a deep link shows the whole frame and the right page.

Streamlit 1.67 runs a `pages/` file without the entry point when a deep link is a new server's first request
(ui/frame.py says why and how the pages prevent it). Each case starts its own `streamlit run` and opens one page
URL as that server's first request, with a workspace in the query, then checks what app.py adds: the links to
every page, the attribution, and the workspace kept in the address.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import running_app

pytestmark = pytest.mark.browser

TITLES = {  # every page's URL path, as shared links have it, and its heading
    "zoo": "Digit model zoo",
    "collect": "Collect samples",
    "train": "Train & compare",
    "inside": "Look inside",
    "lesson": "Lesson: what a digit model already knows",
    "class": "Class",  # without a class code: the form that asks for one
}
PAGE_LINKS = ["Digit model zoo", "Collect samples", "Train & compare", "Look inside", "Guided lesson", "Class"]


@pytest.mark.parametrize("path", list(TITLES))
def test_a_deep_link_as_the_first_request_shows_the_frame_and_the_page(browser, tmp_path, path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    try:
        with running_app(tmp_path) as url:
            tab.goto(f"{url}/{path}?workspace=deep-link-{path}")
            expect(tab.get_by_role("heading", name=TITLES[path], exact=True)).to_be_visible(timeout=90_000)
            links = tab.locator('[data-testid="stTopNav"], [data-testid="stSidebarNav"]')
            for title in PAGE_LINKS:
                expect(links.get_by_text(title, exact=True).first).to_be_attached()
            expect(tab.get_by_text(re.compile("KanjiVG")).first).to_be_visible(timeout=30_000)
            shown_path = "(zoo)?" if path == "zoo" else path  # the default page is shown at the root
            expect(tab).to_have_url(re.compile(rf":\d+/{shown_path}\?(.*&)?workspace=deep-link-{path}(&|$)"))
            # the frame's run chose this page from the URL, not the default page
            expect(tab.get_by_role("heading", name=TITLES["zoo"], exact=True)).to_have_count(0 if path != "zoo" else 1)
    finally:
        context.close()
