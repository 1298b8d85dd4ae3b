r"""Per-coordinate step sizes on a quadratic: where they fix the conditioning and where they do not.

Kind ``"adaptive"`` of the explorer contract. One optimizer of a menu (SGD, AdaGrad,
RMSProp, Adadelta, Adam, Nadam, AMSGrad: :mod:`descent.optimizers`) runs on
L(θ) = ½ θᵀQθ, Q = R(angle) diag(λ₁, λ₂) R(angle)ᵀ, with α, β₁, β₂ (RMSProp's decay,
Adadelta's ρ), λ₁, λ₂, the angle and the number of steps on sliders. Three panels redraw
together:

1. the trajectory on the contours of L, with the eigenvectors dashed;
2. the loss L(θ_t)/L(θ₀) on a log axis;
3. each coordinate's effective step ηᵢ over time (log): the number the optimizer multiplies
   that coordinate's gradient (or, for the Adam family, its first moment m̂) by,

   - SGD: α;
   - AdaGrad: α/(√G_t + ε), G_t = Σ_{s≤t} g_s²;
   - RMSProp: α/(√v_t + ε), v_t = ρ v_{t−1} + (1 − ρ) g_t²;
   - Adadelta: α √(u_{t−1} + ε)/√(v_t + ε), u the average of the squared steps Δθ²;
   - Adam, Nadam: α/(√v̂_t + ε), v̂_t = v_t/(1 − β₂ᵗ); AMSGrad: α/(√v̂_max + ε),

   beside the diagonal Newton steps 1/Q₁₁ and 1/Q₂₂ (dashed): the step each coordinate
   would need if the coordinates were independent. On an axis-aligned quadratic (angle 0)
   they are 1/λ₁ and 1/λ₂, and a per-coordinate method can find them; rotated by 45°,
   Q₁₁ = Q₂₂ and no per-coordinate step undoes the conditioning κ = λ₂/λ₁.

:func:`descent.runner.run` returns the trajectory, not the optimizer's states: the
effective steps are recomputed from the trajectory's gradients g_t = Qθ_t with the
optimizer's own recurrences, in float64 (:func:`effective_steps`), by Python in a kernel
and by ``compute.js`` on a static page; a test holds them to the states of
:mod:`descent.optimizers`.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import jax
import numpy as np

from descent import problems as _problems
from descent.explorers.noisy import _fmt
from descent.explorers.widget import ExplorerWidget, _json, _number, compiling, shown_controls
from descent.runner import Run, first_step_below, run

__all__ = ["AdaptiveExplorer", "ADAPTIVE_OPTIMIZERS", "effective_steps"]

ADAPTIVE_OPTIMIZERS = ("sgd", "adagrad", "rmsprop", "adadelta", "adam", "nadam", "amsgrad")
"""The menu of :class:`AdaptiveExplorer`: names in :mod:`descent.optimizers`."""

LABELS = {"sgd": "SGD", "adagrad": "AdaGrad", "rmsprop": "RMSProp", "adadelta": "Adadelta", "adam": "Adam",
          "nadam": "Nadam", "amsgrad": "AMSGrad"}
"""The menu's text for each optimizer."""

B1_USERS = ("adam", "nadam", "amsgrad")
B2_USERS = ("rmsprop", "adadelta", "adam", "nadam", "amsgrad")
B2_LABELS = {"rmsprop": ("β₂ (decay)", "β₂"), "adadelta": ("β₂ (Zeiler's ρ)", "β₂"), "adam": ("β₂", "β₂"),
             "nadam": ("β₂", "β₂"), "amsgrad": ("β₂", "β₂")}
"""The b2 control's label and symbol for each optimizer that reads it (render.js relabels it)."""

ACCURACY = 1e-6
"""The status line's "steps to L < 10⁻⁶·L₀"."""


def _hyper(name: str, b1: float, b2: float, eps: float) -> dict:
    """The keyword arguments of the :mod:`descent.optimizers` factory, α aside."""
    if name == "sgd":
        return {}
    if name == "adagrad":
        return {"eps": eps}
    if name == "rmsprop":
        return {"decay": b2, "eps": eps}
    if name == "adadelta":
        return {"rho": b2, "eps": eps}
    return {"b1": b1, "b2": b2, "eps": eps}


