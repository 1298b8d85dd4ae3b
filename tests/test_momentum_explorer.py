"""MomentumExplorer (kind "momentum"): gd, heavy ball and Nesterov on a quadratic, and Goh's map.

In Python (no browser): the defaults are each method's optimum; the run is
descent.runner.run of descent.optimizers' momentum / nesterov / sgd, which is Polyak's
recurrence written out; ρ per eigencomponent is descent.theory.momentum_spectral_radius and
the spectral radius of momentum_matrix; the map is theory.momentum_rate over the spec's grid,
cached per (λ₁, λ₂, method) (α and β moves reuse it); the run's error shrinks at ρ; the
damping regimes are theory.damping's; divergence is strict JSON; moving sliders compiles
nothing; bad arguments and bad values are named.

In Chromium: the module computes the same result as the kernel (trajectory, losses, rates,
regimes, every value of the map: 1e-9) over random settings of every control and around
each method's optimum, for the three methods and divergent settings, and writes the same
texts; and on a minimal static page (the site's module, no kernel) every control moves the
picture to the kernel's numbers at 1366 px and 390 px, light and dark, the dot on the map
sits where α and β say, and a slider pushed to divergence gives an alert. Screenshots land in
/tmp/explorer/.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from pathlib import Path

import jax
import numpy as np
import pytest

from descent import optimizers, theory
from descent.explorers import MomentumExplorer
from descent.explorers.momentum import METHOD_LABELS
from descent.problems import quadratic
from descent.runner import run

from explorer_cases import (MOMENTUM_CASES, VIEWPORTS, as_array, check_bad_values,
                            check_same_errors_in_both_languages, move, new_page, open_explorers, picture,
                            plain, shown_result, static_page, texts)

SCREENSHOTS = Path("/tmp/explorer")
SETTINGS = 200


@pytest.fixture(scope="module")
def explorer():
    built = MomentumExplorer()
    assert built.wait(120)
    return built


def reset(explorer) -> None:
    best_alpha, best_beta, _ = MomentumExplorer.optimum((1.0, 10.0), "heavy_ball")
    move(explorer, optimizer="heavy_ball", learning_rate=best_alpha, momentum=best_beta, lambda1=1.0,
         lambda2=10.0, steps=100)


# -- Python: the defaults, the run, the theory. -----------------------------------------------


@pytest.mark.parametrize("method", theory.METHODS)
def test_the_defaults_are_the_methods_optimum(method):
    lam = (1.0, 100.0)
    built = MomentumExplorer(eigenvalues=lam, optimizer=method)
    with jax.enable_x64(True):
        if method == "gd":
            alpha, beta = float(theory.optimal_learning_rate(lam)), float(theory.heavy_ball_optimal(lam)[1])
            best = float(theory.optimal_rate(lam))
        elif method == "heavy_ball":
            alpha, beta = map(float, theory.heavy_ball_optimal(lam))
            best = float(theory.heavy_ball_rate(lam))
        else:
            alpha, beta = map(float, theory.nesterov_optimal(lam))
            best = float(theory.nesterov_rate(lam))
    assert built.values["learning_rate"] == alpha and built.values["momentum"] == beta
    result = built.compute(dict(built.values))
    assert result["optimal"][2] == best
    assert result["rate"] == pytest.approx(best, rel=1e-7)  # The closed form, at its own optimum.
    expected = {"gd": 99 / 101, "heavy_ball": 9 / 11, "nesterov": 1 - 2 / math.sqrt(301)}[method]
    assert best == pytest.approx(expected, rel=1e-12)
    if method == "heavy_ball":  # Both extreme components critically damped at the optimum.
        assert result["damping"] == ["critical", "critical"]


def test_the_run_is_the_runners_and_polyaks_recurrence(explorer):
    values = {**explorer.values, "learning_rate": 0.12, "momentum": 0.6, "lambda1": 2.0, "lambda2": 7.0, "steps": 80}
    result = explorer.compute(values)
    angle = explorer.spec["angle"] * math.pi / 180
    with jax.enable_x64(True):
        problem = quadratic((2.0, 7.0), angle=angle, init=explorer.init)
        reference = run(problem, optimizers.momentum, 80, learning_rate=0.12, momentum=0.6)
    np.testing.assert_array_equal(as_array(result["trajectory"]), reference.trajectory)
    np.testing.assert_array_equal(as_array(result["losses"]), reference.losses)
    Q = np.asarray(problem.Q)
    theta, previous, path = explorer.init.copy(), explorer.init.copy(), [explorer.init.copy()]
    for _ in range(80):  # θ_{t+1} = θ_t − α Qθ_t + β (θ_t − θ_{t−1}).
        theta, previous = theta - 0.12 * Q @ theta + 0.6 * (theta - previous), theta
        path.append(theta)
    np.testing.assert_allclose(as_array(result["trajectory"]), np.array(path), rtol=1e-10, atol=1e-13)
    # Nesterov: the parameters descent.nesterov holds are the look-ahead points y_t.
    result = explorer.compute({**values, "optimizer": "nesterov"})
    y, x_prev, path = explorer.init.copy(), explorer.init.copy(), [explorer.init.copy()]
    for _ in range(80):  # Nesterov 1983: x_{t+1} = y_t − α∇L(y_t), y_{t+1} = x_{t+1} + β(x_{t+1} − x_t).
        x = y - 0.12 * Q @ y
        y, x_prev = x + 0.6 * (x - x_prev), x
        path.append(y)
    np.testing.assert_allclose(as_array(result["trajectory"]), np.array(path), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("method", theory.METHODS)
def test_rates_are_the_spectral_radius_of_the_iteration_matrix(explorer, method):
    rng = np.random.default_rng(zlib.crc32(method.encode()))
    for _ in range(20):
        lam = 10 ** rng.uniform(-2, 2, size=2)
        alpha = float(10 ** rng.uniform(-3, math.log10(4 / lam.max())))
        beta = float(rng.uniform(0, 0.99))
        result = explorer.compute({**explorer.values, "optimizer": method, "learning_rate": alpha,
                                   "momentum": beta, "lambda1": float(lam[0]), "lambda2": float(lam[1])})
        with jax.enable_x64(True):
            closed = np.asarray(theory.momentum_spectral_radius(alpha, beta, lam, method))
            matrices = np.asarray(theory.momentum_matrix(alpha, beta, lam, method))
        np.testing.assert_array_equal(result["rates"], closed)
        numeric = np.abs(np.linalg.eigvals(matrices)).max(axis=-1)
        np.testing.assert_allclose(result["rates"], numeric, rtol=1e-6)  # Away from a double root.
        assert result["rate"] == closed.max()
        limit = result["limit"][0]
        assert (result["rate"] < 1) == (alpha < limit)  # The stated stability limit is exact.
    move(explorer, optimizer="heavy_ball")
    reset(explorer)


@pytest.mark.parametrize("method", theory.METHODS)
def test_the_map_is_momentum_rate_over_the_grid(explorer, method):
    result = explorer.compute({**explorer.values, "optimizer": method, "lambda1": 0.5, "lambda2": 20.0})
    alphas, betas = np.array(explorer.spec["map_alphas"]), np.array(explorer.spec["map_betas"])
    rho = as_array(result["map"])
    assert rho.shape == (MomentumExplorer.MAP_BETAS, MomentumExplorer.MAP_ALPHAS)
    assert alphas[0] == explorer.sliders["learning_rate"]["min"] and alphas[-1] == 10.0
    assert betas[0] == 0.0 and betas[-1] == 0.99
    with jax.enable_x64(True):
        expected = np.broadcast_to(theory.momentum_rate(alphas[None, :], betas[:, None], (0.5, 20.0), method),
                                   rho.shape)
    np.testing.assert_array_equal(rho, expected)
    # Its convergence region is the closed-form one: α below the limit at each β.
    limit = np.array([MomentumExplorer.limit(b, 20.0, method)[0] for b in betas])
    converges = rho < 1
    clear = np.abs(alphas[None, :] / limit[:, None] - 1) > 1e-9
    np.testing.assert_array_equal(converges[clear], (alphas[None, :] < limit[:, None])[clear])
    if method == "gd":
        assert np.all(rho == rho[0])  # β plays no part.
    # Goh's picture: the best rate on the map is near the optimum's.
    assert rho.min() >= result["optimal"][2] - 1e-3


def test_the_map_is_cached_per_eigenvalues_and_method(explorer):
    start = dict(explorer.values)

    def map_at(**moved):
        return explorer.compute({**start, **moved})["map"]

    first = map_at()
    assert map_at(learning_rate=0.1) is first  # α, β and T moves reuse it.
    assert map_at(momentum=0.5) is first
    assert map_at(steps=40) is first
    other = map_at(lambda2=20.0)
    assert other is not first and other != first
    assert map_at(optimizer="nesterov") != first
    assert map_at(lambda2=10.0) is first


@pytest.mark.parametrize("method, alpha, beta", [("gd", 0.1, 0.0), ("heavy_ball", 0.05, 0.5),
                                                  ("heavy_ball", 0.1, 0.9), ("nesterov", 0.08, 0.7)])
def test_the_error_shrinks_at_rho(explorer, method, alpha, beta):
    result = explorer.compute({**explorer.values, "optimizer": method, "learning_rate": alpha, "momentum": beta,
                               "steps": 300})
    path = as_array(result["trajectory"])
    norms = np.linalg.norm(path, axis=1)
    usable = np.flatnonzero(norms > 1e-250)
    t0, t1 = usable[len(usable) // 2], usable[-1]
    measured = (norms[t1] / norms[t0]) ** (1 / (t1 - t0))
    assert measured == pytest.approx(result["rate"], rel=0.03)
    losses = as_array(result["losses"])  # The loss, like ρ^{2t}.
    ok = np.flatnonzero(losses > 1e-290)
    a, b = ok[len(ok) // 2], ok[-1]
    assert (losses[b] / losses[a]) ** (1 / (b - a)) == pytest.approx(result["rate"] ** 2, rel=0.06)


def test_damping_regimes_are_theorys(explorer):
    alpha = 0.01
    for beta, want in ((0.5, "over"), (0.9, "under")):
        result = explorer.compute({**explorer.values, "learning_rate": alpha, "momentum": beta,
                                   "lambda1": 1.0, "lambda2": 100.0})
        # λ = 1: β_c = (1 − √0.01)² = 0.81; λ = 100: αλ = 1, β_c = 0.
        assert result["damping"] == [want, "under"]
        assert result["damping"] == [theory.damping(alpha, beta, lam, "heavy_ball") for lam in (1.0, 100.0)]
    result = explorer.compute({**explorer.values, "learning_rate": 0.3, "optimizer": "gd"})
    assert result["damping"] == ["monotone", "alternating"]  # 1 − 0.3 > 0 > 1 − 3.


def test_divergence_is_strict_json_with_null(explorer):
    result = move(explorer, learning_rate=2.0, steps=300)
    assert result["rate"] > 1 and result["diverged_at"] is not None and result["diverged_at"] <= 300
    t = result["diverged_at"]
    assert result["losses"][t] is None and result["trajectory"][-1] == [None, None]
    json.dumps(plain(result), allow_nan=False)
    assert result["limit"] == [2 * (1 + explorer.values["momentum"]) / 10.0, "2(1+β)/λ_max"]
    reset(explorer)


def test_no_recompilation_when_values_change(explorer):
    compiled = []

    def listen(name, secs, **kwargs):
        if name == "/jax/core/compile/backend_compile_duration":
            compiled.append(name)

    move(explorer, optimizer="gd")
    move(explorer, optimizer="nesterov")
    move(explorer, optimizer="heavy_ball", lambda1=3.0)  # Every op of the map's first use done.
    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        for method in theory.METHODS:
            for alpha, beta, lam in ((0.01, 0.2, 0.3), (0.5, 0.95, 40.0), (3.0, 0.0, 0.02)):
                move(explorer, optimizer=method, learning_rate=alpha, momentum=beta, lambda1=lam, steps=77)
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
    assert compiled == []
    reset(explorer)


def test_spec_is_small_strict_json(explorer):
    text = json.dumps(explorer.spec, allow_nan=False)
    assert len(explorer.static_html()) < 10_000 and len(text) < 10_000
    controls = {c["name"]: c for c in explorer.spec["controls"]}
    assert controls["optimizer"]["options"] == list(theory.METHODS)
    assert controls["optimizer"]["labels"] == [METHOD_LABELS[m] for m in theory.METHODS]
    assert controls["momentum"]["shown_for"] == ["heavy_ball", "nesterov"]  # Hidden for gd.
    assert [controls[n]["type"] for n in ("learning_rate", "momentum", "lambda1", "lambda2", "steps")] == \
        ["log", "linear", "log", "log", "int"]


@pytest.mark.parametrize("build, message", [
    (lambda: MomentumExplorer(eigenvalues=(1.0, -1.0)), r"eigenvalues must be in \[0.01, 100\]"),
    (lambda: MomentumExplorer(eigenvalues=(1.0, 2.0, 3.0)), "eigenvalues must be two numbers"),
    (lambda: MomentumExplorer(optimizer="adam"), "optimizer must be one of"),
    (lambda: MomentumExplorer(learning_rate=0.0), r"learning_rate must be in \(0, 10\]"),
    (lambda: MomentumExplorer(momentum=1.0), r"momentum must be in \[0, 0.99\]"),
    (lambda: MomentumExplorer(steps=0), r"steps must be an integer in \[1, 300\]"),
    (lambda: MomentumExplorer(steps=10.0), r"steps must be an integer"),
    (lambda: MomentumExplorer(init=(0.0, 0.0)), "init must be two finite numbers, not both 0"),
    (lambda: MomentumExplorer(angle=float("nan")), "angle must be a finite number"),
    (lambda: MomentumExplorer(sliders=["b1"]), "no slider named 'b1'"),
])
def test_bad_arguments_are_named(build, message):
    with pytest.raises(ValueError, match=message):
        build()


BAD_VALUES = [
    ({"optimizer": "adam"}, 'optimizer must be one of gd, heavy_ball, nesterov, got "adam"'),
    ({"learning_rate": -0.1}, "learning rate α must be a positive number, got -0.1"),
    ({"learning_rate": None}, "learning rate α must be a positive number, got —"),
    ({"momentum": 1.0}, "momentum β must be in [0, 1), got 1"),
    ({"lambda2": 0}, "eigenvalue λ₂ must be a positive number, got 0"),
    ({"steps": 2.5}, "steps T must be a whole number in [1, 300], got 2.5"),
    ({"steps": 301}, "steps T must be a whole number in [1, 300], got 301"),
]


def test_bad_values_are_an_error_result_never_raised(explorer):
    check_bad_values(explorer, BAD_VALUES, reset)


# -- Chromium: the module computes and says the same. ----------------------------------------


def near_optimum(spec: dict, values: dict, rng) -> dict:
    """A setting around a method's optimum: where the map is interesting and the runs converge."""
    method = str(rng.choice(theory.METHODS))
    lam = (float(10 ** rng.uniform(-2, 2)), float(10 ** rng.uniform(-2, 2)))
    alpha, beta, _ = MomentumExplorer.optimum(lam, method)
    return {**values, "optimizer": method, "lambda1": lam[0], "lambda2": lam[1],
            "learning_rate": float(min(alpha * 10 ** rng.uniform(-1, 0.05), 10.0)),
            "momentum": float(np.clip(beta + rng.uniform(-0.2, 0.2), 0, 0.99)),
            "steps": int(rng.integers(1, 301))}


