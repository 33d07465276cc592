"""Settings that live in the page address, so a refresh or a shared link opens the same choices.

(Streamlit's own `bind="query-params"` writes the option's display label into the URL; we want stable
names such as `?model=compact-gap`, so the binding is done here.)
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st


def start_from_url(key: str, options: Sequence[str], default: str) -> None:
    """Call before drawing the widget with `key=key`: the first run takes its value from `?key=` if valid."""
    if key not in st.session_state:
        requested = st.query_params.get(key)
        st.session_state[key] = requested if requested in options else default


def keep_in_url(key: str, value: str, default: str) -> None:
    """Write the widget's current value to the address (left out when it is the default, to keep links short)."""
    if value == default:
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != value:
        st.query_params[key] = value
