"""The chapter "Adam and its family": its numbers recomputed independently, its claims.

The closed forms of descent.theory are tested against numerics in test_theory_adam.py. Here
the chapter's own numbers are recomputed without descent in a few lines of float64 NumPy
(the bias correction's factor, sign descent, Reddi et al.'s problem with a hand loop and a
clip, the two rest points of L2-in-Adam and AdamW), two of the chapter's cells are run from
their source and compared with those loops, and the statements the prose makes about its
settings are checked against the cells. What every chapter must be (anatomy, glued names,
figures, exercise quotes) is checked in test_notebooks.py.
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
    return chapters.read("adam")


@pytest.fixture(scope="module")
def text(notebook):
    return chapters.flat(chapters.markdown(notebook))


@pytest.fixture(scope="module")
def run_cells(notebook):
    """Run the import cell and then the named cells, glue switched off; return the namespace."""
    imports = chapters.cell(notebook, "adam-imports").source
    source = "\n".join(line for line in imports.splitlines()
                       if not line.startswith("%") and "limit_memory()" not in line)
    namespace: dict = {}
    exec(compile(source, "adam-imports", "exec"), namespace)
    namespace["glue"] = lambda *args, **kwargs: None

    def run(*cell_ids):
        for cell_id in cell_ids:
            exec(compile(chapters.cell(notebook, cell_id).source, cell_id, "exec"), namespace)
        return namespace

    return run


def adam_numpy(gradients, b1, b2, alpha, eps=0.0, correct=True):
    m = v = 0.0
    steps = []
    for t, g in enumerate(gradients, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = (m / (1 - b1**t), v / (1 - b2**t)) if correct else (m, v)
        steps.append(-alpha * m_hat / (np.sqrt(v_hat) + eps))
    return np.array(steps)


# ---------------------------------------------------------------------------------------
# The notebook's form.


def test_citations_cross_references_and_explorers(notebook, text):
    for key in ("kingma2015adam", "reddi2018convergence", "dozat2016incorporating",
                "loshchilov2019decoupled", "balles2018dissecting", "bernstein2018signsgd",
                "paszke2019pytorch", "xiao2017fashion", "tieleman2012rmsprop"):
        assert key in text, key
    for label in ("prop-adam-bias", "prop-adam-bound", "prop-adam-reddi", "prop-adam-adamw"):
        assert f":label: {label}" in chapters.markdown(notebook)
        assert f"{{prf:ref}}`{label}`" in text, label
    assert "{prf:ref}`prop-mom-forms`" in text and "{doc}`momentum`" in text
    for cell_id, name in (("adam-explorer", "AdaptiveExplorer"),
                          ("adam-explorer-softlabel-cell", "LossCurveExplorer")):
        cell = chapters.cell(notebook, cell_id)
        tree = ast.parse(cell.source)
        assert tree.body[0].module == "descent.explorers"
        call = tree.body[-1].value
        assert call.func.id == name and cell.metadata.get("tags") is None
        keywords = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg != "angle"}
        assert keywords["optimizer"] == "adam"
        assert {"learning_rate", "b1", "b2"} <= set(keywords["sliders"])
    assert chapters.cell(notebook, "adam-mlp").source.startswith("wait_for_warm_ups()")


def test_every_descent_function_named_in_the_text_exists(text):
    import descent.optimizers
    import descent.problems

    for module, name in re.findall(r"`descent\.(theory|problems|optimizers)\.(\w+)`", text):
        assert hasattr({"theory": theory, "problems": descent.problems,
                        "optimizers": descent.optimizers}[module], name), (module, name)


def test_the_implementation_table(text):
    """Which library name is L2 and which is decoupled, as the docs say (checked for optax
    in its source: adamw chains scale_by_adam, add_decayed_weights, scale_by_learning_rate)."""
    import inspect

    import optax

    source = inspect.getsource(optax.adamw)
    source = source[source.index("return combine.chain("):]
    assert source.index("scale_by_adam") < source.index("add_decayed_weights") \
        < source.index("scale_by_learning_rate")
    assert "`torch.optim.Adam(params, weight_decay=λ)` | L2 inside Adam" in text
    assert "`torch.optim.AdamW(params, weight_decay=λ)` | decoupled" in text
    assert "`optax.chain(optax.add_decayed_weights(λ), optax.adam(α))` | L2 inside Adam" in text


# ---------------------------------------------------------------------------------------
# The numbers, recomputed.


def test_the_printed_source_is_the_five_equations(run_cells):
    namespace = run_cells("adam-source")
    lines = namespace["update_lines"](namespace["adam"], "alpha = _at(", "return -alpha")
    order = ["m = b1 * m + (1 - b1) * g", "v = b2 * v + (1 - b2) * g**2", "m_hat = m / (1 - b1**t)",
             "v_hat = v / (1 - b2**t)", "return -alpha * m_hat / (jnp.sqrt(v_hat) + eps)"]
    positions = [lines.index(line) for line in order]
    assert positions == sorted(positions)


def test_bias_correction_numbers(notebook, text):
    values = chapters.assignments(chapters.cell(notebook, "adam-bias").source)
    ratio = -adam_numpy(np.ones(3000), 0.9, 0.999, 1.0, correct=False)  # Corrected: 1.
    assert np.isclose(ratio[0], 0.1 / np.sqrt(0.001))
    assert 6 < ratio.max() < 7 and 5 <= np.argmax(ratio) + 1 <= 20  # The peak, near t = 12.
    assert 1.2 < ratio[999] < 1.3
    # On ½θ² the uncorrected run overshoots further below 0 than the corrected one.
    def half(correct):
        theta, m, v, low = 1.0, 0.0, 0.0, 1.0
        for t in range(1, 151):
            g = theta
            m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
            mh, vh = (m / (1 - 0.9**t), v / (1 - 0.999**t)) if correct else (m, v)
            theta -= values["bias_alpha"] * mh / (np.sqrt(vh) + 1e-8)
            low = min(low, theta)
        return low
    assert half(False) < 3 * half(True) < 0
    assert "overshoots to {glue:text}`adam_bias_low_uncorrected`" in text


def test_sign_descent_and_the_eps_limit():
    rng = np.random.default_rng(0)
    g = rng.normal(size=50) * 10.0 ** rng.uniform(-3, 3, size=50)
    np.testing.assert_allclose(adam_numpy(g, 0.0, 0.0, 0.1, eps=1e-14), -0.1 * np.sign(g), rtol=1e-9)
    small = 1e-6 * rng.normal(size=50)  # |g| ≪ ε = 1, β₁ = 0: SGD with the step α/ε.
    np.testing.assert_allclose(adam_numpy(small, 0.0, 0.999, 0.5, eps=1.0), -0.5 * small, rtol=1e-4)


def _reddi_hand_loop(C, alpha, T, amsgrad):
    b2 = 1 / (1 + C * C)
    x, v, v_max, xs = 0.0, 0.0, 0.0, []
    for t in range(1, T + 1):
        xs.append(x)
        g = C if t % 3 == 1 else -1.0
        v = b2 * v + (1 - b2) * g * g
        v_hat = v / (1 - b2**t)
        v_max = max(v_max, v_hat)
        x = min(1.0, max(-1.0, x - alpha / np.sqrt(t) * g / (np.sqrt(v_max if amsgrad else v_hat) + 1e-8)))
    xs = np.array(xs)
    c = np.where(np.arange(1, T + 1) % 3 == 1, C, -1.0)
    regret = np.cumsum(c * xs) + np.abs(np.cumsum(c))
    return xs, regret / np.arange(1, T + 1)


def test_reddi_counterexample_by_a_hand_loop(notebook, run_cells, text):
    values = chapters.assignments(chapters.cell(notebook, "adam-reddi").source)
    C, alpha, T = values["C"], values["reddi_alpha"], 30_000
    assert C == 3.0 and "$\\beta_2 = 1/(1 + C^2) = 0.1$" in text
    hand = {name: _reddi_hand_loop(C, alpha, T, amsgrad) for name, amsgrad in
            (("Adam", False), ("AMSGrad", True))}
    assert hand["Adam"][0][-1] > 0.99 and hand["AMSGrad"][0][-1] < -0.99
    assert abs(hand["Adam"][1][-1] - 2 * (C - 2) / 3) < 0.01 and hand["AMSGrad"][1][-1] < 0.01
    namespace = run_cells("adam-reddi")
    assert namespace["T_reddi"] == T
    for name in ("Adam", "AMSGrad"):  # The chapter's float32 scan, against the float64 loop.
        assert abs(namespace["reddi_x"][name][-1] - hand[name][0][-1]) < 5e-3, name
        assert abs(namespace["reddi_avg"][name][-1] - hand[name][1][-1]) < 1e-3, name
        assert namespace["drift"][name] == pytest.approx(namespace["drift_theory"][name], rel=1e-3)


def test_adamw_and_l2_rest_points_by_a_hand_loop(notebook, run_cells, text):
    values = chapters.assignments(chapters.cell(notebook, "adam-adamw").source)
    wd, T = values["wd"], values["T_wd"]
    assert "$L = \\tfrac12\\bigl(0.1(\\theta_1 - 1.5)^2 + 10(\\theta_2 - 3)^2\\bigr)$" in text
    assert "decays from 0.05 by a factor of 1000" in text and "$\\beta_2 = 0.99$" in text
    lam, c = np.array([0.1, 10.0]), np.array([1.5, 3.0])
    rest = {}
    for coupled in (True, False):
        theta, m, v = np.zeros(2), np.zeros(2), np.zeros(2)
        for t in range(1, T + 1):
            alpha = 0.05 * 1e-3 ** ((t - 1) / T)
            g = lam * (theta - c) + (wd * theta if coupled else 0)
            m, v = 0.9 * m + 0.1 * g, 0.99 * v + 0.01 * g * g
            step = (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.99**t)) + 1e-8)
            theta = theta - alpha * (step + (0 if coupled else wd * theta))
        rest[coupled] = theta
    ridge = lam * c / (lam + wd)  # argmin L + λ‖θ‖²/2.
    np.testing.assert_allclose(rest[True], ridge, atol=1e-4)
    np.testing.assert_allclose(rest[False], np.clip(c, -1 / wd, 1 / wd), atol=2e-3)
    assert np.abs(rest[True] - rest[False]).max() > 1  # Different solutions.
    namespace = run_cells("adam-adamw")
    for name, coupled in (("L2 inside Adam", True), ("AdamW", False)):
        np.testing.assert_allclose(namespace["wd_paths"][name][-1], rest[coupled], atol=2e-3)


def test_the_mlp_experiment_is_the_briefs_and_checks_what_its_text_says(notebook):
    source = chapters.cell(notebook, "adam-mlp").source
    assert "np.logspace(-3.5, -0.5, 7)" in source  # ≥ 6 log-spaced α.
    assert "np.array([0.0, 0.5, 0.9, 0.99])" in source
    assert source.count("@jax.jit") == 1 and "jax.vmap(over_seeds" in source  # One compile.
    glue_cell = chapters.cell(notebook, "adam-mlp-glue").source
    for claim in ("assert all(j in (2, 3) for j in best_per_b1)",
                  "assert band_b1_spread < band_seed_gap",
                  "failed[:, -1].all() and failed[0, j_high]",
                  "assert np.argmin(loss_map[:, j_high]) == 2 and np.argmax(loss_map[:, j_high]) == 0"):
        assert claim in glue_cell, claim
    figure = chapters.cell(notebook, "adam-mlp-figure").source
    assert "viridis" in figure and "colorbar" in figure and '"failed"' in figure


def test_the_bound_table_matches_the_theory(notebook):
    """The table's settings: the defaults exceed Kingma–Ba's first bound, (0.9, 0.95) its
    second, and (0.9, 0.5) has β₁² > β₂."""
    source = chapters.cell(notebook, "adam-bound").source
    assert "bound_settings = [(0.9, 0.999, 3000), (0.9, 0.95, 3000), (0.9, 0.5, 300)]" in source
    assert theory.adam_step_bound(0.9, 0.999, 3000) > 0.1 / np.sqrt(0.001)
    assert 1 - 0.9 < np.sqrt(1 - 0.95) and theory.adam_step_bound(0.9, 0.95, 3000) > 1
    assert 0.9**2 > 0.5


# ---------------------------------------------------------------------------------------
# Review round: statements the review corrected, each checked against numbers or sources.


def _reddi_x(C, alpha, T, mode):
    """x_1, …, x_T of Adam ("adam"), descent's AMSGrad ("amsgrad", corrected v̂ in the max) or
    Reddi et al.'s Algorithm 2 ("paper": raw m, max of the raw v), β₁ = 0, steps α/√t, float64."""
    b2 = 1 / (1 + C * C)
    x, v, v_max, xs = 0.0, 0.0, 0.0, []
    for t in range(1, T + 1):
        xs.append(x)
        g = C if t % 3 == 1 else -1.0
        v = b2 * v + (1 - b2) * g * g
        v_hat = v / (1 - b2**t)
        v_max = max(v_max, v if mode == "paper" else v_hat)
        scale = {"adam": v_hat, "amsgrad": v_max, "paper": v_max}[mode]
        x = min(1.0, max(-1.0, x - alpha / np.sqrt(t) * g / (np.sqrt(scale) + 1e-8)))
    return np.array(xs)


