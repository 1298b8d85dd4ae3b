r"""Run an optimizer on a problem: the whole loop compiled once, hyperparameters traced.

:func:`run` takes the steps of full-batch optimization on a problem and returns the
trajectory θ₀, θ₁, …, θ_T and the losses L(θ₀), …, L(θ_T):

>>> from descent.problems import quadratic
>>> problem = quadratic(eigenvalues=(1.0, 6.0))
>>> result = run(problem, "sgd", steps=50, learning_rate=0.25)
>>> result.trajectory.shape, result.losses.shape, result.diverged_at
((51, 2), (51,), None)

The optimizer is a factory (``descent.optimizers.adam``, ``optax.adam``, or its name in
:mod:`descent.optimizers`, ``"adam"``) and the hyperparameters are keyword arguments. The
loop is one ``jax.lax.scan`` under ``jax.jit`` that takes the numeric hyperparameters, the
starting point and the problem's data as arguments and builds the optimizer inside the
trace. Running again with another learning rate, β₁, starting point or a quadratic's
eigenvalues reuses the compiled loop; only a new optimizer, a new number of steps or a
new kind of problem compiles a new one. Hyperparameters that are not numbers (``True``,
``None``, a schedule) are fixed at compile time.

Gradients that overflow never raise. The first step at which the loss or the parameters
stop being finite is reported as ``diverged_at``; from then on the optimizer is frozen at
the last finite point and the trajectory and losses are NaN, which plots as a line that
stops.

:func:`train` does the same for a problem trained on minibatches, such as
:func:`descent.problems.mlp_classifier`, drawing the batches from an explicit
``jax.random.key``.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.tree_util import Partial
from jax.typing import ArrayLike

from descent.optimizers import apply_updates

__all__ = ["Run", "Training", "run", "train", "batch_indices", "first_step_below"]

Params = Any  # A pytree of arrays.


class Run(NamedTuple):
    """The result of :func:`run`, as NumPy arrays, ready to plot.

    Attributes:
        trajectory: θ₀, θ₁, …, θ_T: the parameters with a leading axis of length T + 1;
            shape (T + 1, 2) for a 2-D problem. NaN from ``diverged_at`` on.
        losses: L(θ₀), …, L(θ_T), shape (T + 1,). NaN from ``diverged_at`` on.
        diverged_at: the first t at which θ_t or L(θ_t) was not finite; None if none was.
    """

    trajectory: Params
    losses: np.ndarray
    diverged_at: int | None


class Training(NamedTuple):
    """The result of :func:`train`: the curves as NumPy arrays, the parameters as JAX's.

    Attributes:
        params: the parameters after the last step (the last finite ones if it diverged).
        losses: the minibatch loss L(θ_t; B_t) before each step t = 0, …, T − 1; shape (T,).
        gradient_norms: the global norm ‖g_t‖ of each minibatch gradient; shape (T,).
        diverged_at: the first t at which θ_t or L(θ_t; B_t) was not finite, T if the
            last step was the one that overflowed (θ_T); None if none was.
    """

    params: Params
    losses: np.ndarray
    gradient_norms: np.ndarray
    diverged_at: int | None


def run(
    problem, optimizer, steps: int = 100, *, init: Params | None = None, **hyperparameters
) -> Run:
    """Take ``steps`` steps of ``optimizer`` on ``problem`` from its starting point.

    Args:
        problem: a :class:`descent.problems.Problem` whose loss is called as
            ``loss(params)``.
        optimizer: a factory that takes the hyperparameters and returns an optimizer
            with optax's ``init``/``update`` (``descent.optimizers.adam``,
            ``optax.adam``), the name of one in :mod:`descent.optimizers` (``"adam"``),
            or an optimizer already built (then pass no hyperparameters; a new one
            compiles a new loop).
        steps: T, the number of steps.
        init: θ₀; the problem's ``init`` by default.
        **hyperparameters: the factory's keyword arguments (``learning_rate=0.1``,
            ``b1=0.9``…). Numbers and arrays are traced: new values do not recompile.

    Returns:
        A :class:`Run`.

    Raises:
        ValueError: a hyperparameter is out of range (checked by the factory, which names
            it), ``steps`` is not a non-negative integer, or ``init`` is not finite.
    """
    steps = _count_of("run", "steps", steps, minimum=0)
    factory, traced, static = _optimizer("run", optimizer, hyperparameters)
    init = _start("run", problem, init)
    trajectory, losses, alive = _run(
        _as_pytree(problem.loss), init, traced, optimizer=factory, static=static, steps=steps
    )
    return Run(trajectory=jax.tree.map(np.asarray, trajectory), losses=np.asarray(losses),
               diverged_at=_first_false(alive))


def train(
    problem,
    optimizer,
    data,
    steps: int,
    batch_size: int,
    key: jax.Array,
    *,
    init: Params | None = None,
    **hyperparameters,
) -> Training:
    """Minibatch training: ``steps`` steps, each on a batch of ``batch_size`` examples.

    The batches are drawn by :func:`batch_indices` from ``key``: every pass over the data
    (an epoch) visits the examples in a fresh random order. The same key gives the same
    batches, so the same run. The whole loop is one compiled ``jax.lax.scan``; as in
    :func:`run`, numeric hyperparameters are traced and new values do not recompile.

    Args:
        problem: a problem whose loss is called as ``loss(params, batch)``.
        optimizer: a factory, a name in :mod:`descent.optimizers`, or a built optimizer,
            as in :func:`run`.
        data: a pytree of arrays with the examples along the first axis, such as
            ``problem.train_data``; a batch is the same pytree with B rows.
        steps: T, the number of steps.
        batch_size: B.
        key: a ``jax.random.key`` that draws the batches.
        init: θ₀; the problem's ``init`` by default.
        **hyperparameters: the factory's keyword arguments.

    Returns:
        A :class:`Training`.

    Example: 1000 steps of Adam on Fashion-MNIST.

    .. code-block:: python

        problem = descent.problems.mlp_classifier(key=jax.random.key(0))
        result = descent.train(problem, "adam", problem.train_data, steps=1000,
                               batch_size=256, key=jax.random.key(1), learning_rate=1e-3)
        problem.accuracy(result.params, problem.test_data)
    """
    steps = _count_of("train", "steps", steps, minimum=0)
    batch_size = _count_of("train", "batch_size", batch_size, minimum=1)
    factory, traced, static = _optimizer("train", optimizer, hyperparameters)
    sizes = {np.shape(leaf)[0] if np.ndim(leaf) else None for leaf in jax.tree.leaves(data)}
    if len(sizes) != 1 or None in sizes:
        raise ValueError("train: every array of data must hold the examples along its first axis")
    (n,) = sizes
    if batch_size > n:
        raise ValueError(f"train: batch_size must be at most the {n} examples, got {batch_size}")
    init = _start("train", problem, init)
    # The batches are drawn by a program of their own: compiled together with the loop, the
    # two would need about 30 MB more memory at once.
    xs = _batch_indices(key, n, steps, batch_size)
    params, losses, norms, alive = _train(
        _as_pytree(problem.loss), init, data, xs, traced, optimizer=factory, static=static)
    return Training(params=params, losses=np.asarray(losses), gradient_norms=np.asarray(norms),
                    diverged_at=_first_false(alive))


def batch_indices(key: jax.Array, n: int, steps: int, batch_size: int) -> jax.Array:
    """The examples of every batch: shape (steps, batch_size), integers in [0, n).

    Epoch e is the random permutation of 0, …, n − 1 drawn with
    ``jax.random.fold_in(key, e)``; the epochs are laid end to end and cut into batches.
    Within an epoch no example repeats; a batch that straddles two epochs may hold an
    example twice.
    """
    epochs = max(1, math.ceil(steps * batch_size / n))
    orders = jax.vmap(lambda e: jax.random.permutation(jax.random.fold_in(key, e), n))(
        jnp.arange(epochs)
    )
    return orders.reshape(-1)[: steps * batch_size].reshape(steps, batch_size)


# ---------------------------------------------------------------------------------------
# The compiled loops.


@functools.partial(jax.jit, static_argnames=("optimizer", "static", "steps"))
def _run(loss, init, hyperparameters, *, optimizer, static, steps):
    transformation = _build(optimizer, hyperparameters, static)
    value_and_grad = jax.value_and_grad(loss)

    def step(carry, _):
        params, state, alive = carry
        value, grads = value_and_grad(params)  # L(θ_t) and g_t.
        alive = alive & jnp.isfinite(value)
        record = (params, value, alive)
        params, state, alive = _update(transformation, grads, state, params, alive)
        return (params, state, alive), record

    carry = (init, transformation.init(init), _all_finite(init))
    (params, _, alive), (trajectory, losses, alives) = jax.lax.scan(step, carry, length=steps)
    value = loss(params)  # L(θ_T).
    alive = alive & jnp.isfinite(value)
    trajectory = jax.tree.map(lambda a, b: jnp.concatenate([a, b[None]]), trajectory, params)
    losses = jnp.append(losses, value)
    alives = jnp.append(alives, alive)
    return _mask(trajectory, alives), _mask(losses, alives), alives


_batch_indices = jax.jit(batch_indices, static_argnums=(1, 2, 3))


@functools.partial(jax.jit, static_argnames=("optimizer", "static"))
def _train(loss, init, data, xs, hyperparameters, *, optimizer, static):
    transformation = _build(optimizer, hyperparameters, static)
    value_and_grad = jax.value_and_grad(loss)

    def step(carry, indices):
        params, state, alive = carry
        batch = jax.tree.map(lambda a: a[indices], data)  # B_t.
        value, grads = value_and_grad(params, batch)  # L(θ_t; B_t) and g_t.
        alive = alive & jnp.isfinite(value)
        norm = jnp.sqrt(sum(jnp.sum(g**2) for g in jax.tree.leaves(grads)))  # ‖g_t‖.
        record = (value, norm, alive)
        params, state, alive = _update(transformation, grads, state, params, alive)
        return (params, state, alive), record

    carry = (init, transformation.init(init), _all_finite(init))
    (params, _, alive), (losses, norms, alives) = jax.lax.scan(step, carry, xs)
    # alive at t = 0, …, T − 1, then whether θ_T is finite: a last step that overflowed counts.
    return params, _mask(losses, alives), _mask(norms, alives), jnp.append(alives, alive)


def _update(transformation, grads, state, params, alive):
    """One step, kept only while everything is finite; otherwise stay where we were."""
    updates, new_state = transformation.update(grads, state, params)
    new_params = apply_updates(params, updates)  # θ_{t+1} = θ_t + u_t.
    accept = alive & _all_finite(new_params)
    keep = functools.partial(jax.tree.map, lambda new, old: jnp.where(accept, new, old))
    return keep(new_params, params), keep(new_state, state), accept


def _build(optimizer, hyperparameters, static):
    if _is_transformation(optimizer):
        return optimizer
    return optimizer(**hyperparameters, **dict(static))


def _mask(tree, alives):
    """NaN wherever the run had diverged."""

    def mask(a):
        alive = alives.reshape(alives.shape + (1,) * (a.ndim - 1))
        return jnp.where(alive, a, jnp.nan)

    return jax.tree.map(mask, tree)


# ---------------------------------------------------------------------------------------
# Arguments.


def _optimizer(where: str, optimizer, hyperparameters: dict) -> tuple[Any, dict, tuple]:
    """The factory, the traced hyperparameters, and the static ones as a hashable tuple."""
    if isinstance(optimizer, str):
        from descent import optimizers

        names = [name for name in optimizers.__all__ if name not in _NOT_OPTIMIZERS]
        if optimizer not in names:
            raise ValueError(f"{where}: no optimizer named {optimizer!r}; choose one of {names}")
        optimizer = getattr(optimizers, optimizer)
    if _is_transformation(optimizer):
        if hyperparameters:
            raise TypeError(
                f"{where}: hyperparameters {sorted(hyperparameters)} were given with an optimizer "
                "already built; pass its factory instead (descent.optimizers.adam, not adam(0.1))"
            )
        return optimizer, {}, ()
    if not callable(optimizer):
        raise TypeError(
            f"{where}: optimizer must be a factory, a name or an optimizer, got {optimizer!r}"
        )
    optimizer(**hyperparameters)  # Build it once with the values: the factory checks them.
    traced, static = {}, []
    for name, value in sorted(hyperparameters.items()):
        if value is None or isinstance(value, (bool, str)) or callable(value):
            static.append((name, value))
        else:
            value = jnp.asarray(value)  # One dtype for 0.1 and np.float32(0.1): no retrace.
            if not jnp.issubdtype(value.dtype, jnp.inexact):
                value = value.astype(jnp.result_type(float))  # Integers count as floats.
            traced[name] = jnp.asarray(value, dtype=value.dtype)  # Strongly typed.
    return optimizer, traced, tuple(static)


_NOT_OPTIMIZERS = {"GradientTransformation", "apply_updates", "chain", "clip_by_global_norm"}


def _is_transformation(optimizer) -> bool:
    return hasattr(optimizer, "init") and hasattr(optimizer, "update")


def _as_pytree(loss: Callable) -> Partial:
    """The loss as an argument of a jitted function: its data traced, its code static.

    A :class:`~jax.tree_util.Partial` already is one; any other function is wrapped, and
    then a new function object (a new lambda) compiles a new loop.
    """
    return loss if isinstance(loss, Partial) else Partial(loss)


def _start(where: str, problem, init) -> Params:
    """θ₀: the problem's, or ``init`` as arrays shaped like it; finite either way."""
    reference = jax.tree.map(jnp.asarray, problem.init)
    if init is not None:
        try:
            init = jax.tree.map(lambda r, x: jnp.asarray(x, dtype=r.dtype), reference, init)
        except (TypeError, ValueError):
            init = None
        if init is None or jax.tree.map(jnp.shape, init) != jax.tree.map(jnp.shape, reference):
            raise ValueError(f"{where}: init must have the structure and shapes of problem.init")
        reference = init
    if not _all_finite(reference):
        raise ValueError(f"{where}: init must be finite")
    return reference


