r"""Explorers: drag a learning rate, β₁ or an eigenvalue and watch the optimizer respond.

Four explorers, each a figure with sliders, for the "See it" section of a chapter:

- :class:`QuadraticExplorer`: one optimizer on the quadratic L(θ) = ½ θᵀQθ, Q = R Λ Rᵀ.
  Sliders for the learning rate α, the momentum β, Adam's β₁ and β₂, the eigenvalues λ₁
  and λ₂ (λ₂ may be made negative: a saddle), the rotation of the eigenvectors and the
  number of steps; a menu of optimizers. Panels: the trajectory on the contours, the
  loss, and the error along each eigenvector. The figure states the stability limit
  2/λ_max, the optimal learning rate 2/(λ_min + λ_max), the predicted rate next to the
  measured one, "reached the minimum in k steps" or "below float32 resolution after step
  k" when the loss leaves what a log axis can draw, and "diverged at step k" (the first
  step from which L stays above L(θ₀)) or, at a saddle, "ran off to infinity" when the
  run blows up, read from the run itself.
- :class:`Explorer`: several optimizers racing on any 2-D problem of
  :mod:`descent.problems` (Rosenbrock, Beale, the saddles), each with its own α.
- :class:`LossCurveExplorer`: problems that cannot be drawn in the plane (the soft-label
  classifier): one loss curve per target, sliders for α and β₁.
- :class:`MinibatchExplorer`: minibatch SGD on a 2-D least-squares problem, with the
  batch size B, α and the random seed on sliders, SGD's mean-square stability limit α_B
  and the noise floor.

Put one as the last expression of a cell and it displays itself:

>>> from descent.explorers import QuadraticExplorer
>>> explorer = QuadraticExplorer(eigenvalues=(1.0, 6.0), learning_rate=2.0)
>>> explorer.message
'diverged at step 1: α = 2 > 2/λ_max = 0.333, the error grows ×11 per step; float32 overflow at step 19'
>>> explorer.sliders["learning_rate"].value = 0.1  # What dragging the slider does.
>>> explorer.message
''

Design. The figure is built once. Every artist that moves with a slider (trajectory, loss
curves, texts) is *animated*: it is left out of a cached background and drawn over a copy
of it on each update (blitting, :class:`descent.scrubber.BlitCanvas`); nothing is cleared
and no ``interact`` re-runs a cell. The runs come from :func:`descent.runner.run`, one
jitted loop per optimizer whose hyperparameters, starting point and quadratic are traced
arguments: moving a slider never recompiles. The loop always takes the largest number of
steps the slider allows, and the figure shows the first T, so the steps slider does not
recompile either. On a quadratic the contours are the level sets ½ θᵀQθ = c themselves,
ellipses (or hyperbolas at a saddle) computed in closed form once per (eigenvalues,
angle), and the axes do not depend on the eigenvalues, so no slider forces the background
to be redrawn; only the number of steps crossing a round bound (10, 20, 50…) and the
sign of λ₂ change the axes.

Why an ``ipywidgets.Image`` fed by Matplotlib's Agg canvas, and not ipympl: the frame is
rendered in the kernel and sent as JPEG bytes to an ``Image``, a core widget that renders
wherever ipywidgets does (JupyterLab, Notebook 7, VS Code, Colab, Binder) with no
frontend extension to install and no custom widget manager to enable. ipympl needs its
own JavaScript extension in every frontend, matched in version to the kernel's package,
and Colab only shows it after ``google.colab.output.enable_custom_widget_manager()``; when
any of that is missing the reader sees a dead figure. Blitting on Agg and encoding a JPEG
takes about as long as ipympl's own round trip, well under a frame at 60 Hz on a laptop
(see ``benchmarks/explorers.py``).

A page built with no kernel cannot run the callback, so each explorer also carries a
kernel-free version (:meth:`static_html`, the ``text/html`` of its display): its main
slider scrubs precomputed frames, a background image with one transparent overlay per
value, swapped by a few lines of inline JavaScript. Jupyter shows the live widget; the
book's HTML build shows the scrubber (``nb_mime_priority_overrides`` in ``_config.yml``).

A callback never fails silently: a run that diverges, an extreme value or a non-finite
number is named on the figure, and an exception is shown on the figure and, with its
traceback, in a message box under it.
"""

from __future__ import annotations

import functools
import html
import math
import traceback
from typing import Any, Iterable, Mapping, Sequence

import ipywidgets as widgets
import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from descent import problems as _problems
from descent import theory
from descent.scrubber import BlitCanvas, scrubber_html
from descent.runner import run

__all__ = ["QuadraticExplorer", "Explorer", "LossCurveExplorer", "MinibatchExplorer", "OPTIMIZERS"]

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

FRAMES = 40  # Values of the main slider in the static version.
DPI = 90
NOTE = (
    "This page has no Python running behind it, so only this slider moves, through "
    "precomputed frames. {others} launch this chapter in Binder or Colab with the rocket "
    "button at the top of the page."
)
_STEP_BOUNDS = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
_ALIASES = {"gd": "sgd", "heavy ball": "momentum"}  # Book names → descent.optimizers.


def _fmt(x: float) -> str:
    """A number for a label: 3 significant digits."""
    if x is None or not np.isfinite(x):
        return "∞" if x is not None and x > 0 else "—"
    return f"{x:.3g}"


def _round_bound(steps: int) -> int:
    """The x-axis limit for ``steps`` steps: the next round number, so it rarely changes."""
    return next((b for b in _STEP_BOUNDS if b >= steps), int(steps))


def _log_slider(description: str, value: float, low: float, high: float) -> widgets.FloatLogSlider:
    """A slider over [low, high] on a log scale whose grid of steps passes through ``value``.

    The frontend snaps a slider's value to its steps; with the grid shifted to contain
    the starting value, λ = 6 stays 6 and not 10^0.78 = 6.03.
    """
    step = 0.01
    center = math.log10(value)
    lo = center - math.floor((center - math.log10(low)) / step + 1e-9) * step
    hi = center + math.floor((math.log10(high) - center) / step + 1e-9) * step
    return widgets.FloatLogSlider(
        value=value, base=10, min=lo, max=hi, step=step,
        description=description, readout_format=".3g", continuous_update=True,
        style={"description_width": "9em"}, layout=widgets.Layout(width="100%"),
    )


def _linear_slider(description, value, low, high, step, integer=False):
    cls = widgets.IntSlider if integer else widgets.FloatSlider
    extra = {} if integer else {"readout_format": ".3g"}
    return cls(
        value=value, min=low, max=high, step=step, description=description,
        continuous_update=True, style={"description_width": "9em"},
        layout=widgets.Layout(width="100%"), **extra,
    )


def _runner_name(name: str) -> str:
    return _ALIASES.get(name, name)


_TINY = float(np.finfo(np.float32).tiny)  # The smallest normal float32, 1.2e-38.
_JUMP = 1e-10  # One step that divides the loss by 10¹⁰ or more went to the minimum itself.


def _measured_rate(distances: np.ndarray) -> float | None:
    """The average factor per step by which the distance shrank over the second half.

    Measured over the steps whose distance float32 still resolves (≥ 1e-30): a distance
    that underflowed to 0 says nothing about the rate, and none is made up from it.
    """
    ok = np.isfinite(distances) & (distances >= 1e-30)
    if not ok[0]:
        return None
    last = len(ok) - 1 if ok.all() else int(np.argmin(ok)) - 1
    if last < 1:
        return None
    first = last // 2
    return float((distances[last] / distances[first]) ** (1.0 / (last - first)))


def _above_from(losses: np.ndarray) -> int | None:
    """The first step t ≥ 1 from which L(θ_s) > L(θ₀) for every s ≥ t, or None.

    A loss that is no longer finite counts as above: the run has left for good. This is
    the step a run *diverged at*: from then on it is worse than where it started.
    """
    above = ~(np.asarray(losses, dtype=float) <= losses[0])  # NaN: above.
    above[0] = False
    if not above[-1]:
        return None
    return int(len(above) - np.argmin(above[::-1]))


def _blowup(losses: np.ndarray, diverged_at: int | None) -> str | None:
    """Which way a run that stopped being finite went, read from its losses.

    ``"below"``: L → −∞, the run ran off down a direction along which L is unbounded
    below (the escape from a saddle); ``"above"``: L → +∞, or a non-finite number with
    no such descent before it. None if the run stayed finite.
    """
    if diverged_at is None:
        return None
    at = float(losses[diverged_at])
    if at == -math.inf:
        return "below"
    before = np.asarray(losses[:diverged_at], dtype=float)
    before = before[np.isfinite(before)]
    scale = max(abs(float(before[0])), 1.0) if before.size else 1.0
    if at != math.inf and before.size and before[-1] < -1e6 * scale:
        return "below"
    return "above"