def effective_steps(name: str, gradients: np.ndarray, learning_rate: float, b1: float = 0.9, b2: float = 0.9,
                    eps: float = 1e-8) -> np.ndarray:
    r"""Each coordinate's effective step η_t of optimizer ``name``, t = 1, …, T.

    Args:
        name: one of :data:`ADAPTIVE_OPTIMIZERS`.
        gradients: g_0, …, g_{T−1}, shape (T, n): the gradients the optimizer saw.
        learning_rate, b1, b2, eps: α, β₁, β₂ (RMSProp's decay, Adadelta's ρ) and ε.

    Returns:
        Shape (T, n): row t − 1 is the step of step t (from θ_{t−1} to θ_t), the factor by
        which the optimizer multiplies g_{t−1} (SGD, AdaGrad, RMSProp, Adadelta) or its
        first moment m̂ (Adam, Nadam, AMSGrad), computed from the same state as the update
        (the recurrences of :mod:`descent.optimizers`, float64, in the order ``compute.js``
        repeats them).

    >>> g = np.array([[3.0, 0.5], [3.0, 0.5]])
    >>> effective_steps("adagrad", g, 0.1).round(4)  # α/√(Σg²): the larger gradient, the smaller step.
    array([[0.0333, 0.2   ],
           [0.0236, 0.1414]])
    """
    g = np.asarray(gradients, dtype=float)
    alpha = float(learning_rate)
    out = np.empty_like(g)
    v = np.zeros(g.shape[1:])
    u = np.zeros(g.shape[1:])  # Adadelta's E[Δθ²]; AMSGrad's v̂_max.
    for t in range(g.shape[0]):
        gt = g[t]
        if name == "sgd":
            out[t] = alpha
        elif name == "adagrad":
            v = v + gt * gt  # G_t.
            out[t] = alpha / (np.sqrt(v) + eps)
        elif name == "rmsprop":
            v = b2 * v + (1 - b2) * (gt * gt)
            out[t] = alpha / (np.sqrt(v) + eps)
        elif name == "adadelta":
            v = b2 * v + (1 - b2) * (gt * gt)  # E[g²].
            ratio = np.sqrt(u + eps) / np.sqrt(v + eps)  # RMS[Δθ]_{t−1} / RMS[g]_t.
            delta = -ratio * gt
            u = b2 * u + (1 - b2) * (delta * delta)  # E[Δθ²].
            out[t] = alpha * ratio
        elif name in ("adam", "nadam", "amsgrad"):
            v = b2 * v + (1 - b2) * (gt * gt)
            v_hat = v * (1 / (1 - b2 ** (t + 1)))  # Bias correction, step t + 1.
            if name == "amsgrad":
                u = np.maximum(u, v_hat)  # The largest v̂ so far.
                v_hat = u
            out[t] = alpha / (np.sqrt(v_hat) + eps)
        else:
            raise ValueError(f"effective_steps: optimizer must be one of {ADAPTIVE_OPTIMIZERS}, got {name!r}")
    return out


