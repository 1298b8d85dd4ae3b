"""The runner: one compilation per optimizer, NaNs reported not raised, the same steps as a
plain Python loop, reproducible minibatches, and every optimizer reaching the minima."""

from __future__ import annotations

import doctest

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import descent.optimizers as opt
import descent.runner
from descent.problems import (
    Batch,
    Problem,
    beale,
    mlp_classifier,
    quadratic,
    rosenbrock,
    soft_label_classifier,
)
from descent.runner import batch_indices, run, train


def counting(factory):
    """``factory``, and the list of the hyperparameters of each time it was traced."""
    traces = []

    def build(**hyperparameters):
        if any(isinstance(v, jax.core.Tracer) for v in hyperparameters.values()):
            traces.append(hyperparameters)
        return factory(**hyperparameters)

    return build, traces


def python_loop(loss, optimizer, params, steps, batches=None):
    """The trusted reference: the optimizer stepped in a Python loop, one step at a time."""

    @jax.jit  # Only the step is compiled, to keep the test fast; the loop is Python's.
    def step(params, state, *batch):
        value, grads = jax.value_and_grad(loss)(params, *batch)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, value

    state = optimizer.init(params)
    trajectory, losses = [params], []
    for t in range(steps):
        params, state, value = step(params, state, *([] if batches is None else [batches[t]]))
        trajectory.append(params)
        losses.append(value)
    return trajectory, losses


def test_doctests():
    result = doctest.testmod(descent.runner)
    assert result.attempted >= 6 and result.failed == 0, result


# ---------------------------------------------------------------------------------------
# Compilation.


def test_new_hyperparameters_do_not_recompile():
    problem = quadratic((1.0, 6.0), angle=np.pi / 16)
    adam, traces = counting(opt.adam)
    finals = set()
    for learning_rate in (0.01, 0.05, 0.1, 0.3):
        for b1 in (0.0, 0.5, 0.9):
            result = run(problem, adam, steps=30, learning_rate=learning_rate, b1=b1)
            finals.add(tuple(np.asarray(result.trajectory[-1]).tolist()))
    assert len(traces) == 1  # Traced, so compiled, exactly once for 12 runs.
    assert len(finals) == 12  # And each run used its own hyperparameters.

    # A new start, or a quadratic with new eigenvalues, reuses the same compiled loop.
    run(problem, adam, steps=30, init=(1.0, 2.0), learning_rate=0.1, b1=0.9)
    run(quadratic((2.0, 3.0), angle=0.5), adam, steps=30, learning_rate=0.1, b1=0.9)
    run(problem, adam, steps=30, learning_rate=np.float32(0.1), b1=np.float64(0.9))
    assert len(traces) == 1
    # A new number of steps is a new loop: the counter does see compilations.
    run(problem, adam, steps=31, learning_rate=0.1, b1=0.9)
    assert len(traces) == 2


def test_new_hyperparameters_do_not_recompile_training():
    problem, data = linear_regression()
    sgd, traces = counting(opt.sgd)
    key = jax.random.key(0)
    losses = {float(train(problem, sgd, data, 10, 12, key, learning_rate=a).losses[-1])
              for a in (0.01, 0.02, 0.05)}
    assert len(traces) == 1 and len(losses) == 3


# ---------------------------------------------------------------------------------------
# Ways to name an optimizer.