def _resolution(gaps: np.ndarray) -> tuple[str, int] | None:
    """Where a loss gap L(θ_t) − L* left what float32 resolves, or None if it never did.

    ``("minimum", t)``: step t divided the gap by 10¹⁰ or more, from a normal float32
    down to rounding or to 0: the run reached the minimum, to float32 precision, in t
    steps (Newton's step, or Jacobi's on an axis-aligned bowl). ``("underflow", t)``: the
    gap fell gradually below the smallest normal float32 (1.2e-38), or to 0, after step
    t: a log axis has nothing left to draw, though the run still converges at its rate.
    """
    gaps = np.asarray(gaps, dtype=float)
    with np.errstate(invalid="ignore"):
        for t in range(1, len(gaps)):
            previous, gap = gaps[t - 1], gaps[t]
            if not (np.isfinite(previous) and np.isfinite(gap)):
                return None
            if previous >= 1e-30 and gap <= _JUMP * previous:
                return ("minimum", t)
            if gap < _TINY:
                return ("underflow", t - 1)
    return None


# ---------------------------------------------------------------------------------------
# What every explorer shares: the widget, the blitted figure, the static scrubber.


class _Explorer:
    """The machinery of an explorer; subclasses build the figure and draw a state.

    A subclass sets ``self.figure``, ``self.artists``, ``self._info``, ``self._alert``,
    ``self._controls`` (every control, shown or not), ``self.sliders`` (those shown) and
    ``self._canvas``, then calls :meth:`_finish`. It implements ``_state()`` (the current
    values of the controls), ``_draw(state)`` (set the animated artists for a state) and
    ``_main_values()`` (the values of the main slider for the static version).
    """

    main: str
    figure: Figure
    artists: dict[str, Any]
    sliders: dict[str, widgets.Widget]

    # -- The figure's status lines and canvas -----------------------------------------------

    def _add_status(self, fig: Figure, alert_y: float) -> list:
        """The numbers at the top of ``fig`` (``_info``) and the red warning at ``alert_y``."""
        self._info = fig.text(0.01, 0.985, "", va="top", ha="left", fontsize=9)
        self._alert = fig.text(0.01, alert_y, "", va="top", ha="left", fontsize=9, color="#b00020",
                               fontweight="bold")
        return [self._info, self._alert]

    def _use_canvas(self, fig: Figure, animated: list) -> None:
        """Draw ``fig`` on a blitted canvas; ``animated`` are the artists that move."""
        self.figure = fig
        self._canvas = BlitCanvas(fig, animated)

    # -- The live widget ------------------------------------------------------------------

    def _finish(self, controls: Sequence[widgets.Widget]) -> None:
        width, height = self._canvas.size
        self._image = widgets.Image(
            format="jpeg",
            layout=widgets.Layout(width="100%", max_width=f"{width}px", height="auto"),
        )
        self._messages = widgets.HTML(value="")
        grid = widgets.GridBox(
            list(controls),
            layout=widgets.Layout(grid_template_columns="repeat(2, minmax(18em, 1fr))",
                                  grid_gap="0 1.5em", max_width=f"{width}px"),
        )
        self.widget = widgets.VBox([grid, self._image, self._messages])
        self.widget.add_class("descent-explorer")
        for control in self._controls.values():
            control.observe(self._on_change, names="value")
        self.update()

    def _on_change(self, change=None) -> None:
        self.update()

    def update(self) -> None:
        """Redraw for the current slider values and send the new frame to the widget."""
        error = self._safe_draw(self._state())
        try:
            self._image.value = self._canvas.frame()
        except Exception as exc:  # Rendering itself failed: say so under the figure.
            error = error or (exc, traceback.format_exc())
        self._messages.value = "" if error is None else self._error_html(*error)

    def _safe_draw(self, state: Mapping[str, Any]):
        """Draw ``state``; on an exception, blank the curves and name it on the figure."""
        try:
            self._sync_controls(state)
            self._draw(state)
            return None
        except Exception as exc:
            for artist in self._canvas.animated:
                if isinstance(artist, Line2D):
                    artist.set_data([], [])
                elif isinstance(artist, LineCollection) and artist not in self._keep_on_error:
                    artist.set_segments([])
            self._info.set_text("")
            self._alert.set_text(f"error: {type(exc).__name__}: {exc}"[:300])
            return exc, traceback.format_exc()

    _keep_on_error: tuple = ()

    def _sync_controls(self, state: Mapping[str, Any]) -> None:
        """Enable or relabel controls for the state (e.g. β is unused by plain GD)."""

    @staticmethod
    def _error_html(exc: BaseException, trace: str) -> str:
        return (
            '<div style="color:#b00020;font-family:monospace;font-size:0.9em">'
            f"The explorer could not draw these values: {html.escape(type(exc).__name__)}: "
            f"{html.escape(str(exc))}"
            f"<details><summary>traceback</summary><pre>{html.escape(trace)}</pre></details></div>"
        )

    @property
    def message(self) -> str:
        """The warning shown on the figure ('diverged at step 7: …'), or ''."""
        return self._alert.get_text()

    @property
    def info(self) -> str:
        """The numbers shown at the top of the figure (limits, rates…)."""
        facts = getattr(self, "_facts", None)
        return "\n".join(t.get_text() for t in (facts, self._info) if t is not None and t.get_text())

    @property
    def image(self) -> bytes:
        """The bytes of the frame the widget shows now (JPEG)."""
        return bytes(self._image.value)

    # -- Display --------------------------------------------------------------------------

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """The live widget for Jupyter, the scrubber for a static page, and plain text."""
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        try:
            bundle["text/html"] = self.static_html()
        except Exception as exc:  # The live widget still works; say why the page has none.
            bundle["text/html"] = self._error_html(exc, traceback.format_exc())
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self._title()}>"

    def _title(self) -> str:
        return ""

    # -- The static version ---------------------------------------------------------------

    def static_html(self, frames: int = FRAMES) -> str:
        """The kernel-free version: the main slider scrubs ``frames`` precomputed frames.

        A background image (what does not move with the main slider) and, for each value,
        a transparent overlay with the curves and texts, all inline; see
        :func:`descent.scrubber.scrubber_html`. The live figure is left as it was.
        """
        state = self._state()
        values, labels, start, slider_label = self._main_values(state, frames)
        animated, slow = list(self._canvas.animated), list(self._canvas.slow)
        still = [a for a in animated if a in self._still_for(self.main)]
        try:
            self._begin_static(state, values)
            for artist in still:  # Constant while the main slider moves: background.
                self._canvas.animated.remove(artist)
                if artist in self._canvas.slow:
                    self._canvas.slow.remove(artist)
                artist.set_animated(False)
            self._safe_draw({**state, self.main: values[start]})
            self._canvas.redraw_background()
            overlays = []
            for value in values:
                self._safe_draw({**state, self.main: value})
                overlays.append(self._canvas.overlay_png())
            background = self._canvas.background_png()
        finally:
            for artist in still:
                artist.set_animated(True)
            self._canvas.animated, self._canvas.slow = animated, slow
            self._end_static()
            self._canvas.redraw_background()
            self._safe_draw(state)
        return scrubber_html(
            background, overlays, labels, start, self._canvas.size, slider_label, self._note(),
            alt=f"{self._title()}: the figure for each value of {slider_label}",
        )

    def _note(self) -> str:
        """The sentence under the static slider: which controls only a kernel can move."""
        others = [control.description for name, control in self.sliders.items() if name != self.main]
        if others:
            return NOTE.format(others=f"To move the other controls ({', '.join(others)}),")
        return NOTE.format(others="To run it with values of your own,")

    def _still_for(self, main: str) -> Iterable:
        """Animated artists that do not change when only ``main`` moves."""
        return ()

    def _begin_static(self, state, values) -> None:
        """Fix anything (axes) that would change between the static frames."""

    def _end_static(self) -> None:
        pass

    @staticmethod
    def _with_current(values: np.ndarray, current: float, log: bool = True) -> tuple[list, int]:
        """``values`` with ``current`` put in place of the nearest one; and its index.

        Nearest on a log scale if ``log``, else on a linear one.
        """
        values = [float(v) for v in values]
        if log:
            index = int(np.argmin([abs(math.log(v / current)) for v in values]))
        else:
            index = int(np.argmin([abs(v - current) for v in values]))
        values[index] = current
        return values, index


