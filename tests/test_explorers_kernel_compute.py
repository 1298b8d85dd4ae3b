"""The explorers' kernel face (issue 11): values in, result out, computed by descent in float64.

What the front end receives from a kernel is checked against descent itself: the runs
against :func:`descent.runner.run` in x64 (the same compiled loop, so to the bit), the
minibatch paths against a plain NumPy loop over the batches of the shared generator, and
the generator against mulberry32 written out with Python integers. Then the widget's
side of the contract: ``values`` → ``result`` through the traitlet, errors as results,
the spec's size and JSON, the static HTML, and the warm-up that compiles every offered
optimizer before the reader picks it.
"""

from __future__ import annotations

import html.parser
import json
import math
import re

import jax
import numpy as np
import optax
import pytest

from descent import runner
from descent.explorers import OPTIMIZERS, Explorer, MinibatchExplorer, QuadraticExplorer
from descent.explorers import minibatch as minibatch_module
from descent.explorers import widget
from descent.explorers.minibatch import batch_orders, draws
from descent.problems import beale, cliff, monkey_saddle, quadratic, rosenbrock, saddle, soft_label_classifier
from explorer_cases import RUNNER_CALLS


def as_array(values) -> np.ndarray:
    """A result's JSON list back to floats: null → NaN."""
    return np.array(values, dtype=object).astype(float)


def assert_same_run(result: dict, reference: runner.Run, steps: int) -> None:
    np.testing.assert_array_equal(as_array(result["trajectory"]), np.asarray(reference.trajectory)[: steps + 1])
    np.testing.assert_array_equal(as_array(result["losses"]), np.asarray(reference.losses)[: steps + 1])
    expected = reference.diverged_at if reference.diverged_at is not None and reference.diverged_at <= steps else None
    assert result["diverged_at"] == expected


def strict_json(obj) -> str:
    return json.dumps(obj, allow_nan=False, ensure_ascii=False)


@pytest.fixture(scope="module")
def bowl():
    explorer = QuadraticExplorer(eigenvalues=(1.0, 6.0), angle=0.3, learning_rate=0.1, steps=60)
    explorer.wait()
    return explorer


@pytest.fixture(scope="module")
def batches():
    explorer = MinibatchExplorer(batch_size=8, learning_rate=0.2)
    explorer.wait()
    return explorer


# ---------------------------------------------------------------------------------------
# The runs are descent's, in float64.



@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("learning_rate, saddle_on", [(0.05, False), (0.4, False), (0.05, True)])
def test_quadratic_result_is_descents_float64_run(bowl, name, learning_rate, saddle_on):
    values = {**bowl.values, "optimizer": name, "learning_rate": learning_rate, "momentum": 0.7,
              "b1": 0.8, "b2": 0.99, "lambda2": 4.0, "saddle": saddle_on, "angle": 37.0, "steps": 60}
    result = bowl.compute(values)
    lam = (1.0, -4.0 if saddle_on else 4.0)
    with jax.enable_x64(True):  # The reference, built independently of the explorer.
        problem = quadratic(lam, angle=37.0 * math.pi / 180, init=(9.5, -1.0))
        Q = np.asarray(problem.Q)
        optimizer, hyper = RUNNER_CALLS[name]
        reference = runner.run(problem, optimizer, 300, learning_rate=learning_rate, **hyper(values, Q))
    assert reference.trajectory.dtype == np.float64
    assert_same_run(result, reference, steps=60)
    assert result["lam"] == list(lam)
    np.testing.assert_array_equal(result["Q"], Q)
    assert result["L0"] == 0.5 * np.array([9.5, -1.0]) @ (Q @ np.array([9.5, -1.0]))
    assert result["gd_limit"] == 2 / max(v for v in lam if v > 0)
    assert result["optimal"] == (None if saddle_on else 2 / (1.0 + 4.0))


