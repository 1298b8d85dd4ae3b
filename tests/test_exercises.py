import doctest

import pytest

import descent.exercises
from descent.exercises import check_stability_limit, check_steps_to_accuracy, steps_to_accuracy


def test_doctests():
    result = doctest.testmod(descent.exercises)
    assert result.attempted >= 3 and result.failed == 0, result


def test_stability_limit_check_says_right_and_wrong():
    right = check_stability_limit(curvature=10, answer=0.2)
    assert right and repr(right).startswith("Right:")
    wrong = check_stability_limit(curvature=10, answer=0.1)
    assert not wrong and repr(wrong).startswith("Not quite:")


def test_no_answer_yet_is_neither_right_nor_an_error():
    verdict = check_stability_limit(curvature=10, answer=None)
    assert verdict.right is None and not verdict and "replace None" in repr(verdict)


def test_steps_to_accuracy_is_the_smallest_sufficient_step():
    t = steps_to_accuracy(0.6, 1e-6)
    assert 0.6**t <= 1e-6 < 0.6 ** (t - 1)
    assert steps_to_accuracy(-0.5, 0.25) == 2  # exact powers are not off by one


def test_steps_check():
    assert check_steps_to_accuracy(4, 0.4, 1e-6, 28)
    assert not check_steps_to_accuracy(4, 0.4, 1e-6, 27)


@pytest.mark.parametrize("answer", ["abc", float("nan")])
def test_bad_answers_get_a_clear_message(answer):
    with pytest.raises((TypeError, ValueError), match="answer must be"):
        check_stability_limit(curvature=1, answer=answer)


def test_diverging_step_size_has_no_step_count():
    with pytest.raises(ValueError, match="contraction factor"):
        steps_to_accuracy(1.08, 1e-3)


def test_hand_computed_answers_count_to_three_significant_digits():
    from descent.exercises.quadratic import check_optimal_learning_rate, check_stability_limit_without_half

    assert check_stability_limit_without_half(eigenvalues=(1, 6), answer=0.167)  # 1/6
    assert not check_stability_limit_without_half(eigenvalues=(1, 6), answer=0.17)
    assert check_optimal_learning_rate(eigenvalues=(2, 50), answer=0.0385)  # 2/52
    assert not check_optimal_learning_rate(eigenvalues=(2, 50), answer=0.04)
