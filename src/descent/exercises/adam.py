r"""Checks for the exercises of the chapter "Adam and its family".

Each expected answer comes from :mod:`descent.theory` or from :func:`descent.optimizers.adam`
itself; the update check runs the reader's function against descent's Adam step by step.

>>> check_bias_correction(decay=0.999, step=100, answer=0.0952)
Right: E v_100 = (1 − β₂^100) E g² = (1 − 0.999^100) E g² = 0.0952 E g²: the zero start still carries the weight β₂^t = 0.905.
>>> check_bias_correction(decay=0.999, step=100, answer=0.1)  # doctest: +ELLIPSIS
Not quite: t(1 − β₂) = 0.1 is the first-order approximation...
>>> check_adam_first_step(learning_rate=0.01, gradient=1e-8, eps=1e-8, answer=None)
Your turn: replace None with your answer and run the cell again.
>>> check_adam_first_step(learning_rate=0.01, gradient=1e-8, eps=1e-8, answer=-0.005)  # doctest: +ELLIPSIS
Right: the corrected moments of the first step are m̂₁ = g₁ and v̂₁ = g₁²...
>>> check_counterexample_regret(C=4.0, answer=4.0)  # doctest: +ELLIPSIS
Not quite: 2(C − 2) = 4 is the regret of one period of three steps...

The update exercise asks for a function; one without the bias correction is recognized:

>>> import jax.numpy as jnp
>>> def no_correction(g, m, v, t, learning_rate, b1, b2, eps):
...     m = b1 * m + (1 - b1) * g
...     v = b2 * v + (1 - b2) * g**2
...     return -learning_rate * m / (jnp.sqrt(v) + eps), m, v
>>> check_adam_update(answer=no_correction)  # doctest: +ELLIPSIS
Not quite: no bias correction...
"""

from __future__ import annotations

import math
from typing import Callable

import jax.numpy as jnp
import numpy as np

from descent import theory
from descent.exercises import RTOL, Verdict, _error_message, _judge, _number, _positive, _slip, _where_it_failed

__all__ = [
    "check_bias_correction",
    "adam_first_step",
    "check_adam_first_step",
    "check_counterexample_regret",
    "UPDATE_GRADIENTS",
    "adam_steps",
    "check_adam_update",
]


def _decay(value: object, name: str) -> float:
    b = _number(value, name)
    if not 0 <= b < 1:
        raise ValueError(f"{name} must be in [0, 1), got {b:g}")
    return b


# ---------------------------------------------------------------------------------------
# The bias correction.


