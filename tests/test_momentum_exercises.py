"""The exercise checks of the chapter "Momentum and Nesterov", and its exercise cells.

Every check accepts the solution's answer, names the likely slips, rejects other wrong
answers and refuses bad input with a clear message. The Nesterov check runs a function
the reader writes: its reference is descent.optimizers.nesterov, and its slips (the heavy
ball, the wrong sequence, a sign error, an exception in the reader's code) are each told
apart. The exercise cells (ids "ex-momentum-…") are read from book/momentum.ipynb, or
from the notebook named by $MOMENTUM_EXERCISES: their calls are quoted in the text, each
cell runs and says "Your turn", and each solution passes its check.
"""

from __future__ import annotations

import ast
import doctest
import math
import os
import re
from pathlib import Path

import jax
import jax.numpy as jnp
import nbformat
import numpy as np
import pytest

import chapters
import descent.exercises.momentum as ex
from descent import theory
from descent.optimizers import apply_updates, momentum
from descent.problems import quadratic


def test_doctests():
    result = doctest.testmod(ex)
    assert result.failed == 0 and result.attempted >= 8


# ---------------------------------------------------------------------------------------
# The numeric checks.

RIGHT = [
    (ex.check_heavy_ball_learning_rate, dict(eigenvalues=(0.5, 50.0)), 8 / 121),
    (ex.check_heavy_ball_learning_rate, dict(eigenvalues=(0.5, 50.0)), 0.0661),
    (ex.check_heavy_ball_learning_rate, dict(eigenvalues=[50.0, 3.0, 0.5]), 0.0661),
    (ex.check_heavy_ball_momentum, dict(eigenvalues=(0.5, 50.0)), 81 / 121),
    (ex.check_heavy_ball_momentum, dict(eigenvalues=(0.5, 50.0)), 0.669),
    (ex.check_heavy_ball_momentum, dict(eigenvalues=(1.0, 4.0)), 1 / 9),
    (ex.check_critical_damping, dict(learning_rate=0.02, eigenvalue=8.0), 0.36),
    (ex.check_critical_damping, dict(learning_rate=0.01, eigenvalue=1.0), 0.81),
    (ex.check_heavy_ball_speedup, dict(condition_number=1e4, accuracy=1e-6), 100),
    (ex.check_heavy_ball_speedup, dict(condition_number=1e4, accuracy=1e-6), 99.97),
    (ex.check_momentum_stability_limit, dict(momentum=0.9, eigenvalue=10.0), 0.38),
    (ex.check_momentum_stability_limit, dict(momentum=0.0, eigenvalue=4.0), 0.5),
    (ex.check_equal_effective_step, dict(learning_rate=0.01, momentum=0.9, new_momentum=0.99),
     0.001),
    (ex.check_equal_effective_step, dict(learning_rate=0.01, momentum=0.0, new_momentum=0.5),
     0.005),
]


@pytest.mark.parametrize("check, kwargs, right", RIGHT)
def test_right_answers_are_accepted(check, kwargs, right):
    verdict = check(**kwargs, answer=right)
    assert verdict.right is True and verdict.message.startswith("Right: "), repr(verdict)


