"""The optimizers against optax, against their written-out equations, and against bad input.

Each parity test runs our optimizer and optax's side by side for 200 steps on the same
pytree of mixed shapes and the same fixed sequence of random gradients, in float32 and in
float64 (jax's x64 mode, switched on only inside the test), and compares every update and
the final parameters. Where the book's form differs from optax's default, optax is
configured to the book's form and the comment names the difference.
"""

from __future__ import annotations

import doctest
import functools
import inspect
import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax.flatten_util import ravel_pytree

import descent.optimizers
from descent.optimizers import (
    AdadeltaState,
    AdagradState,
    AdamState,
    AdamWState,
    AMSGradState,
    MomentumState,
    NadamState,
    NesterovState,
    PreconditionState,
    RMSPropState,
    SGDState,
    adadelta,
    adagrad,
    adam,
    adamw,
    amsgrad,
    apply_updates,
    chain,
    clip_by_global_norm,
    momentum,
    nadam,
    nesterov,
    precondition,
    rmsprop,
    sgd,
)
from descent.schedules import exponential_decay, warmup_cosine

STEPS = 200
TOLERANCE = {  # (rtol, atol) for every update and the final parameters.
    "float32": (2e-5, 1e-7),
    "float64": (1e-12, 1e-15),
}


@functools.cache
def problem(dtype, steps=STEPS):
    """Parameters and a fixed sequence of random gradients for them, one row per step.

    The parameters are a dict with a scalar, a vector, a matrix and a nested tuple; each
    leaf's gradients have their own scale, from 1e-3 to 100. Call it inside
    ``jax.enable_x64(True)`` for float64.
    """
    params, grads = _problem(jax.random.key(0), dtype)
    return params, jax.tree.map(lambda g: g[:steps], grads)


@functools.partial(jax.jit, static_argnums=1)
def _problem(key, dtype):
    k = jax.random.split(key, 10)
    params = {
        "scalar": jax.random.normal(k[0], (), dtype),
        "vector": jax.random.normal(k[1], (3,), dtype),
        "matrix": jax.random.normal(k[2], (2, 3), dtype),
        "nested": (
            jax.random.normal(k[3], (4,), dtype),
            {"bias": jax.random.normal(k[4], (2,), dtype)},
        ),
    }
    leaves, treedef = jax.tree.flatten(params)
    scales = (1e-3, 1.0, 10.0, 0.1, 100.0)
    grads = treedef.unflatten([
        scale * jax.random.normal(key, (STEPS, *x.shape), dtype)
        for key, x, scale in zip(k[5:], leaves, scales)
    ])
    return params, grads


@functools.partial(jax.jit, static_argnums=0)
def run(optimizers, params, grads):
    """Run several optimizers side by side on one gradient sequence (leading axis: steps).

    Returns, for each optimizer, its final parameters and its updates at every step.
    """

    def step(carry, g):
        new_carry, updates = [], []
        for optimizer, (theta, state) in zip(optimizers, carry):
            u, state = optimizer.update(g, state, theta)
            new_carry.append((apply_updates(theta, u), state))
            updates.append(u)
        return new_carry, updates

    carry = [(params, optimizer.init(params)) for optimizer in optimizers]
    carry, updates = jax.lax.scan(step, carry, grads)
    return [(theta, u) for (theta, _), u in zip(carry, updates)]


def assert_trees_close(actual, expected, rtol, atol):
    assert jax.tree.structure(actual) == jax.tree.structure(expected)
    for a, e in zip(jax.tree.leaves(actual), jax.tree.leaves(expected)):
        assert a.dtype == e.dtype
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------------------
# Parity with optax.

SCHEDULE = warmup_cosine(peak_value=0.02, warmup_steps=20, decay_steps=STEPS)

