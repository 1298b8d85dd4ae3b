"""The closed forms of descent.theory, checked against runs of the book's optimizers."""

from __future__ import annotations

import doctest

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import descent.theory
from descent.problems import quadratic
from descent.runner import run
from descent.theory import (
    condition_number,
    gd_contraction,
    gd_iterate,
    heavy_ball_optimal,
    heavy_ball_rate,
    iterations_to_accuracy,
    momentum_converges,
    optimal_learning_rate,
    optimal_rate,
    stability_limit,
)

EIGENVALUES = (1.0, 6.0)
ANGLE = np.pi / 16  # θ₀ = (9.5, −1), the quadratic's default start.


def bowl():
    return quadratic(EIGENVALUES, angle=ANGLE)


def test_doctests():
    result = doctest.testmod(descent.theory)
    assert result.attempted >= 15 and result.failed == 0, result


def test_values():
    lam = (2.0, 8.0)
    assert float(condition_number(lam)) == pytest.approx(4.0)
    assert float(stability_limit(lam)) == pytest.approx(0.25)
    assert float(optimal_learning_rate(lam)) == pytest.approx(0.2)
    assert float(optimal_rate(lam)) == pytest.approx(0.6)
    alpha, beta = heavy_ball_optimal(lam)
    expected_alpha = (2 / (np.sqrt(8) + np.sqrt(2))) ** 2
    assert (float(alpha), float(beta)) == pytest.approx((expected_alpha, 1 / 9))
    assert float(heavy_ball_rate(lam)) == pytest.approx(1 / 3)
    assert float(heavy_ball_rate(lam)) == pytest.approx(np.sqrt(float(beta)))
    np.testing.assert_allclose(gd_contraction(jnp.array([0.1, 0.2]), lam), [[0.8, 0.2], [0.6, 0.6]],
                               rtol=1e-6)
    # They work on traced values too, as the explorers need.
    assert float(jax.jit(optimal_rate)(jnp.array([1.0, 6.0]))) == pytest.approx(5 / 7)


@pytest.mark.parametrize(
    "function", [condition_number, stability_limit, optimal_learning_rate, optimal_rate,
                 heavy_ball_optimal, heavy_ball_rate]
)
@pytest.mark.parametrize("eigenvalues", [(1.0, -2.0), (0.0, 1.0), (1.0, np.nan), ()])
def test_eigenvalues_must_be_positive(function, eigenvalues):
    with pytest.raises(ValueError, match="eigenvalues"):
        function(eigenvalues)


def test_bad_arguments_raise_by_name():
    with pytest.raises(ValueError, match="rate"):
        iterations_to_accuracy(1.0, 0.1)
    with pytest.raises(ValueError, match="accuracy"):
        iterations_to_accuracy(0.5, 0.0)
    with pytest.raises(ValueError, match="symmetric"):
        gd_iterate(jnp.array([[1.0, 2.0], [0.0, 1.0]]), jnp.ones(2), 0.1, 3)
    with pytest.raises(ValueError, match="square"):
        gd_iterate(jnp.ones((2, 3)), jnp.ones(2), 0.1, 3)


def test_optimal_learning_rate_minimizes_the_worst_contraction():
    alphas = jnp.linspace(0.01, 0.33, 321)
    worst = np.asarray(gd_contraction(alphas, EIGENVALUES).max(axis=1))
    best = float(optimal_rate(EIGENVALUES))
    assert worst.min() == pytest.approx(best, abs=1e-3)
    best_alpha = float(optimal_learning_rate(EIGENVALUES))
    assert float(alphas[np.argmin(worst)]) == pytest.approx(best_alpha, abs=1e-3)
    at_optimum = gd_contraction(optimal_learning_rate(EIGENVALUES), EIGENVALUES)
    np.testing.assert_allclose(at_optimum, [best, best], rtol=1e-6)  # Both directions balance.


