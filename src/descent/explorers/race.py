r"""Several optimizers racing on a 2-D problem, each with its own learning-rate slider.

Kind ``"race"`` of the explorer contract. Python describes the problem (by name and
parameters when it is one of :mod:`descent.problems`' 2-D functions, so that the front
end evaluates it itself; as a grid of loss values otherwise), chooses the contour levels,
and in a kernel runs every entry with :func:`descent.runner.run` in float64. An entry may
use an optimizer of the reader's own: the kernel runs it; a page with no kernel says so.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Mapping

import jax
import jax.numpy as jnp
import numpy as np
from jax.tree_util import Partial

from descent import optimizers as _optimizers
from descent import problems as _problems
from descent.explorers.widget import ExplorerWidget, _json, _number, compiling, dumps
from descent.runner import Run, _optimizer, run

__all__ = ["Explorer"]

_ALIASES = {"gd": "sgd", "heavy ball": "momentum"}  # Book names → descent.optimizers.
# Matplotlib's default colours C0…C9; entry i uses C_i for i < 3, C_{i+1} after (red warns).
TAB10 = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
         "#7f7f7f", "#bcbd22", "#17becf")
# A problem the front end cannot evaluate ships its loss on a grid: the finest of these
# (points per axis) whose JSON keeps the whole spec within SPEC_BYTES.
GRIDS = (80, 72, 64, 56, 48, 40, 32)
SPEC_BYTES = 45_000


def _color(i: int) -> str:
    return TAB10[(i if i < 3 else i + 1) % len(TAB10)]


def _float64(a) -> np.ndarray:
    """A float array as float64; a float32 one through its shortest decimal, so 0.01 → 0.01.

    A problem built without x64 holds float32 arrays made from the reader's decimals
    (θ₀ = (−1.2, 1)); widened bit for bit, −1.2 would become −1.2000000476837158.
    """
    a = np.asarray(a)
    if a.dtype == np.float32:
        return np.array([float(str(x)) for x in a.ravel()]).reshape(a.shape)
    return a.astype(np.float64)


def _to_float64(tree):
    """Every floating-point array of ``tree`` as a float64 JAX array (call it with x64 on)."""
    def convert(a):
        if not jnp.issubdtype(jnp.result_type(a), jnp.floating):
            return a
        return jnp.asarray(_float64(a), jnp.float64)
    return jax.tree.map(convert, tree)


def _described(problem: _problems.Problem) -> dict:
    """The problem as the front end knows it: its name and parameters, or "custom"."""
    loss = problem.loss
    func = loss.func if isinstance(loss, Partial) else loss
    args = [_float64(a) for a in loss.args] if isinstance(loss, Partial) else []
    if func is _problems._rosenbrock_loss:
        return {"name": "rosenbrock", "a": float(args[0]), "b": float(args[1])}
    if func is _problems._beale_loss:
        return {"name": "beale"}
    if func is _problems._saddle_loss:
        return {"name": "saddle"}
    if func is _problems._monkey_saddle_loss:
        return {"name": "monkey_saddle"}
    if func is _problems._quadratic_loss and args[0].shape == (2, 2):
        return {"name": "quadratic", "Q": args[0].tolist()}
    return {"name": "custom"}


@functools.partial(jax.jit, static_argnames="resolution")
def _loss_grid(loss, window, resolution: int):
    """:func:`descent.problems.loss_grid`, compiled: Z[i, j] = L((x[j], y[i])) over the window."""
    xmin, xmax, ymin, ymax = window
    x = jnp.linspace(xmin, xmax, resolution)
    y = jnp.linspace(ymin, ymax, resolution)
    X, Y = jnp.meshgrid(x, y)
    return x, y, jax.vmap(jax.vmap(loss))(jnp.stack([X, Y], axis=-1))


def _grid(problem: _problems.Problem, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The loss of a float64 problem on a grid over its window, float64."""
    loss = problem.loss if isinstance(problem.loss, Partial) else Partial(problem.loss)
    with jax.enable_x64(True):
        x, y, Z = _loss_grid(loss, jnp.asarray(problem.window, jnp.float64), resolution)
        return np.asarray(x), np.asarray(y), np.asarray(Z)


