"""The closed forms of the chapter "Adam and its family" (descent.theory's section), against
numerics: Adam run by hand in float64 NumPy, brute force, and Monte Carlo; and the online
problem of descent.problems.reddi_counterexample.
"""

from __future__ import annotations

import numpy as np
import pytest

from descent import problems, theory


def adam_run(gradients, b1, b2, eps=1e-300, alpha=1.0, correct=True):
    """The updates Δθ_t of Adam along a given sequence of gradients (one coordinate)."""
    m = v = 0.0
    steps = []
    for t, g in enumerate(gradients, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = (m / (1 - b1**t), v / (1 - b2**t)) if correct else (m, v)
        steps.append(-alpha * m_hat / (np.sqrt(v_hat) + eps))
    return np.array(steps)


# ---------------------------------------------------------------------------------------
# The bias correction and the size of a step.


def test_bias_correction_is_the_expected_fraction_by_monte_carlo():
    rng = np.random.default_rng(0)
    for b, t in ((0.9, 3), (0.999, 50), (0.5, 1)):
        g = rng.normal(2.0, 1.0, size=(200_000, t))
        weights = (1 - b) * b ** np.arange(t - 1, -1, -1)  # m_t = Σ (1 − β)β^(t−s) g_s.
        m = g @ weights
        assert np.isclose(m.mean() / 2.0, theory.adam_bias_correction(b, t), rtol=2e-3)
        assert np.isclose(weights.sum(), theory.adam_bias_correction(b, t), rtol=1e-12)


def test_uncorrected_step_ratio_against_runs():
    t = np.arange(1, 2001)
    ratio = adam_run(np.ones(2000), 0.9, 0.999, correct=False) / adam_run(np.ones(2000), 0.9, 0.999)
    np.testing.assert_allclose(ratio, theory.adam_uncorrected_step_ratio(0.9, 0.999, t), rtol=1e-10)
    np.testing.assert_allclose(adam_run(np.ones(50), 0.9, 0.999), -1.0, rtol=1e-12)  # Exactly α.


def test_a_lone_gradient_after_zeros():
    for b1, b2, t in ((0.9, 0.999, 5000), (0.9, 0.95, 300), (0.5, 0.9, 7)):
        g = np.zeros(t)
        g[-1] = 3.7
        step = abs(adam_run(g, b1, b2)[-1])
        assert np.isclose(step, theory.adam_spike_step(b1, b2, t), rtol=1e-10)
    # Kingma and Ba's value, once β₂^t is negligible.
    assert np.isclose(theory.adam_spike_step(0.9, 0.999, 10**6), 0.1 / np.sqrt(0.001))


@pytest.mark.parametrize("b1, b2", [(0.9, 0.999), (0.9, 0.95), (0.9, 0.5), (0.0, 0.9), (0.5, 0.2)])
def test_step_bound_is_reached_and_never_exceeded(b1, b2):
    rng = np.random.default_rng(1)
    for t in (1, 2, 7, 40):
        worst = (b1 / b2) ** (t - np.arange(1, t + 1))  # g_s ∝ (β₁/β₂)^(t − s).
        bound = theory.adam_step_bound(b1, b2, t)
        assert np.isclose(abs(adam_run(worst, b1, b2)[-1]), bound, rtol=1e-10)
        for _ in range(200):
            g = rng.normal(size=t) * np.exp(rng.normal(size=t) * 2)
            assert abs(adam_run(g, b1, b2)[-1]) <= bound * (1 + 1e-10)


def test_step_bound_limit_and_where_it_fails():
    gamma = 0.81 / 0.999
    assert np.isclose(theory.adam_step_bound(0.9, 0.999), 0.1 / np.sqrt(0.001 * (1 - gamma)))
    assert np.isclose(theory.adam_step_bound(0.9, 0.999, 10**5), theory.adam_step_bound(0.9, 0.999))
    assert theory.adam_step_bound(0.9, 0.95) > 1 > 1 - 0.9 - np.sqrt(0.05)  # Kingma–Ba's "≤ α" fails.
    assert theory.adam_step_bound(0.9, 0.5) == np.inf  # β₁² > β₂.
    assert theory.adam_step_bound(0.9, 0.81) == np.inf  # β₁² = β₂: B_t grows like √t.
    assert np.isclose(theory.adam_step_bound(0.9, 0.81, 100),
                      0.1 / (1 - 0.9**100) * np.sqrt((1 - 0.81**100) / 0.19 * 100))
    assert theory.adam_step_bound(0.9, 0.5, 200) > 1e20
    assert theory.adam_step_bound(0.3, 0.999, 1) == pytest.approx(1.0)


@pytest.mark.parametrize("call, match", [
    (lambda: theory.adam_bias_correction(1.0, 3), "decay"),
    (lambda: theory.adam_bias_correction(0.9, 0), "step t"),
    (lambda: theory.adam_uncorrected_step_ratio(0.9, 0.999, 2.5), "step t"),
    (lambda: theory.adam_step_bound(0.9, 0.0), "b2 must be positive"),
    (lambda: theory.adam_spike_step(-0.1, 0.9, 3), "b1"),
    (lambda: theory.reddi_coefficients(2.0, 5), "C must be above 2"),
    (lambda: theory.reddi_average_regret(1.5, 3.0), r"\[-1, 1\]"),
    (lambda: theory.l2_adam_fixed_point([0.0, 1.0], [1.0, 1.0], 0.1), "eigenvalues"),
    (lambda: theory.adamw_fixed_point([1.0], [1.0], 0.0), "weight_decay"),
    (lambda: theory.adamw_fixed_point([1.0], [1.0], 0.1, eps=-1), "eps"),
])
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------------------------------
# Reddi et al.'s problem.


def test_regret_against_brute_force():
    rng = np.random.default_rng(2)
    C, T = 3.5, 40
    x = rng.uniform(-1, 1, size=T)
    c = np.where(np.arange(1, T + 1) % 3 == 1, C, -1.0)
    grid = np.linspace(-1, 1, 2001)
    brute = [np.sum(c[:t] * x[:t]) - np.min(np.outer(grid, c[:t]).sum(axis=1)) for t in range(1, T + 1)]
    np.testing.assert_allclose(theory.reddi_regret(x, C), brute, atol=1e-9)
    np.testing.assert_array_equal(theory.reddi_coefficients(C, T), c)


@pytest.mark.parametrize("x", [1.0, 0.0, -1.0, 0.4])
def test_average_regret_of_a_fixed_point(x):
    C, T = 4.0, 3 * 1000
    R = theory.reddi_regret(np.full(T, x), C)
    assert np.isclose(R[-1] / T, theory.reddi_average_regret(x, C), atol=1e-12)  # Exact at 3 | T.
    assert np.isclose(R[-2] / (T - 1), theory.reddi_average_regret(x, C), atol=5e-3)


@pytest.mark.parametrize("C", [3.0, 5.0, 2.5])
def test_drift_per_period_against_an_unprojected_run(C):
    b2, alpha, periods = 1 / (1 + C**2), 1e-3, 200
    c = theory.reddi_coefficients(C, 3 * periods)
    for amsgrad in (False, True):
        x = v = v_max = 0.0
        xs = []
        for t, g in enumerate(c, start=1):  # β₁ = 0, ε = 0, no projection: x stays near 0.
            v = b2 * v + (1 - b2) * g**2
            v_hat = v / (1 - b2**t)
            v_max = max(v_max, v_hat)
            x -= alpha * g / np.sqrt(v_max if amsgrad else v_hat)
            xs.append(x)
        drift = (xs[-1] - xs[-31]) / (10 * alpha)  # Ten periods, long after the start.
        assert np.isclose(drift, theory.reddi_period_drift(C, amsgrad=amsgrad), rtol=1e-6)
    assert theory.reddi_period_drift(3.0) > 0 > theory.reddi_period_drift(3.0, amsgrad=True)


def test_the_problem_and_its_gradients():
    problem = problems.reddi_counterexample(C=3.0)
    import jax
    import jax.numpy as jnp

    for t in range(1, 8):
        g = jax.grad(problem.loss)(jnp.array([0.3]), t)
        assert float(g[0]) == (3.0 if t % 3 == 1 else -1.0)
        assert float(problem.coefficient(t)) == float(g[0])
    assert (problem.lower, problem.upper) == (-1.0, 1.0)
    assert float(problem.minimum[0]) == -1.0 and float(problem.init[0]) == 0.0
    with pytest.raises(ValueError, match="C must be above 2"):
        problems.reddi_counterexample(C=2.0)
    with pytest.raises(ValueError, match="init"):
        problems.reddi_counterexample(init=1.5)


# ---------------------------------------------------------------------------------------
# L2 inside Adam and AdamW.


def _rest(lam, c, wd, coupled, eps, T=40_000, b2=0.99):
    """Where Adam with L2 (coupled) or AdamW comes to rest, float64, α decaying to 1e-4 α₀."""
    theta = np.zeros_like(c)
    m = v = np.zeros_like(c)
    for t in range(1, T + 1):
        alpha = 0.05 * 1e-4 ** ((t - 1) / T)
        g = lam * (theta - c) + (wd * theta if coupled else 0.0)
        m = 0.9 * m + 0.1 * g
        v = b2 * v + (1 - b2) * g**2
        step = (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        theta = theta - alpha * (step + (0.0 if coupled else wd * theta))
    return theta


def test_fixed_points_against_runs():
    lam, c, wd = np.array([0.1, 10.0, 1.0]), np.array([1.5, 3.0, -4.0]), 0.5
    np.testing.assert_allclose(_rest(lam, c, wd, True, 1e-8), theory.l2_adam_fixed_point(lam, c, wd),
                               atol=1e-4)
    np.testing.assert_allclose(_rest(lam, c, wd, False, 1e-8), theory.adamw_fixed_point(lam, c, wd),
                               atol=1e-3)
    # A large ε moves AdamW's rest point inside the box, where the ε form puts it.
    eps = 0.5
    rest = _rest(lam, c, wd, False, eps)
    expected = theory.adamw_fixed_point(lam, c, wd, eps=eps)
    assert np.abs(expected - theory.adamw_fixed_point(lam, c, wd)).max() > 0.1
    np.testing.assert_allclose(rest, expected, atol=2e-3)


def test_fixed_point_formulas():
    lam, c, wd = np.array([0.1, 10.0, 2.0]), np.array([3.0, 3.0, -0.2]), 0.5
    np.testing.assert_allclose(theory.adamw_fixed_point(lam, c, wd), np.clip(c, -2.0, 2.0))
    x = theory.l2_adam_fixed_point(lam, c, wd)
    np.testing.assert_allclose(lam * (x - c) + wd * x, 0.0, atol=1e-12)  # ∇(L + λ‖θ‖²/2) = 0.
    eps = 0.3
    x = theory.adamw_fixed_point(lam, c, wd, eps=eps)
    g = lam * (x - c)
    np.testing.assert_allclose(g / (np.abs(g) + eps) + wd * x, 0.0, atol=1e-12)
    assert np.all(np.abs(x) < 1 / wd)
