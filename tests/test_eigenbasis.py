"""A run in the eigenbasis of Q (descent.theory), measured steps (descent.runner), contours."""

from __future__ import annotations

import doctest
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import descent.contours  # noqa: E402
from descent import contours, runner, theory  # noqa: E402
from descent.problems import loss_grid, quadratic  # noqa: E402
from descent.runner import run  # noqa: E402


def test_doctests():
    result = doctest.testmod(descent.contours)
    assert result.failed == 0 and result.attempted >= 8, result


def test_eigencomponents_follow_the_closed_form():
    problem = quadratic((1.0, 6.0), angle=np.pi / 16)
    alpha, steps = 0.1, 30
    result = run(problem, "sgd", steps, learning_rate=alpha)
    y = theory.eigencomponents(problem, result.trajectory)
    t = np.arange(steps + 1)[:, None]
    expected = (1 - alpha * np.asarray(problem.eigenvalues)) ** t * y[0]
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-6)


def test_loss_components_sum_to_the_loss():
    problem = quadratic((2.0, 5.0), angle=0.7, init=(3.0, -4.0))
    result = run(problem, "sgd", 20, learning_rate=0.15)
    shares = theory.loss_components(problem, result.trajectory)
    np.testing.assert_allclose(shares.sum(axis=1), result.losses, rtol=1e-5)


def test_a_shifted_minimum_and_duck_typed_problem():
    R = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))[0]
    basis = SimpleNamespace(eigenvalues=np.array([1.0, 2.0, 3.0]), eigenvectors=R,
                            minimum=np.array([1.0, 1.0, 1.0]))
    theta = np.array([[1.0, 1.0, 1.0], [1.0 + R[0, 2], 1.0 + R[1, 2], 1.0 + R[2, 2]]])
    np.testing.assert_allclose(theory.eigencomponents(basis, theta), [[0, 0, 0], [0, 0, 1]],
                               atol=1e-12)
    np.testing.assert_allclose(theory.loss_components(basis, theta)[1], [0, 0, 1.5], atol=1e-12)


def test_first_step_below():
    assert runner.first_step_below([1.0, 0.5, 0.25, 0.125], 0.25) == 2
    assert runner.first_step_below([1.0, np.nan, np.nan], 0.5) is None
    with pytest.raises(ValueError):
        runner.first_step_below([1.0], 1.5)


def test_first_step_below_matches_the_predicted_count():
    lam = (1.0, 50.0)
    problem = quadratic(lam, angle=np.pi / 16)
    alpha = float(theory.optimal_learning_rate(lam))
    distance = np.linalg.norm(run(problem, "sgd", 1000, learning_rate=alpha).trajectory,
                              axis=1)
    predicted = theory.iterations_to_accuracy(float(theory.optimal_rate(lam)), 1e-4)
    assert abs(runner.first_step_below(distance, 1e-4) - predicted) <= 1


def test_preconditioned_spectrum_is_that_of_PQ():
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(2, 4, 4))
    Q, P = A @ A.T + np.eye(4), B @ B.T + 0.5 * np.eye(4)
    expected = np.sort(np.linalg.eigvals(P @ Q).real)
    np.testing.assert_allclose(theory.preconditioned_spectrum(Q, P), expected, rtol=1e-8)
    np.testing.assert_allclose(theory.preconditioned_spectrum(Q, np.linalg.inv(Q)), np.ones(4),
                               rtol=1e-8)


@pytest.mark.parametrize("P", [np.diag([1.0, -1.0]), np.array([[1.0, 2.0], [0.0, 1.0]])])
def test_preconditioned_spectrum_rejects_bad_P(P):
    with pytest.raises(ValueError):
        theory.preconditioned_spectrum(np.eye(2), P)


def test_plots_return_their_artists_and_leave_rcparams_alone():
    before = dict(matplotlib.rcParams)
    problem = quadratic((1.0, 6.0), angle=0.3)
    grid = loss_grid(problem, resolution=50)
    result = run(problem, "sgd", 10, learning_rate=0.4)  # Diverging, still finite.
    fig, ax = plt.subplots()
    drawn = contours.plot_contours(ax, grid, levels=8, minimum=problem.minimum)
    path = contours.plot_trajectory(ax, result.trajectory, label="run")
    assert len(drawn) == 2 and len(path) == 2
    assert np.all(np.isfinite(path[0].get_xydata()))
    assert ax.get_aspect() == 1.0
    plt.close(fig)
    assert dict(matplotlib.rcParams) == before
    with pytest.raises(ValueError):
        contours.plot_trajectory(ax, np.zeros((3, 3)))
