r"""Checks for the exercises of the case study "Adam on hard and soft targets".

Each expected answer comes from :mod:`descent.theory` (the closed forms of the chapter) or,
for the step count, from gradient descent's recurrence on the logit gap itself.

>>> check_optimal_logit_gap(target=(0.2, 0.8), answer=1.3863)
Right: Δs* = log(y₂/y₁) = log(0.8/0.2) = 1.386: there p₁ = 1/(1 + e^{Δs*}) = 0.2 = y₁, so p = y and the gradient p − y is 0.
>>> check_optimal_logit_gap(target=(0.2, 0.8), answer=-1.3863)  # doctest: +ELLIPSIS
Not quite: that is log(y₁/y₂), the gap s₁ − s₂...
>>> check_delta_target_loss(gap=5.0, answer=None)
Your turn: replace None with your answer and run the cell again.
>>> check_kl_reduction_factor(batch_size=8, classes=10, answer=10)  # doctest: +ELLIPSIS
Right: 'mean' divides the sum of the N·C = 80 pointwise terms by 80, 'batchmean' by N = 8...
>>> check_gd_steps_to_loss(learning_rate=0.1, loss=0.01, answer=250)  # doctest: +ELLIPSIS
Not quite: 250 is the asymptotic estimate 1/(cαδ)...
"""

from __future__ import annotations

import math

from descent import theory
from descent.exercises import RTOL, Verdict, _judge, _number, _positive, _slip

__all__ = [
    "check_optimal_logit_gap",
    "check_delta_target_loss",
    "kl_reduction_factor",
    "check_kl_reduction_factor",
    "gd_steps_to_loss",
    "check_gd_steps_to_loss",
    "check_adam_edge_step",
]


def _target(target) -> tuple[float, float]:
    try:
        t1, t2 = (_number(v, "target") for v in target)
    except (TypeError, ValueError):
        raise TypeError(f"target must be two probabilities, such as (0.2, 0.8), got {target!r}") from None
    if min(t1, t2) <= 0 or not math.isclose(t1 + t2, 1.0, abs_tol=1e-9):
        raise ValueError(f"target must be two positive probabilities summing to 1, got {target!r}")
    return t1, t2


# ---------------------------------------------------------------------------------------
# The soft target's optimum.


