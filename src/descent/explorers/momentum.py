r"""Momentum on the rotated quadratic: the run, its loss against the predicted rate, and Goh's map.

Kind ``"momentum"`` of the explorer contract. Gradient descent, Polyak's heavy ball or
Nesterov's accelerated gradient (:data:`descent.theory.METHODS`) runs on
L(θ) = ½ θᵀQθ, Q = R Λ Rᵀ, with α, β, λ₁, λ₂ and the number of steps on sliders. Three
panels redraw together:

1. the trajectory on the contours of L;
2. the loss L(θ_t)/L(θ₀) on a log axis, with the predicted rate: the loss shrinks like
   ρ^{2t}, ρ = :func:`descent.theory.momentum_rate` (the slowest eigencomponent's spectral
   radius), drawn dashed as C ρ^{2t};
3. the convergence rate ρ over the (α, β) plane (Goh 2017, "Why Momentum Really Works"),
   a heat map computed by :func:`descent.theory.momentum_rate` on a fixed grid (α
   log-spaced over the slider's range, β from 0 to 0.99), with the current (α, β), the
   optimum and the edge of the convergence region.

In a kernel, Python computes the run (:func:`descent.runner.run`, float64) and the map, and
sends both; the map depends on λ₁, λ₂ and the method only, so it is cached. On a static page
``compute.js`` computes both, with the same closed form (the factored discriminant of
:func:`descent.theory.momentum_spectral_radius`), and a parity test holds the two equal.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import jax
import numpy as np

from descent import problems as _problems
from descent import theory
from descent.explorers.noisy import _fmt
from descent.explorers.widget import ExplorerWidget, _json, _number, compiling, shown_controls
from descent.runner import Run, run

__all__ = ["MomentumExplorer", "METHOD_LABELS", "regime"]

METHOD_LABELS = {"gd": "gradient descent", "heavy_ball": "heavy ball (Polyak)", "nesterov": "Nesterov"}
"""The menu's text for each method of :data:`descent.theory.METHODS`."""

_RUNNER = {"gd": "sgd", "heavy_ball": "momentum", "nesterov": "nesterov"}
"""The :mod:`descent.optimizers` factory of each method."""

CRITICAL = 1e-6
"""|a² + 4b| at or below this is critical damping: :func:`descent.theory.damping`'s tolerance."""


def regime(learning_rate: float, momentum: float, eigenvalue: float, method: str) -> str:
    """How one eigencomponent converges: "under", "critical" or "over" (damped).

    For the heavy ball and Nesterov, :func:`descent.theory.damping`: the sign of the
    discriminant a² + 4b of x_{t+1} = a x_t + b x_{t−1}, computed factored (complex roots:
    under-damped, the component spirals in; a double root: critical; two real roots:
    over-damped). Gradient descent is first order: "monotone" when 1 − αλ ≥ 0,
    "alternating" (its sign flips every step) when 1 − αλ < 0.
    """
    if method == "gd":
        return "monotone" if 1 - learning_rate * eigenvalue >= 0 else "alternating"
    return theory.damping(learning_rate, momentum, eigenvalue, method, tolerance=CRITICAL)


