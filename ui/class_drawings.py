"""The class page's own dataset: the pooled drawings per character, the teacher's training on them (shared through the
same queue), its result next to the students' own few-shot runs, and the drawings every model got wrong."""

from __future__ import annotations

import statistics

import streamlit as st

from tl_core import list_models
from tl_core.classroom.class_dataset import POOL_KIND, class_pool_key, pooled_task
from tl_core.classroom.class_results import ClassRow
from tl_core.classroom.jobs import FINISHED
from tl_core.classroom.requests import ClassPoolRequest
from tl_core.markdown import escape_markdown
from tl_core.models.architectures import DEFAULT_MODEL
from tl_core.storage.class_pool import ClassPool, PooledDrawing
from tl_core.storage.contents import Workspace
from tl_core.storage.school_classes import SchoolClass
from tl_core.training.cost import check_comparison
from tl_core.training.results import COMPARISON_MODELS, ComparisonSummary
from tl_core.training.settings import TrainSettings
from tl_core.training.tasks import TaskError
from ui.charts import comparison_curves, learning_curves, upscale
from ui.gallery import montage
from ui.job_panel import job_panel
from ui.presenter import for_projector
from ui.resources import pretrained_model, training_queue
from ui.submit import show_refusal, submit_job
from ui.workspace import school_classes

GALLERY_COLUMNS = 8  # drawings shown per character
MOST_MISTAKES_SHOWN = 24


def pooled_gallery(drawings: list[PooledDrawing]) -> None:
    """The class's drawings per character: how many, from how many students, and a strip of them."""
    by_label: dict[str, list[PooledDrawing]] = {}
    for drawing in drawings:
        by_label.setdefault(drawing.label, []).append(drawing)
    students = len({d.student for d in drawings})
    st.markdown(
        f"**{len(drawings)} drawings** of {len(by_label)} characters from {students} student"
        f"{'s' if students != 1 else ''}, shared by the students themselves."
        if drawings
        else "No drawings shared yet: students share theirs on the Collect page (all at once, or one by one)."
    )
    st.page_link("pages/collect.py", label="Collect page: draw and share", icon=":material/draw:")
    with st.container(horizontal=True, gap="medium"):
        for label in sorted(by_label):
            mine = by_label[label]
            with st.container(width=260, gap="small"):
                st.markdown(f"**{escape_markdown(label)}** · {len(mine)} by {len({d.student for d in mine})}")
                st.image(upscale(montage([d.image for d in mine], GALLERY_COLUMNS), 1), clamp=True, width="stretch")


def pool_training(school_class: SchoolClass, drawings: list[PooledDrawing], viewer: str, rows: list[ClassRow]) -> None:
    """The teacher trains both models on the pool; everyone sees the running training and its result."""
    store = school_classes().store
    teacher_workspace = Workspace(store, school_class.teacher)  # only read: not `store.workspace`, which touches it
    queue = training_queue()
    job = queue.latest(school_class.teacher, kind=POOL_KIND, touch=school_class.is_teacher(viewer))
    running = job is not None and job.status not in FINISHED
    if school_class.is_teacher(viewer) and school_class.ended is None:
        _train_button(school_class, drawings, running)
    if running:
        if school_class.is_teacher(viewer):
            job_panel(job.id, owner=viewer)
        else:
            _training_for_students(job.id)
    found = teacher_workspace.latest_run_with("class-pool", "lesson_key", class_pool_key(school_class.code))
    if found is None:
        if not running and school_class.ended is None:
            st.caption("Once the teacher trains both models on these drawings, the result appears here.")
        return
    _pool_result(found.summary, drawings, rows)


def _train_button(school_class: SchoolClass, drawings: list[PooledDrawing], running: bool) -> None:
    try:
        pooled = pooled_task(drawings)
    except TaskError as missing:
        st.caption(escape_markdown(missing))
        return
    settings = TrainSettings()
    task = pooled.task
    check = check_comparison(
        DEFAULT_MODEL, settings, len(task.x_train), len(task.x_eval), training_queue().limits.max_job_seconds
    )
    held = ", ".join(pooled.held_out)
    st.caption(
        f"Train on {len(task.x_train)} drawings of {len(task.labels)} characters; check on {task.eval_source} "
        f"({escape_markdown(held)}). About {check.seconds:,.0f} s of the shared trainer."
    )
    if not check.fits:
        st.warning(check.message, icon=":material/timer_off:")
        return
    if st.button("Train both models on the class's drawings", icon=":material/play_arrow:", disabled=running):
        titles = {card["name"]: card["title"] for card in list_models()}
        with st.spinner("Loading the pretrained model…"):
            model = pretrained_model(DEFAULT_MODEL)
        teacher = school_classes().store.workspace(school_class.teacher)
        request = ClassPoolRequest(
            teacher,
            model,
            DEFAULT_MODEL,
            titles[DEFAULT_MODEL],
            pooled,
            settings,
            school_class.code,
            estimate_seconds=check.seconds,
        )
        if submit_job(request, "class") is not None:
            st.rerun()
    show_refusal("class")