def test_name_factory_optax_and_built_optimizer_agree():
    problem = rosenbrock()
    by_name = run(problem, "adam", steps=100, learning_rate=0.01, b1=0.8)
    by_factory = run(problem, opt.adam, steps=100, learning_rate=0.01, b1=0.8)
    built = run(problem, opt.adam(learning_rate=0.01, b1=0.8), steps=100)
    by_optax = run(problem, optax.adam, steps=100, learning_rate=0.01, b1=0.8)
    np.testing.assert_array_equal(by_name.trajectory, by_factory.trajectory)
    np.testing.assert_allclose(built.trajectory, by_factory.trajectory, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(by_optax.trajectory, by_factory.trajectory, rtol=1e-5, atol=1e-5)


def test_non_numeric_hyperparameters_are_fixed_at_compile_time():
    problem = beale()
    optax_nesterov = run(problem, optax.sgd, 200, learning_rate=0.004, momentum=0.9, nesterov=True)
    book_nesterov = run(problem, "nesterov", 200, learning_rate=0.004, momentum=0.9)
    np.testing.assert_allclose(optax_nesterov.trajectory, book_nesterov.trajectory,
                               rtol=1e-5, atol=1e-5)
    schedule = optax.exponential_decay(0.01, transition_steps=10, decay_rate=0.5)
    scheduled = run(problem, "sgd", 100, learning_rate=schedule)
    constant = run(problem, "sgd", 100, learning_rate=0.01)
    assert not np.allclose(scheduled.trajectory[-1], constant.trajectory[-1])


def test_bad_arguments_raise_by_name():
    problem = quadratic((1.0, 6.0))
    with pytest.raises(ValueError, match="b1"):
        run(problem, "adam", steps=10, learning_rate=0.1, b1=1.5)
    with pytest.raises(ValueError, match="no optimizer named 'adams'"):
        run(problem, "adams", steps=10, learning_rate=0.1)
    with pytest.raises(TypeError, match="already built"):
        run(problem, opt.adam(0.1), steps=10, learning_rate=0.1)
    with pytest.raises(ValueError, match="steps"):
        run(problem, "sgd", steps=-1, learning_rate=0.1)
    with pytest.raises(ValueError, match="init"):
        run(problem, "sgd", steps=10, init=(np.nan, 0.0), learning_rate=0.1)
    problem, data = linear_regression()
    with pytest.raises(ValueError, match="batch_size"):
        train(problem, "sgd", data, 10, 1000, jax.random.key(0), learning_rate=0.1)


# ---------------------------------------------------------------------------------------
# The same steps as a Python loop.


@pytest.mark.parametrize(
    "problem, factory, hyperparameters",
    [
        (rosenbrock(), optax.adam, {"learning_rate": 0.01}),
        (beale(), opt.momentum, {"learning_rate": 0.002, "momentum": 0.9}),
        (quadratic((1.0, 6.0), angle=0.3), opt.rmsprop, {"learning_rate": 0.1}),
        (soft_label_classifier((0.3, 0.7), x=(1.0, 2.0)), opt.adagrad, {"learning_rate": 0.5}),
    ],
    ids=["rosenbrock-optax.adam", "beale-momentum", "quadratic-rmsprop", "soft-label-adagrad"],
)
def test_trajectory_matches_a_python_loop(problem, factory, hyperparameters):
    steps = 40
    result = run(problem, factory, steps, **hyperparameters)
    trajectory, losses = python_loop(problem.loss, factory(**hyperparameters), problem.init, steps)
    for t in (0, 1, 2, 10, steps):
        jax.tree.map(lambda a, b: np.testing.assert_allclose(a[t], b, rtol=2e-5, atol=1e-6),
                     result.trajectory, trajectory[t])
    np.testing.assert_allclose(result.losses[:-1], losses, rtol=2e-5, atol=1e-6)
    last = float(problem.loss(trajectory[-1]))
    assert result.losses[-1] == pytest.approx(last, rel=2e-5, abs=1e-6)
    assert result.diverged_at is None


# ---------------------------------------------------------------------------------------
# Divergence.


def test_huge_learning_rate_reports_divergence_without_raising():
    problem = quadratic((1.0, 6.0), angle=np.pi / 16)
    result = run(problem, "sgd", steps=100, learning_rate=1e4)
    d = result.diverged_at
    assert d is not None and 1 <= d < 20
    assert np.all(np.isfinite(result.trajectory[:d])) and np.all(np.isfinite(result.losses[:d]))
    assert np.all(np.isnan(result.trajectory[d:])) and np.all(np.isnan(result.losses[d:]))
    assert np.all(np.diff(result.losses[:d]) > 0)  # The loss exploded on the way.
    # An adaptive method at a huge step size too.
    assert run(problem, "adam", steps=100, learning_rate=1e30).diverged_at is not None


def test_nan_gradient_at_a_finite_point_is_reported():
    # L = ‖θ‖² while θ₀ > 1, and NaN (√ of a negative) once gradient descent takes θ₀
    # below 1.
    loss = lambda theta: jnp.sum(theta**2) + 0.0 * jnp.sqrt(theta[0] - 1.0)  # noqa: E731
    problem = Problem(name="NaN below 1", loss=loss, init=jnp.array([3.0, 1.0]), minimum=None)
    result = run(problem, "sgd", steps=20, learning_rate=0.1)
    # θ₀ ← 0.8 θ₀: 3, 2.4, 1.92, 1.536, 1.2288, 0.98…: the loss is NaN at step 5.
    assert result.diverged_at == 5
    np.testing.assert_allclose(result.trajectory[:5, 0], 3.0 * 0.8 ** np.arange(5), rtol=1e-6)


def nan_below_one(theta):
    """‖θ‖², and NaN (0 · √ of a negative) once θ₀ < 1."""
    return jnp.sum(theta**2) + 0.0 * jnp.sqrt(theta[0] - 1.0)


@pytest.mark.parametrize("what", ["L(θ_T) is NaN", "θ_T overflows"])
def test_divergence_at_the_last_step_is_reported(what):
    if what == "L(θ_T) is NaN":
        # θ₀ ← 0.8 θ₀ from 3: θ₅ = 0.98… is finite, but the loss there is NaN.
        problem = Problem(name="NaN below 1", loss=nan_below_one, init=jnp.array([3.0, 1.0]),
                          minimum=None)
        steps, learning_rate = 5, 0.1
    else:
        # L(θ) = −θ: θ_t = t · 1e38, and θ₄ = 4e38 overflows float32.
        problem = Problem(name="downhill forever", loss=lambda theta: -theta,
                          init=jnp.zeros(()), minimum=None)
        steps, learning_rate = 4, 1e38
    result = run(problem, "sgd", steps=steps, learning_rate=learning_rate)
    assert result.diverged_at == steps  # The last point, T, is the first bad one.
    assert np.all(np.isfinite(result.trajectory[:steps]))
    assert np.all(np.isfinite(result.losses[:steps]))
    assert np.all(np.isnan(result.trajectory[steps])) and np.isnan(result.losses[steps])
    # One step fewer, and nothing diverged.
    assert run(problem, "sgd", steps=steps - 1, learning_rate=learning_rate).diverged_at is None


def test_converging_run_reports_no_divergence_and_consistent_losses():
    problem = rosenbrock()
    result = run(problem, "momentum", steps=300, learning_rate=0.002, momentum=0.9)
    assert result.diverged_at is None
    assert result.trajectory.shape == (301, 2) and result.losses.shape == (301,)
    np.testing.assert_allclose(result.trajectory[0], problem.init)
    np.testing.assert_allclose(result.losses, jax.vmap(problem.loss)(result.trajectory), rtol=1e-5)


# ---------------------------------------------------------------------------------------
# Minibatches.


def linear_regression(n=60, seed=0):
    """A least-squares problem with ``n`` examples, trained on minibatches."""
    rng = np.random.default_rng(seed)
    inputs = rng.normal(size=(n, 3)).astype(np.float32)
    targets = inputs @ rng.normal(size=3).astype(np.float32)

    def loss(params, batch):
        inputs, targets = batch
        return jnp.mean((inputs @ params["w"] + params["b"] - targets) ** 2)

    problem = Problem(name="least squares", loss=loss,
                      init={"w": jnp.zeros(3), "b": jnp.zeros(())}, minimum=None)
    return problem, (inputs, targets)


def test_batch_indices_are_reproducible_and_visit_every_example_once_per_epoch():
    first = batch_indices(jax.random.key(0), n=60, steps=10, batch_size=12)
    again = batch_indices(jax.random.key(0), n=60, steps=10, batch_size=12)
    other = batch_indices(jax.random.key(1), n=60, steps=10, batch_size=12)
    assert first.shape == (10, 12)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    epochs = np.asarray(first).reshape(2, 60)  # 10 batches of 12 are two epochs of 60.
    for epoch in epochs:
        np.testing.assert_array_equal(np.sort(epoch), np.arange(60))
    assert not np.array_equal(epochs[0], epochs[1])  # A fresh order each epoch.


def test_training_is_reproducible_from_its_key_and_matches_a_python_loop():
    problem, data = linear_regression()
    steps, batch_size = 10, 12  # The shapes of the test above: its compiled code is reused.
    result = train(problem, "momentum", data, steps, batch_size, jax.random.key(3),
                   learning_rate=0.05, momentum=0.5)
    again = train(problem, "momentum", data, steps, batch_size, jax.random.key(3),
                  learning_rate=0.05, momentum=0.5)
    other = train(problem, "momentum", data, steps, batch_size, jax.random.key(4),
                  learning_rate=0.05, momentum=0.5)
    np.testing.assert_array_equal(result.losses, again.losses)
    assert not np.allclose(result.losses, other.losses)
    assert result.losses.shape == (steps,) and result.gradient_norms.shape == (steps,)

    indices = batch_indices(jax.random.key(3), len(data[0]), steps, batch_size)
    batches = [jax.tree.map(lambda a: a[i], data) for i in indices]
    trajectory, losses = python_loop(problem.loss, opt.momentum(0.05, 0.5), problem.init, steps,
                                     batches)
    np.testing.assert_allclose(result.losses, losses, rtol=1e-5, atol=1e-8)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
                 result.params, trajectory[-1])
    grads = jax.grad(problem.loss)(trajectory[7], batches[7])
    norm = np.sqrt(sum(np.sum(np.square(g)) for g in jax.tree.leaves(grads)))
    np.testing.assert_allclose(result.gradient_norms[7], norm, rtol=1e-5)


