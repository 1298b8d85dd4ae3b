"""The review of "Learning is not pure optimization": its claims, its notation, its checks.

Three groups. The mathematics behind the corrected claims: above SGD's mean-square limit
α_B a single run does not diverge (the top Lyapunov exponent of the products of
I − α H_B stays negative up to about 0.92 at B = 1, on the explorer's data), while the mean
square grows. What the reader is told: the exercise checks and the MinibatchExplorer's
messages use N for the number of examples, tr Σ for the total variance, and name the
base-2 slip. The chapter's source: notation as in the book's table, line styles as the
captions say. What every chapter must be (glued names glued and shown, figures ending with
show(fig, alt=...)) is checked in test_notebooks.py.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import chapters
from chapters import code as _code
from chapters import markdown as _markdown
from descent import theory
from descent.exercises.learning_vs_optimization import (
    check_logistic_slope,
    check_without_replacement_factor,
    without_replacement_factor,
)
from descent.explorers import MinibatchExplorer, least_squares_data, module_source
from test_explorer_messages import say

X, _ = least_squares_data(256)  # The explorer's problem: N = 256 examples, n = 2.


# ---------------------------------------------------------------------------------------
# Above α_B the mean diverges, a single run does not.


def growth_rate(alphas, *, runs=100, steps=4000, seed=0):
    """The mean of log(‖e_{t+1}‖/‖e_t‖) along runs of e ← (I − α x xᵀ) e, one x per step (B = 1).

    The top Lyapunov exponent of the random products: negative, almost every run converges.
    """
    rng = np.random.default_rng(seed)
    alphas = np.asarray(alphas, dtype=float)
    e = np.ones((len(alphas), runs, 2)) / math.sqrt(2)
    total = np.zeros(len(alphas))
    for _ in range(steps):
        x = X[rng.integers(0, len(X), runs)]  # (runs, 2)
        e = e - alphas[:, None, None] * x * np.einsum("ri,kri->kr", x, e)[..., None]
        norm = np.linalg.norm(e, axis=-1)
        total += np.log(norm).mean(axis=1)
        e /= norm[..., None]
    return total / steps


def test_a_single_run_converges_well_above_the_mean_square_limit():
    limit = theory.sgd_mean_square_stability_limit(X, 1, replace=False)
    assert limit == pytest.approx(0.315, abs=1e-3)
    for alpha in (0.35, 0.5, 0.8):  # Above α_1: the mean square grows ...
        T = theory.sgd_second_moment_map(X, alpha, 1, replace=False)
        assert np.max(np.abs(np.linalg.eigvals(T))) > 1
    rates = growth_rate([0.35, 0.5, 0.8, 0.88, 0.96, 1.0])
    assert np.all(rates[:4] < -0.01)  # ... while almost every single run converges,
    assert np.all(rates[4:] > 0.01)  # up to about α = 0.92, nearly 3 α_1.
    assert rates[0] == pytest.approx(-0.085, abs=0.01)


def test_a_single_noisy_run_above_the_limit_keeps_coming_back():
    Q = X.T @ X / len(X)
    _, y = least_squares_data(256)
    w_hat = np.linalg.solve(Q, X.T @ y / len(X))
    rng = np.random.default_rng(0)
    w, alpha, gaps = w_hat.copy(), 0.5, []
    for i in rng.integers(0, len(X), 20_000):  # α = 0.5 > α_1 = 0.315, B = 1.
        w = w - alpha * X[i] * (X[i] @ w - y[i])
        gaps.append(0.5 * (w - w_hat) @ Q @ (w - w_hat))
    gaps = np.array(gaps)
    assert np.all(np.isfinite(gaps))
    assert np.median(gaps[-5000:]) < 5  # Near ŵ most of the time, bursts or not.


# ---------------------------------------------------------------------------------------
# The exercise checks.


def test_without_replacement_check_speaks_of_N_examples():
    assert without_replacement_factor(10, 4) == pytest.approx(math.sqrt(6 / 9))
    assert check_without_replacement_factor(examples=10, batch_size=4, answer=0.8165)
    verdict = check_without_replacement_factor(examples=10, batch_size=4, answer=0.7746)
    assert not verdict and "√((N − B)/N)" in repr(verdict) and "tr Σ/(N − 1)" in repr(verdict)
    assert "σ" not in repr(verdict) and "(n " not in repr(verdict)
    verdict = check_without_replacement_factor(examples=10, batch_size=10, answer=0.0)
    assert verdict and "all N distinct examples" in repr(verdict)
    with pytest.raises(TypeError):
        check_without_replacement_factor(n=10, batch_size=4, answer=0.8165)  # Renamed.


@pytest.mark.parametrize("answer, says", [
    (-0.172, "base-2 loss of the figure"),  # What the chapter's cell prints at m = 2.
    (-1 / ((1 + math.e**2) * math.log(2)), "base-2 loss of the figure"),
    (0.1192, "wrong sign"),
    (0.172, "base-2 loss of the figure, with the wrong sign"),
])
def test_logistic_slope_check_names_the_slips(answer, says):
    verdict = check_logistic_slope(margin=2, answer=answer)
    assert verdict.right is False and says in repr(verdict)


def test_logistic_slope_check_still_takes_the_right_answer():
    assert check_logistic_slope(margin=2, answer=-0.1192)
    assert check_logistic_slope(margin=2, answer=-1 / (1 + math.e**2))
    assert check_logistic_slope(margin=0, answer=-0.5)  # Base 2 would be −0.721.


# ---------------------------------------------------------------------------------------
# What the explorer says.


@pytest.fixture(scope="module")
def explorer():
    return MinibatchExplorer()


def _say(page, explorer, batch_size, learning_rate, seed=0) -> dict:
    """What the explorer shows for these values: status() in Chromium of the kernel's result."""
    texts, _ = say(page, explorer, batch_size=batch_size, learning_rate=learning_rate, seed=seed)
    return texts