def test_reddi_adam_reaches_plus_one_but_stays_only_much_later(notebook, run_cells, text):
    """Adam first passes 0.99 at step ~46 but every large gradient pulls it back by ~α_t: it
    stays beyond 0.99 only once α/√t < 0.01, from step ~2700 (the old text said "from step 46
    on")."""
    values = chapters.assignments(chapters.cell(notebook, "adam-reddi").source)
    C, alpha = values["C"], values["reddi_alpha"]
    xs = _reddi_x(C, alpha, 5000, "adam")
    first = int(np.argmax(xs > 0.99)) + 1
    stays = int(np.flatnonzero(xs <= 0.99)[-1]) + 2
    assert first < 100 and stays > 20 * first
    assert 0.9 * (alpha / 0.01) ** 2 < stays < 1.2 * (alpha / 0.01) ** 2  # α/√t ≈ 0.01.
    namespace = run_cells("adam-reddi")
    assert abs(namespace["reached"]["Adam"] - first) <= 1
    assert abs(namespace["stays"]["Adam"] - stays) <= 30
    assert "{glue:text}`adam_reddi_stays_adam`" in text
    assert "beyond 0.99 in size from" not in text
    figure = chapters.cell(notebook, "adam-reddi-figure").source
    assert "stays there" not in figure and "stays['Adam']" in figure


