"""Minibatch SGD on least squares: its mean-square stability limit and its noise floor.

The closed forms of descent.theory against two references: the average over *every*
minibatch (exact, on a small problem), and simulations of SGD on the data of the chapter's
explorer. Also the chapter's exercise check on the without-replacement factor.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from descent import theory
from descent.exercises.learning_vs_optimization import check_without_replacement_factor
from descent.explorers import least_squares_data

X, Y = least_squares_data(256)  # The explorer's problem: N = 256 examples, two features.
N, D = X.shape
GD_LIMIT = 2 / np.linalg.eigvalsh(X.T @ X / N)[-1]


def distinct(rng, runs, n, batch_size):
    """``runs`` minibatches of ``batch_size`` distinct examples of range(n) (Floyd's algorithm)."""
    chosen = np.empty((runs, batch_size), dtype=np.int64)
    for k, j in enumerate(range(n - batch_size, n)):
        t = rng.integers(0, j + 1, runs)
        taken = (chosen[:, :k] == t[:, None]).any(axis=1)
        chosen[:, k] = np.where(taken, j, t)
    return chosen


def batches(rng, runs, batch_size, replace):
    if replace:
        return rng.integers(0, N, (runs, batch_size))
    return distinct(rng, runs, N, batch_size)


# -- The second-moment map is the average over every minibatch ---------------------------


@pytest.mark.parametrize("replace, batch_size", [(True, 1), (True, 2), (False, 2), (False, 3)])
def test_second_moment_map_averages_every_minibatch(replace, batch_size):
    rng = np.random.default_rng(0)
    features = rng.standard_normal((6, 2)) * [1.0, 2.0]
    alpha = 0.17
    if replace:  # Ordered draws, each example any number of times.
        draws = list(itertools.product(range(6), repeat=batch_size))
    else:  # Sets of distinct examples.
        draws = list(itertools.combinations(range(6), batch_size))
    S = np.array([[2.0, -0.7], [-0.7, 0.5]])
    average = np.zeros((2, 2))
    for draw in draws:
        x = features[list(draw)]
        A = np.eye(2) - alpha * x.T @ x / batch_size
        average += A @ S @ A / len(draws)
    T = theory.sgd_second_moment_map(features, alpha, batch_size, replace=replace)
    np.testing.assert_allclose(T @ S.ravel(), average.ravel(), rtol=1e-12, atol=1e-12)


def test_limit_in_one_dimension_and_for_the_whole_data_set():
    h = np.array([1.0, 9.0])  # Curvatures xᵢ² of two examples.
    features = np.sqrt(h)[:, None]
    assert theory.sgd_mean_square_stability_limit(features, 1) == pytest.approx(
        2 * h.mean() / np.mean(h**2))  # E[(1 − αh)²] < 1 ⇔ α < 2 E h / E h².
    # B = n distinct examples is gradient descent: 2/λ_max.
    assert theory.sgd_mean_square_stability_limit(X, N, replace=False) == pytest.approx(GD_LIMIT)
    limits = [theory.sgd_mean_square_stability_limit(X, B, replace=False) for B in (1, 4, 16, 64)]
    assert np.all(np.diff(limits) > 0) and limits[-1] < GD_LIMIT


def test_the_map_is_a_contraction_exactly_below_the_limit():
    for B in (1, 4, 16):
        limit = theory.sgd_mean_square_stability_limit(X, B, replace=False)
        for factor, inside in ((0.97, True), (1.03, False)):
            T = theory.sgd_second_moment_map(X, factor * limit, B, replace=False)
            assert (np.max(np.abs(np.linalg.eigvals(T))) < 1) == inside
        T = theory.sgd_second_moment_map(X, limit, B, replace=False)
        assert np.max(np.abs(np.linalg.eigvals(T))) == pytest.approx(1.0, abs=1e-9)


# -- The limit against simulation -----------------------------------------------------------


def mean_square_factor(alphas, batch_size, replace, *, runs=4000, steps=30, seed=0):
    """The factor by which one SGD step multiplies E‖w − ŵ‖², measured, for each α.

    Runs of SGD on the noise-free problem (targets Xŵ: the noise adds a constant to the
    recursion of E[(w − ŵ)(w − ŵ)ᵀ] and does not change when it contracts), from w₀ − ŵ =
    (−3, 2.5). After every step the runs are redrawn from a Gaussian with their second
    moment: the next step's E‖w − ŵ‖² depends on nothing else, and without the redraw the
    mean over a few thousand runs is ruled by the rare runs that drew several steep
    examples in a row, which it mostly misses. The factor is the geometric mean over the
    second half of the steps.
    """
    rng = np.random.default_rng(seed)
    alphas = np.asarray(alphas, dtype=float)
    start = np.array([-3.0, 2.5])
    S = np.tile(np.outer(start, start) / (start @ start), (len(alphas), 1, 1))
    logs = []
    for _ in range(steps):
        x = X[batches(rng, runs, batch_size, replace)]
        lam, V = np.linalg.eigh(S)
        root = V * np.sqrt(np.clip(lam, 0, None))[:, None, :]
        e = np.einsum("kij,rj->kri", root, rng.standard_normal((runs, D)))  # One set per α.
        g = np.einsum("rbi,krb->kri", x, np.einsum("rbj,krj->krb", x, e)) / batch_size
        e_next = e - alphas[:, None, None] * g  # One SGD step: e ← (I − αH_𝓑) e.
        before, after = np.mean(np.sum(e**2, -1), 1), np.mean(np.sum(e_next**2, -1), 1)
        logs.append(np.log(after / before))
        S = np.einsum("kri,krj->kij", e_next, e_next) / runs
        S /= np.trace(S, axis1=1, axis2=2)[:, None, None]
    return np.exp(np.mean(logs[steps // 2:], axis=0))


@pytest.mark.parametrize("batch_size, replace", [(1, False), (4, False), (16, False), (4, True)])
def test_mean_square_error_stops_contracting_at_the_predicted_limit(batch_size, replace):
    predicted = theory.sgd_mean_square_stability_limit(X, batch_size, replace=replace)
    alphas = np.arange(0.1, 1.2, 0.025)  # A fixed grid, the same for every B.
    factors = mean_square_factor(alphas, batch_size, replace)
    above = np.flatnonzero(factors > 1)
    assert above.size and np.all(factors[above[0]:] > 1)  # Contracting below, growing above.
    i = above[0]
    measured = float(np.interp(0.0, np.log(factors[i - 1:i + 1]), alphas[i - 1:i + 1]))
    assert measured == pytest.approx(predicted, rel=0.04)
    assert measured < 0.95 * GD_LIMIT  # Not gradient descent's 2/λ_max.
    if batch_size == 1:
        assert measured < 0.35 * GD_LIMIT
    # Away from the limit the measured factor is the spectral radius of the map.
    for alpha, factor in zip(alphas[::8], factors[::8]):
        rho = np.max(np.abs(np.linalg.eigvals(
            theory.sgd_second_moment_map(X, alpha, batch_size, replace=replace))))
        assert factor == pytest.approx(rho, rel=0.04)


# -- The noise floor against long runs -------------------------------------------------------


def simulated_floor(alpha, batch_size, replace, *, runs=1000, steps=1500, burn=400, seed=0):
    """The mean of L(w_t) − L(ŵ) over runs of SGD on the noisy targets, after ``burn`` steps."""
    rng = np.random.default_rng(seed)
    Q = X.T @ X / N
    w_hat = np.linalg.solve(Q, X.T @ Y / N)
    w = np.tile(w_hat, (runs, 1))
    total = 0.0
    for t in range(steps):
        chosen = batches(rng, runs, batch_size, replace)
        x, y = X[chosen], Y[chosen]
        residual = np.einsum("rbj,rj->rb", x, w) - y
        w = w - alpha * np.einsum("rbi,rb->ri", x, residual) / batch_size
        if t >= burn:
            e = w - w_hat
            total += 0.5 * np.mean(np.einsum("ri,ij,rj->r", e, Q, e))
    return total / (steps - burn)


def fixed_noise_floor(alpha, batch_size, replace):
    """Σᵢ α sᵢ / (2(2 − αλᵢ)): the noise of ŵ, of fixed size."""
    Q = X.T @ X / N
    w_hat = np.linalg.solve(Q, X.T @ Y / N)
    g = X * (X @ w_hat - Y)[:, None]
    c = 1 / batch_size if replace else (N - batch_size) / (batch_size * (N - 1))
    lam, V = np.linalg.eigh(Q)
    s = np.einsum("ji,jk,ki->i", V, c * g.T @ g / N, V)
    return float(np.sum(alpha * s / (2 * (2 - alpha * lam))))


@pytest.mark.parametrize("batch_size, alpha, replace", [(1, 0.1, True), (1, 0.2, True),
                                                         (4, 0.4, False)])
def test_noise_floor_is_where_long_runs_settle(batch_size, alpha, replace):
    predicted = theory.sgd_noise_floor(X, Y, alpha, batch_size, replace=replace)
    measured = simulated_floor(alpha, batch_size, replace)
    assert measured == pytest.approx(predicted, rel=0.06)
    fixed = fixed_noise_floor(alpha, batch_size, replace)
    assert fixed < predicted
    if alpha >= 0.2:  # Halfway to the limit the fixed-noise formula is far too low.
        assert measured > 1.4 * fixed


def test_noise_floor_tends_to_the_fixed_noise_formula_for_small_steps_and_diverges_at_the_limit():
    for B in (1, 8):
        ratio = theory.sgd_noise_floor(X, Y, 1e-4, B) / fixed_noise_floor(1e-4, B, True)
        assert ratio == pytest.approx(1.0, abs=1e-3)
        limit = theory.sgd_mean_square_stability_limit(X, B)
        near = 0.999 * limit
        assert theory.sgd_noise_floor(X, Y, near, B) > 100 * fixed_noise_floor(near, B, True)
        assert theory.sgd_noise_floor(X, Y, limit * 1.001, B) == math.inf


def test_bad_arguments_raise_by_name():
    with pytest.raises(ValueError, match="batch_size must be in"):
        theory.sgd_mean_square_stability_limit(X, N + 1, replace=False)
    with pytest.raises(ValueError, match="features must be"):
        theory.sgd_mean_square_stability_limit(np.ones(3), 1)
    with pytest.raises(ValueError, match="targets"):
        theory.sgd_noise_floor(X, Y[:-1], 0.1, 1)


# -- The exercise: without over with replacement --------------------------------------------


def test_the_wrong_finite_population_factor_is_recognised():
    # √((N − B)/N) lies within 0.05 % of √((N − B)/(N − 1)) at N = 1000, B = 250.
    verdict = check_without_replacement_factor(examples=1000, batch_size=250, answer=0.8660)
    assert not verdict and "√((N − B)/N)" in repr(verdict) and "four" in repr(verdict)
    assert check_without_replacement_factor(examples=1000, batch_size=250, answer=0.8665)
    assert check_without_replacement_factor(examples=1000, batch_size=250,
                                            answer=math.sqrt(750 / 999))


@pytest.mark.parametrize("answer, named", [
    (math.sqrt(6 / 10), "√((N − B)/N)"),
    (6 / 9, "(N − B)/(N − 1)"),
    (6 / 10, "(N − B)/N"),
    (math.sqrt(9 / 6), "√((N − 1)/(N − B))"),
])
def test_each_likely_wrong_formula_is_named(answer, named):
    for digits in (3, 4):  # Rounded as a reader would type it.
        verdict = check_without_replacement_factor(examples=10, batch_size=4,
                                                   answer=round(answer, digits))
        assert not verdict and f"matches {named}" in repr(verdict)
    assert check_without_replacement_factor(examples=10, batch_size=4,
                                            answer=round(math.sqrt(6 / 9), 3))
