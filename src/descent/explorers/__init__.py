r"""Explorers: drag a learning rate, β₁ or an eigenvalue and watch the optimizer respond.

Eight explorers, for the "See it" section of a chapter:

- :class:`QuadraticExplorer`: one optimizer on the quadratic L(θ) = ½ θᵀQθ, Q = R Λ Rᵀ,
  with sliders for α, the β's, the eigenvalues (λ₂ may be negative: a saddle), the
  rotation and the number of steps, and a menu of optimizers.
- :class:`Explorer`: several optimizers racing on a 2-D problem of
  :mod:`descent.problems` (Rosenbrock, Beale, the saddles), each with its own α; an
  entry may be an optimizer of the reader's own.
- :class:`MinibatchExplorer`: minibatch SGD on 2-D least squares, with the batch size B,
  α and the random seed on sliders, SGD's mean-square stability limit α_B and the noise
  floor.
- :class:`NoisyQuadraticExplorer`: a cloud of SGD runs on the noisy quadratic (gradient
  noise of covariance σ²Q/B), with α, B, λ₁, λ₂ and a 1/t decay on sliders: the runs, their
  mean, the noise ball's ±2σ ellipse, and the mean loss against the exact E[L_t] and the
  floor Σᵢ α sᵢ / (2(2 − αλᵢ)).
- :class:`ScheduleExplorer`: a learning-rate schedule of :mod:`descent.schedules` (a menu:
  constant, step, exponential, 1/t, 1/√t, cosine, warm-up + cosine, warmup–stable–decay)
  with its peak α, warm-up and decay point on sliders; the schedule, and the loss it gives
  SGD on the noisy quadratic.
- :class:`MomentumExplorer`: gradient descent, heavy ball and Nesterov on the rotated
  quadratic, with α, β, λ₁, λ₂ and T on sliders: the trajectory, the loss against the
  predicted rate ρ^{2t}, and Goh's map of ρ over the (α, β) plane with the current point
  and the optimum.
- :class:`AdaptiveExplorer`: SGD, AdaGrad, RMSProp, Adadelta, Adam, Nadam and AMSGrad on
  the rotated quadratic, with α, β₁, β₂ (or ρ), λ₁, λ₂, the angle and T on sliders: the
  trajectory, the loss, and each coordinate's effective step against the diagonal Newton
  steps 1/Qᵢᵢ, which per-coordinate methods can match on an axis-aligned quadratic and not
  on one rotated by 45°.
- :class:`LossCurveExplorer`: one optimizer (Adam, gradient descent, heavy ball) on the
  two-class softmax classifier of one example, fitted to a hard target (0, 1) and a soft
  one (k, 1 − k), with α, β₁, β₂ (or β), k and T on sliders: both KL loss curves (log), and
  both logit gaps Δs = s₂ − s₁ against the soft target's optimum Δs* = log(1/k − 1), with
  the number of ripples of the soft curve.

Put one as the last expression of a cell and it displays itself:

>>> from descent.explorers import QuadraticExplorer
>>> explorer = QuadraticExplorer(eigenvalues=(1.0, 6.0), learning_rate=0.1, steps=300)
>>> result = explorer.set(learning_rate=2.0)  # What dragging the slider does.
>>> result["predicted"], result["diverged_at"]  # ×11 per step, until L overflows float64.
(11.0, 148)
>>> explorer.set(learning_rate=0.1)["diverged_at"] is None
True

The design: one description, two ways to compute, one renderer.

- **One description.** An explorer is three JSON objects. ``spec`` is everything fixed:
  its kind, its controls in display order (name, label, scale, range, step), the
  problem's data. ``values`` maps each control to its value. ``result`` holds the numbers
  of one run for those values: trajectories and losses, non-finite numbers as null, and
  the theory's numbers (rates, limits, floors). The Python classes here build ``spec``
  and ``values`` and validate their arguments; nothing else is explorer-specific.
- **Two ways to compute.** In a kernel the explorer is an ``anywidget`` widget
  (:class:`~descent.explorers.widget.ExplorerWidget`): when the front end sets ``values``,
  :meth:`compute` runs :func:`descent.runner.run` (jitted, float64) and sets ``result``.
  Every optimizer an explorer offers is compiled on a background thread as soon as it is
  built, so no first move waits for a compiler. On a page with no kernel — the book's
  site, a saved notebook reopened — the JavaScript module computes the same ``result``
  itself, for the built-in problems and optimizers, in float64; the minibatches and the
  noisy quadratic's Gaussian noise come from a small generator both languages implement
  (:func:`~descent.explorers.minibatch.draws`, :func:`~descent.explorers.noisy.normals`).
  Parity tests hold the two to 1e-9.
- **One renderer.** ``compute.js`` (problems, optimizers, runs, theory numbers and every
  text the explorer shows) and ``render.js`` (controls and canvas panels) in this folder
  make one ES module (:func:`~descent.explorers.widget.module_source`), with no build
  step: the widget's front end in JupyterLab, Notebook 7, VS Code and Colab, and
  ``_static/descent-explorer.js`` on the book's site, where it mounts every
  ``div.descent-explorer`` of a page (:meth:`ExplorerWidget.static_html`, the
  ``text/html`` of an explorer's display).

A new explorer is a new ``kind``: a Python class that builds its spec and computes its
result, and the same kind in ``compute.js`` (its ``compute`` and ``status``) and
``render.js`` (its panels).
"""

from descent.explorers.adaptive import AdaptiveExplorer
from descent.explorers.minibatch import MinibatchExplorer, least_squares_data
from descent.explorers.momentum import MomentumExplorer
from descent.explorers.noisy import NoisyQuadraticExplorer, ScheduleExplorer
from descent.explorers.quadratic import OPTIMIZERS, QuadraticExplorer
from descent.explorers.race import Explorer
from descent.explorers.softlabel import LossCurveExplorer
from descent.explorers.widget import ExplorerWidget, module_source

__all__ = ["QuadraticExplorer", "Explorer", "MinibatchExplorer", "NoisyQuadraticExplorer", "ScheduleExplorer",
           "MomentumExplorer",
           "AdaptiveExplorer",
           "LossCurveExplorer",
           "OPTIMIZERS", "ExplorerWidget", "least_squares_data", "module_source"]