def test_quadratic_theory_numbers(bowl):
    gd = bowl.compute({**bowl.values, "optimizer": "gd", "learning_rate": 0.5, "angle": 0.0})
    assert gd["rates"] == [0.5, 2.0] and gd["predicted"] == 2.0  # |1 − αλᵢ|, λ = (1, 6).
    assert gd["limit"] == [1 / 3, "2/λ_max"]
    heavy = bowl.compute({**bowl.values, "optimizer": "momentum", "learning_rate": 0.1, "momentum": 0.5})
    assert heavy["limit"] == [2 * 1.5 / 6, "2(1+β)/λ_max"]
    M = np.array([[1 - 0.1 * 6, -0.1 * 0.5], [6, 0.5]])  # (θ, v) ↦ one heavy-ball step along λ₂.
    assert heavy["rates"][1] == pytest.approx(np.max(np.abs(np.linalg.eigvals(M))), rel=1e-14)
    adam = bowl.compute({**bowl.values, "optimizer": "adam"})
    assert adam["rates"] is None and adam["predicted"] is None and adam["limit"] is None
    newton = bowl.compute({**bowl.values, "optimizer": "preconditioned (Q⁻¹)", "learning_rate": 1.0})
    assert newton["predicted"] == 0.0 and newton["limit"] == [2.0, "2"]


def test_quadratic_sends_the_first_T_steps_and_null_after_divergence():
    explorer = QuadraticExplorer(eigenvalues=(1.0, 6.0), learning_rate=2.0, steps=300)
    result = explorer.set(steps=300)
    assert len(result["trajectory"]) == len(result["losses"]) == 301
    t = result["diverged_at"]
    assert t is not None and 100 < t < 300  # ×11 per step: L overflows float64, not float32's 1e38.
    assert result["losses"][t] is None and result["losses"][t - 1] is not None
    assert result["trajectory"][-1] == [None, None]
    short = explorer.set(steps=40)
    assert len(short["losses"]) == 41 and short["diverged_at"] is None
    assert explorer.run().trajectory.dtype == np.float64


RACES = {
    "rosenbrock": lambda: Explorer(rosenbrock()),
    "saddle": lambda: Explorer(saddle(), {"gd": {"learning_rate": 0.05},
                                          "momentum": {"learning_rate": 0.05, "momentum": 0.9},
                                          "adam": {"learning_rate": 0.05}}),
    "beale": lambda: Explorer(beale(), {"adam, β₁ = 0": {"optimizer": "adam", "learning_rate": 0.05, "b1": 0.0},
                                        "nadam": {"learning_rate": 0.01}}, steps=200),
}
REFERENCE_PROBLEMS = {"rosenbrock": rosenbrock, "saddle": saddle, "beale": beale}


@pytest.mark.parametrize("race", RACES)
def test_race_runs_are_descents_float64_runs(race):
    explorer = RACES[race]()
    values = {label: alpha * 3 for label, alpha in explorer.values.items()}
    result = explorer.compute(values)
    assert [r["label"] for r in result["runs"]] == list(explorer.entries)
    with jax.enable_x64(True):
        problem = REFERENCE_PROBLEMS[race]()  # float64 arrays: built with x64 on.
        for run, (label, (name, hyper)) in zip(result["runs"], explorer._entries.items()):
            reference = runner.run(problem, name, explorer.steps, learning_rate=values[label], **hyper)
            assert_same_run(run, reference, explorer.steps)
    assert explorer.run(explorer.entries[0]).trajectory.dtype == np.float64


