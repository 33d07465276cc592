"""All model work of the transfer-learning app. Never imports streamlit; TensorFlow only when needed.

Public contract (other tools and pages rely on it):
- `list_models()` -> model cards; `load_model(name)` -> Keras model, (N, 28, 28, 1) -> (N, 10)
- `canvas_to_input(rgba)` -> (28, 28) float32 in [0, 1], white ink on black
- `list_charsets()` -> built-in character sets; `render_charset(name, n_per_class, seed)` -> (X, y, labels)
"""

from tl_core.data.charsets import list_charsets, render_charset
from tl_core.data.preprocess import EmptyDrawingError, canvas_to_input
from tl_core.models.zoo import list_models, load_model, model_card, predict_probabilities

__all__ = [
    "EmptyDrawingError",
    "canvas_to_input",
    "list_charsets",
    "render_charset",
    "list_models",
    "load_model",
    "model_card",
    "predict_probabilities",
]