def check_bias_correction(decay: float, step: int, answer: float | None,
                          rtol: float = RTOL) -> Verdict:
    """Is ``answer`` 1 − β^t, the fraction of E g² (or E g) that the uncorrected average holds?"""
    b = _decay(decay, "decay")
    t = _number(step, "step")
    if t != int(t) or t < 1:
        raise ValueError(f"step must be a whole number ≥ 1, got {step!r}")
    t = int(t)
    expected = float(theory.adam_bias_correction(b, t))
    slip = _slip(answer, expected, [
        (b**t, f"β^t = {b**t:.4g} is the weight the zero start still carries, the part that "
               "is missing; the average holds 1 − β^t."),
        (t * (1 - b), f"t(1 − β₂) = {t * (1 - b):.4g} is the first-order approximation of "
                      f"1 − β^t, good only while t(1 − β) is small; here 1 − β^t = {expected:.4g}."),
        (1 - b, f"1 − β = {1 - b:.4g} is the weight of one gradient, the whole story only at t = 1."),
        (1 / expected, f"{1 / expected:.4g} is the correction 1/(1 − β^t) that Adam multiplies "
                       "by; the question asks for the fraction the uncorrected average holds."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"E v_{t} = (1 − β₂^{t}) E g² = (1 − {b:g}^{t}) E g² = {expected:.3g} E g²: the zero "
        f"start still carries the weight β₂^t = {b**t:.3g}.",
        "Unroll v_t = β₂v_{t−1} + (1 − β₂)g_t² from v₀ = 0 and add up the weights of the t "
        "gradients: a geometric series.",
        rtol=rtol,
    )


# ---------------------------------------------------------------------------------------
# The first step.


def adam_first_step(learning_rate: float, gradient: float, eps: float, b1: float = 0.9,
                    b2: float = 0.999, correct: bool = True) -> float:
    """Adam's first update θ₁ − θ₀ of one coordinate (``correct=False``: without the correction)."""
    a = _positive(learning_rate, "learning_rate")
    g = _number(gradient, "gradient")
    e = _positive(eps, "eps")
    b1, b2 = _decay(b1, "b1"), _decay(b2, "b2")
    m, v = (1 - b1) * g, (1 - b2) * g**2
    if correct:
        m, v = m / (1 - b1), v / (1 - b2)
    return -a * m / (math.sqrt(v) + e)


def check_adam_first_step(learning_rate: float, gradient: float, eps: float,
                          answer: float | None, rtol: float = RTOL) -> Verdict:
    """Is ``answer`` Adam's first update −αg/(|g| + ε), at the default β's?"""
    expected = adam_first_step(learning_rate, gradient, eps)
    a, g, e = float(learning_rate), float(gradient), float(eps)
    slips = [
        (-expected, "the sign: the update goes against the gradient, θ₁ − θ₀ = −α m̂/(√v̂ + ε)."),
        (-a * math.copysign(1.0, g), f"−α·sign(g) = {-a * math.copysign(1.0, g):g} forgets ε: "
                                     f"here |g| = {abs(g):g} is not large against ε = {e:g}."),
        (-a * g, f"−αg = {-a * g:g} is gradient descent's step; Adam divides by √v̂ + ε."),
        (-a * g / e, f"−αg/ε = {-a * g / e:g} is the limit |g| ≪ ε; here |g| and ε are "
                     "comparable, and both count: −αg/(|g| + ε)."),
        (adam_first_step(a, g, e, correct=False),
         f"{adam_first_step(a, g, e, correct=False):.4g} is the step without bias correction: "
         "m₁ = (1 − β₁)g₁ and v₁ = (1 − β₂)g₁² must be divided by 1 − β₁ and 1 − β₂."),
        (-a * g / math.sqrt(g**2 + e), "ε goes outside the square root, √v̂ + ε, in Adam (and in "
                                       "descent and optax's default)."),
    ]
    # A slip that agrees with the right answer to the tolerance is no slip for these numbers.
    slip = _slip(answer, expected, [(value, text) for value, text in slips
                                    if not math.isclose(value, expected, rel_tol=rtol)], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"the corrected moments of the first step are m̂₁ = g₁ and v̂₁ = g₁², so the update is "
        f"−αg₁/(|g₁| + ε) = −{a:g}·{g:g}/({abs(g):g} + {e:g}) = {expected:.4g}.",
        "At t = 1, m₁ = (1 − β₁)g₁ and v₁ = (1 − β₂)g₁²: correct both, then take "
        "−α m̂₁/(√v̂₁ + ε).",
        rtol=rtol,
    )


# ---------------------------------------------------------------------------------------
# Reddi et al.'s problem.


def check_counterexample_regret(C: float, answer: float | None, rtol: float = RTOL) -> Verdict:
    """Is ``answer`` the average regret 2(C − 2)/3 of staying at x = +1?"""
    C = _number(C, "C")
    if C <= 2:
        raise ValueError(f"C must be above 2, got {C:g}")
    expected = float(theory.reddi_average_regret(1.0, C))
    slip = _slip(answer, expected, [
        (2 * (C - 2), f"2(C − 2) = {2 * (C - 2):g} is the regret of one period of three steps; "
                      "per step it is a third of that."),
        ((C - 2) / 3, f"(C − 2)/3 = {(C - 2) / 3:.4g} measures +1 against 0; the best fixed "
                      "point is −1, and the gap from +1 to −1 is twice that."),
        (C - 2, f"C − 2 = {C - 2:g} is the loss of x = 1 over one period, not the regret."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"each period costs (C − 2)x, so +1 loses 2(C − 2) = {2 * (C - 2):g} per period to −1: "
        f"R_T/T → 2(C − 2)/3 = {expected:.4g}.",
        "Add f_t(x) over one period of three steps, find the best fixed x in [−1, 1], and "
        "compare playing +1 with it, per step.",
        rtol=rtol,
    )


# ---------------------------------------------------------------------------------------
# One step of Adam, written by the reader.

UPDATE_GRADIENTS = np.array([[0.5, -2.0], [0.3, -1.0], [-0.4, 0.2], [1e-3, 5.0],
                             [0.8, -0.5], [0.2, 3.0]])
"""The gradients the update check feeds, one row per step (two coordinates)."""
_UPDATE_HYPER = (0.1, 0.8, 0.95, 1e-3)  # α, β₁, β₂, ε.

_UPDATE_TURN = Verdict(None, "Your turn: fill the gap in the function above, replace None "
                             "with its name and run the cell again.")


def adam_steps(step: Callable, gradients: np.ndarray = UPDATE_GRADIENTS,
               learning_rate: float = 0.1, b1: float = 0.8, b2: float = 0.95,
               eps: float = 1e-3) -> np.ndarray:
    """The updates of ``step(g, m, v, t, learning_rate, b1, b2, eps)`` along ``gradients``,
    t = 1, 2, …, one row per step."""
    m = v = np.zeros(gradients.shape[1])
    updates = []
    for t, g in enumerate(gradients, start=1):
        update, m, v = step(g, m, v, t, learning_rate, b1, b2, eps)
        updates.append(np.asarray(update, dtype=float))
    return np.array(updates)


def _slip_step(kind: str) -> Callable:
    def step(g, m, v, t, learning_rate, b1, b2, eps):
        if kind == "swapped":
            b1, b2 = b2, b1
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = (m, v) if kind == "uncorrected" else (m / (1 - b1**t), v / (1 - b2**t))
        root = np.sqrt(v_hat + eps) if kind == "eps_inside" else np.sqrt(v_hat) + eps
        sign = 1.0 if kind == "sign" else -1.0
        return sign * learning_rate * m_hat / root, m, v
    return step


_SLIPS = [
    ("uncorrected", "no bias correction: m̂ = m/(1 − β₁^t) and v̂ = v/(1 − β₂^t) are "
                    "missing, and the first update is (1 − β₁)/√(1 − β₂) times too long."),
    ("eps_inside", "ε is inside the square root, √(v̂ + ε): Adam (and descent, and optax "
                   "by default) adds it outside, √v̂ + ε."),
    ("swapped", "β₁ and β₂ are swapped: β₁ averages the gradients (m), β₂ their squares (v). "
                "The first step cannot tell (corrected, it is α·g/(|g| + ε) whatever the β's)."),
    ("sign", "the sign: the update goes against the gradient, −α m̂/(√v̂ + ε)."),
]


def check_adam_update(answer: Callable | None) -> Verdict:
    r"""Does the reader's one-step Adam give descent.optimizers.adam's updates?

    ``answer(g, m, v, t, learning_rate, b1, b2, eps)`` must return ``(update, m, v)`` for step
    t = 1, 2, … . The check runs it on :data:`UPDATE_GRADIENTS` (two coordinates, six steps,
    α = 0.1, β₁ = 0.8, β₂ = 0.95, ε = 10⁻³: ε large enough that its place shows) next to
    :func:`descent.optimizers.adam`, names the first step at which they part, and recognizes
    no bias correction, ε inside the root, β's swapped and a sign error; a step count from 0
    shows as a division by 1 − β⁰ = 0. An exception in the reader's code is reported with
    its line.
    """
    if answer is None:
        return _UPDATE_TURN
    if not callable(answer):
        raise TypeError("answer must be your function itself, such as answer=my_adam_step "
                        f"(its name, without parentheses), got {answer!r}")
    from descent.optimizers import adam

    optimizer = adam(*_UPDATE_HYPER)
    state = optimizer.init(jnp.zeros(2))
    expected = []
    for g in UPDATE_GRADIENTS:
        update, state = optimizer.update(jnp.asarray(g, jnp.float32), state)
        expected.append(np.asarray(update, dtype=float))
    expected = np.array(expected)
    tol = 1e-4 * _UPDATE_HYPER[0]

    try:
        first = answer(UPDATE_GRADIENTS[0], np.zeros(2), np.zeros(2), 1, *_UPDATE_HYPER)
        if first is None:
            return Verdict(False, "Not quite: your function returned None: is the gap still "
                                  "empty? End it with `return update, m, v`.")
        with np.errstate(divide="ignore", invalid="ignore"):
            result = adam_steps(answer, UPDATE_GRADIENTS, *_UPDATE_HYPER)
    except Exception as error:  # The reader's code: report it, do not crash.
        return Verdict(False, f"Not quite: your function raised {_error_message(error)}"
                              f"{_where_it_failed(error, answer)}. It must return "
                              "(update, m, v).")
    if result.shape != expected.shape or not np.all(np.isfinite(result)):
        if not np.all(np.isfinite(result)) and result.shape == expected.shape:
            return Verdict(False, "Not quite: your updates are not finite (a division by "
                                  "1 − β^0 = 0? the first step is t = 1).")
        return Verdict(False, f"Not quite: your updates have the shape {result.shape[1:]} per "
                              "step; return the update of every coordinate, then m and v.")
    gap = np.max(np.abs(result - expected), axis=1)
    wrong = np.flatnonzero(~(gap <= tol))
    if wrong.size == 0:
        return Verdict(True, f"Right: your updates are descent.optimizers.adam's at all "
                             f"{len(expected)} steps (largest difference {np.max(gap):.1g}).")
    t = int(wrong[0]) + 1
    where = (f" Your updates first differ from descent.optimizers.adam's at step {t}: "
             f"({', '.join(f'{x:.4g}' for x in result[t - 1])}) instead of "
             f"({', '.join(f'{x:.4g}' for x in expected[t - 1])}).")
    for kind, message in _SLIPS:
        slipped = adam_steps(_slip_step(kind), UPDATE_GRADIENTS, *_UPDATE_HYPER)
        if np.max(np.abs(result - slipped)) <= tol:
            return Verdict(False, f"Not quite: {message}" + where)
    return Verdict(False, "Not quite:" + where + " Write lines (1) to (5) of the text for one "
                          "step: m, v, m̂ = m/(1 − β₁^t), v̂ = v/(1 − β₂^t), "
                          "−α m̂/(√v̂ + ε).")
