"""The chapter "Adaptive methods": its numbers recomputed independently, its claims.

The closed forms of theory.py's section are tested against runs in
test_theory_adaptive.py. Here the chapter's own results are recomputed without descent's
optimizers, in a few lines of NumPy: the invariance of AdaGrad, RMSProp and Adam to a
diagonal rescaling (and its loss under a 45° rotation), RMSProp's 2-cycle at the
chapter's settings, the plateau-cliff-bowl run, the sparse regression of the experiment
(SGD against AdaGrad over the chapter's grids), the least-squares minimum of
descent.problems.sparse_features. The statements the prose makes about its settings are
checked against the cells, and the cells that assert what their text says are checked to
assert it. What every chapter must be is checked in test_notebooks.py.
"""

from __future__ import annotations

import ast
import inspect
import re

import jax
import numpy as np
import pytest

import chapters
from descent import problems, theory
from descent.runner import batch_indices


@pytest.fixture(scope="module")
def notebook():
    return chapters.read("adaptive")


@pytest.fixture(scope="module")
def text(notebook):
    return chapters.flat(chapters.markdown(notebook))


def _numpy_method(name, alpha, b1=0.9, b2=0.9, eps=0.0):
    """One of the chapter's methods in NumPy: a function (g, state, t) -> (update, state)."""
    def step(g, state, t):
        m, v = state
        if name == "adagrad":
            v = v + g**2
            return -alpha * g / (np.sqrt(v) + eps), (m, v)
        if name == "rmsprop":
            v = b2 * v + (1 - b2) * g**2
            return -alpha * g / (np.sqrt(v) + eps), (m, v)
        m = b1 * m + (1 - b1) * g  # Adam.
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        return -alpha * m_hat / (np.sqrt(v_hat) + eps), (m, v)
    return step


def _run_quadratic(Q, theta0, method, steps):
    theta = np.asarray(theta0, float)
    state = (np.zeros_like(theta), np.zeros_like(theta))
    thetas = [theta]
    for t in range(1, steps + 1):
        update, state = method(Q @ theta, state, t)
        theta = theta + update
        thetas.append(theta)
    return np.array(thetas)


