"""AppTest of the frame app.py draws around every page: the footer is there even under a page that has
nothing more to show (an empty workspace ends the Collect-less pages early)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = ["pages/zoo.py", "pages/collect.py", "pages/train.py", "pages/inside.py", "pages/lesson.py"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_keeps_the_attribution_even_when_it_ends_early(data_dir, page):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["workspace"] = "empty"
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert "KanjiVG" in " ".join(caption.value for caption in at.caption)
