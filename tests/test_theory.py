"""The closed forms of descent.theory, checked against runs of the book's optimizers."""

from __future__ import annotations

import doctest
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import descent.theory
from descent import theory
from descent.optimizers import apply_updates, sgd
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


# ---------------------------------------------------------------------------------------
# SGD on the noisy quadratic: the closed forms of descent.theory against simulation.
#
# The model (Zhang et al. 2019), shared by Part II: L(θ) = ½ θᵀQθ with Q = R diag(λ) Rᵀ, and
# the stochastic gradient g = Qθ + ξ, ξ ~ N(0, R diag(s) Rᵀ) drawn afresh at every step. The
# simulations run many independent runs at once (jax.vmap over the keys, one compile per
# test) in the original coordinates, with a rotated Q, and project onto the eigenvectors:
# so they check the eigenbasis reduction too, not only the recursions.
#
# Tolerances are statistical: a sample mean of N runs is within 4.5 standard errors, a
# sample variance within 4.5·√(2/N) relatively (Gaussian iterates), at each of a few steps.

RUNS = 10_000
Z = 4.5  # Standard errors allowed.


def rotation(angle):
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s], [s, c]])


@jax.jit
def simulate(Q, noise_root, learning_rates, init, keys):
    """One run per key of SGD θ ← θ − α_k (Qθ + ξ_k), ξ_k = noise_root @ z, z ~ N(0, I).

    Returns every iterate, shape (runs, T + 1, n). The step is descent.optimizers.sgd with
    the learning rates as a schedule, so it is the same code as the book's.
    """
    optimizer = sgd(learning_rate=lambda k: learning_rates[k])

    def run(key):
        def step(carry, z):
            theta, state = carry
            g = Q @ theta + noise_root @ z  # E g = ∇L(θ) = Qθ.
            updates, state = optimizer.update(g, state)
            theta = apply_updates(theta, updates)
            return (theta, state), theta

        zs = jax.random.normal(key, (learning_rates.shape[0], init.shape[0]))
        _, path = jax.lax.scan(step, (init, optimizer.init(init)), zs)
        return jnp.concatenate([init[None], path])

    return jax.vmap(run)(keys)


def noisy_quadratic(eigenvalues, noise_variances, angle=0.6):
    """Q, R and the noise's square root R diag(√s) of a rotated 2-D noisy quadratic."""
    R = rotation(angle)
    Q = R @ np.diag(eigenvalues) @ R.T
    return Q, R, R * np.sqrt(noise_variances)


def run_in_eigenbasis(eigenvalues, noise_variances, learning_rates, init_eigen, seed, runs=RUNS):
    """Simulated eigencomponents Rᵀθ_k of ``runs`` runs, float64: shape (runs, T + 1, n)."""
    Q, R, root = noisy_quadratic(eigenvalues, noise_variances)
    with jax.enable_x64(True):
        path = simulate(jnp.asarray(Q), jnp.asarray(root), jnp.asarray(learning_rates, float),
                        jnp.asarray(R @ np.asarray(init_eigen, float)),
                        jax.random.split(jax.random.key(seed), runs))
        return np.asarray(path) @ R


def assert_moments_agree(sample, mean, variance, steps):
    """Sample mean and variance of ``sample`` (runs, T + 1, n) against the exact ones."""
    runs = sample.shape[0]
    for k in steps:
        m, v = sample[:, k].mean(axis=0), sample[:, k].var(axis=0, ddof=1)
        np.testing.assert_array_less(np.abs(m - mean[k]), Z * np.sqrt(variance[k] / runs) + 1e-12)
        np.testing.assert_array_less(np.abs(v / variance[k] - 1), Z * np.sqrt(2 / runs))


# -- The exact moments for any learning rates -------------------------------------------


LAM = np.array([1.0, 10.0])
S = theory.noisy_quadratic_noise_variances(LAM, scale=2.0, batch_size=4)  # σ²λ/B.


def test_default_noise_is_proportional_to_curvature():
    np.testing.assert_allclose(S, [0.5, 5.0])
    np.testing.assert_allclose(theory.noisy_quadratic_noise_variances([3.0], 1.0, 3), [1.0])
    with pytest.raises(ValueError, match="batch_size"):
        theory.noisy_quadratic_noise_variances(LAM, 1.0, 0)
    with pytest.raises(ValueError, match="scale"):
        theory.noisy_quadratic_noise_variances(LAM, -1.0)


