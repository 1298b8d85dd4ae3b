"""The case study "Adam on hard and soft targets": its numbers recomputed independently, its
claims checked against its cells.

The closed forms are tested in test_theory_soft_targets.py, the exercises in
test_soft_targets_exercises.py. Here the chapter's runs are redone by a NumPy loop of Adam on
the four parameters (W₁, W₂, b₁, b₂), written from the equations, and compared with
descent's runs, and every qualitative statement the prose makes about the curves (which run
is faster, which ripples, which leaves the rounding floor, which slope) is checked on those
runs. The settings the prose states are read from the cells. What every chapter must be
(anatomy, glue, figures, exercise quotes) is checked in test_notebooks.py.
"""

from __future__ import annotations

import ast
import re

import jax
import numpy as np
import pytest

import chapters
from descent import problems, theory
from descent.explorers.softlabel import ripples
from descent.runner import run

SOFT, DELTA = (0.3, 0.7), (0.0, 1.0)
FLOOR = 1e-15


@pytest.fixture(scope="module")
def notebook():
    return chapters.read("soft-targets")


@pytest.fixture(scope="module")
def text(notebook):
    return chapters.flat(chapters.markdown(notebook))


def adam(target, alpha=0.1, b1=0.9, b2=0.999, eps=1e-8, steps=300, gd=False, dtype=np.float64):
    """Adam (or gradient descent) on W (2 × 1) and b (2,), x = 1, in NumPy: losses and gaps."""
    t = np.asarray(target, dtype)
    theta, m, v = np.zeros(4, dtype), np.zeros(4, dtype), np.zeros(4, dtype)  # W₁, W₂, b₁, b₂.
    log_t = np.log(np.where(t > 0, t, 1)).astype(dtype)
    losses, gaps = [], []
    for step in range(1, steps + 2):
        z = theta[:2] + theta[2:]
        log_p = z - np.logaddexp.reduce(z)
        losses.append(float(np.sum(t * (log_t - log_p))))
        gaps.append(float(z[1] - z[0]))
        if step > steps:
            break
        g = np.tile(np.exp(log_p) - t, 2)  # ∇_W = (p − t)x, ∇_b = p − t, x = 1.
        if gd:
            theta = theta - dtype(alpha) * g
            continue
        m = dtype(b1) * m + dtype(1 - b1) * g
        v = dtype(b2) * v + dtype(1 - b2) * g * g
        theta = theta - dtype(alpha) * (m / dtype(1 - b1**step)) / (np.sqrt(v / dtype(1 - b2**step)) + dtype(eps))
    return np.array(losses), np.array(gaps)


@pytest.fixture(scope="module")
def runs():
    return {name: adam(t) for name, t in (("delta", DELTA), ("soft", SOFT))}


# ---------------------------------------------------------------------------------------
# The notebook's form and settings.


def test_citations_cross_references_and_explorer(notebook, text):
    for key in ("paszke2019pytorch", "kingma2015adam", "polyak1964some", "goodfellow2016deep"):
        assert key in text, key
    for ref in ("{doc}`momentum`", "{prf:ref}`prop-mom-forms`", "{prf:ref}`thm-mom-region`",
                "{prf:ref}`prop-mom-critical`", "{prf:ref}`thm-mom-gd-convex`",
                "{prf:ref}`prop-st-optimum`", "{prf:ref}`prop-st-gd`", "{prf:ref}`prop-st-adam`"):
        assert ref in text, ref
    cell = chapters.cell(notebook, "st-explorer")
    tree = ast.parse(cell.source)
    assert tree.body[0].module == "descent.explorers"
    assert tree.body[-1].value.func.id == "LossCurveExplorer" and not tree.body[-1].value.args
    assert cell.metadata.get("tags") is None  # Shown, input and widget.
    assert len(chapters.figure_cells(notebook)) >= 5
    for name in set(re.findall(r"`descent\.theory\.(\w+)`", text)):
        assert hasattr(theory, name), name