def test_iterations_to_accuracy():
    for rate, accuracy in [(0.5, 1e-3), (0.9, 1e-6), (5 / 7, 1e-4), (0.0, 0.5)]:
        k = iterations_to_accuracy(rate, accuracy)
        assert rate**k <= accuracy and (k == 0 or rate ** (k - 1) > accuracy)
    assert iterations_to_accuracy(0.5, 1e-3) == 10


# ---------------------------------------------------------------------------------------
# Theory against runs.


def test_gd_iterate_is_the_matrix_power():
    problem = bowl()
    with jax.enable_x64(True):
        Q = np.asarray(problem.Q, dtype=np.float64)
        theta0 = np.array([9.5, -1.0])
        for k in (0, 1, 5, 17):
            expected = np.linalg.matrix_power(np.eye(2) - 0.3 * Q, k) @ theta0
            np.testing.assert_allclose(gd_iterate(Q, theta0, 0.3, k), expected,
                                       rtol=1e-12, atol=1e-12)
        trajectory = gd_iterate(Q, theta0, 0.3, jnp.arange(18))
        assert trajectory.shape == (18, 2)
        np.testing.assert_allclose(trajectory[17], expected, rtol=1e-12)


def test_gd_iterate_is_the_matrix_power_in_three_dimensions():
    """In 2-D, eigh's V happens to be symmetric, so V and Vᵀ cannot be told apart there."""
    with jax.enable_x64(True):
        rotation, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))
        Q = rotation @ np.diag([0.5, 2.0, 7.0]) @ rotation.T
        Q = (Q + Q.T) / 2
        _, V = np.linalg.eigh(Q)
        assert not np.allclose(V, V.T)  # The case where the two differ.
        theta0 = np.array([1.0, -2.0, 0.5])
        ks = np.array([[0, 1, 2], [5, 10, 30]])
        trajectory = gd_iterate(Q, theta0, 0.2, ks)
        assert trajectory.shape == (2, 3, 3)
        for index, k in np.ndenumerate(ks):
            expected = np.linalg.matrix_power(np.eye(3) - 0.2 * Q, k) @ theta0
            np.testing.assert_allclose(trajectory[index], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("learning_rate", [0.1, 0.25, 0.325])
def test_gradient_descent_is_the_closed_form(learning_rate):
    """In float64, a run of descent.optimizers.sgd is (I − αQ)ᵏθ₀ to rounding."""
    with jax.enable_x64(True):
        problem = bowl()
        assert problem.init.dtype == jnp.float64
        result = run(problem, "sgd", steps=60, learning_rate=learning_rate)
        expected = gd_iterate(problem.Q, problem.init, learning_rate, jnp.arange(61))
        np.testing.assert_allclose(result.trajectory, expected, rtol=1e-10, atol=1e-12)
    assert jnp.ones(1).dtype == jnp.float32  # x64 did not leak out of the block.


@pytest.mark.parametrize("learning_rate", [0.1, 0.25, 0.3])
def test_each_eigencomponent_contracts_by_one_minus_alpha_lambda(learning_rate):
    with jax.enable_x64(True):  # float64: the faster component stays well above rounding.
        problem = bowl()
        result = run(problem, "sgd", steps=20, learning_rate=learning_rate)
    components = np.asarray(result.trajectory) @ np.asarray(problem.eigenvectors)  # Vᵀθ_t.
    measured = components[1:] / components[:-1]  # Per step, per eigencomponent.
    predicted = 1 - learning_rate * np.asarray(problem.eigenvalues)
    np.testing.assert_allclose(measured, np.broadcast_to(predicted, measured.shape), rtol=1e-8)
    np.testing.assert_allclose(np.abs(predicted),
                               gd_contraction(learning_rate, problem.eigenvalues),
                               rtol=1e-6)


def test_stability_limit_separates_convergence_from_divergence():
    problem = bowl()
    assert float(stability_limit(EIGENVALUES)) == pytest.approx(1 / 3)
    assert np.max(gd_contraction(0.325, EIGENVALUES)) < 1
    assert np.max(gd_contraction(0.34, EIGENVALUES)) > 1

    below = run(problem, "sgd", steps=3000, learning_rate=0.325)
    assert below.diverged_at is None and below.losses[-1] < 1e-20 * below.losses[0]

    above = run(problem, "sgd", steps=3000, learning_rate=0.34)
    assert above.diverged_at is not None
    assert np.all(np.diff(above.losses[100:above.diverged_at]) > 0)  # It grows, every step.
    # The theory says when: the λ = 6 component grows by |1 − 0.34·6| = 1.04 per step, so
    # L_t ≈ ½·6·c²·1.04^{2t} and the loss overflows float32 at the predicted step.
    c = float(np.asarray(problem.eigenvectors)[:, 1] @ np.asarray(problem.init))
    overflow = np.log(np.finfo(np.float32).max / (0.5 * 6 * c**2)) / (2 * np.log(1.04))
    assert abs(above.diverged_at - overflow) <= 10, (above.diverged_at, overflow)


def test_iterations_to_accuracy_predicts_gradient_descent():
    """At α*, both eigencomponents shrink by ρ = (κ − 1)/(κ + 1): ‖θ_k‖ = ρᵏ‖θ₀‖."""
    with jax.enable_x64(True):
        problem = bowl()
        alpha = optimal_learning_rate(EIGENVALUES)
        result = run(problem, "sgd", steps=100, learning_rate=alpha)
        ratio = np.linalg.norm(result.trajectory, axis=1) / np.linalg.norm(problem.init)
    for accuracy in (1e-2, 1e-5, 1e-9):
        predicted = iterations_to_accuracy(float(optimal_rate(EIGENVALUES)), accuracy)
        assert int(np.argmax(ratio <= accuracy)) == predicted


def test_preconditioning_with_the_inverse_hessian_lands_in_one_step():
    problem = bowl()
    newton = run(problem, "precondition", steps=1, P=jnp.linalg.inv(problem.Q), learning_rate=1.0)
    np.testing.assert_allclose(newton.trajectory[1], [0.0, 0.0], atol=1e-5)
    # P = I is plain gradient descent, which does not.
    plain = run(problem, "precondition", steps=1, P=jnp.eye(2), learning_rate=1.0)
    gd_step = problem.init - problem.Q @ problem.init
    np.testing.assert_allclose(plain.trajectory[1], gd_step, rtol=1e-6)
    assert np.linalg.norm(plain.trajectory[1]) > 1


def test_heavy_ball_at_its_optimum_converges_at_the_predicted_rate():
    with jax.enable_x64(True):
        problem = bowl()
        alpha, beta = heavy_ball_optimal(EIGENVALUES)
        result = run(problem, "momentum", steps=400, learning_rate=alpha, momentum=beta)
        norms = np.linalg.norm(result.trajectory, axis=1)
    # Geometric rate over steps 100 to 400. At the optimum the two roots of each
    # eigencomponent coincide, so ‖θ_k‖ ∝ k ρᵏ: the factor k biases this by (4)^(1/300).
    measured = (norms[400] / norms[100]) ** (1 / 300)
    predicted = float(heavy_ball_rate(EIGENVALUES))
    assert measured == pytest.approx(predicted, rel=0.01)
    assert predicted < 0.7 * float(optimal_rate(EIGENVALUES))  # Much faster than GD's 5/7.


def test_momentum_converges_where_the_theory_says():
    problem = quadratic((1.0,), init=(1.0,))  # One eigencomponent, λ = 1: αλ = α.
    for beta in (0.0, 0.3, 0.6, 0.9):
        for alpha in (0.5, 1.5, 1.9, 2.5, 2.9, 3.5, 4.5):
            result = run(problem, "momentum", steps=2000, learning_rate=alpha, momentum=beta)
            converged = result.diverged_at is None and abs(float(result.trajectory[-1, 0])) < 1e-3
            assert converged == bool(momentum_converges(alpha, beta, 1.0)), (alpha, beta)
    assert not momentum_converges(0.5, 1.0, 1.0) and not momentum_converges(-0.1, 0.5, 1.0)