def _count_of(where: str, name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{where}: {name} must be an integer ≥ {minimum}, got {value!r}")
    return int(value)


def _all_finite(tree) -> jax.Array:
    leaves = [jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree.leaves(tree)]
    return jnp.all(jnp.array(leaves)) if leaves else jnp.array(True)


def _first_false(alive: jax.Array) -> int | None:
    alive = np.asarray(alive)
    return None if alive.all() else int(np.argmin(alive))


def first_step_below(values: ArrayLike, accuracy: float) -> int | None:
    r"""The first t with :math:`v_t \le \delta\, v_0`: the measured steps to accuracy δ.

    Args:
        values: v₀, v₁, … (a loss gap, or a distance to the minimum), non-negative;
            NaN (a diverged run) never counts as below.
        accuracy: δ, in (0, 1).

    Returns:
        t, or None if no value of the sequence gets there.

    >>> first_step_below([8.0, 4.0, 2.0, 1.0], 0.25)
    2
    >>> print(first_step_below([8.0, 4.0], 0.1))
    None
    """
    if not 0 < accuracy < 1:
        raise ValueError(f"accuracy must be in (0, 1), got {accuracy}")
    v = np.asarray(values, dtype=float)
    if v.ndim != 1 or v.size == 0:
        raise ValueError("values must be a non-empty 1-D sequence")
    below = np.flatnonzero(v <= accuracy * v[0])  # NaN compares False.
    return int(below[0]) if below.size else None

