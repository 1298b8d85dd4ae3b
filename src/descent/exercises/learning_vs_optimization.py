"""Checks for the exercises of the chapter "Learning is not pure optimization".

>>> check_batch_size_for_noise(batch_size=32, noise=0.8, target=0.4, answer=128)
Right: the noise falls as 1/√B, so (0.8/0.4)² = 4 times the batch: B = 128.
>>> check_logistic_slope(margin=0.0, answer=None)
Your turn: replace None with your answer and run the cell again.
>>> check_logistic_slope(margin=2, answer=-0.172)  # doctest: +ELLIPSIS
Not quite: that is the slope of the base-2 loss of the figure; the exercise uses the natural log...
"""

from __future__ import annotations

import math

from descent.exercises import RTOL, Verdict, _judge, _number, _slip

__all__ = [
    "batch_size_for_noise",
    "check_batch_size_for_noise",
    "without_replacement_factor",
    "check_without_replacement_factor",
    "logistic_slope",
    "check_logistic_slope",
]


def batch_size_for_noise(batch_size: float, noise: float, target: float) -> float:
    """The batch size B' with √(tr Σ/B') = ``target`` when √(tr Σ/B) = ``noise``: B (noise/target)²."""
    if batch_size <= 0 or noise <= 0 or target <= 0:
        raise ValueError("batch_size, noise and target must be positive")
    return batch_size * (noise / target) ** 2


def check_batch_size_for_noise(
    batch_size: float, noise: float, target: float, answer: float | None
) -> Verdict:
    """Is ``answer`` the smallest batch size that brings the noise from ``noise`` to ``target``?

    A batch size is a whole number, so the answer must be exact: the smallest integer B'
    with √(tr Σ/B') ≤ ``target``.
    """
    expected = math.ceil(batch_size_for_noise(_number(batch_size, "batch_size"),
                                              _number(noise, "noise"), _number(target, "target"))
                         - 1e-9)
    ratio = noise / target
    return _judge(
        answer, expected,
        f"the noise falls as 1/√B, so ({noise:g}/{target:g})² = {ratio**2:g} times the "
        f"batch: B = {expected:g}.",
        "The standard error is √(tr Σ/B): by what factor must B grow "
        f"to divide it by {ratio:g}?",
    )


def without_replacement_factor(examples: int, batch_size: int) -> float:
    """√((N − B)/(N − 1)) for N = ``examples``: the standard error of B distinct examples
    over that of B draws with replacement."""
    N = examples
    if not 1 <= batch_size <= N or N < 2:
        raise ValueError(f"need 1 ≤ batch_size ≤ examples and examples ≥ 2, got "
                         f"examples={N}, batch_size={batch_size}")
    return math.sqrt((N - batch_size) / (N - 1))


def _likely_wrong_factors(examples: int, batch_size: int) -> list[tuple[float, str, str]]:
    """The formulas a reader is likely to use instead: (value, formula, what is wrong)."""
    N = examples
    left = N - batch_size
    if left == 0:
        return []
    return [
        (math.sqrt(left / N), f"√((N − B)/N) = √({left}/{N})",
         "The denominator is N − 1: each of the other B − 1 examples is drawn from the "
         "N − 1 left, so two distinct draws have E dᵢᵀdⱼ = −tr Σ/(N − 1), with "
         "dᵢ = ∇ℓᵢ − g."),
        (left / (N - 1), f"(N − B)/(N − 1) = {left}/{N - 1}",
         "That is the ratio of the variances; the standard error is its square root."),
        (left / N, f"(N − B)/N = {left}/{N}",
         "That is a ratio of variances, and with N where N − 1 belongs."),
        (math.sqrt((N - 1) / left), f"√((N − 1)/(N − B)) = √({N - 1}/{left})",
         "That is the ratio the other way round: with over without replacement."),
    ]


def check_without_replacement_factor(
    examples: int, batch_size: int, answer: float | None, rtol: float = RTOL
) -> Verdict:
    """Is ``answer`` the ratio of standard errors, without over with replacement?

    ``examples`` is N, the size of the training set. The answer must be closer to
    √((N − B)/(N − 1)) than to any of the likely wrong formulas (√((N − B)/N), the variance
    ratios, the inverse), and the one it matches is named: at large N, √((N − B)/N) lies
    within a few 10⁻⁴ of the right value, so there the answer needs four digits.
    """
    n_examples, size = int(_number(examples, "examples")), int(_number(batch_size, "batch_size"))
    expected = without_replacement_factor(n_examples, size)
    wrongs = _likely_wrong_factors(n_examples, size)
    if answer is not None and wrongs:
        value = _number(answer)
        wrong, formula, why = min(wrongs, key=lambda w: abs(value - w[0]))
        if abs(value - wrong) < abs(value - expected) and math.isclose(value, wrong, rel_tol=rtol):
            if math.isclose(value, expected, rel_tol=rtol):  # Near both: too few digits to tell.
                return Verdict(False, (
                    f"Not quite: {value:g} is closer to {formula} = {wrong:.5f} than to the right "
                    f"ratio; at N = {n_examples} and B = {size} the two agree to three digits, so "
                    f"give four. {why}"))
            return Verdict(False, f"Not quite: {value:g} matches {formula} = {wrong:.4f}. {why}")
    return _judge(
        answer, expected,
        f"√(({n_examples} − {size})/({n_examples} − 1)) = {expected:.4f}: "
        + ("distinct examples are less noisy." if size < n_examples else
           "a batch of all N distinct examples is the full gradient, with no noise at all."),
        "The variance is multiplied by (N − B)/(N − 1); "
        f"the standard "
        f"error by its square root.",
        rtol=rtol,
    )


def logistic_slope(margin: float) -> float:
    """d/dm log(1 + e^{−m}) = −1/(1 + e^{m}), the slope of the logistic loss at margin m."""
    return -1.0 / (1.0 + math.exp(margin))


def check_logistic_slope(margin: float, answer: float | None, atol: float = 1e-3) -> Verdict:
    """Is ``answer`` the derivative of the logistic loss log(1 + e^{−m}) at ``margin``?"""
    m = _number(margin, "margin")
    expected = logistic_slope(m)
    base_2 = expected / math.log(2)  # −1/((1 + e^m) ln 2), the slope of log₂(1 + e^(−m)).
    slip = _slip(answer, expected, [
        (base_2, "that is the slope of the base-2 loss of the figure; the exercise uses the "
                 "natural log, whose slope is ln 2 ≈ 0.693 times that."),
        (-expected, "that has the wrong sign: the loss falls as the margin grows, so its "
                    "slope is negative."),
        (-base_2, "that is the slope of the base-2 loss of the figure, with the wrong sign; "
                  "the exercise uses the natural log, and the slope is negative."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"the slope at m = {margin:g} is −1/(1 + e^{margin:g}) = {expected:.4f}; it is never "
        f"0, so gradient descent always has a direction to follow.",
        "Differentiate log(1 + e^(−m)) with the chain rule "
        f"(mind the sign).",
        atol=atol,
    )