def test_the_settings_the_prose_states(notebook, text):
    values = chapters.assignments(chapters.cell(notebook, "st-scratch-run").source)
    assert values["T"] == 300 and values["alpha"] == 0.1
    assert values["targets"] == {"delta": DELTA, "soft": SOFT}
    assert "with $\\alpha = $ {glue:text}`st_alpha`, the default $\\beta_1 = 0.9$, $\\beta_2 = 0.999$" in text
    assert problems.soft_label_classifier(SOFT).x.tolist() == [1.0]  # "x = 1".
    assert chapters.assignments(chapters.cell(notebook, "st-sweep-b1").source)["betas1"] == (0.0, 0.5, 0.9, 0.99)
    assert chapters.assignments(chapters.cell(notebook, "st-sweep-alpha").source)["alphas"] == \
        (0.1, 0.03, 0.01, 0.003)
    growth = chapters.assignments(chapters.cell(notebook, "st-growth").source)
    assert growth["t0"] == 50 and "From $t_0 = 50$" in text
    long = chapters.cell(notebook, "st-growth-long").source
    assert "T_long, b2_long = 5000, 1 - 1e-7" in long and "$\\beta_2 = 1 - 10^{-7}$" in text
    # Every run but the float32 experiment's is float64.
    for cell in chapters.code_cells(notebook):
        if re.search(r"\brun\(", cell.source) and cell.id not in ("st-float32",):
            assert "jax.enable_x64(True)" in cell.source, cell.id
    # The factor 4 = 2(‖x‖² + 1) = 2(‖x‖₁ + 1) at x = 1, and Δs* = log(7/3), λ = 0.21 · 4.
    assert "$c = 4$ for $x = 1$" in text and "$\\lambda = 0.21 \\cdot 4 = $" in text


# ---------------------------------------------------------------------------------------
# The runs, recomputed.


def test_numpy_adam_is_descents_adam(runs):
    with jax.enable_x64(True):
        for name, target in (("delta", DELTA), ("soft", SOFT)):
            result = run(problems.soft_label_classifier(target), "adam", steps=300, learning_rate=0.1)
            np.testing.assert_allclose(result.losses, runs[name][0], rtol=1e-9, atol=1e-14)


def test_the_question_the_soft_target_is_fast_and_ripples_the_delta_is_slow_and_smooth(runs):
    (delta_loss, delta_gap), (soft_loss, soft_gap) = runs["delta"], runs["soft"]
    assert np.all(np.diff(delta_loss) < 0) and np.all(np.diff(delta_gap) > 0)  # Smooth.
    assert ripples(delta_loss) == 0
    assert ripples(soft_loss) > 30
    settle = np.nonzero(soft_loss >= 1e-6)[0][-1] + 1
    assert settle < 150 and delta_loss[-1] > 1e-4  # Orders of magnitude apart.
    assert np.floor(np.log10(delta_loss[-1] / FLOOR)) >= 11
    star = np.log(7 / 3)
    assert abs(soft_gap[-1] - star) < 1e-6
    peak = int(np.argmax(soft_gap))
    assert peak < 10 and soft_gap[peak] / star - 1 > 0.5  # The first overshoot, 61 %.


def test_adam_beats_gradient_descent_on_the_delta_target(runs):
    """At α = 0.1 by a factor of about 20 after 300 steps; at α = 1 (the 1/λ_max step)
    gradient descent leads at first and ends about twice Adam's loss."""
    delta_loss = runs["delta"][0]
    gd_small, _ = adam(DELTA, alpha=0.1, gd=True)
    gd_one, _ = adam(DELTA, alpha=1.0, gd=True)
    assert 15 < gd_small[-1] / delta_loss[-1] < 30
    assert 1.5 < gd_one[-1] / delta_loss[-1] < 2.5
    assert gd_one[5] < delta_loss[5]  # "it leads for the first … steps".
    fit = np.arange(301) >= 150
    slope_adam = np.polyfit(np.log(np.arange(301)[fit]), np.log(delta_loss[fit]), 1)[0]
    slope_gd = np.polyfit(np.log(np.arange(301)[fit]), np.log(gd_small[fit]), 1)[0]
    assert -1.2 < slope_adam < -0.9 and slope_gd == pytest.approx(-1.0, abs=0.05)


def test_the_sign_like_phase(runs):
    """Δs₁ = c_A α = 0.4 exactly (the first step is α per coordinate); Δs₅ ≈ 2."""
    gap = runs["delta"][1]
    assert gap[1] == pytest.approx(0.4, rel=1e-7)
    assert 1.8 < gap[5] <= 2.0


def test_the_ripples_shrink_like_beta1_to_the_t(runs):
    soft_loss = runs["soft"][0]
    mid = soft_loss[1:-1]
    peaks = np.nonzero((mid - soft_loss[:-2] > FLOOR) & (mid - soft_loss[2:] > FLOOR))[0] + 1
    tall = peaks[soft_loss[peaks] > 1e-12]
    decay = np.exp(np.polyfit(tall, np.log(soft_loss[tall]), 1)[0])
    assert decay == pytest.approx(0.9, abs=0.01)
    assert 8 <= np.diff(tall)[0] <= 10 and np.mean(np.diff(tall)[-10:]) < 6  # Spacing shrinks.