def test_race_describes_the_problem_and_its_entries():
    explorer = Explorer(rosenbrock(), {"gd": {"learning_rate": 1e-3},
                                       "heavy ball": {"learning_rate": 1e-3, "momentum": 0.9},
                                       "mine": {"optimizer": optax.sgd, "learning_rate": 1e-3},
                                       "descent's": {"optimizer": __import__("descent").optimizers.adam,
                                                     "learning_rate": 0.05},
                                       "more": {"optimizer": "adam", "learning_rate": 0.01}})
    spec = explorer.spec
    assert spec["problem"] == {"name": "rosenbrock", "a": 1.0, "b": 100.0}
    assert spec["minimum"] == [1.0, 1.0] and spec["minimum_value"] == 0.0 and spec["saddle_point"] is None
    assert spec["grid"] is None and len(spec["levels"]) > 10
    entries = spec["entries"]
    assert [e["optimizer"] for e in entries] == ["sgd", "momentum", None, "adam", "adam"]
    assert entries[1]["hyper"] == {"momentum": 0.9}
    assert [e["color"] for e in entries] == ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"]
    # The chapter reads the labels from `sliders`; each is its log control, two decades wide.
    assert list(explorer.sliders) == list(explorer.entries) == [e["label"] for e in entries]
    control = explorer.sliders["mine"]
    assert control["type"] == "log" and control["min"] == pytest.approx(1e-5) and control["max"] == pytest.approx(0.1)
    # The reader's own optimizer, which the page cannot run, runs in the kernel.
    assert explorer.wait(timeout=300)
    run = {r["label"]: r for r in explorer.result["runs"]}["mine"]
    with jax.enable_x64(True):
        reference = runner.run(rosenbrock(), "sgd", 300, learning_rate=1e-3)
    np.testing.assert_allclose(as_array(run["trajectory"]), reference.trajectory, rtol=1e-12)


def test_race_problems_by_name_and_a_custom_one_on_a_grid():
    assert Explorer(monkey_saddle()).spec["problem"] == {"name": "monkey_saddle"}
    assert Explorer(saddle()).spec["saddle_point"] == [0.0, 0.0]
    bowl = Explorer(quadratic((1.0, 10.0), angle=0.3))
    assert bowl.spec["problem"]["name"] == "quadratic"
    np.testing.assert_allclose(bowl.spec["problem"]["Q"], quadratic((1.0, 10.0), angle=0.3).Q, rtol=1e-6)
    wall = Explorer(cliff(), {"gd": {"learning_rate": 5.0}}, steps=50)
    spec = wall.spec
    assert spec["problem"] == {"name": "custom"} and spec["minimum"] is None
    grid = spec["grid"]
    assert len(grid["z"]) == len(grid["y"]) >= 40 and len(grid["z"][0]) == len(grid["x"])
    assert grid["x"][0] == spec["window"][0] and grid["y"][-1] == pytest.approx(spec["window"][3])
    with jax.enable_x64(True):  # z[i][j] = L(x[j], y[i]), to 6 significant digits.
        exact = float(cliff(height=10.0, sharpness=50.0).loss(np.array([grid["x"][7], grid["y"][5]])))
    assert grid["z"][5][7] == pytest.approx(exact, rel=1e-5)
    assert len(f"{grid['z'][5][7]!r}".replace("0.", "").lstrip("0")) <= 12


def reference_minibatch_path(explorer, batch_size, alpha, seed=None):
    """w ← w − α (1/B) Σ_k x_k (x_k·w − y_k), the batches of the generator (seed None: GD)."""
    w = explorer.init.copy()
    path = [w]
    for t in range(explorer.steps):
        batch = np.arange(explorer.n) if seed is None else plain_batch(seed, t, explorer.n, batch_size)
        x, y = explorer.X[batch], explorer.y[batch]
        w = w - alpha * (x * (x @ w - y)[:, None]).sum(axis=0) / len(batch)
        path.append(w)
    return np.array(path)


@pytest.mark.parametrize("batch_size, alpha, seed", [(8, 0.2, 0), (1, 0.05, 3), (64, 0.9, 20), (256, 0.5, 1)])
def test_minibatch_paths_follow_the_shared_generator(batches, batch_size, alpha, seed):
    result = batches.compute({"batch_size": batch_size, "learning_rate": alpha, "seed": seed})
    for name, expected in (("sgd", reference_minibatch_path(batches, batch_size, alpha, seed)),
                           ("gd", reference_minibatch_path(batches, batches.n, alpha))):
        got = as_array(result[name])
        assert got.shape == (batches.steps + 1, 2)
        error = np.linalg.norm(got - expected, axis=1) / np.linalg.norm(expected, axis=1)
        assert error.max() < 1e-12, name
    assert result["limit_B"] == batches.stability_limit(batch_size)
    assert result["gd_limit"] == 2 / batches.eigenvalues[-1] == batches.spec["limits"]["256"]
    assert result["standard_error"] == batches.standard_error(batch_size)
    floor = batches.noise_floor(batch_size, alpha)
    assert result["floor"] == (floor if math.isfinite(floor) else None)
    fixed = batches.predicted_floor(batch_size, alpha) if batch_size < batches.n else 0.0
    assert result["fixed"] == (fixed if math.isfinite(fixed) else None)