def test_constant_learning_rate_moments_match_simulation():
    alpha, T, init = 0.15, 60, np.array([2.0, -1.0])  # αλ₂ = 1.5: the second one oscillates.
    rates = np.full(T, alpha)
    mean, variance = theory.noisy_quadratic_moments(LAM, S, rates, init)
    sample = run_in_eigenbasis(LAM, S, rates, init, seed=0)
    assert_moments_agree(sample, mean, variance, steps=[1, 2, 5, 10, 30, 60])
    # The closed form at a constant α: m_k = (1 − αλ)^k m₀, v_k = v∞ (1 − (1 − αλ)^{2k}).
    r = 1 - alpha * LAM
    k = np.arange(T + 1)[:, None]
    ball = theory.noise_ball_variance(alpha, LAM, S)
    np.testing.assert_allclose(mean, init * r**k, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(variance, ball * (1 - r ** (2 * k)), rtol=1e-12, atol=1e-15)
    # The expected loss is the mean of the simulated losses.
    expected = theory.noisy_quadratic_expected_loss(LAM, mean, variance)
    losses = 0.5 * np.sum(LAM * sample**2, axis=-1)  # (runs, T + 1).
    for k in (5, 30, 60):
        se = losses[:, k].std() / np.sqrt(RUNS)
        assert abs(losses[:, k].mean() - expected[k]) < Z * se


def test_scheduled_learning_rate_moments_match_simulation():
    T = 80  # A step decay, then a 1/k tail: any sequence of α works.
    rates = np.where(np.arange(T) < 30, 0.18, 0.05 * 30 / (np.arange(T) + 1.0))
    init = np.array([-1.0, 0.5])
    mean, variance = theory.noisy_quadratic_moments(LAM, S, rates, init, init_variance=0.2)
    # A random start of variance 0.2: draw θ₀ per run by adding it to the first noise.
    Q, R, root = noisy_quadratic(LAM, S)
    keys = jax.random.split(jax.random.key(1), RUNS)
    with jax.enable_x64(True):
        starts = R @ init + np.sqrt(0.2) * np.asarray(
            jax.random.normal(jax.random.key(2), (RUNS, 2))) @ R.T
        path = jax.vmap(lambda key, x0: simulate(
            jnp.asarray(Q), jnp.asarray(root), jnp.asarray(rates), x0, key[None])[0])(
            keys, jnp.asarray(starts))
        sample = np.asarray(path) @ R
    assert_moments_agree(sample, mean, variance, steps=[0, 1, 10, 29, 30, 31, 50, 80])


def test_noise_ball_is_the_fixed_point_and_reached():
    alpha = np.array([0.01, 0.1, 0.19])
    ball = theory.noise_ball_variance(alpha, LAM, S)
    assert ball.shape == (3, 2)
    r = 1 - alpha[:, None] * LAM
    np.testing.assert_allclose(r**2 * ball + alpha[:, None] ** 2 * S, ball, rtol=1e-12)
    # About α s / (2λ), proportional to α, for small α: the ratio is 2/(2 − αλ).
    np.testing.assert_allclose(ball[0] / (0.01 * S / (2 * LAM)), 2 / (2 - 0.01 * LAM), rtol=1e-12)
    assert np.all(np.abs(ball[0] / (0.01 * S / (2 * LAM)) - 1) < 0.06)
    _, variance = theory.noisy_quadratic_moments(LAM, S, np.full(3000, 0.1), [1.0, 1.0])
    np.testing.assert_allclose(variance[-1], ball[1], rtol=1e-10)
    # Outside the stable range: inf, not nan or a negative number.
    assert np.all(np.isinf(theory.noise_ball_variance(0.2, LAM, S)[1:]))
    assert np.isinf(theory.noise_ball_variance(0.25, LAM, S)[1])
    assert theory.noise_ball_variance(0.0, LAM, S).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("call, match", [
    (lambda: theory.noise_ball_variance(-0.1, LAM, S), "learning_rate"),
    (lambda: theory.noise_ball_variance(0.1, [1.0, 0.0], S), "eigenvalues"),
    (lambda: theory.noise_ball_variance(0.1, LAM, [1.0, -1.0]), "noise_variances"),
    (lambda: theory.noise_ball_variance(0.1, LAM, [1.0, 1.0, 1.0]), "noise_variances"),
    (lambda: theory.noisy_quadratic_moments(LAM, S, [[0.1]], [1.0, 1.0]), "1-D"),
    (lambda: theory.noisy_quadratic_moments(LAM, S, [0.1, np.nan], [1.0, 1.0]), "learning_rates"),
    (lambda: theory.noisy_quadratic_moments(LAM, S, [0.1], [1.0, 1.0, 2.0]), "init"),
    (lambda: theory.noisy_quadratic_moments([1.0, -1.0], S, [0.1], 1.0), "eigenvalues"),
    (lambda: theory.noisy_quadratic_expected_loss(LAM, np.zeros((3, 3)), np.zeros((3, 3))),
     "one per eigenvalue"),
    (lambda: theory.averaged_iterate_moments(LAM, S, [0.1], 1.0, weights=[1.0]), "weights"),
    (lambda: theory.polyak_ruppert_variance(LAM, S, 0), "steps"),
    (lambda: theory.robbins_monro_exponent(0.0, 1.0), "c"),
    (lambda: theory.robbins_monro_constant(1.0, [0.0], 1.0), "eigenvalues"),
    (lambda: theory.averaged_sgd_bound(1.0, 1.0, [0.0, 0.0]), "learning_rates"),
])
def test_invalid_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_a_flat_direction_is_a_random_walk():
    mean, variance = theory.noisy_quadratic_moments([0.0], [2.0], np.full(10, 0.5), [3.0])
    np.testing.assert_allclose(mean[:, 0], 3.0)
    np.testing.assert_allclose(variance[:, 0], 0.5 * np.arange(11))  # k α² s.


# -- Robbins–Monro: α_k = c/(k + k₀) -----------------------------------------------------


MU = 0.5  # λ_min.
RM_LAM = np.array([MU, 2.0])
RM_S = theory.noisy_quadratic_noise_variances(RM_LAM, scale=1.0)
K0 = 10.0


gammaln = np.vectorize(math.lgamma)  # log Γ, elementwise (the floors job has no SciPy).


def robbins_monro_rates(c, T, k0=K0):
    return c / (np.arange(T) + k0)


def test_robbins_monro_mean_is_a_ratio_of_gamma_functions():
    c, T = 0.6, 500  # a = cλ: ∏_{j<k} (1 − a/(j + k₀)) = Γ(k₀)Γ(k + k₀ − a)/(Γ(k₀ − a)Γ(k + k₀)).
    mean, _ = theory.noisy_quadratic_moments(RM_LAM, RM_S, robbins_monro_rates(c, T), 1.0)
    k = np.arange(T + 1)[:, None]
    a = c * RM_LAM
    exact = np.exp(gammaln(K0) + gammaln(k + K0 - a) - gammaln(K0 - a) - gammaln(k + K0))
    np.testing.assert_allclose(mean, exact, rtol=1e-9)


@pytest.mark.parametrize("c", [0.4, 4.0])  # 2cμ = 0.4 (too small) and 4 (enough).
def test_robbins_monro_moments_match_simulation(c):
    T = 2000
    rates = robbins_monro_rates(c, T)
    init = np.array([3.0, 3.0])
    mean, variance = theory.noisy_quadratic_moments(RM_LAM, RM_S, rates, init)
    sample = run_in_eigenbasis(RM_LAM, RM_S, rates, init, seed=3, runs=4000)
    assert_moments_agree(sample, mean, variance, steps=[10, 100, 1000, 2000])
    # E‖θ_k‖² from the runs against the exact value, at the steps of the fit.
    expected = np.sum(mean**2 + variance, axis=1)
    measured = np.mean(np.sum(sample**2, axis=2), axis=0)
    steps = np.array([200, 400, 800, 1600])
    np.testing.assert_allclose(measured[steps], expected[steps], rtol=0.1)


def test_robbins_monro_both_sides_of_the_threshold():
    T = 200_000
    k = np.arange(T + 1)
    fit = (k >= 20_000)  # The last decade.
    for c in (0.3, 0.6, 0.9, 2.0, 4.0):  # 2cμ = 0.3, 0.6, 0.9, 2, 4.
        mean, variance = theory.noisy_quadratic_moments(
            RM_LAM, RM_S, robbins_monro_rates(c, T), [3.0, 3.0])
        error = np.sum(mean**2 + variance, axis=1)
        slope = np.polyfit(np.log(k[fit]), np.log(error[fit]), 1)[0]
        p = theory.robbins_monro_exponent(c, MU)
        assert p == pytest.approx(min(1.0, 2 * c * MU))
        assert slope == pytest.approx(-p, abs=0.03), (c, slope)
        if 2 * c * MU > 1:  # k E‖θ_k‖² → Σ c² sᵢ/(2cλᵢ − 1).
            limit = theory.robbins_monro_constant(c, RM_LAM, RM_S)
            assert T * error[-1] == pytest.approx(limit, rel=0.02)
        else:
            assert math.isinf(theory.robbins_monro_constant(c, RM_LAM, RM_S))


def test_robbins_monro_constant_is_smallest_at_c_one_over_lambda():
    cs = np.linspace(1.05, 4.0, 400)  # One component, λ = 1, s = 1: c²/(2c − 1), min 1 at c = 1.
    values = [theory.robbins_monro_constant(c, [1.0], [1.0]) for c in cs]
    assert cs[int(np.argmin(values))] == pytest.approx(1.05)  # Decreasing towards c = 1 ...
    assert theory.robbins_monro_constant(1.0, [1.0], [1.0]) == pytest.approx(1.0)  # s/λ².
    assert theory.robbins_monro_constant(1 / 0.5, [0.5], [3.0]) == pytest.approx(3.0 / 0.25)


# -- Iterate averaging --------------------------------------------------------------------


def test_averaged_iterate_moments_match_simulation():
    alpha, T = 0.15, 300
    rates = np.full(T, alpha)
    init = np.array([2.0, -1.0])
    burn = 50
    weights = (np.arange(T + 1) >= burn).astype(float)  # Average θ_50, …, θ_k.
    mean, variance = theory.averaged_iterate_moments(LAM, S, rates, init, weights=weights)
    assert np.all(np.isnan(mean[:burn])) and np.all(np.isfinite(variance[burn:]))
    sample = run_in_eigenbasis(LAM, S, rates, init, seed=4)
    averages = np.cumsum(sample[:, burn:], axis=1) / np.arange(1, T - burn + 2)[:, None]
    padded = np.concatenate([np.full((RUNS, burn, 2), np.nan), averages], axis=1)
    assert_moments_agree(padded, mean, variance, steps=[burn, burn + 1, 100, 200, 300])
    # The plain average from θ₀, directly from its definition on a short run.
    mean0, variance0 = theory.averaged_iterate_moments(LAM, S, rates[:40], init)
    plain = np.cumsum(sample[:, :41], axis=1) / np.arange(1, 42)[:, None]
    assert_moments_agree(plain, mean0, variance0, steps=[1, 2, 10, 40])


def test_averaging_removes_the_noise_ball():
    alpha, K = 0.1, 20_000
    ball = theory.noise_ball_variance(alpha, LAM, S)
    # From a stationary start (θ₀ drawn from the noise ball), the exact formula ...
    _, variance = theory.averaged_iterate_moments(
        LAM, S, np.full(K - 1, alpha), 0.0, init_variance=ball)
    r = 1 - alpha * LAM
    exact = ball * ((1 + r) / (1 - r) / K - 2 * r * (1 - r**K) / ((1 - r) ** 2 * K**2))
    np.testing.assert_allclose(variance[-1], exact, rtol=1e-9)  # Row K − 1: K iterates.
    # ... whose leading term is s/(λ²K), whatever α.
    asymptotic = theory.polyak_ruppert_variance(LAM, S, K)
    np.testing.assert_allclose(variance[-1], asymptotic, rtol=2e-3)
    np.testing.assert_allclose(ball * (1 + r) / (1 - r), S / LAM**2, rtol=1e-12)
    # The last iterate keeps its noise ball; the average is smaller by about αλK/2.
    assert np.all(variance[-1] < ball / 100)
    assert theory.polyak_ruppert_variance(LAM, S, [1, 10]).shape == (2, 2)


# -- The convex bound: α = c/√K and iterate averaging ------------------------------------


def test_averaged_sgd_bound_holds_on_a_convex_quadratic():
    """A quadratic with a flat direction (convex, not strongly convex): the bound holds."""
    lam = np.array([0.0, 0.01, 1.0])
    s = np.array([1.0, 1.0, 1.0])  # Noise of bounded variance in every direction.
    init = np.array([1.0, 3.0, 3.0])
    c = 0.5
    for K in (10, 100, 1000, 10_000):
        rates = np.full(K, c / np.sqrt(K))
        mean, variance = theory.noisy_quadratic_moments(lam, s, rates, init)
        # G²: the largest E‖g_k‖² along the run (the theorem needs it at θ₀, …, θ_{K−1}).
        G2 = np.max(theory.noisy_quadratic_gradient_second_moment(lam, s, mean[:K], variance[:K]))
        bound = theory.averaged_sgd_bound(np.linalg.norm(init), np.sqrt(G2), rates)
        assert bound == pytest.approx((init @ init / c + c * G2) / (2 * np.sqrt(K)))
        am, av = theory.averaged_iterate_moments(lam, s, rates[:-1], init)  # θ₀ … θ_{K−1}.
        gap = theory.noisy_quadratic_expected_loss(lam, am[-1], av[-1])
        assert 0 < gap <= bound


def test_gradient_second_moment_matches_simulation():
    alpha, T = 0.15, 40
    rates = np.full(T, alpha)
    init = np.array([2.0, -1.0])
    mean, variance = theory.noisy_quadratic_moments(LAM, S, rates, init)
    G2 = theory.noisy_quadratic_gradient_second_moment(LAM, S, mean, variance)
    sample = run_in_eigenbasis(LAM, S, rates, init, seed=5, runs=4000)
    # g = Qθ + ξ in the eigenbasis: λθ + √s z, with z drawn afresh.
    z = np.random.default_rng(0).standard_normal(sample.shape)
    g2 = np.sum((LAM * sample + np.sqrt(S) * z) ** 2, axis=-1)
    for k in (0, 5, 40):
        assert abs(g2[:, k].mean() - G2[k]) < Z * g2[:, k].std() / np.sqrt(4000)


# ---------------------------------------------------------------------------------------
# Momentum and Nesterov (chapter momentum)
#
# Each closed form against a numerical computation: the eigenvalues of the 2 × 2
# iteration matrix (numpy.linalg.eigvals), a Lyapunov equation solved as a linear system,
# or a run of descent.optimizers. Precision: float64 (jax.enable_x64) wherever a run is
# compared to a formula at more than float32's accuracy.

from descent import optimizers, problems, schedules  # noqa: E402

METHOD_OPTIMIZERS = {"gd": "sgd", "heavy_ball": "momentum", "nesterov": "nesterov"}


def recurrence_coefficients(alpha, beta, lam, method):
    """(a, b) of x_{t+1} = a x_t + b x_{t−1}, read off momentum_matrix's first row."""
    with jax.enable_x64(True):
        R = np.asarray(theory.momentum_matrix(alpha, beta, lam, method))
    np.testing.assert_array_equal(R[..., 1, :], np.broadcast_to([1.0, 0.0], R[..., 1, :].shape))
    return R[..., 0, 0], R[..., 0, 1]


def eigen_radius(alpha, beta, lam, method):
    """max |eigvals(R)|, computed by LAPACK on the float64 matrices."""
    with jax.enable_x64(True):
        R = np.asarray(theory.momentum_matrix(alpha, beta, lam, method), dtype=np.float64)
    return np.abs(np.linalg.eigvals(R)).max(axis=-1), np.linalg.eigvals(R)


@pytest.mark.parametrize("method", theory.METHODS)
@pytest.mark.parametrize("alpha, beta, lam", [(0.1, 0.9, 4.0), (0.3, 0.5, 1.0), (0.05, 0.2, 30.0),
                                              (0.45, 0.7, 4.0)])
def test_momentum_matrix_is_the_recurrence_the_optimizer_follows(method, alpha, beta, lam):
    """On ½λx², the points the optimizer holds obey x_{t+1} = a x_t + b x_{t−1} for t ≥ 1."""
    hyperparameters = dict(learning_rate=alpha)
    if method != "gd":
        hyperparameters["momentum"] = beta
    with jax.enable_x64(True):
        result = run(quadratic((lam,), init=(1.0,)), METHOD_OPTIMIZERS[method], steps=40,
                     **hyperparameters)
    x = result.trajectory[:, 0]
    a, b = recurrence_coefficients(alpha, beta, lam, method)
    predicted = a * x[1:-1] + b * x[:-2]
    scale = (abs(a) + abs(b)) * np.maximum(np.abs(x[1:-1]), np.abs(x[:-2]))
    np.testing.assert_array_less(np.abs(x[2:] - predicted), 1e-13 * scale + 1e-300)


def critical_momentum(alpha, lam, method):
    """The β at which R's two eigenvalues meet (heavy ball: (1 − √(αλ))²)."""
    root = np.sqrt(alpha * lam)
    return (1 - root) ** 2 if method == "heavy_ball" else (1 - root) / (1 + root)


@pytest.mark.parametrize("method", theory.METHODS)
def test_momentum_spectral_radius_is_the_largest_eigenvalue_modulus(method):
    rng = np.random.default_rng(14)
    alpha = rng.uniform(0.01, 1.0, 400)
    beta = rng.uniform(0.0, 0.999, 400)
    lam = rng.uniform(0.1, 5.0, 400)
    with jax.enable_x64(True):
        closed = np.asarray(theory.momentum_spectral_radius(alpha, beta, lam, method))
    numeric, _ = eigen_radius(alpha, beta, lam, method)
    np.testing.assert_allclose(closed, numeric, rtol=1e-9, atol=1e-12)
    # Near critical damping the roots meet and eigvals loses half its digits (a double
    # root moves by √ε): the closed form, with its factored discriminant, does not.
    if method == "gd":
        return
    alpha, lam = rng.uniform(0.01, 0.5, 50), rng.uniform(0.1, 1.9, 50)  # αλ < 1.
    for offset in (-1e-3, -1e-7, 0.0, 1e-7, 1e-3):
        b = critical_momentum(alpha, lam, method) * (1 + offset)
        with jax.enable_x64(True):
            closed = np.asarray(theory.momentum_spectral_radius(alpha, b, lam, method))
        numeric, _ = eigen_radius(alpha, b, lam, method)
        np.testing.assert_allclose(closed, numeric, rtol=0, atol=1e-7)


@pytest.mark.parametrize("eigenvalues", [(1.0, 10.0), (1.0, 100.0)])
@pytest.mark.parametrize("method, optimal, rate", [
    ("heavy_ball", heavy_ball_optimal, heavy_ball_rate),
    ("nesterov", theory.nesterov_optimal, theory.nesterov_rate),
])
def test_optimal_tuning_is_the_minimum_of_the_rate_map(eigenvalues, method, optimal, rate):
    """The minimum of momentum_rate over a fine (α, β) grid: where and how fast."""
    with jax.enable_x64(True):
        a0, b0 = (float(v) for v in optimal(eigenvalues))
        alphas = np.linspace(0, 2 * a0, 1201)[1:]
        betas = np.linspace(0, 0.999, 1201)
        grid = np.asarray(theory.momentum_rate(alphas[:, None], betas[None, :],
                                               jnp.asarray(eigenvalues), method))
        best = float(rate(eigenvalues))
        at_optimum = float(theory.momentum_rate(a0, b0, jnp.asarray(eigenvalues), method))
    i, j = np.unravel_index(np.argmin(grid), grid.shape)
    assert abs(alphas[i] - a0) <= 2 * (alphas[1] - alphas[0])
    assert abs(betas[j] - b0) <= 2 * (betas[1] - betas[0])
    assert best - 1e-9 <= grid.min() <= best + 2e-3  # No grid point beats the optimum.
    # At the optimum the two roots meet: float64 rounding moves the radius by √ε.
    assert at_optimum == pytest.approx(best, abs=1e-7)


def test_momentum_converges_exactly_where_the_spectral_radius_is_below_one():
    alphas = np.linspace(0.01, 5.0, 150)
    betas = np.linspace(0.0, 0.995, 120)
    A, B = np.meshgrid(alphas, betas, indexing="ij")
    for lam in (0.5, 1.0, 3.0):
        radius, _ = eigen_radius(A, B, lam, "heavy_ball")
        clear = np.abs(radius - 1) > 1e-6  # Away from the boundary.
        converges = np.asarray(momentum_converges(A, B, lam))
        np.testing.assert_array_equal(converges[clear], (radius < 1)[clear])
        assert converges.any() and not converges.all()


@pytest.mark.parametrize("method, alpha, beta", [
    ("heavy_ball", 0.1, 0.8),  # Both components under-damped: ρ = √β.
    ("heavy_ball", 0.05, 0.1),  # λ = 1 over-damped, λ = 10 under-damped.
    ("heavy_ball", 0.15, 0.3),
    ("nesterov", 0.05, 0.6),
    ("nesterov", 0.09, 0.2),
])
def test_a_long_run_contracts_by_the_rate_per_step(method, alpha, beta):
    with jax.enable_x64(True):
        problem = quadratic((1.0, 10.0), angle=0.4, init=(1.0, 1.0))
        result = run(problem, METHOD_OPTIMIZERS[method], steps=1200, learning_rate=alpha,
                     momentum=beta)
        predicted = float(theory.momentum_rate(alpha, beta, jnp.array([1.0, 10.0]), method))
    norms = np.linalg.norm(result.trajectory, axis=1)
    # The largest norm over a window: an under-damped component oscillates within it.
    early, late = norms[180:220].max(), norms[1160:1201].max()
    measured = (late / early) ** (1 / 980)
    assert measured == pytest.approx(predicted, rel=3e-3)


# -- Damping ------------------------------------------------------------------------------


def test_critical_damping_is_where_the_roots_meet():
    rng = np.random.default_rng(1)
    alpha = rng.uniform(0.01, 1.0, 200)
    lam = rng.uniform(0.05, 3.9, 200) / alpha  # αλ anywhere in (0, 4).
    with jax.enable_x64(True):
        beta = np.asarray(theory.critical_damping(alpha, lam))
    assert np.all((0 <= beta) & (beta < 1))
    for factor, complex_roots in ((1.01, True), (0.99, False)):
        _, roots = eigen_radius(alpha, np.minimum(beta * factor, 0.9999), lam, "heavy_ball")
        inside = beta * factor < 0.9999
        assert np.all((np.abs(roots.imag).max(axis=1) > 0)[inside] == complex_roots)
    _, roots = eigen_radius(alpha, beta, lam, "heavy_ball")
    np.testing.assert_allclose(roots[:, 0], roots[:, 1], atol=1e-6)  # A double root.
    assert float(jax.jit(theory.critical_damping)(0.01, 1.0)) == pytest.approx(0.81)


@pytest.mark.parametrize("call, match", [
    (lambda: theory.critical_damping(1.0, 4.0), "αλ ≥ 4"),
    (lambda: theory.critical_damping(0.0, 1.0), "learning_rate"),
    (lambda: theory.critical_damping(0.1, -1.0), "eigenvalue"),
    (lambda: theory.damping(0.1, 1.0, 1.0), "momentum"),
    (lambda: theory.damping(0.1, 0.5, 1.0, method="adam"), "method"),
    (lambda: theory.damping(0.0, 0.5, 1.0), "positive"),
    (lambda: theory.effective_learning_rate(0.1, 1.0), "momentum"),
    (lambda: theory.effective_learning_rate(-0.1, 0.5), "learning_rate"),
    (lambda: theory.heavy_ball_noise_ball_variance(0.1, 1.0, [1.0], [1.0]), "momentum"),
    (lambda: theory.heavy_ball_noise_ball_variance(0.1, 0.5, [0.0], [1.0]), "eigenvalues"),
    (lambda: theory.gd_convex_bound(0, 1.0, 1.0), "k"),
    (lambda: theory.nesterov_convex_bound(1, 0.0, 1.0), "smoothness"),
    (lambda: theory.first_order_lower_bound(3, 1.0, -1.0), "distance_squared"),
    (lambda: theory.first_order_lower_bound(51, 1.0, 1.0, dimension=101), "2k \\+ 1 ≤ n"),
    (lambda: theory.nesterov_worst_case_gap(5, 4), "k must be ≤ n"),
    (lambda: theory.lessard_cycle(2 / 26, 0.0), "no attracting 3-cycle"),
])
def test_momentum_theory_rejects_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("method", theory.METHODS)
def test_damping_is_the_sign_of_the_roots_imaginary_parts(method):
    alphas, betas, lam = np.linspace(0.02, 1.2, 40), np.linspace(0.0, 0.98, 40), 2.0
    A, B = np.meshgrid(alphas, betas, indexing="ij")
    kinds = theory.damping(A, B, lam, method=method)
    assert kinds.shape == A.shape and set(np.unique(kinds)) <= set(theory.DAMPINGS)
    _, roots = eigen_radius(A, B, lam, method)
    gap = np.abs(roots[..., 0] - roots[..., 1])
    clear = gap > 1e-3  # Away from critical damping.
    complex_roots = np.abs(roots.imag).max(axis=-1) > 0
    np.testing.assert_array_equal((kinds == "under")[clear], complex_roots[clear])
    np.testing.assert_array_equal((kinds == "over")[clear], ~complex_roots[clear])
    if method != "gd":
        assert (kinds == "under").any() and (kinds == "over").any()
    # On the critical curve the roots meet, and damping says so. Gradient descent has a
    # double root (0) only at αλ = 1.
    if method == "gd":
        assert theory.damping(0.5, 0.3, 2.0, method="gd") == "critical"
    else:
        beta = critical_momentum(0.01, 1.0, method)
        assert theory.damping(0.01, beta, 1.0, method=method) == "critical"
        assert theory.damping(0.01, beta + 1e-4, 1.0, method=method) == "under"
        assert theory.damping(0.01, beta + 1e-4, 1.0, method=method, tolerance=1e-2) == "critical"


def test_a_float32_critical_momentum_is_critical():
    beta32 = float(theory.critical_damping(0.03, 7.0))  # float32, outside x64.
    assert theory.damping(0.03, beta32, 7.0) == "critical"
    assert theory.damping(0.01, [0.5, 0.81, 0.9], 1.0).tolist() == ["over", "critical", "under"]


# -- The terminal velocity, and the noise ball -------------------------------------------


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_effective_learning_rate_is_the_terminal_velocity(beta):
    """On a linear loss (a constant gradient) the heavy ball's step tends to −α g/(1 − β)."""
    alpha = 0.01
    with jax.enable_x64(True):
        g = jnp.array([1.0, -3.0])
        optimizer = optimizers.momentum(alpha, momentum=beta)
        params = jnp.zeros(2)
        state = optimizer.init(params)
        for _ in range(500):  # β^500 < 1e-22.
            updates, state = optimizer.update(g, state)
            previous, params = params, optimizers.apply_updates(params, updates)
        step = np.asarray(params - previous)
        expected = -float(theory.effective_learning_rate(alpha, beta)) * np.asarray(g)
    np.testing.assert_allclose(step, expected, rtol=1e-12)


def stationary_covariance(alpha, beta, lam, s):
    """Σ = RΣRᵀ + W for the state (x_t, x_{t−1}), W = diag(α²s, 0): solved by vectorization."""
    with jax.enable_x64(True):
        R = np.asarray(theory.momentum_matrix(alpha, beta, lam), dtype=np.float64)
    W = np.diag([alpha**2 * s, 0.0])
    vec = np.linalg.solve(np.eye(4) - np.kron(R, R), W.ravel())
    return vec.reshape(2, 2)


def test_heavy_ball_noise_ball_is_the_stationary_covariance():
    lam, s = np.array([0.5, 2.0, 9.0]), np.array([1.0, 0.3, 2.0])
    for alpha in (0.01, 0.1, 0.3):
        for beta in (0.0, 0.5, 0.9, 0.99):
            closed = theory.heavy_ball_noise_ball_variance(alpha, beta, lam, s)
            for i in range(3):
                if alpha * lam[i] >= 2 * (1 + beta):
                    assert closed[i] == np.inf
                    continue
                sigma = stationary_covariance(alpha, beta, lam[i], s[i])
                assert closed[i] == pytest.approx(sigma[0, 0], rel=1e-9)
    # β = 0 is SGD's noise ball; arrays broadcast like noise_ball_variance's.
    alphas = np.array([0.01, 0.1, 0.3])
    np.testing.assert_allclose(theory.heavy_ball_noise_ball_variance(alphas, 0.0, lam, s),
                               theory.noise_ball_variance(alphas, lam, s), rtol=1e-12)
    assert theory.heavy_ball_noise_ball_variance(alphas[:, None], [0.0, 0.9], lam, s).shape == (
        3, 2, 3)


def test_momentum_does_not_lower_the_noise_floor_at_equal_effective_step():
    """At α_e = α/(1 − β), the ratio to SGD's floor: 1 − 2βα_eλ/(2(1 + β) − (1 − β)α_eλ)."""
    lam, s = np.array([0.01, 0.1, 1.0]), 1.0
    for effective in (0.01, 0.1, 1.0):
        sgd_floor = theory.noise_ball_variance(effective, lam, s)
        for beta in (0.5, 0.9, 0.99):
            alpha = effective * (1 - beta)
            # The Lyapunov solution, not the closed form, against SGD's floor.
            numeric = np.array([stationary_covariance(alpha, beta, l, s)[0, 0] for l in lam])
            ratio = numeric / sgd_floor
            x = effective * lam
            # rtol: at α_eλ = 10⁻⁴ and β = 0.99, I − R⊗R has a condition number near 10⁸.
            np.testing.assert_allclose(ratio, 1 - 2 * beta * x / (2 * (1 + beta) - (1 - beta) * x),
                                       rtol=1e-6)
            assert np.all(ratio <= 1) and np.all(ratio > 1 - 2 * beta * x / (1 + beta) - 1e-12)


@jax.jit
def simulate_heavy_ball(lam, noise_root, alpha, beta, keys, steps=600):
    """The last iterate of one run per key of descent.optimizers.momentum on g = λθ + √s z."""
    optimizer = optimizers.momentum(alpha, momentum=beta)

    def one(key):
        def step(carry, z):
            theta, state = carry
            updates, state = optimizer.update(lam * theta + noise_root * z, state)
            return (optimizers.apply_updates(theta, updates), state), None

        theta0 = jnp.ones_like(lam)
        zs = jax.random.normal(key, (steps,) + lam.shape, dtype=lam.dtype)
        (theta, _), _ = jax.lax.scan(step, (theta0, optimizer.init(theta0)), zs)
        return theta

    return jax.vmap(one)(keys)


@pytest.mark.parametrize("alpha, beta", [(0.05, 0.9), (0.2, 0.5)])
def test_heavy_ball_noise_ball_matches_simulation(alpha, beta):
    lam, s, runs = np.array([0.5, 2.0, 8.0]), np.array([1.0, 0.5, 2.0]), 6000
    with jax.enable_x64(True):
        sample = np.asarray(simulate_heavy_ball(
            jnp.asarray(lam), jnp.asarray(np.sqrt(s)), alpha, beta,
            jax.random.split(jax.random.key(14), runs)))
    expected = theory.heavy_ball_noise_ball_variance(alpha, beta, lam, s)
    measured = sample.var(axis=0, ddof=1)
    np.testing.assert_array_less(np.abs(measured / expected - 1), Z * np.sqrt(2 / runs))
    np.testing.assert_array_less(np.abs(sample.mean(axis=0)), Z * np.sqrt(expected / runs))


# -- Smooth convex losses: O(1/k), O(1/k²) and the lower bound ---------------------------


def worst_case_runs(n, steps, L=1.0):
    """Gaps L(θ_k) − L* of gradient descent and of Nesterov's method, k = 1 … steps.

    Gradient descent at α = 1/L; Nesterov with α = 1/L and β_t = (t − 1)/(t + 2), whose
    bound holds at the gradient-step points x_k = y_k − ∇L(y_k)/L, one step from the
    parameters it holds (y_k after k − 1 steps).
    """
    with jax.enable_x64(True):
        problem = problems.nesterov_worst_case(n, smoothness=L)
        gd = run(problem, "sgd", steps=steps, learning_rate=1 / L)
        nag = run(problem, "nesterov", steps=steps - 1, learning_rate=1 / L,
                  momentum=schedules.nesterov_momentum())
        grad = jax.vmap(jax.grad(problem.loss))
        x = nag.trajectory - np.asarray(grad(jnp.asarray(nag.trajectory))) / L
        nag_gaps = np.asarray(jax.vmap(problem.loss)(jnp.asarray(x))) - problem.minimum_value
        R2 = float(np.sum(np.asarray(problem.minimum) ** 2))  # θ₀ = 0.
        return gd.losses[1:] - problem.minimum_value, nag_gaps, R2, gd.trajectory, nag.trajectory


def test_gd_and_nesterov_within_their_convex_bounds_on_the_worst_case():
    n, K, L = 201, 100, 1.0
    gd_gaps, nag_gaps, R2, _, _ = worst_case_runs(n, K, L)
    k = np.arange(1, K + 1)
    assert np.all(gd_gaps <= theory.gd_convex_bound(k, L, R2))
    assert np.all(nag_gaps <= theory.nesterov_convex_bound(k, L, R2))
    # Neither goes below what any first-order method can reach on this function.
    floor = theory.nesterov_worst_case_gap(k, n, L)
    assert np.all(gd_gaps >= floor) and np.all(nag_gaps >= floor)
    assert np.all(nag_gaps <= gd_gaps + 1e-15)
    # Log-log slopes over k in [10, 100]. On this one function (R² ≈ n/3) the gaps fall
    # as k^(−1/2) and k^(−1), not as the bounds' k^(−1) and k^(−2): the bounds are over
    # all functions, and R² grows with n. Nesterov's exponent is twice gradient descent's.
    window = (k >= 10) & (k <= 100)
    gd_slope = np.polyfit(np.log(k[window]), np.log(gd_gaps[window]), 1)[0]
    nag_slope = np.polyfit(np.log(k[window]), np.log(nag_gaps[window]), 1)[0]
    assert gd_slope == pytest.approx(-0.5, abs=0.05)
    assert nag_slope == pytest.approx(-1.0, abs=0.1)


def test_nesterov_worst_case_gap_is_the_best_point_in_the_krylov_subspace():
    n, L = 21, 2.0
    problem = problems.nesterov_worst_case(n, smoothness=L)
    A = 2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)
    for k in range(0, n + 1):
        # min over θ in span(e₁, …, e_k) of L/4 (½θᵀAθ − θ₁): solve the leading block.
        theta = np.zeros(n)
        if k:
            theta[:k] = np.linalg.solve(A[:k, :k], np.eye(k)[0])
        best = L / 4 * (0.5 * theta @ A @ theta - theta[0])
        assert theory.nesterov_worst_case_gap(k, n, L) == pytest.approx(
            best - problem.minimum_value, abs=1e-12)


