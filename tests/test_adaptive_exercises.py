"""The exercise checks of the chapter "Adaptive methods", and its exercise cells.

Every check accepts the solution's answer, names the likely slips, rejects other wrong
answers and refuses bad input with a clear message. The RMSProp check runs a function the
reader writes: its reference is descent.optimizers.rmsprop, and each slip (ε inside the
root, a missing square, ρ and 1 − ρ swapped, AdaGrad's sum, a missing root, a sign error,
an empty gap, an exception in the reader's code) is told apart. The exercise cells (ids
"ex-adaptive-…") are read from book/adaptive.ipynb: each cell runs and says "Your turn",
and each solution's numbers, and its code, pass the check.
"""

from __future__ import annotations

import doctest
import re

import jax.numpy as jnp
import numpy as np
import pytest

import chapters
import descent.exercises.adaptive as ex


def test_doctests():
    result = doctest.testmod(ex, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 6


# ---------------------------------------------------------------------------------------
# The numeric checks.

RIGHT = [
    (ex.check_adagrad_step, dict(learning_rate=0.1, gradient=2.0, steps=100), 0.01),
    (ex.check_adagrad_step, dict(learning_rate=0.1, gradient=200.0, steps=100), 0.01),
    (ex.check_adagrad_step, dict(learning_rate=1.0, gradient=-3.0, steps=4), 0.5),
    (ex.check_rmsprop_early_step, dict(decay=0.99, steps=10), 3.234),
    (ex.check_rmsprop_early_step, dict(decay=0.99, steps=10), 3.23),
    (ex.check_rmsprop_early_step, dict(decay=0.9, steps=1), 1 / np.sqrt(0.1)),
    (ex.check_rmsprop_cycle_loss, dict(learning_rate=0.04, eigenvalue=10.0), 0.002),
    (ex.check_rmsprop_cycle_loss, dict(learning_rate=0.1, eigenvalue=1.0), 0.00125),
]


@pytest.mark.parametrize("check, kwargs, answer", RIGHT)
def test_right_answers_pass(check, kwargs, answer):
    verdict = check(**kwargs, answer=answer)
    assert verdict.right is True, verdict.message
    assert verdict.message.startswith("Right:")


@pytest.mark.parametrize("check, kwargs, _", RIGHT)
def test_no_answer_is_your_turn(check, kwargs, _):
    assert check(**kwargs, answer=None).right is None


SLIPS = [
    (ex.check_adagrad_step, dict(learning_rate=0.1, gradient=2.0, steps=100), 0.005, "per unit gradient"),
    (ex.check_adagrad_step, dict(learning_rate=0.1, gradient=2.0, steps=100), 0.02, "|g| cancels"),
    (ex.check_adagrad_step, dict(learning_rate=0.1, gradient=2.0, steps=100), 0.001, "square root is missing"),
    (ex.check_adagrad_step, dict(learning_rate=0.1, gradient=2.0, steps=100), 0.1, "the first step"),
    (ex.check_adagrad_step, dict(learning_rate=0.1, gradient=2.0, steps=100), 0.0005, "instead of √G"),
    (ex.check_rmsprop_early_step, dict(decay=0.99, steps=10), 1 / (1 - 0.99**10), "square root of that"),
    (ex.check_rmsprop_early_step, dict(decay=0.99, steps=10), 10.0, "first step only"),
    (ex.check_rmsprop_early_step, dict(decay=0.99, steps=10), 1.0, "bias correction"),
    (ex.check_rmsprop_early_step, dict(decay=0.99, steps=10), np.sqrt(1 - 0.99**10), "its inverse"),
    (ex.check_rmsprop_early_step, dict(decay=0.99, steps=10), 1 / np.sqrt(1 - 0.99**9), "step t − 1"),
    (ex.check_rmsprop_cycle_loss, dict(learning_rate=0.04, eigenvalue=10.0), 0.008, "θ = ±α"),
    (ex.check_rmsprop_cycle_loss, dict(learning_rate=0.04, eigenvalue=10.0), 0.02, "amplitude"),
    (ex.check_rmsprop_cycle_loss, dict(learning_rate=0.04, eigenvalue=10.0), 0.004, "without the ½"),
    (ex.check_rmsprop_cycle_loss, dict(learning_rate=0.04, eigenvalue=10.0), 0.0002, "factor λ"),
    (ex.check_rmsprop_cycle_loss, dict(learning_rate=0.04, eigenvalue=10.0), 0.0, "cycles"),
]


@pytest.mark.parametrize("check, kwargs, answer, phrase", SLIPS)
def test_each_slip_is_named(check, kwargs, answer, phrase):
    verdict = check(**kwargs, answer=answer)
    assert verdict.right is False
    assert phrase in verdict.message, verdict.message


@pytest.mark.parametrize("check, kwargs, answer", RIGHT[::3])
def test_other_wrong_answers_get_the_hint(check, kwargs, answer):
    verdict = check(**kwargs, answer=answer * 1.37)
    assert verdict.right is False and "is not it" in verdict.message


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="gradient"):
        ex.check_adagrad_step(learning_rate=0.1, gradient=0.0, steps=10, answer=0.01)
    with pytest.raises(ValueError, match="steps"):
        ex.check_adagrad_step(learning_rate=0.1, gradient=1.0, steps=2.5, answer=0.01)
    with pytest.raises(ValueError, match="decay"):
        ex.check_rmsprop_early_step(decay=1.0, steps=3, answer=1.0)
    with pytest.raises(ValueError, match="learning_rate"):
        ex.check_rmsprop_cycle_loss(learning_rate=-0.1, eigenvalue=1.0, answer=1.0)
    with pytest.raises(TypeError, match="number"):
        ex.check_rmsprop_cycle_loss(learning_rate=0.1, eigenvalue=1.0, answer="a tenth")


