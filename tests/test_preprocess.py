"""canvas_to_input turns drawings into MNIST-style inputs: cropped, 20 px box, centre of mass centred."""

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage

from tl_core.data.preprocess import CENTRE, EmptyDrawingError, canvas_to_input, ink_from_image, mnist_normalize


def draw_seven(side=280, offset=(0, 0), scale=1.0, ink=(0, 0, 0, 255), paper=(255, 255, 255, 255), width=18):
    """A '7' drawn with a round pen, like a canvas drawing."""
    image = Image.new("RGBA", (side, side), paper)
    draw = ImageDraw.Draw(image)
    points = np.array([(90, 70), (190, 70), (130, 220)], float)
    centre = np.array([140, 140])
    points = (points - centre) * scale + centre + np.array(offset)
    draw.line([tuple(p) for p in points], fill=ink, width=width, joint="curve")
    return np.asarray(image)


def ink_bounding_box(frame):
    rows = np.flatnonzero(frame.max(axis=1) > 0.08)
    cols = np.flatnonzero(frame.max(axis=0) > 0.08)
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_output_is_mnist_shaped_white_ink_on_black():
    x = canvas_to_input(draw_seven())
    assert x.shape == (28, 28) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0
    assert x[0, 0] == 0.0  # background is black
    assert max(ink_bounding_box(x)) in (20, 21)  # longest side scaled to 20 px (anti-aliasing may add one)


def test_centre_of_mass_lands_in_the_middle():
    x = canvas_to_input(draw_seven(offset=(-80, 50)))
    row, col = ndimage.center_of_mass(x)
    assert abs(row - CENTRE) <= 0.5 and abs(col - CENTRE) <= 0.5


def test_a_shifted_drawing_gives_the_same_input():
    centred = canvas_to_input(draw_seven())
    shifted = canvas_to_input(draw_seven(offset=(-70, 45)))
    np.testing.assert_allclose(shifted, centred, atol=1e-6)


def test_scaling_the_drawing_changes_little():
    large = canvas_to_input(draw_seven(scale=1.0, width=18))
    small = canvas_to_input(draw_seven(scale=0.5, width=9))  # half size, drawn with a pen half as wide
    assert np.abs(large - small).mean() < 0.05
    assert np.corrcoef(large.ravel(), small.ravel())[0, 1] > 0.9


@pytest.mark.parametrize(
    "ink, paper",
    [
        ((0, 0, 0, 255), (255, 255, 255, 255)),  # black pen on white paper
        ((255, 255, 255, 255), (0, 0, 0, 255)),  # chalk on a blackboard
        ((0, 0, 0, 255), (0, 0, 0, 0)),  # black pen on a transparent canvas
        ((255, 255, 255, 255), (255, 255, 255, 0)),  # white pen on a transparent canvas
        ((20, 40, 200, 255), (250, 245, 230, 255)),  # blue pen on cream paper
    ],
)
def test_polarity_and_colours_are_handled(ink, paper):
    reference = canvas_to_input(draw_seven())
    x = canvas_to_input(draw_seven(ink=ink, paper=paper))
    assert np.corrcoef(reference.ravel(), x.ravel())[0, 1] > 0.97
    assert x[0, 0] == 0.0 and x.max() == 1.0


@pytest.mark.parametrize("paper", [(255, 255, 255, 255), (0, 0, 0, 0), (12, 12, 12, 255)])
def test_a_blank_canvas_says_draw_something_first(paper):
    blank = np.zeros((280, 280, 4), np.uint8) + np.array(paper, np.uint8)
    with pytest.raises(EmptyDrawingError, match="Draw something first"):
        canvas_to_input(blank)


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((280, 280, 4), np.float32),  # not uint8
        np.zeros((280, 280, 2), np.uint8),  # two channels
        np.zeros((4, 280, 280, 4), np.uint8),  # a batch, not an image
        np.zeros((0, 280, 4), np.uint8),  # no pixels
    ],
)
def test_non_images_are_rejected_with_a_value_error(bad):
    with pytest.raises(ValueError):
        canvas_to_input(bad)


def test_huge_images_are_refused_before_any_work():
    # A broadcast view: looks like 5000 x 5000 x 4 without allocating it.
    huge = np.broadcast_to(np.zeros(4, np.uint8), (5000, 5000, 4))
    with pytest.raises(ValueError, match="too large"):
        canvas_to_input(huge)


def test_real_mnist_digits_are_already_normalised(mnist):
    """Oracle: MNIST itself was made by this recipe, so re-normalising a real digit changes it little."""
    for digit in mnist.x_heldout[:50]:
        again = mnist_normalize(digit)
        assert np.abs(again - digit).mean() < 0.04


def test_ink_of_an_opaque_image_is_its_distance_from_the_border_colour():
    image = np.full((10, 10, 3), 200, np.uint8)
    image[4:6, 4:6] = 50
    ink = ink_from_image(image)
    assert ink[0, 0] == 0.0
    np.testing.assert_allclose(ink[5, 5], (200 - 50) / 200, rtol=1e-5)


def png_bytes(array):
    import io

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_decode_png_checks_size_and_header_before_decoding():
    from tl_core.data.png import decode_png

    small = np.zeros((20, 30, 4), np.uint8)
    assert decode_png(png_bytes(small)).shape == (20, 30, 4)
    with pytest.raises(ValueError, match="at most 4096 px"):
        decode_png(png_bytes(np.zeros((5000, 8), np.uint8)))
    with pytest.raises(ValueError, match="larger than"):
        decode_png(png_bytes(small), max_bytes=10)
    with pytest.raises(ValueError, match="not a PNG"):
        decode_png(b"GIF89a" + b"\0" * 100)
    with pytest.raises(ValueError, match="not a readable PNG"):
        decode_png(png_bytes(small)[:40])
    with pytest.raises(ValueError, match="no image"):
        decode_png(b"")


def test_the_fast_channel_mean_equals_numpys_mean_bit_for_bit():
    from tl_core.data.preprocess import _channel_mean

    rng = np.random.default_rng(3)
    for shape in [(280, 280, 3), (5, 7, 1), (100, 3, 3), (1, 1, 3)]:
        colour = rng.integers(0, 256, shape, dtype=np.uint8)
        fast = _channel_mean(colour)
        assert fast.dtype == np.float32 and np.array_equal(fast, colour.mean(axis=2, dtype=np.float32))
