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
