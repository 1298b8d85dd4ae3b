"""Checks for the exercises of the chapter "Learning-rate schedules".

>>> check_step_decay_drop(learning_rate_before=0.5, learning_rate_after=0.05, curvature=1.0,
...                       answer=0.0769)
Right: v∞ ∝ α/(2 − αλ), so the noise ball's share of the loss falls by 0.05·(2 − 0.5)/(0.5·(2 − 0.05)) = 0.07692, not by exactly 1/10.
>>> check_cosine_value(init_value=0.1, decay_steps=1000, step=250, answer=None)
Your turn: replace None with your answer and run the cell again.
>>> check_cosine_value(init_value=0.1, decay_steps=1000, step=250, answer=0.075)
Not quite: 0.075 is a linear decay from 0.1 to 0 at step 250; the cosine stays higher at first: α₀·½(1 + cos(π t/T)).
>>> check_adam_warmup_steps(b2=0.999, spread=0.05, answer=848)
Right: v̂_t must rest on n_t ≥ 2/0.05² = 800 squared gradients; n_t = 800.5 at t = 848 and 799.7 at t = 847.
>>> check_wsd_learning_rate_sum(0.1, warmup_steps=100, decay_start=8000, decay_steps=2000,
...                             answer=895)
Right: Σα_t = α_peak·(S + (D − W)/2) = 0.1·(8000 + (2000 − 100)/2) = 895.
"""

from __future__ import annotations

import math

from descent.exercises import RTOL, Verdict, _judge, _number, _slip
from descent.schedules import second_moment_samples

__all__ = [
    "step_decay_drop",
    "check_step_decay_drop",
    "cosine_value",
    "check_cosine_value",
    "adam_warmup_steps",
    "check_adam_warmup_steps",
    "wsd_learning_rate_sum",
    "check_wsd_learning_rate_sum",
    "product_minimum_sharpness",
    "check_product_minimum_sharpness",
]


def step_decay_drop(learning_rate_before: float, learning_rate_after: float,
                    curvature: float) -> float:
    """The noise ball's loss after a step decay over the one before: v∞(α₂)/v∞(α₁).

    ½λv∞(α) = ½ α s/(2 − αλ) for one eigencomponent of curvature λ and noise variance s,
    so the ratio is α₂(2 − α₁λ)/(α₁(2 − α₂λ)); s cancels.
    """
    a1 = _number(learning_rate_before, "learning_rate_before")
    a2 = _number(learning_rate_after, "learning_rate_after")
    lam = _number(curvature, "curvature")
    if lam <= 0 or not 0 < a2 <= a1 or a1 * lam >= 2:
        raise ValueError(
            "need curvature > 0, 0 < learning_rate_after ≤ learning_rate_before and "
            f"learning_rate_before·curvature < 2, got α₁ = {a1:g}, α₂ = {a2:g}, λ = {lam:g}")
    return a2 * (2 - a1 * lam) / (a1 * (2 - a2 * lam))


