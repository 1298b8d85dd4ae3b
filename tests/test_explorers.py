"""The explorers in-process, as the front end drives them: setting ``values`` computes exactly
the run of descent.runner (float64), every control over its whole range computes without
raising, a run that blows up comes back as null from its divergence step on, nothing
recompiles when values change, and the display carries the widget, its static page and text.

(The texts the explorers show are written by the front end's ``status``: they are tested
in Chromium by tests/test_explorer_messages.py.)
"""

from __future__ import annotations

import doctest
import html
import importlib
import json
import math
import pkgutil
import re

import jax
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import descent.explorers
import descent.runner
from descent.explorers import OPTIMIZERS, Explorer, MinibatchExplorer, QuadraticExplorer
from descent.problems import quadratic, rosenbrock, soft_label_classifier
from descent.runner import run
from explorer_cases import RUNNER_CALLS, quadratic_values


@pytest.fixture(scope="module")
def explorer():
    explorer = QuadraticExplorer(eigenvalues=(1.0, 6.0), learning_rate=0.1, steps=50)
    explorer.wait()  # Every optimizer of the menu compiled.
    return explorer


DEFAULTS = dict(optimizer="gd", learning_rate=0.1, momentum=0.0, b1=0.9, b2=0.999, lambda1=1.0,
                lambda2=6.0, saddle=False, angle=0.0, steps=50)


def move(explorer, **values) -> dict:
    """Set ``values`` as the front end does (one assignment of the whole dict); the result."""
    explorer.values = {**explorer.values, **values}
    return explorer.result


def reset(explorer, **values) -> dict:
    return move(explorer, **{**DEFAULTS, **values})


def public(result: dict) -> dict:
    """The result without the widget's own bookkeeping (keys starting with "_")."""
    return {k: v for k, v in result.items() if not k.startswith("_")}


def as_array(values) -> np.ndarray:
    """A result's JSON list back to floats: null → NaN."""
    return np.array(values, dtype=object).astype(float)


def test_doctests():
    """The doctests of every module of the package run and pass."""
    attempted = 0
    modules = [descent.explorers] + [importlib.import_module(f"descent.explorers.{m.name}")
                                     for m in pkgutil.iter_modules(descent.explorers.__path__)]
    assert {m.__name__.rsplit(".", 1)[-1] for m in modules} >= {"explorers", "widget", "quadratic", "race",
                                                                "minibatch"}
    for module in modules:
        result = doctest.testmod(module)
        assert result.failed == 0, module.__name__
        attempted += result.attempted
    assert attempted >= 5


# -- The runs are descent.runner's, in float64. ---------------------------------------------




