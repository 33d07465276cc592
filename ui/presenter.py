"""Presenter view: large type, for a projector at the back of a classroom.

The sidebar stays: the page links live there on a phone (app.py puts them at the top elsewhere).
"""

from __future__ import annotations

import streamlit as st

_LARGE = """
<style>
[data-testid="stMain"] .block-container { max-width: 100%; padding-left: 3rem; padding-right: 3rem; }
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMain"] label { font-size: 1.45rem !important; }
[data-testid="stMain"] h1 { font-size: 3.2rem !important; }
[data-testid="stMain"] h2 { font-size: 2.4rem !important; }
[data-testid="stMain"] [data-testid="stMetricValue"] p { font-size: 3.6rem !important; line-height: 1.2; }
[data-testid="stMain"] input, [data-testid="stMain"] [data-baseweb="select"] div { font-size: 1.3rem !important; }
[data-testid="stCaptionContainer"] p { font-size: 1.15rem !important; }
[data-testid="stMain"] [data-testid="stImageCaption"], [data-testid="stMain"] [data-testid="stImageCaption"] p {
  font-size: 1.35rem !important; line-height: 1.4;
}
[data-testid="stMain"] [data-testid="stMetricDelta"], [data-testid="stMain"] [data-testid="stMetricDelta"] div,
[data-testid="stMain"] [data-testid="stMetricDelta"] p { font-size: 1.6rem !important; }
[data-testid="stMain"] [data-testid="stMetricDelta"] svg { width: 1.6rem; height: 1.6rem; }
[data-testid="stMain"] [data-testid="stMetricLabel"] p { font-size: 1.35rem !important; }
</style>
"""


def presenter_view(on: bool) -> bool:
    """Switch the page to large type when `on`; returns `on`."""
    if on:
        st.html(_LARGE)
    return on


PROJECTOR_FONT_PX = 20  # chart text readable from the back of a classroom


def for_projector(figure, on: bool):
    """The plotly figure with large text when the presenter view is on (unchanged otherwise)."""
    if on:
        figure.update_layout(font=dict(size=PROJECTOR_FONT_PX), legend=dict(font=dict(size=PROJECTOR_FONT_PX)))
        figure.update_layout(title_font_size=PROJECTOR_FONT_PX + 2)
        # axis text explicitly too: Streamlit's chart theme sets it, and would otherwise win
        figure.update_xaxes(tickfont_size=PROJECTOR_FONT_PX - 2, title_font_size=PROJECTOR_FONT_PX)
        figure.update_yaxes(tickfont_size=PROJECTOR_FONT_PX - 2, title_font_size=PROJECTOR_FONT_PX)
    return figure
