"""The chapter "Momentum and Nesterov": its numbers recomputed independently, its claims.

The closed forms of descent.theory are tested against numerics in test_theory.py. Here the
chapter's own numbers are recomputed without descent where that can be done in a few lines
of NumPy (the three forms of the heavy ball, the three regimes, the optimal tunings by a
search over eigenvalues of the 2 × 2 matrices, Lessard et al.'s cycle, Nesterov's rate on
the worst case, the noise ball as a Lyapunov equation), the chapter's step-count experiment
is run from its source and checked against a float64 NumPy count, and the statements the
prose makes about its settings are checked against the cells. What every chapter must be
(anatomy, glued names, figures, exercise quotes) is checked in test_notebooks.py.
"""

from __future__ import annotations

import ast
import re

import numpy as np
import pytest

import chapters
from descent import theory


@pytest.fixture(scope="module")
def notebook():
    return chapters.read("momentum")


@pytest.fixture(scope="module")
def text(notebook):
    return chapters.flat(chapters.markdown(notebook))


def _rho(a: float, b: float) -> float:
    """Spectral radius of [[a, b], [1, 0]], from NumPy's eigenvalues."""
    return float(np.abs(np.linalg.eigvals(np.array([[a, b], [1.0, 0.0]]))).max())


def _heavy_ball_rate(alpha, beta, lams):
    return max(_rho(1 + beta - alpha * lam, -beta) for lam in lams)


def _nesterov_rate(alpha, beta, lams):
    return max(_rho((1 + beta) * (1 - alpha * lam), -beta * (1 - alpha * lam)) for lam in lams)


# ---------------------------------------------------------------------------------------
# The notebook's form.


def test_citations_cross_references_and_explorer(notebook, text):
    for key in ("polyak1964some", "nesterov1983method", "sutskever2013importance",
                "goh2017momentum", "lessard2016analysis", "nesterov2018lectures",
                "kidambi2018insufficiency", "zhang2019algorithmic", "xiao2017fashion"):
        assert key in text, key
    for ref in ("{prf:ref}`thm-gd-quadratic-steps`", "{doc}`gd-quadratic`", "{doc}`sgd`",
                "{prf:ref}`prop-sgd-moments`"):
        assert ref in text, ref
    cell = chapters.cell(notebook, "mom-explorer")
    tree = ast.parse(cell.source)
    assert tree.body[0].module == "descent.explorers"
    assert tree.body[-1].value.func.id == "MomentumExplorer"
    assert cell.metadata.get("tags") is None  # Shown, input and widget.
    # The MLP waits for the explorer's warm-up compilations before its own large one.
    assert chapters.cell(notebook, "mom-mlp").source.startswith("wait_for_warm_ups()")


def test_eight_static_figures_and_the_exercises(notebook, text):
    assert len(chapters.figure_cells(notebook)) >= 8
    labels = re.findall(r"```\{exercise\}\n:label: (\S+)", chapters.markdown(notebook))
    assert len(labels) >= 4, labels
    for check in ("check_heavy_ball_momentum", "check_critical_damping"):
        assert f"{check}(" in chapters.code(notebook)
    # The exercise asking for Nesterov from the look-ahead form, with its parity check.
    assert any("nesterov" in label for label in labels)


def test_every_theory_function_named_in_the_text_exists(text):
    for name in set(re.findall(r"`descent\.theory\.(\w+)`", text)):
        assert hasattr(theory, name), name
    import descent.problems
    import descent.schedules
    for name in set(re.findall(r"`descent\.problems\.(\w+)`", text)):
        assert hasattr(descent.problems, name), name
    for name in set(re.findall(r"`descent\.schedules\.(\w+)`", text)):
        assert hasattr(descent.schedules, name), name


# ---------------------------------------------------------------------------------------
# The numbers, recomputed.


