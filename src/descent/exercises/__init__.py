"""Checks for the exercises: the reader types an answer, a check says right or wrong.

Each check computes the expected answer from the same formulas the chapter teaches, so
a check cannot drift from the text. It returns a :class:`Verdict`, which a notebook shows
as one line and which is true when the answer is right.

>>> check_stability_limit(curvature=4.0, answer=0.5)
Right: gradient descent on ½·4·θ² converges exactly when 0 < α < 0.5.
>>> bool(check_stability_limit(curvature=4.0, answer=0.25))
False
>>> check_stability_limit(curvature=4.0, answer=None)
Your turn: replace None with your answer and run the cell again.
"""

from __future__ import annotations

import linecache
import math
import traceback
from typing import Callable, NamedTuple, Sequence

import numpy as np


class Verdict(NamedTuple):
    """The outcome of a check: ``right`` and a sentence for the reader."""

    right: bool | None  # None: no answer given yet
    message: str

    def __bool__(self) -> bool:
        return bool(self.right)

    def __repr__(self) -> str:
        return self.message


# A number typed by hand is right when it agrees to three significant digits: 0.167 for
# 1/6, 0.0385 for 2/52. A looser answer (0.17, 0.18) is not accepted.
RTOL = 5e-3

_NO_ANSWER = Verdict(None, "Your turn: replace None with your answer and run the cell again.")


def _verdict(right: bool, message_if_right: str, message_if_wrong: str) -> Verdict:
    return Verdict(True, f"Right: {message_if_right}") if right else Verdict(False, f"Not quite: {message_if_wrong}")


def _judge(answer: object, expected: float, message_if_right: str, hint: str, *,
           rtol: float | None = None, atol: float | None = None, noun: str = "") -> Verdict:
    """The verdict on the reader's ``answer``: ``expected`` exactly, or within rtol or atol.

    A wrong answer is told "<answer><noun> is not it." followed by ``hint``.
    """
    if answer is None:
        return _NO_ANSWER
    value = _number(answer)
    if rtol is not None:
        right = math.isclose(value, expected, rel_tol=rtol)
    elif atol is not None:
        right = abs(value - expected) <= atol
    else:
        right = value == expected
    return _verdict(right, message_if_right, f"{value:g}{noun} is not it. {hint}")


def _slip(answer: object, expected: float, slips: Sequence[tuple[float, str]], rtol: float = 0.0,
          *, same: float = 1e-9) -> Verdict | None:
    """The verdict on ``answer`` if it is one of the likely wrong formulas, else None.

    A slip is a (value, description) pair. ``answer`` is that slip when it lies within
    ``rtol`` of the slip's value (exactly equal if ``rtol`` is 0) and nearer to it than to
    ``expected``, so that a slip whose value falls inside the tolerance of the right one
    (the approximation 1 − 2/κ at large κ) is still told apart from it. A slip that agrees
    with the right answer to a relative ``same`` is skipped: for these numbers it is the
    right answer.
    """
    if answer is None:
        return None
    value = _number(answer)
    for slip_value, description in slips:
        if math.isclose(slip_value, expected, rel_tol=same, abs_tol=1e-12):
            continue
        near = (math.isclose(value, slip_value, rel_tol=rtol, abs_tol=1e-12) if rtol
                else value == slip_value)
        if near and abs(value - slip_value) < abs(value - expected):
            return Verdict(False, f"Not quite: {description}")
    return None


