"""The canvas' PNG, as the page receives it: a forged, oversized picture is refused from its header, before a
single pixel is decoded (issue 13: 4,096 px a side cost 1.1 s and 256 MiB on every rerun)."""

import io
import time

import numpy as np
import pytest
from PIL import Image, ImageFile

from ui.canvas import CANVAS_SIDE, MAX_CANVAS_SIDE, model_input_of, read_canvas_png


def png_bytes(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (255, 255, 255, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def decodes(monkeypatch) -> list[tuple[int, int]]:
    """The sizes of the pictures whose pixels Pillow decoded (ImageFile.load is where it does)."""
    calls = []
    load = ImageFile.ImageFile.load

    def counting_load(image):
        calls.append(image.size)
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting_load)
    return calls


def test_a_canvas_drawing_is_read(decodes):
    read = read_canvas_png(png_bytes(CANVAS_SIDE, CANVAS_SIDE))
    assert read.problem is None and read.pixels.shape == (CANVAS_SIDE, CANVAS_SIDE, 4)
    assert read.pixels.dtype == np.uint8 and set(decodes) == {(CANVAS_SIDE, CANVAS_SIDE)}  # the counter counts


@pytest.mark.parametrize("width, height", [(MAX_CANVAS_SIDE + 1, 1), (1, MAX_CANVAS_SIDE + 1), (4096, 4096)])
def test_a_picture_larger_than_any_canvas_is_refused_before_decoding(width, height, decodes):
    png = png_bytes(width, height)
    started = time.perf_counter()
    read = read_canvas_png(png)
    assert time.perf_counter() - started < 0.05  # a header read; decoding 4,096 px took over a second
    assert read.pixels is None and decodes == []
    assert read.problem == f"That drawing could not be read: it is {width} x {height} px; at most 1024 px a side."


def test_the_largest_allowed_side_is_still_read():
    assert read_canvas_png(png_bytes(MAX_CANVAS_SIDE, 3)).pixels.shape == (3, MAX_CANVAS_SIDE, 4)


@pytest.mark.parametrize("png", [None, b"", b"GIF89a" + bytes(100), png_bytes(20, 20)[:40]])
def test_no_picture_or_a_broken_one_is_a_message_not_an_error(png):
    read = read_canvas_png(png)
    assert read.pixels is None and read.problem.startswith("That drawing could not be read: ")


class Place:
    """Stand-in for the column a page explains a drawing in: what it was told, by kind."""

    def __init__(self):
        self.said = []

    def info(self, text):
        self.said.append(("info", text))

    def warning(self, text):
        self.said.append(("warning", text))


def test_a_drawing_becomes_the_model_input_and_a_bad_one_is_explained_where_the_page_says():
    drawing = np.full((CANVAS_SIDE, CANVAS_SIDE, 4), 255, np.uint8)
    drawing[100:180, 130:150, :3] = 0  # a black stroke on white paper
    place = Place()
    assert model_input_of(drawing, place).shape == (28, 28) and place.said == []
    assert model_input_of(np.full_like(drawing, 255), place) is None
    assert model_input_of(np.zeros((5, 5), np.float32), place) is None
    (empty_kind, empty), (bad_kind, bad) = place.said
    assert (empty_kind, empty) == ("info", "Draw something first: the canvas is empty.")
    assert bad_kind == "warning" and bad.startswith("That drawing could not be read: ")
