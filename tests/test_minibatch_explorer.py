"""MinibatchExplorer: minibatch SGD on least squares, checked against a plain NumPy loop.

The batches are the shared generator's (descent.explorers.minibatch.batch_orders, the one
compute.js implements too); the path, the full-batch case, the floors and the stability
limits are checked against NumPy and against simulation. (The texts the explorer shows are
the front end's: tests/test_explorer_messages.py.)
"""

from __future__ import annotations

import functools
import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from descent import theory
from descent.explorers import MinibatchExplorer
from descent.explorers.minibatch import _minibatch_sgd, batch_orders

from explorer_cases import as_array, move


@pytest.fixture(scope="module")
def explorer():
    explorer = MinibatchExplorer()
    explorer.wait()
    return explorer


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
    result = move(explorer, batch_size=batch_size, learning_rate=0.3, seed=3)
    expected = numpy_sgd(explorer, batch_size, 0.3, batch_orders(3, explorer.steps, explorer.n))
    shown = as_array(result["sgd"])
    assert shown.shape == (explorer.steps + 1, 2)
    np.testing.assert_allclose(shown, expected, rtol=1e-12, atol=1e-14)
    other_seed = as_array(move(explorer, seed=4)["sgd"])
    assert (batch_size == explorer.n) == np.allclose(other_seed, shown, rtol=1e-12)  # Only B = N ignores it.


def test_full_batch_is_gradient_descent(explorer):
    w, expected = explorer.init.copy(), [explorer.init]
    for _ in range(explorer.steps):
        w = w - 0.5 * (explorer.Q @ w - explorer.X.T @ explorer.y / explorer.n)
        expected.append(w)
    expected = np.array(expected)
    np.testing.assert_allclose(explorer.gradient_descent(0.5), expected, rtol=1e-12, atol=1e-14)
    result = move(explorer, batch_size=explorer.n, learning_rate=0.5, seed=7)
    np.testing.assert_allclose(as_array(result["gd"]), expected, rtol=1e-12, atol=1e-14)
    # B = N draws all N examples (in its own order): the same path, to rounding.
    np.testing.assert_allclose(as_array(result["sgd"]), expected, rtol=1e-12, atol=1e-14)


def test_minibatches_are_distinct_examples(explorer):
    orders = batch_orders(0, explorer.steps, explorer.n)
    assert orders.shape == (explorer.steps, explorer.n)
    assert all(np.array_equal(np.sort(row), np.arange(explorer.n)) for row in orders)
    assert len({tuple(row[:8]) for row in orders}) == explorer.steps  # A new batch at every step.
    # Every example is drawn about equally often (B = 1: 300 draws among 256).
    counts = np.bincount(batch_orders(1, 2000, explorer.n)[:, 0], minlength=explorer.n)
    assert counts.max() < 25


def test_the_noise_floor_is_the_predicted_one(explorer):
    for batch_size in (4, 16, 64):
        gaps = [explorer.loss_gap(explorer.run(batch_size, 0.2, seed))[150:].mean() for seed in range(20)]
        assert np.mean(gaps) == pytest.approx(explorer.noise_floor(batch_size, 0.2), rel=0.15)
        assert np.mean(gaps) == pytest.approx(explorer.predicted_floor(batch_size, 0.2), rel=0.3)
        assert move(explorer, batch_size=batch_size, learning_rate=0.2)["floor"] == \
            explorer.noise_floor(batch_size, 0.2)
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
    assert explorer.compute({"batch_size": B, "learning_rate": alpha, "seed": 0})["fixed"] == predicted


def test_the_floor_stated_is_where_the_runs_settle_not_the_fixed_noise_formula(explorer):
    # B = 1, α = 0.2, about 2/3 of the way to SGD's stability limit: the noise grows with
    # the distance to ŵ and the fixed-noise formula is less than half the floor (0.291 against
    # 0.132); 100 runs of the shared generator's batches settle at 0.263.
    gaps = [explorer.loss_gap(explorer.run(1, 0.2, seed))[150:].mean() for seed in range(100)]
    assert np.mean(gaps) == pytest.approx(explorer.noise_floor(1, 0.2), rel=0.15)
    assert explorer.noise_floor(1, 0.2) > 2 * explorer.predicted_floor(1, 0.2)
    assert np.mean(gaps) > 1.8 * explorer.predicted_floor(1, 0.2)
    result = move(explorer, batch_size=1, learning_rate=0.2, seed=0)
    assert result["floor"] == explorer.noise_floor(1, 0.2)
    assert result["fixed"] == explorer.predicted_floor(1, 0.2) == pytest.approx(0.132, abs=5e-4)


