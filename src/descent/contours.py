r"""Drawing a 2-D loss and the paths optimizers take on it: contour lines and trajectories.

Figure helpers of the book's static figures. They take the axes to draw on, return the
artists they made, never call ``plt.show()`` and never change matplotlib's global
settings. The contour grid is computed once, by :func:`descent.problems.loss_grid`.

>>> import matplotlib
>>> from matplotlib.figure import Figure
>>> from descent.problems import loss_grid, quadratic
>>> problem = quadratic((1.0, 6.0))
>>> ax = Figure().add_subplot()
>>> artists = plot_contours(ax, loss_grid(problem, resolution=50), minimum=(0.0, 0.0))
>>> path, start = plot_trajectory(ax, [[9.5, -1.0], [8.55, -0.4]])
>>> print(path.get_xydata().tolist())
[[9.5, -1.0], [8.55, -0.4]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
from jax.typing import ArrayLike

__all__ = ["plot_contours", "plot_trajectory"]


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
