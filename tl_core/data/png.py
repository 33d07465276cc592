"""PNG bytes <-> image arrays: how a drawing is kept (every sample keeps its original drawing as a PNG) and how
a PNG from outside (the canvas, a workspace zip) is read, with its size checked before any pixel is decoded.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def encode_png(image: np.ndarray) -> bytes:
    """An image array ((H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA, uint8 values) -> PNG bytes."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def decode_png(png: bytes | None, max_bytes: int = 8 * 1024 * 1024, max_side: int = 4096) -> np.ndarray:
    """PNG bytes -> (H, W, 4) uint8 RGBA, checking size, format and dimensions before decoding any pixels.

    Raises ValueError with a message meant for the user.
    """
    if not png:
        raise ValueError("there is no image.")
    if len(png) > max_bytes:
        raise ValueError(f"the file is larger than {max_bytes // (1024 * 1024)} MB.")
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("it is not a PNG image.")
    try:
        with Image.open(io.BytesIO(png)) as image:
            width, height = image.size  # read from the header: nothing decoded yet
            if width > max_side or height > max_side:
                raise ValueError(f"it is {width} x {height} px; at most {max_side} px a side.")
            return np.asarray(image.convert("RGBA"))
    except ValueError:
        raise
    except Exception:  # Pillow raises many kinds of errors for broken files
        raise ValueError("it is not a readable PNG image.") from None
