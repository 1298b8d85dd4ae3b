"""The checks of chapters 1 and 4: right answers pass, wrong ones fail, None asks."""

import doctest
import math

import pytest

import descent.exercises.learning_vs_optimization as lvo
import descent.exercises.why_hard as hard


@pytest.mark.parametrize("module, examples", [(lvo, 2), (hard, 3)])
def test_doctests(module, examples):
    result = doctest.testmod(module)
    assert result.attempted >= examples and result.failed == 0, result


@pytest.mark.parametrize(
    "check, kwargs, right, wrong",
    [
        (lvo.check_batch_size_for_noise, dict(batch_size=32, noise=0.8, target=0.1), 2048, 256),
        (lvo.check_without_replacement_factor, dict(examples=1000, batch_size=250),
         math.sqrt(750 / 999), 0.75),
        (lvo.check_logistic_slope, dict(margin=2), -1 / (1 + math.e**2), 1 / (1 + math.e**2)),
        (hard.check_saddle_escape_steps, dict(learning_rate=0.1, y0=1e-6), 76, 75),
        (hard.check_optimal_step_along_gradient, dict(g=[1, 1], H=[[1, 0], [0, 10]]),
         2 / 11, 0.2),
        (hard.check_equivalent_networks, dict(hidden=[3, 2], sign_flips=True), 384, 12),
        (hard.check_noise_floor, dict(eigenvalues=[1, 10], learning_rate=0.05, noise=2),
         0.05 * 4 / (2 * 1.95) + 0.05 * 4 / (2 * 1.5), 0.1),
    ],
)
def test_right_wrong_and_no_answer(check, kwargs, right, wrong):
    verdict = check(**kwargs, answer=right)
    assert verdict and repr(verdict).startswith("Right:")
    verdict = check(**kwargs, answer=wrong)
    assert not verdict and repr(verdict).startswith("Not quite:")
    verdict = check(**kwargs, answer=None)
    assert verdict.right is None and "replace None" in repr(verdict)


def test_bad_answers_get_a_clear_message():
    with pytest.raises(TypeError, match="answer must be"):
        lvo.check_logistic_slope(margin=0, answer="abc")
    with pytest.raises(ValueError, match="answer must be"):
        hard.check_saddle_escape_steps(learning_rate=0.1, y0=1e-3, answer=float("nan"))


def test_saddle_escape_is_the_first_step_past_one():
    t = hard.saddle_escape_steps(0.1, 1e-6)
    assert 1.2**t * 1e-6 >= 1 > 1.2 ** (t - 1) * 1e-6


def test_noise_floor_matches_a_simulation():
    import jax
    import numpy as np

    from descent.gradient_noise import noisy_gradient_descent
    from descent.problems import quadratic

    bowl = quadratic((1.0, 10.0))
    path = noisy_gradient_descent(bowl.loss, bowl.init, 0.05, 2.0, 20000, jax.random.key(0))
    measured = float(np.mean(jax.vmap(bowl.loss)(path[1000:])))
    assert measured == pytest.approx(hard.noise_floor([1, 10], 0.05, 2.0), rel=0.1)


def test_invalid_settings_are_refused():
    with pytest.raises(ValueError):
        hard.noise_floor([1, 10], 0.3, 1.0)  # α ≥ 2/λ_max: no floor.
    with pytest.raises(ValueError):
        hard.optimal_step_along_gradient([1, 1], [[1, 0], [0, -2]])
    with pytest.raises(ValueError):
        lvo.without_replacement_factor(10, 11)
