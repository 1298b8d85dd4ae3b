"""The exercise checks of the case study "Adam on hard and soft targets", and its cells.

Every check accepts the solution's answer, names the likely slips, rejects other wrong
answers with a hint and refuses bad input clearly. Its expected answer is recomputed here
independently: the gap from p₁ = t₁ solved numerically, the loss from the softmax, the
reductions from PyTorch's documented formulas in NumPy, the step count from a NumPy run of
gradient descent on the four parameters. The exercise cells (ids "ex-st-…") of
book/soft-targets.ipynb are run: each waits for an answer, and each solution passes.
"""

from __future__ import annotations

import ast
import doctest
import math
import re

import numpy as np
import pytest

import chapters
import descent.exercises.soft_targets as ex


def test_doctests():
    result = doctest.testmod(ex, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 5


# ---------------------------------------------------------------------------------------
# The expected answers, recomputed.


def test_optimal_gap_by_bisection():
    """p₁(Δs) = 1/(1 + e^Δs) = 0.2, solved by bisection: log 4."""
    low, high = -10.0, 10.0
    for _ in range(100):
        mid = (low + high) / 2
        low, high = (mid, high) if 1 / (1 + math.exp(mid)) > 0.2 else (low, mid)
    assert ex.check_optimal_logit_gap((0.2, 0.8), answer=low, rtol=1e-9).right is True
    assert low == pytest.approx(math.log(4), abs=1e-12)


def test_delta_loss_from_the_softmax():
    z = np.array([0.0, 5.0])
    p = np.exp(z) / np.exp(z).sum()
    assert ex.check_delta_target_loss(5.0, answer=-math.log(p[1]), rtol=1e-12).right is True


def test_edge_step_from_the_heavy_ball_on_the_four_parameters():
    """Adam with v̂ frozen, near the soft optimum (x = 1, four parameters), in NumPy: the
    linearized map θ ← θ − η m̂, m ← β₁m + (1 − β₁)Hθ is stable just inside 7.14 and not
    just outside (its spectral radius crosses 1)."""
    u = np.array([-1.0, 1.0, -1.0, 1.0])
    H = 0.21 * np.outer(u, u)  # f''(Δs*) u uᵀ.

    def radius(eta, b1=0.5):
        n = 4  # State (θ, m): m' = b1 m + (1 − b1)Hθ, θ' = θ − η m'.
        A = np.block([[np.eye(n) - eta * (1 - b1) * H, -eta * b1 * np.eye(n)],
                      [(1 - b1) * H, b1 * np.eye(n)]])
        return np.abs(np.linalg.eigvals(A)).max()

    edge = 2 * 1.5 / (0.5 * 0.84)
    assert radius(0.999 * edge) < 1 < radius(1.001 * edge)
    assert ex.check_adam_edge_step(0.5, (0.3, 0.7), answer=edge, rtol=1e-9).right is True


def test_reduction_factor_from_pytorchs_formulas():
    """PyTorch's documentation: 'mean' = pointwise.mean(), 'batchmean' = pointwise.sum() / N."""
    rng = np.random.default_rng(1)
    for N, C in ((8, 10), (1, 2), (3, 7)):
        t = rng.dirichlet(np.ones(C), size=N)
        log_p = np.log(rng.dirichlet(np.ones(C), size=N))
        pointwise = t * (np.log(t) - log_p)
        factor = (pointwise.sum() / N) / pointwise.mean()
        assert factor == pytest.approx(ex.kl_reduction_factor(N, C))
        assert ex.check_kl_reduction_factor(N, C, answer=round(factor)).right is True


def test_gd_steps_from_a_run_on_the_four_parameters():
    """Gradient descent on (W₁, W₂, b₁, b₂) with x = 1, from 0: the first step with L < 0.01."""
    W, b, t = np.zeros(2), np.zeros(2), np.array([0.0, 1.0])
    step = 0
    while True:
        z = W + b
        log_p = z - np.logaddexp.reduce(z)
        if -log_p[1] < 0.01:
            break
        g = np.exp(log_p) - t
        W, b, step = W - 0.1 * g, b - 0.1 * g, step + 1
    assert step == ex.gd_steps_to_loss(0.1, 0.01) == 256
    assert ex.check_gd_steps_to_loss(0.1, 0.01, answer=step).right is True


# ---------------------------------------------------------------------------------------
# Right, slips, wrong, no answer, bad input.

RIGHT = [
    (ex.check_optimal_logit_gap, dict(target=(0.2, 0.8)), 1.386),
    (ex.check_optimal_logit_gap, dict(target=(0.2, 0.8)), math.log(4)),
    (ex.check_optimal_logit_gap, dict(target=(0.3, 0.7)), 0.8473),
    (ex.check_delta_target_loss, dict(gap=5.0), 0.006715),
    (ex.check_delta_target_loss, dict(gap=5.0), 0.0067),
    (ex.check_kl_reduction_factor, dict(batch_size=8, classes=10), 10),
    (ex.check_kl_reduction_factor, dict(batch_size=1, classes=2), 2),
    (ex.check_gd_steps_to_loss, dict(learning_rate=0.1, loss=0.01), 256),
    (ex.check_gd_steps_to_loss, dict(learning_rate=0.1, loss=0.01), 255),  # ± 1: < or ≤.
    (ex.check_adam_edge_step, dict(b1=0.5, target=(0.3, 0.7)), 7.14),
    (ex.check_adam_edge_step, dict(b1=0.0, target=(0.3, 0.7)), 2.381),
]


@pytest.mark.parametrize("check, kwargs, right", RIGHT)
def test_right_answers_are_accepted(check, kwargs, right):
    verdict = check(**kwargs, answer=right)
    assert verdict.right is True and verdict.message.startswith("Right: "), repr(verdict)


@pytest.mark.parametrize("check, kwargs, answer, says", [
    (ex.check_optimal_logit_gap, dict(target=(0.2, 0.8)), -1.3863, "s₁ − s₂"),
    (ex.check_optimal_logit_gap, dict(target=(0.2, 0.8)), 1.609, "log(1/y₁)"),
    (ex.check_optimal_logit_gap, dict(target=(0.2, 0.8)), 4.0, "logarithm"),
    (ex.check_optimal_logit_gap, dict(target=(0.2, 0.8)), 0.602, "base-10"),
    (ex.check_delta_target_loss, dict(gap=5.0), 0.006738, "approximation"),
    (ex.check_delta_target_loss, dict(gap=5.0), 0.006693, "p₁"),
    (ex.check_delta_target_loss, dict(gap=5.0), 5.0067, "sign of the gap"),
    (ex.check_delta_target_loss, dict(gap=5.0), 0.002916, "base-10"),
    (ex.check_kl_reduction_factor, dict(batch_size=8, classes=10), 0.1, "upside down"),
    (ex.check_kl_reduction_factor, dict(batch_size=8, classes=10), 8, "'batchmean' divides by"),
    (ex.check_kl_reduction_factor, dict(batch_size=8, classes=10), 80, "what 'mean' divides"),
    (ex.check_kl_reduction_factor, dict(batch_size=8, classes=10), 1, "not the same"),
    (ex.check_gd_steps_to_loss, dict(learning_rate=0.1, loss=0.01), 250, "asymptotic estimate"),
    (ex.check_gd_steps_to_loss, dict(learning_rate=0.1, loss=0.01), 514, "c = 2"),
    (ex.check_adam_edge_step, dict(b1=0.5, target=(0.3, 0.7)), 2.381, "without momentum"),
    (ex.check_adam_edge_step, dict(b1=0.5, target=(0.3, 0.7)), 3.571, "is an average"),
    (ex.check_adam_edge_step, dict(b1=0.5, target=(0.3, 0.7)), 4.762, "1 + β₁ is missing"),
    (ex.check_adam_edge_step, dict(b1=0.5, target=(0.3, 0.7)), 14.29, "y₁y₂ · 2"),
])
def test_slips_are_named(check, kwargs, answer, says):
    verdict = check(**kwargs, answer=answer)
    assert verdict.right is False and says in verdict.message, repr(verdict)


@pytest.mark.parametrize("check, kwargs, wrong", [
    (ex.check_optimal_logit_gap, dict(target=(0.2, 0.8)), 1.2),
    (ex.check_delta_target_loss, dict(gap=5.0), 0.01),
    (ex.check_kl_reduction_factor, dict(batch_size=8, classes=10), 5),
    (ex.check_gd_steps_to_loss, dict(learning_rate=0.1, loss=0.01), 300),
    (ex.check_adam_edge_step, dict(b1=0.5, target=(0.3, 0.7)), 6.0),
])
def test_wrong_answers_fail_with_a_hint_and_none_asks_for_one(check, kwargs, wrong):
    verdict = check(**kwargs, answer=wrong)
    assert verdict.right is False and "is not it." in verdict.message, repr(verdict)
    assert check(**kwargs, answer=None).right is None
    assert check(**kwargs, answer=None).message.startswith("Your turn")


@pytest.mark.parametrize("check, kwargs, error, match", [
    (ex.check_optimal_logit_gap, dict(target=(0.0, 1.0), answer=1), ValueError, "positive"),
    (ex.check_optimal_logit_gap, dict(target=(0.2, 0.7), answer=1), ValueError, "summing to 1"),
    (ex.check_optimal_logit_gap, dict(target=0.2, answer=1), TypeError, "two probabilities"),
    (ex.check_optimal_logit_gap, dict(target=(0.2, 0.8), answer="1.4x"), TypeError, "number"),
    (ex.check_delta_target_loss, dict(gap=-1.0, answer=1), ValueError, "gap must be ≥ 0"),
    (ex.check_delta_target_loss, dict(gap=5.0, answer=math.inf), ValueError, "finite"),
    (ex.check_kl_reduction_factor, dict(batch_size=0, classes=10, answer=1), ValueError, "batch_size"),
    (ex.check_kl_reduction_factor, dict(batch_size=8, classes=1, answer=1), ValueError, "at least 2"),
    (ex.check_kl_reduction_factor, dict(batch_size=8, classes=2.5, answer=1), ValueError, "classes"),
    (ex.check_gd_steps_to_loss, dict(learning_rate=0.0, loss=0.01, answer=1), ValueError, "learning_rate"),
    (ex.check_gd_steps_to_loss, dict(learning_rate=0.1, loss=0.7, answer=1), ValueError, "log 2"),
    (ex.check_adam_edge_step, dict(b1=1.0, target=(0.3, 0.7), answer=1), ValueError, r"\[0, 1\)"),
    (ex.check_adam_edge_step, dict(b1=0.5, target=(0.0, 1.0), answer=1), ValueError, "positive"),
])
def test_bad_input_raises_clearly(check, kwargs, error, match):
    with pytest.raises(error, match=match):
        check(**kwargs)


# ---------------------------------------------------------------------------------------
# The exercise cells of the chapter.

SOLUTION_ANSWERS = {  # The answer each solution states, as the reader would type it.
    "check_optimal_logit_gap": 1.386,
    "check_delta_target_loss": 0.006715,
    "check_kl_reduction_factor": 10,
    "check_gd_steps_to_loss": 256,
    "check_adam_edge_step": 7.14,
}


@pytest.fixture(scope="module")
def notebook():
    return chapters.read("soft-targets")


def test_each_exercise_has_a_solution_that_states_its_answer(notebook):
    text = chapters.markdown(notebook)
    labels = re.findall(r"```\{exercise\}\n:label: (\S+)", text)
    assert len(labels) >= 5 and all(label.startswith("ex-st-") for label in labels)
    flat = chapters.flat(text)
    for quoted in ("\\log 4 \\approx 1.386", "0.006715", "The factor is $C = 10$", "256 steps",
                   "\\approx 7.14"):
        assert quoted in flat, quoted


def test_each_cell_runs_waits_for_an_answer_and_its_solution_passes(notebook):
    calls = chapters.check_calls(notebook)
    assert {call.func.id for call in calls} == set(SOLUTION_ANSWERS) <= set(ex.__all__)
    namespace: dict = {}
    exec("from descent.exercises.soft_targets import *", namespace)
    for cell in chapters.code_cells(notebook):
        if cell.id.startswith("ex-st-"):
            tree = ast.parse(cell.source)
            verdict = eval(compile(ast.Expression(tree.body[-1].value), cell.id, "eval"), namespace)
            assert verdict.right is None and verdict.message.startswith("Your turn"), cell.id
    for call in calls:
        kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg != "answer"}
        verdict = getattr(ex, call.func.id)(**kwargs, answer=SOLUTION_ANSWERS[call.func.id])
        assert verdict.right is True, (call.func.id, verdict)
