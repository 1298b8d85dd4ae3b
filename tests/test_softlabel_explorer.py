"""LossCurveExplorer (kind "softlabel"): one optimizer on a hard and a soft target.

In Python (no browser): the two runs are descent.runner.run on
descent.problems.soft_label_classifier for the targets (0, 1) and (k, 1 − k), and Adam's
equations written out on the closed-form gradient (p − t)·(x, 1); the logit gaps are
z₂ − z₁ of the trajectory; Δs* = log(1/k − 1) is where softmax gives back the target, and
the soft run converges to it; ripples count what they say and rounding never makes one;
Adam at α = 0.1 ripples for every β₁ measured (the counts asserted are the measured ones),
a smaller α removes them; divergence is strict JSON; moving sliders compiles nothing; bad
arguments and bad values are named.

In Chromium: the module computes the same result as the kernel over a seeded sweep of
every control (divergent settings included) and writes the same texts; on a static page
the explorer mounts, a slider move redraws it to the kernel's numbers, the menu shows each
optimizer's β's, an α that overshoots gives an alert, and the console stays clean.
Screenshots land in /tmp/explorer/.

The browser's exp and log are not XLA's (each is off by one unit in the last place for
about one argument in ten), so the two sides agree to rounding, not bit for bit: 1e-9
relative per step, and for the loss 1e-15 absolute besides (the KL's own rounding in
float64: a converged soft loss is noise of that size, possibly ≤ 0). Where the run amplifies
rounding (GD or the heavy ball at a large α, bouncing around the optimum; Adam hovering
where its gradient is rounding and √v̂ divides it), the difference is accepted only past the
step at which the browser's run from x and k one unit in the last place away has drifted by
1e-12 (the idea of tests/test_explorer_parity.py; a persistent nudge, because exp and log
inject their differences at every step); such settings are counted and printed.
"""

from __future__ import annotations

import json
import math
import re
import time
import zlib
from pathlib import Path

import jax
import numpy as np
import pytest

from descent.explorers import LossCurveExplorer
from descent.explorers.softlabel import FLOOR, OPTIMIZER_LABELS, logit_gaps, ripples
from descent.problems import soft_label_classifier
from descent.runner import run

from explorer_cases import (check_bad_values, check_same_errors_in_both_languages, move, new_page,
                            open_explorers, picture, plain, shown_result, static_page, texts)

SCREENSHOTS = Path("/tmp/explorer")
RTOL = 1e-9
AMPLIFIED = 1e-12  # A one-ulp nudge of x and k grown to this: rounding amplified 10⁴-fold.


@pytest.fixture(scope="module")
def explorer():
    built = LossCurveExplorer()
    assert built.wait(120)
    return built


def reset(explorer) -> None:
    move(explorer, optimizer="adam", learning_rate=0.1, b1=0.9, b2=0.999, momentum=0.9, soft=0.3, steps=300)


