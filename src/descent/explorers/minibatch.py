r"""Minibatch SGD on least squares in two dimensions: the batch size B and α on sliders.

Kind ``"minibatch"`` of the explorer contract. The data, the minimizer and the theory's
numbers per batch size (the mean-square stability limit α_B and the parts of the noise
floor) are computed once and shipped in the spec; a run is w ← w − α g_B for T steps.

The batches are drawn by a generator both languages implement, not by JAX's PRNG, so
that a page with no kernel draws the very batches a kernel draws: step t of seed s seeds
mulberry32 with ``imul(s + 1, 0x9E3779B9) ^ imul(t + 1, 0x85EBCA6B)``, and a partial
Fisher–Yates shuffle of 0, …, N − 1 driven by it picks the B examples (:func:`draws`,
:func:`batch_orders`).
"""

from __future__ import annotations

import functools
import math
from typing import Any, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from descent import theory
from descent.explorers.widget import ExplorerWidget, _json, _number, compiling

__all__ = ["MinibatchExplorer", "least_squares_data", "draws", "batch_orders"]

_MASK = np.uint64(0xFFFFFFFF)


def _imul(a, b):
    """JavaScript's ``Math.imul`` on uint32s, as a uint32: the low 32 bits of a·b."""
    return (np.asarray(a, np.uint64) * np.asarray(b, np.uint64)) & _MASK


def _states(seed: int, steps: int) -> np.ndarray:
    """The generator's state at the start of each step t = 0, …, steps − 1 (uint32 in uint64)."""
    t = np.arange(1, steps + 1, dtype=np.uint64)
    return _imul(np.uint64(seed + 1), np.uint64(0x9E3779B9)) ^ _imul(t, np.uint64(0x85EBCA6B))


