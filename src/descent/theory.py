r"""The mathematics the chapters derive: closed forms for gradient descent and momentum on a
quadratic, and the pieces of their proofs that a figure or an exercise computes.

Every rate and limit here is for the quadratic :math:`L(\theta) = \tfrac12 \theta^\top Q \theta`
with eigenvalues λ₁, …, λₙ of Q, where gradient descent multiplies the component of θ
along the i-th eigenvector by :math:`1 - \alpha\lambda_i` at every step. It holds for
quadratics, and near a minimum of any smooth loss, with Q its Hessian there.

The rates and limits take numbers or arrays, work under ``jax.jit`` and ``jax.vmap``, and
check their arguments when they are concrete: an eigenvalue that must be positive and is
not raises a ``ValueError`` that names the argument. The rest work in NumPy on concrete
values: a run in the eigenbasis of Q (:func:`eigencomponents`, :func:`loss_components`),
preconditioned spectra, minibatch SGD's second-moment map on least squares with its
stability limit and noise floor (:func:`sgd_mean_square_stability_limit`,
:func:`sgd_noise_floor`), :func:`equivalent_networks` and :func:`power_norms`.

Momentum, per eigencomponent: the iteration matrix :func:`momentum_matrix`, its spectral
radius and the rate over the (α, β) plane (:func:`momentum_spectral_radius`,
:func:`momentum_rate`), the best tunings (:func:`heavy_ball_optimal`,
:func:`nesterov_optimal`), :func:`critical_damping` and :func:`damping` (under-, critical or
over-damped), :func:`effective_learning_rate` α/(1 − β), and the heavy ball's noise ball
(:func:`heavy_ball_noise_ball_variance`). On smooth convex losses: :func:`gd_convex_bound`
O(1/k), :func:`nesterov_convex_bound` O(1/k²), :func:`first_order_lower_bound` and
:func:`nesterov_worst_case_gap` on Nesterov's worst case; and :func:`lessard_cycle`, where
the heavy ball fails off quadratics.

SGD on the noisy quadratic (Zhang et al. 2019), the model of Part II: the stochastic
gradient is g = Qθ + ξ with ξ drawn afresh at every step, of variance σᵢ² along the i-th
eigenvector (σ²λᵢ/B by default, :func:`noisy_quadratic_noise_variances`). For any sequence
of learning rates, :func:`noisy_quadratic_moments` gives the exact mean and variance of
every eigencomponent, :func:`averaged_iterate_moments` those of the running average, and
:func:`noisy_quadratic_expected_loss` the expected loss; :func:`noise_ball_variance` is the
stationary variance at a constant α, :func:`robbins_monro_exponent` and
:func:`robbins_monro_constant` the rate of α_t = c/(t + t₀), :func:`polyak_ruppert_variance`
the averaged iterate's leading term, and :func:`averaged_sgd_bound` the convex bound.

>>> lam = (1.0, 6.0)
>>> print(f"{stability_limit(lam):.4f} {optimal_learning_rate(lam):.4f} {optimal_rate(lam):.4f}")
0.3333 0.2857 0.7143
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

__all__ = [
    "gd_contraction",
    "condition_number",
    "stability_limit",
    "optimal_learning_rate",
    "optimal_rate",
    "heavy_ball_optimal",
    "heavy_ball_rate",
    "momentum_converges",
    "METHODS",
    "momentum_matrix",
    "momentum_spectral_radius",
    "momentum_rate",
    "nesterov_optimal",
    "nesterov_rate",
    "critical_damping",
    "DAMPINGS",
    "damping",
    "effective_learning_rate",
    "heavy_ball_noise_ball_variance",
    "gd_convex_bound",
    "nesterov_convex_bound",
    "first_order_lower_bound",
    "nesterov_worst_case_gap",
    "lessard_cycle",
    "gd_iterate",
    "iterations_to_accuracy",
    "eigencomponents",
    "loss_components",
    "preconditioned_spectrum",
    "equivalent_networks",
    "power_norms",
    "sgd_second_moment_map",
    "sgd_mean_square_stability_limit",
    "sgd_noise_floor",
]


def _eigenvalues(where: str, eigenvalues: ArrayLike, positive: bool = True) -> jax.Array:
    """The eigenvalues as a 1-D array, checked when they are concrete."""
    lam = jnp.atleast_1d(jnp.asarray(eigenvalues, dtype=jnp.result_type(float)))
    if lam.ndim != 1 or lam.size == 0:
        raise ValueError(
            f"{where}: eigenvalues must be a non-empty list of numbers, got {eigenvalues!r}"
        )
    if not isinstance(lam, jax.core.Tracer):
        values = np.asarray(lam)
        if not np.all(np.isfinite(values)) or (positive and not np.all(values > 0)):
            kind = "positive" if positive else "finite"
            raise ValueError(f"{where}: eigenvalues must be {kind}, got {eigenvalues!r}")
    return lam


def gd_contraction(learning_rate: ArrayLike, eigenvalues: ArrayLike) -> jax.Array:
    r"""The factor by which one gradient-descent step shrinks each eigencomponent.

    .. math::
        \rho_i = |1 - \alpha \lambda_i|

    Gradient descent on the quadratic multiplies the component along eigenvector i by
    :math:`1 - \alpha\lambda_i`: it converges along it when :math:`\rho_i < 1` and
    oscillates in sign when :math:`\alpha\lambda_i > 1`.

    Args:
        learning_rate: α; an array broadcasts against the eigenvalues.
        eigenvalues: λᵢ, any finite numbers (a negative one gives ρᵢ > 1: a saddle).

    >>> print(gd_contraction(0.25, jnp.array([1.0, 6.0])))
    [0.75 0.5 ]
    """
    lam = _eigenvalues("gd_contraction", eigenvalues, positive=False)
    return jnp.abs(1 - jnp.asarray(learning_rate)[..., None] * lam)


def condition_number(eigenvalues: ArrayLike) -> jax.Array:
    r"""κ = λ_max / λ_min, for positive eigenvalues.

    >>> print(condition_number((1.0, 6.0)))
    6.0
    """
    lam = _eigenvalues("condition_number", eigenvalues)
    return jnp.max(lam) / jnp.min(lam)


def stability_limit(eigenvalues: ArrayLike) -> jax.Array:
    r"""The largest learning rate at which gradient descent converges: 2 / λ_max.

    Gradient descent converges from every start exactly when
    :math:`|1 - \alpha\lambda_i| < 1` for every i, that is
    :math:`0 < \alpha < 2/\lambda_{\max}`.
    """
    lam = _eigenvalues("stability_limit", eigenvalues)
    return 2 / jnp.max(lam)


def optimal_learning_rate(eigenvalues: ArrayLike) -> jax.Array:
    r"""The learning rate with the fastest worst-case convergence: 2 / (λ_min + λ_max).

    It balances the slowest and the fastest directions, :math:`1 - \alpha\lambda_{\min} =
    -(1 - \alpha\lambda_{\max})`, which minimizes :math:`\max_i |1 - \alpha\lambda_i|`.
    """
    lam = _eigenvalues("optimal_learning_rate", eigenvalues)
    return 2 / (jnp.min(lam) + jnp.max(lam))


def optimal_rate(eigenvalues: ArrayLike) -> jax.Array:
    r"""Gradient descent's contraction per step at the optimal learning rate.

    .. math::
        \max_i |1 - \alpha^\star \lambda_i| = \frac{\kappa - 1}{\kappa + 1}

    so the error shrinks by this factor at every step: about 1 − 2/κ when κ is large.
    """
    kappa = condition_number(eigenvalues)
    return (kappa - 1) / (kappa + 1)


def heavy_ball_optimal(eigenvalues: ArrayLike) -> tuple[jax.Array, jax.Array]:
    r"""Polyak's optimal heavy-ball learning rate and momentum, (α*, β*).

    .. math::
        \alpha^\star = \left(\frac{2}{\sqrt{\lambda_{\max}} + \sqrt{\lambda_{\min}}}\right)^2,
        \qquad
        \beta^\star = \left(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\right)^2

    for :math:`\theta_{t+1} = \theta_t - \alpha \nabla L(\theta_t) + \beta(\theta_t -
    \theta_{t-1})`, which is :func:`descent.optimizers.momentum`.

    >>> alpha, beta = heavy_ball_optimal((1.0, 4.0))
    >>> print(f"{alpha:.4f} {beta:.4f}")
    0.4444 0.1111
    """
    lam = _eigenvalues("heavy_ball_optimal", eigenvalues)
    low, high = jnp.sqrt(jnp.min(lam)), jnp.sqrt(jnp.max(lam))
    return (2 / (high + low)) ** 2, ((high - low) / (high + low)) ** 2


def heavy_ball_rate(eigenvalues: ArrayLike) -> jax.Array:
    r"""The heavy ball's contraction per step at (α*, β*): (√κ − 1)/(√κ + 1) = √β*.

    About 1 − 2/√κ when κ is large: where gradient descent needs κ steps, the heavy ball
    needs √κ.
    """
    root_kappa = jnp.sqrt(condition_number(eigenvalues))
    return (root_kappa - 1) / (root_kappa + 1)


def momentum_converges(
    learning_rate: ArrayLike, momentum: ArrayLike, eigenvalue: ArrayLike
) -> jax.Array:
    r"""Does the heavy ball converge along an eigenvector with eigenvalue λ?

    .. math::
        0 \le \beta < 1 \quad\text{and}\quad 0 < \alpha\lambda < 2 + 2\beta

    The component obeys :math:`x_{t+1} = (1 + \beta - \alpha\lambda) x_t - \beta x_{t-1}`,
    and both roots of :math:`r^2 - (1 + \beta - \alpha\lambda) r + \beta` lie inside the
    unit circle exactly in this region. At β = 0 it is gradient descent's
    :math:`0 < \alpha\lambda < 2`. Arguments broadcast against each other.

    >>> print(momentum_converges(0.5, 0.9, jnp.array([1.0, 7.0, 8.0])))  # αλ < 3.8?
    [ True  True False]
    """
    a, b, lam = (jnp.asarray(v) for v in (learning_rate, momentum, eigenvalue))
    step = a * lam
    return (0 <= b) & (b < 1) & (0 < step) & (step < 2 + 2 * b)


METHODS = ("gd", "heavy_ball", "nesterov")
"""The methods of :func:`momentum_matrix` and :func:`momentum_rate`."""


def _method(where: str, method: str) -> str:
    if method not in METHODS:
        raise ValueError(f"{where}: method must be one of {METHODS}, got {method!r}")
    return method


def _recurrence(learning_rate, momentum, eigenvalue, method, xp=jnp):
    """(a, b, a² + 4b) of the component's recurrence x_{t+1} = a x_t + b x_{t−1}.

    The discriminant a² + 4b is computed factored, so that it does not cancel where the
    two roots meet (at critical damping, and so at the optimal α and β): there a
    rounding error e in it would move the radius by √e. ``xp`` is ``jnp`` (JAX's default
    float, traceable) or ``np`` (float64, for :func:`damping`).
    """
    dtype = jnp.result_type(float) if xp is jnp else np.float64
    al, be, lam = (xp.asarray(v, dtype=dtype) for v in (learning_rate, momentum, eigenvalue))
    step = al * lam
    if method == "gd":
        a = 1 - step
        return a, xp.zeros_like(a), a * a
    if method == "heavy_ball":  # a² − 4β = ((1 − √β)² − αλ)((1 + √β)² − αλ).
        root = xp.sqrt(be)
        return 1 + be - step, -be * xp.ones_like(lam), ((1 - root) ** 2 - step) * ((1 + root) ** 2 - step)
    q = 1 - step  # Nesterov: a gradient step from the look-ahead point y_t.
    return (1 + be) * q, -be * q, q * ((1 - be) ** 2 - (1 + be) ** 2 * step)


def momentum_matrix(
    learning_rate: ArrayLike, momentum: ArrayLike, eigenvalue: ArrayLike, method: str = "heavy_ball"
) -> jax.Array:
    r"""The 2 × 2 iteration matrix R(α, β, λ) of one eigencomponent.

    Along an eigenvector with eigenvalue λ the method is a linear recurrence of order two,
    :math:`x_{t+1} = a x_t + b x_{t-1}`, that is :math:`(x_{t+1}, x_t) = R\,(x_t, x_{t-1})`
    with

    .. math::
        R = \begin{pmatrix} a & b \\ 1 & 0 \end{pmatrix},\qquad
        (a, b) = \begin{cases}
          (1 - \alpha\lambda,\ 0) & \text{gradient descent}\\
          (1 + \beta - \alpha\lambda,\ -\beta) & \text{heavy ball}\\
          \big((1 + \beta)(1 - \alpha\lambda),\ -\beta(1 - \alpha\lambda)\big)
            & \text{Nesterov}
        \end{cases}

    For Nesterov, x is the look-ahead point :math:`y_t = \theta'_t + \beta v'_t`, the
    parameters that :func:`descent.optimizers.nesterov` holds. Arguments broadcast; the
    result has shape ``broadcast + (2, 2)``.

    Args:
        learning_rate: α.
        momentum: β (ignored by ``"gd"``).
        eigenvalue: λ.
        method: ``"gd"``, ``"heavy_ball"`` or ``"nesterov"``.

    >>> print(momentum_matrix(0.1, 0.5, 4.0))
    [[ 1.1 -0.5]
     [ 1.   0. ]]
    """
    a, b, _ = _recurrence(learning_rate, momentum, eigenvalue, _method("momentum_matrix", method))
    a, b = jnp.broadcast_arrays(a, b)
    return jnp.stack([jnp.stack([a, b], -1), jnp.stack([jnp.ones_like(a), jnp.zeros_like(a)], -1)], -2)


def momentum_spectral_radius(
    learning_rate: ArrayLike, momentum: ArrayLike, eigenvalue: ArrayLike, method: str = "heavy_ball"
) -> jax.Array:
    r"""ρ(R), the spectral radius of :func:`momentum_matrix`, in closed form.

    The eigenvalues of R are the roots of :math:`r^2 - a r - b`,
    :math:`r = \tfrac12\big(a \pm \sqrt{a^2 + 4b}\big)`. When they are complex
    (:math:`a^2 + 4b < 0`, the under-damped regime) both have modulus :math:`\sqrt{-b}`,
    which is :math:`\sqrt\beta` for the heavy ball whatever α and λ; otherwise
    :math:`\rho = \tfrac12\big(|a| + \sqrt{a^2 + 4b}\big)`. The component shrinks like
    :math:`\rho^t` (times a polynomial in t when the roots coincide), and converges iff
    ρ < 1. Arguments broadcast.

    >>> print(f"{momentum_spectral_radius(0.1, 0.81, 4.0):.4f}")  # Complex roots: √β.
    0.9000
    """
    a, b, disc = _recurrence(learning_rate, momentum, eigenvalue,
                             _method("momentum_spectral_radius", method))
    complex_roots = jnp.sqrt(jnp.maximum(-b, 0.0))
    real_roots = (jnp.abs(a) + jnp.sqrt(jnp.maximum(disc, 0.0))) / 2
    return jnp.where(disc < 0, complex_roots, real_roots)


def momentum_rate(
    learning_rate: ArrayLike, momentum: ArrayLike, eigenvalues: ArrayLike, method: str = "heavy_ball"
) -> jax.Array:
    r"""The convergence rate on the quadratic: :math:`\max_i \rho(R(\alpha, \beta, \lambda_i))`.

    The error eventually shrinks by this factor per step, the slowest eigencomponent's.
    α and β broadcast against each other (a grid of them gives Goh's (α, β) map); the
    eigenvalues are a 1-D array, reduced over. Above 1 the method diverges.

    Where two roots meet (critical damping, as at the optimal α and β) the radius has a
    square-root singularity: an error e in α moves it by about √e. At heavy_ball_optimal's
    float32 (α*, β*) for κ = 100 it reads 0.8188 rather than 0.8182; in float64, 0.8182.

    At α = 0.01 and κ = 100, β = 0.5 leaves λ = 1 over-damped (real roots, slow); β = 0.9
    under-damps both components, and the rate is √0.9:

    >>> print(momentum_rate(0.01, jnp.array([0.5, 0.9]), (1.0, 100.0)))
    [0.9795741  0.94868326]
    """
    lam = jnp.asarray(eigenvalues, dtype=jnp.result_type(float))
    if lam.ndim != 1 or lam.shape[0] == 0:
        raise ValueError(f"momentum_rate: eigenvalues must be a 1-D array, got shape {lam.shape}")
    a, b = (jnp.asarray(v, dtype=lam.dtype)[..., None] for v in (learning_rate, momentum))
    radius = momentum_spectral_radius(a, b, lam, _method("momentum_rate", method))
    return jnp.max(radius, axis=-1)


def nesterov_optimal(eigenvalues: ArrayLike) -> tuple[jax.Array, jax.Array]:
    r"""Nesterov's best constant (α, β) on a quadratic with eigenvalues in [μ, L].

    .. math::
        \alpha^\star = \frac{4}{3L + \mu}, \qquad
        \beta^\star = \frac{\sqrt{3\kappa + 1} - 2}{\sqrt{3\kappa + 1} + 2}

    (Lessard, Recht & Packard 2016), at which :func:`momentum_rate` is
    :func:`nesterov_rate`, :math:`1 - 2/\sqrt{3\kappa + 1}`: between the heavy ball's
    :math:`1 - 2/\sqrt\kappa` and gradient descent's :math:`1 - 2/\kappa`.

    >>> alpha, beta = nesterov_optimal((1.0, 100.0))
    >>> print(f"{alpha:.4f} {beta:.4f}")
    0.0133 0.7933
    """
    lam = _eigenvalues("nesterov_optimal", eigenvalues)
    mu, L = jnp.min(lam), jnp.max(lam)
    root = jnp.sqrt(3 * L / mu + 1)
    return 4 / (3 * L + mu), (root - 2) / (root + 2)


def nesterov_rate(eigenvalues: ArrayLike) -> jax.Array:
    r"""Nesterov's rate at :func:`nesterov_optimal`: :math:`1 - 2/\sqrt{3\kappa + 1}`."""
    return 1 - 2 / jnp.sqrt(3 * condition_number(eigenvalues) + 1)


# ---------------------------------------------------------------------------------------
# Momentum: damping, the terminal velocity and the noise ball; convex rates and a cycle.


def _concrete(value: ArrayLike) -> np.ndarray | None:
    """``value`` as a float64 array, or None when it is traced (and cannot be checked)."""
    if isinstance(value, jax.core.Tracer):
        return None
    return np.asarray(value, dtype=float)


def critical_damping(learning_rate: ArrayLike, eigenvalue: ArrayLike) -> jax.Array:
    r"""The momentum that critically damps the heavy ball along λ: :math:`(1 - \sqrt{\alpha\lambda})^2`.

    The two roots of :math:`r^2 - (1 + \beta - \alpha\lambda) r + \beta` (the eigenvalues of
    :func:`momentum_matrix`) coincide where its discriminant vanishes, and it factors:

    .. math::
        (1 + \beta - \alpha\lambda)^2 - 4\beta
        = \big((1 - \sqrt\beta)^2 - \alpha\lambda\big)\big((1 + \sqrt\beta)^2 - \alpha\lambda\big).

    The first factor vanishes at :math:`\sqrt\beta = |1 - \sqrt{\alpha\lambda}|`, the second
    at :math:`\sqrt\beta = \sqrt{\alpha\lambda} - 1` (the same value, when αλ ≥ 1) or at
    :math:`1 + \sqrt{\alpha\lambda} > 1`. So for 0 < αλ < 4 there is exactly one critical
    momentum in [0, 1),

    .. math::
        \beta_c = (1 - \sqrt{\alpha\lambda})^2,

    below which the component is over-damped (two real roots: no ripples) and above which
    it is under-damped (complex roots of modulus √β: the loss ripples); :func:`damping`
    tells which. At αλ = 1, β_c = 0. For αλ ≥ 4 no β < 1 is critical (the roots stay real,
    and the heavy ball diverges): concrete values raise a ``ValueError`` there, as for
    α ≤ 0 or λ ≤ 0. Arguments broadcast; traced values are not checked.

    >>> print(f"{critical_damping(0.01, 1.0):.4f} {critical_damping(0.01, 100.0):.4f}")
    0.8100 0.0000
    """
    where = "critical_damping"
    for name, value in (("learning_rate", learning_rate), ("eigenvalue", eigenvalue)):
        x = _concrete(value)
        if x is not None and not np.all(np.isfinite(x) & (x > 0)):
            raise ValueError(f"{where}: {name} must be positive, got {value!r}")
    alpha, lam = (_concrete(v) for v in (learning_rate, eigenvalue))
    if alpha is not None and lam is not None and not np.all(alpha * lam < 4):
        raise ValueError(f"{where}: no momentum in [0, 1) is critical when αλ ≥ 4; got "
                         f"α = {learning_rate!r}, λ = {eigenvalue!r}")
    step = jnp.asarray(learning_rate, dtype=jnp.result_type(float)) * jnp.asarray(eigenvalue)
    return (1 - jnp.sqrt(step)) ** 2


DAMPINGS = ("under", "critical", "over")
"""What :func:`damping` returns."""


def damping(
    learning_rate: ArrayLike, momentum: ArrayLike, eigenvalue: ArrayLike,
    method: str = "heavy_ball", tolerance: float = 1e-6,
) -> str | np.ndarray:
    r"""Is the eigencomponent ``"under"``-, ``"critical"``- or ``"over"``-damped?

    The eigenvalues of :func:`momentum_matrix` are the roots r₁, r₂ of
    :math:`r^2 - a r - b`, with :math:`(r_1 - r_2)^2 = a^2 + 4b`:

    - ``"under"``: :math:`a^2 + 4b < 0`, complex roots :math:`\sqrt{-b}\,e^{\pm i\omega}`. The
      component is :math:`c\,(\sqrt{-b})^t \cos(\omega t + \phi)`: it overshoots and comes
      back, and the loss curve ripples with period π/ω. For the heavy ball, β > β_c of
      :func:`critical_damping`.
    - ``"over"``: two distinct real roots: the component is a sum of two geometric
      sequences, and the slower one sets the pace (no ripples; a sign flip at every step
      when a root is negative). For the heavy ball, β < β_c (or αλ ≥ 4).
    - ``"critical"``: :math:`|a^2 + 4b| \le` ``tolerance``, the roots coincide (to
      :math:`|r_1 - r_2| \le \sqrt{\text{tolerance}}`): :math:`(c_0 + c_1 t)\,r^t`, the
      fastest decay for the given α and λ.

    Computed in float64 with the discriminant factored as in :func:`momentum_spectral_radius`.
    The default tolerance leaves a float32 β = β_c critical.

    Args:
        learning_rate: α > 0.
        momentum: β in [0, 1) (ignored by ``"gd"``, which is critical only at αλ = 1).
        eigenvalue: λ > 0.
        method: ``"gd"``, ``"heavy_ball"`` or ``"nesterov"``.
        tolerance: ≥ 0, on the squared gap (r₁ − r₂)².

    Returns:
        a string; arrays (which broadcast) give an array of strings.

    >>> [damping(0.01, beta, 1.0) for beta in (0.5, 0.81, 0.9)]
    ['over', 'critical', 'under']
    """
    where = "damping"
    method = _method(where, method)
    alpha, beta, lam = (_nonnegative(where, name, value) for name, value in
                        (("learning_rate", learning_rate), ("momentum", momentum),
                         ("eigenvalue", eigenvalue)))
    if not np.all(beta < 1):
        raise ValueError(f"{where}: momentum must be in [0, 1), got {momentum!r}")
    if not (np.all(alpha > 0) and np.all(lam > 0)):
        raise ValueError(f"{where}: learning_rate and eigenvalue must be positive, got "
                         f"{learning_rate!r} and {eigenvalue!r}")
    tolerance = float(_nonnegative(where, "tolerance", tolerance))
    _, _, gap = _recurrence(alpha, beta, lam, method, xp=np)  # (r₁ − r₂)², in float64.
    gap = np.broadcast_to(gap, np.broadcast(alpha, beta, lam).shape)  # Gradient descent ignores β.
    kind = np.where(gap < -tolerance, "under", np.where(gap > tolerance, "over", "critical"))
    return str(kind) if kind.ndim == 0 else kind


def effective_learning_rate(learning_rate: ArrayLike, momentum: ArrayLike) -> jax.Array:
    r"""The heavy ball's step under a constant gradient, per unit gradient: α/(1 − β).

    With g constant, the velocity of :func:`descent.optimizers.momentum`,
    :math:`v_t = g(1 + \beta + \dots + \beta^{t-1}) = g\,(1 - \beta^t)/(1 - \beta)`, tends to
    :math:`g/(1 - \beta)`, so the step :math:`-\alpha v_t` tends to :math:`-\alpha g/(1 - \beta)`:
    the terminal velocity of a ball rolling down a constant slope against friction 1 − β.
    On a slowly varying gradient, heavy ball at (α, β) moves like gradient descent at
    α/(1 − β); so comparing momenta at equal α/(1 − β) compares them at equal speed.

    Args:
        learning_rate: α ≥ 0.
        momentum: β in [0, 1). Arguments broadcast; traced values are not checked.

    >>> print(f"{effective_learning_rate(0.01, 0.9):.4f}")
    0.1000
    """
    where = "effective_learning_rate"
    alpha, beta = _concrete(learning_rate), _concrete(momentum)
    if alpha is not None and not np.all(np.isfinite(alpha) & (alpha >= 0)):
        raise ValueError(f"{where}: learning_rate must be finite and ≥ 0, got {learning_rate!r}")
    if beta is not None and not np.all((beta >= 0) & (beta < 1)):
        raise ValueError(f"{where}: momentum must be in [0, 1), got {momentum!r}")
    return jnp.asarray(learning_rate, dtype=jnp.result_type(float)) / (1 - jnp.asarray(momentum))


def heavy_ball_noise_ball_variance(
    learning_rate: ArrayLike, momentum: ArrayLike, eigenvalues: ArrayLike,
    noise_variances: ArrayLike,
) -> np.ndarray:
    r"""The stationary variance of each eigencomponent of the heavy ball under gradient noise.

    .. math::
        v_i^\infty = \frac{\alpha^2 s_i (1 + \beta)}{(1 - \beta)\,\alpha\lambda_i\,
                     \big(2(1 + \beta) - \alpha\lambda_i\big)}
                   = \frac{\alpha s_i (1 + \beta)}{(1 - \beta)\,\lambda_i\,
                     \big(2(1 + \beta) - \alpha\lambda_i\big)}

    On the noisy quadratic, g = Qθ + ξ with :math:`\operatorname{Var}\xi_i = s_i`, a
    constant α and β make each eigencomponent an AR(2) process,
    :math:`x_{t+1} = a x_t - \beta x_{t-1} - \alpha\xi_t` with a = 1 + β − αλ. At
    stationarity, multiplying by :math:`x_t` and taking expectations gives the lag-one
    covariance :math:`\gamma_1 = a\gamma_0/(1 + \beta)`; squaring gives
    :math:`\gamma_0 = (a^2 + \beta^2)\gamma_0 - 2a\beta\gamma_1 + \alpha^2 s`, so
    :math:`\gamma_0 (1 - \beta)\big((1 + \beta)^2 - a^2\big)/(1 + \beta) = \alpha^2 s`, and
    :math:`(1 + \beta)^2 - a^2 = \alpha\lambda(2(1 + \beta) - \alpha\lambda)`. At β = 0 it is
    :func:`noise_ball_variance`. It is reached from any start where the heavy ball
    converges, :math:`0 < \alpha\lambda_i < 2(1 + \beta)`; elsewhere it is ``inf``.

    Momentum does not lower the noise floor at a fixed effective step
    :math:`\alpha_e = \alpha/(1 - \beta)` (:func:`effective_learning_rate`): there
    :math:`v_i^\infty = \alpha_e s_i (1 + \beta) / \big(\lambda_i (2(1 + \beta) - \alpha_e (1 - \beta)\lambda_i)\big)`,
    and its ratio to SGD's at α_e, :math:`\alpha_e s_i/(\lambda_i(2 - \alpha_e\lambda_i))`, is
    exactly

    .. math::
        1 - \frac{2\beta\,\alpha_e\lambda_i}{2(1 + \beta) - (1 - \beta)\alpha_e\lambda_i}
        \approx 1 - \frac{\beta}{1 + \beta}\,\alpha_e\lambda_i:

    the same to first order in α_eλᵢ, slightly lower beyond. At a fixed α instead, it is
    about 1/(1 − β) times SGD's.

    Args:
        learning_rate: α ≥ 0.
        momentum: β in [0, 1); α and β broadcast, and give shape broadcast + (n,).
        eigenvalues: λ₁, …, λₙ > 0.
        noise_variances: s₁, …, sₙ ≥ 0, or one number for all.

    >>> momentum = heavy_ball_noise_ball_variance(0.01, 0.9, [1.0], [1.0])  # α_e = 0.1.
    >>> plain = noise_ball_variance(0.1, [1.0], [1.0])
    >>> print(f"{momentum[0]:.5f} {plain[0]:.5f} {momentum[0] / plain[0]:.4f}")
    0.05013 0.05263 0.9525
    """
    where = "heavy_ball_noise_ball_variance"
    lam = _spectrum(where, eigenvalues, positive=True)
    s = _per_component(where, "noise_variances", noise_variances, lam.size)
    alpha = _nonnegative(where, "learning_rate", learning_rate)
    beta = _nonnegative(where, "momentum", momentum)
    if not np.all(beta < 1):
        raise ValueError(f"{where}: momentum must be in [0, 1), got {momentum!r}")
    alpha, beta = (x[..., None] for x in np.broadcast_arrays(alpha, beta))
    room = 2 * (1 + beta) - alpha * lam  # 2(1 + β) − αλᵢ; ≤ 0 outside the stable range.
    with np.errstate(divide="ignore", invalid="ignore"):
        ball = alpha * s * (1 + beta) / ((1 - beta) * lam * room)
    return np.where(room > 0, ball, np.inf)


def _steps(where: str, k: ArrayLike, low: float = 1) -> np.ndarray:
    """Step counts k ≥ ``low`` as a float64 array."""
    x = _nonnegative(where, "k", k)
    if not np.all(x >= low):
        raise ValueError(f"{where}: k must be ≥ {low:g}, got {k!r}")
    return x


def _positive(where: str, name: str, value: ArrayLike) -> np.ndarray:
    x = _nonnegative(where, name, value)
    if not np.all(x > 0):
        raise ValueError(f"{where}: {name} must be positive, got {value!r}")
    return x


def _bound_arguments(where: str, k: ArrayLike, smoothness: ArrayLike, distance_squared: ArrayLike
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A convex bound's k ≥ 1, L > 0 and R² ≥ 0, checked, as float64 arrays."""
    return (_steps(where, k), _positive(where, "smoothness", smoothness),
            _nonnegative(where, "distance_squared", distance_squared))


def gd_convex_bound(k: ArrayLike, smoothness: ArrayLike, distance_squared: ArrayLike
                    ) -> np.ndarray:
    r"""Gradient descent's guarantee on a smooth convex loss: :math:`L(\theta_k) - L^\star \le \frac{L R^2}{2k}`.

    For gradient descent at α = 1/L on a convex loss whose gradient is L-Lipschitz, with
    :math:`R = \lVert\theta_0 - \theta^\star\rVert`. Derivation: the descent lemma gives
    :math:`L(\theta_{j+1}) \le L(\theta_j) - \lVert g_j\rVert^2/(2L)`, convexity
    :math:`L(\theta_j) - L^\star \le g_j^\top(\theta_j - \theta^\star)`, and together, with
    :math:`\theta_{j+1} = \theta_j - g_j/L`,

    .. math::
        L(\theta_{j+1}) - L^\star \le \tfrac{L}{2}\big(\lVert\theta_j - \theta^\star\rVert^2
        - \lVert\theta_{j+1} - \theta^\star\rVert^2\big).

    The sum over j < k telescopes to at most :math:`L R^2/2`, and since the loss decreases
    at every step, k times the last term is at most the sum. This is Beck and Teboulle's
    (2009, Theorem 3.1, with g = 0) bound; Nesterov's Lectures (2018, Corollary 2.1.2) give
    :math:`2LR^2/(k + 4)`, the weaker of the two for k ≥ 2. O(1/k): ten times the steps,
    a tenth of the gap.

    Args:
        k: the number of steps, ≥ 1 (an array gives an array).
        smoothness: L > 0, the Lipschitz constant of the gradient.
        distance_squared: R² = ‖θ₀ − θ*‖² ≥ 0.

    >>> print(gd_convex_bound(np.array([1, 10, 100]), 1.0, 1.0))
    [0.5   0.05  0.005]
    """
    k, L, R2 = _bound_arguments("gd_convex_bound", k, smoothness, distance_squared)
    return L * R2 / (2 * k)


def nesterov_convex_bound(k: ArrayLike, smoothness: ArrayLike, distance_squared: ArrayLike
                          ) -> np.ndarray:
    r"""Nesterov's guarantee on a smooth convex loss: :math:`L(x_k) - L^\star \le \frac{2LR^2}{(k + 1)^2}`.

    For Nesterov's (1983) method with step 1/L, in Beck and Teboulle's (2009) indexing:
    start from :math:`y_1 = x_0 = \theta_0`, and for k = 1, 2, …

    .. math::
        x_k = y_k - \tfrac1L \nabla L(y_k), \qquad
        y_{k+1} = x_k + \frac{k - 1}{k + 2}\,(x_k - x_{k-1}).

    The bound is on the gradient-step points x_k, with :math:`R = \lVert\theta_0 -
    \theta^\star\rVert`. :func:`descent.optimizers.nesterov` with learning rate 1/L and
    ``momentum=descent.schedules.nesterov_momentum()`` holds :math:`y_{t+1}` after t
    steps, so :math:`x_k` is one gradient step from its (k − 1)-th iterate. Derivation: with
    :math:`t_k = (k + 1)/2`, so that the momentum is :math:`(t_k - 1)/t_{k+1}` and
    :math:`t_{k+1}^2 - t_{k+1} \le t_k^2`, the energy
    :math:`E_k = t_k^2 (L(x_k) - L^\star) + \tfrac L2 \lVert t_k x_k - (t_k - 1) x_{k-1} -
    \theta^\star\rVert^2` does not increase (Beck and Teboulle, Lemma 4.1, from the same
    one-step inequality as :func:`gd_convex_bound`), and
    :math:`E_1 \le \tfrac L2 R^2`; so :math:`L(x_k) - L^\star \le LR^2/(2t_k^2)`. O(1/k²):
    ten times the steps, a hundredth of the gap, which :func:`first_order_lower_bound`
    shows no first-order method can beat by more than a constant factor.

    Args:
        k: the number of gradient steps, ≥ 1.
        smoothness: L > 0.
        distance_squared: R² ≥ 0.

    >>> print(nesterov_convex_bound(np.array([1, 4, 9]), 1.0, 1.0))
    [0.5  0.08 0.02]
    """
    k, L, R2 = _bound_arguments("nesterov_convex_bound", k, smoothness, distance_squared)
    return 2 * L * R2 / (k + 1) ** 2


def first_order_lower_bound(
    k: ArrayLike, smoothness: ArrayLike, distance_squared: ArrayLike,
    dimension: int | None = None,
) -> np.ndarray:
    r"""No first-order method can guarantee less than :math:`\frac{3LR^2}{32(k + 1)^2}` after k steps.

    Nesterov's lower bound (Lectures, 2018, Theorem 2.1.7): for any k with
    :math:`2k + 1 \le n` there is an L-smooth convex loss on :math:`\mathbb R^n` —
    :func:`descent.problems.nesterov_worst_case` of size 2k + 1 — on which every method whose
    iterates move only along the gradients seen so far,
    :math:`\theta_k \in \theta_0 + \operatorname{span}(g_0, \dots, g_{k-1})` (gradient
    descent, heavy ball, Nesterov, any schedule), has
    :math:`L(\theta_k) - L^\star \ge 3LR^2/(32(k + 1)^2)`. Derivation: the loss is
    :math:`\tfrac L4(\tfrac12\theta^\top A\theta - \theta_1)`, A tridiagonal, so from θ₀ = 0
    each gradient reaches one coordinate further and θ_k lies in the span of the first k;
    there the loss is at least the minimum of the k-dimensional problem, so the gap is at
    least :func:`nesterov_worst_case_gap` :math:`= \tfrac L8\big(\tfrac1{k+1} - \tfrac1{n+1}\big)
    = \tfrac{L}{16(k+1)}` at n = 2k + 1, while :math:`R^2 = \sum_i (1 - \tfrac{i}{n+1})^2
    \le \tfrac{2(k+1)}3`. It matches :func:`nesterov_convex_bound` up to the factor 64/3:
    Nesterov's method is optimal.

    The loss depends on k: on one function of fixed size n this curve is a valid lower
    bound only near k = (n − 1)/2; use :func:`nesterov_worst_case_gap` for all k.

    Args:
        k: the number of steps, ≥ 1.
        smoothness: L > 0.
        distance_squared: R² ≥ 0.
        dimension: n; if given, every k must satisfy 2k + 1 ≤ n.

    >>> print(f"{first_order_lower_bound(1, 1.0, 1.0):.5f}")
    0.02344
    """
    where = "first_order_lower_bound"
    k, L, R2 = _bound_arguments(where, k, smoothness, distance_squared)
    if dimension is not None and not np.all(2 * k + 1 <= dimension):
        raise ValueError(f"{where}: the bound needs 2k + 1 ≤ n = {dimension}, that is "
                         f"k ≤ {(dimension - 1) // 2}; got k = {k.tolist()!r}")
    return 3 * L * R2 / (32 * (k + 1) ** 2)


def nesterov_worst_case_gap(k: ArrayLike, dimension: int, smoothness: ArrayLike = 1.0
                            ) -> np.ndarray:
    r"""The least :math:`L(\theta_k) - L^\star` any first-order method reaches on Nesterov's worst case.

    .. math::
        \frac L8\left(\frac1{k + 1} - \frac1{n + 1}\right), \qquad 0 \le k \le n,

    on :func:`descent.problems.nesterov_worst_case` of size n from θ₀ = 0. After k
    steps, θ_k lies in the span of the first k coordinates (see
    :func:`first_order_lower_bound`), where the loss is the same problem of size k, whose
    minimum is :math:`-\tfrac L8(1 - \tfrac1{k+1})`; conjugate gradients reach it. It is 0 at
    k = n.

    >>> print(nesterov_worst_case_gap(np.array([0, 1, 3]), 3, 8.0))
    [0.75 0.25 0.  ]
    """
    where = "nesterov_worst_case_gap"
    k = _steps(where, k, low=0)
    n = int(dimension)
    if n != dimension or n < 1:
        raise ValueError(f"{where}: dimension must be an integer ≥ 1, got {dimension!r}")
    if not np.all(k <= n):
        raise ValueError(f"{where}: k must be ≤ n = {n}, got {k.tolist()!r}")
    L = _positive(where, "smoothness", smoothness)
    return L / 8 * (1 / (k + 1) - 1 / (n + 1))


# Lessard, Recht and Packard's counterexample: ∇L(x) = s x + c on three pieces [low, high).
_LESSARD_PIECES = ((-math.inf, 1.0, 25.0, 0.0), (1.0, 2.0, 1.0, 24.0), (2.0, math.inf, 25.0, -24.0))


def lessard_cycle(learning_rate: float = 1 / 9, momentum: float = 4 / 9) -> np.ndarray:
    r"""The attracting 3-cycle of the heavy ball on Lessard, Recht and Packard's function.

    On :func:`descent.problems.lessard_counterexample` (μ = 1, L = 25) the gradient is
    affine on each of three pieces, ∇L(x) = sx + c. A cycle x₁ → x₂ → x₃ → x₁ of
    :math:`x_{t+1} = x_t - \alpha\nabla L(x_t) + \beta(x_t - x_{t-1})` with known pieces
    solves three linear equations; this tries the 27 choices of pieces, keeps the
    solutions that lie on the pieces assumed and are not the minimum, and of those the
    ones that attract: the product of the three steps' 2 × 2 matrices has spectral
    radius < 1. At Polyak's tuning for [1, 25], α = 1/9, β = 4/9
    (:func:`heavy_ball_optimal`), it is (−2208, 2592, 792)/1225: the heavy ball, at the
    tuning that is optimal on every quadratic with these μ and L, never converges from
    starts such as 3.3 (Lessard et al. 2016, §4.6).

    Returns:
        the points in the order visited, starting from the smallest, shape (3,). Raises a
        ``ValueError`` when there is no attracting 3-cycle.

    >>> print(lessard_cycle() * 1225)
    [-2208.  2592.   792.]
    """
    alpha, beta = float(learning_rate), float(momentum)
    if not (alpha > 0 and 0 <= beta < 1):
        raise ValueError(f"lessard_cycle: need α > 0 and β in [0, 1), got {alpha}, {beta}")
    found = []
    for pieces in itertools.product(_LESSARD_PIECES, repeat=3):
        M, r = np.zeros((3, 3)), np.zeros(3)
        for i, (_, _, s, c) in enumerate(pieces):  # x_{i+1} = (1 + β − αs)x_i − βx_{i−1} − αc.
            M[(i + 1) % 3, (i + 1) % 3] += 1
            M[(i + 1) % 3, i] -= 1 + beta - alpha * s
            M[(i + 1) % 3, (i - 1) % 3] += beta
            r[(i + 1) % 3] = -alpha * c
        x = np.linalg.solve(M, r)
        if not all(low <= xi < high for xi, (low, high, _, _) in zip(x, pieces)):
            continue
        if np.allclose(x, 0):
            continue
        T = np.eye(2)
        for _, _, s, _ in pieces:
            T = np.array([[1 + beta - alpha * s, -beta], [1.0, 0.0]]) @ T
        if np.max(np.abs(np.linalg.eigvals(T))) < 1:
            found.append(np.roll(x, -int(np.argmin(x))))
    if not found:
        raise ValueError(f"lessard_cycle: no attracting 3-cycle at α = {alpha}, β = {beta}")
    return found[0]  # The three rotations of one cycle give the same points.


def gd_iterate(
    Q: ArrayLike, theta0: ArrayLike, learning_rate: ArrayLike, k: ArrayLike
) -> jax.Array:
    r"""θ_k of gradient descent on :math:`\tfrac12\theta^\top Q\theta`, in closed form.

    .. math::
        \theta_k = (I - \alpha Q)^k \theta_0
                 = V \operatorname{diag}\big((1 - \alpha\lambda_i)^k\big) V^\top \theta_0

    with :math:`Q = V \Lambda V^\top` (``jnp.linalg.eigh``): each eigencomponent of θ₀
    is multiplied by :math:`(1 - \alpha\lambda_i)^k`.

    Args:
        Q: a symmetric n × n matrix.
        theta0: θ₀, n numbers.
        learning_rate: α.
        k: the number of steps, an integer ≥ 0, or an array of them.

    Returns:
        θ_k, shape (n,), or shape k.shape + (n,) for an array of k: ``gd_iterate(Q, θ0,
        α, jnp.arange(T + 1))`` is the whole trajectory.

    >>> Q = jnp.diag(jnp.array([1.0, 6.0]))
    >>> print(gd_iterate(Q, jnp.array([1.0, 1.0]), 0.25, 2))
    [0.5625 0.25  ]
    """
    Q = jnp.asarray(Q, dtype=jnp.result_type(float))
    if Q.ndim != 2 or Q.shape[0] != Q.shape[1]:
        raise ValueError(f"gd_iterate: Q must be a square matrix, got shape {Q.shape}")
    if not isinstance(Q, jax.core.Tracer) and not np.allclose(Q, Q.T, rtol=1e-5, atol=1e-6):
        raise ValueError("gd_iterate: Q must be symmetric")
    lam, V = jnp.linalg.eigh(Q)
    k = jnp.asarray(k)
    factors = (1 - learning_rate * lam) ** k[..., None]  # (1 − αλᵢ)^k, shape k.shape + (n,).
    return (factors * (V.T @ jnp.asarray(theta0, Q.dtype))) @ V.T


def iterations_to_accuracy(rate: float, accuracy: float) -> int:
    r"""The fewest steps t with :math:`\rho^t \le \delta`: the error is then at most
    δ times the initial error, for a method that contracts it by ρ per step.

    .. math::
        t = \left\lceil \frac{\log \delta}{\log \rho} \right\rceil

    About :math:`\log(1/\delta) / (1 - \rho)` steps when ρ is close to 1: gradient
    descent at the optimal learning rate needs about :math:`\tfrac{\kappa}{2}\log(1/\delta)`.

    Args:
        rate: ρ, in [0, 1).
        accuracy: δ, in (0, 1).

    >>> iterations_to_accuracy(0.5, 1e-3)
    10
    """
    rate, accuracy = float(rate), float(accuracy)
    if not 0 <= rate < 1:
        raise ValueError(f"iterations_to_accuracy: rate must be in [0, 1), got {rate}")
    if not 0 < accuracy < 1:
        raise ValueError(f"iterations_to_accuracy: accuracy must be in (0, 1), got {accuracy}")
    if rate == 0:
        return 1
    k = math.ceil(math.log(accuracy) / math.log(rate))
    while k > 0 and rate ** (k - 1) <= accuracy:  # Guard against rounding in the logs.
        k -= 1
    while rate**k > accuracy:
        k += 1
    return k


# ---------------------------------------------------------------------------------------
# A run in the eigenbasis of Q, and preconditioned spectra.


def _basis(problem: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(λ, R, θ*) of a quadratic problem, as float64 arrays."""
    for name in ("eigenvalues", "eigenvectors"):
        if not hasattr(problem, name):
            raise TypeError(f"a quadratic problem with {name} is needed, got {problem!r}")
    lam = np.asarray(problem.eigenvalues, dtype=float)
    R = np.asarray(problem.eigenvectors, dtype=float)
    minimum = getattr(problem, "minimum", None)
    minimum = np.zeros(lam.size) if minimum is None else np.asarray(minimum, dtype=float)
    return lam, R, minimum


def eigencomponents(problem: Any, trajectory: ArrayLike) -> np.ndarray:
    r"""The coordinates :math:`y_t = R^\top(\theta_t - \theta^\star)` of every iterate.

    Args:
        problem: a quadratic, with ``eigenvalues``, ``eigenvectors`` (R, eigenvectors as
            columns) and ``minimum`` (θ*, taken as 0 when None), such as
            :func:`descent.problems.quadratic`.
        trajectory: θ₀, …, θ_T, shape (T + 1, n); NaN rows (a diverged run) stay NaN.

    Returns:
        y, shape (T + 1, n): column i is the component along the eigenvector of λᵢ.
    """
    lam, R, minimum = _basis(problem)
    theta = np.asarray(trajectory, dtype=float)
    if theta.ndim != 2 or theta.shape[1] != lam.size:
        raise ValueError(f"trajectory must have shape (T + 1, {lam.size}), got {theta.shape}")
    return (theta - minimum) @ R


def loss_components(problem: Any, trajectory: ArrayLike) -> np.ndarray:
    r"""Each eigencomponent's share of the loss, :math:`\tfrac12 \lambda_i y_{t,i}^2`.

    The shares sum to :math:`L(\theta_t) - L(\theta^\star)` at every step.

    Returns:
        shape (T + 1, n).
    """
    lam, _, _ = _basis(problem)
    return 0.5 * lam * eigencomponents(problem, trajectory) ** 2


def preconditioned_spectrum(Q: ArrayLike, P: ArrayLike) -> np.ndarray:
    r"""The eigenvalues of :math:`P^{1/2} Q P^{1/2}`, in increasing order.

    They are the eigenvalues of PQ too (the two matrices are similar), and they play for
    preconditioned gradient descent :math:`\theta \leftarrow \theta - \alpha P \nabla L`
    the part that the eigenvalues of Q play for gradient descent: it converges exactly
    when α < 2/λ̃_max, and at best with the factor (κ̃ − 1)/(κ̃ + 1) per step.

    Args:
        Q: symmetric positive definite, n × n.
        P: symmetric positive definite, n × n.

    >>> print(preconditioned_spectrum(np.diag([1.0, 6.0]), np.diag([1.0, 1 / 6])))
    [1. 1.]
    """
    Q, P = (np.asarray(M, dtype=float) for M in (Q, P))
    if Q.ndim != 2 or Q.shape[0] != Q.shape[1] or P.shape != Q.shape:
        raise ValueError(f"Q and P must be square and of one shape, got {Q.shape}, {P.shape}")
    for name, M in (("Q", Q), ("P", P)):
        if not np.allclose(M, M.T, rtol=1e-6, atol=1e-9):
            raise ValueError(f"{name} must be symmetric")
    p, V = np.linalg.eigh(P)
    if p.min() <= 0:
        raise ValueError("P must be positive definite")
    root = (V * np.sqrt(p)) @ V.T  # P^{1/2}.
    return np.linalg.eigvalsh(root @ Q @ root)


# ---------------------------------------------------------------------------------------
# Counting equivalent networks; powers of a matrix.


def equivalent_networks(hidden: Sequence[int], sign_flips: bool = False) -> int:
    r"""How many weight settings compute the same function by permuting and flipping units.

    Each hidden layer of width n can be permuted in n! ways. With an odd activation
    (tanh: tanh(−z) = −tanh(z)) each unit can also flip the sign of its incoming
    weights, bias and outgoing weights, 2ⁿ times as many. The count, :math:`\prod_\ell n_\ell!\,(2^{n_\ell})`, ignores the continuous
    rescalings of ReLU units, which make infinitely many more.

    >>> equivalent_networks([3])
    6
    >>> equivalent_networks([3, 2], sign_flips=True)
    384
    """
    count = 1
    for width in hidden:
        width = int(width)
        if width < 0:
            raise ValueError(f"hidden widths must be ≥ 0, got {width}")
        count *= math.factorial(width) * (2**width if sign_flips else 1)
    return count


def power_norms(W: ArrayLike, v: ArrayLike, steps: int) -> np.ndarray:
    """‖Wᵗv‖ for t = 0, 1, …, ``steps``: shape (steps + 1,).

    In a linear recurrent network h_t = W h_{t−1}, this is how far a signal (and, with
    Wᵀ, a gradient) carries after t steps.
    """
    W, v = jnp.asarray(W), jnp.asarray(v)

    def step(u, _):
        u = W @ u
        return u, jnp.linalg.norm(u)

    _, norms = jax.lax.scan(step, v, length=int(steps))
    return np.concatenate([[float(jnp.linalg.norm(v))], np.asarray(norms)])



# ---------------------------------------------------------------------------------------
# Minibatch SGD on least squares: the second moment of the error.
#
# On L(w) = (1/2N) Σᵢ (xᵢᵀw − yᵢ)², a quadratic with Hessian Q = XᵀX/N and minimizer ŵ, a
# step on the minibatch 𝓑 moves the error e = w − ŵ to e ← (I − α H_𝓑) e − α g_𝓑(ŵ), with
# H_𝓑 = (1/B) Σ_{i∈𝓑} xᵢxᵢᵀ. The batch is drawn afresh at every step, independently of e,
# so the second moment S = E[e eᵀ] obeys a *linear* recursion,
#     S ← E[(I − αH_𝓑) S (I − αH_𝓑)] + α² E[g_𝓑(ŵ) g_𝓑(ŵ)ᵀ]      (once E e = 0),
# with E[H_𝓑 ⊗ H_𝓑] = Q ⊗ Q + c_B (M₄ − Q ⊗ Q), M₄ = (1/N) Σᵢ (xᵢxᵢᵀ) ⊗ (xᵢxᵢᵀ), and
# c_B = 1/B for B draws with replacement, (N − B)/(B(N − 1)) for B distinct examples.


def _batch_factor(N: int, batch_size: int, replace: bool) -> float:
    """c_B: the variance of a mean of B examples over that of one example."""
    if replace:
        if batch_size < 1:
            raise ValueError(f"batch_size must be ≥ 1, got {batch_size}")
        return 1.0 / batch_size
    if not 1 <= batch_size <= N:
        raise ValueError(
            f"batch_size must be in [1, N] = [1, {N}] without replacement, got {batch_size}")
    return 0.0 if N == 1 else (N - batch_size) / (batch_size * (N - 1))


def _features(where: str, features: ArrayLike) -> np.ndarray:
    X = np.asarray(features, dtype=float)
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1 or not np.all(np.isfinite(X)):
        raise ValueError(f"{where}: features must be a finite N × n array, got shape {X.shape}")
    if X.shape[1] > 40:
        raise ValueError(
            f"{where}: the n² × n² second-moment map is for n ≤ 40 features, got {X.shape[1]}")
    return X


def _second_moment_parts(X: np.ndarray, batch_size: int, replace: bool):
    """K = Q⊗I + I⊗Q and M = E[H_𝓑 ⊗ H_𝓑], so that the map is I − αK + α²M."""
    N, n = X.shape
    Q = X.T @ X / N
    outer = np.einsum("ki,kj->kij", X, X).reshape(N, n * n)  # vec(xᵢxᵢᵀ), one row each.
    M4 = outer.T @ outer / N
    QQ = np.kron(Q, Q)
    I = np.eye(n)
    K = np.kron(Q, I) + np.kron(I, Q)
    M = QQ + _batch_factor(N, int(batch_size), replace) * (M4 - QQ)
    return Q, K, M


def _symmetric_basis(n: int) -> np.ndarray:
    """An orthonormal basis of the vec(S) of symmetric n × n matrices S: shape (n², n(n+1)/2)."""
    columns = []
    for i in range(n):
        for j in range(i, n):
            E = np.zeros((n, n))
            E[i, j] = E[j, i] = 1.0
            columns.append(E.ravel() / np.linalg.norm(E))
    return np.array(columns).T


def sgd_second_moment_map(
    features: ArrayLike, learning_rate: float, batch_size: int, replace: bool = True
) -> np.ndarray:
    r"""The matrix of :math:`S \mapsto \mathbb E[(I - \alpha H_B)\, S\, (I - \alpha H_B)]` on vec(S).

    It acts on vec(S) (row by row, n² entries) and equals
    :math:`I - \alpha(Q \otimes I + I \otimes Q) + \alpha^2\,\mathbb E[H_B \otimes H_B]`:
    one step of minibatch SGD on least squares with features X (N × n) maps the second
    moment of the error, S = E[(w − ŵ)(w − ŵ)ᵀ], to this map applied to S plus the noise
    term α² E[g_𝓑(ŵ) g_𝓑(ŵ)ᵀ]. Minibatches of ``batch_size`` examples are drawn afresh at each
    step, with replacement or (``replace=False``) as distinct examples.
    """
    X = _features("sgd_second_moment_map", features)
    _, K, M = _second_moment_parts(X, batch_size, replace)
    a = float(learning_rate)
    return np.eye(K.shape[0]) - a * K + a * a * M


def sgd_mean_square_stability_limit(
    features: ArrayLike, batch_size: int, replace: bool = True
) -> float:
    r"""The largest α for which minibatch SGD on least squares is stable in mean square.

    Below it, E‖w_t − ŵ‖² stays bounded (and tends to 0 when the features fit the targets
    exactly); above it, E‖w_t − ŵ‖² grows geometrically. The second-moment map
    :math:`T_\alpha = I - \alpha K + \alpha^2 M` (:func:`sgd_second_moment_map`, with
    K = Q⊗I + I⊗Q and M = E[H_𝓑 ⊗ H_𝓑]) preserves positive semidefinite matrices, so its
    spectral radius is its largest eigenvalue, and that is below 1 exactly when K − αM is
    positive definite on symmetric matrices: for

    .. math:: \alpha < \alpha_B = 1 / \lambda_{\max}(K^{-1} M).

    At B = N distinct examples, M = Q⊗Q and α_B = 2/λ_max, gradient descent's limit; the
    smaller B, the larger the fluctuation M − Q⊗Q = c_B (M₄ − Q⊗Q) and the smaller α_B. In
    one dimension it reads α_B = 2 E[h] / E[h²] for the minibatch curvature h = H_𝓑.

    Args:
        features: X, N × n (n ≤ 40: the map is n² × n²).
        batch_size: B.
        replace: draws with replacement (True) or B distinct examples (False).

    >>> X = np.array([[1.0], [3.0]])  # Curvatures 1 and 9, mean 5: GD's limit is 2/5.
    >>> print(f"{sgd_mean_square_stability_limit(X, 1):.4f} {float(stability_limit(5.0)):.4f}")
    0.2439 0.4000
    """
    X = _features("sgd_mean_square_stability_limit", features)
    _, K, M = _second_moment_parts(X, batch_size, replace)
    D = _symmetric_basis(X.shape[1])
    K, M = D.T @ K @ D, D.T @ M @ D
    L = np.linalg.cholesky(K)  # K is positive definite when Q is.
    W = np.linalg.solve(L, np.linalg.solve(L, M).T)  # L⁻¹ M L⁻ᵀ, symmetric.
    return float(1.0 / np.linalg.eigvalsh((W + W.T) / 2)[-1])


def sgd_noise_floor(
    features: ArrayLike, targets: ArrayLike, learning_rate: float, batch_size: int,
    replace: bool = True,
) -> float:
    r"""The loss gap E[L(w_t)] − L(ŵ) at which minibatch SGD on least squares settles.

    The stationary second moment solves :math:`S = T_\alpha(S) + \alpha^2 \Sigma_B`, with
    Σ_B = c_B Σ the covariance of g_𝓑 at ŵ (Σ that of one example's gradient), and the floor
    is ½ tr(QS). It counts the noise as it is: its size grows with the distance to ŵ, since
    g_𝓑(w) − ∇L(w) = (H_𝓑 − Q)(w − ŵ) + g_𝓑(ŵ). Dropping that growth (noise of fixed size,
    taken at ŵ) gives Σᵢ α sᵢ / (2(2 − αλᵢ)), sᵢ the variance of g_𝓑(ŵ) along Q's i-th
    eigenvector; the two agree to first order in α and part as α nears
    :func:`sgd_mean_square_stability_limit`, where this floor is infinite.

    Returns:
        the floor, ``math.inf`` at and above the mean-square stability limit.
    """
    X = _features("sgd_noise_floor", features)
    y = np.asarray(targets, dtype=float).reshape(-1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"sgd_noise_floor: {X.shape[0]} examples but {y.shape[0]} targets")
    N, n = X.shape
    a = float(learning_rate)
    if a <= 0 or a >= sgd_mean_square_stability_limit(X, batch_size, replace):
        return math.inf
    w = np.linalg.lstsq(X, y, rcond=None)[0]
    gradients = X * (X @ w - y)[:, None]  # ∇ℓᵢ(ŵ); their mean is 0.
    Sigma = _batch_factor(N, int(batch_size), replace) * gradients.T @ gradients / N
    T = sgd_second_moment_map(X, a, batch_size, replace)
    S = np.linalg.solve(np.eye(n * n) - T, a * a * Sigma.ravel()).reshape(n, n)
    return float(0.5 * np.trace((X.T @ X / N) @ S))




# ---------------------------------------------------------------------------------------
# SGD on the noisy quadratic: exact mean and variance of every eigencomponent.
#
# The noisy quadratic of Part II (Zhang et al. 2019): L(θ) = ½ θᵀQθ, θ* = 0,
# Q = R diag(λ₁, …, λₙ) Rᵀ, and the stochastic gradient at θ is g = Qθ + ξ with
# ξ ~ N(0, Σ/B) drawn afresh at every step. By default Σ = σ²Q (the noise covariance is
# proportional to the curvature). Along the i-th eigenvector a step of SGD reads
#     θᵢ ← (1 − α_k λᵢ) θᵢ − α_k ξᵢ,    Var ξᵢ = sᵢ  (= σ² λᵢ / B by default),
# and since ξ is independent of θ, the mean and the variance of θᵢ follow
#     m ← (1 − αλᵢ) m,    v ← (1 − αλᵢ)² v + α² sᵢ.
# These functions work in NumPy float64 on concrete values.

__all__ += [
    "noisy_quadratic_noise_variances",
    "noisy_quadratic_moments",
    "noisy_quadratic_expected_loss",
    "noise_ball_variance",
]


def _nonnegative(where: str, name: str, value: ArrayLike) -> np.ndarray:
    """``value`` as a float64 array, checked finite and ≥ 0."""
    try:
        x = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: {name} must be numbers, got {value!r}") from None
    if not np.all(np.isfinite(x) & (x >= 0)):
        raise ValueError(f"{where}: {name} must be finite and ≥ 0, got {value!r}")
    return x


def _variances(where: str, variance: ArrayLike) -> np.ndarray:
    """Variances as a float64 array: ≥ 0 or NaN (a step before an average starts), never inf."""
    v = np.asarray(variance, dtype=float)
    if np.any(v < 0) or np.any(np.isinf(v)):
        raise ValueError(f"{where}: variance must be ≥ 0 and finite (or NaN), got {variance!r}")
    return v


def _spectrum(where: str, eigenvalues: ArrayLike, positive: bool) -> np.ndarray:
    """The eigenvalues as a 1-D float64 array, checked positive (or ≥ 0)."""
    lam = np.atleast_1d(np.asarray(eigenvalues, dtype=float))
    if lam.ndim != 1 or lam.size == 0:
        raise ValueError(
            f"{where}: eigenvalues must be a non-empty list of numbers, got {eigenvalues!r}")
    ok = np.isfinite(lam) & ((lam > 0) if positive else (lam >= 0))
    if not np.all(ok):
        kind = "positive" if positive else "≥ 0"
        raise ValueError(f"{where}: eigenvalues must be finite and {kind}, got {eigenvalues!r}")
    return lam


def _moments(where: str, lam: np.ndarray, mean: ArrayLike, variance: ArrayLike
             ) -> tuple[np.ndarray, np.ndarray]:
    """Means and variances per eigencomponent, their last axis one per eigenvalue."""
    m = np.asarray(mean, dtype=float)
    v = _variances(where, variance)
    if m.shape[-1:] != lam.shape or v.shape[-1:] != lam.shape:
        raise ValueError(
            f"{where}: mean and variance must end in {lam.size} (one per eigenvalue), "
            f"got shapes {m.shape} and {v.shape}")
    return m, v


def _per_component(where: str, name: str, value: ArrayLike, n: int) -> np.ndarray:
    """A number or n numbers, ≥ 0, as an array of shape (n,)."""
    x = _nonnegative(where, name, value)
    try:
        return np.broadcast_to(x, (n,)).astype(float)
    except ValueError:
        raise ValueError(
            f"{where}: {name} must be one number or {n} (one per eigenvalue), "
            f"got shape {x.shape}") from None


def noisy_quadratic_noise_variances(
    eigenvalues: ArrayLike, scale: float = 1.0, batch_size: int = 1
) -> np.ndarray:
    r"""The default gradient-noise variances of the noisy quadratic: :math:`s_i = \sigma^2\lambda_i / B`.

    The noise covariance Σ/B with :math:`\Sigma = \sigma^2 Q` (Zhang et al. 2019) is diagonal
    in Q's eigenbasis, with variance :math:`\sigma^2\lambda_i/B` along the i-th eigenvector.

    Args:
        eigenvalues: λᵢ ≥ 0.
        scale: σ² ≥ 0.
        batch_size: B, an integer ≥ 1.

    >>> print(noisy_quadratic_noise_variances([1.0, 4.0], scale=2.0, batch_size=8))
    [0.25 1.  ]
    """
    lam = _spectrum("noisy_quadratic_noise_variances", eigenvalues, positive=False)
    scale = float(_nonnegative("noisy_quadratic_noise_variances", "scale", scale))
    if not (float(batch_size) == int(batch_size) and int(batch_size) >= 1):
        raise ValueError(
            f"noisy_quadratic_noise_variances: batch_size must be an integer ≥ 1, got {batch_size!r}")
    return scale * lam / int(batch_size)


def noisy_quadratic_moments(
    eigenvalues: ArrayLike, noise_variances: ArrayLike, learning_rates: ArrayLike,
    init: ArrayLike, init_variance: ArrayLike = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    r"""The exact mean and variance of every eigencomponent of SGD on the noisy quadratic.

    SGD :math:`\theta_{k+1} = \theta_k - \alpha_k (Q\theta_k + \xi_k)`, with
    :math:`\xi_k` independent across steps, of mean 0 and variance :math:`s_i` along the
    i-th eigenvector of Q, moves the i-th eigencomponent as
    :math:`\theta_{i,k+1} = (1 - \alpha_k\lambda_i)\theta_{i,k} - \alpha_k\xi_{i,k}`, so

    .. math::
        m_{i,k+1} = (1 - \alpha_k\lambda_i)\, m_{i,k}, \qquad
        v_{i,k+1} = (1 - \alpha_k\lambda_i)^2\, v_{i,k} + \alpha_k^2 s_i

    for :math:`m_{i,k} = \mathbb E\,\theta_{i,k}` and :math:`v_{i,k} = \operatorname{Var}\theta_{i,k}`.
    It holds for any sequence of learning rates (a schedule drawn as
    ``schedule(jnp.arange(T))``) and any noise distribution with these variances; Gaussian
    noise makes each θ_{i,k} Gaussian too.

    Args:
        eigenvalues: λ₁, …, λₙ ≥ 0 (λᵢ = 0: a flat direction, where θᵢ is a random walk).
        noise_variances: s₁, …, sₙ ≥ 0, or one number for all.
            :func:`noisy_quadratic_noise_variances` gives the default σ²λᵢ/B.
        learning_rates: α₀, …, α_{T−1} ≥ 0, a 1-D array (T ≥ 0).
        init: θ₀ in the eigenbasis, :math:`R^\top\theta_0`: n numbers, or one for all.
        init_variance: the variance of θ₀'s components (0 for a fixed start).

    Returns:
        (mean, variance), each of shape (T + 1, n): row k is step k, row 0 the start.

    >>> m, v = noisy_quadratic_moments([1.0], [1.0], np.full(3, 0.5), [2.0])
    >>> print(m[:, 0], v[:, 0])
    [2.   1.   0.5  0.25] [0.       0.25     0.3125   0.328125]
    """
    where = "noisy_quadratic_moments"
    lam = _spectrum(where, eigenvalues, positive=False)
    n = lam.size
    s = _per_component(where, "noise_variances", noise_variances, n)
    alpha = _nonnegative(where, "learning_rates", learning_rates)
    if alpha.ndim != 1:
        raise ValueError(f"{where}: learning_rates must be a 1-D array, got shape {alpha.shape}")
    try:
        x0 = np.broadcast_to(np.asarray(init, dtype=float), (n,))
    except ValueError:
        raise ValueError(f"{where}: init must be one number or {n}, got {init!r}") from None
    if not np.all(np.isfinite(x0)):
        raise ValueError(f"{where}: init must be finite, got {init!r}")
    v0 = _per_component(where, "init_variance", init_variance, n)
    T = alpha.size
    mean, variance = np.empty((T + 1, n)), np.empty((T + 1, n))
    mean[0], variance[0] = x0, v0
    factors = 1 - alpha[:, None] * lam  # (1 − α_k λᵢ), shape (T, n).
    mean[1:] = x0 * np.cumprod(factors, axis=0)  # m_k = m₀ ∏_{j<k} (1 − α_j λᵢ).
    kicks = alpha[:, None] ** 2 * s  # α_k² sᵢ.
    v = v0.copy()
    for k in range(T):
        v = factors[k] ** 2 * v + kicks[k]  # v ← (1 − αλ)² v + α² s.
        variance[k + 1] = v
    return mean, variance


def noisy_quadratic_expected_loss(
    eigenvalues: ArrayLike, mean: ArrayLike, variance: ArrayLike
) -> np.ndarray:
    r"""The expected loss :math:`\mathbb E\,L(\theta_k) = \tfrac12\sum_i \lambda_i (m_{i,k}^2 + v_{i,k})`.

    Args:
        eigenvalues: λ₁, …, λₙ ≥ 0.
        mean, variance: the moments of :func:`noisy_quadratic_moments`, shape (…, n).

    Returns:
        shape (…): one expected loss per step (NaN where the moments are NaN, as before
        an average starts). L(θ*) = 0, so it is the expected suboptimality.

    >>> print(noisy_quadratic_expected_loss([1.0, 4.0], [[1.0, 0.0]], [[0.0, 0.5]]))
    [1.5]
    """
    where = "noisy_quadratic_expected_loss"
    lam = _spectrum(where, eigenvalues, positive=False)
    m, v = _moments(where, lam, mean, variance)
    return 0.5 * np.sum(lam * (m**2 + v), axis=-1)


def noise_ball_variance(
    learning_rate: ArrayLike, eigenvalues: ArrayLike, noise_variances: ArrayLike
) -> np.ndarray:
    r"""The stationary variance of each eigencomponent of SGD at a constant learning rate.

    .. math::
        v_i^\infty = \frac{\alpha s_i}{\lambda_i (2 - \alpha\lambda_i)}

    the fixed point of :math:`v \leftarrow (1 - \alpha\lambda_i)^2 v + \alpha^2 s_i`, reached
    from any start when :math:`0 < \alpha\lambda_i < 2`. It is about α sᵢ / (2λᵢ) for small α:
    a noise ball whose variance is proportional to α (and to 1/B, through sᵢ). With the
    default sᵢ = σ²λᵢ/B, its share of the expected loss, ½λᵢvᵢ, is ασ²λᵢ / (2B(2 − αλᵢ)).

    Returns ``inf`` (no error) where :math:`\alpha\lambda_i \ge 2`: the variance then grows
    without bound (or, at αλᵢ = 2 exactly, linearly). Invalid arguments (α < 0, λᵢ ≤ 0,
    sᵢ < 0, not finite) raise a ``ValueError``.

    Args:
        learning_rate: α ≥ 0; an array of them gives shape α.shape + (n,).
        eigenvalues: λ₁, …, λₙ > 0.
        noise_variances: s₁, …, sₙ ≥ 0, or one number for all.

    >>> print(noise_ball_variance(0.5, [1.0, 4.0], [1.0, 1.0]))
    [0.33333333        inf]
    """
    where = "noise_ball_variance"
    lam = _spectrum(where, eigenvalues, positive=True)
    s = _per_component(where, "noise_variances", noise_variances, lam.size)
    alpha = _nonnegative(where, "learning_rate", learning_rate)[..., None]
    room = 2 - alpha * lam  # 2 − αλᵢ; ≤ 0 outside the stable range.
    with np.errstate(divide="ignore", invalid="ignore"):
        ball = alpha * s / (lam * room)
    return np.where(room > 0, ball, np.inf)


# ---------------------------------------------------------------------------------------
# SGD on the noisy quadratic: decreasing steps, iterate averaging, and the convex bound.

__all__ += [
    "noisy_quadratic_gradient_second_moment",
    "robbins_monro_exponent",
    "robbins_monro_constant",
    "averaged_iterate_moments",
    "polyak_ruppert_variance",
    "averaged_sgd_bound",
]


def noisy_quadratic_gradient_second_moment(
    eigenvalues: ArrayLike, noise_variances: ArrayLike, mean: ArrayLike, variance: ArrayLike
) -> np.ndarray:
    r""":math:`\mathbb E\lVert g_k\rVert^2 = \sum_i \lambda_i^2 (m_{i,k}^2 + v_{i,k}) + \sum_i s_i`.

    The expected squared norm of the stochastic gradient g = Qθ + ξ at the k-th iterate,
    from the moments of :func:`noisy_quadratic_moments`: the "G²" that the convex bound
    (:func:`averaged_sgd_bound`) assumes, measured along the run.

    Returns:
        shape (…): one value per step.

    >>> print(noisy_quadratic_gradient_second_moment([2.0], [0.5], [[1.0]], [[0.25]]))
    [5.5]
    """
    where = "noisy_quadratic_gradient_second_moment"
    lam = _spectrum(where, eigenvalues, positive=False)
    s = _per_component(where, "noise_variances", noise_variances, lam.size)
    m, v = _moments(where, lam, mean, variance)
    return np.sum(lam**2 * (m**2 + v), axis=-1) + np.sum(s)


def robbins_monro_exponent(c: float, strong_convexity: float) -> float:
    r"""The p in :math:`\mathbb E\lVert\theta_k - \theta^\star\rVert^2 \asymp k^{-p}` for α_k = c/(k + k₀).

    .. math::
        p = \min(1,\ 2c\mu)

    on the noisy quadratic with smallest eigenvalue μ and noise of positive variance along
    its eigenvector (the slowest component sets the rate). For 2cμ > 1 the noise sets the
    rate: :math:`\mathbb E\,\theta_{i,k}^2 \approx c^2 s_i / ((2c\lambda_i - 1)\,k)`
    (:func:`robbins_monro_constant`). For 2cμ < 1 the start is forgotten too slowly: the
    mean decays as :math:`\prod_j (1 - c\mu/(j + k_0)) \asymp k^{-c\mu}`, and the noise
    added early decays at the same rate, so the squared error decays as :math:`k^{-2c\mu}`,
    arbitrarily slowly as c → 0. At 2cμ = 1 exactly it is :math:`\asymp \log k / k`
    (reported as p = 1).

    Args:
        c: the schedule's constant, > 0.
        strong_convexity: μ = λ_min > 0.

    >>> robbins_monro_exponent(1.0, 0.1), robbins_monro_exponent(10.0, 0.1)
    (0.2, 1.0)
    """
    c = float(c)
    mu = float(strong_convexity)
    if not (math.isfinite(c) and c > 0):
        raise ValueError(f"robbins_monro_exponent: c must be positive, got {c}")
    if not (math.isfinite(mu) and mu > 0):
        raise ValueError(f"robbins_monro_exponent: strong_convexity must be positive, got {mu}")
    return min(1.0, 2 * c * mu)


def robbins_monro_constant(
    c: float, eigenvalues: ArrayLike, noise_variances: ArrayLike
) -> float:
    r"""The limit of :math:`k\,\mathbb E\lVert\theta_k - \theta^\star\rVert^2` for α_k = c/(k + k₀).

    .. math::
        \lim_{k\to\infty} k\,\mathbb E\lVert\theta_k\rVert^2 = \sum_i \frac{c^2 s_i}{2c\lambda_i - 1}
        \qquad (2c\lambda_{\min} > 1)

    for the noisy quadratic, whatever θ₀ and k₀. Writing :math:`v_k \approx C/k` in
    :math:`v_{k+1} = (1 - c\lambda/k)^2 v_k + c^2 s/k^2` gives
    :math:`-C/k^2 = -2c\lambda C/k^2 + c^2 s/k^2` to leading order. Each term is smallest at
    c = 1/λᵢ, where it is :math:`s_i/\lambda_i^2`. Returns ``inf`` when 2cλ_min ≤ 1: the
    error then decays more slowly than 1/k (:func:`robbins_monro_exponent`).

    >>> print(f"{robbins_monro_constant(2.0, [1.0], [1.0]):.4f}")
    1.3333
    """
    where = "robbins_monro_constant"
    c = float(c)
    if not (math.isfinite(c) and c > 0):
        raise ValueError(f"{where}: c must be positive, got {c}")
    lam = _spectrum(where, eigenvalues, positive=True)
    s = _per_component(where, "noise_variances", noise_variances, lam.size)
    if 2 * c * lam.min() <= 1:
        return math.inf
    return float(np.sum(c * c * s / (2 * c * lam - 1)))


def averaged_iterate_moments(
    eigenvalues: ArrayLike, noise_variances: ArrayLike, learning_rates: ArrayLike,
    init: ArrayLike, init_variance: ArrayLike = 0.0, weights: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""The exact mean and variance of the averaged iterate of SGD on the noisy quadratic.

    The running (Polyak–Ruppert) average of the iterates,

    .. math::
        \bar\theta_k = \frac{\sum_{j \le k} w_j\,\theta_j}{\sum_{j \le k} w_j},

    with weights :math:`w_j = 1` by default (the plain average of θ₀, …, θ_k). Its mean is
    the average of the means; its variance needs the covariances of the iterates, and since
    :math:`\theta_{i,j+1} = r_j\theta_{i,j} - \alpha_j\xi_{i,j}` with
    :math:`r_j = 1 - \alpha_j\lambda_i` and ξ independent of the past, the sum
    :math:`S_k = \sum_{j\le k} w_j\theta_j` obeys, exactly, with
    :math:`c_k = \operatorname{Cov}(S_{k-1}, \theta_k)`:

    .. math::
        \operatorname{Var} S_k = \operatorname{Var} S_{k-1} + w_k^2 v_k + 2 w_k c_k, \qquad
        c_{k+1} = r_k\,(c_k + w_k v_k).

    Args:
        eigenvalues, noise_variances, learning_rates, init, init_variance: as for
            :func:`noisy_quadratic_moments`.
        weights: w₀, …, w_T ≥ 0 (T + 1 numbers); zeros first leave out a burn-in.

    Returns:
        (mean, variance), each of shape (T + 1, n): row k is θ̄_k; NaN where no weight has
        been given yet.

    >>> m, v = averaged_iterate_moments([1.0], [1.0], np.full(2, 0.5), [0.0])
    >>> print(v[:, 0] * 9)  # θ₀ = 0, θ₁ = −ξ₀/2, θ₂ = −ξ₀/4 − ξ₁/2: (9/16 + 1/4)/9 at k = 2.
    [0.     0.5625 0.8125]
    """
    where = "averaged_iterate_moments"
    mean, variance = noisy_quadratic_moments(
        eigenvalues, noise_variances, learning_rates, init, init_variance)
    lam = _spectrum(where, eigenvalues, positive=False)
    alpha = np.asarray(learning_rates, dtype=float)
    T = alpha.size
    if weights is None:
        w = np.ones(T + 1)
    else:
        w = _nonnegative(where, "weights", weights)
        if w.shape != (T + 1,):
            raise ValueError(f"{where}: weights must be T + 1 = {T + 1} numbers, got shape "
                             f"{w.shape}")
    total = np.cumsum(w)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg_mean = np.cumsum(w[:, None] * mean, axis=0) / total[:, None]
    factors = 1 - alpha[:, None] * lam  # r_k, shape (T, n).
    var_sum = np.empty_like(variance)
    s_var = np.zeros(lam.size)  # Var S_{k−1}.
    cov = np.zeros(lam.size)  # c_k = Cov(S_{k−1}, θ_k).
    for k in range(T + 1):
        s_var = s_var + w[k] ** 2 * variance[k] + 2 * w[k] * cov
        var_sum[k] = s_var
        if k < T:
            cov = factors[k] * (cov + w[k] * variance[k])
    with np.errstate(invalid="ignore", divide="ignore"):
        avg_var = var_sum / total[:, None] ** 2
    empty = total <= 0
    avg_mean[empty], avg_var[empty] = np.nan, np.nan
    return avg_mean, avg_var


def polyak_ruppert_variance(
    eigenvalues: ArrayLike, noise_variances: ArrayLike, steps: ArrayLike
) -> np.ndarray:
    r"""The variance of the average of K iterates of SGD at a constant α, for large K.

    .. math::
        \operatorname{Var}\bar\theta_{i,K} \approx \frac{s_i}{\lambda_i^2 K}

    independent of α, where the last iterate keeps the noise ball's
    :math:`\alpha s_i / (\lambda_i(2 - \alpha\lambda_i))` (:func:`noise_ball_variance`). From a
    stationary start the exact value is
    :math:`v^\infty\big[\tfrac{1 + r}{1 - r}\tfrac1K - \tfrac{2r(1 - r^K)}{(1 - r)^2K^2}\big]`
    with r = 1 − αλᵢ, and :math:`v^\infty (1 + r)/(1 - r) = s_i/\lambda_i^2`: this is its
    leading term, the asymptotic form (Polyak and Juditsky, 1992). It is the variance of
    :math:`Q^{-1}` times the average of K independent noises, the best any method using K
    noisy gradients can do. With sᵢ = σ²λᵢ/B its share of the expected loss,
    ½λᵢ Var θ̄ᵢ, is σ²/(2BK) for every component.

    Args:
        eigenvalues: λ₁, …, λₙ > 0.
        noise_variances: s₁, …, sₙ ≥ 0, or one number for all.
        steps: K ≥ 1, the number of iterates averaged; an array gives shape K.shape + (n,).

    >>> print(polyak_ruppert_variance([0.5, 2.0], 1.0, 1000))
    [0.004   0.00025]
    """
    where = "polyak_ruppert_variance"
    lam = _spectrum(where, eigenvalues, positive=True)
    s = _per_component(where, "noise_variances", noise_variances, lam.size)
    K = _nonnegative(where, "steps", steps)
    if not np.all(K >= 1):
        raise ValueError(f"{where}: steps must be ≥ 1, got {steps!r}")
    return s / (lam**2 * K[..., None])


def averaged_sgd_bound(
    distance: float, gradient_bound: float, learning_rates: ArrayLike
) -> float:
    r"""The bound on :math:`\mathbb E\,L(\bar\theta_K) - L^\star` of SGD on a convex loss.

    .. math::
        \mathbb E\,L(\bar\theta_K) - L^\star \le
        \frac{\lVert\theta_0 - \theta^\star\rVert^2 + G^2\sum_{k<K}\alpha_k^2}{2\sum_{k<K}\alpha_k},
        \qquad \bar\theta_K = \frac{\sum_{k<K}\alpha_k\theta_k}{\sum_{k<K}\alpha_k}

    for unbiased stochastic gradients with :math:`\mathbb E\lVert g_k\rVert^2 \le G^2` along
    the run (Nemirovski et al., 2009). With a constant α = c/√K over a horizon of K steps
    (θ̄_K the plain average of θ₀, …, θ_{K−1}) it is
    :math:`(\lVert\theta_0 - \theta^\star\rVert^2/c + cG^2)/(2\sqrt K)`: O(1/√K).

    Args:
        distance: ‖θ₀ − θ*‖ ≥ 0 (not squared).
        gradient_bound: G ≥ 0 (not squared).
        learning_rates: α₀, …, α_{K−1} ≥ 0, not all 0.

    >>> print(f"{averaged_sgd_bound(1.0, 1.0, np.full(100, 0.1)):.4f}")  # (1/c + c)/(2√K), c = 1.
    0.1000
    """
    where = "averaged_sgd_bound"
    D = float(_nonnegative(where, "distance", distance))
    G = float(_nonnegative(where, "gradient_bound", gradient_bound))
    alpha = _nonnegative(where, "learning_rates", learning_rates).reshape(-1)
    if alpha.sum() <= 0:
        raise ValueError(f"{where}: learning_rates must not all be 0")
    return float((D**2 + G**2 * np.sum(alpha**2)) / (2 * np.sum(alpha)))


# ---------------------------------------------------------------------------------------
# Per-coordinate step sizes: AdaGrad, RMSProp, Adadelta (the chapter "Adaptive methods").
# (section owned by the adaptive-chapter helper until issue 15 lands)

__all__ += [
    "adagrad_effective_learning_rate",
    "rmsprop_second_moment",
    "rmsprop_memory",
    "rmsprop_two_cycle",
    "adadelta_first_step",
    "adadelta_step_growth",
]


def _decay(where: str, name: str, value: ArrayLike) -> np.ndarray:
    """A decay rate ρ as a float64 array, checked in [0, 1)."""
    x = _nonnegative(where, name, value)
    if not np.all(x < 1):
        raise ValueError(f"{where}: {name} must be in [0, 1), got {value!r}")
    return x


def adagrad_effective_learning_rate(learning_rate: ArrayLike, gradient: ArrayLike,
                                    steps: ArrayLike, eps: ArrayLike = 0.0) -> np.ndarray:
    r"""AdaGrad's step size per unit gradient after t equal gradients: α/(|g|√t + ε).

    From v₀ = 0, t gradients equal to g give :math:`v_t = t g^2`, so the t-th update is
    :math:`-\frac{\alpha}{\sqrt{t}\,|g| + \epsilon}\, g`: its size, α|g|/(|g|√t + ε), is
    about α/√t whatever |g| is, and the step size per unit gradient only shrinks.

    Args:
        learning_rate: α ≥ 0.
        gradient: g, the constant gradient (its size is used).
        steps: t ≥ 1, the number of gradients summed so far, this one included.
        eps: ε ≥ 0, added to √v as :func:`descent.optimizers.adagrad` does.

    >>> print(adagrad_effective_learning_rate(0.1, 2.0, 100))
    0.005
    """
    where = "adagrad_effective_learning_rate"
    a = _nonnegative(where, "learning_rate", learning_rate)
    g = np.abs(np.asarray(gradient, dtype=float))
    t = _steps(where, steps)
    e = _nonnegative(where, "eps", eps)
    return a / (g * np.sqrt(t) + e)


def rmsprop_second_moment(gradient: ArrayLike, decay: ArrayLike, steps: ArrayLike) -> np.ndarray:
    r"""RMSProp's v after t equal gradients g, from v₀ = 0: :math:`(1 - \rho^t)\, g^2`.

    :math:`v_t = (1 - \rho)\sum_{s=1}^t \rho^{t-s} g^2`, a geometric sum. Its limit, the
    stationary v, is g²; the factor 1 − ρ^t is the bias of the average started at 0,
    which Adam divides out and RMSProp does not: its first steps are
    :math:`1/\sqrt{1 - \rho^t}` times larger than its later ones.

    >>> print(rmsprop_second_moment(1.0, 0.9, [1, 10, 1000]).round(4))
    [0.1    0.6513 1.    ]
    """
    where = "rmsprop_second_moment"
    g = np.asarray(gradient, dtype=float)
    rho = _decay(where, "decay", decay)
    t = _steps(where, steps)
    return (1 - rho**t) * g**2


def rmsprop_memory(decay: ArrayLike) -> np.ndarray:
    r"""The effective memory of an exponential average, 1/(1 − ρ) steps.

    The weight of the gradient s steps back is :math:`(1 - \rho)\rho^s`; the weights sum
    to 1, and 1/(1 − ρ) steps at the newest weight 1 − ρ would sum to 1 too. The last
    1/(1 − ρ) gradients carry a weight :math:`1 - \rho^{1/(1-\rho)}`, about 1 − 1/e.

    >>> print(rmsprop_memory([0.9, 0.99, 0.999]))
    [  10.  100. 1000.]
    """
    rho = _decay("rmsprop_memory", "decay", decay)
    return 1 / (1 - rho)


def rmsprop_two_cycle(learning_rate: ArrayLike, eigenvalue: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    r"""RMSProp's 2-cycle on :math:`\tfrac12\lambda\theta^2` with ε = 0: θ = ±α/2, loss λα²/8.

    If θ alternates between a and −a, every gradient has the size λa, so v settles at
    λ²a² and each step is :math:`\alpha\lambda a/(\lambda a) = \alpha`: the cycle closes when
    2a = α. Whatever λ and ρ, the cycle is at ±α/2 and its loss is λα²/8. Returns
    (amplitude α/2, loss λα²/8).

    >>> amplitude, loss = rmsprop_two_cycle(0.04, 10.0)
    >>> print(amplitude, round(float(loss), 6))
    0.02 0.002
    """
    where = "rmsprop_two_cycle"
    a = _nonnegative(where, "learning_rate", learning_rate)
    lam = _nonnegative(where, "eigenvalue", eigenvalue)
    return a / 2, lam * a**2 / 8


def adadelta_first_step(gradient: ArrayLike, rho: ArrayLike, eps: ArrayLike) -> np.ndarray:
    r"""The size of Adadelta's first step (α = 1): :math:`\sqrt\epsilon\,|g|/\sqrt{(1 - \rho)g^2 + \epsilon}`.

    Both averages start at 0: :math:`E[g^2]_1 = (1 - \rho)g^2` and
    :math:`E[\Delta\theta^2]_0 = 0`, so the numerator RMS[Δθ] is √ε. When
    ε ≪ (1 − ρ)g² the step is about :math:`\sqrt{\epsilon/(1 - \rho)}`, whatever g.

    >>> print(round(float(adadelta_first_step(100.0, 0.95, 1e-6)), 6))
    0.004472
    """
    where = "adadelta_first_step"
    g = np.abs(np.asarray(gradient, dtype=float))
    r = _decay(where, "rho", rho)
    e = _positive(where, "eps", eps)
    return np.sqrt(e) * g / np.sqrt((1 - r) * g**2 + e)


def adadelta_step_growth(rho: ArrayLike, eps: ArrayLike) -> np.ndarray:
    r"""How fast Adadelta's E[Δθ²] grows under equal gradients once E[g²] has settled: (1 − ρ)ε a step.

    With E[g²] = g² (and ε ≪ g²) the step is :math:`\Delta\theta_t^2 = E[\Delta\theta^2]_{t-1} + \epsilon`,
    so :math:`E[\Delta\theta^2]_t = \rho E[\Delta\theta^2]_{t-1} + (1 - \rho)(E[\Delta\theta^2]_{t-1} + \epsilon)
    = E[\Delta\theta^2]_{t-1} + (1 - \rho)\epsilon`: the squared step grows by (1 − ρ)ε at every step,
    and the step like :math:`\sqrt{(1 - \rho)\epsilon\, t}`, without bound.

    >>> print(f"{adadelta_step_growth(0.95, 1e-6):.3g}")
    5e-08
    """
    where = "adadelta_step_growth"
    r = _decay(where, "rho", rho)
    e = _positive(where, "eps", eps)
    return (1 - r) * e


# ---------------------------------------------------------------------------------------
# Adam and its family: bias correction, Reddi et al.'s counterexample, AdamW (the chapter "Adam").
# (section owned by the adam-chapter helper until issue 15 lands)

# Adam's moments are exponential averages that start at zero: with stationary gradients
# E m_t = (1 − β₁^t) E g and E v_t = (1 − β₂^t) E g², whence the bias corrections. The
# step m̂/√v̂ is bounded (Cauchy–Schwarz) when β₁² < β₂. Reddi et al.'s online problem
# (descent.problems.reddi_counterexample): the regret of a run and Adam's drift per period.
# AdamW against L2 inside Adam on a diagonal quadratic: the two fixed points. NumPy float64
# on concrete values.

__all__ += [
    "adam_bias_correction",
    "adam_uncorrected_step_ratio",
    "adam_spike_step",
    "adam_step_bound",
    "reddi_coefficients",
    "reddi_regret",
    "reddi_average_regret",
    "reddi_period_drift",
    "l2_adam_fixed_point",
    "adamw_fixed_point",
]


def _adam_decay(where: str, name: str, value: ArrayLike) -> np.ndarray:
    b = np.asarray(value, dtype=float)
    if np.any((b < 0) | (b >= 1)) or not np.all(np.isfinite(b)):
        raise ValueError(f"{where}: {name} must be in [0, 1), got {value!r}")
    return b


def _adam_steps(where: str, t: ArrayLike) -> np.ndarray:
    t = np.asarray(t)
    if np.any(t < 1) or np.any(t != np.round(t)):
        raise ValueError(f"{where}: the step t must be a whole number ≥ 1, got {t!r}")
    return t.astype(float)


def adam_bias_correction(decay: ArrayLike, t: ArrayLike) -> np.ndarray:
    r"""1 − β^t: the factor by which an average that starts at 0 underestimates its target.

    With stationary gradients, :math:`m_t = (1 - \beta_1)\sum_{s \le t}\beta_1^{t-s} g_s` has
    :math:`\mathbb E\, m_t = (1 - \beta_1^t)\,\mathbb E\, g`, and likewise v_t with β₂ and g²;
    Adam divides by this factor.

    >>> print(f"{adam_bias_correction(0.999, 1):.3f} {adam_bias_correction(0.9, 10):.4f}")
    0.001 0.6513
    """
    b = _adam_decay("adam_bias_correction", "decay", decay)
    return 1 - b ** _adam_steps("adam_bias_correction", t)


def adam_uncorrected_step_ratio(b1: ArrayLike, b2: ArrayLike, t: ArrayLike) -> np.ndarray:
    r"""Adam's step without bias correction over its step with it, under a constant gradient.

    :math:`\dfrac{m_t/\sqrt{v_t}}{\hat m_t/\sqrt{\hat v_t}} = \dfrac{1 - \beta_1^t}{\sqrt{1 - \beta_2^t}}`
    (ε = 0). The corrected step is α in every coordinate; the uncorrected one starts at
    (1 − β₁)/√(1 − β₂) α, 3.16α for the defaults, and tends to α only after ~1/(1 − β₂) steps.

    >>> print(f"{adam_uncorrected_step_ratio(0.9, 0.999, 1):.3f}")
    3.162
    """
    where = "adam_uncorrected_step_ratio"
    b1, b2, t = _adam_decay(where, "b1", b1), _adam_decay(where, "b2", b2), _adam_steps(where, t)
    return (1 - b1**t) / np.sqrt(1 - b2**t)


def adam_spike_step(b1: ArrayLike, b2: ArrayLike, t: ArrayLike) -> np.ndarray:
    r"""|m̂_t/√v̂_t| when the gradient is zero at every step but the last: Kingma and Ba's case.

    :math:`\dfrac{1 - \beta_1}{1 - \beta_1^t}\sqrt{\dfrac{1 - \beta_2^t}{1 - \beta_2}}`, which
    tends to (1 − β₁)/√(1 − β₂) as t grows: above 1 exactly when 1 − β₁ > √(1 − β₂) (the
    condition of their §2.1).

    >>> print(f"{adam_spike_step(0.9, 0.999, 10**6):.3f}")
    3.162
    """
    where = "adam_spike_step"
    b1, b2, t = _adam_decay(where, "b1", b1), _adam_decay(where, "b2", b2), _adam_steps(where, t)
    return (1 - b1) / (1 - b1**t) * np.sqrt((1 - b2**t) / (1 - b2))


def adam_step_bound(b1: ArrayLike, b2: ArrayLike, t: ArrayLike | None = None) -> np.ndarray:
    r"""The largest |m̂_t/√v̂_t| over all gradient sequences (ε = 0): Adam's step over α.

    By Cauchy–Schwarz, with γ = β₁²/β₂,

    .. math::
        \left|\frac{\hat m_t}{\sqrt{\hat v_t}}\right| \le \frac{1 - \beta_1}{1 - \beta_1^t}
        \sqrt{\frac{1 - \beta_2^t}{1 - \beta_2}\sum_{k=0}^{t-1}\gamma^k},

    with equality for the gradients :math:`g_s \propto (\beta_1/\beta_2)^{t-s}`. As t → ∞ the
    bound tends to :math:`(1 - \beta_1)/\sqrt{(1 - \beta_2)(1 - \gamma)}` if β₁² < β₂ and grows
    without limit if β₁² ≥ β₂. ``t=None`` gives the limit (inf when β₁² ≥ β₂).

    >>> print(f"{adam_step_bound(0.9, 0.999, 1):.1f} {adam_step_bound(0.9, 0.999):.3f}")
    1.0 7.270
    """
    where = "adam_step_bound"
    b1, b2 = _adam_decay(where, "b1", b1), _adam_decay(where, "b2", b2)
    if np.any(b2 == 0):
        raise ValueError(f"{where}: b2 must be positive (β₂ = 0 makes the step exactly ±1)")
    gamma = b1**2 / b2
    if t is None:
        with np.errstate(divide="ignore"):
            return np.where(gamma < 1, (1 - b1) / np.sqrt((1 - b2) * np.abs(1 - gamma)), np.inf)
    t = _adam_steps(where, t)
    series = np.where(np.isclose(gamma, 1.0), t, (1 - gamma**t) / np.where(
        np.isclose(gamma, 1.0), 1.0, 1 - gamma))
    return (1 - b1) / (1 - b1**t) * np.sqrt((1 - b2**t) / (1 - b2) * series)


def _reddi_C(where: str, C: float) -> float:
    C = float(C)
    if not (np.isfinite(C) and C > 2):
        raise ValueError(f"{where}: C must be above 2, got {C!r}")
    return C


def reddi_coefficients(C: float, T: int) -> np.ndarray:
    """c_1, …, c_T: the slopes of Reddi et al.'s losses f_t(x) = c_t x (C when t mod 3 = 1).

    >>> print(reddi_coefficients(3.0, 5))
    [ 3. -1. -1.  3. -1.]
    """
    C = _reddi_C("reddi_coefficients", C)
    t = np.arange(1, int(T) + 1)
    return np.where(t % 3 == 1, C, -1.0)


def reddi_regret(x: ArrayLike, C: float) -> np.ndarray:
    r"""R_1, …, R_T: the regret of playing x_1, …, x_T on Reddi et al.'s problem.

    :math:`R_t = \sum_{s \le t} f_s(x_s) - \min_{|x| \le 1}\sum_{s \le t} f_s(x)
    = \sum_{s \le t} c_s x_s + \bigl|\sum_{s \le t} c_s\bigr|`, the losses being linear.
    Divide by t for the average regret.

    >>> print(reddi_regret([1.0, 1.0, 1.0], 3.0))
    [6. 4. 2.]
    """
    x = np.asarray(x, dtype=float).reshape(-1)
    c = reddi_coefficients(C, x.size)
    return np.cumsum(c * x) + np.abs(np.cumsum(c))


def reddi_average_regret(x: ArrayLike, C: float) -> np.ndarray:
    r"""The limit of R_T/T when a fixed point x ∈ [−1, 1] is played at every step.

    Each period of three steps costs (C − 2)x, against −(C − 2) at the best point −1, so
    :math:`R_T/T \to (1 + x)(C - 2)/3`: 2(C − 2)/3 at x = +1, 0 at x = −1 (exactly, at every
    T that is a multiple of 3).

    >>> print(f"{reddi_average_regret(1.0, 3.0):.4f}")
    0.6667
    """
    C = _reddi_C("reddi_average_regret", C)
    x = np.asarray(x, dtype=float)
    if np.any(np.abs(x) > 1):
        raise ValueError(f"reddi_average_regret: x must be in [-1, 1], got {x!r}")
    return (1 + x) * (C - 2) / 3


def reddi_period_drift(C: float, b2: float | None = None, amsgrad: bool = False) -> float:
    r"""How far Adam (β₁ = 0, ε = 0) moves over one period of three steps, in units of α.

    In the periodic steady state of v (bias correction spent), the step after the gradient C
    is −C/√v_a and the two after the gradients −1 are +1/√v_b and +1/√v_c, where
    v_a = β₂v_c + (1 − β₂)C², v_b = β₂v_a + (1 − β₂), v_c = β₂v_b + (1 − β₂). The sum is the
    drift per period at a constant α (away from the bounds); positive means towards +1.
    AMSGrad with bias correction (descent's and optax's) divides all three steps by the
    largest v̂ so far, which is v̂₁ = C², since every later v̂ is an average of C² and 1:
    its drift is (2 − C)/C, negative for every C > 2. ``b2=None`` is Reddi et al.'s
    β₂ = 1/(1 + C²).

    >>> print(f"{reddi_period_drift(3.0):.4f} {reddi_period_drift(3.0, amsgrad=True):.4f}")
    0.6809 -0.3333
    """
    C = _reddi_C("reddi_period_drift", C)
    b = 1 / (1 + C**2) if b2 is None else float(_adam_decay("reddi_period_drift", "b2", b2))
    q = 1 - b
    v_a = (b**2 * q + b * q + q * C**2) / (1 - b**3)  # v_a = b(b(b v_a + q) + q) + q C².
    v_b = b * v_a + q
    v_c = b * v_b + q
    if amsgrad:
        return (2 - C) / C  # Every step divided by √(max v̂) = C.
    return float(-C / np.sqrt(v_a) + 1 / np.sqrt(v_b) + 1 / np.sqrt(v_c))


def _diagonal_quadratic(where, eigenvalues, center, weight_decay):
    lam = np.asarray(eigenvalues, dtype=float)
    c = np.broadcast_to(np.asarray(center, dtype=float), lam.shape)
    wd = float(weight_decay)
    if np.any(lam <= 0) or not np.all(np.isfinite(lam)):
        raise ValueError(f"{where}: eigenvalues must be positive, got {eigenvalues!r}")
    if not (np.isfinite(wd) and wd > 0):
        raise ValueError(f"{where}: weight_decay must be positive, got {weight_decay!r}")
    return lam, c, wd


def l2_adam_fixed_point(eigenvalues: ArrayLike, center: ArrayLike,
                        weight_decay: float) -> np.ndarray:
    r"""Where Adam on L(θ) + λ‖θ‖²/2 stops, for L(θ) = ½ Σᵢ λᵢ(θᵢ − cᵢ)².

    Adam stops only where its gradient vanishes, ∇L(θ) + λθ = 0: the minimizer of the
    regularized loss, θᵢ = λᵢcᵢ/(λᵢ + λ). The flat coordinates shrink most.

    >>> print(l2_adam_fixed_point([0.1, 10.0], [3.0, 3.0], 0.5))
    [0.5        2.85714286]
    """
    lam, c, wd = _diagonal_quadratic("l2_adam_fixed_point", eigenvalues, center, weight_decay)
    return lam * c / (lam + wd)


def adamw_fixed_point(eigenvalues: ArrayLike, center: ArrayLike, weight_decay: float,
                      eps: float = 0.0) -> np.ndarray:
    r"""Where AdamW stops on L(θ) = ½ Σᵢ λᵢ(θᵢ − cᵢ)² with full-batch gradients.

    At a fixed point m̂ = g and v̂ = g², so each coordinate solves
    :math:`g_i/(|g_i| + \epsilon) + \lambda\theta_i = 0` with :math:`g_i = \lambda_i(\theta_i - c_i)`:
    :math:`|g_i| = \epsilon\lambda|\theta_i|/(1 - \lambda|\theta_i|)`, a quadratic in θᵢ whose root in
    (0, min(|cᵢ|, 1/λ)) is returned (with the sign of cᵢ). As ε → 0 it is cᵢ clipped to
    [−1/λ, 1/λ]: the minimizer of L on the box ‖θ‖_∞ ≤ 1/λ, whatever the curvatures. It is
    not the minimizer of L + λ‖θ‖²/2.

    >>> print(adamw_fixed_point([0.1, 10.0], [3.0, 3.0], 0.5))
    [2. 2.]
    """
    lam, c, wd = _diagonal_quadratic("adamw_fixed_point", eigenvalues, center, weight_decay)
    e = float(eps)
    if not (np.isfinite(e) and e >= 0):
        raise ValueError(f"adamw_fixed_point: eps must be ≥ 0, got {eps!r}")
    a = np.abs(c)
    # λᵢ(a − θ)(1 − λθ) = ελθ, i.e. λᵢλθ² − Bθ + λᵢa = 0 with B = λᵢ(1 + λa) + ελ: the smaller root.
    B = lam * (1 + wd * a) + e * wd
    root = 2 * lam * a / (B + np.sqrt(np.maximum(B**2 - 4 * lam**2 * wd * a, 0.0)))
    return np.sign(c) * root


# ---------------------------------------------------------------------------------------
# Hard and soft targets (the case study "Adam on hard and soft targets").
# (section owned by the soft-targets helper until issue 15 lands)
#
# The two-class soft-label classifier of descent.problems: logits s = Wx + b, p = softmax(s),
# loss KL(y ‖ p), from W = 0 and b = 0. Everything depends on θ only through the logit gap
# Δs = s₂ − s₁ = uᵀθ, u = (−x, x, −1, 1) over (W₁, W₂, b₁, b₂), and p₁ = σ(−Δs).

__all__ += [
    "optimal_logit_gap",
    "two_class_kl",
    "logit_gap_curvature",
    "gd_delta_loss",
    "adam_delta_gradient_sum",
    "adam_delta_loss",
    "adam_edge_step",
]


def _two_class_target(where: str, target: ArrayLike) -> tuple[float, float]:
    """(y₁, y₂): a distribution over two classes."""
    t = _nonnegative(where, "target", target).reshape(-1)
    if t.size != 2 or not math.isclose(float(t.sum()), 1.0, rel_tol=0, abs_tol=1e-9):
        raise ValueError(f"{where}: target must be two probabilities summing to 1, got {target!r}")
    return float(t[0]), float(t[1])


def _example(where: str, x: ArrayLike) -> np.ndarray:
    """The example x: d ≥ 1 finite numbers, as a float64 vector."""
    try:
        v = np.asarray(x, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: x must be numbers, got {x!r}") from None
    if v.size == 0 or not np.all(np.isfinite(v)):
        raise ValueError(f"{where}: x must be d ≥ 1 finite numbers, got {x!r}")
    return v


def optimal_logit_gap(target: ArrayLike) -> float:
    r"""The logit gap Δs* = s₂ − s₁ at which p = y: :math:`\log(y_2/y_1)`.

    The gradient of KL(y ‖ softmax(s)) in the logits is p − y, zero exactly where p = y, and
    p₁ = 1/(1 + e^{Δs}) = y₁ gives Δs* = log(1/y₁ − 1). A delta target (y₁ = 0) has no
    finite optimum: Δs* = +inf (−inf for y₂ = 0).

    >>> print(f"{optimal_logit_gap((0.3, 0.7)):.4f}", optimal_logit_gap((0.0, 1.0)))
    0.8473 inf
    """
    t1, t2 = _two_class_target("optimal_logit_gap", target)
    if t1 == 0:
        return math.inf
    if t2 == 0:
        return -math.inf
    return math.log(t2 / t1)


def two_class_kl(target: ArrayLike, gap: ArrayLike) -> np.ndarray:
    r"""KL(y ‖ p) in nats, as a function of the logit gap Δs, with p = (σ(−Δs), σ(Δs)).

    :math:`y_1 \log(y_1/p_1) + y_2 \log(y_2/p_2)` with 0 log 0 = 0, computed without
    overflow (:math:`-\log p_1 = \log(1 + e^{\Delta s})`). For the delta target (0, 1) it is
    :math:`\log(1 + e^{-\Delta s}) \approx e^{-\Delta s}`; for a target with y₁y₂ > 0 its
    minimum, 0, is at :func:`optimal_logit_gap`, and near it
    :math:`\mathrm{KL} \approx \tfrac12 y_1 y_2 (\Delta s - \Delta s^\star)^2`.

    >>> print(f"{float(two_class_kl((0.0, 1.0), 5.0)):.6f}")  # log(1 + e⁻⁵).
    0.006715
    """
    t1, t2 = _two_class_target("two_class_kl", target)
    s = np.asarray(gap, dtype=float)
    minus_log_p1, minus_log_p2 = np.logaddexp(0.0, s), np.logaddexp(0.0, -s)
    loss = np.zeros_like(s)
    for t, minus_log_p in ((t1, minus_log_p1), (t2, minus_log_p2)):
        if t > 0:
            loss = loss + t * (math.log(t) + minus_log_p)
    return loss


def logit_gap_curvature(target: ArrayLike, x: ArrayLike = (1.0,)) -> float:
    r"""The Hessian's one nonzero eigenvalue at the optimum: :math:`y_1 y_2 \cdot 2(\lVert x\rVert^2 + 1)`.

    L(θ) = f(uᵀθ) with f(Δs) = KL and u = (−x, x, −1, 1), so the Hessian is f''(Δs) uuᵀ
    with f'' = p₁p₂ and ‖u‖² = 2(‖x‖² + 1); at p = y its eigenvalue along u is y₁y₂‖u‖². It
    is 0 for a delta target (p₁p₂ → 0 at infinity); anywhere, f'' ≤ ¼, so ‖u‖²/4 bounds
    the curvature of the whole loss.

    >>> print(f"{logit_gap_curvature((0.3, 0.7)):.2f}")  # 0.21 · 4.
    0.84
    """
    t1, t2 = _two_class_target("logit_gap_curvature", target)
    v = _example("logit_gap_curvature", x)
    return t1 * t2 * 2 * (float(v @ v) + 1)


def gd_delta_loss(steps: ArrayLike, learning_rate: float, x: ArrayLike = (1.0,)) -> np.ndarray:
    r"""Gradient descent's loss on the delta target after t steps, asymptotically: 1/(cαt).

    Every gradient is ±p₁ times (x, 1), so Δs grows by :math:`c\,\alpha p_1` per step with
    :math:`c = 2(\lVert x\rVert^2 + 1)` (4 for x = 1). With p₁ ≈ e^{−Δs} that is
    :math:`\mathrm d e^{\Delta s}/\mathrm dt \approx c\alpha`, so
    :math:`e^{\Delta s_t} \approx c\alpha t` and :math:`L_t \approx e^{-\Delta s_t} = 1/(c\alpha t)`.

    >>> print(f"{float(gd_delta_loss(300, 0.1)):.5f}")  # 1/(4 · 0.1 · 300).
    0.00833
    """
    where = "gd_delta_loss"
    t = _positive(where, "steps", steps)
    alpha = float(_positive(where, "learning_rate", learning_rate))
    v = _example(where, x)
    return 1.0 / (2 * (float(v @ v) + 1) * alpha * t)


def _adam_gap_factor(x: np.ndarray) -> float:
    """c = 2(‖x‖₁ + 1): Δs grows by c·α per step when every coordinate steps by α."""
    return 2 * (float(np.abs(x).sum()) + 1)


def adam_delta_gradient_sum(learning_rate: float, x: ArrayLike = (1.0,)) -> float:
    r"""G = Σ p₁², the sum of the bias's squared gradients (AdaGrad's accumulator), estimated from Adam's first phase.

    While the gradient barely changes from step to step, Adam's step is α in every
    coordinate (m̂/√v̂ ≈ ±1), Δs_s ≈ cαs with c = 2(‖x‖₁ + 1), and
    :math:`G \approx \sum_{s \ge 0} \sigma(-c\alpha s)^2`. The later, smaller gradients add
    little: G is set by the first few steps.

    >>> print(f"{adam_delta_gradient_sum(0.1):.3f}")
    0.616
    """
    where = "adam_delta_gradient_sum"
    alpha = float(_positive(where, "learning_rate", learning_rate))
    c = _adam_gap_factor(_example(where, x))
    s = np.arange(int(math.ceil(40 / (c * alpha))) + 1)  # σ(−cαs)² < e⁻⁸⁰ beyond.
    return float(np.sum(np.exp(-2 * np.logaddexp(0.0, c * alpha * s))))


def adam_delta_loss(steps: ArrayLike, learning_rate: float, gradient_sum: float,
                    x: ArrayLike = (1.0,), start: tuple[float, float] | None = None) -> np.ndarray:
    r"""Adam's loss on the delta target after t steps: the growth law, L ∝ t^{−3/2} at last.

    Each coordinate's gradient is ±p₁ times |x_j| or 1, which Adam's ratio m̂/√v̂ divides
    out. For t ≪ 1/(1 − β₂) the bias-corrected v̂ is the mean of the squared gradients so
    far, G/t (times x_j²), with G = Σ p₁² fixed by the first steps; and m̂ ≈ p₁ once p₁
    changes little over 1/(1 − β₁) steps. So every coordinate steps by α p₁√(t/G), Δs by
    c times that, c = 2(‖x‖₁ + 1), and with p₁ ≈ e^{−Δs}

    .. math::
        \frac{\mathrm d e^{\Delta s}}{\mathrm dt} \approx c\alpha\sqrt{t/G}
        \quad\Rightarrow\quad
        e^{\Delta s_t} \approx e^{\Delta s_{t_0}} + \frac{2c\alpha}{3\sqrt G}\left(t^{3/2} - t_0^{3/2}\right).

    Returns :math:`L_t = \log(1 + e^{-\Delta s_t})`: from ``start`` = (t₀, Δs_{t₀}) if given,
    else the asymptotic form with e^{Δs_t} = 2cα t^{3/2}/(3√G), so that
    :math:`L_t \approx 3\sqrt G/(2c\alpha)\, t^{-3/2}`.

    >>> print(f"{float(adam_delta_loss(5000, 0.1, 0.632)):.3g}")
    8.43e-06
    """
    where = "adam_delta_loss"
    t = _positive(where, "steps", steps)
    alpha = float(_positive(where, "learning_rate", learning_rate))
    G = float(_positive(where, "gradient_sum", gradient_sum))
    c = _adam_gap_factor(_example(where, x))
    rate = 2 * c * alpha / (3 * math.sqrt(G))
    if start is None:
        grown = rate * t**1.5
    else:
        t0, gap0 = (float(v) for v in start)
        if not (t0 >= 0 and math.isfinite(gap0)):
            raise ValueError(f"{where}: start must be (t₀ ≥ 0, a finite Δs), got {start!r}")
        grown = math.exp(gap0) + rate * (t**1.5 - t0**1.5)
    return np.log1p(1.0 / grown)


def adam_edge_step(b1: float, curvature: float) -> float:
    r"""The largest effective step α/√v̂ at which Adam, v̂ held fixed, is stable at a minimum.

    With v̂ fixed, Adam's update θ ← θ − η m̂, η = α/(√v̂ + ε), is the heavy ball in its
    average form with the step η, that is in the trace form with η(1 − β₁) and the momentum
    β₁ (once the bias correction of m̂ is 1). On a curvature λ that converges iff
    η(1 − β₁)λ < 2(1 + β₁): the edge is

    .. math:: \eta_{\text{edge}} = \frac{2(1 + \beta_1)}{(1 - \beta_1)\,\lambda},

    2/λ at β₁ = 0, and (1 + β₁)/(1 − β₁) times that with momentum.

    >>> print(f"{adam_edge_step(0.0, 0.84):.3f} {adam_edge_step(0.9, 0.84):.1f}")
    2.381 45.2
    """
    where = "adam_edge_step"
    b = float(_nonnegative(where, "b1", b1))
    if not b < 1:
        raise ValueError(f"{where}: b1 must be in [0, 1), got {b1!r}")
    lam = float(_positive(where, "curvature", curvature))
    return 2 * (1 + b) / ((1 - b) * lam)