@st.fragment(run_every=2.0)
def _training_for_students(job_id: int) -> None:
    """What a student sees of the teacher's training (no Cancel: it is not theirs); the page reruns when it ends."""
    job = training_queue().get(job_id, touch=False)
    if job is None or job.status in FINISHED:
        st.rerun()
    done = sum(1 for which, _ in list(job.events) if which == "scratch")
    st.info(
        f"The teacher is training both models on the class's drawings (epoch {done}/{job.details.epochs}): the "
        "result appears here.",
        icon=":material/model_training:",
    )


def _pool_result(kept: dict, drawings: list[PooledDrawing], rows: list[ClassRow]) -> None:
    summary = ComparisonSummary.from_json(kept)
    transfer, scratch = (summary.curves(which).eval_accuracy[-1] for which in COMPARISON_MODELS)
    present = bool(st.session_state.get("present"))
    held = ", ".join(kept.get("held_out", []))
    st.markdown(
        f"**On hands it never saw** ({escape_markdown(summary.eval_source)}: {escape_markdown(held)}): transfer "
        f"**{transfer:.0%}**, scratch **{scratch:.0%}**, trained on {summary.train_size} drawings of "
        f"{len(summary.labels)} characters."
    )
    own = [row for row in rows if row.shots is not None]
    if own:
        shots = statistics.median(r.shots for r in own)
        own_gap = statistics.median(r.transfer_accuracy - r.scratch_accuracy for r in own)
        pooled_per_class = (summary.train_size or 0) / len(summary.labels)
        gap = transfer - scratch
        closed = "closed" if abs(gap) < abs(own_gap) else "did not close"
        st.caption(
            f"Next to the students' own few-shot runs (median of {len(own)}, {shots:.0f} samples per class): transfer "
            f"{statistics.median(r.transfer_accuracy for r in own):.0%}, scratch "
            f"{statistics.median(r.scratch_accuracy for r in own):.0%}, a gap of {own_gap * 100:+.0f} points. With "
            f"about {pooled_per_class:.0f} drawings per class the gap is {gap * 100:+.0f} points: here more labels "
            f"{closed} the gap."
        )
    curves = learning_curves(comparison_curves(summary), "epoch", 360, chance=1 / len(summary.labels))
    st.plotly_chart(for_projector(curves, present), key="class_pool_curves")
    _missed_by_every_model(kept, summary, drawings)


def _missed_by_every_model(kept: dict, summary: ComparisonSummary, drawings: list[PooledDrawing]) -> None:
    """The held-out drawings both models read wrong (still in the pool), with what each model said."""
    misread = summary.misread or {}
    if not all(misread.get(which) is not None for which in COMPARISON_MODELS):
        return
    said = {which: {index: guess for index, guess in misread[which]} for which in COMPARISON_MODELS}
    both = sorted(set(said["transfer"]) & set(said["scratch"]))
    ids = kept.get("eval_sample_ids", [])
    by_id = {d.sample_id: d for d in drawings}
    shown = [(by_id[ids[i]], i) for i in both if i < len(ids) and ids[i] in by_id][:MOST_MISTAKES_SHOWN]
    st.markdown(f"**Drawings every model got wrong:** {len(both)} of {summary.eval_size}.")
    if shown:
        labels = summary.labels
        st.image(
            [upscale(drawing.image, 2) for drawing, _ in shown],
            caption=[  # labels are text a student typed: never Markdown
                escape_markdown(f"{drawing.label} → {labels[said['transfer'][i]]} / {labels[said['scratch'][i]]}")
                for drawing, i in shown
            ],
            width=112,
            clamp=True,
        )
        st.caption("Under each: what it is → what transfer said / what scratch said.")


def class_drawings(school_class: SchoolClass, viewer: str, rows: list[ClassRow]) -> None:
    """The whole section."""
    drawings = ClassPool(school_classes().store).pooled(school_class.code)
    pooled_gallery(drawings)
    pool_training(school_class, drawings, viewer, rows)