def test_the_papers_amsgrad_has_no_bias_correction_and_optax_flags_give_it(run_cells, text):
    """Reddi et al.'s Algorithm 2: m_t, v_t raw, v̂_t = max(v̂_{t−1}, v_t), x ← x − α_t m_t/√v̂_t.
    optax.amsgrad(bias_correction_mu=False, bias_correction_nu=False) is that; its run on the
    chapter's problem matches a float64 hand loop and also goes to −1."""
    import jax.numpy as jnp
    import optax

    assert "no bias correction" in text and "bias_correction_nu=False" in text
    rng = np.random.default_rng(1)
    grads = rng.normal(size=(20, 3)) * 10.0 ** rng.uniform(-2, 2, size=(20, 3))
    opt = optax.amsgrad(0.1, b1=0.8, b2=0.9, eps=0.0, bias_correction_mu=False,
                        bias_correction_nu=False)
    state = opt.init(jnp.zeros(3))
    m = v = v_max = np.zeros(3)
    for g in grads:
        updates, state = opt.update(jnp.asarray(g, jnp.float32), state)
        m, v = 0.8 * m + 0.2 * g, 0.9 * v + 0.1 * g * g
        v_max = np.maximum(v_max, v)
        np.testing.assert_allclose(np.asarray(updates), -0.1 * m / np.sqrt(v_max), rtol=1e-4)
    paper = _reddi_x(3.0, 0.5, 30_000, "paper")
    namespace = run_cells("adam-reddi")
    assert paper[-1] < -0.99 and abs(namespace["paper_x"][-1] - paper[-1]) < 5e-3
    assert "Theorem 2" in text and "Theorem 3" in text and "Theorem 4" in text


