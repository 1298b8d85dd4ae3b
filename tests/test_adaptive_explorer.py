"""AdaptiveExplorer (kind "adaptive"): per-coordinate step sizes on the rotated quadratic.

In Python (no browser): the run is descent.runner.run of the optimizer picked; the effective
steps the explorer reports are what the optimizer's own state implies (descent.optimizers,
optax for Adam) and what its update multiplies g (or m̂) by; at angle 0 RMSProp's steps
settle at 2/λᵢ and Adam's ratio η₁/η₂ comes within 2 % of λ₂/λ₁, while at 45° every
per-coordinate method ends with η₁ ≈ η₂; the sliders shown follow the optimizer; bad
arguments and values are named; divergence is strict JSON; moving sliders compiles nothing.

In Chromium: the module computes the same result as the kernel (trajectory, losses,
effective steps, every number: 1e-9) and writes the same texts over a seeded sweep of every
control for each optimizer, divergent SGD included; on a static page (no kernel) the widget
mounts, the menu, a slider and a push to divergence redraw it to the kernel's numbers, with
no console error, at 1366 px in light and 390 px in dark. Screenshots land in /tmp/explorer/.
"""

from __future__ import annotations

import json
import math
import time
import zlib
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from descent import optimizers
from descent.explorers import AdaptiveExplorer
from descent.explorers.adaptive import ADAPTIVE_OPTIMIZERS, LABELS, effective_steps
from descent.problems import quadratic
from descent.runner import run

from explorer_cases import (as_array, check_bad_values, check_same_errors_in_both_languages, move, new_page,
                            open_explorers, picture, plain, shown_result, static_page, texts)

SCREENSHOTS = Path("/tmp/explorer")
SETTINGS = 60  # Per optimizer, in the browser parity sweep.


@pytest.fixture(scope="module")
def explorer():
    built = AdaptiveExplorer(steps=300)
    assert built.wait(300)
    return built


def values_of(explorer, **moved) -> dict:
    return {**explorer.values, **moved}


# -- Python: the run, the effective steps, the point the chapter makes. ------------------------


def _factory_hyper(name, lr, b1, b2, eps):
    hyper = {"learning_rate": lr}
    if name in ("adagrad",):
        hyper["eps"] = eps
    elif name == "rmsprop":
        hyper.update(decay=b2, eps=eps)
    elif name == "adadelta":
        hyper.update(rho=b2, eps=eps)
    elif name != "sgd":
        hyper.update(b1=b1, b2=b2, eps=eps)
    return hyper


def _state_steps(name, state, previous, alpha, eps, b2, t):
    """η of step t read off the optimizer's state after it (and before it, for Adadelta)."""
    if name == "sgd":
        return np.full(2, alpha)
    if name in ("adagrad", "rmsprop"):
        return alpha / (np.sqrt(np.asarray(state.v)) + eps)
    if name == "adadelta":
        return alpha * np.sqrt(np.asarray(previous.u) + eps) / np.sqrt(np.asarray(state.v) + eps)
    if name == "amsgrad":
        return alpha / (np.sqrt(np.asarray(state.v_max)) + eps)
    return alpha / (np.sqrt(np.asarray(state.v) / (1 - b2**t)) + eps)