class MomentumExplorer(ExplorerWidget):
    r"""Gradient descent, heavy ball and Nesterov on a rotated quadratic, with Goh's (α, β) map.

    Args:
        eigenvalues: (λ₁, λ₂), each in [0.01, 100] (a convex quadratic: both positive).
        angle: the rotation of the eigenvectors, radians.
        init: θ₀, two finite numbers, not both 0.
        optimizer: ``"gd"``, ``"heavy_ball"`` or ``"nesterov"`` (:data:`descent.theory.METHODS`).
        learning_rate: α in (0, 10]; None for the optimizer's optimal α on these λ's
            (:func:`~descent.theory.optimal_learning_rate`,
            :func:`~descent.theory.heavy_ball_optimal`, :func:`~descent.theory.nesterov_optimal`).
        momentum: β in [0, 0.99]; None for the optimizer's optimal β (the heavy ball's for
            ``"gd"``, which ignores it: the value the slider starts at if the reader picks
            a momentum method).
        steps: T, an integer in [1, 300].
        sliders: the controls to show, by name: ``"optimizer"``, ``"learning_rate"``,
            ``"momentum"``, ``"lambda1"``, ``"lambda2"``, ``"steps"``; ``"eigenvalues"``
            stands for both λ's. All by default. β is shown only while a momentum method is
            picked.

    Attributes:
        spec, values, result: see :class:`~descent.explorers.widget.ExplorerWidget`.
        sliders: name → control spec, for the controls shown.

    >>> explorer = MomentumExplorer(eigenvalues=(1.0, 100.0))
    >>> result = explorer.set(optimizer="heavy_ball")  # At the optimum α*, β* by default.
    >>> round(result["rate"], 4), round(result["optimal"][2], 4)  # ρ = (√κ − 1)/(√κ + 1).
    (0.8182, 0.8182)
    >>> result["damping"]  # Both extreme eigencomponents critically damped.
    ['critical', 'critical']
    """

    CONTROLS = ("optimizer", "learning_rate", "momentum", "lambda1", "lambda2", "steps")
    MAX_STEPS = 300
    MAP_ALPHAS = 96
    MAP_BETAS = 64
    LOSS_RANGE = (1e-30, 1e4)
    """The loss panel's y range, L(θ_t)/L(θ₀)."""

    def __init__(
        self,
        eigenvalues: Sequence[float] = (1.0, 10.0),
        angle: float = math.pi / 8,
        init: Sequence[float] = (-2.0, 1.6),
        optimizer: str = "heavy_ball",
        learning_rate: float | None = None,
        momentum: float | None = None,
        steps: int = 100,
        sliders: Iterable[str] | None = None,
    ):
        name = type(self).__name__
        lam = np.asarray(eigenvalues, dtype=float) if np.ndim(eigenvalues) == 1 else np.zeros(0)
        if lam.shape != (2,) or not np.all(np.isfinite(lam)):
            raise ValueError(f"{name}: eigenvalues must be two numbers (λ₁, λ₂), got {eigenvalues!r}")
        if not np.all((0.01 <= lam) & (lam <= 100)):
            raise ValueError(
                f"{name}: eigenvalues must be in [0.01, 100] (positive: a convex quadratic), got {eigenvalues!r}")
        if isinstance(angle, bool) or not (isinstance(angle, (int, float, np.integer, np.floating))
                                           and math.isfinite(angle)):
            raise ValueError(f"{name}: angle must be a finite number (radians), got {angle!r}")
        theta0 = np.asarray(init, dtype=float) if np.ndim(init) == 1 else np.zeros(0)
        if theta0.shape != (2,) or not np.all(np.isfinite(theta0)) or not np.any(theta0):
            raise ValueError(f"{name}: init must be two finite numbers, not both 0, got {init!r}")
        if optimizer not in theory.METHODS:
            raise ValueError(f"{name}: optimizer must be one of {theory.METHODS}, got {optimizer!r}")
        best_alpha, best_beta, _ = self.optimum(lam, optimizer)
        if learning_rate is None:
            learning_rate = best_alpha
        if momentum is None:
            momentum = best_beta if optimizer != "gd" else self.optimum(lam, "heavy_ball")[1]
        if isinstance(learning_rate, bool) or not (
                isinstance(learning_rate, (int, float, np.integer, np.floating)) and 0 < learning_rate <= 10):
            raise ValueError(f"{name}: learning_rate must be in (0, 10] (or None: the optimum), got {learning_rate!r}")
        if isinstance(momentum, bool) or not (
                isinstance(momentum, (int, float, np.integer, np.floating)) and 0 <= momentum <= 0.99):
            raise ValueError(f"{name}: momentum must be in [0, 0.99] (or None: the optimum), got {momentum!r}")
        if isinstance(steps, bool) or not (isinstance(steps, (int, np.integer)) and 1 <= steps <= self.MAX_STEPS):
            raise ValueError(f"{name}: steps must be an integer in [1, {self.MAX_STEPS}], got {steps!r}")
        shown = self._shown(sliders)

        self.init = theta0
        self._problems: dict = {}
        self._maps: dict = {}
        self._sent_map: tuple | None = None  # λ and method of the last map sent to the front end.
        lr = float(learning_rate)
        low, high = min(1e-3, lr), 10.0
        controls = {
            "optimizer": {"label": "optimizer", "type": "select", "options": list(theory.METHODS),
                          "labels": [METHOD_LABELS[m] for m in theory.METHODS]},
            "learning_rate": {"label": "learning rate α", "symbol": "α", "type": "log",
                              "min": low, "max": high, "step": 0.01},
            "momentum": {"label": "momentum β", "symbol": "β", "type": "linear", "min": 0.0, "max": 0.99,
                         "step": 0.01, "shown_for": ["heavy_ball", "nesterov"]},
            "lambda1": {"label": "eigenvalue λ₁", "symbol": "λ₁", "type": "log", "min": 0.01, "max": 100.0,
                        "step": 0.01},
            "lambda2": {"label": "eigenvalue λ₂", "symbol": "λ₂", "type": "log", "min": 0.01, "max": 100.0,
                        "step": 0.01},
            "steps": {"label": "steps T", "symbol": "T", "type": "int", "min": 1, "max": self.MAX_STEPS, "step": 1},
        }
        self.sliders = {c: {"name": c, **controls[c]} for c in self.CONTROLS if c in shown}
        self.offered = theory.METHODS if "optimizer" in shown else (optimizer,)
        values = {
            "optimizer": optimizer,
            "learning_rate": lr,
            "momentum": float(momentum),
            "lambda1": float(lam[0]),
            "lambda2": float(lam[1]),
            "steps": int(steps),
        }
        # Goh's map: ρ on a fixed grid, α log-spaced over the slider's range, β in [0, 0.99].
        alphas = np.geomspace(low, high, self.MAP_ALPHAS)
        alphas[0], alphas[-1] = low, high
        betas = np.linspace(0.0, 0.99, self.MAP_BETAS)
        title = ("momentum" if "optimizer" in shown else METHOD_LABELS[optimizer]) + " on a quadratic"
        spec = {
            "kind": "momentum",
            "title": title,
            "controls": list(self.sliders.values()),
            "init": theta0.tolist(),
            "angle": float(np.degrees(angle)) % 180.0,
            "half": 1.15 * float(np.linalg.norm(theta0)),  # The square window: ±half.
            "max_steps": self.MAX_STEPS,
            "loss_range": list(self.LOSS_RANGE),
            "map_alphas": alphas.tolist(),
            "map_betas": betas.tolist(),
            "labels": METHOD_LABELS,
        }
        super().__init__(spec, values)

    @classmethod
    def _shown(cls, sliders) -> set[str]:
        return shown_controls("MomentumExplorer", cls.CONTROLS, sliders, {"eigenvalues": {"lambda1", "lambda2"}})

    # -- Theory ---------------------------------------------------------------------------

    @staticmethod
    def optimum(eigenvalues, method: str) -> tuple[float, float, float]:
        """(α*, β*, ρ*) of ``method`` on these eigenvalues; β* = 0 for gradient descent."""
        with jax.enable_x64(True):
            if method == "gd":
                return (float(theory.optimal_learning_rate(eigenvalues)), 0.0,
                        float(theory.optimal_rate(eigenvalues)))
            if method == "heavy_ball":
                alpha, beta = theory.heavy_ball_optimal(eigenvalues)
                return float(alpha), float(beta), float(theory.heavy_ball_rate(eigenvalues))
            alpha, beta = theory.nesterov_optimal(eigenvalues)
            return float(alpha), float(beta), float(theory.nesterov_rate(eigenvalues))

    @staticmethod
    def limit(beta: float, lam_max: float, method: str) -> tuple[float, str]:
        """The largest stable α at this β, and how it reads: ρ < 1 iff 0 < α < limit."""
        if method == "gd":
            return 2 / lam_max, "2/λ_max"
        if method == "heavy_ball":
            return 2 * (1 + beta) / lam_max, "2(1+β)/λ_max"
        return 2 * (1 + beta) / ((1 + 2 * beta) * lam_max), "2(1+β)/((1+2β)λ_max)"

    def rate_map(self, eigenvalues, method: str) -> list:
        """ρ over the spec's grid, rows β (from 0), columns α: momentum_rate, cached per (λ, method)."""
        key = (float(eigenvalues[0]), float(eigenvalues[1]), method)
        if key not in self._maps:
            if len(self._maps) > 64:
                self._maps.clear()
            alphas = np.asarray(self.spec["map_alphas"])
            betas = np.asarray(self.spec["map_betas"])
            with jax.enable_x64(True):
                rho = theory.momentum_rate(alphas[None, :], betas[:, None], np.asarray(key[:2]), method)
            # Gradient descent ignores β: its ρ comes back as one row, the same for every β.
            self._maps[key] = _json(np.broadcast_to(np.asarray(rho, dtype=float), (betas.size, alphas.size)))
        return self._maps[key]

    # -- The run --------------------------------------------------------------------------

    def problem(self, values: Mapping[str, Any]) -> _problems.Quadratic:
        """The quadratic of ``values``, float64 (cached per (λ₁, λ₂))."""
        key = (float(values["lambda1"]), float(values["lambda2"]))
        if key not in self._problems:
            if len(self._problems) > 256:
                self._problems.clear()
            with jax.enable_x64(True):
                # The angle as the front end reads it: degrees·π/180.
                self._problems[key] = _problems.quadratic(key, angle=self.spec["angle"] * math.pi / 180,
                                                          init=self.init)
        return self._problems[key]

    def run(self, values: Mapping[str, Any]) -> Run:
        """MAX_STEPS steps of the method at ``values`` (one compiled loop per method)."""
        method = values["optimizer"]
        hyper = {} if method == "gd" else {"momentum": float(values["momentum"])}
        optimizer = _RUNNER[method]
        with jax.enable_x64(True), compiling(("quadratic", optimizer, self.MAX_STEPS)):
            return run(self.problem(values), optimizer, self.MAX_STEPS,
                       learning_rate=float(values["learning_rate"]), **hyper)

    def _check(self, values: Mapping[str, Any]) -> None:
        """A ValueError naming the first bad value (the front end's computeMomentum says the same)."""
        name = type(self).__name__

        def number(x):
            return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)

        method, steps = values.get("optimizer"), values.get("steps")
        if method not in theory.METHODS:
            raise ValueError(f"{name}: optimizer must be one of {', '.join(theory.METHODS)}, got {_fmt(method)}")
        if not (number(values.get("learning_rate")) and values["learning_rate"] > 0):
            raise ValueError(f"{name}: learning rate α must be a positive number, got {_fmt(values.get('learning_rate'))}")
        if not (number(values.get("momentum")) and 0 <= values["momentum"] < 1):
            raise ValueError(f"{name}: momentum β must be in [0, 1), got {_fmt(values.get('momentum'))}")
        for key, label in (("lambda1", "λ₁"), ("lambda2", "λ₂")):
            if not (number(values.get(key)) and values[key] > 0):
                raise ValueError(f"{name}: eigenvalue {label} must be a positive number, got {_fmt(values.get(key))}")
        if not (number(steps) and float(steps).is_integer() and 1 <= steps <= self.MAX_STEPS):
            raise ValueError(f"{name}: steps T must be a whole number in [1, {self.MAX_STEPS}], got {_fmt(steps)}")

    def compute(self, values: Mapping[str, Any]) -> dict:
        """The run's first T steps, ρ per eigencomponent, the optimum, the regimes and the map."""
        self._check(values)
        method, lr, beta = values["optimizer"], float(values["learning_rate"]), float(values["momentum"])
        steps = int(values["steps"])
        problem = self.problem(values)
        lam = np.asarray(problem.eigenvalues, dtype=float)
        result = self.run(values)
        diverged_at = result.diverged_at if result.diverged_at is not None and result.diverged_at <= steps else None
        with jax.enable_x64(True):
            rates = np.asarray(theory.momentum_spectral_radius(lr, beta, lam, method), dtype=float)
        optimum = self.optimum(lam, method)
        Q = np.asarray(problem.Q, dtype=float)
        return {
            "trajectory": _json(np.asarray(result.trajectory)[: steps + 1]),
            "losses": _json(np.asarray(result.losses)[: steps + 1]),
            "diverged_at": diverged_at,
            "lam": lam.tolist(),
            "R": np.asarray(problem.eigenvectors, dtype=float).tolist(),
            "L0": float(0.5 * self.init @ (Q @ self.init)),
            "rates": [_number(r) for r in rates],
            "rate": _number(rates.max()),
            "optimal": [_number(x) for x in optimum],
            "limit": list(self.limit(beta, float(lam.max()), method)),
            "damping": [regime(lr, beta, float(l), method) for l in lam],
            "map": self.rate_map(lam, method),
        }

    def _on_the_wire(self, result: dict) -> dict:
        """The result without Goh's map when the last one sent had the same λ and method.

        The map is 6 144 numbers, about 120 kB of JSON, and α, β and T moves do not change it:
        the front end keeps the last map it received (the momentum kind's ``received`` in render.js).
        """
        if "map" not in result:
            return result
        key = (tuple(result["lam"]), result["_values"]["optimizer"])
        if key == self._sent_map:
            return {name: value for name, value in result.items() if name != "map"}
        self._sent_map = key
        return result

    def _warm_up_values(self):
        for method in self.offered:
            yield {**self.values, "optimizer": method}
