r"""Hard and soft targets: the KL loss curves of one optimizer on both, and their logit gaps.

Kind ``"softlabel"`` of the explorer contract. The problem is
:func:`descent.problems.soft_label_classifier`: a linear layer and a softmax over two
classes fitted to one example x, the loss KL(y ‖ p), the parameters {"W": (2, d), "b": (2,)}
from 0. Each move runs the same optimizer with the same hyperparameters twice, on two
targets: a hard one (by default (0, 1)) and a soft one (k, 1 − k), 0 < k < ½ (by default
k = 0.3). Two panels redraw together:

1. both targets' loss KL(y ‖ p_t) over the steps, on a log axis that stops at
   :data:`FLOOR` = 10⁻¹⁵: below it the KL as float64 computes it,
   Σ t (log t − log p), is rounding noise (it can come out as 0 or even negative), and
   those steps are drawn on the bottom edge;
2. both runs' logit gap Δs_t = s₂ − s₁, s = W x + b, with the soft target's optimum
   Δs* = log(y₂/y₁) = log(1/k − 1) dashed (where p = y); a one-hot target has its
   optimum at ±∞, so its Δs can only keep growing.

The status line gives both final losses, the soft run's Δs_T against Δs*, and the number
of *ripples* of the soft loss curve (:func:`ripples`): what a reader needs to find the β₁
at which Adam's approach to the soft target stops rippling.

In a kernel, Python computes both runs (:func:`descent.runner.run`, float64; one compiled
loop per optimizer, whatever the target or the hyperparameters); on a static page
``compute.js`` computes them (``computeSoftlabel``), and a parity test holds the two equal.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import jax
import numpy as np

from descent import problems as _problems
from descent.explorers.noisy import _fmt
from descent.explorers.widget import ExplorerWidget, _json, _number, compiling, shown_controls
from descent.runner import Run, run

__all__ = ["LossCurveExplorer", "OPTIMIZER_LABELS", "FLOOR", "ripples", "logit_gaps"]

OPTIMIZER_LABELS = {"adam": "Adam", "sgd": "gradient descent", "momentum": "heavy ball (momentum)"}
"""The menu: a :mod:`descent.optimizers` name → its text. One example: "sgd" is full-batch GD."""

FLOOR = 1e-15
"""Where the loss axis stops, and the KL's rounding in float64: smaller losses are noise."""


def ripples(losses: Sequence[float | None]) -> int:
    r"""The number of ripples of a loss curve: its local maxima that rounding cannot make.

    A ripple is a step t, 0 < t < T, at which the loss rises and then falls, each by more
    than the rounding of the KL in float64:

    .. math::
        L_t - L_{t-1} > \epsilon_t \quad\text{and}\quad L_t - L_{t+1} > \epsilon_t,
        \qquad \epsilon_t = 10^{-15} \max(1, L_t).

    Non-finite losses (None or NaN) are never part of a ripple. ``compute.js`` counts them
    the same way (``ripples`` there).
    """
    L = np.array([np.nan if v is None else float(v) for v in losses], dtype=float)
    if L.size < 3:
        return 0
    mid = L[1:-1]
    eps = FLOOR * np.maximum(1.0, mid)
    with np.errstate(invalid="ignore"):
        peak = (mid - L[:-2] > eps) & (mid - L[2:] > eps)
    return int(np.count_nonzero(peak))