def test_the_beta1_sweep_supports_the_prose():
    """Less momentum: fewer ripples before the floor and the floor sooner, 0.99 → 0.9 → 0.5;
    β₁ = 0 reaches it first, without a ripple, and leaves it; 0.99 never gets there."""
    table = {}
    for b1 in (0.0, 0.5, 0.9, 0.99):
        loss, _ = adam(SOFT, b1=b1)
        below = np.nonzero(loss < FLOOR)[0]
        floor = int(below[0]) if below.size else None
        table[b1] = dict(loss=loss, floor=floor,
                         down=ripples(loss[:floor + 1]) if floor is not None else ripples(loss))
    assert table[0.99]["floor"] is None and table[0.99]["loss"][-1] > 1e-6
    assert table[0.0]["floor"] < table[0.5]["floor"] < table[0.9]["floor"]
    assert table[0.0]["down"] == 0 < table[0.5]["down"] < table[0.9]["down"]
    assert table[0.99]["down"] < table[0.9]["down"]  # "fewer … only because its swings are slow".
    assert np.max(table[0.0]["loss"][table[0.0]["floor"]:]) > 1e-2  # It leaves the floor.
    assert table[0.0]["loss"][-1] > 1e-6
    for b1 in (0.5, 0.9):
        assert np.all(table[b1]["loss"][table[b1]["floor"]:] < 1e-10)  # They stay (last ripples).


def test_the_alpha_sweep_supports_the_prose():
    """Smaller α: smaller overshoot, fewer ripples, a slower start; α = 0.003 ends above the floor."""
    results = []
    for a in (0.1, 0.03, 0.01, 0.003):
        loss, gap = adam(SOFT, alpha=a)
        results.append((gap.max() - np.log(7 / 3), ripples(loss), int(np.argmax(loss < 1e-3)), loss[-1]))
    overshoot, count, start, final = (np.array(v) for v in zip(*results))
    assert np.all(np.diff(overshoot) < 0) and np.all(np.diff(count) < 0) and np.all(np.diff(start) > 0)
    assert count[-1] <= 1 and final[-1] > FLOOR


def test_float32_floor_and_delta_agreement(runs):
    """In float32 the soft KL stops at rounding of about 1e-7; the delta loss agrees with
    float64 to better than 1e-3."""
    soft32, _ = adam(SOFT, dtype=np.float32)
    delta32, _ = adam(DELTA, dtype=np.float32)
    floor32 = np.max(np.abs(soft32[-100:]))
    assert 1e-9 < floor32 < 1e-6
    assert abs(delta32[-1] / runs["delta"][0][-1] - 1) < 1e-3


def test_the_reduction_factor_and_adams_scale_invariance(text):
    """PyTorch's 'mean' is our KL over C; Adam's run on KL/2 is the run on KL, up to ε."""
    assert "`reduction='batchmean'`" in text and "`reduction='mean'`" in text
    losses, gaps = adam(SOFT)
    t = np.array(SOFT)
    theta, m, v = np.zeros(4), np.zeros(4), np.zeros(4)
    out = [0.0]
    for step in range(1, 301):
        z = theta[:2] + theta[2:]
        g = 0.5 * np.tile(np.exp(z - np.logaddexp.reduce(z)) - t, 2)  # ∇(KL/2).
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        theta = theta - 0.1 * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
        out.append(theta[1] + theta[3] - theta[0] - theta[2])
    assert np.max(np.abs(np.array(out) - gaps)) < 1e-6


# ---------------------------------------------------------------------------------------
# The review's additions: the head start, gradient descent at the soft edge, the edge that
# momentum only postpones, the ripple threshold against rounding, and the prose that states them.


def _slope(loss, start=150):
    t = np.arange(loss.size)
    fit = t >= start
    return np.polyfit(np.log(t[fit]), np.log(loss[fit]), 1)[0]


def test_the_head_start_is_momentums(runs, text):
    """β₁ = 0.9's slope over steps 150–300 is about −1 because its momentum carries the
    sign-like phase far (e^{Δs₅₀} ≈ 613); with β₁ = 0.5 the head start is ≈ 127 and the slope
    is already about −3/2, although that run ends behind."""
    loss_90, gap_90 = runs["delta"]
    loss_50, gap_50 = adam(DELTA, b1=0.5)
    assert np.exp(gap_90[50]) > 500 and np.exp(gap_50[50]) < 200
    assert -1.1 < _slope(loss_90) < -0.95 and -1.6 < _slope(loss_50) < -1.4
    assert loss_50[-1] > loss_90[-1]  # "although that run ends behind".
    assert "The head start is momentum's" in text and "{glue:text}`st_slope_50`" in text
    assert "\\sqrt{S/t}" not in text  # G is the book's symbol for the sum; S is a schedule's step.


