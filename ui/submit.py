"""Putting a job on the shared trainer from a page: one per browser, a clear message when it cannot be queued,
and a cheaper run offered when the one asked for is over the server's per-job budget."""

from __future__ import annotations

import binascii
import hashlib
from itertools import cycle

import streamlit as st

from tl_core.classroom.jobs import Job, JobRefused
from tl_core.classroom.requests import Request, submit
from tl_core.training.cost import BudgetCheck
from ui.resources import training_queue

XSRF_COOKIE = "_streamlit_xsrf"  # set by Streamlit for XSRF protection: one random token per browser


def browser_key() -> str:
    """Who is asking, across tabs: a hash of this browser's XSRF token (the same in every tab), else this tab.

    A student with many tabs (each a workspace of its own) is still one browser, so one job at a time.
    The token itself is never stored; only a hash that cannot be turned back into it.
    """
    token = _xsrf_token(st.context.cookies.get(XSRF_COOKIE, ""))
    if token is None:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        context = get_script_run_ctx()
        return f"tab-{context.session_id if context else 'unknown'}"
    return "browser-" + hashlib.sha256(token).hexdigest()[:24]


def _xsrf_token(cookie: str) -> bytes | None:
    """The token inside a version-2 XSRF cookie ("2|mask|masked token|time"; a new mask on every response)."""
    parts = cookie.split("|")
    if len(parts) != 4 or parts[0] != "2":
        return None
    try:
        mask, masked = binascii.a2b_hex(parts[1]), binascii.a2b_hex(parts[2])
    except (binascii.Error, ValueError):
        return None
    if not mask or not masked:
        return None
    return bytes(a ^ b for a, b in zip(masked, cycle(mask)))


def submit_job(request: Request, place: str) -> Job | None:
    """Queue the request (tl_core.classroom.requests) for this browser; when the queue refuses (a limit), keep
    why for `show_refusal(place)`, next to the button that was pressed, and return None."""
    try:
        return submit(training_queue(), request, browser=browser_key())
    except JobRefused as refused:
        st.session_state[f"job_refused_{place}"] = str(refused)  # shown after the rerun that follows a click
        return None


def show_refusal(place: str) -> None:
    """The message of a job the queue just refused from `place`, once."""
    if message := st.session_state.pop(f"job_refused_{place}", None):
        st.warning(message, icon=":material/block:")


def budget_notice(check: BudgetCheck, epochs_key: str, requested_key: str, busy: bool = False) -> None:
    """When the run is over budget: say so, and offer the same run with the epochs that fit.

    The offer sets the epochs widget (`epochs_key`, so the address follows) and asks the page to train at once
    (`requested_key` in the session state); it waits while this workspace's job runs (`busy`).
    """
    if check.fits:
        return
    st.warning(check.message, icon=":material/timer_off:")
    if check.cheaper is not None:

        def use_cheaper() -> None:
            st.session_state[epochs_key] = check.cheaper.epochs
            st.session_state[requested_key] = True

        st.button(
            f"Train with {check.cheaper.epochs} epochs instead",
            key=f"{epochs_key}_cheaper",
            on_click=use_cheaper,
            icon=":material/speed:",
            disabled=busy,
        )