def check_optimal_logit_gap(target, answer: float | None, rtol: float = RTOL) -> Verdict:
    """Is ``answer`` the logit gap Δs* = s₂ − s₁ = log(y₂/y₁) at which p = y?"""
    t1, t2 = _target(target)
    expected = theory.optimal_logit_gap((t1, t2))
    slip = _slip(answer, expected, [
        (-expected, f"that is log(y₁/y₂), the gap s₁ − s₂; Δs = s₂ − s₁, and the class with "
                    f"the larger target, y₂ = {t2:g}, gets the larger logit."),
        (math.log(1 / t1), f"that is log(1/y₁) = {math.log(1 / t1):.4g}; set p₁ = 1/(1 + e^Δs) "
                           "equal to y₁ and solve: e^Δs = 1/y₁ − 1."),
        (t2 / t1, f"that is e^Δs* = y₂/y₁ = {t2 / t1:g}; the gap is its logarithm."),
        (math.log10(t2 / t1), "that is a base-10 logarithm; logits are natural logarithms of "
                              "odds, as softmax uses e."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"Δs* = log(y₂/y₁) = log({t2:g}/{t1:g}) = {expected:.4g}: there p₁ = 1/(1 + e^{{Δs*}}) "
        f"= {t1:g} = y₁, so p = y and the gradient p − y is 0.",
        "The gradient of the KL in the logits is p − y: find the Δs at which "
        "p₁ = 1/(1 + e^Δs) equals y₁.",
        rtol=rtol,
    )


# ---------------------------------------------------------------------------------------
# The delta target's loss.


def check_delta_target_loss(gap: float, answer: float | None, rtol: float = RTOL) -> Verdict:
    """Is ``answer`` the KL to the delta target (0, 1) at the logit gap Δs: log(1 + e^{−Δs})?"""
    s = _number(gap, "gap")
    if s < 0:
        raise ValueError(f"gap must be ≥ 0 (the logit of the target class ahead), got {s:g}")
    expected = float(theory.two_class_kl((0.0, 1.0), s))
    p1 = 1 / (1 + math.exp(s))
    slip = _slip(answer, expected, [
        (math.exp(-s), f"that is e^(−Δs) = {math.exp(-s):.6g}, the approximation for a large "
                       f"gap; the loss is −log p₂ = log(1 + e^(−Δs)) = {expected:.6g}."),
        (p1, f"that is p₁ = 1/(1 + e^Δs) = {p1:.6g}, the probability of the wrong class; the "
             "loss is −log p₂, the log of the right one's."),
        (math.log1p(math.exp(s)), "that is log(1 + e^Δs): the sign of the gap is flipped. The "
                                  "target's class has the larger logit, p₂ = 1/(1 + e^(−Δs))."),
        (math.log10(1 + math.exp(-s)), "that is a base-10 logarithm; the loss is in nats."),
    ], rtol=1e-3)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"the KL to (0, 1) is −log p₂ = log(1 + e^(−Δs)) = {expected:.6g} nats at Δs = {s:g}, "
        f"just below e^(−Δs) = {math.exp(-s):.6g}.",
        "With y = (0, 1) the KL is −log p₂, and p₂ = e^{s₂}/(e^{s₁} + e^{s₂}) = 1/(1 + e^(−Δs)).",
        rtol=rtol,
    )


# ---------------------------------------------------------------------------------------
# PyTorch's reductions.


def kl_reduction_factor(batch_size: int, classes: int) -> int:
    """How many times PyTorch's KLDivLoss 'batchmean' exceeds its default 'mean': C."""
    for value, name in ((batch_size, "batch_size"), (classes, "classes")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if classes < 2:
        raise ValueError(f"classes must be at least 2, got {classes}")
    return classes


def check_kl_reduction_factor(batch_size: int, classes: int, answer: float | None) -> Verdict:
    """Is ``answer`` the factor 'batchmean' / 'mean' of nn.KLDivLoss, that is C?"""
    expected = kl_reduction_factor(batch_size, classes)
    N, C = batch_size, classes
    slip = _slip(answer, expected, [
        (1 / C, f"that is 'mean' / 'batchmean' = 1/C, upside down: 'mean' divides by more "
                f"terms, N·C = {N * C}, and is the smaller."),
        (N, f"that is N = {N}, what 'batchmean' divides by; 'mean' divides by N·C = {N * C}, "
            "so the factor between the two is what is left over."),
        (N * C, f"that is N·C = {N * C}, what 'mean' divides the sum by; 'batchmean' divides "
                f"it by N = {N}."),
        (1, "the two reductions are not the same: 'mean' averages over every element of the "
            "(N, C) tensor, not over the examples."),
    ])
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"'mean' divides the sum of the N·C = {N * C} pointwise terms by {N * C}, 'batchmean' "
        f"by N = {N}; so 'batchmean', the KL per example, is C = {C} times 'mean', "
        "whatever N is.",
        "Write both reductions as the sum of the pointwise terms y(log y − log p) over the (N, C) "
        "tensor, divided by a count, and take the ratio.",
        atol=1e-9,
    )


# ---------------------------------------------------------------------------------------
# Gradient descent's steps on the delta target.


def gd_steps_to_loss(learning_rate: float, loss: float, x=(1.0,), limit: int = 10**7) -> int:
    """The first t at which gradient descent's loss on the delta target is below ``loss``.

    Runs the recurrence Δs ← Δs + cα p₁, c = 2(‖x‖² + 1), p₁ = 1/(1 + e^{Δs}), from Δs = 0,
    in float64, and returns the first t with log(1 + e^{−Δs_t}) < ``loss``.
    """
    a = _positive(learning_rate, "learning_rate")
    target = _positive(loss, "loss")
    if target >= math.log(2):
        raise ValueError(f"loss must be below log 2 = {math.log(2):.4f}, the loss at the start, "
                         f"got {target:g}")
    c = 2 * (sum(float(v) ** 2 for v in x) + 1)
    gap, t = 0.0, 0
    while math.log1p(math.exp(-gap)) >= target:
        gap += c * a / (1 + math.exp(gap))
        t += 1
        if t > limit:
            raise ValueError(f"more than {limit} steps: take a larger learning_rate or loss")
    return t


def check_gd_steps_to_loss(learning_rate: float, loss: float, answer: int | None) -> Verdict:
    """Is ``answer`` the number of gradient descent steps until the delta target's loss < loss?"""
    expected = gd_steps_to_loss(learning_rate, loss)
    a, d = float(learning_rate), float(loss)
    estimate = 1 / (4 * a * d)
    slip = _slip(answer, expected, [
        (estimate, f"{estimate:g} is the asymptotic estimate 1/(cαδ) with c = 4, a good "
                   "guess; the exercise asks for the count, which the first steps, where "
                   "p₁ is not yet e^(−Δs), shift by a few. Run the recurrence "
                   "Δs ← Δs + 4α/(1 + e^Δs)."),
        (float(gd_steps_to_loss(learning_rate, loss, x=(0.0,))), "that count uses c = 2: Δs "
                                                                  "moves by α p₁ ‖u‖², and "
                                                                  "u = (−x, x, −1, 1) has "
                                                                  "‖u‖² = 2(x² + 1) = 4."),
    ], rtol=0.01)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"running Δs ← Δs + 4α/(1 + e^Δs) from 0 at α = {a:g}, the loss log(1 + e^(−Δs)) first "
        f"drops below {d:g} at step {expected}, near the estimate 1/(4αδ) = {estimate:g}.",
        "Each step adds cα p₁ to the gap, with c = ‖u‖² = 4 for x = 1 and p₁ = 1/(1 + e^Δs); "
        "count the steps until log(1 + e^(−Δs)) < δ.",
        atol=1, noun=" steps",
    )