PARITY = {
    "sgd": (lambda: sgd(0.05), lambda: optax.sgd(0.05)),
    "momentum": (
        lambda: momentum(0.01, momentum=0.8),
        lambda: optax.sgd(0.01, momentum=0.8),
    ),
    "nesterov": (
        lambda: nesterov(0.01, momentum=0.8),
        lambda: optax.sgd(0.01, momentum=0.8, nesterov=True),
    ),
    # Adagrad: the book adds ε to √v, optax inside the root, 1/√(v + ε). With ε = 1e-30
    # the two agree to a relative 1e-30 / √v, far below float64's resolution; where ε
    # goes is checked against the written-out rule in test_adagrad_is_duchis_rule.
    "adagrad": (
        lambda: adagrad(0.1, initial_accumulator_value=0.1, eps=1e-30),
        lambda: optax.adagrad(0.1, initial_accumulator_value=0.1, eps=1e-30),
    ),
    "adagrad from zero": (
        lambda: adagrad(0.1, initial_accumulator_value=0.0, eps=1e-30),
        lambda: optax.adagrad(0.1, initial_accumulator_value=0.0, eps=1e-30),
    ),
    # RMSProp: optax adds ε inside the root by default; eps_in_sqrt=False is the book's
    # (and PyTorch's) ε outside. A large ε makes the difference visible if it were wrong.
    "rmsprop": (
        lambda: rmsprop(0.01, decay=0.8, eps=1e-2),
        lambda: optax.rmsprop(0.01, decay=0.8, eps=1e-2, eps_in_sqrt=False),
    ),
    # Adadelta: α ≠ 1 must scale the step taken but not the Δθ that is averaged.
    "adadelta": (
        lambda: adadelta(0.5, rho=0.8, eps=1e-4),
        lambda: optax.adadelta(0.5, rho=0.8, eps=1e-4),
    ),
    "adam": (
        lambda: adam(0.01, b1=0.8, b2=0.99, eps=1e-2),
        lambda: optax.adam(0.01, b1=0.8, b2=0.99, eps=1e-2),
    ),
    "nadam": (
        lambda: nadam(0.01, b1=0.8, b2=0.99, eps=1e-2),
        lambda: optax.nadam(0.01, b1=0.8, b2=0.99, eps=1e-2),
    ),
    # AMSGrad: the book and optax's default bias-correct m and v before the maximum; the
    # paper's Algorithm 2 does not (optax: bias_correction_mu=bias_correction_nu=False).
    "amsgrad": (
        lambda: amsgrad(0.01, b1=0.8, b2=0.99, eps=1e-2),
        lambda: optax.amsgrad(0.01, b1=0.8, b2=0.99, eps=1e-2),
    ),
    # AdamW: λ is multiplied by α in both, unlike the paper (λ times the schedule only).
    "adamw": (
        lambda: adamw(0.01, b1=0.8, b2=0.99, eps=1e-2, weight_decay=0.3),
        lambda: optax.adamw(0.01, b1=0.8, b2=0.99, eps=1e-2, weight_decay=0.3),
    ),
    "adam with a schedule": (
        lambda: adam(SCHEDULE, b1=0.8, b2=0.99),
        lambda: optax.adam(SCHEDULE, b1=0.8, b2=0.99),
    ),
    "momentum with a schedule": (
        lambda: momentum(SCHEDULE, momentum=0.9),
        lambda: optax.sgd(SCHEDULE, momentum=0.9),
    ),
    "clip, then adam": (
        lambda: chain(clip_by_global_norm(5.0), adam(0.01)),
        lambda: optax.chain(optax.clip_by_global_norm(5.0), optax.adam(0.01)),
    ),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", PARITY)
def test_equals_optax_for_200_steps(name, dtype):
    ours, reference = PARITY[name]
    with jax.enable_x64(dtype == "float64"):
        params, grads = problem(dtype)
        (theta, updates), (theta_ref, updates_ref) = run((ours(), reference()), params, grads)
        assert jax.tree.leaves(theta)[0].dtype == dtype
        rtol, atol = TOLERANCE[dtype]
        assert_trees_close(updates, updates_ref, rtol, atol)
        assert_trees_close(theta, theta_ref, rtol, atol)
    assert jnp.zeros(()).dtype == jnp.float32  # x64 stayed inside the test.


def test_parity_test_can_tell_the_forms_apart():
    """ε inside or outside the root must fail the float32 comparison, else it proves nothing."""
    params, grads = problem("float32")
    ours = rmsprop(0.01, decay=0.8, eps=1e-2)
    reference = optax.rmsprop(0.01, decay=0.8, eps=1e-2)  # ε inside the root.
    (_, updates), (_, updates_ref) = run((ours, reference), params, grads)
    with pytest.raises(AssertionError):
        assert_trees_close(updates, updates_ref, *TOLERANCE["float32"])


# ---------------------------------------------------------------------------------------
# The written-out rules of the papers, in NumPy float64.


def gradient_sequence(steps=STEPS, n=6, seed=2):
    """Gradients for a vector of n parameters, at scales from 1e-7 to 10."""
    scales = np.array([1e-7, 1e-4, 1e-2, 1.0, 10.0, 3.0])[:n]
    return scales * np.asarray(jax.random.normal(jax.random.key(seed), (steps, n), jnp.float64))


def run_vector(optimizer, grads):
    """Our updates at every step for a single vector of parameters, in float64."""
    params = jnp.zeros(grads.shape[1], jnp.float64)
    [(_, updates)] = run((optimizer,), params, jnp.asarray(grads))
    assert updates.dtype == jnp.float64
    return np.asarray(updates)


def test_adagrad_is_duchis_rule():
    """v ← v + g²;  u = −α g / (√v + ε), with v starting at 0 and ε outside the root."""
    alpha, eps = 0.1, 1e-8
    with jax.enable_x64(True):
        grads = gradient_sequence()
        updates = run_vector(adagrad(alpha, eps=eps), grads)
    v = np.zeros(grads.shape[1])
    for g, u in zip(grads, updates):
        v = v + g**2
        np.testing.assert_allclose(u, -alpha * g / (np.sqrt(v) + eps), rtol=1e-12)


def test_adam_without_momentum_is_bias_corrected_rmsprop():
    """Adam with β₁ = 0: v ← β₂v + (1 − β₂)g²;  v̂ = v / (1 − β₂ᵗ);  u = −α g / (√v̂ + ε).

    That is optax.rmsprop with ε outside the root and bias correction.
    """
    alpha, b2, eps = 0.01, 0.99, 1e-3
    with jax.enable_x64(True):
        grads = gradient_sequence()
        updates = run_vector(adam(alpha, b1=0.0, b2=b2, eps=eps), grads)
        optax_rmsprop = optax.rmsprop(
            alpha, decay=b2, eps=eps, eps_in_sqrt=False, bias_correction=True
        )
        updates_optax = run_vector(optax_rmsprop, grads)
    v = np.zeros(grads.shape[1])
    for t, (g, u) in enumerate(zip(grads, updates), start=1):
        v = b2 * v + (1 - b2) * g**2
        v_hat = v / (1 - b2**t)
        np.testing.assert_allclose(u, -alpha * g / (np.sqrt(v_hat) + eps), rtol=1e-12)
    np.testing.assert_allclose(updates, updates_optax, rtol=1e-12)


def test_amsgrad_never_lengthens_the_step_for_the_same_gradient():
    """With v̂_max nondecreasing, |u| / |m̂| = α / (√v̂_max + ε) can only shrink."""
    b1, b2, eps, alpha = 0.9, 0.99, 1e-8, 0.01
    with jax.enable_x64(True):
        grads = gradient_sequence()
        updates = run_vector(amsgrad(alpha, b1=b1, b2=b2, eps=eps), grads)
        updates_adam = run_vector(adam(alpha, b1=b1, b2=b2, eps=eps), grads)
    m = np.zeros(grads.shape[1])
    step_sizes = []
    for t, (g, u) in enumerate(zip(grads, updates), start=1):
        m = b1 * m + (1 - b1) * g
        step_sizes.append(-u / (m / (1 - b1**t)))
    step_sizes = np.array(step_sizes)
    assert np.all(step_sizes[1:] <= step_sizes[:-1] * (1 + 1e-12))
    assert not np.allclose(updates, updates_adam)  # The maximum did change something.


def quadratic(n=4, seed=3):
    """L(θ) = ½ θᵀAθ with A symmetric positive definite, eigenvalues from 0.5 to 10."""
    q, _ = np.linalg.qr(np.asarray(jax.random.normal(jax.random.key(seed), (n, n)), np.float64))
    return q @ np.diag(np.linspace(0.5, 10.0, n)) @ q.T


def trajectory(optimizer, A, theta0, steps=100):
    """θ₀, θ₁, … of our optimizer on L(θ) = ½ θᵀAθ, whose gradient is Aθ."""
    A = jnp.asarray(A)

    @jax.jit
    def go(theta0):
        def step(carry, _):
            theta, state = carry
            updates, state = optimizer.update(A @ theta, state, theta)
            theta = apply_updates(theta, updates)
            return (theta, state), theta

        _, thetas = jax.lax.scan(step, (theta0, optimizer.init(theta0)), None, length=steps)
        return thetas

    return np.concatenate([theta0[None], np.asarray(go(jnp.asarray(theta0)))])


def test_momentum_is_polyaks_heavy_ball():
    """θ_{t+1} = θ_t − α∇L(θ_t) + β(θ_t − θ_{t−1})."""
    alpha, beta = 0.05, 0.8
    A, theta0 = quadratic(), np.array([1.0, -2.0, 0.5, 3.0])
    with jax.enable_x64(True):
        thetas = trajectory(momentum(alpha, momentum=beta), A, theta0)
    previous, theta = theta0, theta0
    for expected_next in thetas[1:]:
        previous, theta = theta, theta - alpha * A @ theta + beta * (theta - previous)
        np.testing.assert_allclose(expected_next, theta, rtol=1e-10, atol=1e-12)
    assert np.linalg.norm(thetas[-1]) < 1e-3 * np.linalg.norm(theta0)  # It converged.


def test_nesterov_is_sutskevers_look_ahead_form():
    """v' ← βv' − α∇L(θ' + βv');  θ' ← θ' + v'.  Ours follows the look-ahead point θ' + βv'."""
    alpha, beta = 0.05, 0.8
    A, theta0 = quadratic(), np.array([1.0, -2.0, 0.5, 3.0])
    with jax.enable_x64(True):
        thetas = trajectory(nesterov(alpha, momentum=beta), A, theta0)
    theta, v = theta0, np.zeros_like(theta0)
    for ours in thetas[1:]:
        v = beta * v - alpha * A @ (theta + beta * v)
        theta = theta + v
        np.testing.assert_allclose(ours, theta + beta * v, rtol=1e-10, atol=1e-12)


def test_newton_preconditioner_solves_a_quadratic_in_one_step():
    A, theta0 = quadratic(), np.array([1.0, -2.0, 0.5, 3.0])
    with jax.enable_x64(True):
        thetas = trajectory(precondition(np.linalg.inv(A)), A, theta0, steps=1)
    np.testing.assert_allclose(thetas[1], np.zeros(4), atol=1e-12)


def test_preconditioner_acts_on_the_flattened_pytree():
    """u = −α P g on the vector ravel_pytree(g), for a P that is not symmetric; P = I is sgd."""
    params, grads = problem("float32", steps=5)
    n = ravel_pytree(params)[0].size
    P = jax.random.normal(jax.random.key(4), (n, n))
    [(_, updates), (_, updates_sgd)] = run(
        (precondition(P, learning_rate=0.1), sgd(0.1)), params, grads
    )
    for t in range(5):
        g = np.asarray(ravel_pytree(jax.tree.map(lambda g: g[t], grads))[0], np.float64)
        u = ravel_pytree(jax.tree.map(lambda u: u[t], updates))[0]
        np.testing.assert_allclose(u, -0.1 * np.asarray(P, np.float64) @ g, rtol=1e-5, atol=1e-4)
    [(_, updates_identity)] = run((precondition(jnp.eye(n), learning_rate=0.1),), params, grads)
    assert_trees_close(updates_identity, updates_sgd, rtol=1e-6, atol=0)


# ---------------------------------------------------------------------------------------
# Equivalences between the optimizers.


@pytest.mark.parametrize("with_momentum", [momentum, nesterov])
def test_zero_momentum_is_sgd(with_momentum):
    params, grads = problem("float32", steps=20)
    [(theta, updates), (theta_sgd, updates_sgd)] = run(
        (with_momentum(0.1, momentum=0.0), sgd(0.1)), params, grads
    )
    assert_trees_close(updates, updates_sgd, rtol=0, atol=0)
    assert_trees_close(theta, theta_sgd, rtol=0, atol=0)


def test_adamw_without_weight_decay_is_adam():
    params, grads = problem("float32", steps=20)
    [(theta, updates), (theta_adam, updates_adam)] = run(
        (adamw(0.01, weight_decay=0.0), adam(0.01)), params, grads
    )
    assert_trees_close(updates, updates_adam, *TOLERANCE["float32"])
    assert_trees_close(theta, theta_adam, *TOLERANCE["float32"])


def test_adamw_needs_the_parameters():
    optimizer = adamw(0.01)
    params = jnp.ones(2)
    with pytest.raises(ValueError, match="adamw: update needs the parameters"):
        optimizer.update(jnp.ones(2), optimizer.init(params))


def test_clipping_caps_the_global_norm_and_keeps_the_direction():
    optimizer = chain(clip_by_global_norm(1.0), sgd(0.1))
    params = {"a": jnp.zeros(2), "b": (jnp.zeros(()),)}
    state = optimizer.init(params)
    large = {"a": jnp.array([3.0, 0.0]), "b": (jnp.array(4.0),)}  # ‖g‖ = 5.
    updates, state = optimizer.update(large, state)
    np.testing.assert_allclose(updates["a"], [-0.06, 0.0], rtol=1e-6)
    np.testing.assert_allclose(updates["b"][0], -0.08, rtol=1e-6)
    small = {"a": jnp.array([0.3, 0.0]), "b": (jnp.array(0.4),)}  # ‖g‖ = 0.5: untouched.
    updates, state = optimizer.update(small, state)
    np.testing.assert_allclose(updates["a"], [-0.03, 0.0], rtol=1e-6)
    np.testing.assert_allclose(updates["b"][0], -0.04, rtol=1e-6)
    assert isinstance(state, tuple) and state[1].count == 2
    zero = jax.tree.map(jnp.zeros_like, small)  # ‖g‖ = 0: zero, not 0/0.
    updates, state = optimizer.update(zero, state)
    assert all(np.all(u == 0) for u in jax.tree.leaves(updates))


def test_a_schedule_sets_the_learning_rate_at_each_step():
    schedule = exponential_decay(init_value=0.5, decay_rate=0.9)
    optimizer = sgd(schedule)
    state = optimizer.init(jnp.zeros(2))
    g = jnp.array([1.0, -2.0])
    for t in range(10):
        updates, state = optimizer.update(g, state)
        np.testing.assert_allclose(updates, -0.5 * 0.9**t * g, rtol=1e-6)
    assert state.count == 10


# ---------------------------------------------------------------------------------------
# The interface: states, defaults, traced hyperparameters, NaN.

EVERY_OPTIMIZER = {  # name: (factory, its hyperparameters, its state type)
    "sgd": (sgd, dict(learning_rate=0.1), SGDState),
    "momentum": (momentum, dict(learning_rate=0.1, momentum=0.8), MomentumState),
    "nesterov": (nesterov, dict(learning_rate=0.1, momentum=0.8), NesterovState),
    "adagrad": (
        adagrad, dict(learning_rate=0.1, initial_accumulator_value=0.1, eps=1e-6), AdagradState
    ),
    "rmsprop": (rmsprop, dict(learning_rate=0.1, decay=0.8, eps=1e-6), RMSPropState),
    "adadelta": (adadelta, dict(learning_rate=0.5, rho=0.8, eps=1e-5), AdadeltaState),
    "adam": (adam, dict(learning_rate=0.1, b1=0.8, b2=0.99, eps=1e-6), AdamState),
    "nadam": (nadam, dict(learning_rate=0.1, b1=0.8, b2=0.99, eps=1e-6), NadamState),
    "amsgrad": (amsgrad, dict(learning_rate=0.1, b1=0.8, b2=0.99, eps=1e-6), AMSGradState),
    "adamw": (
        adamw, dict(learning_rate=0.1, b1=0.8, b2=0.99, eps=1e-6, weight_decay=0.1), AdamWState
    ),
    "precondition": (
        precondition, dict(P=jnp.diag(jnp.arange(1.0, 4.0)), learning_rate=0.1), PreconditionState
    ),
}


def three_steps(optimizer, params=jnp.array([1.0, -2.0, 3.0])):
    state = optimizer.init(params)
    all_updates = []
    for g in ([0.5, -1.0, 2.0], [0.1, 0.3, -0.2], [1.0, 1.0, 1.0]):
        updates, state = optimizer.update(jnp.array(g), state, params)
        params = apply_updates(params, updates)
        all_updates.append(updates)
    return jnp.stack(all_updates), state


@pytest.mark.parametrize("name", EVERY_OPTIMIZER)
def test_state_is_the_optimizers_own_and_counts_steps(name):
    factory, hyperparameters, state_type = EVERY_OPTIMIZER[name]
    _, state = three_steps(factory(**hyperparameters))
    assert type(state) is state_type
    assert state.count == 3 and state.count.dtype == jnp.int32


@pytest.mark.parametrize("name", EVERY_OPTIMIZER)
def test_hyperparameters_may_be_traced_under_jit(name):
    factory, hyperparameters, _ = EVERY_OPTIMIZER[name]
    traces = []

    @jax.jit
    def traced(hyperparameters):
        traces.append(hyperparameters)
        for value in jax.tree.leaves(hyperparameters):
            assert isinstance(value, jax.core.Tracer)
        return three_steps(factory(**hyperparameters))[0]

    expected, _ = three_steps(factory(**hyperparameters))
    np.testing.assert_allclose(traced(hyperparameters), expected, rtol=1e-5)
    moved = {k: v * 0.99 for k, v in hyperparameters.items()}  # A slider moves:
    assert not np.allclose(traced(moved), expected)
    assert len(traces) == 1  # no recompilation.


@pytest.mark.parametrize("name", EVERY_OPTIMIZER)
def test_nan_gradients_give_nan_updates_without_raising(name):
    factory, hyperparameters, _ = EVERY_OPTIMIZER[name]
    optimizer = factory(**hyperparameters)
    params = jnp.array([1.0, -2.0, 3.0])
    state = optimizer.init(params)
    updates, state = optimizer.update(jnp.array([0.5, -1.0, 2.0]), state, params)
    assert np.all(np.isfinite(updates))
    updates, state = optimizer.update(jnp.full(3, jnp.nan), state, params)
    assert np.all(np.isnan(updates))


def test_clipping_passes_nan_on():
    clip = clip_by_global_norm(1.0)
    clipped, _ = clip.update(jnp.array([jnp.nan, 1.0]), clip.init(jnp.zeros(2)))
    assert np.all(np.isnan(clipped))


PAPER_DEFAULTS = {
    momentum: dict(momentum=0.9),
    nesterov: dict(momentum=0.9),
    adagrad: dict(initial_accumulator_value=0.0, eps=1e-8),
    rmsprop: dict(decay=0.9, eps=1e-8),
    adadelta: dict(learning_rate=1.0, rho=0.95, eps=1e-6),
    adam: dict(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8),
    nadam: dict(b1=0.9, b2=0.999, eps=1e-8),
    amsgrad: dict(b1=0.9, b2=0.999, eps=1e-8),
    adamw: dict(b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-4),
    precondition: dict(learning_rate=1.0),
}


@pytest.mark.parametrize("factory", PAPER_DEFAULTS, ids=lambda f: f.__name__)
def test_defaults_are_the_papers(factory):
    parameters = inspect.signature(factory).parameters
    defaults = {name: p.default for name, p in parameters.items() if p.default is not p.empty}
    assert defaults == PAPER_DEFAULTS[factory]


def test_docstring_examples_run():
    result = doctest.testmod(descent.optimizers)
    assert result.attempted >= 76 and result.failed == 0, result


def test_a_step_keeps_each_parameters_dtype():
    """Mixed precision: float32 updates on bfloat16 or float16 weights leave them so."""
    params = {"w": jnp.array([1.0, -2.0, 3.0], jnp.bfloat16),
              "h": jnp.array([0.5, 0.25], jnp.float16),
              "b": jnp.array(0.75, jnp.float32)}
    updates = jax.tree.map(lambda p: jnp.full(p.shape, 0.125, jnp.float32), params)
    new = apply_updates(params, updates)
    assert jax.tree.map(lambda a: a.dtype, new) == jax.tree.map(lambda a: a.dtype, params)
    assert_trees_close(new, optax.apply_updates(params, updates), rtol=0, atol=0)
    np.testing.assert_array_equal(np.asarray(new["w"], np.float32), [1.125, -1.875, 3.125])
    # The same through an optimizer: float32 gradients, bfloat16 weights, three steps of Adam.
    optimizer, theta = adam(0.1), params
    state = optimizer.init(theta)
    for _ in range(3):
        u, state = optimizer.update(updates, state, theta)
        theta = apply_updates(theta, u)
    assert theta["w"].dtype == jnp.bfloat16 and theta["h"].dtype == jnp.float16


# ---------------------------------------------------------------------------------------
# Bad hyperparameters: a ValueError naming the argument, its value and the allowed range.

nan, inf = float("nan"), float("inf")

INVALID = [
    (lambda: sgd(-0.1), "sgd: learning_rate must be in [0, inf), got -0.1"),
    (lambda: sgd(nan), "sgd: learning_rate must be in [0, inf), got nan"),
    (lambda: sgd(inf), "sgd: learning_rate must be in [0, inf), got inf"),
    (lambda: sgd(jnp.array(-1.0)), "sgd: learning_rate must be in [0, inf), got -1.0"),
    (lambda: momentum(0.1, momentum=1.0), "momentum: momentum must be in [0, 1), got 1.0"),
    (lambda: momentum(0.1, momentum=-0.5), "momentum: momentum must be in [0, 1), got -0.5"),
    (lambda: momentum(-1.0), "momentum: learning_rate must be in [0, inf), got -1.0"),
    (lambda: nesterov(0.1, momentum=1.5), "nesterov: momentum must be in [0, 1), got 1.5"),
    (lambda: adagrad(0.1, eps=0.0), "adagrad: eps must be in (0, inf), got 0.0"),
    (lambda: adagrad(0.1, initial_accumulator_value=-1.0),
     "adagrad: initial_accumulator_value must be in [0, inf), got -1.0"),
    (lambda: rmsprop(0.1, decay=1.0), "rmsprop: decay must be in [0, 1), got 1.0"),
    (lambda: rmsprop(0.1, eps=-1e-8), "rmsprop: eps must be in (0, inf), got -1e-08"),
    (lambda: adadelta(rho=1.2), "adadelta: rho must be in [0, 1), got 1.2"),
    (lambda: adadelta(eps=0), "adadelta: eps must be in (0, inf), got 0"),
    (lambda: adadelta(learning_rate=nan), "adadelta: learning_rate must be in [0, inf), got nan"),
    (lambda: adam(b1=1.2), "adam: b1 must be in [0, 1), got 1.2"),
    (lambda: adam(b2=1.0), "adam: b2 must be in [0, 1), got 1.0"),
    (lambda: adam(b1=nan), "adam: b1 must be in [0, 1), got nan"),
    (lambda: adam(eps=0.0), "adam: eps must be in (0, inf), got 0.0"),
    (lambda: adam(learning_rate=-1e-3), "adam: learning_rate must be in [0, inf), got -0.001"),
    (lambda: nadam(0.1, b1=-0.1), "nadam: b1 must be in [0, 1), got -0.1"),
    (lambda: nadam(0.1, b2=2.0), "nadam: b2 must be in [0, 1), got 2.0"),
    (lambda: amsgrad(0.1, b2=1.0), "amsgrad: b2 must be in [0, 1), got 1.0"),
    (lambda: amsgrad(0.1, eps=0.0), "amsgrad: eps must be in (0, inf), got 0.0"),
    (lambda: adamw(0.1, weight_decay=-1e-4),
     "adamw: weight_decay must be in [0, inf), got -0.0001"),
    (lambda: adamw(0.1, b1=1.0), "adamw: b1 must be in [0, 1), got 1.0"),
    (lambda: clip_by_global_norm(0.0),
     "clip_by_global_norm: max_norm must be in (0, inf), got 0.0"),
    (lambda: clip_by_global_norm(-1.0),
     "clip_by_global_norm: max_norm must be in (0, inf), got -1.0"),
    (lambda: precondition(np.array([[1.0, nan], [0.0, 1.0]])),
     "precondition: P must be in (-inf, inf)"),
    (lambda: precondition(np.ones(3)),
     "precondition: P must be a square n × n matrix, got shape (3,)"),
    (lambda: precondition(np.ones((2, 3))),
     "precondition: P must be a square n × n matrix, got shape (2, 3)"),
    (lambda: precondition(np.eye(2), learning_rate=-1.0),
     "precondition: learning_rate must be in [0, inf), got -1.0"),
    (lambda: precondition(np.eye(2)).init({"w": jnp.ones(2), "b": jnp.ones(())}),
     "precondition: P must have shape (3, 3) for parameters with 3 numbers, got (2, 2)"),
]


@pytest.mark.parametrize("build, message", INVALID, ids=[message for _, message in INVALID])
def test_invalid_hyperparameters_are_named_in_the_error(build, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build()


def test_a_learning_rate_that_is_not_a_number_is_a_type_error():
    with pytest.raises(TypeError, match="adam: learning_rate must be a number, got 'fast'"):
        adam(learning_rate="fast")


def test_the_edges_of_the_ranges_are_allowed():
    sgd(0.0), momentum(0.0, momentum=0.0), adam(0.0, b1=0.0, b2=0.0), adamw(0.1, weight_decay=0.0)
    adagrad(0.1, initial_accumulator_value=0.0), rmsprop(0.1, decay=0.0), adadelta(rho=0.0)


# ---------------------------------------------------------------------------------------
# Properties over the ranges of the book's sliders.

SLIDERS = dict(
    learning_rate=st.floats(1e-4, 10.0),
    beta=st.floats(0.0, 0.999),
    b2=st.floats(0.9, 0.9999),
    grads=st.lists(st.floats(-1e3, 1e3, width=32), min_size=4, max_size=4),
)

ALONGSIDE_OPTAX = {  # name: (ours, optax's), both as functions of (α, β, β₂).
    "sgd": (lambda a, b, b2: sgd(a), lambda a, b, b2: optax.sgd(a)),
    "momentum": (lambda a, b, b2: momentum(a, b), lambda a, b, b2: optax.sgd(a, momentum=b)),
    "nesterov": (
        lambda a, b, b2: nesterov(a, b),
        lambda a, b, b2: optax.sgd(a, momentum=b, nesterov=True),
    ),
    "rmsprop": (  # A decay rate is a slider like β₂'s; ε outside the root, as in the book.
        lambda a, b, b2: rmsprop(a, b2),
        lambda a, b, b2: optax.rmsprop(a, b2, eps_in_sqrt=False),
    ),
    "adam": (lambda a, b, b2: adam(a, b, b2), lambda a, b, b2: optax.adam(a, b, b2)),
    "nadam": (lambda a, b, b2: nadam(a, b, b2), lambda a, b, b2: optax.nadam(a, b, b2)),
    "amsgrad": (lambda a, b, b2: amsgrad(a, b, b2), lambda a, b, b2: optax.amsgrad(a, b, b2)),
    "adamw": (lambda a, b, b2: adamw(a, b, b2), lambda a, b, b2: optax.adamw(a, b, b2)),
}


@pytest.mark.parametrize("name", ALONGSIDE_OPTAX)
@settings(max_examples=15, deadline=None, database=None)
@given(**SLIDERS)
def test_slider_values_give_finite_updates_equal_to_optax(name, learning_rate, beta, b2, grads):
    ours, reference = (make(learning_rate, beta, b2) for make in ALONGSIDE_OPTAX[name])
    params = jnp.array([1.0, -1.0, 0.5, 0.0])
    g = jnp.array(grads, jnp.float32)
    state, state_ref = ours.init(params), reference.init(params)
    for _ in range(2):  # Two steps, so that momentum and the moments come into play.
        updates, state = ours.update(g, state, params)
        updates_ref, state_ref = reference.update(g, state_ref, params)
        assert np.all(np.isfinite(updates))
        np.testing.assert_allclose(updates, updates_ref, rtol=2e-5, atol=1e-6 * learning_rate)