def test_minibatch_divergence_is_sent_as_null(batches):
    result = batches.compute({"batch_size": 256, "learning_rate": 10.0, "seed": 0})
    assert result["sgd"][-1] == result["gd"][-1] == [None, None]  # ×17 per step: overflow.
    assert batches.compute({"batch_size": 8, "learning_rate": 1.0, "seed": 0})["floor"] is None  # α ≥ α_B.
    strict_json(result)


def test_minibatch_spec_holds_what_the_page_needs(batches):
    spec = batches.spec
    assert np.array_equal(spec["X"], batches.X) and np.array_equal(spec["y"], batches.y)  # repr floats
    assert list(spec["limits"]) == [str(2**k) for k in range(9)]
    assert list(spec["floor_parts"]) == [str(2**k) for k in range(8)]
    parts = spec["floor_parts"]["8"]
    # The page's floor: (I − T) vec(S) = α² Σ_B with T = I − αK + α²M, floor ½ tr(QS).
    a = 0.2
    T = np.eye(4) - a * np.array(parts["K"]) + a * a * np.array(parts["M"])
    S = np.linalg.solve(np.eye(4) - T, a * a * np.array(parts["Sigma"])).reshape(2, 2)
    assert 0.5 * np.trace(batches.Q @ S) == pytest.approx(batches.noise_floor(8, a), rel=1e-12)


# ---------------------------------------------------------------------------------------
# The generator both languages implement.

M32 = 0xFFFFFFFF


def plain_draws(seed: int, t: int, count: int) -> list[float]:
    """mulberry32 with Python integers, seeded for step t of ``seed`` (the contract's formula)."""
    state = (((seed + 1) * 0x9E3779B9) & M32) ^ (((t + 1) * 0x85EBCA6B) & M32)
    out = []
    for _ in range(count):
        state = (state + 0x6D2B79F5) & M32
        z = state
        z = ((z ^ (z >> 15)) * (z | 1)) & M32
        z ^= (z + (((z ^ (z >> 7)) * (z | 61)) & M32)) & M32
        out.append(((z ^ (z >> 14)) & M32) / 4294967296)
    return out


def plain_batch(seed: int, t: int, n: int, batch_size: int) -> list[int]:
    idx = list(range(n))
    u = plain_draws(seed, t, batch_size)
    for i in range(batch_size):
        j = i + math.floor(u[i] * (n - i))
        idx[i], idx[j] = idx[j], idx[i]
    return idx[:batch_size]


def test_generator_first_draws_of_seed_0_step_0():
    # Written out once from plain_draws(0, 0, 4), which follows the contract line by line;
    # the contract's JavaScript, run in Node, printed the same four numbers.
    expected = [0.9016623268835247, 0.17770342552103102, 0.9670992342289537, 0.6839366911444813]
    assert plain_draws(0, 0, 4) == expected
    assert draws(0, 1, 4)[0].tolist() == expected


@pytest.mark.parametrize("seed", [0, 1, 7, 20])
def test_generator_matches_the_plain_formula(seed):
    u = draws(seed, 50, 12)
    for t in (0, 1, 17, 49):
        assert u[t].tolist() == plain_draws(seed, t, 12)
    orders = batch_orders(seed, 50, 256)
    for t in (0, 33):
        assert orders[t, :256].tolist() == plain_batch(seed, t, 256, 256)
        assert orders[t, :5].tolist() == plain_batch(seed, t, 256, 5)  # A batch is a prefix.
    assert all(sorted(row) == list(range(256)) for row in orders.tolist())


# ---------------------------------------------------------------------------------------
# The widget: values → result, errors as results, clear errors for bad arguments.


def without_timing(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "_kernel_ms"}


