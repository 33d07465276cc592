"""Which workspace this browser tab works in: named in the URL (`?workspace=NAME`), so a refresh, a
reconnect or a shared link finds the same samples."""

from __future__ import annotations

import streamlit as st

from tl_core.markdown import escape_markdown
from tl_core.storage.school_classes import SchoolClasses
from tl_core.storage.workspace import (
    Workspace,
    WorkspaceError,
    WorkspaceStore,
    store_location,
    validate_workspace_name,
)

QUERY_KEY = "workspace"


@st.cache_resource(show_spinner=False)
def workspace_store(location: str) -> WorkspaceStore:
    """The database of every workspace (a PostgreSQL URL or the SQLite file's path); the object holds where it is
    (and PostgreSQL's connection pool), all state is in the database."""
    return WorkspaceStore.open_or_memory(location)


def new_workspace_name() -> str:
    """A new workspace's name: 96 random bits, and never a name the store already holds."""
    return _store().new_workspace().name


def keep_workspace_in_url() -> str:
    """The workspace name for this tab, from the URL (or a new one), written back into the URL.

    Called by the frame on every run, since page switches drop query parameters; touches the database only
    to claim a new name. A storage problem (damaged or read-only database) is shown here, once per page.
    """
    name = st.query_params.get(QUERY_KEY) or st.session_state.get(QUERY_KEY)
    try:
        validate_workspace_name(name or "")
    except WorkspaceError:
        if name:
            st.toast(f"“{escape_markdown(name, 40)}” is not a valid workspace name; a new workspace was started.")
        name = new_workspace_name()
    st.session_state[QUERY_KEY] = name
    if st.query_params.get(QUERY_KEY) != name:
        st.query_params[QUERY_KEY] = name
    if problem := _store().problem:
        st.warning(problem, icon=":material/warning:")
    return name


def current_workspace() -> Workspace:
    """The workspace this tab works in (created empty on first use)."""
    name = st.session_state.get(QUERY_KEY) or keep_workspace_in_url()
    return _store().workspace(name)


def _store() -> WorkspaceStore:
    store = workspace_store(store_location())  # TL_DATABASE_URL, else $TL_DATA_DIR/workspaces.sqlite3
    store.apply_retention()  # TL_RETENTION_DAYS; does something at start and once a day, else returns at once
    return store


def switch_to_new_workspace() -> None:
    name = new_workspace_name()
    st.session_state[QUERY_KEY] = name
    st.query_params[QUERY_KEY] = name


def trained_models(workspace: Workspace, run_id: int) -> dict:
    """Both trained models of a run, loaded once per session and run ({"transfer": model, "scratch": model}).

    Only models this app trained and kept are loaded (see tl_core.models.model_io); a session keeps the latest few.
    """
    from tl_core.models.model_io import model_from_bytes

    cache = st.session_state.setdefault("trained_models", {})
    key = (workspace.name, run_id)
    if key not in cache:
        with st.spinner("Loading the trained models from your workspace…"):
            cache[key] = {which: model_from_bytes(blob) for which, blob in workspace.run_models(run_id).items()}
        for old in list(cache)[:-3]:  # the lesson page shows a run and two demonstrations at most
            del cache[old]
    return cache[key]


def school_classes() -> SchoolClasses:
    """Every teacher's class, in the same store as the workspaces."""
    return SchoolClasses(_store())