@pytest.mark.parametrize("check, kwargs, answer, says", [
    # β*: κ for √κ, the square forgotten, both, the large-κ approximation.
    (ex.check_heavy_ball_momentum, dict(eigenvalues=(0.5, 50.0)), (99 / 101) ** 2, "uses κ"),
    (ex.check_heavy_ball_momentum, dict(eigenvalues=(0.5, 50.0)), 0.8182, "√β*"),
    (ex.check_heavy_ball_momentum, dict(eigenvalues=(0.5, 50.0)), 0.9802, "gradient descent"),
    (ex.check_heavy_ball_momentum, dict(eigenvalues=(0.5, 50.0)), 0.6, "approximation"),
    # α*: gradient descent's α, the square forgotten, 2/λ_max, no cross term.
    (ex.check_heavy_ball_learning_rate, dict(eigenvalues=(0.5, 50.0)), 0.0396,
     "gradient descent's best step"),
    (ex.check_heavy_ball_learning_rate, dict(eigenvalues=(0.5, 50.0)), 0.2571,
     "square is missing"),
    (ex.check_heavy_ball_learning_rate, dict(eigenvalues=(0.5, 50.0)), 0.04, "stability limit"),
    (ex.check_heavy_ball_learning_rate, dict(eigenvalues=(0.5, 50.0)), 0.0792, "cross term"),
    # Critical damping: 1 − αλ, (1 − αλ)², the other root, √β.
    (ex.check_critical_damping, dict(learning_rate=0.02, eigenvalue=8.0), 0.84, "factor"),
    (ex.check_critical_damping, dict(learning_rate=0.02, eigenvalue=8.0), 0.7056, "squares"),
    (ex.check_critical_damping, dict(learning_rate=0.02, eigenvalue=8.0), 1.96, "other root"),
    (ex.check_critical_damping, dict(learning_rate=0.02, eigenvalue=8.0), 0.6, "double root"),
    # Speed-up: κ, α = 1/λ_max, Nesterov's, the ratio of rates.
    (ex.check_heavy_ball_speedup, dict(condition_number=1e4, accuracy=1e-6), 1e4, "that is κ"),
    (ex.check_heavy_ball_speedup, dict(condition_number=1e4, accuracy=1e-6), 200, "1/λ_max"),
    (ex.check_heavy_ball_speedup, dict(condition_number=1e4, accuracy=1e-6), 58, "Nesterov"),
    (ex.check_heavy_ball_speedup, dict(condition_number=1e4, accuracy=1e-6), 1.0198,
     "ratio of the two rates"),
    # The convergence region: GD's limit, the effective-step guess, the 2, β → 1.
    (ex.check_momentum_stability_limit, dict(momentum=0.9, eigenvalue=10.0), 0.2,
     "gradient descent's limit"),
    (ex.check_momentum_stability_limit, dict(momentum=0.9, eigenvalue=10.0), 0.02,
     "effective step"),
    (ex.check_momentum_stability_limit, dict(momentum=0.9, eigenvalue=10.0), 0.19, "2 is missing"),
    (ex.check_momentum_stability_limit, dict(momentum=0.9, eigenvalue=10.0), 0.4, "β → 1"),
    # The effective step: the same α, upside down, twice.
    (ex.check_equal_effective_step, dict(learning_rate=0.01, momentum=0.9, new_momentum=0.99),
     0.01, "same α"),
    (ex.check_equal_effective_step, dict(learning_rate=0.01, momentum=0.9, new_momentum=0.99),
     0.1, "upside down"),
    (ex.check_equal_effective_step, dict(learning_rate=0.01, momentum=0.9, new_momentum=0.99),
     1e-4, "applied twice"),
])
def test_slips_are_named(check, kwargs, answer, says):
    verdict = check(**kwargs, answer=answer)
    assert verdict.right is False and says in verdict.message, repr(verdict)


@pytest.mark.parametrize("check, kwargs, wrong", [
    (ex.check_heavy_ball_learning_rate, dict(eigenvalues=(0.5, 50.0)), 0.07),
    (ex.check_heavy_ball_momentum, dict(eigenvalues=(0.5, 50.0)), 0.68),
    (ex.check_critical_damping, dict(learning_rate=0.02, eigenvalue=8.0), 0.5),
    (ex.check_heavy_ball_speedup, dict(condition_number=1e4, accuracy=1e-6), 90),
    (ex.check_momentum_stability_limit, dict(momentum=0.9, eigenvalue=10.0), 0.3),
    (ex.check_equal_effective_step, dict(learning_rate=0.01, momentum=0.9, new_momentum=0.99),
     0.002),
])
def test_wrong_answers_fail_with_a_hint_and_none_asks_for_one(check, kwargs, wrong):
    verdict = check(**kwargs, answer=wrong)
    assert verdict.right is False and "is not it." in verdict.message, repr(verdict)
    assert check(**kwargs, answer=None).message.startswith("Your turn")
    assert check(**kwargs, answer=None).right is None