def test_the_three_forms_and_the_average_forms_step(notebook, text):
    """Polyak's recurrence, the velocity form and the average form at α/(1 − β) coincide."""
    values = chapters.assignments(chapters.cell(notebook, "mom-scratch-forms").source)
    alpha, beta, steps = values["alpha"], values["beta"], values["T_forms"]
    assert beta == 0.9 and "ten times smaller here" in text  # α(1 − β) = α/10.
    rng = np.random.default_rng(0)
    M = rng.normal(size=(3, 3))
    Q = M @ M.T + np.eye(3)
    theta0 = rng.normal(size=3)

    def polyak():
        previous, theta, out = theta0, theta0, [theta0]
        for _ in range(steps):
            previous, theta = theta, theta - alpha * Q @ theta + beta * (theta - previous)
            out.append(theta)
        return np.array(out)

    def average(alpha_m):
        theta, m, out = theta0, np.zeros(3), [theta0]
        for _ in range(steps):
            m = beta * m + (1 - beta) * Q @ theta
            theta = theta - alpha_m * m
            out.append(theta)
        return np.array(out)

    def trace(step):
        theta, v, out = theta0, np.zeros(3), [theta0]
        for _ in range(steps):
            v = beta * v + Q @ theta
            theta = theta - step * v
            out.append(theta)
        return np.array(out)

    np.testing.assert_allclose(average(alpha / (1 - beta)), polyak(), atol=1e-10)
    np.testing.assert_allclose(trace(alpha), polyak(), atol=1e-10)
    np.testing.assert_allclose(average(alpha), trace(alpha * (1 - beta)), atol=1e-12)
    assert np.max(np.abs(average(alpha) - polyak())) > 0.1


def test_the_three_regimes(notebook, text):
    values = chapters.assignments(chapters.cell(notebook, "mom-regimes").source)
    step = values["regime_alpha"] * values["regime_lambda"]
    assert step == 0.04 and "$\\beta_c = (1 - 0.2)^2 = $" in text
    beta_c = (1 - np.sqrt(step)) ** 2
    for beta, kind in ((0.3, "over"), (beta_c, "critical"), (0.9, "under")):
        roots = np.roots([1, -(1 + beta - step), beta])
        if kind == "under":
            assert np.all(np.abs(roots.imag) > 1e-3)
            assert np.isclose(np.abs(roots).max(), np.sqrt(beta))
        elif kind == "over":
            assert np.all(roots.imag == 0) and abs(roots[0] - roots[1]) > 1e-3
        else:
            assert abs(roots[0] - roots[1]) < 1e-6
    # The over-damped rate beats gradient descent's, as the text says; critical is fastest.
    rho = {b: _rho(1 + b - step, -b) for b in (0.3, beta_c, 0.9)}
    assert rho[0.3] < 1 - step and rho[beta_c] < min(rho[0.3], rho[0.9])
    assert np.isclose(rho[beta_c], 1 - np.sqrt(step), atol=1e-6)


def test_the_optimal_tunings_by_search_over_the_plane():
    """Heavy ball and Nesterov on λ = (1, 10): no point of a fine grid beats the closed forms."""
    lams = (1.0, 10.0)
    hb = (4 / (np.sqrt(10) + 1) ** 2, ((np.sqrt(10) - 1) / (np.sqrt(10) + 1)) ** 2)
    assert np.isclose(_heavy_ball_rate(*hb, lams), (np.sqrt(10) - 1) / (np.sqrt(10) + 1), atol=1e-6)
    nag = (4 / 31, (np.sqrt(31) - 2) / (np.sqrt(31) + 2))
    assert np.isclose(_nesterov_rate(*nag, lams), 1 - 2 / np.sqrt(31), atol=1e-6)
    for rate, (a0, b0) in ((_heavy_ball_rate, hb), (_nesterov_rate, nag)):
        best = min(rate(a, b, lams) for a in np.linspace(0.8 * a0, 1.2 * a0, 61)
                   for b in np.linspace(max(b0 - 0.15, 0), b0 + 0.15, 61))
        assert best >= rate(a0, b0, lams) - 1e-4
    # Between gradient descent's 9/11 and the heavy ball's, as the text says.
    assert _heavy_ball_rate(*hb, lams) < _nesterov_rate(*nag, lams) < 9 / 11