def test_the_runner_calls_cover_the_menu():
    assert set(RUNNER_CALLS) == set(OPTIMIZERS)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_trajectory_is_the_runners(explorer, optimizer):
    values = dict(optimizer=optimizer, learning_rate=0.2, momentum=0.7, b1=0.7, b2=0.99, lambda1=2.0,
                  angle=30.0, steps=40)
    result = reset(explorer, **values)
    with jax.enable_x64(True):
        problem = quadratic((2.0, 6.0), angle=30.0 * math.pi / 180, init=(9.5, -1.0))
        name, hyper = RUNNER_CALLS[optimizer]
        expected = run(problem, name, steps=40, learning_rate=0.2,
                       **hyper({**DEFAULTS, **values}, np.asarray(problem.Q)))
    assert expected.trajectory.dtype == np.float64
    np.testing.assert_allclose(as_array(result["trajectory"]), expected.trajectory, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(as_array(result["losses"]), expected.losses, rtol=1e-12, atol=1e-300)
    assert result["diverged_at"] == expected.diverged_at
    assert len(result["trajectory"]) == len(result["losses"]) == 41


def test_each_control_changes_the_result(explorer):
    momentum = {c["name"]: c for c in explorer.spec["controls"]}["momentum"]
    assert momentum["shown_for"] == ["momentum", "nesterov"]  # β is shown only where it applies.
    reset(explorer, momentum=0.3)
    for name, value in [("optimizer", "momentum"), ("learning_rate", 0.25), ("momentum", 0.5),
                        ("lambda1", 3.0), ("lambda2", 2.0), ("saddle", True), ("angle", 45.0), ("steps", 20),
                        ("saddle", False), ("optimizer", "adam"), ("b1", 0.5), ("b2", 0.9)]:
        before = as_array(explorer.result["trajectory"])
        after = as_array(move(explorer, **{name: value})["trajectory"])
        assert before.shape != after.shape or not np.allclose(before, after, equal_nan=True), name
    reset(explorer)


def test_divergence_comes_back_as_null_from_its_step_on(explorer):
    result = reset(explorer, learning_rate=2.0, steps=300)  # ×11 per step: L overflows float64.
    t = result["diverged_at"]
    assert t is not None and 100 < t < 300
    losses, trajectory = result["losses"], result["trajectory"]
    assert all(L is not None and math.isfinite(L) for L in losses[:t])
    assert all(L is None for L in losses[t:]) and all(p == [None, None] for p in trajectory[t + 1:])
    json.dumps(result, allow_nan=False)  # No NaN or inf: null.
    short = reset(explorer, learning_rate=2.0, steps=40)  # Not yet overflowed within T = 40.
    assert short["diverged_at"] is None and len(short["losses"]) == 41
    assert all(L is not None for L in short["losses"])
    assert reset(explorer)["diverged_at"] is None


def test_theory_numbers_in_the_result(explorer):
    result = reset(explorer, learning_rate=2 / 7)  # The optimal step for λ = (1, 6): rate 5/7.
    assert result["predicted"] == pytest.approx(5 / 7, rel=1e-12)
    assert result["rates"] == pytest.approx([5 / 7, 5 / 7], rel=1e-12)
    assert result["gd_limit"] == pytest.approx(1 / 3) and result["optimal"] == pytest.approx(2 / 7)
    assert result["limit"] == [pytest.approx(1 / 3), "2/λ_max"]
    distance = np.linalg.norm(as_array(result["trajectory"]), axis=1)
    assert (distance[50] / distance[25]) ** (1 / 25) == pytest.approx(5 / 7, rel=1e-3)
    result = reset(explorer, optimizer="momentum", learning_rate=0.3, momentum=0.5)
    assert result["limit"] == [pytest.approx(2 * 1.5 / 6), "2(1+β)/λ_max"]
    result = reset(explorer, optimizer="adam")
    assert result["predicted"] is None and result["rates"] is None and result["limit"] is None
    result = reset(explorer, saddle=True)
    assert result["optimal"] is None and result["gd_limit"] == pytest.approx(2.0)
    reset(explorer)


def test_newton_step_lands_on_the_minimum(explorer):
    result = reset(explorer, optimizer="preconditioned (Q⁻¹)", learning_rate=1.0, angle=30.0)
    np.testing.assert_allclose(as_array(result["trajectory"])[1], 0.0, atol=1e-14)
    assert result["predicted"] == 0.0
    reset(explorer)


def test_no_recompilation_when_values_change(explorer):
    for optimizer in OPTIMIZERS:  # Compiled by the warm-up; one run each, to be sure.
        reset(explorer, optimizer=optimizer, angle=10.0)
    compiled = descent.runner._run._cache_size()
    rng = np.random.default_rng(0)
    for optimizer in OPTIMIZERS:
        for _ in range(2):
            result = move(explorer, optimizer=optimizer, learning_rate=float(10 ** rng.uniform(-3, 0)),
                          momentum=float(rng.uniform(0, 0.99)), b1=float(rng.uniform(0, 0.99)),
                          b2=float(rng.uniform(0, 0.999)), lambda1=float(10 ** rng.uniform(-2, 2)),
                          lambda2=float(10 ** rng.uniform(-2, 2)), angle=float(rng.uniform(1, 179)),
                          steps=int(rng.integers(1, 300)), saddle=bool(rng.integers(2)))
            assert "trajectory" in result or "Qᵢᵢ ≠ 0" in result["error"]
    assert descent.runner._run._cache_size() == compiled
    reset(explorer)


def test_an_exception_is_a_result_not_raised(explorer, monkeypatch):
    def broken(state=None):
        raise RuntimeError("something broke on purpose")

    monkeypatch.setattr(explorer, "run", broken)
    result = move(explorer, learning_rate=0.123)  # Must not raise.
    assert public(result) == {"error": "RuntimeError: something broke on purpose"}
    monkeypatch.undo()
    result = move(explorer, learning_rate=0.1)
    assert "error" not in result and result["diverged_at"] is None


def test_the_diagonal_preconditioner_explains_a_zero_diagonal(explorer):
    message = (r"the diagonal preconditioner P = diag\(1/Q₁₁, 1/Q₂₂\) needs Qᵢᵢ ≠ 0, and here "
               r"diag\(Q\) = \((\S+), (\S+)\): rotate the eigenvectors a little")
    # λ = (1, −1) turned by 45°: Q = [[0, 1], [1, 0]], to rounding.
    values = dict(optimizer="preconditioned (diagonal)", lambda1=1.0, lambda2=1.0, saddle=True, angle=45.0)
    result = public(reset(explorer, **values))
    assert set(result) == {"error"}
    diagonal = re.fullmatch(message, result["error"]).groups()
    assert all(abs(float(q)) < 1e-15 for q in diagonal), diagonal
    with pytest.raises(ValueError, match=message):
        explorer.run()
    assert "error" not in reset(explorer, **{**values, "angle": 44.0})  # A little rotated: fine.
    reset(explorer)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=quadratic_values())
