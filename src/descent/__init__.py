"""Descent: the code of the interactive textbook on optimization for deep learning.

Every chapter imports this package; each module holds one concept of the book:

- :mod:`descent.optimizers`: every optimizer of the book, from scratch, optax-compatible.
- :mod:`descent.schedules`: learning-rate schedules, pure functions of the step.
- :mod:`descent.problems`: test problems (quadratics, Rosenbrock, saddles, classifiers).
- :mod:`descent.runner`: one jitted loop for every run (:func:`run`, :func:`train`).
- :mod:`descent.theory`: the closed forms the chapters derive.
- :mod:`descent.data`: Fashion-MNIST, found or downloaded and verified.
- :mod:`descent.exercises`: the checks that say whether an exercise's answer is right.

Imported on demand, since they pull in anywidget or Matplotlib: :mod:`descent.explorers`
(the sliders: one JavaScript renderer, runs computed by the kernel or by the page),
:mod:`descent.contours` (contour and trajectory figures). Also on demand:
:mod:`descent.gradient_noise` (minibatch gradients and their spread),
:mod:`descent.curvature` (gᵀHg along the gradient), :mod:`descent.symmetries`
(weight permutations and rescalings that leave a network's function unchanged),
:mod:`descent.race` (the optimizer race's protocol on Fashion-MNIST, and its grids of runs).

>>> import descent, jax.numpy as jnp
>>> optimizer = descent.optimizers.sgd(learning_rate=0.5)
>>> updates, _ = optimizer.update(jnp.array([2.0]), optimizer.init(jnp.zeros(1)))
>>> print(descent.apply_updates(jnp.array([1.0]), updates))
[0.]
"""

from descent import data, exercises, optimizers, problems, runner, schedules, theory
from descent.optimizers import apply_updates
from descent.runner import run, train

__version__ = "0.1.0"
__all__ = [
    "apply_updates",
    "data",
    "exercises",
    "optimizers",
    "problems",
    "run",
    "runner",
    "schedules",
    "theory",
    "train",
]