def test_nesterov_region_edge():
    """Nesterov converges iff αλ < 2(1 + β)/(1 + 2β) (for 0 < αλ and β in [0, 1))."""
    for beta in (0.0, 0.3, 0.7, 0.95):
        edge = 2 * (1 + beta) / (1 + 2 * beta)
        assert _nesterov_rate(edge * 0.999, beta, [1.0]) < 1 < _nesterov_rate(edge * 1.001, beta, [1.0])


def test_lessard_cycle_and_convergence_of_the_others(text):
    """Float64 NumPy: the heavy ball at (1/9, 4/9) cycles; GD and Nesterov converge."""
    def grad(x):
        return 25 * x if x < 1 else (x + 24 if x < 2 else 25 * x - 24)

    x = previous = 3.3
    for _ in range(300):
        x, previous = x - grad(x) / 9 + 4 / 9 * (x - previous), x
    points = []
    for _ in range(3):
        x, previous = x - grad(x) / 9 + 4 / 9 * (x - previous), x
        points.append(x)
    np.testing.assert_allclose(np.sort(points), np.array([-2208, 792, 2592]) / 1225, atol=1e-9)
    assert "$(-2208, 792, 2592)/1225$" in text
    x = 3.3
    for _ in range(120):
        x = x - grad(x) / 13  # 2/(μ + L).
    assert abs(x) < 1e-3
    alpha, beta = 4 / 76, (np.sqrt(76) - 2) / (np.sqrt(76) + 2)
    y, x_prev = 3.3, 3.3
    for _ in range(120):
        x_new = y - alpha * grad(y)
        y, x_prev = x_new + beta * (x_new - x_prev), x_new
    assert abs(y) < 1e-8


def test_nesterov_on_the_worst_case_family():
    """Float64 NumPy, t ≤ 200: Nesterov's gap falls as t^-2 within a small factor of the
    least any Krylov method reaches on the function of dimension 2t + 1; GD's more slowly."""
    T, L = 200, 1.0
    n = 2 * T + 3

    def grad(x):  # L/4 (A x − e₁), A = tridiag(−1, 2, −1).
        Ax = 2 * x - np.concatenate([[0.0], x[:-1]]) - np.concatenate([x[1:], [0.0]])
        Ax[0] -= 1
        return L / 4 * Ax

    def loss(x):
        return L / 4 * (0.5 * (x[0] ** 2 + np.sum(np.diff(x) ** 2) + x[-1] ** 2) - x[0])

    gd, nag = [], []
    x = np.zeros(n)
    for _ in range(T):
        x = x - grad(x) / L
        gd.append(loss(x))
    x_prev, y = np.zeros(n), np.zeros(n)
    for k in range(1, T + 1):  # Beck and Teboulle: y_{k+1} = x_k + (k − 1)/(k + 2)(x_k − x_{k−1}).
        x_new = y - grad(y) / L
        y, x_prev = x_new + (k - 1) / (k + 2) * (x_new - x_prev), x_new
        nag.append(loss(x_new))
    ts = np.array([10, 20, 40, 80, 160, 200])
    gaps, floors = {"gd": [], "nag": []}, []
    for t in ts:
        m = 2 * t + 1
        star = -L / 8 * (1 - 1 / (m + 1))
        D2 = np.sum((1 - np.arange(1, m + 1) / (m + 1)) ** 2)
        gaps["gd"].append((gd[t - 1] - star) / D2)
        gaps["nag"].append((nag[t - 1] - star) / D2)
        floors.append(L / 8 * (1 / (t + 1) - 1 / (m + 1)) / D2)
    slope = {k: np.polyfit(np.log(ts), np.log(v), 1)[0] for k, v in gaps.items()}
    assert -2.1 < slope["nag"] < -1.85 and -1.6 < slope["gd"] < -1.3
    ratio = np.array(gaps["nag"]) / np.array(floors)
    assert np.all((2 < ratio) & (ratio < 4))
    assert np.all(np.array(gaps["nag"]) <= 2 * L / (ts + 1) ** 2)  # Nesterov's guarantee.


