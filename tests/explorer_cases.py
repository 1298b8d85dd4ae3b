"""The explorers of the book's chapters, built as the chapters build them, page by page.

Shared by the parity test (tests/test_explorer_parity.py), the static-site test
(tests/test_explorers_browser.py) and the JupyterLab test: each takes the explorer a page
shows from here, so a chapter that changes its explorer changes it in one place for them.
``test_chapter_cells_build_these`` checks that the chapters still build exactly these.
"""

from __future__ import annotations

import numpy as np

from descent.explorers import Explorer, MinibatchExplorer, NoisyQuadraticExplorer, QuadraticExplorer, ScheduleExplorer
from descent.problems import rosenbrock, saddle

CHAPTER_EXPLORERS = {
    "first-descent": [
        lambda: QuadraticExplorer(eigenvalues=(1.0, 5.0), learning_rate=0.3, steps=40,
                                  sliders=["learning_rate"]),
        lambda: Explorer(rosenbrock()),
    ],
    "gd-quadratic": [
        lambda: QuadraticExplorer(
            eigenvalues=(1.0, 6.0), angle=np.pi / 16, init=(9.5, -1.0), optimizer="gd",
            learning_rate=0.1, steps=50, main="learning_rate",
            sliders=["learning_rate", "lambda1", "lambda2"]),
    ],
    "learning-vs-optimization": [
        lambda: MinibatchExplorer(batch_size=8, learning_rate=0.2),
    ],
    "preconditioning": [
        lambda: QuadraticExplorer(
            eigenvalues=(1.0, 20.0), angle=0.0, init=(9.5, -1.0),
            optimizer="preconditioned (diagonal)", learning_rate=1.0, steps=50, main="angle",
            sliders=["optimizer", "angle", "learning_rate", "lambda1", "lambda2"]),
    ],
    "why-hard": [
        lambda: Explorer(saddle(), optimizers={
            "gd": {"learning_rate": 0.05},
            "momentum": {"learning_rate": 0.05, "momentum": 0.9},
            "adam": {"learning_rate": 0.05}}, steps=300),
    ],
    "sgd": [
        lambda: NoisyQuadraticExplorer(),
    ],
    "schedules": [
        lambda: ScheduleExplorer(),
    ],
}


# How the quadratic explorer's menu calls descent.runner.run: entry → (descent.optimizers
# name, its hyperparameters from the values and Q). Q⁻¹ by the 2 × 2 formula, as the
# explorer (and the browser) computes it.
RUNNER_CALLS = {
    "gd": ("sgd", lambda v, Q: {}),
    "momentum": ("momentum", lambda v, Q: {"momentum": v["momentum"]}),
    "nesterov": ("nesterov", lambda v, Q: {"momentum": v["momentum"]}),
    "adagrad": ("adagrad", lambda v, Q: {}),
    "rmsprop": ("rmsprop", lambda v, Q: {}),
    "adam": ("adam", lambda v, Q: {"b1": v["b1"], "b2": v["b2"]}),
    "preconditioned (diagonal)": ("precondition", lambda v, Q: {"P": np.diag(1 / np.diag(Q))}),
    "preconditioned (Q⁻¹)": ("precondition", lambda v, Q: {"P": np.array(
        [[Q[1, 1], -Q[0, 1]], [-Q[1, 0], Q[0, 0]]]) / (Q[0, 0] * Q[1, 1] - Q[0, 1] * Q[1, 0])}),
}


def quadratic_values():
    """A hypothesis strategy: values of every control of QuadraticExplorer, over its range."""
    from hypothesis import strategies as st

    from descent.explorers import OPTIMIZERS

    return st.fixed_dictionaries({
        "optimizer": st.sampled_from(OPTIMIZERS),
        "learning_rate": st.floats(-3, 1).map(lambda x: 10**x),
        "momentum": st.floats(0, 0.99),
        "b1": st.floats(0, 0.99),
        "b2": st.floats(0, 0.999),
        "lambda1": st.floats(-2, 2).map(lambda x: 10**x),
        "lambda2": st.floats(-2, 2).map(lambda x: 10**x),
        "saddle": st.booleans(),
        "angle": st.floats(0, 180),
        "steps": st.integers(1, 300),
    })


def move(explorer, **values) -> dict:
    """Set ``values`` as the front end does (one assignment of the whole dict); the result."""
    explorer.values = {**explorer.values, **values}
    return explorer.result


def as_array(values) -> np.ndarray:
    return np.array(values, dtype=object).astype(float)
