import doctest

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import descent.gradient_noise
from descent.gradient_noise import (
    gradient_statistics,
    minibatch_gradient,
    minibatch_gradient_errors,
    noisy_gradient_descent,
    standard_error,
)


def _least_squares(n=300, d=4, seed=0):
    x = jax.random.normal(jax.random.key(seed), (n, d))
    y = x @ jnp.arange(1.0, d + 1) + jax.random.normal(jax.random.key(seed + 1), (n,))
    loss = lambda w, batch: 0.5 * jnp.mean((batch[0] @ w - batch[1]) ** 2)  # noqa: E731
    return loss, (x, y)


def test_doctests():
    result = doctest.testmod(descent.gradient_noise)
    assert result.attempted >= 7 and result.failed == 0, result


def test_statistics_equal_those_of_explicit_per_example_gradients():
    loss, data = _least_squares()
    w = jnp.array([0.5, -1.0, 2.0, 0.0])
    per_example = jax.vmap(lambda x, y: jax.grad(loss)(w, (x[None], y[None])))(*data)
    stats = gradient_statistics(loss, w, data, chunk_size=70)  # A ragged last chunk.
    np.testing.assert_allclose(stats.mean, per_example.mean(axis=0), rtol=1e-5, atol=1e-6)
    expected = float(np.mean(np.sum((per_example - per_example.mean(axis=0)) ** 2, axis=1)))
    assert float(stats.variance) == pytest.approx(expected, rel=1e-4)
    assert stats.n == 300


@pytest.mark.parametrize("replace", [True, False])
def test_measured_errors_follow_sigma_over_root_b(replace):
    loss, data = _least_squares()
    w = jnp.zeros(4)
    stats = gradient_statistics(loss, w, data)
    for batch_size in (5, 60):
        errors = minibatch_gradient_errors(loss, w, data, batch_size, 3000,
                                           jax.random.key(batch_size), replace=replace)
        rms = float(jnp.sqrt(jnp.mean(errors**2)))
        expected = standard_error(stats, batch_size, n=None if replace else 300)
        assert rms == pytest.approx(expected, rel=0.06)


def test_a_batch_of_everything_has_no_error_without_replacement():
    loss, data = _least_squares(n=50)
    errors = minibatch_gradient_errors(loss, jnp.ones(4), data, 50, 3, jax.random.key(0))
    assert float(errors.max()) < 1e-4
    stats = gradient_statistics(loss, jnp.ones(4), data)
    assert standard_error(stats, 50, n=50) == 0.0
    g = minibatch_gradient(loss, jnp.ones(4), data, jnp.arange(50))
    np.testing.assert_allclose(g, stats.mean, rtol=1e-5)


def test_noisy_descent_without_noise_is_gradient_descent():
    loss = lambda theta: 0.5 * jnp.sum(jnp.array([1.0, 4.0]) * theta**2)  # noqa: E731
    path = noisy_gradient_descent(loss, jnp.array([1.0, 1.0]), 0.1, 0.0, 5, jax.random.key(0))
    expected = np.array([[0.9**t, 0.6**t] for t in range(6)])
    np.testing.assert_allclose(path, expected, rtol=1e-5)


def test_noisy_descent_is_reproducible_and_refuses_negative_noise():
    loss = lambda theta: jnp.sum(theta**2)  # noqa: E731
    a = noisy_gradient_descent(loss, jnp.ones(2), 0.1, 1.0, 10, jax.random.key(3))
    b = noisy_gradient_descent(loss, jnp.ones(2), 0.1, 1.0, 10, jax.random.key(3))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError):
        noisy_gradient_descent(loss, jnp.ones(2), 0.1, -1.0, 10, jax.random.key(3))
