"""The closed forms of theory.py's section "Per-coordinate step sizes", against runs.

Each formula is checked against descent.optimizers run step by step (in float64): AdaGrad's
step under a constant gradient, RMSProp's biased second moment and its 2-cycle on a
quadratic, the effective memory as a sum of weights, Adadelta's first step and the growth
of its squared step.
"""

from __future__ import annotations

import doctest

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from descent import theory
from descent.optimizers import adadelta, adagrad, apply_updates, rmsprop


def _constant_gradient_run(optimizer, gradient, steps):
    """The updates and the states of ``optimizer`` fed the same gradient ``steps`` times."""
    with jax.enable_x64(True):
        g = jnp.asarray(np.atleast_1d(np.asarray(gradient, float)))
        state = optimizer.init(jnp.zeros_like(g))
        updates, states = [], []
        for _ in range(steps):
            u, state = optimizer.update(g, state)
            updates.append(np.asarray(u, float))
            states.append(state)
    return np.array(updates), states


def test_doctests_of_the_section():
    for function in (theory.adagrad_effective_learning_rate, theory.rmsprop_second_moment,
                     theory.rmsprop_memory, theory.rmsprop_two_cycle, theory.adadelta_first_step,
                     theory.adadelta_step_growth):
        finder = doctest.DocTestFinder()
        runner = doctest.DocTestRunner()
        for test in finder.find(function, globs=vars(theory)):
            runner.run(test)
        assert runner.failures == 0 and runner.tries >= 1, function.__name__


@pytest.mark.parametrize("alpha, g, eps", [(0.1, 2.0, 1e-8), (0.01, -0.003, 1e-8), (1.0, 50.0, 0.5)])
def test_adagrad_effective_learning_rate_is_the_run(alpha, g, eps):
    T = 200
    updates, _ = _constant_gradient_run(adagrad(alpha, eps=eps), g, T)
    t = np.arange(1, T + 1)
    predicted = -g * theory.adagrad_effective_learning_rate(alpha, g, t, eps)
    np.testing.assert_allclose(updates[:, 0], predicted, rtol=1e-12)
    # The step size never increases, and no update is longer than α.
    eta = np.abs(updates[:, 0] / g)
    assert np.all(np.diff(eta) <= 0) and np.all(np.abs(updates) <= alpha)


@pytest.mark.parametrize("decay", [0.5, 0.9, 0.99])
def test_rmsprop_second_moment_is_the_state(decay):
    g, T = 1.7, 300
    updates, states = _constant_gradient_run(rmsprop(0.01, decay=decay, eps=1e-12), g, T)
    v = np.array([float(s.v[0]) for s in states])
    t = np.arange(1, T + 1)
    np.testing.assert_allclose(v, theory.rmsprop_second_moment(g, decay, t), rtol=1e-12)
    # Without a bias correction the t-th step is α/√(1 − ρ^t), towards α.
    np.testing.assert_allclose(-updates[:, 0], 0.01 / np.sqrt(1 - decay**t), rtol=1e-9)


def test_rmsprop_memory_is_the_weight_of_the_recent_steps():
    for decay in (0.5, 0.9, 0.99, 0.999):
        memory = float(theory.rmsprop_memory(decay))
        weights = (1 - decay) * decay ** np.arange(200_000)  # Of the gradient k steps back.
        assert np.isclose(weights.sum(), 1.0)
        assert np.isclose(memory * (1 - decay), 1.0)  # M steps at the newest weight sum to 1.
        recent = weights[: int(round(memory))].sum()
        assert np.isclose(recent, 1 - decay ** round(memory))
        assert 0.6 < recent < 0.76  # About 1 − 1/e.


@pytest.mark.parametrize("alpha, lam, decay", [(0.05, 10.0, 0.9), (0.04, 10.0, 0.9),
                                               (0.2, 1.0, 0.5), (0.01, 100.0, 0.9)])
def test_rmsprop_two_cycle_is_where_the_run_ends(alpha, lam, decay):
    optimizer = rmsprop(alpha, decay=decay, eps=1e-12)
    with jax.enable_x64(True):
        theta = jnp.ones(1)
        state = optimizer.init(theta)
        thetas = []
        for _ in range(1500):
            updates, state = optimizer.update(lam * theta, state)
            theta = apply_updates(theta, updates)
            thetas.append(float(theta[0]))
    thetas = np.array(thetas)
    amplitude, loss = theory.rmsprop_two_cycle(alpha, lam)
    np.testing.assert_allclose(np.abs(thetas[-20:]), amplitude, rtol=1e-6)
    assert np.all(np.sign(thetas[-20:-1]) != np.sign(thetas[-19:]))  # It alternates.
    np.testing.assert_allclose(0.5 * lam * thetas[-1] ** 2, loss, rtol=1e-5)


@pytest.mark.parametrize("g, rho, eps", [(1.0, 0.95, 1e-6), (100.0, 0.9, 1e-6), (0.001, 0.95, 1e-6),
                                         (3.0, 0.5, 1e-2)])
def test_adadelta_first_step_is_the_run(g, rho, eps):
    updates, _ = _constant_gradient_run(adadelta(rho=rho, eps=eps), g, 1)
    np.testing.assert_allclose(abs(updates[0, 0]), theory.adadelta_first_step(g, rho, eps),
                               rtol=1e-12)


@pytest.mark.parametrize("rho, eps", [(0.95, 1e-6), (0.9, 1e-4)])
def test_adadelta_squared_step_grows_by_the_closed_form(rho, eps):
    T = 3000
    updates, _ = _constant_gradient_run(adadelta(rho=rho, eps=eps), 10.0, T)  # ε ≪ g².
    squared = updates[:, 0] ** 2
    late = np.diff(squared[T // 2:])  # Once E[g²] has settled at g².
    np.testing.assert_allclose(late.mean(), theory.adadelta_step_growth(rho, eps), rtol=1e-3)
    assert squared[-1] > squared[0]


def test_bad_arguments_are_refused_with_the_name():
    with pytest.raises(ValueError, match="decay"):
        theory.rmsprop_second_moment(1.0, 1.0, 3)
    with pytest.raises(ValueError, match="k must be"):
        theory.adagrad_effective_learning_rate(0.1, 1.0, 0)
    with pytest.raises(ValueError, match="eps"):
        theory.adadelta_first_step(1.0, 0.9, 0.0)
    with pytest.raises(ValueError, match="rho"):
        theory.adadelta_step_growth(-0.1, 1e-6)
    with pytest.raises(ValueError, match="learning_rate"):
        theory.rmsprop_two_cycle(-1.0, 1.0)
