"""The schedules against their formulas (NumPy, float64), against optax, and bad input."""

from __future__ import annotations

import doctest
import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import descent.schedules
from descent.schedules import (
    constant,
    cosine_decay,
    exponential_decay,
    inverse_sqrt_decay,
    inverse_time_decay,
    linear_warmup,
    step_decay,
    warmup_cosine,
    warmup_stable_decay,
)

STEPS = np.arange(1000)


def cosine_formula(t, init_value, decay_steps, alpha):
    cosine = 0.5 * (1 + math.cos(math.pi * min(t, decay_steps) / decay_steps))
    return init_value * (alpha + (1 - alpha) * cosine)


def warmup_cosine_formula(t, peak, warmup, total, init, end):
    if t < warmup:
        return init + (peak - init) * t / warmup
    progress = min(t - warmup, total - warmup) / (total - warmup)
    return end + (peak - end) * 0.5 * (1 + math.cos(math.pi * progress))


def wsd_formula(t, peak, warmup, start, length, end):
    if t < warmup:
        return peak * t / warmup
    if t < start:
        return peak
    if t < start + length:
        return peak + (end - peak) * (t - start) / length
    return end


def warmup_formula(t, after, warmup, init):
    if t < warmup:
        return init + (after(0) - init) * t / warmup
    return after(t - warmup)


