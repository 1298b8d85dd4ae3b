"""Parity: the browser computes what the kernel computes.

On a static page an explorer's module computes every run itself; in a kernel, ``descent``
computes it. For every explorer of the chapters (and a few more settings: every optimizer of
the quadratic's menu, a saddle, every optimizer racing on Rosenbrock), at 200 random
settings drawn across each control's whole range, the run computed in Chromium by the
module equals the kernel's: float64 in both, 1e-9 relative per step wherever both are
finite (the norm of the difference against the norm of the point), the same divergence step,
the same theory numbers, and the same texts (status() applied to each side's result).

A divergence step may differ where the run sits within rounding of the test that decides it
(a loss that reaches float64's overflow on one side and not the other): such settings are
counted and reported, and must stay rare (≤ 2 %); their arrays are still compared up to the
earlier of the two steps.

Some runs amplify rounding: Adam or RMSProp at a large α hop around the minimum, and a
difference of one unit in the last place grows a thousandfold every few steps. No two
implementations that round differently (XLA's order of operations, its ``pow``, against the
browser's) agree to 1e-9 there, and neither would the kernel with itself from a start one
unit in the last place away. So where the two differ by more than 1e-9, the test measures
that amplification in the browser (the same run from θ₀ moved by one unit in the last
place); the difference is accepted only if, by that step, the moved run has drifted by at
least 1e-11 relative, i.e. rounding is amplified more than 10⁵-fold. Such settings are
counted and reported; everything before that step must still agree to 1e-9.
"""

from __future__ import annotations

import json
import math
import zlib

import numpy as np
import pytest

from descent.explorers import OPTIMIZERS, Explorer, NoisyQuadraticExplorer, QuadraticExplorer, ScheduleExplorer
from descent.problems import rosenbrock
from explorer_cases import CHAPTER_EXPLORERS

pytestmark = [pytest.mark.browser]

SETTINGS = 200
RTOL = 1e-9

CASES = {
    # (LossCurveExplorer has no θ₀ to nudge: tests/test_softlabel_explorer.py sweeps it, nudging x and k.)
    **{f"{page} {i + 1}": build for page, builds in CHAPTER_EXPLORERS.items()
       for i, build in enumerate(builds) if getattr(build, "explorer", None) != "LossCurveExplorer"},
    # Every control of the quadratic, every optimizer of its menu, saddles included.
    "quadratic, every control": lambda: QuadraticExplorer(),
    # Every optimizer the race offers, on Rosenbrock.
    "rosenbrock, many optimizers": lambda: Explorer(rosenbrock(), optimizers={
        "nesterov": {"learning_rate": 1e-3, "momentum": 0.9},
        "adagrad": {"learning_rate": 0.1}, "rmsprop": {"learning_rate": 0.01},
        "nadam": {"learning_rate": 0.05}, "amsgrad": {"learning_rate": 0.05},
        "adamw": {"learning_rate": 0.05, "weight_decay": 1e-3},
        "adadelta": {"learning_rate": 1.0}}, steps=200),
    # The noisy quadratic: every slider, the decay's "off" end, divergence (α λ_max ≥ 2).
    "noisy quadratic, every control": lambda: NoisyQuadraticExplorer(),
    # Every schedule of the menu, with its warm-up and decay point, over 1000 steps.
    "schedules, every control": lambda: ScheduleExplorer(steps=1000, decay_point=300),
}


def random_values(spec: dict, values: dict, rng: np.random.Generator) -> dict:
    """Values drawn across every control's whole range (log controls uniform in log α)."""
    out = dict(values)
    for control in spec["controls"]:
        name, kind = control["name"], control["type"]
        if kind == "log":
            out[name] = float(10 ** rng.uniform(math.log10(control["min"]), math.log10(control["max"])))
        elif kind == "linear":
            out[name] = float(rng.uniform(control["min"], control["max"]))
        elif kind == "int":
            out[name] = int(rng.integers(control["min"], control["max"] + 1))
        elif kind in ("choice", "select"):
            out[name] = control["options"][int(rng.integers(len(control["options"])))]
        elif kind == "checkbox":
            out[name] = bool(rng.integers(2))
    return out


def plain(result):
    """A result as JSON carries it: non-finite numbers as None."""
    return json.loads(json.dumps(result, allow_nan=True).replace("NaN", "null")
                      .replace("-Infinity", "null").replace("Infinity", "null"))