@pytest.mark.parametrize("name", ADAPTIVE_OPTIMIZERS)
def test_effective_steps_are_what_the_optimizer_state_implies(explorer, name):
    """The reported η equals the optimizer's state's, and the update is −η·g (−η·m̂ for Adam's family)."""
    lr = 1.0 if name == "adadelta" else (0.05 if name == "sgd" else 0.1)
    for angle in (0.0, 30.0):
        values = values_of(explorer, optimizer=name, learning_rate=lr, b1=0.8, b2=0.95, angle=angle, steps=60)
        result = explorer.compute(values)
        path = as_array(result["trajectory"])
        eta = as_array(result["effective"])
        assert eta.shape == (60, 2)
        Q = np.asarray(result["Q"])
        with jax.enable_x64(True):
            optimizer = getattr(optimizers, name)(**_factory_hyper(name, lr, 0.8, 0.95, explorer.eps))
            state = optimizer.init(jnp.asarray(path[0]))
            update = jax.jit(optimizer.update)  # One compile, not one per operation and step.
            m = np.zeros(2)
            for t in range(1, 61):
                g = Q @ path[t - 1]
                updates, new = update(jnp.asarray(g), state)
                expected = _state_steps(name, new, state, lr, explorer.eps, 0.95, t)
                np.testing.assert_allclose(eta[t - 1], expected, rtol=1e-9, err_msg=f"{name} step {t}")
                m = 0.8 * m + 0.2 * g
                if name in ("adam", "amsgrad"):
                    factor = m / (1 - 0.8**t)  # m̂.
                elif name == "nadam":
                    factor = 0.8 * m / (1 - 0.8 ** (t + 1)) + 0.2 * g / (1 - 0.8**t)
                else:
                    factor = g
                np.testing.assert_allclose(np.asarray(updates), -eta[t - 1] * factor, rtol=1e-8, atol=1e-300)
                state = new
        # The run is the runner's.
        with jax.enable_x64(True):
            problem = quadratic((1.0, 25.0), angle=angle * math.pi / 180, init=explorer.init)
            # MAX_STEPS, as the explorer runs it: the same compiled loop, its first T steps shown.
            reference = run(problem, name, 300, **_factory_hyper(name, lr, 0.8, 0.95, explorer.eps))
        np.testing.assert_array_equal(path, reference.trajectory[:61])
        np.testing.assert_array_equal(as_array(result["losses"]), reference.losses[:61])


def test_doctests():
    import doctest

    from descent.explorers import adaptive

    result = doctest.testmod(adaptive)
    assert result.attempted >= 5 and result.failed == 0


def test_adam_effective_step_is_optaxs():
    """Adam's η = α/(√v̂ + ε) from optax's own second moment ν (bias-corrected)."""
    import optax

    g = np.array([[3.0, -0.5], [2.0, 0.25], [-1.0, 0.1], [0.5, 0.0]])
    eta = effective_steps("adam", g, 0.1, 0.9, 0.99, 1e-8)
    with jax.enable_x64(True):
        optimizer = optax.adam(0.1, b1=0.9, b2=0.99, eps=1e-8)
        state = optimizer.init(jnp.zeros(2))
        for t, gt in enumerate(g, start=1):
            _, state = optimizer.update(jnp.asarray(gt), state)
            nu = np.asarray(state[0].nu)
            np.testing.assert_allclose(eta[t - 1], 0.1 / (np.sqrt(nu / (1 - 0.99**t)) + 1e-8), rtol=1e-12)


@pytest.mark.parametrize("lam", [(1.0, 25.0), (1.0, 100.0), (0.1, 3.0)])
def test_axis_aligned_the_steps_match_the_curvature_rotated_they_cannot(explorer, lam):
    kappa = lam[1] / lam[0]

    def at(name, angle):
        lr = 1.0 if name == "adadelta" else 0.1
        return explorer.compute(values_of(explorer, optimizer=name, learning_rate=lr, b2=0.9, angle=angle,
                                          lambda1=lam[0], lambda2=lam[1], steps=300))

    # Angle 0: RMSProp's steps settle at 2/λᵢ (each coordinate at its edge of stability), so
    # η₁/η₂ = λ₂/λ₁: what diagonal Newton (1/Qᵢᵢ = 1/λᵢ) takes. Adam's ratio comes within 2 %.
    result = at("rmsprop", 0.0)
    np.testing.assert_allclose(result["effective"][-1], [2 / lam[0], 2 / lam[1]], rtol=1e-4)
    assert result["ratio"] == pytest.approx(kappa, rel=1e-4)
    np.testing.assert_allclose(result["newton"], [1 / lam[0], 1 / lam[1]], rtol=1e-12)
    assert at("adam", 0.0)["ratio"] == pytest.approx(kappa, rel=0.02)
    # 45°: Q₁₁ = Q₂₂, and every per-coordinate method ends with η₁ ≈ η₂: the κ stays.
    for name in ADAPTIVE_OPTIMIZERS[1:]:  # Not SGD: one step for all.
        result = at(name, 45.0)
        assert result["newton"][0] == pytest.approx(result["newton"][1], rel=1e-12)
        assert result["ratio"] == pytest.approx(1.0, rel=0.03), name


