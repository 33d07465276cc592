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


def test_a_training_cluster_nobody_answers_at_is_said_once_and_the_server_trains_itself(data_dir, monkeypatch):
    from tl_core.classroom.jobs import JobQueue
    from tl_core.classroom.local_ray import free_port
    from tl_core.classroom.ray_jobs import UNREACHABLE
    from ui.resources import training_queue

    monkeypatch.setenv("TL_RAY_ADDRESS", f"127.0.0.1:{free_port()}")  # nothing listens there
    training_queue.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params["workspace"] = "no-cluster"
        at.switch_page("pages/train.py").run()
        assert not at.exception, at.exception
        assert [warning.value for warning in at.warning].count(UNREACHABLE) == 1
        assert type(training_queue()) is JobQueue  # trainings still run, on this server
    finally:
        training_queue.clear()  # the other tests' server has no cluster configured