@pytest.mark.parametrize("check, kwargs, error, match", [
    (ex.check_heavy_ball_momentum, dict(eigenvalues=(0.5,), answer=0.5), ValueError,
     "at least two"),
    (ex.check_heavy_ball_momentum, dict(eigenvalues=(0.0, 5.0), answer=0.5), ValueError,
     "positive"),
    (ex.check_heavy_ball_momentum, dict(eigenvalues=(2.0, 2.0), answer=0.5), ValueError,
     "not all equal"),
    (ex.check_heavy_ball_momentum, dict(eigenvalues=5.0, answer=0.5), TypeError,
     "list of numbers"),
    (ex.check_heavy_ball_learning_rate, dict(eigenvalues=("a", 5.0), answer=0.5), TypeError,
     "list of numbers"),
    (ex.check_heavy_ball_momentum, dict(eigenvalues=(0.5, 50.0), answer="0.67x"), TypeError,
     "answer must be a number"),
    (ex.check_critical_damping, dict(learning_rate=0.0, eigenvalue=8.0, answer=0.3), ValueError,
     "learning_rate must be positive"),
    (ex.check_critical_damping, dict(learning_rate=0.2, eigenvalue=8.0, answer=0.3), ValueError,
     "αλ = 1.6"),
    (ex.check_critical_damping, dict(learning_rate=0.02, eigenvalue=8.0, answer=math.nan),
     ValueError, "finite"),
    (ex.check_heavy_ball_speedup, dict(condition_number=1.0, accuracy=1e-6, answer=1), ValueError,
     "above 1"),
    (ex.check_heavy_ball_speedup, dict(condition_number=1e4, accuracy=2.0, answer=1), ValueError,
     "accuracy"),
    (ex.check_momentum_stability_limit, dict(momentum=1.0, eigenvalue=10.0, answer=1), ValueError,
     r"momentum must be in \[0, 1\)"),
    (ex.check_momentum_stability_limit, dict(momentum=0.9, eigenvalue=-1.0, answer=1), ValueError,
     "eigenvalue must be positive"),
    (ex.check_equal_effective_step, dict(learning_rate=0.01, momentum=0.9, new_momentum=-0.1,
                                         answer=1), ValueError, "new_momentum"),
])
def test_bad_input_raises_clearly(check, kwargs, error, match):
    with pytest.raises(error, match=match):
        check(**kwargs)


def test_the_expected_answers_are_the_theorys():
    """What each check expects is what the chapter's formulas in descent.theory give."""
    alpha, beta = theory.heavy_ball_optimal((0.5, 50.0))
    assert ex.check_heavy_ball_learning_rate((0.5, 50.0), answer=float(alpha), rtol=1e-5)
    assert ex.check_heavy_ball_momentum((0.5, 50.0), answer=float(beta), rtol=1e-5)
    # At β* both extreme components are critically damped, and the rate is √β*.
    for lam in (0.5, 50.0):  # In float64: 8/121 and 81/121.
        assert theory.damping(8 / 121, 81 / 121, lam) == "critical"
    assert theory.damping(8 / 121, 81 / 121, 5.0) == "under"
    assert float(theory.momentum_rate(alpha, beta, jnp.array([0.5, 5.0, 50.0]))) == \
        pytest.approx(9 / 11, rel=2e-3)
    # Critical damping: the two roots of R meet.
    assert theory.damping(0.02, 0.36, 8.0) == "critical"
    assert theory.damping(0.02, 0.9, 8.0) == "under" and theory.damping(0.02, 0.2, 8.0) == "over"
    # The speed-up uses the rates of theory, here in float64.
    kappa = 1e4
    gd, hb = (theory.iterations_to_accuracy(r, 1e-6) for r in
              (theory.optimal_rate((1.0, kappa)), theory.heavy_ball_rate((1.0, kappa))))
    assert ex.heavy_ball_speedup(kappa, 1e-6) == pytest.approx(gd / hb, rel=1e-3)
    # The edge of the convergence region: the spectral radius of R crosses 1 there.
    limit = ex.momentum_stability_limit(0.9, 10.0)
    radius = theory.momentum_spectral_radius(np.array([0.99, 1.01]) * limit, 0.9, 10.0)
    assert radius[0] < 1 < radius[1]
    # The effective step: the same α/(1 − β) is the same terminal step of descent.momentum.
    a2 = ex.equal_effective_step_learning_rate(0.01, 0.9, 0.99)
    steps = []
    for a, b in ((0.01, 0.9), (a2, 0.99)):
        opt = momentum(learning_rate=a, momentum=b)
        state = opt.init(jnp.zeros(1))
        for _ in range(3000):
            update, state = opt.update(jnp.ones(1), state)
        steps.append(float(update[0]))
    assert steps[0] == pytest.approx(-0.1, rel=1e-4) and steps[1] == pytest.approx(-0.1, rel=1e-4)


