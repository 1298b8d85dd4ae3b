"""The chapter "Learning-rate schedules": its closed forms, its claims, its exercise checks.

The closed forms the chapter rests on are tested against independent computations: the
relaxation after a step decay (against the exact moments of the noisy quadratic), the
effective sample size of Adam's v̂ (against its weights and against Adam itself), the
sharpness where small steps meet the valley of ½(ab − 1)² (against gradient descent), and
the divergence without warm-up (in float64, so it is no float32 artefact). The rest reads
the notebook's source: the names it glues in loops, its schedules and citations, its
explorer and its exercises. What every chapter must be (its anatomy, glued numbers, figures
shown with a description at a readable size) is checked in test_notebooks.py.
"""

from __future__ import annotations

import ast
import doctest
import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import chapters
import descent.exercises.schedules as ex
from descent import schedules
from descent.optimizers import adam
from descent.problems import Problem
from descent.runner import run
from descent.theory import noise_ball_variance, noisy_quadratic_moments


# ---------------------------------------------------------------------------------------
# The closed forms.


def test_variance_relaxes_geometrically_after_a_step_decay():
    """v_{t0+k} − v∞(α₂) = (1 − α₂λ)^{2k} (v_{t0} − v∞(α₂)), exactly, for every component."""
    lam, s = np.array([1.0, 0.3, 0.02]), np.array([0.1, 0.05, 0.01])
    alphas = np.concatenate([np.full(200, 0.8), np.full(150, 0.08)])
    _, variance = noisy_quadratic_moments(lam, s, alphas, init=np.ones(3))
    v_inf = noise_ball_variance(0.08, lam, s)
    k = np.arange(151)[:, None]
    predicted = v_inf + (1 - 0.08 * lam) ** (2 * k) * (variance[200] - v_inf)
    np.testing.assert_allclose(variance[200:], predicted, rtol=1e-10)


def test_step_decay_drop_is_the_ratio_of_the_noise_balls():
    """After settling at α₁, the variance tends to v∞(α₂): the drop of ex.step_decay_drop."""
    lam, s = 1.0, 0.2
    alphas = np.concatenate([np.full(400, 0.5), np.full(600, 0.05)])
    _, variance = noisy_quadratic_moments([lam], [s], alphas, init=[0.0])
    measured = variance[-1, 0] / variance[400, 0]
    assert math.isclose(measured, ex.step_decay_drop(0.5, 0.05, lam), rel_tol=1e-9)
    assert math.isclose(measured, 0.05 * 1.5 / (0.5 * 1.95), rel_tol=1e-9)


def test_second_moment_samples_is_one_over_the_sum_of_squared_weights():
    for b2 in (0.0, 0.9, 0.99, 0.999):
        for t in (1, 2, 7, 100, 5000):
            k = np.arange(1, t + 1)
            w = (1 - b2) * b2 ** (t - k) / (1 - b2**t)
            assert math.isclose(w.sum(), 1.0, rel_tol=1e-9)
            assert math.isclose(schedules.second_moment_samples(b2, t), 1 / np.sum(w**2),
                                rel_tol=1e-9), (b2, t)


def test_second_moment_spread_matches_adam_on_gaussian_noise():
    """The relative spread of Adam's bias-corrected v̂_t is √(2/n_t) (20 000 coordinates)."""
    b2, coordinates = 0.99, 20_000
    optimizer = adam(learning_rate=1.0, b2=b2)
    state = optimizer.init(jnp.zeros(coordinates))
    keys = jax.random.split(jax.random.key(3), 300)
    update = jax.jit(optimizer.update)
    for t in range(1, 301):
        g = jax.random.normal(keys[t - 1], (coordinates,))
        updates, state = update(g, state)
        if t == 1:  # n₁ = 1: the first step is −α·sign(g) in every coordinate.
            np.testing.assert_allclose(updates, -jnp.sign(g), atol=1e-3)
        if t in (1, 3, 30, 300):
            v_hat = np.asarray(state.v, np.float64) / (1 - b2**t)
            spread = v_hat.std() / v_hat.mean()
            expected = math.sqrt(2 / schedules.second_moment_samples(b2, t))
            # The sample std of 20 000 draws of a chi-square-like variable: a few % at t = 1.
            assert abs(spread / expected - 1) < (0.06 if t == 1 else 0.03), (t, spread, expected)