def check_step_decay_drop(learning_rate_before: float, learning_rate_after: float,
                          curvature: float, answer: float | None, rtol: float = RTOL) -> Verdict:
    """Is ``answer`` the factor by which a step decay shrinks one component's noise-ball loss?"""
    expected = step_decay_drop(learning_rate_before, learning_rate_after, curvature)
    a1, a2, lam = float(learning_rate_before), float(learning_rate_after), float(curvature)
    slip = _slip(answer, expected, [
        (a2 / a1, f"{a2:g}/{a1:g} is the small-α approximation v∞ ≈ αs/(2λ); at α₁λ = "
                  f"{a1 * lam:g} the factor 1/(2 − αλ) in v∞ = αs/(λ(2 − αλ)) matters."),
        ((a2 / a1) ** 2, "that is (α₂/α₁)²: each step adds α²s to the variance, but the ball "
                         "is the balance of that against the contraction (1 − αλ)², which "
                         "makes it ∝ α, not α²."),
        (1 / expected, "that is the ratio the other way round: before over after."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"v∞ ∝ α/(2 − αλ), so the noise ball's share of the loss falls by "
        f"{a2:g}·(2 − {a1 * lam:g})/({a1:g}·(2 − {a2 * lam:g})) = {expected:.5f}, "
        "not by exactly 1/10.",
        "Write the stationary variance v∞ = αs/(λ(2 − αλ)) at both learning rates and "
        "divide: the loss of the component is ½λv∞.",
        rtol=rtol,
    )


def cosine_value(init_value: float, decay_steps: int, step: int, alpha: float = 0.0) -> float:
    """α₀(a + (1 − a)·½(1 + cos(π min(t, T)/T))): descent.schedules.cosine_decay, in float64."""
    a0, a = _number(init_value, "init_value"), _number(alpha, "alpha")
    T, t = int(_number(decay_steps, "decay_steps")), _number(step, "step")
    if T < 1 or t < 0:
        raise ValueError(f"need decay_steps ≥ 1 and step ≥ 0, got {T} and {t:g}")
    return a0 * (a + (1 - a) * 0.5 * (1 + math.cos(math.pi * min(t, T) / T)))


def check_cosine_value(init_value: float, decay_steps: int, step: int, answer: float | None,
                       rtol: float = RTOL) -> Verdict:
    """Is ``answer`` the value of ``cosine_decay(init_value, decay_steps)`` at ``step``?"""
    expected = cosine_value(init_value, decay_steps, step)
    a0, T, t = float(init_value), int(decay_steps), float(step)
    progress = min(t, T) / T
    slip = _slip(answer, expected, [
        (a0 * (1 - progress), f"{a0 * (1 - progress):g} is a linear decay from {a0:g} to 0 at "
                              f"step {t:g}; the cosine stays higher at first: "
                              "α₀·½(1 + cos(π t/T))."),
        (a0 * math.cos(math.pi * progress), "that is α₀·cos(π t/T), which reaches −α₀ at t = T; "
                                            "the schedule is α₀·½(1 + cos(π t/T))."),
        (a0 * math.cos(0.5 * math.pi * progress), "that is α₀·cos(π t/(2T)), a quarter "
                                                  "period; the schedule is α₀·½(1 + cos(π t/T))."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"α₀·½(1 + cos(π·{t:g}/{T})) = {expected:.6g}.",
        "Put t/T into α₀·½(1 + cos(π t/T)).",
        rtol=rtol,
    )


def adam_warmup_steps(b2: float, spread: float) -> int:
    """The first step t at which √(2/n_t) ≤ ``spread``: n_t of descent.schedules.second_moment_samples."""
    b2, spread = _number(b2, "b2"), _number(spread, "spread")
    if not 0 <= b2 < 1 or spread <= 0:
        raise ValueError(f"need 0 ≤ b2 < 1 and spread > 0, got b2 = {b2:g}, spread = {spread:g}")
    needed = 2 / spread**2
    if needed > (1 + b2) / (1 - b2) * (1 - 1e-12):
        raise ValueError(
            f"v̂ never rests on {needed:g} samples with b2 = {b2:g}: at most (1 + β₂)/(1 − β₂) "
            f"= {(1 + b2) / (1 - b2):g}")
    t = 1
    while second_moment_samples(b2, t) < needed:
        t += 1
    return t


def check_adam_warmup_steps(b2: float, spread: float, answer: int | None) -> Verdict:
    """Is ``answer`` the first step at which v̂_t's relative spread √(2/n_t) is at most ``spread``?"""
    expected = adam_warmup_steps(b2, spread)
    b2, spread = float(b2), float(spread)
    needed = 2 / spread**2
    slip = _slip(answer, expected, [
        (math.ceil(needed - 1e-9), f"that uses n_t ≈ t, which holds only for t ≪ 1/(1 − β₂) = "
                                   f"{1 / (1 - b2):g}; v̂ forgets its oldest samples, so n_t < t."),
        (math.ceil(1 / spread**2 - 1e-9), "that forgets the 2 in Var(g²) = 2(E g²)² for Gaussian "
                                          "noise: the relative spread is √(2/n_t)."),
        (round(2 / (1 - b2)), "2/(1 − β₂) is a rule of thumb for the warm-up length; the "
                              "exercise asks when √(2/n_t) reaches the spread."),
    ])
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"v̂_t must rest on n_t ≥ 2/{spread:g}² = {needed:g} squared gradients; "
        f"n_t = {second_moment_samples(b2, expected):.1f} at t = {expected} and "
        f"{second_moment_samples(b2, expected - 1):.1f} at t = {expected - 1}.",
        "Solve √(2/n_t) ≤ spread for n_t, then find the first t with "
        "n_t = (1 + β₂)(1 − β₂ᵗ)/((1 − β₂)(1 + β₂ᵗ)) that large.",
        noun=" steps",
    )


def wsd_learning_rate_sum(peak_value: float, warmup_steps: int, decay_start: int,
                          decay_steps: int) -> float:
    """Σ_{t=0}^{S+D−1} α_t for warmup_stable_decay(peak, W, S, D) down to 0.

    The warm-up adds α_peak(W − 1)/2 (nothing if W = 0), the stable phase α_peak(S − W), the
    cool-down α_peak(D + 1)/2: for W ≥ 1 the two half-steps cancel, α_peak(S + (D − W)/2).
    """
    peak = _number(peak_value, "peak_value")
    W, S, D = (int(_number(x, name)) for x, name in ((warmup_steps, "warmup_steps"),
                                                     (decay_start, "decay_start"),
                                                     (decay_steps, "decay_steps")))
    if not (peak >= 0 and 0 <= W <= S and D >= 1):
        raise ValueError(f"need peak ≥ 0, 0 ≤ W ≤ S and D ≥ 1, got {peak:g}, {W}, {S}, {D}")
    warmup = (W - 1) / 2 if W else 0.0  # Σ_{t<W} t/W.
    return peak * (warmup + (S - W) + (D + 1) / 2)


def check_wsd_learning_rate_sum(peak_value: float, warmup_steps: int, decay_start: int,
                                decay_steps: int, answer: float | None,
                                rtol: float = RTOL) -> Verdict:
    """Is ``answer`` the sum of the learning rates of a whole warmup–stable–decay run?"""
    expected = wsd_learning_rate_sum(peak_value, warmup_steps, decay_start, decay_steps)
    peak, W, S, D = float(peak_value), int(warmup_steps), int(decay_start), int(decay_steps)
    slip = _slip(answer, expected, [
        (peak * (S + D), "that counts every step at the peak: the warm-up and the cool-down "
                         "are ramps, each worth half its steps."),
        (peak * (S + D / 2), "that forgets that the warm-up is a ramp too: its W steps are "
                             "worth W/2 steps at the peak."),
        (peak * (S - W + D / 2), "that leaves the warm-up out: its W steps are worth W/2 "
                                 "steps at the peak, not 0."),
        (peak * (S + D - W / 2), "that keeps the cool-down at the peak: its D steps are worth "
                                 "D/2 steps at the peak."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        (f"Σα_t = α_peak·(S + (D − W)/2) = {peak:g}·({S} + ({D} − {W})/2) = {expected:g}."
         if W else
         f"with no warm-up, Σα_t = α_peak·(S + (D + 1)/2) = {peak:g}·({S} + ({D} + 1)/2) = "
         f"{expected:g}."),
        "Add the three phases: the warm-up ramp (W steps from 0 to the peak), the stable "
        "phase (from W to S), the cool-down ramp (D steps from the peak to 0).",
        rtol=rtol,
    )


def product_minimum_sharpness(a0: float, b0: float, target: float = 1.0) -> float:
    """λ_max of the Hessian of ½(ab − y)² at the minimum gradient flow reaches from (a₀, b₀).

    Gradient flow keeps a² − b² = d fixed, and on the valley ab = y the largest eigenvalue
    of the Hessian [[b², y], [y, a²]] is √(d² + 4y²).
    """
    a, b, y = _number(a0, "a0"), _number(b0, "b0"), _number(target, "target")
    if y <= 0:
        raise ValueError(f"need target > 0, got {y:g}")
    return math.sqrt((a * a - b * b) ** 2 + 4 * y * y)


def check_product_minimum_sharpness(a0: float, b0: float, answer: float | None,
                                    rtol: float = RTOL) -> Verdict:
    """Is ``answer`` the sharpness at the minimum that small steps reach from (a₀, b₀)?"""
    expected = product_minimum_sharpness(a0, b0)
    a, b = float(a0), float(b0)
    start = _start_sharpness(a, b)
    slip = _slip(answer, expected, [
        (start, "that is the sharpness at the start (a₀, b₀); the question is about the "
                "minimum the run reaches."),
        (2.0, "2 is the sharpness at the balanced minimum a = b = 1; small steps keep "
              "a² − b² fixed, so they reach another point of the valley."),
        (a * a + b * b, "a₀² + b₀² is the sharpness on the valley only at the start's norm; "
                        "on the valley a² + b² = √((a² − b²)² + 4)."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"a² − b² = {a * a - b * b:g} is kept, and on the valley λ_max = √((a² − b²)² + 4) = "
        f"{expected:.4g}: a constant α below 2/{expected:.4g} = {2 / expected:.4g} is stable "
        f"there, while the start needs α < 2/{start:.4g} = {2 / start:.4g}.",
        "Use the quantity gradient flow keeps fixed, a² − b², and the Hessian "
        "[[b², 2ab − 1], [2ab − 1, a²]] on the valley ab = 1.",
        rtol=rtol,
    )


def _start_sharpness(a: float, b: float) -> float:
    """λ_max of [[b², 2ab − 1], [2ab − 1, a²]], the Hessian of ½(ab − 1)² at (a, b)."""
    off = 2 * a * b - 1
    return (a * a + b * b) / 2 + math.sqrt(((a * a - b * b) / 2) ** 2 + off * off)