def test_values_to_result_through_the_traitlet(bowl):
    seen = []
    bowl.observe(seen.append, names="result")
    try:
        values = {**bowl.values, "optimizer": "nesterov", "learning_rate": 0.2, "momentum": 0.6}
        bowl.values = values  # As the front end does on a slider move.
        # The result answers these values, says so, and how long the kernel took.
        assert len(seen) == 1 and without_timing(bowl.result) == {**bowl.compute(values), "_values": values}
        assert bowl.result["_kernel_ms"] > 0
        assert without_timing(bowl.set(learning_rate=0.05)) == without_timing(bowl.result) == {
            **bowl.compute({**values, "learning_rate": 0.05}), "_values": {**values, "learning_rate": 0.05}}
        assert bowl.values["learning_rate"] == 0.05
    finally:
        bowl.unobserve(seen.append, names="result")
    with pytest.raises(ValueError, match="no control named 'learnign_rate'"):
        bowl.set(learnign_rate=0.3)


def test_the_diagonal_preconditioner_error_is_a_result():
    explorer = QuadraticExplorer(eigenvalues=(1.0, -1.0), angle=math.pi / 4,
                                 optimizer="preconditioned (diagonal)", learning_rate=1.0)
    explorer.wait()
    message = explorer.result["error"]
    assert {k: v for k, v in explorer.result.items() if not k.startswith("_")} == {"error": message}
    assert re.fullmatch(r"the diagonal preconditioner P = diag\(1/Q₁₁, 1/Q₂₂\) needs Qᵢᵢ ≠ 0, and here "
                        r"diag\(Q\) = \(\S+, \S+\): rotate the eigenvectors a little", message)
    with pytest.raises(ValueError, match=re.escape(message)):
        explorer.run()
    assert "error" not in explorer.set(angle=30.0)  # Rotated a little: it runs.


def test_an_exception_becomes_an_error_result_never_raised(bowl):
    before = dict(bowl.values)
    try:
        result = bowl.set(optimizer="lbfgs")
        assert [k for k in result if not k.startswith("_")] == ["error"]
        assert result["error"].startswith("ValueError: QuadraticExplorer: optimizer must be one of")
    finally:
        bowl.values = before


BAD = [
    (lambda: QuadraticExplorer(eigenvalues=(-1.0, 2.0)), "eigenvalues must be"),
    (lambda: QuadraticExplorer(eigenvalues=(1.0, 2.0, 3.0)), "eigenvalues must be two numbers"),
    (lambda: QuadraticExplorer(init=(0.0, 0.0)), "init must be two finite numbers, not both 0"),
    (lambda: QuadraticExplorer(optimizer="sgd"), "optimizer must be one of"),
    (lambda: QuadraticExplorer(learning_rate=0.0), r"learning_rate must be in \(0, 10\]"),
    (lambda: QuadraticExplorer(momentum=1.0), r"momentum must be in \[0, 0.99\]"),
    (lambda: QuadraticExplorer(b2=1.0), r"b2 must be in \[0, 0.999\]"),
    (lambda: QuadraticExplorer(steps=301), r"steps must be an integer in \[1, 300\]"),
    (lambda: QuadraticExplorer(main="alpha"), "main must be one of"),
    (lambda: QuadraticExplorer(sliders=["learnign_rate"]), "no slider named 'learnign_rate'"),
    (lambda: QuadraticExplorer(angle=math.inf), "angle must be finite"),
    (lambda: Explorer(soft_label_classifier()), "is not a 2-D problem with a window to draw"),
    (lambda: Explorer(rosenbrock(), {}), "give at least one optimizer"),
    (lambda: Explorer(rosenbrock(), {"gd": {}}), "'gd' needs a learning_rate > 0"),
    (lambda: Explorer(rosenbrock(), {"sdg": {"learning_rate": 0.1}}), "run: no optimizer named 'sdg'"),
    (lambda: Explorer(rosenbrock(), {"adam": {"learning_rate": 0.1, "b1": 1.5}}), "b1"),
    (lambda: Explorer(rosenbrock(), steps=0), r"steps must be an integer in \[1, 10000\]"),
    (lambda: Explorer(rosenbrock(), main="nadam"), "main must be one of"),
    (lambda: MinibatchExplorer(n=100), "n must be a power of two"),
    (lambda: MinibatchExplorer(batch_size=3), "batch_size must be one of"),
    (lambda: MinibatchExplorer(learning_rate=20.0), r"learning_rate must be in \(0, 10\]"),
    (lambda: MinibatchExplorer(steps=0), r"steps must be an integer in \[1, 2000\]"),
    (lambda: MinibatchExplorer(main="seed"), "main must be 'batch_size' or 'learning_rate'"),
]


