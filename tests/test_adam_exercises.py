"""The exercise checks of the chapter "Adam and its family", and its exercise cells.

Every check accepts the solution's answer, names the likely slips, rejects other wrong
answers and refuses bad input with a clear message. The update check runs a function the
reader writes against descent.optimizers.adam, and tells its slips apart (no bias
correction, ε inside the root, β's swapped, the count from 0, the sign, an exception). The
exercise cells (ids "ex-adam-…") are read from book/adam.ipynb: their calls are quoted in
the text, each cell runs and says "Your turn", and each solution passes its check.
"""

from __future__ import annotations

import ast
import doctest
import re

import jax.numpy as jnp
import nbformat
import numpy as np
import pytest

import chapters
import descent.exercises.adam as ex
from descent import theory


def test_doctests():
    result = doctest.testmod(ex)
    assert result.failed == 0 and result.attempted >= 6


RIGHT = [
    (ex.check_bias_correction, dict(decay=0.999, step=100), 0.0952),
    (ex.check_bias_correction, dict(decay=0.999, step=100), 1 - 0.999**100),
    (ex.check_bias_correction, dict(decay=0.9, step=10), 0.651),
    (ex.check_adam_first_step, dict(learning_rate=0.01, gradient=1e-08, eps=1e-08), -0.005),
    (ex.check_adam_first_step, dict(learning_rate=0.1, gradient=-3.0, eps=1e-08), 0.1),
    (ex.check_counterexample_regret, dict(C=4.0), 4 / 3),
    (ex.check_counterexample_regret, dict(C=4.0), 1.333),
    (ex.check_counterexample_regret, dict(C=3.0), 0.6667),
]


@pytest.mark.parametrize("check, kwargs, right", RIGHT)
def test_right_answers_are_accepted(check, kwargs, right):
    verdict = check(**kwargs, answer=right)
    assert verdict.right is True and verdict.message.startswith("Right: "), repr(verdict)


@pytest.mark.parametrize("check, kwargs, answer, says", [
    (ex.check_bias_correction, dict(decay=0.999, step=100), 0.999**100, "weight the zero start"),
    (ex.check_bias_correction, dict(decay=0.999, step=100), 0.1, "first-order approximation"),
    (ex.check_bias_correction, dict(decay=0.999, step=100), 0.001, "one gradient"),
    (ex.check_bias_correction, dict(decay=0.999, step=100), 10.5, "the correction 1/(1 − β^t)"),
    (ex.check_adam_first_step, dict(learning_rate=0.01, gradient=1e-08, eps=1e-08), 0.005, "sign"),
    (ex.check_adam_first_step, dict(learning_rate=0.01, gradient=1e-08, eps=1e-08), -0.01,
     "forgets ε"),
    (ex.check_adam_first_step, dict(learning_rate=0.01, gradient=1e-08, eps=1e-08), -1e-10,
     "gradient descent's step"),
    (ex.check_adam_first_step, dict(learning_rate=0.01, gradient=1e-08, eps=1e-08), -9.69e-4,
     "without bias correction"),
    (ex.check_adam_first_step, dict(learning_rate=0.01, gradient=1e-08, eps=1e-08), -1e-06,
     "outside the square root"),
    (ex.check_counterexample_regret, dict(C=4.0), 4.0, "one period"),
    (ex.check_counterexample_regret, dict(C=4.0), 2 / 3, "against 0"),
    (ex.check_counterexample_regret, dict(C=4.0), 2.0, "not the regret"),
])
def test_slips_are_named(check, kwargs, answer, says):
    verdict = check(**kwargs, answer=answer)
    assert verdict.right is False and says in verdict.message, repr(verdict)