@pytest.mark.browser
def test_explorer_uses_the_books_notation(module_page, explorer):
    texts = _say(module_page, explorer, 8, 0.2)
    assert explorer.title == "minibatch SGD on least squares, N = 256"
    assert "B = 8 of N = 256" in texts["info"]
    assert "√(tr Σ/B)·√((N−B)/(N−1))" in texts["info"] and "√tr Σ = 1.48" in texts["info"]
    assert "σ" not in texts["info"]
    assert '"gradient descent (B = N)"' in module_source()  # The legend of the paths.
    assert "B = N is gradient descent" in _say(module_page, explorer, 256, 0.2)["info"]


@pytest.mark.browser
@pytest.mark.parametrize("batch_size, learning_rate", [(1, 0.4), (1, 0.7), (8, 0.9)])
def test_above_the_limit_the_mean_has_no_floor_not_the_run(module_page, explorer, batch_size, learning_rate):
    texts = _say(module_page, explorer, batch_size, learning_rate)
    assert "diverged" not in texts["alert"]
    assert "the mean E[L(w_t)] has no floor; a single run keeps coming back" in texts["alert"]
    assert "the mean has no floor (α ≥ α_B)" in texts["info"]
    # The run came back: its mean over the second half is a number, not ∞.
    stated = re.search(r"mean loss gap over the second half (\S+);", texts["info"]).group(1)
    assert stated != "∞" and math.isfinite(float(stated))


@pytest.mark.browser
def test_a_run_that_ends_far_away_is_said_to_diverge(module_page, explorer):
    # Well above the typical run's limit, about 0.92: this seed's run ends 10¹⁰ times above
    # its start at α = 1.1 (at 0.95 it still keeps coming back).
    texts = _say(module_page, explorer, 1, 1.1)
    assert texts["alert"].startswith("minibatch SGD diverged at step")
    assert "(α = 1.1 > α_B = 0.315, its mean-square limit at B = 1)" in texts["alert"]
    assert "mean loss gap over the second half ∞" in texts["info"]


# ---------------------------------------------------------------------------------------
# The chapter's source.