@pytest.mark.parametrize("k", [1, 3, 10, 30])
def test_first_order_lower_bound_holds_on_the_worst_case_of_size_2k_plus_1(k):
    n = 2 * k + 1
    gd_gaps, nag_gaps, R2, gd_path, nag_path = worst_case_runs(n, k)
    bound = theory.first_order_lower_bound(k, 1.0, R2, dimension=n)
    assert gd_gaps[-1] >= bound and nag_gaps[-1] >= bound
    assert theory.nesterov_worst_case_gap(k, n) >= bound
    # The zero chain: after t steps only the first t coordinates have moved.
    for path in (gd_path, nag_path):
        for t in range(min(k, len(path))):
            assert np.all(path[t][t:] == 0) and (t == 0 or path[t][t - 1] != 0)


def test_lessard_cycle_is_where_the_heavy_ball_settles():
    with jax.enable_x64(True):
        problem = problems.lessard_counterexample()
        alpha, beta = (float(v) for v in heavy_ball_optimal((1.0, 25.0)))
        result = run(problem, "momentum", steps=3000, learning_rate=alpha, momentum=beta)
    last = result.trajectory[-3:, 0]
    cycle = theory.lessard_cycle(alpha, beta)
    shift = int(np.argmin(np.abs(last - cycle[0])))
    np.testing.assert_allclose(np.roll(last, -shift), cycle, rtol=1e-9)
    np.testing.assert_allclose(cycle * 1225, [-2208, 2592, 792], rtol=1e-12)


