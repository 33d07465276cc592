"""Saying when unsure: a clear prediction reads as one answer, an ambiguous one as "7 or 1?", and flag_rates
counts exactly what reading each prediction one by one would flag."""

import math

import numpy as np
import pytest

from tl_core.data.mnist import DIGITS
from tl_core.models.confidence import FlagRates, Reading, UnsureRule, flag_rates, read_prediction


def probabilities(**by_digit: float) -> np.ndarray:
    """A (10,) vector with the given digits' probabilities (d7=0.5) and the rest shared evenly."""
    vector = np.zeros(10)
    for name, value in by_digit.items():
        vector[int(name[1:])] = value
    rest = [index for index in range(10) if vector[index] == 0]
    vector[rest] = (1 - vector.sum()) / len(rest)
    return vector


def test_a_clear_prediction_is_one_answer():
    reading = read_prediction(probabilities(d7=0.9, d1=0.05), DIGITS)
    assert reading == Reading(best="7", runner_up="1", top_probability=0.9, margin=pytest.approx(0.85), unsure=False)
    assert reading.headline == "7"


def test_close_top_two_are_unsure_even_with_a_high_top_probability():
    reading = read_prediction(
        probabilities(d7=0.61, d1=0.39), DIGITS, UnsureRule(min_top_probability=0.6, min_margin=0.25)
    )
    assert reading.unsure and reading.headline == "7 or 1?"


def test_a_low_top_probability_is_unsure_even_with_a_wide_margin():
    reading = read_prediction(probabilities(d3=0.5), DIGITS, UnsureRule(min_top_probability=0.6, min_margin=0.25))
    assert reading.margin > 0.25 and reading.unsure


def test_the_headline_puts_the_most_probable_first_wherever_it_sits():
    assert read_prediction(probabilities(d1=0.48, d7=0.41), DIGITS).headline == "1 or 7?"
    assert read_prediction(probabilities(d7=0.48, d1=0.41), DIGITS).headline == "7 or 1?"
    reading = read_prediction(probabilities(d7=0.48, d1=0.41), DIGITS)
    assert reading.runner_up_probability == pytest.approx(0.41)


def test_a_tie_is_unsure_and_names_the_lower_index_first_as_argmax_does():
    reading = read_prediction(probabilities(d4=0.45, d9=0.45), DIGITS)
    assert reading.margin == 0 and reading.unsure
    assert reading.headline == "4 or 9?"


def test_exactly_at_both_thresholds_is_sure():
    rule = UnsureRule(min_top_probability=0.5, min_margin=0.25)
    assert not read_prediction([0.5, 0.25, 0.25], ["a", "b", "c"], rule).unsure


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        read_prediction([1.0], ["a"])
    with pytest.raises(ValueError):
        read_prediction([0.5, 0.5], DIGITS)
    with pytest.raises(ValueError):
        UnsureRule(min_margin=1.5)
    with pytest.raises(ValueError):
        flag_rates(np.full((2, 3), 1 / 3), np.array([0, 1, 2]))


def test_flag_rates_on_a_hand_made_example():
    rule = UnsureRule(min_top_probability=0.6, min_margin=0.25)
    predictions = np.array(
        [
            [0.9, 0.1, 0.0],  # right, clear
            [0.5, 0.4, 0.1],  # right, unsure: needlessly flagged
            [0.2, 0.7, 0.1],  # right, clear
            [0.1, 0.8, 0.1],  # wrong (true 0), clear: a missed error
            [0.45, 0.1, 0.45],  # wrong (true 2; the tie goes to 0), unsure: a caught error
        ]
    )
    rates = flag_rates(predictions, np.array([0, 0, 1, 0, 2]), rule)
    assert rates == FlagRates(errors_flagged=0.5, correct_flagged=pytest.approx(1 / 3), n_errors=2, n_correct=3)


def test_flag_rates_agree_with_reading_each_prediction():
    """The oracle: one read_prediction per row, counted by hand."""
    generator = np.random.default_rng(14)
    predictions = generator.dirichlet(np.full(10, 0.3), size=500)
    truth = generator.integers(0, 10, size=500)
    rule = UnsureRule(min_top_probability=0.7, min_margin=0.3)
    readings = [read_prediction(row, DIGITS, rule) for row in predictions]
    wrong = [reading.best != DIGITS[label] for reading, label in zip(readings, truth, strict=True)]
    flagged_errors = sum(r.unsure for r, w in zip(readings, wrong, strict=True) if w)
    flagged_correct = sum(r.unsure for r, w in zip(readings, wrong, strict=True) if not w)
    rates = flag_rates(predictions, truth, rule)
    assert (rates.n_errors, rates.n_correct) == (sum(wrong), len(wrong) - sum(wrong))
    assert rates.errors_flagged == pytest.approx(flagged_errors / sum(wrong))
    assert rates.correct_flagged == pytest.approx(flagged_correct / (len(wrong) - sum(wrong)))


def test_a_rate_with_nothing_to_count_is_nan_not_zero():
    rates = flag_rates(np.array([[0.95, 0.05], [0.02, 0.98]]), np.array([0, 1]))
    assert rates.n_errors == 0 and math.isnan(rates.errors_flagged)
    assert rates.correct_flagged == 0.0
