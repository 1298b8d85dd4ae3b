r"""Gradient noise: how far a minibatch gradient is from the full gradient, and what noise does.

A minibatch gradient :math:`g_B = \frac1B \sum_{i \in B} \nabla \ell_i(\theta)` estimates the
full gradient :math:`g = \frac1n \sum_{i=1}^n \nabla \ell_i(\theta)` of the empirical risk.
Its error has mean zero and, for B examples drawn with replacement,

.. math::
    \mathbb{E}\,\lVert g_B - g \rVert^2 = \frac{\sigma^2}{B}, \qquad
    \sigma^2 = \frac1n \sum_{i=1}^n \lVert \nabla \ell_i(\theta) - g \rVert^2 ,

(times :math:`(n - B)/(n - 1)` without replacement). :func:`gradient_statistics` computes
g and σ² exactly from the per-example gradients; :func:`minibatch_gradient_errors` draws
minibatches and measures :math:`\lVert g_B - g \rVert`, so the two can be compared.

:func:`noisy_gradient_descent` runs gradient descent with an inexact gradient,
:math:`\theta_{t+1} = \theta_t - \alpha(\nabla L(\theta_t) + \sigma \xi_t)` with
:math:`\xi_t \sim \mathcal N(0, I)`: a model of stochastic gradients on a 2-D problem.

>>> import jax, jax.numpy as jnp
>>> loss = lambda w, batch: 0.5 * jnp.mean((batch[0] @ w - batch[1]) ** 2)
>>> x = jax.random.normal(jax.random.key(0), (500, 3))
>>> data = (x, x @ jnp.ones(3) + jax.random.normal(jax.random.key(1), (500,)))
>>> stats = gradient_statistics(loss, jnp.zeros(3), data)
>>> errors = minibatch_gradient_errors(loss, jnp.zeros(3), data, batch_size=50,
...                                    samples=2000, key=jax.random.key(2))
>>> bool(abs(jnp.sqrt(jnp.mean(errors**2)) / standard_error(stats, 50, n=500) - 1) < 0.05)
True
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree
from jax.tree_util import Partial

__all__ = [
    "GradientStatistics",
    "gradient_statistics",
    "minibatch_gradient",
    "minibatch_gradient_errors",
    "standard_error",
    "noisy_gradient_descent",
]

Params = Any  # A pytree of arrays.


class GradientStatistics(NamedTuple):
    """The full gradient and the spread of the per-example gradients around it.

    Attributes:
        mean: g, the full-batch gradient, flattened to one vector.
        variance: σ² = (1/n) Σᵢ ‖∇ℓᵢ − g‖², the trace of the per-example covariance.
        n: the number of examples.
    """

    mean: jax.Array
    variance: jax.Array
    n: int

    @property
    def sigma(self) -> jax.Array:
        """σ, the root-mean-square distance of one example's gradient from g."""
        return jnp.sqrt(self.variance)


def _size(data) -> int:
    sizes = {leaf.shape[0] for leaf in jax.tree.leaves(data)}
    if len(sizes) != 1:
        raise ValueError("every array of data must hold the examples along its first axis")
    return sizes.pop()


def _as_pytree(loss: Callable) -> Partial:
    return loss if isinstance(loss, Partial) else Partial(loss)


def gradient_statistics(
    loss: Callable, params: Params, data, chunk_size: int = 2000
) -> GradientStatistics:
    r"""g and σ² at ``params``, from every per-example gradient, ``chunk_size`` at a time.

    Args:
        loss: ``loss(params, batch)``, the mean loss over a batch (as a
            :class:`descent.problems.Classifier`'s loss).
        params: θ, where the gradients are taken.
        data: a pytree of arrays with the n examples along the first axis.
        chunk_size: how many per-example gradients are held in memory at once.

    Returns:
        A :class:`GradientStatistics`; σ² is computed as
        :math:`\frac1n\sum_i \lVert\nabla\ell_i\rVert^2 - \lVert g\rVert^2`.
    """
    n = _size(data)
    chunk_size = max(1, min(int(chunk_size), n))
    total, squares = _gradient_sums(_as_pytree(loss), params, data, chunk_size=chunk_size)
    mean = total / n
    variance = jnp.maximum(squares / n - mean @ mean, 0.0)
    return GradientStatistics(mean=mean, variance=variance, n=n)


@functools.partial(jax.jit, static_argnames=("chunk_size",))
def _gradient_sums(loss, params, data, *, chunk_size):
    """Σᵢ ∇ℓᵢ (flattened) and Σᵢ ‖∇ℓᵢ‖², over chunks of examples (a ragged last chunk too)."""
    n = jax.tree.leaves(data)[0].shape[0]

    def one(example):  # ∇ℓᵢ: the loss of a batch holding one example.
        batch = jax.tree.map(lambda a: a[None], example)
        return ravel_pytree(jax.grad(loss)(params, batch))[0]

    def sums(chunk):
        grads = jax.vmap(one)(chunk)
        return grads.sum(axis=0), jnp.sum(grads**2)

    full = n // chunk_size
    head = jax.tree.map(lambda a: a[: full * chunk_size].reshape(full, chunk_size, *a.shape[1:]),
                        data)
    totals, squares = jax.lax.map(sums, head)
    total, square = totals.sum(axis=0), squares.sum()
    if n > full * chunk_size:
        rest_total, rest_square = sums(jax.tree.map(lambda a: a[full * chunk_size:], data))
        total, square = total + rest_total, square + rest_square
    return total, square


