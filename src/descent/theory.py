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