def test_gradient_descent_at_the_soft_edge_matches_adam_but_keeps_slope_minus_one(runs, text):
    """At α = 2/λ, the edge of gradient descent on the soft target, it ends a little below Adam."""
    adam_loss = runs["delta"][0]
    gd_edge, _ = adam(DELTA, alpha=2 / 0.84, gd=True)
    assert 0.7 * adam_loss[-1] < gd_edge[-1] < adam_loss[-1]
    assert -1.05 < _slope(gd_edge) < -0.85  # Tends to −1; its big first step is a head start too.
    soft_edge, _ = adam(SOFT, alpha=2.5, gd=True)  # Past 2/λ the soft loss swings.
    assert soft_edge[-50:].max() > 1e-3
    assert "a little below Adam's {glue:text}`st_final_delta`" in text


def test_momentum_postpones_the_edge_it_does_not_remove_it(text):
    """5000 steps: the soft loss leaves the floor (back above 1e-6) at ≈ 76 (β₁ = 0), ≈ 330
    (0.5), ≈ 3360 (0.9). The exact step depends on rounding, which is what grows."""
    leave = {}
    for b1 in (0.0, 0.5, 0.9):
        loss, _ = adam(SOFT, b1=b1, steps=5000)
        first = int(np.argmax(loss < FLOOR))
        left = np.nonzero((loss > 1e-6) & (np.arange(loss.size) > first))[0]
        leave[b1] = int(left[0]) if left.size else None
    assert 50 < leave[0.0] < 120 and 250 < leave[0.5] < 450 and 2500 < leave[0.9] < 4500
    assert "Momentum postpones the edge; it does not remove it." in text
    assert "a moderate $\\beta_1$ is the safer choice" not in text
    for name in ("st_leave_0", "st_leave_50", "st_leave_90"):
        assert f"{{glue:text}}`{name}`" in text


def test_the_ripple_threshold_ignores_rounding_at_every_loss_level(runs, text):
    """The KL's float64 rounding is absolute (≈ 2e-16 at the minimum), so a smooth curve plus
    that noise has no ripple anywhere between 1e-3 and 1e-14, while a relative threshold
    1e-15·L counts hundreds on a slowly converging curve near 1e-12; a real ripple of 3e-15 above a 1e-15 floor counts."""
    rng = np.random.default_rng(0)
    smooth = np.geomspace(1e-3, 1e-14, 2000)
    assert ripples(smooth + rng.uniform(-2.2e-16, 2.2e-16, smooth.size)) == 0
    slow = np.geomspace(1e-12, 1e-13, 2000)  # Converging slowly: steps below the rounding.
    noisy = slow + rng.uniform(-2.2e-16, 2.2e-16, slow.size)
    assert ripples(noisy) == 0
    mid = noisy[1:-1]
    relative = np.count_nonzero((mid - noisy[:-2] > 1e-15 * mid) & (mid - noisy[2:] > 1e-15 * mid))
    assert relative > 100
    assert ripples([1e-15, 4e-15, 1e-15]) == 1
    soft_loss = runs["soft"][0]
    # The float32 curve, counted with float64's threshold, has more "ripples": rounding.
    soft32, _ = adam(SOFT, dtype=np.float32)
    assert ripples(soft32) > ripples(soft_loss)
    assert "{glue:text}`st_f32_ripples`" in text and "its rounding\nerror is *absolute*" in \
        chapters.cell(chapters.read("soft-targets"), "st-seeit").source


def test_the_rounding_claims(text):
    """The true loss within 1e-9 of the minimizer is at most ½·0.21·(4e-9)² ≈ 1.7e-18 (not
    'below 1e-18'); the float32 plateau is ≈ 1e-7 (glued, not a typed 1e-8)."""
    assert 0.5 * 0.21 * (4e-9) ** 2 > 1e-18
    assert "below $10^{-18}$" not in text and "{glue:text}`st_rounding_true`" in text
    assert "near $10^{-8}$" not in text
    assert '"stalls" near {glue:text}`st_f32_floor`' in text


def test_pytorchs_reduction_details(text):
    """torch.nn.functional.kl_div: input in log-space; 'batchmean' divides by input.size(0)."""
    assert "log-probabilities" in text and "`input.size(0)`" in text
