"""The rate an explorer predicts for heavy ball and Nesterov equals the rate its run shows.

The quadratic explorer prints "rate: predicted ρ, measured ρ̂". The prediction comes from
the spectral radius of each eigencomponent's 2×2 iteration matrix. Checked here against
runs of ``descent.run`` over a sweep of (α, β) that crosses from over-damped (real
eigenvalues, no ripples) to under-damped (complex, rate √β), so that a formula right only
in one regime, such as √β everywhere, fails.
"""

from __future__ import annotations

import numpy as np
import pytest

from descent.explorers import QuadraticExplorer
from descent.problems import quadratic
from descent.runner import run

EIGENVALUES = np.array([1.0, 6.0])
SWEEP = [(lr, beta) for lr in (0.01, 0.03, 0.08, 0.15, 0.25) for beta in (0.0, 0.05, 0.2, 0.5, 0.8)]


def measured_rate(name: str, learning_rate: float, beta: float, predicted: float) -> float:
    """ρ̂: the slope of log ‖θ_t‖ over the second half of a run long enough to show it.

    A least-squares line through log ‖θ_t‖ averages out the ripples of an under-damped run.
    """
    steps = int(min(600, max(60, np.log(1e-20) / np.log(predicted))))
    problem = quadratic(tuple(EIGENVALUES), init=(3.0, 2.0))
    result = run(problem, name, steps, learning_rate=learning_rate, momentum=beta)
    distance = np.linalg.norm(np.asarray(result.trajectory, dtype=float), axis=1)
    t = np.arange(steps // 2, steps + 1)
    slope = np.polyfit(t, np.log(distance[t]), 1)[0]
    return float(np.exp(slope))


def damping(learning_rate: float, beta: float) -> str:
    """Over-damped if every eigencomponent's iteration matrix has real eigenvalues."""
    critical = (1 - np.sqrt(learning_rate * EIGENVALUES)) ** 2  # β at critical damping.
    return "over-damped" if np.all(beta < critical) else "under-damped somewhere"


@pytest.mark.parametrize("name", ["momentum", "nesterov"])
def test_predicted_rate_is_the_measured_rate_over_a_sweep(name):
    regimes = set()
    checked = 0
    for lr, beta in SWEEP:
        _, predicted, (limit, _) = QuadraticExplorer._rates(name, EIGENVALUES, lr, beta, None)
        if not 0.2 < predicted < 0.985 or lr >= 0.95 * limit:
            continue  # Too fast or too slow to measure in float32, or at the edge of stability.
        measured = measured_rate(name, lr, beta, predicted)
        assert measured == pytest.approx(predicted, abs=0.01), (
            f"{name} at α = {lr}, β = {beta} ({damping(lr, beta)}): predicted {predicted:.4f}, "
            f"measured {measured:.4f}"
        )
        regimes.add(damping(lr, beta))
        checked += 1
    assert checked >= 12
    assert regimes == {"over-damped", "under-damped somewhere"}, "the sweep must cross both regimes"