@pytest.mark.parametrize("check, kwargs, wrong", [
    (ex.check_bias_correction, dict(decay=0.999, step=100), 0.5),
    (ex.check_adam_first_step, dict(learning_rate=0.01, gradient=1e-08, eps=1e-08), -0.004),
    (ex.check_counterexample_regret, dict(C=4.0), 1.0),
])
def test_wrong_answers_fail_with_a_hint_and_none_asks_for_one(check, kwargs, wrong):
    verdict = check(**kwargs, answer=wrong)
    assert verdict.right is False and "is not it." in verdict.message, repr(verdict)
    assert check(**kwargs, answer=None).message.startswith("Your turn")


@pytest.mark.parametrize("check, kwargs, error, match", [
    (ex.check_bias_correction, dict(decay=1.0, step=3), ValueError, "decay"),
    (ex.check_bias_correction, dict(decay=0.9, step=0), ValueError, "step"),
    (ex.check_bias_correction, dict(decay="x", step=3), TypeError, "decay"),
    (ex.check_adam_first_step, dict(learning_rate=0.0, gradient=1.0, eps=1e-8), ValueError,
     "learning_rate"),
    (ex.check_adam_first_step, dict(learning_rate=0.1, gradient=1.0, eps=0.0), ValueError, "eps"),
    (ex.check_counterexample_regret, dict(C=2.0), ValueError, "above 2"),
])
def test_bad_input_raises_clearly(check, kwargs, error, match):
    with pytest.raises(error, match=match):
        check(**kwargs, answer=0.5)


def test_the_expected_answers_are_the_theorys():
    assert ex.check_bias_correction(decay=0.95, step=7, answer=float(
        theory.adam_bias_correction(0.95, 7))).right
    assert ex.check_counterexample_regret(C=7.0, answer=float(
        theory.reddi_average_regret(1.0, 7.0))).right
    # The first step is descent's: −α g/(|g| + ε).
    from descent.optimizers import adam

    for g in (1e-9, 1e-8, 3.0, -250.0):
        optimizer = adam(0.01, eps=1e-8)
        updates, _ = optimizer.update(jnp.array([g]), optimizer.init(jnp.zeros(1)))
        assert np.isclose(float(updates[0]), ex.adam_first_step(0.01, g, 1e-8), rtol=1e-5)


# ---------------------------------------------------------------------------------------
# The update check.


def right_step(g, m, v, t, learning_rate, b1, b2, eps):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g**2
    m_hat = m / (1 - b1**t)
    v_hat = v / (1 - b2**t)
    return -learning_rate * m_hat / (jnp.sqrt(v_hat) + eps), m, v


def _variant(**slip):
    def step(g, m, v, t, learning_rate, b1, b2, eps):
        if slip.get("swap"):
            b1, b2 = b2, b1
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = (m, v) if slip.get("no_correction") else (m / (1 - b1**t), v / (1 - b2**t))
        root = jnp.sqrt(v_hat + eps) if slip.get("eps_inside") else jnp.sqrt(v_hat) + eps
        sign = 1.0 if slip.get("sign") else -1.0
        return sign * learning_rate * m_hat / root, m, v
    return step


def test_the_right_step_passes_in_jax_and_numpy():
    assert ex.check_adam_update(answer=right_step).right is True

    def numpy_step(g, m, v, t, learning_rate, b1, b2, eps):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        return -learning_rate * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps), m, v

    assert ex.check_adam_update(answer=numpy_step).right is True


@pytest.mark.parametrize("reader, says, step", [
    (_variant(no_correction=True), "no bias correction", 1),
    (_variant(eps_inside=True), "ε is inside the square root", 1),
    (_variant(swap=True), "β₁ and β₂ are swapped", 2),
    (_variant(sign=True), "the sign", 1),
])
def test_slips_of_the_update_are_named_with_the_first_differing_step(reader, says, step):
    verdict = ex.check_adam_update(answer=reader)
    assert verdict.right is False and says in verdict.message, repr(verdict)
    assert f"first differ from descent.optimizers.adam's at step {step}:" in verdict.message