def test_the_defaults_and_the_learning_rate_per_optimizer():
    built = AdaptiveExplorer()
    assert built.values == {"optimizer": "adagrad", "learning_rate": 0.1, "b1": 0.9, "b2": 0.9, "lambda1": 1.0,
                            "lambda2": 25.0, "angle": 0.0, "steps": 100}
    assert AdaptiveExplorer(optimizer="adadelta").values["learning_rate"] == 1.0
    assert AdaptiveExplorer(optimizer="sgd").values["learning_rate"] == pytest.approx(2 / 26)
    assert AdaptiveExplorer(angle=np.pi / 4).values["angle"] == 45.0
    assert AdaptiveExplorer(angle=np.pi / 2).values["angle"] == 90.0
    assert built.spec["eps"] == 1e-8 and AdaptiveExplorer(eps=1e-6).spec["eps"] == 1e-6


def test_sliders_shown_follow_the_optimizer():
    controls = {c["name"]: c for c in AdaptiveExplorer().spec["controls"]}
    assert list(controls) == list(AdaptiveExplorer.CONTROLS)
    assert controls["optimizer"]["options"] == list(ADAPTIVE_OPTIMIZERS)
    assert controls["optimizer"]["labels"] == [LABELS[m] for m in ADAPTIVE_OPTIMIZERS]
    assert controls["b1"]["shown_for"] == ["adam", "nadam", "amsgrad"]  # Hidden for SGD … Adadelta.
    assert controls["b2"]["shown_for"] == ["rmsprop", "adadelta", "adam", "nadam", "amsgrad"]  # Not SGD, AdaGrad.
    assert {k: v[0] for k, v in controls["b2"]["labels_for"].items()} == {
        "rmsprop": "β₂ (decay)", "adadelta": "β₂ (Zeiler's ρ)", "adam": "β₂", "nadam": "β₂", "amsgrad": "β₂"}
    assert [controls[n]["type"] for n in ("learning_rate", "b1", "b2", "lambda1", "lambda2", "angle", "steps")] == \
        ["log", "linear", "linear", "log", "log", "linear", "int"]
    assert (controls["angle"]["min"], controls["angle"]["max"]) == (0.0, 90.0)
    assert [c["name"] for c in AdaptiveExplorer(sliders=["angle"]).spec["controls"]] == ["angle"]
    assert [c["name"] for c in AdaptiveExplorer(sliders=["eigenvalues", "steps"]).spec["controls"]] == \
        ["lambda1", "lambda2", "steps"]
    # The menu offers the β's of the optimizers on it.
    assert [c["name"] for c in AdaptiveExplorer(sliders=["optimizer", "angle"]).spec["controls"]] == \
        ["optimizer", "b1", "b2", "angle"]
    assert AdaptiveExplorer(optimizer="rmsprop", sliders=["angle"]).title == "RMSProp on a quadratic"
    text = json.dumps(AdaptiveExplorer().spec, allow_nan=False)
    assert len(text) < 5_000


@pytest.mark.parametrize("build, message", [
    (lambda: AdaptiveExplorer(eigenvalues=(1.0, -1.0)), r"eigenvalues must be in \[0.01, 100\]"),
    (lambda: AdaptiveExplorer(eigenvalues=(1.0,)), "eigenvalues must be two numbers"),
    (lambda: AdaptiveExplorer(angle=math.pi), r"angle must be in \[0, π/2\] radians"),
    (lambda: AdaptiveExplorer(angle=float("nan")), r"angle must be in \[0, π/2\]"),
    (lambda: AdaptiveExplorer(init=(0.0, 0.0)), "init must be two finite numbers, not both 0"),
    (lambda: AdaptiveExplorer(optimizer="adamw"), "optimizer must be one of"),
    (lambda: AdaptiveExplorer(learning_rate=0.0), r"learning_rate must be in \(0, 10\]"),
    (lambda: AdaptiveExplorer(b1=0.995), r"b1 must be in \[0, 0.99\]"),
    (lambda: AdaptiveExplorer(b2=1.0), r"b2 \(RMSProp's decay, Adadelta's ρ, Adam's β₂\) must be in \[0, 0.999\]"),
    (lambda: AdaptiveExplorer(eps=0.0), r"eps must be in \(0, 1\]"),
    (lambda: AdaptiveExplorer(steps=301), r"steps must be an integer in \[1, 300\]"),
    (lambda: AdaptiveExplorer(steps=True), "steps must be an integer"),
    (lambda: AdaptiveExplorer(sliders=["momentum"]), "no slider named 'momentum'"),
])
def test_bad_arguments_are_named(build, message):
    with pytest.raises(ValueError, match=message):
        build()