def _number(answer: object, name: str = "answer") -> float:
    try:
        value = float(answer)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {answer!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def _positive(value: object, name: str) -> float:
    """A given quantity that must be a positive number (a ValueError says which)."""
    x = _number(value, name)
    if x <= 0:
        raise ValueError(f"{name} must be positive, got {x:g}")
    return x


def check_stability_limit(curvature: float, answer: float | None, rtol: float = RTOL) -> Verdict:
    """Is ``answer`` the largest stable learning rate 2/λ for L(θ) = ½ λ θ²?"""
    curvature = _number(curvature, "curvature")
    if curvature <= 0:
        raise ValueError(f"curvature must be positive, got {curvature}")
    expected = 2.0 / curvature
    return _judge(
        answer, expected,
        f"gradient descent on ½·{curvature:g}·θ² converges exactly when 0 < α < {expected:g}.",
        "Each step multiplies θ by (1 − αλ); for which α is |1 − αλ| < 1?",
        rtol=rtol,
    )


def steps_to_accuracy(factor: float, accuracy: float) -> int:
    """Smallest t with |factor|^t ≤ accuracy, for 0 < |factor| < 1 and 0 < accuracy < 1."""
    if not 0 < abs(factor) < 1:
        raise ValueError(f"the contraction factor must satisfy 0 < |factor| < 1, got {factor}")
    if not 0 < accuracy < 1:
        raise ValueError(f"accuracy must be in (0, 1), got {accuracy}")
    return math.ceil(math.log(accuracy) / math.log(abs(factor)) - 1e-12)


def check_steps_to_accuracy(
    curvature: float, learning_rate: float, accuracy: float, answer: int | None
) -> Verdict:
    """Is ``answer`` the number of GD steps until |θ_t| ≤ accuracy · |θ_0| on ½ λ θ²?"""
    factor = 1.0 - _number(learning_rate, "learning_rate") * _number(curvature, "curvature")
    expected = steps_to_accuracy(factor, accuracy)
    return _judge(
        answer, expected,
        f"|1 − αλ| = {abs(factor):g}, and {abs(factor):g}^{expected} ≤ {accuracy:g} "
        f"while {abs(factor):g}^{expected - 1} is not.",
        f"Solve |1 − αλ|^t ≤ {accuracy:g} for the smallest whole t.",
        noun=" steps",
    )

# ---------------------------------------------------------------------------------------
# An optimizer written by the reader: run it, read its points, say where it parts.


def _where_it_failed(error: BaseException, function: Callable) -> str:
    """' (line 7: `v = ...`)': the last line of the reader's code the traceback passed."""
    filename = getattr(getattr(function, "__code__", None), "co_filename", None)
    frames = traceback.extract_tb(error.__traceback__)
    mine = [f for f in frames if f.filename == filename] if filename else []
    if not mine:
        return ""
    frame = mine[-1]
    line = (frame.line or linecache.getline(frame.filename, frame.lineno)).strip()
    return f" (line {frame.lineno}: `{line}`)" if line else f" (line {frame.lineno})"


def _error_message(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0].rstrip(".") if text else ""
    if len(first) > 200:
        first = first[:200] + "…"
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def _vector(x: np.ndarray) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in x) + ")"


def _reader_points(answer: Callable, args: tuple, steps: int, size: int
                   ) -> tuple[np.ndarray | None, Verdict | None]:
    """Call the reader's ``answer(*args)`` and read its points θ_t, t = 0, …, ``steps``.

    Returns (points, None), float64 of shape (steps + 1, size), or (None, verdict) when the
    function raised (with the line of the reader's code), returned None, or returned
    something else than one row per point (with a hint for the usual wrong shapes).
    """
    shape = (steps + 1, size)
    try:
        result = answer(*args)
    except Exception as error:  # The reader's code: report it, do not crash.
        return None, Verdict(False, f"Not quite: your function raised {_error_message(error)}"
                                    f"{_where_it_failed(error, answer)}.")
    if result is None:
        return None, Verdict(False, "Not quite: your function returned None; end it with "
                                    "`return jnp.stack(points)`.")
    try:
        points = np.asarray(result, dtype=float)
    except Exception as error:
        return None, Verdict(False, f"Not quite: what your function returned is not an array of "
                                    f"points of shape {shape} ({_error_message(error)}); return "
                                    "jnp.stack(points), one row per point.")
    if points.shape == shape:
        return points, None
    if points.shape == (steps, size):
        hint = "one row short: the first row is the start θ₀ (t = 0), then one row after each step."
    elif points.shape == (size, steps + 1):
        hint = "transposed: one row per point, not one column."
    elif points.shape in ((1, size), (size,)):
        hint = "only the start: is the gap still empty? Append one point after each step."
    else:
        hint = f"row t is the point after t steps, t = 0, …, {steps}."
    return None, Verdict(False, f"Not quite: your function returned shape {points.shape}; "
                                f"expected {shape}, {hint}")


def _first_difference(points: np.ndarray, expected: np.ndarray, tol: float, truth: str) -> str:
    """' Your points first differ from <truth> at step t: (…) instead of (…).' (NaN differs.)"""
    gap = np.max(np.abs(points - expected), axis=1)
    t = int(np.flatnonzero(~(gap <= tol))[0])
    return (f" Your points first differ from {truth} at step {t}: {_vector(points[t])} "
            f"instead of {_vector(expected[t])}.")