def test_a_count_from_zero_is_told_it_divides_by_zero():
    def divide_by_zero(g, m, v, t, learning_rate, b1, b2, eps):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        t = t - 1
        return -learning_rate * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps), m, v

    with np.errstate(divide="ignore", invalid="ignore"):
        verdict = ex.check_adam_update(answer=divide_by_zero)
    assert verdict.right is False and "not finite" in verdict.message, repr(verdict)


def test_skeleton_exceptions_and_bad_input():
    def skeleton(g, m, v, t, learning_rate, b1, b2, eps):
        ...

    verdict = ex.check_adam_update(answer=skeleton)
    assert verdict.right is False and "is the gap still empty?" in verdict.message

    def fails(g, m, v, t, learning_rate, b1, b2, eps):
        return 1 / 0

    verdict = ex.check_adam_update(answer=fails)
    assert verdict.message.startswith("Not quite: your function raised ZeroDivisionError")
    assert "`return 1 / 0`" in verdict.message
    verdict = ex.check_adam_update(answer=lambda *a: (jnp.zeros(3), a[1], a[2]))
    assert verdict.right is False and "shape" in verdict.message
    verdict = ex.check_adam_update(answer=lambda g, m, v, *a: (0.1 * g, m, v))
    assert verdict.right is False and "Write lines (1) to (5)" in verdict.message
    assert ex.check_adam_update(answer=None).right is None
    with pytest.raises(TypeError, match="your function itself"):
        ex.check_adam_update(answer=0.5)


# ---------------------------------------------------------------------------------------
# The exercise cells.

SOLUTION_ANSWERS = {
    "check_bias_correction": "0.0952",
    "check_adam_first_step": "-0.005",
    "check_counterexample_regret": "1.333",
}


@pytest.fixture(scope="module")
def cells():
    path = chapters.BOOK / "adam.ipynb"
    if not path.exists():
        pytest.skip(f"{path} does not exist yet")
    return [c for c in nbformat.read(path, as_version=4).cells if c.id.startswith("ex-adam-")]


def _namespace():
    namespace = {"jnp": jnp, "np": np}
    exec("from descent.exercises.adam import *", namespace)
    return namespace


def test_the_cells_are_clean_and_each_exercise_has_a_solution(cells):
    markdown = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    labels = re.findall(r"```\{exercise\}\n:label: (\S+)", markdown)
    assert len(labels) >= 4, labels
    for label in labels:
        assert re.search(r"```\{solution\} " + re.escape(label) + r"\n:class: dropdown\n", markdown)
    for c in cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None, c.id


def test_the_text_quotes_each_check_as_its_cell_calls_it(cells):
    from test_notebooks import check_call_problems

    notebook = nbformat.v4.new_notebook(cells=cells)
    assert check_call_problems(notebook) == []
    called = {call.func.id for call in chapters.check_calls(notebook)}
    assert called == set(SOLUTION_ANSWERS) | {"check_adam_update"}


def test_each_cell_runs_and_waits_for_an_answer(cells, capsys):
    namespace = _namespace()
    for c in cells:
        if c.cell_type == "code":
            tree = ast.parse(c.source)
            *body, last = tree.body
            exec(compile(ast.Module(body, []), c.id, "exec"), namespace)
            result = eval(compile(ast.Expression(last.value), c.id, "eval"), namespace)
            assert result.right is None and result.message.startswith("Your turn"), c.id
    verdict = ex.check_adam_update(answer=namespace["my_adam_step"])
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
            if name == "check_adam_update":
                code = re.search(r"```python\n(.*?)```", text, flags=re.S).group(1)
                namespace = _namespace()
                exec(code, namespace)
                verdict = ex.check_adam_update(answer=namespace["my_adam_step"])
            else:
                stated = SOLUTION_ANSWERS[name]
                assert re.search(rf"(?<![\d.]){re.escape(stated.lstrip('-'))}(?!\d)", solution), (name, stated)
                verdict = getattr(ex, name)(**kwargs, answer=float(stated))
            assert verdict.right is True, (name, repr(verdict))
