"""MinibatchExplorer: minibatch SGD on least squares, checked against a plain NumPy loop."""

from __future__ import annotations

import functools
import json
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from descent.explorers import MinibatchExplorer, _minibatch_sgd


@pytest.fixture(scope="module")
def explorer():
    return MinibatchExplorer()


def numpy_sgd(explorer, batch_size, learning_rate, orders):
    """The same algorithm written out: each step averages the first B examples of its order."""
    w = explorer.init.copy()
    path = [w]
    for order in np.asarray(orders):
        chosen = order[:batch_size]
        g = explorer.X[chosen].T @ (explorer.X[chosen] @ w - explorer.y[chosen]) / batch_size
        w = w - learning_rate * g
        path.append(w)
    return np.array(path)


@pytest.mark.parametrize("batch_size", [1, 8, 256])
def test_path_is_minibatch_sgd_written_out(explorer, batch_size):
    explorer.sliders["batch_size"].value = batch_size
    explorer.sliders["learning_rate"].value = 0.3
    explorer.sliders["seed"].value = 3
    expected = numpy_sgd(explorer, batch_size, 0.3, explorer._orders[3])
    shown = np.column_stack(explorer.artists["sgd path"].get_data())
    np.testing.assert_allclose(shown, expected, rtol=2e-4, atol=2e-5)


def test_full_batch_is_gradient_descent(explorer):
    path = explorer.run(explorer.n, 0.5, seed=7)
    w, expected = explorer.init.copy(), [explorer.init]
    for _ in range(explorer.steps):
        w = w - 0.5 * (explorer.Q @ w - explorer.X.T @ explorer.y / explorer.n)
        expected.append(w)
    np.testing.assert_allclose(path, np.array(expected), rtol=2e-4, atol=2e-5)


def test_minibatches_are_distinct_examples(explorer):
    explorer.run(1, 0.1, seed=0)
    orders = np.asarray(explorer._orders[0])
    assert orders.shape == (explorer.steps, explorer.n)
    assert all(np.array_equal(np.sort(row), np.arange(explorer.n)) for row in orders[:20])


def test_the_noise_floor_is_the_predicted_one(explorer):
    for batch_size in (4, 16, 64):
        gaps = [explorer.loss_gap(explorer.run(batch_size, 0.2, seed))[150:].mean() for seed in range(20)]
        assert np.mean(gaps) == pytest.approx(explorer.noise_floor(batch_size, 0.2), rel=0.15)
        assert np.mean(gaps) == pytest.approx(explorer.predicted_floor(batch_size, 0.2), rel=0.3)
    assert explorer.standard_error(explorer.n) == 0.0  # The whole data set: no noise.
    assert explorer.standard_error(1) == pytest.approx(explorer.sigma)


@functools.partial(jax.jit, static_argnames=("batch_size", "runs", "burn", "steps"))
def fixed_noise_gaps(key, Q, per_example, learning_rate, *, batch_size, runs, burn, steps):
    """Each run's mean loss gap over ``steps`` steps after ``burn``, for SGD with fixed noise.

    e_{t+1} = e_t − α (Q e_t + g_B(ŵ) − g(ŵ)), e = w − ŵ: the gradient is the exact one
    plus the noise of a fresh minibatch of B distinct examples evaluated at ŵ, so the noise
    is independent of e_t, with exactly the covariance of minibatch noise at ŵ. All runs
    start at ŵ and advance together (one vectorized scan).
    """
    n = per_example.shape[0]

    def step(e, key):
        _, chosen = jax.lax.top_k(jax.random.uniform(key, (runs, n)), batch_size)  # B distinct
        noise = per_example[chosen].mean(axis=1)  # g_B(ŵ) − g(ŵ), per run.
        e = e - learning_rate * (e @ Q + noise)
        return e, 0.5 * jnp.einsum("ri,ij,rj->r", e, Q, e)

    _, gaps = jax.lax.scan(step, jnp.zeros((runs, 2)), jax.random.split(key, burn + steps))
    return gaps[burn:].mean(axis=0)


def test_the_fixed_noise_formula_is_exact_for_fixed_minibatch_noise():
    # For a linear system with additive noise independent of the state, the stationary
    # second moment along each eigenvector is α sᵢ / (λᵢ (2 − α λᵢ)), so the loss gap is
    # Σᵢ α sᵢ / (2 (2 − α λᵢ)) exactly, sᵢ being the noise's variance along vᵢ: what
    # predicted_floor computes, with the finite-population factor (n − B)/(n − 1) of B
    # distinct examples. At B = n/2 that factor is 0.51: without it the floor doubles.
    # n = 64 (the book's explorer has 256: the same code, and a 16 times cheaper draw).
    explorer = MinibatchExplorer(n=64)
    n, B = explorer.n, explorer.n // 2
    lam = explorer.eigenvalues
    alpha = 2 / (lam[0] + lam[-1])  # Both modes contract alike: ×0.82 per step.
    residuals = explorer.X @ explorer.minimum - explorer.y
    per_example = explorer.X * residuals[:, None]
    per_example -= per_example.mean(axis=0)  # g(ŵ) = 0, to rounding.
    runs, burn, steps = 2000, 50, 400
    gaps = np.asarray(fixed_noise_gaps(
        jax.random.key(0), jnp.asarray(explorer.Q, jnp.float32), jnp.asarray(per_example, jnp.float32),
        alpha, batch_size=B, runs=runs, burn=burn, steps=steps), dtype=float)
    # Monte Carlo error: the runs are independent, so the standard error of their mean is
    # their spread / √runs. ½ eᵀQe has a relative variance of about 2 per step and its
    # steps are correlated over (1 + 0.82²)/(1 − 0.82²) ≈ 5 steps, so each run's mean has
    # a relative spread of about √(2·5/400) = 16 % and the mean of 2000 runs 0.35 %. The
    # 50 steps of burn-in leave a bias of 0.82¹⁰⁰ ≈ 10⁻⁹. A tolerance of 2 % is then more
    # than 5 standard errors, and 50 times smaller than the factor's effect.
    measured = gaps.mean()
    standard_error = gaps.std(ddof=1) / np.sqrt(runs)
    predicted = explorer.predicted_floor(B, alpha)
    assert standard_error < 0.005 * measured
    assert measured == pytest.approx(predicted, rel=0.02)
    assert (n - B) / (n - 1) == pytest.approx(0.508, abs=1e-3)