@pytest.mark.browser
@pytest.mark.parametrize("case", list(MOMENTUM_CASES))
def test_browser_computes_what_the_kernel_computes(module_page, case):
    from test_explorer_parity import compare_results, js_side, random_values

    built = MOMENTUM_CASES[case]()
    spec, start = built.spec, dict(built.values)
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    settings = [random_values(spec, start, rng) for _ in range(SETTINGS // 2)]
    settings += [near_optimum(spec, start, rng) for _ in range(SETTINGS // 2)]
    for method in theory.METHODS:  # Each method at its optimum, and pushed past its limit.
        alpha, beta, _ = MomentumExplorer.optimum((start["lambda1"], start["lambda2"]), method)
        settings.append({**start, "optimizer": method, "learning_rate": alpha, "momentum": beta, "steps": 300})
        settings.append({**start, "optimizer": method, "learning_rate": 3 * alpha, "momentum": beta, "steps": 300})
    kernel = [plain(built.compute(values)) for values in settings]
    # status() does not read the map: the kernel's results go to the page without it.
    browser = js_side(module_page, spec, [[v, {key: x for key, x in k.items() if key != "map"}]
                                          for v, k in zip(settings, kernel)])
    problems, borderline, diverged, methods = [], 0, 0, set()
    for i, (values, k, b) in enumerate(zip(settings, kernel, browser)):
        where = f"setting {i} {values}"
        if "map" in k or "map" in b["result"]:  # Goh's map, 6144 numbers: compared at once.
            ours, theirs = as_array(k.pop("map")), as_array(b["result"].pop("map"))
            b["nudged"].pop("map", None)
            if ours.shape != theirs.shape or not np.all(np.abs(ours - theirs) <= 1e-9 * np.abs(ours)):
                problems.append(f"{where}: the maps differ")
        found, near = compare_results(k, b["result"], where, b["nudged"], [])
        problems += found
        borderline += near
        diverged += k.get("diverged_at") is not None
        methods.add(values["optimizer"])
        if not near and b["texts"] != b["kernel_texts"]:
            problems.append(f"{where}: texts differ:\n  browser {b['texts']}\n  kernel  {b['kernel_texts']}")
    print(f"{case}: {len(settings)} settings, {diverged} diverged, {borderline} at another divergence step")
    assert not problems, f"{len(problems)} differences; the first:\n" + "\n".join(problems[:3])
    assert borderline <= 0.02 * len(settings)
    assert diverged >= 3 and methods >= ({"gd"} if case.endswith("descent") else set(theory.METHODS))


@pytest.mark.browser
def test_the_texts_say_the_rate_the_optimum_and_the_regimes(module_page, explorer):
    said, result = texts(module_page, explorer)
    assert said["facts"] == ("λ = (1, 10), κ = λ_max/λ_min = 10   heavy ball at its best: α* = 0.231, β* = 0.27, "
                             "optimal ρ* = 0.519")
    assert "ρ = max(ρ₁, ρ₂) = 0.519" in said["info"] and said["alert"] == ""
    assert said["info"].count("critically damped") == 2
    said, _ = texts(module_page, explorer, learning_rate=0.01, momentum=0.9, lambda2=100.0)
    assert "λ₁ = 1 under-damped" in said["info"] and "λ₂ = 100 under-damped" in said["info"]
    said, _ = texts(module_page, explorer, optimizer="gd", learning_rate=0.3)
    assert said["info"].startswith("gradient descent: α = 0.3   ρ") and "β =" not in said["info"]
    assert "alternating" in said["info"] and "α* = 2/(λ_min+λ_max) = 0.182" in said["facts"]


@pytest.mark.browser
def test_divergence_is_named(module_page, explorer):
    said, result = texts(module_page, explorer, learning_rate=0.5, steps=300)
    limit = 2 * (1 + explorer.values["momentum"]) / 10
    assert said["alert"].startswith(f"diverged at step 1: α = 0.5 > 2(1+β)/λ_max = {limit:.3g}, "
                                    f"the error grows ×{result['rate']:.3g} per step")
    assert said["alert"].endswith(f"float64 overflow at step {result['diverged_at']}")
    said, result = texts(module_page, explorer, optimizer="nesterov", learning_rate=0.3, steps=10)
    assert "2(1+β)/((1+2β)λ_max)" in said["alert"] and "grows" in said["alert"]
    said, _ = texts(module_page, explorer, learning_rate=0.1)
    assert said["alert"] == ""


@pytest.mark.browser
def test_bad_values_give_the_same_error_in_both_languages(module_page, explorer):
    check_same_errors_in_both_languages(module_page, explorer, BAD_VALUES)


# -- The static page: every control live, at two widths, light and dark. -----------------------


@pytest.fixture(scope="module")
def static_site(tmp_path_factory):
    built = MomentumExplorer()
    with static_page(tmp_path_factory.mktemp("momentum-site"), [built]) as url:
        yield url, built


def check_same_as_kernel(built, root, where: str) -> None:
    from test_explorer_parity import compare_results

    values = root.evaluate("el => el.descentExplorer.values")
    shown = shown_result(root)
    problems, _ = compare_results(plain(built.compute(values)), shown, where)
    assert not problems, problems[:3]


def map_pixel(root, alpha: float, beta: float) -> list[int]:
    """The canvas pixel at (α, β) of the map, by the map's axes (the panel less its colour bar)."""
    return root.evaluate("""(el, [alpha, beta]) => {
        const v = el.descentExplorer.view, r = v.geometry.rects[2], spec = v.spec;
        const w = r.w - 62, a = spec.map_alphas, b = spec.map_betas;
        const x = r.x + (Math.log10(alpha) - Math.log10(a[0])) / (Math.log10(a[a.length - 1]) - Math.log10(a[0])) * w;
        const y = r.y + r.h - (beta - b[0]) / (b[b.length - 1] - b[0]) * r.h;
        return Array.from(v.canvas.getContext('2d').getImageData(Math.round(x * v.dpr), Math.round(y * v.dpr), 1, 1).data);
    }""", [alpha, beta])


RED = (214, 39, 40)


def close(pixel, rgb, tolerance=40) -> bool:
    return all(abs(int(p) - c) <= tolerance for p, c in zip(pixel, rgb))


@pytest.mark.browser
@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_control_is_live_on_a_static_page(browser, static_site, viewport, theme):
    url, built = static_site
    scale = VIEWPORTS[viewport][1]
    context, page, errors = new_page(browser, viewport, theme)
    SCREENSHOTS.mkdir(exist_ok=True)
    tag = f"momentum-{viewport}-{theme}"
    try:
        root = open_explorers(page, url).first
        root.scroll_into_view_if_needed()
        root.screenshot(path=str(SCREENSHOTS / f"test-{tag}-before.png"))
        check_same_as_kernel(built, root, tag)
        for c in root.evaluate("el => [...el.querySelectorAll('canvas')].map(c => [c.width, c.height, "
                               "c.getBoundingClientRect().width, c.getBoundingClientRect().height])"):
            assert c[0] == pytest.approx(c[2] * scale, abs=2) and c[1] == pytest.approx(c[3] * scale, abs=2)
        widths = root.evaluate("el => [el.scrollWidth, el.clientWidth, el.getBoundingClientRect().right, innerWidth]")
        assert widths[0] <= widths[1] + 1 and widths[2] <= widths[3] + 1, widths
        assert root.evaluate("el => el.querySelector('.dx-root').classList.contains('dx-dark')") == (theme == "dark")
        rects = root.evaluate("el => el.descentExplorer.view.geometry.rects")
        if viewport == "phone":  # Stacked: one panel per row.
            assert rects[0]["y"] < rects[1]["y"] < rects[2]["y"]
        else:
            assert rects[0]["y"] == rects[1]["y"]
        # The menu: its own words; β only for the momentum methods.
        menu = root.locator("select")
        assert menu.evaluate("s => [...s.options].map(o => o.textContent)") == list(METHOD_LABELS.values())
        for method in ("gd", "nesterov", "heavy_ball"):
            before = picture(root)
            menu.select_option(method)
            page.wait_for_timeout(40)
            assert picture(root) != before, f"{tag}: picking {method} changed nothing"
            visible = root.locator(".dx-control[data-name=momentum]").is_visible()
            assert visible == (method != "gd"), method
            check_same_as_kernel(built, root, f"{tag} {method}")
        # Each slider: the picture and the texts move, to the kernel's numbers.
        sliders = root.locator("input[type=range]")
        assert sliders.count() == 5
        for k in range(5):
            control = sliders.nth(k)
            before = picture(root)
            values = root.evaluate("el => JSON.stringify(el.descentExplorer.values)")
            status = root.locator(".dx-status").inner_text()
            control.focus()
            for _ in range(3):
                page.keyboard.press("ArrowRight")
            page.wait_for_timeout(40)
            assert root.evaluate("el => JSON.stringify(el.descentExplorer.values)") != values
            assert re.search(r"= \S", control.get_attribute("aria-valuetext") or "")
            assert picture(root) != before, f"{tag} slider {k}: moved, the picture did not"
            if k != 4:  # Steps changes the run's length, not its rates: the texts may stay.
                assert root.locator(".dx-status").inner_text() != status, f"{tag} slider {k}"
            check_same_as_kernel(built, root, f"{tag} slider {k}")
            if k == 1:
                root.screenshot(path=str(SCREENSHOTS / f"test-{tag}-after-two.png"))
        # The dot on the map is where α and β say; the star is the optimum.
        root.evaluate("el => { const e = el.descentExplorer; e.setValue('lambda1', 1.0); e.setValue('lambda2', 10.0);"
                      " e.setValue('learning_rate', 0.02); e.setValue('momentum', 0.7); }")
        assert close(map_pixel(root, 0.02, 0.7), RED), map_pixel(root, 0.02, 0.7)
        assert not close(map_pixel(root, 0.2, 0.7), RED)
        best_alpha, best_beta, _ = MomentumExplorer.optimum((1.0, 10.0), "heavy_ball")
        assert close(map_pixel(root, best_alpha, best_beta), (255, 255, 255), 10)  # The white star.
        root.evaluate("el => el.descentExplorer.setValue('learning_rate', 0.2)")
        assert close(map_pixel(root, 0.2, 0.7), RED) and not close(map_pixel(root, 0.02, 0.7), RED)
        # The heat map's colour is ρ's (far from the lines and markers): bright is fast.
        fast, slow = map_pixel(root, 0.1, 0.1), map_pixel(root, 0.0015, 0.1)
        luminance = lambda p: 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]  # noqa: E731
        assert luminance(fast) > luminance(slow) + 50, (fast, slow)
        grey = map_pixel(root, 5.0, 0.5)  # ρ ≥ 1: grey, R = G = B.
        assert grey[0] == grey[1] == grey[2], grey
        # Pushed to divergence: an alert, the curves still drawn, no error box.
        root.evaluate("el => el.descentExplorer.setValue('learning_rate', 2.0)")
        alert = root.locator(".dx-alert").inner_text()
        assert alert.startswith("diverged at step") and "grows ×" in alert, alert
        assert root.locator(".dx-error").inner_text() == ""
        check_same_as_kernel(built, root, f"{tag} diverged")
        root.screenshot(path=str(SCREENSHOTS / f"test-{tag}-diverged.png"))
        assert not errors, errors
    finally:
        context.close()


def test_the_map_goes_over_the_wire_only_when_it_changes():
    from descent.explorers.widget import wait_for_warm_ups

    explorer = MomentumExplorer()
    assert wait_for_warm_ups(timeout=120)  # Its first result, with the map, is sent.
    assert "map" in explorer.result
    sent = []
    explorer.observe(lambda change: sent.append(change["new"]), names="result")
    for moved in ({"learning_rate": 0.1}, {"momentum": 0.5}, {"steps": 50}, {"lambda2": 20.0},
                  {"learning_rate": 0.05}, {"optimizer": "nesterov"}, {"momentum": 0.6}):
        explorer.values = {**explorer.values, **moved}  # Computed and sent at once.
    # α, β and T moves reuse the front end's last map; λ and the method send a new one.
    assert ["map" in result for result in sent] == [False, False, False, True, False, True, False]
    for result in sent:
        if "map" in result:
            assert result["map"] == explorer.rate_map(result["lam"], result["_values"]["optimizer"])