def as_float(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


# -- Python: the runs, Δs*, the ripples. -----------------------------------------------------


@pytest.mark.parametrize("method, hyper", [
    ("adam", {"b1": 0.9, "b2": 0.999}), ("sgd", {}), ("momentum", {"momentum": 0.8})])
def test_the_runs_are_the_runners_on_soft_label_classifier(explorer, method, hyper):
    values = {**explorer.values, "optimizer": method, "learning_rate": 0.2, "soft": 0.2, "steps": 150, **hyper}
    result = explorer.compute(values)
    assert result["targets"] == [[0.0, 1.0], [0.2, 0.8]]
    for target, losses, gaps in zip(result["targets"], result["losses"], result["gaps"]):
        with jax.enable_x64(True):
            reference = run(soft_label_classifier(tuple(target), (1.0,)), method, 150, learning_rate=0.2, **hyper)
        np.testing.assert_array_equal(as_float(losses), reference.losses)
        W, b = np.asarray(reference.trajectory["W"]), np.asarray(reference.trajectory["b"])
        z = W[:, :, 0] * 1.0 + b  # z = W x + b, x = (1,).
        np.testing.assert_array_equal(as_float(gaps), z[:, 1] - z[:, 0])
    assert len(result["losses"][0]) == 151 and result["diverged_at"] == [None, None]


def test_adam_written_out_on_the_closed_form_gradient(explorer):
    """m, v, bias corrections and the step on ∇_z KL = p − t, ∇W = (p − t) xᵀ, ∇b = p − t."""
    x = np.array([1.0])
    result = explorer.compute({**explorer.values, "b1": 0.9, "b2": 0.999, "learning_rate": 0.1, "steps": 60})
    for target, losses, gaps in zip(result["targets"], result["losses"], result["gaps"]):
        t = np.array(target)
        W, b = np.zeros((2, 1)), np.zeros(2)
        m, v = np.zeros(4), np.zeros(4)
        mine_loss, mine_gap = [], []
        for step in range(1, 62):
            z = W @ x + b
            p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
            mine_loss.append(float(np.sum(np.where(t > 0, t * np.log(np.where(t > 0, t, 1) / p), 0.0))))
            mine_gap.append(z[1] - z[0])
            g = np.concatenate([np.outer(p - t, x).ravel(), p - t])  # (∇W, ∇b), the pytree's order.
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g**2
            step_ = -0.1 * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
            W, b = W + step_[:2].reshape(2, 1), b + step_[2:]
        np.testing.assert_allclose(as_float(losses), mine_loss[:61], rtol=1e-7, atol=1e-14)
        np.testing.assert_allclose(as_float(gaps), mine_gap[:61], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("k", [0.3, 0.1, 0.01, 0.45])
def test_the_soft_optimum_is_log_of_1_over_k_minus_1_and_the_run_reaches_it(explorer, k):
    result = explorer.compute({**explorer.values, "optimizer": "sgd", "learning_rate": 1.0, "soft": k,
                               "steps": 1000})
    star = result["optimal_gaps"][1]
    assert star == pytest.approx(math.log(1 / k - 1), rel=1e-15)
    p = np.exp([0.0, star]) / np.exp([0.0, star]).sum()  # softmax at Δs*: the target itself.
    np.testing.assert_allclose(p, [k, 1 - k], rtol=1e-14)
    assert result["gaps"][1][-1] == pytest.approx(star, abs=1e-9)
    assert result["losses"][1][-1] < FLOOR
    # The hard target's optimum is at +∞: Δs only grows, and its loss only falls.
    assert result["optimal_gaps"][0] is None
    hard = as_float(result["gaps"][0])
    assert np.all(np.diff(hard) > 0) and np.all(np.diff(as_float(result["losses"][0])) < 0)
    reset(explorer)


def test_doctests():
    import doctest

    from descent.explorers import softlabel

    failures, tried = doctest.testmod(softlabel)
    assert tried >= 4 and failures == 0


def test_logit_gaps_are_z2_minus_z1():
    rng = np.random.default_rng(0)
    W, b, x = rng.normal(size=(5, 2, 3)), rng.normal(size=(5, 2)), rng.normal(size=3)
    z = np.einsum("tij,j->ti", W, x) + b
    np.testing.assert_allclose(logit_gaps(W, b, x), z[:, 1] - z[:, 0], rtol=1e-13, atol=1e-13)


def test_a_ripple_is_a_rise_then_a_fall_beyond_rounding():
    assert ripples([3.0, 2.0, 3.0, 1.0, 1.0, 2.0, 0.5]) == 2  # Peaks at t = 2 and t = 5.
    assert ripples([1.0, 2.0, 2.0, 1.0]) == 0  # A flat top is no strict peak.
    assert ripples([1.0, 2.0]) == 0 and ripples([]) == 0  # No interior step.
    assert ripples([1.0, 2.0, 1.0]) == 1 and ripples([2.0, 1.0, 2.0]) == 0  # Ends are not peaks.
    assert ripples([1.0, None, 1.0, float("nan"), 0.5]) == 0  # Non-finite never counts.
    rng = np.random.default_rng(1)  # Rounding noise at the floor, even below 0: never a ripple.
    assert ripples(list(rng.uniform(-3e-16, 3e-16, 1000))) == 0
    assert ripples(list(0.5 + rng.uniform(-4e-16, 4e-16, 1000))) == 0  # ±4 ulp of 0.5.
    assert ripples([1e-3, 1e-3 + 2e-15, 1e-3]) == 1  # Above rounding: it counts.


def test_adam_ripples_on_the_soft_target_and_a_smaller_alpha_removes_them(explorer):
    def count(lr, b1, steps=300):
        result = explorer.compute({**explorer.values, "learning_rate": lr, "b1": b1, "steps": steps})
        assert result["ripples"][0] == 0  # The hard target's loss falls monotonically.
        return result["ripples"][1], result["losses"][1][-1]

    # Measured (α = 0.1, T = 300): every β₁ ripples; β₁ = 0.9 ripples 49 times and reaches the
    # floor (1e-15) at step 221; β₁ = 0.5 ripples 15 times and stays below it from step 47;
    # β₁ = 0, Adam without momentum, is below it at step 9 and is then thrown off the optimum
    # (its gradient is rounding there, and its step α g/√v̂ grows as v̂ forgets).
    assert count(0.1, 0.9) == (49, pytest.approx(0, abs=FLOOR))
    assert count(0.1, 0.5)[0] == 15
    ripples_0, final_0 = count(0.1, 0.0)
    assert ripples_0 == 65 and final_0 > 1e-3
    # A smaller α: fewer ripples at every β₁, none without momentum.
    assert count(0.03, 0.9)[0] == 23 and count(0.01, 0.9)[0] == 10
    assert count(0.03, 0.0) == (0, pytest.approx(0, abs=FLOOR))


def test_divergence_is_strict_json_with_null(explorer):
    for method in ("sgd", "adam", "momentum"):
        result = explorer._safe_compute({**explorer.values, "optimizer": method, "learning_rate": 1e308})
        assert all(at is not None for at in result["diverged_at"]), result["diverged_at"]
        for run_losses, at in zip(result["losses"], result["diverged_at"]):
            assert run_losses[at] is None and all(v is None for v in run_losses[at:])
        json.dumps(plain(result), allow_nan=False)


def test_no_recompilation_when_values_change(explorer):
    compiled = []

    def listen(name, secs, **kwargs):
        if name == "/jax/core/compile/backend_compile_duration":
            compiled.append(name)

    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        for method in ("adam", "sgd", "momentum"):
            for lr, beta, k, steps in ((0.01, 0.2, 0.1, 77), (5.0, 0.95, 0.45, 1000), (0.3, 0.0, 0.02, 1)):
                move(explorer, optimizer=method, learning_rate=lr, b1=beta, momentum=beta, soft=k, steps=steps)
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
    assert compiled == []
    reset(explorer)


def test_spec_is_small_strict_json(explorer):
    text = json.dumps(explorer.spec, allow_nan=False)
    assert len(explorer.static_html()) < 4_000 and len(text) < 3_000
    controls = {c["name"]: c for c in explorer.spec["controls"]}
    assert list(controls) == ["optimizer", "learning_rate", "b1", "b2", "momentum", "soft", "steps"]
    assert controls["optimizer"]["options"] == ["adam", "sgd", "momentum"]
    assert controls["optimizer"]["labels"] == list(OPTIMIZER_LABELS.values())
    assert controls["b1"]["shown_for"] == controls["b2"]["shown_for"] == ["adam"]
    assert controls["momentum"]["shown_for"] == ["momentum"]
    assert explorer.values == {"optimizer": "adam", "learning_rate": 0.1, "b1": 0.9, "b2": 0.999,
                               "momentum": 0.9, "soft": 0.3, "steps": 300}
    assert set(LossCurveExplorer(sliders=["learning_rate", "b1"]).sliders) == {"learning_rate", "b1"}


@pytest.mark.parametrize("build, message", [
    (lambda: LossCurveExplorer(targets=((0.0, 1.0),)), "targets must be two targets over two classes"),
    (lambda: LossCurveExplorer(targets=((0.0, 1.0), (0.2, 0.3))), r"targets\[1\] must be a distribution"),
    (lambda: LossCurveExplorer(targets=((0.3, 0.7), (0.0, 1.0))), r"targets\[1\] must be the soft target"),
    (lambda: LossCurveExplorer(targets=((0.0, 1.0), (0.7, 0.3))), r"put the hard target\s+first|0 < k < 0.5"),
    (lambda: LossCurveExplorer(targets=((0, 1, 0), (0.3, 0.7, 0))), "two targets over two classes"),
    (lambda: LossCurveExplorer(x=()), "x must be 1 to 8 finite numbers"),
    (lambda: LossCurveExplorer(x=(float("nan"),)), "x must be 1 to 8 finite numbers"),
    (lambda: LossCurveExplorer(optimizer="rmsprop"), "optimizer must be one of"),
    (lambda: LossCurveExplorer(learning_rate=0.0), r"learning_rate must be in \(0, 100\]"),
    (lambda: LossCurveExplorer(b1=1.0), r"b1 \(Adam's β₁\) must be in \[0, 0.99\]"),
    (lambda: LossCurveExplorer(b2=0.5), r"b2 \(Adam's β₂\) must be in \[0.8, 0.9999\]"),
    (lambda: LossCurveExplorer(momentum=-0.1), r"momentum \(the heavy ball's β\) must be in"),
    (lambda: LossCurveExplorer(steps=1001), r"steps must be an integer in \[1, 1000\]"),
    (lambda: LossCurveExplorer(steps=10.0), "steps must be an integer"),
    (lambda: LossCurveExplorer(sliders=["beta"]), "no slider named 'beta'"),
])
def test_bad_arguments_are_named(build, message):
    with pytest.raises(ValueError, match=message):
        build()


BAD_VALUES = [
    ({"optimizer": "nadam"}, 'optimizer must be one of adam, sgd, momentum, got "nadam"'),
    ({"learning_rate": -0.1}, "learning rate α must be a positive number, got -0.1"),
    ({"learning_rate": None}, "learning rate α must be a positive number, got —"),
    ({"b1": 1.0}, "Adam's β₁ must be in [0, 1), got 1"),
    ({"b2": -0.5}, "Adam's β₂ must be in [0, 1), got -0.5"),
    ({"momentum": 2}, "momentum β must be in [0, 1), got 2"),
    ({"soft": 0.5}, "soft target k must be in (0, 0.5), got 0.5"),
    ({"soft": 0}, "soft target k must be in (0, 0.5), got 0"),
    ({"steps": 2.5}, "steps T must be a whole number in [1, 1000], got 2.5"),
]


def test_bad_values_are_an_error_result_never_raised(explorer):
    check_bad_values(explorer, BAD_VALUES, reset)


# -- Chromium: the module computes and says the same. ----------------------------------------

CASES = {
    "softlabel, every control": lambda: LossCurveExplorer(),
    "softlabel, two features, heavy ball": lambda: LossCurveExplorer(
        targets=((0.0, 1.0), (0.1, 0.9)), x=(0.5, -2.0), optimizer="momentum", learning_rate=0.05,
        sliders=["learning_rate", "momentum", "soft", "steps"]),  # One optimizer: one more compile only.
}
SWEEP = {"softlabel, every control": 46, "softlabel, two features, heavy ball": 14}


def settings_of(case: str, explorer) -> list[dict]:
    """A seeded random sweep of every control, the chapter's β₁ and α sweeps, and divergence."""
    from test_explorer_parity import random_values

    spec, start = explorer.spec, dict(explorer.values)
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    settings = [random_values(spec, start, rng) for _ in range(SWEEP[case])]
    if case == "softlabel, every control":
        settings += [{**start, "learning_rate": lr, "b1": b1} for lr in (0.1, 0.03) for b1 in (0.0, 0.5, 0.9)]
        settings += [{**start, "optimizer": method, "learning_rate": 1e308, "steps": 20}
                     for method in ("adam", "sgd", "momentum")]  # Non-finite from step 1.
        settings += [{**start, "optimizer": "sgd", "learning_rate": 30.0}]  # Overshoots, stays finite.
    return settings


def js_side(page, spec: dict, settings: list, kernels: list) -> list:
    """compute() in Chromium for every setting, and from x and k one ulp away; status() of both results."""
    return page.evaluate(
        """([spec, pairs]) => pairs.map(([values, kernel]) => {
            const clean = (r) => JSON.parse(JSON.stringify(r, (k, v) =>
                (typeof v === "number" && !Number.isFinite(v)) ? null : v));
            const own = window.__descent.compute(spec, values);
            const moved = JSON.parse(JSON.stringify(spec));
            moved.x = moved.x.map((v, i) => i === 0 ? v * (1 + 2 ** -52) : v);
            const nudged = window.__descent.compute(moved, {...values, soft: values.soft * (1 + 2 ** -52)});
            const texts = (r) => r.error !== undefined ? {error: r.error} : window.__descent.status(spec, values, r);
            return {result: clean(own), nudged: clean(nudged), texts: texts(own), kernel_texts: texts(kernel)};
        })""",
        [spec, [[v, k] for v, k in zip(settings, kernels)]],
    )


def differs(a: float, b: float, key: str, rtol: float) -> bool:
    """Beyond rounding: 1e-9 relative (the loss: plus the KL's own 1e-15; the gap: relative to max(|Δs|, 1))."""
    if key == "losses":
        return abs(a - b) > rtol * max(abs(a), abs(b)) + FLOOR
    return abs(a - b) > rtol * max(abs(a), abs(b), 1.0)


def drifted(gaps: list, nudged: list, t: int) -> bool:
    """Whether the browser's run from x one ulp away has moved its Δs by AMPLIFIED by step t."""
    for s in range(t + 1):
        a, b = gaps[s], nudged[s]
        if a is None or b is None:
            return a != b
        if differs(a, b, "gaps", AMPLIFIED):
            return True
    return False


def compare(kernel: dict, own: dict, nudged: dict, where: str) -> tuple[list, int]:
    """The differences beyond rounding, and how many runs amplified rounding (accepted)."""
    if "error" in kernel or "error" in own:
        return ([] if kernel.get("error") == own.get("error") else [f"{where}: errors differ"]), 0
    problems, amplified = [], 0
    if kernel["targets"] != own["targets"] or kernel["diverged_at"] != own["diverged_at"]:
        return [f"{where}: targets or divergence differ: {kernel['diverged_at']} {own['diverged_at']}"], 0
    for i in range(2):
        here = f"{where} run {i}"
        a, b = kernel["optimal_gaps"][i], own["optimal_gaps"][i]
        if (a is None) != (b is None) or (a is not None and abs(a - b) > RTOL * abs(a)):
            problems.append(f"{here}: Δs* {a} against {b}")
        spoiled = False
        for key in ("losses", "gaps"):
            ks, os_ = kernel[key][i], own[key][i]
            if len(ks) != len(os_):
                problems.append(f"{here} {key}: {len(ks)} steps against {len(os_)}")
                continue
            for t, (x, y) in enumerate(zip(ks, os_)):
                if x is None or y is None:
                    if x != y:
                        problems.append(f"{here} {key} step {t}: {x} against {y}")
                    break
                if differs(x, y, key, RTOL):
                    if drifted(own["gaps"][i], nudged["gaps"][i], t):
                        spoiled = True
                    else:
                        problems.append(f"{here} {key} step {t}: {x!r} against {y!r}")
                    break
        amplified += spoiled
        if not spoiled and kernel["ripples"][i] != own["ripples"][i]:
            problems.append(f"{here}: ripples {kernel['ripples'][i]} against {own['ripples'][i]}")
    return problems, amplified


@pytest.mark.browser
@pytest.mark.parametrize("case", list(CASES))
def test_browser_computes_what_the_kernel_computes(module_page, case):
    built = CASES[case]()
    start = time.perf_counter()
    settings = settings_of(case, built)
    kernels = [plain(built._safe_compute(values)) for values in settings]
    browser = js_side(module_page, built.spec, settings, kernels)
    problems, amplified, diverged, methods, spoilt = [], 0, 0, set(), []
    for i, (values, k, b) in enumerate(zip(settings, kernels, browser)):
        where = f"setting {i} {values}"
        found, spoiled = compare(k, b["result"], b["nudged"], where)
        problems += found
        amplified += bool(spoiled)
        spoilt.append(bool(spoiled))
        diverged += any(at is not None for at in k.get("diverged_at", [None]))
        methods.add(values["optimizer"])
        if not spoiled and b["texts"] != b["kernel_texts"]:
            problems.append(f"{where}: texts differ:\n  browser {b['texts']}\n  kernel  {b['kernel_texts']}")
    print(f"{case}: {len(settings)} settings, {diverged} diverged, {amplified} amplified rounding, "
          f"{time.perf_counter() - start:.1f} s")
    assert not problems, f"{len(problems)} differences; the first:\n" + "\n".join(problems[:3])
    assert amplified <= len(settings) // 2, amplified  # Mostly α ≥ 1: a sweep up to α = 100.
    if case == "softlabel, every control":
        assert diverged >= 3 and methods == {"adam", "sgd", "momentum"}
        # The chapter's settings agree step for step, but Adam without momentum at α = 0.1: it
        # lands on Δs* by step 5, where its gradient is rounding, and divides that by √v̂.
        chapter = {(v["learning_rate"], v["b1"]): spoiled for v, spoiled in zip(settings, spoilt)
                   if v["optimizer"] == "adam" and v["steps"] == 300 and v["learning_rate"] in (0.1, 0.03)}
        assert {key for key, spoiled in chapter.items() if spoiled} == {(0.1, 0.0)}, chapter


@pytest.mark.browser
def test_the_texts_say_the_losses_the_gap_and_the_ripples(module_page, explorer):
    said, result = texts(module_page, explorer)
    assert said["facts"].startswith("targets (0, 1) (hard) and (0.3, 0.7) (soft, k = 0.3): the soft optimum "
                                    "Δs* = log(y₂/y₁) = 0.847; the hard one's is at Δs = +∞")
    assert said["info"].startswith("Adam: α = 0.1, β₁ = 0.9, β₂ = 0.999, T = 300   final loss: (0, 1) 0.000406, "
                                   "(0.3, 0.7) < 1e-12")
    assert "Δs_T = 0.847, Δs* to within 1e-6   ripples of the soft loss: 49" in said["info"]
    assert said["alert"] == ""
    said, _ = texts(module_page, explorer, b1=0.0)
    assert "Δs_T − Δs* = 0.177" in said["info"] and "ripples of the soft loss: 65" in said["info"]
    said, _ = texts(module_page, explorer, optimizer="momentum", momentum=0.5, learning_rate=1.0)
    assert said["info"].startswith("heavy ball: α = 1, β = 0.5, T = 300") and "β₁" not in said["info"]


@pytest.mark.browser
def test_overshoot_and_divergence_are_named(module_page, explorer):
    said, result = texts(module_page, explorer, optimizer="sgd", learning_rate=30.0)
    assert result["diverged_at"] == [None, None]
    assert said["alert"].startswith("α = 30 is too large: target (0.3, 0.7)'s loss ends above where it started")
    said, result = texts(module_page, explorer, optimizer="sgd", learning_rate=1e308, steps=20)
    assert said["alert"].startswith("target (0, 1): the parameters or the loss left float64's finite numbers "
                                    f"at step {result['diverged_at'][0]}")


@pytest.mark.browser
def test_bad_values_give_the_same_error_in_both_languages(module_page, explorer):
    check_same_errors_in_both_languages(module_page, explorer, BAD_VALUES)


# -- The static page: mounted, live, at two widths and themes. --------------------------------


def same_as_kernel(built, root, where: str) -> None:
    values = root.evaluate("el => el.descentExplorer.values")
    shown = shown_result(root)
    problems, amplified = compare(plain(built.compute(values)), shown, shown, where)
    assert not problems and not amplified, problems[:3]


@pytest.mark.browser
@pytest.mark.parametrize("viewport, theme", [("desktop", "light"), ("phone", "dark")])
def test_the_static_page_is_live(browser, tmp_path, viewport, theme):
    built = LossCurveExplorer()
    SCREENSHOTS.mkdir(exist_ok=True)
    tag = f"softlabel-{viewport}-{theme}"
    with static_page(tmp_path, [built]) as url:
        context, page, errors = new_page(browser, viewport, theme)
        try:
            root = open_explorers(page, url).first
            root.scroll_into_view_if_needed()
            same_as_kernel(built, root, tag)
            rects = root.evaluate("el => el.descentExplorer.view.geometry.rects")
            assert (rects[0]["y"] < rects[1]["y"]) == (viewport == "phone")  # Stacked on a phone.
            widths = root.evaluate("el => [el.scrollWidth, el.clientWidth]")
            assert widths[0] <= widths[1] + 1, widths
            root.screenshot(path=str(SCREENSHOTS / f"test-{tag}-before.png"))
            # β₁ by the keyboard, as a reader moves it: the picture and the ripple count move.
            before, status = picture(root), root.locator(".dx-status").inner_text()
            beta = root.locator(".dx-control[data-name=b1] input")
            beta.focus()
            for _ in range(40):
                page.keyboard.press("ArrowLeft")
            page.wait_for_timeout(40)
            assert root.evaluate("el => el.descentExplorer.values.b1") == pytest.approx(0.5)
            assert picture(root) != before and root.locator(".dx-status").inner_text() != status
            assert re.search(r"ripples of the soft loss: \d+", root.locator(".dx-status").inner_text())
            same_as_kernel(built, root, f"{tag} β₁ = 0.5")
            root.screenshot(path=str(SCREENSHOTS / f"test-{tag}-b1.png"))
            # The menu: β₁, β₂ for Adam only, β for the heavy ball only.
            menu = root.locator("select")
            assert menu.evaluate("s => [...s.options].map(o => o.textContent)") == list(OPTIMIZER_LABELS.values())
            for method in ("sgd", "momentum", "adam"):
                menu.select_option(method)
                page.wait_for_timeout(40)
                shown = {name: root.locator(f".dx-control[data-name={name}]").is_visible()
                         for name in ("b1", "b2", "momentum")}
                assert shown == {"b1": method == "adam", "b2": method == "adam", "momentum": method == "momentum"}
            # Gradient descent with a huge α: an alert, the curves still drawn, no error box.
            menu.select_option("sgd")
            root.evaluate("el => el.descentExplorer.setValue('learning_rate', 30)")
            assert root.locator(".dx-alert").inner_text().startswith("α = 30 is too large")
            assert root.locator(".dx-error").inner_text() == ""
            same_as_kernel(built, root, f"{tag} overshoot")
            root.screenshot(path=str(SCREENSHOTS / f"test-{tag}-overshoot.png"))
            assert not errors, errors
        finally:
            context.close()