def js_side(page, spec, settings):
    """compute() in Chromium for every setting, and status() of both sides' results.

    The data cross as JSON text: Playwright's own serialization of a sweep's two million
    numbers takes half a minute, JSON text a second. Non-finite numbers come back as null.
    """
    out = page.evaluate(
        """([spec, text]) => JSON.stringify(JSON.parse(text).map(([values, kernel]) => {
            const own = window.__descent.compute(spec, values);
            // The same run from θ₀ moved by one unit in the last place: how much it amplifies rounding.
            const moved = JSON.parse(JSON.stringify(spec));
            moved.init = moved.init.map((x, i) => i === 0 ? x * (1 + 2 ** -52) : x);
            const nudged = window.__descent.compute(moved, values);
            const texts = (result) => result.error !== undefined ? {error: result.error}
                                                                   : window.__descent.status(spec, values, result);
            return {result: own, nudged, texts: texts(own), kernel_texts: texts(kernel)};
        }), (k, v) => (typeof v === "number" && !Number.isFinite(v)) ? null : v)""",
        [spec, json.dumps(settings, allow_nan=False)],
    )
    return json.loads(out)


def first_nonfinite(rows) -> int | None:
    for t, row in enumerate(rows):
        flat = row if isinstance(row, list) else [row]
        if any(v is None for v in flat):
            return t
    return None


def relative(x, y) -> float:
    """‖x − y‖ / max(‖x‖, ‖y‖), without overflow for numbers near float64's largest."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    top = max(np.abs(x).max(), np.abs(y).max())
    if top == 0:
        return 0.0
    x, y = x / top, y / top
    return float(np.linalg.norm(x - y) / max(np.linalg.norm(x), np.linalg.norm(y)))


AMPLIFIED = 1e-11  # A one-ulp nudge of θ₀ grown to this: rounding amplified > 10⁵-fold.


def compare_arrays(a, b, where: str, problems: list, until: int | None = None,
                   nudged=None, amplified: list | None = None) -> None:
    """Per step (row), ‖a − b‖ ≤ RTOL·max(‖a‖, ‖b‖) where both rows are finite.

    ``nudged``: the browser's run from a θ₀ one ulp away; a larger difference at a step
    where it has drifted by ``AMPLIFIED`` or more is counted in ``amplified``, not failed.
    """
    assert len(a) == len(b), f"{where}: {len(a)} steps against {len(b)}"
    for t, (x, y) in enumerate(zip(a, b)):
        if until is not None and t >= until:
            break
        x = x if isinstance(x, list) else [x]
        y = y if isinstance(y, list) else [y]
        if any(v is None for v in x) or any(v is None for v in y):
            if (x == y) or until is not None:
                continue
            if nudged is not None and amplified is not None and _drifted(b, nudged, t):
                amplified.append(f"{where} step {t}")
                return
            problems.append(f"{where} step {t}: finite on one side only: {x} against {y}")
            return
        if relative(x, y) > RTOL:
            if nudged is not None and amplified is not None and _drifted(b, nudged, t):
                amplified.append(f"{where} step {t} ({relative(x, y):.1e})")
                return
            problems.append(f"{where} step {t}: {x} against {y} (relative {relative(x, y):.2e})")
            return


def _drifted(b, nudged, t: int) -> bool:
    """Whether the nudged run has drifted from the browser's by AMPLIFIED by step t."""
    for s in range(min(t, len(nudged) - 1) + 1):
        x = b[s] if isinstance(b[s], list) else [b[s]]
        y = nudged[s] if isinstance(nudged[s], list) else [nudged[s]]
        if any(v is None for v in x + y):
            return x != y
        if relative(x, y) >= AMPLIFIED:
            return True
    return False


def compare_numbers(a, b, where: str, problems: list) -> None:
    if a is None or b is None or isinstance(a, str) or isinstance(b, str):
        if a != b:
            problems.append(f"{where}: {a!r} against {b!r}")
        return
    if isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            problems.append(f"{where}: {a!r} against {b!r}")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            compare_numbers(x, y, f"{where}[{i}]", problems)
        return
    if isinstance(a, bool) or isinstance(b, bool):
        if a != b:
            problems.append(f"{where}: {a!r} against {b!r}")
        return
    if abs(a - b) > RTOL * max(abs(a), abs(b), 1e-300):
        problems.append(f"{where}: {a!r} against {b!r}")


ARRAYS = {"trajectory", "losses", "sgd", "gd", "effective"}


