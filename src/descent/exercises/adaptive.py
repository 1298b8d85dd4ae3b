r"""Checks for the exercises of the chapter "Adaptive methods: AdaGrad, RMSProp, Adadelta".

Each expected answer comes from :mod:`descent.theory`, the closed forms the chapter
derives; the RMSProp check runs the reader's function against
:func:`descent.optimizers.rmsprop`, step by step.

>>> check_adagrad_step(learning_rate=0.1, gradient=2.0, steps=100, answer=0.01)
Right: G₁₀₀ = 100 · 2² = 400, so the step is α|g|/√G = 0.1 · 2/20 = 0.01: α/√t, whatever |g| is.
>>> check_adagrad_step(learning_rate=0.1, gradient=2.0, steps=100, answer=0.005)  # doctest: +ELLIPSIS
Not quite: 0.005 is α/(|g|√t), the step size per unit gradient...
>>> check_rmsprop_early_step(decay=0.99, steps=10, answer=None)
Your turn: replace None with your answer and run the cell again.
>>> check_rmsprop_cycle_loss(learning_rate=0.04, eigenvalue=10.0, answer=0.002)
Right: the cycle is θ = ±α/2 = ±0.02, where the step α is exactly 2|θ|; its loss is ½λ(α/2)² = λα²/8 = 0.002.

The RMSProp exercise asks for a function; ε inside the square root is recognized:

>>> import jax.numpy as jnp
>>> def eps_inside(grad, theta, learning_rate, decay, eps, steps):
...     v = jnp.zeros_like(theta)
...     points = [theta]
...     for t in range(steps):
...         g = grad(theta)
...         v = decay * v + (1 - decay) * g**2
...         theta = theta - learning_rate * g / jnp.sqrt(v + eps)
...         points.append(theta)
...     return jnp.stack(points)
>>> check_rmsprop_update(answer=eps_inside)  # doctest: +ELLIPSIS
Not quite: ε is inside the square root, α g/√(v + ε)...
"""

from __future__ import annotations

import math
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from descent import theory
from descent.exercises import (RTOL, Verdict, _first_difference, _judge, _number, _positive, _reader_points,
                               _slip)

__all__ = [
    "check_adagrad_step",
    "check_rmsprop_early_step",
    "check_rmsprop_cycle_loss",
    "RMSPROP_PROBLEM",
    "rmsprop_points",
    "check_rmsprop_update",
]


def _decay(value: object, name: str = "decay") -> float:
    rho = _number(value, name)
    if not 0 <= rho < 1:
        raise ValueError(f"{name} must be in [0, 1), got {rho:g}")
    return rho


def _count(value: object, name: str = "steps") -> int:
    t = _number(value, name)
    if t != int(t) or t < 1:
        raise ValueError(f"{name} must be a whole number ≥ 1, got {value!r}")
    return int(t)


# ---------------------------------------------------------------------------------------
# AdaGrad under a constant gradient.


