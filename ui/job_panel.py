"""The live view of a training job: place in line, progress, streaming curves, a Cancel button.

Pages submit work to the process-wide queue and call `job_panel(job.id)` while it runs; the panel polls the
job twice a second in a fragment, so the rest of the page (and the user's drawing) is left alone, and
reruns the whole page once the job has finished, which then shows the kept result.
"""

from __future__ import annotations

import streamlit as st

from tl_core.classroom.jobs import FINISHED, PAUSED, QUEUED
from tl_core.training.results import COMPARISON_MODELS
from ui.charts import CurvePoint, learning_curves
from ui.presenter import for_projector
from ui.resources import training_queue

CURVE_KINDS = ("comparison", "lesson", "class-pool")  # events: ("transfer" | "scratch", EpochRecord); sweeps: see below
# Jobs say their number of classes (JobDetails.classes), so the live curves show the chance level.


@st.fragment(run_every=0.5)
def job_panel(job_id: int, x_axis: str = "epoch", owner: str | None = None) -> None:
    """Polls a training job; a rerun caused by the user never touches the job itself.

    `owner` (the workspace) cancels only its own share of a shared lesson job (see tl_core.classroom.jobs).
    """
    queue = training_queue()
    job = queue.get(job_id)
    if job is None or job.status in FINISHED or (owner is not None and owner not in job.owners):
        st.rerun()  # the whole page then shows the finished result (or, for one who left a shared job, none)
    if job.details.title:
        others = len(job.owners) - 1
        shared = (
            f" · shared with {others} other{'s' if others > 1 else ''} who asked for the same lesson" if others else ""
        )
        st.caption(job.details.title + shared)
    if job.status == QUEUED:
        st.info(
            f"Waiting for the shared trainer: number {queue.position(job)} in line, about "
            f"{queue.estimated_wait(job):.0f} s until it starts and {queue.estimated_finish(job):.0f} s until it is "
            "done (shorter jobs go first, so no one waits long behind a big run). Your samples and settings are safe "
            "meanwhile."
        )
    elif job.status == PAUSED:
        st.info(
            f"Paused after an epoch so a shorter job of another student can go first: resumes in about "
            f"{queue.estimated_wait(job):.0f} s, exactly where it stopped.",
            icon=":material/pause:",
        )
    if job.status == QUEUED:
        pass  # nothing computed yet
    elif job.kind in CURVE_KINDS:
        if job.note:  # said by the queue, e.g. a Ray trainer died and the training starts again from its start
            st.warning(job.note, icon=":material/restart_alt:")
        epochs = job.details.epochs or 1
        live = {which: [] for which in COMPARISON_MODELS}
        for which, record in list(job.events):
            live[which].append(CurvePoint(record.epoch, record.seconds, record.eval_accuracy))
        for which in COMPARISON_MODELS:
            done = len(live[which])
            last = live[which][-1] if done else None
            text = f"{which}: epoch {done}/{epochs}"
            if last is None:
                text += " · waiting"
            elif last.eval_accuracy is not None:
                text += f" · accuracy {last.eval_accuracy:.0%} · {last.seconds:.1f} s"
            else:
                text += f" · {last.seconds:.1f} s (no samples to evaluate on)"
            st.progress(min(1.0, done / epochs), text=text)
        presenting = bool(st.session_state.get("present"))  # the lesson's presenter view
        classes = job.details.classes
        curves = learning_curves(live, x_axis, chance=1 / classes if classes else None)
        st.plotly_chart(for_projector(curves, presenting), key=f"live_{job_id}")
    else:  # a sweep: (fraction done, what the finished point measured) events; a personal model: its stages
        points = list(job.events)
        st.progress(points[-1][0] if points else 0.0, text=job.note or "Starting…")
        if points and job.kind != "personal":  # a personal model's steps are stages, not measurements
            st.caption("Measured so far: " + "; ".join(what for _, what in points))
    st.button("Cancel", key=f"cancel_{job_id}", icon=":material/stop:", on_click=queue.cancel, args=(job_id, owner))