def compare_results(kernel: dict, own: dict, where: str, nudged: dict | None = None,
                    amplified: list | None = None) -> tuple[list, bool]:
    """The differences between the kernel's and the browser's result, and whether a
    divergence step differed (a rounding-threshold case). With ``nudged`` (the browser's
    result from a θ₀ one ulp away) and ``amplified``, differences that rounding explains
    are listed in ``amplified`` instead."""
    problems: list = []
    borderline = False
    if "error" in kernel or "error" in own:
        if kernel.get("error") != own.get("error"):
            problems.append(f"{where}: error {kernel.get('error')!r} against {own.get('error')!r}")
        return problems, False
    if "runs" in kernel:
        if len(kernel["runs"]) != len(own["runs"]):
            return [f"{where}: {len(kernel['runs'])} runs against {len(own['runs'])}"], False
        nudged_runs = nudged["runs"] if nudged else [None] * len(own["runs"])
        for k_run, o_run, n_run in zip(kernel["runs"], own["runs"], nudged_runs):
            p, b = compare_results(k_run, o_run, f"{where} {k_run.get('label')}", n_run, amplified)
            problems += p
            borderline |= b
        return problems, borderline
    until = None
    if kernel.get("diverged_at") != own.get("diverged_at"):
        borderline = True
        steps = [s for s in (kernel.get("diverged_at"), own.get("diverged_at")) if s is not None]
        until = min(steps)
    for key in sorted(set(kernel) | set(own)):
        if key.startswith("_") or key == "diverged_at":
            continue
        if key not in kernel or key not in own:
            problems.append(f"{where}: {key!r} on one side only")
        elif key in ARRAYS:
            compare_arrays(kernel[key], own[key], f"{where} {key}", problems, until,
                           nudged.get(key) if nudged else None, amplified)
        else:
            compare_numbers(kernel[key], own[key], f"{where} {key}", problems)
    return problems, borderline


@pytest.mark.parametrize("case", list(CASES))
def test_browser_computes_what_the_kernel_computes(module_page, case):
    explorer = CASES[case]()
    spec, start = explorer.spec, dict(explorer.values)
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    settings = [random_values(spec, start, rng) for _ in range(SETTINGS)]
    kernel = [plain(explorer.compute(values)) for values in settings]
    browser = js_side(module_page, spec, [[v, k] for v, k in zip(settings, kernel)])
    problems, borderline, diverged, sensitive = [], 0, 0, 0
    for i, (values, k, b) in enumerate(zip(settings, kernel, browser)):
        where = f"setting {i} {values}"
        amplified: list = []
        found, near = compare_results(k, b["result"], where, b["nudged"], amplified)
        problems += found
        borderline += near
        sensitive += bool(amplified)
        runs = k.get("runs", [k])
        diverged += any(r.get("diverged_at") is not None for r in runs)
        if not near and not amplified and b["texts"] != b["kernel_texts"]:
            problems.append(f"{where}: texts differ:\n  browser {b['texts']}\n  kernel  {b['kernel_texts']}")
    print(f"{case}: {SETTINGS} settings, {diverged} with a divergence, {borderline} whose divergence step "
          f"differs within rounding, {sensitive} that amplify rounding past 1e-9 (compared up to there)")
    assert not problems, f"{len(problems)} differences; the first:\n" + "\n".join(problems[:5])
    assert borderline <= 0.02 * SETTINGS, f"{borderline} of {SETTINGS} settings diverge at another step"


def test_the_settings_cover_each_control(module_page):
    """The random settings reach both ends of each control and every option."""
    explorer = QuadraticExplorer()
    rng = np.random.default_rng(0)
    settings = [random_values(explorer.spec, explorer.values, rng) for _ in range(SETTINGS)]
    for control in explorer.spec["controls"]:
        seen = [s[control["name"]] for s in settings]
        if control["type"] in ("select", "choice"):
            assert set(seen) == set(control["options"]), control["name"]
        elif control["type"] == "checkbox":
            assert set(seen) == {True, False}
        else:
            low, high = control["min"], control["max"]
            if control["type"] == "log":
                low, high, seen = math.log10(low), math.log10(high), [math.log10(v) for v in seen]
            span = high - low
            assert min(seen) < low + 0.05 * span and max(seen) > high - 0.05 * span, control["name"]


def test_optimizer_menu_is_the_quadratic_menu():
    assert list(QuadraticExplorer().spec["optimizers"]) == list(OPTIMIZERS)
