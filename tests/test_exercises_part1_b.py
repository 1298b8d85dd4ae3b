"""The exercise checks of the chapters on gradient descent on a quadratic and on
preconditioning: right answers pass, wrong ones fail, None asks for an answer, and the
expected values agree with an independent computation."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

import descent.exercises.preconditioning as preconditioning
import descent.exercises.quadratic as quadratic
from descent.exercises.preconditioning import (
    check_inverse_preconditioner_steps,
    check_jacobi_condition_number,
    jacobi_condition_number,
)
from descent.exercises.quadratic import (
    check_iterations_at_optimal_rate,
    check_optimal_learning_rate,
    check_optimal_rate,
    check_stability_limit_without_half,
)


@pytest.mark.parametrize("module, examples", [(quadratic, 5), (preconditioning, 3)])
def test_doctests(module, examples):
    result = doctest.testmod(module)
    assert result.attempted >= examples and result.failed == 0, result


def _no_answer(verdict):
    return verdict.right is None and not verdict and "replace None" in repr(verdict)


def test_optimal_learning_rate():
    assert check_optimal_learning_rate((2, 50), 2 / 52)
    assert not check_optimal_learning_rate((2, 50), 2 / 50)  # 2/λ_max: the limit, not best.
    assert repr(check_optimal_learning_rate((2, 50), 0.1)).startswith("Not quite:")
    assert _no_answer(check_optimal_learning_rate((2, 50), None))


def test_optimal_rate_by_brute_force():
    lam = np.array([2.0, 50.0])
    alphas = np.linspace(1e-4, 2 / lam.max(), 200_001)
    worst = np.max(np.abs(1 - alphas[:, None] * lam), axis=1)
    assert check_optimal_rate((2, 50), worst.min(), rtol=1e-4)
    assert check_optimal_rate((2, 50), 24 / 26)
    assert not check_optimal_rate((2, 50), 0.9)
    assert _no_answer(check_optimal_rate((2, 50), None))


def test_stability_limit_without_half_names_the_slip():
    assert check_stability_limit_without_half((1, 6), 1 / 6)
    slip = check_stability_limit_without_half((1, 6), 1 / 3)
    assert not slip and "2/λ_max" in repr(slip)
    assert _no_answer(check_stability_limit_without_half((1, 6), None))


def test_stability_limit_without_half_by_running_it():
    # Gradient descent on θᵀQθ (no ½) just below and just above 1/λ_max.
    lam = np.array([1.0, 6.0])

    def final(alpha, steps=400):
        y = np.ones(2)
        for _ in range(steps):
            y = y - alpha * 2 * lam * y  # ∇(θᵀQθ) = 2Qθ, in the eigenbasis.
        return np.abs(y).max()

    assert final(0.99 / 6) < 1e-3 and final(1.01 / 6) > 1e3


def test_iterations_at_optimal_rate():
    rho = 99 / 101
    k = math.ceil(math.log(1e-3) / math.log(rho))
    assert rho**k <= 1e-3 < rho ** (k - 1)
    assert check_iterations_at_optimal_rate((1, 100), 1e-3, k)
    assert not check_iterations_at_optimal_rate((1, 100), 1e-3, k - 1)
    assert _no_answer(check_iterations_at_optimal_rate((1, 100), 1e-3, None))


def test_jacobi_condition_number_closed_form():
    Q = np.array([[10.0, 3.0], [3.0, 1.0]])
    c = 3 / math.sqrt(10)
    assert math.isclose(jacobi_condition_number(Q), (1 + c) / (1 - c), rel_tol=1e-9)
    assert check_jacobi_condition_number(Q, (1 + c) / (1 - c))
    kappa = np.linalg.cond(Q)
    before = check_jacobi_condition_number(Q, kappa)
    assert not before and "before preconditioning" in repr(before)
    assert _no_answer(check_jacobi_condition_number(Q, None))


def test_jacobi_is_exact_on_diagonal_and_useless_at_45_degrees():
    assert math.isclose(jacobi_condition_number(np.diag([100.0, 1.0])), 1.0)
    R = np.array([[1.0, -1.0], [1.0, 1.0]]) / math.sqrt(2)
    Q = R @ np.diag([1.0, 20.0]) @ R.T
    assert math.isclose(jacobi_condition_number(Q), 20.0, rel_tol=1e-9)


def test_inverse_preconditioner_steps():
    assert check_inverse_preconditioner_steps(0.5, 1e-6, 20)
    assert not check_inverse_preconditioner_steps(0.5, 1e-6, 19)
    assert check_inverse_preconditioner_steps(1.0, 1e-6, 1)  # Newton: one step.
    assert _no_answer(check_inverse_preconditioner_steps(0.5, 1e-6, None))
    with pytest.raises(ValueError, match="learning_rate"):
        check_inverse_preconditioner_steps(2.5, 1e-6, 3)


@pytest.mark.parametrize("bad", [[[1.0, 2.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]]])
def test_jacobi_rejects_non_spd(bad):
    with pytest.raises(ValueError):
        jacobi_condition_number(bad)


def test_bad_answers_get_a_clear_message():
    with pytest.raises(TypeError, match="answer must be"):
        check_optimal_learning_rate((1, 6), "abc")
    with pytest.raises(ValueError, match="eigenvalues must be positive"):
        check_optimal_rate((0, 6), 0.5)