def test_noise_ball_as_a_lyapunov_equation(notebook, text):
    """The stationary covariance of (x_t, x_{t−1}) solves S = A S Aᵀ + α²σ² e₁e₁ᵀ."""
    values = chapters.assignments(chapters.cell(notebook, "mom-noise").source)
    alpha_e = values["alpha_e"]
    for lam, s in ((1.0, 1.0), (10.0, 10.0)):
        previous = np.inf
        for beta in (0.0, 0.2, 0.6, 0.9, 0.95):
            alpha = alpha_e * (1 - beta)
            A = np.array([[1 + beta - alpha * lam, -beta], [1.0, 0.0]])
            C = np.zeros((2, 2))
            C[0, 0] = alpha**2 * s
            S = np.linalg.solve(np.eye(4) - np.kron(A, A), C.ravel()).reshape(2, 2)
            assert np.isclose(S[0, 0], theory.heavy_ball_noise_ball_variance(
                alpha, beta, [lam], [s])[0], rtol=1e-9)
            assert S[0, 0] >= alpha_e * s / (2 * lam) * (1 - 1e-12)  # Never below.
            assert S[0, 0] < previous  # Falls with β at a fixed α_e.
            previous = S[0, 0]
    assert "never below it" in text


def test_steps_experiment_against_a_float64_count(notebook):
    """Run the chapter's step-count cell and recount two of its κ in NumPy, float64."""
    imports = chapters.cell(notebook, "mom-imports").source
    source = "\n".join(line for line in imports.splitlines()
                       if not line.startswith("%") and "limit_memory()" not in line)
    namespace: dict = {}
    exec(compile(source, "mom-imports", "exec"), namespace)
    namespace["glue"] = lambda *args, **kwargs: None
    exec(compile(chapters.cell(notebook, "mom-steps").source, "mom-steps", "exec"), namespace)
    measured, slopes = namespace["measured_steps"], namespace["steps_slopes"]
    assert 0.95 < slopes["gradient descent"] < 1.05
    assert 0.45 < slopes["heavy ball"] < 0.6 and 0.45 < slopes["Nesterov"] < 0.6
    spectra = namespace["spectra"]
    for index in (0, 5):
        lam = spectra[index]
        alpha, beta = theory.heavy_ball_optimal(lam)
        alpha, beta = float(alpha), float(beta)
        x = previous = np.ones_like(lam)
        t, target = 0, 1e-6 * np.linalg.norm(x)
        while np.linalg.norm(x) >= target:
            x, previous = x - alpha * lam * x + beta * (x - previous), x
            t += 1
        assert measured["heavy ball"][index] == t
        step = 2 / (lam.min() + lam.max())
        x, t = np.ones_like(lam), 0
        while np.linalg.norm(x) >= target:
            x, t = x - step * lam * x, t + 1
        assert measured["gradient descent"][index] == t


def test_the_mlp_cell_checks_what_its_text_says(notebook):
    """The MLP's claims are asserted in its glue cell; the settings are the brief's."""
    glue_cell = chapters.cell(notebook, "mom-mlp-glue").source
    for claim in ("assert equal_e[:3].max() - equal_e[:3].min() < spread_seeds",  # Equal α_e.
                  "assert early[3] > early[0] and equal_e[3] > equal_e[:3].max()",  # β = 0.99.
                  "assert equal_a[0] > equal_a[1] > equal_a[2] and equal_a[3] > equal_a[2]",
                  "assert mlp_train[6].std() == mlp_train.std(axis=1).max()",
                  "assert smooth[jump] > smooth[low] + 0.1"):  # The jump near step 100.
        assert claim in glue_cell, claim
    values = chapters.assignments(chapters.cell(notebook, "mom-mlp").source)
    assert values["mlp_betas"] == (0.0, 0.5, 0.9, 0.99)
    assert values["mlp_alpha_e"] * (1 - 0.9) == pytest.approx(values["mlp_alpha"])  # β = 0.9 shared.
