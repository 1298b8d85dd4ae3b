"""Checks for the exercises of the chapter "SGD as stochastic approximation".

Each expected answer comes from :mod:`descent.theory`, the functions the chapter uses.

>>> check_noise_ball_variance(learning_rate=0.1, eigenvalue=2.0, noise_variance=0.5, answer=0.0139)
Right: 𝒱 = ασ²/(λ(2 − αλ)) = 0.1·0.5/(2·1.8) = 0.0138889.
>>> check_robbins_monro_threshold(strong_convexity=0.1, answer=10)  # doctest: +ELLIPSIS
Not quite: c > 1/μ is the sufficient condition of Bottou, Curtis and Nocedal...
>>> check_robbins_monro_exponent(c=1.0, strong_convexity=0.1, answer=None)
Your turn: replace None with your answer and run the cell again.
"""

from __future__ import annotations

from descent.exercises import RTOL, Verdict, _judge, _number, _positive, _slip
from descent.theory import noise_ball_variance, polyak_ruppert_variance, robbins_monro_exponent

__all__ = [
    "check_noise_ball_variance",
    "robbins_monro_threshold",
    "check_robbins_monro_threshold",
    "check_robbins_monro_exponent",
    "check_floor_halving_batch_size",
    "floor_halving_learning_rate",
    "check_floor_halving_learning_rate",
    "check_averaged_variance",
    "best_bound_constant",
    "check_best_bound_constant",
]


