"""Pictures to learn from: real MNIST digits, KanjiVG strokes, the handwriting renderer, the character sets,
the ways people write digits, augmentation, and the canvas -> MNIST-style input recipe.

Imports only the root modules (`backend`, `limits`, `markdown`); everything else in tl_core may import it.
"""