@pytest.fixture(scope="module")
def notebook():
    return chapters.read("learning-vs-optimization")


def _cell(notebook, cell_id):
    return chapters.cell(notebook, cell_id).source


def test_notation_is_the_books(notebook):
    text = _markdown(notebook)
    for old in (r"\hat R_n", r"\hat\theta_n", r"\frac1n", r"\frac1{2n}", "(n - B)", "(n - 1)",
                "B = n", "$n = 10$ examples", "$d = 10$", r"O(n\alpha^3)", r"\sigma"):
        assert old not in text, old
    assert r"\hat R_N" in text and r"$O(N\alpha^3)$" in text
    assert "$N = 100$\nexamples in $n = 10$ dimensions" in text
    # The proposition defines Σ and its total variance tr Σ, and states tr Σ/B.
    proposition = _cell(notebook, "833c84da")
    assert "be the covariance of the per-example gradients" in proposition
    assert r"$\operatorname{tr}\Sigma = \frac1N \sum_{i=1}^N" in proposition
    assert "its total" in proposition
    assert r"\frac{\operatorname{tr}\Sigma}{B}\cdot\frac{N - B}{N - 1}" in proposition
    code = _code(notebook)
    for old in ("σ/√B", "(n − B)", "(n − 1)", "θ*", "check_without_replacement_factor(n="):
        assert old not in code, old
    assert "check_without_replacement_factor(examples=10" in code
    assert "(N = {N_ls}, n = {n_ls}, B = 1)" in code  # The suptitle of the reshuffling figure.


def test_the_explorer_bullet_does_not_say_a_run_blows_up(notebook):
    intro = " ".join(_cell(notebook, "lvo-explorer-intro").split())
    assert "before it blows up" not in intro
    assert "the *mean* loss gap has no floor any more" in intro
    assert "A single run does not blow up there" in intro
    assert "{glue:text}`lvo_sgd_typical_1`" in intro


def test_the_standard_error_figure_is_read_against_the_dotted_line(notebook):
    notice = " ".join(_cell(notebook, "0deaba72").split())
    assert "lie on the line" not in notice
    assert "the prediction for distinct examples" in notice and "(dotted)" in notice
    assert "{glue:text}`lvo_below_solid_5000`" in notice
    figure = _cell(notebook, "f747c47a")
    alt = figure[figure.index("show(fig"):]
    assert "dotted " in alt and "line σ/√B" not in alt


def test_the_fixed_noise_formula_is_dash_dotted_in_both_figures(notebook):
    figure = _cell(notebook, "lvo-sgd-figure")
    assert re.search(r'predicted_floor\(B, a\) for a in curve\], "-\."', figure)
    assert 'label="fixed-noise formula (dash-dotted)"' in figure
    assert "dash-dotted fixed-noise formula" in figure and '":", color=colors[B]' not in figure


def test_the_reshuffling_slopes_say_where_they_are_fitted(notebook):
    notice = _cell(notebook, "c5a86aa5")
    assert "{glue:text}`lvo_rr_fit_max`" in notice and r"\hat\theta" in notice
    assert r"\theta^\star" not in notice + _cell(notebook, "b6309cb8")
    figure = _cell(notebook, "a3b02723")
    assert "slopes fitted over α ≤" in figure and "θ̂" in figure


def test_the_measurement_checks_the_one_step_map(notebook):
    intro = " ".join(_cell(notebook, "lvo-sgd-measure-intro").split())
    assert (r"so this checks the one-step map $\mathcal T_\alpha$, not the long-run behaviour "
            "of single runs") in intro


def test_early_stopping_prose(notebook):
    notice = " ".join(_cell(notebook, "452fd9fc").split())
    assert "in motion" not in notice
    assert "the gap {prf:ref}`prop-lvo-optimism` predicts, opening as training proceeds" in notice
    assert "{glue:text}`lvo_es_near_steps`" in notice and "{glue:text}`lvo_es_spike_test`" in notice
    summary = " ".join(_cell(notebook, "ca47d3c4").split())
    assert "on least squares with a constant learning rate" in summary