def logit_gaps(W: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Δs_t = s₂ − s₁ with s = W x + b, per step, summed in the order compute.js sums.

    Args:
        W: shape (T + 1, 2, d); b: shape (T + 1, 2); x: shape (d,).
    """
    z = W[:, :, 0] * x[0]
    for j in range(1, x.size):
        z = z + W[:, :, j] * x[j]
    z = z + b
    return z[:, 1] - z[:, 0]


class LossCurveExplorer(ExplorerWidget):
    r"""One optimizer on a hard and a soft target of a softmax classifier: losses and logit gaps.

    Args:
        targets: (hard, soft): two distributions over two classes. The second must be
            (k, 1 − k) with 0 < k < ½ (its k is the slider "soft target k"; Δs* =
            log(1/k − 1) > 0); the first is usually one-hot, (0, 1).
        x: the example, d finite numbers (1 ≤ d ≤ 8, each in [−100, 100]).
        optimizer: ``"adam"``, ``"sgd"`` (full-batch gradient descent: there is one
            example) or ``"momentum"`` (heavy ball), the names of :mod:`descent.optimizers`.
        learning_rate: α in (0, 100].
        b1: Adam's β₁ in [0, 0.99].
        b2: Adam's β₂ in [0.8, 0.9999]. Adam's ε is the default, 1e-8.
        steps: T, an integer in [1, 1000].
        sliders: the controls to show, by name: ``"optimizer"``, ``"learning_rate"``,
            ``"b1"``, ``"b2"``, ``"momentum"``, ``"soft"`` (k), ``"steps"``. All by
            default. β₁ and β₂ are shown only while Adam is picked, β only for momentum.
        momentum: the heavy ball's β in [0, 0.99].

    Attributes:
        spec, values, result: see :class:`~descent.explorers.widget.ExplorerWidget`.
        sliders: name → control spec, for the controls shown.

    ``result`` holds, per target (hard first): ``losses`` (L_0 … L_T), ``gaps``
    (Δs_0 … Δs_T), ``diverged_at``, ``optimal_gaps`` (Δs*, None when it is ±∞) and
    ``ripples`` (:func:`ripples`), and the ``targets`` themselves.

    >>> explorer = LossCurveExplorer()
    >>> result = explorer.set(b1=0.9)
    >>> round(result["optimal_gaps"][1], 4), result["optimal_gaps"][0]  # log(0.7/0.3); ∞.
    (0.8473, None)
    >>> result["ripples"][1] > explorer.set(b1=0.5)["ripples"][1]  # Less momentum, fewer.
    True
    """

    CONTROLS = ("optimizer", "learning_rate", "b1", "b2", "momentum", "soft", "steps")
    OPTIMIZERS = tuple(OPTIMIZER_LABELS)
    MAX_STEPS = 1000
    MAX_FEATURES = 8

    def __init__(
        self,
        targets: Sequence[Sequence[float]] = ((0.0, 1.0), (0.3, 0.7)),
        x: Sequence[float] = (1.0,),
        optimizer: str = "adam",
        learning_rate: float = 0.1,
        b1: float = 0.9,
        b2: float = 0.999,
        steps: int = 300,
        sliders: Iterable[str] | None = None,
        momentum: float = 0.9,
    ):
        name = type(self).__name__

        def number(v) -> bool:
            return (isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                    and math.isfinite(v))

        try:
            pairs = np.asarray(targets, dtype=float)
        except (TypeError, ValueError):
            pairs = np.zeros(0)
        if pairs.shape != (2, 2) or not np.all(np.isfinite(pairs)):
            raise ValueError(f"{name}: targets must be two targets over two classes, (hard, soft), such as "
                             f"((0, 1), (0.3, 0.7)), got {targets!r}")
        for i, t in enumerate(pairs):
            if np.any(t < 0) or abs(t.sum() - 1) > 1e-9:
                raise ValueError(f"{name}: targets[{i}] must be a distribution (non-negative, summing to 1), "
                                 f"got {tuple(t.tolist())!r}")
        k = float(pairs[1, 0])
        if not 0 < k < 0.5:
            raise ValueError(f"{name}: targets[1] must be the soft target (k, 1 − k) with 0 < k < 0.5 "
                             f"(its k is the slider), got {tuple(pairs[1].tolist())!r}; put the hard target "
                             f"first, e.g. targets=((0, 1), (0.3, 0.7))")
        xs = np.asarray(x, dtype=float) if np.ndim(x) == 1 else np.zeros(0)
        if not (1 <= xs.size <= self.MAX_FEATURES) or not np.all(np.isfinite(xs)) or np.any(np.abs(xs) > 100):
            raise ValueError(f"{name}: x must be 1 to {self.MAX_FEATURES} finite numbers in [-100, 100], got {x!r}")
        if optimizer not in self.OPTIMIZERS:
            raise ValueError(f"{name}: optimizer must be one of {self.OPTIMIZERS}, got {optimizer!r}")
        if not (number(learning_rate) and 0 < learning_rate <= 100):
            raise ValueError(f"{name}: learning_rate must be in (0, 100], got {learning_rate!r}")
        if not (number(b1) and 0 <= b1 <= 0.99):
            raise ValueError(f"{name}: b1 (Adam's β₁) must be in [0, 0.99], got {b1!r}")
        if not (number(b2) and 0.8 <= b2 <= 0.9999):
            raise ValueError(f"{name}: b2 (Adam's β₂) must be in [0.8, 0.9999], got {b2!r}")
        if not (number(momentum) and 0 <= momentum <= 0.99):
            raise ValueError(f"{name}: momentum (the heavy ball's β) must be in [0, 0.99], got {momentum!r}")
        if isinstance(steps, bool) or not (isinstance(steps, (int, np.integer)) and 1 <= steps <= self.MAX_STEPS):
            raise ValueError(f"{name}: steps must be an integer in [1, {self.MAX_STEPS}], got {steps!r}")
        shown = shown_controls(name, self.CONTROLS, sliders)

        self.x = xs
        self.hard = tuple(float(v) for v in pairs[0])
        self._problems: dict = {}
        lr = float(learning_rate)
        controls = {
            "optimizer": {"label": "optimizer", "type": "select", "options": list(self.OPTIMIZERS),
                          "labels": [OPTIMIZER_LABELS[o] for o in self.OPTIMIZERS]},
            "learning_rate": {"label": "learning rate α", "symbol": "α", "type": "log",
                              "min": min(1e-3, lr), "max": 100.0, "step": 0.01},
            "b1": {"label": "Adam's β₁", "symbol": "β₁", "type": "linear", "min": 0.0, "max": 0.99,
                   "step": 0.01, "shown_for": ["adam"]},
            "b2": {"label": "Adam's β₂", "symbol": "β₂", "type": "linear", "min": 0.8, "max": 0.9999,
                   "step": 0.0001, "shown_for": ["adam"]},
            "momentum": {"label": "momentum β", "symbol": "β", "type": "linear", "min": 0.0, "max": 0.99,
                         "step": 0.01, "shown_for": ["momentum"]},
            "soft": {"label": "soft target k", "symbol": "k", "type": "linear", "min": min(0.01, k),
                     "max": 0.49, "step": 0.01},
            "steps": {"label": "steps T", "symbol": "T", "type": "int", "min": 1, "max": self.MAX_STEPS, "step": 1},
        }
        self.sliders = {c: {"name": c, **controls[c]} for c in self.CONTROLS if c in shown}
        self.offered = self.OPTIMIZERS if "optimizer" in shown else (optimizer,)
        values = {
            "optimizer": optimizer,
            "learning_rate": lr,
            "b1": float(b1),
            "b2": float(b2),
            "momentum": float(momentum),
            "soft": k,
            "steps": int(steps),
        }
        title = (OPTIMIZER_LABELS[optimizer] if "optimizer" not in shown else "one optimizer") + \
            " on a hard and a soft target"
        spec = {
            "kind": "softlabel",
            "title": title,
            "controls": list(self.sliders.values()),
            "hard": list(self.hard),
            "x": xs.tolist(),
            "eps": 1e-8,  # Adam's ε.
            "max_steps": self.MAX_STEPS,
            "floor": FLOOR,
            "labels": OPTIMIZER_LABELS,
        }
        super().__init__(spec, values)

    # -- The runs -------------------------------------------------------------------------

    @staticmethod
    def soft_target(k: float) -> tuple[float, float]:
        """The soft target of slider value k: (k, 1 − k)."""
        return (float(k), 1.0 - float(k))

    def problem(self, target: tuple[float, float]) -> _problems.SoftLabelClassifier:
        """The classifier fitted to this target, float64 (cached per target)."""
        if target not in self._problems:
            if len(self._problems) > 256:
                self._problems.clear()
            with jax.enable_x64(True):
                self._problems[target] = _problems.soft_label_classifier(target, self.x)
        return self._problems[target]

    @staticmethod
    def hyperparameters(values: Mapping[str, Any]) -> dict:
        """The optimizer's keyword arguments at ``values`` (Adam's ε left at its default)."""
        method, lr = values["optimizer"], float(values["learning_rate"])
        if method == "adam":
            return {"learning_rate": lr, "b1": float(values["b1"]), "b2": float(values["b2"])}
        if method == "momentum":
            return {"learning_rate": lr, "momentum": float(values["momentum"])}
        return {"learning_rate": lr}

    LOOPS = (100, 300, MAX_STEPS)
    """The lengths of the compiled loops: a run of T steps takes the shortest that holds T."""

    def run(self, values: Mapping[str, Any], target: tuple[float, float]) -> Run:
        """The first steps of one target's run, at least T (one compiled loop per optimizer
        and length in :attr:`LOOPS`, for every target: a move costs T steps, not MAX_STEPS)."""
        method = values["optimizer"]
        length = next(n for n in self.LOOPS if n >= int(values["steps"]))
        with jax.enable_x64(True), compiling(("soft_label_classifier", method, length)):
            return run(self.problem(target), method, length, **self.hyperparameters(values))

    def _check(self, values: Mapping[str, Any]) -> None:
        """A ValueError naming the first bad value (the front end's computeSoftlabel says the same)."""
        name = type(self).__name__

        def number(v):
            return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

        method, steps, k = values.get("optimizer"), values.get("steps"), values.get("soft")
        if method not in self.OPTIMIZERS:
            raise ValueError(f"{name}: optimizer must be one of {', '.join(self.OPTIMIZERS)}, got {_fmt(method)}")
        if not (number(values.get("learning_rate")) and values["learning_rate"] > 0):
            raise ValueError(f"{name}: learning rate α must be a positive number, got {_fmt(values.get('learning_rate'))}")
        for key, label in (("b1", "Adam's β₁"), ("b2", "Adam's β₂"), ("momentum", "momentum β")):
            if not (number(values.get(key)) and 0 <= values[key] < 1):
                raise ValueError(f"{name}: {label} must be in [0, 1), got {_fmt(values.get(key))}")
        if not (number(k) and 0 < k < 0.5):
            raise ValueError(f"{name}: soft target k must be in (0, 0.5), got {_fmt(k)}")
        if not (number(steps) and float(steps).is_integer() and 1 <= steps <= self.MAX_STEPS):
            raise ValueError(f"{name}: steps T must be a whole number in [1, {self.MAX_STEPS}], got {_fmt(steps)}")

    def compute(self, values: Mapping[str, Any]) -> dict:
        """Both runs' first T steps: losses, logit gaps, divergence, Δs* and ripples."""
        self._check(values)
        steps = int(values["steps"])
        targets = [self.hard, self.soft_target(values["soft"])]
        losses, gaps, diverged, optimal, counts = [], [], [], [], []
        for target in targets:
            result = self.run(values, target)
            W = np.asarray(result.trajectory["W"], dtype=float)[: steps + 1]
            b = np.asarray(result.trajectory["b"], dtype=float)[: steps + 1]
            curve = np.asarray(result.losses, dtype=float)[: steps + 1]
            with np.errstate(invalid="ignore", over="ignore"):
                gap = logit_gaps(W, b, self.x)
            losses.append(_json(curve))
            gaps.append(_json(gap))
            at = result.diverged_at
            diverged.append(at if at is not None and at <= steps else None)
            t1, t2 = target
            optimal.append(math.log(t2 / t1) if t1 > 0 and t2 > 0 else None)  # Δs* = log(y₂/y₁).
            counts.append(ripples(curve))
        return {
            "targets": [list(t) for t in targets],
            "losses": losses,
            "gaps": gaps,
            "diverged_at": diverged,
            "optimal_gaps": [_number(v) for v in optimal],
            "ripples": counts,
        }

    def _warm_up_values(self):
        for method in self.offered:
            for length in self.LOOPS:
                yield {**self.values, "optimizer": method, "steps": length}