# ---------------------------------------------------------------------------------------
# The edge of Adam's effective step at the soft target's optimum.


def check_adam_edge_step(b1: float, target, answer: float | None, rtol: float = RTOL) -> Verdict:
    """Is ``answer`` the largest effective step α/√v̂ at which Adam is stable at the optimum
    of ``target`` (x = 1): 2(1 + β₁)/((1 − β₁)λ), λ = y₁y₂ · 4?"""
    b = _number(b1, "b1")
    if not 0 <= b < 1:
        raise ValueError(f"b1 must be in [0, 1), got {b:g}")
    y1, y2 = _target(target)
    lam = theory.logit_gap_curvature((y1, y2))
    expected = theory.adam_edge_step(b, lam)
    slip = _slip(answer, expected, [
        (2 / lam, f"2/λ = {2 / lam:.4g} is the edge without momentum; with β₁ the heavy ball's "
                  "region grows to η(1 − β₁)λ < 2(1 + β₁)."),
        (2 * (1 + b) / lam, f"2(1 + β₁)/λ = {2 * (1 + b) / lam:.4g} is the edge of the heavy ball's "
                            "step; Adam's m is an average, so its trace-form step is η(1 − β₁)."),
        (2 / ((1 - b) * lam), "the factor 1 + β₁ is missing: the heavy ball converges up to "
                              "αλ = 2(1 + β₁), not 2."),
        (theory.adam_edge_step(b, lam / 2), "that λ is y₁y₂ · 2: the curvature along u = (−x, x, −1, 1) "
                                            "is y₁y₂‖u‖² = y₁y₂ · 2(x² + 1) = 4y₁y₂."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"λ = y₁y₂ · 4 = {lam:.4g}, and Adam with v̂ fixed is the heavy ball with the step "
        f"η(1 − β₁), stable while η(1 − β₁)λ < 2(1 + β₁): η < {expected:.4g}.",
        "With v̂ fixed, Adam's step −η m̂ with m an average of gradients is the heavy ball's "
        "trace form with the step η(1 − β₁); use the momentum chapter's region "
        "αλ < 2(1 + β₁) on the curvature λ of the optimum.",
        rtol=rtol,
    )
