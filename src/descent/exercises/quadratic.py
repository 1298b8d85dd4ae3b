r"""Checks for the exercises of the chapter *Gradient descent on a quadratic*.

Each check computes the expected answer with :mod:`descent.theory`, the formulas the
chapter derives, and returns a :class:`~descent.exercises.Verdict`.

>>> check_optimal_learning_rate(eigenvalues=(1.0, 6.0), answer=2 / 7)
Right: α* = 2/(λ_min + λ_max) = 0.285714 balances the slowest and the fastest direction.
>>> check_optimal_learning_rate(eigenvalues=(1.0, 6.0), answer=None)
Your turn: replace None with your answer and run the cell again.
>>> check_iterations_at_optimal_rate(eigenvalues=(1, 3), accuracy=1e-6, answer=20)
Right: ρ* = 0.5, and ρ*^20 ≤ 1e-06 while ρ*^19 is not.
>>> check_iterations_at_optimal_rate(eigenvalues=(1, 3), accuracy=1e-6, answer=21)
Not quite: that is ⌈(κ/2) ln(1/δ)⌉ = ⌈20.72⌉, the estimate; at κ = 3 it overshoots by 1 step, since ln(1/ρ*) = 0.693 exceeds 2/κ = 0.667.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from descent import theory
from descent.exercises import RTOL, Verdict, _judge, _number, _slip

__all__ = [
    "check_optimal_learning_rate",
    "check_optimal_rate",
    "check_stability_limit_without_half",
    "check_iterations_at_optimal_rate",
]


def _positive_eigenvalues(eigenvalues: Sequence[float]) -> np.ndarray:
    lam = np.asarray([_number(v, "eigenvalue") for v in eigenvalues], dtype=float)
    if lam.size == 0 or np.any(lam <= 0):
        raise ValueError(f"eigenvalues must be positive numbers, got {list(eigenvalues)!r}")
    return lam


def check_optimal_learning_rate(
    eigenvalues: Sequence[float], answer: float | None, rtol: float = RTOL
) -> Verdict:
    """Is ``answer`` the learning rate 2/(λ_min + λ_max) with the fastest worst case?

    The likely slips are named: 2/λ_max, 1/λ_max and 1/(λ_min + λ_max).

    >>> check_optimal_learning_rate(eigenvalues=(3, 12), answer=1 / 6)
    Not quite: that is 2/λ_max, the largest stable learning rate; the best one is smaller.
    """
    lam = _positive_eigenvalues(eigenvalues)
    expected = float(theory.optimal_learning_rate(lam))
    low, high = float(np.min(lam)), float(np.max(lam))
    slip = _slip(answer, expected, [
        (2 / high, "that is 2/λ_max, the largest stable learning rate; the best one is "
                   "smaller."),
        (1 / high, "that is 1/λ_max, which removes the steep component in one step but "
                   "leaves the flat one shrinking by only 1 − 1/κ."),
        (1 / (low + high), "that is 1/(λ_min + λ_max): the 2 is missing."),
    ], rtol, same=1e-3)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"α* = 2/(λ_min + λ_max) = {expected:g} balances the slowest and the fastest "
        "direction.",
        "Which α makes |1 − αλ_min| equal to |1 − αλ_max|?",
        rtol=rtol,
    )


def check_optimal_rate(
    eigenvalues: Sequence[float], answer: float | None, rtol: float = RTOL
) -> Verdict:
    """Is ``answer`` the contraction (κ − 1)/(κ + 1) per step at the optimal α?

    The likely slips are recognised and named, even where one lies within ``rtol`` of
    the right value: the first-order approximation 1 − 2/κ (0.92 for κ = 25, where the
    exact factor is 0.923), e^(−2/κ), the factor 1 − 1/κ of α = 1/λ_max, the loss's
    factor ρ*², the steep direction's signed factor −ρ*, and heavy-ball momentum's
    (√κ − 1)/(√κ + 1).

    >>> check_optimal_rate(eigenvalues=(2, 50), answer=0.92)  # doctest: +ELLIPSIS
    Not quite: that is 1 − 2/κ = 0.92, the first-order approximation...
    >>> check_optimal_rate(eigenvalues=(2, 50), answer=0.923)
    Right: κ = 25, and (κ − 1)/(κ + 1) = 0.923077.
    """
    lam = _positive_eigenvalues(eigenvalues)
    expected = float(theory.optimal_rate(lam))
    kappa = float(theory.condition_number(lam))
    root = math.sqrt(kappa)
    slips = [
        (1 - 2 / kappa, f"that is 1 − 2/κ = {1 - 2 / kappa:g}, the first-order "
                        "approximation of (κ − 1)/(κ + 1) for large κ; the exercise asks "
                        "for the exact factor."),
        (math.exp(-2 / kappa), f"that is e^(−2/κ) = {math.exp(-2 / kappa):g}, from the "
                               "approximation ln(1/ρ*) ≈ 2/κ; the exercise asks for the "
                               "exact factor."),
        (1 - 1 / kappa, f"that is 1 − 1/κ = {1 - 1 / kappa:g}, the factor of the flat "
                        "direction at α = 1/λ_max, not at α*."),
        (expected**2, f"that is ((κ − 1)/(κ + 1))² = {expected**2:g}, the factor of the "
                      "loss per step; the exercise asks for the factor of the distance, "
                      "max |1 − α*λᵢ|."),
        (-expected, f"that is 1 − α*λ_max = {-expected:g}, the signed factor of the steep "
                    "direction, which flips sign at every step; the rate is its size."),
        ((root - 1) / (root + 1), f"that is (√κ − 1)/(√κ + 1) = {(root - 1) / (root + 1):g}, "
                                  "the rate of heavy-ball momentum at its best setting, not "
                                  "of gradient descent."),
    ]
    slip = _slip(answer, expected, slips, rtol, same=1e-3)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"κ = {kappa:g}, and (κ − 1)/(κ + 1) = {expected:g}.",
        "Put α* into |1 − α*λ_min| and write it with κ = λ_max/λ_min.",
        rtol=rtol,
    )


def check_stability_limit_without_half(
    eigenvalues: Sequence[float], answer: float | None, rtol: float = RTOL
) -> Verdict:
    """Is ``answer`` the largest stable α for L(θ) = θᵀQθ, written without the ½?"""
    lam = _positive_eigenvalues(eigenvalues)
    expected = 1.0 / float(np.max(lam))
    if answer is not None and math.isclose(_number(answer), 2.0 / float(np.max(lam)), rel_tol=rtol):
        return Verdict(False, "Not quite: that is 2/λ_max, the limit for ½ θᵀQθ. Without "
                       "the ½, what is the gradient of θᵀQθ?")
    return _judge(
        answer, expected,
        f"the gradient of θᵀQθ is 2Qθ, so each step multiplies yᵢ by 1 − 2αλᵢ and the "
        f"limit is 1/λ_max = {expected:g}.",
        "Differentiate θᵀQθ first.",
        rtol=rtol,
    )


def check_iterations_at_optimal_rate(
    eigenvalues: Sequence[float], accuracy: float, answer: int | None
) -> Verdict:
    """Is ``answer`` the fewest steps t with ρ*^t ≤ δ, at the optimal learning rate?

    The likely slips are named when they give another count: the estimate
    ⌈(κ/2) ln(1/δ)⌉ (one step too many at κ = 3 and δ = 10⁻⁶, the right count at
    κ = 100 and δ = 10⁻³), the count for the loss's factor ρ*², the count for the
    factor 1 − 1/κ of α = 1/λ_max, and ln(1/δ)/ln(1/ρ*) rounded down.

    >>> check_iterations_at_optimal_rate((1, 3), 1e-6, answer=10)  # doctest: +ELLIPSIS
    Not quite: that counts the steps of the loss's factor ρ*² = 0.25...
    >>> check_iterations_at_optimal_rate((1, 3), 1e-6, answer=35)  # doctest: +ELLIPSIS
    Not quite: that counts the steps of the factor 1 − 1/κ = 0.666667, the rate of α = 1/λ_max...
    >>> check_iterations_at_optimal_rate(eigenvalues=(1, 100), accuracy=1e-3, answer=346)
    Right: ρ* = 0.980198, and ρ*^346 ≤ 0.001 while ρ*^345 is not.
    """
    lam = _positive_eigenvalues(eigenvalues)
    accuracy = _number(accuracy, "accuracy")
    rate = float(theory.optimal_rate(lam))
    kappa = float(theory.condition_number(lam))
    expected = theory.iterations_to_accuracy(rate, accuracy)
    estimate = kappa / 2 * math.log(1 / accuracy)  # ≥ the exact count: ln(1/ρ*) ≥ 2/κ.
    steps_estimated = math.ceil(estimate)
    exact = math.log(1 / accuracy) / math.log(1 / rate) if rate > 0 else 0.0
    too_many = steps_estimated - expected
    flat = 1 - 1 / kappa
    slips = [
        (steps_estimated,
         f"that is ⌈(κ/2) ln(1/δ)⌉ = ⌈{estimate:.2f}⌉, the estimate; at κ = {kappa:g} it "
         f"overshoots by {too_many} step{'' if too_many == 1 else 's'}, since "
         f"ln(1/ρ*) = {math.log(1 / rate) if rate > 0 else math.inf:.3g} exceeds "
         f"2/κ = {2 / kappa:.3g}."),
        (theory.iterations_to_accuracy(rate**2, accuracy),
         f"that counts the steps of the loss's factor ρ*² = {rate**2:g}; the exercise "
         "asks when the distance ‖θₜ‖, whose factor is ρ*, falls below δ‖θ₀‖."),
        (theory.iterations_to_accuracy(flat, accuracy),
         f"that counts the steps of the factor 1 − 1/κ = {flat:g}, the rate of "
         "α = 1/λ_max; at the optimal learning rate the factor is (κ − 1)/(κ + 1)."),
        (math.floor(exact), f"that is ln(1/δ)/ln(1/ρ*) = {exact:.2f} rounded down; "
                            f"ρ*^{math.floor(exact)} is still above δ, so round up."),
    ]
    slip = _slip(answer, expected, slips)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"ρ* = {rate:.6g}, and ρ*^{expected} ≤ {accuracy:g} while ρ*^{expected - 1} is not.",
        f"Solve ((κ − 1)/(κ + 1))^t ≤ {accuracy:g} for the smallest whole t.",
        noun=" steps",
    )