def test_second_moment_samples_limits_and_bad_input():
    assert schedules.second_moment_samples(0.999, 1) == pytest.approx(1.0)
    assert schedules.second_moment_samples(0.999, 10**7) == pytest.approx(1999.0)
    assert np.all(schedules.second_moment_samples(0.0, np.arange(1, 5)) == 1.0)
    with pytest.raises(ValueError, match=r"second_moment_samples: b2 must be in \[0, 1\)"):
        schedules.second_moment_samples(1.0, 5)
    with pytest.raises(ValueError, match="count must be an integer in"):
        schedules.second_moment_samples(0.9, 0)


def _two_layer(theta):
    a, b = theta
    return 0.5 * (a * b - 1.0) ** 2


def _descend(schedule, steps, start=(2.0, 2.5)):
    """Gradient descent on ½(ab − 1)² in float64 NumPy; stops once the loss passes 1e300."""
    a, b = start
    losses = [0.5 * (a * b - 1) ** 2]
    for t in range(steps):
        r, alpha = a * b - 1, float(schedule(t))
        a, b = a - alpha * r * b, b - alpha * r * a
        losses.append(0.5 * (a * b - 1) ** 2)
        if not losses[-1] < 1e300:
            break
    return np.array(losses), (a, b)


def test_the_divergence_without_warmup_is_real_in_float64():
    losses, _ = _descend(schedules.constant(0.6), 40)
    assert len(losses) - 1 <= 10 and not losses[-1] < 1e300  # Passes 1e300 within 10 steps.
    assert np.all(np.diff(losses) > 0)  # Every step makes it worse: no float32 rounding needed.
    warmed, (a, b) = _descend(schedules.linear_warmup(schedules.constant(0.6), 20), 40)
    assert warmed[-1] < 1e-20 and abs(a * b - 1) < 1e-9


def test_the_same_runs_in_float32_through_the_runner():
    problem = Problem(name="two-layer", loss=_two_layer, init=jnp.array([2.0, 2.5]),
                      minimum=jnp.array([1.0, 1.0]))
    constant = run(problem, "sgd", steps=40, learning_rate=schedules.constant(0.6))
    warm = run(problem, "sgd", steps=40,
               learning_rate=schedules.linear_warmup(schedules.constant(0.6), 20))
    assert constant.diverged_at is not None and constant.diverged_at <= 8
    assert warm.diverged_at is None and warm.losses[-1] < 1e-12


def test_minimum_sharpness_where_small_steps_meet_the_valley():
    """Small-step gradient descent keeps a² − b², and λ_max there is √((a² − b²)² + 4).

    A step α changes a² − b² by O(α²) per step, so the end point is within O(α) of the
    gradient flow's: 0.6 % at α = 0.01, under 0.1 % at α = 0.001.
    """
    _, (a, b) = _descend(schedules.constant(0.001), 20_000)
    with jax.enable_x64(True):
        hessian = jax.hessian(_two_layer)(jnp.array([a, b], jnp.float64))
        top = float(jnp.linalg.eigvalsh(hessian)[-1])
    assert abs(a * b - 1) < 1e-9
    assert top == pytest.approx(ex.product_minimum_sharpness(2.0, 2.5), rel=1e-3)
    assert ex._start_sharpness(2.0, 2.5) == pytest.approx(
        float(np.linalg.eigvalsh(np.array([[6.25, 9.0], [9.0, 4.0]]))[-1]), rel=1e-12)


# ---------------------------------------------------------------------------------------
# The exercise checks.


def test_exercise_doctests():
    result = doctest.testmod(ex)
    assert result.attempted >= 5 and result.failed == 0, result


def test_cosine_value_is_the_schedule():
    with jax.enable_x64(True):
        for T, t in ((1000, 250), (100, 0), (100, 100), (100, 150), (7, 3)):
            assert ex.cosine_value(0.1, T, t) == pytest.approx(
                float(schedules.cosine_decay(0.1, T)(t)), rel=1e-12)


@pytest.mark.parametrize("peak, W, S, D", [(0.1, 100, 8000, 2000), (1.0, 0, 0, 1),
                                           (0.3, 45, 720, 180), (2.0, 7, 7, 13)])