BAD_VALUES = [
    ({"optimizer": "adamw"}, 'optimizer must be one of sgd, adagrad, rmsprop, adadelta, adam, nadam, amsgrad, '
                             'got "adamw"'),
    ({"learning_rate": -0.1}, "learning rate α must be a positive number, got -0.1"),
    ({"b1": 1.0}, "β₁ must be in [0, 1), got 1"),
    ({"b2": None}, "β₂ (ρ) must be in [0, 1), got —"),
    ({"lambda1": 0}, "eigenvalue λ₁ must be a positive number, got 0"),
    ({"angle": 91}, "angle must be in [0, 90] degrees, got 91"),
    ({"steps": 2.5}, "steps T must be a whole number in [1, 300], got 2.5"),
]


def test_bad_values_are_an_error_result_never_raised(explorer):
    start = dict(explorer.values)
    check_bad_values(explorer, BAD_VALUES, lambda e: move(e, **start))


def test_divergence_is_strict_json_with_null(explorer):
    result = explorer.compute(values_of(explorer, optimizer="sgd", learning_rate=1.0, steps=300))
    t = result["diverged_at"]
    assert t is not None and t <= 300
    assert result["losses"][t] is None and result["trajectory"][-1] == [None, None]
    assert result["effective"][t - 1] == [1.0, 1.0] and result["effective"][t] == [None, None]
    assert result["ratio"] is None and result["reached"] is None
    json.dumps(plain(result), allow_nan=False)


def test_no_recompilation_when_values_change(explorer):
    compiled = []

    def listen(name, secs, **kwargs):
        if name == "/jax/core/compile/backend_compile_duration":
            compiled.append(name)

    start = dict(explorer.values)
    for name in ADAPTIVE_OPTIMIZERS:  # Every loop compiled, every problem op used once.
        move(explorer, optimizer=name, lambda1=2.0, angle=10.0)
    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        for name in ADAPTIVE_OPTIMIZERS:
            for lr, b1, b2, lam, angle in ((0.01, 0.2, 0.3, 0.3, 0.0), (0.5, 0.95, 0.99, 40.0, 45.0)):
                move(explorer, optimizer=name, learning_rate=lr, b1=b1, b2=b2, lambda1=lam, angle=angle, steps=77)
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
        move(explorer, **start)
    assert compiled == []


# -- Chromium: the module computes and says the same. ----------------------------------------


def sweep(explorer, rng) -> list[dict]:
    """SETTINGS random settings per optimizer across every control, plus angles 0 and 45° and SGD past 2/λ_max."""
    from test_explorer_parity import random_values

    settings = []
    for name in ADAPTIVE_OPTIMIZERS:
        for k in range(SETTINGS):
            values = {**random_values(explorer.spec, explorer.values, rng), "optimizer": name}
            if k % 4 == 0:
                values["angle"] = float(rng.choice([0.0, 45.0, 90.0]))
            settings.append(values)
    lam_max = max(explorer.values["lambda1"], explorer.values["lambda2"])
    for factor in (1.2, 3.0, 30.0):  # SGD diverging slowly, fast, at once.
        settings.append(values_of(explorer, optimizer="sgd", learning_rate=factor * 2 / lam_max, steps=300))
    return settings