def _rotation(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


# ---------------------------------------------------------------------------------------
# The notebook's form.


def test_citations_cross_references_and_explorer(notebook, text):
    for key in ("duchi2011adaptive", "tieleman2012rmsprop", "zeiler2012adadelta", "kingma2015adam"):
        assert key in text, key
    for ref in ("{doc}`preconditioning`", "{prf:ref}`thm-preconditioning-jacobi`", "{doc}`sgd`",
                "{prf:ref}`prop-ada-shrinks`", "{prf:ref}`prop-ada-cycle`",
                "{prf:ref}`prop-ada-invariance`"):
        assert ref in text, ref
    tree = ast.parse(chapters.cell(notebook, "ada-explorer").source)
    assert tree.body[0].module == "descent.explorers"
    last = tree.body[-1]
    assert isinstance(last, ast.Expr) and last.value.func.id == "AdaptiveExplorer"


def test_figures_propositions_and_exercises(notebook, text):
    assert len(chapters.figure_cells(notebook)) == 6
    for label in ("prop-ada-shrinks", "prop-ada-cycle", "prop-ada-invariance"):
        assert f":label: {label}" in chapters.markdown(notebook)
    assert len(re.findall(r"```\{exercise\}", chapters.markdown(notebook))) >= 4
    assert "inspect.getsource(adagrad)" in chapters.cell(notebook, "ada-scratch-source").source


def test_every_theory_and_problem_named_in_the_text_exists(text):
    for name in set(re.findall(r"descent\.theory\.(\w+)", text)):
        assert hasattr(theory, name), name
    for name in set(re.findall(r"descent\.problems\.(\w+)", text)):
        assert hasattr(problems, name), name
    for name in ("adagrad_effective_learning_rate", "rmsprop_second_moment", "rmsprop_memory",
                 "rmsprop_two_cycle", "adadelta_first_step", "adadelta_step_growth"):
        assert f"descent.theory.{name}" in text, name


# ---------------------------------------------------------------------------------------
# The theory, recomputed.


@pytest.mark.parametrize("name", ["adagrad", "rmsprop", "adam"])
def test_invariance_to_a_diagonal_rescaling_and_its_loss_under_rotation(name):
    theta0 = np.array([1.0, 0.4])
    method = _numpy_method(name, 0.05)
    runs = [_run_quadratic(np.diag([1.0, k]), theta0, method, 200) for k in (1.0, 10.0, 1000.0)]
    for other in runs[1:]:  # Axis-aligned: the same iterates for every κ (ε = 0).
        np.testing.assert_allclose(other, runs[0], rtol=1e-10, atol=1e-14)
    # Turned by 45°: the eigencomponents' iterates now depend on κ.
    R = _rotation(np.pi / 4)
    turned = [R.T @ _run_quadratic(R @ np.diag([1.0, k]) @ R.T, R @ theta0, method, 200).T
              for k in (1.0, 1000.0)]
    assert np.max(np.abs(turned[0] - turned[1])) > 0.05


def test_rmsprop_cycle_at_the_chapters_settings(notebook, text):
    values = chapters.assignments(chapters.cell(notebook, "ada-quadratic").source)
    alpha, lam = values["alpha_q"], values["lam_q"]
    assert "rmsprop(alpha_q, decay=0.9)" in chapters.cell(notebook, "ada-quadratic").source
    thetas = _run_quadratic(np.array([[lam]]), [1.0], _numpy_method("rmsprop", alpha), values["T_q"])
    np.testing.assert_allclose(np.abs(thetas[-10:, 0]), alpha / 2, rtol=1e-3)
    # The growth of the effective step by 1/√β₂ a step, which the text quotes.
    v, etas = 0.0, []
    for theta in thetas[:-1, 0]:
        v = 0.9 * v + 0.1 * (lam * theta) ** 2
        etas.append(alpha / np.sqrt(v))
    etas = np.array(etas)
    limit = int(np.argmax(lam * etas > 2))
    assert np.isclose(np.median(etas[21:limit] / etas[20:limit - 1]), 1 / np.sqrt(0.9), atol=1e-3)
    assert np.min(np.abs(thetas[:, 0])) < 1e-10  # It plunges first.


def test_the_cliff_run_in_numpy(notebook, text):
    values = chapters.assignments(chapters.cell(notebook, "ada-cliff").source)
    assert (values["T_cliff"], values["alpha_cliff"]) == (400, 0.1)
    assert "from $(-3, 1)$" in text and np.allclose(problems.cliff().init, (-3.0, 1.0))
    h, k = 10.0, 50.0

    def grad(p):  # ∇ of ½(0.1(x − 2)² + y²) + h/(1 + e^{k(x − 0.3y)}).
        x, y = p
        s = 1 / (1 + np.exp(-k * (x - 0.3 * y)))
        d = -h * k * s * (1 - s)
        return np.array([0.1 * (x - 2) + d, y - 0.3 * d])

    ends = {}
    for name in ("adagrad", "rmsprop"):
        p, state = np.array([-3.0, 1.0]), (np.zeros(2), np.zeros(2))
        method = _numpy_method(name, 0.1, eps=1e-8)
        for t in range(1, 401):
            update, state = method(grad(p), state, t)
            p = p + update
        ends[name] = p
    assert ends["adagrad"][0] < 0.5 and abs(ends["rmsprop"][0] - 2) < 1e-3  # AdaGrad stalls.
    assert np.isclose(abs(ends["rmsprop"][1]), 0.05, rtol=1e-3)  # The 2-cycle ±α/2 in y.
    assert "stalls" in text and "2-cycle" in text


def test_constant_gradient_cell_uses_the_settings_of_its_text(notebook, text):
    source = chapters.cell(notebook, "ada-constant").source
    assert "rmsprop(alpha_const, decay=0.9)" in source and "adadelta()" in source
    assert "$\\beta_2 = 0.95$, $\\varepsilon = 10^{-6}$" in text
    from descent.optimizers import adadelta
    defaults = inspect.signature(adadelta).parameters
    assert (defaults["rho"].default, defaults["eps"].default) == (0.95, 1e-6)


# ---------------------------------------------------------------------------------------
# The experiment, recomputed.


def test_sparse_features_minimum_and_frequencies():
    problem = problems.sparse_features(n=2000, rare_probability=0.01, seed=3)
    X, y = np.asarray(problem.inputs, float), np.asarray(problem.targets, float)
    solution = np.linalg.solve(X.T @ X, X.T @ y)
    np.testing.assert_allclose(problem.minimum, solution, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(problem.minimum_value, 0.5 * np.mean((X @ solution - y) ** 2), rtol=1e-6)
    active = (X != 0).mean(axis=0)
    rare = np.asarray(problem.rare)
    assert np.allclose(active[~rare], 0.5, atol=0.05) and np.allclose(active[rare], 0.01, atol=0.008)
    assert np.all(np.abs(np.asarray(problem.weights)[rare]) == 2.0)
    np.testing.assert_allclose(problem.full_loss(problem.minimum), problem.minimum_value, rtol=1e-4)
    again = problems.sparse_features(n=2000, rare_probability=0.01, seed=3)
    assert np.array_equal(np.asarray(again.inputs), np.asarray(problem.inputs))  # Seeded.


def test_sparse_text_states_the_problems_settings(notebook, text):
    defaults = inspect.signature(problems.sparse_features).parameters
    assert defaults["noise"].default == 0.1 and defaults["rare_weight"].default == 2.0
    assert "noise of standard deviation 0.1" in text and "rare weights $\\pm 2$" in text
    assert "$N(0, 0.5^2)$" in text and "N(0, 0.5²)" in problems.sparse_features.__doc__


def test_sparse_experiment_in_numpy(notebook):
    """SGD and AdaGrad over the chapter's grids, in NumPy, on the chapter's batches."""
    source = chapters.cell(notebook, "ada-sparse").source
    values = chapters.assignments(source)
    T, B = values["T_sp"], values["B_sp"]
    call = re.search(r"problems\.sparse_features\((.*?)\)\n", source, re.S).group(1)
    problem = eval(f"problems.sparse_features({call})", {"problems": problems})
    X, y = np.asarray(problem.inputs, float), np.asarray(problem.targets, float)
    N = X.shape[0]
    batches = np.asarray(batch_indices(jax.random.key(1), N, T, B))
    assert "batch_indices(jax.random.key(1), N_sp, T_sp, B_sp)" in source
    w_ls, rare = np.asarray(problem.minimum, float), np.asarray(problem.rare)
    grids = {"SGD": np.geomspace(0.05, 3.2, 7), "AdaGrad": np.geomspace(0.02, 1.28, 7)}
    assert '"SGD": np.geomspace(0.05, 3.2, 7), "AdaGrad": np.geomspace(0.02, 1.28, 7)' in source

    def final(name, alpha):
        w, G = np.zeros(X.shape[1]), np.zeros(X.shape[1])
        tail = []
        for t, batch in enumerate(batches):
            g = X[batch].T @ (X[batch] @ w - y[batch]) / B
            if name == "SGD":
                w = w - alpha * g
            else:
                G = G + g**2
                w = w - alpha * g / (np.sqrt(G) + 1e-8)
            if not np.all(np.isfinite(w)) or np.abs(w).max() > 1e6:
                return np.inf, np.inf
            if t >= T - 100 and (t + 1) % 10 == 0:
                tail.append(0.5 * np.mean((X @ w - y) ** 2) - problem.minimum_value)
        return np.mean(tail), np.linalg.norm((w - w_ls)[rare]) / np.linalg.norm(w_ls[rare])

    best = {name: min((final(name, a) for a in grid), key=lambda r: r[0])
            for name, grid in grids.items()}
    assert best["AdaGrad"][0] < best["SGD"][0] / 3  # The loss: several times lower.
    assert best["AdaGrad"][1] < best["SGD"][1] / 2  # The rare weights: much closer.


# ---------------------------------------------------------------------------------------
# The cells assert what their text says.


@pytest.mark.parametrize("cell_id, claims", [
    ("ada-cliff", ["assert cliff_paths[\"AdaGrad\"][-1, 0] < 1.0 < cliff_paths[\"RMSProp\"][-1, 0]",
                   "assert adagrad_stalled[: last_stalled + 1].all()"]),
    ("ada-quadratic", ["assert abs(growth_measured - growth_pred) < 1e-3",
                       "assert abs(np.abs(rms_theta[-10:]).mean() - amplitude) < 1e-3 * amplitude"]),
    ("ada-rotation", ["assert (rot_steps[\"SGD\"][at_0] == rot_steps[\"SGD\"][at_45]).all()",
                      "assert (np.diff(rot_steps[\"AdaGrad\"][at_45]) > 0).all()",
                      "assert (rot_steps[\"RMSProp\"] > 1000).all()"]),
    ("ada-sparse", ["assert 0 < best < len(sp_grids[name]) - 1, name"]),
])
def test_cells_assert_their_claims(notebook, cell_id, claims):
    source = chapters.cell(notebook, cell_id).source
    for claim in claims:
        assert claim in source, (cell_id, claim)


def test_the_rotation_text_matches_its_settings(notebook, text):
    source = chapters.cell(notebook, "ada-rotation").source
    assert "rot_alphas = np.geomspace(1e-4, 3.0, 31)" in source
    assert "rot_kappas, rot_angles = (10.0, 100.0, 1000.0), (0.0, np.pi / 4)" in source
    assert "np.array([1.0, 0.4])" in source and "eigencomponents $(1, 0.4)$" in text
    assert "from $10^{-4}$ to 3" in text


# ---------------------------------------------------------------------------------------
# Review: RMSProp's 2-cycle next to the rotation table, the cliff's gradients, the explorer's
# things to try, the sparse experiment's prediction.


def test_rmsprop_count_at_angle_0_is_set_by_its_2_cycle(notebook, text):
    """At κ = 10, angle 0: the cycle's loss (λ₁ + λ₂)α²/8 stays below δL₀ only for α up to
    √(8δL₀/(λ₁ + λ₂)); the best grid α is the last below that, and needs about 1/α steps."""
    source = chapters.cell(notebook, "ada-rotation").source
    assert "rms_cap = np.sqrt(8 * rot_delta * L0_first / (1.0 + rot_kappas[0]))" in source
    for name in ("ada_rot_rms_cap", "ada_rot_rms_alpha", "ada_rot_rms_inv", "prop-ada-cycle"):
        assert name in chapters.cell(notebook, "ada-rotation-notice").source, name
    Q, theta0, delta = np.diag([1.0, 10.0]), np.array([1.0, 0.4]), 1e-6
    L0 = 0.5 * theta0 @ Q @ theta0
    cap = np.sqrt(8 * delta * L0 / 11.0)
    alphas = np.geomspace(1e-4, 3.0, 31)
    below, above = alphas[alphas <= cap][-1], alphas[alphas > cap][0]

    def count(alpha):
        losses = 0.5 * np.einsum("ti,ij,tj->t", *(lambda th: (th, Q, th))(
            _run_quadratic(Q, theta0, _numpy_method("rmsprop", alpha, eps=1e-8), 6000)))
        above_target = np.flatnonzero(losses >= delta * L0)
        return int(above_target[-1]) + 1 if above_target.size else 0

    assert count(above) >= 6000  # Its cycle sits above the target: it never stays below.
    n = count(below)
    assert 1 / below < n < 1.5 / below  # At most about α a step, from a distance of 1.


def test_the_cliff_runs_meet_different_gradients(notebook, text):
    """AdaGrad lands on the cliff face; RMSProp, with steps of about α, steps over it."""
    h, k = 10.0, 50.0

    def grad(p):
        x, y = p
        s = 1 / (1 + np.exp(-k * (x - 0.3 * y)))
        d = -h * k * s * (1 - s)
        return np.array([0.1 * (x - 2) + d, y - 0.3 * d])

    largest = {}
    for name in ("adagrad", "rmsprop"):
        p, state, gx = np.array([-3.0, 1.0]), (np.zeros(2), np.zeros(2)), []
        method = _numpy_method(name, 0.1, eps=1e-8)
        for t in range(1, 401):
            g = grad(p)
            gx.append(abs(g[0]))
            update, state = method(g, state, t)
            p = p + update
        largest[name] = max(gx)
    assert largest["adagrad"] > 50 and largest["rmsprop"] < 2
    notice = chapters.cell(notebook, "ada-cliff-notice").source
    assert "ada_cliff_gmax_RMSProp" in notice and "small burst" in notice
    assert "about a hundred times\nthe plateau's" not in notice


def test_the_invariance_proposition_is_referred_to_where_it_is():
    # It is in the theory, above the Adadelta runs.
    text = chapters.flat(chapters.markdown(chapters.read("adaptive")))
    assert "{prf:ref}`prop-ada-invariance` below" not in text


def test_the_explorers_things_to_try():
    from descent.explorers import AdaptiveExplorer

    explorer = AdaptiveExplorer()
    intro = chapters.cell(chapters.read("adaptive"), "ada-explorer-intro").source
    # AdaGrad at α = 1: angle 0 hardly cares about λ₂; at 45° it is slower, > 300 steps at 100.
    reached = {(l2, a): explorer.set(optimizer="adagrad", learning_rate=1.0, lambda2=l2, angle=a,
                                     steps=300)["reached"]
               for l2 in (25.0, 100.0) for a in (0.0, 45.0)}
    assert reached[25.0, 0.0] is not None and reached[100.0, 0.0] is not None
    assert abs(reached[25.0, 0.0] - reached[100.0, 0.0]) <= 2
    assert reached[25.0, 45.0] > 5 * reached[25.0, 0.0] and reached[100.0, 45.0] is None
    assert "set $\\alpha$ to 1" in intro and "more than 300 at $\\lambda_2 = 100$" in intro
    # SGD at α = 0.1 diverges at λ₂ = 25.
    losses = np.asarray(explorer.set(optimizer="sgd", learning_rate=0.1, lambda2=25.0, angle=0.0,
                                     steps=100)["losses"])
    assert not (losses[-1] < losses[0])
    # RMSProp: the plunge and the rebound come early at β₂ = 0.9, near step 300 at 0.99.
    lows = {}
    for b2 in (0.9, 0.99):
        losses = np.asarray(explorer.set(optimizer="rmsprop", learning_rate=0.1, b2=b2, lambda2=25.0,
                                         angle=0.0, steps=300)["losses"])
        lows[b2] = int(np.argmin(losses))
        if b2 == 0.9:
            assert losses[lows[b2]:].max() > 1e6 * losses[lows[b2]]  # The rebound.
    assert lows[0.9] < 100 and lows[0.99] > 200
    assert "from about\n  $\\beta_2 = 0.99$ starts only near the end of the 300 steps" in intro
    # Adadelta: the explorer scales its update by α; at α = 1 the first step is √(ε/(1 − β₂)).
    result = explorer.set(optimizer="adadelta", learning_rate=1.0, b2=0.9, lambda2=25.0, angle=0.0,
                          steps=300)
    trajectory, losses = np.asarray(result["trajectory"]), np.asarray(result["losses"])
    np.testing.assert_allclose(np.abs(trajectory[1] - trajectory[0]), np.sqrt(1e-8 / 0.1), rtol=1e-3)
    assert losses[-1] > 0.5 * losses[0]  # Hardly fallen after 300 steps.
    assert "Pick Adadelta and set $\\alpha$ to 1" in intro


def test_sgd_rare_weights_follow_the_expected_decay(notebook):
    source = chapters.cell(notebook, "ada-sparse").source
    assert "(1 - sgd_alpha * h_rare) ** T_sp" in source
    problem = problems.sparse_features(n=10_000, frequent=20, rare=10, frequent_probability=1.0,
                                       rare_probability=0.002, seed=0)
    X = np.asarray(problem.inputs, float)
    h = np.diag(X.T @ X / X.shape[0])[np.asarray(problem.rare)]
    w = np.asarray(problem.minimum, float)[np.asarray(problem.rare)]
    predicted = np.linalg.norm(w * (1 - 0.8 * h) ** 1000) / np.linalg.norm(w)
    assert 0.15 < predicted < 0.3  # The run's rare weights: 0.22 of their size away.


def test_optax_adagrads_gap_is_where_it_puts_eps(notebook):
    """optax.adagrad (G₀ = 0) is AdaGrad with ε inside the root, to rounding error."""
    import optax

    assert "that placement is the whole gap\nof its row" in chapters.cell(notebook, "ada-scratch-notice").source
    problem = problems.quadratic((1.0, 10.0), angle=np.pi / 8, init=(2.0, 1.0))
    Q, theta0 = np.asarray(problem.Q, float), np.asarray(problem.init, float)
    with jax.enable_x64(True):
        optimizer = optax.adagrad(0.1, initial_accumulator_value=0.0, eps=1e-8)
        theta = jax.numpy.asarray(theta0)
        state, ours, G, mine = optimizer.init(theta), [theta0], np.zeros(2), theta0
        for _ in range(100):
            updates, state = optimizer.update(jax.numpy.asarray(Q) @ theta, state, theta)
            theta = theta + updates
            g = Q @ mine
            G = G + g**2
            mine = mine - 0.1 * g / np.sqrt(G + 1e-8)  # ε inside the square root.
            ours.append(np.asarray(theta) - mine)
    assert np.max(np.abs(ours[1:])) < 1e-12
