"""On the Collect page, for a student in a class: share their drawings with the class's pool (opt-in: all at once,
or drawing by drawing), or take them back. Only drawings count: auto-filled renders are not a hand."""

from __future__ import annotations

import streamlit as st

from tl_core.markdown import escape_markdown
from tl_core.storage.class_pool import ClassPool
from tl_core.storage.contents import Sample, Workspace
from tl_core.storage.school_classes import SchoolClass
from tl_core.storage.workspace import WorkspaceError
from ui.workspace import school_classes

SHAREABLE = "drawn"  # the source of a sample a student drew


def running_class(workspace: Workspace) -> SchoolClass | None:
    """The class this workspace joined most recently, while it runs (None: in no running class)."""
    return next((c for c in school_classes().classes_of(workspace.name) if c.ended is None), None)


def share_with_class(workspace: Workspace, school_class: SchoolClass, samples: list[Sample]) -> set[int]:
    """The "Share with your class" block: how many of the student's drawings are shared, and buttons to share all
    or take all back; the ids shared now (for the per-drawing toggles)."""
    pool = ClassPool(school_classes().store)
    drawn = [sample.id for sample in samples if sample.source == SHAREABLE]
    shared = pool.contributed(school_class.code, workspace.name)
    name = escape_markdown(school_class.name)
    st.markdown(
        f"**Share your drawings with {name}** (optional): the class trains both models on everyone's drawings "
        f"together and checks them on students it never trained on. {len(shared & set(drawn))} of your "
        f"{len(drawn)} drawings are shared. Your classmates see shared drawings in the class gallery, under your "
        "class name; nothing else of your workspace."
    )
    share_all, take_back = st.columns(2)
    try:
        if share_all.button("Share all my drawings", icon=":material/group_add:", disabled=not set(drawn) - shared):
            pool.contribute(school_class.code, workspace.name, drawn)
            _show_as(drawn, True)
            st.rerun()
        if take_back.button("Take all back", icon=":material/undo:", disabled=not shared):
            pool.withdraw(school_class.code, workspace.name, sorted(shared))
            _show_as(shared, False)
            st.rerun()
    except WorkspaceError as error:
        st.error(str(error), icon=":material/error:")
    return shared


def _show_as(sample_ids, shared: bool) -> None:
    """Set the drawings' own switches (a switch keeps its last state otherwise, whatever the store says now)."""
    for sample_id in sample_ids:
        st.session_state[f"share_{sample_id}"] = shared


def share_toggle(workspace: Workspace, school_class: SchoolClass, sample: Sample, shared: set[int]) -> None:
    """A drawing's own "Shared" switch (renders have none)."""
    if sample.source != SHAREABLE:
        return
    st.checkbox(
        "Shared",
        value=sample.id in shared,
        key=f"share_{sample.id}",
        on_change=_toggle,
        args=(workspace.name, school_class.code, sample.id),
        help=f"Share this drawing with {escape_markdown(school_class.name)}",
    )


def _toggle(workspace: str, code: str, sample_id: int) -> None:
    pool = ClassPool(school_classes().store)
    try:
        if st.session_state[f"share_{sample_id}"]:
            pool.contribute(code, workspace, [sample_id])
        else:
            pool.withdraw(code, workspace, [sample_id])
    except WorkspaceError as error:
        st.session_state["collect_flash_error"] = str(error)