FORMULAS = {  # name: (schedule, its formula at step t, written out)
    "constant": (constant(0.3), lambda t: 0.3),
    "step_decay": (step_decay(0.5, every=150, factor=0.1), lambda t: 0.5 * 0.1 ** (t // 150)),
    "step_decay by half": (step_decay(2.0, every=7, factor=0.5), lambda t: 2.0 * 0.5 ** (t // 7)),
    "exponential_decay": (exponential_decay(0.1, decay_rate=0.99), lambda t: 0.1 * 0.99**t),
    "exponential_decay over 100 steps": (
        exponential_decay(0.1, decay_rate=0.5, transition_steps=100),
        lambda t: 0.1 * 0.5 ** (t / 100),
    ),
    "cosine_decay": (
        cosine_decay(0.1, decay_steps=600),
        lambda t: cosine_formula(t, 0.1, 600, 0.0),
    ),
    "cosine_decay to a floor": (
        cosine_decay(0.1, decay_steps=600, alpha=0.2),
        lambda t: cosine_formula(t, 0.1, 600, 0.2),
    ),
    "warmup_cosine": (
        warmup_cosine(peak_value=0.1, warmup_steps=50, decay_steps=700),
        lambda t: warmup_cosine_formula(t, 0.1, 50, 700, 0.0, 0.0),
    ),
    "warmup_cosine between values": (
        warmup_cosine(0.1, warmup_steps=50, decay_steps=700, init_value=0.01, end_value=0.001),
        lambda t: warmup_cosine_formula(t, 0.1, 50, 700, 0.01, 0.001),
    ),
    "inverse_time_decay": (inverse_time_decay(0.5, 20), lambda t: 0.5 / (1 + t / 20)),
    "inverse_time_decay, a fractional k0": (
        inverse_time_decay(0.3, 2.5),
        lambda t: 0.3 * 2.5 / (t + 2.5),  # Robbins–Monro's c / (t + k0), c = α0 k0.
    ),
    "inverse_sqrt_decay": (inverse_sqrt_decay(0.5, 20), lambda t: 0.5 / math.sqrt(1 + t / 20)),
    "linear_warmup of exponential decay": (
        linear_warmup(exponential_decay(0.2, 0.5, 100), warmup_steps=40),
        lambda t: warmup_formula(t, lambda s: 0.2 * 0.5 ** (s / 100), 40, 0.0),
    ),
    "linear_warmup of a step decay, from a floor": (
        linear_warmup(step_decay(0.1, every=300), warmup_steps=25, init_value=0.01),
        lambda t: warmup_formula(t, lambda s: 0.1 * 0.1 ** (s // 300), 25, 0.01),
    ),
    "linear_warmup of 1/t": (
        linear_warmup(inverse_time_decay(0.4, 50), warmup_steps=100),
        lambda t: warmup_formula(t, lambda s: 0.4 / (1 + s / 50), 100, 0.0),
    ),
    "warmup_stable_decay": (
        warmup_stable_decay(0.1, warmup_steps=50, decay_start=700, decay_steps=200),
        lambda t: wsd_formula(t, 0.1, 50, 700, 200, 0.0),
    ),
    "warmup_stable_decay to a floor": (
        warmup_stable_decay(0.1, 50, 600, 100, end_value=0.01),
        lambda t: wsd_formula(t, 0.1, 50, 600, 100, 0.01),
    ),
    "warmup_stable_decay without a stable phase": (
        warmup_stable_decay(0.1, 100, 100, 500),
        lambda t: wsd_formula(t, 0.1, 100, 100, 500, 0.0),
    ),
    "warmup_stable_decay without warm-up": (
        warmup_stable_decay(0.1, 0, 300, 300),
        lambda t: wsd_formula(t, 0.1, 0, 300, 300, 0.0),
    ),
}


@pytest.mark.parametrize("name", FORMULAS)
def test_schedule_is_its_formula_in_float64(name):
    schedule, formula = FORMULAS[name]
    expected = np.array([formula(t) for t in STEPS])
    with jax.enable_x64(True):
        values = schedule(jnp.asarray(STEPS))
        assert values.dtype == jnp.float64
        np.testing.assert_allclose(values, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", FORMULAS)
def test_schedule_is_its_formula_under_jit_at_every_step(name):
    """One compilation, the step a traced int32, as inside an optimizer's update.

    In float32, γᵗ loses about t·log(1/γ) units in the last place and the cosine cancels
    near its end, hence a looser tolerance than in float64.
    """
    schedule, formula = FORMULAS[name]
    values = jax.jit(lambda steps: jax.lax.map(schedule, steps))(jnp.asarray(STEPS, jnp.int32))
    assert values.shape == STEPS.shape and values.dtype == jnp.float32
    np.testing.assert_allclose(values, [formula(t) for t in STEPS], rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("name", FORMULAS)
def test_a_single_step_gives_a_scalar(name):
    schedule, formula = FORMULAS[name]
    for t in (0, 123, jnp.int32(456)):
        value = schedule(t)
        assert jnp.shape(value) == ()
        np.testing.assert_allclose(value, formula(int(t)), rtol=1e-5)


OPTAX = {  # name: (ours, optax's)
    "constant": (constant(0.3), optax.constant_schedule(0.3)),
    "step_decay as staircase exponential decay": (
        step_decay(0.5, every=150, factor=0.1),
        optax.exponential_decay(0.5, transition_steps=150, decay_rate=0.1, staircase=True),
    ),
    "step_decay as piecewise constant": (
        step_decay(0.5, every=150, factor=0.1),
        optax.piecewise_constant_schedule(0.5, {k: 0.1 for k in range(150, 1000, 150)}),
    ),
    "exponential_decay": (
        exponential_decay(0.1, decay_rate=0.5, transition_steps=100),
        optax.exponential_decay(0.1, transition_steps=100, decay_rate=0.5),
    ),
    "cosine_decay": (
        cosine_decay(0.1, decay_steps=600, alpha=0.2),
        optax.cosine_decay_schedule(0.1, decay_steps=600, alpha=0.2),
    ),
    "warmup_cosine": (
        warmup_cosine(0.1, warmup_steps=50, decay_steps=700, init_value=0.01, end_value=0.001),
        optax.warmup_cosine_decay_schedule(
            init_value=0.01, peak_value=0.1, warmup_steps=50, decay_steps=700, end_value=0.001
        ),
    ),
    "warmup_cosine without warmup": (
        warmup_cosine(peak_value=0.1, warmup_steps=0, decay_steps=700),
        optax.warmup_cosine_decay_schedule(0.0, peak_value=0.1, warmup_steps=0, decay_steps=700),
    ),
    "linear_warmup of exponential decay": (
        linear_warmup(exponential_decay(0.2, 0.5, 100), warmup_steps=40, init_value=0.01),
        optax.join_schedules(
            [
                optax.linear_schedule(0.01, 0.2, transition_steps=40),
                optax.exponential_decay(0.2, transition_steps=100, decay_rate=0.5),
            ],
            [40],
        ),
    ),
    "linear_warmup of cosine decay is optax's warmup_cosine_decay_schedule": (
        linear_warmup(cosine_decay(0.1, decay_steps=650), warmup_steps=50),
        optax.warmup_cosine_decay_schedule(0.0, 0.1, warmup_steps=50, decay_steps=700),
    ),
    "linear_warmup of a constant is optax's warmup_constant_schedule": (
        linear_warmup(lambda t: 0.3, warmup_steps=60, init_value=0.05),
        optax.warmup_constant_schedule(0.05, 0.3, warmup_steps=60),
    ),
    "linear_warmup of a step decay": (
        linear_warmup(step_decay(0.1, every=300), warmup_steps=25),
        optax.join_schedules(
            [
                optax.linear_schedule(0.0, 0.1, transition_steps=25),
                optax.exponential_decay(0.1, 300, 0.1, staircase=True),
            ],
            [25],
        ),
    ),
    "warmup_stable_decay": (
        warmup_stable_decay(0.1, warmup_steps=50, decay_start=700, decay_steps=200, end_value=0.002),
        optax.join_schedules(
            [
                optax.linear_schedule(0.0, 0.1, transition_steps=50),
                optax.linear_schedule(0.1, 0.002, transition_steps=200, transition_begin=650),
            ],
            [50],
        ),
    ),
    "warmup_stable_decay without a stable phase": (
        warmup_stable_decay(0.1, warmup_steps=100, decay_start=100, decay_steps=500),
        optax.join_schedules(
            [
                optax.linear_schedule(0.0, 0.1, transition_steps=100),
                optax.linear_schedule(0.1, 0.0, transition_steps=500),
            ],
            [100],
        ),
    ),
    "warmup_stable_decay, all decay, is optax's linear_schedule": (
        warmup_stable_decay(0.1, warmup_steps=0, decay_start=0, decay_steps=800),
        optax.linear_schedule(0.1, 0.0, transition_steps=800),
    ),
}


@pytest.mark.parametrize("name", OPTAX)
def test_schedule_equals_optax(name):
    """In float32 a linear ramp ends in a difference of nearly equal numbers: agreement to
    1e-7 of the peak (0.1) there, to 2e-6 relative elsewhere."""
    ours, reference = OPTAX[name]
    steps = jnp.asarray(STEPS, jnp.int32)
    np.testing.assert_allclose(ours(steps), reference(steps), rtol=2e-6, atol=1e-8)


def test_warmup_cosine_passes_through_its_landmarks():
    schedule = warmup_cosine(0.1, warmup_steps=50, decay_steps=700, init_value=0.01, end_value=1e-3)
    values = schedule(jnp.array([0, 25, 50, 375, 700, 5000]))
    np.testing.assert_allclose(values, [0.01, 0.055, 0.1, 0.0505, 0.001, 0.001], rtol=1e-6)


@settings(max_examples=30, deadline=None, database=None)
@given(
    init_value=st.floats(1e-4, 10.0),
    every=st.integers(1, 300),
    factor=st.floats(0.01, 1.0),
    decay_steps=st.integers(1, 1000),
    alpha=st.floats(0.0, 1.0, allow_subnormal=False),
)
def test_decays_never_increase_and_stay_in_range(init_value, every, factor, decay_steps, alpha):
    for schedule, floor in (
        (step_decay(init_value, every, factor), 0.0),
        (exponential_decay(init_value, factor, every), 0.0),
        (cosine_decay(init_value, decay_steps, alpha), alpha * init_value),
    ):
        values = np.asarray(schedule(jnp.asarray(STEPS)), np.float64)
        assert np.all(np.diff(values) <= 1e-6 * init_value)
        assert np.all(values <= init_value * (1 + 1e-6))
        assert np.all(values >= floor * (1 - 1e-6) - 1e-12)


INVALID = [
    (lambda: constant(-1.0), "constant: value must be in [0, inf), got -1.0"),
    (lambda: constant(float("nan")), "constant: value must be in [0, inf), got nan"),
    (lambda: step_decay(-0.1, every=10), "step_decay: init_value must be in [0, inf), got -0.1"),
    (lambda: step_decay(0.1, every=0), "step_decay: every must be an integer in [1, inf), got 0"),
    (lambda: step_decay(0.1, every=2.5),
     "step_decay: every must be an integer in [1, inf), got 2.5"),
    (lambda: step_decay(0.1, every=10, factor=0.0),
     "step_decay: factor must be in (0, 1], got 0.0"),
    (lambda: step_decay(0.1, every=10, factor=10.0),
     "step_decay: factor must be in (0, 1], got 10.0"),
    (lambda: exponential_decay(float("inf"), 0.5),
     "exponential_decay: init_value must be in [0, inf), got inf"),
    (lambda: exponential_decay(0.1, 1.5),
     "exponential_decay: decay_rate must be in (0, 1], got 1.5"),
    (lambda: exponential_decay(0.1, 0.5, transition_steps=0),
     "exponential_decay: transition_steps must be an integer in [1, inf), got 0"),
    (lambda: cosine_decay(0.1, decay_steps=0),
     "cosine_decay: decay_steps must be an integer in [1, inf), got 0"),
    (lambda: cosine_decay(0.1, decay_steps=100, alpha=1.5),
     "cosine_decay: alpha must be in [0, 1], got 1.5"),
    (lambda: cosine_decay(-0.1, decay_steps=100),
     "cosine_decay: init_value must be in [0, inf), got -0.1"),
    (lambda: warmup_cosine(-1.0, 10, 100),
     "warmup_cosine: peak_value must be in [0, inf), got -1.0"),
    (lambda: warmup_cosine(0.1, -1, 100),
     "warmup_cosine: warmup_steps must be an integer in [0, inf), got -1"),
    (lambda: warmup_cosine(0.1, 100, 100),
     "warmup_cosine: decay_steps must be an integer in (100, inf), got 100"),
    (lambda: warmup_cosine(0.1, 10, 100, init_value=-0.1),
     "warmup_cosine: init_value must be in [0, inf), got -0.1"),
    (lambda: warmup_cosine(0.1, 10, 100, end_value=float("nan")),
     "warmup_cosine: end_value must be in [0, inf), got nan"),
    (lambda: inverse_time_decay(-0.1, 10),
     "inverse_time_decay: init_value must be in [0, inf), got -0.1"),
    (lambda: inverse_time_decay(0.1, 0),
     "inverse_time_decay: decay_steps must be in (0, inf), got 0"),
    (lambda: inverse_sqrt_decay(float("nan"), 10),
     "inverse_sqrt_decay: init_value must be in [0, inf), got nan"),
    (lambda: inverse_sqrt_decay(0.1, -3.0),
     "inverse_sqrt_decay: decay_steps must be in (0, inf), got -3.0"),
    (lambda: linear_warmup(cosine_decay(0.1, 100), -1),
     "linear_warmup: warmup_steps must be an integer in [0, inf), got -1"),
    (lambda: linear_warmup(cosine_decay(0.1, 100), 2.5),
     "linear_warmup: warmup_steps must be an integer in [0, inf), got 2.5"),
    (lambda: linear_warmup(cosine_decay(0.1, 100), 10, init_value=-1.0),
     "linear_warmup: init_value must be in [0, inf), got -1.0"),
    (lambda: warmup_stable_decay(-0.1, 10, 50, 10),
     "warmup_stable_decay: peak_value must be in [0, inf), got -0.1"),
    (lambda: warmup_stable_decay(0.1, -10, 50, 10),
     "warmup_stable_decay: warmup_steps must be an integer in [0, inf), got -10"),
    (lambda: warmup_stable_decay(0.1, 60, 50, 10),
     "warmup_stable_decay: decay_start must be an integer in [60, inf), got 50"),
    (lambda: warmup_stable_decay(0.1, 10, 50, 0),
     "warmup_stable_decay: decay_steps must be an integer in [1, inf), got 0"),
    (lambda: warmup_stable_decay(0.1, 10, 50, 10, end_value=float("inf")),
     "warmup_stable_decay: end_value must be in [0, inf), got inf"),
]


@pytest.mark.parametrize("build, message", INVALID, ids=[message for _, message in INVALID])
def test_invalid_arguments_are_named_in_the_error(build, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build()


def test_docstring_examples_run():
    result = doctest.testmod(descent.schedules)
    assert result.attempted >= 14 and result.failed == 0, result


def test_hand_values():
    """Landmarks worked out by hand: 1/t halves at k0 and is a tenth at 9 k0; 1/√t halves at
    3 k0 and is a tenth at 99 k0; WSD is half-way at the middle of each ramp."""
    np.testing.assert_allclose(
        inverse_time_decay(0.8, 10)(jnp.array([0, 10, 90, 990])), [0.8, 0.4, 0.08, 0.008]
    )
    np.testing.assert_allclose(
        inverse_sqrt_decay(0.8, 10)(jnp.array([0, 30, 990])), [0.8, 0.4, 0.08], rtol=1e-6
    )
    wsd = warmup_stable_decay(2.0, warmup_steps=4, decay_start=10, decay_steps=4, end_value=0.4)
    np.testing.assert_allclose(
        wsd(jnp.arange(16)),
        [0, 0.5, 1, 1.5, 2, 2, 2, 2, 2, 2, 2, 1.6, 1.2, 0.8, 0.4, 0.4],
        rtol=1e-6,
    )
    warm = linear_warmup(inverse_time_decay(1.0, 2), warmup_steps=4, init_value=0.2)
    np.testing.assert_allclose(
        warm(jnp.arange(8)), [0.2, 0.4, 0.6, 0.8, 1.0, 2 / 3, 0.5, 0.4], rtol=1e-6
    )


def test_warmup_of_zero_steps_is_the_schedule_itself():
    inner = cosine_decay(0.3, decay_steps=500, alpha=0.1)
    steps = jnp.asarray(STEPS)
    np.testing.assert_array_equal(linear_warmup(inner, 0)(steps), inner(steps))
    np.testing.assert_array_equal(linear_warmup(inner, 0, init_value=0.7)(steps), inner(steps))


def test_optimizer_follows_the_schedule():
    """SGD on L(θ) = ½θ², with each new schedule as its learning rate: θ_{t+1} = (1 − α_t) θ_t."""
    from descent.optimizers import apply_updates, sgd

    for schedule in (
        inverse_time_decay(0.5, 3),
        inverse_sqrt_decay(0.5, 3),
        linear_warmup(inverse_time_decay(0.5, 3), 5),
        warmup_stable_decay(0.5, 4, 10, 6),
    ):
        optimizer = sgd(schedule)
        theta = jnp.array(1.0)
        state = optimizer.init(theta)
        expected = 1.0
        for t in range(25):
            updates, state = optimizer.update(theta, state, theta)
            theta = apply_updates(theta, updates)
            expected *= 1 - float(schedule(t))
        np.testing.assert_allclose(theta, expected, rtol=1e-5)


def test_linear_warmup_needs_a_schedule():
    with pytest.raises(TypeError, match="linear_warmup: schedule must be a function of the step"):
        linear_warmup(0.1, 10)


def test_built_inside_jit_with_traced_values():
    """Values (not lengths) may be traced, as when a slider's value is a jit argument."""

    @jax.jit
    def values(peak, k0):
        t = jnp.arange(200)
        return (
            inverse_time_decay(peak, k0)(t),
            inverse_sqrt_decay(peak, k0)(t),
            warmup_stable_decay(peak, 20, 150, 30)(t),
            linear_warmup(inverse_time_decay(peak, k0), 20)(t),
        )

    inv, sqrt, wsd, warm = (np.asarray(v) for v in values(0.5, 10.0))
    np.testing.assert_allclose(inv[[0, 10, 90]], [0.5, 0.25, 0.05], rtol=1e-6)
    np.testing.assert_allclose(sqrt[30], 0.25, rtol=1e-6)
    np.testing.assert_allclose(wsd[[10, 20, 149, 165, 180]], [0.25, 0.5, 0.5, 0.25, 0.0], atol=1e-7)
    np.testing.assert_allclose(warm[[10, 20, 30]], [0.25, 0.5, 0.25], rtol=1e-6)