def test_convex_bounds_are_within_a_constant_of_the_worst_quadratic():
    """Over one-dimensional quadratics ½λx² (0 < λ ≤ L = 1, R = 1), the worst gap after k
    steps is a fixed fraction of each bound: max_λ ½λ(1 − λ)^{2k} ≈ 1/(4ek) for gradient
    descent, 1/(2e) of L R²/(2k); about a third of 2LR²/(k + 1)² for Nesterov. So the
    bounds have the right power of k, and constants within a small factor."""
    lam = np.geomspace(1e-6, 1.0, 600)
    K = 300
    with jax.enable_x64(True):
        problem = quadratic(lam, init=np.ones(lam.size))  # 600 independent components.
        gd = run(problem, "sgd", steps=K, learning_rate=1.0)
        nag = run(problem, "nesterov", steps=K - 1, learning_rate=1.0,
                  momentum=schedules.nesterov_momentum())
    gd_worst = (0.5 * lam * gd.trajectory[1:] ** 2).max(axis=1)  # k = 1 … K.
    x = nag.trajectory - lam * nag.trajectory  # x_k = y_k − ∇L(y_k).
    nag_worst = (0.5 * lam * x**2).max(axis=1)
    k = np.arange(1, K + 1)
    gd_ratio = gd_worst / theory.gd_convex_bound(k, 1.0, 1.0)
    nag_ratio = nag_worst / theory.nesterov_convex_bound(k, 1.0, 1.0)
    assert np.all(gd_ratio <= 1) and np.all(nag_ratio <= 1)
    assert gd_ratio[-1] == pytest.approx(1 / (2 * math.e), rel=0.01)
    assert 0.3 < nag_ratio[99] < nag_ratio[-1] < 0.4
