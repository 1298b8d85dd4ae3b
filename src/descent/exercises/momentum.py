r"""Checks for the exercises of the chapter "Momentum and Nesterov".

Each expected answer comes from :mod:`descent.theory`, the formulas the chapter derives;
the Nesterov check runs the reader's function against :func:`descent.optimizers.nesterov`.

>>> check_heavy_ball_momentum(eigenvalues=(0.5, 50.0), answer=0.6694)
Right: κ = 100, √κ = 10, and β* = ((√κ − 1)/(√κ + 1))² = (9/11)² = 0.6694.
>>> check_heavy_ball_momentum(eigenvalues=(0.5, 50.0), answer=0.8182)  # doctest: +ELLIPSIS
Not quite: that is (√κ − 1)/(√κ + 1) = 0.818182, the rate the heavy ball reaches at its best...
>>> check_critical_damping(learning_rate=0.02, eigenvalue=8.0, answer=None)
Your turn: replace None with your answer and run the cell again.
>>> check_critical_damping(learning_rate=0.02, eigenvalue=8.0, answer=0.36)
Right: αλ = 0.16, and β = (1 − √(αλ))² = (1 − 0.4)² = 0.36: the two roots of z² − (1 + β − αλ)z + β meet at z = √β = 0.6.
>>> check_momentum_stability_limit(momentum=0.9, eigenvalue=10.0, answer=0.2)  # doctest: +ELLIPSIS
Not quite: 2/λ = 0.2 is gradient descent's limit...

The Nesterov exercise asks for a function; a heavy ball is recognized as one:

>>> import jax.numpy as jnp
>>> def heavy_ball(grad, theta, learning_rate, momentum, steps):
...     v = jnp.zeros_like(theta)
...     points = [theta]
...     for t in range(steps):
...         v = momentum * v - learning_rate * grad(theta)  # Gradient at θ', not ahead.
...         theta = theta + v
...         points.append(theta + momentum * v)
...     return jnp.stack(points)
>>> check_nesterov_look_ahead(answer=heavy_ball)  # doctest: +ELLIPSIS
Not quite: that is the heavy ball: your gradient is taken at θ'_t, not at the look-ahead point θ'_t + βv'_t...
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from descent import theory
from descent.exercises import (RTOL, Verdict, _first_difference, _judge, _number, _positive, _reader_points,
                               _slip)

__all__ = [
    "check_heavy_ball_learning_rate",
    "check_heavy_ball_momentum",
    "check_critical_damping",
    "NESTEROV_PROBLEM",
    "nesterov_points",
    "check_nesterov_look_ahead",
    "heavy_ball_speedup",
    "check_heavy_ball_speedup",
    "momentum_stability_limit",
    "check_momentum_stability_limit",
    "equal_effective_step_learning_rate",
    "check_equal_effective_step",
]


def _momentum(value: object, name: str = "momentum") -> float:
    b = _number(value, name)
    if not 0 <= b < 1:
        raise ValueError(f"{name} must be in [0, 1), got {b:g}")
    return b


def _spectrum(eigenvalues: Sequence[float]) -> tuple[float, float]:
    """(λ_min, λ_max) of positive eigenvalues, at least two of them and not all equal."""
    try:
        values = [_number(v, "eigenvalue") for v in eigenvalues]
    except TypeError:
        raise TypeError(f"eigenvalues must be a list of numbers, such as (0.5, 50.0), "
                        f"got {eigenvalues!r}") from None
    if len(values) < 2 or min(values) <= 0 or min(values) == max(values):
        raise ValueError("eigenvalues must be at least two positive numbers, not all equal, "
                         f"got {list(eigenvalues)!r}")
    return min(values), max(values)


# ---------------------------------------------------------------------------------------
# Polyak's optimal α* and β*.


def check_heavy_ball_learning_rate(eigenvalues: Sequence[float], answer: float | None,
                                   rtol: float = RTOL) -> Verdict:
    """Is ``answer`` Polyak's α* = (2/(√λ_max + √λ_min))²?"""
    low, high = _spectrum(eigenvalues)
    expected = float(theory.heavy_ball_optimal(np.array([low, high]))[0])
    slip = _slip(answer, expected, [
        (2 / (low + high), f"that is gradient descent's best step 2/(λ_min + λ_max) = "
                           f"{2 / (low + high):g}; with momentum the best step is larger, "
                           "(2/(√λ_max + √λ_min))²."),
        (2 / (math.sqrt(high) + math.sqrt(low)), "the square is missing: "
                                                 "α* = (2/(√λ_max + √λ_min))²."),
        (2 / high, "2/λ_max is gradient descent's stability limit, not the heavy ball's best "
                   "step."),
        (4 / (low + high), "(√λ_max + √λ_min)² is not λ_max + λ_min: it has the cross term "
                           "2√(λ_max λ_min)."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"α* = (2/(√{high:g} + √{low:g}))² = {expected:.4g}, "
        f"{expected * (low + high) / 2:.3g} times gradient descent's 2/(λ_min + λ_max).",
        "Both eigencomponents must sit on the edge of critical damping: "
        "(1 − √β)² = αλ_min and (1 + √β)² = αλ_max. Solve for α.",
        rtol=rtol,
    )


def check_heavy_ball_momentum(eigenvalues: Sequence[float], answer: float | None,
                              rtol: float = RTOL) -> Verdict:
    """Is ``answer`` Polyak's β* = ((√κ − 1)/(√κ + 1))²?"""
    low, high = _spectrum(eigenvalues)
    expected = float(theory.heavy_ball_optimal(np.array([low, high]))[1])  # float32: show 4 digits.
    kappa = high / low
    root = math.sqrt(kappa)
    rate = (root - 1) / (root + 1)
    gd = (kappa - 1) / (kappa + 1)
    slip = _slip(answer, expected, [
        (gd**2, f"that uses κ where √κ belongs: ((κ − 1)/(κ + 1))² = {gd**2:g}."),
        (rate, f"that is (√κ − 1)/(√κ + 1) = {rate:g}, the rate the heavy ball reaches at "
               "its best setting, √β*; β* is its square."),
        (gd, f"that is (κ − 1)/(κ + 1) = {gd:g}, gradient descent's best rate: both the "
             "square roots and the square are missing."),
        (1 - 4 / root, f"that is 1 − 4/√κ = {1 - 4 / root:g}, the first-order approximation "
                       "for large κ; the exercise asks for the exact value."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    nice = f" = ({root - 1:g}/{root + 1:g})²" if root == int(root) else ""
    return _judge(
        answer, expected,
        f"κ = {kappa:g}, √κ = {root:g}, and β* = ((√κ − 1)/(√κ + 1))²{nice} = {expected:.4g}.",
        "At the optimum, √β* is the rate, the same for the flattest and the steepest "
        "component: solve (1 − √β)² = αλ_min and (1 + √β)² = αλ_max for β.",
        rtol=rtol,
    )


# ---------------------------------------------------------------------------------------
# Critical damping.


def check_critical_damping(learning_rate: float, eigenvalue: float, answer: float | None,
                           rtol: float = RTOL) -> Verdict:
    """Is ``answer`` the β = (1 − √(αλ))² at which an eigencomponent is critically damped?"""
    a = _positive(learning_rate, "learning_rate")
    lam = _positive(eigenvalue, "eigenvalue")
    step = a * lam
    if step >= 1:
        raise ValueError(f"αλ = {step:g} ≥ 1: this exercise wants 0 < αλ < 1, where the "
                         "critically damped component creeps to 0 without changing sign")
    expected = float(theory.critical_damping(a, lam))
    root = math.sqrt(step)
    slip = _slip(answer, expected, [
        (1 - step, f"1 − αλ = {1 - step:g} is gradient descent's factor along this "
                   "component; the roots meet where the discriminant (1 + β − αλ)² − 4β "
                   "vanishes."),
        ((1 - step) ** 2, f"(1 − αλ)² = {(1 - step) ** 2:g} squares gradient descent's factor; "
                          "set the discriminant (1 + β − αλ)² − 4β to 0 and solve for β."),
        ((1 + root) ** 2, f"(1 + √(αλ))² = {(1 + root) ** 2:g} is the other root of the "
                          "discriminant; it is above 1, where momentum diverges."),
        (1 - root, f"1 − √(αλ) = {1 - root:g} is √β, the double root itself; β is its "
                   "square."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"αλ = {step:g}, and β = (1 − √(αλ))² = (1 − {root:g})² = {expected:g}: the two roots "
        f"of z² − (1 + β − αλ)z + β meet at z = √β = {1 - root:g}.",
        "The component obeys x_{t+1} = (1 + β − αλ)x_t − βx_{t−1}; its two roots meet "
        "where the discriminant (1 + β − αλ)² − 4β is 0. Take the root with β < 1.",
        rtol=rtol,
    )


# ---------------------------------------------------------------------------------------
# Nesterov's method from its look-ahead form.

NESTEROV_PROBLEM = dict(eigenvalues=(1.0, 10.0), angle=math.pi / 6, init=(1.0, 1.0))
"""The quadratic :func:`check_nesterov_look_ahead` runs the reader's function on."""

_NESTEROV_TURN = Verdict(None, "Your turn: fill the gap in the function above, replace None "
                               "with its name and run the cell again.")


def nesterov_points(grad: Callable, theta: np.ndarray, learning_rate: float, momentum: float,
                    steps: int, *, look_ahead: float = 1.0, sign: float = 1.0,
                    record: str = "look_ahead") -> np.ndarray:
    r"""The look-ahead form of Nesterov's method, and its likely slips, in float64.

    :math:`v' \leftarrow \beta v' - \alpha\nabla L(\theta' + s\beta v')`,
    :math:`\theta' \leftarrow \theta' + v'` from :math:`v'_0 = 0`, with s = ``look_ahead``:
    s = 1 is Nesterov, s = 0 the heavy ball, s = −1 a look-ahead pointing backwards;
    ``sign`` = −1 climbs the gradient. Returns the points :math:`\theta'_t + \beta v'_t`
    (``record="look_ahead"``, the parameters of :func:`descent.optimizers.nesterov`) or
    :math:`\theta'_t` (``record="theta"``), t = 0, …, ``steps``, one row each.
    """
    theta = np.asarray(theta, dtype=float)
    v = np.zeros_like(theta)
    points = [theta + momentum * v if record == "look_ahead" else theta]
    for _ in range(steps):
        v = momentum * v - sign * learning_rate * grad(theta + look_ahead * momentum * v)
        theta = theta + v
        points.append(theta + momentum * v if record == "look_ahead" else theta)
    return np.stack(points)


def _descent_nesterov(problem, learning_rate: float, momentum: float, steps: int) -> np.ndarray:
    """The parameters θ_t of descent.optimizers.nesterov, t = 0, …, steps (float32)."""
    from descent.optimizers import apply_updates, nesterov

    optimizer = nesterov(learning_rate=learning_rate, momentum=momentum)
    grad = jax.grad(problem.loss)
    params = problem.init
    state = optimizer.init(params)
    points = [params]
    for _ in range(steps):
        updates, state = optimizer.update(grad(params), state)
        params = apply_updates(params, updates)
        points.append(params)
    return np.asarray(jnp.stack(points), dtype=float)


def check_nesterov_look_ahead(answer: Callable | None, learning_rate: float = 0.05,
                              momentum: float = 0.8, steps: int = 20) -> Verdict:
    r"""Does the reader's look-ahead Nesterov visit descent.optimizers.nesterov's points?

    ``answer(grad, theta, learning_rate, momentum, steps)`` must run
    :math:`v' \leftarrow \beta v' - \alpha\nabla L(\theta' + \beta v')`,
    :math:`\theta' \leftarrow \theta' + v'` from θ'₀ = ``theta`` and v'₀ = 0, and return
    the look-ahead points :math:`\theta'_t + \beta v'_t` for t = 0, …, ``steps``, one row
    each: these are the parameters :func:`descent.optimizers.nesterov` holds. The check
    runs it on the quadratic :data:`NESTEROV_PROBLEM`, with ``grad`` = jax.grad of its
    loss and ``theta`` a float32 array of shape (2,), and compares the two runs step by
    step. It names the step at which they first differ, and recognizes the heavy ball
    (the gradient at θ' instead of the look-ahead point), the points θ'_t instead of
    θ'_t + βv'_t, a sign error, and an empty gap. An exception inside ``answer`` is
    reported as a verdict, with the line of the reader's code it came from.
    """
    a = _positive(learning_rate, "learning_rate")
    b = _momentum(momentum)
    if b == 0:
        raise ValueError("momentum must be positive: at β = 0 Nesterov and the heavy ball "
                         "are both gradient descent, and the check could not tell them apart")
    T = _number(steps, "steps")
    if T != int(T) or T < 2:
        raise ValueError(f"steps must be a whole number ≥ 2, got {steps!r}")
    T = int(T)
    if answer is None:
        return _NESTEROV_TURN
    if not callable(answer):
        raise TypeError("answer must be your function itself, such as answer=my_nesterov "
                        f"(its name, without parentheses), got {answer!r}")

    from descent.problems import quadratic

    problem = quadratic(**NESTEROV_PROBLEM)
    theta0 = np.asarray(problem.init, dtype=float)
    Q = np.asarray(problem.Q, dtype=float)
    expected = _descent_nesterov(problem, a, b, T)
    tol = 1e-4 * float(np.max(np.abs(theta0)))
    points, verdict = _reader_points(answer, (jax.grad(problem.loss), problem.init, a, b, T), T, theta0.size)
    if verdict is not None:
        return verdict
    gap = np.max(np.abs(points - expected), axis=1)
    if np.all(gap <= tol):
        return Verdict(True, f"Right: your look-ahead points θ'_t + βv'_t are "
                             f"descent.optimizers.nesterov's parameters at all {T} steps "
                             f"(largest difference {np.max(gap):.1g}).")
    where = _first_difference(points, expected, tol, "descent.optimizers.nesterov's parameters")

    grad = lambda theta: Q @ theta  # noqa: E731
    def same(**slip):
        other = nesterov_points(grad, theta0, a, b, T, **slip)
        return bool(np.all(np.abs(points - other) <= tol))

    if np.all(np.abs(points - theta0) <= tol):
        return Verdict(False, "Not quite: your points never move from θ₀: is the gap still "
                              "empty? Update v and theta there, one step of the look-ahead "
                              "form.")
    if same(record="theta"):
        return Verdict(False, "Not quite: your steps are right, but your points are θ'_t. "
                              "descent.optimizers.nesterov holds the look-ahead point "
                              "θ'_t + βv'_t: the two agree at t = 0, where v'₀ = 0, and part "
                              "from step 1, where descent is at θ₀ − α(1 + β)∇L(θ₀) and "
                              "θ'₁ = θ₀ − α∇L(θ₀). Record theta + momentum * v." + where)
    if same(look_ahead=0.0):
        return Verdict(False, "Not quite: that is the heavy ball: your gradient is taken at "
                              "θ'_t, not at the look-ahead point θ'_t + βv'_t. The two "
                              "methods agree at step 1, since v'₀ = 0, and part from "
                              "step 2." + where)
    if same(look_ahead=0.0, record="theta"):
        return Verdict(False, "Not quite: that is the heavy ball, and its points θ'_t: take "
                              "the gradient at the look-ahead point θ'_t + βv'_t, and record "
                              "that point." + where)
    if same(look_ahead=-1.0):
        return Verdict(False, "Not quite: your look-ahead points backwards: the gradient is "
                              "taken at θ'_t + βv'_t, ahead along the velocity, not at "
                              "θ'_t − βv'_t." + where)
    with np.errstate(invalid="ignore", over="ignore"):
        uphill = float(points[1] @ Q @ points[1]) > float(theta0 @ Q @ theta0)
    if same(sign=-1.0) or uphill or not np.all(np.isfinite(points)):
        return Verdict(False, "Not quite: your first step goes uphill or your run blows up: "
                              "check the signs. The gradient enters the velocity with a "
                              "minus sign, v' ← βv' − α∇L(θ' + βv'), and θ' ← θ' + v'." + where)
    gd = nesterov_points(grad, theta0, a, 0.0, T)
    if np.all(np.abs(points - gd) <= tol):
        return Verdict(False, "Not quite: β never enters your steps: that is gradient "
                              "descent. The velocity keeps β times its previous value, "
                              "v' ← βv' − α∇L(θ' + βv')." + where)
    return Verdict(False, "Not quite:" + where + " Write one step of the look-ahead form "
                          "from the text, v' ← βv' − α∇L(θ' + βv'), θ' ← θ' + v', and "
                          "record θ' + βv'.")


# ---------------------------------------------------------------------------------------
# Steps: √κ instead of κ.


def heavy_ball_speedup(condition_number: float, accuracy: float) -> float:
    """How many times fewer steps the heavy ball needs than gradient descent, both tuned.

    The ratio of :func:`descent.theory.iterations_to_accuracy` at gradient descent's best
    rate (κ − 1)/(κ + 1) and at the heavy ball's (√κ − 1)/(√κ + 1), computed in float64
    (``theory.optimal_rate`` and ``theory.heavy_ball_rate`` give the same rates in
    float32).
    """
    kappa = _number(condition_number, "condition_number")
    if kappa <= 1:
        raise ValueError(f"condition_number must be above 1, got {kappa:g}")
    delta = _number(accuracy, "accuracy")
    if not 0 < delta < 1:
        raise ValueError(f"accuracy must be in (0, 1), got {delta:g}")
    root = math.sqrt(kappa)
    gd = theory.iterations_to_accuracy((kappa - 1) / (kappa + 1), delta)
    hb = theory.iterations_to_accuracy((root - 1) / (root + 1), delta)
    return gd / hb


def check_heavy_ball_speedup(condition_number: float, accuracy: float, answer: float | None,
                             rtol: float = 0.02) -> Verdict:
    """Is ``answer`` the ratio of GD's steps to the heavy ball's, both at their best (α, β)?

    Right within 2 %: ≈ √κ is the answer the chapter's reasoning gives.
    """
    expected = heavy_ball_speedup(condition_number, accuracy)
    kappa, delta = float(condition_number), float(accuracy)
    root = math.sqrt(kappa)
    gd_rate, hb_rate = (kappa - 1) / (kappa + 1), (root - 1) / (root + 1)
    gd = theory.iterations_to_accuracy(gd_rate, delta)
    hb = theory.iterations_to_accuracy(hb_rate, delta)
    nesterov = theory.iterations_to_accuracy(1 - 2 / math.sqrt(3 * kappa + 1), delta)
    slack = theory.iterations_to_accuracy(1 - 1 / kappa, delta)
    slip = _slip(answer, expected, [
        (kappa, "that is κ: gradient descent needs about (κ/2) ln(1/δ) steps and the heavy "
                "ball about (√κ/2) ln(1/δ)."),
        (slack / hb, f"{slack / hb:.4g} compares the heavy ball with gradient descent at "
                     "α = 1/λ_max, whose rate is 1 − 1/κ; at its best α = 2/(λ_min + λ_max) "
                     "the rate is (κ − 1)/(κ + 1), and it needs half the steps."),
        (gd / nesterov, f"{gd / nesterov:.3g} is Nesterov's speed-up at its best constant "
                        "(α, β), with the rate 1 − 2/√(3κ + 1); the heavy ball's rate is "
                        "(√κ − 1)/(√κ + 1)."),
        (gd_rate / hb_rate, "that is the ratio of the two rates per step; the steps are "
                            "ln δ / ln ρ for each."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"gradient descent needs {gd} steps at ρ = (κ − 1)/(κ + 1) and the heavy ball {hb} at "
        f"ρ = (√κ − 1)/(√κ + 1): {expected:.4g} times fewer, about √κ = {root:g}.",
        "Count the steps ⌈ln δ / ln ρ⌉ at each method's best rate, and divide.",
        rtol=rtol,
    )


# ---------------------------------------------------------------------------------------
# The convergence region.


def momentum_stability_limit(momentum: float, eigenvalue: float) -> float:
    """The largest α at which the heavy ball converges along λ: 2(1 + β)/λ."""
    b = _momentum(momentum)
    lam = _positive(eigenvalue, "eigenvalue")
    return 2 * (1 + b) / lam


def check_momentum_stability_limit(momentum: float, eigenvalue: float, answer: float | None,
                                   rtol: float = RTOL) -> Verdict:
    """Is ``answer`` the edge 2(1 + β)/λ of the heavy ball's convergence region?"""
    expected = momentum_stability_limit(momentum, eigenvalue)
    b, lam = float(momentum), float(eigenvalue)
    slip = _slip(answer, expected, [
        (2 / lam, f"2/λ = {2 / lam:g} is gradient descent's limit; momentum moves the edge "
                  "out to αλ < 2(1 + β)."),
        (2 * (1 - b) / lam, f"2(1 − β)/λ = {2 * (1 - b) / lam:g} keeps the effective step "
                            "α/(1 − β) below 2/λ; but near the edge the velocity flips sign "
                            "at every step, and there the effective step is α/(1 + β)."),
        ((1 + b) / lam, f"(1 + β)/λ = {(1 + b) / lam:g}: the 2 is missing."),
        (4 / lam, f"4/λ = {4 / lam:g} is the limit as β → 1; at β = {b:g} the edge is "
                  "2(1 + β)/λ."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"a root of z² − (1 + β − αλ)z + β reaches z = −1 when αλ = 2(1 + β): "
        f"α < 2(1 + {b:g})/{lam:g} = {expected:g}.",
        "Along one eigencomponent, x_{t+1} = (1 + β − αλ)x_t − βx_{t−1}. Which α puts a root "
        "of z² − (1 + β − αλ)z + β at z = −1?",
        rtol=rtol,
    )


# ---------------------------------------------------------------------------------------
# The effective step.


def equal_effective_step_learning_rate(learning_rate: float, momentum: float,
                                       new_momentum: float) -> float:
    """The α' with α'/(1 − β') = α/(1 − β): the same terminal step under a constant gradient."""
    a = _positive(learning_rate, "learning_rate")
    b, b2 = _momentum(momentum), _momentum(new_momentum, "new_momentum")
    return float(theory.effective_learning_rate(a, b)) * (1 - b2)


def check_equal_effective_step(learning_rate: float, momentum: float, new_momentum: float,
                               answer: float | None, rtol: float = RTOL) -> Verdict:
    """Is ``answer`` the α' that keeps the terminal step α/(1 − β) when β becomes β'?"""
    expected = equal_effective_step_learning_rate(learning_rate, momentum, new_momentum)
    a, b, b2 = float(learning_rate), float(momentum), float(new_momentum)
    slip = _slip(answer, expected, [
        (a, f"with the same α = {a:g} the terminal step grows from α/(1 − β) = "
            f"{a / (1 - b):g} to α/(1 − β') = {a / (1 - b2):g} times the gradient."),
        (a * (1 - b) / (1 - b2), "upside down: a larger β multiplies the step by more, so "
                                 "α must shrink, by (1 − β')/(1 − β)."),
        (a * ((1 - b2) / (1 - b)) ** 2, "the factor (1 − β')/(1 − β) is applied twice; once "
                                        "is enough to keep α/(1 − β)."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"α'/(1 − β') = α/(1 − β) = {a / (1 - b):g}: α' = {a / (1 - b):g}·(1 − {b2:g}) = "
        f"{expected:g}.",
        "Under a constant gradient g, v' ← βv' − αg tends to −αg/(1 − β): keep α/(1 − β).",
        rtol=rtol,
    )
