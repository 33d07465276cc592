"""Built-in character sets and the handwriting renderer: complete, deterministic, varied and learnable."""

import json
import subprocess
import sys

import numpy as np
import pytest

from tl_core.backend import keras, seed_everything
from tl_core.data.charsets import CHARSETS, list_charsets, render_charset
from tl_core.data.render import render_character
from tl_core.data.strokes import has_strokes, kanjivg_dir, load_character, stroke_order_picture


def test_built_in_sets_are_the_promised_ones_and_every_character_has_strokes():
    sizes = {c["name"]: len(c["labels"]) for c in list_charsets()}
    assert sizes == {
        "hiragana": 46,
        "katakana": 46,
        "kanji-numerals": 10,
        "jlpt-n5": 80,
        "latin-upper": 26,
        "latin-lower": 26,
        "digits": 10,
    }
    for charset in CHARSETS.values():
        assert len(set(charset.labels)) == len(charset.labels)
        assert all(has_strokes(label) for label in charset.labels), charset.name


def test_render_charset_and_list_charsets_are_part_of_the_public_contract():
    import tl_core

    x, y, labels = tl_core.render_charset("kanji-numerals", 1, seed=0)
    assert x.shape == (10, 28, 28) and list(y) == list(range(10)) and labels[0] == "一"
    assert {c["name"] for c in tl_core.list_charsets()} == set(CHARSETS)


def test_charsets_command_prints_names_titles_and_labels():
    result = subprocess.run(
        [sys.executable, "-m", "tl_core", "charsets", "--json"], capture_output=True, text=True, check=True, timeout=60
    )
    printed = json.loads(result.stdout)
    assert {c["name"] for c in printed} == set(CHARSETS)
    assert all({"name", "title", "labels"} <= set(c) for c in printed)


def test_strokes_come_in_writing_order_from_the_main_form():
    character = load_character("あ")
    assert len(character.strokes) == 3 and len(character.number_positions) == 3
    assert all(stroke.shape[1] == 2 and len(stroke) >= 2 for stroke in character.strokes)
    assert (kanjivg_dir() / "03042.svg").is_file()
    # Strokes stay inside KanjiVG's 109-unit box.
    points = np.concatenate(character.strokes)
    assert points.min() >= 0 and points.max() <= 109


def test_render_is_deterministic_for_a_seed_and_varied_across_seeds():
    first, labels = render_charset("katakana", 2, seed=5)[0], render_charset("katakana", 2, seed=5)[2]
    again = render_charset("katakana", 2, seed=5)[0]
    other = render_charset("katakana", 2, seed=6)[0]
    np.testing.assert_array_equal(first, again)
    assert first.shape == (92, 28, 28) and first.dtype == np.float32 and labels[0] == "ア"
    differences = np.abs(first - other).mean(axis=(1, 2))
    assert (differences > 0.02).all()  # every sample visibly differs under another seed
    # Within one seed, two samples of the same character differ too.
    assert np.abs(first[0] - first[1]).mean() > 0.02


def test_render_looks_like_a_canvas_drawing():
    drawing = render_character("木", np.random.default_rng(0))
    assert drawing.shape == (280, 280, 4) and drawing.dtype == np.uint8
    assert (drawing[..., 3] == 255).all()  # opaque, like the app's white canvas
    assert set(np.unique(drawing[..., 0])) <= {0, 255} and (drawing[..., 0] == 0).mean() > 0.02


def test_asking_for_more_samples_keeps_the_first_ones():
    x2, y2, _ = render_charset("kanji-numerals", 2, seed=3)
    x3, y3, _ = render_charset("kanji-numerals", 3, seed=3)
    np.testing.assert_array_equal(x3[y3 == 4][:2], x2[y2 == 4])


def test_stroke_order_picture_numbers_every_stroke():
    picture = stroke_order_picture("書")
    assert picture.shape == (220, 220, 3)
    orange = (picture[..., 0] > 200) & (picture[..., 1] < 120) & (picture[..., 2] < 80)
    assert orange.sum() > 10 * len(load_character("書").strokes)  # a start dot and a number per stroke


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CHARSETS))
def test_each_built_in_set_is_learnable_from_renders(name):
    """A small CNN trained from scratch on 20 renders per class reads renders of other seeds at >= 90%."""
    x_train, y_train, labels = render_charset(name, 20, seed=11)
    x_test, y_test, _ = render_charset(name, 5, seed=12)
    seed_everything(0)
    layers = keras().layers
    model = keras().Sequential(
        [
            keras().Input((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.3),
            layers.Dense(len(labels), activation="softmax"),
        ]
    )
    model.compile(optimizer=keras().optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy")
    model.fit(x_train[..., None], y_train, epochs=25, batch_size=32, verbose=0)
    accuracy = float((model.predict(x_test[..., None], verbose=0).argmax(axis=1) == y_test).mean())
    assert accuracy >= 0.90, f"{name}: {accuracy:.3f}"