@pytest.mark.parametrize("build, message", BAD)
def test_bad_arguments_are_named(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# ---------------------------------------------------------------------------------------
# What crosses the wire and what the page holds.


def chapter_explorers():
    """The explorers the chapters display (their calls as of issue 11), and a custom race."""
    return {
        "first-descent bowls": lambda: QuadraticExplorer(eigenvalues=(1.0, 5.0), learning_rate=0.3, steps=40,
                                                         sliders=["learning_rate"]),
        "first-descent race": lambda: Explorer(rosenbrock()),
        "gd-quadratic": lambda: QuadraticExplorer(eigenvalues=(1.0, 6.0), angle=np.pi / 16, init=(9.5, -1.0),
                                                  optimizer="gd", learning_rate=0.1, steps=50,
                                                  sliders=["learning_rate", "lambda1", "lambda2"]),
        "preconditioning": lambda: QuadraticExplorer(eigenvalues=(1.0, 20.0), optimizer="preconditioned (diagonal)",
                                                     learning_rate=1.0, steps=50, main="angle",
                                                     sliders=["optimizer", "angle", "learning_rate", "lambda1",
                                                              "lambda2"]),
        "why-hard": lambda: Explorer(saddle(), {"gd": {"learning_rate": 0.05},
                                                "momentum": {"learning_rate": 0.05, "momentum": 0.9},
                                                "adam": {"learning_rate": 0.05}}, steps=300),
        "learning-vs-optimization": lambda: MinibatchExplorer(batch_size=8, learning_rate=0.2),
        "custom race": lambda: Explorer(cliff(), {"gd": {"learning_rate": 5.0},
                                                  "momentum": {"learning_rate": 1.0, "momentum": 0.9},
                                                  "adam": {"learning_rate": 0.1}}),
    }


@pytest.mark.parametrize("which", list(chapter_explorers()))
def test_spec_is_small_strict_json(which):
    explorer = chapter_explorers()[which]()
    size = len(strict_json(explorer.spec).encode())
    assert size <= 45_000, size
    strict_json(explorer.values)
    assert explorer.wait(timeout=120)
    strict_json(explorer.result)
    assert "error" not in explorer.result
    names = [c["name"] for c in explorer.spec["controls"]]
    assert set(names) <= set(explorer.values) and len(names) == len(set(names))


def test_quadratic_spec_and_values():
    explorer = QuadraticExplorer(eigenvalues=(1.0, -20.0), angle=np.pi / 16, learning_rate=0.1,
                                 sliders=["optimizer", "angle"])
    spec, values = explorer.spec, explorer.values
    assert spec["kind"] == "quadratic" and spec["init"] == [9.5, -1.0] and spec["max_steps"] == 300
    assert spec["half"] == 1.15 * math.hypot(9.5, 1.0) and spec["optimizers"] == list(OPTIMIZERS)
    assert [c["name"] for c in spec["controls"]] == ["optimizer", "momentum", "b1", "b2", "angle"]
    by_name = {c["name"]: c for c in spec["controls"]}
    assert by_name["momentum"]["shown_for"] == ["momentum", "nesterov"] and by_name["b2"]["shown_for"] == ["adam"]
    assert by_name["angle"]["symbol"] == "angle" and by_name["angle"]["max"] == 180.0
    assert set(values) == set(QuadraticExplorer.CONTROLS)  # Hidden controls keep their values.
    assert values["lambda2"] == 20.0 and values["saddle"] is True
    assert values["angle"] == pytest.approx(180 / 16)
    assert QuadraticExplorer(sliders=["learning_rate"]).spec["controls"][0] == {
        "name": "learning_rate", "label": "learning rate α", "symbol": "α", "type": "log",
        "min": 0.001, "max": 10.0, "step": 0.01}


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.script, self.noscript, self.inside = [], "", "", None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.inside = tag

    def handle_endtag(self, tag):
        self.inside = None

    def handle_data(self, data):
        if self.inside == "script":
            self.script += data
        elif self.inside == "noscript":
            self.noscript += data


def test_static_html_holds_spec_and_values():
    explorer = Explorer(rosenbrock(), {"a</script><b>": {"optimizer": "sgd", "learning_rate": 1e-3}})
    page = explorer.static_html()
    assert page.count("</script>") == 1  # Only the script's own end: "</" is escaped in the JSON.
    parsed = Page()
    parsed.feed(page)
    (div, attrs), (script, script_attrs) = parsed.tags[:2]
    assert div == "div" and attrs["class"] == "descent-explorer"
    assert attrs["aria-label"] == f"Explorer: {explorer.spec['title']}"
    assert script == "script" and script_attrs == {"type": "application/json"}
    assert json.loads(parsed.script) == {"spec": explorer.spec, "values": explorer.values}
    assert "needs JavaScript" in parsed.noscript
    data, _ = explorer._repr_mimebundle_()
    assert data["text/html"] == page
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.model_id
    assert data["text/plain"] == "<Explorer: a</script><b> on Rosenbrock>"


def test_json_of_arrays():
    assert widget._json([1.5, np.nan, np.inf, -np.inf]) == [1.5, None, None, None]
    assert widget._json(np.array([[1, 2], [np.nan, 0.1]])) == [[1.0, 2.0], [None, 0.1]]


def test_module_source_is_compute_then_render_without_its_import(tmp_path, monkeypatch):
    (tmp_path / "compute.js").write_text("export function compute() {}\nexport const fmt = 1;\n")
    (tmp_path / "render.js").write_text('import {\n  compute,\n  fmt,\n} from "./compute.js";\n'
                                        "export function mount(el) {}\nexport default { render };\n")
    monkeypatch.setattr(widget, "HERE", tmp_path)
    widget.module_source.cache_clear()
    try:
        assert widget.module_source() == ("export function compute() {}\nexport const fmt = 1;\n\n"
                                          "export function mount(el) {}\nexport default { render };\n")
    finally:  # The package's own files again, and nothing cached from the fake ones.
        monkeypatch.undo()
        widget.module_source.cache_clear()
    source = widget.module_source()  # The package's own.
    assert "./compute.js" not in source and "export default" in source and "export function compute" in source


# ---------------------------------------------------------------------------------------
# Warm-up: every offered optimizer is compiled before the reader first picks it.


def test_warm_up_compiles_every_offered_optimizer():
    assert widget.wait_for_warm_ups(timeout=300)  # Those of explorers built before.
    runner._run.clear_cache()
    explorer = QuadraticExplorer(eigenvalues=(2.0, 9.0), learning_rate=0.05)
    assert explorer.wait(timeout=300)
    compiled = runner._run._cache_size()
    assert compiled == 7  # The menu's eight, the two preconditioners sharing one loop.
    for name in OPTIMIZERS:  # A reader's first pick of each: no new compilation.
        assert "error" not in explorer.set(optimizer=name, learning_rate=0.02)
    assert runner._run._cache_size() == compiled


def test_warm_up_compiles_the_race_and_the_minibatch_loop():
    assert widget.wait_for_warm_ups(timeout=300)
    runner._run.clear_cache()
    race = Explorer(beale(), {"gd": {"learning_rate": 1e-3}, "amsgrad": {"learning_rate": 0.01}})
    assert race.wait(timeout=300)
    assert runner._run._cache_size() == 2
    race.set(gd=2e-3, amsgrad=0.02)
    assert runner._run._cache_size() == 2
    minibatch_module._minibatch_sgd.clear_cache()
    explorer = MinibatchExplorer(batch_size=4)
    assert explorer.wait(timeout=300)
    assert minibatch_module._minibatch_sgd._cache_size() == 1
    for B in explorer.sizes:  # Every batch size, one compiled loop.
        explorer.set(batch_size=B, seed=B % 21)
    assert minibatch_module._minibatch_sgd._cache_size() == 1
