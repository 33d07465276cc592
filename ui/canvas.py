"""The drawing canvas with a Clear button that really clears it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from tl_core.data.png import decode_png
from tl_core.data.preprocess import EmptyDrawingError, canvas_to_input
from tl_core.markdown import escape_markdown

CANVAS_SIDE = 280  # px; ten times the model input, so a finger or mouse has room
PEN_WIDTH = 18  # px; about two model pixels after scaling the drawing to 20 px
CANVAS_KEY_PREFIX = "canvas-"  # every canvas' widget key starts so: the frame's CSS finds their columns by it
MAX_CANVAS_PNG_BYTES = 8 * 1024 * 1024  # a real 280 x 280 drawing is a few kB; refuse anything absurd
# The canvas sends exactly CANVAS_SIDE px a side (fabric's toDataURL with multiplier 1, whatever the screen's pixel
# ratio), so a larger picture was forged; decoding one of 4,096 px cost 1.1 s and 256 MiB on every rerun.
MAX_CANVAS_SIDE = 1024


@dataclass(frozen=True)
class CanvasImage:
    pixels: np.ndarray | None  # (H, W, 4) uint8 RGBA; None when the picture could not be read
    problem: str | None = None  # why not, in plain text for the user


def read_canvas_png(png: bytes | None) -> CanvasImage:
    """The canvas' PNG as pixels, or why it cannot be: size and format are checked from the header, before any
    pixel is decoded (CanvasResult.image_data would decode whatever the browser sent)."""
    try:
        return CanvasImage(decode_png(png, max_bytes=MAX_CANVAS_PNG_BYTES, max_side=MAX_CANVAS_SIDE))
    except ValueError as problem:
        return CanvasImage(None, f"That drawing could not be read: {problem}")


def drawing_canvas(key: str, clear_label: str = "Clear") -> np.ndarray | None:
    """Show a canvas; return its RGBA image (H, W, 4) uint8, or None before anything is drawn.

    Clear gives the canvas a new key, which mounts a fresh, empty canvas: nothing of the old drawing
    survives in the browser or in the session.
    """
    # Imported here: the component registers itself with a running Streamlit, which unit tests do not have.
    from streamlit_drawable_canvas import st_canvas

    generation_key = f"{key}_generation"
    st.session_state.setdefault(generation_key, 0)
    result = st_canvas(
        stroke_width=PEN_WIDTH,
        stroke_color="#000000",
        background_color="#FFFFFF",
        height=CANVAS_SIDE,
        width=CANVAS_SIDE,
        drawing_mode="freedraw",
        return_image_data=True,
        key=f"{CANVAS_KEY_PREFIX}{key}-{st.session_state[generation_key]}",
    )
    st.button(clear_label, key=f"{key}_clear", icon=":material/ink_eraser:", on_click=clear_canvas, args=(key,))
    if not result.json_data or not result.json_data.get("objects"):
        return None
    read = read_canvas_png(result.image_bytes)
    if read.problem:
        st.warning(escape_markdown(read.problem))
    return read.pixels


def clear_canvas(key: str) -> None:
    """Empty the canvas `key` on the next run (it is mounted afresh under a new key)."""
    generation_key = f"{key}_generation"
    st.session_state[generation_key] = st.session_state.get(generation_key, 0) + 1


def drawn_input(key: str) -> np.ndarray | None:
    """A canvas whose drawing comes back as the model input (28, 28), or None while nothing readable is drawn
    (why not is said under the canvas)."""
    drawing = drawing_canvas(key)
    return None if drawing is None else model_input_of(drawing)


def model_input_of(drawing: np.ndarray, place=st) -> np.ndarray | None:
    """A canvas drawing (H, W, 4) as the model input (28, 28), or None when it holds no ink or cannot be read:
    why not is said in `place` (a column, or the page where the call stands), never raised."""
    try:
        return canvas_to_input(drawing)
    except EmptyDrawingError as empty:
        place.info(str(empty))
    except ValueError as bad:
        place.warning(f"That drawing could not be read: {escape_markdown(bad)}")
    return None