# ---------------------------------------------------------------------------------------
# The Nesterov check.


def _look_ahead(grad, theta, learning_rate, momentum, steps):
    v = jnp.zeros_like(theta)
    points = [theta]
    for t in range(steps):
        v = momentum * v - learning_rate * grad(theta + momentum * v)
        theta = theta + v
        points.append(theta + momentum * v)
    return jnp.stack(points)


def _variant(at=1.0, sign=1.0, record="look_ahead", fail=False, beta=None, numpy=False):
    """A reader's function: Nesterov, or one of its slips."""
    def reader(grad, theta, learning_rate, momentum, steps):
        b = momentum if beta is None else beta
        zeros = np.zeros if numpy else jnp.zeros
        v = zeros(3) if fail else zeros(np.shape(theta))
        points = [theta]
        for t in range(steps):
            v = b * v - sign * learning_rate * grad(theta + at * b * v)
            theta = theta + v
            points.append(theta + b * v if record == "look_ahead" else theta)
        return jnp.stack(points)
    return reader


def test_the_reference_is_descents_nesterov_and_the_heavy_ball_is_descents_momentum():
    """nesterov_points, in float64, is descent.optimizers.nesterov (its look-ahead points)
    and, with the gradient at θ', descent.optimizers.momentum (its points θ')."""
    problem = quadratic(**ex.NESTEROV_PROBLEM)
    Q = np.asarray(problem.Q, dtype=float)
    theta0 = np.asarray(problem.init, dtype=float)
    ours = ex.nesterov_points(lambda x: Q @ x, theta0, 0.05, 0.8, 20)
    np.testing.assert_allclose(ours, ex._descent_nesterov(problem, 0.05, 0.8, 20), atol=1e-6)
    heavy = ex.nesterov_points(lambda x: Q @ x, theta0, 0.05, 0.8, 20, look_ahead=0.0,
                               record="theta")
    opt, grad = momentum(learning_rate=0.05, momentum=0.8), jax.grad(problem.loss)
    params, state, points = problem.init, opt.init(problem.init), [problem.init]
    for _ in range(20):
        updates, state = opt.update(grad(params), state)
        params = apply_updates(params, updates)
        points.append(params)
    np.testing.assert_allclose(heavy, np.stack(points), atol=1e-6)
    # The two methods agree at step 1 and part at step 2: the slips are told apart there.
    hb = ex.nesterov_points(lambda x: Q @ x, theta0, 0.05, 0.8, 20, look_ahead=0.0)
    assert np.allclose(hb[:2], ours[:2]) and np.max(np.abs(hb[2] - ours[2])) > 1e-2


def test_the_solution_passes_in_jax_and_in_numpy():
    verdict = ex.check_nesterov_look_ahead(answer=_look_ahead)
    assert verdict.right is True and "all 20 steps" in verdict.message, repr(verdict)
    assert ex.check_nesterov_look_ahead(answer=_variant(numpy=True)).right is True
    assert ex.check_nesterov_look_ahead(answer=_look_ahead, learning_rate=0.02, momentum=0.95,
                                        steps=50).right is True


