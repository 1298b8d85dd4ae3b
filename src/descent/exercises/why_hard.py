"""Checks for the exercises of the chapter "Why deep-learning optimization is hard".

>>> check_equivalent_networks(hidden=[2], sign_flips=False, answer=2)
Right: 2 weight settings compute the same function.
>>> check_saddle_escape_steps(learning_rate=0.1, y0=1e-6, answer=None)
Your turn: replace None with your answer and run the cell again.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from descent.exercises import RTOL, Verdict, _judge, _number
from descent.theory import equivalent_networks

__all__ = [
    "saddle_escape_steps",
    "check_saddle_escape_steps",
    "optimal_step_along_gradient",
    "check_optimal_step_along_gradient",
    "check_equivalent_networks",
    "noise_floor",
    "check_noise_floor",
]


def saddle_escape_steps(learning_rate: float, y0: float) -> int:
    """Smallest t with (1 + 2α)^t |y₀| ≥ 1: gradient descent leaving the saddle x² − y²."""
    if learning_rate <= 0 or not 0 < abs(y0) < 1:
        raise ValueError("need learning_rate > 0 and 0 < |y0| < 1")
    return math.ceil(-math.log(abs(y0)) / math.log(1 + 2 * learning_rate) - 1e-12)


def check_saddle_escape_steps(learning_rate: float, y0: float, answer: int | None) -> Verdict:
    """Is ``answer`` the number of steps gradient descent needs to reach |y| ≥ 1 on x² − y²?"""
    expected = saddle_escape_steps(_number(learning_rate, "learning_rate"), _number(y0, "y0"))
    factor = 1 + 2 * learning_rate
    return _judge(
        answer, expected,
        f"y is multiplied by {factor:g} at every step, and {factor:g}^{expected} · {abs(y0):g} "
        f"≥ 1 while {factor:g}^{expected - 1} · {abs(y0):g} < 1.",
        "∂L/∂y = −2y, so each step multiplies y by 1 + 2α; "
        f"solve (1 + 2α)^t |y₀| ≥ 1 for the smallest whole t.",
        noun=" steps",
    )


def optimal_step_along_gradient(g: Sequence[float], H: Sequence[Sequence[float]]) -> float:
    """α* = gᵀg / gᵀHg, the step that minimizes the quadratic model along −g (needs gᵀHg > 0)."""
    g, H = np.asarray(g, dtype=float), np.asarray(H, dtype=float)
    curvature = g @ H @ g
    if curvature <= 0:
        raise ValueError("gᵀHg must be positive: along −g the model has no minimum")
    return float(g @ g / curvature)


def check_optimal_step_along_gradient(
    g: Sequence[float], H: Sequence[Sequence[float]], answer: float | None, rtol: float = RTOL
) -> Verdict:
    """Is ``answer`` the learning rate that minimizes L(θ) − αgᵀg + ½α²gᵀHg?"""
    expected = optimal_step_along_gradient(g, H)
    return _judge(
        answer, expected,
        f"α* = gᵀg / gᵀHg = {expected:.4g}; twice that, {2 * expected:.4g}, already makes "
        f"the model's loss no better than where it started.",
        "Set the derivative of −αgᵀg + ½α²gᵀHg with respect to α "
        f"to zero.",
        rtol=rtol,
    )


def check_equivalent_networks(
    hidden: Sequence[int], sign_flips: bool, answer: int | None
) -> Verdict:
    """Is ``answer`` the number of permutations (and sign flips) of the hidden units?"""
    expected = equivalent_networks(hidden, sign_flips=sign_flips)
    return _judge(
        answer, expected,
        f"{expected} weight settings compute the same function.",
        "Multiply, over the hidden layers, n! orderings"
        + (" and 2ⁿ sign flips" if sign_flips else "") + " of each layer's n units.",
    )


def noise_floor(eigenvalues: Sequence[float], learning_rate: float, noise: float) -> float:
    """Stationary E[L] of θ ← θ − α(Qθ + σξ) on ½θᵀQθ: Σᵢ ασ² / (2(2 − αλᵢ))."""
    lam = np.asarray(eigenvalues, dtype=float)
    if np.any(lam <= 0) or np.any(learning_rate * lam >= 2) or learning_rate <= 0:
        raise ValueError("need every λᵢ > 0 and 0 < α < 2/λ_max")
    return float(np.sum(learning_rate * noise**2 / (2 * (2 - learning_rate * lam))))


def check_noise_floor(
    eigenvalues: Sequence[float], learning_rate: float, noise: float, answer: float | None,
    rtol: float = 1e-2,
) -> Verdict:
    """Is ``answer`` the expected loss where noisy gradient descent settles on a quadratic?"""
    expected = noise_floor(eigenvalues, _number(learning_rate, "learning_rate"),
                           _number(noise, "noise"))
    return _judge(
        answer, expected,
        f"E[L] = Σᵢ ασ²/(2(2 − αλᵢ)) = {expected:.4g}.",
        "Find the stationary variance of each eigencomponent, "
        f"z ← (1 − αλ)z − ασξ, then add up ½λ times it.",
        rtol=rtol,
    )
