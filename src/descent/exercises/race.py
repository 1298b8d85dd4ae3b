r"""Checks for the exercises of the chapter "The optimizer race on Fashion-MNIST".

Each expected answer comes from the protocol itself (:mod:`descent.race`): the loss is the
cross-entropy over the number of classes, a run's score is :func:`descent.race.steps_to_target`
of its validation curve, and an optimizer's state is counted by :func:`descent.race.state_size`.

>>> check_threshold_cross_entropy(threshold=0.15, classes=10, answer=1.5)
Right: the protocol's loss is the cross-entropy over 10, so 0.15 is a cross-entropy of 0.15 × 10 = 1.5 nats.
>>> check_threshold_cross_entropy(threshold=0.15, classes=10, answer=0.015)  # doctest: +ELLIPSIS
Not quite: 0.015 divides by the classes again...
>>> check_threshold_probability(threshold=0.15, classes=10, answer=0.223)  # doctest: +ELLIPSIS
Right: a mean cross-entropy of 1.5 nats is a geometric mean of e^(−1.5) = 0.2231...
>>> check_steps_to_target(curve=(0.9, 0.41, 0.2, 0.15, 0.149, 0.152, 0.12), threshold=0.15,
...                       answer=3)  # doctest: +ELLIPSIS
Not quite: at step 3 the loss is 0.15, not below 0.15...
>>> check_state_floats(optimizer="adam", answer=None)
Your turn: replace None with your answer and run the cell again.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from descent.exercises import RTOL, Verdict, _judge, _number, _positive, _slip

__all__ = [
    "check_threshold_cross_entropy",
    "check_threshold_probability",
    "check_steps_to_target",
    "check_state_floats",
]


def _classes(value: object) -> int:
    k = _number(value, "classes")
    if k != int(k) or k < 2:
        raise ValueError(f"classes must be a whole number ≥ 2, got {value!r}")
    return int(k)


# ---------------------------------------------------------------------------------------
# The threshold, in nats and as a probability.


def check_threshold_cross_entropy(threshold: float, classes: int, answer: float | None,
                                  rtol: float = RTOL) -> Verdict:
    """Is ``answer`` the cross-entropy, in nats, at which the protocol's loss is ``threshold``?

    The protocol's loss averages −log softmax × one-hot over the batch *and* the classes:
    the cross-entropy divided by ``classes``.
    """
    delta = _positive(threshold, "threshold")
    k = _classes(classes)
    expected = delta * k
    slip = _slip(answer, expected, [
        (delta, f"{delta:g} is the threshold in the protocol's own units; the cross-entropy "
                f"is {k} times the protocol's loss."),
        (delta / k, f"{delta / k:g} divides by the classes again; the protocol's loss is "
                    "already the cross-entropy divided by them, so undo that."),
        (math.exp(-delta * k), f"{math.exp(-delta * k):.4g} is e^(−cross-entropy), a "
                               "probability; the question asks for the cross-entropy itself."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"the protocol's loss is the cross-entropy over {k}, so {delta:g} is a cross-entropy of "
        f"{delta:g} × {k} = {expected:g} nats.",
        f"The mean of −log p × one-hot over {k} entries per example counts one non-zero entry "
        "and the zeros: how does it relate to the mean of −log p_y?",
        rtol=rtol,
    )


def check_threshold_probability(threshold: float, classes: int, answer: float | None,
                                rtol: float = RTOL) -> Verdict:
    """Is ``answer`` exp(−threshold × classes), the geometric mean of the right class's
    probability at which the protocol's loss equals ``threshold``?"""
    delta = _positive(threshold, "threshold")
    k = _classes(classes)
    ce = delta * k
    expected = math.exp(-ce)
    slip = _slip(answer, expected, [
        (math.exp(-delta), f"e^(−{delta:g}) = {math.exp(-delta):.4g} forgets that the "
                           f"protocol's loss is the cross-entropy over {k}: the cross-entropy "
                           f"is {ce:g}."),
        (1 / k, f"1/{k} is the probability a network that has learned nothing gives every "
                f"class; its cross-entropy is ln {k} = {math.log(k):.4g}, above {ce:g}."),
        (1 - ce / k, f"{1 - ce / k:g} is not a probability of this loss; exponentiate "
                     "the mean log."),
        (math.exp(-delta / k), f"e^(−{delta / k:g}) divides by the classes a second time."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"a mean cross-entropy of {ce:g} nats is a geometric mean of e^(−{ce:g}) = "
        f"{expected:.4g} for the probability of the right class (a network that has learned "
        f"nothing gives 1/{k}).",
        "The cross-entropy is the mean of −log p_y; exponentiate minus the mean to get the "
        "geometric mean of p_y. First turn the threshold into a cross-entropy.",
        rtol=rtol,
    )


# ---------------------------------------------------------------------------------------
# Steps to target, read from a curve.


def check_steps_to_target(curve: Sequence[float], threshold: float,
                          answer: int | None) -> Verdict:
    """Is ``answer`` the first step t ≥ 1 at which ``curve`` is below ``threshold``?

    ``curve[0]`` is the loss before the first step and ``curve[t]`` the loss after step t,
    as in ``RaceRuns.validation``; the score is :func:`descent.race.steps_to_target`.
    """
    from descent.race import steps_to_target

    values = np.asarray(curve, dtype=float)
    if values.ndim != 1 or values.size < 2:
        raise ValueError(f"curve must be a sequence of at least two losses, got {curve!r}")
    delta = _number(threshold, "threshold")
    expected = steps_to_target(values, delta)
    if not np.isfinite(expected):
        raise ValueError(f"the curve never goes below {delta:g} after a step: no answer")
    expected = int(expected)
    after = values[1:]
    slips = []
    at_or_below = np.flatnonzero(after <= delta)
    if at_or_below.size and at_or_below[0] + 1 != expected:
        t = int(at_or_below[0]) + 1
        slips.append((t, f"at step {t} the loss is {values[t]:g}, not below {delta:g}: the "
                         "target is strictly below the threshold."))
    slips.append((expected - 1, f"{expected - 1} counts from 0 along the losses after the steps; "
                                f"curve[0] is the loss before step 1, so the loss after step t "
                                f"is curve[t]."))
    slips.append((expected + 1, f"{expected + 1} is one too many: the loss after step t is "
                                "curve[t], and curve[0] is the start."))
    last = int(np.flatnonzero(after >= delta)[-1]) + 2 if np.any(after >= delta) else None
    if last is not None and last != expected and last <= after.size:
        slips.append((last, f"{last} is where the curve stays below for good; the protocol "
                            "counts the first step below, even if it comes back up."))
    if answer is not None:
        value = _number(answer)
        for slip_value, description in slips:
            if value == slip_value and slip_value != expected:
                return Verdict(False, f"Not quite: {description}")
    return _judge(
        answer, expected,
        f"the loss after step {expected} is {values[expected]:g} < {delta:g}, the first below "
        "it.",
        "curve[0] is the loss before any step; find the first t ≥ 1 with curve[t] below the "
        "threshold.",
        noun=" steps",
    )


# ---------------------------------------------------------------------------------------
# An optimizer's state, counted in floats.


def check_state_floats(optimizer: str, answer: int | None) -> Verdict:
    """Is ``answer`` the number of floats in ``optimizer``'s state for the race's network
    (the step counter included), as :func:`descent.race.state_size` measures it?"""
    from descent.race import OPTIMIZERS, state_size

    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {optimizer!r}")
    expected, n = state_size(optimizer)
    per = (expected - 1) // n  # Arrays the size of θ in the state.
    slips = [
        (expected - 1, f"{expected - 1:,} forgets the step counter, one more float."),
        (n, f"{n:,} is the number of parameters, the network itself; the question asks for "
            "the optimizer's state beside it."),
        ((per + 1) * n + 1, f"{(per + 1) * n + 1:,} counts one array the size of θ too many: "
                            "which moments does this optimizer keep?"),
    ]
    if per > 1:
        slips.append(((per - 1) * n + 1, f"{(per - 1) * n + 1:,} counts one array the size of "
                                         "θ too few: which moments does this optimizer keep?"))
    if answer is not None:
        value = _number(answer)
        for slip_value, description in slips:
            if value == slip_value:
                return Verdict(False, f"Not quite: {description}")
    return _judge(
        answer, expected,
        f"{per} array{'s' if per != 1 else ''} the size of θ ({n:,} floats each) and the step "
        f"counter: {expected:,} float{'s' if expected != 1 else ''}, {expected / n:.2f} per "
        "parameter.",
        "Count the parameters of 784-512-512-10 (weights and biases), then the arrays of "
        "that size the optimizer keeps, and its step counter.",
        noun=" floats",
    )