def test_wsd_sum_is_the_sum_of_the_schedule(peak, W, S, D):
    with jax.enable_x64(True):
        values = schedules.warmup_stable_decay(peak, W, S, D)(jnp.arange(S + D))
        assert ex.wsd_learning_rate_sum(peak, W, S, D) == pytest.approx(float(values.sum()),
                                                                          rel=1e-12)


def test_adam_warmup_steps_is_the_first_step_with_enough_samples():
    for b2, spread in ((0.999, 0.05), (0.99, 0.2), (0.9, 0.5)):
        t = ex.adam_warmup_steps(b2, spread)
        n = schedules.second_moment_samples(b2, np.array([t - 1, t])) if t > 1 else None
        assert math.sqrt(2 / schedules.second_moment_samples(b2, t)) <= spread
        if n is not None:
            assert math.sqrt(2 / n[0]) > spread
    with pytest.raises(ValueError, match="never rests on"):
        ex.adam_warmup_steps(0.999, 0.01)


@pytest.mark.parametrize("check, kwargs, answer", [
    (ex.check_step_decay_drop, dict(learning_rate_before=0.5, learning_rate_after=0.05,
                                    curvature=1.0), 0.0769),
    (ex.check_cosine_value, dict(init_value=0.1, decay_steps=1000, step=250), 0.08536),
    (ex.check_adam_warmup_steps, dict(b2=0.999, spread=0.05), 848),
    (ex.check_wsd_learning_rate_sum, dict(peak_value=0.1, warmup_steps=100, decay_start=8000,
                                          decay_steps=2000), 895),
    (ex.check_product_minimum_sharpness, dict(a0=2, b0=2.5), 3.01),
])
def test_right_answers_pass_and_none_asks(check, kwargs, answer):
    assert check(**kwargs, answer=answer)
    verdict = check(**kwargs, answer=None)
    assert verdict.right is None and "replace None" in repr(verdict)


@pytest.mark.parametrize("check, kwargs, answer, says", [
    (ex.check_step_decay_drop, dict(learning_rate_before=0.5, learning_rate_after=0.05,
                                    curvature=1.0), 0.1, "small-α approximation"),
    (ex.check_step_decay_drop, dict(learning_rate_before=0.5, learning_rate_after=0.05,
                                    curvature=1.0), 0.01, "(α₂/α₁)²"),
    (ex.check_step_decay_drop, dict(learning_rate_before=0.5, learning_rate_after=0.05,
                                    curvature=1.0), 13.0, "other way round"),
    (ex.check_cosine_value, dict(init_value=0.1, decay_steps=1000, step=250), 0.075, "linear"),
    (ex.check_cosine_value, dict(init_value=0.1, decay_steps=1000, step=250), 0.0707,
     "α₀·cos(π t/T)"),
    (ex.check_cosine_value, dict(init_value=0.1, decay_steps=1000, step=250), 0.0924,
     "quarter period"),
    (ex.check_adam_warmup_steps, dict(b2=0.999, spread=0.05), 800, "n_t ≈ t"),
    (ex.check_adam_warmup_steps, dict(b2=0.999, spread=0.05), 400, "forgets the 2"),
    (ex.check_adam_warmup_steps, dict(b2=0.999, spread=0.05), 2000, "rule of thumb"),
    (ex.check_wsd_learning_rate_sum, dict(peak_value=0.1, warmup_steps=100, decay_start=8000,
                                          decay_steps=2000), 1000, "every step at the peak"),
    (ex.check_wsd_learning_rate_sum, dict(peak_value=0.1, warmup_steps=100, decay_start=8000,
                                          decay_steps=2000), 900, "warm-up is a ramp"),
    (ex.check_wsd_learning_rate_sum, dict(peak_value=0.1, warmup_steps=100, decay_start=8000,
                                          decay_steps=2000), 890, "leaves the warm-up out"),
    (ex.check_product_minimum_sharpness, dict(a0=2, b0=2.5), 14.2, "at the start"),
    (ex.check_product_minimum_sharpness, dict(a0=2, b0=2.5), 2.0, "balanced minimum"),
    (ex.check_product_minimum_sharpness, dict(a0=2, b0=2.5), 10.25, "a₀² + b₀²"),
])
def test_likely_wrong_answers_are_named(check, kwargs, answer, says):
    verdict = check(**kwargs, answer=answer)
    assert verdict.right is False and says in repr(verdict), repr(verdict)


