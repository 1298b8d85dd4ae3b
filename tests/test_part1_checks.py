"""Issue 9, chapters *Gradient descent on a quadratic* and *Preconditioning*: the exercise
check tells the right optimal rate from the likely wrong formulas, the exercise's values
keep them apart, and the corrected claims stay corrected. That every static figure is
shown with a description, at a readable size, is checked in test_notebooks.py."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import chapters
from descent.exercises import RTOL
from descent.exercises.quadratic import (
    check_iterations_at_optimal_rate,
    check_optimal_learning_rate,
    check_optimal_rate,
)

GD_QUADRATIC = chapters.read("gd-quadratic")
PRECONDITIONING = chapters.read("preconditioning")


def _rate(kappa: float) -> float:
    return (kappa - 1) / (kappa + 1)


def _slips(kappa: float) -> dict[str, float]:
    """The likely wrong answers for the optimal rate, by the formula the message names."""
    rate, root = _rate(kappa), math.sqrt(kappa)
    return {"1 − 2/κ": 1 - 2 / kappa, "e^(−2/κ)": math.exp(-2 / kappa),
            "1 − 1/κ": 1 - 1 / kappa, "((κ − 1)/(κ + 1))²": rate**2,
            "1 − α*λ_max": -rate, "(√κ − 1)/(√κ + 1)": (root - 1) / (root + 1)}


# The optimal rate: the first-order approximation is not accepted, even inside RTOL.

def test_first_order_approximation_is_named_even_inside_the_tolerance():
    assert math.isclose(0.92, 24 / 26, rel_tol=RTOL)  # Why the old check accepted it.
    verdict = check_optimal_rate((2, 50), 0.92)
    assert not verdict, "0.92 = 1 − 2/κ, the first-order approximation, was accepted"
    assert "1 − 2/κ" in repr(verdict) and "approximation" in repr(verdict)


@pytest.mark.parametrize("eigenvalues", [(3, 12), (2, 50), (1, 6), (1, 100)])
def test_each_slip_is_named(eigenvalues):
    kappa = max(eigenvalues) / min(eigenvalues)
    for formula, value in _slips(kappa).items():
        if math.isclose(value, _rate(kappa), rel_tol=1e-3):
            continue  # The same number as the right answer at this κ: nothing to name.
        verdict = check_optimal_rate(eigenvalues, value)
        assert not verdict, (eigenvalues, formula)
        assert formula in repr(verdict), (eigenvalues, formula, repr(verdict))


@pytest.mark.parametrize("eigenvalues, typed", [((3, 12), 0.6), ((2, 50), 0.923),
                                                ((1, 6), 0.714), ((1, 100), 0.980)])
def test_right_answers_pass_exact_and_to_three_digits(eigenvalues, typed):
    kappa = max(eigenvalues) / min(eigenvalues)
    assert check_optimal_rate(eigenvalues, _rate(kappa))
    assert check_optimal_rate(eigenvalues, typed)


def test_an_approximation_equal_to_the_answer_at_this_precision_is_right():
    # At κ = 25, e^(−2/κ) = 0.92312 and (κ − 1)/(κ + 1) = 0.92308 agree to 4e-5.
    assert check_optimal_rate((2, 50), math.exp(-2 / 25))


def test_optimal_learning_rate_names_its_slips():
    for value, formula in [(1 / 6, "2/λ_max"), (1 / 12, "1/λ_max"),
                           (1 / 15, "1/(λ_min + λ_max)")]:
        verdict = check_optimal_learning_rate((3, 12), value)
        assert not verdict and formula in repr(verdict), (value, repr(verdict))
    assert check_optimal_learning_rate((3, 12), 0.133)


def test_exercise_values_keep_the_wrong_formulas_far_from_the_answer():
    text = "\n".join(c.source for c in GD_QUADRATIC.cells)
    calls = set(re.findall(r"check_optimal_rate\(eigenvalues=\(([\d.]+), ([\d.]+)\)", text))
    assert len(calls) == 1, f"one set of eigenvalues for the exercise, got {calls}"
    low, high = sorted(float(v) for v in calls.pop())
    kappa = high / low
    rate = _rate(kappa)
    first_order = 1 - 2 / kappa
    assert abs(first_order - rate) > 10 * RTOL * rate, (
        f"at κ = {kappa:g}, 1 − 2/κ = {first_order:.4f} is within 10·RTOL of {rate:.4f}")
    for formula, value in _slips(kappa).items():
        assert not math.isclose(value, rate, rel_tol=2 * RTOL), formula


# The steps at the optimal rate: the estimate (κ/2) ln(1/δ) is told from the exact count.

def _steps(rate: float, accuracy: float) -> int:
    """The fewest t with rate^t ≤ accuracy, by taking the steps."""
    t, size = 0, 1.0
    while size > accuracy:
        t, size = t + 1, size * rate
    return t


def test_steps_estimate_is_told_apart_from_the_exact_count():
    assert _steps(0.5, 1e-6) == 20
    assert math.ceil(3 / 2 * math.log(1e6)) == 21
    assert check_iterations_at_optimal_rate((1, 3), 1e-6, 20)
    verdict = check_iterations_at_optimal_rate((1, 3), 1e-6, 21)
    assert not verdict, "21 = ⌈(κ/2) ln(1/δ)⌉, the estimate, was accepted"
    assert "(κ/2) ln(1/δ)" in repr(verdict) and "the estimate" in repr(verdict)


@pytest.mark.parametrize("answer, formula", [(10, "ρ*²"), (35, "1 − 1/κ"),
                                             (19, "rounded down")])
def test_steps_slips_are_named(answer, formula):
    verdict = check_iterations_at_optimal_rate((1, 3), 1e-6, answer)
    assert not verdict and formula in repr(verdict), repr(verdict)
    assert _steps(0.25, 1e-6) == 10 and _steps(2 / 3, 1e-6) == 35  # The slips' counts.


def test_steps_estimate_that_is_right_is_accepted():
    # At κ = 100 and δ = 10⁻³ the estimate rounds to the exact count: it is the answer.
    assert _steps(99 / 101, 1e-3) == math.ceil(50 * math.log(1e3)) == 346
    assert check_iterations_at_optimal_rate((1, 100), 1e-3, 346)
    assert not check_iterations_at_optimal_rate((1, 100), 1e-3, 345)


@pytest.mark.parametrize("eigenvalues, accuracy", [((1, 3), 1e-6), ((1, 6), 1e-4),
                                                   ((2, 50), 1e-3), ((1, 100), 1e-6)])
def test_steps_right_answer_is_the_count_of_the_steps(eigenvalues, accuracy):
    kappa = max(eigenvalues) / min(eigenvalues)
    expected = _steps(_rate(kappa), accuracy)
    assert check_iterations_at_optimal_rate(eigenvalues, accuracy, expected)
    assert not check_iterations_at_optimal_rate(eigenvalues, accuracy, expected + 1)


def test_steps_exercise_values_keep_the_estimate_apart():
    text = "\n".join(c.source for c in GD_QUADRATIC.cells)
    calls = set(re.findall(r"check_iterations_at_optimal_rate\(eigenvalues=\(([\d.]+), "
                           r"([\d.]+)\), accuracy=([\de.-]+)", text))
    assert len(calls) == 1, calls
    low, high, accuracy = (float(v) for v in calls.pop())
    kappa = high / low
    exact = _steps(_rate(kappa), accuracy)
    assert math.ceil(kappa / 2 * math.log(1 / accuracy)) != exact, (
        "at these values the estimate gives the exact count: the check cannot tell them")
    assert _steps(_rate(kappa) ** 2, accuracy) != exact
    assert _steps(1 - 1 / kappa, accuracy) != exact


# The corrected claims.

def test_gd_quadratic_caption_names_each_line_style():
    text = chapters.markdown(GD_QUADRATIC)
    assert "The dashed lines are the two eigenvectors" not in text
    assert "dotted" in text


def test_gd_quadratic_cliff_claim_is_limited_to_kappa_above_three():
    text = chapters.markdown(GD_QUADRATIC)
    assert "closer to the cliff" in text and r"\kappa > 3" in text


def test_gd_quadratic_notation_delta_and_N():
    text = chapters.markdown(GD_QUADRATIC)
    assert r"\varepsilon" not in text, "ε is the stabilizer; the target accuracy is δ"
    assert r"X^\top X/n" not in text, "N examples, n parameters"
    code = chapters.code(GD_QUADRATIC)
    assert "/ (2n)" not in code and "/ (2N)" in code


def test_preconditioning_claims_what_its_experiment_shows():
    text = chapters.markdown(PRECONDITIONING)
    assert "by nothing else" not in text and "on nothing else" not in text
    assert "two dimensions" in text
    assert "pre_ls_jacobi_worse_from" in text  # The run that κ̃ alone does not predict.


def test_preconditioning_adaptive_methods_use_gradient_size_and_adam_uses_v_hat():
    text = chapters.markdown(PRECONDITIONING)
    section = text[text.index("## Towards adaptive methods"):text.index("## Summary")]
    assert r"\hat v_t" in section and r"\hat m_t" in section
    assert "not a curvature" in section


def test_nocedal_wright_citations_name_the_right_parts():
    text = chapters.markdown(PRECONDITIONING) + chapters.markdown(GD_QUADRATIC)
    assert "chapters 3 and 5" not in text
    for part in ["section 3.3", "section 3.4", "chapter 4", "section 5.1"]:
        assert part in text, part


def test_log_cosh_third_iterate_is_finite_and_the_solution_says_so():
    theta = 1.5
    path = []
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(5):
            theta = theta - np.tanh(theta) * np.cosh(theta) ** 2
            path.append(theta)
    assert np.isfinite(path[2]) and abs(path[2]) > 1e200  # θ₃: huge, not overflowed.
    assert np.isinf(path[3]) and np.isnan(path[4])
    text = chapters.markdown(PRECONDITIONING)
    solution = text[text.index("{solution} ex-preconditioning-logcosh"):]
    assert "then overflow" not in solution
    assert "{glue:text}`pre_logcosh_large_3" in solution


def test_no_promise_of_momentum_in_the_next_chapter():
    """The other promises every chapter is free of: test_notebooks.py."""
    for notebook in [GD_QUADRATIC, PRECONDITIONING]:
        assert "momentum and preconditioning of the next" not in chapters.markdown(notebook)
