"""AppTest of the live job panel: what the queue says about a running training reaches the student."""

import threading

from streamlit.testing.v1 import AppTest

from tl_core.classroom.jobs import JobDetails
from tl_core.classroom.ray_board import RETRIED
from ui.resources import training_queue


def panel_script(job_id: int) -> None:
    from ui.job_panel import job_panel

    job_panel(job_id)


def test_a_training_started_again_after_its_trainer_died_says_so_above_its_curves():
    release = threading.Event()

    def work(job):
        job.note = RETRIED  # as the Ray job board says it when a trainer's process died
        job.events.clear()
        release.wait(30)

    training_queue.clear()
    queue = training_queue()
    job = queue.submit("panel-test", "lesson", work, 1.0, details=JobDetails(epochs=30, classes=46))
    try:
        at = AppTest.from_function(panel_script, args=(job.id,), default_timeout=30).run()
        assert not at.exception, at.exception
        assert [warning.value for warning in at.warning] == [RETRIED]
        assert "scratch: epoch 0/30" in " ".join(bar.proto.text for bar in at.get("progress"))
    finally:
        release.set()
        training_queue.clear()