def _gradients(trajectory: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """g_t = Qθ_t for each row θ_t, element by element (compute.js's order)."""
    x, y = trajectory[:, 0], trajectory[:, 1]
    return np.stack([Q[0, 0] * x + Q[0, 1] * y, Q[1, 0] * x + Q[1, 1] * y], axis=1)


class AdaptiveExplorer(ExplorerWidget):
    r"""AdaGrad, RMSProp, Adadelta and Adam's family on a rotated quadratic: the effective steps.

    Args:
        eigenvalues: (λ₁, λ₂), each in [0.01, 100] (a convex quadratic).
        angle: the rotation of the eigenvectors, radians, in [0, π/2] (the slider shows
            degrees, 0 to 90).
        init: θ₀, two finite numbers, not both 0.
        optimizer: one of :data:`ADAPTIVE_OPTIMIZERS`.
        learning_rate: α in (0, 10]; None for a default per optimizer: 1 for Adadelta
            (Zeiler's, which has none), 2/(λ₁ + λ₂) for SGD (its best), 0.1 otherwise.
        b1: β₁ of Adam, Nadam and AMSGrad, in [0, 0.99].
        b2: β₂ of Adam, Nadam and AMSGrad, RMSProp's decay and Adadelta's ρ, in [0, 0.999].
        eps: ε of every optimizer but SGD, in (0, 1]; fixed (the status line shows it).
        steps: T, an integer in [1, 300].
        sliders: the controls to show, by name: ``"optimizer"``, ``"learning_rate"``,
            ``"b1"``, ``"b2"``, ``"lambda1"``, ``"lambda2"``, ``"angle"``, ``"steps"``;
            ``"eigenvalues"`` stands for both λ's. All by default. β₁ is shown only while
            Adam, Nadam or AMSGrad is picked, β₂ while one that reads it is (relabelled
            "β₂ (decay)" for RMSProp, "β₂ (Zeiler's ρ)" for Adadelta); offering the menu offers both.

    Attributes:
        spec, values, result: see :class:`~descent.explorers.widget.ExplorerWidget`.
        sliders: name → control spec, for the controls shown.
        init: θ₀, float64.
        eps: ε.

    The result (``explorer.set(...)`` returns it) holds, for the first T steps:
    ``trajectory`` (T + 1 rows θ_t), ``losses`` (L(θ_t)), ``diverged_at`` (a step or
    None; from it on the rows are None), ``effective`` (T rows [η₁, η₂], row t − 1 for
    step t: :func:`effective_steps`), ``newton`` ([1/Q₁₁, 1/Q₂₂]), ``ratio`` (η₁/η₂ at step
    T, None if not finite), ``reached`` (the first t with L(θ_t) ≤ 10⁻⁶ L(θ₀), or None),
    ``lam``, ``R``, ``Q`` and ``L0``.

    >>> explorer = AdaptiveExplorer(eigenvalues=(1.0, 25.0), optimizer="rmsprop", steps=300)
    >>> eta = explorer.set(angle=0.0)["effective"][-1]  # η₁, η₂ at step T.
    >>> round(eta[0], 3), round(eta[1], 3)  # 2/λ₁, 2/λ₂: η₁/η₂ = λ₂/λ₁, as diagonal Newton's.
    (2.0, 0.08)
    >>> round(explorer.set(angle=45.0)["ratio"], 3)  # Rotated by 45°: η₁ = η₂, whatever λ₂/λ₁.
    1.0
    """

    CONTROLS = ("optimizer", "learning_rate", "b1", "b2", "lambda1", "lambda2", "angle", "steps")
    MAX_STEPS = 300
    LOSS_RANGE = (1e-30, 1e4)
    """The loss panel's y range, L(θ_t)/L(θ₀)."""

    def __init__(
        self,
        eigenvalues: Sequence[float] = (1.0, 25.0),
        angle: float = 0.0,
        init: Sequence[float] = (-2.0, 1.6),
        optimizer: str = "adagrad",
        learning_rate: float | None = None,
        b1: float = 0.9,
        b2: float = 0.9,
        eps: float = 1e-8,
        steps: int = 100,
        sliders: Iterable[str] | None = None,
    ):
        name = type(self).__name__

        def number(x) -> bool:
            return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) \
                and math.isfinite(x)

        lam = np.asarray(eigenvalues, dtype=float) if np.ndim(eigenvalues) == 1 else np.zeros(0)
        if lam.shape != (2,) or not np.all(np.isfinite(lam)):
            raise ValueError(f"{name}: eigenvalues must be two numbers (λ₁, λ₂), got {eigenvalues!r}")
        if not np.all((0.01 <= lam) & (lam <= 100)):
            raise ValueError(
                f"{name}: eigenvalues must be in [0.01, 100] (positive: a convex quadratic), got {eigenvalues!r}")
        if not (number(angle) and 0 <= angle <= math.pi / 2 + 1e-12):
            raise ValueError(f"{name}: angle must be in [0, π/2] radians (0° to 90°; np.pi/4 for 45°), "
                             f"got {angle!r}")
        theta0 = np.asarray(init, dtype=float) if np.ndim(init) == 1 else np.zeros(0)
        if theta0.shape != (2,) or not np.all(np.isfinite(theta0)) or not np.any(theta0):
            raise ValueError(f"{name}: init must be two finite numbers, not both 0, got {init!r}")
        if optimizer not in ADAPTIVE_OPTIMIZERS:
            raise ValueError(f"{name}: optimizer must be one of {ADAPTIVE_OPTIMIZERS}, got {optimizer!r}")
        if learning_rate is None:
            learning_rate = self.default_learning_rate(optimizer, lam)
        if not (number(learning_rate) and 0 < learning_rate <= 10):
            raise ValueError(f"{name}: learning_rate must be in (0, 10] (or None: the optimizer's default), "
                             f"got {learning_rate!r}")
        if not (number(b1) and 0 <= b1 <= 0.99):
            raise ValueError(f"{name}: b1 must be in [0, 0.99], got {b1!r}")
        if not (number(b2) and 0 <= b2 <= 0.999):
            raise ValueError(f"{name}: b2 (RMSProp's decay, Adadelta's ρ, Adam's β₂) must be in [0, 0.999], "
                             f"got {b2!r}")
        if not (number(eps) and 0 < eps <= 1):
            raise ValueError(f"{name}: eps must be in (0, 1], got {eps!r}")
        if isinstance(steps, bool) or not (isinstance(steps, (int, np.integer)) and 1 <= steps <= self.MAX_STEPS):
            raise ValueError(f"{name}: steps must be an integer in [1, {self.MAX_STEPS}], got {steps!r}")
        shown = self._shown(sliders)

        self.init = theta0
        self.eps = float(eps)
        self._problems: dict = {}
        lr = float(learning_rate)
        controls = {
            "optimizer": {"label": "optimizer", "type": "select", "options": list(ADAPTIVE_OPTIMIZERS),
                          "labels": [LABELS[m] for m in ADAPTIVE_OPTIMIZERS]},
            "learning_rate": {"label": "learning rate α", "symbol": "α", "type": "log",
                              "min": min(1e-3, lr), "max": 10.0, "step": 0.01},
            "b1": {"label": "β₁", "symbol": "β₁", "type": "linear", "min": 0.0, "max": 0.99, "step": 0.01,
                   "shown_for": list(B1_USERS)},
            "b2": {"label": "β₂", "symbol": "β₂", "type": "linear", "min": 0.0, "max": 0.999, "step": 0.001,
                   "shown_for": list(B2_USERS), "labels_for": {k: list(v) for k, v in B2_LABELS.items()}},
            "lambda1": {"label": "eigenvalue λ₁", "symbol": "λ₁", "type": "log", "min": 0.01, "max": 100.0,
                        "step": 0.01},
            "lambda2": {"label": "eigenvalue λ₂", "symbol": "λ₂", "type": "log", "min": 0.01, "max": 100.0,
                        "step": 0.01},
            "angle": {"label": "angle (°)", "symbol": "angle", "type": "linear", "min": 0.0, "max": 90.0,
                      "step": 1.0, "unit": "°"},
            "steps": {"label": "steps T", "symbol": "T", "type": "int", "min": 1, "max": self.MAX_STEPS, "step": 1},
        }
        self.sliders = {c: {"name": c, **controls[c]} for c in self.CONTROLS if c in shown}
        self.offered = ADAPTIVE_OPTIMIZERS if "optimizer" in shown else (optimizer,)
        values = {
            "optimizer": optimizer,
            "learning_rate": lr,
            "b1": float(b1),
            "b2": float(b2),
            "lambda1": float(lam[0]),
            "lambda2": float(lam[1]),
            "angle": min(float(np.degrees(angle)), 90.0),
            "steps": int(steps),
        }
        title = ("adaptive methods" if "optimizer" in shown else LABELS[optimizer]) + " on a quadratic"
        spec = {
            "kind": "adaptive",
            "title": title,
            "controls": list(self.sliders.values()),
            "init": theta0.tolist(),
            "half": 1.15 * float(np.linalg.norm(theta0)),  # The square window: ±half.
            "max_steps": self.MAX_STEPS,
            "eps": self.eps,
            "accuracy": ACCURACY,
            "loss_range": list(self.LOSS_RANGE),
            "labels": LABELS,
        }
        super().__init__(spec, values)

    @classmethod
    def _shown(cls, sliders) -> set[str]:
        shown = shown_controls("AdaptiveExplorer", cls.CONTROLS, sliders, {"eigenvalues": {"lambda1", "lambda2"}})
        if "optimizer" in shown:  # The menu offers Adam and RMSProp: and so their β's.
            shown |= {"b1", "b2"}
        return shown

    @staticmethod
    def default_learning_rate(optimizer: str, eigenvalues) -> float:
        """α when none is given: 1 for Adadelta, SGD's best 2/(λ₁ + λ₂), else 0.1."""
        if optimizer == "adadelta":
            return 1.0
        if optimizer == "sgd":
            return 2 / float(np.sum(eigenvalues))
        return 0.1

    # -- The run --------------------------------------------------------------------------

    def problem(self, values: Mapping[str, Any]) -> _problems.Quadratic:
        """The quadratic of ``values``, float64 (cached per (λ₁, λ₂, angle))."""
        key = (float(values["lambda1"]), float(values["lambda2"]), float(values["angle"]))
        if key not in self._problems:
            if len(self._problems) > 256:
                self._problems.clear()
            with jax.enable_x64(True):
                # The angle as the front end reads it: degrees·π/180.
                self._problems[key] = _problems.quadratic(key[:2], angle=key[2] * math.pi / 180, init=self.init)
        return self._problems[key]

    def run(self, values: Mapping[str, Any]) -> Run:
        """MAX_STEPS steps of the optimizer at ``values`` (one compiled loop per optimizer)."""
        name = values["optimizer"]
        hyper = _hyper(name, float(values["b1"]), float(values["b2"]), self.eps)
        with jax.enable_x64(True), compiling(("quadratic", name, self.MAX_STEPS)):
            return run(self.problem(values), name, self.MAX_STEPS, learning_rate=float(values["learning_rate"]),
                       **hyper)

    def _check(self, values: Mapping[str, Any]) -> None:
        """A ValueError naming the first bad value (the front end's computeAdaptive says the same)."""
        name = type(self).__name__

        def number(x):
            return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)

        method, steps = values.get("optimizer"), values.get("steps")
        if method not in ADAPTIVE_OPTIMIZERS:
            raise ValueError(
                f"{name}: optimizer must be one of {', '.join(ADAPTIVE_OPTIMIZERS)}, got {_fmt(method)}")
        if not (number(values.get("learning_rate")) and values["learning_rate"] > 0):
            raise ValueError(f"{name}: learning rate α must be a positive number, got {_fmt(values.get('learning_rate'))}")
        for key, label in (("b1", "β₁"), ("b2", "β₂ (ρ)")):
            if not (number(values.get(key)) and 0 <= values[key] < 1):
                raise ValueError(f"{name}: {label} must be in [0, 1), got {_fmt(values.get(key))}")
        for key, label in (("lambda1", "λ₁"), ("lambda2", "λ₂")):
            if not (number(values.get(key)) and values[key] > 0):
                raise ValueError(f"{name}: eigenvalue {label} must be a positive number, got {_fmt(values.get(key))}")
        if not (number(values.get("angle")) and 0 <= values["angle"] <= 90):
            raise ValueError(f"{name}: angle must be in [0, 90] degrees, got {_fmt(values.get('angle'))}")
        if not (number(steps) and float(steps).is_integer() and 1 <= steps <= self.MAX_STEPS):
            raise ValueError(f"{name}: steps T must be a whole number in [1, {self.MAX_STEPS}], got {_fmt(steps)}")

    def compute(self, values: Mapping[str, Any]) -> dict:
        """The run's first T steps, the effective steps, and what the status line reads."""
        self._check(values)
        name, steps = values["optimizer"], int(values["steps"])
        problem = self.problem(values)
        result = self.run(values)
        diverged_at = result.diverged_at if result.diverged_at is not None and result.diverged_at <= steps else None
        trajectory = np.asarray(result.trajectory, dtype=float)[: steps + 1]
        losses = np.asarray(result.losses, dtype=float)[: steps + 1]
        Q = np.asarray(problem.Q, dtype=float)
        with np.errstate(all="ignore"):  # A diverged run: inf and NaN, sent as null.
            eta = effective_steps(name, _gradients(trajectory[:steps], Q), float(values["learning_rate"]),
                                  float(values["b1"]), float(values["b2"]), self.eps)
            eta[~np.all(np.isfinite(trajectory[:steps]), axis=1)] = np.nan  # None from divergence on (SGD's α too).
            x0, y0 = self.init
            L0 = 0.5 * (x0 * (Q[0, 0] * x0 + Q[0, 1] * y0) + y0 * (Q[1, 0] * x0 + Q[1, 1] * y0))  # ½ θ₀·(Qθ₀).
            last = eta[-1]
            ratio = float(last[0] / last[1]) if np.all(np.isfinite(last)) and last[1] > 0 else None
        return {
            "trajectory": _json(trajectory),
            "losses": _json(losses),
            "diverged_at": diverged_at,
            "effective": _json(eta),
            "lam": np.asarray(problem.eigenvalues, dtype=float).tolist(),
            "R": np.asarray(problem.eigenvectors, dtype=float).tolist(),
            "Q": Q.tolist(),
            "L0": float(L0),
            "newton": [1.0 / Q[0, 0], 1.0 / Q[1, 1]],
            "reached": first_step_below(losses, ACCURACY) if losses[0] > 0 else None,
            "ratio": _number(ratio),
        }

    def _warm_up_values(self):
        for name in self.offered:
            yield {**self.values, "optimizer": name}