def test_every_control_over_its_whole_range(explorer, values):
    result = move(explorer, **values)
    optimizer, steps, saddle = values["optimizer"], values["steps"], values["saddle"]
    json.dumps(result, allow_nan=False)  # What the wire carries: no NaN, no inf.
    if "error" in result:  # The one case no run can take, explained.
        assert optimizer == "preconditioned (diagonal)" and "Qᵢᵢ ≠ 0" in result["error"]
        return
    trajectory, losses = result["trajectory"], result["losses"]
    assert len(trajectory) == len(losses) == steps + 1
    t = result["diverged_at"]
    if t is None:
        assert all(None not in p for p in trajectory) and None not in losses
    else:  # Up (L → +∞) or, at a saddle, down (L → −∞): finite before t, null from t on.
        assert 1 <= t <= steps and None not in losses[:t] and all(L is None for L in losses[t:])
        assert all(None not in p for p in trajectory[:t])
    if saddle:
        assert result["lam"][1] < 0 and result["optimal"] is None


def test_race_follows_the_runner_on_rosenbrock():
    problem = rosenbrock()
    explorer = Explorer(problem, {"gd": {"learning_rate": 1e-3},
                                  "adam, β₁ = 0": {"optimizer": "adam", "learning_rate": 0.05, "b1": 0.0}},
                        steps=100)
    explorer.values = {"gd": 2e-3, "adam, β₁ = 0": 0.1}
    gd, adam = explorer.result["runs"]
    with jax.enable_x64(True):
        problem64 = rosenbrock()  # Built with x64 on: float64 arrays.
        expected_gd = run(problem64, "sgd", steps=100, learning_rate=2e-3)
        expected_adam = run(problem64, "adam", steps=100, learning_rate=0.1, b1=0.0)
    assert gd["label"] == "gd" and adam["label"] == "adam, β₁ = 0"
    np.testing.assert_allclose(as_array(gd["trajectory"]), expected_gd.trajectory, rtol=1e-12)
    np.testing.assert_allclose(as_array(adam["losses"]), expected_adam.losses, rtol=1e-12)
    explorer.values = {**explorer.values, "gd": 0.1}  # Far too large for Rosenbrock.
    gd = explorer.result["runs"][0]
    assert gd["diverged_at"] is not None and gd["losses"][-1] is None


def test_display_bundle_has_widget_html_and_text(explorer):
    data, _ = explorer._repr_mimebundle_()
    assert set(data) >= {"application/vnd.jupyter.widget-view+json", "text/html", "text/plain"}
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.model_id
    page = data["text/html"]
    assert page == explorer.static_html()
    assert page.startswith('<div class="descent-explorer"') and page.endswith("</div>")
    payload = re.search(r'<script type="application/json">(.*?)</script>', page, re.S).group(1)
    assert json.loads(payload.replace("<\\/", "</")) == {"spec": explorer.spec, "values": explorer.values}
    assert "Binder or Colab" in html.unescape(page)  # The <noscript>: what to do without JavaScript.
    assert not re.search(r"<script[^>]+src=", page) and "http" not in page  # Nothing fetched.
    assert data["text/plain"] == "<QuadraticExplorer: optimizers on a quadratic>"


@pytest.mark.parametrize("build", [
    lambda: QuadraticExplorer(),
    lambda: Explorer(rosenbrock()),
    lambda: MinibatchExplorer(),
], ids=["quadratic", "race", "minibatch"])
def test_static_page_weight_per_explorer(build):
    """The static version is the spec and values, not frames: ≤ 50 kB per explorer."""
    assert len(build().static_html().encode()) <= 50_000


def test_the_controls_shown_are_the_controls_named():
    names = lambda e: [c["name"] for c in e.spec["controls"]]
    assert names(QuadraticExplorer(sliders=["learning_rate", "lambda1"])) == ["learning_rate", "lambda1"]
    assert names(QuadraticExplorer(sliders=["learning_rate", "eigenvalues"])) == ["learning_rate", "lambda1",
                                                                                  "lambda2", "saddle"]
    # The menu brings the β's of the optimizers on it.
    assert names(QuadraticExplorer(sliders=["optimizer"])) == ["optimizer", "momentum", "b1", "b2"]
    assert set(names(QuadraticExplorer())) == set(QuadraticExplorer.CONTROLS)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="eigenvalues"):
        QuadraticExplorer(eigenvalues=(-1.0, 2.0))
    with pytest.raises(ValueError, match="no slider named"):
        QuadraticExplorer(sliders=["learnign_rate"])
    with pytest.raises(ValueError, match="optimizer must be one of"):
        QuadraticExplorer(optimizer="newton")
    with pytest.raises(ValueError, match="steps must be an integer"):
        QuadraticExplorer(steps=301)
    with pytest.raises(ValueError, match="not a 2-D problem"):
        Explorer(soft_label_classifier())
    with pytest.raises(ValueError, match="'gd' needs a learning_rate"):
        Explorer(rosenbrock(), {"gd": {"momentum": 0.9}})
    with pytest.raises(ValueError, match="no control named 'learnign_rate'"):
        QuadraticExplorer().set(learnign_rate=0.1)