def check_noise_ball_variance(
    learning_rate: float, eigenvalue: float, noise_variance: float, answer: float | None
) -> Verdict:
    """Is ``answer`` the stationary variance ασ²/(λ(2 − αλ)) of an eigencomponent?"""
    a = _positive(learning_rate, "learning_rate")
    lam = _positive(eigenvalue, "eigenvalue")
    s = _positive(noise_variance, "noise_variance")
    if a * lam >= 2:
        raise ValueError(f"αλ = {a * lam:g} ≥ 2: the variance grows without bound")
    expected = float(noise_ball_variance(a, [lam], [s])[0])
    slip = _slip(answer, expected, [
        (a * s / (2 * lam), "that is the small-α approximation ασ²/(2λ); keep the "
                            "(2 − αλ): the fixed point of v = (1 − αλ)²v + α²σ² is exact."),
        (s / (lam * (2 - a * lam)), "one factor α is missing: the noise enters the step as "
                                    "α ξ, so it adds α²σ², and 1 − (1 − αλ)² = αλ(2 − αλ)."),
        (a * a * s, "that is the variance added by a single step, α²σ²; the fixed point "
                    "of v = (1 − αλ)²v + α²σ² is larger."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"𝒱 = ασ²/(λ(2 − αλ)) = {a:g}·{s:g}/({lam:g}·{2 - a * lam:g}) = {expected:g}.",
        "Find the fixed point of v ← (1 − αλ)² v + α² σ².",
        rtol=RTOL,
    )


def robbins_monro_threshold(strong_convexity: float) -> float:
    """The c above which α_t = c/(t + t₀) gives E‖θ_t − θ*‖² = O(1/t): 1/(2μ)."""
    return 1.0 / (2.0 * _positive(strong_convexity, "strong_convexity"))


def check_robbins_monro_threshold(strong_convexity: float, answer: float | None) -> Verdict:
    """Is ``answer`` the threshold 1/(2μ) on c for the O(1/t) rate of α_t = c/(t + t₀)?"""
    mu = _positive(strong_convexity, "strong_convexity")
    expected = robbins_monro_threshold(mu)
    slip = _slip(answer, expected, [
        (1 / mu, "c > 1/μ is the sufficient condition of Bottou, Curtis and Nocedal's "
                 "bound for general strongly convex losses; on the quadratic the exact "
                 "threshold is smaller. "
                 "Compare the bias (1 − cμ/t)^… ≍ t^(−cμ), squared, with 1/t."),
        (2 / mu, "too large: the squared bias decays as t^(−2cμ); when is 2cμ > 1?"),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"the squared bias decays as t^(−2cμ), faster than the noise's 1/t exactly when "
        f"c > 1/(2μ) = {expected:g}.",
        "The mean decays as ∏(1 − cμ/(s + t₀)) ≍ t^(−cμ); compare its square with 1/t.",
        rtol=RTOL,
    )


def check_robbins_monro_exponent(
    c: float, strong_convexity: float, answer: float | None
) -> Verdict:
    """Is ``answer`` the p in E‖θ_t − θ*‖² ≍ t^(−p) for α_t = c/(t + t₀): min(1, 2cμ)?"""
    c = _positive(c, "c")
    mu = _positive(strong_convexity, "strong_convexity")
    expected = robbins_monro_exponent(c, mu)
    slip = _slip(answer, expected, [
        (c * mu, "that is the exponent of the mean, t^(−cμ); E‖θ_t‖² holds its square."),
        (1.0, "1 is the rate only when 2cμ > 1; here the start is forgotten more slowly "
              "than the noise is averaged out."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"p = min(1, 2cμ) = min(1, {2 * c * mu:g}) = {expected:g}: E‖θ_t‖² ≍ t^(−{expected:g}).",
        "Which decays more slowly: the squared bias t^(−2cμ), or the noise's 1/t?",
        rtol=RTOL,
    )


def check_floor_halving_batch_size(batch_size: int, answer: int | None) -> Verdict:
    """Is ``answer`` the batch size that halves the noise floor at the same α: 2B?"""
    B = _number(batch_size, "batch_size")
    if B < 1 or B != int(B):
        raise ValueError(f"batch_size must be a whole number ≥ 1, got {batch_size!r}")
    expected = 2 * int(B)
    slip = _slip(answer, expected, [
        (4 * int(B), "4B halves the standard error √(σ²/B); the floor is proportional to "
                     "the variance σ²/B, not to its square root."),
    ])
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"the floor Σ ασᵢ²/(2(2 − αλᵢ)) is proportional to σᵢ² = σ²λᵢ/B: B = {expected}.",
        "How does the floor depend on B, at a fixed α?",
    )


def floor_halving_learning_rate(learning_rate: float, eigenvalue: float) -> float:
    """The α' with α'/(2 − α'λ) = α/(2(2 − αλ)): it halves one component's floor. 2α/(4 − αλ)."""
    a = _positive(learning_rate, "learning_rate")
    lam = _positive(eigenvalue, "eigenvalue")
    if a * lam >= 2:
        raise ValueError(f"αλ = {a * lam:g} ≥ 2: there is no floor to halve")
    return 2 * a / (4 - a * lam)


def check_floor_halving_learning_rate(
    learning_rate: float, eigenvalue: float, answer: float | None
) -> Verdict:
    """Is ``answer`` the α' that halves the floor ασ²/(2(2 − αλ)) of one eigencomponent?"""
    a, lam = _number(learning_rate, "learning_rate"), _number(eigenvalue, "eigenvalue")
    expected = floor_halving_learning_rate(a, lam)
    slip = _slip(answer, expected, [
        (a / 2, "α/2 halves the floor only to first order in α; the exact floor "
                "ασ²/(2(2 − αλ)) falls by more than half when α is halved."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"solve α'/(2 − α'λ) = α/(2(2 − αλ)): α' = 2α/(4 − αλ) = {expected:g}, a little "
        f"more than α/2 = {a / 2:g}.",
        "Set the floor at α' to half the floor at α and solve for α'.",
        rtol=RTOL,
    )


def check_averaged_variance(
    eigenvalue: float, noise_variance: float, steps: int, answer: float | None
) -> Verdict:
    """Is ``answer`` the variance σ²/(λ²K) of the average of K iterates (large K)?"""
    lam = _positive(eigenvalue, "eigenvalue")
    s = _positive(noise_variance, "noise_variance")
    K = _positive(steps, "steps")
    expected = float(polyak_ruppert_variance([lam], [s], K)[0])
    slip = _slip(answer, expected, [
        (s / (lam * K), "the noise is divided by λ once for each of the two factors of the "
                        "variance: Var(ξ/λ) = σ²/λ²."),
        (s / (lam * lam * K * K), "the iterates are correlated, and the average of K "
                                  "of them has variance ∝ 1/K, not 1/K²."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"σ²/(λ²K) = {s:g}/({lam:g}²·{K:g}) = {expected:g}, whatever α.",
        "The iterates are correlated; sum their covariances, or think of Q⁻¹ times the "
        "average of K noises.",
        rtol=RTOL,
    )


def best_bound_constant(distance: float, gradient_bound: float) -> float:
    """The c that minimizes (D²/c + cG²)/(2√K): D/G."""
    return _positive(distance, "distance") / _positive(gradient_bound, "gradient_bound")


def check_best_bound_constant(
    distance: float, gradient_bound: float, answer: float | None
) -> Verdict:
    """Is ``answer`` the c = D/G that minimizes the bound (D²/c + cG²)/(2√K)?"""
    D, G = _number(distance, "distance"), _number(gradient_bound, "gradient_bound")
    expected = best_bound_constant(D, G)
    slip = _slip(answer, expected, [
        (G / D, "upside down: a large distance D calls for large steps."),
        (D * D / (G * G), "that balances D² against G²; the bound has D²/c and cG²."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"D²/c = cG² at c = D/G = {expected:g}, where the bound is DG/√K.",
        "Minimize D²/c + cG² over c > 0.",
        rtol=RTOL,
    )