def test_training_at_a_huge_learning_rate_reports_divergence():
    problem, data = linear_regression()
    result = train(problem, "sgd", data, 200, 16, jax.random.key(0), learning_rate=1e3)
    d = result.diverged_at
    assert d is not None and np.all(np.isnan(result.losses[d:]))
    assert np.all(np.isfinite(result.losses[:d]))
    assert all(np.all(np.isfinite(leaf)) for leaf in jax.tree.leaves(result.params))


@pytest.mark.parametrize("steps", [10, 4], ids=["overflow-midway", "overflow-at-the-last-step"])
def test_training_stops_at_the_last_finite_parameters(steps):
    # L(θ) = −θ is unbounded below: each step adds α = 1e38, and θ₄ = 4e38 overflows
    # float32. With 4 steps that is the last one: the parameters returned are θ₃, so
    # diverged_at must still say that θ₄ was not finite.
    _, data = linear_regression()
    problem = Problem(name="downhill forever", loss=lambda params, batch: -params,
                      init=jnp.zeros(()), minimum=None)
    result = train(problem, "sgd", data, steps, 12, jax.random.key(0), learning_rate=1e38)
    assert result.diverged_at == 4
    assert float(result.params) == pytest.approx(3e38)
    assert len(result.losses) == steps
    np.testing.assert_allclose(result.losses[:4], [0.0, -1e38, -2e38, -3e38])


