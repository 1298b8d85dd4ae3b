r"""Seeing gradient descent on a quadratic: eigencomponents, preconditioned spectra, contours.

On :math:`L(\theta) = \tfrac12 (\theta - \theta^\star)^\top Q (\theta - \theta^\star)` with
:math:`Q = R \Lambda R^\top`, the coordinates :math:`y = R^\top(\theta - \theta^\star)` decouple
gradient descent: each :math:`y_i` is multiplied by :math:`1 - \alpha\lambda_i` per step, and
the loss splits into :math:`L = L^\star + \tfrac12 \sum_i \lambda_i y_i^2`. The functions here
compute those pieces from a trajectory, and draw a 2-D problem's contours and paths.

>>> import numpy as np
>>> from descent.problems import quadratic
>>> problem = quadratic((1.0, 6.0))
>>> y = eigencomponents(problem, np.array([[9.5, -1.0], [8.55, -0.4]]))
>>> print(y.round(3))
[[ 9.5  -1.  ]
 [ 8.55 -0.4 ]]
>>> print(loss_components(problem, [[9.5, -1.0]]).round(3))  # ½λᵢyᵢ².
[[45.125  3.   ]]

Plot helpers take the axes to draw on, return the artists they made, never call
``plt.show()`` and never change matplotlib's global settings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from jax.typing import ArrayLike

__all__ = [
    "eigencomponents",
    "loss_components",
    "first_step_below",
    "preconditioned_spectrum",
    "plot_contours",
    "plot_trajectory",
]


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


def first_step_below(values: ArrayLike, accuracy: float) -> int | None:
    r"""The first t with :math:`v_t \le \varepsilon\, v_0`: the measured steps to accuracy ε.

    Args:
        values: v₀, v₁, … (a loss gap, or a distance to the minimum), non-negative;
            NaN (a diverged run) never counts as below.
        accuracy: ε, in (0, 1).

    Returns:
        t, or None if no value of the sequence gets there.

    >>> first_step_below([8.0, 4.0, 2.0, 1.0], 0.25)
    2
    >>> print(first_step_below([8.0, 4.0], 0.1))
    None
    """
    if not 0 < accuracy < 1:
        raise ValueError(f"accuracy must be in (0, 1), got {accuracy}")
    v = np.asarray(values, dtype=float)
    if v.ndim != 1 or v.size == 0:
        raise ValueError("values must be a non-empty 1-D sequence")
    below = np.flatnonzero(v <= accuracy * v[0])  # NaN compares False.
    return int(below[0]) if below.size else None


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


def plot_contours(
    ax: Any,
    grid: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    levels: int | ArrayLike = 12,
    minimum: ArrayLike | None = None,
    cmap: str = "Greys_r",
    aspect: str = "equal",
) -> list:
    """Draw a loss's contour lines, spaced geometrically, and mark its minimum.

    Args:
        ax: the matplotlib axes.
        grid: (x, y, Z) from :func:`descent.problems.loss_grid`, computed once.
        levels: a number of levels, spaced geometrically between the smallest positive
            and the largest value of Z (so the bowl's floor gets as many lines as its
            walls), or the levels themselves.
        minimum: θ*, marked with a star; None for no marker.
        cmap: the colormap of the lines.
        aspect: ``"equal"`` (circles look round) or ``"auto"`` (fill the axes).

    Returns:
        The artists: the contour set, and the star if one was drawn.
    """
    x, y, Z = (np.asarray(a, dtype=float) for a in grid)
    if np.ndim(levels) == 0:
        positive = Z[Z > 0]
        low = max(positive.min(), positive.max() * 1e-3)
        levels = np.geomspace(low, positive.max(), int(levels) + 2)[1:-1]
    artists = [ax.contour(x, y, Z, levels=levels, cmap=cmap, linewidths=0.8, alpha=0.7)]
    if minimum is not None:
        artists += ax.plot(*np.asarray(minimum, dtype=float), marker="*", ms=12,
                           color="black", ls="none", label="minimum θ*", zorder=5)
    ax.set_aspect(aspect)
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(y[0], y[-1])
    return artists


def plot_trajectory(
    ax: Any, trajectory: ArrayLike, *, label: str | None = None, color: Any = None,
    markersize: float = 3.0, **kwargs: Any,
) -> list:
    """Draw θ₀, θ₁, … as dots joined by lines, with a ring around θ₀.

    A diverged run's NaN rows are left out: the line stops where the run left the plot.

    Returns:
        The artists: the path and the start marker.
    """
    theta = np.asarray(trajectory, dtype=float)
    if theta.ndim != 2 or theta.shape[1] != 2:
        raise ValueError(f"trajectory must have shape (T + 1, 2), got {theta.shape}")
    theta = theta[np.all(np.isfinite(theta), axis=1)]
    (path,) = ax.plot(theta[:, 0], theta[:, 1], "o-", ms=markersize, lw=1.2,
                      color=color, label=label, **kwargs)
    (start,) = ax.plot(*theta[0], "o", ms=9, mfc="none", mec=path.get_color(), mew=1.5)
    return [path, start]
