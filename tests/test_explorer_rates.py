"""The rates an explorer's result predicts equal the rates its runs show.

The quadratic explorer's result carries ``predicted`` (the overall rate) and ``rates`` (one
per eigenvector): for gradient descent |1 − αλᵢ|, for heavy ball and Nesterov the spectral
radius of each eigencomponent's 2×2 iteration matrix, for the diagonal preconditioner the
spectral radius of I − αPQ. Each is checked here against the run the explorer computed
(float64, up to 300 steps), over a sweep of (α, β) that crosses from over-damped (real
eigenvalues, no ripples) to under-damped (complex, rate √β), so that a formula right only in
one regime, such as √β everywhere, fails.
"""

from __future__ import annotations

import numpy as np
import pytest

from descent.explorers import QuadraticExplorer

EIGENVALUES = np.array([1.0, 6.0])
SWEEP = [(lr, beta) for lr in (0.01, 0.03, 0.08, 0.15, 0.25) for beta in (0.0, 0.05, 0.2, 0.5, 0.8)]
STEPS = 300


@pytest.fixture(scope="module")
def explorer():
    explorer = QuadraticExplorer(eigenvalues=tuple(EIGENVALUES), init=(3.0, 2.0), steps=STEPS)
    explorer.wait()
    return explorer


def slope(values: np.ndarray) -> float:
    """exp of the least-squares slope of log(values) over the second half of the run.

    A line through log |·| averages out the ripples of an under-damped run.
    """
    t = np.arange(len(values) // 2, len(values))
    return float(np.exp(np.polyfit(t, np.log(values[t]), 1)[0]))


def usable_steps(rate: float) -> int:
    """Steps over which a quantity shrinking ×rate per step stays above 1e-200: min(300, …), ≥ 60."""
    return int(min(STEPS, max(60, np.log(1e-200) / np.log(rate))))


def measured(result: dict) -> tuple[float, np.ndarray]:
    """ρ̂ of ‖θ_t‖ and of each eigencomponent |(θ_t R)_i|, over a run long enough to show it.

    Each is read over the steps it stays above 1e-200 at its predicted rate (float64
    resolves every one of them; an eigencomponent without a rate of its own: NaN).
    """
    trajectory = np.asarray(result["trajectory"], dtype=float)
    distance = np.linalg.norm(trajectory, axis=1)[: usable_steps(result["predicted"]) + 1]
    components = np.abs(trajectory @ np.asarray(result["R"], dtype=float))
    per_component = np.full(2, np.nan)
    for i, rate in enumerate(result["rates"] or []):
        if 0 < rate < 1:
            per_component[i] = slope(components[: usable_steps(rate) + 1, i])
    return slope(distance), per_component


def damping(learning_rate: float, beta: float) -> str:
    """Over-damped if every eigencomponent's iteration matrix has real eigenvalues."""
    critical = (1 - np.sqrt(learning_rate * EIGENVALUES)) ** 2  # β at critical damping.
    return "over-damped" if np.all(beta < critical) else "under-damped somewhere"


@pytest.mark.parametrize("name", ["momentum", "nesterov"])
def test_predicted_rate_is_the_measured_rate_over_a_sweep(explorer, name):
    regimes = set()
    checked = 0
    for lr, beta in SWEEP:
        explorer.values = {**explorer.values, "optimizer": name, "learning_rate": lr, "momentum": beta,
                           "steps": STEPS}
        result = explorer.result
        predicted, (limit, _) = result["predicted"], result["limit"]
        if not 0.05 < predicted < 0.985 or lr >= 0.95 * limit:
            continue  # Too fast or too slow to measure in 300 steps, or at the edge of stability.
        rate, per_component = measured(result)
        assert rate == pytest.approx(predicted, abs=0.01), (
            f"{name} at α = {lr}, β = {beta} ({damping(lr, beta)}): predicted {predicted:.4f}, "
            f"measured {rate:.4f}"
        )
        # Each eigencomponent at its own rate (where it is slow enough to measure).
        for i, (r, m) in enumerate(zip(result["rates"], per_component)):
            if 0.05 < r < 0.985:
                assert m == pytest.approx(r, abs=0.01), (name, lr, beta, i, r, m)
        regimes.add(damping(lr, beta))
        checked += 1
    assert checked >= 12
    assert regimes == {"over-damped", "under-damped somewhere"}, "the sweep must cross both regimes"


def test_gradient_descent_rates_are_one_minus_alpha_lambda(explorer):
    checked = 0
    for lr in (0.01, 0.05, 0.1, 2 / 7, 0.3):
        explorer.values = {**explorer.values, "optimizer": "gd", "learning_rate": lr, "steps": STEPS}
        result = explorer.result
        assert result["rates"] == pytest.approx(np.abs(1 - lr * EIGENVALUES), rel=1e-12)
        rate, per_component = measured(result)
        assert rate == pytest.approx(result["predicted"], abs=0.01), lr
        for r, m in zip(result["rates"], per_component):
            if 0.05 < r < 0.985:  # gd's components are exact geometric sequences.
                assert m == pytest.approx(r, rel=1e-6), (lr, r, m)
                checked += 1
    assert checked >= 6


@pytest.mark.parametrize("angle", [10.0, 30.0, 60.0])
def test_diagonal_preconditioner_rate_is_the_measured_rate(explorer, angle):
    for lr in (0.3, 0.6, 1.0):
        explorer.values = {**explorer.values, "optimizer": "preconditioned (diagonal)", "learning_rate": lr,
                           "angle": angle, "steps": STEPS}
        result = explorer.result
        predicted = result["predicted"]
        assert 0.05 < predicted < 0.985, (angle, lr, predicted)
        rate, _ = measured(result)
        assert rate == pytest.approx(predicted, abs=0.01), (angle, lr, predicted, rate)
    explorer.values = {**explorer.values, "angle": 0.0}
