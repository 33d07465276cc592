"""Settings that live in the page address, so a refresh or a shared link opens the same choices.

(Streamlit's own `bind="query-params"` writes the option's display label into the URL; we want stable
names such as `?model=compact-gap`, so the binding is done here.)
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from tl_core.markdown import escape_markdown


def start_from_url(key: str, options: Sequence[str], default: str) -> None:
    """Call before drawing the widget with `key=key`: the first run takes its value from `?key=` if valid."""
    if key not in st.session_state:
        requested = st.query_params.get(key)
        st.session_state[key] = requested if requested in options else default
        if requested is not None and requested not in options:  # said, like every value a link could not use
            st.warning(
                f"'{escape_markdown(key)}={escape_markdown(requested, 40)}' in the address is not one of "
                f"{', '.join(options)}; using {default}.",
                icon=":material/link_off:",
            )


def keep_in_url(key: str, value: str, default: str) -> None:
    """Write the widget's current value to the address (left out when it is the default, to keep links short)."""
    if value == default:
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def lesson_from_url(warn: bool = True, keys: Sequence[str] | None = None):
    """The run settings the address asks for (tl_core.classroom.lesson), read once per page visit; only `keys` if given.

    Values that cannot be used as they are (unknown, or numbers outside their limits) are named in a warning and
    replaced (by their defaults, or the nearest number allowed), never an error page. The warning quotes what the
    address carried, so it is escaped: `?set=[Log in again](http://...)` must not become a link.
    """
    from tl_core.classroom.lesson import lesson_from_query

    lesson, problems = lesson_from_query(st.query_params.to_dict(), keys)
    if warn and problems:
        st.warning(
            "Some settings in this link could not be used as they are:\n\n"
            + "\n".join(f"- {escape_markdown(problem)}" for problem in problems)
        )
    return lesson


def setting_input(container, prefix: str, url_key: str):
    """The number widget of a declared setting (tl_core.training.settings), keyed `PREFIX_URLKEY`: its label,
    limits, number format and help all come from the declaration."""
    from tl_core.classroom.lesson import QUERY_KEYS

    declared = QUERY_KEYS[url_key][1]
    return container.number_input(
        declared.label,
        declared.low,
        declared.high,
        step=declared.step,
        format=declared.number_format,
        help=declared.help or None,
        key=f"{prefix}_{url_key}",
    )


def choice_input(container, prefix: str, url_key: str) -> str:
    """The row-of-options widget of a declared choice (the strategy), keyed `PREFIX_URLKEY`, with its declared
    label and help."""
    from tl_core.classroom.lesson import QUERY_KEYS

    declared = QUERY_KEYS[url_key][1]
    key = f"{prefix}_{url_key}"
    if st.session_state.get(key) not in declared.choices:  # cleared by Streamlit (None): a required choice has one
        st.session_state[key] = declared.default
    return container.segmented_control(
        declared.label, declared.choices, required=True, key=key, help=declared.help or None
    )


def preset_from_lesson(prefix: str, lesson, keys: Sequence[str]) -> None:
    """Give each setting's widget (`PREFIX_URLKEY`) its first value, the lesson's, unless the user has set it."""
    from tl_core.classroom.lesson import lesson_values

    values = lesson_values(lesson)
    for key in keys:
        preset(f"{prefix}_{key}", values[key])


def lesson_from_widgets(prefix: str, keys: Sequence[str]):
    """The lesson the page's widgets (`PREFIX_URLKEY`, one per key) hold now; other settings keep their defaults."""
    from tl_core.classroom.lesson import lesson_from_values

    return lesson_from_values({key: st.session_state[f"{prefix}_{key}"] for key in keys}, keys)


def preset(key: str, value) -> None:
    """Give the widget `key` its first value (from the URL) unless the user has already set it."""
    if key not in st.session_state:
        st.session_state[key] = value


def keep_settings_in_url(lesson, keys: Sequence[str] | None = None) -> None:
    """Write the lesson's settings (or only `keys` of them) to the address; other parameters stay."""
    from tl_core.classroom.lesson import lesson_to_query

    for key, value in lesson_to_query(lesson).items():
        if (keys is None or key in keys) and st.query_params.get(key) != value:
            st.query_params[key] = value