@pytest.mark.browser
def test_browser_computes_what_the_kernel_computes(module_page, explorer):
    from test_explorer_parity import compare_arrays, compare_results, js_side

    start = time.perf_counter()
    rng = np.random.default_rng(zlib.crc32(b"adaptive"))
    settings = sweep(explorer, rng)
    kernel = [{key: x for key, x in explorer.compute(values).items() if not key.startswith("_")}
              for values in settings]  # JSON's types already: lists, floats, None.
    browser = js_side(module_page, explorer.spec, [[v, k] for v, k in zip(settings, kernel)])
    problems, borderline, diverged, sensitive = [], 0, 0, 0
    for i, (values, k, b) in enumerate(zip(settings, kernel, browser)):
        where = f"setting {i} {values}"
        amplified: list = []
        for key in ("trajectory", "losses", "effective"):  # Equal bit for bit (most runs): nothing to measure.
            if key in k and k[key] == b["result"].get(key):
                del k[key], b["result"][key]
                b["nudged"].pop(key, None)
        # The effective steps follow the trajectory: compared per step like it, up to where
        # rounding is amplified past 1e-9 (the same allowance, test_explorer_parity).
        ours, theirs, nudged = k.pop("effective", None), b["result"].pop("effective", None), \
            b["nudged"].pop("effective", None)
        found, near = compare_results(k, b["result"], where, b["nudged"], amplified)
        if (ours is None) != (theirs is None):
            found.append(f"{where}: effective steps on one side only")
        elif ours is not None:
            until = None if not near else min(s for s in (k.get("diverged_at"), b["result"].get("diverged_at"))
                                              if s is not None)
            compare_arrays(ours, theirs, f"{where} effective", found, until, nudged, amplified)
        problems += found
        borderline += near
        sensitive += bool(amplified)
        diverged += k.get("diverged_at") is not None
        if not near and not amplified and b["texts"] != b["kernel_texts"]:
            problems.append(f"{where}: texts differ:\n  browser {b['texts']}\n  kernel  {b['kernel_texts']}")
    seconds = time.perf_counter() - start
    print(f"adaptive: {len(settings)} settings ({SETTINGS} per optimizer), {diverged} diverged, {borderline} at "
          f"another divergence step, {sensitive} amplifying rounding past 1e-9; {seconds:.1f} s")
    assert not problems, f"{len(problems)} differences; the first:\n" + "\n".join(problems[:3])
    assert borderline <= 0.02 * len(settings)
    assert sensitive <= 0.05 * len(settings)
    assert diverged >= 3


@pytest.mark.browser
def test_the_texts_say_the_setting_the_loss_and_the_steps_against_newton(module_page, explorer):
    said, _ = texts(module_page, explorer, optimizer="rmsprop", learning_rate=0.1, b2=0.9, angle=0.0, steps=300)
    assert said["facts"] == ("λ = (1, 25), λ₂/λ₁ = 25, eigenvectors at 0°   diagonal Newton steps 1/Q₁₁ = 1, "
                             "1/Q₂₂ = 0.04 (Q₂₂/Q₁₁ = 25)   ε\u00a0=\u00a01e-08")
    assert said["info"].startswith("RMSProp: α = 0.1, β₂ = 0.9   L(θ_T)/L(θ₀) = ")
    assert "L < 10⁻⁶·L(θ₀): first at step 32" in said["info"]
    assert said["info"].endswith("effective steps at step T: η₁ = 2, η₂ = 0.08, η₁/η₂ = 25  (λ₂/λ₁ = 25)")
    assert said["alert"] == ""
    said, _ = texts(module_page, explorer, optimizer="adagrad", angle=45.0, steps=100)
    assert "(Q₂₂/Q₁₁ = 1)" in said["facts"] and "not within T = 100" in said["info"]
    assert "β" not in said["info"].split("\n")[0] and "ρ" not in said["info"].split("\n")[0]
    said, _ = texts(module_page, explorer, optimizer="adam", b1=0.5, b2=0.99)
    assert said["info"].startswith("Adam: α = 0.1, β₁ = 0.5, β₂ = 0.99")
    said, _ = texts(module_page, explorer, optimizer="sgd", learning_rate=0.05)
    assert "η₁ = η₂ = α = 0.05: SGD scales no coordinate" in said["info"]