def test_the_floor_stated_is_where_the_runs_settle_not_the_fixed_noise_formula(explorer):
    # B = 1, α = 0.2, about 2/3 of the way to SGD's stability limit: the noise grows with
    # the distance to ŵ and the fixed-noise formula is less than half the floor.
    gaps = [explorer.loss_gap(explorer.run(1, 0.2, seed))[150:].mean() for seed in range(100)]
    assert np.mean(gaps) == pytest.approx(explorer.noise_floor(1, 0.2), rel=0.15)
    assert np.mean(gaps) > 2 * explorer.predicted_floor(1, 0.2)
    explorer.sliders["batch_size"].value = 1
    explorer.sliders["learning_rate"].value = 0.2
    assert f"floor E[L] − L(ŵ) = {explorer.noise_floor(1, 0.2):.3g}" in explorer.info
    assert "fixed-noise formula 0.132, which holds only for α ≪ α_B" in explorer.info


def test_the_stability_limit_stated_is_sgds_not_gradient_descents(explorer):
    explorer.sliders["batch_size"].value = 1
    explorer.sliders["learning_rate"].value = 0.2
    assert explorer.stability_limit(1) == pytest.approx(0.3147, abs=1e-4)
    assert "stable in mean square for α < α_B = 0.315" in explorer.info
    assert "(gradient descent: α < 2/λ_max = 1.08)" in explorer.info
    assert explorer.message == ""
    explorer.sliders["learning_rate"].value = 0.4  # Above α_1, below 2/λ_max.
    assert explorer.message.startswith("α = 0.4 ≥ α_B = 0.315, SGD's mean-square limit at B = 1")
    assert "no floor (α ≥ α_B)" in explorer.info
    explorer.sliders["batch_size"].value = explorer.n  # B = n: gradient descent's limit.
    assert explorer.stability_limit(explorer.n) == pytest.approx(2 / explorer.eigenvalues[-1])
    assert "B = N is gradient descent: stable for α < 2/λ_max = 1.08" in explorer.info
    assert explorer.message == ""
    for batch_size in (2, 8, 32, 128):
        assert explorer.stability_limit(batch_size) < 2 / explorer.eigenvalues[-1]
    explorer.sliders["batch_size"].value = 8
    explorer.sliders["learning_rate"].value = 0.2


def test_no_recompilation_when_sliders_move(explorer):
    explorer.sliders["seed"].value = 1
    compiled = _minibatch_sgd._cache_size()
    for batch_size in explorer.sliders["batch_size"].options:
        explorer.sliders["batch_size"].value = batch_size
        explorer.sliders["learning_rate"].value = 0.01 * batch_size ** 0.5
    assert _minibatch_sgd._cache_size() == compiled


def test_divergence_is_named_on_the_figure(explorer):
    explorer.sliders["learning_rate"].value = 3.0
    assert re.search(r"gradient descent diverged at step \d+: α = 3 > 2/λ_max = 1\.08", explorer.message)
    explorer.sliders["learning_rate"].value = 0.2
    assert explorer.message == ""


def test_every_slider_value_draws_without_error(explorer):
    for batch_size in explorer.sliders["batch_size"].options:
        for learning_rate in (1e-3, 0.1, 1.0, 10.0):
            explorer.sliders["batch_size"].value = batch_size
            explorer.sliders["learning_rate"].value = learning_rate
            assert explorer._messages.value == ""  # No exception shown under the figure.
    explorer.sliders["learning_rate"].value = 0.2


def test_static_version_scrubs_every_batch_size(explorer):
    html = explorer.static_html()
    frames = json.loads(re.search(r"var frames = (\[.*?\]);", html, re.S).group(1))
    assert len(frames) == len(explorer.sliders["batch_size"].options) == 9
    assert len(set(frames)) == len(frames)
    assert len(html.encode()) <= 1.5e6
    assert "To move the other controls (learning rate α, random seed)" in html


def test_bad_arguments_raise_by_name():
    with pytest.raises(ValueError, match="batch_size must be one of"):
        MinibatchExplorer(batch_size=3)
    with pytest.raises(ValueError, match="learning_rate must be in"):
        MinibatchExplorer(learning_rate=-0.1)
    with pytest.raises(ValueError, match="n must be a power of two"):
        MinibatchExplorer(n=100)
