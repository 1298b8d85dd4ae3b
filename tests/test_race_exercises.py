"""The exercise checks of the chapter "The optimizer race on Fashion-MNIST", and its cells.

Every check accepts the solution's answer, names the likely slips, rejects other wrong
answers with a hint and refuses bad input with a clear message. The exercise cells are read
from book/race.ipynb: each runs and says "Your turn", and each solution's answer passes.
"""

from __future__ import annotations

import doctest
import math

import pytest

import chapters
import descent.exercises.race as ex

CURVE = (0.9, 0.41, 0.2, 0.15, 0.149, 0.152, 0.12)


def test_doctests():
    result = doctest.testmod(ex)
    assert result.failed == 0 and result.attempted >= 5


RIGHT = [
    (ex.check_threshold_cross_entropy, dict(threshold=0.15, classes=10), 1.5),
    (ex.check_threshold_cross_entropy, dict(threshold=0.2, classes=5), 1.0),
    (ex.check_threshold_probability, dict(threshold=0.15, classes=10), 0.223),
    (ex.check_threshold_probability, dict(threshold=0.15, classes=10), math.exp(-1.5)),
    (ex.check_steps_to_target, dict(curve=CURVE, threshold=0.15), 4),
    (ex.check_steps_to_target, dict(curve=(1.0, 0.5), threshold=0.6), 1),
    (ex.check_state_floats, dict(optimizer="adam"), 1_339_413),
    (ex.check_state_floats, dict(optimizer="amsgrad"), 2_009_119),
    (ex.check_state_floats, dict(optimizer="sgd"), 1),
    (ex.check_state_floats, dict(optimizer="momentum"), 669_707),
]


@pytest.mark.parametrize("check, kwargs, right", RIGHT)
def test_right_answers_are_accepted(check, kwargs, right):
    verdict = check(**kwargs, answer=right)
    assert verdict.right is True and verdict.message.startswith("Right: "), repr(verdict)


@pytest.mark.parametrize("check, kwargs, answer, says", [
    (ex.check_threshold_cross_entropy, dict(threshold=0.15, classes=10), 0.15, "own units"),
    (ex.check_threshold_cross_entropy, dict(threshold=0.15, classes=10), 0.015, "divides by the classes again"),
    (ex.check_threshold_cross_entropy, dict(threshold=0.15, classes=10), 0.2231, "a probability"),
    (ex.check_threshold_probability, dict(threshold=0.15, classes=10), 0.8607, "forgets"),
    (ex.check_threshold_probability, dict(threshold=0.15, classes=10), 0.1, "learned nothing"),
    (ex.check_steps_to_target, dict(curve=CURVE, threshold=0.15), 3, "not below"),
    (ex.check_steps_to_target, dict(curve=CURVE, threshold=0.15), 5, "one too many"),
    (ex.check_steps_to_target, dict(curve=CURVE, threshold=0.15), 6, "for good"),
    (ex.check_state_floats, dict(optimizer="adam"), 1_339_412, "step counter"),
    (ex.check_state_floats, dict(optimizer="adam"), 669_706, "number of parameters"),
    (ex.check_state_floats, dict(optimizer="adam"), 2_009_119, "too many"),
    (ex.check_state_floats, dict(optimizer="adam"), 669_707, "too few"),
])
def test_slips_are_named(check, kwargs, answer, says):
    verdict = check(**kwargs, answer=answer)
    assert verdict.right is False and says in verdict.message, repr(verdict)


@pytest.mark.parametrize("check, kwargs, wrong", [
    (ex.check_threshold_cross_entropy, dict(threshold=0.15, classes=10), 2.0),
    (ex.check_threshold_probability, dict(threshold=0.15, classes=10), 0.5),
    (ex.check_steps_to_target, dict(curve=CURVE, threshold=0.15), 1),
    (ex.check_state_floats, dict(optimizer="adam"), 12),
])
def test_wrong_answers_fail_with_a_hint(check, kwargs, wrong):
    verdict = check(**kwargs, answer=wrong)
    assert verdict.right is False and "is not it." in verdict.message, repr(verdict)


@pytest.mark.parametrize("call, error", [
    (lambda: ex.check_threshold_cross_entropy(threshold=-0.1, classes=10, answer=1), "positive"),
    (lambda: ex.check_threshold_probability(threshold=0.15, classes=1, answer=1), "classes"),
    (lambda: ex.check_steps_to_target(curve=(0.9,), threshold=0.15, answer=1), "at least two"),
    (lambda: ex.check_steps_to_target(curve=(0.9, 0.8), threshold=0.15, answer=1), "never"),
    (lambda: ex.check_state_floats(optimizer="lion", answer=1), "one of"),
    (lambda: ex.check_state_floats(optimizer="adam", answer="many"), "number"),
])
def test_bad_input_is_refused(call, error):
    with pytest.raises((ValueError, TypeError), match=error):
        call()


def test_the_exercise_cells_run_and_each_solution_passes():
    notebook = chapters.read("race")
    namespace = {}
    exec("from descent.exercises.race import *", namespace)
    for cell_id in ("race-ex-threshold-check", "race-ex-steps-check", "race-ex-state-check"):
        source = chapters.cell(notebook, cell_id).source
        exec(compile(source.replace("print(", "_ = ("), cell_id, "exec"), namespace)
    calls = {call.func.id: call for call in chapters.check_calls(notebook)}
    assert set(calls) == {"check_threshold_cross_entropy", "check_threshold_probability",
                          "check_steps_to_target", "check_state_floats"}
    answers = {"check_threshold_cross_entropy": 1.5, "check_threshold_probability": 0.223,
               "check_steps_to_target": 4, "check_state_floats": 1_339_413}
    for name, answer in answers.items():
        kwargs = chapters.check_call(notebook, name)
        assert getattr(ex, name)(**kwargs, answer=answer).right is True, name
        assert getattr(ex, name)(**kwargs, answer=None).right is None, name
    text = chapters.markdown(notebook)
    for value in ("1.5", "0.223", "1{,}339{,}413", "score is 4"):
        assert value in text, value