# ---------------------------------------------------------------------------------------
# The RMSProp update, written by the reader.


def _reader(slip=None, crash=False, short=False, empty=False):
    """A reader's my_rmsprop with one slip, written as a reader would (JAX arrays)."""
    def my_rmsprop(grad, theta, learning_rate, decay, eps, steps):
        v = jnp.zeros_like(theta)
        points = [theta]
        for t in range(steps):
            if empty:
                continue
            g = grad(theta)
            if crash:
                g = g @ jnp.ones(3)  # Shapes that do not fit.
            if slip == "no_square":
                v = decay * v + (1 - decay) * jnp.abs(g)
            elif slip == "swapped":
                v = (1 - decay) * v + decay * g**2
            elif slip == "sum":
                v = v + g**2
            else:
                v = decay * v + (1 - decay) * g**2
            if slip == "eps_inside":
                step = learning_rate * g / jnp.sqrt(v + eps)
            elif slip == "no_root":
                step = learning_rate * g / (v + eps)
            else:
                step = learning_rate * g / (jnp.sqrt(v) + eps)
            theta = theta + step if slip == "uphill" else theta - step
            points.append(theta)
        return jnp.stack(points[1:] if short else points)
    return my_rmsprop


def test_the_right_rmsprop_passes():
    verdict = ex.check_rmsprop_update(answer=_reader())
    assert verdict.right is True, verdict.message


@pytest.mark.parametrize("slip, phrase", [
    ("eps_inside", "inside the square root"), ("no_square", "the square is missing"),
    ("swapped", "swapped"), ("sum", "that is AdaGrad"), ("no_root", "not by its square root"),
    ("uphill", "uphill")])
def test_each_rmsprop_slip_is_named_with_the_step_where_it_parts(slip, phrase):
    verdict = ex.check_rmsprop_update(answer=_reader(slip))
    assert verdict.right is False
    assert phrase in verdict.message, verdict.message
    assert "first differ from descent.optimizers.rmsprop's at step" in verdict.message