def _levels(problem: _problems.Problem) -> np.ndarray:
    """The contour levels: geometric in L − L* when L* is known, else spread over L.

    As the Matplotlib explorer chose them, from L on a 160 × 160 grid over the window.
    """
    x, y, Z = _grid(problem, 160)
    L_star = problem.minimum_value
    with np.errstate(invalid="ignore"):
        if L_star is not None:
            gap = np.clip(Z - L_star, 0, None)
            positive = gap[gap > 0]
            low = max(np.percentile(positive, 0.5), positive.max() * 1e-8)
            levels = L_star + np.geomspace(low, np.percentile(positive, 99), 22)
        else:
            levels = np.linspace(np.percentile(Z, 2), np.percentile(Z, 98), 23)
    return np.unique(levels)


def _point(p) -> list | None:
    return None if p is None else _float64(p).tolist()


class Explorer(ExplorerWidget):
    r"""Several optimizers racing on a 2-D problem, each with its own learning-rate slider.

    Args:
        problem: a 2-D :class:`descent.problems.Problem` (``rosenbrock()``, ``beale()``,
            ``saddle()``, ``monkey_saddle()``, a ``quadratic``, or one of your own with
            a ``window``).
        optimizers: label → hyperparameters. A label is the name of an optimizer of
            :mod:`descent.optimizers` (``"momentum"``, ``"adam"``…) or ``"gd"``; to race
            one optimizer twice, or one of your own, give each entry a label and say
            which optimizer it is: ``{"adam, β₁ = 0": {"optimizer": "adam",
            "learning_rate": 0.05, "b1": 0.0}}``, ``{"mine": {"optimizer": my_factory,
            "learning_rate": 0.1}}``. Every entry needs a ``learning_rate``, a number: its
            slider spans two decades either side.
        steps: T, the number of steps of every run.
        main: an entry's label; the first by default (kept for compatibility: every
            slider is live on every page).

    Attributes:
        problem: the problem, as given.
        steps: T.
        entries: the labels, in order.
        sliders: label → the spec of its learning-rate control.
    """

    def __init__(
        self,
        problem: _problems.Problem,
        optimizers: Mapping[str, Mapping[str, Any]] | None = None,
        steps: int = 300,
        *,
        main: str | None = None,
    ):
        if optimizers is None:
            optimizers = {
                "gd": {"learning_rate": 1e-3},
                "momentum": {"learning_rate": 1e-3, "momentum": 0.9},
                "adam": {"learning_rate": 0.05},
            }
        if getattr(problem, "window", None) is None:
            raise ValueError(
                f"Explorer: {getattr(problem, 'name', problem)!r} is not a 2-D problem with a "
                "window to draw"
            )
        if not (isinstance(steps, (int, np.integer)) and 1 <= steps <= 10000):
            raise ValueError(f"Explorer: steps must be an integer in [1, 10000], got {steps!r}")
        if not optimizers:
            raise ValueError("Explorer: give at least one optimizer")
        self.problem = problem
        self.steps = int(steps)
        self._entries: dict[str, tuple[Any, dict]] = {}
        values = {}
        for label, given in optimizers.items():
            hyper = dict(given)
            name = hyper.pop("optimizer", label)
            name = _ALIASES.get(name, name) if isinstance(name, str) else name
            lr = hyper.pop("learning_rate", None)
            if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0:
                raise ValueError(f"Explorer: {label!r} needs a learning_rate > 0, got {lr!r}")
            _optimizer("run", name, {"learning_rate": lr, **hyper})  # Checks the name and values.
            self._entries[label] = (name, hyper)
            values[label] = float(lr)
        self.main = next(iter(self._entries)) if main is None else main
        if self.main not in self._entries:
            raise ValueError(f"Explorer: main must be one of {list(self._entries)}, got {main!r}")
        self.entries = tuple(self._entries)
        self.sliders = {
            label: {"name": label, "label": f"{label} α", "symbol": f"α ({label})", "type": "log",
                    "min": values[label] / 100, "max": values[label] * 100, "step": 0.01}
            for label in self.entries
        }
        with jax.enable_x64(True):
            loss = _to_float64(problem.loss) if isinstance(problem.loss, Partial) else problem.loss
            self._problem64 = dataclasses.replace(problem, loss=loss, init=_to_float64(problem.init))
        super().__init__(self._spec(values), values)

    def _spec(self, values: Mapping[str, float]) -> dict:
        problem = self.problem
        described = _described(self._problem64)
        entries = []
        for i, (label, (name, hyper)) in enumerate(self._entries.items()):
            entries.append({"label": label, "optimizer": self._js_name(name, hyper),
                            "hyper": self._js_hyper(hyper), "color": _color(i)})
        L_star = problem.minimum_value
        spec = {
            "kind": "race",
            "title": f"{', '.join(self._entries)} on {problem.name}",
            "controls": list(self.sliders.values()),
            "problem": described,
            "problem_name": problem.name,
            "init": _point(problem.init),
            "window": [float(v) for v in problem.window],
            "minimum": _point(problem.minimum),
            "minimum_value": None if L_star is None else float(L_star),
            "saddle_point": _point(problem.saddle_point),
            "grid": None,
            "levels": _json(_levels(self._problem64)),
            "steps": self.steps,
            "entries": entries,
        }
        if described["name"] == "custom":  # The front end cannot evaluate L: ship it on a grid.
            budget = SPEC_BYTES - len(dumps(spec).encode()) - 16
            spec["grid"] = self._shipped_grid(GRIDS[0])
            size = len(dumps(spec["grid"]).encode())
            if size > budget:  # A value takes about as many bytes at any resolution.
                per_point = size / GRIDS[0] ** 2
                fits = [r for r in GRIDS if 1.05 * per_point * r**2 <= budget] or [GRIDS[-1]]
                spec["grid"] = self._shipped_grid(fits[0])
        return spec

    def _shipped_grid(self, resolution: int) -> dict:
        """L on a grid over the window, to 6 significant digits: {"x", "y", "z"}, z[i][j] = L(x[j], y[i])."""
        x, y, Z = _grid(self._problem64, resolution)
        z = [[float(f"{v:.6g}") if np.isfinite(v) else None for v in row] for row in Z]
        return {"x": x.tolist(), "y": y.tolist(), "z": z}

    @staticmethod
    def _js_name(name, hyper) -> str | None:
        """The optimizer's name in descent.optimizers, or None: the front end cannot run it."""
        if not isinstance(name, str):  # A factory: one of descent's, or the reader's own.
            known = getattr(_optimizers, getattr(name, "__name__", ""), None)
            if known is not name:
                return None
            name = name.__name__
        if any(callable(v) for v in hyper.values()):  # A schedule: only the kernel runs it.
            return None
        return name

    @staticmethod
    def _js_hyper(hyper) -> dict:
        out = {}
        for key, value in hyper.items():
            if value is None or isinstance(value, (bool, str)):
                out[key] = value
            elif callable(value):
                out[key] = None
            elif np.ndim(value) == 0:
                out[key] = _number(value)
            else:
                out[key] = _json(value)
        return out

    # -- The runs -------------------------------------------------------------------------

    def run(self, label: str, learning_rate: float | None = None) -> Run:
        """The float64 :class:`descent.runner.Run` of entry ``label`` (at its current α by default)."""
        if label not in self._entries:
            raise ValueError(f"Explorer: no entry {label!r}; choose from {list(self._entries)}")
        name, hyper = self._entries[label]
        lr = float(self.values[label] if learning_rate is None else learning_rate)
        key = ("race", self._loss_key(), name, tuple(sorted((k, v if isinstance(v, (bool, str)) or v is None
                                                                  else "traced") for k, v in hyper.items())),
               self.steps)
        with jax.enable_x64(True), compiling(key):
            return run(self._problem64, name, self.steps, learning_rate=lr, **hyper)

    def _loss_key(self):
        loss = self._problem64.loss
        return loss.func if isinstance(loss, Partial) else loss

    def compute(self, values: Mapping[str, Any]) -> dict:
        """Every entry's run at the α of ``values``."""
        runs = []
        for label in self.entries:
            try:
                result = self.run(label, values[label])
            except Exception as exc:  # This entry only: the others still race.
                runs.append({"label": label, "error": f"{type(exc).__name__}: {exc}"})
                continue
            runs.append({"label": label, "trajectory": _json(result.trajectory),
                         "losses": _json(result.losses), "diverged_at": result.diverged_at})
        return {"runs": runs}