@pytest.mark.parametrize("reader, says, step", [
    (_variant(at=0.0), "that is the heavy ball: your gradient is taken at θ'_t", 2),
    (_variant(at=0.0, record="theta"), "that is the heavy ball, and its points θ'_t", 1),
    (_variant(record="theta"), "your steps are right, but your points are θ'_t", 1),
    (_variant(sign=-1.0), "check the signs", 1),
    (_variant(at=-1.0), "your look-ahead points backwards", 2),
    (_variant(beta=0.0), "that is gradient descent", 1),
    (_variant(at=2.0), "Write one step of the look-ahead form", 2),
])
def test_slips_of_the_nesterov_exercise_are_named_with_the_first_differing_step(
        reader, says, step):
    verdict = ex.check_nesterov_look_ahead(answer=reader)
    assert verdict.right is False and says in verdict.message, repr(verdict)
    assert f"first differ from descent.optimizers.nesterov's parameters at step {step}:" \
        in verdict.message, repr(verdict)


def test_an_exception_in_the_readers_code_is_reported_with_its_line():
    verdict = ex.check_nesterov_look_ahead(answer=_variant(fail=True))
    assert verdict.right is False
    assert verdict.message.startswith("Not quite: your function raised TypeError: ")
    assert "incompatible shapes" in verdict.message
    assert "`v = b * v - sign * learning_rate * grad(theta + at * b * v)`" in verdict.message
    assert "Traceback" not in verdict.message and len(verdict.message) < 400

    def divides(grad, theta, learning_rate, momentum, steps):
        return 1 / 0

    verdict = ex.check_nesterov_look_ahead(answer=divides)
    assert verdict.message == ("Not quite: your function raised ZeroDivisionError: division "
                               "by zero (line " + str(divides.__code__.co_firstlineno + 1)
                               + ": `return 1 / 0`).")


def test_the_skeleton_and_wrong_shapes_are_told_what_to_return():
    def skeleton(grad, theta, learning_rate, momentum, steps):
        points = [theta]
        for t in range(steps):
            ...
        return jnp.stack(points)

    def frozen(grad, theta, learning_rate, momentum, steps):
        return jnp.stack([theta] * (steps + 1))

    cases = [
        (skeleton, "only the start: is the gap still empty?"),
        (frozen, "never move from θ₀"),
        (lambda *args: _look_ahead(*args)[1:], "one row short"),
        (lambda *args: _look_ahead(*args).T, "transposed"),
        (lambda *args: _look_ahead(*args)[:, :, None], "row t is the point after t steps"),
        (lambda *args: None, "returned None"),
        (lambda *args: [jnp.zeros(2), jnp.zeros(3)], "not an array of points of shape (21, 2)"),
        (lambda *args: _look_ahead(*args) * np.inf, "check the signs"),
    ]
    for reader, says in cases:
        verdict = ex.check_nesterov_look_ahead(answer=reader)
        assert verdict.right is False and says in verdict.message, repr(verdict)


def test_the_nesterov_check_refuses_bad_input():
    assert ex.check_nesterov_look_ahead(answer=None).right is None
    assert ex.check_nesterov_look_ahead(answer=None).message.startswith("Your turn: fill the gap")
    with pytest.raises(TypeError, match="your function itself"):
        ex.check_nesterov_look_ahead(answer=_look_ahead(lambda x: x, jnp.ones(2), 0.1, 0.5, 3))
    with pytest.raises(ValueError, match="momentum must be positive"):
        ex.check_nesterov_look_ahead(answer=_look_ahead, momentum=0.0)
    with pytest.raises(ValueError, match="steps"):
        ex.check_nesterov_look_ahead(answer=_look_ahead, steps=1)
    with pytest.raises(ValueError, match="learning_rate"):
        ex.check_nesterov_look_ahead(answer=_look_ahead, learning_rate=-0.1)