def test_divergence_in_training_is_final():
    # One example of the sixty is NaN, so the loss of the one batch per epoch that holds
    # it is NaN. The batches after it are finite: a run that diverged must not resume on
    # them, with finite losses after diverged_at and parameters moving again.
    problem, (inputs, targets) = linear_regression()
    key, steps, batch_size = jax.random.key(0), 10, 12
    indices = np.asarray(batch_indices(key, 60, steps, batch_size))
    inputs = inputs.copy()
    inputs[indices[2, 0]] = np.nan  # In batch 2, and in one batch of the second epoch.
    data = (inputs, targets)
    result = train(problem, "sgd", data, steps, batch_size, key, learning_rate=0.05)
    assert result.diverged_at == 2
    assert np.all(np.isfinite(result.losses[:2])) and np.all(np.isfinite(result.gradient_norms[:2]))
    assert np.all(np.isnan(result.losses[2:])), result.losses
    assert np.all(np.isnan(result.gradient_norms[2:])), result.gradient_norms
    # The parameters are those before the bad batch: θ₂, after the two good steps.
    batches = [jax.tree.map(lambda a: a[i], data) for i in indices[:2]]
    trajectory, _ = python_loop(problem.loss, opt.sgd(0.05), problem.init, 2, batches)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7),
                 result.params, trajectory[-1])


def test_mlp_trains_on_fashion_mnist():
    problem = mlp_classifier(hidden=(32,), key=jax.random.key(0))
    result = train(problem, "adam", problem.train_data, steps=100, batch_size=128,
                   key=jax.random.key(1), learning_rate=3e-3)
    assert result.diverged_at is None
    assert np.mean(result.losses[-20:]) < 0.5 * np.mean(result.losses[:5])
    assert np.all(result.gradient_norms > 0)
    assert float(problem.accuracy(result.params, problem.test_data)) > 0.75
    assert isinstance(problem.test_data, Batch)