def _next(state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """mulberry32: the new states and one float in [0, 1) per state."""
    state = (state + np.uint64(0x6D2B79F5)) & _MASK
    z = state
    z = _imul(z ^ (z >> np.uint64(15)), z | np.uint64(1))
    z = z ^ ((z + _imul(z ^ (z >> np.uint64(7)), z | np.uint64(61))) & _MASK)
    return state, (z ^ (z >> np.uint64(14))).astype(np.float64) / 4294967296.0


def draws(seed: int, steps: int, count: int) -> np.ndarray:
    """The first ``count`` numbers in [0, 1) the generator gives at each step: (steps, count)."""
    state = _states(int(seed), int(steps))
    out = np.empty((int(steps), int(count)))
    for k in range(int(count)):
        state, out[:, k] = _next(state)
    return out


@functools.lru_cache(maxsize=32)
def batch_orders(seed: int, steps: int, n: int) -> np.ndarray:
    """Step t's shuffle of 0, …, n − 1 for seed s; its first B entries are step t's batch.

    Entry i is swapped with entry i + ⌊u_i (n − i)⌋, u_i the generator's i-th number: a
    Fisher–Yates shuffle from the front, so the batch of size B is drawn by the first B
    numbers and every batch is B distinct examples. Shape (steps, n), read-only.
    """
    u = draws(seed, steps, n)
    order = np.tile(np.arange(n), (steps, 1))
    rows = np.arange(steps)
    for i in range(n):
        j = i + np.floor(u[:, i] * (n - i)).astype(np.int64)
        order[rows, i], order[rows, j] = order[rows, j], order[rows, i]
    order.flags.writeable = False
    return order


@jax.jit
def _minibatch_sgd(X, y, w0, learning_rate, batch_size, orders):
    """w_{t+1} = w_t − α g_B(w_t), step t's batch the first B examples of ``orders[t]``.

    g_B = (1/B) Σ_k x_{i_k}(x_{i_k}ᵀw − y_{i_k}). B is traced: the batch is the whole
    order with the examples past B weighted 0, so a new B or α never recompiles.
    Returns w_0, …, w_T.
    """
    n = X.shape[0]
    chosen = jnp.arange(n) < batch_size

    def step(w, order):
        x, target = X[order], y[order]
        g = jnp.sum(jnp.where(chosen[:, None], x * (x @ w - target)[:, None], 0.0), axis=0) / batch_size
        w = w - learning_rate * g
        return w, w

    _, path = jax.lax.scan(step, w0, orders)
    return jnp.concatenate([w0[None], path])


def least_squares_data(n: int = 256, noise: float = 1.0, seed: int = 0):
    """The data of :class:`MinibatchExplorer`: (X, y), n examples of two correlated features.

    x_i ~ N(0, C) with C = [[1, 0.8], [0.8, 1]], and y_i = x_iᵀ(1, −0.5) + noise·ξ_i, so no
    w fits every example and the per-example gradients at the minimizer do not vanish.
    """
    rng = np.random.default_rng(seed)
    C = np.array([[1.0, 0.8], [0.8, 1.0]])
    X = rng.standard_normal((n, 2)) @ np.linalg.cholesky(C).T
    y = X @ np.array([1.0, -0.5]) + noise * rng.standard_normal(n)
    return X, y


class MinibatchExplorer(ExplorerWidget):
    r"""Minibatch SGD on least squares in two dimensions: the batch size B and α on sliders.

    The loss is :math:`L(w) = \frac1{2N}\sum_i (x_i^\top w - y_i)^2` over the N examples of
    :func:`least_squares_data`, a quadratic with Hessian Q = XᵀX/N and minimizer ŵ. Each
    step draws B distinct examples and takes w ← w − α g_B; the dashed path is full-batch
    gradient descent at the same α, the B = N case. Panels: both paths on the contours of
    L, and their loss gaps L(w_t) − L(ŵ). The figure states the standard error of g_B at
    ŵ, √(tr Σ/B)·√((N − B)/(N − 1)) (the chapter's proposition, Σ the covariance of the
    per-example gradients); SGD's mean-square stability limit α_B at this B
    (:meth:`stability_limit`), below gradient descent's 2/λ_max for every B < N; the loss
    gap SGD settles at on average, E[L(w_t)] − L(ŵ) (:meth:`noise_floor`), next to the
    fixed-noise formula Σᵢ α sᵢ / (2(2 − αλᵢ)) (:meth:`predicted_floor`), which holds only
    for α well below α_B.

    Args:
        batch_size: B, a power of two from 1 to N.
        learning_rate: α, in (0, 10].
        steps: T, the number of steps of every run.
        n: N, the number of examples, a power of two.
        main: ``"batch_size"`` or ``"learning_rate"`` (kept for compatibility: every
            slider is live on every page).
    """

    CONTROLS = ("batch_size", "learning_rate", "seed")
    SEEDS = 20

    def __init__(self, batch_size: int = 8, learning_rate: float = 0.2, steps: int = 300,
                 *, n: int = 256, main: str = "batch_size"):
        if not (isinstance(n, (int, np.integer)) and n >= 2 and n & (n - 1) == 0):
            raise ValueError(f"MinibatchExplorer: n must be a power of two ≥ 2, got {n!r}")
        sizes = [2**k for k in range(int(math.log2(n)) + 1)]
        if batch_size not in sizes:
            raise ValueError(f"MinibatchExplorer: batch_size must be one of {sizes}, got {batch_size!r}")
        if not (0 < learning_rate <= 10):
            raise ValueError(f"MinibatchExplorer: learning_rate must be in (0, 10], got {learning_rate!r}")
        if not (isinstance(steps, (int, np.integer)) and 1 <= steps <= 2000):
            raise ValueError(f"MinibatchExplorer: steps must be an integer in [1, 2000], got {steps!r}")
        if main not in ("batch_size", "learning_rate"):
            raise ValueError(f"MinibatchExplorer: main must be 'batch_size' or 'learning_rate', got {main!r}")
        self.main, self.steps, self.n = main, int(steps), int(n)
        X, y = least_squares_data(n)
        self.X, self.y = X, y
        self.Q = X.T @ X / n
        self.minimum = np.linalg.solve(self.Q, X.T @ y / n)  # ŵ: Q ŵ = Xᵀy / n.
        self.eigenvalues, self.eigenvectors = np.linalg.eigh(self.Q)
        residuals = X @ self.minimum - y
        per_example = X * residuals[:, None]  # ∇ℓ_i(ŵ); their mean is 0.
        self.covariance = per_example.T @ per_example / n  # Of one example's gradient at ŵ.
        self.sigma = float(np.sqrt(np.trace(self.covariance)))  # √(tr Σ) of the chapter.
        self.init = self.minimum + np.array([-3.0, 2.5])
        self._limits: dict[int, float] = {}
        with jax.enable_x64(True):
            self._arrays = tuple(jnp.asarray(a, jnp.float64) for a in (X, y, self.init))
        self.sizes = sizes
        self.sliders = {
            "batch_size": {"name": "batch_size", "label": "batch size B", "symbol": "B", "type": "choice",
                           "options": sizes},
            "learning_rate": {"name": "learning_rate", "label": "learning rate α", "symbol": "α", "type": "log",
                              "min": min(1e-3, float(learning_rate)), "max": 10.0, "step": 0.01},
            "seed": {"name": "seed", "label": "random seed", "symbol": "seed", "type": "int", "min": 0,
                     "max": self.SEEDS, "step": 1},
        }
        values = {"batch_size": int(batch_size), "learning_rate": float(learning_rate), "seed": 0}
        super().__init__(self._spec(), values)

    def _spec(self) -> dict:
        X, n = self.X, self.n
        w = np.linalg.lstsq(X, self.y, rcond=None)[0]  # ŵ as theory.sgd_noise_floor finds it.
        gradients = X * (X @ w - self.y)[:, None]
        Sigma = gradients.T @ gradients / n
        floor_parts = {}
        for B in self.sizes[:-1]:
            _, K, M = theory._second_moment_parts(X, B, replace=False)
            floor_parts[str(B)] = {"K": K.tolist(), "M": M.tolist(),
                                   "Sigma": (theory._batch_factor(n, B, False) * Sigma).ravel().tolist()}
        return {
            "kind": "minibatch",
            "title": f"minibatch SGD on least squares, N = {n}",
            "controls": list(self.sliders.values()),
            "n": n,
            "steps": self.steps,
            "X": X.tolist(),
            "y": self.y.tolist(),
            "init": self.init.tolist(),
            "minimum": self.minimum.tolist(),
            "Q": self.Q.tolist(),
            "eigenvalues": self.eigenvalues.tolist(),
            "eigenvectors": self.eigenvectors.tolist(),
            "sigma": self.sigma,
            "covariance": self.covariance.tolist(),
            "limits": {str(B): self.stability_limit(B) for B in self.sizes},
            "floor_parts": floor_parts,
        }

    # -- Theory ---------------------------------------------------------------------------

    def loss_gap(self, path: np.ndarray) -> np.ndarray:
        """L(w_t) − L(ŵ) = ½ (w_t − ŵ)ᵀ Q (w_t − ŵ) for each row w_t of ``path``."""
        e = np.asarray(path, dtype=float) - self.minimum
        return 0.5 * np.einsum("ti,ij,tj->t", e, self.Q, e)

    def standard_error(self, batch_size: int) -> float:
        """√E‖g_B − g‖² at ŵ for B distinct examples: √(tr Σ/B) · √((N − B)/(N − 1))."""
        return self.sigma / math.sqrt(batch_size) * math.sqrt((self.n - batch_size) / (self.n - 1))

    def predicted_floor(self, batch_size: int, learning_rate: float) -> float:
        """The fixed-noise floor: Σᵢ α sᵢ / (2 (2 − α λᵢ)), right for α ≪ α_B only.

        sᵢ = vᵢᵀ C_B vᵢ is the variance of g_B at ŵ along the i-th eigenvector of Q, with
        C_B = C (N − B) / (B (N − 1)); it is the noise floor of the chapter "Why deep-learning
        optimization is hard", with the gradient noise of minibatches taken at ŵ and of fixed
        size. The noise of SGD grows with the distance to ŵ, so the true floor
        (:meth:`noise_floor`) is higher, by a first-order term in α at small α and without
        bound as α nears the stability limit :meth:`stability_limit`.
        """
        scale = (self.n - batch_size) / (batch_size * (self.n - 1))
        s = np.einsum("ji,jk,ki->i", self.eigenvectors, self.covariance * scale, self.eigenvectors)
        lam, a = self.eigenvalues, learning_rate
        if np.any(a * lam >= 2):
            return math.inf
        return float(np.sum(a * s / (2 * (2 - a * lam))))

    def stability_limit(self, batch_size: int) -> float:
        """α_B: below it E‖w_t − ŵ‖² stays bounded; above it, it grows without bound.

        The mean-square stability limit of SGD on B distinct examples per step
        (:func:`descent.theory.sgd_mean_square_stability_limit`); at B = N it is gradient
        descent's 2/λ_max.
        """
        B = int(batch_size)
        if B not in self._limits:
            self._limits[B] = (2 / float(self.eigenvalues[-1]) if B == self.n
                               else theory.sgd_mean_square_stability_limit(self.X, B, replace=False))
        return self._limits[B]

    def noise_floor(self, batch_size: int, learning_rate: float) -> float:
        """E[L(w_t)] − L(ŵ) once SGD has settled, with the noise as it is (∞ for α ≥ α_B).

        :func:`descent.theory.sgd_noise_floor`: the stationary solution of the second-moment
        recursion, the noise growing with the distance to ŵ. At B = N there is no noise and
        this is 0 (the figure draws no floor then, whatever α).
        """
        if int(batch_size) >= self.n:
            return 0.0
        return theory.sgd_noise_floor(self.X, self.y, float(learning_rate), int(batch_size),
                                      replace=False)

    # -- The runs -------------------------------------------------------------------------

    def _path(self, batch_size: int, learning_rate: float, orders: np.ndarray) -> np.ndarray:
        with jax.enable_x64(True), compiling(("minibatch", self.n, self.steps)):
            X, y, w0 = self._arrays
            path = _minibatch_sgd(X, y, w0, jnp.float64(learning_rate), jnp.float64(batch_size),
                                  jnp.asarray(orders, jnp.int32))
            return np.asarray(path, dtype=float)

    def run(self, batch_size: int, learning_rate: float, seed: int = 0) -> np.ndarray:
        """The path w_0, …, w_T of minibatch SGD, batches drawn by the shared generator."""
        return self._path(int(batch_size), float(learning_rate), batch_orders(int(seed), self.steps, self.n))

    def gradient_descent(self, learning_rate: float) -> np.ndarray:
        """The path of gradient descent: every example, in order 0, …, N − 1, at each step."""
        orders = np.broadcast_to(np.arange(self.n), (self.steps, self.n))
        return self._path(self.n, float(learning_rate), orders)

    def _warm_up_values(self):
        for seed in range(self.SEEDS + 1):  # Each seed's batches drawn once, ahead of the reader.
            yield {**self.values, "seed": seed}

    def compute(self, values: Mapping[str, Any]) -> dict:
        """Both paths, the floors and limits for ``values``."""
        B, lr, seed = int(values["batch_size"]), float(values["learning_rate"]), int(values["seed"])
        if B not in self.sizes:
            raise ValueError(f"MinibatchExplorer: batch_size must be one of {self.sizes}, got {B!r}")
        return {
            "sgd": _json(self.run(B, lr, seed)),
            "gd": _json(self.gradient_descent(lr)),
            "floor": _number(self.noise_floor(B, lr)),
            "fixed": _number(self.predicted_floor(B, lr) if B < self.n else 0.0),
            "limit_B": self.stability_limit(B),
            "gd_limit": 2 / float(self.eigenvalues[-1]),
            "standard_error": self.standard_error(B),
        }