# ---------------------------------------------------------------------------------------
# The exercise cells, in the chapter (or in the notebook the chapter helper inserts).

SOURCE = Path(os.environ.get("MOMENTUM_EXERCISES", chapters.BOOK / "momentum.ipynb"))

# For each check: the answer its solution states.
SOLUTION_ANSWERS = {
    "check_heavy_ball_learning_rate": "0.0661",
    "check_heavy_ball_momentum": "0.669",
    "check_critical_damping": "0.36",
    "check_heavy_ball_speedup": "99.97",
    "check_momentum_stability_limit": "0.38",
    "check_equal_effective_step": "0.001",
}


@pytest.fixture(scope="module")
def cells():
    if not SOURCE.exists():
        pytest.skip(f"{SOURCE} does not exist yet")
    found = [c for c in nbformat.read(SOURCE, as_version=4).cells
             if c.id.startswith("ex-momentum-")]
    if not found:
        pytest.skip(f"{SOURCE} has no exercise cells yet")
    return found


def _namespace():
    namespace = {"jnp": jnp, "np": np}
    exec("from descent.exercises.momentum import *", namespace)
    return namespace


def test_the_cells_are_committed_clean_and_each_exercise_has_a_solution(cells):
    ids = [c.id for c in cells]
    assert len(ids) == len(set(ids))
    for c in cells:
        assert c.metadata == {}, c.id
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None, c.id
            chapters.parse(c.source)
    markdown = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    labels = re.findall(r"```\{exercise\}\n:label: (\S+)", markdown)
    assert len(labels) >= 5, labels
    for label in labels:
        assert re.search(r"```\{solution\} " + re.escape(label) + r"\n:class: dropdown\n", markdown)


def test_the_text_quotes_each_check_as_its_cell_calls_it(cells):
    from test_notebooks import check_call_problems

    notebook = nbformat.v4.new_notebook(cells=cells)
    assert check_call_problems(notebook) == []
    called = {call.func.id for call in chapters.check_calls(notebook)}
    assert called == set(SOLUTION_ANSWERS) | {"check_nesterov_look_ahead"}
    assert called <= set(ex.__all__)


def test_each_cell_runs_and_waits_for_an_answer(cells, capsys):
    namespace = _namespace()
    for c in cells:
        if c.cell_type == "code":
            tree = ast.parse(c.source)
            *body, last = tree.body
            exec(compile(ast.Module(body, []), c.id, "exec"), namespace)
            result = eval(compile(ast.Expression(last.value), c.id, "eval"), namespace)
            if result is not None:
                assert result.right is None and result.message.startswith("Your turn"), c.id
    printed = capsys.readouterr().out.splitlines()
    assert printed and all(line.startswith("Your turn") for line in printed)
    # The Nesterov skeleton, as committed, is told that its gap is empty.
    verdict = ex.check_nesterov_look_ahead(answer=namespace["my_nesterov"])
    assert "is the gap still empty?" in verdict.message


def test_each_solution_passes_its_check(cells):
    markdown = {c.id: c.source for c in cells if c.cell_type == "markdown"}
    for c in cells:
        if c.cell_type != "code":
            continue
        text = markdown[c.id.removesuffix("-check")]
        solution = chapters.flat(text[text.index("{solution}"):])
        for call in chapters.check_calls(nbformat.v4.new_notebook(cells=[c])):
            name = call.func.id
            kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg != "answer"}
            if name == "check_nesterov_look_ahead":
                code = re.search(r"```python\n(.*?)```", text, flags=re.S).group(1)
                namespace = _namespace()
                exec(code, namespace)
                verdict = getattr(ex, name)(**kwargs, answer=namespace["my_nesterov"])
            else:
                stated = SOLUTION_ANSWERS[name]
                assert re.search(rf"(?<![\d.]){re.escape(stated)}(?!\d)", solution), (name, stated)
                verdict = getattr(ex, name)(**kwargs, answer=float(stated))
            assert verdict.right is True, (name, repr(verdict))