def check_adagrad_step(learning_rate: float, gradient: float, steps: int, answer: float | None,
                       rtol: float = RTOL) -> Verdict:
    """Is ``answer`` the size of AdaGrad's t-th update under a constant gradient (ε → 0)?"""
    a = _positive(learning_rate, "learning_rate")
    g = abs(_number(gradient, "gradient"))
    if g == 0:
        raise ValueError("gradient must not be 0: AdaGrad does not move on a zero gradient")
    t = _count(steps)
    expected = g * float(theory.adagrad_effective_learning_rate(a, g, t))
    slip = _slip(answer, expected, [
        (a / (g * math.sqrt(t)), f"{a / (g * math.sqrt(t)):g} is α/(|g|√t), the step size per "
                                 "unit gradient; the update is that times |g|."),
        (a * g / math.sqrt(t), f"{a * g / math.sqrt(t):g} is α|g|/√t: G sums the squared "
                               "gradients, G = t g², so √G = |g|√t and |g| cancels."),
        (a / t, f"{a / t:g} is α/t: the square root is missing, √G = |g|√t, not G."),
        (a, f"{a:g} is α, the first step; the t-th is smaller, as G has grown to t g²."),
        (a * g / (g * g * t), f"{a / (g * t):g} divides by G = t g² instead of √G."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"G₁₀₀ = {t} · {g:g}² = {t * g * g:g}, so the step is α|g|/√G = {a:g} · {g:g}/"
        f"{math.sqrt(t * g * g):g} = {expected:.4g}: α/√t, whatever |g| is."
        if t == 100 else
        f"G_t = t g² = {t * g * g:g}, so the step is α|g|/√G = {expected:.4g}: α/√t, whatever "
        "|g| is.",
        "G sums the squared gradients: after t equal gradients G = t g². The update is "
        "α g/(√G + ε); take its size, with ε negligible.",
        rtol=rtol,
    )


# ---------------------------------------------------------------------------------------
# RMSProp's bias: v starts at 0.


def check_rmsprop_early_step(decay: float, steps: int, answer: float | None,
                             rtol: float = RTOL) -> Verdict:
    """Is ``answer`` the factor 1/√(1 − ρ^t) by which RMSProp's t-th step exceeds α?"""
    rho = _decay(decay)
    if rho == 0:
        raise ValueError("decay must be positive: at ρ = 0 every step is α")
    t = _count(steps)
    expected = 1 / math.sqrt(float(theory.rmsprop_second_moment(1.0, rho, t)))
    slip = _slip(answer, expected, [
        (1 / (1 - rho**t), f"{1 / (1 - rho**t):.4g} is 1/(1 − ρ^t): the step divides by √v, "
                           "so the factor is the square root of that."),
        (1 / math.sqrt(1 - rho), f"{1 / math.sqrt(1 - rho):.4g} is 1/√(1 − ρ), the factor of the "
                                 "first step only; by step t, v = (1 − ρ^t)g²."),
        (1.0, "1 is the factor with Adam's bias correction, v/(1 − ρ^t); RMSProp has none."),
        (math.sqrt(1 - rho**t), f"{math.sqrt(1 - rho**t):.4g} is √(1 − ρ^t): the step is α g/√v, "
                                "so the factor is its inverse."),
        (1 / math.sqrt(1 - rho ** (t - 1)) if t > 1 else math.inf,
         "that is the factor of step t − 1: after t gradients v = (1 − ρ^t)g², t included."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"after {t} equal gradients v = (1 − ρ^t)g² = {1 - rho**t:.4g} g², so the step is "
        f"α/√(1 − ρ^t) = {expected:.4g} α: the average started at 0 is still too small.",
        "Sum the geometric series: v_t = (1 − ρ)Σ ρ^{t−s} g² over s = 1, …, t. The step is "
        "α g/√v_t.",
        rtol=rtol,
    )


# ---------------------------------------------------------------------------------------
# RMSProp's 2-cycle on a quadratic.


def check_rmsprop_cycle_loss(learning_rate: float, eigenvalue: float, answer: float | None,
                             rtol: float = RTOL) -> Verdict:
    """Is ``answer`` the loss λα²/8 of RMSProp's 2-cycle on ½λθ²?"""
    a = _positive(learning_rate, "learning_rate")
    lam = _positive(eigenvalue, "eigenvalue")
    amplitude, expected = (float(x) for x in theory.rmsprop_two_cycle(a, lam))
    slip = _slip(answer, expected, [
        (lam * a**2 / 2, f"{lam * a**2 / 2:g} is ½λα², the loss at θ = ±α: each step is α "
                         "long and goes from one side to the other, so |θ| = α/2."),
        (a / 2, f"{a / 2:g} is the amplitude α/2 itself; the exercise asks for the loss "
                "½λθ² there."),
        (lam * a**2 / 4, f"{lam * a**2 / 4:g} is λ(α/2)², without the ½ of the loss."),
        (a**2 / 8, f"{a**2 / 8:g} is α²/8: the loss ½λθ² has the factor λ."),
        (0.0, "0 would be convergence; with ε → 0 the step stays α, and the run cycles."),
    ], rtol=RTOL)
    if slip is not None:
        return slip
    return _judge(
        answer, expected,
        f"the cycle is θ = ±α/2 = ±{amplitude:g}, where the step α is exactly 2|θ|; its loss "
        f"is ½λ(α/2)² = λα²/8 = {expected:g}.",
        "On the cycle |g| is the same at every step, so v settles at g² and each step is "
        "α g/|g|: α long. A step of length α from θ = a lands on −a when 2a = α.",
        rtol=rtol,
    )


# ---------------------------------------------------------------------------------------
# RMSProp's update, written by the reader.

RMSPROP_PROBLEM = dict(eigenvalues=(1.0, 10.0), angle=math.pi / 6, init=(1.0, 0.5))
"""The quadratic :func:`check_rmsprop_update` runs the reader's function on."""

_RMSPROP_TURN = Verdict(None, "Your turn: fill the gap in the function above, replace None "
                              "with its name and run the cell again.")


def rmsprop_points(grad: Callable, theta: np.ndarray, learning_rate: float, decay: float,
                   eps: float, steps: int, *, slip: str | None = None) -> np.ndarray:
    r"""RMSProp, and its likely slips, in float64: the points θ_t, t = 0, …, ``steps``.

    :math:`v \leftarrow \rho v + (1 - \rho)g^2`, :math:`\theta \leftarrow \theta - \alpha g/(\sqrt v + \epsilon)`
    from v₀ = 0. ``slip`` is one of None (RMSProp), ``"eps_inside"`` (α g/√(v + ε)),
    ``"no_square"`` (v averages |g|), ``"swapped"`` (v ← (1 − ρ)v + ρg²), ``"sum"``
    (AdaGrad's v ← v + g²), ``"no_root"`` (α g/(v + ε)), ``"uphill"`` (θ + …).
    """
    theta = np.asarray(theta, dtype=float)
    v = np.zeros_like(theta)
    points = [theta]
    for _ in range(steps):
        g = grad(theta)
        if slip == "no_square":
            v = decay * v + (1 - decay) * np.abs(g)
        elif slip == "swapped":
            v = (1 - decay) * v + decay * g**2
        elif slip == "sum":
            v = v + g**2
        else:
            v = decay * v + (1 - decay) * g**2
        if slip == "eps_inside":
            step = learning_rate * g / np.sqrt(v + eps)
        elif slip == "no_root":
            step = learning_rate * g / (v + eps)
        else:
            step = learning_rate * g / (np.sqrt(v) + eps)
        theta = theta + step if slip == "uphill" else theta - step
        points.append(theta)
    return np.stack(points)


def _descent_rmsprop(problem, learning_rate: float, decay: float, eps: float,
                     steps: int) -> np.ndarray:
    """The parameters θ_t of descent.optimizers.rmsprop, t = 0, …, steps, in float64."""
    from descent.optimizers import apply_updates, rmsprop

    with jax.enable_x64(True):
        optimizer = rmsprop(learning_rate=learning_rate, decay=decay, eps=eps)
        Q = jnp.asarray(np.asarray(problem.Q, dtype=float))
        params = jnp.asarray(np.asarray(problem.init, dtype=float))
        state = optimizer.init(params)
        points = [params]
        for _ in range(steps):
            updates, state = optimizer.update(Q @ params, state)
            params = apply_updates(params, updates)
            points.append(params)
        return np.asarray(jnp.stack(points), dtype=float)


_SLIPS = {
    "eps_inside": "ε is inside the square root, α g/√(v + ε); descent (like Adam and "
                  "PyTorch) adds it outside, α g/(√v + ε). With ε = {eps:g} the two differ "
                  "visibly; with 1e-8 you would hardly see it.",
    "no_square": "v averages |g|, not g²: the square is missing, v ← ρv + (1 − ρ)g².",
    "swapped": "ρ and 1 − ρ are swapped: v keeps ρ of its old value, v ← ρv + (1 − ρ)g², "
               "and takes 1 − ρ of the new squared gradient.",
    "sum": "that is AdaGrad: v sums the squared gradients. RMSProp's v is an average that "
           "forgets, v ← ρv + (1 − ρ)g².",
    "no_root": "the step divides by v, not by its square root: α g/(√v + ε).",
    "uphill": "your steps go uphill: θ ← θ − α g/(√v + ε), with a minus sign.",
}


def check_rmsprop_update(answer: Callable | None, learning_rate: float = 0.05,
                         decay: float = 0.9, eps: float = 0.01, steps: int = 20) -> Verdict:
    r"""Does the reader's RMSProp visit descent.optimizers.rmsprop's points, step by step?

    ``answer(grad, theta, learning_rate, decay, eps, steps)`` must run
    :math:`v \leftarrow \rho v + (1 - \rho)g^2`, :math:`\theta \leftarrow \theta - \alpha g/(\sqrt v + \epsilon)`
    from θ₀ = ``theta`` and v₀ = 0, and return θ_t for t = 0, …, ``steps``, one row each.
    The check runs it on :data:`RMSPROP_PROBLEM` with ``grad`` = jax.grad of its loss,
    next to :func:`descent.optimizers.rmsprop` (in float64), and names the first step at
    which the two differ. ε is 0.01 by default, large enough that ε inside the square
    root shows. It recognizes ε inside the root, a missing square, ρ and 1 − ρ swapped,
    AdaGrad's sum, a missing root, a sign error and an empty gap; an exception inside
    ``answer`` is reported as a verdict, with the line it came from.
    """
    a = _positive(learning_rate, "learning_rate")
    rho = _decay(decay)
    if rho in (0.0, 0.5):
        raise ValueError("decay must not be 0 or 0.5: the check could not tell a swapped "
                         "ρ and 1 − ρ apart")
    e = _positive(eps, "eps")
    T = _count(steps)
    if T < 2:
        raise ValueError(f"steps must be ≥ 2, got {steps!r}")
    if answer is None:
        return _RMSPROP_TURN
    if not callable(answer):
        raise TypeError("answer must be your function itself, such as answer=my_rmsprop "
                        f"(its name, without parentheses), got {answer!r}")

    from descent.problems import quadratic

    problem = quadratic(**RMSPROP_PROBLEM)
    theta0 = np.asarray(problem.init, dtype=float)
    Q = np.asarray(problem.Q, dtype=float)
    expected = _descent_rmsprop(problem, a, rho, e, T)
    tol = 1e-4 * float(np.max(np.abs(theta0)))
    points, verdict = _reader_points(answer, (jax.grad(problem.loss), problem.init, a, rho, e, T), T,
                                     theta0.size)
    if verdict is not None:
        return verdict
    gap = np.max(np.abs(points - expected), axis=1)
    if np.all(gap <= tol):
        return Verdict(True, f"Right: your points are descent.optimizers.rmsprop's at all {T} "
                             f"steps (largest difference {np.max(gap):.1g}).")
    where = _first_difference(points, expected, tol, "descent.optimizers.rmsprop's")
    if np.all(np.abs(points - theta0) <= tol):
        return Verdict(False, "Not quite: your points never move from θ₀: is the gap still "
                              "empty? Update v, then theta." + where)
    grad = lambda theta: Q @ theta  # noqa: E731
    for slip, message in _SLIPS.items():
        with np.errstate(all="ignore"):
            other = rmsprop_points(grad, theta0, a, rho, e, T, slip=slip)
        if np.all(np.abs(points - other) <= tol):
            return Verdict(False, "Not quite: " + message.format(eps=e) + where)
    return Verdict(False, "Not quite:" + where + " Write the two lines from the text: "
                          "v ← ρv + (1 − ρ)g², then θ ← θ − α g/(√v + ε).")