# ---------------------------------------------------------------------------------------
# One optimizer on a 2-D quadratic.


class QuadraticExplorer(_Explorer):
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
        main: the slider the static page scrubs: ``"learning_rate"``, ``"momentum"``,
            ``"b1"``, ``"b2"``, ``"lambda1"``, ``"lambda2"``, ``"angle"`` or ``"steps"``.
        sliders: the controls to show, by name: ``"optimizer"``, ``"learning_rate"``,
            ``"momentum"``, ``"b1"``, ``"b2"``, ``"lambda1"``, ``"lambda2"``, ``"saddle"``
            (λ₂'s sign), ``"angle"``, ``"steps"``; ``"eigenvalues"`` stands for the three
            of λ. All by default. The others keep the values given here. Offering the
            optimizer menu offers the β controls of the optimizers on it (β, β₁, β₂):
            each is shown while its optimizer is picked, at the value given here.

    Attributes:
        widget: the ipywidgets box (controls, figure, message box).
        sliders: name → control widget, for the controls shown.
        figure: the Matplotlib figure.
        artists: name → the animated artist (``"trajectory"``, ``"loss"``, ``"error 1"``…).
        message: the warning on the figure, or ''.
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
        self._half = 1.15 * float(np.linalg.norm(init))  # The square window: ±half.
        self._problems: dict = {}
        self._contours: dict = {}
        self._layout = None
        self._static_bound = None

        degrees = float(np.degrees(angle)) % 180.0
        self._controls = {
            "optimizer": widgets.Dropdown(options=list(OPTIMIZERS), value=optimizer,
                                          description="optimizer",
                                          style={"description_width": "9em"},
                                          layout=widgets.Layout(width="100%")),
            "learning_rate": _log_slider("learning rate α", learning_rate,
                                         min(1e-3, learning_rate), 10.0),
            "momentum": _linear_slider("momentum β", momentum, 0.0, 0.99, 0.01),
            "b1": _linear_slider("β₁ (Adam)", b1, 0.0, 0.99, 0.01),
            "b2": _linear_slider("β₂ (Adam)", b2, 0.0, 0.999, 0.001),
            "lambda1": _log_slider("λ₁", float(lam[0]), 0.01, 100.0),
            "lambda2": _log_slider("|λ₂|", float(abs(lam[1])), 0.01, 100.0),
            "saddle": widgets.Checkbox(value=bool(lam[1] < 0), description="λ₂ < 0 (saddle)",
                                       indent=True, style={"description_width": "9em"}),
            "angle": _linear_slider("angle (°)", degrees, 0.0, 180.0, 1.0),
            "steps": _linear_slider("steps T", int(steps), 1, self.MAX_STEPS, 1, integer=True),
        }
        self.sliders = {name: self._controls[name] for name in self.CONTROLS if name in shown}
        self._build_figure()
        self._finish(list(self.sliders.values()))

    @classmethod
    def _shown(cls, sliders) -> set[str]:
        if sliders is None:
            return set(cls.CONTROLS)
        if isinstance(sliders, str):
            sliders = [sliders]
        shown = set()
        for name in sliders:
            if name == "eigenvalues":
                shown |= {"lambda1", "lambda2", "saddle"}
            elif name in cls.CONTROLS:
                shown.add(name)
            else:
                raise ValueError(
                    f"QuadraticExplorer: no slider named {name!r}; choose from "
                    f"{cls.CONTROLS + ('eigenvalues',)}"
                )
        if "optimizer" in shown:  # The menu offers momentum and Adam: and so their β's.
            shown |= set(cls.BETAS)
        return shown

    # -- The figure -----------------------------------------------------------------------

    def _build_figure(self) -> None:
        fig = Figure(figsize=(10.5, 3.9), dpi=DPI)
        fig.subplots_adjust(left=0.055, right=0.99, bottom=0.13, top=0.75, wspace=0.3)
        ax_path, ax_loss, ax_error = fig.subplots(1, 3)
        h = self._half
        ax_path.set(xlim=(-h, h), ylim=(-h, h), xlabel=r"$\theta_1$", ylabel=r"$\theta_2$")
        ax_path.set_aspect("equal", adjustable="box")
        ax_path.set_title("trajectory on the contours of $L$", fontsize=10)
        ax_path.plot(*self.init, "o", color="k", ms=5, zorder=4)
        ax_path.plot(0, 0, "+", color="k", ms=9, mew=1.5, zorder=4)
        contours = LineCollection([], linewidths=0.8, cmap="viridis", zorder=1)
        axes_lines = LineCollection([], linewidths=0.8, colors="0.55", linestyles="--", zorder=1)
        ax_path.add_collection(contours)
        ax_path.add_collection(axes_lines)
        (trajectory,) = ax_path.plot([], [], "o-", color="#d62728", ms=2.5, lw=1.2, zorder=3)

        ax_loss.set_title("loss", fontsize=10)
        (loss,) = ax_loss.plot([], [], color="#d62728", lw=1.5)
        # Steps whose loss is exactly 0, which a log axis cannot draw: ▼ just above its floor.
        (loss_zeros,) = ax_loss.plot([], [], "v", color="#d62728", ms=4, clip_on=False)
        zeros_key = ax_loss.text(0.97, 0.05, "", transform=ax_loss.transAxes, ha="right", va="bottom",
                                 fontsize=8, color="#d62728")
        ax_error.set_yscale("log")
        ax_error.set_ylim(self._half * 1e-12, self._half * 1e5)
        ax_error.set_title("error along each eigenvector", fontsize=10)
        ax_error.set_ylabel(r"$|y_i|,\ y = R^\top\theta_t$", fontsize=9)
        ax_error.set_xlabel("step $t$")
        (error_1,) = ax_error.plot([], [], color="C0", lw=1.5)
        (error_2,) = ax_error.plot([], [], color="C1", lw=1.5)
        (predicted_1,) = ax_error.plot([], [], color="k", lw=1.2, ls=":")
        (predicted_2,) = ax_error.plot([], [], color="k", lw=1.2, ls=":")
        ax_error.legend(
            [Line2D([], [], color="C0"), Line2D([], [], color="C1"), Line2D([], [], color="k", lw=1.2, ls=":")],
            [r"along $\lambda_1$'s eigenvector", r"along $\lambda_2$'s", "predicted rate"],
            fontsize=7, loc="upper right",
        )
        for ax in (ax_path, ax_loss, ax_error):
            ax.tick_params(labelsize=8)

        self._facts = fig.text(0.01, 0.985, "", va="top", ha="left", fontsize=9)  # Per λ, angle.
        self._info = fig.text(0.01, 0.93, "", va="top", ha="left", fontsize=9)  # Per move.
        self._alert = fig.text(0.01, 0.87, "", va="top", ha="left", fontsize=9, color="#b00020",
                               fontweight="bold")
        self.figure = fig
        self._axes = {"path": ax_path, "loss": ax_loss, "error": ax_error}
        self.artists = {
            "contours": contours, "eigenvectors": axes_lines, "trajectory": trajectory,
            "loss": loss, "loss zeros": loss_zeros, "loss zeros key": zeros_key,
            "error 1": error_1, "error 2": error_2,
            "predicted 1": predicted_1, "predicted 2": predicted_2,
        }
        animated = [contours, axes_lines, self._facts, trajectory, loss, loss_zeros, zeros_key, error_1,
                    error_2, predicted_1, predicted_2, self._info, self._alert]
        # What changes only with the eigenvalues and the angle is a layer of its own,
        # drawn once per (λ, angle): a learning-rate move draws only the curves and texts.
        self._canvas = BlitCanvas(fig, animated, slow=[contours, axes_lines, self._facts])
        self._keep_on_error = (contours, axes_lines)

    def _set_layout(self, steps: int, definite: bool) -> None:
        """Axes that depend on the state: x up to a round bound, the loss scale. Rarely redrawn."""
        bound = self._static_bound or _round_bound(steps)
        if self._layout == (bound, definite):
            return
        ax_loss, ax_error = self._axes["loss"], self._axes["error"]
        for ax in (ax_loss, ax_error):
            ax.set_xlim(0, bound)
        ax_loss.set_xlabel("step $t$")
        if definite:
            ax_loss.set_yscale("log")
            ax_loss.set_ylim(1e-16, 1e4)
            ax_loss.set_ylabel(r"$L(\theta_t)\,/\,L(\theta_0)$", fontsize=9)
        else:
            ax_loss.set_yscale("symlog", linthresh=1e-2)
            ax_loss.set_ylim(-1e20, 1e4)
            ax_loss.set_ylabel(r"$L(\theta_t)\,/\,|L(\theta_0)|$", fontsize=9)
        self._layout = (bound, definite)
        self._canvas.redraw_background()

    # -- State and drawing ----------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        c = self._controls
        return {name: c[name].value for name in self.CONTROLS}

    def _title(self) -> str:
        s = self._state()
        lam2 = -s["lambda2"] if s["saddle"] else s["lambda2"]
        return f"{s['optimizer']} on a quadratic, λ = ({_fmt(s['lambda1'])}, {_fmt(lam2)})"

    def _sync_controls(self, state) -> None:
        """Only the β's of the optimizer picked apply; with the menu, only they are shown."""
        name = state["optimizer"]
        menu = "optimizer" in self.sliders
        for key, users in self.BETAS.items():
            control = self._controls[key]
            control.disabled = name not in users
            if menu:
                control.layout.display = None if name in users else "none"

    def problem(self, state: Mapping[str, Any] | None = None) -> _problems.Quadratic:
        """The quadratic for ``state`` (the current slider values by default)."""
        state = self._state() if state is None else state
        lam = (float(state["lambda1"]), -float(state["lambda2"]) if state["saddle"] else float(state["lambda2"]))
        key = (lam, float(state["angle"]))
        if key not in self._problems:
            if len(self._problems) > 256:
                self._problems.clear()
            self._problems[key] = _problems.quadratic(lam, angle=math.radians(key[1]), init=self.init)
        return self._problems[key]

    def run(self, state: Mapping[str, Any] | None = None):
        """The :class:`descent.runner.Run` the figure shows, all ``MAX_STEPS`` steps of it."""
        state = self._state() if state is None else state
        problem = self.problem(state)
        name, lr, beta = state["optimizer"], float(state["learning_rate"]), float(state["momentum"])
        steps = self.MAX_STEPS
        if name == "gd":
            return run(problem, "sgd", steps, learning_rate=lr)
        if name in ("momentum", "nesterov"):
            return run(problem, name, steps, learning_rate=lr, momentum=beta)
        if name == "adam":
            return run(problem, "adam", steps, learning_rate=lr, b1=float(state["b1"]), b2=float(state["b2"]))
        if name in ("adagrad", "rmsprop"):
            return run(problem, name, steps, learning_rate=lr)
        Q = np.asarray(problem.Q, dtype=float)
        if name == "preconditioned (Q⁻¹)":
            P = np.linalg.inv(Q)
        else:
            diagonal = np.diag(Q)
            if np.any(np.abs(diagonal) < 1e-9 * np.abs(Q).max()):
                raise ValueError(
                    "the diagonal preconditioner P = diag(1/Q₁₁, 1/Q₂₂) needs Qᵢᵢ ≠ 0, "
                    f"and here diag(Q) = ({_fmt(diagonal[0])}, {_fmt(diagonal[1])}): "
                    "rotate the eigenvectors a little"
                )
            P = np.diag(1.0 / diagonal)
        return run(problem, "precondition", steps, P=P, learning_rate=lr)

    def _contour_segments(self, problem) -> tuple[list, np.ndarray, list]:
        """The level sets ½θᵀQθ = c in closed form, and the eigenvector axes; cached."""
        lam = tuple(np.asarray(problem.eigenvalues).tolist())
        R = np.asarray(problem.eigenvectors, dtype=float)
        key = (lam, tuple(R.ravel().round(12)))
        if key in self._contours:
            return self._contours[key]
        h = self._half
        l1, l2 = lam
        top = max(abs(l1), abs(l2)) * h**2  # The level whose smallest radius is √2 h.
        s = np.linspace(0, 2 * np.pi, 160)
        segments, values = [], []
        if l1 > 0 and l2 > 0:
            for c in np.geomspace(top * 1e-4, top, 14):
                y = np.stack([np.sqrt(2 * c / l1) * np.cos(s), np.sqrt(2 * c / l2) * np.sin(s)], axis=1)
                segments.append(y @ R.T)
                values.append(math.log(c))
        else:  # λ₁ > 0 > λ₂: hyperbolas, L > 0 along λ₁'s eigenvector, L < 0 along λ₂'s.
            for c in np.concatenate([np.geomspace(top * 1e-3, top, 7), -np.geomspace(top * 1e-3, top, 7)]):
                a, b = np.sqrt(2 * abs(c) / l1), np.sqrt(2 * abs(c) / abs(l2))
                if c > 0:  # (±a cosh u, b sinh u)
                    stop = min(np.arccosh(max(2 * h / a, 1.0)), np.arcsinh(2 * h / b))
                else:  # (a sinh u, ±b cosh u)
                    stop = min(np.arccosh(max(2 * h / b, 1.0)), np.arcsinh(2 * h / a))
                u = np.linspace(-stop, stop, 80)
                for sign in (1, -1):
                    if c > 0:
                        y = np.stack([sign * a * np.cosh(u), b * np.sinh(u)], axis=1)
                    else:
                        y = np.stack([a * np.sinh(u), sign * b * np.cosh(u)], axis=1)
                    segments.append(y @ R.T)
                    values.append(math.copysign(math.log(abs(c) / top * 1e4 + 1), c))
            slope = math.sqrt(l1 / abs(l2))  # L = 0: the asymptotes.
            for sign in (1, -1):
                y = np.array([[-2 * h, -2 * h * sign * slope], [2 * h, 2 * h * sign * slope]])
                segments.append(y @ R.T)
                values.append(0.0)
        axes = [np.array([[-2 * h * R[0, i], -2 * h * R[1, i]], [2 * h * R[0, i], 2 * h * R[1, i]]])
                for i in range(2)]
        result = (segments, np.asarray(values), axes)
        if len(self._contours) > 256:
            self._contours.clear()
        self._contours[key] = result
        return result

    @staticmethod
    def _rates(name: str, lam: np.ndarray, lr: float, beta: float, PQ: np.ndarray | None):
        """Per-eigenvector and overall predicted rates of a linear method, and its limit.

        On a quadratic gradient descent, heavy ball, Nesterov and a fixed preconditioner
        are linear maps of (θ, v); the error shrinks by the spectral radius of that map
        per step. Adaptive methods are not linear: (None, None, None).

        Returns (per-component rates or None, overall rate, (limit, limit text) or None).
        """
        lam_max = float(np.max(lam))
        if name == "gd":
            rates = np.asarray(theory.gd_contraction(lr, lam), dtype=float)
            return rates, float(rates.max()), (float(theory.stability_limit(lam[lam > 0])), "2/λ_max")
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

    def _draw(self, state: Mapping[str, Any]) -> None:
        problem = self.problem(state)
        lam = np.asarray(problem.eigenvalues, dtype=float)
        R = np.asarray(problem.eigenvectors, dtype=float)
        Q = np.asarray(problem.Q, dtype=float)
        name, lr, beta = state["optimizer"], float(state["learning_rate"]), float(state["momentum"])
        steps = int(state["steps"])
        definite = bool(np.all(lam > 0))

        result = self.run(state)  # Raises on values no run can take: shown, not swallowed.
        trajectory = np.asarray(result.trajectory, dtype=float)[: steps + 1]
        losses = np.asarray(result.losses, dtype=float)[: steps + 1]
        diverged_at = result.diverged_at if result.diverged_at is not None and result.diverged_at <= steps else None

        self._set_layout(steps, definite)
        t = np.arange(steps + 1)
        h = self._half
        a = self.artists

        self._canvas.slow_key = (tuple(lam.tolist()), float(state["angle"]))
        segments, values, axes = self._contour_segments(problem)
        a["contours"].set_segments(segments)
        a["contours"].set_array(values)
        a["contours"].set_clim(values.min(), values.max())
        a["eigenvectors"].set_segments(axes)
        shown = np.clip(trajectory, -1e6 * h, 1e6 * h)  # Huge numbers only leave the window.
        a["trajectory"].set_data(shown[:, 0], shown[:, 1])

        L0 = 0.5 * self.init @ Q @ self.init
        scale = abs(L0) if L0 != 0 else 1.0
        a["loss"].set_data(t, losses / scale)
        zeros = t[losses == 0] if definite else t[:0]  # On a log axis they would vanish.
        floor = self._axes["loss"].get_ylim()[0] * 10**0.4
        a["loss zeros"].set_data(zeros, np.full(len(zeros), floor))
        a["loss zeros key"].set_text(r"▼  $L(\theta_t) = 0$ in float32: off the log axis" if len(zeros) else "")

        y = np.abs(trajectory @ R)  # |yᵢ| with y = Rᵀθ, one row per step.
        a["error 1"].set_data(t, y[:, 0])
        a["error 2"].set_data(t, y[:, 1])

        PQ = None
        if name == "preconditioned (diagonal)":
            PQ = np.diag(1.0 / np.diag(Q)) @ Q
        rates, predicted, limit = self._rates(name, lam, lr, beta, PQ)
        if predicted is not None and predicted < 1e-12:
            predicted = 0.0  # 1 − α μ computed in float64 as 5.6e-16: zero, to rounding.
        if rates is not None:
            y0 = np.abs(self.init @ R)
            with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
                a["predicted 1"].set_data(t, np.minimum(y0[0] * rates[0] ** t, 1e300))
                a["predicted 2"].set_data(t, np.minimum(y0[1] * rates[1] ** t, 1e300))
        else:
            a["predicted 1"].set_data([], [])
            a["predicted 2"].set_data([], [])

        # The numbers, at the top: those of the quadratic, then those of this run.
        positive = lam[lam > 0]
        facts = [f"λ = ({_fmt(lam[0])}, {_fmt(lam[1])})",
                 f"GD stable below 2/λ_max = {_fmt(float(theory.stability_limit(positive)))}"]
        if definite:
            facts.append(f"optimal 2/(λ_min+λ_max) = {_fmt(float(theory.optimal_learning_rate(lam)))}")
        self._facts.set_text("   ".join(facts))
        parts = [f"{name}:  α = {_fmt(lr)}"]
        if name in ("momentum", "nesterov"):
            parts.append(f"β = {_fmt(beta)}")
        elif name == "adam":
            parts.append(f"β₁ = {_fmt(float(state['b1']))}, β₂ = {_fmt(float(state['b2']))}")
        self._info.set_text("   ".join(parts) + "   " + self._rate_text(
            name, predicted, trajectory, losses if definite else None))
        self._alert.set_text(self._warning(
            lam, lr, predicted, rates, limit, losses, diverged_at, y, name))

    @staticmethod
    def _rate_text(name, predicted, trajectory, losses) -> str:
        """The predicted and measured rates; or that the run reached the minimum, or
        left float32's range, when it did (``losses`` of a bowl, else None)."""
        reached = _resolution(losses) if losses is not None else None
        predicted_text = f"predicted {_fmt(predicted)}" if predicted is not None else ""
        if reached is not None and reached[0] == "minimum":
            steps = f"{reached[1]} step" + ("s" if reached[1] > 1 else "")
            return f"rate: {predicted_text + '; ' if predicted_text else ''}reached the minimum in {steps}"
        measured = _measured_rate(np.linalg.norm(trajectory, axis=1))
        measured_text = _fmt(measured) if measured is not None else "—"
        if predicted_text:
            text = f"rate: {predicted_text}, measured {measured_text}"
        else:
            text = f"rate: measured {measured_text} (no closed form for {name})"
        if reached is not None:  # Underflow: the log axis has nothing left to draw.
            text += f";  L below float32 resolution after step {reached[1]}"
        return text

    @staticmethod
    def _warning(lam, lr, predicted, rates, limit, losses, diverged_at, y, name) -> str:
        """The red line: how the run went wrong, read from the run itself, or ''.

        "diverged at step t" names the first step from which L(θ_t) stays above L(θ₀): a
        run that ends non-finite, or an unstable linear method whose loss has climbed
        past its start. At a saddle, a run whose L → −∞ ran off to infinity instead.
        """
        definite = bool(np.all(lam > 0))
        too_large = limit is not None and lr > limit[0]
        reason = f"α = {_fmt(lr)} > {limit[1]} = {_fmt(limit[0])}" if too_large else ""
        kind = _blowup(losses, diverged_at)
        if kind == "below":
            return (f"ran off to infinity at step {diverged_at}: λ₂ < 0, L is unbounded below "
                    "and θ escapes the saddle along λ₂'s eigenvector")
        step = _above_from(losses)
        if kind == "above" or (too_large and step is not None):
            alert = f"diverged at step {step}"
            details = [reason] if reason else []
            up = "L → +∞" if kind == "above" else "L climbs"  # Seen to the end, or up to T.
            if definite and predicted is not None and predicted > 1:
                details.append(f"the error grows ×{_fmt(predicted)} per step")
            elif not definite and rates is not None and rates[0] > 1:
                details.append(f"the error along λ₁'s eigenvector grows ×{_fmt(rates[0])} per step "
                               f"(λ₂ < 0, yet {up})")
            elif not definite:
                details.append(f"λ₂ < 0, yet {up}")
            if details:
                alert += ": " + ", ".join(details)
            if kind == "above":  # On a quadratic only an overflow makes a number non-finite.
                alert += f"; float32 overflow at step {diverged_at}"
            return alert
        if diverged_at is not None or not np.all(np.isfinite(losses)):
            return "non-finite numbers in the run"
        if too_large and definite:
            return f"{reason}: the error grows ×{_fmt(predicted)} per step"
        if not definite:
            alert = "λ₂ < 0: 0 is a saddle point and L is unbounded below"
            if y[0, 1] > 0 and name != "preconditioned (Q⁻¹)":
                alert += "; the error along λ₂'s eigenvector grows"
            return alert
        return ""

    # -- The static version ---------------------------------------------------------------

    def _still_for(self, main):
        if main in ("lambda1", "lambda2", "angle"):
            return ()
        return (self.artists["contours"], self.artists["eigenvectors"])

    def _begin_static(self, state, values):
        if self.main == "steps":
            self._static_bound = _round_bound(int(max(values)))

    def _end_static(self):
        self._static_bound = None
        self._layout = None  # Redraw the axes for the live state.

    def _main_values(self, state, frames):
        main, current = self.main, state[self.main]
        labels = {
            "learning_rate": ("learning rate α", lambda v: f"α = {v:.3g}"),
            "momentum": ("momentum β", lambda v: f"β = {v:.3g}"),
            "b1": ("β₁ (Adam)", lambda v: f"β₁ = {v:.3g}"),
            "b2": ("β₂ (Adam)", lambda v: f"β₂ = {v:.4g}"),
            "lambda1": ("eigenvalue λ₁", lambda v: f"λ₁ = {v:.3g}"),
            "lambda2": ("eigenvalue |λ₂|", lambda v: f"|λ₂| = {v:.3g}"),
            "angle": ("angle of the eigenvectors", lambda v: f"{v:.0f}°"),
            "steps": ("number of steps T", lambda v: f"T = {int(v)}"),
        }
        slider_label, label = labels[main]
        if main == "learning_rate":
            problem = self.problem(state)
            lam = np.asarray(problem.eigenvalues, dtype=float)
            beta = float(state["momentum"])
            PQ = np.diag(1 / np.diag(np.asarray(problem.Q))) @ np.asarray(problem.Q) \
                if state["optimizer"] == "preconditioned (diagonal)" and np.all(np.abs(np.diag(np.asarray(problem.Q))) > 1e-9) else None
            _, _, limit = self._rates(state["optimizer"], lam, 1.0, beta, PQ)
            if limit is not None and limit[0] > 0:
                low, high = limit[0] / 100, limit[0] * 1.3
            else:
                low, high = current / 30, current * 30
            low, high = max(low, 1e-3), min(high, 10.0)
            values = np.geomspace(low, high, frames)
        elif main in ("momentum", "b1"):
            values = np.linspace(0.0, 0.99, frames)
        elif main == "b2":
            values = np.concatenate([np.linspace(0.0, 0.9, frames - 8),
                                     [0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999]])
        elif main in ("lambda1", "lambda2"):
            values = np.geomspace(0.01, 100.0, frames)
        elif main == "angle":
            values = np.linspace(0.0, 180.0, frames)
        else:
            values = np.unique(np.linspace(1, self.MAX_STEPS, frames).round().astype(int))
        values, start = self._with_current(values, current, log=main in ("learning_rate", "lambda1", "lambda2"))
        if main == "steps":
            values = [int(v) for v in values]
        return values, [label(v) for v in values], start, slider_label


# ---------------------------------------------------------------------------------------
# Several optimizers racing on a 2-D problem.


class Explorer(_Explorer):
    r"""Several optimizers racing on a 2-D problem, each with its own learning-rate slider.

    Args:
        problem: a 2-D :class:`descent.problems.Problem` (``rosenbrock()``, ``beale()``,
            ``saddle()``, ``monkey_saddle()``, a ``quadratic``).
        optimizers: name → hyperparameters. A name is one of :mod:`descent.optimizers`
            (``"momentum"``, ``"adam"``…) or ``"gd"``; to race one optimizer twice give
            each entry a label and say which optimizer it is:
            ``{"adam, β₁ = 0": {"optimizer": "adam", "learning_rate": 0.05, "b1": 0.0}}``.
            Every entry needs a ``learning_rate``, a number: its slider spans two decades
            either side.
        steps: T, the number of steps of every run.
        main: the entry whose learning rate the static page scrubs; the first by default.

    Attributes:
        sliders: entry name → its learning-rate slider.
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
                "window to draw; use LossCurveExplorer for the others"
            )
        if not (isinstance(steps, (int, np.integer)) and 1 <= steps <= 10000):
            raise ValueError(f"Explorer: steps must be an integer in [1, 10000], got {steps!r}")
        if not optimizers:
            raise ValueError("Explorer: give at least one optimizer")
        self.problem = problem
        self.steps = int(steps)
        self._specs = {}
        for label, spec in optimizers.items():
            spec = dict(spec)
            name = _runner_name(spec.pop("optimizer", label))
            lr = spec.pop("learning_rate", None)
            if not isinstance(lr, (int, float)) or not lr > 0:
                raise ValueError(f"Explorer: {label!r} needs a learning_rate > 0, got {lr!r}")
            run(problem, name, 1, learning_rate=lr, **spec)  # Checks the name and values now.
            self._specs[label] = (name, spec)
        self.main = next(iter(self._specs)) if main is None else main
        if self.main not in self._specs:
            raise ValueError(f"Explorer: main must be one of {list(self._specs)}, got {main!r}")
        self._controls = {
            label: _log_slider(f"{label} α", float(optimizers[label]["learning_rate"]),
                               optimizers[label]["learning_rate"] / 100,
                               optimizers[label]["learning_rate"] * 100)
            for label in self._specs
        }
        self.sliders = dict(self._controls)
        self._build_figure()
        self._finish(list(self.sliders.values()))

    def _title(self) -> str:
        return f"{', '.join(self._specs)} on {self.problem.name}"

    def _build_figure(self) -> None:
        problem = self.problem
        fig = Figure(figsize=(10.5, 4.3), dpi=DPI)
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.12, top=0.78, wspace=0.22)
        ax_path, ax_loss = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.05, 1]})
        x, y, Z = _problems.loss_grid(problem, resolution=160)  # Once per explorer.
        L_star = problem.minimum_value
        with np.errstate(invalid="ignore"):
            if L_star is not None:
                gap = np.clip(Z - L_star, 0, None)
                positive = gap[gap > 0]
                low = max(np.percentile(positive, 0.5), positive.max() * 1e-8)
                levels = L_star + np.geomspace(low, np.percentile(positive, 99), 22)
            else:
                levels = np.linspace(np.percentile(Z, 2), np.percentile(Z, 98), 23)
        ax_path.contour(x, y, Z, levels=np.unique(levels), cmap="viridis", linewidths=0.7, zorder=1)
        xmin, xmax, ymin, ymax = problem.window
        ax_path.set(xlim=(xmin, xmax), ylim=(ymin, ymax), xlabel=r"$\theta_1$", ylabel=r"$\theta_2$")
        ax_path.set_title(f"{problem.name}: the optimizers' paths", fontsize=10)
        init = np.asarray(problem.init, dtype=float)
        ax_path.plot(*init, "o", color="k", ms=5, zorder=4)
        if problem.minimum is not None:
            ax_path.plot(*np.asarray(problem.minimum), "*", color="k", ms=11, zorder=4)
        if problem.saddle_point is not None:
            ax_path.plot(*np.asarray(problem.saddle_point), "+", color="k", ms=10, mew=1.5, zorder=4)

        L0 = float(problem.loss(problem.init))
        self._loss_offset = L_star
        ax_loss.set_xlim(0, self.steps)
        ax_loss.set_xlabel("step $t$")
        if L_star is not None:
            gap0 = max(L0 - L_star, 1e-12)
            ax_loss.set_yscale("log")
            ax_loss.set_ylim(max(gap0 * 1e-12, 1e-30), gap0 * 1e3)
            ax_loss.set_title(r"$L(\theta_t) - L^*$", fontsize=10)
        else:
            s = max(abs(L0), 1e-3)
            ax_loss.set_yscale("symlog", linthresh=s / 10)
            ax_loss.set_ylim(-1e6 * s, 10 * s)
            ax_loss.set_title(r"$L(\theta_t)$ (unbounded below)", fontsize=10)
        for ax in (ax_path, ax_loss):
            ax.tick_params(labelsize=8)

        self.artists = {}
        animated = []
        for i, label in enumerate(self._specs):
            color = f"C{i}" if i < 3 else f"C{i + 1}"  # Skip red: it is the warning color.
            (path,) = ax_path.plot([], [], "o-", color=color, ms=2, lw=1.2, zorder=3, label=label)
            (loss,) = ax_loss.plot([], [], color=color, lw=1.5, label=label)
            self.artists[f"{label} trajectory"] = path
            self.artists[f"{label} loss"] = loss
            animated += [path, loss]
        ax_loss.legend(fontsize=8, loc="upper right")
        animated += self._add_status(fig, alert_y=0.89)
        self._use_canvas(fig, animated)
        xmin, xmax, ymin, ymax = problem.window
        self._span = max(xmax - xmin, ymax - ymin)

    def _state(self) -> dict[str, Any]:
        return {label: slider.value for label, slider in self._controls.items()}

    def run(self, label: str, learning_rate: float | None = None):
        """The :class:`descent.runner.Run` of entry ``label`` (at its slider's α by default)."""
        name, spec = self._specs[label]
        lr = self._controls[label].value if learning_rate is None else learning_rate
        return run(self.problem, name, self.steps, learning_rate=float(lr), **spec)

    def _draw(self, state) -> None:
        t = np.arange(self.steps + 1)
        infos, alerts = [], []
        for label in self._specs:
            result = self.run(label, state[label])
            trajectory = np.asarray(result.trajectory, dtype=float)
            losses = np.asarray(result.losses, dtype=float)
            shown = np.clip(trajectory, -1e6 * self._span, 1e6 * self._span)
            self.artists[f"{label} trajectory"].set_data(shown[:, 0], shown[:, 1])
            gap = losses - self._loss_offset if self._loss_offset is not None else losses
            self.artists[f"{label} loss"].set_data(t, gap)
            last = losses[np.isfinite(losses)]
            final = _fmt(float(last[-1])) if last.size else "—"
            info = f"{label}: α = {_fmt(state[label])}, L(θ_T) = {final}"
            reached = _resolution(gap) if self._loss_offset is not None else None
            if reached is not None and reached[0] == "minimum":
                info += f" (reached the minimum at step {reached[1]})"
            elif reached is not None:  # The log axis of L − L* has nothing left to draw.
                info += f" (L − L* below float32 resolution after step {reached[1]})"
            infos.append(info)
            # Which way it blew up, read from the run: down (L → −∞) or up (L → +∞).
            kind = _blowup(losses, result.diverged_at)
            if kind == "below":  # Down a direction where L is unbounded below: the escape.
                alerts.append(f"{label} ran off to infinity at step {result.diverged_at} "
                              "(L is unbounded below)")
            elif kind == "above":
                alerts.append(f"{label} diverged at step {_above_from(losses)} (α = {_fmt(state[label])}; "
                              f"L not finite from step {result.diverged_at})")
        self._info.set_text("    ".join(infos) + f"\nafter T = {self.steps} steps from θ₀ = "
                            f"({_fmt(float(self.problem.init[0]))}, {_fmt(float(self.problem.init[1]))})")
        self._alert.set_text("; ".join(alerts))

    def _main_values(self, state, frames):
        current = float(state[self.main])
        initial = self._controls[self.main]
        center = 10 ** ((initial.min + initial.max) / 2)  # The α it was built with.
        values, start = self._with_current(np.geomspace(center / 10, center * 10, frames), current)
        return values, [f"{self.main}: α = {v:.3g}" for v in values], start, f"{self.main}: learning rate α"


# ---------------------------------------------------------------------------------------
# Loss curves, for problems that are not 2-D.


class LossCurveExplorer(_Explorer):
    r"""The soft-label classifier for several targets at once: one loss curve per target.

    Each target t gets :func:`descent.problems.soft_label_classifier` (target=t), trained
    by the same optimizer with the same hyperparameters; the left panel shows
    KL(t ‖ p_θ) against the step, the right one the probability of the last class.

    Args:
        targets: target distributions, each over the same k ≥ 2 classes.
        optimizer: a name in :mod:`descent.optimizers`, or ``"gd"``.
        learning_rate: α, in (0, 10].
        b1: β₁ for Adam (NAdam, AMSGrad), β for momentum and Nesterov; in [0, 0.999].
            Other optimizers ignore it and its slider is disabled.
        steps: T.
        main: the slider the static page scrubs, ``"learning_rate"`` or ``"b1"``.
    """

    CONTROLS = ("learning_rate", "b1")

    def __init__(
        self,
        targets: Sequence[Sequence[float]] = ((0.0, 1.0), (0.3, 0.7)),
        optimizer: str = "adam",
        learning_rate: float = 0.1,
        b1: float = 0.9,
        steps: int = 200,
        *,
        main: str = "learning_rate",
    ):
        if not targets:
            raise ValueError("LossCurveExplorer: give at least one target")
        self.problems = [_problems.soft_label_classifier(target=t) for t in targets]
        self.targets = [tuple(float(v) for v in t) for t in targets]
        self.optimizer = optimizer
        self._name = _runner_name(optimizer)
        self._beta_name = {"adam": "b1", "nadam": "b1", "amsgrad": "b1", "adamw": "b1",
                           "momentum": "momentum", "nesterov": "momentum"}.get(self._name)
        if not (0 < learning_rate <= 10):
            raise ValueError(f"LossCurveExplorer: learning_rate must be in (0, 10], got {learning_rate!r}")
        if not (0 <= b1 <= 0.999):
            raise ValueError(f"LossCurveExplorer: b1 must be in [0, 0.999], got {b1!r}")
        if not (isinstance(steps, (int, np.integer)) and 1 <= steps <= 10000):
            raise ValueError(f"LossCurveExplorer: steps must be an integer in [1, 10000], got {steps!r}")
        if main not in self.CONTROLS:
            raise ValueError(f"LossCurveExplorer: main must be one of {self.CONTROLS}, got {main!r}")
        self.steps = int(steps)
        self.main = main
        self._probabilities = jax.jit(jax.vmap(lambda p, params: p(params), in_axes=(None, 0)))
        self.run(self.problems[0], learning_rate, b1)  # Checks the optimizer's name now.
        self._controls = {
            "learning_rate": _log_slider("learning rate α", learning_rate, min(1e-3, learning_rate), 10.0),
            "b1": _linear_slider("β₁" if self._beta_name == "b1" else "momentum β", b1, 0.0, 0.999, 0.001),
        }
        self._controls["b1"].disabled = self._beta_name is None
        self.sliders = dict(self._controls)
        self._build_figure()
        self._finish(list(self.sliders.values()))

    def _title(self) -> str:
        return f"{self.optimizer} on the soft-label classifier, {len(self.targets)} targets"

    def run(self, problem, learning_rate: float, b1: float):
        """The :class:`descent.runner.Run` for one target's problem."""
        extra = {self._beta_name: float(b1)} if self._beta_name else {}
        return run(problem, self._name, self.steps, learning_rate=float(learning_rate), **extra)

    def _build_figure(self) -> None:
        fig = Figure(figsize=(10.5, 3.8), dpi=DPI)
        fig.subplots_adjust(left=0.07, right=0.99, bottom=0.14, top=0.76, wspace=0.25)
        ax_loss, ax_p = fig.subplots(1, 2)
        ax_loss.set_yscale("log")
        ax_loss.set(xlim=(0, self.steps), ylim=(1e-9, 1e2), xlabel="step $t$")
        ax_loss.set_title(r"loss $\mathrm{KL}(t\,\|\,p_\theta)$", fontsize=10)
        ax_p.set(xlim=(0, self.steps), ylim=(-0.02, 1.02), xlabel="step $t$")
        ax_p.set_title("probability of the last class, $p_k$ (dashed: target $t_k$)", fontsize=10)
        self.artists = {}
        animated = []
        for i, (target, problem) in enumerate(zip(self.targets, self.problems)):
            color = f"C{i}" if i < 3 else f"C{i + 1}"
            label = "target (" + ", ".join(f"{v:g}" for v in target) + ")"
            (loss,) = ax_loss.plot([], [], color=color, lw=1.5, label=label)
            (p,) = ax_p.plot([], [], color=color, lw=1.5)
            ax_p.axhline(target[-1], color=color, lw=1, ls="--")
            self.artists[f"{label} loss"] = loss
            self.artists[f"{label} probability"] = p
            animated += [loss, p]
        ax_loss.legend(fontsize=8, loc="lower left")
        for ax in (ax_loss, ax_p):
            ax.tick_params(labelsize=8)
        self._labels = [label for label in self.artists if label.endswith(" loss")]
        animated += self._add_status(fig, alert_y=0.89)
        self._use_canvas(fig, animated)

    def _state(self) -> dict[str, Any]:
        return {name: self._controls[name].value for name in self.CONTROLS}

    def _draw(self, state) -> None:
        t = np.arange(self.steps + 1)
        lr, b1 = float(state["learning_rate"]), float(state["b1"])
        finals, alerts = [], []
        for target, problem, key in zip(self.targets, self.problems, self._labels):
            result = self.run(problem, lr, b1)
            losses = np.asarray(result.losses, dtype=float)
            p = np.asarray(self._probabilities(problem.probabilities, result.trajectory), dtype=float)
            self.artists[key].set_data(t, losses)
            self.artists[key.replace(" loss", " probability")].set_data(t, p[:, -1])
            finite = losses[np.isfinite(losses)]
            name = key.removesuffix(" loss").removeprefix("target ")
            final = _fmt(max(float(finite[-1]), 0.0)) if finite.size else "—"  # KL ≥ 0; not −1e-8.
            finals.append(f"{name}: {final}")
            if result.diverged_at is not None:
                alerts.append(f"target {name} diverged at step {result.diverged_at}")
        beta = f", {'β₁' if self._beta_name == 'b1' else 'β'} = {_fmt(b1)}" if self._beta_name else ""
        self._info.set_text(f"{self.optimizer}:  α = {_fmt(lr)}{beta}\n"
                            f"loss after T = {self.steps} steps:  " + "    ".join(finals))
        self._alert.set_text("; ".join(alerts))

    def _main_values(self, state, frames):
        current = float(state[self.main])
        if self.main == "learning_rate":
            values = np.geomspace(1e-3, 10.0, frames)
            values, start = self._with_current(values, current)
            return values, [f"α = {v:.3g}" for v in values], start, "learning rate α"
        values = np.concatenate([np.linspace(0.0, 0.9, frames - 8), [0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999]])
        values, start = self._with_current(values, current, log=False)
        name = "β₁" if self._beta_name == "b1" else "momentum β"
        return values, [f"{name} = {v:.3g}" for v in values], start, name


# ---------------------------------------------------------------------------------------
# Minibatch SGD on a least-squares problem: the batch size on a slider.


@jax.jit
def _minibatch_sgd(X, y, w0, learning_rate, batch_size, orders):
    """w_{t+1} = w_t − α g_B(w_t), step t's minibatch the first B examples of ``orders[t]``.

    ``orders`` holds one random permutation of the n examples per step, so every minibatch
    is B distinct examples drawn afresh. B is a traced argument: the minibatch is written
    as weights 1/B on its examples and 0 on the rest, so a new B or α never recompiles.
    Returns w_0, …, w_T.
    """
    n = X.shape[0]
    chosen = (jnp.arange(n) < batch_size) / batch_size

    def step(w, order):
        weights = jnp.zeros(n).at[order].set(chosen)
        g = X.T @ (weights * (X @ w - y))  # g_B = (1/B) Σ_{i ∈ 𝓑} x_i (x_iᵀw − y_i).
        w = w - learning_rate * g
        return w, w

    _, path = jax.lax.scan(step, w0, orders)
    return jnp.concatenate([w0[None], path])


@functools.partial(jax.jit, static_argnames=("n", "steps"))
def _orders(key, *, n, steps):
    """One random permutation of range(n) per step."""
    return jax.vmap(lambda k: jax.random.permutation(k, n))(jax.random.split(key, steps))


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


class MinibatchExplorer(_Explorer):
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
    for α well below α_B. Above α_B it says that the mean has no floor, not that the run
    diverges (a single run keeps coming back near ŵ until α is far above α_B); it says
    "diverged at step k" only when the run itself ends far above where it started.

    Args:
        batch_size: B, a power of two from 1 to N.
        learning_rate: α, in (0, 10].
        steps: T, the number of steps of every run.
        n: N, the number of examples, a power of two.
        main: the slider the static page scrubs, ``"batch_size"`` or ``"learning_rate"``.
    """

    CONTROLS = ("batch_size", "learning_rate", "seed")

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
        self._X, self._y, self._w0 = (jnp.asarray(a, jnp.float32) for a in (X, y, self.init))
        self._orders: dict[int, jax.Array] = {}
        self._limits: dict[int, float] = {}
        self._controls = {
            "batch_size": widgets.SelectionSlider(
                options=sizes, value=batch_size, description="batch size B",
                continuous_update=True, style={"description_width": "9em"},
                layout=widgets.Layout(width="100%")),
            "learning_rate": _log_slider("learning rate α", learning_rate, min(1e-3, learning_rate), 10.0),
            "seed": _linear_slider("random seed", 0, 0, 20, 1, integer=True),
        }
        self.sliders = dict(self._controls)
        self._build_figure()
        self._finish(list(self.sliders.values()))

    def _title(self) -> str:
        return f"minibatch SGD on least squares, N = {self.n}"

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
            self._limits[B] = theory.sgd_mean_square_stability_limit(self.X, B, replace=False)
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

    def run(self, batch_size: int, learning_rate: float, seed: int = 0) -> np.ndarray:
        """The path w_0, …, w_T of minibatch SGD (B = n: gradient descent)."""
        seed = int(seed)
        if seed not in self._orders:  # The draws depend on the seed alone: made once.
            self._orders[seed] = _orders(jax.random.key(seed), n=self.n, steps=self.steps)
        path = _minibatch_sgd(self._X, self._y, self._w0, float(learning_rate), int(batch_size),
                              self._orders[seed])
        return np.asarray(path, dtype=float)

    def _build_figure(self) -> None:
        fig = Figure(figsize=(10.5, 4.3), dpi=DPI)
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.12, top=0.74, wspace=0.22)
        ax_path, ax_loss = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.15]})
        half = 4.0
        lo, hi = self.minimum - half, self.minimum + half
        u, v = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
        gap = self.loss_gap(np.stack([u.ravel(), v.ravel()], axis=1)).reshape(u.shape)
        ax_path.contour(u, v, gap, levels=np.geomspace(gap.max() * 1e-3, gap.max(), 12),
                        cmap="viridis", linewidths=0.8)  # Drawn once: the data never change.
        (star,) = ax_path.plot(*self.minimum, "*", color="k", ms=10)  # Over the paths.
        ax_path.plot(*self.init, "o", color="k", ms=5, zorder=4)
        ax_path.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), xlabel="$w_1$", ylabel="$w_2$")
        ax_path.set_aspect("equal", adjustable="box")
        ax_path.set_title("paths on the contours of $L$ (★: $\\hat w$)", fontsize=10)
        (sgd_path,) = ax_path.plot([], [], "-", color="#d62728", lw=0.9, label="minibatch SGD")
        (gd_path,) = ax_path.plot([], [], "--", color="0.25", lw=1.2, label="gradient descent (B = N)")
        ax_path.legend(fontsize=7.5, loc="lower left")
        ax_loss.set_yscale("log")
        ax_loss.set(xlim=(0, self.steps), ylim=(1e-6, 1e2), xlabel="step $t$",
                    ylabel=r"$L(w_t) - L(\hat w)$")
        ax_loss.set_title("loss gap", fontsize=10)
        (sgd_loss,) = ax_loss.plot([], [], color="#d62728", lw=1.0, label="minibatch SGD")
        (gd_loss,) = ax_loss.plot([], [], "--", color="0.25", lw=1.2, label="gradient descent")
        (floor,) = ax_loss.plot([], [], ":", color="k", lw=1.6, label="noise floor E[L] − L(ŵ)")
        (fixed,) = ax_loss.plot([], [], "-.", color="0.55", lw=1.1,
                                label="fixed-noise formula (for α ≪ α_B)")
        ax_loss.legend(fontsize=7.5, loc="lower right")
        for ax in (ax_path, ax_loss):
            ax.tick_params(labelsize=8)
        self.artists = {"sgd path": sgd_path, "gd path": gd_path, "sgd loss": sgd_loss,
                        "gd loss": gd_loss, "floor": floor, "fixed-noise floor": fixed}
        animated = [sgd_path, gd_path, star, sgd_loss, gd_loss, floor, fixed]
        self._use_canvas(fig, animated + self._add_status(fig, alert_y=0.845))

    def _state(self) -> dict[str, Any]:
        return {name: self._controls[name].value for name in self.CONTROLS}

    def _draw(self, state) -> None:
        B, lr, seed = int(state["batch_size"]), float(state["learning_rate"]), int(state["seed"])
        t = np.arange(self.steps + 1)
        limit = 2 / float(self.eigenvalues[-1])  # Gradient descent's.
        limit_B = self.stability_limit(B)  # SGD's, in mean square, at this B.
        alerts = []
        for name, size in (("sgd", B), ("gd", self.n)):
            path = self.run(size, lr, seed)
            finite = np.all(np.isfinite(path), axis=1)
            shown = np.clip(path, self.minimum - 1e6, self.minimum + 1e6)
            self.artists[f"{name} path"].set_data(shown[:, 0], shown[:, 1])
            self.artists[f"{name} loss"].set_data(t, np.where(finite, self.loss_gap(shown), np.nan))
            with np.errstate(over="ignore", invalid="ignore"):
                gap = self.loss_gap(path)
            grown = ~finite | ~(gap <= 1e6 * max(gap[0], 1e-12))
            if grown[-1]:  # It ends far above where it started: from when on, read off the run.
                at = int(len(grown) - np.argmin(grown[::-1]))
                if name == "gd":
                    reason = f": α = {_fmt(lr)} > 2/λ_max = {_fmt(limit)}" if lr > limit else ""
                    alerts.append(f"gradient descent diverged at step {at}{reason}")
                elif B < self.n:  # At B = n the red run is the dashed one: named once.
                    reason = (f" (α = {_fmt(lr)} > α_B = {_fmt(limit_B)}, its mean-square limit at "
                              f"B = {B})" if lr > limit_B else "")
                    alerts.append(f"minibatch SGD diverged at step {at}{reason}")
            if name == "sgd":
                final = float(np.mean(gap[len(gap) // 2:])) if not grown[-1] else math.inf
                sgd_diverged = bool(grown[-1])
        if B < self.n and lr >= limit_B and not sgd_diverged:
            alerts.insert(0, f"α = {_fmt(lr)} ≥ α_B = {_fmt(limit_B)}, SGD's mean-square limit at "
                             f"B = {B}: the mean E[L(w_t)] has no floor; a single run keeps "
                             f"coming back")
        floor = self.noise_floor(B, lr)
        fixed = self.predicted_floor(B, lr) if B < self.n else 0.0
        for key, value in (("floor", floor), ("fixed-noise floor", fixed)):
            shown = [value, value] if 0 < value < math.inf else [np.nan] * 2
            self.artists[key].set_data([0, self.steps], shown)
        if B == self.n:
            stability = f"B = N is gradient descent: stable for α < 2/λ_max = {_fmt(limit)}"
            floors = "no noise, no floor"
        else:
            stability = (f"SGD at this B is stable in mean square for α < α_B = {_fmt(limit_B)}  "
                         f"(gradient descent: α < 2/λ_max = {_fmt(limit)})")
            floors = (f"floor E[L] − L(ŵ) = {_fmt(floor)}" if floor < math.inf
                      else "the mean has no floor (α ≥ α_B)")
            floors += f";  fixed-noise formula {_fmt(fixed)}, which holds only for α ≪ α_B"
        self._info.set_text(
            f"B = {B} of N = {self.n}:  standard error of g_B at ŵ = √(tr Σ/B)·√((N−B)/(N−1)) = "
            f"{_fmt(self.standard_error(B))}   (√tr Σ = {_fmt(self.sigma)})\n"
            f"α = {_fmt(lr)}:  {stability}\n"
            f"SGD's mean loss gap over the second half {_fmt(final)};  {floors}")
        self._alert.set_text("; ".join(alerts))

    def _main_values(self, state, frames):
        if self.main == "batch_size":
            values = list(self._controls["batch_size"].options)
            start = values.index(state["batch_size"])
            return values, [f"B = {v}" for v in values], start, "batch size B"
        current = float(state["learning_rate"])
        values, start = self._with_current(np.geomspace(1e-3, 2.0, frames), current)
        return values, [f"α = {v:.3g}" for v in values], start, "learning rate α"
