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


