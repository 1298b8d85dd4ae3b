"""NoisyQuadraticExplorer and ScheduleExplorer: SGD on the noisy quadratic, in Python and in Chromium.

In Python (no browser): the shared normals are Box–Muller on the shared generator; the runs
are SGD θ ← θ − α_t (Qθ + ξ), ξ ~ N(0, σ²Q/B) written out in θ; the cloud settles where
descent.theory says (floor, stationary variance, exact E[L_t]); each schedule of the menu is
the descent.schedules function with the stated arguments; divergence comes back as strict
JSON with null; nothing recompiles; bad arguments and bad values are named.

In Chromium: the module's normals and schedules equal Python's; the texts name a
divergence, its steps and where the runs left; a bad value gives the same error text in
both languages; and on a minimal static page (the site's module, no kernel) every control
of both explorers moves the picture to the kernel's numbers, at 1366 px and 390 px, light
and dark, with screenshots in /tmp/explorers/.
(The parity of whole results over 200 random settings is tests/test_explorer_parity.py.)
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from descent import schedules, theory
from descent.explorers import NoisyQuadraticExplorer, ScheduleExplorer
from descent.explorers.minibatch import draws
from descent.explorers.noisy import DECAYS, SCHEDULES, _noisy_sgd, normals
from descent.explorers.widget import module_source

from explorer_cases import (VIEWPORTS, as_array, move, new_page, open_explorers, picture, plain, shown_result,
                            static_page, texts)

SCREENSHOTS = Path("/tmp/explorers")


@pytest.fixture(scope="module")
def noisy():
    explorer = NoisyQuadraticExplorer()
    explorer.wait()
    return explorer


@pytest.fixture(scope="module")
def scheduled():
    explorer = ScheduleExplorer()
    explorer.wait()
    return explorer


# -- The generator and the runs. ------------------------------------------------------------


def test_normals_are_box_muller_on_the_shared_generator():
    z = normals(8, 50)
    assert z.shape == (50, 8, 2) and not z.flags.writeable
    for r in (0, 7):
        u = draws(r, 50, 2)  # Run r draws with seed r, two numbers per step.
        rho = np.sqrt(-2 * np.log(1 - u[:, 0]))
        np.testing.assert_array_equal(z[:, r, 0], rho * np.cos(2 * np.pi * u[:, 1]))
        np.testing.assert_array_equal(z[:, r, 1], rho * np.sin(2 * np.pi * u[:, 1]))
    big = normals(64, 2000).reshape(-1, 2)  # 128 000 pairs: standard, independent.
    assert np.abs(big.mean(axis=0)).max() < 0.01
    np.testing.assert_allclose(np.cov(big.T), np.eye(2), atol=0.015)
    kurtosis = np.mean(big**4, axis=0) / np.mean(big**2, axis=0) ** 2
    np.testing.assert_allclose(kurtosis, 3, atol=0.06)  # Gaussian, not uniform (1.8).


def test_the_runs_are_sgd_on_the_noisy_quadratic_written_out(noisy):
    """θ ← θ − α_t (Qθ + ξ), ξ = R diag(√sᵢ) z: the covariance σ²Q/B, in θ's coordinates."""
    values = {"learning_rate": 0.2, "batch_size": 4, "lambda1": 0.5, "lambda2": 3.0, "decay": 20}
    result = move(noisy, **values)
    lam, B, R = np.array([0.5, 3.0]), 4, noisy.R
    Q = R @ np.diag(lam) @ R.T
    s = noisy.noise_scale * lam / B
    z = normals(noisy.runs, noisy.steps)
    alphas = 0.2 / (1 + np.arange(noisy.steps) / 20)
    theta = np.tile(noisy.init, (noisy.runs, 1))
    path = [theta]
    for t in range(noisy.steps):
        xi = (z[t] * np.sqrt(s)) @ R.T  # Covariance R diag(s) Rᵀ = σ²Q/B.
        theta = theta - alphas[t] * (theta @ Q.T + xi)
        path.append(theta)
    path = np.array(path)  # (T + 1, R, 2)
    np.testing.assert_allclose(as_array(result["learning_rates"]), alphas, rtol=1e-15)
    np.testing.assert_allclose(as_array(result["mean_path"]), path.mean(axis=1), rtol=1e-10, atol=1e-12)
    shown = as_array(result["paths"])
    assert shown.shape == (noisy.paths, noisy.steps + 1, 2)
    np.testing.assert_allclose(shown, np.swapaxes(path[:, : noisy.paths], 0, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(as_array(result["final"]), path[-1], rtol=1e-10, atol=1e-12)
    loss = 0.5 * np.einsum("tri,ij,trj->tr", path, Q, path)
    np.testing.assert_allclose(as_array(result["mean_loss"]), loss.mean(axis=1), rtol=1e-10)
    move(noisy, learning_rate=0.1, batch_size=1, lambda1=1.0, lambda2=4.0, decay="off")


def test_the_exact_moments_are_the_theorys(noisy):
    result = move(noisy, learning_rate=0.3, batch_size=2, decay=5)
    lam = np.array([1.0, 4.0])
    s = theory.noisy_quadratic_noise_variances(lam, noisy.noise_scale, 2)
    alphas = as_array(result["learning_rates"])
    m, v = theory.noisy_quadratic_moments(lam, s, alphas, noisy.R.T @ noisy.init)
    np.testing.assert_array_equal(as_array(result["expected_loss"]), theory.noisy_quadratic_expected_loss(lam, m, v))
    np.testing.assert_array_equal(result["mean_T"], m[-1])
    np.testing.assert_array_equal(result["variance_T"], v[-1])
    np.testing.assert_array_equal(result["noise"], s)
    move(noisy, learning_rate=0.1, batch_size=1, decay="off")


@pytest.mark.parametrize("alpha, B", [(0.1, 1), (0.3, 1), (0.05, 8)])
def test_the_cloud_settles_in_the_predicted_noise_ball(alpha, B):
    """256 runs, 600 steps: the last 400 steps' mean loss is the floor, each eigencomponent's
    variance the stationary αsᵢ/(λᵢ(2 − αλᵢ)), to Monte Carlo accuracy."""
    explorer = NoisyQuadraticExplorer(learning_rate=alpha, batch_size=B, runs=256, steps=600, paths=1)
    lam = explorer.eigenvalues
    floor = explorer.floor(lam, B, alpha)
    s = explorer.noise_scale * lam / B
    assert floor == pytest.approx(np.sum(alpha * s / (2 * (2 - alpha * lam))), rel=1e-14)
    assert floor == pytest.approx(np.sum(alpha * explorer.noise_scale * lam / (2 * B * (2 - alpha * lam))), rel=1e-14)
    y = explorer.runs_in_eigenbasis(lam, B, np.full(600, alpha))[200:]  # Settled: the bias is < 1e-9.
    measured = explorer.loss(lam, y).mean()
    # 256 independent runs × 400 correlated steps: a relative standard error of about 2 %.
    assert measured == pytest.approx(floor, rel=0.08)
    ball = theory.noise_ball_variance(alpha, lam, s)
    np.testing.assert_allclose(y.var(axis=(0, 1)), ball, rtol=0.1)
    result = explorer.compute(dict(explorer.values))
    assert result["floor"] == floor and result["stationary_variance"] == ball.tolist()


def test_a_decay_goes_below_the_constant_floor(noisy):
    constant = move(noisy, learning_rate=0.2, decay="off")
    decayed = move(noisy, decay=10)
    assert decayed["floor"] == constant["floor"]  # The constant α's floor, for reference.
    assert decayed["expected_loss"][-1] < 0.1 * constant["floor"]
    assert np.mean(decayed["mean_loss"][-50:]) < 0.2 * np.mean(constant["mean_loss"][-50:])
    with jax.enable_x64(True):
        expected = np.asarray(schedules.inverse_time_decay(0.2, 10)(jnp.arange(noisy.steps)))
    np.testing.assert_array_equal(decayed["learning_rates"], expected)
    assert constant["learning_rates"] == [0.2] * noisy.steps
    move(noisy, learning_rate=0.1, decay="off")


def test_divergence_is_strict_json_with_null(noisy):
    result = move(noisy, learning_rate=0.6)  # α λ_max = 2.4: ×1.4 a step, no noise ball.
    assert result["floor"] is None and result["stationary_variance"] is None
    assert result["limit"] == 0.5 and result["diverged_at"] is None  # |θ| ~ 1e29 by T = 200.
    result = move(noisy, learning_rate=3.0, lambda2=10.0)  # ×29 a step: the runs leave.
    t = result["diverged_at"]
    assert 0 < t < noisy.steps
    assert all(x is None for x in result["mean_loss"][t:]) and None not in result["mean_loss"][:t]
    assert result["mean_path"][-1] == [None, None] and result["final"][0] == [None, None]
    assert result["expected_loss"][-1] is None  # Overflowed: +∞, sent as null.
    json.dumps(result, allow_nan=False)
    move(noisy, learning_rate=0.1, lambda2=4.0)


def test_no_recompilation_when_values_change(noisy, scheduled):
    move(noisy, learning_rate=0.11)
    compiled = _noisy_sgd._cache_size()
    for B in (1, 1024):
        for decay in (1, "off"):
            move(noisy, learning_rate=0.05 * B**0.1, batch_size=B, lambda1=0.2, lambda2=9.0, decay=decay)
    for name in SCHEDULES:
        move(scheduled, schedule=name)
    assert _noisy_sgd._cache_size() <= compiled + 1  # The schedule explorer's own T.
    move(noisy, learning_rate=0.1, batch_size=1, lambda1=1.0, lambda2=4.0, decay="off")
    move(scheduled, schedule="step ÷10")


def test_the_warm_up_compiles_what_a_first_move_needs():
    """After wait(), no menu entry and no decay compiles anything: each first use is fast."""
    compiled = []

    def listen(name, secs, **kwargs):
        if name == "/jax/core/compile/backend_compile_duration":
            compiled.append(name)

    explorers = [ScheduleExplorer(steps=250), NoisyQuadraticExplorer(steps=150)]
    for explorer in explorers:
        assert explorer.wait(120)
    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        for name in SCHEDULES:
            move(explorers[0], schedule=name)
        move(explorers[1], decay=20)
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
    assert compiled == []


def test_every_control_value_computes(noisy):
    controls = {c["name"]: c for c in noisy.spec["controls"]}
    assert controls["batch_size"]["options"] == [2**k for k in range(11)]
    assert controls["decay"]["options"] == list(DECAYS) and DECAYS[-1] == "off"
    for lr in (1e-3, 0.5, 3.0):
        for lam in (0.1, 10.0):
            for decay in (1, "off"):
                result = move(noisy, learning_rate=lr, lambda1=lam, lambda2=10.0 / lam, batch_size=1024, decay=decay)
                assert "error" not in result, result
                json.dumps(result, allow_nan=False)
    move(noisy, learning_rate=0.1, batch_size=1, lambda1=1.0, lambda2=4.0, decay="off")


# -- The schedules. --------------------------------------------------------------------------


def formulas(name, a, W, D, T):
    """Each menu entry written out, as schedules.md states it (float64)."""
    t = np.arange(T, dtype=float)
    S = max(D, W)
    return {
        "constant": np.full(T, a),
        "step ÷10": a * 0.1 ** np.floor(t / D),
        "exponential": a * 0.1 ** (t / D),
        "1/t": a / (1 + t / D),
        "1/√t": a / np.sqrt(1 + t / D),
        "cosine": a * 0.5 * (1 + np.cos(np.pi * t / T)),
        "linear warm-up + cosine": np.where(t < W, a * t / max(W, 1), a * 0.5 * (1 + np.cos(np.pi * (t - W) / (T - W)))),
        "warmup–stable–decay": np.where(t < W, a * t / max(W, 1), a * (1 - np.clip(t - S, 0, T - S) / (T - S))),
    }[name]


@pytest.mark.parametrize("name", SCHEDULES)
def test_each_schedule_is_the_descent_schedules_one(scheduled, name):
    for W, D in ((20, 100), (0, 1), (150, 37), (60, 5)):  # (60, 5): the cool-down waits for the warm-up.
        result = move(scheduled, schedule=name, peak=0.3, warmup=W, decay_point=D)
        rates = as_array(result["learning_rates"])
        np.testing.assert_allclose(rates, formulas(name, 0.3, W, D, scheduled.steps), rtol=1e-12, atol=1e-300)
        np.testing.assert_array_equal(rates, scheduled.learning_rates(name, 0.3, W, D))
    move(scheduled, schedule="step ÷10", peak=0.2, warmup=20, decay_point=100)


def test_the_schedule_loss_is_the_exact_recursion_of_its_rates(scheduled):
    result = move(scheduled, schedule="warmup–stable–decay", peak=0.3, warmup=30, decay_point=200)
    lam, alphas = scheduled.eigenvalues, as_array(result["learning_rates"])
    s = theory.noisy_quadratic_noise_variances(lam, scheduled.noise_scale, scheduled.batch_size)
    m, v = theory.noisy_quadratic_moments(lam, s, alphas, scheduled.init_eigen)
    expected = theory.noisy_quadratic_expected_loss(lam, m, v)
    np.testing.assert_array_equal(as_array(result["expected_loss"]), expected)
    # The cool-down: the loss ends below the floor of the peak, near the floor of the last α.
    assert expected[-1] < 0.2 * result["floor"]
    measured = as_array(result["mean_loss"])
    assert measured[-30:].mean() == pytest.approx(expected[-30:].mean(), rel=0.35)  # 64 runs.
    move(scheduled, schedule="step ÷10", peak=0.2, warmup=20, decay_point=100)


# -- Bad input. ------------------------------------------------------------------------------


@pytest.mark.parametrize("build, message", [
    (lambda: NoisyQuadraticExplorer(batch_size=3), "batch_size must be one of"),
    (lambda: NoisyQuadraticExplorer(learning_rate=0.0), r"learning_rate must be in \[0.001, 3\]"),
    (lambda: NoisyQuadraticExplorer(decay=7), "decay must be one of"),
    (lambda: NoisyQuadraticExplorer(eigenvalues=(1.0, 50.0)), r"eigenvalues must be in \[0.1, 10\]"),
    (lambda: NoisyQuadraticExplorer(eigenvalues=(1.0, -1.0)), "eigenvalues must be in"),
    (lambda: NoisyQuadraticExplorer(init=(0.0, 0.0)), "init must be two finite numbers, not both 0"),
    (lambda: NoisyQuadraticExplorer(noise_scale=0.0), "noise_scale σ² must be a positive number"),
    (lambda: NoisyQuadraticExplorer(steps=5), r"steps must be an integer in \[10, 2000\]"),
    (lambda: NoisyQuadraticExplorer(runs=1), "runs must be an integer"),
    (lambda: NoisyQuadraticExplorer(paths=100), "paths must be an integer"),
    (lambda: ScheduleExplorer(schedule="linear"), "schedule must be one of"),
    (lambda: ScheduleExplorer(peak=5.0), r"peak must be in \[0.001, 3\]"),
    (lambda: ScheduleExplorer(warmup=200), r"warmup must be an integer in \[0, 150\]"),
    (lambda: ScheduleExplorer(decay_point=0), r"decay_point must be an integer in \[1, 299\]"),
    (lambda: ScheduleExplorer(batch_size=0), "batch_size must be an integer"),
])
def test_bad_arguments_are_named(build, message):
    with pytest.raises(ValueError, match=message):
        build()


BAD_VALUES = {
    "noisy": [
        ({"learning_rate": -0.1}, "learning rate α must be a positive number, got -0.1"),
        ({"learning_rate": None}, "learning rate α must be a positive number, got —"),
        ({"lambda2": 0}, "eigenvalue λ₂ must be a positive number, got 0"),
        ({"batch_size": 3}, "batch size B must be one of 1, 2, 4, …, 1024, got 3"),
        ({"decay": "on"}, 'decay k₀ must be one of 1, 2, 5, …, 1000 or "off", got "on"'),
    ],
    "schedule": [
        ({"peak": 0}, "peak learning rate α must be a positive number, got 0"),
        ({"warmup": 2.5}, "warm-up W must be a whole number in [0, 150], got 2.5"),
        ({"decay_point": 300}, "decay point D must be a whole number in [1, 299], got 300"),
        ({"schedule": "linear"}, 'schedule must be one of constant, step ÷10, exponential, 1/t, 1/√t, cosine, '
                                 'linear warm-up + cosine, warmup–stable–decay; got "linear"'),
    ],
}


@pytest.mark.parametrize("kind", list(BAD_VALUES))
def test_bad_values_are_an_error_result_never_raised(noisy, scheduled, kind):
    explorer = noisy if kind == "noisy" else scheduled
    good = dict(explorer.values)
    for bad, message in BAD_VALUES[kind]:
        result = move(explorer, **bad)
        assert result["error"] == f"ValueError: {type(explorer).__name__}: {message}", result
        explorer.values = good
        assert "error" not in explorer.result


def test_spec_is_small_strict_json(noisy, scheduled):
    for explorer in (noisy, scheduled):
        text = json.dumps(explorer.spec, allow_nan=False)
        assert len(explorer.static_html()) < 5_000 and len(text) < 5_000
        assert explorer.spec["kind"] in ("noisy", "schedule")
        assert '<div class="descent-explorer"' in explorer.static_html()


# -- In Chromium: the module computes and says the same. ------------------------------------


@pytest.fixture(scope="module")
def js(browser):
    """A blank page running the explorers' module, with the noisy kinds' parts on window.__noisy."""
    page = browser.new_page()
    page.set_content("<!doctype html><html><body></body></html>")
    page.add_script_tag(content=module_source() + "\nwindow.__noisy = { compute, status, normals: noisyNormals, "
                        "scheduleRates, noisyFloor };\n", type="module")
    page.wait_for_function("() => window.__noisy !== undefined")
    yield page
    page.close()


@pytest.mark.browser
def test_the_browser_draws_the_same_normals(js):
    z = js.evaluate("() => Array.from(window.__noisy.normals(64, 300))")
    expected = normals(64, 300).ravel()
    difference = np.abs(np.array(z) - expected)
    assert difference.max() < 1e-14  # ln, cos, sin to within an ulp or two.
    assert np.mean(difference == 0) > 0.5


@pytest.mark.browser
def test_the_browser_schedules_are_descent_schedules(js):
    rng = np.random.default_rng(3)
    T = 2000
    explorer = ScheduleExplorer(steps=T)
    cases = [[name, float(10 ** rng.uniform(-3, math.log10(3))), int(rng.integers(0, T // 2 + 1)),
              int(rng.integers(1, T))] for name in SCHEDULES for _ in range(12)]
    browser = js.evaluate("([cases, T]) => cases.map(([n, a, W, D]) => window.__noisy.scheduleRates(n, a, W, D, T))",
                          [cases, T])
    worst = {}
    for (name, peak, W, D), rates in zip(cases, browser):
        python = explorer.learning_rates(name, peak, W, D)
        rates = np.array(rates)
        relative = np.abs(rates - python) / np.maximum(np.abs(python), 1e-300)
        worst[name] = max(worst.get(name, 0.0), float(relative.max()))
    print({k: f"{v:.1e}" for k, v in worst.items()})
    assert max(worst.values()) < 1e-12, worst
    # Bit for bit where no transcendental function is involved.
    assert all(worst[name] == 0 for name in ("constant", "step ÷10", "1/t", "1/√t", "warmup–stable–decay"))


@pytest.mark.browser
def test_a_constant_alpha_names_its_floor_and_noise_ball(js, noisy):
    said, result = texts(js, noisy, "__noisy", learning_rate=0.1, batch_size=1, decay="off")
    assert said["alert"] == ""
    assert f"floor E[L] = Σ αsᵢ/(2(2 − αλᵢ)) = {result['floor']:.3g}" in said["info"]
    v = result["stationary_variance"]
    assert f"(±{2 * math.sqrt(v[0]):.3g}, ±{2 * math.sqrt(v[1]):.3g})" in said["info"]
    assert "GD stable below 2/λ_max = 0.5" in said["facts"]


@pytest.mark.browser
def test_divergence_is_named_with_its_factor_and_the_step_the_runs_left(js, noisy):
    said, _ = texts(js, noisy, "__noisy", learning_rate=0.6, decay="off")
    assert said["alert"] == ("α = 0.6 ≥ 2/λ_max = 0.5: along λ_max's eigenvector the runs grow ×1.4 per step: "
                             "no noise ball, E[L_t] grows without bound")
    assert "floor E[L] = Σ αsᵢ/(2(2 − αλᵢ)) = ∞" in said["info"]
    said, result = texts(js, noisy, "__noisy", learning_rate=3.0, lambda2=10.0, decay="off")
    assert said["alert"].endswith(f"a run passed |θ| = 10¹⁰⁰ at step {result['diverged_at']}: "
                                  "from there no run and no mean is drawn")
    assert "×29 per step" in said["alert"]
    # With a decay only the first steps are unstable: α_t = 0.6/(1 + t/10) < 0.5 from t = 2.
    said, _ = texts(js, noisy, "__noisy", learning_rate=0.6, decay=10)
    assert said["alert"] == ("α_t ≥ 2/λ_max = 0.5 at 3 steps from t = 0 to 2: there the runs grow ×1.4 per step "
                             "along λ_max's eigenvector")
    said, _ = texts(js, noisy, "__noisy", learning_rate=0.5, decay="off")  # α λ_max = 2 exactly.
    assert "do not contract (|1 − αλ_max| = 1)" in said["alert"]


@pytest.mark.browser
def test_every_schedule_is_stated_with_its_numbers(js, scheduled):
    expected = {
        "constant": "constant: α_t = α = 0.3",
        "step ÷10": "step ÷10: α_t = α·0.1^⌊t/D⌋, α = 0.3, divided by 10 every D = 100 steps",
        "exponential": "exponential: α_t = α·0.1^(t/D), α = 0.3, divided by 10 every D = 100 steps, smoothly",
        "1/t": "1/t: α_t = α/(1 + t/D), α = 0.3, halved at t = D = 100",
        "1/√t": "1/√t: α_t = α/√(1 + t/D), α = 0.3, halved at t = 3D = 300",
        "cosine": "cosine: α_t = α·½(1 + cos(πt/T)), from α = 0.3 to 0 over T = 300 steps",
        "linear warm-up + cosine": "linear warm-up + cosine: α_t rises from 0 to α = 0.3 over W = 20 steps, "
                                   "then α·½(1 + cos(π(t − W)/(T − W))) down to 0 at T = 300",
        "warmup–stable–decay": "warmup–stable–decay: α_t rises from 0 to α = 0.3 over W = 20 steps, holds it "
                               "until S = 100, then falls linearly to 0 at T = 300",
    }
    for name, line in expected.items():
        said, result = texts(js, scheduled, "__noisy", schedule=name, peak=0.3, warmup=20, decay_point=100)
        assert said["info"].split("\n")[0] == line
        assert said["alert"] == ""
        assert f"a constant α = 0.3 would settle at {result['floor']:.3g}" in said["info"]
    said, _ = texts(js, scheduled, "__noisy", schedule="warmup–stable–decay", peak=0.3, warmup=60, decay_point=5)
    assert "until S = 60" in said["info"] and "(D = 5 < W: the cool-down starts when the warm-up ends)" in said["info"]
    said, result = texts(js, scheduled, "__noisy", schedule="linear warm-up + cosine", peak=0.8, warmup=50)
    # Above 2/λ_max = 0.5 from the middle of the warm-up (0.8 t/50 ≥ 0.5) to the cosine's way
    # down; |1 − α_t λ_max| reaches 0.8·4 − 1 = 2.2 at the peak.
    above = [t for t, alpha in enumerate(result["learning_rates"]) if alpha * 4 >= 2]
    assert above[0] == 32 and above == list(range(32, above[-1] + 1))
    assert said["alert"] == (f"α_t ≥ 2/λ_max = 0.5 at {len(above)} steps from t = 32 to {above[-1]}: "
                             "there the runs grow ×2.2 per step along λ_max's eigenvector")


@pytest.mark.browser
def test_bad_values_give_the_same_error_in_both_languages(js, noisy, scheduled):
    for kind, explorer in (("noisy", noisy), ("schedule", scheduled)):
        for bad, _ in BAD_VALUES[kind]:
            values = {**explorer.values, **bad}
            python = explorer._safe_compute(values)["error"]
            browser = js.evaluate("([spec, values]) => window.__noisy.compute(spec, values).error",
                                  [explorer.spec, values])
            assert browser == python


# -- The static page: every control live, at two widths, light and dark. -----------------------


@pytest.fixture(scope="module")
def static_site(tmp_path_factory):
    """A minimal page: both explorers' static HTML and the site's module, served on 127.0.0.1."""
    built = [NoisyQuadraticExplorer(), ScheduleExplorer()]
    with static_page(tmp_path_factory.mktemp("noisy-site"), built) as url:
        yield url, built


def check_same_as_kernel(explorer, root, where: str) -> None:
    """The numbers drawn are the kernel's at the values the controls show (1e-9)."""
    from test_explorer_parity import compare_results

    values = root.evaluate("el => el.descentExplorer.values")
    problems, _ = compare_results(plain(explorer.compute(values)), shown_result(root), where)
    assert not problems, problems[:3]


def press_on(page, root, control, where: str) -> None:
    """Move a slider three keys right (or, at its top, six left): the picture must change."""
    before = picture(root)
    values = root.evaluate("el => JSON.stringify(el.descentExplorer.values)")
    control.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    if root.evaluate("el => JSON.stringify(el.descentExplorer.values)") == values:
        for _ in range(6):
            page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(40)
    assert root.evaluate("el => JSON.stringify(el.descentExplorer.values)") != values, where
    assert re.search(r"= \S", control.get_attribute("aria-valuetext") or ""), where
    assert picture(root) != before, f"{where}: the control moved but the picture did not change"


@pytest.mark.browser
@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_control_is_live_on_a_static_page(browser, static_site, viewport, theme):
    url, built = static_site
    scale = VIEWPORTS[viewport][1]
    context, page, errors = new_page(browser, viewport, theme)
    SCREENSHOTS.mkdir(exist_ok=True)
    try:
        roots = open_explorers(page, url)
        assert roots.count() == 2
        for i, explorer in enumerate(built):
            root = roots.nth(i)
            kind = explorer.spec["kind"]
            tag = f"{kind}-{viewport}-{theme}"
            root.scroll_into_view_if_needed()
            page.wait_for_timeout(50)
            root.screenshot(path=str(SCREENSHOTS / f"test-{tag}-before.png"))
            check_same_as_kernel(explorer, root, tag)
            # Sharp, inside its box, light ink on dark and dark ink on light.
            for c in root.evaluate("el => [...el.querySelectorAll('canvas')].map(c => [c.width, c.height, "
                                   "c.getBoundingClientRect().width, c.getBoundingClientRect().height])"):
                assert c[0] == pytest.approx(c[2] * scale, abs=2) and c[1] == pytest.approx(c[3] * scale, abs=2)
            widths = root.evaluate("el => [el.scrollWidth, el.clientWidth, el.getBoundingClientRect().right, innerWidth]")
            assert widths[0] <= widths[1] + 1 and widths[2] <= widths[3] + 1, widths
            dark_root = root.evaluate("el => el.querySelector('.dx-root').classList.contains('dx-dark')")
            assert dark_root == (theme == "dark")
            ink = root.evaluate("""el => { let light = 0, dark = 0;
                const c = el.querySelector('canvas'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                for (let i = 0; i < d.length; i += 16) { if (d[i + 3] < 200) continue;
                    const y = (0.2126 * d[i] + 0.7152 * d[i + 1] + 0.0722 * d[i + 2]) / 255;
                    if (y > 0.75) light++; if (y < 0.25) dark++; } return [light, dark]; }""")
            assert (ink[0] > ink[1]) if theme == "dark" else (ink[1] > ink[0]), ink
            if kind == "noisy":
                sliders = root.locator("input[type=range]")
                assert sliders.count() == 5
                for k in range(5):
                    press_on(page, root, sliders.nth(k), f"{tag} slider {k}")
                    check_same_as_kernel(explorer, root, f"{tag} slider {k}")
                    if k == 1:
                        root.screenshot(path=str(SCREENSHOTS / f"test-{tag}-after-two.png"))
            else:
                menu = root.locator("select")
                for name in SCHEDULES:  # Each schedule, then each slider it shows.
                    before = picture(root)
                    menu.select_option(name)
                    page.wait_for_timeout(40)
                    assert picture(root) != before, f"{tag}: picking {name} changed nothing"
                    visible = {c.get_attribute("data-name") for c in root.locator(".dx-control").all() if c.is_visible()}
                    wants = {"schedule", "peak"} | ({"warmup"} if name in ScheduleExplorer.WARMUP_FOR else set()) \
                        | ({"decay_point"} if name in ScheduleExplorer.DECAY_FOR else set())
                    assert visible == wants, (name, visible)
                    for control in sorted(wants - {"schedule"}):
                        press_on(page, root, root.locator(f".dx-control[data-name={control}] input"), f"{tag} {name} {control}")
                        check_same_as_kernel(explorer, root, f"{tag} {name} {control}")
                    if name == "warmup–stable–decay":
                        root.screenshot(path=str(SCREENSHOTS / f"test-{tag}-wsd.png"))
            # Pushed to divergence: an alert, the curves still drawn, no error box.
            if kind == "noisy":
                root.evaluate("el => { el.descentExplorer.setValue('decay', 'off'); el.descentExplorer.setValue('learning_rate', 3.0); }")
            else:
                root.evaluate("el => { el.descentExplorer.setValue('schedule', 'constant'); el.descentExplorer.setValue('peak', 3.0); }")
            alert = root.locator(".dx-alert").inner_text()
            assert "2/λ" in alert and "grow" in alert, alert
            assert root.locator(".dx-error").inner_text() == ""
            check_same_as_kernel(explorer, root, f"{tag} diverged")
            root.screenshot(path=str(SCREENSHOTS / f"test-{tag}-diverged.png"))
        assert not errors, errors
    finally:
        context.close()


# -- In a kernel. ---------------------------------------------------------------------------


def test_both_explorers_answer_a_front_ends_move_in_a_kernel():
    from test_explorers_kernel import execute, send_update, value_of
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3")
    try:
        execute(client, "import json\nfrom descent.explorers import NoisyQuadraticExplorer, ScheduleExplorer\n"
                        "n = NoisyQuadraticExplorer()\ns = ScheduleExplorer()\nassert n.wait(120) and s.wait(120)")
        state = send_update(client, "n", learning_rate=0.3, batch_size=16, decay=50)
        local = NoisyQuadraticExplorer().compute({"learning_rate": 0.3, "batch_size": 16, "lambda1": 1.0,
                                                 "lambda2": 4.0, "decay": 50})
        np.testing.assert_allclose(as_array(state["result"]["mean_path"]), as_array(local["mean_path"]), rtol=1e-12)
        assert state["result"]["expected_loss"] == plain(local)["expected_loss"]
        assert state["result"]["_kernel_ms"] < 1000
        state = send_update(client, "s", schedule="cosine", peak=0.4)
        local = ScheduleExplorer().compute({"schedule": "cosine", "peak": 0.4, "warmup": 20, "decay_point": 100})
        assert state["result"]["learning_rates"] == plain(local)["learning_rates"]
        assert value_of(client, "s.result['floor']") == local["floor"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
