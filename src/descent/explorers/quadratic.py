r"""One optimizer on the quadratic L(θ) = ½ θᵀQθ, Q = R Λ Rᵀ: every slider that matters.

Kind ``"quadratic"`` of the explorer contract. Python builds the spec (the controls shown,
θ₀, the window) and, in a kernel, computes each run with :func:`descent.runner.run` in
float64 plus the theory numbers of the result (the eigen-decomposition, the predicted
rates and the stability limit). The texts are written by the front end's ``status``.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import jax
import numpy as np

from descent import problems as _problems
from descent.explorers.widget import ExplorerWidget, _json, _number, compiling, shown_controls
from descent.runner import Run, run

__all__ = ["QuadraticExplorer", "OPTIMIZERS"]

OPTIMIZERS = (
    "gd",
    "momentum",
    "nesterov",
    "adagrad",
    "rmsprop",
    "adam",
    "preconditioned (diagonal)",
    "preconditioned (Q⁻¹)",
)
"""The optimizers of :class:`QuadraticExplorer`'s menu."""

_RUNNER = {"gd": "sgd", "preconditioned (diagonal)": "precondition", "preconditioned (Q⁻¹)": "precondition"}


def _fmt(x: float | None) -> str:
    """A number for a message: 3 significant digits (the front end's ``fmt``)."""
    if x is None or not np.isfinite(x):
        return "∞" if x is not None and x > 0 else "—"
    return f"{x:.3g}"


