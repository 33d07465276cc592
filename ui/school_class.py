"""A class on the lesson page: a student joins with a name, a teacher creates one and shares it with the lesson.

The class travels in the lesson's link as `class=CODE`; after joining, the membership is in the store (keyed by
the student's workspace), so the address need not keep it.
"""

from __future__ import annotations

import streamlit as st

from tl_core.markdown import escape_markdown
from tl_core.storage.school_classes import SchoolClass, SchoolClasses
from tl_core.storage.workspace import WorkspaceError

QUERY_KEY = "class"
CLASS_PAGE = "pages/class.py"  # its url_path is "class" (ui.frame)


def link_to_class_page(code: str, label: str) -> None:
    """A link to the class page in this tab (same session: the workspace, and so the teacher's rights, go along)."""
    st.page_link(CLASS_PAGE, label=label, icon=":material/groups:", query_params={QUERY_KEY: code})


def class_from_url(classes: SchoolClasses) -> SchoolClass | None:
    """The class the address names, or None; a code that is not valid or names no class is said in words."""
    text = st.query_params.get(QUERY_KEY)
    if not text:
        return None
    try:
        return classes.get(text)
    except WorkspaceError as error:
        st.warning(str(error), icon=":material/group_off:")
        return None


def join_or_welcome(classes: SchoolClasses, school_class: SchoolClass, workspace: str, key: str) -> bool:
    """A student's place in the class: a form to pick a name, or who they are in it. True once they are in."""
    name = escape_markdown(school_class.name)
    if school_class.is_teacher(workspace):
        st.success(f"You teach **{name}** (class code {school_class.code}).", icon=":material/school:")
        link_to_class_page(school_class.code, "Open the class page")
        return False
    member = classes.membership(school_class.code, workspace)
    if member is not None:
        ended = " It has ended; its results are kept on the class page." if school_class.ended else ""
        st.success(f"You are in **{name}** as **{escape_markdown(member.name)}**.{ended}", icon=":material/groups:")
        link_to_class_page(school_class.code, "Open the class page")
        return True
    if classes.was_removed(school_class.code, workspace):
        st.info("Your teacher removed you from this class; ask them if that was a mistake.", icon=":material/lock:")
        return False
    if school_class.ended is not None or school_class.closed:
        st.info(f"**{name}** is {'over' if school_class.ended else 'closed to new students'}.", icon=":material/lock:")
        return False
    with st.form(f"{key}_join", border=True):
        st.markdown(
            f"**Join {name}** before you train: your runs count for the class from the moment you join. Pick the "
            "name your class sees next to your results (nothing else is shared)."
        )
        chosen = st.text_input("Your name in the class", key=f"{key}_name")
        if st.form_submit_button("Join the class", type="primary", icon=":material/login:"):
            try:
                classes.join(school_class.code, workspace, chosen)
            except WorkspaceError as error:
                st.error(escape_markdown(error), icon=":material/error:")  # it quotes the name as typed
            else:
                st.rerun()
    return False


def teach_as_a_class(classes: SchoolClasses, workspace: str, key: str) -> SchoolClass | None:
    """The teacher's classes and a form for a new one; the class the share link carries (None: no class)."""
    with st.form(f"{key}_create", border=False, enter_to_submit=True, clear_on_submit=True):
        columns = st.columns([3, 1], vertical_alignment="bottom")
        name = columns[0].text_input("Teach it as a class: the class's name", key=f"{key}_new_name")
        if columns[1].form_submit_button("Create the class", icon=":material/group_add:"):
            try:
                made = classes.create(workspace, name)
            except WorkspaceError as error:
                st.error(escape_markdown(error), icon=":material/error:")
            else:
                st.session_state[f"{key}_pick"] = made.code  # the link carries the new class at once
                st.toast(f"Class “{escape_markdown(made.name)}” created: its code is {made.code}.")
    mine = [school_class for school_class in classes.of_teacher(workspace) if school_class.ended is None]
    if not mine:
        return None
    codes = [school_class.code for school_class in mine]
    if st.session_state.get(f"{key}_pick") not in codes:
        st.session_state[f"{key}_pick"] = codes[0]  # the newest
    picked = st.selectbox(
        "The link carries the class",
        codes,
        format_func=lambda code: next(f"{c.name} ({c.code})" for c in mine if c.code == code),
        key=f"{key}_pick",
    )
    school_class = next(c for c in mine if c.code == picked)
    link_to_class_page(school_class.code, f"Open the class page of {escape_markdown(school_class.name)}")
    return school_class
