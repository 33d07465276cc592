"""Presenter view: large type and no sidebar, for a projector at the back of a classroom."""

from __future__ import annotations

import streamlit as st

_LARGE = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none; }
[data-testid="stMain"] .block-container { max-width: 100%; padding-left: 3rem; padding-right: 3rem; }
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMain"] label { font-size: 1.45rem !important; }
[data-testid="stMain"] h1 { font-size: 3.2rem !important; }
[data-testid="stMain"] h2 { font-size: 2.4rem !important; }
[data-testid="stMain"] [data-testid="stMetricValue"] p { font-size: 3.6rem !important; line-height: 1.2; }
[data-testid="stMain"] input, [data-testid="stMain"] [data-baseweb="select"] div { font-size: 1.3rem !important; }
[data-testid="stCaptionContainer"] p { font-size: 1.15rem !important; }
</style>
"""


def presenter_view(on: bool) -> bool:
    """Switch the page to large type when `on`; returns `on`."""
    if on:
        st.html(_LARGE)
    return on