# ---------------------------------------------------------------------------------------
# Every optimizer reaches the minimum of the quadratic, Rosenbrock and Beale.
#
# The hyperparameters were tuned on a coarse grid and checked to work from 0.8 to 1.25
# times the learning rate. Steps: 2000 on the quadratic (eigenvalues 1 and 6, angle π/16,
# from (9.5, −1)), 20 000 on Rosenbrock (from (−1.2, 1)), 5000 on Beale (from (1, 1.5)).
# The test: every one of the last 10 % of the steps is within the tolerance of θ*.
#
# optimizer | quadratic          | Rosenbrock            | Beale               | tolerance
# ----------|--------------------|-----------------------|---------------------|----------
# sgd       | α = 0.25           | α = 0.0015            | α = 0.025           | 1e-3
# momentum  | α = 0.01,  β = 0.9 | α = 0.002, β = 0.9    | α = 0.004, β = 0.9  | 1e-3
# nesterov  | α = 0.15,  β = 0.9 | α = 0.001, β = 0.9    | α = 0.004, β = 0.9  | 1e-3
# adagrad   | α = 1              | α = 0.6               | α = 1               | 1e-3
# rmsprop   | α = 0.01           | α = 0.001             | α = 0.001           | 1e-2 (a)
# adadelta  | α = 0.25, ε = 1e-3 | α = 0.0015, ε = 1e-3  | α = 0.025, ε = 1e-3 | 1e-2 (b)
# adam      | α = 0.4            | α = 0.002, β₂ = 0.99  | α = 0.15            | 1e-3
# nadam     | α = 0.5            | α = 0.002, β₂ = 0.99  | α = 0.06            | 1e-3
# amsgrad   | α = 0.6            | α = 1                 | α = 1               | 1e-3
# adamw     | as adam, with weight decay 0 (c)                                 | 1e-3
#
# (a) With a constant α, RMSProp ends in a cycle of radius about α/√2 around θ*: its step
#     g/√v stays of size 1 however small g is.
# (b) Near θ*, Adadelta's step ratio √(E[Δθ²] + ε)/√(E[g²] + ε) tends to 1, so it becomes
#     gradient descent with step α, stable only for α < 2/λ_max of the Hessian at θ*.
# (c) Decoupled weight decay pulls θ towards 0, which moves the fixed point away from θ*.

PROBLEMS = {
    "quadratic": (lambda: quadratic((1.0, 6.0), angle=np.pi / 16), 2000),
    "rosenbrock": (rosenbrock, 20000),
    "beale": (beale, 5000),
}
TUNED = {
    "sgd": ({"learning_rate": 0.25}, {"learning_rate": 0.0015}, {"learning_rate": 0.025}),
    "momentum": ({"learning_rate": 0.01, "momentum": 0.9},
                 {"learning_rate": 0.002, "momentum": 0.9},
                 {"learning_rate": 0.004, "momentum": 0.9}),
    "nesterov": ({"learning_rate": 0.15, "momentum": 0.9},
                 {"learning_rate": 0.001, "momentum": 0.9},
                 {"learning_rate": 0.004, "momentum": 0.9}),
    "adagrad": ({"learning_rate": 1.0}, {"learning_rate": 0.6}, {"learning_rate": 1.0}),
    "rmsprop": ({"learning_rate": 0.01}, {"learning_rate": 0.001}, {"learning_rate": 0.001}),
    "adadelta": ({"learning_rate": 0.25, "eps": 1e-3}, {"learning_rate": 0.0015, "eps": 1e-3},
                 {"learning_rate": 0.025, "eps": 1e-3}),
    "adam": ({"learning_rate": 0.4}, {"learning_rate": 0.002, "b2": 0.99}, {"learning_rate": 0.15}),
    "nadam": ({"learning_rate": 0.5}, {"learning_rate": 0.002, "b2": 0.99},
              {"learning_rate": 0.06}),
    "amsgrad": ({"learning_rate": 0.6}, {"learning_rate": 1.0}, {"learning_rate": 1.0}),
    "adamw": ({"learning_rate": 0.4, "weight_decay": 0.0},
              {"learning_rate": 0.002, "b2": 0.99, "weight_decay": 0.0},
              {"learning_rate": 0.15, "weight_decay": 0.0}),
}
TOLERANCE = {"rmsprop": 1e-2, "adadelta": 1e-2}

CASES = [
    pytest.param(name, problem, id=f"{name}-{problem}") for name in TUNED for problem in PROBLEMS
]


def test_every_optimizer_of_the_book_is_in_the_table():
    book = set(opt.__all__) - {"GradientTransformation", "apply_updates", "chain",
                               "clip_by_global_norm", "precondition"}
    assert book == set(TUNED)


@pytest.mark.parametrize("name, problem_name", CASES)
def test_optimizer_reaches_the_minimum(name, problem_name):
    make, steps = PROBLEMS[problem_name]
    problem = make()
    hyperparameters = TUNED[name][list(PROBLEMS).index(problem_name)]
    result = run(problem, name, steps, **hyperparameters)
    distance = np.linalg.norm(np.asarray(result.trajectory) - np.asarray(problem.minimum), axis=1)
    tolerance = TOLERANCE.get(name, 1e-3)
    assert result.diverged_at is None
    assert distance[0] > 100 * tolerance  # It had somewhere to go.
    assert np.max(distance[-steps // 10:]) < tolerance, distance[-1]