def test_the_average_forms_learning_rate_factor(text):
    """prop-mom-forms: the average form gives Polyak's iterates iff α_m = α/(1 − β), so its
    learning rate is 1/(1 − β) times the trace form's, not α/(1 − β) times."""
    beta, alpha, g = 0.9, 0.05, np.array([1.0, -2.0, 0.5, 3.0])
    trace, v = [], 0.0
    avg, m = [], 0.0
    for gt in g:
        v = beta * v + gt
        trace.append(alpha * v)
        m = beta * m + (1 - beta) * gt
        avg.append(alpha / (1 - beta) * m)
    np.testing.assert_allclose(avg, trace)
    assert "learning rate $1/(1 - \\beta)$ times larger" in text
    assert "whose learning rate is $\\alpha/(1 - \\beta)$ times" not in text


def test_the_worst_gradients_shrink_when_beta2_is_below_beta1(text):
    """g_s ∝ (β₁/β₂)^(t−s) grows with s only when β₂ > β₁; at (0.9, 0.5) it shrinks, and the
    step still exceeds every bound (β₁² > β₂)."""
    t = 30
    for (b1, b2), grows in (((0.9, 0.999), True), ((0.9, 0.5), False)):
        g = (b1 / b2) ** (t - np.arange(1, t + 1))
        assert (np.diff(g) > 0).all() == grows
        step = abs(adam_numpy(g, b1, b2, 1.0)[-1])
        assert step == pytest.approx(theory.adam_step_bound(b1, b2, t), rel=1e-9)
    assert "shrink when $\\beta_2 < \\beta_1$" in text
    assert "the growing gradients go past" not in text


def test_claims_the_runs_do_not_show_are_gone(notebook, text):
    assert "diverge in its first hundred steps" not in text  # Never run.
    assert "momentum widened the range of usable learning rates" not in text
    glue_cell = chapters.cell(notebook, "adam-mlp-glue").source
    assert "assert high_ok.min() > 2 * loss_map[:, band].max()" in glue_cell
    figure = chapters.cell(notebook, "adam-mlp-figure").source
    assert "8 learning rates" not in figure and "len(mlp_alphas)" in figure
    assert "decoupled_weight_decay=True" in text  # torch ≥ 2.x: AdamW is Adam with this flag.