def test_the_stability_limit_is_sgds_not_gradient_descents(explorer):
    result = move(explorer, batch_size=1, learning_rate=0.2)
    assert explorer.stability_limit(1) == pytest.approx(0.3147, abs=1e-4)
    assert result["limit_B"] == explorer.stability_limit(1)
    assert result["gd_limit"] == 2 / explorer.eigenvalues[-1] == pytest.approx(1.08, abs=5e-3)
    for B in (1, 8, 128):  # B distinct examples: drawn without replacement.
        assert explorer.stability_limit(B) == pytest.approx(theory.sgd_mean_square_stability_limit(
            explorer.X, B, replace=False), rel=1e-12)
    with_replacement = theory.sgd_mean_square_stability_limit(explorer.X, 128, replace=True)
    assert explorer.stability_limit(128) > 1.005 * with_replacement  # Half the data: 0.9 % larger.
    result = move(explorer, learning_rate=0.4)  # Above α_1, below 2/λ_max: no floor.
    assert result["floor"] is None and math.isfinite(result["fixed"])
    result = move(explorer, batch_size=explorer.n)  # B = N: gradient descent's limit, no noise.
    assert result["limit_B"] == 2 / explorer.eigenvalues[-1] == explorer.stability_limit(explorer.n)
    assert result["floor"] == result["fixed"] == 0.0 and result["standard_error"] == 0.0
    limits = [explorer.stability_limit(B) for B in explorer.sizes]
    assert all(a < b for a, b in zip(limits, limits[1:]))  # A larger batch, a larger limit ...
    assert all(limit < 2 / explorer.eigenvalues[-1] for limit in limits[:-1])  # ... below GD's, B < N.
    assert explorer.spec["limits"] == {str(B): limit for B, limit in zip(explorer.sizes, limits)}
    move(explorer, batch_size=8, learning_rate=0.2)


def test_no_recompilation_when_values_change(explorer):
    move(explorer, seed=1)
    compiled = _minibatch_sgd._cache_size()
    for batch_size in explorer.sizes:
        for seed in (0, 20):
            move(explorer, batch_size=batch_size, learning_rate=0.01 * batch_size ** 0.5, seed=seed)
    assert _minibatch_sgd._cache_size() == compiled
    move(explorer, batch_size=8, learning_rate=0.2, seed=0)


def test_divergence_comes_back_as_null(explorer):
    result = move(explorer, batch_size=8, learning_rate=10.0)  # ×17 per step: both paths overflow.
    assert result["gd"][-1] == [None, None] and result["sgd"][-1] == [None, None]
    assert result["floor"] is None and result["fixed"] is None  # ∞ is sent as null.
    json.dumps(result, allow_nan=False)
    result = move(explorer, learning_rate=0.2)
    assert all(None not in w for w in result["sgd"] + result["gd"])


def test_every_control_value_computes_without_error(explorer):
    controls = {c["name"]: c for c in explorer.spec["controls"]}
    assert controls["batch_size"]["options"] == explorer.sizes == [2**k for k in range(9)]
    for batch_size in explorer.sizes:
        for learning_rate in (1e-3, 0.1, 1.0, 10.0):
            for seed in (0, controls["seed"]["max"]):
                result = move(explorer, batch_size=batch_size, learning_rate=learning_rate, seed=seed)
                assert "error" not in result, (batch_size, learning_rate, seed, result)
                assert len(result["sgd"]) == len(result["gd"]) == explorer.steps + 1
                json.dumps(result, allow_nan=False)
    move(explorer, batch_size=8, learning_rate=0.2, seed=0)


def test_bad_arguments_raise_by_name():
    with pytest.raises(ValueError, match="batch_size must be one of"):
        MinibatchExplorer(batch_size=3)
    with pytest.raises(ValueError, match="learning_rate must be in"):
        MinibatchExplorer(learning_rate=-0.1)
    with pytest.raises(ValueError, match="n must be a power of two"):
        MinibatchExplorer(n=100)
    with pytest.raises(ValueError, match="steps must be an integer"):
        MinibatchExplorer(steps=0)
    with pytest.raises(ValueError, match="no control named 'batchsize'"):
        MinibatchExplorer().set(batchsize=4)
