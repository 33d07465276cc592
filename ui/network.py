"""Look inside, one drawing: what each network sees of it (its guess, saliency, first-layer filters and their
responses, feature maps), as a page section shared by the Look inside page and the lesson. The numbers come from
`tl_core.inside.activations.network_view`; this module only draws them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

from tl_core.inside.activations import NetworkView, network_view
from tl_core.markdown import escape_markdown

SALIENCY_PX = 168  # 28 px x 6: beside two other networks on a laptop
SALIENCY_PX_LARGE = 336  # presenter view: the same picture read from the back of a classroom
FILTER_CARD_PX = 90  # one first-layer filter above its response, drawn at 112 px (28 x 4) for sharp screens
FILTER_CARD_PX_LARGE = 150  # drawn at 168 px (28 x 6)
FILTERS_SHOWN = 8  # two of each stroke direction: rows of four in a third of a laptop screen, of three on a phone
DIRECTION_WORDS = {
    "horizontal": "― horizontal",
    "rising": "╱ diagonal",
    "vertical": "│ vertical",
    "falling": "╲ diagonal",
}


def grid_picture(images: np.ndarray, columns: int, cell: int = 48, signed: bool = False, gap: int = 3) -> np.ndarray:
    """Small images in a grid, enlarged with crisp pixels: RGB uint8. Signed weights: red +, blue -."""
    count, height, width = images.shape
    factor = max(1, cell // max(height, width))
    rows = -(-count // columns)
    tile_h, tile_w = height * factor, width * factor
    picture = np.full((rows * (tile_h + gap) - gap, columns * (tile_w + gap) - gap, 3), 235, np.uint8)
    for index, image in enumerate(images):
        big = np.kron(image, np.ones((factor, factor), np.float32))
        tile = _signed_colours(big) if signed else _grey(big)
        top, left = (index // columns) * (tile_h + gap), (index % columns) * (tile_w + gap)
        picture[top : top + tile_h, left : left + tile_w] = (np.clip(tile, 0, 1) * 255).astype(np.uint8)
    return picture


def saliency_overlay(image: np.ndarray, heat: np.ndarray, factor: int = 6) -> np.ndarray:
    """The drawing in grey with the saliency in orange on top: RGB uint8."""
    base = np.repeat((0.45 * np.asarray(image, np.float32))[..., None], 3, axis=-1)
    orange = np.array([1.0, 0.55, 0.1], np.float32)
    mixed = base * (1 - heat[..., None]) + orange * heat[..., None]
    return (np.kron(np.clip(mixed, 0, 1), np.ones((factor, factor, 1), np.float32)) * 255).astype(np.uint8)


def filter_card(kernel: np.ndarray, response: np.ndarray, image: np.ndarray, scale: int = 4) -> np.ndarray:
    """One first-layer filter above where it fires on the drawing: RGB uint8, (28 * scale) px wide.

    Why this picture and not the bare weights: a 3x3 kernel alone is nine coloured squares that look like
    noise. Drawn as large as the drawing, in a diverging map (red +, blue −, white 0) so its pattern (a red
    row over a blue one: an edge) is visible, and above the response it gives on the learner's own strokes
    (the same orange as the saliency), it reads as what it is: an edge detector lighting up one side of the
    strokes that run its way. Screenshots at 1400 and 390 px wide were checked for this.
    """
    width = response.shape[-1] * scale
    factor = (width - 2) // kernel.shape[0]  # leaves a grey frame, so white (zero) weights stay visible
    weights = _signed_colours(np.kron(kernel, np.ones((factor, factor), np.float32)))
    framed = np.full((width, width, 3), 0.8, np.float32)
    offset = (width - len(weights)) // 2
    framed[offset : offset + len(weights), offset : offset + len(weights)] = weights
    peak = response.max()
    # to the power 1.5: the weak response every stroke gives fades, and the side a filter detects stands out
    heat = (response / peak) ** 1.5 if peak > 0 else response
    fired = saliency_overlay(0.7 * np.asarray(image, np.float32), heat, factor=scale)
    gap = np.full((scale * 2, width, 3), 255, np.uint8)
    return np.concatenate([(np.clip(framed, 0, 1) * 255).astype(np.uint8), gap, fired])


def network_section(
    models: dict[str, tuple[object, Sequence[str]]], image: np.ndarray, large: bool | None = None
) -> None:
    """Filters, feature maps and saliency of each model on one (28, 28) image; `models`: name -> (model, labels).

    `large`: pictures sized for the presenter view; by default, whether the presenter view is on.
    """
    if large is None:
        large = bool(st.session_state.get("present"))
    views = {name: network_view(model, image, FILTERS_SHOWN) for name, (model, _) in models.items()}
    if any(view.filters.kind == "conv" for view in views.values()):
        st.caption(
            "**First layer**: small filters of weights (red +, blue −), each slid across the drawing. Under each, in "
            "orange, where the ink matches its pattern: most are edge detectors for strokes running one way, "
            "named below it (measured on straight test strokes)."
        )
    columns = st.columns(len(models), gap="medium")
    first_filters = None
    for column, (name, (_, labels)), view in zip(columns, models.items(), views.values(), strict=True):
        with column:
            st.markdown(f"#### {name}")
            width = SALIENCY_PX_LARGE if large else SALIENCY_PX
            st.image(
                saliency_overlay(image, view.saliency, factor=width // 28),
                caption=f"Reads it as {escape_markdown(labels[view.guess])} ({view.confidence:.0%}). Orange: the "
                "pixels that would change that answer most (input gradient).",
                width=width,
            )
            found = view.filters
            same = first_filters is not None and np.array_equal(first_filters, found.images)
            first_filters = found.images if first_filters is None else first_filters
            unchanged = " Unchanged from the pretrained model." if same else ""
            if found.kind == "conv":
                _first_layer_cards(view, image, large, unchanged)
            else:
                st.image(
                    grid_picture(found.images[:16], columns=8, cell=28, signed=True),
                    width="stretch",
                    caption=f"First layer: {len(found.images)} units, each weighing every pixel (the first 16 "
                    f"shown; red +, blue −): patterns tied to positions, not strokes.{unchanged}",
                )
            if not view.blocks:
                st.caption("No feature maps: a dense-only network has no spatial features to show.")
            for block in view.blocks:
                h, w = block.maps.shape[1:]
                st.image(
                    grid_picture(block.maps, columns=4, cell=56),
                    width="stretch",
                    caption=f"{block.block}: 8 most active of its channels ({h}x{w})",
                )


def _first_layer_cards(view: NetworkView, image: np.ndarray, large: bool, unchanged: str) -> None:
    filters, directions, response, chosen = view.filters, view.directions, view.response, view.shown_filters
    size = "x".join(str(side) for side in filters.images.shape[1:])
    st.image(
        [filter_card(filters.images[i], response[i], image, scale=6 if large else 4) for i in chosen],
        caption=[DIRECTION_WORDS.get(directions[i], "any direction") for i in chosen],
        width=FILTER_CARD_PX_LARGE if large else FILTER_CARD_PX,
        alt=[f"filter {i + 1}: its {size} weights above where it fires on the drawing" for i in chosen],
    )
    undirected = sum(direction is None for direction in directions)
    st.caption(
        f"{len(chosen)} of its {len(filters.images)} first-layer filters ({size}), taken by direction in turns, "
        f"those this drawing excites most first. {undirected} of the {len(filters.images)} have no favourite "
        f"direction.{unchanged}"
    )


def _signed_colours(weights: np.ndarray) -> np.ndarray:
    """Weights in [-1, 1] as RGB floats: red +, blue −, white 0 (a diverging map centred at zero)."""
    return np.stack([1 - np.clip(-weights, 0, 1), 1 - np.abs(weights), 1 - np.clip(weights, 0, 1)], axis=-1)


def _grey(values: np.ndarray) -> np.ndarray:
    peak = values.max()
    return np.repeat((values / peak if peak > 0 else values)[..., None], 3, axis=-1)
