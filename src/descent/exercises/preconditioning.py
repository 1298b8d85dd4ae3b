r"""Checks for the exercises of the chapter *Preconditioning*.

Each check computes the expected answer from the formulas the chapter derives, and
returns a :class:`~descent.exercises.Verdict`.

>>> check_jacobi_condition_number(Q=[[4.0, 0.0], [0.0, 1.0]], answer=1)
Right: κ(P^{1/2} Q P^{1/2}) = 1 with P = diag(Q)⁻¹.
>>> check_jacobi_condition_number(Q=[[4.0, 0.0], [0.0, 1.0]], answer=None)
Your turn: replace None with your answer and run the cell again.
"""

from __future__ import annotations

import math

import numpy as np
from jax.typing import ArrayLike

from descent import theory
from descent.exercises import RTOL, Verdict, _judge, _number
from descent.theory import preconditioned_spectrum

__all__ = [
    "jacobi_condition_number",
    "check_jacobi_condition_number",
    "check_inverse_preconditioner_steps",
]


def _spd(Q: ArrayLike) -> np.ndarray:
    Q = np.asarray(Q, dtype=float)
    if Q.ndim != 2 or Q.shape[0] != Q.shape[1] or not np.allclose(Q, Q.T):
        raise ValueError(f"Q must be a symmetric square matrix, got {Q.tolist()!r}")
    if np.linalg.eigvalsh(Q).min() <= 0:
        raise ValueError("Q must be positive definite")
    return Q


def jacobi_condition_number(Q: ArrayLike) -> float:
    r"""κ of :math:`P^{1/2} Q P^{1/2}` for the Jacobi preconditioner :math:`P = \operatorname{diag}(Q)^{-1}`.

    >>> print(f"{jacobi_condition_number([[2.0, 1.0], [1.0, 2.0]]):.4f}")
    3.0000
    """
    Q = _spd(Q)
    lam = preconditioned_spectrum(Q, np.diag(1.0 / np.diag(Q)))
    return float(lam[-1] / lam[0])


def check_jacobi_condition_number(
    Q: ArrayLike, answer: float | None, rtol: float = RTOL
) -> Verdict:
    """Is ``answer`` the condition number left after Jacobi preconditioning of Q?"""
    Q = _spd(Q)
    expected = jacobi_condition_number(Q)
    before = np.linalg.eigvalsh(Q)
    kappa = before[-1] / before[0]  # κ(Q), the answer before preconditioning: a trap.
    if (answer is not None and not math.isclose(expected, kappa, rel_tol=rtol)
            and math.isclose(_number(answer), kappa, rel_tol=rtol)):
        return Verdict(False, "Not quite: that is κ(Q), before preconditioning.")
    return _judge(
        answer, expected,
        f"κ(P^{{1/2}} Q P^{{1/2}}) = {expected:g} with P = diag(Q)⁻¹.",
        "Scale Q to D^{-1/2} Q D^{-1/2} with D = diag(Q): a unit diagonal. What are its "
        "eigenvalues?",
        rtol=rtol,
    )


def check_inverse_preconditioner_steps(
    learning_rate: float, accuracy: float, answer: int | None
) -> Verdict:
    """Is ``answer`` the steps until the error is ≤ δ·(initial error), with P = Q⁻¹?"""
    alpha = _number(learning_rate, "learning_rate")
    accuracy = _number(accuracy, "accuracy")
    if not 0 < alpha < 2:
        raise ValueError(f"learning_rate must be in (0, 2) to converge, got {alpha}")
    expected = theory.iterations_to_accuracy(abs(1 - alpha), accuracy)
    return _judge(
        answer, expected,
        f"with P = Q⁻¹ every component is multiplied by 1 − α = {1 - alpha:g}, and "
        f"{abs(1 - alpha):g}^{expected} ≤ {accuracy:g} while {abs(1 - alpha):g}^"
        f"{expected - 1} is not.",
        "What does I − αPQ become when P = Q⁻¹?",
        noun=" steps",
    )
