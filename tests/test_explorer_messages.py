"""What the explorers say (issue 9's "What the explorers compute and say", ported to issue 11).

The texts an explorer shows are written in one place, ``status(spec, values, result)`` of
``compute.js``, for a result the kernel sent and for one the page computed itself. Each
test builds an explorer the way a chapter does, moves its controls the way the front end
does (``values`` set, ``result`` computed by the kernel side), and calls ``status`` in
headless Chromium on the kernel's result AND on the browser's own ``compute``: the two texts
must agree, and must say what the run did, read here from ``descent``'s own run.

The sweeps over a slider's positions replace the old static version's frames: every
position of the slider is now live on the page, so every position must say the right thing.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from descent.explorers import Explorer, MinibatchExplorer, QuadraticExplorer
from descent.problems import cliff, quadratic, saddle
from descent.runner import run
from explorer_cases import CHAPTER_EXPLORERS, quadratic_values
from test_explorer_parity import plain

pytestmark = [pytest.mark.browser]

TINY = float(np.finfo(np.float64).tiny)  # The smallest normal float64.


def texts_of(page, spec: dict, settings_: list) -> list[dict]:
    """For each (values, kernel result): status() of the kernel's result and of the browser's own."""
    return page.evaluate(
        """([spec, settings]) => settings.map(([values, kernel]) => {
            const say = (result) => result.error !== undefined ? {error: result.error}
                                                                 : window.__descent.status(spec, values, result);
            return {kernel: say(kernel), own: say(window.__descent.compute(spec, values))};
        })""",
        [spec, settings_],
    )


def say(page, explorer, same: bool = True, **moved) -> tuple[dict, dict]:
    """Move controls as the front end does; return (the texts, the kernel's result).

    The browser's own compute must say exactly what status() says of the kernel's result
    (unless ``same`` is False: where a run sits within rounding of a divergence threshold
    the two may differ, which the parity test counts).
    """
    new = {**explorer.values, **moved}
    if new == explorer.values:  # No move: the first result, which the warm-up computes.
        explorer.wait()
    explorer.values = new  # What a slider move sends.
    result = plain(explorer.result)
    assert result, "no result for these values"
    (texts,) = texts_of(page, explorer.spec, [[explorer.values, result]])
    if same:
        assert texts["own"] == texts["kernel"], (moved, texts)
    return texts["kernel"], result


def positions(control: dict, start: float, every: int = 1) -> list[float]:
    """The values a log slider takes, 10^(log10(start) + k·step) within [min, max]; every k-th."""
    low, high, step = math.log10(control["min"]), math.log10(control["max"]), control["step"]
    origin = math.log10(start)
    ks = range(math.ceil((low - origin) / step - 1e-9), math.floor((high - origin) / step + 1e-9) + 1)
    return [10 ** (origin + k * step) for k in ks][::every]


def first_step_above(losses) -> int | None:
    """The first t ≥ 1 from which L(θ_s) > L(θ₀) for every later s (NaN counts as above)."""
    losses = np.asarray(losses, dtype=float)
    above = ~(losses <= losses[0])
    above[0] = False
    if not above[-1]:
        return None
    return int(len(above) - np.argmin(above[::-1]))


def as_array(values) -> np.ndarray:
    return np.array(values, dtype=object).astype(float)


# -- 0. A quadratic's divergence, rates and limits, named. --------------------------------


@pytest.fixture(scope="module")
def bowl():
    explorer = QuadraticExplorer(eigenvalues=(1.0, 6.0), learning_rate=0.1, steps=50)
    explorer.wait()
    return explorer


def test_divergence_is_named_with_its_step_and_the_overflow(module_page, bowl):
    texts, result = say(module_page, bowl, learning_rate=2.0, steps=300)
    # It diverged at the first step from which L(θ_t) stays above L(θ₀), overflowed later.
    losses = as_array(result["losses"])
    assert losses[1] > losses[0] and first_step_above(losses) == 1
    assert 100 < result["diverged_at"] < 300  # ×121 per step on L: float64's overflow, not float32's.
    assert texts["alert"] == ("diverged at step 1: α = 2 > 2/λ_max = 0.333, the error grows ×11 per step; "
                              f"float64 overflow at step {result['diverged_at']}")
    texts, _ = say(module_page, bowl, learning_rate=2.0, steps=50)  # Not yet overflowed at T = 50.
    assert texts["alert"] == "diverged at step 1: α = 2 > 2/λ_max = 0.333, the error grows ×11 per step"
    texts, _ = say(module_page, bowl, learning_rate=0.4)  # Unstable and finite: L(θ_t) > L(θ₀) from step 5.
    assert texts["alert"] == "diverged at step 5: α = 0.4 > 2/λ_max = 0.333, the error grows ×1.4 per step"
    texts, _ = say(module_page, bowl, learning_rate=0.4, steps=4)  # Not yet past L(θ₀): no step to name.
    assert texts["alert"] == "α = 0.4 > 2/λ_max = 0.333: the error grows ×1.4 per step"
    texts, _ = say(module_page, bowl, learning_rate=0.1, steps=50)
    assert texts["alert"] == ""


def test_rates_predicted_and_measured(module_page, bowl):
    texts, _ = say(module_page, bowl, optimizer="gd", learning_rate=2 / 7, steps=50)  # The optimal step for λ = (1, 6): rate 5/7.
    assert "predicted 0.714, measured 0.714" in texts["info"]
    assert "2/λ_max = 0.333" in texts["facts"] and "2/(λ_min+λ_max) = 0.286" in texts["facts"]
    texts, _ = say(module_page, bowl, optimizer="momentum", learning_rate=0.3, momentum=0.5)
    predicted, measured = map(float, re.search(r"predicted (\S+), measured (\S+)", texts["info"]).groups())
    assert measured == pytest.approx(predicted, rel=0.1)
    texts, _ = say(module_page, bowl, optimizer="adam")
    assert "no closed form for adam" in texts["info"]
    say(module_page, bowl, optimizer="gd", learning_rate=0.1, momentum=0.9)


# -- 1. An optimizer that has a β has its β control. ----------------------------------------


@pytest.fixture(scope="module")
def preconditioning():
    """The explorer of the chapter "Preconditioning", as its cell builds it."""
    (build,) = CHAPTER_EXPLORERS["preconditioning"]
    explorer = build()
    explorer.wait()
    return explorer


@pytest.mark.parametrize(("optimizer", "betas"), [
    ("momentum", {"momentum": 0.9}),
    ("nesterov", {"momentum": 0.9}),
    ("adam", {"b1": 0.9, "b2": 0.999}),
])
def test_the_optimizer_menu_brings_the_beta_controls_with_their_defaults(module_page, preconditioning, optimizer,
                                                                         betas):
    explorer = preconditioning
    controls = {c["name"]: c for c in explorer.spec["controls"]}
    for name, value in betas.items():  # Not named in the chapter's sliders: the defaults.
        assert explorer.values[name] == value
    texts, result = say(module_page, explorer, optimizer=optimizer, learning_rate=0.05, angle=0.0)
    problem = quadratic((1.0, 20.0), angle=0.0, init=(9.5, -1.0))
    expected = run(problem, optimizer, steps=50, learning_rate=0.05, **betas)
    np.testing.assert_allclose(as_array(result["trajectory"]), expected.trajectory, rtol=1e-5, atol=1e-6)
    gd = run(problem, "sgd", steps=50, learning_rate=0.05).trajectory
    assert not np.allclose(as_array(result["trajectory"]), gd)  # Not gradient descent in disguise.
    symbol = {"momentum": "β", "b1": "β₁", "b2": "β₂"}
    for name, value in betas.items():  # Each β has a control the reader sees while it applies.
        assert optimizer in controls[name]["shown_for"]
        assert "preconditioned (diagonal)" not in controls[name]["shown_for"]
        assert f"{symbol[name]} = {value:g}" in texts["info"]
        before = as_array(result["trajectory"])
        _, moved = say(module_page, explorer, **{name: 0.5})
        assert not np.allclose(as_array(moved["trajectory"]), before), name
        say(module_page, explorer, **{name: value})
    texts, _ = say(module_page, explorer, optimizer="preconditioned (diagonal)", learning_rate=1.0)
    assert "β" not in texts["info"]  # Jacobi has no β.


def test_momentum_picked_from_the_menu_is_not_gradient_descent(module_page):
    explorer = QuadraticExplorer(sliders=["optimizer", "learning_rate"])
    assert {"momentum", "b1", "b2"} <= {c["name"] for c in explorer.spec["controls"]}
    texts, _ = say(module_page, explorer, optimizer="momentum")
    assert explorer.values["momentum"] == 0.9
    assert "β = 0.9" in texts["info"]


# -- 2. The race says from the run which way it blew up. -----------------------------------


def test_a_run_that_blows_up_along_the_stable_direction_diverged(module_page):
    # gd on x² − y² from (−1.5, 0.01): x grows ×|1 − 2α|, y ×(1 + 2α). At α = 50, x² overflows
    # float64 (step ≈ 77) while y is still far behind: L → +∞, a divergence, not an escape.
    explorer = Explorer(saddle(), optimizers={"gd": {"learning_rate": 1.0}}, steps=300)
    texts, result = say(module_page, explorer, gd=50.0)
    (gd,) = result["runs"]
    finite = [L for L in gd["losses"] if L is not None]
    assert finite[-1] > 1e30 and gd["diverged_at"] is not None  # L → +∞ along x, the stable direction.
    assert texts["alert"] == (f"gd diverged at step {first_step_above(as_array(gd['losses']))} (α = 50; "
                              f"L not finite from step {gd['diverged_at']})")
    texts, result = say(module_page, explorer, gd=1.5)  # Now y outgrows x: the escape, L → −∞.
    assert min(L for L in result["runs"][0]["losses"] if L is not None) < -1e300
    assert re.fullmatch(r"gd ran off to infinity at step \d+ \(L is unbounded below\)", texts["alert"])


def test_the_why_hard_race_names_each_run_by_its_direction(module_page):
    """The race of "Why deep-learning optimization is hard" at the α where float32 overflowed first.

    At α = 4.77 gd's x grows ×8.54 per step and y ×10.54: in float32 x² overflowed (step ≈ 20)
    before y caught up, and the old explorer said "diverged"; in float64 y overtakes x at step
    ≈ 24, long before anything overflows, and L → −∞: the escape down the saddle.
    """
    (build,) = CHAPTER_EXPLORERS["why-hard"]
    explorer = build()
    start = dict(explorer.values)
    texts, result = say(module_page, explorer, gd=4.77)
    gd = next(r for r in result["runs"] if r["label"] == "gd")
    finite = [L for L in gd["losses"] if L is not None]
    assert gd["diverged_at"] is not None and finite[-1] < -1e300
    assert re.search(rf"gd ran off to infinity at step {gd['diverged_at']} \(L is unbounded below\)",
                     texts["alert"]), texts
    assert "gd diverged" not in texts["alert"]
    explorer.values = start


def test_every_position_of_the_race_slider_says_which_way(module_page):
    explorer = Explorer(saddle(), optimizers={"gd": {"learning_rate": 1.0}}, steps=300)
    said = set()
    values = positions(explorer.spec["controls"][0], explorer.values["gd"], every=5)
    settings_ = []
    for alpha in values:
        explorer.values = {"gd": alpha}
        settings_.append([dict(explorer.values), plain(explorer.result)])
    for (v, result), texts in zip(settings_, texts_of(module_page, explorer.spec, settings_)):
        assert texts["own"] == texts["kernel"], v
        (gd,) = result["runs"]
        finite = [L for L in gd["losses"] if L is not None]
        if gd["diverged_at"] is None:
            assert texts["kernel"]["alert"] == "", (v, texts)
        elif finite[-1] > 0:
            assert texts["kernel"]["alert"].startswith("gd diverged at step"), (v, texts)
            said.add("diverged")
        else:
            assert texts["kernel"]["alert"].startswith("gd ran off to infinity at step"), (v, texts)
            said.add("ran off")
    assert said == {"diverged", "ran off"}


def test_running_off_a_saddle_is_not_called_divergence(module_page):
    # In float64 the escape overflows within 300 steps from α = 1 on (at α = 0.05, L is −1.7e67 at T).
    explorer = Explorer(saddle(), {"momentum": {"learning_rate": 1.0, "momentum": 0.9}}, steps=300)
    texts, _ = say(module_page, explorer)
    assert re.fullmatch(r"momentum ran off to infinity at step \d+ \(L is unbounded below\)", texts["alert"])


def test_a_bounded_problem_without_a_closed_form_minimum_still_diverges(module_page):
    # The cliff is a problem the page cannot evaluate: its texts come from the kernel's result.
    explorer = Explorer(cliff(), {"gd": {"learning_rate": 5.0}}, steps=300)
    explorer.wait()
    result = plain(explorer.result)
    (texts,) = texts_of(module_page, explorer.spec, [[explorer.values, result]])
    assert texts["kernel"]["alert"].startswith("gd diverged at step")
    assert "unbounded" not in texts["kernel"]["alert"]
    assert "needs a running kernel" in texts["own"]["alert"]  # No kernel: the page says so.


# -- 3. One step to the minimum, and float64 underflow, named. -----------------------------


def test_one_step_to_the_minimum_is_named(module_page, preconditioning):
    explorer = preconditioning
    texts, result = say(module_page, explorer, optimizer="preconditioned (diagonal)", learning_rate=1.0, angle=0.0)
    losses = as_array(result["losses"])
    assert losses[0] > 0 and np.all(losses[1:] == 0)  # Nothing a log axis can draw after t = 0.
    assert "reached the minimum in 1 step" in texts["info"]
    assert "measured 0" not in texts["info"]
    texts, _ = say(module_page, explorer, angle=30.0)  # Jacobi is no longer exact: no claim.
    assert "reached the minimum" not in texts["info"]
    texts, _ = say(module_page, explorer, optimizer="preconditioned (Q⁻¹)")  # Newton: one step, to rounding.
    assert "reached the minimum in 1 step" in texts["info"]
    say(module_page, explorer, optimizer="preconditioned (diagonal)", angle=0.0)


def test_every_angle_names_the_one_step_convergence_where_it_happens(module_page, preconditioning):
    explorer = preconditioning
    start = dict(explorer.values)
    settings_ = []
    for angle in range(0, 181, 3):  # The angle slider: 0° to 180° by 1°; every third position.
        explorer.values = {**start, "optimizer": "preconditioned (diagonal)", "learning_rate": 1.0,
                           "angle": float(angle)}
        settings_.append([dict(explorer.values), plain(explorer.result)])
    explorer.values = start
    for (values, result), texts in zip(settings_, texts_of(module_page, explorer.spec, settings_)):
        assert texts["own"] == texts["kernel"], values
        if "error" in result:  # At 45° and 135° Q has a zero on its diagonal.
            assert "Qᵢᵢ ≠ 0" in texts["kernel"]["error"], values
            continue
        info = texts["kernel"]["info"]
        if values["angle"] in (0.0, 90.0, 180.0):
            assert "reached the minimum in 1 step" in info, (values, info)
        assert "measured 0 " not in info + " " and "measured 0\n" not in info, (values, info)


def test_float64_underflow_is_named_and_the_rate_still_measured(module_page):
    explorer = QuadraticExplorer(eigenvalues=(1.0, 1.0), learning_rate=0.75, steps=300)
    texts, result = say(module_page, explorer)
    losses = as_array(result["losses"])
    last = int(np.nonzero(losses >= TINY)[0][-1])
    assert losses[-1] == 0 and last < 300  # The loss underflows, though the rate is 0.25 throughout.
    assert f"L below float64 resolution after step {last}" in texts["info"]
    assert "float32" not in texts["info"]
    assert "predicted 0.25, measured 0.25" in texts["info"]


# -- 4. "Try it" on A first descent: the message names the step where the run diverged. -----


@pytest.fixture(scope="module")
def two_bowls():
    """The explorer of A first descent's "Try it", as its cell builds it."""
    explorer = CHAPTER_EXPLORERS["first-descent"][0]()
    explorer.wait()
    return explorer


def test_the_two_bowls_name_the_step_where_the_run_diverged(module_page, two_bowls):
    problem = quadratic((1.0, 5.0), init=(9.5, -1.0))
    for alpha in (0.45, 0.5, 1.0, 2.0):
        texts, _ = say(module_page, two_bowls, learning_rate=alpha)
        step = first_step_above(run(problem, "sgd", steps=40, learning_rate=alpha).losses)
        assert step is not None
        assert texts["alert"].startswith(f"diverged at step {step}: α = {alpha:g} > 2/λ_max = 0.4"), texts
    texts, _ = say(module_page, two_bowls, learning_rate=0.3)
    assert texts["alert"] == ""


def test_every_position_of_the_two_bowls_slider_names_the_step(module_page, two_bowls):
    problem = quadratic((1.0, 5.0), init=(9.5, -1.0))
    (control,) = two_bowls.spec["controls"]
    settings_ = []
    for alpha in positions(control, two_bowls.values["learning_rate"], every=4):
        two_bowls.values = {**two_bowls.values, "learning_rate": alpha}
        settings_.append([dict(two_bowls.values), plain(two_bowls.result)])
    named = unstable = 0
    for (values, _), texts in zip(settings_, texts_of(module_page, two_bowls.spec, settings_)):
        assert texts["own"] == texts["kernel"], values
        alpha, alert = values["learning_rate"], texts["kernel"]["alert"]
        step = first_step_above(run(problem, "sgd", steps=40, learning_rate=alpha).losses)
        if step is not None:
            assert alert.startswith(f"diverged at step {step}: "), (alpha, alert)
            named += 1
        elif alpha < 0.4:
            assert alert == "", (alpha, alert)
        else:  # Unstable, but L(θ_t) has not yet climbed past L(θ₀) within T: no step to name.
            assert alert.startswith(f"α = {alpha:.3g} > 2/λ_max = 0.4: the error grows"), (alpha, alert)
            unstable += 1
    assert named >= 20  # The slider reaches α = 10, 25 × 2/λ_max.
    two_bowls.values = {**two_bowls.values, "learning_rate": 0.3}


# -- 5. Minibatch SGD: its limit, its floor, and a divergence, named. -----------------------


@pytest.fixture(scope="module")
def batches():
    explorer = MinibatchExplorer(batch_size=8, learning_rate=0.2)
    explorer.wait()
    return explorer


def test_the_floor_stated_is_the_noise_floor_not_the_fixed_noise_formula(module_page, batches):
    texts, _ = say(module_page, batches, batch_size=1, learning_rate=0.2, seed=0)
    assert f"floor E[L] − L(ŵ) = {batches.noise_floor(1, 0.2):.3g}" in texts["info"]
    assert f"fixed-noise formula {batches.predicted_floor(1, 0.2):.3g}, which holds only for α ≪ α_B" \
        in texts["info"]
    assert "fixed-noise formula 0.132" in texts["info"]


def test_the_stability_limit_stated_is_sgds_not_gradient_descents(module_page, batches):
    texts, _ = say(module_page, batches, batch_size=1, learning_rate=0.2, seed=0)
    assert "stable in mean square for α < α_B = 0.315" in texts["info"]
    assert "(gradient descent: α < 2/λ_max = 1.08)" in texts["info"]
    assert texts["alert"] == ""
    texts, _ = say(module_page, batches, learning_rate=0.4)  # Above α_1, below 2/λ_max.
    assert texts["alert"].startswith("α = 0.4 ≥ α_B = 0.315, SGD's mean-square limit at B = 1")
    assert "no floor (α ≥ α_B)" in texts["info"]
    texts, _ = say(module_page, batches, batch_size=batches.n)  # B = N: gradient descent's limit.
    assert "B = N is gradient descent: stable for α < 2/λ_max = 1.08" in texts["info"]
    assert texts["alert"] == ""
    say(module_page, batches, batch_size=8, learning_rate=0.2)


def test_minibatch_divergence_is_named(module_page, batches):
    texts, _ = say(module_page, batches, batch_size=8, learning_rate=3.0, seed=0)
    assert re.search(r"gradient descent diverged at step \d+: α = 3 > 2/λ_max = 1\.08", texts["alert"])
    assert re.search(r"minibatch SGD diverged at step \d+ \(α = 3 > α_B = 0\.833", texts["alert"])
    texts, _ = say(module_page, batches, learning_rate=0.2)
    assert texts["alert"] == ""


# -- 6. Any setting: a run that blew up is named, a saddle is named. -----------------------


@pytest.fixture(scope="module")
def everything():
    explorer = QuadraticExplorer(eigenvalues=(1.0, 6.0), learning_rate=0.1, steps=50)
    explorer.wait()
    return explorer


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=quadratic_values())
def test_every_setting_names_what_the_run_did(module_page, everything, values):
    texts, result = say(module_page, everything, same=False, **values)
    optimizer, saddle_on = values["optimizer"], values["saddle"]
    if "error" in result:  # The one case no run can take, explained.
        assert optimizer == "preconditioned (diagonal)" and "Qᵢᵢ ≠ 0" in texts["error"]
        return
    if any(p == [None, None] for p in result["trajectory"]):  # Up (L → +∞) or, at a saddle, down.
        assert re.match(r"(diverged|ran off to infinity) at step \d+", texts["alert"]), texts
    if saddle_on:
        assert "λ₂ < 0" in texts["alert"], texts