class QuadraticExplorer(ExplorerWidget):
    r"""One optimizer on L(θ) = ½ θᵀQθ, Q = R Λ Rᵀ, with sliders for everything that matters.

    Args:
        eigenvalues: (λ₁, λ₂), magnitudes in [0.01, 100]. λ₁ > 0; λ₂ may be negative,
            which makes 0 a saddle point.
        angle: the rotation of the eigenvectors, radians (the slider shows degrees).
        init: θ₀, two finite numbers, not both 0.
        optimizer: one of :data:`OPTIMIZERS`.
        learning_rate: α, in (0, 10].
        momentum: β for momentum and Nesterov, in [0, 0.99].
        b1: β₁ for Adam, in [0, 0.99].
        b2: β₂ for Adam, in [0, 0.999].
        steps: T, at most 300.
        main: the slider the book's text is about (``"learning_rate"``, ``"momentum"``,
            ``"b1"``, ``"b2"``, ``"lambda1"``, ``"lambda2"``, ``"angle"`` or ``"steps"``);
            every slider is live on every page, so this is kept as a checked label only.
        sliders: the controls to show, by name: ``"optimizer"``, ``"learning_rate"``,
            ``"momentum"``, ``"b1"``, ``"b2"``, ``"lambda1"``, ``"lambda2"``, ``"saddle"``
            (λ₂'s sign), ``"angle"``, ``"steps"``; ``"eigenvalues"`` stands for the three
            of λ. All by default. The others keep the values given here. Offering the
            optimizer menu offers the β controls of the optimizers on it (β, β₁, β₂):
            each is shown while its optimizer is picked, at the value given here.

    Attributes:
        spec, values, result: see :class:`~descent.explorers.widget.ExplorerWidget`.
        sliders: name → control spec, for the controls shown.
        init: θ₀, float64.

    >>> explorer = QuadraticExplorer(eigenvalues=(1.0, 6.0), learning_rate=0.1)
    >>> explorer.set(optimizer="momentum", momentum=0.5)["limit"]
    [0.5, '2(1+β)/λ_max']
    """

    CONTROLS = ("optimizer", "learning_rate", "momentum", "b1", "b2", "lambda1", "lambda2",
                "saddle", "angle", "steps")
    MAINS = ("learning_rate", "momentum", "b1", "b2", "lambda1", "lambda2", "angle", "steps")
    MAX_STEPS = 300
    BETAS = {"momentum": ("momentum", "nesterov"), "b1": ("adam",), "b2": ("adam",)}
    """Each β control and the optimizers of the menu that use it."""

    def __init__(
        self,
        eigenvalues: Sequence[float] = (1.0, 6.0),
        angle: float = 0.0,
        init: Sequence[float] = (9.5, -1.0),
        optimizer: str = "gd",
        learning_rate: float = 0.1,
        momentum: float = 0.9,
        b1: float = 0.9,
        b2: float = 0.999,
        steps: int = 50,
        main: str = "learning_rate",
        sliders: Iterable[str] | None = None,
    ):
        lam = np.asarray(eigenvalues, dtype=float)
        if lam.shape != (2,) or not np.all(np.isfinite(lam)):
            raise ValueError(f"QuadraticExplorer: eigenvalues must be two numbers, got {eigenvalues!r}")
        if not (lam[0] > 0 and np.all((0.01 <= np.abs(lam)) & (np.abs(lam) <= 100))):
            raise ValueError(
                "QuadraticExplorer: eigenvalues must be (λ₁, λ₂) with λ₁ in [0.01, 100] and "
                f"|λ₂| in [0.01, 100] (λ₂ may be negative), got {eigenvalues!r}"
            )
        init = np.asarray(init, dtype=float)
        if init.shape != (2,) or not np.all(np.isfinite(init)) or not np.any(init):
            raise ValueError(f"QuadraticExplorer: init must be two finite numbers, not both 0, got {init!r}")
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"QuadraticExplorer: optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
        if not (0 < learning_rate <= 10):
            raise ValueError(f"QuadraticExplorer: learning_rate must be in (0, 10], got {learning_rate!r}")
        if not (0 <= momentum <= 0.99):
            raise ValueError(f"QuadraticExplorer: momentum must be in [0, 0.99], got {momentum!r}")
        if not (0 <= b1 <= 0.99):
            raise ValueError(f"QuadraticExplorer: b1 must be in [0, 0.99], got {b1!r}")
        if not (0 <= b2 <= 0.999):
            raise ValueError(f"QuadraticExplorer: b2 must be in [0, 0.999], got {b2!r}")
        if not (isinstance(steps, (int, np.integer)) and 1 <= steps <= self.MAX_STEPS):
            raise ValueError(f"QuadraticExplorer: steps must be an integer in [1, {self.MAX_STEPS}], got {steps!r}")
        if main not in self.MAINS:
            raise ValueError(f"QuadraticExplorer: main must be one of {self.MAINS}, got {main!r}")
        if not np.isfinite(angle):
            raise ValueError(f"QuadraticExplorer: angle must be finite, got {angle!r}")
        shown = self._shown(sliders)

        self.main = main
        self.init = init
        self._problems: dict = {}
        controls = self._control_specs(learning_rate)
        self.sliders = {name: controls[name] for name in self.CONTROLS if name in shown}
        self.offered = OPTIMIZERS if "optimizer" in shown else (optimizer,)
        values = {
            "optimizer": optimizer,
            "learning_rate": float(learning_rate),
            "momentum": float(momentum),
            "b1": float(b1),
            "b2": float(b2),
            "lambda1": float(lam[0]),
            "lambda2": float(abs(lam[1])),
            "saddle": bool(lam[1] < 0),
            "angle": float(np.degrees(angle)) % 180.0,
            "steps": int(steps),
        }
        title = ("optimizers" if "optimizer" in shown else optimizer) + " on a quadratic"
        spec = {
            "kind": "quadratic",
            "title": title,
            "controls": list(self.sliders.values()),
            "init": init.tolist(),
            "half": 1.15 * float(np.linalg.norm(init)),  # The square window: ±half.
            "max_steps": self.MAX_STEPS,
            "optimizers": list(OPTIMIZERS),
        }
        super().__init__(spec, values)

    @classmethod
    def _shown(cls, sliders) -> set[str]:
        shown = shown_controls("QuadraticExplorer", cls.CONTROLS, sliders,
                               {"eigenvalues": {"lambda1", "lambda2", "saddle"}})
        if "optimizer" in shown:  # The menu offers momentum and Adam: and so their β's.
            shown |= set(cls.BETAS)
        return shown

    def _control_specs(self, learning_rate: float) -> dict[str, dict]:
        def log(label, symbol, low, high):
            return {"label": label, "symbol": symbol, "type": "log", "min": low, "max": high, "step": 0.01}

        def linear(label, symbol, low, high, step):
            return {"label": label, "symbol": symbol, "type": "linear", "min": low, "max": high, "step": step}

        controls = {
            "optimizer": {"label": "optimizer", "type": "select", "options": list(OPTIMIZERS)},
            "learning_rate": log("learning rate α", "α", min(1e-3, float(learning_rate)), 10.0),
            "momentum": linear("momentum β", "β", 0.0, 0.99, 0.01),
            "b1": linear("β₁ (Adam)", "β₁", 0.0, 0.99, 0.01),
            "b2": linear("β₂ (Adam)", "β₂", 0.0, 0.999, 0.001),
            "lambda1": log("λ₁", "λ₁", 0.01, 100.0),
            "lambda2": log("|λ₂|", "|λ₂|", 0.01, 100.0),
            "saddle": {"label": "λ₂ < 0 (saddle)", "type": "checkbox"},
            "angle": {**linear("angle (°)", "angle", 0.0, 180.0, 1.0), "unit": "°"},
            "steps": {"label": "steps T", "symbol": "T", "type": "int", "min": 1, "max": self.MAX_STEPS,
                      "step": 1},
        }
        for name, users in self.BETAS.items():
            controls[name]["shown_for"] = list(users)
        return {name: {"name": name, **control} for name, control in controls.items()}

    # -- The runs -------------------------------------------------------------------------

    def _state(self, state: Mapping[str, Any] | None) -> Mapping[str, Any]:
        return self.values if state is None else {**self.values, **state}

    def problem(self, state: Mapping[str, Any] | None = None) -> _problems.Quadratic:
        """The quadratic for ``state`` (the current values by default), in float64."""
        state = self._state(state)
        lam = (float(state["lambda1"]), -float(state["lambda2"]) if state["saddle"] else float(state["lambda2"]))
        key = (lam, float(state["angle"]))
        if key not in self._problems:
            if len(self._problems) > 256:
                self._problems.clear()
            with jax.enable_x64(True):  # Its arrays float64.
                # θ = angle·π/180, written as the front end writes it.
                self._problems[key] = _problems.quadratic(lam, angle=key[1] * math.pi / 180, init=self.init)
        return self._problems[key]

    def _diagonal_error(self, Q: np.ndarray) -> str | None:
        diagonal = np.diag(Q)
        if np.any(np.abs(diagonal) < 1e-9 * np.abs(Q).max()):
            return ("the diagonal preconditioner P = diag(1/Q₁₁, 1/Q₂₂) needs Qᵢᵢ ≠ 0, "
                    f"and here diag(Q) = ({_fmt(diagonal[0])}, {_fmt(diagonal[1])}): "
                    "rotate the eigenvectors a little")
        return None

    def run(self, state: Mapping[str, Any] | None = None) -> Run:
        """The float64 :class:`descent.runner.Run` for ``state``, all ``MAX_STEPS`` steps.

        Raises:
            ValueError: the diagonal preconditioner on a Q with a zero on its diagonal.
        """
        state = self._state(state)
        problem = self.problem(state)
        name, lr, beta = state["optimizer"], float(state["learning_rate"]), float(state["momentum"])
        if name not in OPTIMIZERS:
            raise ValueError(f"QuadraticExplorer: optimizer must be one of {OPTIMIZERS}, got {name!r}")
        if name in ("gd", "adagrad", "rmsprop"):
            hyper = {}
        elif name in ("momentum", "nesterov"):
            hyper = {"momentum": beta}
        elif name == "adam":
            hyper = {"b1": float(state["b1"]), "b2": float(state["b2"])}
        else:
            Q = np.asarray(problem.Q, dtype=float)
            if name == "preconditioned (Q⁻¹)":
                # Q⁻¹ by the 2 × 2 formula, in the order the browser's module computes it,
                # so that both sides land on the minimum with the same rounding.
                (a, b), (c, d) = Q.tolist()
                det = a * d - b * c
                P = np.array([[d / det, -b / det], [-c / det, a / det]])
            else:
                error = self._diagonal_error(Q)
                if error:
                    raise ValueError(error)
                P = np.diag(1.0 / np.diag(Q))
            hyper = {"P": P}
        optimizer = _RUNNER.get(name, name)
        with jax.enable_x64(True), compiling(("quadratic", optimizer, self.MAX_STEPS)):
            return run(problem, optimizer, self.MAX_STEPS, learning_rate=lr, **hyper)

    @staticmethod
    def _rates(name: str, lam: np.ndarray, lr: float, beta: float, PQ: np.ndarray | None):
        """Per-eigenvector and overall predicted rates of a linear method, and its limit.

        On a quadratic gradient descent, heavy ball, Nesterov and a fixed preconditioner
        are linear maps of (θ, v); the error shrinks by the spectral radius of that map
        per step. Adaptive methods are not linear: (None, None, None).

        Returns (per-component rates or None, overall rate, (limit, limit text) or None).
        """
        lam = np.asarray(lam, dtype=float)
        lam_max = float(np.max(lam))
        if name == "gd":
            rates = np.abs(1 - lr * lam)  # |1 − αλᵢ|: theory.gd_contraction.
            return rates, float(rates.max()), (2 / float(np.max(lam[lam > 0])), "2/λ_max")
        if name in ("momentum", "nesterov"):
            rates = []
            for l in lam:
                if name == "momentum":
                    M = np.array([[1 - lr * l, -lr * beta], [l, beta]])
                else:
                    M = np.array([[1 - lr * l * (1 + beta), -lr * beta**2], [l, beta]])
                rates.append(float(np.max(np.abs(np.linalg.eigvals(M)))))
            rates = np.asarray(rates)
            if name == "momentum":
                limit = (2 * (1 + beta) / lam_max, "2(1+β)/λ_max")
            else:
                limit = (2 * (1 + beta) / ((1 + 2 * beta) * lam_max), "2(1+β)/((1+2β)λ_max)")
            return rates, float(rates.max()), limit
        if name == "preconditioned (Q⁻¹)":
            rates = np.full(2, abs(1 - lr))
            return rates, float(rates[0]), (2.0, "2")
        if name == "preconditioned (diagonal)" and PQ is not None:
            mu = np.linalg.eigvals(PQ)
            overall = float(np.max(np.abs(1 - lr * mu)))
            mu_max = float(np.max(mu.real))
            return None, overall, ((2 / mu_max, "2/λ_max(PQ)") if mu_max > 0 else None)
        return None, None, None

    def compute(self, values: Mapping[str, Any]) -> dict:
        """The result for ``values``: the run's first T steps and the theory numbers."""
        problem = self.problem(values)
        lam = np.asarray(problem.eigenvalues, dtype=float)
        R = np.asarray(problem.eigenvectors, dtype=float)
        Q = np.asarray(problem.Q, dtype=float)
        name, lr, beta = values["optimizer"], float(values["learning_rate"]), float(values["momentum"])
        steps = int(values["steps"])
        if name == "preconditioned (diagonal)":
            error = self._diagonal_error(Q)
            if error:
                return {"error": error}
        result = self.run(values)
        diverged_at = result.diverged_at if result.diverged_at is not None and result.diverged_at <= steps else None

        PQ = np.diag(1.0 / np.diag(Q)) @ Q if name == "preconditioned (diagonal)" else None
        rates, predicted, limit = self._rates(name, lam, lr, beta, PQ)
        if predicted is not None and predicted < 1e-12:
            predicted = 0.0  # 1 − α μ computed in float64 as 5.6e-16: zero, to rounding.
        positive = lam[lam > 0]
        return {
            "trajectory": _json(np.asarray(result.trajectory)[: steps + 1]),
            "losses": _json(np.asarray(result.losses)[: steps + 1]),
            "diverged_at": diverged_at,
            "lam": lam.tolist(),
            "R": R.tolist(),
            "Q": Q.tolist(),
            "L0": float(0.5 * self.init @ (Q @ self.init)),
            "rates": None if rates is None else [_number(r) for r in rates],
            "predicted": _number(predicted),
            "limit": None if limit is None else [_number(limit[0]), limit[1]],
            "gd_limit": 2 / float(positive.max()),
            "optimal": 2 / float(lam.min() + lam.max()) if np.all(lam > 0) else None,
        }

    def _warm_up_values(self):
        for name in self.offered:  # A bowl: the diagonal preconditioner always applies.
            yield {**self.values, "optimizer": name, "saddle": False}
