r"""Checks for the exercises of the chapter *Gradient descent on a quadratic*.

Each check computes the expected answer with :mod:`descent.theory`, the formulas the
chapter derives, and returns a :class:`~descent.exercises.Verdict`.

>>> check_optimal_learning_rate(eigenvalues=(1.0, 6.0), answer=2 / 7)
Right: α* = 2/(λ_min + λ_max) = 0.285714 balances the slowest and the fastest direction.
>>> check_optimal_learning_rate(eigenvalues=(1.0, 6.0), answer=None)
Your turn: replace None with your answer and run the cell again.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from descent import theory
from descent.exercises import RTOL, Verdict, _judge, _number

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
    """Is ``answer`` the learning rate 2/(λ_min + λ_max) with the fastest worst case?"""
    lam = _positive_eigenvalues(eigenvalues)
    expected = float(theory.optimal_learning_rate(lam))
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
    """Is ``answer`` the contraction (κ − 1)/(κ + 1) per step at the optimal α?"""
    lam = _positive_eigenvalues(eigenvalues)
    expected = float(theory.optimal_rate(lam))
    kappa = float(theory.condition_number(lam))
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
    """Is ``answer`` the fewest steps k with ρ*^k ≤ ε, at the optimal learning rate?"""
    lam = _positive_eigenvalues(eigenvalues)
    accuracy = _number(accuracy, "accuracy")
    rate = float(theory.optimal_rate(lam))
    expected = theory.iterations_to_accuracy(rate, accuracy)
    return _judge(
        answer, expected,
        f"ρ* = {rate:.6g}, and ρ*^{expected} ≤ {accuracy:g} while ρ*^{expected - 1} is not.",
        f"Solve ((κ − 1)/(κ + 1))^k ≤ {accuracy:g} for the "
        "smallest whole k.",
        noun=" steps",
    )