def test_other_wrong_answers_fail_with_a_hint():
    verdict = ex.check_cosine_value(init_value=0.1, decay_steps=1000, step=250, answer=0.05)
    assert verdict.right is False and "0.05 is not it" in repr(verdict)
    assert not ex.check_adam_warmup_steps(b2=0.999, spread=0.05, answer=847)
    assert not ex.check_adam_warmup_steps(b2=0.999, spread=0.05, answer=849)


def test_bad_exercise_arguments_raise():
    with pytest.raises(ValueError):
        ex.step_decay_drop(0.05, 0.5, 1.0)  # A rise, not a decay.
    with pytest.raises(ValueError):
        ex.step_decay_drop(2.5, 0.5, 1.0)  # Unstable before the drop: no noise ball.
    with pytest.raises(ValueError):
        ex.wsd_learning_rate_sum(0.1, 100, 50, 10)
    with pytest.raises(TypeError):
        ex.check_cosine_value(0.1, 1000, 250, answer="a lot")


# ---------------------------------------------------------------------------------------
# The notebook.


@pytest.fixture(scope="module")
def notebook():
    return chapters.read("schedules")


def test_the_names_glued_in_loops_are_the_ones_the_text_shows(notebook):
    """f"sch_final_{key}" and the like, glued in loops: the text shows every key's, no other."""
    literal = set(re.findall(r'glue\(\s*"([^"]+)"', chapters.code(notebook)))
    shown = set(chapters.glue_roles(chapters.markdown(notebook))) - literal
    glued = {f"sch_final_{k}" for k in ("constant", "step", "exponential", "inv_t", "inv_sqrt",
                                        "cosine", "warmup_cosine", "wsd")}
    glued |= {f"sch_mlp_{kind}_{k}" for kind in ("loss", "acc")
              for k in ("constant", "step", "cosine", "wsd")}
    loops = ("sch_final_", "sch_mlp_loss_", "sch_mlp_acc_")
    assert {name for name in shown if name.startswith(loops)} == glued


def test_every_schedule_of_the_issue_is_drawn_from_descent_schedules(notebook):
    code = chapters.code(notebook)
    for name in ("step_decay", "exponential_decay", "inverse_time_decay", "inverse_sqrt_decay",
                 "cosine_decay", "linear_warmup", "warmup_stable_decay"):
        assert f"schedules.{name}(" in code, name
    for key in ("krizhevsky2012imagenet", "he2016deep", "loshchilov2017sgdr", "goyal2017accurate",
                "hu2024minicpm", "hagele2024scaling", "liu2020variance", "kingma2015adam",
                "robbins1951stochastic", "zhang2019algorithmic"):
        assert key in chapters.markdown(notebook), key
    assert "{doc}`sgd`" in chapters.markdown(notebook)


def test_the_explorer_is_the_last_expression_of_its_cell(notebook):
    cell = next(c for c in chapters.code_cells(notebook) if "ScheduleExplorer" in c.source)
    assert "from descent.explorers import ScheduleExplorer" in cell.source
    last = ast.parse(cell.source).body[-1]
    assert isinstance(last, ast.Expr) and ast.unparse(last) == "ScheduleExplorer()"


def test_five_static_figures(notebook):
    """Each shown with a description at a readable size: test_notebooks.py."""
    assert len(chapters.figure_cells(notebook)) >= 5


def test_every_exercise_has_a_solution_and_a_check_cell(notebook):
    text = chapters.markdown(notebook)
    labels = re.findall(r":label: (ex-sch-[a-z-]+)", text)
    assert len(labels) >= 4
    for label in labels:
        assert f"````{{solution}} {label}" in text, label
    checks = [c.source for c in chapters.code_cells(notebook) if "answer=None" in c.source]
    assert len(checks) == len(labels)
    for source in checks:  # Each check cell runs as written, and asks for an answer.
        call = "\n".join(line for line in source.splitlines() if not line.startswith("#"))
        verdict = eval(call, vars(ex))  # noqa: S307
        assert verdict.right is None