def test_the_rmsprop_check_reports_the_readers_errors():
    assert ex.check_rmsprop_update(answer=None).right is None
    crashed = ex.check_rmsprop_update(answer=_reader(crash=True))
    assert crashed.right is False and "raised" in crashed.message and "line" in crashed.message
    short = ex.check_rmsprop_update(answer=_reader(short=True))
    assert short.right is False and "one row short" in short.message
    empty = ex.check_rmsprop_update(answer=_reader(empty=True))
    assert empty.right is False and "gap still empty" in empty.message
    none = ex.check_rmsprop_update(answer=lambda *args: None)
    assert none.right is False and "returned None" in none.message
    with pytest.raises(TypeError, match="your function itself"):
        ex.check_rmsprop_update(answer=0.1)
    with pytest.raises(ValueError, match="decay"):
        ex.check_rmsprop_update(answer=_reader(), decay=0.5)


def test_eps_inside_is_invisible_at_a_tiny_eps():
    # Why the check uses ε = 0.01: at 1e-8 the two placements give the same points.
    assert ex.check_rmsprop_update(answer=_reader("eps_inside"), eps=1e-8).right is True


# ---------------------------------------------------------------------------------------
# The exercise cells of the chapter.


@pytest.fixture(scope="module")
def notebook():
    return chapters.read("adaptive")


def test_at_least_four_exercises_each_with_a_check_cell(notebook):
    text = chapters.markdown(notebook)
    labels = re.findall(r"```\{exercise\}\n:label: (\S+)", text)
    assert len(labels) >= 4
    for label in labels:
        assert chapters.cell(notebook, f"{label}-check").cell_type == "code"


def test_each_check_cell_runs_and_says_your_turn(notebook, capsys):
    namespace = {name: getattr(ex, name) for name in ex.__all__}
    namespace["jnp"] = jnp
    for cell in chapters.code_cells(notebook):
        if not cell.id.startswith("ex-adaptive-"):
            continue
        source = cell.source
        last = source.strip().splitlines()[-1]
        exec(compile("\n".join(source.strip().splitlines()[:-1]), cell.id, "exec"), namespace)
        verdict = eval(last.replace("print(", "(", 1), namespace)
        assert verdict.right is None and "Your turn" in verdict.message, cell.id


def _solution(notebook, label):
    return next(c.source for c in notebook.cells if c.cell_type == "markdown"
                and f"````{{solution}} {label}" in c.source)


def test_the_solutions_pass_their_checks(notebook):
    calls = {call.func.id: chapters.check_call(notebook, call.func.id)
             for call in chapters.check_calls(notebook)}
    answers = {"check_adagrad_step": 0.01, "check_rmsprop_early_step": 3.23,
               "check_rmsprop_cycle_loss": 0.002}
    for name, answer in answers.items():
        solution = chapters.flat(_solution(notebook, {
            "check_adagrad_step": "ex-adaptive-adagrad", "check_rmsprop_early_step": "ex-adaptive-bias",
            "check_rmsprop_cycle_loss": "ex-adaptive-cycle"}[name]))
        assert f"{answer:g}" in solution, (name, answer)
        assert getattr(ex, name)(**calls[name], answer=answer).right is True, name
    # The RMSProp solution's code, as the solution prints it.
    code = re.search(r"```python\n(.*?)```", _solution(notebook, "ex-adaptive-rmsprop"), re.S).group(1)
    namespace = {"jnp": jnp}
    exec(code, namespace)
    assert ex.check_rmsprop_update(answer=namespace["my_rmsprop"]).right is True


def test_the_solutions_other_numbers():
    # ex-adaptive-bias: 391 steps to within 1 %; ex-adaptive-cycle: α for a loss of 1e-8.
    t = np.arange(1, 1000)
    within = 1 / np.sqrt(1 - 0.99**t) <= 1.01
    assert int(t[within][0]) == 391
    assert np.isclose(np.sqrt(8e-8 / 10), 8.9e-5, rtol=0.01)