@pytest.mark.browser
def test_divergence_is_named(module_page, explorer):
    said, result = texts(module_page, explorer, optimizer="sgd", learning_rate=1.0, steps=300)
    assert said["alert"].startswith("diverged at step 1: α = 1 > 2/λ_max = 0.08, the error grows ×24 per step")
    assert said["alert"].endswith(f"float64 overflow at step {result['diverged_at']}")
    said, _ = texts(module_page, explorer, optimizer="sgd", learning_rate=0.082, steps=20)  # Slow: no overflow yet.
    assert said["alert"].startswith("diverged at step") or said["alert"].startswith("α = 0.082 > 2/λ_max")
    said, _ = texts(module_page, explorer, optimizer="rmsprop", learning_rate=10.0, steps=30)  # No overflow: bounded steps.
    assert said["alert"].startswith("L(θ_T) = 7.78·L(θ₀): the run ends above where it started; α = 10 is too large "
                                    "for RMSProp here")
    said, _ = texts(module_page, explorer, optimizer="adam", learning_rate=0.1)
    assert said["alert"] == ""


@pytest.mark.browser
def test_bad_values_give_the_same_error_in_both_languages(module_page, explorer):
    check_same_errors_in_both_languages(module_page, explorer, BAD_VALUES)


# -- The static page: the widget mounts and redraws, no console errors. ----------------------


@pytest.mark.browser
@pytest.mark.parametrize("viewport, theme", [("desktop", "light"), ("phone", "dark")])
def test_the_widget_is_live_on_a_static_page(browser, tmp_path, viewport, theme):
    from test_explorer_parity import compare_results

    built = AdaptiveExplorer()
    SCREENSHOTS.mkdir(exist_ok=True)
    tag = f"adaptive-{viewport}-{theme}"
    with static_page(tmp_path, [built]) as url:
        context, page, errors = new_page(browser, viewport, theme)
        try:
            root = open_explorers(page, url).first
            root.scroll_into_view_if_needed()

            def same_as_kernel(where):
                values = root.evaluate("el => el.descentExplorer.values")
                shown = shown_result(root)
                problems, _ = compare_results(plain(built.compute(values)), shown, where)
                assert not problems, problems[:3]

            same_as_kernel(tag)
            widths = root.evaluate("el => [el.scrollWidth, el.clientWidth]")
            assert widths[0] <= widths[1] + 1, widths
            rects = root.evaluate("el => el.descentExplorer.view.geometry.rects")
            assert (rects[0]["y"] < rects[1]["y"] < rects[2]["y"]) if viewport == "phone" else \
                (rects[0]["y"] == rects[1]["y"] == rects[2]["y"])
            menu = root.locator("select")
            b1, b2 = root.locator(".dx-control[data-name=b1]"), root.locator(".dx-control[data-name=b2]")
            for name, label in (("rmsprop", "β₂ (decay)"), ("adam", "β₂"), ("adadelta", "β₂ (Zeiler's ρ)"),
                                ("sgd", None)):
                before = picture(root)
                menu.select_option(name)
                page.wait_for_timeout(40)
                assert picture(root) != before, f"{tag}: picking {name} changed nothing"
                assert b1.is_visible() == (name == "adam") and b2.is_visible() == (label is not None), name
                if label:
                    assert b2.locator("label").inner_text() == label
                same_as_kernel(f"{tag} {name}")
            menu.select_option("adam")
            slider = root.locator(".dx-control[data-name=angle] input")
            before = picture(root)
            slider.focus()
            for _ in range(5):
                page.keyboard.press("ArrowRight")
            page.wait_for_timeout(40)
            assert root.evaluate("el => el.descentExplorer.values.angle") == 5
            assert picture(root) != before
            same_as_kernel(f"{tag} angle")
            root.evaluate("el => el.descentExplorer.setValue('angle', 45)")
            root.screenshot(path=str(SCREENSHOTS / f"test-{tag}-adam-45.png"))
            menu.select_option("sgd")
            root.evaluate("el => el.descentExplorer.setValue('learning_rate', 1.0)")
            alert = root.locator(".dx-alert").inner_text()
            assert alert.startswith("diverged at step 1") and "grows ×" in alert, alert
            assert root.locator(".dx-error").inner_text() == ""
            same_as_kernel(f"{tag} diverged")
            root.screenshot(path=str(SCREENSHOTS / f"test-{tag}-diverged.png"))
            assert not errors, errors
        finally:
            context.close()