def minibatch_gradient(loss: Callable, params: Params, data, indices: jax.Array) -> jax.Array:
    """g_B, the gradient of the mean loss over the examples ``indices``, flattened."""
    return _minibatch_gradient(_as_pytree(loss), params, data, indices)


@jax.jit
def _minibatch_gradient(loss, params, data, indices):
    batch = jax.tree.map(lambda a: a[indices], data)
    return ravel_pytree(jax.grad(loss)(params, batch))[0]


def minibatch_gradient_errors(
    loss: Callable,
    params: Params,
    data,
    batch_size: int,
    samples: int,
    key: jax.Array,
    *,
    mean: jax.Array | None = None,
    replace: bool = False,
) -> jax.Array:
    """‖g_B − g‖ for ``samples`` minibatches of ``batch_size`` examples drawn from ``key``.

    Args:
        loss, params, data: as in :func:`gradient_statistics`.
        batch_size: B.
        samples: how many minibatches to draw.
        key: a ``jax.random.key``.
        mean: g, if already computed (``gradient_statistics(...).mean``).
        replace: draw each minibatch with replacement (True) or as a random subset of B
            distinct examples (False, as an epoch of random reshuffling does).

    Returns:
        The ``samples`` errors, shape (samples,).
    """
    n = _size(data)
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be in [1, {n}], got {batch_size}")
    if mean is None:
        mean = gradient_statistics(loss, params, data).mean
    keys = jax.random.split(key, int(samples))
    return _errors(_as_pytree(loss), params, data, mean, keys,
                   batch_size=int(batch_size), replace=bool(replace))


@functools.partial(jax.jit, static_argnames=("batch_size", "replace"))
def _errors(loss, params, data, mean, keys, *, batch_size, replace):
    n = jax.tree.leaves(data)[0].shape[0]

    def error(key):
        if replace:
            indices = jax.random.randint(key, (batch_size,), 0, n)
        else:
            # B distinct examples: the B largest of n uniform numbers (fast, unlike
            # jax.random.choice without replacement, which permutes all n).
            indices = jax.lax.top_k(jax.random.uniform(key, (n,)), batch_size)[1]
        return jnp.linalg.norm(minibatch_gradient(loss, params, data, indices) - mean)

    return jax.lax.map(error, keys)


def standard_error(stats: GradientStatistics, batch_size: int, n: int | None = None) -> float:
    r"""The root-mean-square error of g_B: σ/√B, times √((n − B)/(n − 1)) if ``n`` is given.

    Pass ``n`` for minibatches of distinct examples (sampling without replacement from n);
    leave it out for sampling with replacement.
    """
    value = float(stats.sigma) / math.sqrt(batch_size)
    if n is not None:
        value *= math.sqrt((n - batch_size) / (n - 1)) if n > 1 else 0.0
    return value


def noisy_gradient_descent(
    loss: Callable,
    init: jax.Array,
    learning_rate: float,
    noise: float,
    steps: int,
    key: jax.Array,
) -> jax.Array:
    r"""Gradient descent with Gaussian gradient noise; returns θ₀, …, θ_T.

    .. math::
        \theta_{t+1} = \theta_t - \alpha\,(\nabla L(\theta_t) + \sigma\,\xi_t),
        \qquad \xi_t \sim \mathcal N(0, I)

    The loop is one compiled ``jax.lax.scan``; α and σ are traced, so new values reuse it.

    Args:
        loss: L, called as ``loss(theta)`` on a vector θ.
        init: θ₀, a vector.
        learning_rate: α ≥ 0.
        noise: σ ≥ 0, the standard deviation of each coordinate of the gradient noise.
        steps: T.
        key: a ``jax.random.key`` that draws the noise.

    Returns:
        The trajectory, shape (T + 1, n) for n parameters.
    """
    if learning_rate < 0 or noise < 0:
        raise ValueError(f"learning_rate and noise must be ≥ 0, got {learning_rate}, {noise}")
    init = jnp.asarray(init, dtype=jnp.float32)
    return _noisy_descent(_as_pytree(loss), init, jnp.float32(learning_rate),
                          jnp.float32(noise), key, steps=int(steps))


@functools.partial(jax.jit, static_argnames=("steps",))
def _noisy_descent(loss, init, alpha, sigma, key, *, steps):
    grad = jax.grad(loss)

    def step(theta, k):
        g = grad(theta) + sigma * jax.random.normal(k, theta.shape)  # Inexact gradient.
        theta = theta - alpha * g  # θ ← θ − α g.
        return theta, theta

    _, path = jax.lax.scan(step, init, jax.random.split(key, steps))
    return jnp.concatenate([init[None], path])
